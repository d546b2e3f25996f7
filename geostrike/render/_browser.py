"""How geostrike's scripts and tests start headless Chromium (Debian's package, no download).

Playwright drives ``/usr/bin/chromium`` with these flags. The background-networking flags
matter offline: without them Chromium keeps opening connections that a closed network
refuses.
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)

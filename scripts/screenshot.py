"""Screenshot a geostrike map in headless Chromium (for the README, or any map).

Uses Debian's Chromium (``/usr/bin/chromium``) through the ``playwright`` Python package,
never a downloaded browser build. Every request that is not a ``file:`` or ``data:`` URL is
blocked, so the screenshot proves the offline map draws without a network. The shot shows
the map's own opening view, which frames the data (wherever it is); ``--view`` overrides
it. ``--panel`` opens the claims table and filters first.

Usage::

    .venv/bin/geostrike demo --out-dir maps        # writes maps/syria-2015-09-30.html
    .venv/bin/python scripts/screenshot.py maps/syria-2015-09-30.html -o docs/img/demo-map.png
    .venv/bin/python scripts/screenshot.py MAP.html -o table.png --panel [--search TEXT] [--all-dates]

``-o`` is required: nothing is overwritten unless named. Prints the output path, its size,
the number of requests blocked and any page errors. Exit status 1 when the map never
becomes ready or the page raised a JavaScript error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geostrike.render._browser import CHROMIUM
from geostrike.render._browser import CHROMIUM_ARGS as _ARGS

CHROMIUM_ARGS = list(_ARGS)  # one definition: geostrike.render._browser


def screenshot(
    html: Path,
    out: Path,
    *,
    width: int = 1400,
    height: int = 900,
    timeout_ms: int = 30_000,
    view: tuple[float, float, int] | None = None,
    panel: bool = False,
    search: str | None = None,
    all_dates: bool = False,
) -> dict[str, object]:
    """Open ``html`` in headless Chromium, wait for the map, save a PNG screenshot to ``out``.

    ``view`` (latitude, longitude, zoom) sets the map's view before the shot (by default
    the map's opening view, which frames the data); ``panel`` opens the claims table and
    filters, ``search`` types into its search box, ``all_dates`` selects every date.
    Returns a dict with ``blocked`` (URLs refused), ``errors`` (page errors) and ``bytes``.
    """
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    errors: list[str] = []

    def _route(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route("**/*", _route)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(html.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
            page.wait_for_function(
                "() => window.geostrike !== undefined && window.geostrike.ready",
                timeout=timeout_ms,
            )
            if all_dates:
                page.evaluate("() => geostrike.setDate(0, true)")
            if panel:
                page.evaluate("() => geostrike.panel.open()")
            if search:
                page.evaluate("(q) => geostrike.panel.search(q)", search)
            if view is not None:
                # folium keeps the Leaflet map in a global named map_<id>.
                page.evaluate(
                    """(v) => {
                        const k = Object.keys(window).find((n) => /^map_[0-9a-f]+$/.test(n));
                        if (k) window[k].setView([v[0], v[1]], v[2], {animate: false});
                    }""",
                    list(view),
                )
            page.wait_for_timeout(800)  # let the canvas renderer finish its frame
            tmp = out.with_name(f".{out.stem}.tmp.png")
            page.screenshot(path=str(tmp), full_page=False)
            tmp.replace(out)
        finally:
            browser.close()
    return {"blocked": blocked, "errors": errors, "bytes": out.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", help="a map written by `geostrike map` or `geostrike demo`")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument(
        "--view",
        default="",
        help="latitude,longitude,zoom to show (default: the map's own view of its data)",
    )
    ap.add_argument("--panel", action="store_true", help="open the claims table and filters")
    ap.add_argument("--search", default=None, help="text to type into the claims search")
    ap.add_argument("--all-dates", action="store_true", help="show the strikes of every date")
    args = ap.parse_args(argv)
    html = Path(args.html)
    if not html.is_file():
        print(f"screenshot: {html}: no such file", file=sys.stderr)
        return 2
    view = None
    if args.view:
        try:
            lat, lon, zoom = args.view.split(",")
            view = (float(lat), float(lon), int(zoom))
        except ValueError:
            print(f"screenshot: --view {args.view!r}: expected LAT,LON,ZOOM", file=sys.stderr)
            return 2
    info = screenshot(
        html,
        Path(args.output),
        width=args.width,
        height=args.height,
        view=view,
        panel=args.panel,
        search=args.search,
        all_dates=args.all_dates,
    )
    print(f"{args.output}: {info['bytes'] / 1024:.0f} KiB")
    print(f"requests blocked (not file:/data:): {len(info['blocked'])}")  # type: ignore[arg-type]
    for url in info["blocked"]:  # type: ignore[union-attr]
        print(f"  blocked {url}")
    for err in info["errors"]:  # type: ignore[union-attr]
        print(f"  page error: {err}", file=sys.stderr)
    return 1 if info["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

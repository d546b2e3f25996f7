"""Shared test fixtures and the rule for real-client tests.

Browser (Chromium) and QGIS tests skip with a reason when the client is missing, except
under ``GEOSTRIKE_REQUIRE_CLIENTS=1`` (set by ``.ci/run``), where a missing client fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# No test may depend on machine load (CI shares 2 cores): property tests have no deadline
# and are not refused as "too slow"; each test's own @settings still sets its examples.
hypothesis_settings.register_profile(
    "geostrike", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("geostrike")


def clients_required() -> bool:
    """True when real-client tests may not skip (CI)."""
    from geostrike import settings

    return settings.require_clients()


def need_client(available: bool, reason: str) -> None:
    """Skip (or fail under GEOSTRIKE_REQUIRE_CLIENTS=1) when a real client is missing."""
    if available:
        return
    if clients_required():
        pytest.fail(f"{reason} (GEOSTRIKE_REQUIRE_CLIENTS=1 forbids skipping)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    """Path of Debian's Chromium, if installed."""
    for cand in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if cand and os.path.exists(cand):
            return cand
    return None


def qgis_python() -> str | None:
    """The system Python that can import QGIS (Debian python3-qgis), if any."""
    py = "/usr/bin/python3"
    if not os.path.exists(py):
        return None
    r = subprocess.run(
        [py, "-c", "import qgis.core"],
        capture_output=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    return py if r.returncode == 0 else None


@pytest.fixture
def chromium() -> str:
    """Chromium's path, or skip/fail per the client rule."""
    path = chromium_path()
    need_client(path is not None, "Chromium is not installed (scripts/install-system-deps)")
    return path  # type: ignore[return-value]


@pytest.fixture(scope="session")
def qgis_py() -> str:
    """System Python with QGIS, or skip/fail per the client rule."""
    py = qgis_python()
    need_client(
        py is not None, "QGIS (python3-qgis) is not installed (scripts/install-system-deps)"
    )
    return py  # type: ignore[return-value]

"""Tests for the public API surface: lazy exports that stay callable."""

from __future__ import annotations

import subprocess
import sys

import geostrike


def test_public_names_resolve() -> None:
    for name in geostrike.__all__:
        assert getattr(geostrike, name) is not None


def test_check_and_extract_stay_callable_after_submodule_import() -> None:
    code = (
        "import geostrike\n"
        "from geostrike.engine.check import OUTPUT_COLUMNS\n"
        "import geostrike.text.claims\n"
        "import pandas as pd\n"
        "import geopandas as gpd, shapely\n"
        "zones = gpd.GeoDataFrame({'controller': ['ISIS']},"
        " geometry=[shapely.box(38, 35, 39, 36)], crs=4326)\n"
        "claims = pd.DataFrame({'date': ['2015-10-01'], 'claimed_target': ['Daesh'],"
        " 'latitude': [35.5], 'longitude': [38.5]})\n"
        "r = geostrike.check(claims, zones)\n"
        "assert list(r.columns[: len(OUTPUT_COLUMNS)]) == list(OUTPUT_COLUMNS)\n"
        "assert r.verdict.tolist() == ['consistent'], r.verdict.tolist()\n"
        "e = geostrike.extract('Russian jets struck Raqqa on Monday.', date='2015-10-01')\n"
        "assert e.mentions\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_all_matches_the_lazy_table() -> None:
    assert set(geostrike.__all__) - {"__version__"} == set(geostrike._API)

"""`zones diff`: ground that changed hands between two dates (issue 15)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geostrike.engine.zonediff import NO_ZONE, diff_layer, format_diff, zones_diff
from geostrike.geodesy import GEOD
from geostrike.inputs.zones import read_zones, write_zones

ENTRY = [sys.executable, "-m", "geostrike.cli"]

# right bank of the Dnipro around Kherson, before and after November 2022
KHERSON = box(32.3, 46.55, 33.0, 46.85)
WEST = box(31.5, 46.55, 32.3, 46.85)


def _zones() -> gpd.GeoDataFrame:
    return read_zones(
        gpd.GeoDataFrame(
            {
                "controller": ["russia", "ukraine", "ukraine", "ukraine"],
                "valid_from": ["2022-10-01", "2022-10-01", "2022-11-12", "2022-11-12"],
                "valid_to": ["2022-11-11", "2022-11-11", None, None],
            },
            geometry=[KHERSON, WEST, KHERSON, box(31.5, 46.55, 32.0, 46.85)],
            crs="EPSG:4326",
        )
    )


def test_diff_pairs_and_geodesic_areas() -> None:
    d = zones_diff(_zones(), "2022-11-01", "2022-11-20")
    pairs = {(r.from_controller, r.to_controller): r.area_km2 for r in d.itertuples()}
    assert set(pairs) == {("russia", "ukraine"), ("ukraine", NO_ZONE)}
    assert pairs[("russia", "ukraine")] == pytest.approx(
        abs(GEOD.geometry_area_perimeter(KHERSON)[0]) / 1e6, rel=1e-9
    )
    assert 1_500 < pairs[("russia", "ukraine")] < 2_500  # 0.7° x 0.3° at 46.7° N
    assert d.iloc[0]["from_controller"] == "russia"  # largest first
    assert zones_diff(_zones(), "2022-10-02", "2022-10-05").empty
    assert "no ground changed hands" in format_diff(
        zones_diff(_zones(), "2022-10-02", "2022-10-05")
    )


def test_diff_places_and_layer() -> None:
    d = zones_diff(_zones(), "2022-11-01", "2022-11-20", places=True)
    row = d[d.from_controller == "russia"].iloc[0]
    assert row["places"].split("; ")[0] == "Kherson"  # most populous first
    assert "Kherson" in format_diff(d)
    layer = diff_layer(d)
    assert isinstance(layer, folium.GeoJson)
    assert layer.layer_name == "changed hands 2022-11-01 → 2022-11-20"
    m = folium.Map()
    layer.add_to(m)
    assert "Kherson" in m.get_root().render()  # the features travel with their places


def test_cli_diff(tmp_path: Path) -> None:
    zpath = write_zones(_zones(), tmp_path / "z.gpkg")
    out = tmp_path / "diff.geojson"
    r = subprocess.run(
        [*ENTRY, "zones", "diff", str(zpath), "--from", "2022-11-01", "--to", "2022-11-20",
         "-o", str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "russia" in r.stdout and "km²" in r.stdout
    feats = json.loads(out.read_text())["features"]
    assert {f["properties"]["to_controller"] for f in feats} == {"ukraine", NO_ZONE}
    r = subprocess.run(
        [*ENTRY, "zones", "diff", str(zpath), "--from", "soon", "--to", "2022-11-20"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 2 and "'soon' is not a date" in r.stderr
    assert pd.notna(feats[0]["properties"]["area_km2"])


def test_diff_refuses_a_date_without_zones() -> None:
    """An empty diff would read as "nothing changed hands": a date no zone covers is an error."""
    from geostrike.errors import InputError

    z = _zones()
    z = z[z.valid_to.notna()]
    with pytest.raises(
        InputError,
        match=r"no zone is valid on 2022-12-01 \(the zones cover 2022-10-01 to 2022-11-11\)",
    ):
        zones_diff(z, "2022-10-15", "2022-12-01")

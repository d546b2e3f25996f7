"""Zones from dated snapshot archives (issue 15): dates in names, windows, merges, gaps,
the rest of the country, controller mappings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box, mapping

from geostrike.engine.check import check
from geostrike.errors import InputError, UnknownActorError
from geostrike.inputs.snapshots import (
    SnapshotWarning,
    date_from_name,
    parse_mapping,
    series_dates,
    zones_from_snapshots,
)
from geostrike.inputs.zones import read_zones, write_zones
from geostrike.places.outlines import country_outline

ENTRY = [sys.executable, "-m", "geostrike.cli"]


def _write(folder: Path, name: str, geoms: list, props: list[dict] | None = None) -> Path:
    props = props or [{} for _ in geoms]
    feats = [
        {"type": "Feature", "properties": p, "geometry": mapping(g)}
        for g, p in zip(geoms, props, strict=True)
    ]
    path = folder / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def _build(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        z = zones_from_snapshots(*args, **kwargs)
    return z, [str(w.message) for w in caught if issubclass(w.category, SnapshotWarning)]


# ----------------------------------------------------------------------- dates in names
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("occupied_20240708.geojson", date(2024, 7, 8)),
        ("2024-07-08.geojson", date(2024, 7, 8)),
        ("deepstate-map-2024_07_08.json", date(2024, 7, 8)),
        ("front 2024.07.08 final.kml", date(2024, 7, 8)),
        ("map_08.07.2024.geojson", date(2024, 7, 8)),  # dotted: day first
        ("map_13-07-2024.geojson", date(2024, 7, 13)),  # only day-first is a date
        ("map_07-13-2024.geojson", date(2024, 7, 13)),  # only month-first is a date
        ("v2_20240708T120000Z.geojson", date(2024, 7, 8)),
        ("folder/2024-07-08/ignored_path_20230101.geojson", date(2023, 1, 1)),
    ],
)
def test_date_from_name(name: str, expected: date) -> None:
    assert date_from_name(name) == expected


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("map_08-07-2024.geojson", "day or month first"),
        ("map_08072024.geojson", "day or month first"),
        ("occupied.geojson", "no date in the file name"),
        ("from_2024-07-01_to_2024-07-08.geojson", "two different dates"),
        ("map_20241331.geojson", "no date in the file name"),
    ],
)
def test_date_from_name_refuses(name: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        date_from_name(name)


def test_date_order_given_or_decided_by_the_series() -> None:
    assert date_from_name("map_08-07-2024.geojson", order="mdy") == date(2024, 8, 7)
    # one name can only be day-first: the whole series is read day-first
    names = ["m_08-07-2024.json", "m_09-07-2024.json", "m_13-07-2024.json"]
    assert series_dates(names) == [date(2024, 7, 8), date(2024, 7, 9), date(2024, 7, 13)]
    with pytest.raises(InputError, match="day or month first"):
        series_dates(["m_08-07-2024.json", "m_09-07-2024.json"])


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(["%Y%m%d", "%Y-%m-%d", "%Y_%m_%d", "%Y.%m.%d", "%d.%m.%Y"]),
    st.sampled_from(["", "occupied_", "map-v3 "]),
    st.sampled_from([".geojson", "_final.kml", ".json"]),
)
def test_date_from_name_roundtrip(d: date, fmt: str, prefix: str, suffix: str) -> None:
    assert date_from_name(f"{prefix}{d.strftime(fmt)}{suffix}") == d


# ----------------------------------------------------------------------- windows
def test_windows_merges_and_gaps(tmp_path: Path) -> None:
    a, b = box(36, 47, 38, 49), box(36, 47, 38.5, 49)
    _write(tmp_path, "occ_2024-03-01.geojson", [a])
    _write(tmp_path, "occ_2024-03-02.geojson", [shapely.Polygon(a.exterior.coords[::-1])])
    _write(tmp_path, "occ_2024-03-03.geojson", [a])
    _write(tmp_path, "occ_2024-03-04.geojson", [b])
    _write(tmp_path, "occ_2024-03-08.geojson", [b])  # 3 missing days before it
    _write(tmp_path, "occ_2024-03-09.geojson", [a])
    z, warns = _build(tmp_path, controller="russia", until="2024-03-15")
    got = [(str(r.valid_from.date()), str(r.valid_to.date()), r.snapshots) for r in z.itertuples()]
    # identical consecutive geometries (even drawn the other way round) merge
    assert got == [
        ("2024-03-01", "2024-03-03", 3),
        ("2024-03-04", "2024-03-08", 2),
        ("2024-03-09", "2024-03-15", 1),
    ]
    assert set(z["controller"]) == {"russia"}
    assert any("no snapshot from 2024-03-05 to 2024-03-07 (3 days)" in w for w in warns)
    assert "bridges 3 day(s)" in z.loc[1, "note"]
    assert pd.isna(z.loc[0, "note"])
    # without --until the last window ends on its own date
    z2, _ = _build(str(tmp_path / "*.geojson"), controller="russia")
    assert str(z2["valid_to"].iloc[-1].date()) == "2024-03-09"
    # --max-gap: the gap is left without zones
    z3, _ = _build(tmp_path, controller="russia", max_gap_days=2)
    assert [str(d.date()) for d in z3["valid_to"]] == ["2024-03-03", "2024-03-04", "2024-03-08",
                                                       "2024-03-09"]  # fmt: skip


def test_invalid_geometry_repaired_and_reported(tmp_path: Path) -> None:
    bowtie = shapely.Polygon([(30, 10), (31, 11), (31, 10), (30, 11), (30, 10)])
    _write(tmp_path, "20230415.geojson", [bowtie, box(32, 10, 33, 11)])
    z, warns = _build(tmp_path, controller="houthis")
    assert any("repaired 1 invalid" in w for w in warns)
    assert len(z) == 1 and z.geometry.iloc[0].is_valid
    assert z.geometry.iloc[0].area == pytest.approx(0.5 + 1.0)  # both triangles and the box


def test_controller_property_and_mapping(tmp_path: Path) -> None:
    props = [{"status": "Occupied"}, {"status": "Liberated"}, {"status": "contested"}]
    geoms = [box(35, 48, 36, 49), box(36, 48, 37, 49), box(37, 48, 38, 49)]
    _write(tmp_path, "front_2023-06-01.geojson", geoms, props)
    mapping_ = parse_mapping(["occupied=russia", "LIBERATED=ukraine", "Contested=-"])
    z, warns = _build(tmp_path, controller_property="status", mapping=mapping_)
    assert dict(zip(z["controller"], z.geometry.bounds["minx"], strict=True)) == {
        "russia": 35.0,
        "ukraine": 36.0,
    }
    assert any("skipped 1 feature" in w for w in warns)
    with pytest.raises(InputError, match=r"'contested' is neither in the mapping nor an actor"):
        _build(
            tmp_path,
            controller_property="status",
            mapping=parse_mapping(["occupied=russia", "liberated=ukraine"]),
        )
    with pytest.raises(UnknownActorError, match="nobody"):
        _build(tmp_path, controller_property="status", mapping=parse_mapping(["occupied=nobody"]))
    with pytest.raises(InputError, match="--controller ACTOR"):
        _build(tmp_path)


def test_date_property(tmp_path: Path) -> None:
    geoms = [box(44, 15, 45, 16), box(44, 15, 45.5, 16)]
    props = [{"day": "2022-01-01"}, {"day": "2022-02-01"}]
    _write(tmp_path, "houthi_frontline.geojson", geoms, props)
    z, _ = _build(tmp_path, controller="houthis", date_property="day")
    assert [str(d.date()) for d in z["valid_from"]] == ["2022-01-01", "2022-02-01"]
    assert str(z["valid_to"].iloc[0].date()) == "2022-01-31"
    with pytest.raises(InputError, match="no date in the file name"):
        _build(tmp_path, controller="houthis")


def test_empty_snapshot_is_a_day_without_ground(tmp_path: Path) -> None:
    _write(tmp_path, "2024-01-01.geojson", [box(34.3, 31.3, 34.4, 31.4)])
    _write(tmp_path, "2024-01-02.geojson", [])
    _write(tmp_path, "2024-01-03.geojson", [box(34.3, 31.3, 34.4, 31.4)])
    z, _ = _build(tmp_path, controller="israel")
    assert [
        (str(a.date()), str(b.date())) for a, b in zip(z.valid_from, z.valid_to, strict=True)
    ] == [
        ("2024-01-01", "2024-01-01"),
        ("2024-01-03", "2024-01-03"),
    ]


# ----------------------------------------------------------------------- rest of the country
def test_rest_far_from_the_layer_is_reported(tmp_path: Path) -> None:
    """A Gaza-only layer with --within PS: the rest includes the West Bank, and says so."""
    _write(tmp_path, "gaza_20240101.geojson", [box(34.30, 31.30, 34.40, 31.40)])
    z, warns = _build(tmp_path, controller="israel", rest="hamas", within="PS")
    far = [w for w in warns if "at least 25 km from any part of the layer" in w]
    assert len(far) == 1 and "the rest of PS includes 1 piece(s)" in far[0], warns
    # the West Bank (about 5,600-6,000 km² in Natural Earth, 40-50 km from Gaza's edge)
    got = re.search(r"the largest ([\d,]+) km², ([\d,]+) km away", far[0])
    km2, km = (float(x.replace(",", "")) for x in got.groups())
    assert 5000 < km2 < 7000 and 30 < km < 60
    assert "hamas" in set(z["controller"])  # still built: a warning, not a refusal
    # the whole of Gaza as the layer: the rest is one piece, all of it far away
    whole = tmp_path / "whole"
    whole.mkdir()
    _write(whole, "gaza_20240101.geojson", [box(34.2, 31.2, 34.6, 31.6)])
    _, warns = _build(whole, controller="israel", rest="hamas", within="PS")
    assert any("from any part of the layer" in w for w in warns), warns
    # a layer whose rest is one piece next to it gives no such line
    other = tmp_path / "ua"
    other.mkdir()
    _write(other, "occupied_20220601.geojson", [box(37.5, 47.0, 40.3, 49.5)])
    _, warns = _build(other, controller="russia", rest="ukraine", within="UA")
    assert not any("from any part of the layer" in w for w in warns), warns


def test_rest_of_ukraine_with_crimea(tmp_path: Path) -> None:
    """An occupied-territory archive becomes a two-sided map; Crimea stays occupied."""
    crimea = box(32.4, 44.3, 36.7, 46.2)  # drawn with Russia by Natural Earth
    east = box(37.5, 47.0, 40.3, 49.5)
    _write(tmp_path, "occupied_20220601.geojson", [crimea, east])
    _write(tmp_path, "occupied_20220602.geojson", [shapely.union_all([crimea, east])])
    _write(tmp_path, "occupied_20220603.geojson", [crimea, box(37.2, 47.0, 40.3, 49.5)])
    z, warns = _build(tmp_path, controller="russia", rest="ukraine", within="UA")
    assert sorted(zip(z["controller"], z["snapshots"], strict=True)) == [
        ("russia", 1),
        ("russia", 2),
        ("ukraine", 1),
        ("ukraine", 2),
    ]
    assert any("extends beyond the outline" in w and "km²" in w for w in warns)
    ua = country_outline("UA")
    rest0 = z[(z.controller == "ukraine") & (z.snapshots == 2)].geometry.iloc[0]
    occ0 = z[(z.controller == "russia") & (z.snapshots == 2)].geometry.iloc[0]
    # the layer is kept whole (its Crimea part outside Natural Earth's Ukraine included)
    assert occ0.equals(shapely.union_all([crimea, east]))
    assert rest0.equals(shapely.difference(ua, occ0))
    assert not rest0.intersects(shapely.Point(34.1, 44.95))  # Simferopol
    zones = read_zones(z)
    claims = pd.DataFrame(
        {
            "id": ["simferopol", "kyiv", "luhansk", "in-the-advance"],
            "date": ["2022-06-01", "2022-06-02", "2022-06-02", "2022-06-03"],
            "latitude": [44.95, 50.45, 48.57, 47.5],
            "longitude": [34.10, 30.52, 39.31, 37.35],
            "claimed_target": ["russia"] * 4,
        }
    )
    res = check(claims, zones)
    assert list(res["controller"]) == ["russia", "ukraine", "russia", "russia"]
    assert list(res["verdict"])[:2] == ["consistent", "inconsistent"]


def test_rest_needs_within_and_known_country(tmp_path: Path) -> None:
    _write(tmp_path, "2022-06-01.geojson", [box(37, 47, 38, 48)])
    with pytest.raises(InputError, match="--within"):
        _build(tmp_path, controller="russia", rest="ukraine")
    with pytest.raises(InputError, match="neither a file nor a country"):
        _build(tmp_path, controller="russia", rest="ukraine", within="Atlantis")
    with pytest.raises(InputError, match="lies wholly outside --within 'LY': wrong country"):
        _build(tmp_path, controller="russia", rest="ukraine", within="LY")


def test_rest_within_boundary_file(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    arch.mkdir()
    _write(arch, "2021-01-01.geojson", [box(0, 0, 1, 1)])
    bnd = _write(tmp_path, "boundary.geojson", [box(0, 0, 2, 2), box(1.5, 0, 3, 2)])
    z, warns = _build(arch, controller="lna", rest="government", within=str(bnd))
    assert any("overlap" in w for w in warns)
    rest = z[z.controller == "government"].geometry.iloc[0]
    assert rest.area == pytest.approx(6 - 1)


# ----------------------------------------------------------------------- long archives
def test_hundreds_of_windows_read_and_checked(tmp_path: Path) -> None:
    start = date(2023, 1, 1)
    for k in range(300):  # the front moves by 0.001° a day
        d = start + timedelta(days=k)
        _write(tmp_path, f"occ_{d:%Y%m%d}.geojson", [box(30, 10, 31 + 0.001 * k, 11)])
    z, _ = _build(tmp_path, controller="houthis")
    assert len(z) == 300
    out = write_zones(z, tmp_path / "archive.gpkg")
    back = read_zones(out)
    assert len(back) == 300  # one geometry per window
    claims = pd.DataFrame(
        {
            "date": [str(start + timedelta(days=k)) for k in (0, 100, 299)],
            "latitude": [10.5] * 3,
            "longitude": [31.05] * 3,
            "claimed_target": ["houthis"] * 3,
        }
    )
    res = check(claims, back)
    # 31.05 is taken on day 50: outside on day 0, inside on days 100 and 299
    assert list(res["verdict"].iloc[1:]) == ["consistent", "consistent"]
    assert res["controller"].iloc[0] in ("", None) or pd.isna(res["controller"].iloc[0])


# ----------------------------------------------------------------------- command line
def test_cli_from_snapshots(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    arch.mkdir()
    _write(arch, "occupied_2022-06-01.geojson", [box(37.5, 47.0, 40.3, 49.5)])
    _write(arch, "occupied_2022-06-02.geojson", [box(37.5, 47.0, 40.3, 49.5)])
    _write(arch, "occupied_2022-06-04.geojson", [box(37.2, 47.0, 40.3, 49.5)])
    out = tmp_path / "zones.gpkg"
    r = subprocess.run(
        [*ENTRY, "zones", "from-snapshots", str(arch), "-o", str(out), "--controller", "russia",
         "--rest", "ukraine", "--within", "Ukraine", "--until", "2022-06-10"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "3 snapshot(s), 4 window(s), 2 controller(s), 1 gap(s)" in r.stdout
    assert "gap in the series: no snapshot from 2022-06-03 to 2022-06-03 (1 day)" in r.stderr
    back = read_zones(out)
    assert sorted(back["controller"]) == ["russia", "russia", "ukraine", "ukraine"]
    assert str(back["valid_to"].max().date()) == "2022-06-10"
    _write(arch, "occupied_06-07-2022.geojson", [box(37.2, 47.0, 40.3, 49.5)])
    _write(arch, "occupied_2022-06-01.geojson", [box(37.2, 47.0, 40.3, 49.5)])
    r = subprocess.run(
        [*ENTRY, "zones", "from-snapshots", str(arch / "*.geojson"), "-o", str(out),
         "--controller", "russia"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "day or month first" in r.stderr


def test_read_zones_output_columns(tmp_path: Path) -> None:
    _write(tmp_path, "2020-05-05.geojson", [box(13, 32, 14, 33)])
    z, _ = _build(tmp_path, controller="lna")
    assert isinstance(z, gpd.GeoDataFrame) and z.crs.to_epsg() == 4326
    assert list(z.columns)[:5] == ["zone_id", "controller", "valid_from", "valid_to", "source"]
    assert z["source"].iloc[0] == "2020-05-05.geojson"
    assert np.isclose(z.geometry.iloc[0].area, 1.0)


def test_geojson_reader_matches_gdal_and_falls_back(tmp_path: Path) -> None:
    """Plain WGS84 GeoJSON is read directly (fast path); other CRSs go through GDAL."""
    import pyogrio

    from geostrike.inputs.snapshots import read_layer

    poly = shapely.Polygon(
        [(30, 10), (31, 10), (31, 11), (30, 11)], [[(30.2, 10.2), (30.4, 10.2), (30.4, 10.4)]]
    )
    multi = shapely.MultiPolygon([box(32, 10, 33, 11), box(34, 10, 35, 11)])
    p = _write(tmp_path, "a_2024-01-01.geojson", [poly, multi], [{"k": 1}, {"k": None}])
    doc = json.loads(p.read_text())
    doc["features"].append({"type": "Feature", "properties": None, "geometry": None})
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    p.write_text(json.dumps(doc))
    fast, gdal = read_layer(p), pyogrio.read_dataframe(p)
    assert len(fast) == 3 and fast.geometry.iloc[2] is None
    assert shapely.equals_exact(fast.geometry.values[:2], gdal.geometry.values[:2], 0).all()
    # Web Mercator: GDAL reads and reprojects it
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    doc["features"] = [{"type": "Feature", "properties": {}, "geometry": mapping(
        box(3339584.7, 1118889.97, 3450904.5, 1232106.8))}]  # fmt: skip
    p.write_text(json.dumps(doc))
    back = read_layer(p)
    assert back.crs.to_epsg() == 4326
    assert back.geometry.iloc[0].bounds == pytest.approx((30, 10, 31, 11), abs=1e-3)


def test_same_date_files_and_overlapping_controllers_reported(tmp_path: Path) -> None:
    _write(tmp_path, "front_2023-06-01_v1.geojson", [box(35, 48, 36, 49)], [{"side": "ru"}])
    _write(tmp_path, "front_2023-06-01_v2.geojson", [box(35.5, 48, 37, 49)], [{"side": "ua"}])
    z, warns = _build(
        tmp_path, controller_property="side", mapping=parse_mapping(["ru=russia", "ua=ukraine"])
    )
    assert any("2 files dated 2023-06-01" in w and "combined" in w for w in warns)
    assert any("controllers overlap in 1 snapshot" in w for w in warns)
    assert sorted(z["controller"]) == ["russia", "ukraine"]


def test_rest_actor_also_in_the_layer_is_one_geometry(tmp_path: Path) -> None:
    props = [{"side": "ru"}, {"side": "ua"}]
    for d in ("2023-06-01", "2023-06-02"):
        _write(tmp_path, f"f_{d}.geojson", [box(37, 47, 38, 48), box(36, 47, 37, 48)], props)
    z, _ = _build(
        tmp_path,
        controller_property="side",
        mapping=parse_mapping(["ru=russia", "ua=ukraine"]),
        rest="ukraine",
        within="UA",
    )
    # unchanged days merge; ukraine's layer part and the rest are one geometry per window
    assert sorted(zip(z["controller"], z["snapshots"], strict=True)) == [
        ("russia", 2),
        ("ukraine", 2),
    ]
    ua = z[z.controller == "ukraine"].geometry.iloc[0]
    assert ua.contains(shapely.Point(36.5, 47.5)) and ua.contains(shapely.Point(30.5, 50.45))


def test_rest_within_several_countries(tmp_path: Path) -> None:
    _write(tmp_path, "2023-05-01.geojson", [box(32.4, 15.5, 32.6, 15.7)])  # Khartoum
    actors = tmp_path / "actors.csv"
    actors.write_text("id,label,members,color,aliases\nrsf,RSF,,#c62828,\nsaf,SAF,,#1565c0,\n")
    z, _ = _build(tmp_path, controller="rsf", rest="saf", within="SD, SS", actors=actors)
    rest = z[z.controller == "saf"].geometry.iloc[0]
    assert rest.contains(shapely.Point(31.6, 4.85))  # Juba
    assert not rest.contains(shapely.Point(32.5, 15.6))


def test_thin_pieces_of_the_rest_get_no_zone(tmp_path: Path) -> None:
    """A thin gap between a detailed layer and the coarse outline is not the rest's ground;
    a wide enclave is."""
    strip = box(38.0, 48.0, 39.0, 48.01)  # ~74 km x 1.1 km, surrounded by the layer
    enclave = box(37.0, 47.5, 37.3, 47.8)  # ~22 km x 33 km
    layer = box(36.5, 47.2, 40.5, 49.5).difference(strip).difference(enclave)
    _write(tmp_path, "occupied_2023-02-01.geojson", [layer])
    z, warns = _build(tmp_path, controller="russia", rest="ukraine", within="UA")
    assert any("thin pieces of the rest (up to 1 a snapshot" in w for w in warns)
    rest = z[z.controller == "ukraine"].geometry.iloc[0]
    assert not rest.intersects(strip.buffer(-0.001))
    assert rest.contains(enclave.centroid) and rest.contains(shapely.Point(30.52, 50.45))
    claims = pd.DataFrame(
        {"date": ["2023-02-01"] * 2, "latitude": [48.005, 47.65], "longitude": [38.5, 37.15],
         "claimed_target": ["ukraine"] * 2}
    )  # fmt: skip
    res = check(claims, read_zones(z))
    assert res["verdict"].iloc[0] == "indeterminate"  # in the gap: not called Ukrainian
    assert res["controller"].iloc[1] == "ukraine"
    z0, _ = _build(tmp_path, controller="russia", rest="ukraine", within="UA", sliver_km=0)
    assert z0[z0.controller == "ukraine"].geometry.iloc[0].contains(strip.centroid)


def test_cli_checks_the_output_before_the_work(tmp_path: Path) -> None:
    for out, problem in ((tmp_path / "no" / "z.gpkg", "does not exist"),
                         (tmp_path / "z.shp", "unknown zones extension")):  # fmt: skip
        r = subprocess.run(
            [*ENTRY, "zones", "from-snapshots", str(tmp_path / "missing"), "-o", str(out),
             "--controller", "russia"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert r.returncode == 2 and problem in r.stderr and r.stderr.count("\n") == 1


def test_geodesic_area_and_perimeter_match_pyproj() -> None:
    from geostrike.geodesy import GEOD
    from geostrike.inputs.snapshots import area_perimeter_km

    g = shapely.MultiPolygon(
        [box(30, 45, 32, 47).difference(box(30.5, 45.5, 31, 46)), box(33, 45, 33.1, 45.1)]
    )
    # pyproj sums signed ring areas (orientation matters) and leaves holes out of the
    # perimeter; here every ring counts, whatever its orientation
    a, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(g))
    rings = GEOD.geometry_length(g.boundary)
    assert area_perimeter_km(g) == pytest.approx((abs(a) / 1e6, rings / 1e3), rel=1e-9)
    flipped = shapely.orient_polygons(g, exterior_cw=True)
    assert area_perimeter_km(flipped) == pytest.approx(area_perimeter_km(g), rel=1e-12)


@given(
    st.lists(
        st.dates(min_value=date(2014, 1, 1), max_value=date(2030, 12, 31)),
        min_size=1, max_size=12, unique=True,
    ),
    st.sampled_from(["-", "_"]),
)  # fmt: skip
def test_series_read_one_way(days: list[date], sep: str) -> None:
    """Day-first names in a series with one unambiguous name are all read day-first; a
    series where every name could go either way is refused, never guessed."""
    names = [f"front{d.strftime(f'%d{sep}%m{sep}%Y')}.geojson" for d in days]
    if any(d.day > 12 for d in days):
        assert series_dates(names) == days
    elif any(d.day != d.month for d in days):
        with pytest.raises(InputError, match="day or month first"):
            series_dates(names)
    assert series_dates(names, order="dmy") == days


def test_map_file(tmp_path: Path) -> None:
    _write(tmp_path, "f_2023-06-01.geojson", [box(35, 48, 36, 49)], [{"status": "Occupied"}])
    csv = tmp_path / "map.csv"  # not a map layer: the folder scan leaves it out
    csv.write_text("value,controller\nOccupied,russia\n")
    m = parse_mapping(["liberated=ukraine"], csv)
    assert m == {"liberated": "ukraine", "occupied": "russia"}
    z, _ = _build(tmp_path, controller_property="status", mapping=m)
    assert list(z["controller"]) == ["russia"]
    with pytest.raises(InputError, match="expected VALUE=ACTOR"):
        parse_mapping(["occupied"])


def test_one_folder_per_day(tmp_path: Path) -> None:
    for d, east in (("2024-03-01", 38.0), ("2024-03-02", 38.0), ("2024-03-03", 38.2)):
        (tmp_path / d).mkdir()
        _write(tmp_path / d, "occupied.geojson", [box(east, 47, 39, 48)])
    z, _ = _build(str(tmp_path / "*" / "occupied.geojson"), controller="russia")
    assert [(str(r.valid_from.date()), r.snapshots, r.source) for r in z.itertuples()] == [
        ("2024-03-01", 2, "2024-03-01/occupied.geojson .. 2024-03-02/occupied.geojson"),
        ("2024-03-03", 1, "2024-03-03/occupied.geojson"),
    ]

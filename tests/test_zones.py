"""Reading control zones (CRS, repairs, bad files) and building them from control points."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geostrike.errors import InputError, UnknownActorError
from geostrike.geodesy import GEOD
from geostrike.zones import (
    ZoneWarning,
    read_zones,
    write_zones,
    zones_from_points,
    zones_on,
)


def _zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "controller": ["Daesh", "rebels; Jabhat al-Nusra", "Army of Conquest", "SAA"],
            "valid_from": ["2015-09-01", "2015-09-01", "", "1 September 2015"],
            "valid_to": ["", "2015-10-31", "", ""],
            "source": ["a", "b", "c", "d"],
            "note": ["x", "y", "z", "w"],
        },
        geometry=[
            shapely.box(38, 34, 40, 36),
            shapely.box(36, 34, 37.5, 35.5),
            shapely.box(36, 35.5, 37, 36.5),
            shapely.box(35.5, 32, 38, 34),
        ],
        crs="EPSG:4326",
    )


def test_read_zones_normalises_controllers_dates_and_columns(tmp_path):
    path = tmp_path / "z.geojson"
    _zones().to_file(path, driver="GeoJSON")
    z = read_zones(path)
    assert list(z.columns[:6]) == [
        "zone_id",
        "controller",
        "valid_from",
        "valid_to",
        "source",
        "geometry",
    ]
    assert "note" in z.columns
    assert list(z["controller"]) == [
        "islamic_state",
        "al_nusra;opposition",
        "al_nusra;opposition",
        "government",
    ]
    assert z["valid_from"].iloc[3] == pd.Timestamp("2015-09-01")
    assert pd.isna(z["valid_to"].iloc[0]) and pd.isna(z["valid_from"].iloc[2])
    assert z.crs.equals("EPSG:4326")
    assert list(z["zone_id"]) == ["zone-1", "zone-2", "zone-3", "zone-4"]


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:32637"])
def test_projected_zones_are_reprojected_to_wgs84(tmp_path, crs):
    src = _zones()
    path = tmp_path / "z.gpkg"
    src.to_crs(crs).to_file(path, driver="GPKG")
    z = read_zones(path)
    assert z.crs.equals("EPSG:4326")
    for a, b in zip(z.geometry, src.geometry, strict=True):
        assert a.symmetric_difference(b).area < 1e-9


def test_missing_crs_is_taken_as_wgs84_with_a_warning():
    src = _zones().set_crs(None, allow_override=True)
    with pytest.warns(ZoneWarning, match="no coordinate reference system"):
        z = read_zones(src)
    assert z.crs.equals("EPSG:4326")
    assert z.geometry.iloc[0].equals(shapely.box(38, 34, 40, 36))


def test_bow_tie_is_repaired_and_reported():
    bow = shapely.Polygon([(36, 34), (37, 35), (37, 34), (36, 35), (36, 34)])
    assert not bow.is_valid
    src = gpd.GeoDataFrame({"controller": ["IS"]}, geometry=[bow], crs="EPSG:4326")
    with pytest.warns(ZoneWarning, match="repaired 1 invalid geometry"):
        z = read_zones(src)
    g = z.geometry.iloc[0]
    assert g.is_valid and g.geom_type in ("Polygon", "MultiPolygon")
    assert g.area == pytest.approx(0.5)


def test_non_polygon_rows_are_dropped_with_a_warning():
    src = gpd.GeoDataFrame(
        {"controller": ["IS", "SAA", "SAA"]},
        geometry=[
            shapely.box(0, 0, 1, 1),
            shapely.Point(3, 3),
            shapely.LineString([(0, 0), (1, 1)]),
        ],
        crs="EPSG:4326",
    )
    with pytest.warns(ZoneWarning, match="dropped 2 row"):
        z = read_zones(src)
    assert len(z) == 1
    points_only = src.iloc[1:2]
    with pytest.raises(InputError, match="no Polygon"):
        read_zones(points_only)


def test_bad_zone_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_zones(tmp_path / "missing.gpkg")
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_zones(empty)
    fake = tmp_path / "fake.gpkg"
    fake.write_text("this is not a geopackage\n")
    with pytest.raises(InputError, match="fake.gpkg"):
        read_zones(fake)
    latin = tmp_path / "latin.geojson"
    latin.write_bytes(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"controller":"Kurdish forces","name":"Hasakah é"},"geometry":null}]}'.encode("latin-1")
    )
    with pytest.raises(InputError, match="not UTF-8"):
        read_zones(latin)
    no_ctrl = tmp_path / "noctrl.geojson"
    _zones().drop(columns="controller").to_file(no_ctrl, driver="GeoJSON")
    with pytest.raises(InputError, match="no 'controller' column") as exc:
        read_zones(no_ctrl)
    assert str(no_ctrl) in str(exc.value)
    unknown = tmp_path / "unknown.geojson"
    bad = _zones()
    bad.loc[1, "controller"] = "Martians"
    bad.to_file(unknown, driver="GeoJSON")
    with pytest.raises(UnknownActorError, match="Martians") as exc:
        read_zones(unknown)
    assert str(unknown) in str(exc.value)
    baddate = _zones()
    baddate.loc[0, "valid_from"] = "sometime"
    with pytest.raises(InputError, match="sometime"):
        read_zones(baddate)
    backwards = _zones()
    backwards.loc[1, "valid_from"] = "2016-01-01"
    with pytest.raises(InputError, match="before"):
        read_zones(backwards)
    nogeom = tmp_path / "table.csv"
    nogeom.write_text("controller\nIS\n")
    with pytest.raises(InputError):
        read_zones(nogeom)


def test_zones_on_uses_inclusive_open_windows():
    z = read_zones(_zones())
    assert set(zones_on(z, "2015-10-31")["zone_id"]) == {"zone-1", "zone-2", "zone-3", "zone-4"}
    assert set(zones_on(z, "2015-11-01")["zone_id"]) == {"zone-1", "zone-3", "zone-4"}
    assert set(zones_on(z, "2015-08-31")["zone_id"]) == {"zone-3"}


# ------------------------------------------------------------------ zones from points
def _points() -> pd.DataFrame:
    rows = []
    towns = {
        "A": (35.0, 36.0),
        "B": (35.0, 37.0),
        "C": (34.5, 36.5),
        "D": (35.5, 36.5),
        "E": (34.8, 38.5),
    }
    first = {"A": "rebels", "B": "IS", "C": "regime", "D": "Army of Conquest", "E": "IS"}
    second = dict(first, B="SAA")
    for date, ctrl in (("2015-09-30", first), ("2015-11-05", second)):
        for t, (lat, lon) in towns.items():
            rows.append(
                {"place": t, "latitude": lat, "longitude": lon, "controller": ctrl[t], "date": date}
            )
    return pd.DataFrame(rows)


def test_zones_from_points_dissolve_and_chain_dates():
    z = zones_from_points(_points(), reach_km=None)  # unbounded: cells fill the country
    assert set(z["controller"]) == {
        "opposition",
        "islamic_state",
        "government",
        "al_nusra;opposition",
    }
    first = z[z["valid_from"] == pd.Timestamp("2015-09-30")]
    second = z[z["valid_from"] == pd.Timestamp("2015-11-05")]
    assert (first["valid_to"] == pd.Timestamp("2015-11-04")).all()
    assert second["valid_to"].isna().all()
    # one zone per controller and date, each containing its own towns
    assert first["controller"].is_unique and second["controller"].is_unique
    pts = _points()
    for _, p in pts.iterrows():
        snap = first if p["date"] == "2015-09-30" else second
        holder = snap[snap.contains(shapely.Point(p["longitude"], p["latitude"]))]
        assert len(holder) == 1
    # B and E are held by IS in September: one (multi)polygon
    is_sep = first[first["controller"] == "islamic_state"].geometry.iloc[0]
    assert is_sep.contains(shapely.Point(37.0, 35.0)) and is_sep.contains(shapely.Point(38.5, 34.8))
    # clipped to Syria's outline (the default boundary)
    from geostrike.outlines import country_outline

    syria = country_outline("SY")
    assert shapely.union_all(first.geometry.values).difference(syria.buffer(0.06)).area < 1e-6
    assert shapely.union_all(first.geometry.values).area > 0.9 * syria.area


def test_voronoi_edges_are_geodesic_bisectors_not_lon_lat():
    # at 60°N a degree of longitude is half a degree of latitude: a lon/lat Voronoi would
    # put the edge at the longitude midpoint, far from the true equidistant line
    pts = pd.DataFrame(
        {"latitude": [60.0, 60.0], "longitude": [10.0, 14.0], "controller": ["IS", "SAA"]}
    )
    boundary = shapely.box(8, 58, 16, 62)
    z = zones_from_points(pts, boundary=boundary, reach_km=None)
    west = z[z["controller"] == "islamic_state"].geometry.iloc[0]
    east = z[z["controller"] == "government"].geometry.iloc[0]
    edge = west.intersection(east)
    xy = shapely.get_coordinates(shapely.segmentize(edge, 0.1))
    n = len(xy)
    _, _, d1 = GEOD.inv(np.full(n, 10.0), np.full(n, 60.0), xy[:, 0], xy[:, 1])
    _, _, d2 = GEOD.inv(np.full(n, 14.0), np.full(n, 60.0), xy[:, 0], xy[:, 1])
    assert np.max(np.abs(d1 - d2) / (d1 + d2)) < 0.002
    assert z.geometry.union_all().symmetric_difference(boundary).area < 1e-6


def test_zones_from_points_boundary_file_and_round_trip(tmp_path):
    b = tmp_path / "boundary.geojson"
    gpd.GeoDataFrame({"name": ["box"]}, geometry=[shapely.box(35.5, 34, 39, 36)], crs=4326).to_file(
        b
    )
    src = tmp_path / "points.csv"
    _points().to_csv(src, index=False)
    z = zones_from_points(src, boundary=b, reach_km=None)
    assert z.geometry.union_all().bounds == pytest.approx((35.5, 34, 39, 36))
    for ext in ("gpkg", "geojson", "parquet"):
        out = tmp_path / f"zones.{ext}"
        write_zones(z, out)
        back = read_zones(out)
        assert list(back["controller"]) == list(z["controller"])
        assert back["valid_to"].isna().tolist() == z["valid_to"].isna().tolist()
        assert (back["valid_from"] == z["valid_from"]).all()


def test_zones_from_points_bad_input(tmp_path):
    with pytest.raises(InputError, match="controller"):
        zones_from_points(pd.DataFrame({"latitude": [1.0], "longitude": [1.0]}))
    bad = _points()
    bad.loc[0, "controller"] = "Martians"
    with pytest.raises(UnknownActorError, match="Martians"):
        zones_from_points(bad)
    bad = _points()
    bad.loc[0, "latitude"] = 123.0
    with pytest.raises(InputError, match="latitude"):
        zones_from_points(bad)


def test_no_unexpected_warnings_for_clean_zones():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ZoneWarning)
        read_zones(_zones())


def test_snapshot_zones_with_a_date_column_chain():
    src = gpd.GeoDataFrame(
        {"controller": ["IS", "rebels", "IS"], "date": ["2015-09-30", "2015-09-30", "2015-11-05"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0, 0, 2, 1)],
        crs="EPSG:4326",
    )
    z = read_zones(src)
    assert list(z["valid_to"].iloc[:2]) == [pd.Timestamp("2015-11-04")] * 2
    assert pd.isna(z["valid_to"].iloc[2])
    assert len(zones_on(z, "2015-11-05")) == 1


def test_controller_cells_with_other_separators():
    src = gpd.GeoDataFrame(
        {"controller": ["rebels / al-Nusra", "SAA and YPG", "Army of Conquest"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)],
        crs="EPSG:4326",
    )
    z = read_zones(src)
    assert list(z["controller"]) == [
        "al_nusra;opposition",
        "government;kurdish",
        "al_nusra;opposition",
    ]
    src.loc[0, "controller"] = "rebels / Martians"
    with pytest.raises(UnknownActorError, match="rebels / Martians"):
        read_zones(src)


def test_zones_from_points_geocodes_places():
    pytest.importorskip("geostrike.geocoder")
    pts = pd.DataFrame(
        {"place": ["Ar Raqqah", "Homs", "Idlib"], "controller": ["IS", "SAA", "Army of Conquest"]}
    )
    z = zones_from_points(pts)
    raqqa = z[z["controller"] == "islamic_state"].geometry.iloc[0]
    assert raqqa.contains(shapely.Point(39.0, 35.95))
    assert z["valid_from"].isna().all() and z["valid_to"].isna().all()
    with pytest.raises(InputError, match="not found"):
        zones_from_points(pd.DataFrame({"place": ["Qwxzzy Vvvtt"], "controller": ["IS"]}))


def test_zones_from_points_leave_no_sliver_holes() -> None:
    """Dissolved Voronoi cells share their edges exactly: no hair-thin holes between them."""
    rng = np.random.default_rng(7)
    n = 120
    pts = pd.DataFrame(
        {
            "latitude": rng.uniform(32.5, 37.0, n),
            "longitude": rng.uniform(36.0, 41.5, n),
            "controller": rng.choice(["government", "opposition", "ISIS", "YPG"], n),
        }
    )
    zones = zones_from_points(pts, boundary=shapely.box(35.5, 32.0, 42.0, 37.5), reach_km=None)
    rings = [
        shapely.Polygon(r)
        for g in zones.geometry
        for p in getattr(g, "geoms", [g])
        for r in p.interiors
    ]
    assert not [r for r in rings if r.area < 1e-6], "sliver holes left by the dissolve"
    # the zones still tile the boundary
    assert abs(shapely.union_all(zones.geometry.values).area - 6.5 * 5.5) < 1e-6

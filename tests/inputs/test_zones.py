"""Reading control zones (CRS, repairs, bad files) and building them from control points."""

from __future__ import annotations

import datetime as dt
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import event, given, settings
from hypothesis import strategies as st

from geostrike.errors import GeostrikeError, InputError, UnknownActorError
from geostrike.geodesy import GEOD
from geostrike.inputs.zones import (
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
    from geostrike.places.outlines import country_outline

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
    pytest.importorskip("geostrike.places.geocoder")
    pts = pd.DataFrame(
        {"place": ["Ar Raqqah", "Homs", "Idlib"], "controller": ["IS", "SAA", "Army of Conquest"]}
    )
    z = zones_from_points(pts)
    raqqa = z[z["controller"] == "islamic_state"].geometry.iloc[0]
    assert raqqa.contains(shapely.Point(39.0, 35.95))
    assert z["valid_from"].isna().all() and z["valid_to"].isna().all()
    with pytest.raises(InputError, match="not found"):
        zones_from_points(pd.DataFrame({"place": ["Qwxzzy Vvvtt"], "controller": ["IS"]}))


def test_zones_from_points_names_ambiguous_places_and_every_bad_row():
    # Yemen has two towns called Al Hazm 186 km apart: a control point is never put at a
    # guessed namesake, and the error says why for each bad row, not only the first
    pts = pd.DataFrame(
        {
            "place": ["Marib", "Al Hazm", "Qwxzzy Vvvtt", "Zzqxv Wwq", "Xxqz Yyv", "Qqxz Vvw"],
            "controller": ["Houthis"] * 6,
            "country": ["YE"] * 6,
        }
    )
    with pytest.raises(InputError) as e:
        zones_from_points(pts)
    msg = str(e.value)
    assert "row 2: the place 'Al Hazm' is ambiguous" in msg and "Al Jawf" in msg
    assert "row 3: place 'Qwxzzy Vvvtt' not found" in msg and "row 4:" in msg
    assert "(and 2 more rows)" in msg and "'Place, Region'" in msg and "\n" not in msg
    pts = pts.iloc[:2].assign(place=["Marib", "Al Hazm, Al Jawf"])
    z = zones_from_points(pts)
    assert z.geometry.iloc[0].contains(shapely.Point(44.777, 16.164))


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


# ------------------------------------------------------------------ issue 14 / issue 12
def _ukraine_points() -> pd.DataFrame:
    """Control points of southern and eastern Ukraine in November 2022 (town centres)."""
    rows = [
        ("Kherson", 46.6354, 32.6169, "Ukraine"),
        ("Mykolaiv", 46.9750, 31.9946, "Ukraine"),
        ("Nova Kakhovka", 46.7548, 33.3486, "Russian forces"),
        ("Melitopol", 46.8489, 35.3675, "Russian forces"),
        ("Simferopol", 44.9521, 34.1024, "Russian forces"),
        ("Kupiansk", 49.7106, 37.6156, "Ukraine"),
        ("Izium", 49.2128, 37.2569, "Ukraine"),
        ("Svatove", 49.4102, 38.1536, "Russian forces"),
    ]
    return pd.DataFrame(rows, columns=["place", "latitude", "longitude", "controller"])


def test_reach_keeps_cells_near_their_points_a_crimea_point_pulls_in_no_country() -> None:
    # issue 14.1: a point at Simferopol made the boundary "Ukraine plus all of Russia" and
    # the Ukraine zone 29 million km², overlapping Russia's
    from geostrike.inputs.zones import zone_areas_km2

    with warnings.catch_warnings():
        warnings.simplefilter("error", ZoneWarning)  # nothing implausible
        z = zones_from_points(_ukraine_points())
    area = zone_areas_km2(z.geometry.values)
    cap = z["points"].to_numpy() * np.pi * 40.0**2
    assert (area <= cap * 1.001).all() and (area > 0.3 * cap).all()
    assert (z["reach_km"] == 40.0).all()
    ua = z[z["controller"] == "ukraine"].geometry.iloc[0]
    ru = z[z["controller"] == "russia"].geometry.iloc[0]
    assert ua.intersection(ru).area < 1e-9
    # nothing farther than 40 km (geodesic) from every point
    xy = shapely.get_coordinates(shapely.union_all(z.geometry.values))
    pts = _ukraine_points()
    d = np.min(
        [
            GEOD.inv(np.full(len(xy), lo), np.full(len(xy), la), xy[:, 0], xy[:, 1])[2]
            for la, lo in zip(pts["latitude"], pts["longitude"], strict=True)
        ],
        axis=0,
    )
    assert d.max() < 40_000.5
    # a claim 100 km from every point is on unmapped ground: indeterminate, not joint
    from geostrike.engine.check import check

    claims = pd.DataFrame(
        {
            "date": ["2022-11-20", "2022-11-20"],
            "claimed_target": ["Ukraine", "Ukraine"],
            "latitude": [47.9, 46.64],
            "longitude": [34.9, 32.62],
        }
    )
    res = check(claims, z)
    assert res["verdict"].tolist() == ["indeterminate", "consistent"]
    assert (
        "lay outside every mapped zone on 2022-11-20 (the zones reach at most 40 km from "
        "their control points)" in res["reason"].iloc[0]
    ), res["reason"].iloc[0]
    assert res["controller"].iloc[1] == "ukraine"


def test_unbounded_reach_warns_about_implausible_areas() -> None:
    with pytest.warns(ZoneWarning, match="implausibly large"):
        zones_from_points(_ukraine_points(), reach_km=None)
    with pytest.raises(GeostrikeError, match="reach"):
        zones_from_points(_ukraine_points(), reach_km=float("nan"))


def test_zones_from_points_across_the_antimeridian() -> None:
    # issue 12.6: "Overlay input is mixed-dimension"
    pts = pd.DataFrame(
        {
            "place": ["Anadyr", "Egvekinot", "Provideniya", "Lavrentiya"],
            "latitude": [64.73, 66.32, 64.42, 65.58],
            "longitude": [177.51, -179.12, -173.23, -171.0],
            "controller": ["government", "government", "opposition", "opposition"],
        }
    )
    for boundary in (None, shapely.box(-180, 60, 180, 70)):
        z = zones_from_points(pts, boundary=boundary, reach_km=150)
        b = np.array([g.bounds for g in z.geometry])
        assert (b[:, 0] >= -180).all() and (b[:, 2] <= 180).all()
        gov = z[z["controller"] == "government"].geometry.iloc[0]
        opp = z[z["controller"] == "opposition"].geometry.iloc[0]
        for la, lo, c in zip(pts["latitude"], pts["longitude"], pts["controller"], strict=True):
            assert (gov if c == "government" else opp).contains(shapely.Point(lo, la))
        # the government's ground crosses 180° and is split there, not drawn the other way
        assert not gov.contains(shapely.Point(0.0, 65.0))
        if boundary is not None:  # (on land only, the points below are in the sea)
            assert gov.contains(shapely.Point(179.9, 65.0))
            assert gov.contains(shapely.Point(-179.9, 65.5))
        from geostrike.inputs.zones import zone_areas_km2

        assert zone_areas_km2([gov]).item() < 2 * np.pi * 150**2


def test_unsplit_antimeridian_polygon_is_split_not_a_358_degree_band() -> None:
    # issue 12.6: a polygon from 177°E to 178°W drawn without a split
    fiji = shapely.Polygon([(177, -19), (-178, -19), (-178, -15), (177, -15)])
    z = read_zones(gpd.GeoDataFrame({"controller": ["IS"]}, geometry=[fiji], crs=4326))
    g = z.geometry.iloc[0]
    assert g.contains(shapely.Point(179.5, -17)) and g.contains(shapely.Point(-179.5, -17))
    assert not g.contains(shapely.Point(0, -17)) and not g.contains(shapely.Point(100, -17))
    from geostrike.engine.check import check

    # from Chukotka's Anadyr the zone lies ~7,800 km away, not inside a band round the Earth
    res = check(
        pd.DataFrame(
            {
                "date": ["2020-01-01"],
                "claimed_target": ["IS"],
                "latitude": [64.73],
                "longitude": [177.5],
            }  # fmt: skip
        ),
        z,
    )
    _, _, ref = GEOD.inv(177.5, 64.73, 179.0, -15.0)
    assert res["distance_to_target_km"].iloc[0] == pytest.approx(ref / 1000, rel=0.02)
    band = shapely.Polygon([(0, 80), (180, 80), (180, 89), (-180, 89), (-180, 80), (0, 80)])
    polar = gpd.GeoDataFrame({"controller": ["IS"]}, geometry=[band], crs=4326)
    assert read_zones(polar).geometry.iloc[0].equals(band)  # runs along ±180°: as drawn
    wide = shapely.Polygon([(-170, 0), (170, 0), (10, 5), (-170, 0)])
    with pytest.raises(InputError, match="row 1: polygon spans over 180"):
        read_zones(gpd.GeoDataFrame({"controller": ["IS"]}, geometry=[wide], crs=4326))


def _fc(rows: list[dict], geoms: list | None = None) -> dict:
    geoms = geoms or [
        {"type": "Polygon", "coordinates": [[[44, 13], [45, 13], [45, 14], [44, 14], [44, 13]]]}
    ] * len(rows)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": r, "geometry": g}
            for r, g in zip(rows, geoms, strict=True)
        ],
    }


def _write_json(tmp_path, name: str, obj: dict):
    import json

    p = tmp_path / name
    p.write_text(json.dumps(obj), encoding="utf-8")
    return p


def test_window_end_under_other_names_is_read(tmp_path) -> None:
    # issue 14.2: from/until: `until` was ignored, so zones never expired
    p = _write_json(
        tmp_path,
        "yemen.geojson",
        _fc([{"controller": "Houthis", "From": "2015-04-01", "Until": "2015-12-01"}]),
    )
    z = read_zones(p)
    assert z["valid_to"].iloc[0] == pd.Timestamp("2015-12-01")
    assert len(zones_on(z, "2016-08-13")) == 0
    for a, b in (("start", "end"), ("Begin", "End"), ("start_date", "end_date")):
        q = _write_json(tmp_path, f"{a}.geojson", _fc([{"controller": "IS", a: "2015-01-02",
                                                         b: "2015-02-03"}]))  # fmt: skip
        got = read_zones(q)
        assert (got["valid_from"].iloc[0], got["valid_to"].iloc[0]) == (
            pd.Timestamp("2015-01-02"),
            pd.Timestamp("2015-02-03"),
        )


def test_unused_date_columns_are_refused_and_can_be_named(tmp_path) -> None:
    p = _write_json(
        tmp_path,
        "z.geojson",
        _fc(
            [
                {
                    "controller": "IS",
                    "valid_from": "2015-01-02",
                    "expires": "2015-03-01",
                    "survey_date": "2015-01-01",
                }
            ]
        ),  # fmt: skip
    )
    with pytest.raises(InputError) as exc:
        read_zones(p)
    msg = str(exc.value)
    assert "'survey_date'" in msg and "--from-column/--to-column/--date-column" in msg
    assert "\n" not in msg
    # naming the columns settles it only when nothing date-like is left over
    with pytest.raises(InputError, match="survey_date"):
        read_zones(p, to_column="expires")
    with pytest.raises(InputError, match="no column 'nope'"):
        read_zones(p, to_column="nope")
    q = _write_json(
        tmp_path,
        "ok.geojson",
        _fc([{"controller": "IS", "valid_from": "2015-01-02", "expires": "2015-03-01"}]),
    )
    assert read_zones(q, to_column="expires")["valid_to"].iloc[0] == pd.Timestamp("2015-03-01")
    both = _write_json(
        tmp_path, "both.geojson", _fc([{"controller": "IS", "from": "2015-01-02", "as_of": "x"}])
    )
    with pytest.raises(InputError, match="'from' not used"):
        read_zones(both, date_column="as_of")
    with pytest.raises(InputError, match="both a validity window"):
        read_zones(both, from_column="from", date_column="as_of")


def test_control_points_snapshot_column_as_of_is_never_merged() -> None:
    # issue 14.2: `as_of` was ignored and four snapshots merged into one undated set
    pts = pd.concat(
        [_ukraine_points().assign(as_of=d) for d in ("2022-09-01", "2022-11-15")],
        ignore_index=True,
    )
    pts.loc[pts["as_of"] == "2022-09-01", "controller"] = pts["controller"].where(
        pts["place"] != "Kherson", "Russian forces"
    )
    z = zones_from_points(pts)
    assert sorted(set(z["valid_from"].dt.strftime("%Y-%m-%d"))) == ["2022-09-01", "2022-11-15"]
    sep = zones_on(z, "2022-10-01")
    kherson = shapely.Point(32.6169, 46.6354)
    assert list(sep[sep.contains(kherson)]["controller"]) == ["russia"]
    nov = zones_on(z, "2022-11-20")
    assert list(nov[nov.contains(kherson)]["controller"]) == ["ukraine"]
    with pytest.raises(InputError, match="'valid_to'"):
        zones_from_points(_ukraine_points().assign(as_of="2022-11-15", valid_to="2022-12-01"))
    renamed = zones_from_points(_ukraine_points().assign(seen="2022-11-15"), date_column="Seen")
    assert (renamed["valid_from"] == pd.Timestamp("2022-11-15")).all()


def test_ambiguous_zone_dates_need_an_order(tmp_path) -> None:
    # issue 14.3 on the zones side
    p = _write_json(
        tmp_path,
        "us.geojson",
        _fc([{"controller": "IS", "valid_from": "05/06/2016", "valid_to": "07/08/2016"}]),
    )
    with pytest.raises(InputError) as exc:
        read_zones(p)
    assert str(p) in str(exc.value) and "'valid_from'" in str(exc.value)
    assert "--date-order dmy|mdy" in str(exc.value)
    z = read_zones(p, date_order="mdy")
    assert z["valid_from"].iloc[0] == pd.Timestamp("2016-05-06")
    pts = _ukraine_points().assign(date="05/06/2022")
    with pytest.raises(InputError, match="--date-order"):
        zones_from_points(pts)
    assert (zones_from_points(pts, date_order="dmy")["valid_from"] == "2022-06-05").all()


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2515-10-01", "out of the supported date range"),
        ("9999-12-31", "out of the supported date range"),
        ("1677-09-21", "out of the supported date range"),
        ("2015-09-30 25:61", "is not a date"),
        ("soon", "is not a date"),
    ],
)
def test_bad_zone_dates_name_the_row_and_column(tmp_path, value: str, why: str) -> None:
    # issues 12.4, 12.9, 12.16
    rows = [{"controller": "IS", "valid_from": "2015-01-01"}] * 2
    rows.append({"controller": "IS", "valid_from": value})
    p = _write_json(tmp_path, "z.geojson", _fc(rows))
    with pytest.raises(InputError) as exc:
        read_zones(p)
    msg = str(exc.value)
    assert msg.startswith(f"{p}: row 3: column 'valid_from'") and why in msg, msg
    pts = _ukraine_points().assign(date="2022-11-15")
    pts.loc[2, "date"] = value
    with pytest.raises(InputError, match=f"row 3: column 'date'.*{why}"):
        zones_from_points(pts)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_bad_coordinates_and_crs_are_refused(tmp_path) -> None:
    # issue 12.5: a NaN vertex raised GEOSException from make_valid
    nan = _fc(
        [{"controller": "IS"}, {"controller": "IS"}],
        [
            {"type": "Polygon", "coordinates": [[[44, 13], [45, 13], [45, 14], [44, 13]]]},
            {"type": "Polygon", "coordinates": [[[44, 13], [45, 13], [45, 14], [44, 13]]]},
        ],
    )
    gdf = gpd.GeoDataFrame(
        {"controller": ["IS", "IS"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.Polygon([(0, 0), (1, np.nan), (1, 1)])],
        crs=4326,
    )
    with pytest.raises(InputError, match="row 2: a vertex is not a finite number"):
        read_zones(gdf)
    # issue 12.16: longitudes of 300-400 taken as degrees
    far = nan
    far["features"][1]["geometry"]["coordinates"] = [[[300, 13], [400, 13], [400, 14], [300, 13]]]
    p = _write_json(tmp_path, "far.geojson", far)
    with pytest.raises(InputError, match=r"row 2: coordinates \(300, 13\) are not longitude"):
        read_zones(p)
    eng = gpd.GeoDataFrame(
        {"controller": ["IS"]},
        geometry=[shapely.box(0, 0, 1, 1)],
        crs='LOCAL_CS["unknown",UNIT["metre",1]]',
    )
    with pytest.raises(InputError, match="not a map projection"):
        read_zones(eng)


def test_multi_layer_geopackage_reads_the_polygon_layer(tmp_path) -> None:
    # issue 12.8: geostrike's own export has several layers; the first is not the zones
    p = tmp_path / "export.gpkg"
    pts = gpd.GeoDataFrame({"id": ["c1"]}, geometry=[shapely.Point(44.5, 13.5)], crs=4326)
    pts.to_file(p, layer="claims")
    read_zones(_zones()).drop(columns=["valid_from", "valid_to"]).assign(
        valid_from="2015-09-01"
    ).to_file(p, layer="zones")
    with pytest.warns(ZoneWarning, match="reading the polygon layer 'zones'"):
        z = read_zones(p)
    assert len(z) == 4
    with pytest.raises(InputError, match="controller"):
        read_zones(p, layer="claims")  # the layer asked for is read
    # a second polygon layer without controllers (precision areas) is not a candidate
    gpd.GeoDataFrame({"id": ["c1"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326).to_file(
        p, layer="precision_areas"
    )
    with pytest.warns(ZoneWarning, match="reading the polygon layer 'zones'"):
        assert len(read_zones(p)) == 4
    read_zones(_zones()).assign(valid_from="2015-09-01", valid_to="").to_file(p, layer="more")
    with pytest.raises(
        InputError, match=r"2 polygon layers \(zones, more\); pick one with --layer"
    ):
        read_zones(p)
    with pytest.raises(InputError, match="no layer 'nope'"):
        read_zones(p, layer="nope")


def test_overlapping_controllers_are_warned_once_per_pair() -> None:
    # issue 14.7: overlaps silently became joint control
    src = gpd.GeoDataFrame(
        {
            "zone_id": ["a", "b", "c", "d"],
            "controller": ["Houthis", "Yemeni government", "Houthis; AQAP", "AQAP"],
            "valid_from": ["2015-04-01", "2015-04-01", "2015-04-01", "2016-01-01"],
            "valid_to": ["2015-12-31", "2015-12-31", "2015-12-31", ""],
        },
        geometry=[
            shapely.box(44, 13, 45, 14),
            shapely.box(44.5, 13, 45.5, 14),  # overlaps a: warned
            shapely.box(44, 13, 44.2, 13.2),  # inside a but written as joint: not warned
            shapely.box(44, 13, 45, 14),  # same ground as a, other dates: not warned
        ],
        crs=4326,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_zones(src)
    msgs = [str(w.message) for w in caught if issubclass(w.category, ZoneWarning)]
    assert len(msgs) == 1, msgs  # a/b only: c is written as joint, d on other dates
    assert "zones a (houthis) and b (yemen_government) overlap" in msgs[0]
    assert all("\n" not in m for m in msgs)


def test_claims_after_the_last_snapshot_are_indeterminate() -> None:
    # issue 14.7: a claim years after the last snapshot was accepted
    from geostrike.engine.check import check, prepare_zones

    src = gpd.GeoDataFrame(
        {"controller": ["Houthis", "Houthis"], "date": ["2015-09-01", "2016-03-01"]},
        geometry=[shapely.box(44, 13, 45, 14)] * 2,
        crs=4326,
    )
    claims = pd.DataFrame(
        {
            "date": ["2016-04-01", "2019-05-01", "2015-01-01"],
            "claimed_target": ["Houthis"] * 3,
            "latitude": [13.5] * 3,
            "longitude": [44.5] * 3,
        }
    )
    res = check(claims, read_zones(src))
    assert res["verdict"].tolist() == ["consistent", "indeterminate", "indeterminate"]
    reason = res["reason"].iloc[1]
    assert "2019-05-01" in reason and "the last snapshot, 2016-03-01" in reason, reason
    longer = check(claims, prepare_zones(read_zones(src, stale_after_days=5000)))
    assert longer["verdict"].tolist()[:2] == ["consistent", "consistent"]
    undated = gpd.GeoDataFrame({"controller": ["Houthis"]}, geometry=[shapely.box(44, 13, 45, 14)])
    assert check(claims, read_zones(undated.set_crs(4326)))["verdict"].eq("consistent").all()


# ------------------------------------------------------------------ fuzz (issue 12)
_ODD_DATES = st.one_of(
    st.sampled_from(["open", "05/06/2016", "13/01/2016", "01/13/2016", "2015-09-30 25:61",
                     "2015-09-30T23:30-11:00", "2515-10-01", "31/31/2015", "yesterday", "NaN"]),
    st.text(max_size=8),
)  # fmt: skip
_GOOD_DATES = st.one_of(
    st.none(),
    st.just(""),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)).map(str),
)
_GOOD_COORD = st.floats(-170, 170, allow_nan=False)
_ODD_COORD = st.one_of(
    st.floats(-400, 400, allow_nan=False, allow_infinity=False),
    st.sampled_from([float("nan"), float("inf"), 300.0, 400.0, -180.0, 180.0, 179.5, -179.5]),
)


def _mostly(draw: st.DrawFn, good: st.SearchStrategy, odd: st.SearchStrategy) -> object:
    """Usually a well-formed value, sometimes an odd one (so both paths get exercised)."""
    return draw(odd) if draw(st.integers(0, 9)) == 0 else draw(good)


@st.composite
def _fuzz_zone_rows(draw: st.DrawFn) -> list[dict]:
    n = draw(st.integers(1, 4))
    names = draw(
        st.sampled_from([(), ("valid_from", "valid_to"), ("From", "until"), ("as_of",),
                         ("Start", "end"), ("date",), ("valid_from", "survey_date"),
                         ("note",), ("begin", "end_date", "valid_to")])
    )  # fmt: skip
    rows = []
    for _ in range(n):
        x0 = _mostly(draw, _GOOD_COORD, _ODD_COORD)
        y0 = _mostly(draw, st.floats(-80, 80, allow_nan=False), st.just(float("nan")))
        w = draw(st.floats(0.0, 3.0, allow_nan=False))
        x1 = _mostly(draw, st.just(x0 + w), _ODD_COORD)
        kind = draw(st.sampled_from(["polygon"] * 6 + ["point", "bowtie"]))
        if kind == "point":
            coords = [x0, y0]
        elif kind == "bowtie":
            coords = [[[x0, y0], [x1, y0 + 1], [x1, y0], [x0, y0 + 1], [x0, y0]]]
        else:
            coords = [[[x0, y0], [x1, y0], [x1, y0 + 1], [x0, y0 + 1], [x0, y0]]]
        ctrl = st.sampled_from(["IS", "rebels; SAA", "Houthis", "AQAP"])
        row = {"controller": _mostly(draw, ctrl, st.sampled_from(["Martians", "", None]))}
        row.update({c: _mostly(draw, _GOOD_DATES, _ODD_DATES) for c in names})
        row["_geometry"] = {
            "type": "Point" if kind == "point" else "Polygon",
            "coordinates": coords,
        }
        rows.append(row)
    return rows


@settings(max_examples=400, deadline=None)
@given(_fuzz_zone_rows(), st.sampled_from(["csv", "geojson", "frame"]))
def test_fuzz_zone_reader_errors_in_one_line_and_loses_no_row_silently(rows, form) -> None:
    import json
    import tempfile
    from pathlib import Path

    from geostrike.errors import GeostrikeError

    with tempfile.TemporaryDirectory() as tmp:
        props = pd.DataFrame([{k: v for k, v in r.items() if k != "_geometry"} for r in rows])
        geoms = shapely.from_geojson(
            [json.dumps(r["_geometry"]) for r in rows], on_invalid="ignore"
        )
        if form == "csv":  # GDAL reads the geometry of a CSV from its WKT column
            src = Path(tmp) / "z.csv"
            props.assign(WKT=shapely.to_wkt(geoms)).to_csv(src, index=False)
        elif form == "geojson":  # written as is: NaN and 1e300 coordinates included
            feats = [
                {"type": "Feature", "properties": {k: v for k, v in r.items() if k != "_geometry"},
                 "geometry": r["_geometry"]}
                for r in rows
            ]  # fmt: skip
            src = Path(tmp) / "z.geojson"
            src.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
        else:
            src = gpd.GeoDataFrame(props, geometry=geoms, crs=4326)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                z = read_zones(src)
            except GeostrikeError as exc:
                assert "\n" not in str(exc) and str(exc).strip()
                event(f"refused: {type(exc).__name__} {str(exc).split(': ')[-1][:30]}")
                return
    event("read" if len(z) == len(rows) else "read, rows dropped")
    if len(z) < len(rows):
        assert any("dropped" in str(w.message) for w in caught), [str(w.message) for w in caught]
    assert len(z) <= len(rows)
    assert z.geometry.is_valid.all() and not z.geometry.is_empty.any()
    b = np.array([g.bounds for g in z.geometry])
    assert (np.abs(b[:, [0, 2]]) <= 180).all() and (np.abs(b[:, [1, 3]]) <= 90).all()


def test_every_unknown_controller_is_named_in_one_error(tmp_path) -> None:
    # issue 14.6: unknown actors stopped the run one value at a time (zones files too)
    from geostrike.errors import UnknownActorError

    p = tmp_path / "sudan.geojson"
    gpd.GeoDataFrame(
        {
            "controller": ["RSF", "Janjaweed-ish militia", "SAF", "Martians", "Martians"],
            "valid_from": ["2023-05-01"] * 5,
        },
        geometry=[shapely.box(30 + i, 12, 30.9 + i, 13) for i in range(5)],
        crs="EPSG:4326",
    ).to_file(p, driver="GeoJSON")
    with pytest.raises(UnknownActorError) as err:
        read_zones(p)
    text = str(err.value)
    assert "\n" not in text
    assert "2 unknown actors" in text and "'Martians'" in text and "Janjaweed-ish" in text
    assert "4, 5" in text  # the rows of each unknown value
    points = tmp_path / "points.csv"
    points.write_text(
        "place,latitude,longitude,controller\n"
        "Khartoum,15.6,32.5,RSF\nEl Fasher,13.6,25.35,Martians\nPort Sudan,19.6,37.2,Venusians\n"
    )
    with pytest.raises(UnknownActorError, match=r"2 unknown actors.*Martians.*Venusians"):
        zones_from_points(points)


@pytest.mark.parametrize("column", ["last_updated", "updated", "Stand"])
def test_a_date_column_of_any_name_is_never_ignored(tmp_path, column) -> None:
    # found by review: a Yemen file whose only date column was 'last_updated' was read as
    # valid on every date; 'Stand' (German) holds dates under a name nothing recognises
    p = tmp_path / "yemen.geojson"
    gpd.GeoDataFrame(
        {"controller": ["Houthis", "Yemeni government"], column: ["2018-08-01", "2018-08-01"]},
        geometry=[shapely.box(43, 15, 45, 17), shapely.box(45, 14, 47, 16)],
        crs="EPSG:4326",
    ).to_file(p, driver="GeoJSON")
    with pytest.raises(InputError, match=rf"'{column}' not used.*--date-column"):
        read_zones(p)
    got = read_zones(p, date_column=column)
    assert got["valid_from"].dt.strftime("%Y-%m-%d").tolist() == ["2018-08-01"] * 2


def test_undated_zones_are_said_to_hold_on_every_date(tmp_path) -> None:
    p = tmp_path / "undated.geojson"
    gpd.GeoDataFrame(
        {"controller": ["RSF"], "note": ["from a 2023 map"]},
        geometry=[shapely.box(25, 13, 26, 14)],
        crs="EPSG:4326",
    ).to_file(p, driver="GeoJSON")
    with pytest.warns(UserWarning, match="carry no dates; they are taken as valid on every date"):
        read_zones(p)


def test_plain_geojson_zones_are_read_without_gdal_as_gdal_reads_them(tmp_path):
    """Issue 18: a plain WGS84 GeoJSON is read through json + numpy (no pyogrio import for a
    small check); the zones are those GDAL's reader gives, columns, dates and geometries.
    A case from Yemen: Houthi-held Sanaa, government-held Marib, a hole and a null date."""
    import json
    import subprocess
    import sys

    import pyogrio

    sanaa = shapely.Polygon(
        [(43.9, 15.1), (44.5, 15.1), (44.5, 15.6), (43.9, 15.6)],
        [[(44.1, 15.3), (44.2, 15.3), (44.2, 15.4), (44.1, 15.4)]],
    )
    marib = shapely.MultiPolygon(
        [shapely.box(45.0, 15.2, 45.6, 15.7), shapely.box(46, 15, 46.2, 15.1)]
    )
    feats = [
        {
            "type": "Feature",
            "properties": {"controller": c, "valid_from": f, "valid_to": None, "source": "t"},
            "geometry": shapely.geometry.mapping(g),
        }
        for c, f, g in (
            ("ansar_allah", "2015-03-26", sanaa),
            ("yemen_government", "2016-01-01", marib),
        )
    ]
    path = tmp_path / "yemen.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    actors = tmp_path / "actors.csv"
    actors.write_text(
        "id,label,members,color,aliases\nansar_allah,Ansar Allah,,#2e7d32,Houthis\n"
        "yemen_government,Government of Yemen,,#c62828,\n",
        encoding="utf-8",
    )
    fast = read_zones(path, actors=str(actors))
    gdal = read_zones(pyogrio.read_dataframe(path, datetime_as_string=True), actors=str(actors))
    pd.testing.assert_frame_equal(
        pd.DataFrame(fast.drop(columns="geometry")), pd.DataFrame(gdal.drop(columns="geometry"))
    )
    assert shapely.equals_exact(fast.geometry.values, gdal.geometry.values, 0).all()
    code = (
        "import sys\nfrom geostrike.inputs.zones import read_zones\n"
        f"read_zones({str(path)!r}, actors={str(actors)!r})\n"
        "print('pyogrio' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]

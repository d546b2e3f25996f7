"""The verification engine end to end: verdicts, date windows, joint control, CLI."""

from __future__ import annotations

import pickle

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geostrike.check import (
    OUTPUT_COLUMNS,
    check,
    check_frame,
    prepare_zones,
    summary,
)
from geostrike.cli import cli
from geostrike.geodesy import GEOD, reference_distance_km

# Syria-like test map (lon/lat boxes):
#   IS east of 38.5°E; rebels + Nusra (Army of Conquest) in the north-west; rebels in
#   the Homs pocket until 31 Oct 2015, then the government; the government in the south.
IS_BOX = shapely.box(38.5, 34.0, 41.0, 36.5)
POCKET = shapely.box(36.4, 34.6, 37.2, 35.2)
NORTHWEST = shapely.box(36.0, 35.5, 37.0, 36.5)
SOUTH = shapely.box(35.8, 32.5, 38.0, 34.0)


def _zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "controller": ["Daesh", "rebels", "SAA", "Jaysh al-Fatah", "regime forces"],
            "valid_from": ["2015-09-01", "2015-09-01", "2015-11-01", "2015-09-01", "2015-09-01"],
            "valid_to": ["", "2015-10-31", "", "", ""],
            "source": list("abcde"),
        },
        geometry=[IS_BOX, POCKET, POCKET, NORTHWEST, SOUTH],
        crs="EPSG:4326",
    )


def _claims() -> pd.DataFrame:
    rows = [
        # id, date, target, place, lat, lon, precision
        ("inside-is", "2015-10-01", "ISIS", "Raqqa-ish", 35.9, 39.0, "1"),
        ("pocket-sep", "2015-09-30", "Islamic State", "Talbiseh-ish", 34.84, 36.73, "1"),
        ("pocket-nov", "2015-11-05", "Islamic State", "Talbiseh-ish", 34.84, 36.73, "1"),
        ("near-is", "2015-10-01", "IS", "Edge", 35.0, 38.45, ""),
        ("joint", "2015-10-01", "al-Nusra Front", "Jisr-ish", 35.8, 36.3, "1"),
        ("terrorists", "2015-10-01", "terrorists", "Jisr-ish", 35.8, 36.3, "1"),
        ("nothing-held", "2015-10-01", "Kurdish forces", "Talbiseh-ish", 34.84, 36.73, "1"),
        ("outside", "2015-10-01", "IS", "Desert", 33.0, 39.5, ""),
        ("coarse", "2015-10-01", "IS", "Region", 35.0, 38.2, "3"),
        ("too-early", "2015-08-01", "IS", "Talbiseh-ish", 34.84, 36.73, "1"),
        ("bad-date", "31/31/2015", "IS", "Talbiseh-ish", 34.84, 36.73, "1"),
        ("bad-lat", "2015-10-01", "IS", "Nowhere", 123.0, 36.73, "1"),
        ("no-target", "2015-10-01", "", "Talbiseh-ish", 34.84, 36.73, "1"),
    ]
    df = pd.DataFrame(
        rows,
        columns=["id", "date", "claimed_target", "place", "latitude", "longitude", "precision"],
    )
    df["attacker"] = "Russia"
    df["custom"] = np.arange(len(df))
    return df


@pytest.fixture(scope="module")
def result() -> gpd.GeoDataFrame:
    return check(_claims(), _zones())


def _row(result, cid):
    return result.set_index("id").loc[cid]


def test_columns_order_and_rows(result):
    cols = list(result.columns)
    assert tuple(cols[: len(OUTPUT_COLUMNS)]) == OUTPUT_COLUMNS
    assert cols[len(OUTPUT_COLUMNS) :] == [
        "date",
        "claimed_target",
        "place",
        "precision",
        "attacker",
        "custom",
        "geometry",
    ]
    assert list(result["id"]) == list(_claims()["id"])
    assert list(result["custom"]) == list(range(len(result)))
    assert result.crs.equals("EPSG:4326")


def test_each_verdict(result):
    verdicts = result.set_index("id")["verdict"].to_dict()
    assert verdicts["inside-is"] == "consistent"
    assert verdicts["near-is"] == "consistent"  # 4.6 km from IS ground, tolerance 5 km
    assert verdicts["pocket-sep"] == "inconsistent"
    assert verdicts["nothing-held"] == "inconsistent"
    assert verdicts["outside"] == "indeterminate"
    assert verdicts["coarse"] == "indeterminate"
    assert verdicts["too-early"] == "indeterminate"
    assert verdicts["no-target"] == "indeterminate"
    for cid in ("bad-date", "bad-lat"):
        assert verdicts[cid] == "indeterminate"
        assert _row(result, cid)["status"] == "invalid"


def test_reasons_are_quotable_sentences(result):
    r = _row(result, "pocket-sep")
    d = r["distance_to_target_km"]
    assert r["reason"] == (
        f"Talbiseh-ish was held by Syrian opposition on 2015-09-30; the nearest Islamic State "
        f"territory was {d:.0f} km ({d / 1.609344:.0f} mi) away."
    )
    assert "Kurdish forces held no territory" in _row(result, "nothing-held")["reason"]
    assert "No control-zone data covers 2015-08-01" in _row(result, "too-early")["reason"]
    assert "too coarse" in _row(result, "coarse")["reason"]
    assert "31/31/2015" in _row(result, "bad-date")["reason"]
    assert "outside [-90, 90]" in _row(result, "bad-lat")["reason"]
    assert all(s.endswith(".") for s in result["reason"])


def test_date_windows_same_place_two_controllers(result):
    sep, nov = _row(result, "pocket-sep"), _row(result, "pocket-nov")
    assert sep["controller"] == "opposition"
    assert nov["controller"] == "government"
    assert sep["verdict"] == nov["verdict"] == "inconsistent"
    assert "government" in nov["reason"].lower()


def test_joint_control_and_actor_sets(result):
    joint = _row(result, "joint")
    assert joint["controller"] == "al_nusra;opposition"
    assert joint["target"] == "al_nusra"
    assert joint["verdict"] == "consistent" and joint["distance_to_target_km"] == 0
    terr = _row(result, "terrorists")
    assert terr["target"] == "al_nusra;islamic_state"
    assert terr["verdict"] == "consistent"


def test_distance_matches_geographiclib_and_nearest_point(result):
    for cid, poly in (("pocket-sep", IS_BOX), ("near-is", IS_BOX), ("outside", IS_BOX)):
        r = _row(result, cid)
        ref = reference_distance_km(r["latitude"], r["longitude"], poly)
        assert abs(r["distance_to_target_km"] - ref) <= max(1e-3, 1e-4 * ref)
        _, _, d = GEOD.inv(
            r["longitude"],
            r["latitude"],
            r["nearest_target_longitude"],
            r["nearest_target_latitude"],
        )
        assert d / 1000 == pytest.approx(r["distance_to_target_km"], abs=2e-3)
        on_edge = shapely.Point(r["nearest_target_longitude"], r["nearest_target_latitude"])
        assert IS_BOX.boundary.distance(on_edge) < 1e-6
    inside = _row(result, "inside-is")
    assert inside["distance_to_target_km"] == 0.0
    assert pd.isna(_row(result, "nothing-held")["distance_to_target_km"])


def test_unlocated_rows_have_empty_geometry(result):
    bad = _row(result, "bad-lat")
    assert bad["geometry"].is_empty
    assert np.isnan(bad["latitude"])
    assert not _row(result, "inside-is")["geometry"].is_empty


def test_tolerance_widens_consistency():
    claims = _claims()
    strict = check(claims, _zones(), tolerance_km=0.0).set_index("id")
    assert strict.loc["near-is", "verdict"] == "indeterminate"  # outside every zone, 4.6 km off
    loose = check(claims, _zones(), tolerance_km=200.0).set_index("id")
    assert loose.loc["pocket-sep", "verdict"] == "consistent"


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:32637"])
def test_projected_zones_give_the_same_answers(result, crs):
    other = check(_claims(), _zones().to_crs(crs))
    assert list(other["verdict"]) == list(result["verdict"])
    assert np.allclose(
        other["distance_to_target_km"].fillna(-1),
        result["distance_to_target_km"].fillna(-1),
        atol=2e-3,
    )


def test_claims_as_geodataframe_and_path(tmp_path, result):
    df = _claims()
    gdf = gpd.GeoDataFrame(
        df.drop(columns=["latitude", "longitude"]),
        geometry=gpd.points_from_xy(df["longitude"], df["latitude"]),
        crs="EPSG:4326",
    ).iloc[:9]
    out = check(gdf, _zones())
    assert list(out["verdict"]) == list(result["verdict"].iloc[:9])
    claims_path = tmp_path / "claims.csv"
    df.to_csv(claims_path, index=False)
    zones_path = tmp_path / "zones.gpkg"
    _zones().to_file(zones_path)
    out = check(claims_path, zones_path)
    assert list(out["verdict"]) == list(result["verdict"])


def test_check_frame_over_chunks_matches_whole(result):
    prepared = prepare_zones(_zones())
    clone = pickle.loads(pickle.dumps(prepared))  # broadcast to workers
    claims = _claims()
    parts = [
        check_frame(claims.iloc[:5], prepared),
        check_frame(claims.iloc[5:].reset_index(drop=True), clone, id_start=6),
    ]
    whole = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(
        pd.DataFrame(whole.drop(columns="geometry")),
        pd.DataFrame(result.drop(columns="geometry")),
    )


def test_summary_line(result):
    line = summary(result)
    assert line.startswith("13 claims: ok 11, unresolved 0, invalid 2;")
    assert "consistent 4" in line and "inconsistent 3" in line and "indeterminate 6" in line


# ------------------------------------------------------------------------------ CLI
@pytest.fixture()
def files(tmp_path):
    claims = tmp_path / "claims.csv"
    _claims().to_csv(claims, index=False)
    zones = tmp_path / "zones.geojson"
    _zones().to_file(zones, driver="GeoJSON")
    return tmp_path, claims, zones


def test_cli_check_prints_table_and_summary(files):
    _, claims, zones = files
    res = CliRunner().invoke(cli, ["check", str(claims), "--zones", str(zones)])
    assert res.exit_code == 0, res.output
    assert "pocket-sep" in res.output and "inconsistent" in res.output
    assert "13 claims: ok 11" in res.output


@pytest.mark.parametrize("ext", ["csv", "geojson", "gpkg", "parquet"])
def test_cli_check_writes_by_extension(files, ext):
    tmp, claims, zones = files
    out = tmp / f"out.{ext}"
    res = CliRunner().invoke(cli, ["check", str(claims), "--zones", str(zones), "-o", str(out)])
    assert res.exit_code == 0, res.output
    if ext == "csv":
        back = pd.read_csv(out)
    elif ext == "parquet":
        back = gpd.read_parquet(out)
    else:
        import pyogrio

        layers = [name for name, _ in pyogrio.list_layers(out)]
        layer = "strikes" if "strikes" in layers else layers[0]
        back = gpd.read_file(out, layer=layer)
    assert len(back) == 13
    assert "verdict" in back.columns
    assert [p.name for p in tmp.iterdir() if p.name.startswith(".")] == []  # no temp left


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_cli_missing_crs_warning_is_printed(files):
    tmp, claims, _ = files
    zones = tmp / "nocrs.gpkg"
    _zones().set_crs(None, allow_override=True).to_file(zones)
    res = CliRunner().invoke(cli, ["check", str(claims), "--zones", str(zones)])
    assert res.exit_code == 0, res.output
    assert "warning" in res.output and "taken as WGS84" in res.output


def _one_line_error(res, *needles):
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("geostrike: error:"), res.output
    for n in needles:
        assert n in lines[0]
    assert "Traceback" not in res.output


def test_cli_bad_inputs_exit_2_with_one_line(files):
    tmp, claims, zones = files
    run = lambda *a: CliRunner().invoke(cli, list(a))  # noqa: E731
    _one_line_error(run("check", str(tmp / "nope.csv"), "--zones", str(zones)), "nope.csv")
    empty = tmp / "empty.csv"
    empty.write_text("")
    _one_line_error(run("check", str(empty), "--zones", str(zones)), "empty")
    nocol = tmp / "nocol.csv"
    nocol.write_text("date,place\n2015-09-30,Homs\n")
    _one_line_error(run("check", str(nocol), "--zones", str(zones)), "claimed_target")
    latin = tmp / "latin.csv"
    latin.write_bytes("date,claimed_target,place\n2015-09-30,IS,Hama é\n".encode("latin-1"))
    _one_line_error(run("check", str(latin), "--zones", str(zones)), "UTF-8")
    fake = tmp / "fake.gpkg"
    fake.write_text("hello")
    _one_line_error(run("check", str(claims), "--zones", str(fake)), "fake.gpkg")
    noctrl = tmp / "noctrl.geojson"
    _zones().drop(columns="controller").to_file(noctrl, driver="GeoJSON")
    _one_line_error(run("check", str(claims), "--zones", str(noctrl)), "controller")
    unknown = tmp / "unknown.csv"
    unknown.write_text("date,claimed_target,place\n2015-09-30,Martians,Homs\n")
    _one_line_error(run("check", str(unknown), "--zones", str(zones)), "Martians", "unknown.csv")
    _one_line_error(
        run("check", str(claims), "--zones", str(zones), "-o", str(tmp / "missing" / "o.csv")),
        "does not exist",
    )
    _one_line_error(
        run("check", str(claims), "--zones", str(zones), "-o", str(tmp / "o.xyz")), "extension"
    )


def test_cli_actors_file_extends_table(files):
    tmp, _, zones = files
    actors = tmp / "actors.csv"
    actors.write_text(
        "id,label,members,color,aliases\nmartians,Martian forces,,#ff0000,Martians|little green men\n"
    )
    claims = tmp / "c.csv"
    claims.write_text(
        "date,claimed_target,latitude,longitude\n2015-10-01,little green men,35.9,39.0\n"
    )
    res = CliRunner().invoke(
        cli, ["check", str(claims), "--zones", str(zones), "--actors", str(actors)]
    )
    assert res.exit_code == 0, res.output
    assert "Martian forces held no territory" in res.output or "inconsistent" in res.output


def test_cli_zones_from_points(tmp_path):
    pts = tmp_path / "points.csv"
    pd.DataFrame(
        {
            "latitude": [35.0, 35.0, 34.5, 35.0, 35.0, 34.5],
            "longitude": [36.5, 38.5, 37.5, 36.5, 38.5, 37.5],
            "controller": ["rebels", "IS", "SAA", "SAA", "IS", "SAA"],
            "date": ["2015-09-30"] * 3 + ["2015-11-05"] * 3,
        }
    ).to_csv(pts, index=False)
    out = tmp_path / "zones.gpkg"
    res = CliRunner().invoke(cli, ["zones", "from-points", str(pts), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "5 zones" in res.output
    from geostrike.zones import read_zones

    z = read_zones(out)
    assert len(z) == 5
    assert set(z["valid_to"].dropna()) == {pd.Timestamp("2015-11-04")}
    bad = tmp_path / "bad.csv"
    bad.write_text("latitude,longitude\n1,2\n")
    res = CliRunner().invoke(cli, ["zones", "from-points", str(bad), "-o", str(out)])
    _one_line_error(res, "controller")


# ------------------------------------------------------------------ with the gazetteer
def test_syria_2015_scenario_with_gazetteer(tmp_path):
    pytest.importorskip("geostrike.geocoder")
    from importlib import resources

    from geostrike.zones import zones_from_points

    base = resources.files("geostrike.data") / "scenarios" / "syria-2015"
    zones = zones_from_points(str(base / "control_points.csv"))
    out = check(str(base / "claims.csv"), zones).set_index("id")
    assert (out["status"] == "ok").all()
    # the first day's Homs/Hama strikes were far from Islamic State ground
    for cid in ("ru-0930-talbiseh", "ru-0930-rastan", "ru-0930-latamneh", "ru-0930-kafr-zita"):
        assert out.loc[cid, "verdict"] == "inconsistent"
        assert out.loc[cid, "distance_to_target_km"] > 30
    assert out.loc["ru-0930-talbiseh", "location_source"] == "gazetteer"
    assert out.loc["ru-1001-raqqa-1", "verdict"] == "consistent"
    assert out.loc["ru-1105-morek", "verdict"] == "consistent"
    assert out.loc["ru-0930-northern-homs", "verdict"] == "indeterminate"
    video = out.loc["ru-1001-raqqa-video"]
    assert video["distance_to_stated_place_km"] > 160
    assert "Ar Raqqah" in video["reason"]


def test_unknown_place_is_unresolved_not_dropped():
    pytest.importorskip("geostrike.geocoder")
    claims = pd.DataFrame(
        {
            "date": ["2015-10-01", "2015-10-01"],
            "claimed_target": ["IS", "IS"],
            "place": ["Qwxzzy Vvvtt", "Ar Raqqah"],
        }
    )
    out = check(claims, _zones())
    assert list(out["status"]) == ["unresolved", "ok"]
    assert "Qwxzzy Vvvtt" in out["reason"].iloc[0]
    assert out["verdict"].iloc[0] == "indeterminate"


def test_default_and_reference_indexes_agree():
    from geostrike.geodesy import SegmentIndex

    rng = np.random.default_rng(7)
    n = 400
    claims = pd.DataFrame(
        {
            "date": rng.choice(["2015-09-30", "2015-11-05"], n),
            "claimed_target": rng.choice(["IS", "rebels", "SAA", "Nusra", "terrorists"], n),
            "latitude": rng.uniform(31.0, 38.0, n),
            "longitude": rng.uniform(34.5, 43.0, n),
        }
    )
    fast = check(claims, prepare_zones(_zones()))
    ref = check(claims, prepare_zones(_zones(), index_factory=SegmentIndex.from_polygons))
    assert list(fast["verdict"]) == list(ref["verdict"])
    a = fast["distance_to_target_km"].to_numpy()
    b = ref["distance_to_target_km"].to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    assert np.all(np.abs(a[ok] - b[ok]) <= np.maximum(1e-3, 1e-4 * b[ok]))


def test_geostrike_check_stays_callable_after_importing_the_module():
    import geostrike
    import geostrike.check as module  # the submodule shadows the lazy attribute

    assert module is not None
    out = geostrike.check(_claims().iloc[:2], _zones())
    assert list(out["id"]) == ["inside-is", "pocket-sep"]


def _assert_codes_follow_print(km: list[float]) -> None:
    """Display codes of distances are equal exactly when they print the same text."""
    from geostrike.check import _display_codes
    from geostrike.geodesy import format_km

    km = np.array(km, dtype=float)
    codes = _display_codes(km)
    texts = [format_km(v) if np.isfinite(v) else "" for v in km]
    for i in range(len(km)):
        for j in range(len(km)):
            assert (codes[i] == codes[j]) == (texts[i] == texts[j]), (km[i], km[j])


def test_reasons_print_each_rows_own_miles():
    # 20.2 km and 20.4 km both print "20 km" but 12.6 and 12.7 mi -> "13 mi" / "13 mi";
    # 19.6 km (12.2 mi) and 20.4 km (12.7 mi) print "20 km (12 mi)" and "20 km (13 mi)"
    _assert_codes_follow_print([19.6, 20.4, 20.2, 19.6, 3.21, 3.24, 3.26, np.nan])


def test_reasons_group_rounding_ties_as_printed():
    # 0.35 is stored as 0.34999…: it prints "0.3" although 0.35 * 10 rounds to 4; rows are
    # grouped by how they print, so 0.35 and 0.36 must not share a sentence
    from geostrike.geodesy import KM_PER_MILE

    _assert_codes_follow_print(
        [0.35, 0.36, 0.34, 5.35, 5.36, 5.34, 0.25, 0.15, 10.5, 11.5, 25.5, 26.5, 9.95, 9.949]
        + [0.35 * KM_PER_MILE, 0.45 * KM_PER_MILE, 1e12, 3e12, np.inf, np.nan]
        + [300000000.5, 300000000.3, 2.0**28, 2.0**28 - 0.5, 2.0**29 + 0.5]
    )


def test_reasons_tell_negative_zero_from_zero():
    # never a distance, but the grouping must still follow the printed text
    for km in ([-0.0, 0.0, 0.04, -0.04, 3.0], [-0.0, 0.0, 0.35], [0.0, -5.0, 5.0]):
        _assert_codes_follow_print(km)


def _many_claims(n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(12)
    return pd.DataFrame(
        {
            "id": [f"m{i}" for i in range(n)],
            "date": rng.choice(["2015-09-30", "2015-10-01", "2015-11-05"], n),
            "claimed_target": rng.choice(["ISIS", "rebels", "SAA", "terrorists", ""], n),
            "latitude": rng.uniform(32.5, 37.5, n),
            "longitude": rng.uniform(35.0, 41.0, n),
        }
    )


def _zones_sharing_a_geometry() -> gpd.GeoDataFrame:
    # the same polygon object held by two rows of one window (as pd.concat or iloc[[0, 0]]
    # make): GEOS prepared geometries must then never be queried from two threads at once
    zones = _zones()
    extra = zones.iloc[[0]].assign(controller="Kurdish forces", source="f")
    return gpd.GeoDataFrame(pd.concat([zones, extra], ignore_index=True), crs=zones.crs)


def test_threads_give_the_same_rows_as_one_thread(monkeypatch):
    import geostrike._nearest as nearest

    claims, zones = _many_claims(), _zones_sharing_a_geometry()
    assert zones.geometry.values[0] is zones.geometry.values[5]
    monkeypatch.setattr(nearest, "_threads", lambda n: 1)
    one = check(claims, zones)
    monkeypatch.setattr(nearest, "_threads", lambda n: 2)
    two = check(claims, zones)
    pd.testing.assert_frame_equal(
        pd.DataFrame(one.drop(columns="geometry")), pd.DataFrame(two.drop(columns="geometry"))
    )
    assert shapely.equals(one.geometry.values, two.geometry.values).all()


def test_a_shared_geometry_stays_on_one_thread(monkeypatch):
    import threading

    import geostrike._nearest as nearest
    import geostrike.check as check_module

    calls: list[dict[int, set[int]]] = []  # per containment call: geometry -> threads
    real_test, real_controllers = shapely.intersects_xy, check_module._controllers

    def spy(geom, x, y):
        calls[-1].setdefault(id(geom), set()).add(threading.get_ident())
        return real_test(geom, x, y)

    def controllers(*args, **kwargs):
        calls.append({})
        return real_controllers(*args, **kwargs)

    monkeypatch.setattr(nearest, "_threads", lambda n: 2)
    monkeypatch.setattr(check_module.shapely, "intersects_xy", spy)
    monkeypatch.setattr(check_module, "_controllers", controllers)
    check(_many_claims(), _zones_sharing_a_geometry())
    # within one call the pool's threads live side by side: a geometry seen by two of them
    # could be queried by both at once
    assert any(len({t for ts in c.values() for t in ts}) == 2 for c in calls)  # threads ran
    assert all(len(ts) == 1 for c in calls for ts in c.values())


def test_a_custom_index_is_never_queried_from_two_threads(monkeypatch):
    import threading

    import geostrike._nearest as nearest
    from geostrike.geodesy import SegmentIndex

    busy = {"now": 0, "most": 0}
    lock = threading.Lock()

    class Watched:
        def __init__(self, geoms):
            self.inner = SegmentIndex.from_polygons(geoms)

        def nearest(self, lat, lon):
            with lock:
                busy["now"] += 1
                busy["most"] = max(busy["most"], busy["now"])
            try:
                return self.inner.nearest(lat, lon)
            finally:
                with lock:
                    busy["now"] -= 1

    monkeypatch.setattr(nearest, "_threads", lambda n: 2)
    zones = prepare_zones(_zones(), index_factory=Watched)
    watched = check(_many_claims(), zones)
    assert busy["most"] == 1
    reference = check(_many_claims(), _zones())
    np.testing.assert_allclose(
        watched["distance_to_target_km"], reference["distance_to_target_km"], atol=2e-3
    )


def test_reasons_carry_each_rows_own_place_and_date():
    # sentences are templates filled with the place as written and the date: many distinct
    # places and dates must each reach their own row, and no marker may leak
    rng = np.random.default_rng(7)
    n = 600
    places = np.array([f"Village {k} (east)" for k in range(40)])[rng.integers(0, 40, n)]
    days = pd.Timestamp("2015-09-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    claims = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "claimed_target": rng.choice(["ISIS", "rebels", ""], n),
            "place": places,
            "latitude": rng.uniform(33.0, 37.0, n),
            "longitude": rng.uniform(35.5, 40.0, n),
        }
    )
    claims.loc[::50, "date"] = "not a date"
    out = check(claims, _zones())
    for place, date, reason, status in zip(
        claims["place"], claims["date"], out["reason"], out["status"], strict=True
    ):
        assert "\x00" not in reason
        if status != "ok":
            assert "could not be read" in reason
        elif reason.startswith("No control-zone data"):
            assert reason == f"No control-zone data covers {date}."
        else:
            assert reason.startswith(place) and f" {date}" in reason, reason


# ------------------------------------------- issue 14: places in context, swaps, allies
# Yemen 2015 (lon/lat boxes): Houthis in the north-west highlands and Hodeidah, the
# government in the east; Ukraine 2022: DPR-held Donetsk pocket, Ukrainian-held Kramatorsk.
YE_HOUTHI = shapely.box(42.6, 14.0, 45.0, 17.5)
YE_GOV = shapely.box(45.0, 12.9, 49.5, 16.5)
YE_LAHIJ = shapely.box(44.0, 12.9, 45.0, 14.0)


def _yemen_zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "controller": ["Houthis", "Yemeni government", "Houthis"],
            "valid_from": ["2015-03-01"] * 3,
        },  # fmt: skip
        geometry=[YE_HOUTHI, YE_GOV, YE_LAHIJ],
        crs="EPSG:4326",
    )


def _yemen_claims(places: list[str], target: str = "Houthi positions") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"y{i}" for i in range(len(places))],
            "date": "2015-10-01",
            "claimed_target": target,
            "place": places,
        }
    )


def test_places_are_looked_up_in_the_zones_countries() -> None:
    r = check(
        _yemen_claims(["Al Houta", "Seiyun", "Hodeidah port", "Sanaa airport"]), _yemen_zones()
    )
    assert r["status"].tolist() == ["ok"] * 4
    assert r["verdict"].tolist() == ["consistent", "inconsistent", "consistent", "consistent"]
    assert r["location_name"].iloc[0] == "Laḩij"  # Al Houta, Lahij: not Huta, Ukraine
    assert (r["candidates"] >= 1).all()


def test_a_place_found_only_outside_the_context_is_not_used() -> None:
    r = check(_yemen_claims(["Homs", "Huta"]), _yemen_zones())
    assert r["status"].tolist() == ["unresolved", "unresolved"]
    assert r["verdict"].tolist() == ["indeterminate"] * 2
    assert "found only outside the context (YE" in r["reason"].iloc[0]
    assert "Homs, Homs, SY" in r["reason"].iloc[0]
    # the user's --country (or a 'country' column) settles it
    r2 = check(_yemen_claims(["Homs"]), _yemen_zones(), country="SY")
    assert r2["status"].iloc[0] == "ok" and r2["location_name"].iloc[0] == "Homs"


def test_namesakes_far_apart_make_the_claim_ambiguous() -> None:
    r = check(_yemen_claims(["Al Hazm", "Al Hazm, Al Jawf", "Al Hazm (Al Jawf)"]), _yemen_zones())
    assert r["status"].tolist() == ["ambiguous", "ok", "ok"]
    assert r["verdict"].iloc[0] == "indeterminate"
    reason = r["reason"].iloc[0]
    assert "ambiguous" in reason and "Al Jawf" in reason and "186 km" in reason
    assert r["candidates"].tolist() == [2, 1, 1]
    assert np.isnan(r["latitude"].iloc[0])  # not placed at one of them
    assert "ambiguous 1" in summary(r)


def test_ukrainian_namesakes_are_ambiguous_too() -> None:
    zones = gpd.GeoDataFrame(
        {"controller": ["Russian forces", "Ukraine"], "valid_from": ["2022-03-01"] * 2},
        geometry=[shapely.box(31.0, 45.0, 34.5, 46.8), shapely.box(30.0, 46.8, 34.5, 48.0)],
        crs="EPSG:4326",
    )
    claims = pd.DataFrame(
        {"date": ["2022-09-01"], "claimed_target": ["ЗСУ"], "place": ["Novofedorivka"]}
    )
    r = check(claims, zones)
    assert r["status"].iloc[0] == "ambiguous" and r["candidates"].iloc[0] == 3
    assert "Mykolaiv" in r["reason"].iloc[0] and "Kherson" in r["reason"].iloc[0]


def test_russian_forces_claim_is_consistent_where_dpr_forces_hold() -> None:
    donetsk = shapely.box(37.6, 47.9, 38.1, 48.2)
    kramatorsk = shapely.box(37.3, 48.6, 37.8, 48.9)
    zones = gpd.GeoDataFrame(
        {"controller": ["DPR", "Ukrainian forces"], "valid_from": ["2022-03-01"] * 2},
        geometry=[donetsk, kramatorsk],
        crs="EPSG:4326",
    )
    claims = pd.DataFrame(
        {
            "date": ["2022-06-01"] * 2,
            "claimed_target": ["Russian forces", "Russian occupiers"],
            "latitude": [48.0, 48.75],
            "longitude": [37.8, 37.55],
        }
    )
    r = check(claims, zones)
    assert r["verdict"].tolist() == ["consistent", "inconsistent"]
    assert r["controller"].iloc[0] == "russia_occupied"


def test_swapped_latitude_longitude_is_flagged_not_corrected() -> None:
    claims = pd.DataFrame(
        {
            "id": ["swapped", "fine", "far"],
            "date": "2015-10-01",
            "claimed_target": "Houthis",
            "latitude": [44.2, 15.35, 10.0],  # first: Sanaa with lat and lon swapped
            "longitude": [15.35, 44.2, 10.0],
        }
    )
    with pytest.warns(UserWarning, match=r"lat/lon may be swapped in 1 claim\(s\) \(rows 1\)"):
        r = check(claims, _yemen_zones())
    assert r["latitude"].iloc[0] == 44.2  # not moved
    assert r["verdict"].iloc[0] == "indeterminate"
    assert "latitude and longitude may be swapped" in r["reason"].iloc[0]
    assert "held by Houthis" in r["reason"].iloc[0]
    assert "swapped" not in r["reason"].iloc[1] and "swapped" not in r["reason"].iloc[2]


def test_check_cli_country_option(tmp_path) -> None:
    zones = tmp_path / "zones.geojson"
    _yemen_zones().to_file(zones, driver="GeoJSON")
    claims = tmp_path / "claims.csv"
    _yemen_claims(["Homs"], target="Houthis").to_csv(claims, index=False)
    out = CliRunner().invoke(cli, ["check", str(claims), "--zones", str(zones)])
    assert out.exit_code == 0 and "unresolved 1" in out.output
    out = CliRunner().invoke(cli, ["check", str(claims), "--zones", str(zones), "--country", "SY"])
    assert out.exit_code == 0 and "ok 1" in out.output
    bad = CliRunner().invoke(
        cli, ["check", str(claims), "--zones", str(zones), "--country", "Syria"]
    )
    assert bad.exit_code == 2 and "ISO 3166-1" in bad.output


def test_yemeni_places_of_the_issue_are_located_or_flagged() -> None:
    r = check(
        _yemen_claims(["Al Jawf", "Sahar, Saada", "Sanaban (Dhamar)", "Say'un"]), _yemen_zones()
    )
    # Al Jawf: the governorate or a town in Abyan, never Libya's Al Jawf
    assert r["status"].tolist() == ["ambiguous", "unresolved", "unresolved", "ok"]
    assert "Jawf al Maqbābah (Abyan, YE)" in r["reason"].iloc[0]
    assert "LY" not in r["reason"].iloc[0]
    only_ye = check(_yemen_claims(["Al Jawf"]), _yemen_zones(), country="YE")
    assert "Al Jawf (YE first-level division)" in only_ye["reason"].iloc[0]
    # the qualifier is kept: the gazetteer's only Sahar is in Sanaa, and the reason says so
    assert "no 'Sahar' in or within 50 km of 'Saada'" in r["reason"].iloc[1]
    assert "Saḩar (Sanaa, YE)" in r["reason"].iloc[1]
    assert "'Sanaban (Dhamar)' was not found in the gazetteer" in r["reason"].iloc[2]


def test_map_and_export_take_country_and_warn_in_one_line(tmp_path) -> None:
    zones = tmp_path / "zones.geojson"
    _yemen_zones().to_file(zones, driver="GeoJSON")
    claims = tmp_path / "claims.csv"
    pd.DataFrame(
        {
            "date": ["2015-10-01", "2015-10-01"],
            "claimed_target": ["Houthis", "Houthis"],
            "place": ["Homs", ""],
            "latitude": ["", "44.2"],
            "longitude": ["", "15.35"],
        }
    ).to_csv(claims, index=False)
    for cmd, out in (("map", "m.html"), ("export", "e.gpkg")):
        args = [cmd, str(claims), "--zones", str(zones), "-o", str(tmp_path / out)]
        r = CliRunner().invoke(cli, [*args, "--country", "YE,SY"])
        assert r.exit_code == 0, r.output
        lines = [ln for ln in r.output.splitlines() if "swapped" in ln]
        assert lines == [
            "geostrike: warning: lat/lon may be swapped in 1 claim(s) (rows 2): outside every"
            " zone as given, inside one with latitude and longitude swapped; not corrected"
        ], r.output

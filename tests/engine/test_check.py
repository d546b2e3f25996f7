"""The verification engine end to end: verdicts, date windows, joint control, CLI."""

from __future__ import annotations

import contextlib
import pickle

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geostrike.cli import cli
from geostrike.engine.check import (
    OUTPUT_COLUMNS,
    check,
    check_frame,
    prepare_zones,
)
from geostrike.geodesy import GEOD, reference_distance_km
from geostrike.render.table import summary

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
    # the map never shows Kurdish forces holding ground: it cannot disprove the claim
    assert verdicts["nothing-held"] == "indeterminate"
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
    assert "show Kurdish forces holding ground on no date" in _row(result, "nothing-held")["reason"]
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


def test_few_valued_columns_are_categoricals_of_every_value(result):
    """Issue 18: status, verdict and location source are one byte a row (categoricals),
    each with all its possible values as categories, so that the results of a file's
    chunks concatenate as one categorical (test above) and writers format each value once."""
    from geostrike.engine.judge import VERDICTS
    from geostrike.inputs.claims import STATUSES

    expected = {
        "status": sorted(STATUSES),
        "verdict": sorted(VERDICTS),
        "location_source": ["gazetteer", "given"],
    }
    for column, values in expected.items():
        dtype = result[column].dtype
        assert isinstance(dtype, pd.CategoricalDtype), column
        assert list(dtype.categories) == values, column
        assert result[column].cat.codes.dtype == np.int8
    assert result["status"].eq("ok").sum() == 11
    # no source where no location (missing, as before: None then, NaN in a categorical)
    assert result["location_source"].isna().eq(result["latitude"].isna()).all()
    assert result["verdict"].astype(object).isin(VERDICTS).all()


def test_summary_line(result):
    line = summary(result)
    assert line.startswith("13 claims: ok 11, unresolved 0, invalid 2;")
    assert "consistent 4" in line and "inconsistent 2" in line and "indeterminate 7" in line


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
    from geostrike.inputs.zones import read_zones

    z = read_zones(out)
    assert len(z) == 5
    assert set(z["valid_to"].dropna()) == {pd.Timestamp("2015-11-04")}
    bad = tmp_path / "bad.csv"
    bad.write_text("latitude,longitude\n1,2\n")
    res = CliRunner().invoke(cli, ["zones", "from-points", str(bad), "-o", str(out)])
    _one_line_error(res, "controller")


# ------------------------------------------------------------------ with the gazetteer
def test_syria_2015_scenario_with_gazetteer(tmp_path):
    pytest.importorskip("geostrike.places.geocoder")
    from importlib import resources

    from geostrike.inputs.zones import zones_from_points

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
    pytest.importorskip("geostrike.places.geocoder")
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
    import geostrike.engine.check as module  # the submodule shadows the lazy attribute

    assert module is not None
    out = geostrike.check(_claims().iloc[:2], _zones())
    assert list(out["id"]) == ["inside-is", "pocket-sep"]


def _assert_codes_follow_print(km: list[float]) -> None:
    """Display codes of distances are equal exactly when they print the same text."""
    from geostrike.engine.reasons import _display_codes
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
    import geostrike.engine.measure as nearest

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
    # what matters is how the zones are dealt out to the pool's tasks: two tasks may run
    # at once, so a geometry in two of them could be queried by two threads together.
    # The tasks are recorded (run one after another by a stand-in pool), so the test does
    # not depend on how the machine's scheduler happens to run real threads (issue 12.17)
    import geostrike.engine.check as check_module
    import geostrike.engine.join as join_module
    import geostrike.engine.measure as nearest

    calls: list[dict[int, set[int]]] = []  # per containment call: geometry -> tasks
    task = {"now": -1}
    real_test, real_controllers = shapely.intersects_xy, check_module._controllers

    class Pool:
        def __init__(self, workers):
            self.workers = workers

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, fn, items):
            out = []
            for item in items:
                task["now"] += 1
                out.append(fn(item))
            return iter(out)

    def spy(geom, x, y):
        calls[-1].setdefault(id(geom), set()).add(task["now"])
        return real_test(geom, x, y)

    def controllers(*args, **kwargs):
        calls.append({})
        return real_controllers(*args, **kwargs)

    monkeypatch.setattr(nearest, "_threads", lambda n: 2)  # explicit: not the load average
    monkeypatch.setattr(check_module, "ThreadPoolExecutor", Pool)
    monkeypatch.setattr(join_module, "ThreadPoolExecutor", Pool)  # where _controllers lives
    monkeypatch.setattr(check_module.shapely, "intersects_xy", spy)
    monkeypatch.setattr(check_module, "_controllers", controllers)
    check(_many_claims(), _zones_sharing_a_geometry())
    assert any(len({t for ts in c.values() for t in ts}) == 2 for c in calls)  # two tasks
    assert all(len(ts) == 1 for c in calls for ts in c.values())


def test_a_custom_index_is_never_queried_from_two_threads(monkeypatch):
    import threading

    import geostrike.engine.measure as nearest
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


def test_check_date_order_keyword() -> None:
    # issue 14.3: "05/06/2016" is refused unless the order is given
    from geostrike.errors import InputError

    zones = gpd.GeoDataFrame(
        {"controller": ["Houthis"], "valid_from": ["2016-05-01"], "valid_to": ["2016-05-31"]},
        geometry=[shapely.box(44, 13, 45, 14)],
        crs=4326,
    )
    claims = pd.DataFrame(
        {
            "date": ["05/06/2016"],
            "claimed_target": ["Houthis"],
            "latitude": [13.5],
            "longitude": [44.5],
        }  # fmt: skip
    )
    with pytest.raises(InputError, match="--date-order"):
        check(claims, zones)
    assert check(claims, zones, date_order="mdy")["verdict"].tolist() == ["consistent"]
    assert check(claims, zones, date_order="dmy")["verdict"].tolist() == ["indeterminate"]


# ---------------------------------------------------------------- hardening (issue 12)
# A case from another war: Yemen, Houthi-held north and government-held south (boxes).
YEMEN_NORTH = shapely.box(42.0, 15.0, 46.0, 18.0)
YEMEN_SOUTH = shapely.box(42.0, 12.0, 46.0, 15.0)


def _yemen_zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "controller": ["Houthis", "Yemeni government"],
            "valid_from": ["2020-01-01", "2020-01-01"],
            "valid_to": ["2022-12-31", "2022-12-31"],
            "source": "test",
        },
        geometry=[YEMEN_NORTH, YEMEN_SOUTH],
        crs="EPSG:4326",
    )


def _yemen_claims() -> pd.DataFrame:
    """Claims with columns of their own named like result columns."""
    return pd.DataFrame(
        {
            "id": ["y1", "y2", "y3"],
            "date": ["2021-03-01", "2021-03-01", "2021-03-02"],
            "claimed_target": ["Ansar Allah", "Houthis", "Houthis"],
            "latitude": ["15.35", "13.0", "16.9"],
            "longitude": ["44.2", "44.0", "43.6"],
            "target": ["ammunition depot", "radar site", ""],
            "controller": ["Ansar Allah (local sources)", "", "Houthis (per SOHR)"],
            "status": ["reported", "disputed", ""],
            "Verdict": ["mine", "", ""],
            "geometry": ["POINT (44.2 15.35)", "", ""],
            "_my_flag": ["a", "b", "c"],
        }
    )


KEPT = {
    "target": "input_target",
    "controller": "input_controller",
    "status": "input_status",
    "Verdict": "input_Verdict",
    "geometry": "input_geometry",
    "_my_flag": "_my_flag",
}


def _assert_kept(result: pd.DataFrame, claims: pd.DataFrame) -> None:
    for old, new in KEPT.items():
        got = result[new].fillna("").astype(str).tolist()
        assert got == claims[old].tolist(), (old, new)
    assert result["target"].tolist() == ["houthis"] * 3  # the check's own columns
    assert result["controller"].tolist() == ["houthis", "yemen_government", "houthis"]


def test_input_columns_named_like_result_columns_are_kept_renamed() -> None:
    claims = _yemen_claims()
    with pytest.warns(UserWarning, match="kept as 'input_target'") as caught:
        result = check(claims, _yemen_zones())
    assert sum("kept as" in str(w.message) for w in caught) == 1  # said once
    _assert_kept(result, claims)
    assert list(result.columns[: len(OUTPUT_COLUMNS)]) == list(OUTPUT_COLUMNS)


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".gpkg", ".geojson"])
def test_input_columns_survive_every_output_format(tmp_path, ext) -> None:
    import pyogrio

    claims = _yemen_claims()
    src, zpath = tmp_path / "claims.csv", tmp_path / "zones.gpkg"
    claims.to_csv(src, index=False)
    _yemen_zones().to_file(zpath, driver="GPKG")
    out = tmp_path / f"out{ext}"
    res = CliRunner().invoke(cli, ["check", str(src), "--zones", str(zpath), "-o", str(out)])
    assert res.exit_code == 0, res.output
    if ext == ".csv":
        back = pd.read_csv(out, dtype=str, keep_default_na=False)
    elif ext == ".parquet":
        back = pd.read_parquet(out)
    else:
        layer = {"layer": "strikes"} if ext == ".gpkg" else {}
        back = pyogrio.read_dataframe(out, **layer)
    _assert_kept(back, claims)


def test_a_name_taken_twice_gets_a_number() -> None:
    from geostrike.engine.check import input_names

    names = input_names(["id", "target", "input_target", "STATUS", "fid", "Geom", "notes"])
    assert names == {
        "target": "input_target_2",
        "input_target": "input_target",
        "STATUS": "input_STATUS",
        "fid": "input_fid",
        "Geom": "input_Geom",
        "notes": "notes",
    }
    assert len({n.casefold() for n in names.values()}) == len(names)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 1e308, 1001.0, "x"])
def test_absurd_tolerances_are_refused(bad) -> None:
    from geostrike.errors import InputError

    with pytest.raises(InputError, match="tolerance_km must be a number of km"):
        check(_yemen_claims(), _yemen_zones(), tolerance_km=bad)
    with pytest.raises(InputError, match="coarse_km"):
        check(_yemen_claims(), _yemen_zones(), coarse_km=float("nan"))


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "1e308", "1001"])
def test_cli_refuses_absurd_tolerances_in_one_line(tmp_path, bad) -> None:
    res = CliRunner().invoke(cli, ["check", "c.csv", "--zones", "z.gpkg", f"--tolerance-km={bad}"])
    assert res.exit_code == 2
    assert "--tolerance-km" in res.output and "Traceback" not in res.output


def test_absurd_precisions_and_infinite_coordinates_are_invalid_rows() -> None:
    claims = pd.DataFrame(
        {
            "id": ["p1", "p2", "p3", "p4", "ok"],
            "date": "2021-03-01",
            "claimed_target": "Houthis",
            "latitude": [15.3, 15.3, np.inf, 15.3, 15.3],
            "longitude": [44.2, 44.2, 44.2, -np.inf, 44.2],
            "place": ["", "", "Sanaa", "Sanaa", ""],
            "precision": ["1000000000000000000000", "20001 km", "", "", "20000 km"],
        }
    )
    result = check(claims, _yemen_zones())
    assert result["status"].tolist() == ["invalid"] * 4 + ["ok"]
    assert "is neither an ACLED code" in result["reason"].iloc[0]
    assert "latitude" in result["reason"].iloc[2] and "longitude" in result["reason"].iloc[3]
    assert result["verdict"].iloc[:4].eq("indeterminate").all()
    assert not result["reason"].str.contains("?", regex=False).any()


def test_generated_ids_never_repeat_given_ones_and_repeats_are_marked() -> None:
    claims = _yemen_claims()[["id", "date", "claimed_target", "latitude", "longitude"]]
    claims = pd.concat([claims, claims.iloc[[0]]], ignore_index=True)
    claims["id"] = ["claim-2", "", "y3", "y3"]  # row 2's generated id would be claim-2
    with pytest.warns(UserWarning, match=r"1 id\(s\) are used by more than one row \('y3'\)"):
        result = check(claims, _yemen_zones())
    assert result["id"].tolist() == ["claim-2", "claim-2-2", "y3", "y3"]
    assert result["duplicate_id"].tolist() == [False, False, True, True]


def test_dates_out_of_pandas_range_are_invalid_rows() -> None:
    claims = _yemen_claims()[["id", "date", "claimed_target", "latitude", "longitude"]]
    claims["date"] = ["2515-10-01", "9999-12-31", "1677-09-21"]
    claims.loc[3] = ["fine", "2021-03-01", "Houthis", "15.3", "44.2"]
    result = check(claims, _yemen_zones())
    assert result["status"].tolist() == ["invalid"] * 3 + ["ok"]
    assert result["reason"].iloc[:3].str.contains("outside the dates geostrike can check").all()


@pytest.mark.parametrize("command", ["check", "check-stream", "map", "export"])
def test_out_of_range_dates_through_the_cli(tmp_path, command) -> None:
    import subprocess
    import sys

    claims = pd.DataFrame(
        {
            "id": ["far", "late", "early", "fine"],
            "date": ["2515-10-01", "9999-12-31", "1677-09-21", "2021-03-01"],
            "claimed_target": "Houthis",
            "latitude": "15.3",
            "longitude": "44.2",
        }
    )
    src, zpath = tmp_path / "claims.csv", tmp_path / "zones.gpkg"
    claims.to_csv(src, index=False)
    _yemen_zones().to_file(zpath, driver="GPKG")
    ext = {"map": ".html", "export": ".gpkg"}.get(command, ".csv")
    out = tmp_path / f"out{ext}"
    args = [command.split("-")[0], str(src), "--zones", str(zpath), "-o", str(out)]
    if command == "check-stream":
        args += ["--chunk-size", "2"]
    run = subprocess.run(
        [sys.executable, "-c", "from geostrike.cli import main; main()", *args],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    if ext == ".csv":
        back = pd.read_csv(out, dtype=str, keep_default_na=False)
        assert back["status"].tolist() == ["invalid"] * 3 + ["ok"]
        assert back["reason"].iloc[0].startswith("The date '2515-10-01' is outside")
    elif ext == ".gpkg":
        import pyogrio

        back = pyogrio.read_dataframe(out, layer="strikes")
        assert sorted(back["status"]) == ["invalid"] * 3 + ["ok"]
    else:
        assert "outside the dates geostrike can check" in out.read_text(encoding="utf-8")


# ---------------------------------------------------------------- fuzz (issue 12)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_FUZZ_ZONES = None


def _fuzz_zones():
    global _FUZZ_ZONES
    if _FUZZ_ZONES is None:
        _FUZZ_ZONES = prepare_zones(_yemen_zones())
    return _FUZZ_ZONES


_HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "=1+1",
            "+SUM(A1)",
            "-2",
            "@cmd",
            "\tx",
            "\rx",
            "<script>alert(1)</script>",
            "nan",
            "inf",
            "-inf",
            "1e308",
            "-1e400",
            "NaN",
            "None",
            "null",
            "0x10",
            "1,5",
            "Ansar Allah",
            "Houthis",
            "Yemeni government",
            "Sanaa",
            "Aden",
            "claim-1",
            "claim-2",
            "\u202eevil",
            "a\nb",
            '"quoted"',
            "'",
            "\\",
            "ﷺ",
            "🙂",
        ]
    ),
    st.text(max_size=12),
)
_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=11.0, max_value=19.0).map(lambda v: f"{v:.4f}"),
    st.sampled_from(["", "91", "-181", "1e300", "15,3", " 44.2 ", "abc"]),
)
_DATES = st.one_of(
    st.sampled_from(
        ["2021-03-01", "2021-03-02", "2515-10-01", "9999-12-31", "1677-09-21", "1677-09-22",
         "2262-04-12", "31/31/2021", "2021-02-30", "", "yesterday", "1 March 2021",
         "2021-03-01T23:30-11:00", "2021-03-01 25:61", "0000-00-00"]
    ),
    st.text(max_size=10),
)  # fmt: skip
_TARGETS = st.sampled_from(["Houthis", "Ansar Allah", "Yemeni government", "", "Houthis;AQAP"])
_EXTRA_NAMES = st.sampled_from(
    ["target", "controller", "status", "verdict", "reason", "geometry", "location_name",
     "Status", "FID", "geom", "input_target", "notes", "=x", "_private", " lead", "ünï"]
)  # fmt: skip


@st.composite
def _claims_tables(draw):
    n = draw(st.integers(1, 12))
    extras = draw(st.lists(_EXTRA_NAMES, max_size=4, unique_by=str.casefold))
    header = ["id", "date", "claimed_target", "latitude", "longitude", "precision", *extras]
    rows = []
    for _ in range(n):
        rows.append(
            [
                draw(st.one_of(st.just(""), _HOSTILE_TEXT)),
                draw(_DATES),
                draw(_TARGETS),
                draw(_NUMBERS),
                draw(_NUMBERS),
                draw(st.one_of(st.sampled_from(["", "1", "2", "3", "10 km", "500 m"]), _NUMBERS)),
                *[draw(_HOSTILE_TEXT) for _ in extras],
            ]
        )
    return header, rows


def _csv_text(header, rows) -> str:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])  # CRLF: a CR inside a cell is quoted
    return buf.getvalue()


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(_claims_tables())
def test_fuzz_claims_check_and_csv_output(table) -> None:
    # hostile rows in, every row out with a status, every column kept, no traceback
    import tempfile
    from pathlib import Path

    from geostrike.errors import GeostrikeError
    from geostrike.render.table import write_result

    header, rows = table
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "claims.csv"
        src.write_text(_csv_text(header, rows), encoding="utf-8")
        try:
            with warnings_kept():
                result = check(src, _fuzz_zones())
        except GeostrikeError as exc:
            assert "\n" not in str(exc)
            return
        assert len(result) == len(rows)
        assert set(result["status"]) <= {"ok", "invalid", "unresolved"}
        assert result["reason"].map(lambda r: isinstance(r, str) and r != "").all()
        cols = [str(c) for c in result.columns]
        for name in header[5:]:  # every input column, under its name or input_<name>
            name = name.strip()  # CSV readers trim spaces around header names
            assert name in cols or any(c.startswith(f"input_{name}") for c in cols), name
        bad = result["status"] != "ok"
        assert result.loc[bad, "verdict"].eq("indeterminate").all()
        out = Path(tmp) / "out.csv"
        write_result(result, out)
        back = pd.read_csv(out, dtype=str, keep_default_na=False)
        assert len(back) == len(rows) and list(back.columns) == [
            c for c in result.columns if c != "geometry"
        ]


@contextlib.contextmanager
def warnings_kept():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_fuzz_claims_reader_gives_a_table_or_one_line(data) -> None:
    import tempfile
    from pathlib import Path

    from geostrike.errors import GeostrikeError
    from geostrike.inputs.claims import read_claims

    head = b"id,date,claimed_target,latitude,longitude\n"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "claims.csv"
        src.write_bytes(head + data)
        try:
            with warnings_kept():
                df = read_claims(src)
        except GeostrikeError as exc:
            assert "\n" not in str(exc)
            return
        assert {"id", "date", "claimed_target"} <= set(df.columns)


# ------------------------------------------- issue 14: places in context, swaps, allies
# Yemen 2015 (lon/lat boxes): Houthis in the north-west highlands and Hodeidah, the
# government in the east; Ukraine 2022: DPR-held Donetsk pocket, Ukrainian-held Kramatorsk.
YE_HOUTHI = shapely.box(42.6, 14.0, 45.0, 17.5)
YE_GOV = shapely.box(45.0, 12.9, 49.5, 16.5)
YE_LAHIJ = shapely.box(44.0, 12.9, 45.0, 14.0)


def _ye_context_zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "controller": ["Houthis", "Yemeni government", "Houthis"],
            "valid_from": ["2015-09-01"] * 3,  # an open snapshot, one month before the claims
        },  # fmt: skip
        geometry=[YE_HOUTHI, YE_GOV, YE_LAHIJ],
        crs="EPSG:4326",
    )


def _ye_place_claims(places: list[str], target: str = "Houthi positions") -> pd.DataFrame:
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
        _ye_place_claims(["Al Houta", "Seiyun", "Hodeidah port", "Sanaa airport"]),
        _ye_context_zones(),
    )
    assert r["status"].tolist() == ["ok"] * 4
    assert r["verdict"].tolist() == ["consistent", "inconsistent", "consistent", "consistent"]
    assert r["location_name"].iloc[0] == "Laḩij"  # Al Houta, Lahij: not Huta, Ukraine
    assert (r["candidates"] >= 1).all()


def test_a_place_found_only_outside_the_context_is_not_used() -> None:
    r = check(_ye_place_claims(["Homs", "Huta"]), _ye_context_zones())
    assert r["status"].tolist() == ["unresolved", "unresolved"]
    assert r["verdict"].tolist() == ["indeterminate"] * 2
    assert "found only outside the context (YE" in r["reason"].iloc[0]
    assert "Homs, Homs, SY" in r["reason"].iloc[0]
    # the user's --country (or a 'country' column) settles it
    r2 = check(_ye_place_claims(["Homs"]), _ye_context_zones(), country="SY")
    assert r2["status"].iloc[0] == "ok" and r2["location_name"].iloc[0] == "Homs"


def test_namesakes_far_apart_make_the_claim_ambiguous() -> None:
    r = check(
        _ye_place_claims(["Al Hazm", "Al Hazm, Al Jawf", "Al Hazm (Al Jawf)"]), _ye_context_zones()
    )
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
        {"controller": ["DPR", "Ukrainian forces"], "valid_from": ["2022-05-01"] * 2},
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
        r = check(claims, _ye_context_zones())
    assert r["latitude"].iloc[0] == 44.2  # not moved
    assert r["verdict"].iloc[0] == "indeterminate"
    assert "latitude and longitude may be swapped" in r["reason"].iloc[0]
    assert "held by Houthis" in r["reason"].iloc[0]
    assert "swapped" not in r["reason"].iloc[1] and "swapped" not in r["reason"].iloc[2]


def test_coded_reasons_are_the_same_sentences_as_categories() -> None:
    """Issue 18: the stream asks for its reasons as a categorical (each sentence stored and
    formatted once by the writers); the sentences are the texts of the default result,
    row for row, swapped-coordinate notes included, and a category is never repeated."""
    from geostrike.engine.check import check_frame, prepare_zones

    claims = pd.DataFrame(
        {
            "id": ["swapped", "fine", "far", "again", "swapped2"],
            "date": "2015-10-01",
            "claimed_target": "Houthis",
            "latitude": [44.2, 15.35, 10.0, 15.35, 44.21],
            "longitude": [15.35, 44.2, 10.0, 44.2, 15.36],
        }
    )
    prepared = prepare_zones(_ye_context_zones())
    with pytest.warns(UserWarning, match="lat/lon may be swapped in 2"):
        texts = check_frame(claims, prepared)
    with pytest.warns(UserWarning, match="lat/lon may be swapped in 2"):
        coded = check_frame(claims, prepared, coded_reasons=True)
    assert texts["reason"].dtype == object
    assert isinstance(coded["reason"].dtype, pd.CategoricalDtype)
    assert coded["reason"].astype(object).tolist() == texts["reason"].tolist()
    assert coded["reason"].cat.categories.is_unique
    assert coded["reason"].iloc[1] == coded["reason"].iloc[3]  # one sentence, one category
    assert "may be swapped" in coded["reason"].iloc[4]
    pd.testing.assert_frame_equal(
        pd.DataFrame(coded.drop(columns=["reason", "geometry"])),
        pd.DataFrame(texts.drop(columns=["reason", "geometry"])),
    )


def test_check_cli_country_option(tmp_path) -> None:
    zones = tmp_path / "zones.geojson"
    _ye_context_zones().to_file(zones, driver="GeoJSON")
    claims = tmp_path / "claims.csv"
    _ye_place_claims(["Homs"], target="Houthis").to_csv(claims, index=False)
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
        _ye_place_claims(["Al Jawf", "Sahar, Saada", "Sanaban (Dhamar)", "Say'un"]),
        _ye_context_zones(),
    )
    # Al Jawf: the governorate or a town in Abyan, never Libya's Al Jawf
    assert r["status"].tolist() == ["ambiguous", "unresolved", "unresolved", "ok"]
    assert "Jawf al Maqbābah (Abyan, YE)" in r["reason"].iloc[0]
    assert "LY" not in r["reason"].iloc[0]
    only_ye = check(_ye_place_claims(["Al Jawf"]), _ye_context_zones(), country="YE")
    assert "Al Jawf (YE first-level division)" in only_ye["reason"].iloc[0]
    # the qualifier is kept: the gazetteer's only Sahar is in Sanaa, and the reason says so
    assert "no 'Sahar' in or within 50 km of 'Saada'" in r["reason"].iloc[1]
    assert "Saḩar (Sanaa, YE)" in r["reason"].iloc[1]
    assert "'Sanaban (Dhamar)' was not found in the gazetteer" in r["reason"].iloc[2]


def test_map_and_export_take_country_and_warn_in_one_line(tmp_path) -> None:
    zones = tmp_path / "zones.geojson"
    _ye_context_zones().to_file(zones, driver="GeoJSON")
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


def test_a_place_far_from_its_given_coordinates_is_never_named_as_the_point() -> None:
    # found by review (Yemen): 'Sanaa' with Marib's coordinates read "Sanaa was held by the
    # Yemeni government", a false sentence; the point is used and named as a point
    zones = gpd.GeoDataFrame(
        {"controller": ["Houthis", "Yemeni government"], "valid_from": ["2016-03-01"] * 2},
        geometry=[shapely.box(43.0, 14.5, 45.0, 17.0), shapely.box(45.0, 14.5, 47.0, 17.0)],
        crs="EPSG:4326",
    )
    claims = pd.DataFrame(
        {
            "date": "2016-03-15",
            "claimed_target": "Houthis",
            "place": ["Sanaa", "Sanaa"],
            "latitude": [15.46, 15.35],  # Marib's point; Sanaa's
            "longitude": [45.32, 44.21],
        }
    )
    with pytest.warns(UserWarning, match=r"coordinates of 1 claim\(s\) \(rows 1\) lie far"):
        r = check(claims, zones)
    assert r["verdict"].tolist() == ["inconsistent", "consistent"]  # the coordinates decide
    assert r["reason"].iloc[0].startswith("The given point (15.4600, 45.3200), 1")
    assert "from Sanaa as the gazetteer places it" in r["reason"].iloc[0]
    assert not r["reason"].iloc[0].startswith("Sanaa was held")
    assert r["reason"].iloc[1].startswith("Sanaa was held by Houthis")


def test_a_target_the_maps_never_label_is_indeterminate_not_inconsistent() -> None:
    # found by review (Ukraine): zones built from an "occupied = russia" archive never name
    # DPR forces or Wagner; a claim against them is not disproved by that map
    zones = gpd.GeoDataFrame(
        {"controller": ["Russia", "Ukraine"], "valid_from": ["2022-11-01"] * 2},
        geometry=[shapely.box(37.5, 47.5, 39.0, 48.5), shapely.box(36.0, 47.5, 37.5, 49.5)],
        crs="EPSG:4326",
    )
    claims = pd.DataFrame(
        {
            "date": "2022-11-15",
            "claimed_target": ["Wagner", "Ukrainian forces", "Ukrainian forces"],
            "latitude": [48.0, 48.0, 48.0],
            "longitude": [38.0, 38.0, 37.0],
        }
    )
    r = check(claims, zones)
    assert r["verdict"].tolist() == ["indeterminate", "inconsistent", "consistent"]
    assert "show Wagner Group holding ground on no date" in r["reason"].iloc[0]


def test_a_target_holding_nothing_that_day_but_mapped_on_others_is_inconsistent() -> None:
    # the rule the never-mapped case narrows: the map labels the target, which held no
    # ground on the claim's date, while another actor held the place
    zones = gpd.GeoDataFrame(
        {
            "controller": ["Houthis", "Yemeni government", "Houthis"],
            "valid_from": ["2016-01-01", "2016-01-01", "2015-01-01"],
            "valid_to": ["", "", "2015-12-31"],
        },
        geometry=[
            shapely.box(43, 15, 44, 16),
            shapely.box(45, 14, 47, 16),
            shapely.box(45, 14, 47, 16),
        ],
        crs="EPSG:4326",
    )
    claims = pd.DataFrame(
        {"date": "2016-02-01", "claimed_target": ["AQAP", "Houthis"], "latitude": 15.0,
         "longitude": 46.0}
    )  # fmt: skip
    r = check(claims, zones)
    assert r["verdict"].tolist() == ["indeterminate", "inconsistent"]
    assert "holding ground on no date" in r["reason"].iloc[0]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-1, 3), st.integers(-1, 0), st.integers(0, 40), st.just(2)),
        min_size=1,
        max_size=30,
    )
)
def test_combined_codes_group_rows_as_their_tuples(rows):
    """The reason shapes (issue 13): rows get the same code exactly when all their columns
    agree, numbered in order of first appearance (columns holding one value are skipped)."""
    from geostrike.engine.reasons import _combined_codes, _first_rows

    columns = [np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)]
    codes = _combined_codes(columns)
    expected = pd.factorize(pd.Series([tuple(r) for r in rows]))[0]
    np.testing.assert_array_equal(codes, expected)
    np.testing.assert_array_equal(_first_rows(codes), np.unique(expected, return_index=True)[1])


def test_check_of_no_claims_gives_an_empty_result_with_every_column():
    """The Dask engine's schema is the check of an empty frame (issue 13: the reasons'
    one-place, one-date shortcut must hold for no rows at all)."""
    empty = check_frame(_claims().head(0), prepare_zones(_zones()))
    assert len(empty) == 0
    assert list(empty.columns[: len(OUTPUT_COLUMNS)]) == list(OUTPUT_COLUMNS)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.integers(-1, 2**21) for _ in range(4)]),
        min_size=1,
        max_size=25,
    )
)
def test_combined_codes_of_wide_columns_renumber_without_merging(rows):
    """Columns whose combined range overflows one integer (2**88 here): the key is
    renumbered on the way, and rows still share a code exactly when all columns agree."""
    from geostrike.engine.reasons import _combined_codes

    columns = [np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)]
    columns[0][0] = 2**21  # every column spans ~2**21 values: the key must be renumbered
    rows = [tuple(int(c[i]) for c in columns) for i in range(len(rows))]
    codes = _combined_codes(iter(columns))
    np.testing.assert_array_equal(codes, pd.factorize(pd.Series(rows))[0])


def test_a_region_is_described_by_its_centre_not_as_held_whole() -> None:
    """A location known only to within 10 km or more (a region such as "northern Homs")
    is never said to have been held whole by one side: the reason names its precision and
    says who held its centre. A town-level location keeps the plain sentence, and two rows
    alike but for their precision do not share a sentence. Yemen: Houthi-held box north,
    government box south."""
    zones = gpd.GeoDataFrame(
        {"controller": ["houthis", "yemen_government"], "valid_from": ["2016-01-01"] * 2},
        geometry=[shapely.box(43.0, 15.0, 45.0, 17.0), shapely.box(44.0, 12.5, 46.0, 14.0)],
        crs="EPSG:4326",
    )
    claims = pd.DataFrame(
        {
            "id": ["region", "town", "region2"],
            "date": ["2016-03-01"] * 3,
            "claimed_target": ["yemen_government"] * 3,
            "place": ["north of Sanaa", "", "north of Sanaa"],
            "latitude": [15.6, 15.3547, 15.6],
            "longitude": [44.2, 44.2067, 44.2],
            "precision": ["25 km", "2 km", "40 km"],
        }
    )
    r = check(claims, zones).set_index("id")
    assert r.loc["region", "verdict"] == r.loc["town", "verdict"] == "inconsistent"
    assert (
        "north of Sanaa was held at its centre by Houthis on 2016-03-01, a location known only to within 25 km (16 mi);"
        in r.loc["region", "reason"]
    )
    assert "known only to within 40 km" in r.loc["region2", "reason"]
    assert r.loc["town", "reason"].startswith(
        "The reported location was held by Houthis on 2016-03-01;"
    )
    assert ",," not in "".join(r["reason"])


def test_reason_templates_remembered_across_checks_give_the_same_sentences() -> None:
    """Issue 18: a shape's template is written once and remembered (a file checked chunk by
    chunk writes each once); sentences from the memo are those written afresh."""
    import geopandas as gpd
    import shapely

    from geostrike.engine import reasons

    zones = gpd.GeoDataFrame(
        {"controller": ["Houthis", "Saudi-led coalition"], "valid_from": "2016-01-01"},
        geometry=[shapely.box(43.0, 13.0, 45.0, 16.0), shapely.box(45.0, 13.0, 47.0, 16.0)],
        crs="EPSG:4326",
    )
    rng = np.random.default_rng(5)
    claims = pd.DataFrame(
        {
            "date": "2016-02-01",
            "claimed_target": rng.choice(["houthis", "saudi_led_coalition"], 3000),
            "latitude": rng.uniform(12.0, 17.0, 3000),
            "longitude": rng.uniform(42.0, 48.0, 3000),
        }
    )
    reasons._TEMPLATES.clear()
    fresh = check(claims, zones)["reason"].tolist()
    assert reasons._TEMPLATES  # remembered
    parts = [check(claims.iloc[i : i + 700], zones)["reason"].tolist() for i in range(0, 3000, 700)]
    assert [s for p in parts for s in p] == fresh
    # another actor table, other labels: never a remembered sentence with the old words
    import tempfile
    from pathlib import Path

    from geostrike.inputs.actors import load_actors

    with tempfile.TemporaryDirectory() as tmp:
        custom = Path(tmp) / "actors.csv"
        custom.write_text(
            "id,label,members,color,aliases,under\n"
            "houthis,Ansar Allah movement,,#4e342e,Houthis,\n"
            "saudi_led_coalition,the coalition,,#1565c0,Saudi-led coalition,\n",
            encoding="utf-8",
        )
        relabelled = check(claims, zones, actors=load_actors(custom))["reason"].tolist()
    assert any("Ansar Allah movement" in r for r in relabelled)
    assert not any("Houthis" in r for r in relabelled)


def test_a_date_order_block_reaches_check_unless_the_check_gives_its_own() -> None:
    """inputs.claims.date_order's promise ("reaches every parse_dates call of the block"):
    check() given no order used to set its own None over it and refuse 03/04/2016 as
    ambiguous. A case from Yemen's war: a strike on Houthi-held Sanaa."""
    from geostrike.errors import InputError
    from geostrike.inputs.claims import date_order

    zones = gpd.GeoDataFrame(
        {"controller": ["Houthis"], "valid_from": ["2016-01-01"]},
        geometry=[shapely.box(43.9, 15.1, 44.5, 15.6)],
        crs="EPSG:4326",
    )
    claims = pd.DataFrame(
        {
            "id": ["y1"],
            "date": ["03/04/2016"],
            "attacker": ["Saudi-led coalition"],
            "claimed_target": ["Houthis"],
            "latitude": [15.35],
            "longitude": [44.2],
        }
    )
    with date_order("mdy"):
        assert check(claims, zones)["date"].tolist() == ["2016-03-04"]
    with date_order("dmy"):
        assert check(claims, zones)["date"].tolist() == ["2016-04-03"]
        assert check(claims, zones, date_order="mdy")["date"].tolist() == ["2016-03-04"]
    with pytest.raises(InputError, match="date-order"):
        check(claims, zones)


def test_checks_side_by_side_share_one_pause_of_the_collector() -> None:
    """Review of issue 18: the second of two overlapping checks found the collector paused
    by the first and, when the first ended, the collector ran again under the second."""
    import gc
    import threading

    from geostrike.engine.check import _gc_paused

    assert gc.isenabled()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with _gc_paused():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with _gc_paused():
            second_in.set()
            first_out.wait(10)
            seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [False] and gc.isenabled()

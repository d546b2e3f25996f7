"""The flagship demo: Russia's first air strikes in Syria (2015), run end to end, offline.

The demo runs once per module into a temporary folder with every outgoing network
connection refused; the tests then read its computed outputs (the check result, the zones,
the three files) and assert the key findings of the case.
"""

from __future__ import annotations

import socket
import sqlite3

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

from geostrike.demo import STEM, ZONES_LABEL, run_demo, scenario_dir, summarise
from geostrike.places.outlines import country_outline

GEOD = Geod(ellps="WGS84")
HOMS_HAMA = [
    "ru-0930-talbiseh",
    "ru-0930-rastan",
    "ru-0930-zaafaraniyah",
    "ru-0930-latamneh",
    "ru-0930-kafr-zita",
]
RAQQA = ["ru-1001-raqqa-1", "ru-1001-raqqa-2"]


def _ids(value: object) -> set[str]:
    return {p for p in str(value or "").split(";") if p and p != "nan"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Run the demo with the network switched off (any connect() raises)."""
    out = tmp_path_factory.mktemp("demo") / "maps"  # not there yet: the demo creates it

    def _refuse(*args, **kwargs):
        raise OSError("network access attempted during the demo")

    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", _refuse)
    mp.setattr(socket.socket, "connect_ex", _refuse)
    mp.setattr(socket, "create_connection", _refuse)
    try:
        result = run_demo(out)
    finally:
        mp.undo()
    return result


@pytest.fixture(scope="module")
def by_id(demo) -> dict[str, pd.Series]:
    return {str(r["id"]): r for _, r in demo.results.iterrows()}


# --------------------------------------------------------------------------- outputs
def test_three_files_written_and_non_empty(demo):
    for path in (demo.csv, demo.html, demo.gpkg):
        assert path is not None and path.is_file() and path.stat().st_size > 0, path
        assert path.parent == demo.out_dir and path.name.startswith(STEM)
    assert {p.suffix for p in (demo.csv, demo.html, demo.gpkg)} == {".csv", ".html", ".gpkg"}
    # no temporary file left behind by the atomic writers
    assert sorted(p.name for p in demo.out_dir.iterdir()) == sorted(
        p.name for p in (demo.csv, demo.html, demo.gpkg)
    )


def test_csv_has_one_row_per_claim_in_order(demo):
    claims = pd.read_csv(scenario_dir() / "claims.csv")
    table = pd.read_csv(demo.csv)
    assert table["id"].tolist() == claims["id"].tolist()
    assert {"verdict", "reason", "distance_to_target_km", "controller"} <= set(table.columns)
    assert table["verdict"].notna().all()


def test_html_is_offline_and_labels_the_zones(demo):
    text = demo.html.read_text("utf-8")
    assert "not a front-line survey" in text
    for pattern in ('src="http', "src='http", 'href="http://cdn', "unpkg.com", "jsdelivr"):
        assert pattern not in text
    # the time control covers every claim date
    for date in ("2015-09-30", "2015-10-01", "2015-10-02", "2015-11-05"):
        assert date in text


def test_gpkg_layers_and_zone_label(demo):
    layers = {name for name, _ in pyogrio.list_layers(demo.gpkg)}
    assert {"strikes", "control_zones", "target_links"} <= layers
    strikes = pyogrio.read_dataframe(demo.gpkg, layer="strikes")
    assert len(strikes) == len(demo.results)
    zones = pyogrio.read_dataframe(demo.gpkg, layer="control_zones")
    assert len(zones) > 0
    assert zones["source"].astype(str).str.contains("not a front-line survey").all()
    con = sqlite3.connect(demo.gpkg)
    try:
        styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles")}
        (described,) = con.execute(
            "SELECT description FROM gpkg_contents WHERE table_name = 'control_zones'"
        ).fetchone()
    finally:
        con.close()
    assert described == ZONES_LABEL
    assert "strikes" in styled and "control_zones" in styled


# --------------------------------------------------------------------------- findings
@pytest.mark.parametrize("claim_id", HOMS_HAMA)
def test_homs_and_hama_strikes_were_not_in_islamic_state_territory(by_id, claim_id):
    row = by_id[claim_id]
    assert row["status"] == "ok"
    held = _ids(row["controller"])
    assert held and "islamic_state" not in held
    assert held & {"opposition", "al_nusra"}
    assert row["verdict"] == "inconsistent"
    # tens of km or more from the nearest Islamic State territory
    assert row["distance_to_target_km"] >= 30.0
    assert "km" in row["reason"] and "mi" in row["reason"]


def test_nearest_islamic_state_point_is_really_that_far(demo, by_id):
    """The reported distance matches a geodesic recomputed from the reported nearest point."""
    for claim_id in HOMS_HAMA:
        row = by_id[claim_id]
        _, _, metres = GEOD.inv(
            row["longitude"],
            row["latitude"],
            row["nearest_target_longitude"],
            row["nearest_target_latitude"],
        )
        assert metres / 1000 == pytest.approx(row["distance_to_target_km"], rel=1e-6, abs=1e-3)
        # and that point lies on a zone held (alone or jointly) by Islamic State that day
        zones = demo.zones
        day = pd.Timestamp(row["date"])
        valid = (zones["valid_from"] <= day) & (
            zones["valid_to"].isna() | (zones["valid_to"] >= day)
        )
        is_zones = zones[valid & zones["controller"].map(lambda c: "islamic_state" in _ids(c))]
        near = shapely.Point(row["nearest_target_longitude"], row["nearest_target_latitude"])
        assert min(g.distance(near) for g in is_zones.geometry) < 1e-6


@pytest.mark.parametrize("claim_id", RAQQA)
def test_raqqa_strikes_are_consistent(by_id, claim_id):
    row = by_id[claim_id]
    assert row["verdict"] == "consistent"
    assert "islamic_state" in _ids(row["controller"])
    assert row["distance_to_target_km"] == pytest.approx(0.0, abs=1e-9)


def test_raqqa_labelled_video_was_filmed_far_from_raqqa(by_id):
    row = by_id["ru-1001-raqqa-video"]
    assert row["target_place"] == "Ar Raqqah" and row["place"] == "Al-Latamneh"
    assert row["distance_to_stated_place_km"] > 160.0
    # the stated place is Raqqa itself: it matches where the Raqqa strikes were located
    raqqa = by_id["ru-1001-raqqa-1"]
    _, _, metres = GEOD.inv(
        row["stated_place_longitude"],
        row["stated_place_latitude"],
        raqqa["longitude"],
        raqqa["latitude"],
    )
    assert metres < 10_000
    assert row["verdict"] == "inconsistent"


def test_morek_consistent_with_terrorist_groups_as_worded(by_id):
    row = by_id["ru-1105-morek"]
    assert row["date"] == "2015-11-05"
    assert row["claimed_target"] == "terrorist groups"
    assert _ids(row["target"]) == {"islamic_state", "al_nusra"}
    assert "al_nusra" in _ids(row["controller"])
    assert row["verdict"] == "consistent"


def test_verdict_depends_on_the_claim_as_worded(demo):
    """The same Morek strike, claimed against Islamic State alone, is inconsistent."""
    from geostrike.engine.check import check

    morek = demo.points[demo.points["place"] == "Mūrak"].iloc[0]
    claims = pd.DataFrame(
        {
            "id": ["as-worded", "is-only"],
            "date": ["2015-11-05", "2015-11-05"],
            "claimed_target": ["terrorist groups", "Islamic State"],
            "latitude": [morek["latitude"]] * 2,
            "longitude": [morek["longitude"]] * 2,
        }
    )
    res = check(claims, demo.zones)
    assert res["verdict"].tolist() == ["consistent", "inconsistent"]


def test_date_windows_pick_the_right_snapshot(demo):
    """Mahīn and Mūrak change hands between the 30 Sep and 5 Nov snapshots."""
    from geostrike.engine.check import check

    pts = demo.points.set_index("place")
    rows = []
    for place in ("Mahīn", "Mūrak"):
        p = pts.loc[place].iloc[0]
        for date in ("2015-09-30", "2015-10-31", "2015-11-05", "2015-12-01"):
            rows.append(
                {
                    "id": f"{place}-{date}",
                    "date": date,
                    "claimed_target": "Islamic State",
                    "latitude": p["latitude"],
                    "longitude": p["longitude"],
                }
            )
    res = check(pd.DataFrame(rows), demo.zones).set_index("id")
    held = res["controller"].map(_ids)
    assert held["Mahīn-2015-09-30"] == {"government"}
    assert held["Mahīn-2015-10-31"] == {"government"}  # still the first snapshot
    assert held["Mahīn-2015-11-05"] == {"islamic_state"}
    assert held["Mahīn-2015-12-01"] == {"islamic_state"}  # the last snapshot is open-ended
    assert res.loc["Mahīn-2015-11-05", "verdict"] == "consistent"
    assert res.loc["Mahīn-2015-09-30", "verdict"] != "consistent"
    assert held["Mūrak-2015-09-30"] == {"government"}
    assert held["Mūrak-2015-11-05"] == {"opposition", "al_nusra"}


def test_northern_homs_is_a_region_not_a_point(by_id):
    row = by_id["ru-0930-northern-homs"]
    assert row["precision_km"] >= 10.0
    assert row["verdict"] == "indeterminate"


# --------------------------------------------------------------------------- summary
def test_summary_figures_are_computed_from_the_results(demo):
    res = demo.results
    s = summarise(res)
    assert s == demo.summary
    is_claims = res["target"].map(_ids).map(lambda t: t == {"islamic_state"})
    bad = res[is_claims & res["verdict"].eq("inconsistent")]
    assert s["elsewhere"] == len(bad) >= 8
    assert set(HOMS_HAMA) <= set(s["elsewhere_ids"])
    assert s["in_is"] == 2
    assert s["median_km"] == pytest.approx(float(np.median(bad["distance_to_target_km"])))
    assert s["median_mi"] == pytest.approx(s["median_km"] / 1.609344)
    assert s["median_km"] > 30.0
    text = demo.paragraph()
    assert f"{s['median_km']:.0f} km ({s['median_mi']:.0f} mi)" in text
    assert f"{s['elsewhere']} fell in territory held by other groups" in text


def test_report_prints_table_summary_and_paths(demo):
    text = demo.report()
    for claim_id in HOMS_HAMA + RAQQA:
        assert claim_id in text
    assert demo.paragraph() in text
    assert str(demo.gpkg) in text and str(demo.html) in text and str(demo.csv) in text


def test_extraction_from_the_reference_report(demo):
    # the scenario ships its own short report: a fresh clone shows extraction too
    assert demo.report_path == scenario_dir() / "report.txt"
    assert demo.extracted is not None
    assert not any("extraction skipped" in n for n in demo.notes)
    claims = demo.extracted.claims_frame()
    assert len(claims) >= 1
    first = claims.iloc[0]
    assert first["date"] == "2015-09-30"
    assert "islamic_state" in str(first["claimed_target"]).lower().replace(" ", "_")
    text = demo.report()
    assert "Homs (SY)" in text and "Baghdad (IQ)" in text
    # the extracted claims are checked against the zones too: the Homs towns held by
    # other rebels are inconsistent with a strike on Islamic State; a province-wide
    # location ("northern Homs") cannot confirm one
    checked = demo.extracted_results.set_index(claims["place"].to_numpy())
    assert checked is not None and len(checked) == len(claims)
    for town in ("Talbiseh", "Rastan", "Zaafaraniyah"):
        assert checked.loc[town, "verdict"] == "inconsistent"
    assert checked.loc["northern Homs", "verdict"] != "consistent"
    assert checked.loc["northern Homs", "precision_km"] >= 25.0
    assert checked.loc["Raqqa", "verdict"] == "consistent"


# --------------------------------------------------------------------------- sample data
def test_every_control_point_lies_in_syria():
    pts = pd.read_csv(scenario_dir() / "control_points.csv", dtype={"geonames_id": "string"})
    syria = country_outline("SY")
    geoms = shapely.points(pts["longitude"].to_numpy(), pts["latitude"].to_numpy())
    inside = shapely.contains(syria, geoms)
    # Natural Earth 1:50m is coarse on the coast and borders, and draws the Golan
    # (Al Qunayţirah) on the Israeli side: allow ~10 km
    assert (inside | (shapely.distance(syria, geoms) < 0.1)).all()
    assert inside.mean() > 0.95
    from geostrike.places.geocoder import reverse

    towns = pts.drop_duplicates("place")
    for lat, lon in zip(towns["latitude"], towns["longitude"], strict=True):
        m = reverse(float(lat), float(lon))
        assert m is not None and m.country_code == "SY", (lat, lon, m)


def test_control_points_agree_with_the_gazetteer():
    """GeoNames towns carry their gazetteer record's coordinates, and geocode back to them."""
    from geostrike.places.gazetteer import load_gazetteer
    from geostrike.places.geocoder import geocode

    pts = pd.read_csv(scenario_dir() / "control_points.csv", dtype={"geonames_id": "string"})
    towns = pts[pts["geonames_id"].notna()].drop_duplicates("place")
    assert len(towns) > 200
    recs = load_gazetteer().records.set_index("gazetteer_id")
    ids = "geonames:" + towns["geonames_id"]
    assert ids.isin(recs.index).all()
    rec = recs.loc[ids]
    assert (rec["country_code"] == "SY").all()
    assert (rec["name"].to_numpy() == towns["place"].to_numpy()).all()
    _, _, metres = GEOD.inv(
        towns["longitude"].to_numpy(),
        towns["latitude"].to_numpy(),
        rec["longitude"].to_numpy(),
        rec["latitude"].to_numpy(),
    )
    assert np.max(metres) < 100.0
    # and the names, as written, resolve in Syria within 3 km of those coordinates
    resolved = []
    for _, t in towns.iterrows():
        m = geocode(t["place"], country="SY", near=(t["latitude"], t["longitude"]))
        ok = m is not None and m.country_code == "SY"
        if ok:
            _, _, d = GEOD.inv(t["longitude"], t["latitude"], m.longitude, m.latitude)
            ok = d < 3000
        resolved.append(ok)
    # a few names that are also English words (e.g. "Shīn") are refused by the
    # geocoder's word guard; every other town must resolve to its own record
    assert np.mean(resolved) >= 0.98, towns["place"][~np.array(resolved)].tolist()


def test_control_points_two_snapshots_differ_only_at_mahin_and_morek():
    pts = pd.read_csv(scenario_dir() / "control_points.csv")
    a = pts[pts["date"] == "2015-09-30"].set_index("place")
    b = pts[pts["date"] == "2015-11-05"].set_index("place")
    assert set(pts["date"]) == {"2015-09-30", "2015-11-05"}
    assert a.index.tolist() == b.index.tolist()
    changed = a.index[a["controller"].to_numpy() != b["controller"].to_numpy()]
    assert sorted(set(changed)) == ["Mahīn", "Mūrak"]
    assert (pts["source"].astype(str).str.strip() != "").all()


def test_claims_carry_sources():
    claims = pd.read_csv(scenario_dir() / "claims.csv")
    assert len(claims) == 13 and claims["id"].is_unique
    assert claims["source"].notna().all()
    assert (claims["claimant"] == "Russian Ministry of Defence").all()


def test_cli_demo_prints_the_table(tmp_path):
    from geostrike.cli import cli

    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["demo", "--out-dir", str(out)])
    assert r.exit_code == 0, r.output
    assert "ru-0930-talbiseh" in r.output and "inconsistent" in r.output
    assert (out / f"{STEM}.html").is_file()
    assert ZONES_LABEL in r.output


def test_out_dir_that_is_a_file_is_refused(tmp_path):
    from geostrike.cli import cli
    from geostrike.errors import OutputError

    blocker = tmp_path / "maps"
    blocker.write_text("not a folder", encoding="utf-8")
    r = CliRunner().invoke(cli, ["demo", "--out-dir", str(blocker)])
    assert r.exit_code == 2  # click's usage error: the option takes a folder
    assert "is a file" in r.output and "Traceback" not in r.output
    with pytest.raises(OutputError, match="cannot create the output folder"):
        run_demo(blocker)
    assert blocker.read_text(encoding="utf-8") == "not a folder"

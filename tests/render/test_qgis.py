"""Tests for the QGIS exports: GeoPackage layers, layer_styles, sidecar QML, real QGIS.

Files are read back three ways: with GDAL (pyogrio) for layers, counts, attributes and CRS;
with sqlite3 for the ``layer_styles`` table QGIS reads; and with QGIS itself, headless,
through ``tests/qgis_probe.py`` run by the system Python (the ``qgis_py`` fixture skips
when QGIS is missing, and fails instead under ``GEOSTRIKE_REQUIRE_CLIENTS=1``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import assume, given
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import box

from geostrike.engine.check import OUTPUT_COLUMNS
from geostrike.errors import OutputError
from geostrike.geodesy import format_km
from geostrike.render import qgis, style

PROBE = Path(__file__).with_name("qgis_probe.py")
GEOD = Geod(ellps="WGS84")

CHECK_COLUMNS = list(OUTPUT_COLUMNS)  # the one definition, in geostrike.engine.check


def make_results() -> gpd.GeoDataFrame:
    """A hand-built check result: located, inside-target, joint control, unlocated, invalid."""
    nan = np.nan
    rows = [
        # id status verdict reason lat lon src name prec controller target dist ntlat ntlon dsp splat splon
        ("c1", "ok", "inconsistent", "91 km from IS territory", 35.0, 36.5, "given", "Talbiseh",
         2.0, "opposition", "islamic_state", 91.2, 35.0, 37.5, 12.0, 35.1, 36.55),
        ("c2", "ok", "consistent", "inside IS territory", 35.95, 39.0, "gazetteer", "Raqqa",
         5.0, "islamic_state", "islamic_state", 0.0, 35.95, 39.0, nan, nan, nan),
        ("c3", "ok", "indeterminate", "precision wider than the distance", 34.6, 37.2,
         "gazetteer", "Homs Governorate", 60.0, "government;opposition", "islamic_state;al_nusra",
         27.5, 34.75, 37.45, nan, nan, nan),
        ("c4", "unresolved", "indeterminate", "place not found", nan, nan, None, None, nan, None,
         "islamic_state", nan, nan, nan, nan, nan, nan),
        ("c5", "invalid", "indeterminate", "date is not a date", nan, nan, None, None, nan, None,
         None, nan, nan, nan, nan, nan, nan),
    ]  # fmt: skip
    later = [c for c in CHECK_COLUMNS if c not in ("candidates", "duplicate_id")]
    df = pd.DataFrame(rows, columns=later[: len(rows[0])])
    df.insert(CHECK_COLUMNS.index("candidates"), "candidates", [1, 1, 1, 0, 0])
    for extra in CHECK_COLUMNS:  # later columns (duplicate_id): their default
        if extra not in df.columns:
            df[extra] = False
    df = df[[*CHECK_COLUMNS]]
    df["date"] = ["2015-09-30", "2015-09-30", "2015-10-07", "2015-10-07", None]
    df["attacker"] = "russia"
    df["claimant"] = "Russian Ministry of Defence"
    df["notes"] = ['Quote: "struck" & <b>bold</b>', "Ракка", None, "", "x"]
    geom = [
        shapely.Point(lo, la) if np.isfinite(la) else shapely.Point()
        for la, lo in zip(df.latitude, df.longitude, strict=True)
    ]
    return gpd.GeoDataFrame(df, geometry=geom, crs=4326)


def make_zones() -> gpd.GeoDataFrame:
    """Zones as read_zones returns them; z4 starts after every claim, z5 ended before."""
    return gpd.GeoDataFrame(
        {
            "zone_id": ["z1", "z2", "z3", "z4", "z5"],
            "controller": [
                "opposition",
                "islamic_state",
                "government;opposition",
                "kurdish",
                "government",
            ],
            "valid_from": pd.to_datetime(["2015-01-01", "2015-01-01", None, "2016-01-01", None]),
            "valid_to": pd.to_datetime(["2015-12-31", None, "2015-10-07", None, "2015-09-29"]),
            "source": ["ISW", "ISW", "Carter Center", "test", "test"],
        },
        geometry=[
            box(36.0, 34.8, 37.0, 35.5),
            box(37.5, 35.0, 40.5, 36.5),
            box(36.8, 34.0, 38.0, 34.8),
            shapely.MultiPolygon([box(40, 36, 41, 37), box(41.5, 36, 42, 36.5)]),
            box(35.8, 33.0, 36.5, 33.8),
        ],
        crs=4326,
    )


def probe(qgis_py: str, *args: str | Path) -> dict:
    """Run the QGIS probe on files and return its JSON facts."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run(
        [qgis_py, str(PROBE), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gpkg") / "claims.gpkg"
    assert qgis.export_gpkg(make_results(), make_zones(), out) == out
    return out


# --------------------------------------------------------------------------- GDAL
def test_gpkg_has_every_layer_in_wgs84(gpkg: Path) -> None:
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    assert list(layers) == [*qgis.LAYERS, "layer_styles"]
    assert layers["strikes"] == "Point"
    assert layers["control_zones"] == "MultiPolygon"
    assert layers["precision_areas"] == "Polygon"
    for name in qgis.LAYERS:
        info = pyogrio.read_info(gpkg, layer=name)
        assert info["crs"] == "EPSG:4326", name
        assert info["geometry_name"] == "geom"


def test_strikes_keep_every_row_and_column(gpkg: Path) -> None:
    results = make_results()
    got = gpd.read_file(gpkg, layer="strikes")
    assert len(got) == len(results)
    for col in results.columns.drop("geometry"):
        assert col in got.columns, col
    assert got["id"].tolist() == results["id"].tolist()
    assert got["verdict"].tolist() == results["verdict"].tolist()
    assert got["notes"].tolist()[:3] == results["notes"].tolist()[:3]
    # unlocated claims stay, with no geometry
    assert got.geometry.isna().tolist() == [False, False, False, True, True]
    np.testing.assert_allclose(got.geometry.x[:3], results.longitude[:3])
    np.testing.assert_allclose(
        got["distance_to_target_mi"][:3], results["distance_to_target_km"][:3] / 1.609344
    )
    assert got["controller_label"][2] == style.controller_label("government;opposition")


def test_control_zones_are_those_valid_on_claim_dates(gpkg: Path) -> None:
    zones = make_zones()
    dates = pd.to_datetime(make_results()["date"]).dropna().unique()
    expected = set()
    for d in dates:  # brute force, one date at a time
        ok = (zones.valid_from.isna() | (zones.valid_from <= d)) & (
            zones.valid_to.isna() | (d <= zones.valid_to)
        )
        expected |= set(zones.zone_id[ok])
    got = gpd.read_file(gpkg, layer="control_zones")
    assert set(got.zone_id) == expected == {"z1", "z2", "z3"}
    # each zone keeps its own shape (as a MultiPolygon)
    src = zones.set_index("zone_id").geometry
    for zid, geom in zip(got.zone_id, got.geometry, strict=True):
        assert geom.geom_type == "MultiPolygon"
        assert shapely.equals(geom, src[zid]), zid
    row = got.set_index("zone_id").loc["z3"]
    assert row.controller == "government;opposition"
    assert row.controller_label == style.controller_label("government;opposition")
    assert row.source == "Carter Center"
    assert pd.Timestamp(row.valid_to) == pd.Timestamp("2015-10-07")


def test_target_links_are_geodesics_with_distances(gpkg: Path) -> None:
    res = make_results()
    links = gpd.read_file(gpkg, layer="target_links")
    # c2 lies inside the target's territory (no line), c4/c5 are unlocated
    assert links["id"].tolist() == ["c1", "c3"]
    assert links["date"].tolist() == ["2015-09-30", "2015-10-07"]
    for _, link in links.iterrows():
        src = res.set_index("id").loc[link["id"]]
        coords = np.asarray(link.geometry.coords)
        np.testing.assert_allclose(coords[0], [src.longitude, src.latitude])
        np.testing.assert_allclose(
            coords[-1], [src.nearest_target_longitude, src.nearest_target_latitude]
        )
        length_km = GEOD.geometry_length(link.geometry) / 1000
        _, _, direct = GEOD.inv(*coords[0], *coords[-1])
        assert length_km == pytest.approx(direct / 1000, rel=1e-6)  # follows the geodesic
        assert link.distance_km == src.distance_to_target_km
        assert link.distance_mi == pytest.approx(link.distance_km / 1.609344)
        assert link.label == format_km(link.distance_km)


def test_stated_place_links_run_from_stated_place(gpkg: Path) -> None:
    links = gpd.read_file(gpkg, layer="stated_place_links")
    assert links["id"].tolist() == ["c1"]
    coords = np.asarray(links.geometry[0].coords)
    np.testing.assert_allclose(coords[0], [36.55, 35.1])
    np.testing.assert_allclose(coords[-1], [36.5, 35.0])
    assert links.distance_km[0] == 12.0


def test_precision_areas_are_geodesic_circles(gpkg: Path) -> None:
    res = make_results().set_index("id")
    areas = gpd.read_file(gpkg, layer="precision_areas")
    assert areas["id"].tolist() == ["c1", "c2", "c3"]
    for _, a in areas.iterrows():
        c = res.loc[a["id"]]
        ring = np.asarray(a.geometry.exterior.coords)
        assert len(ring) == 65
        _, _, d = GEOD.inv(np.full(len(ring), c.longitude), np.full(len(ring), c.latitude), *ring.T)
        np.testing.assert_allclose(d, c.precision_km * 1000, rtol=1e-9)
        area, _ = GEOD.geometry_area_perimeter(a.geometry)
        assert area > 0  # counter-clockwise exterior
        assert area == pytest.approx(np.pi * (c.precision_km * 1000) ** 2, rel=0.01)


# --------------------------------------------------------------------------- layer_styles
QGIS_LAYER_STYLES_COLUMNS = [
    ("id", "INTEGER"),
    ("f_table_catalog", "TEXT(256)"),
    ("f_table_schema", "TEXT(256)"),
    ("f_table_name", "TEXT(256)"),
    ("f_geometry_column", "TEXT(256)"),
    ("styleName", "TEXT(30)"),
    ("styleQML", "TEXT"),
    ("styleSLD", "TEXT"),
    ("useAsDefault", "BOOLEAN"),
    ("description", "TEXT"),
    ("owner", "TEXT(30)"),
    ("ui", "TEXT(30)"),
    ("update_time", "DATETIME"),
]


def test_layer_styles_table_is_the_one_qgis_writes(gpkg: Path) -> None:
    con = sqlite3.connect(gpkg)
    try:
        cols = [(r[1], r[2]) for r in con.execute("PRAGMA table_info(layer_styles)")]
        assert cols == QGIS_LAYER_STYLES_COLUMNS
        rows = con.execute(
            "SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "styleName, useAsDefault, styleQML, styleSLD, update_time FROM layer_styles"
        ).fetchall()
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        contents = con.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
    finally:
        con.close()
    assert contents == ("attributes",)
    assert [r[2] for r in rows] == list(qgis.LAYERS)
    for catalog, schema, table, geom, name, default, qml, sld, stamp in rows:
        assert schema == "" and schema is not None
        assert catalog == ""
        assert geom == geom_cols[table] == "geom"
        assert name == table and default == 1
        assert pd.Timestamp(stamp).year >= 2024
        root = ET.fromstring(qml.split("\n", 1)[1])  # after the DOCTYPE line
        assert root.tag == "qgis"
        assert ET.fromstring(sld).tag.endswith("StyledLayerDescriptor")


def _qml_categories(gpkg: Path, table: str) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(gpkg)
    (qml,) = con.execute(
        "SELECT styleQML FROM layer_styles WHERE f_table_name = ?", (table,)
    ).fetchone()
    con.close()
    root = ET.fromstring(qml.split("\n", 1)[1])
    r = root.find("renderer-v2")
    syms = {s.get("name"): s for s in r.find("symbols")}
    out = []
    for c in r.find("categories"):
        opts = {o.get("name"): o.get("value") for o in syms[c.get("symbol")].find("layer/Option")}
        out.append((c.get("value"), c.get("label"), opts.get("color") or opts.get("line_color")))
    return out


def _rgba(hex_color: str, opacity: float = 1.0) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(opacity * 255)}"


def test_styles_use_the_shared_palette(gpkg: Path) -> None:
    assert _qml_categories(gpkg, "strikes") == [
        (v, style.VERDICT_LABELS[v], _rgba(style.VERDICT_COLORS[v])) for v in style.VERDICTS
    ]
    present = sorted(["opposition", "islamic_state", "government;opposition"])
    colors = style.zone_palette(make_zones())  # the palette of all zones given, told apart
    expected_zones = [
        (c, style.controller_label(c), _rgba(colors[c], style.ZONE_FILL_OPACITY)) for c in present
    ]
    assert _qml_categories(gpkg, "control_zones") == expected_zones
    assert _qml_categories(gpkg, "precision_areas") == [
        (v, style.VERDICT_LABELS[v], _rgba(style.VERDICT_COLORS[v], style.PRECISION_FILL_OPACITY))
        for v in style.VERDICTS
    ]


# --------------------------------------------------------------------------- real QGIS
def test_qgis_opens_every_layer_styled(gpkg: Path, qgis_py: str) -> None:
    facts = probe(qgis_py, gpkg)
    layers = facts["layers"]
    assert set(layers) == set(qgis.LAYERS)
    counts = {"strikes": 5, "control_zones": 3, "target_links": 2, "stated_place_links": 1,
              "precision_areas": 3}  # fmt: skip
    for name, layer in layers.items():
        assert layer["valid"], name
        assert layer["crs"] == "EPSG:4326", name
        assert layer["feature_count"] == counts[name], name
        assert layer["style_message"]["stored_styles"] >= 1
    strikes = layers["strikes"]
    assert strikes["renderer"] == "categorizedSymbol"
    assert strikes["attribute"] == "verdict"
    assert [(c["value"], c["label"], c["color"]) for c in strikes["categories"]] == [
        (v, style.VERDICT_LABELS[v], style.VERDICT_COLORS[v]) for v in style.VERDICTS
    ]
    zones = layers["control_zones"]
    assert zones["renderer"] == "categorizedSymbol" and zones["attribute"] == "controller"
    got = {c["value"]: (c["label"], c["color"], c["alpha"]) for c in zones["categories"]}
    colors = style.zone_palette(make_zones())  # as the map and the figure colour them
    for ctl in ("opposition", "islamic_state", "government;opposition"):
        label, color, alpha = got[ctl]
        assert label == style.controller_label(ctl)
        assert color == colors[ctl]
        assert alpha == pytest.approx(style.ZONE_FILL_OPACITY, abs=0.005)
    assert "government;opposition" in got and "joint" in got["government;opposition"][0]
    # the temporal settings come preset (QGIS leaves switching them on to the user)
    assert zones["temporal_fields"] == ["valid_from", "valid_to"]
    # strikes too: a date-time field, so the time controller filters strikes and zones
    assert layers["strikes"]["temporal_fields"][0] == "event_date"
    areas = layers["precision_areas"]
    assert areas["renderer"] == "categorizedSymbol"
    assert all(
        c["alpha"] == pytest.approx(style.PRECISION_FILL_OPACITY, abs=0.005)
        for c in areas["categories"]
    )
    for name, color in (
        ("target_links", style.TARGET_LINK_COLOR),
        ("stated_place_links", style.STATED_PLACE_LINK_COLOR),
    ):
        link = layers[name]
        assert link["renderer"] == "singleSymbol"
        assert link["symbol"]["color"] == color
        assert link["symbol"]["line_style"] == "dash"
        assert link["labels_enabled"] and link["label_field"] == "label"


def test_qgis_needs_the_stored_default_style(gpkg: Path, qgis_py: str, tmp_path: Path) -> None:
    # Without loading default styles QGIS draws a single symbol: the categories above
    # come from layer_styles, applied automatically when the layer is opened.
    plain = probe(qgis_py, gpkg, "--no-default-style")["layers"]
    assert {v["renderer"] for v in plain.values()} == {"singleSymbol"}
    # The pitfall the table layout avoids: a NULL f_table_schema makes QGIS ignore the row.
    broken = tmp_path / "null_schema.gpkg"
    broken.write_bytes(gpkg.read_bytes())
    con = sqlite3.connect(broken)
    with con:
        con.execute("UPDATE layer_styles SET f_table_schema = NULL")
    con.close()
    assert probe(qgis_py, broken)["layers"]["strikes"]["renderer"] == "singleSymbol"


def test_qgis_reads_the_sld_twin(gpkg: Path, qgis_py: str, tmp_path: Path) -> None:
    con = sqlite3.connect(gpkg)
    (sld,) = con.execute(
        "SELECT styleSLD FROM layer_styles WHERE f_table_name = 'strikes'"
    ).fetchone()
    con.close()
    path = tmp_path / "strikes.sld"
    path.write_text(sld, encoding="utf-8")
    facts = probe(qgis_py, f"{gpkg}", "--no-default-style", "--load-sld", path)
    assert facts["sld"]["ok"], facts["sld"]
    assert facts["sld"]["renderer"] in ("RuleRenderer", "categorizedSymbol")


# --------------------------------------------------------------------------- other formats
@pytest.mark.parametrize("ext", [".geojson", ".shp"])
def test_layers_with_qml_sidecars(tmp_path: Path, ext: str, qgis_py: str) -> None:
    first = qgis.export_gpkg(make_results(), make_zones(), tmp_path / f"claims{ext}")
    assert first == tmp_path / f"claims_strikes{ext}"
    files = [tmp_path / f"claims_{name}{ext}" for name in qgis.LAYERS]
    for f in files:
        assert f.exists() and f.with_suffix(".qml").exists(), f
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp leftovers
    strikes = gpd.read_file(files[0])
    assert len(strikes) == 5 and strikes.crs.to_epsg() == 4326
    facts = probe(qgis_py, *files)["layers"]
    assert facts["claims_strikes"]["renderer"] == "categorizedSymbol"
    assert facts["claims_strikes"]["feature_count"] == 5
    assert facts["claims_control_zones"]["renderer"] == "categorizedSymbol"
    assert len(facts["claims_control_zones"]["categories"]) == 3
    link = facts["claims_target_links"]
    assert link["labels_enabled"] and link["label_field"] in link["fields"]
    if ext == ".shp":  # dBase field names are cut to 10 characters; styles follow
        assert all(len(f) <= 10 for f in facts["claims_strikes"]["fields"])
        assert facts["claims_strikes"]["attribute"] == "verdict"
        aliases = facts["claims_strikes"]["aliases"]  # QGIS shows the full names
        assert aliases["distance_t"] == "distance_to_target_km"
        assert set(aliases.values()) <= set(strikes.columns) | set(CHECK_COLUMNS) | {
            "controller_label",
            "distance_to_target_mi",
        }


# --------------------------------------------------------------------------- bad input
def test_missing_folder_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist") as err:
        qgis.export_gpkg(make_results(), make_zones(), tmp_path / "nope" / "out.gpkg")
    assert "\n" not in str(err.value) and "out.gpkg" in str(err.value)


def test_refuses_to_overwrite_a_file_that_is_not_a_geopackage(tmp_path: Path) -> None:
    target = tmp_path / "notes.gpkg"
    target.write_text("my precious notes\n")
    with pytest.raises(OutputError, match="not a GeoPackage"):
        qgis.export_gpkg(make_results(), make_zones(), target)
    assert target.read_text() == "my precious notes\n"
    with pytest.raises(OutputError, match="unknown output format"):
        qgis.export_gpkg(make_results(), make_zones(), tmp_path / "out.txt")


def test_failed_export_leaves_the_good_geopackage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "good.gpkg"
    qgis.export_gpkg(make_results(), make_zones(), target)
    before = target.read_bytes()

    def disk_full(*args: object, **kwargs: object) -> None:  # fault injection
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(qgis, "_write_layer_styles", disk_full)
    with pytest.raises(OutputError, match="disk is full") as err:
        qgis.export_gpkg(make_results().iloc[:1], make_zones(), target)
    assert "\n" not in str(err.value)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.gpkg"]
    # and the survivor is still a complete, readable GeoPackage
    assert len(gpd.read_file(target, layer="strikes")) == 5


def test_replaces_an_existing_geopackage(tmp_path: Path) -> None:
    target = tmp_path / "out.gpkg"
    qgis.export_gpkg(make_results(), make_zones(), target)
    qgis.export_gpkg(make_results().iloc[:2], make_zones(), target)
    assert len(gpd.read_file(target, layer="strikes")) == 2
    con = sqlite3.connect(target)
    assert con.execute("SELECT count(*) FROM layer_styles").fetchone() == (5,)
    con.close()


def test_hostile_columns_and_values_survive(tmp_path: Path) -> None:
    res = make_results()
    res["fid"] = ["a", "b", "c", "d", "e"]  # clashes with the GeoPackage's FID
    res["geom"] = 1.5  # clashes with the geometry column
    res["Notes"] = [1, "two", 3.0, None, [4]]  # case-insensitive clash, mixed types
    res["tags"] = [["x", "y"], {"k": 1}, None, (), "z"]
    out = qgis.export_gpkg(res, make_zones(), tmp_path / "hostile.gpkg")
    got = pyogrio.read_dataframe(out, layer="strikes")
    assert len(got) == 5
    assert got["fid_2"].tolist() == ["a", "b", "c", "d", "e"]
    assert got["geom_2"].tolist() == [1.5] * 5
    assert got["Notes_2"].tolist()[:3] == ["1", "two", "3.0"]
    assert json.loads(got["tags"][0]) == ["x", "y"]


def test_empty_result_gives_empty_valid_layers(tmp_path: Path, qgis_py: str) -> None:
    out = qgis.export_gpkg(make_results().iloc[:0], make_zones(), tmp_path / "empty.gpkg")
    for name in qgis.LAYERS:
        assert len(pyogrio.read_dataframe(out, layer=name)) == (5 if name == "control_zones" else 0)
    facts = probe(qgis_py, out)["layers"]
    assert all(layer["valid"] for layer in facts.values())
    assert facts["strikes"]["renderer"] == "categorizedSymbol"


def test_custom_actor_labels_are_escaped(tmp_path: Path, qgis_py: str) -> None:
    table = tmp_path / "actors.csv"
    table.write_text(
        'id,label,members,color,aliases\nweird,"A & ""B"" <C>",,#123456,Weird Group\n',
        encoding="utf-8",
    )
    zones = make_zones()
    zones.loc[0, "controller"] = "weird"
    out = qgis.export_gpkg(make_results(), zones, tmp_path / "w.gpkg", actors=table)
    cats = probe(qgis_py, out)["layers"]["control_zones"]["categories"]
    weird = next(c for c in cats if c["value"] == "weird")
    assert weird["label"] == 'A & "B" <C>'
    # the user's colour, unless too close to another in use (style.zone_colors decides)
    from geostrike.inputs.actors import load_actors

    present = [c["value"] for c in cats if c["value"]]
    assert weird["color"] == style.zone_colors([*present, ""], load_actors(table))["weird"]
    alone = style.zone_colors(["weird", "opposition"], load_actors(table))
    assert alone["weird"] == "#123456"  # kept where nothing in use is close to it


# --------------------------------------------------------------------------- properties
@given(st.lists(st.text(min_size=1, max_size=30), max_size=30))
def test_shapefile_names_are_short_and_unique(cols: list[str]) -> None:
    cols = list(dict.fromkeys(cols))
    mapping = qgis._shapefile_names(cols)
    final = [mapping.get(c, c) for c in cols]
    assert all(len(n) <= 10 for n in final)
    assert len({n.lower() for n in final}) == len(final)


@given(
    st.lists(st.text(max_size=12), max_size=20),
)
def test_sanitised_names_are_unique_and_clear_of_reserved(cols: list[str]) -> None:
    df = pd.DataFrame([[0] * len(cols)], columns=cols)
    names = list(qgis._sanitise(df).columns)
    assert len(names) == len(cols)
    low = [n.lower() for n in names]
    assert len(set(low)) == len(low)
    assert not set(low) & {"fid", "geom", "geometry"}


_day = st.integers(min_value=0, max_value=60)


@given(
    st.lists(st.tuples(st.none() | _day, st.none() | _day), max_size=15),
    st.lists(_day, max_size=10),
)
def test_zone_window_matches_brute_force(windows: list, days: list[int]) -> None:
    base = np.datetime64("2015-09-01", "ns")

    def dt(x: int | None) -> np.datetime64:
        return np.datetime64("NaT", "ns") if x is None else base + np.timedelta64(x, "D")

    vf = np.array([dt(a) for a, _ in windows], dtype="datetime64[ns]")
    vt = np.array([dt(b) for _, b in windows], dtype="datetime64[ns]")
    dates = np.unique(np.array([dt(d) for d in days], dtype="datetime64[ns]"))
    got = qgis._valid_on_any(vf, vt, dates)
    want = [any((a is None or a <= d) and (b is None or d <= b) for d in days) for a, b in windows]
    assert got.tolist() == want


def test_colours_are_made_safe_like_the_map(tmp_path: Path) -> None:
    table = tmp_path / "actors.csv"
    table.write_text(
        "id,label,members,color,aliases\nshort,Short,,#abc,Shorty\nnamed,Named,,red,Reds\n",
        encoding="utf-8",
    )
    zones = make_zones()
    zones.loc[0, "controller"] = "short"
    zones.loc[1, "controller"] = "named"
    out = qgis.export_gpkg(make_results(), zones, tmp_path / "c.gpkg", actors=table)
    cats = {v: c for v, _, c in _qml_categories(out, "control_zones")}
    from geostrike.inputs.actors import load_actors

    # a CSS name is not trusted: grey, as on the map (then told apart from the grey of
    # "no control data" by style.zone_colors)
    assert style.controller_color("named", load_actors(table)) == style.NO_CONTROLLER_COLOR
    colors = style.zone_palette(zones, load_actors(table))
    assert cats["named"] == _rgba(colors["named"], style.ZONE_FILL_OPACITY)
    assert "255,0,0" not in cats["named"]
    assert cats["short"] == _rgba("#aabbcc", style.ZONE_FILL_OPACITY)  # #rgb is expanded


def test_check_output_fails_fast(tmp_path: Path) -> None:
    assert qgis.check_output(tmp_path / "a.gpkg") == "GPKG"
    assert qgis.check_output(tmp_path / "a.GeoJSON") == "GeoJSON"
    assert qgis.check_output(tmp_path / "a.shp") == "ESRI Shapefile"
    with pytest.raises(OutputError, match="unknown output format"):
        qgis.check_output(tmp_path)
    (tmp_path / "d.gpkg").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        qgis.check_output(tmp_path / "d.gpkg")


# --------------------------------------------------------------------------- end to end
SCENARIO = Path(__file__).resolve().parents[2] / "geostrike" / "data" / "scenarios" / "syria-2015"
SYRIA_BOX = shapely.box(35.5, 32.3, 42.5, 37.4)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[gpd.GeoDataFrame, Path]:
    """The Syria 2015 scenario's zones, written to a GeoPackage for the CLI."""
    from geostrike.inputs.zones import zones_from_points

    zones = zones_from_points(SCENARIO / "control_points.csv", boundary=SYRIA_BOX)
    path = tmp_path_factory.mktemp("scenario") / "zones.gpkg"
    zones.to_file(path, driver="GPKG")
    return zones, path


def test_end_to_end_through_check(
    scenario: tuple[gpd.GeoDataFrame, Path], tmp_path: Path, qgis_py: str
) -> None:
    from geostrike.engine.check import OUTPUT_COLUMNS, check
    from geostrike.inputs.claims import read_claims
    from geostrike.inputs.zones import zones_on

    zones, _ = scenario
    result = check(read_claims(SCENARIO / "claims.csv"), zones)
    out = qgis.export_gpkg(result, zones, tmp_path / "syria.gpkg")

    strikes = gpd.read_file(out, layer="strikes")
    assert len(strikes) == len(result)
    assert list(strikes.columns[: len(OUTPUT_COLUMNS)]) == list(OUTPUT_COLUMNS)
    assert strikes["verdict"].tolist() == result["verdict"].tolist()
    # zones: the union of zones_on over the claims' dates
    want = set()
    for day in result["date"].dropna().unique():
        want |= set(zones_on(zones, day)["zone_id"])
    got_zones = gpd.read_file(out, layer="control_zones")
    assert set(got_zones["zone_id"]) == want
    # a line for every located claim outside its target's territory
    outside = (result["distance_to_target_km"] > 0) & result["nearest_target_latitude"].notna()
    links = gpd.read_file(out, layer="target_links")
    assert links["id"].tolist() == result["id"][outside].tolist()
    np.testing.assert_allclose(
        links["distance_km"], result["distance_to_target_km"][outside].to_numpy()
    )
    for link in links.itertuples():  # the quoted distance is the line's geodesic length
        assert GEOD.geometry_length(link.geometry) / 1000 == pytest.approx(
            link.distance_km, rel=2e-3, abs=0.05
        )

    facts = probe(qgis_py, out)["layers"]
    assert facts["strikes"]["feature_count"] == len(result)
    assert facts["strikes"]["renderer"] == "categorizedSymbol"
    zone_cats = {c["value"]: c["color"] for c in facts["control_zones"]["categories"]}
    colors = style.zone_palette(zones)  # all zones given, as the map and figure
    for ctl in got_zones["controller"].unique():
        assert zone_cats[ctl] == colors[ctl]
    assert all(layer["valid"] and layer["crs"] == "EPSG:4326" for layer in facts.values())


def test_cli_export(scenario: tuple[gpd.GeoDataFrame, Path], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from geostrike.cli import cli

    _, zones_path = scenario
    claims = str(SCENARIO / "claims.csv")
    runner = CliRunner()
    out = tmp_path / "claims.gpkg"
    r = runner.invoke(cli, ["export", claims, "--zones", str(zones_path), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert len(gpd.read_file(out, layer="strikes")) == len(pd.read_csv(claims))
    bad = runner.invoke(
        cli, ["export", claims, "--zones", str(zones_path), "-o", str(tmp_path / "no" / "x.gpkg")]
    )
    assert bad.exit_code == 2
    assert bad.output.count("\n") == 1 and "does not exist" in bad.output
    assert "Traceback" not in bad.output


def test_accepts_plain_frames_prepared_zones_and_no_zones(tmp_path: Path) -> None:
    from geostrike.engine.check import prepare_zones

    plain = pd.DataFrame(make_results().drop(columns="geometry"))
    out = qgis.export_gpkg(plain, prepare_zones(make_zones()), tmp_path / "p.gpkg")
    strikes = gpd.read_file(out, layer="strikes")
    assert strikes.geometry.isna().tolist() == [False, False, False, True, True]
    assert len(gpd.read_file(out, layer="control_zones")) == 3
    out = qgis.export_gpkg(make_results(), None, tmp_path / "n.gpkg")
    assert len(pyogrio.read_dataframe(out, layer="control_zones")) == 0


def test_qgis_can_add_its_own_styles_to_our_table(gpkg: Path, qgis_py: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(gpkg.read_bytes())
    facts = probe(qgis_py, copy, "--save-style")["layers"]
    assert all(layer["save_style_error"] == "" for layer in facts.values())
    con = sqlite3.connect(copy)
    try:
        cols = [(r[1], r[2]) for r in con.execute("PRAGMA table_info(layer_styles)")]
        rows = con.execute(
            "SELECT f_table_name, styleName, useAsDefault, quote(f_table_schema) FROM layer_styles"
        ).fetchall()
        count = con.execute(
            "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
    finally:
        con.close()
    assert cols == QGIS_LAYER_STYLES_COLUMNS  # QGIS reused the table as it was
    assert len(rows) == 2 * len(qgis.LAYERS) == count[0]
    assert {r[1] for r in rows} == {*qgis.LAYERS, "user copy"}
    assert {r[3] for r in rows} == {"''"}
    # and our default still wins when the layer is opened again
    assert probe(qgis_py, copy)["layers"]["strikes"]["renderer"] == "categorizedSymbol"


def test_qgis_draws_strikes_in_the_verdict_colours(
    gpkg: Path, qgis_py: str, tmp_path: Path
) -> None:
    png = tmp_path / "render.png"
    facts = probe(qgis_py, gpkg, "--render", png)["render"]
    assert png.stat().st_size > 10_000
    samples = facts["strikes"]
    assert [s["id"] for s in samples] == ["c1", "c2", "c3"]  # the located ones
    for s in samples:  # the pixel under each strike, as rendered by QGIS
        assert s["pixel"] == style.VERDICT_COLORS[s["verdict"]], s


def test_integer_ids_keep_their_type_in_every_layer(tmp_path: Path) -> None:
    res = make_results()
    res["id"] = [10, 20, 30, 40, 50]
    out = qgis.export_gpkg(res, make_zones(), tmp_path / "ids.gpkg")
    for name in ("strikes", "target_links", "precision_areas"):
        info = pyogrio.read_info(out, layer=name)
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert types["id"] == "int64", name
    assert gpd.read_file(out, layer="target_links")["id"].tolist() == [10, 30]


@given(
    st.floats(min_value=-75, max_value=75),
    st.floats(min_value=-180, max_value=180),
    st.floats(min_value=0.05, max_value=800),
)
def test_precision_circles_anywhere(lat: float, lon: float, radius_km: float) -> None:
    (circle,) = qgis._geodesic_circles(
        np.array([lon]), np.array([lat]), np.array([radius_km * 1e3])
    )
    assert circle.is_valid  # no jump at the antimeridian: longitudes stay continuous
    ring = np.asarray(circle.exterior.coords)
    _, _, d = GEOD.inv(np.full(len(ring), lon), np.full(len(ring), lat), *ring.T)
    np.testing.assert_allclose(d, radius_km * 1e3, rtol=1e-9)
    area, _ = GEOD.geometry_area_perimeter(circle)
    assert area == pytest.approx(np.pi * (radius_km * 1e3) ** 2, rel=0.01)


@given(
    st.floats(min_value=-60, max_value=60),
    st.floats(min_value=-180, max_value=180),
    st.floats(min_value=-60, max_value=60),
    st.floats(min_value=-180, max_value=180),
)
def test_links_follow_the_geodesic(lat0: float, lon0: float, lat1: float, lon1: float) -> None:
    _, _, direct = GEOD.inv(lon0, lat0, lon1, lat1)
    assume(direct < 5e6)  # lines over a pole have no continuous longitude; links are short
    (line,) = qgis._geodesic_lines(
        np.array([lon0]), np.array([lat0]), np.array([lon1]), np.array([lat1])
    )
    coords = np.asarray(line.coords)
    np.testing.assert_allclose(coords[0], [lon0, lat0])
    assert coords[-1][1] == lat1
    assert (coords[-1][0] - lon1) % 360 == pytest.approx(0, abs=1e-6) or (
        coords[-1][0] - lon1
    ) % 360 == pytest.approx(360, abs=1e-6)
    assert GEOD.geometry_length(line) == pytest.approx(direct, rel=1e-6, abs=1e-3)
    assert np.all(np.abs(np.diff(coords[:, 0])) < 180)  # continuous across the antimeridian


def test_3d_inputs_are_written_flat(tmp_path: Path) -> None:
    res = make_results()
    res = res.set_geometry(shapely.force_3d(res.geometry.to_numpy(), z=100.0), crs=4326)
    zones = make_zones()
    zones = zones.set_geometry(shapely.force_3d(zones.geometry.to_numpy(), z=5.0), crs=4326)
    out = qgis.export_gpkg(res, zones, tmp_path / "z.gpkg")
    for name in ("strikes", "control_zones"):
        got = gpd.read_file(out, layer=name)
        assert not got.geometry.has_z.any(), name


def test_strike_dates_are_a_date_type_and_bad_dates_keep_their_text(tmp_path: Path) -> None:
    """Strikes carry their date as a date-time field (QGIS's time controller filters them);
    ``date`` keeps the value as given, so a date that is not one stays with its row."""
    import pyogrio

    res = make_results()
    res["date"] = res["date"].astype(object)
    res.loc[4, "date"] = "the day after"
    out = qgis.export_gpkg(res, make_zones(), tmp_path / "d.gpkg")
    info = pyogrio.read_info(out, layer="strikes")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["event_date"].startswith("datetime64")
    got = gpd.read_file(out, layer="strikes")
    assert len(got) == len(res)
    assert got["event_date"].dt.strftime("%Y-%m-%d").tolist()[:2] == ["2015-09-30"] * 2
    assert got["event_date"].isna().tolist() == [False, False, False, False, True]
    assert got["date"].tolist()[4] == "the day after"
    qml = qgis.layer_style("strikes", qgis.build_layers(res, make_zones())["strikes"])[0]
    assert 'startField="event_date"' in qml and 'mode="1"' in qml


def test_control_characters_in_labels_leave_the_styles_valid_xml(tmp_path: Path) -> None:
    # issue 12.16: an actor label with control characters made the stored styles invalid XML
    table = tmp_path / "actors.csv"
    table.write_text(
        'id,label,members,color,aliases\nweird,"Ansar\x01 Allah\x0b\x1f (local)",,#123456,Weird\n',
        encoding="utf-8",
    )
    zones = make_zones()
    zones.loc[0, "controller"] = "weird"
    out = qgis.export_gpkg(make_results(), zones, tmp_path / "w.gpkg", actors=table)
    with contextlib.closing(sqlite3.connect(out)) as con:
        styles = con.execute("SELECT styleQML, styleSLD FROM layer_styles").fetchall()
    assert len(styles) == len(qgis.LAYERS)
    for qml, sld in styles:
        for doc in (qml, sld):
            ET.fromstring(doc.split("\n", 1)[1] if doc.startswith("<!DOCTYPE") else doc.encode())
    assert any("Ansar Allah (local)" in qml for qml, _ in styles)
    for sidecar in qgis.export_layers(make_results(), zones, tmp_path / "w.geojson", actors=table):
        ET.parse(sidecar.with_suffix(".qml"))


_KILLED_EXPORT = """
import sys
sys.path.insert(0, sys.argv[1])
from _map_fixtures import make_results, make_zones
from geostrike.render import qgis
real, done = qgis._write_layer, []
def pausing(gdf, path, layer, driver):
    real(gdf, path, layer, driver)
    done.append(layer)
    if len(done) == 2:
        print("half", flush=True)
        sys.stdin.read()  # killed here, two layers of five written
qgis._write_layer = pausing
qgis.export_gpkg(make_results().iloc[:2], make_zones(), sys.argv[2])
"""


def test_layer_files_are_one_set_with_a_manifest_and_survive_a_kill(tmp_path: Path) -> None:
    import signal
    import sys

    from geostrike.io import check_set, manifest_path

    target = tmp_path / "ye.geojson"
    qgis.export_gpkg(make_results(), make_zones(), target)
    manifest = manifest_path(tmp_path, "ye")
    record = json.loads(manifest.read_text(encoding="utf-8"))
    members = {m["name"] for m in record["members"]}
    assert members == {f"ye_{n}{ext}" for n in qgis.LAYERS for ext in (".geojson", ".qml")}
    assert check_set(manifest) == []
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    # a second export killed (kill -9) half-way leaves the first set whole
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_EXPORT, str(Path(__file__).parent), str(target)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout.readline() == b"half\n"
    staged: list[Path] = []
    while not staged:
        staged = [p for p in tmp_path.iterdir() if p.name.endswith(".tmpset")]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p not in staged} == before
    assert check_set(manifest) == []
    # the next export cleans the killed run's folder and writes a new whole set
    qgis.export_gpkg(make_results().iloc[:3], make_zones(), target)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert (
        check_set(manifest) == []
        and len(gpd.read_file(target.with_name("ye_strikes.geojson"))) == 3
    )


def test_map_figure_and_qgis_give_each_controller_one_colour(tmp_path: Path) -> None:
    """One palette over all the zones given: a zone outside the claims' dates (not exported
    to QGIS) still shifts the colour of a near-identical controller, in every output.

    Ukraine: Russia's zone of 2022 is over before the claim; Russian-occupied forces hold
    the south on the claim's date. Their own colours are too close, so the later one gets a
    shade; QGIS used to colour only the exported controllers and kept the original."""
    from matplotlib.colors import to_hex

    from geostrike.engine.check import check
    from geostrike.render.figure import build_figure
    from geostrike.render.maps import map_html, render_map

    claims = pd.DataFrame(
        {
            "id": ["k1", "k2"],
            "date": ["2022-12-01", "2022-12-01"],
            "latitude": [46.64, 47.2],
            "longitude": [32.62, 35.0],
            "attacker": ["russia", "russia"],
            "claimed_target": ["ukraine", "ukraine"],
        }
    )
    zones = gpd.GeoDataFrame(
        {
            "zone_id": ["old", "occupied", "ua"],
            "controller": ["russia", "russia_occupied", "ukraine"],
            "valid_from": pd.to_datetime(["2022-02-24", "2022-11-11", "2022-11-11"]),
            "valid_to": pd.to_datetime(["2022-11-10", None, None]),
            "source": ["test"] * 3,
        },
        geometry=[box(32, 46, 36, 48), box(33, 46, 36, 47.4), box(31, 46.5, 33, 48)],
        crs=4326,
    )
    result = check(claims, zones)
    assert set(result["controller"]) == {"ukraine", "russia_occupied"}
    palette = style.zone_palette(zones)
    # the case matters: on its own, the exported set would keep the original colour
    alone = style.zone_colors(["russia_occupied", "ukraine", ""])
    assert palette["russia_occupied"] != alone["russia_occupied"]

    out = qgis.export_gpkg(result, zones, tmp_path / "ua.gpkg")
    assert set(gpd.read_file(out, layer="control_zones")["zone_id"]) == {"occupied", "ua"}
    got_qgis = {v: c for v, _, c in _qml_categories(out, "control_zones")}

    html = map_html(render_map(result, zones, offline=True))
    data = json.loads(
        re.search(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S).group(1)
    )
    by_zone = {
        data["strings"][f["properties"]["l"]]: f["properties"]["c"]
        for f in data["zones"]["features"]
    }
    fig = build_figure(result, zones)
    got_fig = {p.get_label(): to_hex(p.get_facecolor()) for p in fig.legends[0].get_patches()}

    for ctl in ("russia_occupied", "ukraine"):
        label = style.controller_label(ctl)
        assert by_zone[label] == palette[ctl]
        assert got_fig[label] == palette[ctl]
        assert got_qgis[ctl] == _rgba(palette[ctl], style.ZONE_FILL_OPACITY)

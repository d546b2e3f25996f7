"""Unit tests of geostrike.render.maps without a browser: escaping, URLs, JSON in script, page parts.

The browser tests (tests/test_maps_browser.py) open the same maps in Chromium.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
from _map_fixtures import PAYLOADS, hostile_actor_csv, make_results, make_zones
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geostrike.errors import OutputError
from geostrike.render import style
from geostrike.render.maps import (
    escape,
    map_html,
    render_map,
    safe_color,
    safe_url,
    save_map,
    script_json,
)

HOSTILE = " ".join(PAYLOADS)
EXTERNAL = re.compile(r"<(?:script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)\s*=", re.I)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org",
        "https://example.org/a?b=1&c=2#x",
        "HTTPS://EXAMPLE.ORG/",
        "https://t.me/channel/123",
    ],
)
def test_safe_url_accepts_http(url):
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "http:/no-host",
        "https:\\\\evil.example",
        "http://a b.example",
        'https://x.example/"onmouseover="alert(1)',
        "https://x.example/<script>",
        "ftp://example.org/file",
        "",
        None,
        float("nan"),
    ],
)
def test_safe_url_refuses_everything_else(url):
    assert safe_url(url) is None


@given(st.text())
def test_safe_url_output_is_always_a_plain_http_url(text):
    out = safe_url(text)
    if out is not None:
        assert out.lower().startswith(("http://", "https://"))
        assert not re.search(r"[\s\"'<>`\\]", out)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=20,
    )
)
def test_script_json_round_trips_and_cannot_close_the_script(obj):
    out = script_json(obj)
    assert json.loads(out) == obj
    assert "<" not in out and ">" not in out and "&" not in out


def test_escape_and_colors():
    assert escape('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert escape(None) == "" and escape(float("nan")) == ""
    assert safe_color("#1b9e77") == "#1b9e77"
    assert safe_color('red;background:url("javascript:x")') == style.NO_CONTROLLER_COLOR
    assert safe_color("#12345") == style.NO_CONTROLLER_COLOR


def test_render_map_returns_folium_map_with_counts():
    results, zones = make_results(), make_zones()
    m = render_map(results, zones, offline=True)
    assert isinstance(m, folium.Map)
    s = m.geostrike_summary
    assert s["located"] == int(results["latitude"].notna().sum()) == 5
    assert s["unlocated"] == 1
    assert s["dates"] == ["2015-09-30", "2015-10-03"]
    # zones valid on each date: z1, z2, z4 on 09-30; z1, z3, z4 on 10-03
    assert s["zones_per_date"] == [3, 3]
    located = results[results["latitude"].notna()]
    assert s["target_lines"] == int((located["distance_to_target_km"] > 0).sum())
    assert s["stated_lines"] == int(located["stated_place_latitude"].notna().sum())
    assert not s["clustered"]


def test_offline_page_references_nothing_outside_itself():
    html = map_html(render_map(make_results(), make_zones(), offline=True))
    assert EXTERNAL.findall(html) == []
    assert "cdn" not in html.lower().replace("cdnjs", "") or "jsdelivr" not in html
    for host in ("jsdelivr", "cloudflare", "bootstrapcdn", "code.jquery", "tile.openstreetmap"):
        assert host not in html
    assert "L.map(" in html and "geostrikeApp(" in html


def test_online_page_uses_openstreetmap_tiles_with_attribution():
    html = map_html(render_map(make_results(), make_zones(), offline=False))
    assert "tile.openstreetmap.org" in html
    assert "OpenStreetMap" in html and "contributors" in html
    # still no external script or style: Leaflet is inlined in both modes
    assert EXTERNAL.findall(html) == []


def test_hostile_text_never_reaches_the_page_raw(tmp_path):
    results = make_results(HOSTILE)
    zones = make_zones("evil_actor")
    zones["source"] = HOSTILE
    actors = hostile_actor_csv(tmp_path, HOSTILE)
    html = map_html(render_map(results, zones, offline=True, title=HOSTILE, actors=actors))
    for raw in ("<script>window.__pwned", "<img src=x", "<svg onload", "</script><script>"):
        assert raw not in html
    # no template evaluation of data ({{ 7*7 }} stays literal, '{% if x %}' does not crash)
    assert "{{ 7*7 }}" in html and "{% if x %}" in html
    assert "&lt;script&gt;window.__pwned=1" in html  # escaped title/legend/caption
    # the hostile colour of the user's actor falls back to grey
    assert "red;x:" not in html


def test_joint_control_uses_blended_palette_colour():
    zones = make_zones()
    html = map_html(render_map(make_results(), zones, offline=True))
    colors = style.zone_colors(zones["controller"])
    assert colors["al_nusra;opposition"] in html
    assert style.VERDICT_COLORS["inconsistent"] in html


def test_dates_as_timestamps_and_plain_dataframes_are_accepted():
    results = pd.DataFrame(make_results().drop(columns="geometry"))
    results["date"] = pd.to_datetime(results["date"])
    m = render_map(results, make_zones(), offline=True)
    assert m.geostrike_summary["dates"] == ["2015-09-30", "2015-10-03"]


def test_no_zones_and_no_rows():
    m = render_map(make_results().iloc[0:0], None, offline=True)
    assert m.geostrike_summary["located"] == 0
    assert "geostrikeApp(" in map_html(m)


def test_save_map_is_atomic_and_checks_the_path(tmp_path):
    out = save_map(render_map(make_results(), make_zones(), offline=True), tmp_path / "m.html")
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["m.html"]
    with pytest.raises(OutputError):
        save_map(make_results(), tmp_path / "missing" / "m.html", make_zones())
    with pytest.raises(OutputError):
        save_map(make_results(), tmp_path / "m.txt", make_zones())


# --------------------------------------------------------------------------- end to end
SCENARIO = Path(__file__).resolve().parents[2] / "geostrike" / "data" / "scenarios" / "syria-2015"


@pytest.fixture(scope="module")
def scenario_zones(tmp_path_factory) -> Path:
    from geostrike.inputs.zones import zones_from_points

    zones = zones_from_points(SCENARIO / "control_points.csv")
    path = tmp_path_factory.mktemp("zones") / "zones.geojson"
    zones.to_file(path)
    return path


def test_end_to_end_through_check(scenario_zones):
    from geostrike.engine.check import check
    from geostrike.inputs.zones import read_zones, zones_on

    zones = read_zones(scenario_zones)
    results = check(SCENARIO / "claims.csv", zones)
    m = render_map(results, zones, offline=True, title="Syria, 2015")
    s = m.geostrike_summary
    located = results[results["latitude"].notna()]
    assert s["located"] == len(located) and s["unlocated"] == len(results) - len(located)
    assert s["dates"] == sorted(results["date"].dropna().unique())
    assert s["zones_per_date"] == [len(zones_on(zones, d)) for d in s["dates"]]
    has_t = located["nearest_target_latitude"].notna() & (located["distance_to_target_km"] > 0)
    assert s["target_lines"] == int(has_t.sum()) > 0
    html = map_html(m)
    for reason in located["reason"]:
        assert script_json(reason)[1:-1] in html


def test_cli_map_writes_html_and_figure(tmp_path, scenario_zones):
    from click.testing import CliRunner

    from geostrike.cli import cli

    runner = CliRunner()
    claims = str(SCENARIO / "claims.csv")
    out = tmp_path / "map.html"
    res = runner.invoke(
        cli,
        [
            "map",
            claims,
            "--zones",
            str(scenario_zones),
            "-o",
            str(out),
            "--offline",
            "--title",
            "<b>Syria</b>",
            "--tolerance-km",
            "5",
        ],
    )
    assert res.exit_code == 0, res.output
    html = out.read_text("utf-8")
    assert "<title>&lt;b&gt;Syria&lt;/b&gt;</title>" in html
    assert EXTERNAL.findall(html) == []
    png = tmp_path / "map.png"
    res = runner.invoke(cli, ["map", claims, "--zones", str(scenario_zones), "-o", str(png)])
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = runner.invoke(
        cli, ["map", claims, "--zones", str(scenario_zones), "-o", str(tmp_path / "m.txt")]
    )
    assert res.exit_code == 2
    assert "map output must end in .html" in res.output
    assert len(res.output.strip().splitlines()) == 1
    res = runner.invoke(
        cli, ["map", str(tmp_path / "none.csv"), "--zones", str(scenario_zones), "-o", str(out)]
    )
    assert res.exit_code == 2 and "none.csv" in res.output and "Traceback" not in res.output


_TAGS = ("<script", "</script", "<style", "</style", "<!--", "<img", "<svg", "<iframe", "<a ")


def _tag_counts(html: str) -> dict[str, int]:
    low = html.lower()
    return {t: low.count(t) for t in _TAGS}


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=80))
def test_any_text_in_every_field_leaves_the_page_structure_unchanged(text):
    base = _tag_counts(
        map_html(render_map(make_results("x"), make_zones(), offline=True, title="x"))
    )
    zones = make_zones()
    zones["source"] = text
    html = map_html(render_map(make_results(text), zones, offline=True, title=text))
    assert _tag_counts(html) == base


def test_off_globe_positions_are_not_drawn():
    results = make_results()
    results["latitude"] = [95.0, float("inf"), 35.4, 35.3, 36.1, None]
    m = render_map(results, make_zones(), offline=True)
    assert m.geostrike_summary["located"] == 3 and m.geostrike_summary["unlocated"] == 3


def _archive(n_days: int = 300):
    """A long archive: one zone window a day (controllers alternate), claims on 3 days."""
    days = pd.date_range("2024-01-01", periods=n_days, freq="D")
    zones = gpd.GeoDataFrame(
        {
            "controller": ["government" if k % 2 else "opposition" for k in range(n_days)],
            "valid_from": days,
            "valid_to": days,
            "source": "daily archive",
        },
        geometry=[box(36.0, 34.5, 36.8, 35.3)] * n_days,
        crs="EPSG:4326",
    )
    results = make_results()
    results = results[results["latitude"].notna()].head(3).copy()
    results["date"] = [days[0], days[n_days // 2], days[-1]]
    results["date"] = results["date"].dt.strftime("%Y-%m-%d")
    return results, zones, days


def test_slider_steps_through_hundreds_of_zone_windows():
    results, zones, days = _archive()
    m = render_map(results, zones, offline=False)
    s = m.geostrike_summary
    assert s["dates"] == sorted(results["date"])  # the claims' dates
    assert s["steps"] == list(days.strftime("%Y-%m-%d"))  # every window within their span
    assert s["zones_per_date"] == [1, 1, 1]
    data = json.loads(
        re.search(r'<script type="application/json"[^>]*>(.*?)</script>', map_html(m), re.S).group(
            1
        )
    )
    # each zone carries the run of steps it is valid on, not a list of dates
    assert [f["properties"]["d"] for f in data["zones"]["features"]] == [
        [k, k] for k in range(len(days))
    ]


def test_geopackage_of_a_long_archive_keeps_the_windows_in_use(tmp_path):
    from geostrike.render.qgis import export_gpkg

    results, zones, _ = _archive()
    out = export_gpkg(results, zones, tmp_path / "a.gpkg")
    got = gpd.read_file(out, layer="control_zones")
    assert len(got) == 3  # one geometry per window valid on a claim's date
    assert sorted(got["valid_from"].dt.strftime("%Y-%m-%d")) == sorted(results["date"])


def test_offline_base_carries_rivers_and_lakes_around_the_data_only():
    """Rivers and lakes travel in the page only offline, clipped to the data's box plus
    WATER_MARGIN, so a country's water weighs little; credited in caption and legend."""
    from _map_fixtures import make_ukraine

    from geostrike.render.maps import WATER_MARGIN

    results, zones = make_ukraine()
    m = render_map(results, zones, offline=True)
    html = map_html(m)
    data = json.loads(
        re.search(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S).group(1)
    )
    assert m.geostrike_summary["rivers"] >= 3 and m.geostrike_summary["lakes"] >= 1
    water = data["water"]
    coords = [
        c
        for f in water["rivers"]["features"] + water["lakes"]["features"]
        for c in re.findall(r"-?\d+\.?\d*, ?-?\d+\.?\d*", json.dumps(f["geometry"]["coordinates"]))
    ]
    lons = [float(c.split(",")[0]) for c in coords]
    lats = [float(c.split(",")[1]) for c in coords]
    assert min(lons) >= results["longitude"].min() - WATER_MARGIN - 1e-6
    assert max(lons) <= results["longitude"].max() + WATER_MARGIN + 1e-6
    assert min(lats) >= results["latitude"].min() - WATER_MARGIN - 1e-6
    assert max(lats) <= results["latitude"].max() + WATER_MARGIN + 1e-6
    assert len(json.dumps(water)) < 60_000
    assert "Rivers and lakes: Natural Earth" in html and "river, lake (Natural Earth)" in html
    online = render_map(results, zones, offline=False)
    assert online.geostrike_summary["rivers"] == 0
    assert '"water":null' in map_html(online)

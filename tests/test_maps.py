"""Unit tests of geostrike.maps without a browser: escaping, URLs, JSON in script, page parts.

The browser tests (tests/test_maps_browser.py) open the same maps in Chromium.
"""

from __future__ import annotations

import json
import re

import folium
import pandas as pd
import pytest
from _map_fixtures import PAYLOADS, hostile_actor_csv, make_results, make_zones
from hypothesis import given
from hypothesis import strategies as st

from geostrike import style
from geostrike.errors import OutputError
from geostrike.maps import (
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
    html = map_html(render_map(make_results(), make_zones(), offline=True))
    assert style.controller_color("al_nusra;opposition") in html
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

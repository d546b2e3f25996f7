"""The strike map in a real browser: headless Chromium (Debian) driven by Playwright.

Every page is opened from disk with all network blocked (only file: URLs load). The tests
check that it loads without JavaScript errors, that Leaflet draws as many strikes, zones
and lines as the data holds, that popups show hostile text literally and nothing from the
data ever executes, and that screenshots are not blank. Skips without Chromium unless
GEOSTRIKE_REQUIRE_CLIENTS=1.
"""

from __future__ import annotations

import io
import math
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from _map_fixtures import (
    PAYLOADS,
    expected_counts,
    hostile_actor_csv,
    make_results,
    make_ukraine,
    make_zones,
)
from pyproj import Geod

from geostrike.render import style
from geostrike.render._browser import CHROMIUM_ARGS
from geostrike.render.maps import render_map, save_map

try:
    from playwright import sync_api as playwright
except ImportError:  # pragma: no cover - playwright is a test dependency
    playwright = None


@pytest.fixture(autouse=True)
def _need_playwright():
    from conftest import need_client

    need_client(playwright is not None, "the playwright package is not installed")


ARGS = list(CHROMIUM_ARGS)  # one definition: geostrike.render._browser
HOSTILE = " ".join(PAYLOADS)

COUNT_JS = """() => {
  const c = {};
  geostrike.map.eachLayer(l => {
    const k = l.options && l.options.gsKind;
    if (k) c[k] = (c[k] || 0) + 1;
  });
  return c;
}"""


class Session:
    """One page with its JavaScript errors, dialogs and blocked requests recorded."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on(
            "console",
            lambda m: (
                self.errors.append(f"console.{m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )

        def _dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", _dialog)

        def _route(route):
            url = route.request.url
            if url.startswith("file:") or url.startswith("data:"):
                route.continue_()
            else:
                self.blocked.append(url)
                route.abort()

        page.context.route("**/*", _route)

    def open(self, path: Path, *, all_dates: bool = False) -> None:
        """Load the map; ``all_dates`` switches from the first date to every date."""
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.geostrike && window.geostrike.ready", timeout=20000)
        if all_dates:
            self.page.evaluate("() => geostrike.setDate(0, true)")

    def counts(self) -> dict[str, int]:
        return self.page.evaluate(COUNT_JS)

    def pwned(self):
        return self.page.evaluate("window.__pwned")


@contextmanager
def browser_page(chromium: str, width: int = 1200, height: int = 800):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield Session(page)
        finally:
            browser.close()


def _pixel_std(png: bytes) -> float:
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")
    return float(np.asarray(img)[..., :3].std())


def _click_strike(s: Session, index: int) -> str:
    """Centre the map on strike ``index`` (clear of the legend), click it, return the popup text."""
    xy = s.page.evaluate(
        """(i) => {
          const map = geostrike.map;
          map.closePopup();
          let m = null;
          map.eachLayer(l => { if (l.options && l.options.gsKind === 'strike'
                                   && l.options.gsIndex === i) m = l; });
          map.setView(m.getLatLng(), map.getZoom(), {animate: false});
          const p = map.latLngToContainerPoint(m.getLatLng());
          const r = map.getContainer().getBoundingClientRect();
          return [p.x + r.left, p.y + r.top];
        }""",
        index,
    )
    # a closed popup fades out for 200 ms before Leaflet removes it: wait for it to go
    s.page.wait_for_function("!document.querySelector('.leaflet-popup')")
    s.page.mouse.click(xy[0], xy[1])
    s.page.wait_for_selector(".leaflet-popup-content .gs-popup", timeout=5000)
    return s.page.inner_text(".leaflet-popup-content")


def _strike_indices_by_id(s: Session) -> dict[str, int]:
    return s.page.evaluate(
        """() => { const S = window.__gsData.strikes, T = window.__gsData.strings, out = {};
                   S.id.forEach((k, i) => { out[T[k]] = i; }); return out; }"""
    )


def _expose_data(s: Session) -> None:
    s.page.evaluate(
        """() => { const el = document.querySelector('script[type="application/json"]');
                   window.__gsData = JSON.parse(el.textContent); }"""
    )


# --------------------------------------------------------------------------- tests
def test_offline_map_draws_the_data_per_date(chromium, tmp_path):
    results, zones = make_results(), make_zones()
    out = save_map(render_map(results, zones, offline=True), tmp_path / "map.html")
    with browser_page(chromium) as s:
        s.open(out)
        assert s.page.evaluate("typeof L === 'object' && typeof L.map === 'function'")
        # the map opens on the first date: its strikes and the zones valid on it
        first = sorted(results["date"].dropna().unique())[0]
        got = s.counts()
        want = expected_counts(results, zones, first)
        for kind in ("strike", "target-line", "stated-line", "precision", "zone"):
            assert got.get(kind, 0) == want[kind], (kind, got, want)
        # all dates (range mode): every located strike
        s.page.evaluate("() => geostrike.setDate(0, true)")
        got = s.counts()
        want = expected_counts(results, zones, None)
        for kind in ("strike", "target-line", "stated-line", "precision"):
            assert got.get(kind, 0) == want[kind], (kind, got, want)
        # one date at a time: strikes of that date, zones valid on it
        steps = s.page.evaluate("geostrike.dates")
        for date in sorted(results["date"].dropna().unique()):
            s.page.evaluate("(k) => geostrike.setDate(k, false)", steps.index(date))
            got = s.counts()
            want = expected_counts(results, zones, date)
            for kind in ("strike", "target-line", "stated-line", "precision", "zone"):
                assert got.get(kind, 0) == want[kind], (date, kind, got, want)
        # the joint zone of 2015-10-03 is drawn with the blended palette colour
        fills = s.page.evaluate(
            "() => { const f = []; geostrike.layers.zones.eachLayer(z => z.eachLayer("
            "p => f.push(p.options.fillColor))); return f; }"
        )
        assert style.zone_colors(zones["controller"])["al_nusra;opposition"] in fills
        # distance labels: "N km (M mi)", collapsed to "N km" where the full text cannot
        # fit, or left out (the line keeps its hover label); never drawn over data
        n_labels = want["target-line"] + want["stated-line"]
        labels = s.page.eval_on_selector_all(
            ".gs-dist-label:not(.gs-short)", "els => els.map(e => e.textContent)"
        )
        short = s.page.eval_on_selector_all(
            ".gs-dist-label.gs-short", "els => els.map(e => [e.textContent, e.title])"
        )
        placed = s.page.evaluate("geostrike.labels")
        assert len(labels) + len(short) == placed["placed"] >= 1
        assert len(short) == placed["collapsed"]
        assert placed["placed"] + placed["dropped"] == n_labels
        assert all(" km (" in t and " mi)" in t for t in labels)
        assert all(t.endswith(" km") and " mi)" in title for t, title in short)
        # controls: layers, scale, fullscreen, measure, time slider, legend, caption
        for sel in (
            ".leaflet-control-layers",
            ".leaflet-control-scale",
            ".gs-fullscreen",
            ".gs-measure",
            ".gs-time input[type=range]",
            ".gs-legend",
            ".gs-caption",
        ):
            assert s.page.query_selector(sel) is not None, sel
        assert "2015-09-30" in s.page.inner_text(".gs-caption")
        assert "ISW 2015-09-28" in s.page.inner_text(".gs-caption")
        png = s.page.screenshot()
        assert s.errors == [] and s.dialogs == [] and s.blocked == []
    assert _pixel_std(png) > 0.05


def test_popup_opens_on_click_with_the_claim(chromium, tmp_path):
    results, zones = make_results(), make_zones()
    out = save_map(render_map(results, zones, offline=True), tmp_path / "map.html")
    with browser_page(chromium) as s:
        s.open(out)
        _expose_data(s)
        idx = _strike_indices_by_id(s)
        text = _click_strike(s, idx["c2"])
        row = results.set_index("id").loc["c2"]
        for want in ("Russia", "Russian Ministry of Defence", "ISIS", "Town c2", "Reason for c2."):
            assert want in text
        assert "Inconsistent with the claim" in text
        km = row["distance_to_target_km"]
        assert f"{km:.0f} km ({km / 1.609344:.0f} mi)" in text
        href = s.page.get_attribute(".leaflet-popup-content a", "href")
        assert href == row["source"]
        assert s.errors == []


def test_hostile_text_in_every_field_never_runs(chromium, tmp_path):
    results = make_results(HOSTILE)
    located = results["latitude"].notna()
    results.loc[located, "controller"] = "evil_actor"  # labels come from the user's table
    results.loc[located, "target"] = "evil_actor;islamic_state"
    zones = make_zones("evil_actor;government")
    zones.loc[0, "controller"] = "evil_actor"
    zones["source"] = HOSTILE
    actors = hostile_actor_csv(tmp_path, HOSTILE)
    for offline in (True, False):
        out = save_map(
            render_map(results, zones, offline=offline, title=HOSTILE, actors=actors),
            tmp_path / f"hostile-{offline}.html",
        )
        with browser_page(chromium) as s:
            s.open(out, all_dates=True)
            _expose_data(s)
            assert s.page.title() == HOSTILE
            assert s.page.inner_text(".gs-title") == HOSTILE
            legend = s.page.inner_text(".gs-legend")
            assert HOSTILE in legend and "{{ 7*7 }}" in legend
            assert HOSTILE in s.page.inner_text(".gs-caption")
            # no element was injected anywhere the data is shown
            for sel in (".gs-title", ".gs-legend", ".gs-caption"):
                assert s.page.query_selector_all(f"{sel} img, {sel} svg, {sel} script") == []
            ids = _strike_indices_by_id(s)
            for rid, i in ids.items():
                text = _click_strike(s, i)
                assert f"{HOSTILE} [reason]" in text and f"{HOSTILE} [attacker]" in text
                assert f"{HOSTILE} [claimed_target]" in text and f"{HOSTILE} [place]" in text
                assert f"{HOSTILE} [label]" in text  # controller label from the actor table
                assert f"Strike {HOSTILE} [id]" in text
                assert HOSTILE in rid
                assert s.page.query_selector_all(".leaflet-popup-content img") == []
                assert s.page.query_selector_all(".leaflet-popup-content svg") == []
                assert s.page.query_selector_all(".leaflet-popup-content a") == []  # not http
                s.page.evaluate("() => { geostrike.map.closePopup(); }")
            # a zone popup (the evil controller's zone) shows its label and source as text
            s.page.evaluate(
                "() => { let z; geostrike.layers.zones.eachLayer(g => g.eachLayer(p => {"
                " if (!z) z = p; })); z.fire('click', {latlng: z.getBounds().getCenter()}); }"
            )
            ztext = s.page.inner_text(".leaflet-popup-content")
            assert HOSTILE in ztext
            # line labels name the (hostile) target label as text
            s.page.evaluate("() => geostrike.setDate(0, true)")
            labels = s.page.eval_on_selector_all(
                ".gs-dist-label", "els => els.map(e => e.textContent)"
            )
            # so long a label fits nowhere and is left out; the line's hover label shows it
            s.page.evaluate(
                "() => { geostrike.layers.target.eachLayer(l => l.fire('mouseover',"
                " {latlng: l.getLatLngs()[0]})); }"
            )
            labels += s.page.eval_on_selector_all(
                ".gs-line-label", "els => els.map(e => e.textContent)"
            )
            assert any(f"{HOSTILE} [label]" in t for t in labels)
            assert s.page.query_selector_all(".gs-label img, .gs-label svg") == []
            assert s.page.query_selector_all(".gs-line-label img, .gs-line-label svg") == []
            # the claims panel (table, filter options, unplaced claims) shows it as text
            s.page.evaluate("() => geostrike.panel.open()")
            panel = s.page.inner_text(".gs-panel")
            assert f"{HOSTILE} [id]" in panel and f"{HOSTILE} [attacker]" in panel
            assert f"{HOSTILE} [place]" in panel  # the unplaced claim, listed
            s.page.evaluate("() => document.querySelector('.gs-unplaced').open = true")
            assert s.page.query_selector_all(".gs-panel img, .gs-panel svg, .gs-panel script") == []
            s.page.evaluate("(q) => geostrike.panel.search(q)", HOSTILE)
            assert len(s.page.evaluate("geostrike.panel.rows()")) == int(located.sum())
            png = s.page.screenshot()
            assert s.pwned() is None
            assert s.dialogs == []
            assert [e for e in s.errors if "Failed to load resource" not in e] == []
            if offline:
                assert s.blocked == [] and s.errors == []
            else:
                assert any("tile.openstreetmap.org" in u for u in s.blocked)
                assert s.page.query_selector(".leaflet-tile") is not None
        assert _pixel_std(png) > 0.05


def test_links_only_from_http_urls(chromium, tmp_path):
    results = make_results()
    results["source"] = [
        "javascript:window.__pwned=1",
        " JaVaScRiPt:window.__pwned=1",
        "data:text/html,<script>window.__pwned=1</script>",
        "https://example.org/ok?x=1&y=2",
        "//evil.example/x",
        "vbscript:msgbox(1)",
    ]
    out = save_map(render_map(results, make_zones(), offline=True), tmp_path / "links.html")
    with browser_page(chromium) as s:
        s.open(out, all_dates=True)
        _expose_data(s)
        ids = _strike_indices_by_id(s)
        hrefs = {}
        for rid, i in ids.items():
            _click_strike(s, i)
            a = s.page.query_selector(".leaflet-popup-content a")
            hrefs[rid] = a.get_attribute("href") if a else None
            if a:
                assert a.get_attribute("rel") == "noopener noreferrer nofollow"
            s.page.evaluate("() => { geostrike.map.closePopup(); }")
        assert hrefs == {
            "c1": None,
            "c2": None,
            "c3": None,
            "c4": "https://example.org/ok?x=1&y=2",
            "c5": None,
        }
        assert s.pwned() is None and s.dialogs == []


def test_many_strikes_are_clustered(chromium, tmp_path):
    rng = np.random.default_rng(3)
    base = make_results()
    base = base[base["latitude"].notna()]
    n = 700
    rows = base.sample(n, replace=True, random_state=1).reset_index(drop=True)
    rows["id"] = [f"s{i}" for i in range(n)]
    rows["latitude"] = rows["latitude"] + rng.normal(0, 0.3, n)
    rows["longitude"] = rows["longitude"] + rng.normal(0, 0.3, n)
    m = render_map(rows, make_zones(), offline=True)
    assert m.geostrike_summary["clustered"]
    out = save_map(m, tmp_path / "many.html")
    with browser_page(chromium) as s:
        s.open(out, all_dates=True)
        got = s.counts()
        clusters = s.page.eval_on_selector_all(
            ".gs-cluster", "els => els.map(e => parseInt(e.textContent, 10))"
        )
        assert clusters, "no cluster icons"
        assert sum(clusters) + got.get("strike", 0) == n
        assert got.get("target-line", 0) == 0  # lines start hidden above the threshold
        assert s.page.evaluate("geostrike.layers.cluster.getLayers().length") == n
        # switching a verdict off in the layer control removes its strikes
        n_cons = int((rows["verdict"] == "consistent").sum())
        s.page.evaluate("() => { geostrike.map.removeLayer(geostrike.layers.consistent); }")
        assert s.page.evaluate("geostrike.layers.cluster.getLayers().length") == n - n_cons
        assert s.errors == [] and s.blocked == []


def test_measure_tool_gives_the_geodesic_length(chromium, tmp_path):
    out = save_map(render_map(make_results(), make_zones(), offline=True), tmp_path / "m.html")
    pts = [(34.9, 36.4), (35.9, 38.5), (36.2, 40.1)]
    geod = Geod(ellps="WGS84")
    want = sum(geod.inv(a[1], a[0], b[1], b[0])[2] for a, b in zip(pts[:-1], pts[1:], strict=True))
    with browser_page(chromium) as s:
        s.open(out)
        s.page.click(".gs-measure a")
        for lat, lon in pts:
            s.page.evaluate("([a, b]) => geostrike.measure.add([a, b])", [lat, lon])
        got = s.page.evaluate("geostrike.measure.total")
        shown = s.page.inner_text(".gs-measure-out")
        assert math.isclose(got, want, rel_tol=1e-7)
        assert f"{want / 1000:.0f} km" in shown
        # measuring by clicking the map adds points too
        s.page.evaluate("geostrike.measure.clear()")
        box = s.page.query_selector(".folium-map").bounding_box()
        s.page.mouse.click(box["x"] + 300, box["y"] + 500)
        s.page.mouse.click(box["x"] + 700, box["y"] + 520)
        assert s.page.evaluate("geostrike.measure.pts.length") == 2
        assert s.page.evaluate("geostrike.measure.total") > 0
        assert s.errors == []


def test_empty_and_unlocated_results_still_draw(chromium, tmp_path):
    results = make_results()
    results = results[results["latitude"].isna()]
    out = save_map(render_map(results, make_zones(), offline=True), tmp_path / "e.html")
    with browser_page(chromium) as s:
        s.open(out)
        assert s.counts().get("strike", 0) == 0
        assert s.counts().get("zone", 0) == 3
        assert "1 claim(s) could not be placed" in s.page.inner_text(".gs-caption")
        assert s.errors == []


def test_single_date_has_no_time_control(chromium, tmp_path):
    results = make_results()
    results = results[results["date"] == "2015-09-30"]
    out = save_map(render_map(results, make_zones(), offline=True), tmp_path / "one.html")
    with browser_page(chromium) as s:
        s.open(out)
        assert s.page.query_selector(".gs-time") is None
        assert s.counts()["strike"] == len(results)
        assert s.errors == []


def test_cli_map_of_hostile_claims_through_the_engine(chromium, tmp_path):
    """Hostile text in every claim field and in the user's actor table, through check."""
    import csv

    from click.testing import CliRunner

    from geostrike.cli import cli
    from geostrike.inputs.zones import zones_from_points

    scenario = Path(__file__).resolve().parents[2] / "geostrike/data/scenarios/syria-2015"
    zones_path = tmp_path / "zones.geojson"
    zones = zones_from_points(scenario / "control_points.csv")
    zones["source"] = HOSTILE
    zones.to_file(zones_path)
    alias = "<img src=x onerror=alert(7)>"  # a claimed target must resolve to an actor
    actors = tmp_path / "actors.csv"
    with actors.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label", "members", "color", "aliases"])
        w.writerow(["evil_actor", f"{HOSTILE} [label]", "", f'red;x:"{HOSTILE}', f"Evil|{alias}"])
    H = HOSTILE
    fields = [
        "id",
        "date",
        "attacker",
        "claimant",
        "claimed_target",
        "target_place",
        "place",
        "latitude",
        "longitude",
        "precision",
        "source",
        "notes",
    ]
    rows = [
        [f"{H} 1", "2015-09-30", H, H, "Islamic State", "Raqqa", H, "34.85", "36.72", "1", H, H],
        [f"{H} 2", "2015-09-30", H, H, alias, H, H, "35.0", "36.7", "1", "javascript:alert(8)", H],
        [f"{H} 3", "2015-10-01", H, H, "ISIS", "", H, "35.2", "36.9", H, H, H],
        [f"{H} 4", H, H, H, "ISIS", "", H, "", "", "", H, H],
        [
            "plain",
            "2015-10-01",
            "Russia",
            "MoD",
            "ISIS",
            "",
            "Ar Rastan",
            "",
            "",
            "1",
            "https://example.org/x",
            "",
        ],
    ]
    claims = tmp_path / "claims.csv"
    with claims.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(fields)
        w.writerows(rows)
    out = tmp_path / "hostile.html"
    res = CliRunner().invoke(
        cli,
        [
            "map",
            str(claims),
            "--zones",
            str(zones_path),
            "-o",
            str(out),
            "--offline",
            "--title",
            H,
            "--actors",
            str(actors),
        ],
    )
    assert res.exit_code == 0, res.output
    from geostrike.engine.check import check

    results = check(claims, zones_path, actors=actors)
    located = results[results["latitude"].notna()]
    assert len(located) >= 3
    with browser_page(chromium) as s:
        s.open(out, all_dates=True)
        _expose_data(s)
        assert s.counts().get("strike", 0) == len(located)
        ids = _strike_indices_by_id(s)
        for rid, reason in zip(located["id"], located["reason"], strict=True):
            text = _click_strike(s, ids[rid])
            assert reason in text  # the engine's sentence, hostile place name included
            assert (
                s.page.query_selector_all(".leaflet-popup-content img, .leaflet-popup-content svg")
                == []
            )
        assert any(H in r for r in located["reason"])
        assert H in s.page.inner_text(".gs-caption")
        assert s.page.title() == H
        assert s.pwned() is None and s.dialogs == []
        assert s.errors == [] and s.blocked == []
        png = s.page.screenshot()
    assert _pixel_std(png) > 0.05


def test_layer_control_fullscreen_and_time_slider(chromium, tmp_path):
    results, zones = make_results(), make_zones()
    out = save_map(render_map(results, zones, offline=True), tmp_path / "ui.html")
    want = expected_counts(results, zones, None)
    with browser_page(chromium) as s:
        s.open(out, all_dates=True)
        # the layer control lists zones, each verdict and the distance lines
        s.page.hover(".leaflet-control-layers")
        names = s.page.eval_on_selector_all(
            ".leaflet-control-layers-overlays label", "els => els.map(e => e.textContent.trim())"
        )
        assert names[0] == "Control zones"
        for v in ("consistent", "inconsistent", "indeterminate"):
            n = int((results["verdict"] == v).sum())
            assert f"{style.VERDICT_LABELS[v]} ({n})" in names
        assert "Distance to claimed target" in names and "Distance from stated place" in names
        # unticking "Distance to claimed target" removes exactly those lines
        s.page.click(
            ".leaflet-control-layers-overlays label:has-text('Distance to claimed target') input"
        )
        got = s.counts()
        assert got.get("target-line", 0) == 0
        assert got["strike"] == want["strike"] and got["stated-line"] == want["stated-line"]
        s.page.click(".leaflet-control-layers-overlays label:has-text('Control zones') input")
        assert s.counts().get("zone", 0) == 0
        s.page.click(".leaflet-control-layers-overlays label:has-text('Control zones') input")
        assert s.counts().get("zone", 0) == want["zone"]
        s.page.mouse.move(600, 400)
        # the slider picks a date: strikes of that date only, zones valid on it
        # (its steps are the claim dates and the day the joint zone's window starts)
        s.page.evaluate("() => geostrike.setDate(0, false)")
        assert s.page.evaluate("geostrike.dates") == ["2015-09-30", "2015-10-02", "2015-10-03"]
        s.page.fill(".gs-time input[type=range]", "1")
        assert "2015-10-02 (no strikes on this date)" in s.page.inner_text(".gs-time-label")
        assert s.counts().get("strike", 0) == 0
        s.page.fill(".gs-time input[type=range]", "2")
        assert "2015-10-03" in s.page.inner_text(".gs-time-label")
        assert s.counts()["strike"] == expected_counts(results, zones, "2015-10-03")["strike"]
        # fullscreen button toggles the browser's fullscreen mode
        s.page.click(".gs-fullscreen a")
        s.page.wait_for_function("document.fullscreenElement === document.documentElement")
        s.page.click(".gs-fullscreen a")
        s.page.wait_for_function("document.fullscreenElement === null")
        assert s.errors == [] and s.blocked == []


# --------------------------------------------------------------------------- readable maps
OVERLAP_JS = """() => {
  const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const labels = Array.from(document.querySelectorAll('.gs-label'))
    .filter(e => e.offsetParent !== null).map(e => ({t: e.textContent, b: rect(e)}));
  const over = (a, b) => a[0] < b[2] - 0.5 && b[0] < a[2] - 0.5 && a[1] < b[3] - 0.5 && b[1] < a[3] - 0.5;
  const pairs = [];
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++)
      if (over(labels[i].b, labels[j].b)) pairs.push([labels[i].t, labels[j].t]);
  const map = geostrike.map, c = map.getContainer().getBoundingClientRect();
  const covered = [];
  map.eachLayer(l => {
    if (!(l.options && l.options.gsKind === 'strike')) return;
    const p = map.latLngToContainerPoint(l.getLatLng());
    const x = p.x + c.left, y = p.y + c.top, r = l.options.radius;
    labels.forEach(lb => {
      const b = lb.b;  // circle-rectangle intersection
      const dx = Math.max(b[0] - x, 0, x - b[2]), dy = Math.max(b[1] - y, 0, y - b[3]);
      if (dx * dx + dy * dy < r * r) covered.push(lb.t);
    });
  });
  return {n: labels.length, pairs, covered,
          places: document.querySelectorAll('.gs-place').length,
          dist: document.querySelectorAll('.gs-dist-label').length};
}"""


def _demo_map(tmp_path: Path) -> Path:
    from geostrike.demo import TITLE, build_zones, scenario_dir
    from geostrike.engine.check import check
    from geostrike.inputs.claims import read_claims

    zones = build_zones(scenario_dir() / "control_points.csv")
    results = check(read_claims(scenario_dir() / "claims.csv"), zones)
    return save_map(render_map(results, zones, offline=True, title=TITLE), tmp_path / "demo.html")


def _dense_results(n: int = 120, seed: int = 5):
    """Many strikes, each with a distance line, bunched in a small area (a dense case)."""
    rng = np.random.default_rng(seed)
    base = make_results()
    base = base[base["latitude"].notna()]
    rows = base.sample(n, replace=True, random_state=seed).reset_index(drop=True)
    rows["id"] = [f"d{i}" for i in range(n)]
    rows["date"] = "2015-09-30"
    rows["latitude"] = 35.2 + rng.normal(0, 0.12, n)
    rows["longitude"] = 36.8 + rng.normal(0, 0.12, n)
    rows["verdict"] = "inconsistent"
    return rows


@pytest.mark.parametrize("case", ["demo", "dense"])
def test_labels_never_overlap_nor_cover_strikes(chromium, tmp_path, case):
    if case == "demo":
        out = _demo_map(tmp_path)
    else:
        out = save_map(
            render_map(_dense_results(), make_zones(), offline=True), tmp_path / "d.html"
        )
    with browser_page(chromium) as s:
        s.open(out)
        got = s.page.evaluate(OVERLAP_JS)
        assert got["pairs"] == [] and got["covered"] == [], got
        assert got["places"] >= 5  # town names, offline, from the gazetteer
        assert got["dist"] >= 1
        # zooming in shows more towns, still without collisions
        s.page.evaluate(
            "() => { geostrike.map.setZoom(geostrike.map.getZoom() + 2, {animate: false}); }"
        )
        more = s.page.evaluate(OVERLAP_JS)
        assert more["pairs"] == [] and more["covered"] == [], more
        assert s.errors == [] and s.blocked == []


def test_default_view_shows_the_zones_of_the_strikes_date(chromium, tmp_path):
    """The map opens on one date: every strike drawn is of that date and the zones drawn
    are exactly those valid on it (the demo: two snapshots, four dates)."""
    from geostrike.demo import build_zones, scenario_dir
    from geostrike.engine.check import check
    from geostrike.inputs.claims import read_claims
    from geostrike.inputs.zones import zones_on

    zones = build_zones(scenario_dir() / "control_points.csv")
    results = check(read_claims(scenario_dir() / "claims.csv"), zones)
    out = save_map(render_map(results, zones, offline=True), tmp_path / "demo.html")
    with browser_page(chromium) as s:
        s.open(out)
        _expose_data(s)
        shown = s.page.evaluate(
            """() => { const S = window.__gsData.strikes, D = window.__gsData.dates, out = [];
                       geostrike.map.eachLayer(l => { if (l.options && l.options.gsKind === 'strike')
                         out.push(D[S.d[l.options.gsIndex]]); }); return out; }"""
        )
        first = min(d for d in results["date"].astype(str) if d)[:10]
        assert shown and set(shown) == {first}
        assert len(shown) == int((results["date"].astype(str).str[:10] == first).sum())
        assert s.counts()["zone"] == len(zones_on(zones, first))
        assert f"Strikes and zones of {first}" in s.page.inner_text(".gs-time-label")
        # the legend counts what is drawn, not every date
        n_inc = int(
            (
                (results["date"].astype(str).str[:10] == first)
                & (results["verdict"] == "inconsistent")
            ).sum()
        )
        assert s.page.inner_text('.gs-count[data-v="inconsistent"]') == str(n_inc)
        # a range: strikes of every date, and the label says the zones changed within it
        s.page.evaluate("() => geostrike.setDate(0, true)")
        assert "zones changed within this range" in s.page.inner_text(".gs-time-label")
        assert s.errors == [] and s.blocked == []


def test_filters_table_and_map_are_linked(chromium, tmp_path):
    results, zones = make_results(), make_zones()
    results.loc[results["id"] == "c2", "attacker"] = "Syrian Air Force"
    out = save_map(render_map(results, zones, offline=True), tmp_path / "f.html")
    with browser_page(chromium) as s:
        s.open(out)
        _expose_data(s)
        ids = _strike_indices_by_id(s)
        s.page.evaluate("() => geostrike.setDate(0, true)")  # every date
        s.page.click(".gs-panel-toggle")
        rows = s.page.evaluate("geostrike.panel.rows()")
        assert sorted(rows) == sorted(ids.values())
        # verdict filter: what is drawn, the legend and the table follow
        s.page.select_option(
            ".gs-filters select[data-key=verdict]", label="Consistent with the claim (2)"
        )
        assert s.counts()["strike"] == 2
        assert s.page.inner_text('.gs-count[data-v="consistent"]') == "2"
        assert s.page.inner_text('.gs-count[data-v="inconsistent"]') == "0"
        assert sorted(s.page.evaluate("geostrike.panel.rows()")) == sorted([ids["c1"], ids["c5"]])
        assert s.counts().get("target-line", 0) == 0  # consistent: inside, no lines
        s.page.select_option(".gs-filters select[data-key=verdict]", value="")
        # attacker filter
        s.page.evaluate("() => geostrike.panel.filter('attacker', 'Syrian Air Force')")
        assert s.counts()["strike"] == 1
        assert s.page.evaluate("geostrike.panel.rows()") == [ids["c2"]]
        s.page.evaluate("() => geostrike.panel.filter('attacker', '')")
        for key in ("claimant", "claimed_target", "_controller_label", "src"):
            assert s.page.query_selector(f".gs-filters select[data-key={key}]") is not None, key
        # search
        s.page.evaluate("() => geostrike.panel.search('Town c4')")
        assert s.counts()["strike"] == 1
        s.page.evaluate("() => geostrike.panel.search('')")
        assert s.counts()["strike"] == 5
        # sort by distance to the target, then descending
        s.page.click(".gs-table th:has-text('To target')")
        s.page.click(".gs-table th:has-text('To target')")
        order = s.page.evaluate("geostrike.panel.rows()")
        km = results.set_index("id")["distance_to_target_km"]
        by_idx = {i: km[r] for r, i in ids.items()}
        dists = [by_idx[i] for i in order]
        assert dists == sorted(dists, reverse=True)
        # a row flies to its strike and opens its popup
        s.page.click(f".gs-table tr[data-i='{ids['c3']}']")
        s.page.wait_for_selector(".leaflet-popup-content .gs-popup")
        assert "Strike c3" in s.page.inner_text(".leaflet-popup-content")
        assert s.page.get_attribute(f".gs-table tr[data-i='{ids['c3']}']", "class") == "gs-selected"
        # clicking a strike highlights its row
        s.page.evaluate("() => { geostrike.map.closePopup(); }")
        _click_strike(s, ids["c5"])
        assert s.page.get_attribute(f".gs-table tr[data-i='{ids['c5']}']", "class") == "gs-selected"
        # the claim that could not be placed is listed
        assert "1 claim(s) could not be placed" in s.page.inner_text(".gs-unplaced summary")
        s.page.evaluate("() => document.querySelector('.gs-unplaced').open = true")
        assert "c6" in s.page.inner_text(".gs-unplaced")
        assert s.errors == [] and s.blocked == []


def test_legend_collapses_and_play_steps_through_dates(chromium, tmp_path):
    out = save_map(render_map(make_results(), make_zones(), offline=True), tmp_path / "p.html")
    with browser_page(chromium) as s:
        s.open(out)
        s.page.click(".gs-legend summary")
        assert not s.page.is_visible(".gs-legend-verdicts")
        s.page.click(".gs-legend summary")
        assert s.page.is_visible(".gs-legend-verdicts")
        s.page.click(".gs-play")
        s.page.wait_for_function("geostrike.state.hi === 2", timeout=10000)
        assert "2015-10-03" in s.page.inner_text(".gs-time-label")
        assert s.errors == [] and s.blocked == []


def test_hostile_town_names_never_run(chromium, tmp_path, monkeypatch):
    """Town names come from the gazetteer, which a user may import: shown as text only."""
    import geostrike.render.maps as maps

    name = PAYLOADS[1] + PAYLOADS[4]  # short enough to fit on screen
    hostile = {"lat": [34.3], "lon": [37.9], "name": [name], "r": [3], "pop": [2_000_000]}
    monkeypatch.setattr(maps, "_places", lambda bounds: hostile)
    out = save_map(render_map(make_results(), make_zones(), offline=True), tmp_path / "t.html")
    with browser_page(chromium, width=1600) as s:
        s.open(out)
        s.page.evaluate("() => { geostrike.map.setZoom(9, {animate: false}); }")
        s.page.evaluate("() => { geostrike.map.panTo([34.3, 37.9], {animate: false}); }")
        names = s.page.eval_on_selector_all(".gs-place", "els => els.map(e => e.textContent)")
        assert name in names
        assert s.page.query_selector_all(".gs-label img, .gs-label svg, .gs-label script") == []
        assert s.pwned() is None and s.dialogs == [] and s.errors == [] and s.blocked == []


WATER_JS = """() => {
  const out = {rivers: [], lakes: 0};
  geostrike.layers.rivers.eachLayer(l => {
    const ll = l.getLatLngs().flat(2);
    out.rivers.push(ll.map(p => [p.lat, p.lng]));
  });
  geostrike.layers.lakes.eachLayer(() => { out.lakes++; });
  out.onMap = geostrike.map.hasLayer(geostrike.layers.rivers) &&
              geostrike.map.hasLayer(geostrike.layers.lakes);
  out.pane = geostrike.layers.rivers.getLayers()[0].options.renderer._container.parentNode.className;
  return out;
}"""


def test_rivers_and_lakes_drawn_offline_under_the_data(chromium, tmp_path):
    """Ukraine: the Dnipro is drawn from the inlined Natural Earth data with every network
    request blocked, on the base pane under zones and strikes; labels still never overlap
    nor cover a strike."""
    results, zones = make_ukraine()
    out = save_map(render_map(results, zones, offline=True), tmp_path / "ua.html")
    with browser_page(chromium) as s:
        s.open(out)
        got = s.page.evaluate(WATER_JS)
        assert got["onMap"] and got["lakes"] >= 1
        assert "leaflet-gsBase-pane" in got["pane"]  # z-index 250: under zones (400)
        # the Dnipro between Dnipro city and Zaporizhzhia (48.46N 35.05E to 47.84N 35.14E)
        on_dnipro = [
            r for r in got["rivers"] if any(47.8 < la < 48.5 and 34.9 < lo < 35.3 for la, lo in r)
        ]
        assert on_dnipro
        # nothing is drawn far beyond the data (clipped to the data's box and a margin)
        lats = [la for r in got["rivers"] for la, _ in r]
        assert max(lats) <= results["latitude"].max() + 4.01
        # labels take the rivers as they take the rest of the base: no overlap, no cover
        lab = s.page.evaluate(OVERLAP_JS)
        assert lab["pairs"] == [] and lab["covered"] == [], lab
        s.page.evaluate("() => geostrike.setDate(0, true)")
        lab = s.page.evaluate(OVERLAP_JS)
        assert lab["pairs"] == [] and lab["covered"] == [], lab
        assert s.errors == [] and s.blocked == []


@pytest.mark.parametrize("height", [560, 700, 800])
def test_open_panel_ends_above_the_scale_bar_and_time_control(chromium, tmp_path, height):
    """The claims panel, open, never covers the scale bar or the time control."""
    out = save_map(render_map(make_results(), make_zones(), offline=True), tmp_path / "m.html")
    with browser_page(chromium, width=1200, height=height) as s:
        s.open(out)
        s.page.evaluate("() => geostrike.panel.open()")
        rects = s.page.evaluate(
            """() => ['.gs-panel', '.leaflet-control-scale', '.gs-time'].map(q => {
                 const r = document.querySelector(q).getBoundingClientRect();
                 return [r.left, r.top, r.right, r.bottom]; })"""
        )
        panel, scale, time = rects
        for other in (scale, time):
            assert panel[3] + 8 <= other[1], (height, panel, other)  # with a visible gap
        # a date range lengthens the time control's label: the panel ends above it still
        s.page.evaluate("() => geostrike.setDate(0, true)")
        panel, scale, time = s.page.evaluate(
            """() => ['.gs-panel', '.leaflet-control-scale', '.gs-time'].map(q => {
                 const r = document.querySelector(q).getBoundingClientRect();
                 return [r.left, r.top, r.right, r.bottom]; })"""
        )
        assert panel[3] + 8 <= scale[1] and panel[3] <= time[1], (height, panel, scale)
        # a smaller window after opening: the panel shrinks with it
        s.page.set_viewport_size({"width": 1200, "height": height - 100})
        s.page.wait_for_timeout(100)
        panel2 = s.page.evaluate(
            "() => { const r = document.querySelector('.gs-panel').getBoundingClientRect();"
            " return r.bottom; }"
        )
        scale2 = s.page.evaluate(
            "() => document.querySelector('.leaflet-control-scale').getBoundingClientRect().top"
        )
        assert panel2 <= scale2
        assert s.errors == []


def test_date_range_draws_the_last_dates_zones_and_hollows_the_others(chromium, tmp_path):
    """Range mode's decision: the zones of the range's last date are drawn (the label says
    so) and the strikes of dates on which other zones were valid are drawn hollow, as in
    the figure; back on one date, every strike is filled again."""
    from geostrike.inputs.zones import zones_on

    results, zones = make_ukraine()
    out = save_map(render_map(results, zones, offline=True), tmp_path / "ua.html")
    last = max(results["date"])
    shown = set(zones_on(zones, last).index)
    want = int(
        sum(set(zones_on(zones, d).index) != shown for d in results["date"])
    )  # Kherson and Nova Kakhovka: 2022-12-01, other zones
    assert want == 2
    fills = """() => { const f = [];
      geostrike.map.eachLayer(l => { if (l.options && l.options.gsKind === 'strike')
        f.push(l.options.fillColor); }); return f; }"""
    with browser_page(chromium) as s:
        s.open(out)
        s.page.evaluate("() => geostrike.setDate(0, true)")
        assert s.page.evaluate("geostrike.hollow") == want
        assert s.page.evaluate(fills).count("#ffffff") == want
        assert s.counts()["zone"] == len(shown)
        label = s.page.inner_text(".gs-time-label")
        assert f"zones of {last}" in label and f"{want} strike(s) drawn hollow" in label
        s.page.evaluate("(k) => geostrike.setDate(k, false)", 0)
        assert s.page.evaluate("geostrike.hollow") == 0
        assert "#ffffff" not in s.page.evaluate(fills)
        assert s.errors == [] and s.blocked == []

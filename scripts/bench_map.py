#!/usr/bin/env python3
"""Benchmark the strike map: build time, HTML size and Chromium draw time for N strikes.

Synthetic check results (random points over Syria, three verdicts, distance lines, stated
places, long reason sentences, several dates) and a grid of dated control zones are drawn
with ``geostrike.render.maps.render_map``; the page is opened in headless Chromium (Debian's
``/usr/bin/chromium`` through Playwright, no network) and timed until Leaflet is ready and
the markers are drawn (the map sets ``data-gs-ready`` two animation frames after adding
them). For comparison the plain folium way — one ``CircleMarker`` with a popup per strike —
is built and drawn too, at a smaller N by default because it is slow (``--baseline-n``).

Usage: ``.venv/bin/python scripts/bench_map.py [-n 10000] [--baseline-n 2000] [--offline]``

The budget (issue 16): at 10,000 strikes the map builds in under 2 s, stays under 5 MB and
draws in under 2 s; the script prints each figure against it.
"""

from __future__ import annotations

import argparse
import html
import shutil
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geostrike.render import style  # noqa: E402
from geostrike.render._browser import CHROMIUM_ARGS  # noqa: E402
from geostrike.render.maps import render_map, save_map  # noqa: E402

ARGS = list(CHROMIUM_ARGS)  # one definition: geostrike.render._browser

#: The map's budget at 10,000 strikes (issue 16): build, single-file size, draw.
BUDGET = {"build (s)": 2.0, "HTML size (MB)": 5.0, "Chromium draw (s)": 2.0}


def synthetic(n: int, n_dates: int, seed: int = 1) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """N located claims and a 6x4 grid of zones whose controllers change half-way."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(32.5, 37.0, n)
    lon = rng.uniform(35.8, 42.0, n)
    verdict = rng.choice(np.array(style.VERDICTS), n, p=[0.5, 0.3, 0.2])
    dates = pd.date_range("2015-09-30", periods=n_dates, freq="D").strftime("%Y-%m-%d")
    tkm = np.where(verdict == "consistent", 0.0, rng.uniform(1, 120, n))
    has_p = rng.random(n) < 0.3
    df = pd.DataFrame(
        {
            "id": [f"claim-{i:05d}" for i in range(n)],
            "status": "ok",
            "verdict": verdict,
            "reason": [
                f"The strike at {la:.3f}, {lo:.3f} lies {d:.1f} km ({d / 1.609344:.1f} mi) from "
                "territory held by the claimed target on that date, beyond the 5 km tolerance."
                for la, lo, d in zip(lat, lon, tkm, strict=True)
            ],
            "latitude": lat,
            "longitude": lon,
            "location_source": "gazetteer",
            "location_name": [f"Town {i % 997}" for i in range(n)],
            "precision_km": rng.choice([0.0, 1.0, 5.0, 25.0], n),
            "controller": rng.choice(["government", "opposition", "islamic_state"], n),
            "target": "islamic_state",
            "distance_to_target_km": tkm,
            "nearest_target_latitude": np.where(tkm > 0, lat + 0.3, np.nan),
            "nearest_target_longitude": np.where(tkm > 0, lon + 0.3, np.nan),
            "distance_to_stated_place_km": np.where(has_p, rng.uniform(1, 80, n), np.nan),
            "stated_place_latitude": np.where(has_p, lat - 0.2, np.nan),
            "stated_place_longitude": np.where(has_p, lon - 0.2, np.nan),
            "date": rng.choice(dates, n),
            "attacker": "Russia",
            "claimant": "Russian Ministry of Defence",
            "claimed_target": "ISIS",
            "target_place": np.where(has_p, "Raqqa", None),
            "place": [f"Town {i % 997}" for i in range(n)],
            "source": [f"https://example.org/report/{i}" for i in range(n)],
        }
    )
    rows = []
    ctrls = ["government", "opposition", "islamic_state", "al_nusra;opposition"]
    mid = pd.Timestamp(dates[len(dates) // 2])
    for i in range(6):
        for j in range(4):
            geom = box(35.8 + i, 32.5 + j * 1.2, 36.8 + i, 33.7 + j * 1.2)
            a, b = ctrls[(i + j) % 4], ctrls[(i + j + 1) % 4]
            rows.append((a, pd.NaT, mid - pd.Timedelta(days=1), "bench grid", geom))
            rows.append((b, mid, pd.NaT, "bench grid", geom))
    zones = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["controller", "valid_from", "valid_to", "source", "geometry"]),
        geometry="geometry",
        crs="EPSG:4326",
    )
    zones.insert(0, "zone_id", [f"z{i}" for i in range(len(zones))])
    return df, zones


def plain_folium(df: pd.DataFrame, path: Path) -> None:
    """The baseline: one folium CircleMarker with an (escaped) popup per strike.

    folium's CDN links are swapped for the same inlined Leaflet so that it draws offline;
    folium's popups call jQuery's ``$(html)``, replaced by a two-line stand-in that parses
    the HTML the same way (jQuery itself is not installed here).
    """
    import folium

    from geostrike.render.maps import _assets, _Raw

    m = folium.Map(location=[34.8, 38.9], zoom_start=7, tiles=None)
    m.default_js = []
    m.default_css = []
    css, js = _assets()
    shim = (
        "<script>window.$=function(h){var t=document.createElement('template');"
        "t.innerHTML=String(h).trim();return [t.content.firstChild];};</script>"
    )
    m.get_root().header.add_child(_Raw(css + js + shim), name="inline_assets")
    for row in df.itertuples(index=False):
        popup = html.escape(f"{row.id} {row.date} {row.verdict}: {row.reason}")
        folium.CircleMarker(
            [row.latitude, row.longitude],
            radius=6,
            color=style.VERDICT_COLORS[row.verdict],
            fill=True,
            popup=folium.Popup(popup, max_width=300),
        ).add_to(m)
    m.save(str(path))


def draw_time(path: Path, ready_js: str) -> float:
    """Seconds from navigation start until ``ready_js`` is true, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort(),
        )
        page.goto(path.as_uri(), wait_until="commit")
        page.wait_for_function(ready_js, timeout=120_000, polling=10)
        ms = page.evaluate("performance.now()")
        browser.close()
    return ms / 1000.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=10_000)
    ap.add_argument("--dates", type=int, default=10)
    ap.add_argument("--baseline-n", type=int, default=2_000)
    ap.add_argument("--offline", action="store_true", help="offline map (outlines, no tiles)")
    args = ap.parse_args()

    df, zones = synthetic(args.n, args.dates)
    tmp = Path(tempfile.mkdtemp(prefix="gs-bench-"))
    out = tmp / "geostrike.html"
    t0 = time.perf_counter()
    render_map(df.head(10), zones, offline=args.offline)  # warm caches (assets, outlines)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    m = render_map(df, zones, offline=args.offline)
    save_map(m, out)
    build = time.perf_counter() - t0
    size = out.stat().st_size / 1e6
    draw = draw_time(out, "document.documentElement.getAttribute('data-gs-ready') === '1'")

    base_df = df.head(args.baseline_n)
    base_out = tmp / "plain-folium.html"
    t0 = time.perf_counter()
    plain_folium(base_df, base_out)
    base_build = time.perf_counter() - t0
    base_size = base_out.stat().st_size / 1e6
    n_base = len(base_df)
    base_draw = draw_time(
        base_out, f"document.querySelectorAll('path.leaflet-interactive').length >= {n_base}"
    )
    print(f"strikes: {args.n} over {args.dates} date(s), zones: {len(zones)}")
    print(f"{'':28}{'geostrike':>12}{'plain folium':>16}")
    print(f"{'N':28}{args.n:>12}{len(base_df):>16}")
    print(f"{'build (s)':28}{build:>12.2f}{base_build:>16.2f}")
    print(f"{'HTML size (MB)':28}{size:>12.2f}{base_size:>16.2f}")
    print(f"{'Chromium draw (s)':28}{draw:>12.2f}{base_draw:>16.2f}")
    if len(base_df) != args.n:
        scale = args.n / len(base_df)
        print(
            f"plain folium scaled linearly to N={args.n}: build ~{base_build * scale:.1f} s, "
            f"~{base_size * scale:.1f} MB"
        )
    got = {"build (s)": build, "HTML size (MB)": size, "Chromium draw (s)": draw}
    for key, limit in BUDGET.items():
        verdict = "within" if got[key] < limit else "OVER"
        print(f"budget {key:<20} {got[key]:8.2f} < {limit:.1f}: {verdict}")
    s = m.geostrike_summary
    print(f"place labels offered: {s.get('places', 0)}")
    if args.offline:
        print(f"rivers: {s.get('rivers', 0)}, lakes: {s.get('lakes', 0)} (Natural Earth 1:50m)")
    print(
        f"first map of the process (10 strikes; reads the assets, outlines, water and "
        f"gazetteer once): {cold:.2f} s"
    )
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()

"""The static figure (geostrike.render.figure): panels per date, strikes by verdict, lines, legend,
hostile text drawn literally, files written atomically."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from _map_fixtures import PAYLOADS, make_results, make_zones
from matplotlib.collections import LineCollection, PathCollection

from geostrike.errors import OutputError
from geostrike.render import style
from geostrike.render.figure import build_figure, draw_figure, plain

HOSTILE = " ".join(PAYLOADS) + " $x^2$ $ \\alpha"


def _scatter_colors(ax) -> list[str]:
    from matplotlib.colors import to_hex

    out = []
    for c in ax.collections:
        if isinstance(c, PathCollection) and len(c.get_offsets()):
            fc = c.get_facecolors()
            if len(fc):
                out += [to_hex(fc[0])] * len(c.get_offsets())
    return out


def test_one_panel_per_date_with_the_strikes_of_that_date():
    results, zones = make_results(), make_zones()
    fig = build_figure(results, zones)
    axes = [a for a in fig.axes if a.get_title()]
    dates = sorted(results["date"].dropna().unique())
    assert [a.get_title() for a in axes] == [f"Strikes and control zones on {d}" for d in dates]
    for ax, d in zip(axes, dates, strict=True):
        part = results[(results["date"] == d) & results["latitude"].notna()]
        colours = _scatter_colors(ax)
        for v in style.VERDICTS:
            assert colours.count(style.VERDICT_COLORS[v]) == int((part["verdict"] == v).sum())
        lines = [
            c
            for c in ax.collections
            if isinstance(c, LineCollection) and c.get_gid() != "geostrike-rivers"
        ]
        n_segments = sum(len(c.get_segments()) for c in lines)
        want = int((part["distance_to_target_km"] > 0).sum()) + int(
            (part["distance_to_stated_place_km"] > 0).sum()
        )
        assert n_segments == want
        # labels in km and miles
        texts = [t.get_text() for t in ax.texts]
        assert sum(" km (" in t for t in texts) == want


def test_legend_has_verdicts_and_controllers_from_the_palette():
    fig = build_figure(make_results(), make_zones())
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0].startswith(style.VERDICT_LABELS["consistent"])
    assert style.controller_label("al_nusra;opposition") in labels
    assert "Islamic State" in labels


def test_many_dates_share_one_panel():
    results = make_results()
    dates = pd.date_range("2015-09-30", periods=len(results)).strftime("%Y-%m-%d")
    results["date"] = list(dates)
    fig = build_figure(results, make_zones())
    axes = [a for a in fig.axes if a.get_title()]
    # one panel over the zones of one stated date; the strikes of dates on which other
    # zones were valid (the opposition zone turns joint on 2015-10-02) are drawn hollow
    assert len(axes) == 1 and axes[0].get_title().endswith("zones of 2015-09-30")
    assert fig.geostrike_labels["zones_date"] == "2015-09-30"
    assert fig.geostrike_labels["hollow"] == 3  # c3, c4, c5 (c6 is not placed)
    caption = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert "3 strike(s) drawn hollow" in caption and "zones of its own date" in caption
    hollow = [
        c
        for c in axes[0].collections
        if c.get_zorder() == 5 and c.get_offsets().shape[0] and not c.get_facecolor().any()
    ]
    assert sum(c.get_offsets().shape[0] for c in hollow) == 3


def _label_boxes(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    r = canvas.get_renderer()
    out = []
    for ax in fig.axes:
        for t in ax.texts:
            out.append((ax, t.get_text(), t.get_window_extent(r)))
    return out


def test_distance_labels_hide_no_strike_and_no_other_label():
    """A dense case: 20 strikes bunched together, each with a line to the target."""
    rng = np.random.default_rng(4)
    base = make_results()
    base = base[base["latitude"].notna() & (base["distance_to_target_km"] > 0)]
    rows = base.sample(20, replace=True, random_state=2).reset_index(drop=True)
    rows["date"] = "2015-09-30"
    rows["latitude"] = 35.2 + rng.normal(0, 0.05, 20)
    rows["longitude"] = 36.9 + rng.normal(0, 0.05, 20)
    rows["stated_place_latitude"] = np.nan
    fig = build_figure(rows, make_zones())
    info = fig.geostrike_labels
    assert info["placed"] >= 1 and info["placed"] + info["dropped"] == 20
    boxes = _label_boxes(fig)
    assert len(boxes) == info["placed"]
    for i, (_, ti, a) in enumerate(boxes):
        for _, tj, b in boxes[i + 1 :]:
            assert not a.overlaps(b), (ti, tj)
    ax = boxes[0][0]
    pts = ax.transData.transform(rows[["longitude", "latitude"]].to_numpy())
    r = 3.0 * fig.dpi / 72  # marker radius (s=34 points²)
    for _, text, b in boxes:
        near = (
            (pts[:, 0] > b.x0 - r) & (pts[:, 0] < b.x1 + r) & (pts[:, 1] > b.y0 - r)
            & (pts[:, 1] < b.y1 + r)
        )  # fmt: skip
        assert not near.any(), text


def test_hostile_text_is_drawn_literally(tmp_path):
    assert plain("$x$") == r"\$x\$"
    results = make_results(HOSTILE)
    out = draw_figure(results, make_zones(), tmp_path / "h.png", title=HOSTILE)
    img = mpimg.imread(out)
    assert np.asarray(img)[..., :3].std() > 0.05
    svg = draw_figure(results, make_zones(), tmp_path / "h.svg", title=HOSTILE)
    root = ET.parse(svg).getroot()  # well-formed XML
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert not [e for e in root.iter() for k in e.attrib if k.lower().startswith("on")]


def test_png_svg_pdf_written_and_bad_paths_refused(tmp_path):
    results, zones = make_results(), make_zones()
    for ext in ("png", "svg", "pdf"):
        out = draw_figure(results, zones, tmp_path / f"f.{ext}")
        assert out.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pdf", "f.png", "f.svg"]
    png = mpimg.imread(io.BytesIO((tmp_path / "f.png").read_bytes()), format="png")
    assert png.shape[1] > png.shape[0]  # two panels side by side plus the legend
    with pytest.raises(OutputError):
        draw_figure(results, zones, tmp_path / "f.gif")
    with pytest.raises(OutputError):
        draw_figure(results, zones, tmp_path / "missing" / "f.png")


def test_no_located_claims_still_draws(tmp_path):
    results = make_results()
    results = results[results["latitude"].isna()]
    out = draw_figure(results, make_zones(), tmp_path / "e.png")
    assert out.exists()


def test_off_globe_positions_and_unknown_controllers_are_left_out():
    results = make_results()
    results["latitude"] = [95.0, float("inf"), 35.4, 35.3, 36.1, None]
    results["controller"] = "nonexistent_actor;<b>x</b>"
    fig = build_figure(results, make_zones())
    drawn = sum(len(_scatter_colors(a)) for a in fig.axes if a.get_title())
    assert drawn == 3


def test_figure_draws_rivers_and_lakes_under_zones_and_strikes():
    """Ukraine: the Dnipro and a lake in the figure's base, below zones (zorder 2) and
    strikes, inside the panel's extent; the caption credits Natural Earth."""
    from _map_fixtures import make_ukraine

    results, zones = make_ukraine()
    fig = build_figure(results, zones)
    for ax in fig.axes[:2]:
        rivers = [c for c in ax.collections if c.get_gid() == "geostrike-rivers"]
        lakes = [c for c in ax.collections if c.get_gid() == "geostrike-lakes"]
        assert len(rivers) == 1 and len(lakes) == 1
        segs = rivers[0].get_segments()
        assert segs and len(lakes[0].get_paths()) >= 1
        assert rivers[0].get_zorder() < 2 and lakes[0].get_zorder() < 2
        pts = np.concatenate(segs)
        on_dnipro = (
            (pts[:, 0] > 34.9) & (pts[:, 0] < 35.3) & (pts[:, 1] > 47.8) & (pts[:, 1] < 48.5)
        )
        assert on_dnipro.any()
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "rivers and lakes: Natural Earth" in texts.replace("\n", " ")

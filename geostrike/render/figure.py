"""Static figure of checked claims (PNG, SVG or PDF) for print and social media.

The same content as the HTML map (:mod:`geostrike.render.maps`) drawn with matplotlib, no tiles:
Natural Earth country outlines, rivers and lakes (:mod:`geostrike.places.outlines`, public
domain) as the base,
control zones of the date shown filled by controller (joint control blended and hatched),
strikes coloured by verdict with their precision radius, dashed lines to the nearest point
of the claimed target's territory and dotted lines from the stated place, each labelled in
km and miles, a legend and a caption. Colours come only from :mod:`geostrike.render.style`.
Claims on up to four dates get one panel per date (zones follow the date); more dates are
drawn on one panel over the zones of the date with the most strikes, strikes of dates with
other zones hollow, as the caption says (the map's date range does the same over the zones
of its last date). Rivers and lakes: Natural Earth 1:50m (:func:`geostrike.places.outlines.water`).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patches import Polygon as MplPolygon

from geostrike.errors import OutputError
from geostrike.geodesy import format_km, geodesic_circle, round_km
from geostrike.inputs.actors import ActorTable, load_actors
from geostrike.io import atomic_output
from geostrike.render import style

#: Panels drawn side by side at most; more dates share one panel.
MAX_PANELS = 4
#: Above this many strikes in a panel, precision circles and line labels are left out.
DETAIL_LIMIT = 300
_LABEL_LIMIT = 25


def plain(text: Any) -> str:
    """Text safe for matplotlib: ``$`` escaped so data never turns into mathtext."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)


def _located(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Rows with a usable position (finite and on the globe), as in the HTML map."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)


def _iso(values: pd.Series) -> pd.Series:
    d = pd.to_datetime(values.astype(str).str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
    return d.dt.strftime("%Y-%m-%d").where(d.notna(), "")


def _extent(df: pd.DataFrame, zones: gpd.GeoDataFrame | None) -> tuple[float, float, float, float]:
    xs = np.concatenate(
        [_num(df, c) for c in ("longitude", "nearest_target_longitude", "stated_place_longitude")]
    )
    ys = np.concatenate(
        [_num(df, c) for c in ("latitude", "nearest_target_latitude", "stated_place_latitude")]
    )
    ok = _located(ys, xs)
    if ok.any():
        x0, x1, y0, y1 = xs[ok].min(), xs[ok].max(), ys[ok].min(), ys[ok].max()
    elif zones is not None and len(zones):
        x0, y0, x1, y1 = zones.total_bounds
    else:
        return (-180.0, 180.0, -70.0, 80.0)
    pad = max(0.3, 0.12 * max(x1 - x0, y1 - y0))
    return (x0 - pad, x1 + pad, max(y0 - pad, -89.0), min(y1 + pad, 89.0))


def _polys(geom: Any) -> list[np.ndarray]:
    if geom is None or geom.is_empty:
        return []
    parts = getattr(geom, "geoms", [geom])
    return [np.asarray(p.exterior.coords) for p in parts if p.geom_type == "Polygon"]


def _zone_style(controller: str, colors: dict[str, str]) -> tuple[str, str | None, str]:
    """Fill, hatch and edge of a zone; ``colors`` from :func:`style.zone_colors`."""
    ids = style.controller_ids(controller)
    fill = style.safe_hex(colors.get(style.palette_key(controller), style.NO_CONTROLLER_COLOR))
    hatch = "///" if len(ids) > 1 else None
    return fill, hatch, fill


def _draw_water(ax: Any, extent: tuple[float, float, float, float]) -> None:
    """Natural Earth rivers and lakes of the panel's extent, under zones and strikes."""
    from geostrike.places.outlines import water_in

    x0, x1, y0, y1 = extent
    rivers, lakes = water_in((x0 - 0.5, y0 - 0.5, x1 + 0.5, y1 + 0.5), tolerance=0.005)
    rings = [ring for g in lakes for ring in _polys(g)]
    ax.add_collection(
        PatchCollection(
            [MplPolygon(r, closed=True) for r in rings],
            facecolor=style.WATER_COLOR,
            edgecolor=style.RIVER_COLOR,
            linewidth=0.5,
            zorder=1.2,
            gid="geostrike-lakes",
        )
    )
    parts = shapely.get_parts(rivers) if len(rivers) else []
    ax.add_collection(
        LineCollection(
            [np.asarray(p.coords)[:, :2] for p in parts],
            colors=style.RIVER_COLOR,
            linewidths=0.9,
            capstyle="round",
            zorder=1.3,
            gid="geostrike-rivers",
        )
    )


def _draw_panel(
    ax: Any,
    df: pd.DataFrame,
    zones: gpd.GeoDataFrame | None,
    table: ActorTable,
    extent: tuple[float, float, float, float],
    heading: str,
    colors: dict[str, str],
) -> dict[str, Any]:
    from geostrike.places.outlines import countries

    x0, x1, y0, y1 = extent
    ax.set_facecolor(style.WATER_COLOR)
    base = countries("50m")
    base = base[base.intersects(shapely.box(x0, y0, x1, y1))]
    patches = [MplPolygon(ring, closed=True) for g in base.geometry for ring in _polys(g)]
    ax.add_collection(
        PatchCollection(
            patches, facecolor=style.LAND_COLOR, edgecolor="#8c8c8c", linewidth=0.6, zorder=1
        )
    )
    _draw_water(ax, extent)
    if zones is not None and len(zones):
        for ctrl, geom in zip(zones["controller"].astype(str), zones.geometry, strict=True):
            fill, hatch, edge = _zone_style(ctrl, colors)
            for ring in _polys(geom):
                ax.add_patch(
                    MplPolygon(
                        ring,
                        closed=True,
                        facecolor=fill,
                        alpha=style.ZONE_FILL_OPACITY,
                        edgecolor="none",
                        zorder=2,
                    )
                )
                ax.add_patch(
                    MplPolygon(
                        ring,
                        closed=True,
                        facecolor="none",
                        edgecolor=edge,
                        hatch=hatch,
                        linewidth=0.9,
                        zorder=2.1,
                    )
                )
    lat, lon = _num(df, "latitude"), _num(df, "longitude")
    ok = _located(lat, lon)
    df, lat, lon = df[ok], lat[ok], lon[ok]
    detail = len(df) <= DETAIL_LIMIT
    verdict = (
        df["verdict"].astype(str).str.lower() if "verdict" in df else pd.Series("", index=df.index)
    )
    verdict = verdict.where(verdict.isin(style.VERDICTS), "indeterminate").to_numpy()
    prec = _num(df, "precision_km")
    if detail:
        for la, lo, p, v in zip(lat, lon, prec, verdict, strict=True):
            if np.isfinite(p) and p > 0:
                ring = np.asarray(geodesic_circle(la, lo, p).exterior.coords)
                c = style.VERDICT_COLORS[v]
                ax.add_patch(
                    MplPolygon(
                        ring,
                        closed=True,
                        facecolor=c,
                        edgecolor=c,
                        alpha=max(style.PRECISION_FILL_OPACITY, 0.12),
                        linewidth=0.6,
                        zorder=3,
                    )
                )
    labels: list = []
    all_segs: list = []
    for src, dst, km_col, color, dashes, width, suffix in (
        (
            ("longitude", "latitude"),
            ("nearest_target_longitude", "nearest_target_latitude"),
            "distance_to_target_km",
            style.TARGET_LINK_COLOR,
            (5, 3),
            1.2,
            "",
        ),
        (
            ("stated_place_longitude", "stated_place_latitude"),
            ("longitude", "latitude"),
            "distance_to_stated_place_km",
            style.STATED_PLACE_LINK_COLOR,
            (1.5, 2.5),
            1.4,
            " from stated place",
        ),
    ):
        # a dashed line from the claim to the nearest target ground, and a dotted one from
        # the stated place to the claim, each labelled with its distance
        ax0, ay0, bx, by, km = (_num(df, c) for c in (*src, *dst, km_col))
        has = np.isfinite(ax0) & np.isfinite(ay0) & np.isfinite(bx) & np.isfinite(by)
        has &= np.isfinite(km) & (km > 0)
        segs = [
            [(a, b), (c, d)]
            for a, b, c, d in zip(ax0[has], ay0[has], bx[has], by[has], strict=True)
        ]
        ax.add_collection(
            LineCollection(segs, colors=color, linestyles=(0, dashes), linewidths=width, zorder=4)
        )
        if suffix:  # the stated place itself, as a hollow ring
            ax.scatter(
                ax0[has],
                ay0[has],
                s=22,
                facecolors="none",
                edgecolors=color,
                linewidths=1.2,
                zorder=4.5,
            )
        all_segs += segs
        labels += [
            (a, b, c, d, format_km(k) + suffix, f"{round_km(k)} km")
            for ((a, b), (c, d)), k in zip(segs, km[has], strict=True)
        ]
    hollow = (
        df["_hollow"].to_numpy(dtype=bool) if "_hollow" in df else np.zeros(len(df), dtype=bool)
    )
    size = 34 if detail else 10
    for v in style.VERDICTS:
        for h in (False, True):
            sel = (verdict == v) & (hollow == h)
            ax.scatter(
                lon[sel],
                lat[sel],
                s=size,
                c="none" if h else style.VERDICT_COLORS[v],
                edgecolors=style.VERDICT_COLORS[v] if h else "white",
                linewidths=1.3 if h else 0.8,
                zorder=5,
            )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / max(math.cos(math.radians((y0 + y1) / 2)), 0.2))
    ax.set_title(plain(heading), fontsize=10)
    ax.tick_params(labelsize=7)
    return {
        "labels": labels if detail and len(labels) <= _LABEL_LIMIT else [],
        "segments": all_segs,
        "points": np.column_stack([lon, lat]) if len(lon) else np.zeros((0, 2)),
        "marker_pt": math.sqrt(size) / 2 + 1.0,
    }


def _seg_hits(p: np.ndarray, q: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """Does the segment p-q cross the box (x0, y0, x1, y1)? (Liang-Barsky clipping.)"""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for pk, qk in (
        (-dx, p[0] - box[0]),
        (dx, box[2] - p[0]),
        (-dy, p[1] - box[1]),
        (dy, box[3] - p[1]),
    ):
        if pk == 0:
            if qk < 0:
                return False
            continue
        r = qk / pk
        if pk < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return False
    return True


def _place_labels(ax: Any, renderer: Any, spec: dict[str, Any]) -> tuple[int, int]:
    """Put each distance label beside its line where it covers no strike, no line and no
    other label; leave it out when no position is free. Returns (placed, left out)."""
    if not spec["labels"]:
        return 0, 0
    tr = ax.transData
    frame = ax.get_window_extent(renderer)
    r = spec["marker_pt"] * ax.figure.dpi / 72 + 1.5
    pts = tr.transform(spec["points"]) if len(spec["points"]) else np.zeros((0, 2))
    segs = [tr.transform(np.asarray(s, dtype=float)) for s in spec["segments"]]
    boxes: list[tuple[float, float, float, float]] = []

    def _free(b: tuple[float, float, float, float]) -> bool:
        if b[0] < frame.x0 or b[1] < frame.y0 or b[2] > frame.x1 or b[3] > frame.y1:
            return False
        if len(pts) and np.any(
            (pts[:, 0] > b[0] - r) & (pts[:, 0] < b[2] + r) & (pts[:, 1] > b[1] - r)
            & (pts[:, 1] < b[3] + r)
        ):  # fmt: skip
            return False
        if any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in boxes):
            return False
        return not any(_seg_hits(s[0], s[1], b) for s in segs)

    def _try(t: Any, a: np.ndarray, d: np.ndarray) -> bool:
        ext = t.get_window_extent(renderer)
        w, h = ext.width + 4, ext.height + 4
        n = float(np.hypot(*d)) or 1.0
        nx, ny = -d[1] / n, d[0] / n
        # offset along the normal by the box's half-extent: the box never crosses its line
        off = abs(nx) * w / 2 + abs(ny) * h / 2 + 2
        for frac in (0.5, 0.35, 0.65, 0.2, 0.8):
            for side in (1, -1):
                cx, cy = a + d * frac + np.array([nx, ny]) * off * side
                box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                if _free(box):
                    t.set_position(ax.transData.inverted().transform((cx, cy)))
                    boxes.append(box)
                    return True
        return False

    placed = dropped = 0
    retry = []
    for x0, y0, x1, y1, text, short in spec["labels"]:
        t = ax.text(
            0, 0, plain(text), fontsize=6.5, ha="center", va="center", zorder=6,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
        )  # fmt: skip
        t.set_in_layout(False)
        a, b = tr.transform((x0, y0)), tr.transform((x1, y1))
        if _try(t, a, b - a):
            placed += 1
        else:
            retry.append((t, a, b, short))
    # a label that fits nowhere is collapsed to its distance in km, else left out
    for t, a, b, short in retry:
        t.set_text(plain(short))
        if _try(t, a, b - a):
            placed += 1
        else:
            t.remove()
            dropped += 1
    return placed, dropped


def draw_figure(
    results: pd.DataFrame,
    zones: gpd.GeoDataFrame | None,
    path: str | Path,
    *,
    title: str | None = None,
    actors: ActorTable | str | Path | None = None,
    offline: bool = True,
    dpi: int = 150,
) -> Path:
    """Draw checked claims as a static figure; the extension of ``path`` picks the format.

    Parameters
    ----------
    results
        Output of :func:`geostrike.engine.check`.
    zones
        Control zones (:func:`geostrike.read_zones`).
    path
        ``.png``, ``.svg`` or ``.pdf``; written atomically.
    title, actors
        As for :func:`geostrike.render.maps.render_map`. ``offline`` is accepted for symmetry
        (a figure never uses tiles).
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise OutputError(path, "figure output must end in .png, .svg or .pdf")
    fig = build_figure(results, zones, title=title, actors=actors, dpi=dpi)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format=fmt, metadata=None if fmt != "png" else {"Software": "geostrike"})
    return path


def build_figure(
    results: pd.DataFrame,
    zones: gpd.GeoDataFrame | None,
    *,
    title: str | None = None,
    actors: ActorTable | str | Path | None = None,
    dpi: int = 150,
) -> Figure:
    """The matplotlib :class:`~matplotlib.figure.Figure` that :func:`draw_figure` saves."""
    from geostrike.inputs.zones import zones_on

    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    df = pd.DataFrame(results).reset_index(drop=True)
    df["_date"] = _iso(df["date"]) if "date" in df else ""
    if zones is not None and len(zones):
        zones = zones.reset_index(drop=True)
        if zones.crs is not None and not zones.crs.equals("EPSG:4326"):
            zones = zones.to_crs("EPSG:4326")
        for col in ("valid_from", "valid_to"):
            if col not in zones:
                zones[col] = pd.NaT
        if "controller" not in zones:
            zones["controller"] = ""
        zones["controller"] = zones["controller"].map(style.palette_key)  # missing: ""
    dates = sorted(d for d in df["_date"].unique() if d)
    extent = _extent(df, zones)
    colors = style.zone_palette(zones, table)  # the map's and QGIS's colours
    n_hollow = 0
    zones_day = None
    if 1 <= len(dates) <= MAX_PANELS:
        panels = [(df, d, f"Strikes and control zones on {d}") for d in dates]
        panels = [(df[df["_date"] == d], d, h) for _, d, h in panels]
    elif dates:
        # one panel over the zones of one date (the date with the most strikes); strikes of
        # dates on which other zones were valid are drawn hollow, and the caption says so
        zones_day = df.loc[df["_date"] != "", "_date"].value_counts().sort_index().idxmax()
        df["_hollow"] = False
        if zones is not None and len(zones):
            shown = set(zones_on(zones, zones_day).index)
            same = {d: set(zones_on(zones, d).index) == shown for d in dates}
            df["_hollow"] = df["_date"].map(same).eq(False)
            n_hollow = int(
                (df["_hollow"] & _located(_num(df, "latitude"), _num(df, "longitude"))).sum()
            )
        panels = [(df, zones_day, f"{dates[0]} to {dates[-1]}; zones of {zones_day}")]
    else:
        panels = [(df, None, "Undated claims; all zones")]
    ncol = len(panels)
    x0, x1, y0, y1 = extent
    ratio = (y1 - y0) / max((x1 - x0) * math.cos(math.radians((y0 + y1) / 2)), 1e-6)
    panel_h = min(max(5.2 * ratio, 2.6), 8.0)
    width = 5.2 * ncol + 3.4
    if title is None:
        title = "Strike claims checked against control zones"
        if dates:
            title += f", {dates[0]}" + (f" to {dates[-1]}" if len(dates) > 1 else "")
    title_lines = textwrap.wrap(str(title), int(width * 7.5)) or [""]
    top_in = 0.25 + 0.3 * len(title_lines)
    bottom_in = 0.6
    height = panel_h + 0.6 + top_in + bottom_in
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    fig.get_layout_engine().set(rect=(0, bottom_in / height, 1, 1 - top_in / height))
    fig.text(
        0.5,
        1 - 0.12 / height,
        plain("\n".join(title_lines)),
        fontsize=13,
        fontweight="bold",
        ha="center",
        va="top",
    )
    axes = fig.subplots(1, ncol, squeeze=False)[0]
    specs = []
    for ax, (part, day, heading) in zip(axes, panels, strict=True):
        zday = zones if zones is None or day is None else zones_on(zones, day)
        specs.append(_draw_panel(ax, part, zday, table, extent, heading, colors))

    located = _located(_num(df, "latitude"), _num(df, "longitude"))
    verdict = (
        df.loc[located, "verdict"].astype(str).str.lower()
        if "verdict" in df
        else pd.Series(dtype=str)
    )
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            markersize=7,
            markerfacecolor=style.VERDICT_COLORS[v],
            markeredgecolor="white",
            label=f"{style.VERDICT_LABELS[v]} ({int((verdict == v).sum())})",
        )
        for v in style.VERDICTS
    ]
    if zones is not None and len(zones):
        for ctrl in sorted(set(zones["controller"].astype(str))):
            fill, hatch, edge = _zone_style(ctrl, colors)
            handles.append(
                Patch(
                    facecolor=fill,
                    alpha=0.6,
                    edgecolor=edge,
                    hatch=hatch,
                    label=plain(style.controller_label(ctrl, table)),
                )
            )
    handles += [
        Line2D(
            [],
            [],
            color=style.TARGET_LINK_COLOR,
            ls=(0, (5, 3)),
            label="to nearest point of the claimed target's territory",
        ),
        Line2D(
            [],
            [],
            color=style.STATED_PLACE_LINK_COLOR,
            ls=(0, (1.5, 2.5)),
            label="from the stated place",
        ),
    ]
    fig.legend(handles=handles, loc="outside right center", fontsize=7.5, frameon=False)
    srcs = (
        sorted({str(s) for s in zones["source"].dropna() if str(s)})
        if zones is not None and "source" in zones
        else []
    )
    caption = (
        f"{int(located.sum())} located strike claim(s)"
        + (f", dated {dates[0]}" + (f" to {dates[-1]}" if len(dates) > 1 else "") if dates else "")
        + (f"; {int((~located).sum())} could not be placed" if (~located).any() else "")
        + ". Zones valid on the date of each panel"
        + (
            ", from: "
            + "; ".join(srcs[:3])
            + (f" and {len(srcs) - 3} more" if len(srcs) > 3 else "")
            if srcs
            else ""
        )
        + (
            f". {n_hollow} strike(s) drawn hollow are dated when other zones were valid than "
            f"those shown (of {zones_day}); each was checked against the zones of its own date"
            if n_hollow
            else ""
        )
        + ". Distances geodesic (WGS 84). Base, rivers and lakes: Natural Earth. Made with "
        "geostrike."
    )
    fig.text(
        0.01,
        0.005,
        plain("\n".join(textwrap.wrap(caption, int(width * 15)))),
        fontsize=7.5,
        ha="left",
        va="bottom",
    )
    # distance labels go where they hide no data: placed in screen space once the layout
    # is final (they take no part in it, so saving keeps the same layout)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = canvas.get_renderer()
    counts = [_place_labels(ax, renderer, spec) for ax, spec in zip(axes, specs, strict=True)]
    fig.geostrike_labels = {  # type: ignore[attr-defined]
        "placed": sum(c[0] for c in counts),
        "dropped": sum(c[1] for c in counts),
        "zones_date": zones_day,
        "hollow": n_hollow,
    }
    return fig

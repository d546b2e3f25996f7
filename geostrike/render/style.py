"""The one palette and the labels shared by every renderer.

The HTML map (``maps.py``), the static figure and the QGIS styles (``qgis.py``) all take
their colours from here, so a controller or a verdict looks the same everywhere. Actor
colours come from the actor table (``data/actors.csv``, column ``color``); actors without
one get a stable colour from a colour-blind-safe qualitative list (Okabe-Ito), chosen by
a hash of the id so it never changes between runs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from geostrike.inputs.actors import ActorTable, default_table

VERDICTS: tuple[str, ...] = ("consistent", "inconsistent", "indeterminate")

VERDICT_COLORS: dict[str, str] = {
    "consistent": "#1b9e77",
    "inconsistent": "#d62728",
    "indeterminate": "#7f7f7f",
}
VERDICT_LABELS: dict[str, str] = {
    "consistent": "Consistent with the claim",
    "inconsistent": "Inconsistent with the claim",
    "indeterminate": "Indeterminate",
}

#: Colour of places outside every zone, and of links/lines.
NO_CONTROLLER_COLOR = "#bdbdbd"
TARGET_LINK_COLOR = "#212121"
STATED_PLACE_LINK_COLOR = "#6a1b9a"

ZONE_FILL_OPACITY = 0.35
PRECISION_FILL_OPACITY = 0.08

_FALLBACK = (
    "#e69f00",
    "#56b4e9",
    "#009e73",
    "#f0e442",
    "#0072b2",
    "#d55e00",
    "#cc79a7",
    "#999999",
)


_HEX6 = re.compile(r"#[0-9a-fA-F]{6}")
_HEX3 = re.compile(r"#[0-9a-fA-F]{3}")


def safe_hex(value: object, default: str = NO_CONTROLLER_COLOR) -> str:
    """Return ``value`` as a lower-case ``#rrggbb`` colour, or ``default``.

    Colours come from user actor tables, so they are untrusted: anything that is not
    ``#rrggbb`` or ``#rgb`` (a CSS name, a script payload) becomes ``default``. Every
    renderer takes colours through this function, so the map, the figure and the QGIS
    styles agree on the fallback.
    """
    text = str(value).strip() if value is not None else ""
    if _HEX6.fullmatch(text):
        return text.lower()
    if _HEX3.fullmatch(text):
        return "#" + "".join(c * 2 for c in text[1:]).lower()
    return default


def actor_color(actor_id: str, table: ActorTable | None = None) -> str:
    """Colour of one canonical actor id, always ``#rrggbb``."""
    table = table or default_table()
    actor = table.actors.get(actor_id)
    if actor is not None and actor.color:
        return safe_hex(actor.color)
    h = int(hashlib.sha1(actor_id.encode("utf-8")).hexdigest(), 16)
    return _FALLBACK[h % len(_FALLBACK)]


def controller_ids(controller: str | None) -> list[str]:
    """Split a ``;``-joined controller value into sorted canonical ids."""
    if not controller:
        return []
    return sorted({c.strip() for c in str(controller).split(";") if c.strip()})


def controller_colors(controller: str | None, table: ActorTable | None = None) -> list[str]:
    """Colours of each actor in a (possibly joint) controller value."""
    ids = controller_ids(controller)
    return [actor_color(i, table) for i in ids] or [NO_CONTROLLER_COLOR]


def blend(colors: Iterable[str]) -> str:
    """Average of hex colours: the fill of a jointly held zone."""
    cols = [safe_hex(c) for c in colors]
    if not cols:
        return NO_CONTROLLER_COLOR
    rgb = [tuple(int(c.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)) for c in cols]
    avg = [round(sum(ch) / len(rgb)) for ch in zip(*rgb, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*avg)


def controller_color(controller: str | None, table: ActorTable | None = None) -> str:
    """Fill colour of a zone: the actor's colour, or the blend of a joint controller's."""
    return blend(controller_colors(controller, table))


def controller_label(controller: str | None, table: ActorTable | None = None) -> str:
    """Legend label of a (possibly joint) controller value."""
    ids = controller_ids(controller)
    if not ids:
        return "No control data"
    table = table or default_table()
    return " + ".join(table.label(i) for i in ids) + (" (joint)" if len(ids) > 1 else "")


# --------------------------------------------------------------------------- distinct colours
#: Land colour of the offline base (map and figure) under the semi-transparent zone fills.
LAND_COLOR = "#f7f5f0"
#: Sea and lakes of the offline base (map and figure).
WATER_COLOR = "#dfe9f2"
#: Rivers of the offline base: a muted blue, lighter than every zone edge and line.
RIVER_COLOR = "#8fb3d3"

#: Zone colours in use on one map must differ at least this much (CIEDE2000 ΔE) as drawn
#: opaque (legend swatches, zone outlines) and as the semi-transparent fill seen over
#: :data:`LAND_COLOR` (at :data:`ZONE_FILL_OPACITY`), for normal vision and under simulated
#: protanopia, deuteranopia and tritanopia. (A fill at 35 % compresses every difference:
#: 3 there is about what 10 is opaque.)
MIN_ZONE_DELTA_E = {"opaque": 10.0, "fill": 3.0}

#: Colours to draw from when two controllers' own colours are too close (Okabe-Ito and
#: Paul Tol's bright and muted qualitative schemes).
_RESERVE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#d55e00",
    "#56b4e9",
    "#000000",
    "#4477aa",
    "#ee6677",
    "#228833",
    "#ccbb44",
    "#aa3377",
    "#332288",
    "#117733",
    "#882255",
    "#999933",
    "#44aa99",
)

#: Colour-vision-deficiency simulation matrices (linear RGB, severity 1.0) from Machado,
#: Oliveira & Fernandes, "A Physiologically-based Model for Simulation of Color Vision
#: Deficiency", IEEE TVCG 15(6), 2009.
CVD_MATRICES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}


def _rgb(colors: Iterable[str]) -> np.ndarray:
    """``#rrggbb`` → sRGB in [0, 1], shape (n, 3)."""
    return np.array(
        [[int(safe_hex(c)[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in colors], dtype=float
    ).reshape(-1, 3)


def _linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    """Linear sRGB → CIELAB (D65)."""
    m = np.array(
        [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
         [0.0193339, 0.1191920, 0.9503041]]
    )  # fmt: skip
    xyz = linear @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1
    )


def seen_lab(colors: Iterable[str], vision: str = "normal", *, opacity: float = 1.0) -> np.ndarray:
    """CIELAB of colours as seen: filled at ``opacity`` over :data:`LAND_COLOR`, by normal
    vision or a simulated deficiency (a key of :data:`CVD_MATRICES`)."""
    lin = _linear(_rgb(colors))
    if opacity < 1.0:
        lin = opacity * lin + (1 - opacity) * _linear(_rgb([LAND_COLOR]))
    if vision != "normal":
        lin = np.clip(lin @ np.array(CVD_MATRICES[vision]).T, 0.0, 1.0)
    return _lab(lin)


def delta_e(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference between rows of two CIELAB arrays (broadcasting)."""
    lab1, lab2 = np.asarray(lab1, float), np.asarray(lab2, float)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dlp, dcp = L2 - L1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lbp, cbp = (L1 + L2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    hbp = np.where(
        c1p * c2p == 0,
        hsum,
        np.where(
            np.abs(h1p - h2p) <= 180, hsum / 2, np.where(hsum < 360, hsum + 360, hsum - 360) / 2
        ),
    )
    t = (
        1
        - 0.17 * np.cos(np.radians(hbp - 30))
        + 0.24 * np.cos(np.radians(2 * hbp))
        + 0.32 * np.cos(np.radians(3 * hbp + 6))
        - 0.20 * np.cos(np.radians(4 * hbp - 63))
    )
    sl = 1 + 0.015 * (lbp - 50) ** 2 / np.sqrt(20 + (lbp - 50) ** 2)
    sc = 1 + 0.045 * cbp
    sh = 1 + 0.015 * cbp * t
    rt = (
        -2
        * np.sqrt(cbp**7 / (cbp**7 + 25.0**7))
        * np.sin(np.radians(60 * np.exp(-(((hbp - 275) / 25) ** 2))))
    )
    return np.sqrt(
        (dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2 + rt * (dcp / sc) * (dhp / sh)
    )


_VISIONS = ("normal", "protanopia", "deuteranopia", "tritanopia")


def _views(colors: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """CIELAB of colours in every view: (8, n, 3) and each view's threshold (8,)."""
    labs, thr = [], []
    for kind, opacity in (("opaque", 1.0), ("fill", ZONE_FILL_OPACITY)):
        for vision in _VISIONS:
            labs.append(seen_lab(colors, vision, opacity=opacity))
            thr.append(MIN_ZONE_DELTA_E[kind])
    return np.stack(labs), np.array(thr)


def zone_contrast(colors: Iterable[str]) -> float:
    """How well zone colours are told apart: the smallest CIEDE2000 difference between any
    two of them, over every view (opaque and filled; normal vision and three simulated
    deficiencies), relative to that view's :data:`MIN_ZONE_DELTA_E`. At least 1 means
    distinguishable everywhere; ``inf`` for fewer than two colours."""
    cols = list(colors)
    if len(cols) < 2:
        return float("inf")
    i, j = np.triu_indices(len(cols), 1)
    labs, thr = _views(cols)
    return float((delta_e(labs[:, i], labs[:, j]) / thr[:, None]).min())


def _mix(color: str, other: str, t: float) -> str:
    a, b = _rgb([color])[0] * 255, _rgb([other])[0] * 255
    return "#" + "".join(f"{round(x):02x}" for x in a + (b - a) * t)


def zone_colors(
    controllers: Iterable[str | None], table: ActorTable | None = None
) -> dict[str, str]:
    """Fill colour of each controller value in use, all told apart from one another.

    Each value gets :func:`controller_color` (the actor's colour, or the blend of a joint
    controller's). When that is within :data:`MIN_ZONE_DELTA_E` of a colour already given
    — for normal vision or a simulated protanopia, deuteranopia or tritanopia — it is
    replaced by the first that is far enough of: a darker or lighter shade of the same
    colour, then the reserve list (failing all, the candidate farthest from the others).
    Single actors are served first, in the actor table's order, then joint values, so the
    main actors keep their colours. Every renderer (map, figure, QGIS) calls this with the
    same values, so they agree.
    """
    table = table or default_table()
    order = {a: k for k, a in enumerate(table.actors)}
    values = sorted(
        {str(c) if c is not None else "" for c in controllers},
        key=lambda c: (
            len(controller_ids(c)) != 1,
            [order.get(i, len(order)) for i in controller_ids(c)],
            c,
        ),
    )
    given: dict[str, str] = {}
    seen = np.zeros((2 * len(_VISIONS), 0, 3))

    def _gap(lab: np.ndarray, thr: np.ndarray) -> float:
        if not given:
            return float("inf")
        return float((delta_e(seen, lab) / thr[:, None]).min())

    for value in values:
        own = controller_color(value, table) if value else NO_CONTROLLER_COLOR
        used = set(given.values())
        cands = [own]
        cands += [_mix(own, "#000000", t) for t in (0.3, 0.5)]
        cands += [_mix(own, "#ffffff", t) for t in (0.35, 0.6)]
        cands += [c for c in _RESERVE if c not in used]
        best, best_gap, best_lab = own, -1.0, None
        for c in cands:
            lab, thr = _views([c])
            gap = _gap(lab, thr)
            if gap >= 1.0:
                best, best_lab = c, lab
                break
            if gap > best_gap:
                best, best_gap, best_lab = c, gap, lab
        given[value] = best
        seen = np.concatenate([seen, best_lab], axis=1)
    return given


def zone_palette(zones: pd.DataFrame | None, table: ActorTable | None = None) -> dict[str, str]:
    """Zone colours of one output: :func:`zone_colors` over every controller of ``zones``.

    The one entry point of the map, the figure and the QGIS export, called with the zones
    the user gave (all of them, before any date filter), so a controller has the same
    colour in every output of the same data. Missing and blank controllers are ``""``
    (:data:`NO_CONTROLLER_COLOR`), which is always in the result.
    """
    values: list[str] = [""]
    if zones is not None and "controller" in zones:
        c = zones["controller"].astype(object)
        values += [str(v).strip() for v in c[c.notna()].tolist()]
    return zone_colors(values, table)


def palette_key(value: object) -> str:
    """The key of ``value`` in :func:`zone_palette` (``""`` for missing or blank)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    return str(value).strip()

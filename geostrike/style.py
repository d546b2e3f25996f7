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

from .actors import ActorTable, default_table

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

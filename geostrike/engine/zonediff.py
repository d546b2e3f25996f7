"""The ground that changed hands between two dates, from one zones table.

:func:`zones_diff` intersects the ground each controller held on the first date with the
ground each other controller held on the second, and returns one row per (from, to) pair
with its geodesic area (km², pyproj ``Geod`` on WGS84) and optionally the gazetteer towns
inside (:mod:`geostrike.places.gazetteer`, read-only). Ground held on one date and covered by no
zone on the other is reported with the controller ``(no zone)``: the zones do not say who
held it, so nothing is claimed. The result is a GeoDataFrame: print it with
:func:`format_diff`, write it as GeoJSON, or draw it as a map layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geostrike.errors import InputError
from geostrike.inputs.zones import zones_on

NO_ZONE = "(no zone)"
DIFF_COLUMNS = ("from_controller", "to_controller", "area_km2", "places", "geometry")


def _held(zones: Any, day: Any) -> dict[str, Any]:
    """Ground per controller on a day (union of its valid zones)."""
    on = zones_on(zones, day)
    out = {}
    for c, grp in on.groupby("controller", sort=True):
        out[str(c)] = shapely.union_all(np.asarray(grp.geometry.values, dtype=object))
    return out


def zones_diff(
    zones: Any,
    date_from: Any,
    date_to: Any,
    *,
    places: bool = False,
    min_km2: float = 0.01,
) -> Any:
    """Ground that changed hands between ``date_from`` and ``date_to``.

    Parameters
    ----------
    zones
        Zones (path or GeoDataFrame; normalised with :func:`geostrike.inputs.zones.read_zones`).
    date_from, date_to
        The two dates (anything pandas reads as a date).
    places
        Add the names of the gazetteer's populated places inside each changed area.
    min_km2
        Pieces smaller than this (boundary noise between two drawings) are left out.

    Returns
    -------
    GeoDataFrame
        :data:`DIFF_COLUMNS`, one row per (from, to) pair, largest area first.
    """
    import geopandas as gpd

    from geostrike.inputs.snapshots import area_perimeter_km
    from geostrike.inputs.zones import read_zones

    z = zones if getattr(zones, "attrs", {}).get("geostrike_normalised") else read_zones(zones)
    a, b = _held(z, date_from), _held(z, date_to)
    for day, held in ((date_from, a), (date_to, b)):
        if not held:  # an empty diff would read as "nothing changed hands"
            vf = pd.NaT if z["valid_from"].isna().any() else z["valid_from"].min()
            vt = pd.NaT if z["valid_to"].isna().any() else z["valid_to"].max()
            span = (
                f"{'open' if pd.isna(vf) else vf.date()} to {'open' if pd.isna(vt) else vt.date()}"
            )
            raise InputError(
                None, f"no zone is valid on {pd.Timestamp(day).date()} (the zones cover {span})"
            )
    rows = []
    union_a = shapely.union_all(list(a.values())) if a else shapely.Polygon()
    union_b = shapely.union_all(list(b.values())) if b else shapely.Polygon()
    pairs: list[tuple[str, str, Any]] = []
    for ca, ga in a.items():
        for cb, gb in b.items():
            if ca != cb:
                pairs.append((ca, cb, shapely.intersection(ga, gb)))
        pairs.append((ca, NO_ZONE, shapely.difference(ga, union_b)))
    for cb, gb in b.items():
        pairs.append((NO_ZONE, cb, shapely.difference(gb, union_a)))
    for ca, cb, g in pairs:
        g = _polygonal(g)
        if g is None:
            continue
        area = area_perimeter_km(g)[0]
        if area < min_km2:
            continue
        rows.append({"from_controller": ca, "to_controller": cb, "area_km2": area, "geometry": g})
    out = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=[c for c in DIFF_COLUMNS if c != "places"]),
        geometry="geometry",
        crs="EPSG:4326",
    )
    out = out.sort_values("area_km2", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(3, "places", _places(out.geometry.values) if places and len(out) else None)
    out.attrs["date_from"] = str(pd.Timestamp(date_from).date())
    out.attrs["date_to"] = str(pd.Timestamp(date_to).date())
    return out[list(DIFF_COLUMNS)]


def _polygonal(g: Any) -> Any:
    if g is None or shapely.is_empty(g):
        return None
    if shapely.get_type_id(g) in (3, 6):
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else None


def _places(geoms: np.ndarray, limit: int = 50) -> list[str]:
    """Names of populated places inside each geometry, most populous first."""
    from geostrike.places.gazetteer import FEATURE_RANK, load_gazetteer

    gaz = load_gazetteer()
    town = (gaz.frank >= FEATURE_RANK["PPLC"]) & (gaz.frank <= FEATURE_RANK["PPL"])
    out = []
    for g in geoms:  # one vectorised containment test per changed area
        x0, y0, x1, y1 = g.bounds
        cand = np.flatnonzero(
            town & (gaz.lon >= x0) & (gaz.lon <= x1) & (gaz.lat >= y0) & (gaz.lat <= y1)
        )
        inside = cand[shapely.contains_xy(g, gaz.lon[cand], gaz.lat[cand])]
        inside = inside[np.argsort(-gaz.pop[inside], kind="stable")]
        names = list(dict.fromkeys(gaz.strings_at("name", inside)))
        more = len(names) - limit
        out.append("; ".join(names[:limit]) + (f"; … {more} more" if more > 0 else ""))
    return out


def format_diff(diff: Any) -> str:
    """The diff as a plain-text table (areas rounded to the km²)."""
    head = f"{'from':<24}  {'to':<24}  {'area':>12}"
    lines = [head, "-" * len(head)]
    for r in diff.itertuples():
        line = f"{r.from_controller:<24}  {r.to_controller:<24}  {r.area_km2:>9,.0f} km²"
        if isinstance(r.places, str) and r.places:
            line += f"  {r.places}"
        lines.append(line)
    if len(diff) == 0:
        lines.append("(no ground changed hands)")
    return "\n".join(lines)


def diff_layer(diff: Any, *, name: str | None = None) -> Any:
    """A folium GeoJson layer of a diff: dashed outlines filled with the new holder's colour."""
    import folium

    from geostrike.render.style import NO_CONTROLLER_COLOR, controller_color

    data = diff.copy()
    data["colour"] = [
        NO_CONTROLLER_COLOR if c == NO_ZONE else controller_color(c) for c in data["to_controller"]
    ]
    label = (
        name or f"changed hands {diff.attrs.get('date_from', '')} → {diff.attrs.get('date_to', '')}"
    )
    return folium.GeoJson(
        data.to_json(),
        name=label,
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "weight": 2,
            "fillOpacity": 0.35,
            "dashArray": "4 4",
        },
        tooltip=folium.GeoJsonTooltip(fields=["from_controller", "to_controller", "area_km2"]),
    )

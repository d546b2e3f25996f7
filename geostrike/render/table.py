"""What a check result looks like to a person: the terminal table, the summary line, and the
writers that put a result in a file (CSV, GeoJSON, Parquet, a styled GeoPackage).

The engine (:mod:`geostrike.engine.check`) returns a GeoDataFrame and writes nothing; the
CLI, the demo and scripts hand it to this module. Files are written through
:func:`geostrike.io.write_frame` (atomic) or :func:`geostrike.render.qgis.export_gpkg`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geostrike.inputs.actors import ActorTable

__all__ = [
    "OUTPUT_FORMATS",
    "format_km_text",
    "format_table",
    "round_km_text",
    "summary",
    "write_geopackage_layer",
    "write_result",
]


# ---------------------------------------------------------------------------- reporting
def summary(result: Any) -> str:
    """One line: how many claims, counts per status and per verdict."""
    n = len(result)
    st = result["status"].value_counts()
    vd = result["verdict"].value_counts()
    st_txt = ", ".join(f"{k} {int(st.get(k, 0))}" for k in ("ok", "unresolved", "invalid"))
    if st.get("ambiguous", 0):
        st_txt += f", ambiguous {int(st.get('ambiguous', 0))}"
    vd_txt = ", ".join(
        f"{k} {int(vd.get(k, 0))}" for k in ("consistent", "inconsistent", "indeterminate")
    )
    return f"{n} claim{'s' if n != 1 else ''}: {st_txt}; {vd_txt}"


# ---------------------------------------------------------------------------- writing
#: Output formats by extension (the GeoPackage is styled by geostrike.render.qgis when present).
OUTPUT_FORMATS: dict[str, str] = {
    ".csv": "CSV",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".parquet": "Parquet",
    ".geoparquet": "Parquet",
}


def write_result(
    result: Any,
    path: str | Path,
    *,
    zones: Any = None,
    actors: ActorTable | str | Path | None = None,
    csv_safe: bool = True,
) -> Path:
    """Write a check result; the extension of ``path`` picks CSV, GeoJSON, GeoPackage or
    Parquet. Written to a temporary file and renamed (never half a file).

    In CSV, text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
    ``@``, tab, CR) get a leading ``'`` unless ``csv_safe`` is False
    (:func:`geostrike.io.neutralise_formulas`).

    A ``.gpkg`` is written by :func:`geostrike.render.qgis.export_gpkg` (styled layers, with the
    zones) when that module is available and ``zones`` are given; else one plain layer.
    A result without point geometries (``CheckOptions(points=False)``) gets them here for
    every format but CSV.
    """
    import geopandas as gpd

    from geostrike.errors import OutputError
    from geostrike.io import write_frame

    path = Path(path)
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(path, "unknown output extension; use .csv, .geojson, .gpkg or .parquet")
    if fmt == "Parquet" and not isinstance(result, gpd.GeoDataFrame):
        # a result checked without points: its point column is written as GeoParquet WKB
        # straight from the coordinates, with no Shapely object made (issue 18); a
        # GeoDataFrame keeps its own geometry and CRS (a user may have changed them)
        return write_point_parquet(result, path)
    if fmt != "CSV" and not isinstance(result, gpd.GeoDataFrame):
        # a result checked without points (CheckOptions(points=False)): made here, once
        # the engine's own arrays are freed
        from geostrike.engine.check import point_geometries

        lat = result["latitude"].to_numpy(dtype=float)
        lon = result["longitude"].to_numpy(dtype=float)
        result = gpd.GeoDataFrame(
            result, geometry=point_geometries(lat, lon), crs="EPSG:4326", copy=False
        )
    if fmt == "GPKG" and zones is not None:
        try:
            from geostrike.render.qgis import export_gpkg
        except ImportError:
            export_gpkg = None
        if export_gpkg is not None:
            from geostrike.engine.check import PreparedZones

            gdf = zones.zones if isinstance(zones, PreparedZones) else zones
            return export_gpkg(result, gdf, path, actors=actors)
    if fmt == "Parquet":
        result = _as_dictionaries(result)
    if fmt == "GPKG" and _has_geometry(result):
        from geostrike.io import atomic_output

        with atomic_output(path) as tmp:
            try:
                write_geopackage_layer(result, tmp, "claims")
            except OSError as exc:
                raise OutputError(path, f"cannot be written ({exc.strerror or exc})") from None
        return path
    return write_frame(result, path, fmt, layer="claims", csv_safe=csv_safe)


def point_wkb(lat: np.ndarray, lon: np.ndarray) -> Any:
    """ISO WKB points (little-endian, 21 bytes each) as an Arrow binary array, built from
    the coordinate arrays in one pass; a row without coordinates is the empty point
    (``POINT (NaN NaN)``), as Shapely writes it."""
    import pyarrow as pa

    n = len(lat)
    rec = np.empty(
        n, dtype=np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])
    )
    rec["order"], rec["kind"] = 1, 1
    located = np.isfinite(lat) & np.isfinite(lon)
    rec["x"] = np.where(located, lon, np.nan)
    rec["y"] = np.where(located, lat, np.nan)
    offsets = np.arange(0, 21 * (n + 1), 21, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(rec.view(np.uint8))]
    )


def point_parquet_table(result: Any, *, bbox: bool = True) -> Any:
    """A check result as the Arrow table of a GeoParquet (1.0.0) file: its columns by
    Arrow (the texts of :data:`_DICTIONARY_COLUMNS` as dictionaries with int32 indices, the
    same type in every chunk of a streamed file), then a ``geometry`` column of WKB points
    made from ``latitude``/``longitude`` (:func:`point_wkb`; a point geometry the result
    already carries is dropped: it is the same point) with the ``geo`` metadata (EPSG:4326;
    the bounding box when ``bbox``) that geopandas, GDAL and QGIS read."""
    import json

    import pyarrow as pa
    from pyproj import CRS

    if _has_geometry(result):
        result = pd.DataFrame(result.drop(columns=result.geometry.name), copy=False)
    lat = result["latitude"].to_numpy(dtype=float)
    lon = result["longitude"].to_numpy(dtype=float)
    table = pa.Table.from_pandas(_as_dictionaries(result), preserve_index=False)
    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type) and f.type.index_type != pa.int32():
            typ = pa.dictionary(pa.int32(), f.type.value_type)
            table = table.set_column(i, pa.field(f.name, typ), table.column(i).cast(typ))
    table = table.append_column("geometry", point_wkb(lat, lon))
    located = np.isfinite(lat) & np.isfinite(lon)
    column: dict[str, Any] = {
        "encoding": "WKB",
        "geometry_types": ["Point"],
        "crs": CRS.from_epsg(4326).to_json_dict(),
    }
    if bbox and located.any():
        column["bbox"] = [
            float(lon[located].min()),
            float(lat[located].min()),
            float(lon[located].max()),
            float(lat[located].max()),
        ]
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": column},
        "creator": {"library": "geostrike"},
    }
    meta = dict(table.schema.metadata or {})
    meta[b"geo"] = json.dumps(geo).encode("utf-8")
    return table.replace_schema_metadata(meta)


def write_point_parquet(result: Any, path: str | Path) -> Path:
    """Write a check result as GeoParquet (:func:`point_parquet_table`): what geopandas
    would write for the same points, without making a million Shapely objects and then
    their WKB."""
    import pyarrow.parquet as pq

    from geostrike.errors import OutputError
    from geostrike.io import atomic_output

    table = point_parquet_table(result)
    with atomic_output(path) as tmp:
        try:
            pq.write_table(table, tmp, **parquet_write_options(table.schema))
        except OSError as exc:
            raise OutputError(path, f"cannot be written ({exc.strerror or exc})") from None
    return Path(path)


def parquet_write_options(schema: Any) -> dict[str, Any]:
    """Parquet writer options for a result table of ``schema`` (the in-memory and the
    streamed writers): dictionary pages only for the columns that are Arrow dictionaries
    already (other texts, ids above all, are mostly distinct: Arrow would build a
    dictionary for each and drop it), and no min/max statistics for the WKB geometry or the
    reason sentences, which no reader filters on. A third less time for a million results,
    and a smaller file (docs/performance.md)."""
    import pyarrow as pa

    return {
        "use_dictionary": [f.name for f in schema if pa.types.is_dictionary(f.type)],
        "write_statistics": [
            f.name
            for f in schema
            if f.name != "reason"
            and not pa.types.is_binary(f.type)
            and not pa.types.is_large_binary(f.type)
        ],
    }


#: Result columns of a few texts repeated over many rows (each reason sentence is shared
#: by all the rows of its shape), written to Parquet as dictionaries (issue 18).
_DICTIONARY_COLUMNS = ("reason", "controller", "target", "location_name")


def _as_dictionaries(result: Any) -> Any:
    """A shallow copy of ``result`` whose :data:`_DICTIONARY_COLUMNS` are categoricals, so
    that Arrow and Parquet take each distinct text once (Parquet dictionary pages; read
    back, those columns are categoricals, as status and verdict already are)."""
    columns = [c for c in _DICTIONARY_COLUMNS if c in result.columns and result[c].dtype == object]
    if not columns:
        return result
    out = result.copy(deep=False)
    for c in columns:
        codes, distinct = pd.factorize(out[c])  # missing values: -1
        out[c] = pd.Categorical.from_codes(codes, categories=pd.Index(distinct), validate=False)
    return out


# ------------------------------------------------------------------ geo files in bulk
# GeoParquet: GeoDataFrame.to_parquet (geopandas >= 1.0) already builds the Arrow table
# with one vectorised WKB conversion and the GeoParquet metadata; a hand-written Arrow
# writer measured no faster on 1,000,000 results (docs/performance.md), so it is used as is.


def _has_geometry(frame: Any) -> bool:
    """Whether ``frame`` is a GeoDataFrame with an active geometry column."""
    return getattr(frame, "_geometry_column_name", None) in getattr(frame, "columns", ())


def write_geopackage_layer(frame: Any, path: str | Path, layer: str, **kwargs: Any) -> None:
    """Write (or with ``append=True`` add to) one GeoPackage layer in one bulk call through
    GDAL's Arrow stream interface (``pyogrio.write_dataframe(use_arrow=True)``): no per-row
    Python between the frame and GDAL's SQLite inserts. ``path`` is written in place (give
    a temporary file; see :func:`geostrike.io.atomic_output`)."""
    import pyogrio

    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", use_arrow=True, **kwargs)


def format_table(result: Any, *, max_rows: int = 40, width: int = 70) -> str:
    """A readable terminal table of a check result (long reasons and tables truncated)."""
    cols = ["id", "status", "verdict", "controller", "target", "distance_to_target_km", "reason"]
    view = pd.DataFrame(result[cols]).rename(columns={"distance_to_target_km": "km"})
    view["km"] = [round_km_text(v) for v in view["km"]]
    view["reason"] = [
        r if len(str(r)) <= width else str(r)[: width - 1] + "…" for r in view["reason"]
    ]
    view = view.fillna("")
    shown = view.head(max_rows)
    text = shown.to_string(index=False, justify="left")
    if len(view) > max_rows:
        text += f"\n… {len(view) - max_rows} more rows (write them all with -o FILE.csv)"
    return text


def _finite_km(value: Any) -> float | None:
    """A cell as a finite number of km, or None (blank, text, NaN, infinite)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def round_km_text(value: Any) -> str:
    """A distance cell for the terminal: one decimal below 10 km, else whole km."""
    from geostrike.geodesy import round_km

    v = _finite_km(value)
    return "" if v is None else round_km(v)


def format_km_text(value: Any) -> str:
    """A distance cell in km and miles (:func:`geostrike.geodesy.format_km`), blank when none."""
    from geostrike.geodesy import format_km

    v = _finite_km(value)
    return "" if v is None else format_km(v)

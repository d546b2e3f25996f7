"""Control zones: who held which ground, and when.

Zones come from the user as any vector file GDAL reads (GeoJSON, GeoPackage, Shapefile,
KML, FlatGeobuf, GeoParquet, CSV with a WKT column…) or a GeoDataFrame, with columns
``controller`` (an actor, alias or actor set from the actor table; several separated by
``;`` for joint or mixed control), a validity window or a snapshot date (recognised under
the usual names: :data:`START_COLUMNS`, :data:`END_COLUMNS`, :data:`SNAPSHOT_COLUMNS`;
dates inclusive; empty = open-ended) and ``source``. :func:`read_zones` returns them
normalised:

* from the only polygon layer of a multi-layer file (or the one with a ``controller``
  column, or ``layer``), named in a warning;
* reprojected to WGS84 (EPSG:4326); a file without a CRS is taken as WGS84, with a warning,
  only when its coordinates are longitudes/latitudes; non-finite or out-of-range
  coordinates are an error naming the row; polygons drawn across the antimeridian
  without a split are split at ±180°;
* invalid geometries repaired with ``shapely.make_valid`` (polygonal parts kept), with a
  warning giving the count;
* rows whose geometry is empty or not polygonal (points, lines) are **dropped with a
  warning** giving the count and rows; a file with no polygon at all is an error;
* ``controller`` rewritten as sorted canonical ids joined by ``;`` (an unknown name is an
  :class:`~geostrike.errors.UnknownActorError` naming the value and the file);
* dates read by :func:`geostrike.inputs.claims.parse_dates` (the one date parser: ambiguous
  day/month order refused unless ``date_order`` is given); a date-like column left unused
  is an error, so no time column is silently ignored;
* overlapping zones of different controllers on the same dates warned about.

:func:`zones_from_points` builds zones from town-level control points (the form in which
the Carter Center and Wikipedia publish Syria's control maps): Voronoi cells of the points,
computed in an azimuthal equidistant frame centred on the points (so the cells are not
distorted by longitude/latitude), each cut to a geodesic circle of ``reach_km`` around its
point (default 40 km), clipped to a boundary (by default the Natural Earth outlines of the
countries the points fall in) and dissolved per controller and snapshot date.
:func:`zones_info` summarises a zones table (windows, areas, gaps, overlaps, extent).

Why one module of ~1,300 lines: the three entry points share the normalisation rules
(controller ids, the one date parser, the time-column names, geometry repair and the
antimeridian split). Keeping them together keeps one definition of each rule; readers for
published archives that only call :func:`read_zones` live in ``snapshots``, ``kml`` and
``esri``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geostrike.errors import GeostrikeError, InputError, first_line
from geostrike.inputs.actors import ActorTable, load_actors
from geostrike.inputs.claims import resolve_actors
from geostrike.io import read_text, require_file

#: The columns of a normalised zones table, in order (the input's own columns follow).
ZONE_COLUMNS: tuple[str, ...] = (
    "zone_id",
    "controller",
    "valid_from",
    "valid_to",
    "source",
    "geometry",
)

_TEXT_SUFFIXES = {".geojson", ".json", ".kml", ".gml", ".csv", ".gpx", ".topojson"}


class ZoneWarning(UserWarning):
    """A zones file was usable but needed fixing (no CRS, invalid or dropped geometries)."""


def _read_file(p: Path, layer: str | None = None) -> Any:
    suffix = p.suffix.lower()
    if p.is_dir() or suffix in (".parquet", ".geoparquet"):
        import geopandas as gpd

        try:
            return gpd.read_parquet(p)
        except Exception as exc:
            raise InputError(p, f"is not a readable GeoParquet file ({first_line(exc)})") from None
    if suffix in _TEXT_SUFFIXES:
        text = read_text(p)
        if not text.strip():
            raise InputError(p, "file is empty")
    if suffix in (".geojson", ".json") and layer is None:
        # a plain WGS84 FeatureCollection through json + numpy: no GDAL to load for the
        # common case (start-up of a small check, issue 18); anything else goes to GDAL
        from geostrike.inputs.snapshots import _read_geojson

        fast = _read_geojson(p)
        if fast is not None:
            return fast
    import pyogrio

    try:
        layer = _pick_layer(p, layer)
        # dates as text: every date goes through one parser (claims.parse_dates)
        return pyogrio.read_dataframe(p, layer=layer, datetime_as_string=True)
    except GeostrikeError:
        raise
    except Exception as exc:  # DataSourceError, DataLayerError, FieldError, ...
        what = p.suffix or "a vector file"
        raise InputError(p, f"cannot be read as {what} ({first_line(exc)})") from None


def _pick_layer(p: Path, layer: str | None) -> str | None:
    """The layer to read: ``layer`` if given, else the only layer, else the only polygon
    layer (or the only one with a ``controller`` column), named on stderr; otherwise
    several polygon layers need ``--layer``."""
    import pyogrio

    layers = pyogrio.list_layers(p)
    names = [str(n) for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise InputError(p, f"has no layer {layer!r} (layers: {', '.join(names)})")
        return layer
    if len(layers) <= 1:
        return None
    poly = [str(n) for n, g in layers if g is not None and "polygon" in str(g).lower()]
    if len(poly) > 1:  # geostrike's own export: the polygon layer with a controller column
        with_ctrl = [
            n
            for n in poly
            if "controller" in {str(f).lower() for f in pyogrio.read_info(p, layer=n)["fields"]}
        ]
        poly = with_ctrl or poly
    if len(poly) == 1:
        warnings.warn(
            f"{p}: {len(names)} layers; reading the polygon layer {poly[0]!r}",
            ZoneWarning,
            stacklevel=4,
        )
        return poly[0]
    if not poly:
        raise InputError(p, f"has no polygon layer (layers: {', '.join(names)})")
    raise InputError(
        p, f"has {len(poly)} polygon layers ({', '.join(poly)}); pick one with --layer"
    )


def _find_column(columns: Any, *names: str) -> str | None:
    lower = {_key(c): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def _key(column: Any) -> str:
    return "_".join(str(column).strip().lower().replace("-", " ").split())


#: Column names (case-insensitive; spaces and hyphens read as ``_``) recognised as the
#: start of a validity window, its end (inclusive), and the date of a snapshot (a map of
#: one day that holds until the next snapshot).
START_COLUMNS: tuple[str, ...] = (
    "valid_from", "from", "start", "begin", "start_date", "begin_date", "date_from",
    "from_date", "valid_since", "since", "starts",
)  # fmt: skip
END_COLUMNS: tuple[str, ...] = (
    "valid_to", "to", "until", "end", "end_date", "date_to", "to_date", "valid_until",
    "till", "ends",
)  # fmt: skip
SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "date", "as_of", "asof", "snapshot", "snapshot_date", "observed", "observed_on",
    "observation_date", "date_observed", "map_date", "when", "timestamp",
)  # fmt: skip
_DATE_WORDS = (
    "date", "time", "day", "updated", "update", "modified", "created", "edited", "year",
    "period", "effective", "valid", "observed", "reported",
)  # fmt: skip
#: A text value that reads as a date: ISO (2018-08-01, 2018/08/01, 20180801) or numeric
#: day/month forms (01/08/2018, 1.8.2018).
_DATE_VALUE = re.compile(
    r"^\s*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{8}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"
    r"(?:[T ]\d{1,2}:\d{2}.*)?\s*$"
)


def _date_like(column: Any, values: Any = None) -> bool:
    """Whether a column looks like it holds dates: by its name, its type, or its values
    (most of its cells read as dates), whatever it is called."""
    k = _key(column)
    if k in START_COLUMNS or k in END_COLUMNS or k in SNAPSHOT_COLUMNS:
        return True
    words = k.split("_")
    if any(w in words for w in _DATE_WORDS) or k.endswith(("date", "updated", "time")):
        return True
    if values is None:
        return False
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    if values.dtype != object and not pd.api.types.is_string_dtype(values):
        return False
    text = pd.Series(values).dropna().astype(str).str.strip()
    text = text[text != ""].head(200)
    return len(text) > 0 and text.str.match(_DATE_VALUE).mean() >= 0.8


def _time_columns(
    frame: Any,
    path: Any,
    *,
    from_column: str | None,
    to_column: str | None,
    date_column: str | None,
    skip: tuple[Any, ...] = (),
    windows: bool = True,
) -> tuple[Any, Any, Any]:
    """Pick the (start, end, snapshot) columns of a zones or control-points table.

    Named columns win; otherwise the recognised names. A window (start/end) and a
    snapshot date are exclusive. Any other date-like column left unused is an error, so no
    time column is silently ignored.
    """

    def named(opt: str | None, option: str) -> Any:
        if opt is None:
            return None
        col = _find_column(frame.columns, _key(opt))
        if col is None:
            raise InputError(path, f"has no column {opt!r} (given with {option})")
        return col

    f_col = named(from_column, "--from-column")
    t_col = named(to_column, "--to-column")
    d_col = named(date_column, "--date-column")
    # a role not named is found by its usual names (never a column named for another role)
    taken = {c for c in (f_col, t_col, d_col) if c is not None}
    free = [c for c in frame.columns if c not in taken]
    if windows and d_col is None:
        f_col = f_col if f_col is not None else _find_column(free, *START_COLUMNS)
        t_col = t_col if t_col is not None else _find_column(free, *END_COLUMNS)
    if f_col is None and t_col is None and d_col is None:
        d_col = _find_column(free, *SNAPSHOT_COLUMNS)
        if d_col is None and not windows:
            d_col = _find_column(free, *START_COLUMNS)
    used = {c for c in (f_col, t_col, d_col) if c is not None}
    geom = getattr(getattr(frame, "geometry", None), "name", None)
    left = [
        str(c)
        for c in frame.columns
        if c not in used and c not in skip and c != geom and _date_like(c, frame[c])
    ]
    if d_col is not None and (f_col is not None or t_col is not None):
        raise InputError(
            path,
            f"has both a validity window ({', '.join(repr(str(c)) for c in (f_col, t_col) if c is not None)}) "
            f"and a snapshot date ({str(d_col)!r}); use one",
        )
    if left:
        found = ", ".join(repr(str(c)) for c in used) or "none"
        opts = "--from-column/--to-column/--date-column" if windows else "--date-column"
        raise InputError(
            path,
            f"date-like column(s) {', '.join(repr(c) for c in left)} not used (time columns "
            f"used: {found}); name the time columns with {opts} or rename the others",
        )
    return f_col, t_col, d_col


def parse_zone_dates(
    values: pd.Series,
    *,
    path: str | Path | None,
    column: str,
    rows: np.ndarray | None = None,
    order: str | None = None,
) -> pd.Series:
    """Parse a validity column; empty = open (NaT); an unreadable date is an InputError.

    ``rows`` are the file's row numbers of ``values`` (1-based; default: positions + 1),
    named in the error. ``order`` reads numeric dates as ``"dmy"`` or ``"mdy"``
    (see :func:`geostrike.inputs.claims.parse_dates`, the one date parser of geostrike).
    """
    from geostrike.inputs.claims import parse_dates

    s = pd.Series(values, copy=False)
    rows = np.arange(1, len(s) + 1) if rows is None else np.asarray(rows)
    if pd.api.types.is_datetime64_any_dtype(s):
        out = parse_dates(s, order=order, path=path, column=column)
        text = s.astype(str)
    else:
        text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
        text = text.where(~text.str.lower().isin(["nan", "nat", "none", "null", "open", "-"]), "")
        out = parse_dates(text, order=order, path=path, column=column)
    bad = out.isna() & (text != "") & s.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = text.iloc[i]
        why = "is not a date (use YYYY-MM-DD)"
        year = pd.Series([value]).str.extract(r"(?<!\d)(\d{4})(?!\d)")[0].iloc[0]
        if isinstance(year, str) and not 1678 <= int(year) <= 2261:
            why = "is out of the supported date range (1677-09-22 to 2262-04-11)"
        raise InputError(path, f"row {rows[i]}: column '{column}' value {value!r} {why}")
    return out


def _controller_ids(
    table: ActorTable, raw: pd.Series, row_no: np.ndarray, path: str | Path | None
) -> dict[str, str]:
    """Each distinct controller text → its sorted canonical ids joined by ``;``.

    Every value that resolves to no actor is named in one error, with its first rows and
    the nearest known names (as for claims), instead of one value per run.
    """
    values = pd.unique(raw)
    codes = pd.Categorical(raw, categories=values).codes

    def rows_of(i: int) -> list[int]:
        return [int(r) for r in row_no[codes == i][:5]]

    table.check_all(
        values,
        path=path,
        column="controller",
        rows_of=rows_of,
        resolve=lambda v: resolve_actors(table, v, path=path, column="controller"),
    )
    return {
        v: ";".join(sorted(resolve_actors(table, v, path=path, column="controller")))
        for v in values
    }


def read_zones(
    path_or_gdf: Any,
    *,
    actors: ActorTable | str | Path | None = None,
    layer: str | None = None,
    from_column: str | None = None,
    to_column: str | None = None,
    date_column: str | None = None,
    date_order: str | None = None,
    stale_after_days: int | None = None,
    cache: bool = False,
) -> Any:
    """Read and normalise control zones.

    Parameters
    ----------
    path_or_gdf
        A path to any GDAL vector file or GeoParquet, or a GeoDataFrame.
    actors
        An :class:`ActorTable`, or the path of a CSV extending the default table.
    layer
        The layer of a multi-layer file (default: the only polygon layer, named on stderr).
    from_column, to_column, date_column
        The columns holding the start and end (inclusive) of each zone's validity window,
        or its snapshot date (default: the recognised names :data:`START_COLUMNS`,
        :data:`END_COLUMNS`, :data:`SNAPSHOT_COLUMNS`, case-insensitive).
    date_order
        ``"dmy"`` or ``"mdy"``: how to read numeric dates such as ``05/06/2016``.
    stale_after_days
        How long past the last dated zone's start an open-ended zone still counts as
        current (default :data:`DEFAULT_STALE_AFTER_DAYS`); kept in ``attrs`` for the check.
    cache
        Keep the result in the cache folder and reuse it while the file, the arguments, the
        actor table and geostrike itself are unchanged (:mod:`geostrike.inputs.cache`; the
        command does). Its warnings are given again on reuse. Not while other threads may
        give warnings.

    Overlapping zones of different controllers valid on the same days (not written as
    joint control, ``a;b``) are warned about (:class:`ZoneWarning`), since the check reads
    them as joint control.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns ``zone_id, controller, valid_from, valid_to, source, geometry``
        followed by the input's other columns; Polygon/MultiPolygon geometries only.

    Raises
    ------
    InputError
        Missing file, empty file, not a vector file, non-UTF-8 text, no ``controller``
        column, no polygon, unreadable or ambiguous validity date, a date-like column left
        unused, ``valid_to`` before ``valid_from``, non-finite or out-of-range coordinates,
        a CRS that is neither geographic nor projected.
    UnknownActorError
        A controller name in no actor table.
    """
    import geopandas as gpd

    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    if cache and isinstance(path_or_gdf, str | Path):
        from geostrike.inputs import cache as kept
        from geostrike.inputs.claims import current_date_order

        args = (layer, from_column, to_column, date_column, date_order, stale_after_days)
        file, extra = require_file(path_or_gdf), (args, current_date_order(), kept.digest_of(table))
        return kept.remembered(
            "zones",
            lambda: kept.file_key("zones", file, str(path_or_gdf), extra),
            lambda: read_zones(
                path_or_gdf,
                actors=table,
                layer=layer,
                from_column=from_column,
                to_column=to_column,
                date_column=date_column,
                date_order=date_order,
                stale_after_days=stale_after_days,
            ),
        )
    if isinstance(path_or_gdf, gpd.GeoDataFrame):
        gdf, path = path_or_gdf.copy(), None
    elif isinstance(path_or_gdf, str | Path):
        path = require_file(path_or_gdf)
        gdf = _read_file(path, layer)
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise InputError(path, "has no geometry column: not a zones file")
    else:
        raise GeostrikeError(
            f"zones must be a path or a GeoDataFrame, not {type(path_or_gdf).__name__}"
        )
    if len(gdf) == 0:
        raise InputError(path, "has no features: no zones to read")
    ctrl_col = _find_column(gdf.columns, "controller")
    if ctrl_col is None:
        raise InputError(path, "has no 'controller' column (who held each zone)")
    id_col = _find_column(gdf.columns, "zone_id", "id", "fid")
    src_col = _find_column(gdf.columns, "source")
    f_col, t_col, d_col = _time_columns(
        gdf,
        path,
        from_column=from_column,
        to_column=to_column,
        date_column=date_column,
        skip=(ctrl_col, id_col, src_col),
    )
    if f_col is None and t_col is None and d_col is None and len(gdf):
        warnings.warn(
            f"zones: {Path(str(path)).name if path else 'the zones'} carry no dates; they are "
            "taken as valid on every date (add valid_from/valid_to or a snapshot date)",
            ZoneWarning,
            stacklevel=2,
        )
    row_no = np.arange(1, len(gdf) + 1)  # the file's feature numbers, named in errors

    # coordinates and CRS
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    _check_finite(geoms, row_no, path)
    if gdf.crs is None:
        _check_lonlat(geoms, row_no, path, "no coordinate reference system and ")
        warnings.warn(
            f"{path or 'zones'}: no coordinate reference system; taken as WGS84 (EPSG:4326)",
            ZoneWarning,
            stacklevel=2,
        )
        gdf = gdf.set_crs("EPSG:4326")
    elif not gdf.crs.equals("EPSG:4326"):
        if not (gdf.crs.is_geographic or gdf.crs.is_projected):
            raise InputError(
                path, f"its coordinate reference system {gdf.crs.name!r} is not a map projection"
            )
        try:
            gdf = gdf.to_crs("EPSG:4326")
        except Exception as exc:
            raise InputError(path, f"cannot be reprojected to WGS84 ({first_line(exc)})") from None
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        _check_finite(geoms, row_no, path)
    _check_lonlat(geoms, row_no, path, "")
    geoms = _split_antimeridian(geoms, row_no, path)

    # geometry: repair, keep polygonal parts, drop the rest
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    invalid = ~missing & ~shapely.is_valid(np.where(missing, None, geoms))
    if invalid.any():
        repaired = shapely.make_valid(geoms[invalid])
        geoms[invalid] = _polygonal(repaired)
        warnings.warn(
            f"{path or 'zones'}: repaired {int(invalid.sum())} invalid geometr"
            f"{'y' if invalid.sum() == 1 else 'ies'} (shapely.make_valid, polygonal parts kept)",
            ZoneWarning,
            stacklevel=2,
        )
    type_id = shapely.get_type_id(geoms)
    polygonal = np.isin(type_id, (3, 6)) & ~shapely.is_empty(geoms)
    collection = type_id == 7
    if collection.any():
        geoms[collection] = _polygonal(geoms[collection])
        polygonal |= collection & ~shapely.is_empty(geoms)
    if not polygonal.any():
        raise InputError(path, "has no Polygon or MultiPolygon geometry: not a zones file")
    dropped = np.flatnonzero(~polygonal)
    if len(dropped):
        shown = ", ".join(str(r) for r in row_no[dropped][:5]) + (
            ", ..." if len(dropped) > 5 else ""
        )
        warnings.warn(
            f"{path or 'zones'}: dropped {len(dropped)} row(s) whose geometry is empty or not "
            f"a polygon (row {shown})",
            ZoneWarning,
            stacklevel=2,
        )
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326"))
    gdf = gdf[polygonal].copy()
    row_no = row_no[polygonal]

    # controller
    raw = gdf[ctrl_col].astype(object).where(gdf[ctrl_col].notna(), "").astype(str).str.strip()
    empty = raw == ""
    if empty.any():
        row = int(row_no[np.flatnonzero(empty.to_numpy())[0]])
        raise InputError(path, f"row {row}: empty controller")
    cmap = _controller_ids(table, raw, np.asarray(row_no), path)
    controller = raw.map(cmap)

    # dates
    n = len(gdf)
    nat = pd.Series(pd.NaT, index=gdf.index, dtype="datetime64[ns]")

    def dates(col: Any) -> pd.Series:
        if col is None:
            return nat
        return parse_zone_dates(
            gdf[col], path=path, column=str(col), rows=row_no, order=date_order
        ).set_axis(gdf.index)

    valid_from, valid_to = dates(f_col), dates(t_col)
    if d_col is not None:
        # snapshots (one map per date): each holds until the day before the next one
        valid_from = dates(d_col)
        valid_to = _chain_snapshots(valid_from)
    backwards = (valid_to < valid_from).to_numpy()
    if backwards.any():
        row = int(row_no[np.flatnonzero(backwards)[0]])
        raise InputError(path, f"row {row}: valid_to is before valid_from")

    if id_col is not None:
        ids = gdf[id_col].astype(object)
        blank = ids.isna() | (ids.astype(str).str.strip() == "")
        gen = pd.Series([f"zone-{i + 1}" for i in range(n)], index=gdf.index)
        zone_id = ids.astype(str).where(~blank, gen)
    else:
        zone_id = pd.Series([f"zone-{i + 1}" for i in range(n)], index=gdf.index)
    source = (
        gdf[src_col].astype(object).where(gdf[src_col].notna(), None)
        if src_col is not None
        else pd.Series([None] * n, index=gdf.index, dtype=object)
    )

    used = {c for c in (ctrl_col, f_col, t_col, d_col, id_col, src_col) if c is not None}
    extra = [c for c in gdf.columns if c not in used and c != gdf.geometry.name]
    extra = [c for c in extra if c not in ZONE_COLUMNS]
    out = gpd.GeoDataFrame(
        {
            "zone_id": zone_id.to_numpy(dtype=object),
            "controller": controller.to_numpy(dtype=object),
            "valid_from": valid_from.to_numpy(dtype="datetime64[ns]"),
            "valid_to": valid_to.to_numpy(dtype="datetime64[ns]"),
            "source": source.to_numpy(dtype=object),
            **{c: gdf[c].to_numpy() for c in extra},
        },
        geometry=gpd.GeoSeries(gdf.geometry.values, crs="EPSG:4326"),
        crs="EPSG:4326",
    )
    out = out[[*ZONE_COLUMNS, *extra]].reset_index(drop=True)
    _warn_overlaps(out, path)
    out.attrs["geostrike_normalised"] = True
    if stale_after_days is not None:
        out.attrs["stale_after_days"] = _check_stale_days(stale_after_days)
    return out


#: How long (days) past the last dated zone's start an open-ended zone counts as current.
DEFAULT_STALE_AFTER_DAYS = 90


def _check_stale_days(days: Any) -> int:
    try:
        value = int(days)
    except (TypeError, ValueError):
        value = -1
    if value < 0 or value != days:
        raise GeostrikeError(f"stale-after days {days!r} must be a whole number >= 0")
    return value


def snapshot_horizon(
    start: np.ndarray,
    end: np.ndarray,
    open_start: int,
    open_end: int,
    stale_after_days: int | None = None,
) -> tuple[np.ndarray, str]:
    """Close open-ended dated zones ``stale_after_days`` after the last snapshot.

    ``start``/``end`` are day numbers (``open_start``/``open_end`` for open bounds), as
    :func:`geostrike.engine.check.prepare_zones` holds them. A map does not describe the ground
    forever: a claim dated well after the last snapshot (or before the first) finds no
    zone and is indeterminate. Returns the new ends and a note for the reason sentence
    saying what the zones cover (empty for undated zones).
    """
    days = DEFAULT_STALE_AFTER_DAYS if stale_after_days is None else stale_after_days
    dated = start != open_start
    if not dated.any():
        return end, ""
    first = int(start[dated].min())
    last = int(start[dated].max())
    closed = end[end != open_end]
    horizon = last + int(days)
    new_end = np.where(dated & (end == open_end), horizon, end)
    upto = max(horizon, int(closed.max())) if len(closed) else horizon

    def iso(d: int) -> str:
        return str(np.datetime64(d, "D"))

    note = f" (the control maps cover {iso(first)} to {iso(upto)}"
    if (dated & (end == open_end)).any():
        note += f": the last snapshot, {iso(last)}, is taken to hold for {days} days"
    return new_end, note + ")"


def unmapped_note(zones: Any) -> str:
    """Why ground can lie outside every zone, for the reason sentence: zones built from
    control points (column ``reach_km``) reach only so far from them."""
    if "reach_km" not in zones.columns:
        return ""
    reach = pd.to_numeric(zones["reach_km"], errors="coerce").dropna().unique()
    if len(reach) != 1:
        return ""
    return f" (the zones reach at most {float(reach[0]):g} km from their control points)"


def overlap_pairs(zones: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` (i < j) of zones of different controllers (neither written as
    including the other) that overlap in space, by more than a sliver, on some common
    day; with the overlap's geodesic area in km²."""
    geoms = np.asarray(zones.geometry.values, dtype=object)
    none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    if len(geoms) < 2:
        return none
    # candidate pairs window by window: zones of two windows sharing a day (for chained
    # snapshots, each window with itself only), then in space
    lo, hi = _window_days(zones)
    win, first = np.unique(np.stack([lo, hi], axis=1).astype(np.int64), axis=0, return_inverse=True)
    first = np.asarray(first).ravel()
    members = [np.flatnonzero(first == w) for w in range(len(win))]
    pi, pj = [], []
    for a in range(len(win)):  # one spatial query per pair of windows sharing a day
        partners = np.flatnonzero((win[:, 0] <= win[a, 1]) & (win[a, 0] <= win[:, 1]))
        partners = partners[partners >= a]
        if len(partners) == 0:
            continue
        others = np.concatenate([members[b] for b in partners])
        tree = shapely.STRtree(geoms[others])
        qi, qj = tree.query(geoms[members[a]], predicate="intersects")
        pi.append(members[a][qi])
        pj.append(others[qj])
    i = np.concatenate(pi) if pi else np.zeros(0, dtype=np.int64)
    j = np.concatenate(pj) if pj else np.zeros(0, dtype=np.int64)
    i, j = np.minimum(i, j), np.maximum(i, j)
    ij = np.unique(np.stack([i, j], axis=1)[i < j], axis=0)
    i, j = ij[:, 0], ij[:, 1]
    if len(i) == 0:
        return none
    # controllers differ, neither written as including the other (one set per distinct
    # value, compared once per distinct pair of values)
    codes, values = pd.factorize(zones["controller"].astype(str))
    sets = [frozenset(v.split(";")) for v in values]
    pair_code, distinct = pd.factorize(codes[i].astype(np.int64) * len(values) + codes[j])
    apart = np.array(
        [
            not (sets[k // len(values)] <= sets[k % len(values)]
                 or sets[k % len(values)] <= sets[k // len(values)])
            for k in distinct
        ],
        dtype=bool,
    )  # fmt: skip
    keep = apart[pair_code] if len(i) else np.zeros(0, dtype=bool)
    i, j = i[keep], j[keep]
    if len(i) == 0:
        return none
    inside = shapely.relate_pattern(geoms[i], geoms[j], "T********")  # not just touching
    i, j = i[inside], j[inside]
    inter = shapely.intersection(geoms[i], geoms[j], grid_size=_GRID_DEG)
    # more than a sliver: 1e-6 square degrees (about 0.01 km²) and 0.1% of the smaller zone
    floor = np.maximum(1e-6, 1e-3 * np.minimum(shapely.area(geoms[i]), shapely.area(geoms[j])))
    real = shapely.area(inter) > floor
    return i[real], j[real], zone_areas_km2(inter[real])


def _window_days(zones: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validity windows as day arrays, open ends as the earliest/latest day numpy holds."""
    lo = pd.to_datetime(zones["valid_from"]).to_numpy(dtype="datetime64[D]")
    hi = pd.to_datetime(zones["valid_to"]).to_numpy(dtype="datetime64[D]")
    lo = np.where(np.isnat(lo), np.datetime64("0001-01-01"), lo)
    hi = np.where(np.isnat(hi), np.datetime64("9999-12-31"), hi)
    return lo, hi


def _warn_overlaps(zones: Any, path: Any) -> None:
    """One warning line per overlapping pair (:func:`overlap_pairs`); one line in all when
    there are more than five."""
    i, j, _ = overlap_pairs(zones)
    where = path or "zones"
    ids = zones["zone_id"].to_numpy(dtype=object)
    ctrl = zones["controller"].to_numpy(dtype=object)

    def pair(a: int, b: int) -> str:
        return f"{ids[a]} ({ctrl[a]}) and {ids[b]} ({ctrl[b]})"

    if 0 < len(i) <= 5:
        for a, b in zip(i, j, strict=True):
            warnings.warn(
                f"{where}: zones {pair(a, b)} overlap on the same dates; the check reads the "
                "overlap as joint control (write the controller as 'a;b' if that is meant)",
                ZoneWarning,
                stacklevel=3,
            )
    elif len(i) > 5:
        shown = "; ".join(pair(a, b) for a, b in zip(i[:3], j[:3], strict=True))
        warnings.warn(
            f"{where}: {len(i)} pairs of zones of different controllers overlap on the same "
            f"dates ({shown}; ...); the check reads overlaps as joint control",
            ZoneWarning,
            stacklevel=3,
        )


def zones_info(zones: Any) -> dict[str, Any]:
    """What a zones table holds: controllers, snapshots (date windows) with the area per
    controller in each (geodesic km²), gaps between windows, overlaps of different
    controllers, and the extent. ``zones`` is a normalised table (:func:`read_zones`)."""
    area = zone_areas_km2(zones.geometry.values)
    vf = pd.to_datetime(zones["valid_from"])
    vt = pd.to_datetime(zones["valid_to"])

    def iso(d: Any) -> str | None:
        return None if pd.isna(d) else pd.Timestamp(d).strftime("%Y-%m-%d")

    key = pd.DataFrame({"f": vf.map(iso), "t": vt.map(iso), "c": zones["controller"], "a": area})
    windows = []
    for (f, t), grp in key.groupby(["f", "t"], dropna=False, sort=False):
        per = grp.groupby("c")["a"].agg(["sum", "size"])
        windows.append(
            {
                "valid_from": None if pd.isna(f) else f,
                "valid_to": None if pd.isna(t) else t,
                "zones": int(len(grp)),
                "area_km2": {str(c): round(float(r["sum"]), 1) for c, r in per.iterrows()},
            }
        )
    windows.sort(key=lambda w: (w["valid_from"] or "", w["valid_to"] or "9999"))
    gaps = []
    lo, hi = _window_days(zones)
    order = np.argsort(lo, kind="stable")
    reach = hi[order[0]] if len(order) else None
    for k in order[1:]:  # days on which no zone is valid, between the first and last
        if lo[k] > reach + np.timedelta64(1, "D"):
            gaps.append(
                {
                    "from": str(reach + np.timedelta64(1, "D")),
                    "to": str(lo[k] - np.timedelta64(1, "D")),
                    "days": int((lo[k] - reach).astype(int) - 1),
                }
            )
        reach = max(reach, hi[k])
    i, j, inter = overlap_pairs(zones)
    ids = zones["zone_id"].astype(str).to_numpy()
    ctrl = zones["controller"].astype(str).to_numpy()
    x0, y0, x1, y1 = (float(v) for v in zones.total_bounds) if len(zones) else (np.nan,) * 4
    total = key.groupby("c")["a"].sum()
    return {
        "zones": int(len(zones)),
        "controllers": sorted({a for c in ctrl for a in c.split(";") if a}),
        "controller_values": sorted(set(ctrl)),
        "first_date": iso(vf.min()) if vf.notna().any() else None,
        "last_date": iso(max(vf.max(), vt.max()) if vt.notna().any() else vf.max())
        if vf.notna().any() or vt.notna().any()
        else None,
        "open_ended": bool((vf.notna() & vt.isna()).any()),
        "windows": windows,
        "gaps": gaps,
        "overlaps": [
            {
                "zones": [ids[a], ids[b]],
                "controllers": [ctrl[a], ctrl[b]],
                "area_km2": round(float(k), 3),
            }
            for a, b, k in zip(i, j, inter, strict=True)
        ],
        "area_km2_all_windows": {str(c): round(float(v), 1) for c, v in total.items()},
        "extent": {"west": x0, "south": y0, "east": x1, "north": y1},
    }


def format_zones_info(info: dict[str, Any]) -> str:
    """The terminal form of :func:`zones_info`."""
    lines = [
        f"{info['zones']} zone(s), {len(info['controllers'])} controller(s): "
        + ", ".join(info["controllers"]),
        f"dates: {info['first_date'] or 'undated'} to {info['last_date'] or 'open'}"
        + (" (the last window is open-ended)" if info["open_ended"] else ""),
        f"extent: {info['extent']['west']:.4f}, {info['extent']['south']:.4f} to "
        f"{info['extent']['east']:.4f}, {info['extent']['north']:.4f} (lon, lat)",
        f"{len(info['windows'])} window(s):",
    ]
    for w in info["windows"]:
        head = (
            f"  {w['valid_from'] or '(open)'} .. {w['valid_to'] or '(open)'}: {w['zones']} zone(s)"
        )
        areas = ", ".join(f"{c} {a:,.0f} km²" for c, a in w["area_km2"].items())
        lines.append(f"{head}; {areas}")
    for g in info["gaps"]:
        lines.append(f"gap: no zones from {g['from']} to {g['to']} ({g['days']} days)")
    for o in info["overlaps"]:
        lines.append(
            f"overlap: {o['zones'][0]} ({o['controllers'][0]}) and {o['zones'][1]} "
            f"({o['controllers'][1]}) share {o['area_km2']:,.3f} km² on the same dates"
        )
    if not info["gaps"] and not info["overlaps"]:
        lines.append("no gaps between windows, no overlaps of different controllers")
    return "\n".join(lines)


def _check_finite(geoms: np.ndarray, row_no: np.ndarray, path: Any) -> None:
    """A NaN or infinite vertex is an error naming the row (GEOS cannot repair it)."""
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        raise InputError(path, f"row {row_no[idx[bad][0]]}: a vertex is not a finite number")


def _check_lonlat(geoms: np.ndarray, row_no: np.ndarray, path: Any, why: str) -> None:
    """Coordinates beyond ±180° longitude or ±90° latitude are an error naming the row."""
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    bad = (np.abs(xy[:, 0]) > 180.0) | (np.abs(xy[:, 1]) > 90.0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            path,
            f"row {row_no[idx[k]]}: {why}coordinates ({xy[k, 0]:g}, {xy[k, 1]:g}) are not "
            "longitude/latitude (give the file its coordinate reference system)",
        )


def _split_antimeridian(geoms: np.ndarray, row_no: np.ndarray, path: Any) -> np.ndarray:
    """Split polygons drawn across the antimeridian (an edge jumping more than 180° of
    longitude, e.g. 179° → -179°) into parts on each side of ±180°; without this they
    would be read as bands 358° wide. A polygon over 180° wide on both readings (a pole, a
    band round the Earth) is refused."""
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    if len(xy) < 2:
        return geoms
    same = idx[1:] == idx[:-1]
    seam = (np.abs(xy[1:, 0]) == 180.0) & (np.abs(xy[:-1, 0]) == 180.0)  # map-edge runs
    jump = same & (np.abs(np.diff(xy[:, 0])) > 180.0) & ~seam
    rows = np.unique(idx[1:][jump])
    if len(rows) == 0:
        return geoms
    out = geoms.copy()
    east = shapely.box(-180.0, -90.0, 180.0, 90.0)
    west = shapely.box(180.0, -90.0, 540.0, 90.0)
    for i in rows:  # the few crossing rows only
        g = shapely.transform(out[i], lambda c: np.where(c < 0, c + 360.0, c) * [1, 0] + c * [0, 1])
        x0, _, x1, _ = g.bounds
        if x1 - x0 >= 180.0:
            raise InputError(
                path,
                f"row {row_no[i]}: polygon spans over 180° of longitude either way round "
                "(a pole or a band round the Earth); split it at ±180°",
            )
        g = shapely.make_valid(g)
        a = shapely.intersection(g, east)
        b = shapely.transform(shapely.intersection(g, west), lambda c: c - [360.0, 0.0])
        out[i] = _polygonal(np.array([shapely.union_all([a, b])], dtype=object))[0]
    return out


def _chain_snapshots(dates: pd.Series) -> pd.Series:
    """valid_to of dated snapshots: the day before the next snapshot date (open for the last)."""
    snaps = np.unique(dates.dropna().to_numpy(dtype="datetime64[D]"))
    day = dates.to_numpy(dtype="datetime64[D]")
    nxt = np.searchsorted(snaps, day, side="right")
    out = np.full(len(day), np.datetime64("NaT"), dtype="datetime64[D]")
    has_next = ~np.isnat(day) & (nxt < len(snaps))
    out[has_next] = snaps[nxt[has_next]] - np.timedelta64(1, "D")
    return pd.Series(out.astype("datetime64[ns]"), index=dates.index)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (empty polygon when none)."""
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):  # over repaired rows only, not a hot path
        parts = shapely.get_parts(g)
        polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
        if not polys:
            # collections nest one level at most after make_valid
            polys = [
                q
                for p in parts
                if shapely.get_type_id(p) == 7
                for q in shapely.get_parts(p)
                if shapely.get_type_id(q) in (3, 6)
            ]
        out[i] = shapely.union_all(polys) if polys else shapely.Polygon()
        if shapely.get_type_id(out[i]) not in (3, 6):
            out[i] = shapely.Polygon()
    return out


def zones_on(zones: Any, date: Any) -> Any:
    """The zones valid on ``date`` (inclusive bounds; NaT = open-ended)."""
    day = pd.Timestamp(date).normalize()
    vf = pd.to_datetime(zones["valid_from"])
    vt = pd.to_datetime(zones["valid_to"])
    mask = (vf.isna() | (vf <= day)) & (vt.isna() | (vt >= day))
    return zones[mask.to_numpy()]


# ------------------------------------------------------------------------ from points
_GRID_DEG = 1e-6  # precision grid of zones built from points, degrees
#: Default reach of a control point (km): the radius used by journalists' 2015 analyses.
DEFAULT_REACH_KM = 40.0
#: A controller's zone larger than this (km²) in one snapshot is warned about.
IMPLAUSIBLE_AREA_KM2 = 2_000_000.0


def _locate_points(
    df: pd.DataFrame, need: np.ndarray, lat: np.ndarray, lon: np.ndarray, path: Path | None
) -> tuple[np.ndarray, np.ndarray]:
    """Geocode the ``place`` of the control points without coordinates (``need``).

    A ``country`` column is each row's hint. A place that is not found, or that is
    ambiguous (namesakes far apart), is an error naming up to three such rows and why:
    a control point is never put at a guessed namesake.
    """
    from geostrike.inputs.claims import _geocode_rows, factorize_text

    places = df["place"].astype(object).where(df["place"].notna(), "").astype(str).str.strip()
    codes, names = factorize_text(places)
    if "country" in df.columns:
        ccodes, countries = factorize_text(df["country"])
    else:
        ccodes, countries = np.zeros(len(df), dtype=np.int64), np.array([""], dtype=object)
    got = _geocode_rows(codes, names, ccodes, countries, need)
    bad = np.flatnonzero(need & ~got.found)
    if len(bad):
        why = [
            f"row {i + 1}: "
            + (got.problem[i] or f"place {places.iloc[i]!r} not found in the gazetteer")
            for i in bad[:3]
        ]
        more = f" (and {len(bad) - 3} more rows)" if len(bad) > 3 else ""
        hint = ""
        if got.ambiguous[bad].any():
            hint = "; give latitude/longitude, or the region as in 'Place, Region'"
            hint += "" if "country" in df.columns else ", or a 'country' column"
        raise InputError(path, "; ".join(why) + more + hint)
    lat = np.where(need, got.latitude, lat)
    lon = np.where(need, got.longitude, lon)
    return lat, lon


def zones_from_points(
    points: Any,
    *,
    boundary: Any = None,
    actors: ActorTable | str | Path | None = None,
    reach_km: float | None = DEFAULT_REACH_KM,
    date_column: str | None = None,
    date_order: str | None = None,
) -> Any:
    """Build dated control zones from town-level control points.

    Parameters
    ----------
    points
        A path (CSV, GeoJSON, Parquet…) or a DataFrame/GeoDataFrame with ``controller``,
        a location (``latitude``/``longitude``, point geometry, or ``place`` to geocode) and
        optionally ``date`` (the snapshot date) and ``source``.
    boundary
        The area the zones fill: a shapely geometry, a GeoDataFrame or a path to a vector
        file. By default the Natural Earth (1:50m) outlines of the countries the points fall
        in, plus a disc of 0.05° around each point, so that towns a few km outside the coarse
        outline (on the coast, at a border) keep their own ground.
    actors
        Actor table (or path of a CSV extending the default).
    reach_km
        How far (geodesic km) a cell reaches from its control point at most (default 40,
        the radius used by journalists' control analyses); ground beyond every point's
        reach is left unmapped. ``None``: unbounded (cells reach the boundary).
    date_column
        The snapshot-date column (default: the recognised names, see
        :data:`SNAPSHOT_COLUMNS` and :data:`START_COLUMNS`).
    date_order
        ``"dmy"`` or ``"mdy"``: how to read numeric dates such as ``05/06/2016``.

    Returns
    -------
    GeoDataFrame
        One row per (snapshot date, controller): the union of the Voronoi cells of that
        controller's points, clipped to the boundary. ``valid_from`` is the snapshot date,
        ``valid_to`` the day before the next snapshot (open for the last), so date windows
        chain without gaps or overlaps. Undated points give one open-ended snapshot.
        Column ``points`` counts the control points of the zone, ``reach_km`` the reach.
        Points straddling the antimeridian are handled (zones split at ±180°).
    """
    import geopandas as gpd

    from geostrike.geodesy import local_frame
    from geostrike.inputs.claims import _coordinates, points_to_columns, read_table

    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    if reach_km is not None and not (np.isfinite(reach_km) and 0 < reach_km <= 5000):
        raise GeostrikeError(f"reach {reach_km!r} km must be a number in (0, 5000]")
    path = None
    if isinstance(points, str | Path):
        path = str(points)
        df = read_table(points, what="control points")
    elif isinstance(points, gpd.GeoDataFrame):
        df = points_to_columns(points, None)
    elif isinstance(points, pd.DataFrame):
        df = points.copy()
    else:
        raise GeostrikeError(f"points must be a path or a DataFrame, not {type(points).__name__}")
    if len(df) == 0:
        raise InputError(path, "has no rows: no control points")
    df = df.rename(columns={c: str(c).strip().lower() for c in df.columns})
    df = df.rename(columns={"lat": "latitude", "lon": "longitude", "lng": "longitude"})
    if "controller" not in df.columns:
        raise InputError(path, "has no 'controller' column (who held each point)")
    has_coords = "latitude" in df.columns and "longitude" in df.columns
    if not has_coords and "place" not in df.columns:
        raise InputError(path, "lacks a location: give latitude/longitude or place")

    lat, lon, problem = _coordinates(df)
    bad = np.flatnonzero(problem != None)  # noqa: E711
    if len(bad):
        raise InputError(path, f"row {bad[0] + 1}: {problem[bad[0]]}")
    need = ~(np.isfinite(lat) & np.isfinite(lon))
    if need.any():
        if "place" not in df.columns:
            raise InputError(path, f"row {int(np.flatnonzero(need)[0]) + 1}: no coordinates")
        lat, lon = _locate_points(df, need, lat, lon, path)

    raw = (
        df["controller"].astype(object).where(df["controller"].notna(), "").astype(str).str.strip()
    )
    if (raw == "").any():
        raise InputError(
            path, f"row {int(np.flatnonzero((raw == '').to_numpy())[0]) + 1}: empty controller"
        )
    cmap = _controller_ids(table, raw, np.arange(1, len(raw) + 1), path)
    controller = raw.map(cmap).to_numpy(dtype=object)

    _, _, d_col = _time_columns(
        df,
        path,
        from_column=None,
        to_column=None,
        date_column=date_column,
        skip=("controller", "source", "place", "latitude", "longitude"),
        windows=False,
    )
    if d_col is not None:
        dates = parse_zone_dates(df[d_col], path=path, column=str(d_col), order=date_order)
    else:
        dates = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    source_default = Path(path).name if path else "control points"
    sources = (
        df["source"].astype(object).where(df["source"].notna(), None).to_numpy(dtype=object)
        if "source" in df.columns
        else np.full(len(df), None, dtype=object)
    )

    # boundary and frame (in a longitude range unbroken at the points: across the
    # antimeridian, longitudes west of it are counted past 180°)
    lon_w = np.asarray(lon, dtype=float)
    if np.ptp(lon_w) > 180.0:
        lon_w = np.where(lon_w < 0, lon_w + 360.0, lon_w)
        if np.ptp(lon_w) > 180.0:
            raise InputError(path, "control points spread over more than 180° of longitude")
    wrapped = bool(np.max(lon_w) > 180.0)
    clip = _boundary_geometry(boundary, lon, lat, path)
    if wrapped:
        clip = _unwrap_geometry(clip, float(np.min(lon_w)) - 90.0)
        clip = shapely.union_all([clip, *shapely.buffer(shapely.points(lon_w, lat), 0.05)])
    lon0 = float((np.min(lon_w) + np.max(lon_w)) / 2)
    lat0 = float((np.min(lat) + np.max(lat)) / 2)
    fwd, inv = local_frame(lon0, lat0)
    fx, fy = fwd.transform(lon_w, lat)
    fx, fy = np.asarray(fx), np.asarray(fy)
    reach_m = None if reach_km is None else float(reach_km) * 1000.0
    if reach_m is not None:
        # the frame only needs to hold the points' reach
        cx, cy = (
            np.r_[fx - 2 * reach_m, fx + 2 * reach_m],
            np.r_[fy - 2 * reach_m, fy + 2 * reach_m],
        )
    else:
        bx0, by0, bx1, by1 = clip.bounds
        cx, cy = fwd.transform(
            np.array([bx0, bx1, bx0, bx1, (bx0 + bx1) / 2, (bx0 + bx1) / 2]),
            np.array([by0, by0, by1, by1, by0, by1]),
        )
    span = max(np.ptp(np.r_[fx, cx]), np.ptp(np.r_[fy, cy]), 1000.0)
    extent = shapely.box(
        min(np.min(fx), np.min(cx)) - span,
        min(np.min(fy), np.min(cy)) - span,
        max(np.max(fx), np.max(cx)) + span,
        max(np.max(fy), np.max(cy)) + span,
    )
    circles = _reach_circles(lon_w, lat, reach_km) if reach_km is not None else None

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        x, y = inv.transform(xy[:, 0], xy[:, 1])
        x = (np.asarray(x) - lon0 + 180.0) % 360.0 - 180.0 + lon0  # unbroken round lon0
        return np.column_stack([x, y])

    snap_key = dates.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    snapshots = sorted(set(snap_key) - {""})
    if "" in set(snap_key) and snapshots:
        raise InputError(path, "some control points have a date and others none")
    keys = snapshots or [""]
    rows = []
    for k, key in enumerate(keys):  # one iteration per snapshot date
        sel = np.flatnonzero(snap_key == key)
        cells = _voronoi_cells(fx[sel], fy[sel], extent)
        # back to lon/lat with the cell edges kept straight in the frame
        cells = shapely.segmentize(cells, 2000.0)
        cells = shapely.transform(cells, to_lonlat)
        if circles is not None:  # no cell reaches beyond its point's reach
            cells = shapely.intersection(shapely.make_valid(cells), circles[sel])
        # Snap to a 1e-6 degree grid (~0.1 m): neighbouring cells then share identical
        # vertices, so their union leaves no sliver holes along shared edges (the inverse
        # projection rounds the two copies of an edge differently otherwise).
        cells = shapely.make_valid(shapely.set_precision(shapely.make_valid(cells), _GRID_DEG))
        ctrl = controller[sel]
        valid_from = pd.Timestamp(key) if key else pd.NaT
        valid_to = (
            (pd.Timestamp(keys[k + 1]) - pd.Timedelta(days=1))
            if key and k + 1 < len(keys)
            else pd.NaT
        )
        src = sources[sel]
        for c in sorted(set(ctrl)):
            members = cells[ctrl == c]
            geom = shapely.intersection(
                shapely.union_all(members, grid_size=_GRID_DEG), clip, grid_size=_GRID_DEG
            )
            if wrapped:
                geom = _wrap_back(geom)
            geom = _polygonal(np.array([shapely.make_valid(geom)], dtype=object))[0]
            if shapely.is_empty(geom):
                continue
            srcs = sorted({str(s) for s in src[ctrl == c] if s is not None and str(s).strip()})
            rows.append(
                {
                    "controller": c,
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                    "source": "; ".join(srcs) if srcs else source_default,
                    "points": int((ctrl == c).sum()),
                    "reach_km": np.nan if reach_km is None else float(reach_km),
                    "geometry": geom,
                }
            )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    out.insert(0, "zone_id", [f"zone-{i + 1}" for i in range(len(out))])
    out["valid_from"] = pd.to_datetime(out["valid_from"])
    out["valid_to"] = pd.to_datetime(out["valid_to"])
    out = out[[*ZONE_COLUMNS[:-1], "points", "reach_km", "geometry"]]
    _warn_implausible(out, reach_km, path)
    return out


def _reach_circles(lon: np.ndarray, lat: np.ndarray, reach_km: float, n: int = 72) -> np.ndarray:
    """Geodesic circles of ``reach_km`` around each point (lon/lat polygons, vectorised;
    longitudes kept unbroken round each centre)."""
    from geostrike.geodesy import GEOD

    k = len(lon)
    az = np.tile(np.linspace(0.0, 360.0, n, endpoint=False), k)
    clon, clat = np.repeat(lon, n), np.repeat(lat, n)
    x, y, _ = GEOD.fwd(clon, clat, az, np.full(k * n, reach_km * 1000.0))
    x = (np.asarray(x) - clon + 180.0) % 360.0 - 180.0 + clon
    ring = np.stack([x, np.asarray(y)], axis=-1).reshape(k, n, 2)
    return shapely.polygons(ring)


def _unwrap_geometry(geom: Any, lo: float) -> Any:
    """The geometry with longitudes below ``lo`` counted past 180° (lo..lo+360)."""
    east = shapely.intersection(geom, shapely.box(lo, -90.0, 180.0, 90.0))
    west = shapely.intersection(geom, shapely.box(-180.0, -90.0, lo, 90.0))
    west = shapely.transform(west, lambda c: c + [360.0, 0.0])
    return shapely.union_all([east, west])


def _wrap_back(geom: Any) -> Any:
    """A geometry with longitudes past 180° split at the antimeridian into -180..180."""
    a = shapely.intersection(geom, shapely.box(-180.0, -90.0, 180.0, 90.0), grid_size=_GRID_DEG)
    b = shapely.intersection(geom, shapely.box(180.0, -90.0, 540.0, 90.0), grid_size=_GRID_DEG)
    b = shapely.transform(b, lambda c: c - [360.0, 0.0])
    return shapely.union_all([a, b])


def zone_areas_km2(geoms: Any) -> np.ndarray:
    """Geodesic area (km²) of each polygon (``Geod.geometry_area_perimeter``)."""
    from geostrike.geodesy import GEOD

    arr = np.asarray(geoms, dtype=object)
    out = np.zeros(len(arr))
    for i, g in enumerate(arr):  # one call per zone, not per claim
        if g is not None and not shapely.is_empty(g):
            out[i] = abs(GEOD.geometry_area_perimeter(g)[0]) / 1e6
    return out


def _warn_implausible(zones: Any, reach_km: float | None, path: Any) -> None:
    """Warn on zones larger than their points' reach allows or than a country."""
    if len(zones) == 0:
        return
    area = zone_areas_km2(zones.geometry.values)
    where = path or "control points"
    if reach_km is not None:
        cap = zones["points"].to_numpy() * np.pi * reach_km**2 * 1.01
        over = np.flatnonzero(area > cap)
        for i in over[:3]:
            warnings.warn(
                f"{where}: zone of {zones['controller'].iloc[i]} has {area[i]:,.0f} km², more "
                f"than {zones['points'].iloc[i]} point(s) of {reach_km:g} km reach allow",
                ZoneWarning,
                stacklevel=3,
            )
    day = pd.to_datetime(zones["valid_from"]).dt.strftime("%Y-%m-%d").fillna("")
    key = day + "|" + zones["controller"].astype(str)
    total = pd.Series(area).groupby(key.to_numpy()).sum()
    for k, a in total[total > IMPLAUSIBLE_AREA_KM2].items():
        date, ctrl = str(k).split("|", 1)
        warnings.warn(
            f"{where}: {ctrl} holds {a:,.0f} km² on {date or 'the map'}: "
            "implausibly large (check the points and the boundary)",
            ZoneWarning,
            stacklevel=3,
        )


def _voronoi_cells(x: np.ndarray, y: np.ndarray, extent: shapely.Polygon) -> np.ndarray:
    """Voronoi cell of each point (frame coordinates), in input order.

    Points at the same spot share one cell (each copy gets it).
    """
    xy = np.column_stack([x, y])
    uniq, inverse = np.unique(np.round(xy, 3), axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    if len(uniq) == 1:
        cells_u = np.array([extent], dtype=object)
    else:
        mp = shapely.multipoints(uniq)
        vor = shapely.voronoi_polygons(mp, extend_to=extent, ordered=True)
        cells_u = np.asarray(shapely.get_parts(vor), dtype=object)
        if len(cells_u) != len(uniq):  # pragma: no cover - degenerate input (collinear points)
            tree = shapely.STRtree(cells_u)
            idx = tree.query(shapely.points(uniq), predicate="intersects")
            order = np.full(len(uniq), -1)
            order[idx[0]] = idx[1]
            cells_u = cells_u[order]
        cells_u = shapely.intersection(cells_u, extent)
    return cells_u[inverse]


def _boundary_geometry(boundary: Any, lon: np.ndarray, lat: np.ndarray, path: str | None) -> Any:
    import geopandas as gpd

    if boundary is None:
        from geostrike.places.outlines import countries

        world = countries("50m")
        pts = shapely.points(lon, lat)
        idx = world.sindex.query(pts, predicate="intersects")
        hit = sorted(set(idx[1].tolist()))
        if not hit:
            # points just off the coast: the nearest countries
            near = world.sindex.nearest(pts, return_all=False)
            hit = sorted(set(near[1].tolist()))
        geom = shapely.union_all(world.geometry.values[hit])
        # towns a few km outside the coarse outline keep their ground
        return shapely.union_all(np.concatenate([[geom], shapely.buffer(pts, 0.05)]))
    if isinstance(boundary, str | Path):
        gdf = read_zones_boundary(boundary)
        return shapely.union_all(gdf.geometry.values)
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        b = boundary.set_crs("EPSG:4326") if boundary.crs is None else boundary.to_crs("EPSG:4326")
        return shapely.union_all(
            np.asarray(b.geometry.values if hasattr(b, "geometry") else b.values)
        )
    if isinstance(boundary, shapely.Geometry):
        return boundary
    raise GeostrikeError(
        f"boundary must be a path, GeoDataFrame or geometry, not {type(boundary).__name__}"
    )


def read_zones_boundary(path: str | Path) -> Any:
    """Read a boundary file (any polygon layer) in WGS84."""
    p = require_file(path)
    gdf = _read_file(p)
    if gdf.crs is None:
        warnings.warn(
            f"{p}: no coordinate reference system; taken as WGS84", ZoneWarning, stacklevel=2
        )
        gdf = gdf.set_crs("EPSG:4326")
    else:
        gdf = gdf.to_crs("EPSG:4326")
    geoms = shapely.make_valid(np.asarray(gdf.geometry.values, dtype=object))
    poly = np.isin(shapely.get_type_id(geoms), (3, 6, 7))
    if not poly.any():
        raise InputError(p, "has no polygon to use as a boundary")
    gdf = gdf[poly].copy()
    gdf["geometry"] = _polygonal(geoms[poly])
    return gdf


#: Zone output formats by extension.
ZONE_FORMATS: dict[str, str] = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
    ".parquet": "Parquet",
    ".geoparquet": "Parquet",
}


def write_zones(zones: Any, path: str | Path) -> Path:
    """Write zones; the extension picks GeoPackage, GeoJSON, FlatGeobuf or GeoParquet.

    Validity dates are written as ``YYYY-MM-DD`` text (empty = open), which every format
    and :func:`read_zones` read back unchanged. Written to a temporary file and renamed.
    """
    from geostrike.errors import OutputError
    from geostrike.io import write_frame

    path = Path(path)
    fmt = ZONE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(path, "unknown zones extension; use .gpkg, .geojson, .fgb or .parquet")
    out = zones.copy()
    for col in ("valid_from", "valid_to"):
        if col in out.columns:
            d = pd.to_datetime(out[col])
            out[col] = d.dt.strftime("%Y-%m-%d").where(d.notna(), None)
    return write_frame(out, path, fmt, layer="zones")

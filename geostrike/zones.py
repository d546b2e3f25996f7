"""Control zones: who held which ground, and when.

Zones come from the user as any vector file GDAL reads (GeoJSON, GeoPackage, Shapefile,
KML, FlatGeobuf, GeoParquet…) or a GeoDataFrame, with columns ``controller`` (an actor,
alias or actor set from the actor table; several separated by ``;`` for joint or mixed
control), ``valid_from`` and ``valid_to`` (dates, inclusive; empty = open-ended) and
``source``. :func:`read_zones` returns them normalised:

* reprojected to WGS84 (EPSG:4326); a file without a CRS is taken as WGS84, with a warning;
* invalid geometries repaired with ``shapely.make_valid`` (polygonal parts kept), with a
  warning giving the count;
* rows whose geometry is empty or not polygonal (points, lines) are **dropped with a
  warning** giving the count; a file with no polygon at all is an error;
* ``controller`` rewritten as sorted canonical ids joined by ``;`` (an unknown name is an
  :class:`~geostrike.errors.UnknownActorError` naming the value and the file).

:func:`zones_from_points` builds zones from town-level control points (the form in which
the Carter Center and Wikipedia publish Syria's control maps): Voronoi cells of the points,
computed in an azimuthal equidistant frame centred on the points (so the cells are not
distorted by longitude/latitude), clipped to a boundary (by default the Natural Earth
outlines of the countries the points fall in) and dissolved per controller and date.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ._io import read_text, require_file
from .actors import ActorTable, load_actors
from .claims import resolve_actors
from .errors import GeostrikeError, InputError

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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0].split("; It might help")[0].rstrip(". ") if text else type(exc).__name__
    return line[:200]


def _read_file(p: Path) -> Any:
    import geopandas as gpd
    import pyogrio

    suffix = p.suffix.lower()
    if p.is_dir() or suffix in (".parquet", ".geoparquet"):
        try:
            return gpd.read_parquet(p)
        except Exception as exc:
            raise InputError(p, f"is not a readable GeoParquet file ({_first_line(exc)})") from None
    if suffix in _TEXT_SUFFIXES:
        text = read_text(p)
        if not text.strip():
            raise InputError(p, "file is empty")
    try:
        return pyogrio.read_dataframe(p)
    except Exception as exc:  # DataSourceError, DataLayerError, FieldError, ...
        what = p.suffix or "a vector file"
        raise InputError(p, f"cannot be read as {what} ({_first_line(exc)})") from None


def _find_column(columns: Any, *names: str) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def parse_zone_dates(values: pd.Series, *, path: str | Path | None, column: str) -> pd.Series:
    """Parse a validity column; empty = open (NaT); an unreadable date is an InputError."""
    from .claims import parse_dates

    s = pd.Series(values, copy=False)
    if pd.api.types.is_datetime64_any_dtype(s):
        return parse_dates(s)
    text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
    text = text.where(~text.str.lower().isin(["nan", "nat", "none", "null", "open", "-"]), "")
    out = parse_dates(text)
    bad = out.isna() & (text != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            path, f"row {row + 1}: {column} {text.iloc[row]!r} is not a date (use YYYY-MM-DD)"
        )
    return out


def read_zones(path_or_gdf: Any, *, actors: ActorTable | str | Path | None = None) -> Any:
    """Read and normalise control zones.

    Parameters
    ----------
    path_or_gdf
        A path to any GDAL vector file or GeoParquet, or a GeoDataFrame.
    actors
        An :class:`ActorTable`, or the path of a CSV extending the default table.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns ``zone_id, controller, valid_from, valid_to, source, geometry``
        followed by the input's other columns; Polygon/MultiPolygon geometries only.

    Raises
    ------
    InputError
        Missing file, empty file, not a vector file, non-UTF-8 text, no ``controller``
        column, no polygon, unreadable validity date, ``valid_to`` before ``valid_from``.
    UnknownActorError
        A controller name in no actor table.
    """
    import geopandas as gpd

    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    if isinstance(path_or_gdf, gpd.GeoDataFrame):
        gdf, path = path_or_gdf.copy(), None
    elif isinstance(path_or_gdf, str | Path):
        path = require_file(path_or_gdf)
        gdf = _read_file(path)
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

    # CRS
    if gdf.crs is None:
        warnings.warn(
            f"{path or 'zones'}: no coordinate reference system; taken as WGS84 (EPSG:4326)",
            ZoneWarning,
            stacklevel=2,
        )
        gdf = gdf.set_crs("EPSG:4326")
    elif not gdf.crs.equals("EPSG:4326"):
        try:
            gdf = gdf.to_crs("EPSG:4326")
        except Exception as exc:
            raise InputError(path, f"cannot be reprojected to WGS84 ({_first_line(exc)})") from None

    # geometry: repair, keep polygonal parts, drop the rest
    geoms = np.asarray(gdf.geometry.values, dtype=object)
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
    dropped = int((~polygonal).sum())
    if dropped:
        warnings.warn(
            f"{path or 'zones'}: dropped {dropped} row(s) whose geometry is empty or not a polygon",
            ZoneWarning,
            stacklevel=2,
        )
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326"))
    gdf = gdf[polygonal].copy()

    # controller
    raw = gdf[ctrl_col].astype(object).where(gdf[ctrl_col].notna(), "").astype(str).str.strip()
    empty = raw == ""
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError(path, f"row {row + 1}: empty controller")
    cmap = {
        v: ";".join(sorted(resolve_actors(table, v, path=path, column="controller")))
        for v in pd.unique(raw)
    }
    controller = raw.map(cmap)

    # dates
    f_col = _find_column(gdf.columns, "valid_from", "from", "start", "date")
    t_col = _find_column(gdf.columns, "valid_to", "to", "end")
    n = len(gdf)
    nat = pd.Series(pd.NaT, index=gdf.index, dtype="datetime64[ns]")
    valid_from = (
        parse_zone_dates(gdf[f_col], path=path, column=str(f_col)) if f_col is not None else nat
    )
    valid_to = (
        parse_zone_dates(gdf[t_col], path=path, column=str(t_col)) if t_col is not None else nat
    )
    if t_col is None and f_col is not None and str(f_col).strip().lower() == "date":
        # snapshots (one map per date): each holds until the day before the next one
        valid_to = _chain_snapshots(valid_from)
    backwards = (valid_to < valid_from).to_numpy()
    if backwards.any():
        row = int(np.flatnonzero(backwards)[0])
        raise InputError(path, f"row {row + 1}: valid_to is before valid_from")

    id_col = _find_column(gdf.columns, "zone_id", "id", "fid")
    if id_col is not None:
        ids = gdf[id_col].astype(object)
        blank = ids.isna() | (ids.astype(str).str.strip() == "")
        gen = pd.Series([f"zone-{i + 1}" for i in range(n)], index=gdf.index)
        zone_id = ids.astype(str).where(~blank, gen)
    else:
        zone_id = pd.Series([f"zone-{i + 1}" for i in range(n)], index=gdf.index)
    src_col = _find_column(gdf.columns, "source")
    source = (
        gdf[src_col].astype(object).where(gdf[src_col].notna(), None)
        if src_col is not None
        else pd.Series([None] * n, index=gdf.index, dtype=object)
    )

    used = {c for c in (ctrl_col, f_col, t_col, id_col, src_col) if c is not None}
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
    out.attrs["geostrike_normalised"] = True
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


def zones_from_points(
    points: Any,
    *,
    boundary: Any = None,
    actors: ActorTable | str | Path | None = None,
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

    Returns
    -------
    GeoDataFrame
        One row per (snapshot date, controller): the union of the Voronoi cells of that
        controller's points, clipped to the boundary. ``valid_from`` is the snapshot date,
        ``valid_to`` the day before the next snapshot (open for the last), so date windows
        chain without gaps or overlaps. Undated points give one open-ended snapshot.
    """
    import geopandas as gpd

    from .claims import _coordinates, _points_to_columns, read_table
    from .geodesy import local_frame

    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    path = None
    if isinstance(points, str | Path):
        path = str(points)
        df = read_table(points, what="control points")
    elif isinstance(points, gpd.GeoDataFrame):
        df = _points_to_columns(points, None)
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
        places = df["place"].astype(object).where(df["place"].notna(), "").astype(str).str.strip()
        from .claims import _geocode_column

        matches = _geocode_column(places.to_numpy(dtype=object), need, None)
        for i in np.flatnonzero(need):
            m = matches[i]
            if m is None:
                raise InputError(
                    path, f"row {i + 1}: place {places.iloc[i]!r} not found in the gazetteer"
                )
            lat[i], lon[i] = m

    raw = (
        df["controller"].astype(object).where(df["controller"].notna(), "").astype(str).str.strip()
    )
    if (raw == "").any():
        raise InputError(
            path, f"row {int(np.flatnonzero((raw == '').to_numpy())[0]) + 1}: empty controller"
        )
    cmap = {
        v: ";".join(sorted(resolve_actors(table, v, path=path, column="controller")))
        for v in pd.unique(raw)
    }
    controller = raw.map(cmap).to_numpy(dtype=object)

    if "date" in df.columns:
        dates = parse_zone_dates(df["date"], path=path, column="date")
    else:
        dates = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    source_default = Path(path).name if path else "control points"
    sources = (
        df["source"].astype(object).where(df["source"].notna(), None).to_numpy(dtype=object)
        if "source" in df.columns
        else np.full(len(df), None, dtype=object)
    )

    # boundary and frame
    clip = _boundary_geometry(boundary, lon, lat, path)
    lon0 = float((np.min(lon) + np.max(lon)) / 2)
    lat0 = float((np.min(lat) + np.max(lat)) / 2)
    fwd, inv = local_frame(lon0, lat0)
    fx, fy = fwd.transform(lon, lat)
    fx, fy = np.asarray(fx), np.asarray(fy)
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
        cells = shapely.transform(
            cells, lambda xy: np.column_stack(inv.transform(xy[:, 0], xy[:, 1]))
        )
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
                    "geometry": geom,
                }
            )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    out.insert(0, "zone_id", [f"zone-{i + 1}" for i in range(len(out))])
    out["valid_from"] = pd.to_datetime(out["valid_from"])
    out["valid_to"] = pd.to_datetime(out["valid_to"])
    return out[["zone_id", "controller", "valid_from", "valid_to", "source", "points", "geometry"]]


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
        from .outlines import countries

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
    from ._io import write_frame
    from .errors import OutputError

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

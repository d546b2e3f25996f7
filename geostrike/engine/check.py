"""The verification engine: locate → join (by date) → measure (geodesic) → judge.

For each claim: the location (given coordinates, or the geocoded ``place``) and its
precision radius; the controller(s) of the zones valid on the claim's date that contain it;
the geodesic distance to the nearest ground held, alone or jointly, by the claimed target
that day (0 inside) and that nearest point; the distance to the place the claimant named
(``target_place``); and a verdict with a one-sentence reason in km and miles.

The verdict rules are in :mod:`geostrike.engine.judge`; the join (zones prepared once,
controllers by date window) in :mod:`geostrike.engine.join`; the distances in
:mod:`geostrike.engine.measure`; the reason sentences in :mod:`geostrike.engine.reasons`.
The engine returns data: :mod:`geostrike.render.table` prints and writes it.

Hot-path design (for event-dataset scale): the zones are prepared once
(:func:`prepare_zones`: date windows, controller bit masks, lazily built and cached
boundary-segment indexes per (date window, target set)); :func:`check_frame` takes a chunk
of claims and the prepared zones, so it can be mapped over partitions. Inside it, claims
are grouped by date window (containment, one vectorised ``intersects_xy`` per active zone)
and by (date window, target set) (distance, one nearest-boundary index query per group:
:func:`default_index`). Text columns are handled through their distinct values and each
reason sentence is written once per distinct shape, as a template filled with each row's
place and date (:func:`_reasons`). There is no Python loop over claims.

Why one module of ~620 lines: it is the one place that calls the stages in order (read,
join, measure, judge, reasons, assemble); each stage lives in its own module (``join``,
``measure``, ``judge``, ``reasons``), and what stays here is their order and the arrays
passed between them, which a reader follows top to bottom.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geostrike.engine import measure as _nearest
from geostrike.engine._heap import heap_kept
from geostrike.engine.join import (
    PreparedZones,
    _controllers,
    _days,
    _groups,
    _ids_text,
    prepare_zones,
)
from geostrike.engine.judge import judge
from geostrike.engine.options import (
    COARSE_PRECISION_KM,
    DEFAULT_TOLERANCE_KM,
    MAX_TOLERANCE_KM,
    CheckOptions,
    check_km,
    options_from,
)
from geostrike.engine.reasons import _categorical, _reasons, with_reasons
from geostrike.errors import RowsWarning, give_warning
from geostrike.geodesy import format_km, geodesic_km, km_mi
from geostrike.inputs.actors import ActorTable, load_actors
from geostrike.inputs.claims import (
    PRIVATE_COLUMNS,
    STATUSES,
    claims_from_object,
    duplicate_ids,
    normalise_claims,
    parse_claims,
)

__all__ = [
    "COARSE_PRECISION_KM",
    "DEFAULT_TOLERANCE_KM",
    "MAX_TOLERANCE_KM",
    "OUTPUT_COLUMNS",
    "CheckOptions",
    "PreparedZones",
    "check",
    "check_frame",
    "check_km",
    "input_names",
    "km_mi",
    "prepare_zones",
]

#: The columns of every check result, in order; the input's own columns follow.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "id",
    "status",
    "verdict",
    "reason",
    "latitude",
    "longitude",
    "location_source",
    "location_name",
    "candidates",
    "precision_km",
    "controller",
    "target",
    "distance_to_target_km",
    "nearest_target_latitude",
    "nearest_target_longitude",
    "distance_to_stated_place_km",
    "stated_place_latitude",
    "stated_place_longitude",
    "duplicate_id",
)

#: Prefix of an input column kept under a new name because a result column (or a name a
#: GeoPackage reserves) has its name: a claims file's own ``target`` becomes ``input_target``.
INPUT_PREFIX = "input_"
#: Input columns the check reads and writes back as result columns of the same name.
_READ_BACK = ("id", "latitude", "longitude")
#: Names a GeoPackage layer reserves (compared case-insensitively, as SQLite does).
_RESERVED = ("geometry", "geom", "fid")


# ---------------------------------------------------------------------------- the check
def check(
    claims: Any,
    zones: Any,
    *,
    tolerance_km: float | None = None,
    actors: ActorTable | str | Path | None = None,
    coarse_km: float | None = None,
    date_order: str | None = None,
    country: str | Sequence[str] | None = None,
    options: CheckOptions | None = None,
) -> Any:
    """Check claims against dated control zones.

    Parameters
    ----------
    claims
        Path of a claims file (CSV, GeoJSON, GPKG, (Geo)Parquet file or folder), a
        GeoDataFrame of points, or a DataFrame with ``latitude``/``longitude`` and/or
        ``place`` columns.
    zones
        Path of a zones file, a GeoDataFrame, or :class:`PreparedZones`.
    tolerance_km
        Distance within which a strike still counts as on the target's territory
        (default :data:`DEFAULT_TOLERANCE_KM`).
    actors
        An :class:`ActorTable` or the path of a CSV extending the default one.
    coarse_km
        Precision radius above which a location is too coarse to call a near miss
        (default :data:`COARSE_PRECISION_KM`).
    date_order
        ``"dmy"`` or ``"mdy"``: how to read numeric dates such as ``05/06/2016`` in the
        claims (and in zones read here); default: inferred per column, refused when no
        row settles it (:func:`geostrike.inputs.claims.parse_dates`).
    country
        ISO code(s) of the countries place names are looked up in (rows with a
        ``country`` cell use it instead); by default the countries the zones cover.
    options
        A :class:`CheckOptions` holding all of the above; a keyword given as well wins.

    Returns
    -------
    GeoDataFrame
        One row per claim, in input order: :data:`OUTPUT_COLUMNS` then the input's own
        columns (one named like a result column is kept as ``input_<name>``, with a
        warning: :func:`input_names`); point geometries in EPSG:4326 (empty when the
        claim could not be located), or a plain DataFrame without them when
        ``options.points`` is False.

    Raises
    ------
    InputError
        ``tolerance_km`` outside 0 … :data:`MAX_TOLERANCE_KM` or ``coarse_km`` outside
        0 … :data:`geostrike.inputs.claims.MAX_PRECISION_KM` (NaN and infinities included), and
        every bad-file error of :func:`geostrike.inputs.claims.read_claims`.
    """
    from geostrike.inputs.claims import call_date_order as _date_order

    opts = options_from(
        options, tolerance_km=tolerance_km, coarse_km=coarse_km, date_order=date_order,
        country=country,
    )  # fmt: skip
    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    with heap_kept(), _gc_paused(), _date_order(opts.date_order):
        df, path = claims_from_object(claims, actors=table)
        prepared = zones if isinstance(zones, PreparedZones) else prepare_zones(zones, actors=table)
        return check_frame(df, prepared, actors=table, path=path, options=opts, points=opts.points)


def check_frame(
    claims: pd.DataFrame,
    prepared: PreparedZones,
    *,
    tolerance_km: float | None = None,
    actors: ActorTable | None = None,
    coarse_km: float | None = None,
    path: str | Path | None = None,
    id_start: int = 1,
    warn_duplicates: bool = True,
    reserved_ids: frozenset[str] = frozenset(),
    country: str | Sequence[str] | None = None,
    options: CheckOptions | None = None,
    points: bool = True,
    coded_reasons: bool = False,
) -> Any:
    """Check one chunk of claims against prepared zones (the core; mappable over partitions).

    ``claims`` is a claims table (normalised by :func:`geostrike.inputs.claims.normalise_claims`
    or raw: it is normalised here, idempotently; ``id_start`` numbers generated ids so that
    partitions get ``claim-N`` ids matching their global row numbers, and ``reserved_ids``
    holds the other partitions' given ids of that form, which a generated id must not
    take: :func:`geostrike.inputs.claims.generated_like_ids`). Ids used by more
    than one row are marked in ``duplicate_id`` and, unless ``warn_duplicates`` is False
    (the streaming engines warn once for the whole file), named in one warning.
    ``options`` (:class:`CheckOptions`) holds the check's options, ``date_order`` included;
    ``tolerance_km``, ``coarse_km`` and ``country`` given here override its fields.
    ``points`` False: a plain DataFrame without point geometries (:func:`check` passes
    ``options.points``; the chunk writers of the other engines need the points).
    """
    from geostrike.inputs.claims import call_date_order as _date_order

    opts = options_from(options, tolerance_km=tolerance_km, coarse_km=coarse_km, country=country)
    with heap_kept(), _gc_paused(), _date_order(opts.date_order):
        return _check_frame(
            claims,
            prepared,
            options=opts,
            actors=actors,
            path=path,
            id_start=id_start,
            warn_duplicates=warn_duplicates,
            reserved_ids=reserved_ids,
            points=points,
            coded_reasons=coded_reasons,
        )


def geocoding_context(prepared: PreparedZones, country: Any = None) -> tuple[str, ...] | Any:
    """``country`` when given, else the countries the zones cover (computed once)."""
    if country:
        return country
    ctx = getattr(prepared, "_countries", None)
    if ctx is None:
        from geostrike.places.geocoder import zone_countries

        ctx = zone_countries(prepared.geoms)
        object.__setattr__(prepared, "_countries", ctx)
    return ctx


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of small objects (strings,
    points) are created: they hold no cycles, and the collector's repeated passes over
    them would triple the time. Checks side by side (chunks of a streamed file) share one
    pause: the collector runs again, if it ran before, when the last of them ends."""
    global _gc_depth, _gc_was
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was:
                gc.enable()


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was = False


class _Meanwhile:
    """``fn(*args)`` run on a daemon thread of its own (or at once, ``thread=False``);
    :meth:`result` waits for it and returns its value or raises its error. Nothing to shut
    down: if the caller fails first, the thread just finishes and ends."""

    def __init__(self, fn: Callable[..., Any], *args: Any, thread: bool = True) -> None:
        self._out: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        if thread:
            self._thread.start()
        else:
            self._run(fn, args)

    def _run(self, fn: Callable[..., Any], args: tuple) -> None:
        try:
            self._out["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._out["error"] = exc

    def result(self) -> Any:
        if self._thread.is_alive():
            self._thread.join()
        if "error" in self._out:
            raise self._out["error"]
        return self._out["value"]


def point_geometries(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Point geometries (EPSG:4326 axis order lon, lat); empty points where not located."""
    located = np.isfinite(lat) & np.isfinite(lon)
    if located.all():
        return shapely.points(lon, lat)
    geometry = np.full(len(lat), shapely.Point(), dtype=object)
    if located.any():
        geometry[located] = shapely.points(lon[located], lat[located])
    return geometry


def _check_frame(
    claims: pd.DataFrame,
    prepared: PreparedZones,
    *,
    options: CheckOptions,
    actors: ActorTable | None,
    path: str | Path | None,
    id_start: int,
    warn_duplicates: bool = True,
    reserved_ids: frozenset[str] = frozenset(),
    points: bool = True,
    coded_reasons: bool = False,
) -> Any:
    import geopandas as gpd

    tolerance_km, coarse_km, country = options.tolerance_km, options.coarse_km, options.country

    table = actors or load_actors()
    df = normalise_claims(
        claims, path=path, actors=table, id_start=id_start, reserved_ids=reserved_ids
    )
    pc = parse_claims(
        df, actors=table, path=path, country=lambda: geocoding_context(prepared, country)
    )
    n = len(df)
    ok = pc.status == "ok"
    lat, lon = pc.latitude, pc.longitude
    parts = _nearest.threads_for(n)
    if options.threads is not None:
        parts = min(parts, options.threads)
    # the output's point geometries are made meanwhile, in a thread of their own
    geometry = _Meanwhile(point_geometries, lat, lon, thread=parts > 1) if points else None
    days = _days(pc.date)
    window = prepared.window_of(days)

    # -- join: controller bits of every located, dated claim --------------------------
    ctrl_bits = np.zeros(n, dtype=np.uint64)
    has_data = np.zeros(n, dtype=bool)  # some zone is valid on the claim's date
    held_bits = np.zeros(n, dtype=np.uint64)  # union of controllers holding ground that day
    okr = np.flatnonzero(ok)
    order = okr[np.argsort(window[okr], kind="stable")]
    splits = np.flatnonzero(np.diff(window[order])) + 1
    for rows in np.split(order, splits) if len(order) else []:  # one group per date window
        act = prepared.active(int(window[rows[0]]))
        if len(act) == 0:
            continue
        has_data[rows] = True
        held_bits[rows] = np.bitwise_or.reduce(prepared.bits[act])
        ctrl_bits[rows] = _controllers(prepared, act, lon[rows], lat[rows], parts)

    # -- the claimed target -----------------------------------------------------------
    if pc.target_codes is not None:  # the distinct targets as parse_claims found them
        tinv, tcodes = pc.target_codes, pc.target_values
    else:
        tinv, tcodes = pd.factorize(pc.target)
    tmask_u = np.array([prepared.mask_of(str(t)) if t else 0 for t in tcodes], dtype=np.uint64)
    tmask = tmask_u[tinv]
    has_target = np.array([bool(t) for t in tcodes], dtype=bool)[tinv]
    target_has = (held_bits & tmask) != 0  # the target holds some ground that day
    inside = (ctrl_bits & tmask) != 0
    precision = np.where(np.isfinite(pc.precision_km), pc.precision_km, 0.0)
    coarse = precision > coarse_km

    # -- measure: geodesic distance to the target's ground -----------------------------
    dist = np.full(n, np.nan)
    nlat = np.full(n, np.nan)
    nlon = np.full(n, np.nan)
    edge = np.full(n, np.nan)  # distance from an inside point to the target's boundary
    base = ok & has_data & has_target & target_has
    dist[base & inside] = 0.0
    nlat[base & inside] = lat[base & inside]
    nlon[base & inside] = lon[base & inside]
    outside_rows = base & ~inside
    coarse_inside = base & inside & coarse
    need = outside_rows | coarse_inside
    if need.any():
        rows_all = np.flatnonzero(need)
        # indexes built (or taken from the cache) here, in order; the groups' searches then
        # run side by side, largest first (they write disjoint rows)
        tasks = sorted(
            (
                (prepared.segment_index(int(w), int(m)), rows_all[grp])
                for w, m, grp in _groups(window[rows_all], tmask[rows_all])
            ),
            key=lambda task: -len(task[1]),
        )

        # side by side only with geostrike's own index (thread-safe: it holds no query
        # state); a group of more than half the claims keeps threads of its own
        side_by_side = (
            parts > 1
            and len(tasks) > 1
            and all(isinstance(i, _nearest.FastSegmentIndex | None) for i, _ in tasks)
        )
        half = len(rows_all) / 2

        def measure(task: tuple[Any, np.ndarray]) -> None:
            idx, rows = task
            if idx is None:  # pragma: no cover - target_has guarantees ground
                return
            if side_by_side and len(rows) <= half:
                res = idx.nearest(lat[rows], lon[rows], threads=1)  # the groups are the threads
            elif options.threads is not None:
                cap = min(options.threads, _nearest.threads_for(len(rows)))
                res = idx.nearest(lat[rows], lon[rows], threads=cap)
            else:
                res = idx.nearest(lat[rows], lon[rows])
            out_r = ~inside[rows]
            dist[rows[out_r]] = res.distance_km[out_r]
            nlat[rows[out_r]] = res.latitude[out_r]
            nlon[rows[out_r]] = res.longitude[out_r]
            edge[rows[~out_r]] = res.distance_km[~out_r]

        if side_by_side:
            with ThreadPoolExecutor(parts) as group_pool:
                list(group_pool.map(measure, tasks))
        else:
            for task in tasks:
                measure(task)

    stated = geodesic_km(lat, lon, pc.stated_latitude, pc.stated_longitude)
    stated = np.where(ok, stated, np.nan)

    # -- judge ------------------------------------------------------------------------
    # a target that holds ground on no date of the map (nor forces under it): the map does
    # not label it, so its absence there proves nothing
    all_bits = np.bitwise_or.reduce(prepared.bits) if len(prepared.bits) else np.uint64(0)
    cases, verdict, reach = judge(
        ok=ok, has_data=has_data, has_target=has_target, target_has=target_has,
        ctrl_bits=ctrl_bits, inside=inside, coarse=coarse, dist=dist, edge=edge,
        precision=precision, tolerance_km=tolerance_km, ever=(tmask & all_bits) != 0,
    )  # fmt: skip

    ctrl_names, ctrl_codes = _ids_text(ctrl_bits, prepared)
    reason = _reasons(
        cases,
        df=_place_as_point(df, pc, lat, lon, first_row=id_start),
        pc=pc,
        table=table,
        ctrl_names=ctrl_names,
        ctrl_codes=ctrl_codes,
        target_codes=tinv,
        dist=dist,
        edge=edge,
        precision=precision,
        reach=reach,
        stated=stated,
        coverage=prepared.coverage,
        unmapped=prepared.unmapped,
    )

    # -- sanity: given coordinates outside every zone that fall in one once swapped ------
    outside_all = ok & has_data & has_target & (ctrl_bits == 0)
    given = outside_all & (pc.location_source == "given")
    reason = _flag_swapped(
        prepared, window, lat, lon, given, reason, table=table, first_row=id_start, parts=parts
    )

    # -- assemble ---------------------------------------------------------------------
    located = np.isfinite(lat) & np.isfinite(lon)
    # texts by one take on their distinct values (None appended for the blank rows)
    ctrl_u = np.append(ctrl_names, None)
    tgt_u = np.append(np.asarray(tcodes, dtype=object), None)
    # status, verdict and location source as categoricals of their fixed values (a byte a
    # row, and chunks of one file concatenate as one categorical; issue 18)
    status = _categorical(pc.status_codes, STATUSES)
    src = pc.location_source
    source = _categorical(
        np.where(src == "given", 0, np.where(src == "gazetteer", 1, -1)), ("given", "gazetteer")
    )
    out = {
        "id": df["id"],  # as read (object or string dtype), not copied
        "status": status,
        "verdict": verdict,
        # texts: each distinct sentence one string object, shared by its rows
        "reason": reason if coded_reasons else reason.categories.to_numpy(object)[reason.codes],
        "latitude": lat,
        "longitude": lon,
        "location_source": source,
        "location_name": pc.location_name,
        "candidates": (pc.candidates if pc.candidates is not None else np.zeros(n, dtype=np.int64)),
        "precision_km": np.where(located, pc.precision_km, np.nan),
        "controller": ctrl_u[np.where(ok & has_data, ctrl_codes, len(ctrl_names))],
        "target": tgt_u[np.where(has_target, tinv, len(tcodes))],
        "distance_to_target_km": np.round(dist, 3, out=dist),
        "nearest_target_latitude": np.round(nlat, 6, out=nlat),
        "nearest_target_longitude": np.round(nlon, 6, out=nlon),
        "distance_to_stated_place_km": np.round(stated, 3, out=stated),
        "stated_place_latitude": pc.stated_latitude,
        "stated_place_longitude": pc.stated_longitude,
        "duplicate_id": duplicate_ids(df["id"]),
    }
    if warn_duplicates:
        _warn_duplicates(df["id"], out["duplicate_id"])
    # object columns stay object (no conversion of a million strings to Arrow)
    columns = {k: pd.Series(v, index=df.index, dtype=v.dtype, copy=False) for k, v in out.items()}
    kept = input_names(df.columns)
    for c, name in kept.items():  # the input's own columns (text columns inferred as strings)
        v = df[c].to_numpy(copy=False) if df[c].dtype == object else df[c].values
        columns[name] = pd.Series(v, index=df.index, copy=False)
    renamed = {c: n for c, n in kept.items() if n != c}
    if renamed:
        give_warning(
            f"the claims' own column(s) {', '.join(repr(str(c)) for c in renamed)} are kept "
            f"as {', '.join(repr(n) for n in renamed.values())} (the result uses those names)",
            stacklevel=3,
        )
    if geometry is None:  # points=False: latitude and longitude only
        result = pd.DataFrame(columns, copy=False)
        result.attrs = {}
        return result
    columns["geometry"] = gpd.GeoSeries(geometry.result(), index=df.index, crs="EPSG:4326")
    # copy=False: the columns are not consolidated into 2-D blocks (a copy of every array)
    result = gpd.GeoDataFrame(pd.DataFrame(columns, copy=False), geometry="geometry", copy=False)
    result.attrs = {}
    return result


def input_names(columns: Any) -> dict[Any, str]:
    """The input columns a result carries, each with its name in the result.

    Every column is kept (none is lost or overwritten): one whose name a result column
    or a GeoPackage already uses (compared case-insensitively, as SQLite compares
    them) is renamed ``input_<name>`` (``input_<name>_2`` … if that is taken too). The
    columns the check reads back (``id``, ``latitude``, ``longitude``) and its private
    ``_`` columns are not carried.
    """
    taken = {c.casefold() for c in (*OUTPUT_COLUMNS, *_RESERVED)}
    out: dict[Any, str] = {}
    for c in columns:
        if c in _READ_BACK or c in PRIVATE_COLUMNS:
            continue
        name = str(c)
        if name.casefold() in taken:
            base = f"{INPUT_PREFIX}{name}"
            name, k = base, 1
            while name.casefold() in taken or name in map(str, columns):
                k += 1
                name = f"{base}_{k}"
        taken.add(name.casefold())
        out[c] = name
    return out


def _warn_duplicates(ids: Any, dup: np.ndarray) -> None:
    """One warning line naming (the first few) ids used by more than one row."""
    if not dup.any():
        return
    names = pd.unique(pd.Series(ids).astype(str).to_numpy()[dup])
    shown = ", ".join(repr(v) for v in names[:5]) + (" …" if len(names) > 5 else "")
    give_warning(
        f"{len(names)} id(s) are used by more than one row ({shown}); "
        "those rows are marked in the duplicate_id column",
        stacklevel=3,
    )


def _place_as_point(
    df: pd.DataFrame, pc: Any, lat: np.ndarray, lon: np.ndarray, *, first_row: int = 1
) -> pd.DataFrame:
    """The claims as the reason sentences name them: a row whose given coordinates lie far
    from the place it names (``pc.place_offset_km``) is called by its point, with that
    distance, never by the place's name alone; one warning line counts such rows (numbered
    from ``first_row``: the chunk's first row in the whole file)."""
    off = getattr(pc, "place_offset_km", None)
    if off is None or "place" not in df.columns or not np.isfinite(off).any():
        return df
    rows = np.flatnonzero(np.isfinite(off))
    place = df["place"].to_numpy(dtype=object).copy()
    for i in rows.tolist():
        place[i] = (
            f"The given point ({lat[i]:.4f}, {lon[i]:.4f}), {format_km(off[i])} from "
            f"{place[i]} as the gazetteer places it (check which is right),"
        )
    give_warning(
        RowsWarning(
            "the coordinates of {count} claim(s) (rows {rows}) lie far from the place they "
            "name; the coordinates are used, and the reason says how far apart they are",
            len(rows),
            (rows[: RowsWarning.SHOWN] + first_row).tolist(),
        ),
        stacklevel=4,
    )
    out = df.copy(deep=False)
    out["place"] = place
    return out


def _flag_swapped(
    prepared: PreparedZones,
    window: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    rows: np.ndarray,
    reason: pd.Categorical,
    *,
    table: ActorTable,
    first_row: int = 1,
    parts: int = 1,
) -> pd.Categorical:
    """Flag given coordinates outside every zone whose swap (latitude <-> longitude) falls
    inside one: "lat/lon may be swapped" is added to the reason and warned about once. The
    point is not moved: the verdict stays indeterminate (outside every mapped zone). Rows
    are numbered from ``first_row`` (the chunk's first row in the whole file); the
    containment tests run in ``parts`` threads."""
    cand = np.flatnonzero(rows & (np.abs(lon) <= 90.0))
    if not len(cand):
        return reason
    bits = np.zeros(len(cand), dtype=np.uint64)
    for w in np.unique(window[cand]).tolist():
        sel = np.flatnonzero(window[cand] == w)
        act = prepared.active(int(w))
        if len(act):  # x = the given latitude, y = the given longitude
            bits[sel] = _controllers(prepared, act, lat[cand[sel]], lon[cand[sel]], parts)
    hit = bits != 0
    if not hit.any():
        return reason
    # the holders' labels once per distinct set of controllers, not once per row
    ub, inv = np.unique(bits[hit], return_inverse=True)
    held_u = [table.labels(prepared.ids_of(int(b)).split(";")) for b in ub.tolist()]
    rows_hit = cand[hit]
    before = np.asarray(reason.categories, dtype=object)[np.asarray(reason.codes)[rows_hit]]
    texts = [
        f"{was} The latitude and longitude may be swapped: the point at latitude "
        f"{lon[i]:.5f}, longitude {lat[i]:.5f} lies in ground held by {held_u[k]}. Check the "
        "source before using this row."
        for i, k, was in zip(rows_hit.tolist(), inv.ravel().tolist(), before.tolist(), strict=True)
    ]
    reason = with_reasons(reason, rows_hit, texts)
    give_warning(
        RowsWarning(
            "lat/lon may be swapped in {count} claim(s) (rows {rows}): outside every zone "
            "as given, inside one with latitude and longitude swapped; not corrected",
            int(hit.sum()),
            (cand[hit][: RowsWarning.SHOWN] + first_row).tolist(),
        ),
        stacklevel=3,
    )
    return reason

"""The verification engine: locate → join (by date) → measure (geodesic) → judge.

For each claim: the location (given coordinates, or the geocoded ``place``) and its
precision radius; the controller(s) of the zones valid on the claim's date that contain it;
the geodesic distance to the nearest ground held, alone or jointly, by the claimed target
that day (0 inside) and that nearest point; the distance to the place the claimant named
(``target_place``); and a verdict with a one-sentence reason in km and miles.

Verdict rules (``p`` = precision radius of the location, ``t`` = tolerance, ``d`` = distance
to the target's territory, ``coarse`` = ``p`` above ``coarse_km``, 25 km by default, i.e. a
region rather than a town — ACLED precision 3 or an admin-level geocode):

* **consistent**: inside the target's territory, or ``d <= p + t``, with a fine precision;
  with a coarse precision only when the whole precision circle lies inside the target's
  territory (within ``t``).
* **inconsistent**: the place was held by another actor and ``d > p + t`` (the whole
  precision circle lies farther than the tolerance from any target ground), or the target
  held nothing in the data that day while the place was held by another actor.
* **indeterminate**: bad or unresolved rows; no claimed target; no zone valid on the date;
  a location outside every zone and not near the target's ground; a coarse precision whose
  circle reaches the target's ground without lying inside it ("too coarse to decide").

Hot-path design (for event-dataset scale): the zones are prepared once
(:func:`prepare_zones`: date windows, controller bit masks, lazily built and cached
boundary-segment indexes per (date window, target set)); :func:`check_frame` takes a chunk
of claims and the prepared zones, so it can be mapped over partitions. Inside it, claims
are grouped by date window (containment, one vectorised ``intersects_xy`` per active zone)
and by (date window, target set) (distance, one nearest-boundary index query per group:
:func:`default_index`). Text columns are handled through their distinct values and each
reason sentence is written once per distinct shape, as a template filled with each row's
place and date (:func:`_reasons`). There is no Python loop over claims.
"""

from __future__ import annotations

import contextlib
import gc
import math
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geostrike.engine import measure as _nearest
from geostrike.engine._heap import heap_kept
from geostrike.engine._jit import compiled
from geostrike.engine.measure import nearest_index
from geostrike.errors import InputError
from geostrike.geodesy import format_km, geodesic_km, km_mi
from geostrike.inputs.actors import ActorTable, load_actors
from geostrike.inputs.claims import (
    MAX_PRECISION_KM,
    PRIVATE_COLUMNS,
    claims_from_object,
    duplicate_ids,
    factorize_text,
    normalise_claims,
    parse_claims,
)
from geostrike.inputs.zones import read_zones, snapshot_horizon, unmapped_note

__all__ = [
    "OUTPUT_COLUMNS",
    "PreparedZones",
    "check",
    "check_frame",
    "check_km",
    "input_names",
    "km_mi",
    "prepare_zones",
    "summary",
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

#: Precision radius (km) above which a location is a region, too coarse to call a near miss.
COARSE_PRECISION_KM = 25.0
DEFAULT_TOLERANCE_KM = 5.0
#: Largest tolerance accepted (km): beyond it "near the target" means nothing.
MAX_TOLERANCE_KM = 1000.0


def check_km(value: Any, name: str = "tolerance_km", *, most: float = MAX_TOLERANCE_KM) -> float:
    """``value`` as a finite number of km in ``[0, most]``; else a one-line InputError.

    Used for ``tolerance_km`` (0 to :data:`MAX_TOLERANCE_KM`) and ``coarse_km`` (0 to
    :data:`geostrike.inputs.claims.MAX_PRECISION_KM`): NaN, infinities and absurd sizes would
    give verdicts and sentences with no meaning.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(None, f"{name} must be a number of km, not {value!r}") from None
    if not 0.0 <= v <= most:  # also false for NaN
        raise InputError(None, f"{name} must be a number of km from 0 to {most:,g}, not {value!r}")
    return v


_OPEN_START = np.iinfo(np.int64).min
_OPEN_END = np.iinfo(np.int64).max


def _days(values: Any) -> np.ndarray:
    """Dates as int64 day numbers (NaT → the int64 minimum)."""
    arr = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]")
    out = arr.astype(np.int64)
    out[np.isnat(arr)] = _OPEN_START
    return out


def default_index(geoms: np.ndarray) -> Any:
    """The nearest-boundary index used by default: the quadtree/chord-metric index of
    :mod:`geostrike.engine.measure` (built for event-dataset scale, issue 8); it returns the same
    :class:`~geostrike.geodesy.NearestResult` as the reference
    :class:`~geostrike.geodesy.SegmentIndex`, within 1 m / 0.01 %."""
    return nearest_index(geoms)


@dataclass
class PreparedZones:
    """Zones ready for checking many claims: date windows, bit masks and cached indexes.

    Build with :func:`prepare_zones`; reuse for every chunk of claims (picklable, so it
    can be broadcast to workers; the segment indexes are rebuilt lazily where used).
    """

    zones: Any  # normalised GeoDataFrame (read_zones)
    actor_ids: tuple[str, ...]
    geoms: np.ndarray
    bits: np.ndarray  # uint64 controller mask per zone
    start: np.ndarray  # int64 day, _OPEN_START when open
    end: np.ndarray  # int64 day, _OPEN_END when open
    breaks: np.ndarray  # sorted days where the set of valid zones changes
    bounds: np.ndarray  # (n, 4) zone bounds
    #: Builds the nearest-boundary index of a set of polygons (anything with a
    #: ``nearest(lat, lon) -> NearestResult`` method, or None when there is no boundary).
    index_factory: Callable[[np.ndarray], Any] = field(default_factory=lambda: default_index)
    _segments: dict[tuple[int, int], Any] = field(default_factory=dict, repr=False)
    #: What dates the zones cover, for the reason of a claim they do not (zones.py)
    coverage: str = ""
    #: Why ground may be unmapped, for the reason of a claim outside every zone (zones.py)
    unmapped: str = ""

    # -- date windows ----------------------------------------------------------
    def window_of(self, days: np.ndarray) -> np.ndarray:
        """Window id of each day (day numbers); -1 for missing dates."""
        w = np.searchsorted(self.breaks, days, side="right").astype(np.int64)
        w[days == _OPEN_START] = -1
        return w

    def active(self, window: int) -> np.ndarray:
        """Indices of the zones valid throughout a window (-1: undated zones only)."""
        if window < 0:
            return np.flatnonzero((self.start == _OPEN_START) & (self.end == _OPEN_END))
        if len(self.breaks) == 0:
            return np.arange(len(self.geoms))
        day = self.breaks[0] - 1 if window == 0 else self.breaks[window - 1]
        return np.flatnonzero((self.start <= day) & (day <= self.end))

    # -- actors ----------------------------------------------------------------
    def mask_of(self, ids: str) -> int:
        """Bit mask of a ';'-joined set of canonical ids (0 for ids holding no zone)."""
        m = 0
        for a in ids.split(";"):
            if a in self._bit:
                m |= 1 << self._bit[a]
        return m

    def ids_of(self, mask: int) -> str:
        """';'-joined sorted canonical ids of a bit mask."""
        return ";".join(sorted(a for a, b in self._bit.items() if mask >> b & 1))

    @property
    def _bit(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.actor_ids)}

    # -- distances -------------------------------------------------------------
    def segment_index(self, window: int, target_mask: int) -> Any:
        """Boundary-segment index of the target's zones in a window; None if it holds none.

        Cached by the set of zones it covers, so windows in which the target's ground did
        not change (only other actors' did) share one index.
        """
        key = (int(window), int(target_mask))
        if key not in self._segments:
            act = self.active(window)
            sel = act[(self.bits[act] & np.uint64(target_mask)) != 0]
            same = ("zones", sel.tobytes())
            if same not in self._segments:
                self._segments[same] = self.index_factory(self.geoms[sel]) if len(sel) else None
            self._segments[key] = self._segments[same]
        return self._segments[key]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_segments"] = {}  # indexes hold transformers: rebuild where used
        return state


def prepare_zones(
    zones: Any,
    *,
    actors: ActorTable | str | Path | None = None,
    index_factory: Callable[[np.ndarray], Any] | None = None,
) -> PreparedZones:
    """Normalise zones (path or GeoDataFrame) once and build the reusable structures.

    ``index_factory`` builds the nearest-boundary index of a set of polygons (default:
    :func:`default_index`); any object with a
    ``nearest(lat, lon) -> NearestResult`` method will do.
    """
    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    gdf = zones if _is_normalised(zones) else read_zones(zones, actors=table)
    ids = sorted({a for c in pd.unique(gdf["controller"]) for a in str(c).split(";") if a})
    if len(ids) > 64:
        raise InputError(
            None, f"zones name {len(ids)} distinct controllers; at most 64 are supported"
        )
    bit = {a: i for i, a in enumerate(ids)}
    cmask = {
        c: sum(1 << bit[a] for a in str(c).split(";") if a) for c in pd.unique(gdf["controller"])
    }
    bits = gdf["controller"].map(cmask).to_numpy(dtype=np.uint64)
    start = _days(gdf["valid_from"])
    end_raw = _days(gdf["valid_to"])
    end = np.where(end_raw == _OPEN_START, _OPEN_END, end_raw)
    # issue 14.7: open-ended snapshots hold for a while, not forever (geostrike.inputs.zones)
    end, coverage = snapshot_horizon(
        start, end, _OPEN_START, _OPEN_END, gdf.attrs.get("stale_after_days")
    )
    breaks = np.unique(
        np.concatenate([start[start != _OPEN_START], end[end != _OPEN_END] + 1])
    ).astype(np.int64)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    shapely.prepare(geoms)
    return PreparedZones(
        zones=gdf,
        actor_ids=tuple(ids),
        geoms=geoms,
        bits=bits,
        start=start,
        end=end,
        breaks=breaks,
        bounds=shapely.bounds(geoms),
        coverage=coverage,
        unmapped=unmapped_note(gdf),
        **({"index_factory": index_factory} if index_factory is not None else {}),
    )


def _is_normalised(zones: Any) -> bool:
    import geopandas as gpd

    return (
        isinstance(zones, gpd.GeoDataFrame)
        and tuple(zones.columns[:5]) == ZONE_HEAD
        and zones.crs is not None
        and zones.crs.equals("EPSG:4326")
        and pd.api.types.is_datetime64_any_dtype(zones["valid_from"])
        and bool(zones.attrs.get("geostrike_normalised", False))
    )


ZONE_HEAD = ("zone_id", "controller", "valid_from", "valid_to", "source")


# ---------------------------------------------------------------------------- the check
def check(
    claims: Any,
    zones: Any,
    *,
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
    actors: ActorTable | str | Path | None = None,
    coarse_km: float = COARSE_PRECISION_KM,
    date_order: str | None = None,
    country: str | Sequence[str] | None = None,
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
        Distance within which a strike still counts as on the target's territory.
    actors
        An :class:`ActorTable` or the path of a CSV extending the default one.
    coarse_km
        Precision radius above which a location is too coarse to call a near miss.
    date_order
        ``"dmy"`` or ``"mdy"``: how to read numeric dates such as ``05/06/2016`` in the
        claims (and in zones read here); default: inferred per column, refused when no
        row settles it (:func:`geostrike.inputs.claims.parse_dates`).
    country
        ISO code(s) of the countries place names are looked up in (rows with a
        ``country`` cell use it instead); by default the countries the zones cover.

    Returns
    -------
    GeoDataFrame
        One row per claim, in input order: :data:`OUTPUT_COLUMNS` then the input's own
        columns (one named like a result column is kept as ``input_<name>``, with a
        warning: :func:`input_names`); point geometries in EPSG:4326 (empty when the
        claim could not be located).

    Raises
    ------
    InputError
        ``tolerance_km`` outside 0 … :data:`MAX_TOLERANCE_KM` or ``coarse_km`` outside
        0 … :data:`geostrike.inputs.claims.MAX_PRECISION_KM` (NaN and infinities included), and
        every bad-file error of :func:`geostrike.inputs.claims.read_claims`.
    """
    from geostrike.inputs.claims import date_order as _date_order

    tolerance_km = check_km(tolerance_km)
    coarse_km = check_km(coarse_km, "coarse_km", most=MAX_PRECISION_KM)
    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    with heap_kept(), _gc_paused(), _date_order(date_order):
        df, path = claims_from_object(claims, actors=table)
        prepared = zones if isinstance(zones, PreparedZones) else prepare_zones(zones, actors=table)
        return check_frame(
            df, prepared, tolerance_km=tolerance_km, actors=table, coarse_km=coarse_km,
            path=path, country=country,
        )  # fmt: skip


def check_frame(
    claims: pd.DataFrame,
    prepared: PreparedZones,
    *,
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
    actors: ActorTable | None = None,
    coarse_km: float = COARSE_PRECISION_KM,
    path: str | Path | None = None,
    id_start: int = 1,
    warn_duplicates: bool = True,
    reserved_ids: frozenset[str] = frozenset(),
    country: str | Sequence[str] | None = None,
) -> Any:
    """Check one chunk of claims against prepared zones (the core; mappable over partitions).

    ``claims`` is a claims table (normalised by :func:`geostrike.inputs.claims.normalise_claims`
    or raw: it is normalised here, idempotently; ``id_start`` numbers generated ids so that
    partitions get ``claim-N`` ids matching their global row numbers, and ``reserved_ids``
    holds the other partitions' given ids of that form, which a generated id must not
    take: :func:`geostrike.inputs.claims.generated_like_ids`). Ids used by more
    than one row are marked in ``duplicate_id`` and, unless ``warn_duplicates`` is False
    (the streaming engines warn once for the whole file), named in one warning.
    """
    tolerance_km = check_km(tolerance_km)
    coarse_km = check_km(coarse_km, "coarse_km", most=MAX_PRECISION_KM)
    with heap_kept(), _gc_paused():
        return _check_frame(
            claims,
            prepared,
            tolerance_km=tolerance_km,
            actors=actors,
            coarse_km=coarse_km,
            path=path,
            id_start=id_start,
            warn_duplicates=warn_duplicates,
            reserved_ids=reserved_ids,
            country=country,
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
    them would triple the time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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


def _point_geometries(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Point geometries (EPSG:4326 axis order lon, lat); empty points where not located."""
    located = np.isfinite(lat) & np.isfinite(lon)
    if located.all():
        return shapely.points(lon, lat)
    geometry = np.full(len(lat), shapely.Point(), dtype=object)
    if located.any():
        geometry[located] = shapely.points(lon[located], lat[located])
    return geometry


def _controllers(
    prepared: PreparedZones, act: np.ndarray, x: np.ndarray, y: np.ndarray, parts: int
) -> np.ndarray:
    """OR of the controller bits of the zones ``act`` that contain each point (x, y).

    One vectorised prepared-geometry test per zone, on the points inside its bounding box;
    the zones are shared among ``parts`` threads (GEOS releases the GIL).
    """
    by_x = np.argsort(x)
    xs, ys = x[by_x], y[by_x]  # sorted by longitude: a zone's candidates are one slice

    def work(zones: np.ndarray) -> np.ndarray:
        bits = np.zeros(len(x), dtype=np.uint64)  # in longitude order
        for z in zones:
            b = prepared.bounds[z]
            lo = np.searchsorted(xs, b[0], "left")
            cy = ys[lo : np.searchsorted(xs, b[2], "right")]
            sel = np.flatnonzero((cy >= b[1]) & (cy <= b[3]))
            if len(sel):
                sel += lo
                hit = shapely.intersects_xy(prepared.geoms[z], xs[sel], ys[sel])
                bits[sel[hit]] |= prepared.bits[z]
        return bits

    # GEOS prepared geometries are not thread-safe (their indexes are built on first use):
    # zones sharing one geometry object (the same polygon held by two rows) stay together
    same, owner = np.unique([id(prepared.geoms[z]) for z in act], return_inverse=True)
    owner = owner.ravel()
    if parts <= 1 or len(same) < 2:
        bits = work(act)
    else:
        # widest geometries first, dealt out in turn, so the threads test similar numbers of
        # points
        b = prepared.bounds[act]
        area = np.bincount(owner, weights=(b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
        turn = np.empty(len(same), dtype=np.int64)
        turn[np.argsort(-area, kind="stable")] = np.arange(len(same)) % parts
        shares = [act[turn[owner] == k] for k in range(parts)]
        with ThreadPoolExecutor(parts) as pool:
            bits = np.bitwise_or.reduce(list(pool.map(work, shares)))
    out = np.empty_like(bits)
    out[by_x] = bits
    return out


def _check_frame(
    claims: pd.DataFrame,
    prepared: PreparedZones,
    *,
    tolerance_km: float,
    actors: ActorTable | None,
    coarse_km: float,
    path: str | Path | None,
    id_start: int,
    warn_duplicates: bool = True,
    reserved_ids: frozenset[str] = frozenset(),
    country: str | Sequence[str] | None = None,
) -> Any:
    import geopandas as gpd

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
    # the output's point geometries are made meanwhile, in a thread of their own
    geometry = _Meanwhile(_point_geometries, lat, lon, thread=parts > 1)
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
    reach = precision + tolerance_km
    decidable = ok & has_data & has_target
    held_other = decidable & (ctrl_bits != 0) & ~inside
    outside_all = decidable & (ctrl_bits == 0)
    near = target_has & ~inside & (dist <= reach)
    far = target_has & ~inside & (dist > reach)
    cases = {
        "inside": decidable & inside & (~coarse | (edge >= precision - tolerance_km)),
        "inside_coarse": decidable & inside & coarse & ~(edge >= precision - tolerance_km),
        "near": decidable & near & ~coarse,
        "near_coarse": decidable & near & coarse,
        "far_held": held_other & far,
        "none_held": held_other & ~target_has,
        "far_outside": outside_all & far,
        "none_outside": outside_all & ~target_has,
        "no_target": ok & has_data & ~has_target,
        "no_data": ok & ~has_data,
        "bad": ~ok,
    }
    verdict_of = {
        "inside": "consistent",
        "near": "consistent",
        "far_held": "inconsistent",
        "none_held": "inconsistent",
    }
    verdicts = ("indeterminate", "consistent", "inconsistent")
    vcode = np.zeros(n, dtype=np.int8)
    for case, v in verdict_of.items():
        vcode[cases[case]] = verdicts.index(v)
    verdict = np.array(verdicts, dtype=object)[vcode]

    ctrl_names, ctrl_codes = _ids_text(ctrl_bits, prepared)
    reason = _reasons(
        cases,
        df=df,
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
    given = outside_all & (pc.location_source == "given")
    reason = _flag_swapped(prepared, window, lat, lon, given, reason, table=table)

    # -- assemble ---------------------------------------------------------------------
    located = np.isfinite(lat) & np.isfinite(lon)
    geometry = geometry.result()
    # texts by one take on their distinct values (None appended for the blank rows)
    ctrl_u = np.append(ctrl_names, None)
    tgt_u = np.append(np.asarray(tcodes, dtype=object), None)
    out = {
        "id": df["id"],  # as read (object or string dtype), not copied
        "status": pc.status,
        "verdict": verdict,
        "reason": reason,
        "latitude": lat,
        "longitude": lon,
        "location_source": pc.location_source,
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
        import warnings

        warnings.warn(
            f"the claims' own column(s) {', '.join(repr(str(c)) for c in renamed)} are kept "
            f"as {', '.join(repr(n) for n in renamed.values())} (the result uses those names)",
            stacklevel=3,
        )
    columns["geometry"] = gpd.GeoSeries(geometry, index=df.index, crs="EPSG:4326")
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
    import warnings

    names = pd.unique(pd.Series(ids).astype(str).to_numpy()[dup])
    shown = ", ".join(repr(v) for v in names[:5]) + (" …" if len(names) > 5 else "")
    warnings.warn(
        f"{len(names)} id(s) are used by more than one row ({shown}); "
        "those rows are marked in the duplicate_id column",
        stacklevel=3,
    )


def _flag_swapped(
    prepared: PreparedZones,
    window: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    rows: np.ndarray,
    reason: np.ndarray,
    *,
    table: ActorTable,
) -> np.ndarray:
    """Flag given coordinates outside every zone whose swap (latitude <-> longitude) falls
    inside one: "lat/lon may be swapped" is added to the reason and warned about once. The
    point is not moved: the verdict stays indeterminate (outside every mapped zone)."""
    cand = np.flatnonzero(rows & (np.abs(lon) <= 90.0))
    if not len(cand):
        return reason
    bits = np.zeros(len(cand), dtype=np.uint64)
    for w in np.unique(window[cand]).tolist():
        sel = np.flatnonzero(window[cand] == w)
        act = prepared.active(int(w))
        if len(act):  # x = the given latitude, y = the given longitude
            bits[sel] = _controllers(prepared, act, lat[cand[sel]], lon[cand[sel]], 1)
    hit = bits != 0
    if not hit.any():
        return reason
    reason = reason.copy()
    for i, b in zip(cand[hit].tolist(), bits[hit].tolist(), strict=True):
        held = table.labels(prepared.ids_of(int(b)).split(";"))
        reason[i] = (
            f"{reason[i]} The latitude and longitude may be swapped: the point at latitude "
            f"{lon[i]:.5f}, longitude {lat[i]:.5f} lies in ground held by {held}. Check the "
            "source before using this row."
        )
    rows_txt = ", ".join(str(i + 1) for i in cand[hit][:5].tolist())
    warnings.warn(
        f"lat/lon may be swapped in {int(hit.sum())} claim(s) (rows {rows_txt}"
        f"{', ...' if hit.sum() > 5 else ''}): outside every zone as given, inside one "
        "with latitude and longitude swapped; not corrected",
        UserWarning,
        stacklevel=3,
    )
    return reason


def _groups(window: np.ndarray, mask: np.ndarray) -> Iterator[tuple[int, int, np.ndarray]]:
    """(window, target mask, positions) of each distinct pair, positions ascending.

    Hash-based codes (no sort of the rows), then one stable counting-friendly argsort of
    the small group codes.
    """
    wi, wu = pd.factorize(window.astype(np.int64))
    mi, mu = pd.factorize(mask.astype(np.uint64))
    inv, ku = pd.factorize(wi.astype(np.int64) * len(mu) + mi)
    small = np.int16 if len(ku) < 2**15 else np.int64  # int16: numpy's radix sort
    order = np.argsort(inv.astype(small), kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inv, minlength=len(ku)))])
    for j, k in enumerate(ku):
        yield int(wu[k // len(mu)]), int(mu[k % len(mu)]), order[bounds[j] : bounds[j + 1]]


def _ids_text(bits: np.ndarray, prepared: PreparedZones) -> tuple[np.ndarray, np.ndarray]:
    """';'-joined ids of each distinct controller bit mask, and each row's code in them."""
    inv, u = pd.factorize(bits)
    names = np.array([prepared.ids_of(int(b)) for b in u], dtype=object)
    return names, inv


#: The judged cases, in the order of :func:`_sentence`.
CASES: tuple[str, ...] = (
    "inside",
    "inside_coarse",
    "near",
    "near_coarse",
    "far_held",
    "none_held",
    "far_outside",
    "none_outside",
    "no_target",
    "no_data",
    "bad",
)


@compiled("Tuple((i8[::1], b1[::1]))(f8[::1], f8)", python_below=10_000)  # issue 18
def _display_keys(
    km: np.ndarray, km_per_mile: float
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled (tested via _display_codes)
    """Per distance, one integer for how it prints in km and in miles (:func:`format_km`:
    tenths below 9.95, whole units above), and a flag for the rows to key from their
    printed text instead (within 10⁻⁶ of a rounding tie, 2²⁸ km or more, or negative)."""
    keys = np.empty(len(km), np.int64)
    exact = np.zeros(len(km), np.bool_)
    for i in range(len(km)):
        v = km[i]
        if not math.isfinite(v):
            keys[i] = -1
            continue
        if v >= 2.0**28 or math.copysign(1.0, v) < 0.0:  # absurd, or negative ("-0.0")
            exact[i] = True
            keys[i] = 0
            continue
        key = 0
        for x in (v, v / km_per_mile):
            whole = x >= 9.95
            y = x if whole else x * 10.0
            if abs(y - math.floor(y) - 0.5) < 1e-6:  # a rounding tie, give or take an ulp
                exact[i] = True
                break
            key = key * 2**31 + 2 * round(y) + whole
        keys[i] = key
    return keys, exact


def _printed_key(km: float) -> int:
    """:func:`_display_keys`'s integer, from the printed texts themselves."""
    from geostrike.geodesy import KM_PER_MILE, round_km

    key = 0
    for x in (km, km / KM_PER_MILE):
        text = round_km(x)
        key = key * 2**31 + (2 * int(text) + 1 if abs(x) >= 9.95 else 2 * round(float(text) * 10))
    return key


def _display_codes(km: np.ndarray) -> np.ndarray:
    """Codes equal exactly when two distances print the same in km and in miles."""
    from geostrike.geodesy import KM_PER_MILE

    km = np.ascontiguousarray(km, dtype=float)
    keys, exact = _display_keys(km, KM_PER_MILE)
    rows = np.flatnonzero(exact)
    if len(rows):
        flagged = km[rows]
        if np.signbit(flagged).any() or (flagged >= 2.0**29).any():
            # negative or absurd (never a distance): every row by its printed text
            return pd.factorize(np.array([format_km(v) for v in km], dtype=object))[0]
        # rounding ties and large values: the same integers, from the printed text itself
        keys[rows] = [_printed_key(float(v)) for v in flagged]
    return pd.factorize(keys)[0]


def _reasons(
    cases: dict[str, np.ndarray],
    *,
    df: pd.DataFrame,
    pc: Any,
    table: ActorTable,
    ctrl_names: np.ndarray,
    ctrl_codes: np.ndarray,
    target_codes: np.ndarray,
    dist: np.ndarray,
    edge: np.ndarray,
    precision: np.ndarray,
    reach: np.ndarray,
    stated: np.ndarray,
    coverage: str = "",
    unmapped: str = "",
) -> np.ndarray:
    """One plain sentence per claim.

    Sentences are written in two steps, so that a million claims cost a few thousand string
    formats whatever their places and dates. (1) Rows of the same *shape* (case,
    controller, target, distances as printed, stated place, problem) share one template,
    written once by :func:`_sentence` with markers where the place and the date go. (2)
    Each distinct combination of template, place as written and date is filled in by plain
    concatenation and spread back to its rows.
    """
    n = len(df)
    case = np.zeros(n, dtype=np.int64)
    for k, name in enumerate(CASES):
        case[cases[name]] = k
    # the place as the claim wrote it ("northern Homs", not the gazetteer's "Homs")
    pcodes, pu = (
        factorize_text(df["place"]) if "place" in df.columns else (np.zeros(n, int), np.array([""]))
    )
    written = (pu != "")[pcodes]
    subjects = np.append(pu, ["The reported location", ""])
    subject = np.where(written, pcodes, len(pu))
    if pc.date_codes is not None and pc.date_values is not None:
        dcodes, dates = pc.date_codes, pc.date_values
    else:
        dcodes, dates = factorize_text(df["date"])
    dates = np.append(dates, "")
    bad = cases["bad"]
    with_stated = np.isfinite(stated) & (stated > reach) & ~bad
    stated_flag = with_stated.astype(np.int64)  # 1: distance given; 2: the place not found
    if "target_place" in df.columns:
        lost = ~pd.isna(pc.stated_name) & ~np.isfinite(stated) & ~bad
        stated_flag[lost & ~with_stated] = 2

    def sparse_codes(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Codes of ``values`` on the rows in ``mask`` (0 elsewhere)."""
        out = np.zeros(n, dtype=np.int64)
        if mask.any():
            out[mask] = pd.factorize(values[mask])[0] + 1
        return out

    def sparse_display(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        if mask.any():
            out[mask] = _display_codes(values[mask]) + 1
        return out

    coarse_rows = cases["inside_coarse"] | cases["near_coarse"]
    shape = _combined_codes(
        [
            case,
            ctrl_codes,
            target_codes,
            sparse_display(~bad, dist),
            sparse_display(cases["inside_coarse"], edge),
            sparse_display(coarse_rows, precision),
            sparse_display(cases["near"], reach),
            stated_flag,
            sparse_codes(stated_flag > 0, pc.stated_name),
            sparse_display(with_stated, stated),
            sparse_codes(bad, pc.problem),
        ]
    )
    # (1) one template per shape: markers no claim text can contain
    mark = uuid.uuid4().hex
    s_mark, d_mark = f"\x00s{mark}\x00", f"\x00d{mark}\x00"
    first = _first_rows(shape)
    ctrl_labels: dict[str, str] = {}
    tgt_labels: dict[str, str] = {}
    heads, middles, tails = [], [], []
    has_subject = np.zeros(len(first), dtype=bool)
    has_date = np.zeros(len(first), dtype=bool)
    for j, i in enumerate(first):
        c = str(ctrl_names[ctrl_codes[i]])
        t = str(pc.target[i])
        if c not in ctrl_labels:
            ctrl_labels[c] = table.labels(filter(None, c.split(";")))
        if t not in tgt_labels:
            tgt_labels[t] = " or ".join(table.label(a) for a in sorted(filter(None, t.split(";"))))
        text = _sentence(
            CASES[case[i]],
            subject=s_mark,
            date=d_mark,
            ctrl=ctrl_labels[c],
            held=c != "",
            tgt=tgt_labels[t],
            dist=dist[i],
            edge=edge[i],
            precision=precision[i],
            reach=reach[i],
            stated_flag=int(stated_flag[i]),
            stated_name=pc.stated_name[i],
            stated=stated[i],
            problem=pc.problem[i],
            coverage=coverage,
            unmapped=unmapped,
        )
        head, found_s, rest = text.partition(s_mark)
        if not found_s:
            head, rest = "", text
        middle, found_d, tail = rest.partition(d_mark)
        changed = mark in (head + middle + tail).lower()  # a marker altered by the template
        if s_mark in tail or d_mark in head + tail or changed:  # pragma: no cover - _sentence bug
            raise AssertionError(f"the place and the date must each appear once, in order: {text}")
        heads.append(head)
        middles.append(middle)
        tails.append(tail)
        has_subject[j], has_date[j] = bool(found_s), bool(found_d)
    # (2) each distinct (template, place, date) filled in once
    subject = np.where(has_subject[shape], subject, len(subjects) - 1)
    when = np.where(has_date[shape], dcodes, len(dates) - 1)
    full = _combined_codes([shape, subject, when])
    first = _first_rows(full)
    places, days = subjects.tolist(), dates.tolist()
    sentences = np.array(
        [
            f"{heads[a]}{places[b]}{middles[a]}{days[c]}{tails[a]}"
            for a, b, c in zip(
                shape[first].tolist(), subject[first].tolist(), when[first].tolist(), strict=True
            )
        ],
        dtype=object,
    )
    return sentences[full]


def _combined_codes(columns: list[np.ndarray]) -> np.ndarray:
    """Codes (0, 1, 2, … in order of first appearance) of the rows' combinations of values
    of integer ``columns`` (each >= -1)."""
    n = len(columns[0])
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for col in columns:
        size = int(col.max()) + 2 if n else 1
        if span * size >= 2**62:  # too many combinations for one integer: hash the tuples
            return pd.MultiIndex.from_arrays(columns).factorize()[0]
        key = key * size + (col + 1)
        span *= size
    return pd.factorize(key)[0]


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row of each code of :func:`_combined_codes`."""
    first = np.zeros(codes.max() + 1 if len(codes) else 0, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return first


def _sentence(
    case: str,
    *,
    subject: str,
    date: str,
    ctrl: str,
    held: bool,
    tgt: str,
    dist: float,
    edge: float,
    precision: float,
    reach: float,
    stated_flag: int,
    stated_name: Any,
    stated: float,
    problem: Any,
    coverage: str = "",
    unmapped: str = "",
) -> str:
    """The reason for one judged case, as one plain sentence.

    ``subject`` and ``date`` are placed as given (never changed: :func:`_reasons` passes
    markers and fills them in afterwards), each at most once, the subject first.
    """
    if case == "bad":
        return _capital(problem) + "."
    if case == "no_data":
        return f"No control-zone data covers {date}{coverage}."
    where = (
        f"{subject} was held by {ctrl} on {date}"
        if held
        else f"{subject} lay outside every mapped zone on {date}{unmapped}"
    )
    away = f"the nearest {tgt} territory was {format_km(dist)} away"
    if case == "inside":
        text = f"{where}, inside {tgt} territory"
    elif case == "inside_coarse":
        text = (
            f"{subject} is only located to within {format_km(precision)}, too coarse to "
            f"decide: it was held by {ctrl} on {date}, but other ground lies "
            f"{format_km(edge)} away"
        )
    elif case == "near":
        text = f"{where}; {away}, within the precision and tolerance of {format_km(reach)}"
    elif case == "near_coarse":
        text = (
            f"{subject} is only located to within {format_km(precision)}, too coarse to "
            f"decide: on {date} {away}"
        )
    elif case in ("far_held", "far_outside"):
        text = f"{where}; {away}"
    elif case == "none_held":
        text = f"{where}; {tgt} held no territory in the zone data that day"
    elif case == "none_outside":
        text = f"{where}, and {tgt} held no territory in the zone data that day"
    else:  # no_target
        text = f"{where}; no claimed target is given"
    if stated_flag == 1:
        text += f"; the stated target place, {stated_name}, is {format_km(stated)} from there"
    elif stated_flag == 2:
        text += f"; the stated target place {stated_name!r} was not found in the gazetteer"
    return text + "."


def _capital(text: Any) -> str:
    t = str(text or "the row could not be used")
    return t[:1].upper() + t[1:]


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
    """
    from geostrike.errors import OutputError
    from geostrike.io import write_frame

    path = Path(path)
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(path, "unknown output extension; use .csv, .geojson, .gpkg or .parquet")
    if fmt == "GPKG" and zones is not None:
        try:
            from geostrike.render.qgis import export_gpkg
        except ImportError:
            export_gpkg = None
        if export_gpkg is not None:
            gdf = zones.zones if isinstance(zones, PreparedZones) else zones
            return export_gpkg(result, gdf, path, actors=actors)
    return write_frame(result, path, fmt, layer="claims", csv_safe=csv_safe)


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


def round_km_text(value: Any) -> str:
    """A distance cell for the terminal: one decimal below 10 km, else whole km."""
    from geostrike.geodesy import round_km

    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if not np.isfinite(v) else round_km(v)

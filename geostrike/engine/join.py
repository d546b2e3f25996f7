"""Zones prepared once, and the join of claims to the zones valid on their date.

:func:`prepare_zones` turns a normalised zones table (:func:`geostrike.inputs.zones.read_zones`)
into :class:`PreparedZones`: each controller one bit of a ``uint64`` mask, dates as day
numbers, the breakpoints where the set of valid zones changes cutting time into windows,
and nearest-boundary indexes (:mod:`geostrike.engine.measure`) built lazily per
(window, target set) and cached. :func:`_controllers` ORs into each claim the bits of the
zones containing it (one vectorised ``shapely.intersects_xy`` per active zone);
:func:`_groups` and :func:`_ids_text` group claims by (window, target set) and name the
controllers of each distinct mask. Used by :mod:`geostrike.engine.check`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geostrike.engine.measure import nearest_index
from geostrike.errors import InputError
from geostrike.inputs.actors import ActorTable, load_actors
from geostrike.inputs.zones import ZONE_COLUMNS, read_zones, snapshot_horizon, unmapped_note

__all__ = ["PreparedZones", "default_index", "prepare_zones"]

#: Day numbers of an open start and an open end (a zone valid since / until forever).
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


#: The first columns of a normalised zones table (before the geometry).
ZONE_HEAD = ZONE_COLUMNS[:-1]


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

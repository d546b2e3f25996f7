"""Fast nearest-boundary queries for millions of points: the kernel of ``check`` at scale.

Given the boundary segments of a set of polygons (for ``check``: the territory of one
claimed target on one date window), find for every point the nearest point of the
boundary and its geodesic distance on the WGS84 ellipsoid. Same convention as
:mod:`geostrike.geodesy`: **edges are straight in longitude/latitude**; edges longer than
``max_segment_deg`` are split (which leaves the boundary unchanged).

How it avoids per-point spatial-index queries (each a few microseconds in GEOS, seconds for
a million points):

1. Everything is compared in the *chord metric*: straight-line distance between
   Earth-centred (ECEF) coordinates on the ellipsoid, in km. Chord length is a monotone
   function of geodesic length up to a relative error below 2·10⁻⁵ at 1,000 km (θ²/24 and
   the ellipsoid's curvature spread), so the chord-nearest segment is the geodesic-nearest
   one for every practical purpose, with no map projection and no zone boundary problems.
2. The points' bounding box is cut into a quadtree of cells (only cells holding points are
   kept). Each cell inherits its parent's candidate segments and drops those that cannot be
   nearest anywhere in the cell: with ``c`` the cell centre, ``h`` the cell's radius,
   ``s0`` the candidate nearest to ``c`` and ``f = d(c, s) − d(c, s0)``, a segment ``s`` is
   dropped when ``f > h·L`` where ``L`` bounds the gradient of ``d(·, s) − d(·, s0)`` over
   the cell (at most 2; much less far from the boundary, where both unit vectors to the
   segments almost agree and rotate by at most ``h / (d − h)``). The test is conservative:
   the true nearest segment of every point is always kept.
3. Each point is measured to its cell's few remaining candidates, in float64 from absolute
   coordinates, ties going to the lowest segment number; the parameter of the nearest point
   on the winning segment gives a point *on the lon/lat segment*, and a single
   ``pyproj.Geod.inv`` per point gives the reported geodesic distance (so it is never below
   the truth; the error from locating the foot point in the chord metric is second order,
   far below a metre).

The two inner loops (pruning a level of cells, measuring the points) are compiled with
numba (``_prune_level``, ``_nearest_in_cells``): per point-segment pair they do the same
arithmetic numpy would, without numpy's temporaries (one array per operation and pair) —
about four times faster at a million claims. They are compiled when this module is first
imported and cached (:mod:`geostrike.engine._jit`), so later imports only load them; they release
the GIL, and the points are shared among threads (:func:`_threads`) as are the
``Geod.inv`` calls.

Accuracy against a dense geographiclib reference is asserted in ``tests/test__nearest.py``
(within 0.01% or 1 m up to 1,000 km; within 10⁻⁶ of the STRtree reference index up to
10,000 km; near-antipodal points, where chord lengths barely vary, within 10⁻³). Answers do
not depend on how the points are split into calls, chunks, partitions or thread blocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from geostrike.engine._jit import compiled
from geostrike.geodesy import (
    GEOD,
    MAX_SEGMENT_DEG,
    WGS84_A_KM,
    WGS84_E2,
    NearestResult,
    boundary_segments,
    ecef_km,
)

PTS = 2


@compiled(
    "Tuple((i8[::1], i8[::1]))(f8[:, ::1], f8[::1], i8[::1], i8[::1], i8[::1], "
    "f8[:, ::1], f8[:, ::1], f8[::1])"
)
def _prune_level(
    centres: np.ndarray,
    radius: np.ndarray,
    seg: np.ndarray,
    pstart: np.ndarray,
    pcount: np.ndarray,
    start: np.ndarray,
    direction: np.ndarray,
    inv: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled (tested through nearest)
    """Per cell, the candidates of its parent (``seg[pstart:pstart+pcount]``) that may be
    nearest somewhere in the cell (centre ``centres[c]``, radius ``radius[c]``, km)."""
    k = len(pcount)
    total = 0
    widest = 0
    for c in range(k):
        total += pcount[c]
        widest = max(widest, pcount[c])
    out = np.empty(total, np.int64)
    kept = np.empty(k, np.int64)
    dist = np.empty(widest)
    foot = np.empty((widest, 3))
    o = 0
    for c in range(k):
        px, py, pz = centres[c, 0], centres[c, 1], centres[c, 2]
        s0 = pstart[c]
        nc = pcount[c]
        best = np.inf
        bj = 0
        for j in range(nc):
            s = seg[s0 + j]
            ux, uy, uz = direction[s, 0], direction[s, 1], direction[s, 2]
            vx, vy, vz = px - start[s, 0], py - start[s, 1], pz - start[s, 2]
            t = (vx * ux + vy * uy + vz * uz) * inv[s]
            t = min(max(t, 0.0), 1.0)
            wx, wy, wz = vx - t * ux, vy - t * uy, vz - t * uz
            d = math.sqrt(wx * wx + wy * wy + wz * wz)
            dist[j] = d
            foot[j, 0], foot[j, 1], foot[j, 2] = wx, wy, wz
            if d < best:
                best, bj = d, j
        h = radius[c]
        # f = d(c, s) - d(c, s0) may fall below 0 somewhere in the cell only if
        # f <= h |u - u0| + h²/2 (1/(d - h) + 1/(d0 - h))  (u: unit vector from the foot;
        # the gradient of d(., s) is u, and it turns at most at rate 1/d), else if f <= 2h.
        sharp = best > 1.001 * h
        u0x = u0y = u0z = 0.0
        if sharp:
            u0x, u0y, u0z = foot[bj, 0] / best, foot[bj, 1] / best, foot[bj, 2] / best
        first = o
        for j in range(nc):
            d = dist[j]
            lip = 2.0
            if sharp:
                dot = (foot[j, 0] * u0x + foot[j, 1] * u0y + foot[j, 2] * u0z) / d
                bound = math.sqrt(max(2.0 - 2.0 * dot, 0.0)) + 0.5 * (h / (d - h) + h / (best - h))
                if bound < 2.0:
                    lip = bound
            if d - best <= h * lip * (1.0 + 1e-6) + 1e-9:
                out[o] = seg[s0 + j]
                o += 1
        kept[c] = o - first
    return out[:o].copy(), kept


@compiled(
    "Tuple((i8[::1], f8[::1]))(f8[::1], f8[::1], i8[::1], i8[::1], i8[::1], f8[:, ::1], "
    "f8[:, ::1], f8[::1])"
)
def _nearest_in_cells(
    lon: np.ndarray,
    lat: np.ndarray,
    pcell: np.ndarray,
    cstart: np.ndarray,
    seg: np.ndarray,
    start: np.ndarray,
    direction: np.ndarray,
    inv: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled (tested through nearest)
    """Each point's chord-nearest segment among its cell's candidates
    (``seg[cstart[c]:cstart[c + 1]]``) and the parameter of the foot on it; ties go to the
    lowest segment number, so answers do not depend on how points were grouped."""
    n = len(pcell)
    best_seg = np.empty(n, np.int64)
    best_t = np.empty(n)
    for i in range(n):
        c = pcell[i]
        # Earth-centred coordinates (km) of the point, as ecef_km
        lo, la = math.radians(lon[i]), math.radians(lat[i])
        sl, cl = math.sin(la), math.cos(la)
        nu = WGS84_A_KM / math.sqrt(1.0 - WGS84_E2 * sl * sl)
        px, py, pz = nu * cl * math.cos(lo), nu * cl * math.sin(lo), nu * (1.0 - WGS84_E2) * sl
        best = np.inf
        bs = -1
        bt = 0.0
        for j in range(cstart[c], cstart[c + 1]):
            s = seg[j]
            ux, uy, uz = direction[s, 0], direction[s, 1], direction[s, 2]
            vx, vy, vz = px - start[s, 0], py - start[s, 1], pz - start[s, 2]
            t = (vx * ux + vy * uy + vz * uz) * inv[s]
            t = min(max(t, 0.0), 1.0)
            wx, wy, wz = vx - t * ux, vy - t * uy, vz - t * uz
            d2 = wx * wx + wy * wy + wz * wz
            if d2 < best or (d2 == best and s < bs):
                best, bs, bt = d2, s, t
        best_seg[i] = bs
        best_t[i] = bt
    return best_seg, best_t


#: Queries of at most this many points, against at most :data:`_NUMPY_PAIRS` point-segment
#: pairs, are answered in numpy (:meth:`FastSegmentIndex._nearest_numpy`): below that,
#: loading the compiled kernels costs more than they save (issue 18).
_NUMPY_POINTS = 256
_NUMPY_PAIRS = 4_000_000
#: Fewest points per thread worth a thread of its own.
_MIN_POINTS_PER_THREAD = 10_000
#: Most threads one query may use (None: one per CPU; ``GEOSTRIKE_THREADS`` overrides;
#: the Dask engine sets 1 in its worker processes, which are the parallelism there).
MAX_THREADS: int | None = None


def _threads(n: int) -> int:
    """Threads to use for n points (at most the CPUs this process may run on)."""
    import os

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    from geostrike import settings

    env = settings.threads()
    if env is not None:
        cap = env
    else:
        cap = MAX_THREADS or cpus
        try:  # threads help while other work leaves a core free; else they fight for the GIL
            others = max(os.getloadavg()[0] - 1.0, 0.0)  # this process counts once
        except OSError:  # pragma: no cover
            others = 0.0
        if others >= cpus - 0.5:
            cap = 1
    return max(1, min(cpus, cap, n // _MIN_POINTS_PER_THREAD))


def threads_for(n: int) -> int:
    """Threads worth using for n claims (see :func:`_threads`)."""
    return _threads(n)


def _in_parts(work: Callable[[slice], None], n: int, parts: int) -> None:
    """Run ``work`` on ``parts`` consecutive slices of ``range(n)``, one thread each (the
    compiled kernels and pyproj release the GIL)."""
    if parts <= 1:
        work(slice(0, n))
        return
    from concurrent.futures import ThreadPoolExecutor

    edges = np.linspace(0, n, parts + 1).astype(int)
    with ThreadPoolExecutor(parts) as pool:
        list(pool.map(work, [slice(lo, hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]))


class FastSegmentIndex:
    """Nearest-boundary index over the boundaries of a set of polygons (lon/lat).

    Build it once per set of polygons and call :meth:`nearest` with whole arrays of points.
    Drop-in for :class:`geostrike.geodesy.SegmentIndex` (same ``nearest`` result).
    """

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a = np.asarray(a, dtype=float)
        self.b = np.asarray(b, dtype=float)
        start = ecef_km(self.a[:, 0], self.a[:, 1])
        direction = ecef_km(self.b[:, 0], self.b[:, 1]) - start
        length2 = np.einsum("ij,ij->i", direction, direction)
        with np.errstate(divide="ignore"):
            inv = np.where(length2 > 0, 1.0 / length2, 0.0)
        # the segment table (ECEF km): start, direction, 1/|direction|²
        self.table = (np.ascontiguousarray(start), np.ascontiguousarray(direction), inv)

    @classmethod
    def from_polygons(
        cls, geoms: ArrayLike, max_segment_deg: float = MAX_SEGMENT_DEG
    ) -> FastSegmentIndex | None:
        """Index the boundaries of ``geoms``; None when there is no boundary."""
        a, b = boundary_segments(geoms, max_segment_deg)
        if len(a) == 0:
            return None
        return cls(a, b)

    def __len__(self) -> int:
        return len(self.a)

    # ------------------------------------------------------------------ the query
    def nearest(self, lat: ArrayLike, lon: ArrayLike, threads: int | None = None) -> NearestResult:
        """Geodesic distance (km) from each point to the nearest boundary point, and that point.

        Points given as NaN get NaN. Containment is not tested: a point inside a polygon
        gets its distance to the boundary (callers set 0 for inside points).
        """

        def measure(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, ...]:
            parts = threads or _threads(len(lat))
            seg, t = self._nearest_segments(lon, lat, parts)
            a, b = self.a[seg], self.b[seg]
            qlon = a[:, 0] + t * (b[:, 0] - a[:, 0])
            qlat = a[:, 1] + t * (b[:, 1] - a[:, 1])
            d = np.empty(len(lat))

            def geodesic(part: slice) -> None:
                d[part] = GEOD.inv(lon[part], lat[part], qlon[part], qlat[part])[2]

            _in_parts(geodesic, len(lat), parts)
            return d / 1000.0, qlat, qlon

        return NearestResult.of_points(lat, lon, measure)

    def _nearest_segments(
        self, lon: np.ndarray, lat: np.ndarray, parts: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Index of the chord-nearest segment of each point and the parameter on it (the
        points measured in ``parts`` threads)."""
        n, m = len(lon), len(self.a)
        if n <= _NUMPY_POINTS and n * m <= _NUMPY_PAIRS:
            return self._nearest_numpy(lon, lat)
        x0, x1 = float(lon.min()), float(lon.max())
        y0, y1 = float(lat.min()), float(lat.max())
        pad_x = max((x1 - x0) * 1e-9, 1e-9)
        pad_y = max((y1 - y0) * 1e-9, 1e-9)
        x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y
        # root grid of roughly square cells (km); not more root pairs than ~2 million
        w_km = (x1 - x0) * math.cos(math.radians(min(abs(y0), abs(y1), 89.0))) + 1e-9
        h_km = (y1 - y0) + 1e-9
        n_root = int(max(1, min(256, n // 2000, 2_000_000 // max(m, 1))))
        rx = max(1, round(math.sqrt(n_root * w_km / h_km)))
        ry = max(1, round(n_root / rx))
        # depth: about two points per finest cell, never cells far below 100 m
        depth = 0
        while (
            depth < 14
            and rx * ry * 4 ** (depth + 1) <= n / PTS
            and (y1 - y0) / (ry * 2 ** (depth + 1)) > 1e-3
        ):
            depth += 1
        nx, ny = rx * 2**depth, ry * 2**depth
        ix = np.clip(((lon - x0) / (x1 - x0) * nx).astype(np.int64), 0, nx - 1)
        iy = np.clip(((lat - y0) / (y1 - y0) * ny).astype(np.int64), 0, ny - 1)

        box = (x0, x1, y0, y1)
        # occupied cells of every level, bottom-up (one hash pass over the points)
        finest, pcell = np.unique(ix * (ny + 1) + iy, return_inverse=True)
        pcell = pcell.ravel()
        levels = [(finest // (ny + 1), finest % (ny + 1))]
        for _ in range(depth):
            fx, fy = levels[-1]
            up = np.unique((fx >> 1) * (ny + 1) + (fy >> 1))
            levels.append((up // (ny + 1), up % (ny + 1)))
        levels.reverse()  # levels[l]: sorted (x, y) of level l's occupied cells
        # level 0: every root cell holding points starts from every segment
        cx, cy = levels[0]
        seg = np.arange(m, dtype=np.int64)
        starts = np.zeros(len(cx), dtype=np.int64)
        counts = np.full(len(cx), m, dtype=np.int64)
        seg, counts = _prune_level(
            *_cells(cx, cy, 0, rx, ry, box), seg, starts, counts, *self.table
        )
        for level in range(1, depth + 1):
            ccx, ccy = levels[level]
            parent = np.searchsorted(cx * (ny + 1) + cy, (ccx >> 1) * (ny + 1) + (ccy >> 1))
            starts = np.cumsum(counts) - counts
            seg, counts = _prune_level(
                *_cells(ccx, ccy, level, rx, ry, box),
                seg,
                starts[parent],
                counts[parent],
                *self.table,
            )
            cx, cy = ccx, ccy
        # the points themselves: measured against their cell's candidates
        cstart = np.concatenate([[0], np.cumsum(counts)])
        lon = np.ascontiguousarray(lon, dtype=float)
        lat = np.ascontiguousarray(lat, dtype=float)
        best_seg = np.empty(n, dtype=np.int64)
        best_t = np.empty(n)

        def measure(part: slice) -> None:
            best_seg[part], best_t[part] = _nearest_in_cells(
                lon[part], lat[part], pcell[part], cstart, seg, *self.table
            )

        _in_parts(measure, n, parts)
        return best_seg, best_t

    def _nearest_numpy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_nearest_segments` for a few points, in numpy: each point against every
        segment, with the compiled loop's arithmetic in the same order (the points'
        Earth-centred coordinates by :mod:`math`, as the loop computes them), ties to the
        lowest segment number; so the answers are the compiled ones, without loading numba."""
        start, direction, inv = self.table
        n = len(lon)
        best_seg = np.empty(n, dtype=np.int64)
        best_t = np.empty(n)
        for i in range(n):  # a few points only (_NUMPY_POINTS)
            lo, la = math.radians(float(lon[i])), math.radians(float(lat[i]))
            sl, cl = math.sin(la), math.cos(la)
            nu = WGS84_A_KM / math.sqrt(1.0 - WGS84_E2 * sl * sl)
            px, py, pz = nu * cl * math.cos(lo), nu * cl * math.sin(lo), nu * (1.0 - WGS84_E2) * sl
            vx, vy, vz = px - start[:, 0], py - start[:, 1], pz - start[:, 2]
            t = (vx * direction[:, 0] + vy * direction[:, 1] + vz * direction[:, 2]) * inv
            t = np.minimum(np.maximum(t, 0.0), 1.0)
            wx = vx - t * direction[:, 0]
            wy = vy - t * direction[:, 1]
            wz = vz - t * direction[:, 2]
            j = int(np.argmin(wx * wx + wy * wy + wz * wz))  # first of equal minima
            best_seg[i], best_t[i] = j, t[j]
        return best_seg, best_t


def _cells(
    cx: np.ndarray, cy: np.ndarray, level: int, rx: int, ry: int, box: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """ECEF centres (km) of the quadtree cells (cx, cy) of a level, and a radius (km) that
    bounds the chord distance from the centre to any point of the cell."""
    x0, x1, y0, y1 = box
    dx = (x1 - x0) / (rx * 2**level)
    dy = (y1 - y0) / (ry * 2**level)
    lon_c = x0 + (cx + 0.5) * dx
    lat_c = y0 + (cy + 0.5) * dy
    centre = ecef_km(lon_c, lat_c)
    # chord lengths do not change under rotation about the polar axis: the radius depends
    # on the cell's row only, so it is worked out once per row, at longitude 0
    rows, row_of = np.unique(cy, return_inverse=True)
    lat_r = y0 + (rows + 0.5) * dy
    zero = np.zeros(len(rows))
    middle = ecef_km(zero, lat_r)
    h = np.zeros(len(rows))
    for sx, sy in (
        (-0.5, -0.5),
        (-0.5, 0.5),
        (0.5, -0.5),
        (0.5, 0.5),  # corners
        (0.0, -0.5),
        (0.0, 0.5),
        (-0.5, 0.0),
        (0.5, 0.0),  # edge midpoints
    ):
        other = ecef_km(zero + sx * dx, lat_r + sy * dy)
        h = np.maximum(h, np.linalg.norm(other - middle, axis=1))
    # the patch bulges slightly beyond its corners and edge midpoints
    return centre, h[row_of.ravel()] * 1.02 + 1e-9


def nearest_index(
    geoms: ArrayLike, max_segment_deg: float = MAX_SEGMENT_DEG
) -> FastSegmentIndex | None:
    """Build a :class:`FastSegmentIndex` over the boundaries of ``geoms`` (None if empty)."""
    return FastSegmentIndex.from_polygons(geoms, max_segment_deg)


__all__ = ["FastSegmentIndex", "ecef_km", "nearest_index"]

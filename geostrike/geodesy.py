"""Geodesic measures on the WGS84 ellipsoid: point→polygon distance, nearest points, circles.

Every distance geostrike reports is geodesic, computed with pyproj's ``Geod`` (Karney's
geographiclib algorithms, accurate to round-off). Nothing here uses degrees × 111 km,
Web Mercator or UTM metres.

Convention: **polygon edges are straight lines in longitude/latitude**, as GeoJSON and every
GIS draw them (a zone boundary drawn between two vertices on a map is the straight line on
an equirectangular map, not the geodesic). Point-in-polygon tests use the same convention.
Edges are never assumed to cross the antimeridian.

How the distance from many points to many polygon edges is found without a loop over points
(:class:`SegmentIndex`):

1. The polygon boundaries are split into segments no longer than ``max_segment_deg`` (so
   that each lon/lat-straight segment is, to well under a metre, a straight line in a local
   frame) and put in one shapely ``STRtree``, in an ellipsoidal azimuthal equidistant frame
   centred on the boundaries. In that frame a distance measured from the centre is exact and
   any other is stretched by the tangential scale ``s(ρ) = ρ / m(ρ) ≥ 1`` (ρ: distance from
   the centre; m: reduced length), so frame distances bound true distances from both sides.
2. Each point's nearest segment in the frame gives an upper bound of the true distance; every
   segment whose frame distance is within the scale ratio of that bound is a candidate
   (``STRtree.query(..., predicate="dwithin")`` with a per-point radius).
3. For each candidate pair, the frame projection parameter ``t`` picks the point on the
   lon/lat segment. Candidates are ranked by the straight (ECEF) chord to that point, a
   monotone function of geodesic length to ~1e-5 relative at 1,000 km; ``Geod.inv`` is run
   only on those within 5e-5 of the best, and the minimum per point is kept. The result is an
   actual point on the boundary, so the reported distance is never below the truth, and it
   agrees with a dense geographiclib reference to well under 1 m (tests/test_geodesy.py).

:class:`SegmentIndex` is the reference implementation: simple and exact, but its candidate
sets grow for points far from the frame centre. :mod:`geostrike.engine.check` uses the faster
index of :mod:`geostrike.engine.measure` (issue 8) when present; both are tested against the same
reference and against each other.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike

#: The WGS84 ellipsoid (geographiclib through PROJ).
GEOD = pyproj.Geod(ellps="WGS84")
#: Kilometres in one international mile.
KM_PER_MILE = 1.609344
#: Mean Earth radius in km (only used to bound the frame's scale, never for a result).
_R_KM = 6371.0088
#: Longest boundary segment, in degrees, kept in the index (longer edges are split).
MAX_SEGMENT_DEG = 0.02


def km_mi(km: ArrayLike) -> ArrayLike:
    """Miles from kilometres (international mile, 1.609344 km)."""
    return np.asarray(km, dtype=float) / KM_PER_MILE if np.ndim(km) else float(km) / KM_PER_MILE


def round_km(value: float) -> str:
    """A distance as text: one decimal below 10, else a whole number ("3.2", "64")."""
    if value is None or not np.isfinite(value):
        return "?"
    if abs(value) < 9.95:
        return f"{value:.1f}"
    return f"{value:.0f}"


def format_km(km: float) -> str:
    """A distance as a journalist would quote it: ``"64 km (40 mi)"``."""
    return f"{round_km(km)} km ({round_km(float(km) / KM_PER_MILE)} mi)"


def format_km_array(km: ArrayLike) -> np.ndarray:
    """Vectorised :func:`format_km` for an array of distances (object array of str)."""
    km = np.asarray(km, dtype=float)
    out = np.empty(km.shape, dtype=object)
    if km.size == 0:
        return out
    mi = km / KM_PER_MILE

    def _txt(v: np.ndarray) -> np.ndarray:
        small = np.abs(v) < 9.95
        one = np.char.mod("%.1f", np.where(small, v, 0.0))
        whole = np.char.mod("%.0f", np.where(small, 0.0, v))
        return np.where(small, one, whole).astype(object)

    out[:] = _txt(km) + " km (" + _txt(mi) + " mi)"
    return out


def geodesic_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:
    """Geodesic distance in km between arrays of points (NaN where any input is NaN)."""
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (lat1, lon1, lat2, lon2))
    )
    out = np.full(lat1.shape, np.nan)
    ok = np.isfinite(lat1) & np.isfinite(lon1) & np.isfinite(lat2) & np.isfinite(lon2)
    if ok.any():
        _, _, d = GEOD.inv(lon1[ok], lat1[ok], lon2[ok], lat2[ok])
        out[ok] = np.asarray(d) / 1000.0
    return out


def geodesic_circle(lat: float, lon: float, radius_km: float, n: int = 72) -> shapely.Polygon:
    """Polygon approximating the geodesic circle of ``radius_km`` around a point."""
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_km * 1000.0))
    return shapely.Polygon(np.column_stack([lons, lats]))


#: WGS84 semi-major axis (km) and first eccentricity squared (for ECEF coordinates).
WGS84_A_KM = 6378.137
WGS84_E2 = (1.0 / 298.257223563) * (2.0 - 1.0 / 298.257223563)


def ecef_km(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """Earth-centred, Earth-fixed coordinates (km) of points on the WGS84 ellipsoid, (n, 3)."""
    lo = np.radians(np.asarray(lon, dtype=float))
    la = np.radians(np.asarray(lat, dtype=float))
    s, c = np.sin(la), np.cos(la)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * s * s)
    return np.stack([n * c * np.cos(lo), n * c * np.sin(lo), n * (1.0 - WGS84_E2) * s], axis=-1)


def _tangential_scale(rho_km: np.ndarray) -> np.ndarray:
    """Upper bound of the azimuthal equidistant frame's scale at distance ρ from its centre."""
    x = np.clip(np.asarray(rho_km, dtype=float) / _R_KM, 0.0, 3.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(x < 1e-6, 1.0, x / np.sin(x))
    # ellipsoidal reduced length differs from the sphere's by O(f); widen by 0.5% of (s-1)
    # and a constant 1e-6 so that the bound always holds.
    return s * (1.0 + 0.005 * (s - 1.0)) + 1e-6


def boundary_segments(
    geoms: ArrayLike, max_segment_deg: float = MAX_SEGMENT_DEG
) -> tuple[np.ndarray, np.ndarray]:
    """Segments of the boundaries of polygons, as two (n, 2) arrays of lon/lat start/end.

    Edges longer than ``max_segment_deg`` are split (straight in lon/lat, so the boundary
    is unchanged).
    """
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if geoms.size == 0:
        return np.empty((0, 2)), np.empty((0, 2))
    rings = shapely.boundary(shapely.segmentize(geoms, max_segment_deg))
    parts = shapely.get_parts(rings)
    coords, index = shapely.get_coordinates(parts, return_index=True)
    same = index[1:] == index[:-1]
    a = coords[:-1][same]
    b = coords[1:][same]
    keep = np.any(a != b, axis=1)
    return a[keep], b[keep]


@dataclass
class NearestResult:
    """Distances from points to the nearest boundary point, with that point."""

    distance_km: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray

    @classmethod
    def of_points(
        cls,
        lat: ArrayLike,
        lon: ArrayLike,
        measure: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    ) -> NearestResult:
        """``measure(lat, lon) -> (km, latitude, longitude)`` run on the points given with
        finite coordinates; NaN for the others (the shared front of every index's query)."""
        lat = np.asarray(lat, dtype=float).ravel()
        lon = np.asarray(lon, dtype=float).ravel()
        out = [np.full(len(lat), np.nan) for _ in range(3)]
        ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
        if len(ok):
            for column, values in zip(out, measure(lat[ok], lon[ok]), strict=True):
                column[ok] = values
        return cls(*out)


@dataclass
class SegmentIndex:
    """A spatial index over the boundary segments of a set of polygons.

    Build it once per set of polygons (e.g. per target actor and date window) and call
    :meth:`nearest` with whole arrays of points.
    """

    a: np.ndarray  # (n, 2) lon/lat of segment starts
    b: np.ndarray  # (n, 2) lon/lat of segment ends
    lon0: float
    lat0: float
    _to_frame: pyproj.Transformer = field(repr=False)
    fa: np.ndarray = field(repr=False)  # frame coordinates of starts (km)
    fb: np.ndarray = field(repr=False)
    tree: shapely.STRtree = field(repr=False)

    @classmethod
    def from_polygons(
        cls, geoms: ArrayLike, max_segment_deg: float = MAX_SEGMENT_DEG
    ) -> SegmentIndex | None:
        """Index the boundaries of ``geoms`` (lon/lat); None when there is no boundary."""
        a, b = boundary_segments(geoms, max_segment_deg)
        if len(a) == 0:
            return None
        lon_min, lat_min = np.minimum(a.min(axis=0), b.min(axis=0))
        lon_max, lat_max = np.maximum(a.max(axis=0), b.max(axis=0))
        lon0 = float((lon_min + lon_max) / 2.0)
        lat0 = float((lat_min + lat_max) / 2.0)
        to_frame = _frame(lon0, lat0)
        fa = np.column_stack(to_frame.transform(a[:, 0], a[:, 1]))
        fb = np.column_stack(to_frame.transform(b[:, 0], b[:, 1]))
        lines = shapely.linestrings(np.stack([fa, fb], axis=1))
        return cls(a, b, lon0, lat0, to_frame, fa, fb, shapely.STRtree(lines))

    def __len__(self) -> int:
        return len(self.a)

    def nearest(self, lat: ArrayLike, lon: ArrayLike) -> NearestResult:
        """Geodesic distance (km) from each point to the nearest boundary point, and that point.

        Points given as NaN get NaN. Containment is not tested here: a point inside a
        polygon gets its distance to the boundary (callers set 0 for inside points).
        """
        return NearestResult.of_points(lat, lon, self._nearest)

    def _nearest(
        self, lat: np.ndarray, lon: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`nearest` for points with finite coordinates: (km, latitude, longitude)."""
        n = len(lat)
        dist, nlat, nlon = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        px, py = self._to_frame.transform(lon, lat)
        px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
        pts = shapely.points(px, py)
        # 1. nearest segment in the frame: an upper bound f0 of the frame distance
        _, f0 = self.tree.query_nearest(pts, return_distance=True, all_matches=False)
        f0 = np.asarray(f0, dtype=float)
        # 2. every segment whose true distance could be below the nearest one's
        rho = np.hypot(px, py)
        reach = 1.5 * f0 + 1.0
        ratio = _tangential_scale((rho + reach) / 1000.0) / _tangential_scale(
            np.maximum(rho - reach, 0.0) / 1000.0
        )
        radius = f0 * ratio * (1.0 + 1e-9) + 1.0  # +1 m: lon/lat vs frame straightness
        pi, si = self.tree.query(pts, predicate="dwithin", distance=radius)
        # 3. the best point of each candidate segment, ranked by ECEF chord length (a
        #    monotone function of geodesic length to ~1e-5 relative at 1,000 km); exact
        #    geodesic distances only for the candidates that could still be the nearest
        qlon, qlat = self._foot_points(px[pi], py[pi], si)
        chord = np.linalg.norm(ecef_km(qlon, qlat) - ecef_km(lon[pi], lat[pi]), axis=1)
        best = np.full(n, np.inf)
        np.minimum.at(best, pi, chord)
        keep = chord <= best[pi] * (1.0 + 5e-5) + 1e-6
        pi, qlon, qlat = pi[keep], qlon[keep], qlat[keep]
        _, _, d = GEOD.inv(lon[pi], lat[pi], qlon, qlat)
        d = np.asarray(d, dtype=float)
        order = np.lexsort((d, pi))
        pi, d, qlon, qlat = pi[order], d[order], qlon[order], qlat[order]
        first = np.ones(len(pi), dtype=bool)
        first[1:] = pi[1:] != pi[:-1]
        sel = pi[first]
        dist[sel] = d[first] / 1000.0
        nlat[sel] = qlat[first]
        nlon[sel] = qlon[first]
        return dist, nlat, nlon

    def _foot_points(
        self, px: np.ndarray, py: np.ndarray, si: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Point of each segment nearest to each point (frame projection → lon/lat)."""
        fa, fb = self.fa[si], self.fb[si]
        ab = fb - fa
        ap = np.column_stack([px, py]) - fa
        den = np.einsum("ij,ij->i", ab, ab)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(den > 0, np.einsum("ij,ij->i", ap, ab) / den, 0.0)
        t = np.clip(t, 0.0, 1.0)
        a, b = self.a[si], self.b[si]
        q = a + t[:, None] * (b - a)
        return q[:, 0], q[:, 1]


def _frame(lon0: float, lat0: float) -> pyproj.Transformer:
    """Ellipsoidal azimuthal equidistant frame (metres) centred at (lon0, lat0)."""
    crs = pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat0:.10f} +lon_0={lon0:.10f} +ellps=WGS84 +units=m +no_defs"
    )
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def local_frame(lon0: float, lat0: float) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    """Forward and inverse transformers of the azimuthal equidistant frame at a point (metres).

    Used to build Voronoi cells in a planar frame where distances from the centre are exact.
    """
    fwd = _frame(lon0, lat0)
    inv = pyproj.Transformer.from_crs(fwd.target_crs, "EPSG:4326", always_xy=True)
    return fwd, inv


def distance_to_polygons(
    lat: ArrayLike, lon: ArrayLike, geoms: ArrayLike, *, index: SegmentIndex | None = None
) -> NearestResult:
    """Geodesic distance (km) from points to the nearest of several polygons (0 inside).

    Parameters
    ----------
    lat, lon
        Point coordinates in degrees (WGS84).
    geoms
        Polygons/MultiPolygons in lon/lat; edges are straight in lon/lat.
    index
        A prebuilt :class:`SegmentIndex` of the same polygons (optional).
    """
    lat = np.asarray(lat, dtype=float).ravel()
    lon = np.asarray(lon, dtype=float).ravel()
    geoms = np.asarray(geoms, dtype=object).ravel()
    inside = np.zeros(len(lat), dtype=bool)
    finite = np.isfinite(lat) & np.isfinite(lon)
    for g in geoms:
        if g is None or shapely.is_empty(g):
            continue
        shapely.prepare(g)
        inside[finite] |= shapely.intersects_xy(g, lon[finite], lat[finite])
    index = index if index is not None else SegmentIndex.from_polygons(geoms)
    out = NearestResult(
        np.full(len(lat), np.nan), np.full(len(lat), np.nan), np.full(len(lat), np.nan)
    )
    if index is None:
        return out
    todo = finite & ~inside
    if todo.any():
        res = index.nearest(lat[todo], lon[todo])
        out.distance_km[todo] = res.distance_km
        out.latitude[todo] = res.latitude
        out.longitude[todo] = res.longitude
    out.distance_km[inside] = 0.0
    out.latitude[inside] = lat[inside]
    out.longitude[inside] = lon[inside]
    return out


def reference_distance_km(
    lat: float, lon: float, geom: shapely.Geometry, samples_per_deg: int = 4000
) -> float:
    """Brute-force geodesic distance from one point to a polygon's boundary (for tests).

    Samples every lon/lat-straight edge densely and takes the minimum ``Geod.inv`` distance,
    then refines around the best sample. Slow; a reference, not for production use.
    """
    parts = shapely.get_parts(shapely.boundary(geom))
    best = math.inf
    for ring in parts:
        c = shapely.get_coordinates(ring)
        for (x0, y0), (x1, y1) in zip(c[:-1], c[1:], strict=True):
            length = math.hypot(x1 - x0, y1 - y0)
            n = max(2, int(length * samples_per_deg) + 2)
            t = np.linspace(0.0, 1.0, n)
            xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            _, _, d = GEOD.inv(np.full(n, lon), np.full(n, lat), xs, ys)
            k = int(np.argmin(d))
            lo, hi = t[max(k - 1, 0)], t[min(k + 1, n - 1)]
            tt = np.linspace(lo, hi, 201)
            _, _, dd = GEOD.inv(
                np.full(201, lon), np.full(201, lat), x0 + tt * (x1 - x0), y0 + tt * (y1 - y0)
            )
            best = min(best, float(np.min(dd)))
    return best / 1000.0

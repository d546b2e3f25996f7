"""Geodesic distances against a brute-force geographiclib reference (pyproj Geod)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geostrike.geodesy import (
    GEOD,
    KM_PER_MILE,
    SegmentIndex,
    boundary_segments,
    distance_to_polygons,
    format_km,
    format_km_array,
    geodesic_circle,
    geodesic_km,
    km_mi,
    reference_distance_km,
    round_km,
)


def _random_polygon(
    rng: np.random.Generator, cx: float, cy: float, size: float
) -> shapely.Geometry:
    """A random star-shaped polygon (long edges, up to several degrees) around (cx, cy)."""
    n = int(rng.integers(3, 14))
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = rng.uniform(0.2, 1.0, n) * size
    squeeze = max(np.cos(np.radians(cy)), 0.25)
    ring = np.column_stack([cx + r * np.cos(ang) / squeeze, cy + r * np.sin(ang)])
    return shapely.make_valid(shapely.Polygon(ring))


def _assert_close(got: float, ref: float) -> None:
    """Within 0.01 % or 1 m of the reference (the issue's target)."""
    err = abs(got - ref)
    assert err <= max(1e-3, 1e-4 * ref), (got, ref, err)


def test_km_mi_and_rounding():
    assert km_mi(1.609344) == pytest.approx(1.0)
    assert np.allclose(km_mi(np.array([0.0, 16.09344])), [0.0, 10.0])
    assert round_km(3.24) == "3.2"
    assert round_km(9.96) == "10"
    assert round_km(64.4) == "64"
    assert format_km(64.0) == "64 km (40 mi)"
    assert format_km(3.2) == "3.2 km (2.0 mi)"
    values = np.array([0.0, 0.04, 3.25, 9.949, 9.95, 10.5, 1234.6])
    assert list(format_km_array(values)) == [format_km(v) for v in values]


@given(st.floats(min_value=0, max_value=20000, allow_nan=False))
def test_format_km_array_matches_scalar(km):
    assert format_km_array(np.array([km]))[0] == format_km(km)


def test_geodesic_km_matches_geod_and_handles_nan():
    lat1, lon1, lat2, lon2 = 34.84, 36.73, 35.95, 39.01
    _, _, d = GEOD.inv(lon1, lat1, lon2, lat2)
    out = geodesic_km([lat1, np.nan], [lon1, 0.0], [lat2, 1.0], [lon2, 1.0])
    assert out[0] == pytest.approx(d / 1000.0, rel=1e-12)
    assert np.isnan(out[1])
    # degrees x 111 km is far off at this latitude: the function is not planar
    planar = np.hypot(lat2 - lat1, lon2 - lon1) * 111.32
    assert abs(planar - out[0]) / out[0] > 0.05


@pytest.mark.parametrize("seed", range(6))
def test_distance_to_random_polygons_matches_geographiclib(seed):
    rng = np.random.default_rng(seed)
    cx, cy = rng.uniform(-170, 170), rng.uniform(-65, 65)
    polys = [
        _random_polygon(rng, cx + dx, cy + dy, rng.uniform(0.3, 4.0)) for dx, dy in ((0, 0), (5, 2))
    ]
    # points from inside the polygons out to about 1,000 km away
    m = 25
    az = rng.uniform(0, 360, m)
    dist = rng.uniform(0, 1_000_000, m)
    lon, lat, _ = GEOD.fwd(np.full(m, cx), np.full(m, cy), az, dist)
    res = distance_to_polygons(lat, lon, polys)
    for i in range(m):
        pt = shapely.Point(lon[i], lat[i])
        if any(p.intersects(pt) for p in polys):
            assert res.distance_km[i] == 0.0
            continue
        ref = min(reference_distance_km(lat[i], lon[i], p) for p in polys)
        _assert_close(res.distance_km[i], ref)
        # the nearest point is on a boundary and at the reported geodesic distance
        _, _, d = GEOD.inv(lon[i], lat[i], res.longitude[i], res.latitude[i])
        assert d / 1000.0 == pytest.approx(res.distance_km[i], abs=1e-6)
        q = shapely.Point(res.longitude[i], res.latitude[i])
        assert min(shapely.distance(shapely.boundary(p), q) for p in polys) < 1e-7


@settings(max_examples=25, deadline=None)
@given(
    lat=st.floats(min_value=-60, max_value=60),
    lon=st.floats(min_value=-170, max_value=170),
    bearing=st.floats(min_value=0, max_value=360),
    km=st.floats(min_value=0.01, max_value=1000),
)
def test_distance_to_a_long_edged_rectangle_property(lat, lon, bearing, km):
    # a rectangle with 3-degree edges: the lon/lat-straight convention matters here
    poly = shapely.box(lon, lat, lon + 3.0, lat + 2.0)
    plon, plat, _ = GEOD.fwd(lon, lat, bearing, km * 1000.0)
    res = distance_to_polygons([plat], [plon], [poly])
    if poly.intersects(shapely.Point(plon, plat)):
        assert res.distance_km[0] == 0.0
    else:
        _assert_close(res.distance_km[0], reference_distance_km(plat, plon, poly))


def test_polygon_with_hole_and_multipolygon():
    outer = shapely.Polygon(
        [(35, 33), (40, 33), (40, 37), (35, 37)], holes=[[(36, 34), (39, 34), (39, 36), (36, 36)]]
    )
    multi = shapely.MultiPolygon([outer, shapely.box(41, 33, 42, 34)])
    lat = np.array([35.0, 35.0, 33.5, 30.0])
    lon = np.array([37.5, 36.2, 39.5, 38.0])
    res = distance_to_polygons(lat, lon, [multi])
    assert res.distance_km[2] == 0.0  # inside the outer ring
    for i in (0, 1, 3):  # in the hole, in the hole near its edge, outside
        _assert_close(res.distance_km[i], reference_distance_km(lat[i], lon[i], multi))
    assert res.distance_km[0] > 50  # the middle of the hole is far from any held ground


def test_segment_index_reused_and_nan_points():
    poly = shapely.box(36, 34, 37, 35)
    idx = SegmentIndex.from_polygons([poly])
    assert idx is not None and len(idx) >= 4
    res = idx.nearest([33.0, np.nan], [36.5, 36.5])
    assert np.isnan(res.distance_km[1])
    _assert_close(res.distance_km[0], reference_distance_km(33.0, 36.5, poly))
    assert SegmentIndex.from_polygons([shapely.Polygon()]) is None
    assert SegmentIndex.from_polygons([]) is None


def test_boundary_segments_split_long_edges_without_moving_them():
    a, b = boundary_segments([shapely.box(0, 0, 1, 1)], max_segment_deg=0.1)
    assert len(a) == 40
    assert np.all(np.hypot(*(b - a).T) <= 0.1 + 1e-12)


def test_geodesic_circle_radius():
    circle = geodesic_circle(35.0, 38.0, 50.0, n=36)
    xy = shapely.get_coordinates(circle)[:-1]
    _, _, d = GEOD.inv(np.full(len(xy), 38.0), np.full(len(xy), 35.0), xy[:, 0], xy[:, 1])
    assert np.allclose(d, 50_000.0, rtol=1e-9)
    assert KM_PER_MILE == 1.609344


def test_one_km_format_everywhere() -> None:
    """9.96 km prints the same in a reason, the terminal table and the demo's table."""
    from geostrike import demo
    from geostrike.geodesy import format_km
    from geostrike.render.table import format_km_text as _fmt_km
    from geostrike.render.table import round_km_text

    assert demo.format_km_text is _fmt_km  # the demo's table uses the one formatter

    for km in (0.04, 3.25, 9.94, 9.96, 12.5, 64.0):
        assert _fmt_km(km) == format_km(km)
        assert format_km(km).startswith(round_km_text(km) + " km")
    assert format_km(9.96) == "10 km (6.2 mi)"
    assert _fmt_km(float("nan")) == "" and _fmt_km(None) == ""

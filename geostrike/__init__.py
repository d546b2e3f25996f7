"""geostrike: check air-strike claims on a map.

Place names are geocoded against a local GeoNames gazetteer (offline), each strike is
joined to the control zones valid on its date, the geodesic distance to the claimed
target's territory is measured, and a verdict with a quotable reason is given. Results
render as Leaflet maps, styled GeoPackages for QGIS and CSV.

The public API is imported lazily so that ``geostrike geocode`` starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "geocode": "geostrike.places.geocoder",
    "geocode_frame": "geostrike.places.geocoder",
    "read_claims": "geostrike.inputs.claims",
    "read_zones": "geostrike.inputs.zones",
    "zones_from_points": "geostrike.inputs.zones",
    "check": "geostrike.engine.check",
    "render_map": "geostrike.render.maps",
    "export_gpkg": "geostrike.render.qgis",
    "extract": "geostrike.text.claims",
    "load_actors": "geostrike.inputs.actors",
    "save_map": "geostrike.render.maps",
}

__all__ = [
    "__version__",
    "check",
    "export_gpkg",
    "extract",
    "geocode",
    "geocode_frame",
    "load_actors",
    "read_claims",
    "read_zones",
    "render_map",
    "save_map",
    "zones_from_points",
]

if TYPE_CHECKING:  # pragma: no cover
    from geostrike.engine.check import check
    from geostrike.inputs.actors import load_actors
    from geostrike.inputs.claims import read_claims
    from geostrike.inputs.zones import read_zones, zones_from_points
    from geostrike.places.geocoder import geocode, geocode_frame
    from geostrike.render.maps import render_map, save_map
    from geostrike.render.qgis import export_gpkg
    from geostrike.text.claims import extract


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'geostrike' has no attribute {name!r}")

"""Time the QGIS export on synthetic results of a given size and print the figures.

Usage: ``.venv/bin/python scripts/bench_qgis.py [N_CLAIMS] [N_ZONES]`` (defaults 10000, 500).
Results and zones are random but shaped like ``geostrike.engine.check``'s output and
``read_zones``' zones over Syria; no network, no gazetteer needed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geostrike.render import qgis, style


def synthetic(n: int, n_zones: int, seed: int = 1) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    lat = rng.uniform(32.5, 37.0, n)
    lon = rng.uniform(35.8, 42.0, n)
    located = rng.random(n) > 0.05
    lat[~located] = np.nan
    lon[~located] = np.nan
    actors = ["government", "opposition", "islamic_state", "kurdish", "al_nusra;opposition"]
    dates = pd.date_range("2015-09-30", periods=60).strftime("%Y-%m-%d").to_numpy()
    dist = np.where(rng.random(n) > 0.3, rng.uniform(0, 150, n), 0.0)
    df = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "status": np.where(located, "ok", "unresolved"),
            "verdict": rng.choice(style.VERDICTS, n),
            "reason": "synthetic",
            "latitude": lat,
            "longitude": lon,
            "location_source": "given",
            "location_name": "somewhere",
            "precision_km": rng.choice([1.0, 5.0, 50.0], n),
            "controller": rng.choice(actors, n),
            "target": "islamic_state",
            "distance_to_target_km": np.where(located, dist, np.nan),
            "nearest_target_latitude": lat + dist / 111.0,
            "nearest_target_longitude": lon,
            "distance_to_stated_place_km": np.nan,
            "stated_place_latitude": np.nan,
            "stated_place_longitude": np.nan,
            "date": rng.choice(dates, n),
        }
    )
    geom = np.where(located, shapely.points(lon, lat), shapely.Point())
    results = gpd.GeoDataFrame(df, geometry=geom, crs=4326)
    cx, cy = rng.uniform(35.8, 42.0, n_zones), rng.uniform(32.5, 37.0, n_zones)
    zones = gpd.GeoDataFrame(
        {
            "zone_id": [f"z{i}" for i in range(n_zones)],
            "controller": rng.choice(actors, n_zones),
            "valid_from": pd.Timestamp("2015-09-01"),
            "valid_to": pd.NaT,
            "source": "synthetic",
        },
        geometry=shapely.buffer(shapely.points(cx, cy), 0.2, quad_segs=16),
        crs=4326,
    )
    return results, zones


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    n_zones = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    results, zones = synthetic(n, n_zones)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        layers = qgis.build_layers(results, zones)
        t1 = time.perf_counter()
        out = qgis.export_gpkg(results, zones, Path(tmp) / "bench.gpkg")
        t2 = time.perf_counter()
        size = out.stat().st_size
    counts = ", ".join(f"{k}={len(v)}" for k, v in layers.items())
    print(f"claims={n} zones={n_zones}: {counts}")
    print(f"build_layers {t1 - t0:.2f} s; export_gpkg (build + write + styles) {t2 - t1:.2f} s;")
    print(f"GeoPackage {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark a long daily control-map archive: conversion, then 1,000,000 claims checked.

The case is synthetic and deterministic (seeded), built in a temporary folder: an
"occupied territory" layer in eastern Ukraine drawn as one polygon of about 3,000 vertices
whose front line moves a little on most days (on about a third of the days it does not
move, as in real archives), written as one GeoJSON file per day named
``occupied_YYYY-MM-DD.geojson`` with no properties; and N claims (default 1,000,000) with
given coordinates spread over the layer's surroundings and uniformly over the archive's
days, each claiming Russia as the target.

Timed, each in its own child process so that its peak memory (``VmHWM``) is its own:

(a) ``zones_from_snapshots(folder, controller="russia", rest="ukraine", within="UA")``:
    the files to one zones table (one geometry per window, the rest of Ukraine added);
(b) ``geostrike.check(claims, zones)``: controller, distance to the target's ground,
    verdict and reason for every claim;
(c) the idiomatic geopandas way for the controller only: for each day, select the zones
    valid that day and ``geopandas.sjoin(claims_of_that_day, zones, predicate="within")``.

(b) does more work than (c) (distances, verdicts, sentences); the script checks that the
controllers of (b) and (c) agree on every claim.

Usage::

    .venv/bin/python scripts/bench_archive.py [--days 700] [--vertices 3000]
        [--rows 1000000] [--seed 15] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

START = date(2023, 1, 1)
CENTRE = (37.8, 47.9)  # lon, lat: Donetsk oblast


def _peak_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build_archive(folder: Path, days: int, vertices: int, seed: int) -> int:
    """Write one GeoJSON per day; returns the number of distinct geometries."""
    rng = np.random.default_rng(seed)
    theta = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    # a lumpy outline ~250 km across, the "front" on its western side
    base = 1.6 + 0.25 * np.sin(3 * theta) + 0.1 * np.sin(17 * theta + 1.0)
    radius = base.copy()
    west = np.cos(theta) < -0.2
    distinct = 0
    for k in range(days):
        if k == 0 or rng.random() > 1 / 3:  # the front moves on two days in three
            step = rng.normal(0.0, 0.004, vertices) * west
            radius = np.clip(radius + np.convolve(step, np.ones(25) / 25, mode="same"), 0.8, 2.4)
            distinct += 1
        x = CENTRE[0] + radius * np.cos(theta) * 1.2
        y = CENTRE[1] + radius * np.sin(theta) * 0.8
        ring = np.round(np.column_stack([x, y]), 6).tolist()
        ring.append(ring[0])
        geom = {"type": "MultiPolygon", "coordinates": [[ring]]}
        doc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": geom}]}  # fmt: skip
        d = START + timedelta(days=k)
        (folder / f"occupied_{d:%Y-%m-%d}.geojson").write_text(json.dumps(doc))
    return distinct


def build_claims(path: Path, rows: int, days: int, seed: int) -> None:
    import pandas as pd

    rng = np.random.default_rng(seed + 1)
    day = rng.integers(0, days, rows)
    dates = (np.datetime64(START, "D") + day).astype(str)
    pd.DataFrame(
        {
            "id": np.arange(rows).astype(str),
            "date": dates,
            "latitude": rng.uniform(CENTRE[1] - 3.0, CENTRE[1] + 3.0, rows).round(5),
            "longitude": rng.uniform(CENTRE[0] - 4.5, CENTRE[0] + 4.5, rows).round(5),
            "claimed_target": "russia",
        }
    ).to_parquet(path)


# ----------------------------------------------------------------------------- children
def child(method: str, work: Path) -> None:
    import warnings

    import geopandas as gpd
    import pandas as pd

    warnings.simplefilter("ignore")
    out: dict = {"method": method}
    if method == "convert":
        from geostrike.inputs.snapshots import ArchiveReport, zones_from_snapshots
        from geostrike.inputs.zones import write_zones

        rep = ArchiveReport()
        t, c = time.perf_counter(), time.process_time()
        z = zones_from_snapshots(
            work / "archive", controller="russia", rest="ukraine", within="UA", report=rep
        )
        out["seconds"], out["cpu"] = time.perf_counter() - t, time.process_time() - c
        write_zones(z, work / "zones.gpkg")
        out.update(windows=len(z), snapshots=rep.snapshots, gpkg_mb=(
            work / "zones.gpkg").stat().st_size / 1e6)  # fmt: skip
    elif method == "check":
        import geostrike
        from geostrike.inputs.zones import read_zones

        zones = read_zones(work / "zones.gpkg")
        claims = pd.read_parquet(work / "claims.parquet")
        t, c = time.perf_counter(), time.process_time()
        res = geostrike.check(claims, zones)
        out["seconds"], out["cpu"] = time.perf_counter() - t, time.process_time() - c
        out["rows"] = len(res)
        pd.DataFrame({"controller": res["controller"].fillna("").astype(str)}).to_parquet(
            work / "geostrike.parquet"
        )
        out["verdicts"] = res["verdict"].value_counts().to_dict()
    else:  # baseline: per day, select the snapshot, then sjoin
        from geostrike.inputs.zones import read_zones

        zones = read_zones(work / "zones.gpkg")
        claims = pd.read_parquet(work / "claims.parquet")
        t, c = time.perf_counter(), time.process_time()
        pts = gpd.GeoDataFrame(
            claims, geometry=gpd.points_from_xy(claims.longitude, claims.latitude), crs=4326
        )
        pts["day"] = pd.to_datetime(pts["date"])
        ctrl = pd.Series("", index=pts.index, dtype=object)
        for day, grp in pts.groupby("day"):
            on = zones[
                (zones.valid_from.isna() | (zones.valid_from <= day))
                & (zones.valid_to.isna() | (zones.valid_to >= day))
            ]
            j = gpd.sjoin(grp[["geometry"]], on[["controller", "geometry"]], predicate="within")
            j = j.groupby(level=0)["controller"].agg(lambda s: ";".join(sorted(set(s))))
            ctrl.loc[j.index] = j
        out["seconds"], out["cpu"] = time.perf_counter() - t, time.process_time() - c
        pd.DataFrame({"controller": ctrl.to_numpy()}).to_parquet(work / "baseline.parquet")
    out["peak_mb"] = _peak_mb()
    print(json.dumps(out))


def _run(method: str, work: Path) -> dict:
    r = subprocess.run(
        [sys.executable, __file__, "--child", method, "--work", str(work)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=700)
    ap.add_argument("--vertices", type=int, default=3000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--child", default=None)
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    if a.child:
        child(a.child, Path(a.work))
        return
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        work = Path(tmp)
        (work / "archive").mkdir()
        t = time.perf_counter()
        distinct = build_archive(work / "archive", a.days, a.vertices, a.seed)
        build_claims(work / "claims.parquet", a.rows, a.days, a.seed)
        size = sum(f.stat().st_size for f in (work / "archive").iterdir()) / 1e6
        print(
            f"case: {a.days} daily snapshots of {a.vertices:,} vertices ({distinct} distinct,"
            f" {size:,.0f} MB of GeoJSON), {a.rows:,} claims (built in"
            f" {time.perf_counter() - t:.1f} s)"
        )
        load = os.getloadavg()[0]
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}, load average {load:.1f}")  # fmt: skip
        conv = _run("convert", work)
        print(
            f"   convert: {conv['seconds']:7.2f} s (CPU {conv['cpu']:.2f} s)  {conv['snapshots']} snapshots -> "
            f"{conv['windows']} windows (russia + rest of Ukraine); GeoPackage "
            f"{conv['gpkg_mb']:.1f} MB; peak {conv['peak_mb']:,.0f} MB"
        )
        chk = _run("check", work)
        print(
            f" geostrike: {chk['seconds']:7.2f} s (CPU {chk['cpu']:.2f} s)"
            f"  {a.rows / chk['seconds']:>10,.0f} claims/s"
            f"  peak {chk['peak_mb']:,.0f} MB  (controller, distance, verdict, reason)"
        )
        if not a.skip_baseline:
            import pandas as pd

            base = _run("baseline", work)
            print(
                f"  baseline: {base['seconds']:7.2f} s (CPU {base['cpu']:.2f} s)"
                f"  {a.rows / base['seconds']:>10,.0f}"
                f" claims/s  peak {base['peak_mb']:,.0f} MB  (controller only: per day,"
                " select the snapshot, then sjoin)"
            )
            print(
                f"     ratio: {base['seconds'] / chk['seconds']:.1f}x wall-clock,"
                f" {base['cpu'] / chk['cpu']:.1f}x CPU time"
            )
            g = pd.read_parquet(work / "geostrike.parquet")["controller"]
            b = pd.read_parquet(work / "baseline.parquet")["controller"]
            agree = float((g.to_numpy() == b.to_numpy()).mean())
            print(f"controller agreement: {agree:.4%}")
        print(f"verdicts: {chk['verdicts']}")


if __name__ == "__main__":
    main()

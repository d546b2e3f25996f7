"""Hand-built check results and zones for the map tests (shared by the unit and browser tests).

Results carry exactly the check output columns (geostrike.engine.check's OUTPUT_COLUMNS plus the
input's own columns). Distances are measured here with pyproj's Geod so the numbers are
real, but the map does not recompute them: it draws what the results say.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod
from shapely.geometry import Point, box

from geostrike.engine.check import OUTPUT_COLUMNS as CHECK_OUTPUT_COLUMNS

GEOD = Geod(ellps="WGS84")

OUTPUT_COLUMNS = list(CHECK_OUTPUT_COLUMNS)  # the one definition, in geostrike.engine.check
INPUT_COLUMNS = [
    "date",
    "attacker",
    "claimant",
    "claimed_target",
    "target_place",
    "place",
    "precision",
    "source",
    "notes",
]

#: Payloads that set window.__pwned or open a dialog if they ever run.
PAYLOADS = [
    "<script>window.__pwned=1;alert(1)</script>",
    '<img src=x onerror="window.__pwned=2;alert(2)">',
    '"><svg onload="window.__pwned=3;alert(3)">',
    "javascript:window.__pwned=4;alert(4)",
    "</script><script>window.__pwned=5</script><!--",
    "'-alert(6)-'{{ 7*7 }}{% if x %}",
]


def make_zones(controller_b2: str = "al_nusra;opposition") -> gpd.GeoDataFrame:
    """Four zones around Homs/Hama; the opposition zone turns joint on 2015-10-02."""
    rows = [
        ("z1", "government", "2015-01-01", None, "ISW 2015-09-28", box(36.0, 34.5, 36.8, 35.3)),
        (
            "z2",
            "opposition",
            "2015-01-01",
            "2015-10-01",
            "ISW 2015-09-28",
            box(36.8, 35.0, 37.5, 35.8),
        ),
        ("z3", controller_b2, "2015-10-02", None, "Carter Center", box(36.8, 35.0, 37.5, 35.8)),
        ("z4", "islamic_state", None, None, "Carter Center", box(38.0, 35.5, 39.5, 36.5)),
    ]
    df = pd.DataFrame(
        rows, columns=["zone_id", "controller", "valid_from", "valid_to", "source", "geometry"]
    )
    df["valid_from"] = pd.to_datetime(df["valid_from"])
    df["valid_to"] = pd.to_datetime(df["valid_to"])
    return gpd.GeoDataFrame(df, geometry="geometry", crs="EPSG:4326")


def _nearest_on(poly, lon: float, lat: float) -> tuple[float, float, float]:
    """Nearest point of a box (by planar projection, good enough for fixtures) and its geodesic distance."""
    from shapely.ops import nearest_points

    p = Point(lon, lat)
    if poly.contains(p):
        return lat, lon, 0.0
    q = nearest_points(poly.exterior, p)[0]
    _, _, d = GEOD.inv(lon, lat, q.x, q.y)
    return q.y, q.x, d / 1000.0


def make_results(text: str | None = None) -> gpd.GeoDataFrame:
    """Six claims: 2 consistent, 2 inconsistent, 1 indeterminate, 1 unresolved (no location).

    With ``text`` every free-text field carries that text (hostile-input tests).
    """
    zones = make_zones()
    target_poly = zones.geometry.iloc[3]  # Islamic State zone
    rows = [
        # id, date, lat, lon, verdict, controller, target, precision, stated place (lat, lon)
        ("c1", "2015-09-30", 35.9, 38.5, "consistent", "islamic_state", "islamic_state", 2.0, None),
        (
            "c2",
            "2015-09-30",
            34.9,
            36.4,
            "inconsistent",
            "government",
            "islamic_state",
            5.0,
            (35.95, 38.6),
        ),
        ("c3", "2015-09-30", 35.4, 37.1, "inconsistent", "opposition", "islamic_state", 0.0, None),
        (
            "c4",
            "2015-10-03",
            35.3,
            37.2,
            "indeterminate",
            "al_nusra;opposition",
            "al_nusra;islamic_state",
            25.0,
            (35.5, 37.0),
        ),
        ("c5", "2015-10-03", 36.1, 38.9, "consistent", "islamic_state", "islamic_state", 1.0, None),
        ("c6", "2015-10-03", None, None, None, None, "islamic_state", None, None),
    ]
    out = []
    for rid, date, lat, lon, verdict, ctrl, target, prec, stated in rows:
        rec = dict.fromkeys(OUTPUT_COLUMNS + INPUT_COLUMNS)
        rec.update(id=rid, date=date, verdict=verdict, controller=ctrl, target=target)
        rec["status"] = "ok" if lat is not None else "unresolved"
        rec["attacker"] = "Russia"
        rec["claimant"] = "Russian Ministry of Defence"
        rec["claimed_target"] = "ISIS"
        rec["place"] = f"Place {rid}"
        rec["source"] = f"https://example.org/report/{rid}?a=1&b=2"
        rec["notes"] = ""
        rec["reason"] = f"Reason for {rid}."
        if lat is not None:
            rec.update(latitude=lat, longitude=lon, precision_km=prec)
            rec["location_source"] = "gazetteer"
            rec["location_name"] = f"Town {rid}"
            tlat, tlon, dkm = _nearest_on(target_poly, lon, lat)
            rec.update(
                nearest_target_latitude=tlat,
                nearest_target_longitude=tlon,
                distance_to_target_km=dkm,
            )
            if stated is not None:
                _, _, d = GEOD.inv(stated[1], stated[0], lon, lat)
                rec.update(
                    stated_place_latitude=stated[0],
                    stated_place_longitude=stated[1],
                    distance_to_stated_place_km=d / 1000.0,
                    target_place="Raqqa",
                )
        if text is not None:
            for col in (
                "id",
                "reason",
                "location_name",
                "attacker",
                "claimant",
                "claimed_target",
                "target_place",
                "place",
                "source",
                "notes",
                "precision",
            ):
                rec[col] = f"{text} [{col}]" if col != "source" else text
        out.append(rec)
    df = pd.DataFrame(out, columns=OUTPUT_COLUMNS + INPUT_COLUMNS)
    for col in (
        "latitude",
        "longitude",
        "precision_km",
        "distance_to_target_km",
        "nearest_target_latitude",
        "nearest_target_longitude",
        "distance_to_stated_place_km",
        "stated_place_latitude",
        "stated_place_longitude",
    ):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    geom = gpd.points_from_xy(df["longitude"], df["latitude"])
    geom = [g if np.isfinite(x) else Point() for g, x in zip(geom, df["longitude"], strict=True)]
    return gpd.GeoDataFrame(df, geometry=geom, crs="EPSG:4326")


def hostile_actor_csv(folder: Path, text: str) -> Path:
    """A user actor table whose label, colour and aliases carry ``text``."""
    import csv

    path = folder / "actors.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label", "members", "color", "aliases"])
        w.writerow(["evil_actor", f"{text} [label]", "", f'red;x:"{text}', "Evil Actor"])
    return path


def expected_counts(
    results: pd.DataFrame, zones: gpd.GeoDataFrame, date: str | None
) -> dict[str, int]:
    """What the map must draw for one date (``None``: every date) — computed from the data."""
    r = results[results["latitude"].notna()]
    if date is not None:
        r = r[r["date"] == date]
    ts = pd.Timestamp(date or results["date"].dropna().min())
    valid = (zones["valid_from"].isna() | (zones["valid_from"] <= ts)) & (
        zones["valid_to"].isna() | (ts <= zones["valid_to"])
    )
    return {
        "strike": len(r),
        "zone": int(valid.sum()),
        "target-line": int(
            (r["nearest_target_latitude"].notna() & (r["distance_to_target_km"] > 0)).sum()
        ),
        "stated-line": int(
            (r["stated_place_latitude"].notna() & (r["distance_to_stated_place_km"] > 0)).sum()
        ),
        "precision": int((r["precision_km"] > 0).sum()),
    }


def make_ukraine() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """A Ukrainian case along the Dnipro, checked by geostrike: strikes at Kherson,
    Nova Kakhovka, Nikopol and Dnipro on two dates, and two zone windows (illustrative
    boxes, not a survey: the occupied south is smaller on the second date)."""
    from geostrike.engine.check import check

    claims = pd.DataFrame(
        {
            "id": ["ua-kherson", "ua-kakhovka", "ua-nikopol", "ua-dnipro"],
            "date": ["2022-12-01", "2022-12-01", "2023-01-15", "2023-01-15"],
            "place": ["Kherson", "Nova Kakhovka", "Nikopol", "Dnipro"],
            "latitude": [46.635, 46.755, 47.567, 48.464],
            "longitude": [32.617, 33.373, 34.396, 35.046],
            "attacker": ["russia"] * 4,
            "claimant": ["Russian MoD"] * 4,
            "claimed_target": ["ukraine"] * 4,
        }
    )
    south, south_small = box(32.9, 46.0, 36.5, 47.4), box(33.2, 46.0, 36.5, 47.3)
    north = box(31.5, 46.4, 36.5, 49.0)
    zones = gpd.GeoDataFrame(
        {
            "zone_id": ["occ-1", "ua-1", "occ-2", "ua-2"],
            "controller": ["russia_occupied", "ukraine", "russia_occupied", "ukraine"],
            "valid_from": pd.to_datetime(["2022-11-11", "2022-11-11", "2023-01-01", "2023-01-01"]),
            "valid_to": pd.to_datetime(["2022-12-31", "2022-12-31", None, None]),
            "source": ["illustrative"] * 4,
        },
        geometry=[south, north.difference(south), south_small, north.difference(south_small)],
        crs=4326,
    )
    return check(claims, zones), zones

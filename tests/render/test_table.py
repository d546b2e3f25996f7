"""Writing check results: Parquet with the repeated texts as dictionaries (issue 18)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from geostrike.engine.check import check
from geostrike.render.table import write_result


def _yemen_case() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Strikes around Hodeidah and Aden against two dated zones (Houthis in the north,
    the government in the south), repeated so that the reasons repeat."""
    zones = gpd.GeoDataFrame(
        {
            "controller": ["Houthis", "Yemeni government"],
            "valid_from": ["2021-01-01", "2021-01-01"],
            "valid_to": ["2021-12-31", "2021-12-31"],
        },
        geometry=[shapely.box(42.5, 14.0, 46.0, 17.5), shapely.box(43.5, 12.5, 46.0, 14.0)],
        crs="EPSG:4326",
    )
    points = [(14.80, 42.95), (12.80, 45.03), (15.35, 44.20), (11.0, 49.0)]
    rows = [points[i % len(points)] for i in range(40)]
    claims = pd.DataFrame(
        {
            "date": ["2021-06-0" + str(1 + i % 3) for i in range(40)],
            "claimed_target": ["Houthis"] * 40,
            "latitude": [r[0] for r in rows],
            "longitude": [r[1] for r in rows],
        }
    )
    return claims, zones


def test_parquet_result_keeps_repeated_texts_as_dictionaries(tmp_path) -> None:
    claims, zones = _yemen_case()
    result = check(claims, zones)
    assert result["reason"].dtype == object  # in memory: plain texts
    out = write_result(result, tmp_path / "yemen.parquet")
    schema = pq.read_schema(out)
    for column in ("reason", "controller", "target", "status", "verdict"):
        assert pa.types.is_dictionary(schema.field(column).type), column
    back = gpd.read_parquet(out)
    assert back.crs.equals("EPSG:4326")
    assert back.geometry.equals(result.geometry)
    for column in result.columns.drop("geometry"):
        got = back[column].astype(object).where(back[column].notna(), None)
        want = result[column].astype(object).where(result[column].notna(), None)
        assert got.tolist() == want.tolist(), column
    assert result["reason"].nunique() < len(result)  # the case repeats its sentences
    # the point in the Gulf of Aden: outside every zone, 465 km from Houthi ground
    assert back.loc[3, "controller"] == "" and back.loc[3, "verdict"] == "indeterminate"
    assert back.loc[3, "distance_to_target_km"] > 400


def test_result_without_points_is_written_with_them(tmp_path) -> None:
    """Issue 18: the CLI checks without Shapely points (CheckOptions(points=False): a
    million points are about 200 MB); the writers that need geometries make the same
    points from latitude and longitude, CSV needs none."""
    from geostrike.engine.options import CheckOptions

    claims, zones = _yemen_case()
    claims.loc[5, ["latitude", "longitude"]] = np.nan  # one row not located: an empty point
    full = check(claims, zones)
    bare = check(claims, zones, options=CheckOptions(points=False))
    assert not isinstance(bare, gpd.GeoDataFrame) and "geometry" not in bare.columns
    pd.testing.assert_frame_equal(bare, pd.DataFrame(full.drop(columns="geometry")))
    for ext in ("parquet", "geojson", "gpkg"):
        got, want = (
            gpd.read_parquet(path) if ext == "parquet" else gpd.read_file(path)
            for path in (
                write_result(bare, tmp_path / f"bare.{ext}"),
                write_result(full, tmp_path / f"full.{ext}"),
            )
        )
        pd.testing.assert_frame_equal(got, want, check_like=False)
        assert got.geometry.is_empty.sum() + got.geometry.isna().sum() == 1, ext
    write_result(bare, tmp_path / "bare.csv")
    write_result(full, tmp_path / "full.csv")
    assert (tmp_path / "bare.csv").read_bytes() == (tmp_path / "full.csv").read_bytes()

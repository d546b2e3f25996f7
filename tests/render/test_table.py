"""Tests for geostrike.render.table's writers: Parquet with the repeated texts as
dictionaries, and GeoPackage layers written in one bulk Arrow call (issue 18)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
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


def test_parquet_dictionary_pages_and_statistics_where_they_serve(tmp_path) -> None:
    """Issue 18: dictionary pages only for the columns written as dictionaries (an id
    column of distinct texts gets none: Arrow would build one and throw it away), and no
    min/max statistics for the WKB points or the reason sentences; the numbers and dates
    keep theirs, so readers can still skip row groups by them."""
    from geostrike.engine.options import CheckOptions

    claims, zones = _yemen_case()
    bare = check(claims, zones, options=CheckOptions(points=False))  # as the CLI checks
    out = write_result(bare, tmp_path / "yemen.parquet")
    meta = pq.ParquetFile(out).metadata.row_group(0)
    column = {meta.column(i).path_in_schema: meta.column(i) for i in range(meta.num_columns)}
    assert "PLAIN_DICTIONARY" in column["reason"].encodings or "RLE_DICTIONARY" in (
        column["reason"].encodings
    )
    assert not any("DICTIONARY" in e for e in column["id"].encodings)
    assert not column["geometry"].is_stats_set and not column["reason"].is_stats_set
    assert column["distance_to_target_km"].is_stats_set and column["id"].is_stats_set
    # a GeoDataFrame result keeps its own geometry and CRS (here: moved to Web Mercator)
    moved = check(claims, zones).to_crs(3857)
    back = gpd.read_parquet(write_result(moved, tmp_path / "moved.parquet"))
    assert back.crs.equals(moved.crs) and back.geometry.geom_equals(moved.geometry).all()


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


def _libya_result(tmp_path) -> tuple[gpd.GeoDataFrame, str, str]:
    """A real check result from Libya: LNA-held east of 19°E, GNA-held west of it, one claim
    without coordinates (NULL geometry, kept), text with formula characters."""
    from geostrike.engine.check import check

    actors = tmp_path / "actors.csv"
    actors.write_text(
        "id,label,members,color,aliases\nlna,Libyan National Army,,#6d4c41,Haftar\n"
        "gna,Government of National Accord,,#00838f,GNA\n",
        encoding="utf-8",
    )
    zones = gpd.GeoDataFrame(
        {"controller": ["lna", "gna"], "valid_from": "2019-04-01", "source": "t"},
        geometry=[shapely.box(19.0, 25.0, 25.0, 33.0), shapely.box(9.5, 25.0, 19.0, 33.5)],
        crs="EPSG:4326",
    )
    zpath = tmp_path / "zones.gpkg"
    zones.to_file(zpath, driver="GPKG")
    claims = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "date": ["2019-04-10", "2019-05-02", "2019-06-01", "2019-06-02"],
            "claimed_target": ["gna", "gna", "lna", "lna"],
            "latitude": [32.85, 32.1, 30.7, np.nan],
            "longitude": [13.18, 20.1, 20.0, np.nan],
            "source": ["=cmd", "report", None, "-2"],
        }
    )
    cpath = tmp_path / "claims.csv"
    claims.to_csv(cpath, index=False)
    return check(str(cpath), str(zpath), actors=str(actors)), str(zpath), str(actors)


def _spy(monkeypatch) -> list[dict]:
    calls: list[dict] = []
    real = pyogrio.write_dataframe

    def spy(df, path, **kw):
        calls.append({"rows": len(df), **kw})
        return real(df, path, **kw)

    monkeypatch.setattr(pyogrio, "write_dataframe", spy)
    return calls


def _same_layer(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame) -> None:
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")), pd.DataFrame(want.drop(columns="geometry"))
    )
    a, b = got.geometry.values, want.geometry.values
    assert (shapely.equals_exact(a, b, 0) | (pd.isna(a) & pd.isna(b))).all()


def test_plain_geopackage_is_one_arrow_write_with_the_former_contents(tmp_path, monkeypatch):
    result, _, _ = _libya_result(tmp_path)
    assert result.geometry.is_empty.sum() == 1  # the unlocated claim keeps its row
    former = tmp_path / "former.gpkg"
    result.to_file(former, driver="GPKG", layer="claims")  # the writer used before issue 18
    calls = _spy(monkeypatch)
    out = write_result(result, tmp_path / "out.gpkg")
    assert [(c["rows"], c.get("use_arrow"), c["layer"]) for c in calls] == [(4, True, "claims")]
    assert pyogrio.read_info(out, layer="claims")["dtypes"].tolist() == (
        pyogrio.read_info(former, layer="claims")["dtypes"].tolist()
    )
    _same_layer(gpd.read_file(out, layer="claims"), gpd.read_file(former, layer="claims"))


def test_streamed_geopackage_appends_each_chunk_in_bulk(tmp_path, monkeypatch):
    from geostrike.engine.stream import check_stream

    result, zones, actors = _libya_result(tmp_path)
    calls = _spy(monkeypatch)
    out = tmp_path / "streamed.gpkg"
    check_stream(tmp_path / "claims.csv", zones, out, chunk_rows=3, actors=actors, progress=False)
    assert [(c["rows"], c.get("use_arrow"), c.get("append")) for c in calls] == [
        (3, True, False),
        (1, True, True),
    ]
    whole = tmp_path / "whole.gpkg"
    result.to_file(whole, driver="GPKG", layer="claims")
    _same_layer(gpd.read_file(out, layer="claims"), gpd.read_file(whole, layer="claims"))


@pytest.mark.parametrize("suffix", [".parquet", ".geoparquet"])
def test_geoparquet_round_trips_the_result(tmp_path, suffix):
    result, _, _ = _libya_result(tmp_path)
    out = write_result(result, tmp_path / f"out{suffix}")
    back = gpd.read_parquet(out)
    assert back.crs == result.crs
    assert list(back.columns) == list(result.columns)
    for col in result.columns.drop("geometry"):  # text comes back as pandas' str dtype
        missing = result[col].isna().to_numpy()
        assert (back[col].isna().to_numpy() == missing).all(), col
        assert back[col][~missing].tolist() == result[col][~missing].tolist(), col
    assert shapely.equals_exact(back.geometry.values, result.geometry.values, 0).all()


def test_styled_export_writes_every_layer_in_bulk(tmp_path, monkeypatch):
    from geostrike.render.qgis import LAYERS

    result, zones, actors = _libya_result(tmp_path)
    calls = _spy(monkeypatch)
    out = write_result(result, tmp_path / "styled.gpkg", zones=gpd.read_file(zones), actors=actors)
    assert [c["layer"] for c in calls] == list(LAYERS)
    assert all(c.get("use_arrow") for c in calls)
    strikes = gpd.read_file(out, layer="strikes")
    assert strikes["id"].tolist() == ["a", "b", "c", "d"]
    assert strikes["source"].tolist() == result["source"].tolist()  # text as given


def test_geoparquet_points_from_coordinates_without_shapely_objects(tmp_path, monkeypatch):
    """Issue 18: a result without points is written as GeoParquet WKB straight from its
    coordinates (no million Shapely points, then their WKB), with the 'geo' metadata."""
    import json

    import pyarrow.parquet as pq

    from geostrike.engine.options import CheckOptions

    claims, zones = _yemen_case()
    claims.loc[3, ["latitude", "longitude"]] = np.nan
    bare = check(claims, zones, options=CheckOptions(points=False))

    def no_points(*args, **kwargs):
        raise AssertionError("a Shapely point was made")

    monkeypatch.setattr(shapely, "points", no_points)
    path = write_result(bare, tmp_path / "out.parquet")
    monkeypatch.undo()
    geo = json.loads(pq.read_schema(path).metadata[b"geo"])
    col = geo["columns"]["geometry"]
    assert geo["primary_column"] == "geometry" and col["encoding"] == "WKB"
    assert col["geometry_types"] == ["Point"] and col["crs"]["id"]["code"] == 4326
    lat, lon = bare["latitude"], bare["longitude"]
    assert col["bbox"] == [lon.min(), lat.min(), lon.max(), lat.max()]
    back = gpd.read_parquet(path)
    assert back.geometry.is_empty.sum() == 1 and back.crs.to_epsg() == 4326
    ok = lat.notna()
    assert np.array_equal(back.geometry.x[ok], lon[ok]) and np.array_equal(
        back.geometry.y[ok], lat[ok]
    )

"""Tests for atomic outputs and input sniffing."""

from __future__ import annotations

import pytest

from geostrike._io import atomic_output, read_text
from geostrike.errors import InputError, OutputError


def test_atomic_output_replaces_only_on_success(tmp_path) -> None:
    out = tmp_path / "r.csv"
    out.write_text("good", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_output(out) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert out.read_text(encoding="utf-8") == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]
    with atomic_output(out) as tmp:
        assert tmp.suffix == ".csv"
        tmp.write_text("new", encoding="utf-8")
    assert out.read_text(encoding="utf-8") == "new"


def test_atomic_output_missing_folder(tmp_path) -> None:
    with (
        pytest.raises(OutputError, match="does not exist"),
        atomic_output(tmp_path / "no" / "x.csv"),
    ):
        pass


def test_read_text_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_text(tmp_path / "missing.txt")
    (tmp_path / "e.txt").write_text("")
    with pytest.raises(InputError, match="empty"):
        read_text(tmp_path / "e.txt")
    (tmp_path / "l1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_text(tmp_path / "l1.txt")
    (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02abc")
    with pytest.raises(InputError, match="binary"):
        read_text(tmp_path / "b.txt")
    (tmp_path / "bom.txt").write_bytes("\ufeffok".encode())
    assert read_text(tmp_path / "bom.txt") == "ok"


def test_write_frame_formats(tmp_path) -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geostrike._io import write_frame

    gdf = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[shapely.Point(0, 0), None], crs=4326)
    write_frame(gdf, tmp_path / "x.csv", "CSV")
    assert pd.read_csv(tmp_path / "x.csv").columns.tolist() == ["a"]
    write_frame(gdf, tmp_path / "x.gpkg", "GPKG", layer="claims")
    back = gpd.read_file(tmp_path / "x.gpkg", layer="claims")
    assert back["a"].tolist() == [1, 2] and back.crs.to_epsg() == 4326
    write_frame(gdf, tmp_path / "x.parquet", "Parquet")
    assert gpd.read_parquet(tmp_path / "x.parquet")["a"].tolist() == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv", "x.gpkg", "x.parquet"]

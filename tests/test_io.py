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


def test_nul_bytes_anywhere_are_refused(tmp_path) -> None:
    # issue 12.16: a NUL after the first 8 KB passed into the outputs
    p = tmp_path / "late.csv"
    p.write_bytes(b"a,b\n" + b"x,y\n" * 3000 + b"bad\x00cell,z\n")
    with pytest.raises(InputError, match=r"NUL byte at offset 12007"):
        read_text(p)


def test_csv_cells_that_spreadsheets_would_run_are_neutralised(tmp_path) -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geostrike._io import neutralise_formulas, write_frame

    cells = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "ok", None]
    gdf = gpd.GeoDataFrame(
        {
            "text": cells,
            "number_text": ["-44.2", "+3", "-1e5", ".5", "-", "1", "2", "3"],
            "longitude": [-44.2, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        },
        geometry=[shapely.Point(0, 0)] * 8,
        crs=4326,
    )
    write_frame(gdf, tmp_path / "safe.csv", "CSV")
    back = pd.read_csv(tmp_path / "safe.csv", dtype=str, keep_default_na=False)
    assert back["text"].tolist() == ["'" + c for c in cells[:6]] + ["ok", ""]
    assert back["number_text"].tolist() == ["-44.2", "+3", "-1e5", ".5", "'-", "1", "2", "3"]
    assert pd.read_csv(tmp_path / "safe.csv")["longitude"].dtype == float  # numbers stay
    write_frame(gdf, tmp_path / "raw.csv", "CSV", csv_safe=False)
    raw = pd.read_csv(tmp_path / "raw.csv", dtype=str, keep_default_na=False)
    assert raw["text"].iloc[0] == cells[0]
    plain = pd.DataFrame({"a": ["x", "y"]})
    assert neutralise_formulas(plain) is plain  # nothing to do: no copy


def test_geojson_name_is_the_targets(tmp_path) -> None:
    # issue 12.16: the GeoJSON "name" member was the temporary file's name
    import json

    import geopandas as gpd
    import shapely

    from geostrike._io import write_frame

    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4326)
    write_frame(gdf, tmp_path / "strikes-yemen.geojson", "GeoJSON")
    doc = json.loads((tmp_path / "strikes-yemen.geojson").read_text(encoding="utf-8"))
    assert doc["name"] == "strikes-yemen"

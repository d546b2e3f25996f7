"""Streaming checks: chunk by chunk, the same rows as the in-memory engine, atomic outputs."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from geostrike.engine.check import check, prepare_zones
from geostrike.engine.stream import ChunkWriter, check_stream, count_rows, iter_chunks
from geostrike.errors import InputError, OutputError
from geostrike.render.table import summary, write_result


@pytest.fixture(scope="module")
def zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "controller": ["ISIS", "Syrian government", "rebels;al-Nusra"],
            "valid_from": ["2015-01-01", "2015-01-01", "2015-01-01"],
            "valid_to": ["", "2015-08-31", ""],
            "source": "test",
        },
        geometry=[
            shapely.box(38.0, 35.0, 40.0, 36.5),
            shapely.box(36.0, 33.0, 37.5, 35.5),
            shapely.box(36.0, 35.5, 37.5, 36.5),
        ],
        crs="EPSG:4326",
    )


def _claims(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "date": rng.choice(["2015-06-01", "2015-09-30", "bad date"], n),
            "claimed_target": rng.choice(["IS", "terrorists", "FSA", "regime"], n),
            "latitude": np.round(rng.uniform(33.0, 37.0, n), 4).astype(str),
            "longitude": np.round(rng.uniform(35.5, 41.0, n), 4).astype(str),
            "source": "unit test",
        }
    )
    df.loc[3, "claimed_target"] = ""
    return df


def _swap(df: pd.DataFrame, rows: list[int]) -> None:
    """Make ``rows`` claims on IS whose point lies outside every zone as given and inside
    ISIS ground (35-36.5N, 38-40E) with latitude and longitude swapped (a dated claim
    within 90 days of the open-ended snapshot)."""
    df.loc[rows, ["latitude", "longitude", "date", "claimed_target"]] = [
        "39.0",
        "35.7",
        "2015-02-01",
        "IS",
    ]


def _as_csv_text(result: pd.DataFrame) -> pd.DataFrame:
    text = pd.DataFrame(result.drop(columns=result.geometry.name)).to_csv(index=False)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_csv_stream_equals_whole_check(zones, tmp_path: Path) -> None:
    src = tmp_path / "claims.csv"
    _claims(1_000).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    tally = check_stream(src, zones, out, chunk_rows=137, progress=False)
    expected = check(src, zones)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert_frame_equal(got, _as_csv_text(expected))
    assert got["id"].iloc[-1] == "claim-1000"  # ids numbered across chunks
    assert tally.rows == 1_000
    assert tally.summary() == summary(expected)


def test_parquet_input_and_output(zones, tmp_path: Path) -> None:
    df = _claims(700, seed=3)
    df["latitude"] = df["latitude"].astype(float)
    df["longitude"] = df["longitude"].astype(float)
    src = tmp_path / "claims.parquet"
    df.to_parquet(src, row_group_size=100)
    out = tmp_path / "out.parquet"
    check_stream(src, prepare_zones(zones), out, chunk_rows=250, progress=False)
    expected = check(src, zones)
    got = gpd.read_parquet(out)
    assert got.crs.equals("EPSG:4326")
    assert got["id"].tolist() == expected["id"].tolist()
    assert got["verdict"].tolist() == expected["verdict"].tolist()
    np.testing.assert_array_equal(
        got["distance_to_target_km"].to_numpy(), expected["distance_to_target_km"].to_numpy()
    )
    assert got.geometry.equals(expected.geometry)


def test_geoparquet_folder_to_geopackage(zones, tmp_path: Path) -> None:
    df = _claims(300, seed=4)
    gdf = gpd.GeoDataFrame(
        df.drop(columns=["latitude", "longitude"]),
        geometry=gpd.points_from_xy(df["longitude"].astype(float), df["latitude"].astype(float)),
        crs="EPSG:4326",
    )
    folder = tmp_path / "claims"
    folder.mkdir()
    gdf.iloc[:120].to_parquet(folder / "a.parquet")
    gdf.iloc[120:].to_parquet(folder / "b.parquet")
    assert count_rows(folder) == 300
    out = tmp_path / "out.gpkg"
    check_stream(folder, zones, out, chunk_rows=64, progress=False)
    got = gpd.read_file(out, layer="claims")
    expected = check(folder, zones)
    assert got["id"].tolist() == expected["id"].tolist()
    assert got["reason"].tolist() == expected["reason"].tolist()


def test_chunks_are_bounded(tmp_path: Path) -> None:
    src = tmp_path / "claims.csv"
    _claims(1_001).to_csv(src, index=False)
    sizes = [len(c) for c in iter_chunks(src, 100)]
    assert max(sizes) == 100 and sum(sizes) == 1_001 and len(sizes) == 11
    assert count_rows(src) == 1_001


def test_progress_bar_goes_to_stderr(zones, tmp_path: Path, capsys) -> None:
    src = tmp_path / "claims.csv"
    _claims(50).to_csv(src, index=False)
    check_stream(src, zones, tmp_path / "out.csv", chunk_rows=10, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "claims" in captured.err


def test_error_in_a_late_chunk_leaves_no_output(zones, tmp_path: Path) -> None:
    df = _claims(500)
    df.loc[480, "claimed_target"] = "Martians"
    src = tmp_path / "claims.csv"
    df.to_csv(src, index=False)
    out = tmp_path / "out.csv"
    out.write_text("previous result\n")
    with pytest.raises(InputError, match="Martians"):
        check_stream(src, zones, out, chunk_rows=100, progress=False)
    assert out.read_text() == "previous result\n"  # untouched
    assert {p.name for p in tmp_path.iterdir()} == {"claims.csv", "out.csv"}  # no temp file


def test_bad_inputs_are_one_line_errors(zones, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"date,claimed_target,latitude,longitude\n2015-09-30,IS,35,38\n" + b"\xff\n")
    with pytest.raises(InputError, match="UTF-8"):
        check_stream(bad, zones, tmp_path / "o.csv", progress=False)
    notpq = tmp_path / "x.parquet"
    notpq.write_text("not parquet")
    with pytest.raises(InputError, match="Parquet"):
        check_stream(notpq, zones, tmp_path / "o.csv", progress=False)
    with pytest.raises(OutputError):
        ChunkWriter(tmp_path / "o.xlsx")
    with pytest.raises(OutputError):
        check_stream(bad, zones, tmp_path / "missing" / "o.csv", progress=False)


def test_should_stream_large_files_only(tmp_path: Path, monkeypatch) -> None:
    from geostrike.engine.stream import should_stream

    src = tmp_path / "claims.csv"
    _claims(100).to_csv(src, index=False)
    assert not should_stream(src, tmp_path / "o.csv")  # small
    monkeypatch.setenv("GEOSTRIKE_STREAM_BYTES", "100")
    assert should_stream(src, tmp_path / "o.csv")
    assert should_stream(src, tmp_path / "o.parquet")
    assert not should_stream(src, None)  # a terminal table needs the whole result
    assert not should_stream(src, tmp_path / "o.geojson")


def test_cli_chunk_size_streams(zones, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from geostrike.cli import cli

    src = tmp_path / "claims.csv"
    _claims(300).to_csv(src, index=False)
    zpath = tmp_path / "zones.gpkg"
    zones.to_file(zpath, driver="GPKG")
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(
        cli, ["check", str(src), "--zones", str(zpath), "--chunk-size", "70", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "300 claims" in res.output
    expected = check(src, zpath)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert_frame_equal(got, _as_csv_text(expected))
    # streaming needs an output file: a one-line error, exit 2
    res = CliRunner().invoke(cli, ["check", str(src), "--zones", str(zpath), "--chunk-size", "70"])
    assert res.exit_code == 2
    assert "needs an output file" in res.output


def test_cli_streams_large_files_without_chunk_size(zones, tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from geostrike.cli import cli

    src = tmp_path / "claims.csv"
    _claims(120).to_csv(src, index=False)
    zpath = tmp_path / "zones.gpkg"
    zones.to_file(zpath, driver="GPKG")
    monkeypatch.setenv("GEOSTRIKE_STREAM_BYTES", "1000")  # this file counts as large
    import geostrike.engine.stream as stream_module

    streamed = []
    real = stream_module.check_stream
    monkeypatch.setattr(
        stream_module, "check_stream", lambda *a, **k: streamed.append(1) or real(*a, **k)
    )
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(cli, ["check", str(src), "--zones", str(zpath), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert streamed  # the streaming engine ran
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert_frame_equal(got, _as_csv_text(check(src, zpath)))


# ---------------------------------------------------------------- hardening (issue 12)
def _hostile(n: int = 40) -> pd.DataFrame:
    df = _claims(n)
    df.insert(0, "id", [f"s{i}" for i in range(n)])
    df["target"] = "ammunition depot"  # the user's own column, named like a result column
    df["Status"] = "reported"
    df["source"] = "=cmd|' /C calc'!A0"
    df.loc[5, "date"] = "2515-10-01"  # outside pandas' nanosecond range
    df.loc[6, "date"] = "9999-12-31"
    df.loc[7, "id"] = ""  # its generated id is claim-8
    df.loc[12, "id"] = "s1"  # a repeat of a given id in another chunk
    df.loc[13, "id"] = "s13"
    df.loc[14, "id"] = "s13"  # a repeat within one chunk
    df.loc[25, "id"] = "claim-8"  # given, in a later chunk than row 8's generated id
    return df


def test_stream_keeps_input_columns_and_marks_repeated_ids(zones, tmp_path: Path) -> None:
    src = tmp_path / "claims.csv"
    _hostile().to_csv(src, index=False)
    out = tmp_path / "out.csv"
    with pytest.warns(UserWarning) as caught:
        check_stream(src, zones, out, chunk_rows=10, progress=False)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(got) == 40 and got["input_target"].eq("ammunition depot").all()
    assert got["input_Status"].eq("reported").all()
    assert got["source"].eq("'=cmd|' /C calc'!A0").all()  # neutralised
    assert got.loc[[5, 6], "status"].eq("invalid").all()
    assert got.loc[5, "reason"].startswith("The date '2515-10-01' is outside")
    assert got.loc[7, "id"] == "claim-8-2"  # claim-8 is given in a later chunk
    assert got.loc[25, "id"] == "claim-8"
    dup = got["duplicate_id"] == "True"
    assert dup[[12, 13, 14]].all() and dup.sum() == 3  # s1's first row was already written
    messages = [str(w.message) for w in caught]
    assert sum("more than one row" in m for m in messages) == 1
    assert any("'s1'" in m and "'s13'" in m for m in messages)
    # the same rows as the in-memory engine, but for the repeat it cannot see across chunks
    whole = _as_csv_text(check(src, zones))
    whole["source"] = "'" + whole["source"]
    whole.loc[1, "duplicate_id"] = "True"
    assert_frame_equal(got.drop(columns="duplicate_id"), whole.drop(columns="duplicate_id"))


def test_stream_refuses_nul_bytes_and_long_rows_anywhere(zones, tmp_path: Path) -> None:
    src = tmp_path / "nul.csv"
    text = _claims(3000).to_csv(index=False)
    src.write_text(text[:-40] + "\x00" + text[-40:], encoding="utf-8")
    with pytest.raises(InputError, match="NUL"):
        check_stream(src, zones, tmp_path / "o.csv", chunk_rows=500, progress=False)
    src.write_text(text + "2015-09-30,IS,35.0,39.0,late,extra\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"nul\.csv: .*line 3002.*\b6\b"):
        check_stream(src, zones, tmp_path / "o.csv", chunk_rows=500, progress=False)
    assert not (tmp_path / "o.csv").exists()
    trailing = "\n".join(line + "," if i else line for i, line in enumerate(text.splitlines()))
    src.write_text(trailing + "\n", encoding="utf-8")  # a separator ending every data row
    check_stream(src, zones, tmp_path / "o.csv", chunk_rows=500, progress=False)
    got = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert got["source"].eq("unit test").all() and len(got) == 3000


def test_stream_refuses_absurd_tolerances(zones, tmp_path: Path) -> None:
    src = tmp_path / "claims.csv"
    _claims(5).to_csv(src, index=False)
    with pytest.raises(InputError, match="tolerance_km"):
        check_stream(src, zones, tmp_path / "o.csv", tolerance_km=float("nan"))
    assert not (tmp_path / "o.csv").exists()


def test_no_progress_bar_unless_stderr_is_a_terminal(zones, tmp_path: Path, capsys) -> None:
    src = tmp_path / "claims.csv"
    _claims(50).to_csv(src, index=False)
    check_stream(src, zones, tmp_path / "out.csv", chunk_rows=10)
    assert capsys.readouterr().err == ""


def test_streamed_geojson_is_named_after_its_target(zones, tmp_path: Path) -> None:
    import json

    src = tmp_path / "claims.csv"
    _claims(30).to_csv(src, index=False)
    out = tmp_path / "verdicts-2015.geojson"
    check_stream(src, zones, out, chunk_rows=10, progress=False)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["name"] == "verdicts-2015" and len(doc["features"]) == 30


_CELLS = st.one_of(
    st.sampled_from(["", "=1+1", "-3", "@x", "claim-1", "claim-3", "s1", "nan", "1e308", "<b>"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=6),
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(
            _CELLS,
            st.sampled_from(["2015-09-30", "2515-10-01", "1677-09-21", "", "bad", "30/09/2015"]),
            st.sampled_from(["IS", "rebels", "", "regime"]),
            st.sampled_from(["35.5", "95", "", "inf", "nan", "-1e308", "36,1"]),
            st.sampled_from(["39.0", "36.5", "", "-inf", "east"]),
            _CELLS,
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 7),
)
def test_fuzz_stream_matches_the_whole_check(zones, rows, chunk_rows) -> None:
    # hostile rows, chunked: the same rows, ids and columns as the in-memory engine, or
    # the same one-line error
    import csv
    import tempfile
    import warnings

    from geostrike.errors import GeostrikeError

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src = Path(tmp) / "claims.csv"
        with open(src, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(
                [("id", "date", "claimed_target", "latitude", "longitude", "target"), *rows]
            )
        try:
            whole = check(src, zones)
        except GeostrikeError as exc:
            with pytest.raises(GeostrikeError) as streamed:
                check_stream(src, zones, Path(tmp) / "o.csv", chunk_rows=chunk_rows)
            assert str(streamed.value) == str(exc)
            return
        check_stream(src, zones, Path(tmp) / "o.csv", chunk_rows=chunk_rows, progress=False)
        write_result(whole, Path(tmp) / "w.csv")
        got, expected = (
            pd.read_csv(Path(tmp) / name, dtype=str, keep_default_na=False)
            for name in ("o.csv", "w.csv")
        )
        assert len(got) == len(rows) and "input_target" in got.columns
        assert_frame_equal(got.drop(columns="duplicate_id"), expected.drop(columns="duplicate_id"))
        # a repeat is marked in the stream unless its first row was in an earlier chunk
        marked, every = got["duplicate_id"] == "True", expected["duplicate_id"] == "True"
        assert not (marked & ~every).any()
        assert (marked | ~every | ~got["id"].duplicated(keep="first")).all()


def test_a_nul_far_into_a_streamed_csv_is_one_error_before_any_output(tmp_path) -> None:
    p = tmp_path / "ye.csv"
    rows = "".join(f"y{i},2015-05-10,Houthis,Sanaa\n" for i in range(5000))
    p.write_bytes(
        b"id,date,claimed_target,place\n" + rows.encode() + b"y-x,2015-05-10,Hou\x00this,Aden\n"
    )
    with pytest.raises(InputError, match="NUL byte at line 5002"):
        next(iter_chunks(p, chunk_rows=100))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from([f"id{i}" for i in range(40)] + ["", "ž-7", "claim-3"]), max_size=25
        ),
        min_size=1,
        max_size=8,
    )
)
def test_id_ledger_marks_exactly_the_ids_of_earlier_chunks(chunks) -> None:
    """Issue 18: the ledger of ids across chunks (kept out of the malloc heap, so a long
    stream's memory stays flat) marks a row exactly when an earlier chunk had its id; the
    first chunk's own repeats stay as the chunk marked them."""
    import mmap

    from geostrike.engine.stream import IdLedger

    ledger = IdLedger()
    before: set[str] = set()
    for ids in chunks:
        frame = pd.DataFrame({"id": ids, "duplicate_id": np.zeros(len(ids), dtype=bool)})
        ledger.add(frame)
        assert frame["duplicate_id"].tolist() == [i in before for i in ids]
        before |= set(ids)
        assert len(ledger._seen) == len(before)  # one hash per distinct id
        assert (np.diff(ledger._seen.astype(np.float64)) >= 0).all()
        if len(before):
            assert isinstance(ledger._seen.base.obj, mmap.mmap)


def _hash_text_reference(text: str) -> int:
    """:func:`geostrike.engine.stream._hash_texts` for one text, in Python integers."""
    m = (1 << 64) - 1
    k1, k2, k3, k4 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5
    raw = text.encode("utf-8", "surrogatepass")
    h = ((len(raw) * k3) & m) ^ k4
    for at in range(0, len(raw), 8):
        w = int.from_bytes(raw[at : at + 8], "little")
        w = (w * k1) & m
        w = ((w << 31) | (w >> 33)) & m
        w = (w * k2) & m
        h ^= w
        h = ((((h << 27) | (h >> 37)) & m) * k1 + k4) & m
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & m
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & m
    return h ^ (h >> 31)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_characters="\x00"), max_size=40), max_size=30))
def test_id_hashes_are_the_reference_hash_of_each_text(ids) -> None:
    """Issue 18: ids are hashed on their Arrow buffers by a compiled loop; each hash is the
    documented hash of the id's UTF-8 bytes (any length, any script), whatever the column's
    dtype, and one per row."""
    from geostrike.engine import stream
    from geostrike.engine.stream import id_hashes

    want = [_hash_text_reference(t) for t in ids]
    assert id_hashes(pd.Series(ids, dtype=object)).tolist() == want
    raw = [t.encode("utf-8", "surrogatepass") for t in ids]
    assert [stream._hash_text(r) for r in raw] == want  # the small jobs' Python path
    offsets = np.cumsum([0] + [len(r) for r in raw]).astype(np.int64)
    data = np.frombuffer(b"".join(raw), dtype=np.uint8).copy()
    assert stream._hash_texts.jit()(offsets, data).tolist() == want  # the compiled loop
    if not any(0xD800 <= ord(c) < 0xE000 for t in ids for c in t):  # Arrow takes no surrogate
        assert id_hashes(pd.Series(ids, dtype="str")).tolist() == want
    assert id_hashes(pd.Series([7, 70, 7])).tolist() == [
        _hash_text_reference(t) for t in "7 70 7".split()
    ]


def test_id_hashes_of_a_slice_and_of_distinct_ids() -> None:
    """A slice of a column (an Arrow offset) hashes its own rows; 200,000 distinct ids give
    200,000 distinct hashes (a 64-bit hash: a clash is a one in 10^9 event here)."""
    from geostrike.engine.stream import id_hashes

    ids = pd.Series([f"claim-{i}" for i in range(200_000)], dtype="str")
    whole = id_hashes(ids)
    assert len(np.unique(whole)) == len(ids)
    assert np.array_equal(id_hashes(ids.iloc[1234:1300]), whole[1234:1300])


# ------------------------------------------------------------- issue 18: the CLI's stream
def test_numeric_date_order_is_the_whole_files(zones, tmp_path: Path) -> None:
    """The first chunks hold only dates that read both ways (05/06/2015); a later chunk
    settles the file as month-first: every chunk reads its dates as the whole file would
    (inferred per chunk, the first would be refused or read day-first)."""
    df = _claims(600, seed=7)
    df["date"] = "06/05/2015"  # 5 June month-first, 6 May day-first
    df.loc[550, "date"] = "06/30/2015"  # only month-first reads this one
    src = tmp_path / "claims.csv"
    df.to_csv(src, index=False)
    out = tmp_path / "out.csv"
    check_stream(src, zones, out, chunk_rows=100, progress=False)
    expected = check(src, zones)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert_frame_equal(got, _as_csv_text(expected))
    assert set(got["date"]) == {"2015-06-05", "2015-06-30"}


def test_dates_mixing_both_orders_across_chunks_are_refused(zones, tmp_path: Path) -> None:
    df = _claims(400, seed=8)
    df["date"] = "13/06/2015"  # day-first
    df.loc[350, "date"] = "06/14/2015"  # month-first, in a later chunk
    src = tmp_path / "claims.csv"
    df.to_csv(src, index=False)
    out = tmp_path / "out.csv"
    with pytest.raises(InputError, match="mixes day-first"):
        check(src, zones)
    with pytest.raises(InputError, match="mixes day-first"):
        check_stream(src, zones, out, chunk_rows=100, progress=False)
    assert not out.exists() and not list(tmp_path.glob("*.tmp*"))


def test_row_warnings_are_added_up_across_chunks(zones, tmp_path: Path) -> None:
    """A warning about rows (lat/lon swapped) is raised once for the whole file, with the
    file's row numbers, as the in-memory engine raises it."""
    df = _claims(500, seed=9)
    _swap(df, [5, 130, 260, 261, 470])  # inside ISIS ground if swapped: warned rows
    src = tmp_path / "claims.csv"
    df.to_csv(src, index=False)
    with pytest.warns(UserWarning) as whole:
        check(src, zones)
    with pytest.warns(UserWarning) as streamed:
        check_stream(src, zones, tmp_path / "o.csv", chunk_rows=100, progress=False)
    swapped = [str(w.message) for w in whole if "swapped" in str(w.message)]
    assert swapped and "rows 6, 131, 261, 262, 471" in swapped[0]
    assert [str(w.message) for w in streamed if "swapped" in str(w.message)] == swapped


def test_kernels_load_in_the_checking_thread_so_no_warning_is_lost(
    zones, tmp_path: Path, monkeypatch
) -> None:
    """Review of issue 18: numba records warnings (catch_warnings, process-wide) while it
    compiles, so a kernel compiled on a thread of its own beside the check took the check's
    "lat/lon may be swapped" warnings and lost them. A large input loads the kernels
    before its first chunk, in the thread that checks; every swapped row is still named."""
    import threading

    from geostrike.engine import _jit

    threads: list[str] = []
    real = _jit.warm

    def warm() -> int:
        threads.append(threading.current_thread().name)
        return real()

    monkeypatch.setattr(_jit, "warm", warm)
    df = _claims(26_000, seed=4)
    swapped = list(range(7, 26_000, 997))
    _swap(df, swapped)
    src = tmp_path / "claims.csv"
    df.to_csv(src, index=False)
    assert src.stat().st_size >= 1 << 20  # large enough for the kernels to be loaded first
    with pytest.warns(UserWarning) as caught:
        check_stream(src, zones, tmp_path / "o.csv", chunk_rows=10_000, progress=False)
    assert threads == [threading.main_thread().name]
    assert not [t for t in threading.enumerate() if t.name.startswith("geostrike-")]
    notes = [str(w.message) for w in caught if "swapped" in str(w.message)]
    assert len(notes) == 1 and f"in {len(swapped)} claim(s)" in notes[0]
    out = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert out["reason"].str.contains("may be swapped").sum() == len(swapped)


def test_arrow_refusing_a_later_row_falls_back_to_pandas(zones, tmp_path: Path) -> None:
    """A row with fewer fields deep in the file: Arrow's reader stops there, the run
    starts again with pandas' reader (as the in-memory reader does) and gives its rows."""
    df = _claims(400, seed=10)
    src = tmp_path / "claims.csv"
    lines = df.to_csv(index=False).splitlines()
    lines[300] = ",".join(lines[300].split(",")[:3])  # a short row, read as blanks by pandas
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.csv"
    check_stream(src, zones, out, chunk_rows=100, progress=False)
    expected = check(src, zones)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert_frame_equal(got, _as_csv_text(expected))
    assert got.loc[299, "status"] == "invalid"


def test_a_failed_background_write_is_raised_and_leaves_nothing(
    zones, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geostrike.engine.stream as stream_module

    calls = []

    def failing(result, fh, **kw):  # the second chunk's write fails (a full disk)
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        fh.write(b"x\n")

    monkeypatch.setattr(stream_module, "write_csv", failing)
    src = tmp_path / "claims.csv"
    _claims(500, seed=11).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    with pytest.raises(OutputError, match="No space left"):
        check_stream(src, zones, out, chunk_rows=100, progress=False)
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["claims.csv"]


def test_streamed_geoparquet_reads_back_as_the_in_memory_file(zones, tmp_path: Path) -> None:
    """Parquet written chunk by chunk (points from the coordinates, texts as dictionaries)
    reads back as the in-memory writer's file does, but for the file-wide bounding box."""
    src = tmp_path / "claims.csv"
    _claims(900, seed=12).to_csv(src, index=False)
    streamed, whole = tmp_path / "s.parquet", tmp_path / "w.parquet"
    check_stream(src, zones, streamed, chunk_rows=200, progress=False)
    write_result(check(src, zones), whole)
    assert_frame_equal(gpd.read_parquet(streamed), gpd.read_parquet(whole))


def test_the_cli_streams_a_large_file_into_the_same_output(
    zones, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from geostrike.cli import cli

    src = tmp_path / "claims.csv"
    _claims(800, seed=13).to_csv(src, index=False)
    z = tmp_path / "zones.geojson"
    zones.to_file(z)
    outs = {}
    for rows in ("100000", "50"):  # in memory, then streamed (800 rows >= 50)
        monkeypatch.setenv("GEOSTRIKE_STREAM_ROWS", rows)
        out = tmp_path / f"out-{rows}.csv"
        res = CliRunner().invoke(cli, ["check", str(src), "--zones", str(z), "-o", str(out)])
        assert res.exit_code == 0, res.output
        outs[rows] = (out.read_bytes(), res.output.replace(out.name, "OUT"))
    assert outs["50"][0] == outs["100000"][0]
    assert outs["50"][1] == outs["100000"][1]


def test_read_ahead_gives_chunks_in_order_then_the_readers_error() -> None:
    import threading

    from geostrike.engine.stream import _ReadAhead

    def chunks():
        yield 1
        yield 2
        raise InputError("claims.csv", "holds a NUL character")

    got = []
    with pytest.raises(InputError, match="NUL"):
        for c in _ReadAhead(chunks()):
            got.append(c)
    assert got == [1, 2]

    def endless():
        i = 0
        while True:
            i += 1
            yield i

    ahead = _ReadAhead(endless())
    assert [next(ahead), next(ahead)] == [1, 2]
    ahead.close()  # the consumer stops early: the reading thread ends too
    assert not [t for t in threading.enumerate() if t.name == "geostrike-read"]
    with pytest.raises(StopIteration):
        next(ahead)
    # started at once (the first chunk read while the caller gets ready), and closed
    # before its first chunk is taken: the thread ends all the same
    early = _ReadAhead(endless())
    early.close()
    early.close()
    assert not [t for t in threading.enumerate() if t.name == "geostrike-read"]
    assert list(_ReadAhead(iter([]))) == []


def test_read_ahead_reads_a_chunk_only_once_the_one_before_is_taken() -> None:
    """One chunk read ahead at most (memory for one chunk; and while the kernels load before
    the first chunk, the reader takes a core for that chunk only): when the reader asks for
    chunk k+1, chunk k has left the box."""
    from geostrike.engine.stream import _ReadAhead

    waiting: list[int] = []

    def chunks():
        for k in range(1, 6):
            if k > 1:  # asked for once chunk k-1 is taken, so `ahead` exists by then
                waiting.append(ahead._box.qsize())  # chunks read but not taken
            yield k

    ahead = _ReadAhead(chunks())
    assert list(ahead) == [1, 2, 3, 4, 5]
    assert waiting == [0, 0, 0, 0]


# ----------------------------------------------- review of the CLI's stream (issue 18)
def test_semicolon_csv_reserves_given_ids_across_chunks(zones, tmp_path: Path) -> None:
    """A blank id in the first chunk never takes a claim-N id given in a later chunk of a
    ';' file (the id pass used to read it with ',')."""
    df = _claims(300, seed=14)
    df.insert(0, "id", [f"r{i}" for i in range(300)])
    df.loc[2, "id"] = ""
    df.loc[250, "id"] = "claim-3"
    src = tmp_path / "claims.csv"
    df.to_csv(src, index=False, sep=";")
    out = tmp_path / "out.csv"
    check_stream(src, zones, out, chunk_rows=100, progress=False)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert_frame_equal(got, _as_csv_text(check(src, zones)))
    assert got.loc[2, "id"] != "claim-3" and got["duplicate_id"].eq("False").all()


def test_a_file_arrow_refuses_is_read_as_the_in_memory_fallback_reads_it(
    zones, tmp_path: Path
) -> None:
    """Spaces after each ',' and a quoted cell after one: Arrow refuses the file, and both
    readers then skip the spaces (the streamed restart used not to: a crash)."""
    rows = ["date,claimed_target,latitude,longitude,notes"]
    rows += [f'2015-06-01, IS, 35.{i % 9}, 39.{i % 7}, "note, {i}"' for i in range(250)]
    src = tmp_path / "claims.csv"
    src.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out.csv"
    check_stream(src, zones, out, chunk_rows=100, progress=False)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert_frame_equal(got, _as_csv_text(check(src, zones)))
    assert got.loc[0, "notes"] == "note, 0"


@pytest.mark.parametrize("late", ["06/30/2015", "30/06/2015"])
def test_dictionary_date_column_takes_the_whole_files_order(
    zones, tmp_path: Path, late: str
) -> None:
    """A Parquet date column stored as a dictionary (a categorical) is read in the file's
    order by every chunk: mixed orders refused as in memory, a late row settling it."""
    df = _claims(300, seed=15)
    df["date"] = "06/05/2015"
    df.loc[0, "date"] = "06/13/2015"  # month-first in the first chunk
    df.loc[280, "date"] = late  # month-first again, or day-first: mixed
    df["date"] = df["date"].astype("category")
    src = tmp_path / "claims.parquet"
    df.to_parquet(src)
    out = tmp_path / "out.csv"
    if late.startswith("30"):
        with pytest.raises(InputError, match="mixes day-first"):
            check(src, zones)
        with pytest.raises(InputError, match="mixes day-first"):
            check_stream(src, zones, out, chunk_rows=100, progress=False)
        return
    check_stream(src, zones, out, chunk_rows=100, progress=False)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert_frame_equal(got, _as_csv_text(check(src, zones)))
    assert set(got["date"]) == {"2015-06-05", "2015-06-13", "2015-06-30"}


@pytest.fixture
def side_by_side(monkeypatch) -> list[bool]:
    """Parquet chunks checked two at a time (as for a large file on a machine with a core
    to spare), whatever the file's size and the machine's load; whether a pool was made."""
    from geostrike.engine import measure, stream

    made: list[bool] = []
    real = stream._checking_pool
    monkeypatch.setattr(stream, "_kernels_first", lambda path, rows: True)
    monkeypatch.setattr(measure, "threads_for", lambda n: 2)

    def pool(*args):
        out = real(*args)
        made.append(out is not None)
        return out

    monkeypatch.setattr(stream, "_checking_pool", pool)
    return made


def test_parquet_chunks_checked_side_by_side_give_the_one_at_a_time_file(
    zones, tmp_path: Path, side_by_side, monkeypatch
) -> None:
    """Issue 18: two chunks checked at once write what one at a time writes: rows in order,
    ids generated and repeated ids marked across chunks, invalid rows, the numeric dates'
    order (settled by a later chunk), and the same warnings with the same row numbers."""
    from geostrike.engine import stream

    df = _hostile(400)
    _swap(df, [5, 130, 260, 261, 370])  # inside ISIS ground if swapped: warned rows
    df.loc[[120, 121], "date"] = ["03/04/2015", "25/04/2015"]  # day first, said in chunk 3
    df.loc[[210, 211], "id"] = ["s1", ""]  # a repeat of chunk 1's id, a generated id
    src = tmp_path / "claims.parquet"
    df.to_parquet(src, index=False)

    def run(out: Path) -> list[str]:
        with pytest.warns(UserWarning) as caught:
            check_stream(src, zones, out, chunk_rows=50, progress=False)
        return sorted(str(w.message) for w in caught)

    told = run(tmp_path / "side.parquet")
    assert side_by_side == [True]
    monkeypatch.setattr(stream, "_checking_pool", lambda *a: None)
    alone = run(tmp_path / "alone.parquet")
    got = pd.read_parquet(tmp_path / "side.parquet")
    assert_frame_equal(got, pd.read_parquet(tmp_path / "alone.parquet"))
    assert told == alone
    assert any("rows 6, 131, 261, 262, 371" in m for m in told)
    assert got.loc[120, "date"] == "2015-04-03" and got.loc[211, "id"] == "claim-212"
    # s1 twice in the first chunk (both marked), once more in the fifth
    assert got.loc[[1, 12, 210, 2], "duplicate_id"].tolist() == [True, True, True, False]


def test_an_error_with_chunks_side_by_side_leaves_no_output_nor_thread(
    zones, tmp_path: Path, side_by_side
) -> None:
    import threading

    df = _claims(500)
    df.loc[480, "claimed_target"] = "Martians"
    src = tmp_path / "claims.parquet"
    df.to_parquet(src, index=False)
    out = tmp_path / "out.parquet"
    with pytest.raises(InputError, match="Martians"):
        check_stream(src, zones, out, chunk_rows=40, progress=False)
    assert side_by_side == [True]
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} == {"claims.parquet"}  # no temp file
    assert not [t for t in threading.enumerate() if t.name.startswith("geostrike-")]


def test_a_chunk_keeps_its_warnings_whatever_the_filters_meanwhile(
    zones, tmp_path: Path, side_by_side, monkeypatch
) -> None:
    """Review of issue 18: pandas ignores warnings for a moment inside some of its
    functions (warnings.catch_warnings, process-wide): with two chunks at once, a warning
    given by one meanwhile was dropped. A check's own warnings are kept apart now: here
    every swapped-coordinates note is given even though its chunk's check runs under a
    filter that ignores every warning."""
    import warnings

    from geostrike.engine import check as check_mod

    real = check_mod._flag_swapped

    def under_a_filter(*args, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return real(*args, **kw)

    monkeypatch.setattr(check_mod, "_flag_swapped", under_a_filter)
    df = _claims(400, seed=9)
    _swap(df, [5, 130, 260, 261, 370])  # inside ISIS ground if swapped: warned rows
    src = tmp_path / "claims.parquet"
    df.to_parquet(src, index=False)
    with pytest.warns(UserWarning) as caught:
        check_stream(src, zones, tmp_path / "o.parquet", chunk_rows=50, progress=False)
    assert side_by_side == [True]
    notes = [str(w.message) for w in caught if "swapped" in str(w.message)]
    assert notes == [
        "lat/lon may be swapped in 5 claim(s) (rows 6, 131, 261, 262, 371): outside every "
        "zone as given, inside one with latitude and longitude swapped; not corrected"
    ]


def test_two_chunks_at_once_only_where_the_options_allow_two_threads(
    zones, tmp_path: Path, side_by_side, monkeypatch
) -> None:
    from geostrike.engine.options import CheckOptions

    src = tmp_path / "claims.parquet"
    _claims(120).to_parquet(src, index=False)
    check_stream(src, zones, tmp_path / "o.parquet", chunk_rows=50, options=CheckOptions(threads=1))
    from geostrike.engine import stream

    threads: list[int | None] = []
    real = stream.check_with_warnings

    def checked(chunk, prepared, **kw):
        threads.append(kw["options"].threads)
        return real(chunk, prepared, **kw)

    monkeypatch.setattr(stream, "check_with_warnings", checked)
    check_stream(src, zones, tmp_path / "p.parquet", chunk_rows=50)
    assert side_by_side == [False, True]
    assert threads[-3:] == [None, 1, 1]  # side by side, one thread each after the first
    csv = tmp_path / "claims.csv"
    _claims(120).to_csv(csv, index=False)
    check_stream(csv, zones, tmp_path / "q.csv", chunk_rows=50)  # CSV: one at a time
    assert side_by_side == [False, True, False]

"""Tests for atomic outputs and input sniffing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geostrike.errors import InputError, OutputError
from geostrike.io import atomic_output, read_text


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

    from geostrike.io import write_frame

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
    # issue 12.16: a NUL after the first 8 KB passed into the outputs (here past the
    # 64 KB sniffed head too)
    p = tmp_path / "late.csv"
    p.write_bytes(b"a,b\n" + b"x,y\n" * 20000 + b"bad\x00cell,z\n")
    with pytest.raises(InputError, match=r"NUL byte at line 20002 \(offset 80007\)"):
        read_text(p)


def test_csv_cells_that_spreadsheets_would_run_are_neutralised(tmp_path) -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geostrike.io import neutralise_formulas, write_frame

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

    from geostrike.io import write_frame

    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4326)
    write_frame(gdf, tmp_path / "strikes-yemen.geojson", "GeoJSON")
    doc = json.loads((tmp_path / "strikes-yemen.geojson").read_text(encoding="utf-8"))
    assert doc["name"] == "strikes-yemen"


# --------------------------------------------------------------------------- sniffing
def _counting_open(monkeypatch) -> list[int]:
    """Patch the ``open`` of geostrike.io to count the bytes read through it."""
    import builtins

    from geostrike import io as _io

    counts: list[int] = []

    class _Counted:
        def __init__(self, fh) -> None:  # type: ignore[no-untyped-def]
            self._fh = fh

        def read(self, n: int = -1) -> bytes:
            data = self._fh.read(n)
            counts.append(len(data))
            return data

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc: object) -> None:
            self._fh.close()

    monkeypatch.setattr(
        _io, "open", lambda *a, **k: _Counted(builtins.open(*a, **k)), raising=False
    )
    return counts


@pytest.mark.parametrize("ext", [".csv", ".geojson"])
def test_a_huge_file_is_sniffed_not_read(tmp_path, monkeypatch, ext) -> None:
    from geostrike.inputs.claims import read_table
    from geostrike.io import SNIFF_BYTES

    big = tmp_path / f"huge{ext}"
    with open(big, "wb") as fh:
        fh.write(b"id,date,place\n")
    os.truncate(big, 3 * 2**30)  # 3 GB, sparse: a hole of NUL bytes after the header
    counts = _counting_open(monkeypatch)
    with pytest.raises(InputError, match="binary"):
        read_table(big)
    assert 0 < sum(counts) <= SNIFF_BYTES


def test_a_nul_or_bad_byte_far_into_a_file_is_found(tmp_path) -> None:
    from geostrike.inputs.claims import read_table
    from geostrike.io import check_text

    body = "".join(f"c{i},2015-10-0{i % 9 + 1},Aden\n" for i in range(20000)).encode()
    assert len(body) > 300_000
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"id,date,place\n" + body + b"c-x,2015-10-01,Ad\x00en\n")
    with pytest.raises(InputError, match=r"NUL byte at line 20002 \(offset \d+\)"):
        read_table(nul)
    bad = tmp_path / "bad.csv"
    head = b"\xef\xbb\xbfid,date,place\n" + body
    bad.write_bytes(head + b"c-y,2015-10-01,Ta\xe9izz\n")
    with pytest.raises(InputError, match=f"offset {len(head) + 17}"):  # in the file's bytes
        check_text(bad)
    with pytest.raises(InputError, match=f"offset {len(head) + 17}"):
        read_text(bad)
    early = tmp_path / "early.csv"
    early.write_bytes(b"\xef\xbb\xbfid\xe9\n")
    for check in (check_text, read_text):
        with pytest.raises(InputError, match="offset 5"):
            check(early)
    cut = tmp_path / "cut.csv"
    cut.write_bytes(b"id\n" + "Ṣanʿāʾ".encode()[:-1])
    with pytest.raises(InputError, match="not UTF-8"):
        check_text(cut)
    good = tmp_path / "good.csv"
    good.write_bytes(b"\xef\xbb\xbfid,date,place\n" + body)
    checked = check_text(good)
    assert checked.size == len(body) + 17 and not checked.blank
    assert checked.head.startswith(b"id,date")
    assert len(read_table(good)) == 20000
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b" \n\t\n" * 1000)
    with pytest.raises(InputError, match="empty"):
        read_table(blank)


def test_read_text_finds_a_nul_after_the_first_kilobytes(tmp_path) -> None:
    p = tmp_path / "report.txt"
    p.write_bytes(b"Strikes on Aden.\n" * 5000 + b"\x00")
    with pytest.raises(InputError, match="NUL byte at line 5001"):
        read_text(p)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=64)
    | st.text(max_size=40).map(lambda t: t.encode("utf-8"))
    | st.tuples(
        st.sampled_from([b"", b"\xef\xbb\xbf"]), st.text(max_size=30), st.binary(max_size=3)
    ).map(lambda t: t[0] + t[1].encode("utf-8") + t[2]),
    chunk=st.integers(1, 9),
)
@example(data=b"\xef", chunk=1)  # a BOM's first byte alone: once taken for a BOM to come
@example(data=b"\xef\xbb\xbfok\xe2\x82", chunk=4)  # a character cut at the very end
def test_check_text_agrees_with_a_whole_decode(tmp_path, monkeypatch, data, chunk) -> None:
    from geostrike import io as _io
    from geostrike.io import check_text

    monkeypatch.setattr(_io, "_CHUNK", chunk)  # blocks cut characters anywhere
    monkeypatch.setattr(_io, "SNIFF_BYTES", chunk // 3)  # the streamed pass finds most
    p = tmp_path / "x.txt"
    p.write_bytes(data)
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        expected, bad = data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        expected, bad = None, exc
    if not data:
        with pytest.raises(InputError, match="empty"):
            check_text(p)
    elif b"\x00" in data:
        with pytest.raises(InputError, match="binary|NUL|not UTF-8"):  # whichever first
            check_text(p)
    elif bad is not None:
        with pytest.raises(InputError, match="not UTF-8") as info:
            check_text(p)
        assert f"offset {bom + bad.start}" in str(info.value)
    else:
        assert check_text(p).blank == (not expected.strip())


# --------------------------------------------------------------------------- leftovers
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temps_of_ours_go_live_and_foreign_ones_stay(tmp_path) -> None:
    from geostrike.io import _host_tag, clean_stale_temps

    host = _host_tag()
    other = "0000" if host != "0000" else "ffff"
    dead = _dead_pid()
    live = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    names = {
        f".out.gs{dead}-{host}-ab12cd_x.tmp.gpkg": True,  # owner gone
        f".out.gs{dead}-{host}-ab12cd_x.tmp.gpkg-journal": True,
        f".out.gs{dead}-{host}-ab12cd_x.tmp.gpkg.tmp_rtree_strikes.db": True,  # GDAL's
        f".out.gs{live.pid}-{host}-zz99yy00.tmp.gpkg": False,  # a run still going
        f".was.gs{live.pid}-{host}-re05ed00.tmp.csv": True,  # its pid, reused since
        f".out.gs{os.getpid()}-{host}-qq11ww22.tmp.csv": False,  # this process's own
        f".out.gs{dead}-{other}-mm33nn44.tmp.csv": False,  # another host's, recent
        f".old.gs{dead}-{other}-oo55pp66.tmp.csv": True,  # another host's, days old
        ".out.csv.swp": False,  # not ours
        "out.tmp.csv": False,
        ".out.abc123.tmp.csv": False,  # an older naming: not recognisably ours
    }
    for name in names:
        (tmp_path / name).write_text("x", encoding="utf-8")
    days_ago = time.time() - 3 * 86400
    os.utime(tmp_path / f".old.gs{dead}-{other}-oo55pp66.tmp.csv", (days_ago, days_ago))
    hour_ago = time.time() - 3600  # written before the process now holding that pid began
    os.utime(tmp_path / f".was.gs{live.pid}-{host}-re05ed00.tmp.csv", (hour_ago, hour_ago))
    staged = tmp_path / f".set.gs{dead}-{host}-rr77ss88.tmpset"  # a set's folder
    staged.mkdir()
    (staged / "set_strikes.geojson").write_text("{}", encoding="utf-8")
    try:
        removed = {p.name for p in clean_stale_temps(tmp_path)}
    finally:
        live.communicate(b"")
    assert removed == {n for n, gone in names.items() if gone} | {staged.name}
    assert {p.name for p in tmp_path.iterdir()} == {n for n, gone in names.items() if not gone}


_KILLED_WRITER = """
import sqlite3, sys, time
from geostrike.io import atomic_output
with atomic_output(sys.argv[1]) as tmp:
    con = sqlite3.connect(tmp)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.execute("BEGIN")
    con.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 5000)
    print("writing", flush=True)
    sys.stdin.read()  # killed here, mid-transaction: the temp and its -journal stay
"""


def test_a_killed_write_is_cleaned_by_the_next_run(tmp_path) -> None:
    target = tmp_path / "out.gpkg"
    target.write_bytes(b"the previous output")
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(target)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout.readline() == b"writing\n"
    while not any(p.name.endswith("-journal") for p in tmp_path.iterdir()):
        assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "out.gpkg")
    assert len(left) == 2 and left[1] == left[0] + "-journal", left
    assert target.read_bytes() == b"the previous output"
    with atomic_output(tmp_path / "other.csv") as tmp:  # the next run, any output there
        tmp.write_text("a\n", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.csv", "out.gpkg"]


def test_a_set_is_written_whole_with_a_manifest(tmp_path, monkeypatch) -> None:
    from geostrike import __version__
    from geostrike.io import atomic_set, check_set, manifest_path

    def write(texts: dict[str, str]) -> None:
        with atomic_set(tmp_path, "run") as staging:
            for name, text in texts.items():
                (staging / name).write_text(text, encoding="utf-8")

    write({"run_a.geojson": "A1", "run_a.qml": "<qgis/>", "run_b.geojson": "B1"})
    manifest = manifest_path(tmp_path, "run")
    record = json.loads(manifest.read_text(encoding="utf-8"))
    assert record["generator"] == f"geostrike {__version__}" and record["written"]
    assert [m["name"] for m in record["members"]] == ["run_a.geojson", "run_a.qml", "run_b.geojson"]
    assert check_set(manifest) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "run.manifest.json", "run_a.geojson", "run_a.qml", "run_b.geojson",
    ]  # fmt: skip
    # a failure while writing moves nothing: the previous set stays whole
    with pytest.raises(RuntimeError), atomic_set(tmp_path, "run") as staging:
        (staging / "run_a.geojson").write_text("A2", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert check_set(manifest) == [] and (tmp_path / "run_a.geojson").read_text() == "A1"
    # stopped half-way through the renames: no manifest says the set is whole
    real, moved = os.replace, []

    def stop_after_one(src, dst):  # type: ignore[no-untyped-def]
        if moved:
            raise KeyboardInterrupt
        moved.append(dst)
        real(src, dst)

    monkeypatch.setattr("geostrike.io.os.replace", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        write({"run_a.geojson": "A3", "run_a.qml": "<qgis/>", "run_b.geojson": "B3"})
    monkeypatch.undo()
    assert not manifest.exists()
    assert (tmp_path / "run_a.geojson").read_text() == "A3"  # a mixed set, and no manifest
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
    # a member changed after the set was written is named
    write({"run_a.geojson": "A4", "run_b.geojson": "B4"})
    (tmp_path / "run_b.geojson").write_text("B5", encoding="utf-8")
    assert check_set(manifest) == ["run_b.geojson: not the file this set was written with"]


def _pandas_csv(frame, csv_safe: bool = True) -> bytes:
    """The bytes pandas writes for ``frame``: what the Arrow writer must reproduce."""
    import pandas as pd

    from geostrike.io import CSV_LINE_END, neutralise_formulas

    plain = pd.DataFrame(frame)
    return (
        (neutralise_formulas(plain) if csv_safe else plain)
        .to_csv(index=False, lineterminator=CSV_LINE_END)
        .encode("utf-8")
    )


_cell_text = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(list("ab =+-@\t\r\n\",'.0123456789eE")), max_size=8),
    st.text(max_size=6),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.lists(_cell_text, min_size=1, max_size=12),
    floats=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=12, max_size=12),
    csv_safe=st.booleans(),
)
@example(text=["=1+1", "-44.2", "a\rb", 'q"x', "", None], floats=[0.0] * 12, csv_safe=True)
@example(text=["-5\n", "-\u0663", "+1e5", "-.5"], floats=[1.0] * 12, csv_safe=True)
def test_arrow_csv_writer_writes_the_bytes_pandas_writes(text, floats, csv_safe) -> None:
    """The vectorised writer (issue 18) gives the exact bytes of pandas' to_csv: quoting,
    formula neutralisation, floats as repr (34.0, 1e-05, -0.0, inf), NaN empty, CRLF."""
    import io

    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from geostrike.io import write_csv

    n = len(text)
    frame = pd.DataFrame(
        {
            "name, quoted": pd.Series(text, dtype=object),
            "x": np.array(floats[:n], dtype=float),
            "n": np.arange(n, dtype=np.int64) - 3,
            "ok": np.arange(n) % 2 == 0,
            "s": pd.Series([t if t is None else t[:3] for t in text], dtype="str"),
            "c": pd.Categorical(text),  # one cell per category, taken by the codes
        }
    )
    out = io.BytesIO()
    write_csv(frame, out, csv_safe=csv_safe)
    assert out.getvalue() == _pandas_csv(frame, csv_safe)
    whole = pa.array(frame["s"], type=pa.large_string(), from_pandas=True)
    chunked = frame.assign(  # a column backed by a chunked Arrow array (read by Arrow)
        s=pd.Series(
            pd.arrays.ArrowStringArray(pa.chunked_array([whole.slice(0, 1), whole.slice(1)]))
        )
    )
    out = io.BytesIO()
    write_csv(chunked, out, csv_safe=csv_safe)
    assert out.getvalue() == _pandas_csv(chunked, csv_safe)
    alone = io.BytesIO()  # one column: empty cells quoted, no row reads as a blank line
    write_csv(frame[["name, quoted"]], alone, csv_safe=csv_safe)
    assert alone.getvalue() == _pandas_csv(frame[["name, quoted"]], csv_safe)


def test_arrow_csv_writer_hands_dates_and_mixed_objects_to_pandas(tmp_path) -> None:
    import pandas as pd

    from geostrike.io import write_frame

    frame = pd.DataFrame({"when": pd.to_datetime(["2022-03-01", "2022-03-02"]), "mixed": [1, "=2"]})
    write_frame(frame, tmp_path / "o.csv", "CSV")
    assert (tmp_path / "o.csv").read_bytes() == _pandas_csv(frame)


def test_arrow_csv_writer_repeated_texts_across_batches(tmp_path) -> None:
    """Columns of a few repeated texts (categoricals, and object columns such as the reason
    sentences) are written from their distinct values, across several row batches, with
    the bytes pandas writes."""
    import numpy as np
    import pandas as pd

    from geostrike.io import _CSV_BATCH, write_csv

    n = _CSV_BATCH + 4_321
    texts = np.array(
        ["Aden was held by the Houthis, on 2024-01-12.", '=HYPERLINK("x")', "-5", None, ""],
        dtype=object,
    )
    rng = np.random.default_rng(18)
    frame = pd.DataFrame(
        {
            "reason": texts[rng.integers(0, len(texts), n)],
            "status": pd.Categorical(rng.choice(["ok", "invalid", "=bad"], n)),
            "id": [f"ua-{i}" for i in range(n)],  # all distinct: cell by cell
            "km": np.round(rng.uniform(0, 300, n), 3),
        }
    )
    for csv_safe in (True, False):
        write_csv(frame, tmp_path / "o.csv", csv_safe=csv_safe)
        assert (tmp_path / "o.csv").read_bytes() == _pandas_csv(frame, csv_safe)


def test_arrow_csv_writer_formats_each_category_once(monkeypatch, tmp_path) -> None:
    """Issue 18: a categorical column's cells are made once per category, not once per row
    (the text tests run on the categories only)."""
    import numpy as np
    import pandas as pd

    from geostrike import io as io_mod

    seen: list[int] = []
    real = io_mod.neutralise_array

    def spy(text):
        seen.append(len(text))
        return real(text)

    monkeypatch.setattr(io_mod, "neutralise_array", spy)
    n = 20_000
    verdict = pd.Categorical(np.resize(["consistent", "inconsistent", "indeterminate"], n))
    io_mod.write_csv(pd.DataFrame({"verdict": verdict, "x": np.arange(n)}), tmp_path / "v.csv")
    assert seen == [3]


def test_written_behind_flushes_in_steps_and_keeps_every_byte(tmp_path) -> None:
    """Issue 18: a streamed output is flushed and dropped from the page cache every few
    MB written (by another writer than the one watching); the file is whole, byte for
    byte, and a missing file or a system without the calls is no error."""
    import os

    from geostrike.io import WrittenBehind

    path = tmp_path / "out.csv"
    behind = WrittenBehind(path, every=1000)
    behind.after_write()  # nothing written yet: no file, nothing to do
    want = b""
    with open(path, "wb") as fh:
        for i in range(7):
            part = bytes([65 + i]) * 700
            fh.write(part)
            fh.flush()
            want += part
            behind.after_write()
            if hasattr(os, "posix_fadvise"):
                assert behind._done in (0, 1400, 2800, 4200)  # every 1,000 bytes or more
    behind.close()
    behind.close()  # twice: no error
    assert path.read_bytes() == want
    if hasattr(os, "posix_fadvise"):
        assert behind._done == 4200

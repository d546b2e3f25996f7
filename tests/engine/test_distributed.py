"""The Dask engine gives, row for row, what the in-memory engine gives (on a LocalCluster)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pandas.testing import assert_frame_equal

pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")

from geostrike.engine.check import check  # noqa: E402
from geostrike.engine.distributed import check_dask  # noqa: E402
from geostrike.errors import OutputError  # noqa: E402


def _zones() -> gpd.GeoDataFrame:
    """Two date windows, joint control, aliases as controllers."""
    rows = [
        ("Islamic State", "2015-01-01", "2015-12-31", shapely.box(38.0, 35.0, 40.0, 36.5)),
        ("regime forces", "2015-01-01", "", shapely.box(36.0, 33.0, 37.5, 35.5)),
        ("FSA", "2015-01-01", "2015-06-30", shapely.box(36.0, 35.5, 37.5, 36.5)),
        ("Army of Conquest", "2015-07-01", "", shapely.box(36.0, 35.5, 37.5, 36.5)),
        ("YPG", "2015-01-01", "", shapely.box(40.0, 36.0, 42.0, 37.3)),
    ]
    return gpd.GeoDataFrame(
        {
            "controller": [r[0] for r in rows],
            "valid_from": [r[1] for r in rows],
            "valid_to": [r[2] for r in rows],
            "source": "test",
        },
        geometry=[r[3] for r in rows],
        crs="EPSG:4326",
    )


def _claims(n: int = 600, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    targets = np.array(["ISIS", "Daesh", "terrorists", "al-Nusra", "rebels", "SDF", "government"])
    df = pd.DataFrame(
        {
            "date": rng.choice(["2015-03-01", "2015-09-30", "30 September 2015", ""], n),
            "attacker": "Russia",
            "claimed_target": rng.choice(targets, n),
            "latitude": np.round(rng.uniform(32.5, 37.5, n), 5).astype(str),
            "longitude": np.round(rng.uniform(35.5, 42.5, n), 5).astype(str),
            "precision": rng.choice(["", "1", "2", "3", "10 km"], n),
            "notes": [f"row {i}" for i in range(n)],
        }
    )
    df.loc[7, "latitude"] = "95"  # out of range: an invalid row stays in place
    df.loc[11, "longitude"] = "east"
    return df


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def zones_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("zones") / "zones.gpkg"
    _zones().to_file(path, driver="GPKG")
    return path


def test_csv_partitions_match_memory_engine(client, zones_path, tmp_path) -> None:
    path = tmp_path / "claims.csv"
    _claims().to_csv(path, index=False)
    expected = check(path, zones_path)
    got = check_dask(path, zones_path, None, scheduler=client, npartitions=3)
    assert_frame_equal(got, expected)
    # generated ids follow the global row numbers across partitions
    assert got["id"].iloc[-1] == f"claim-{len(got)}"
    assert set(got["verdict"]) == {"consistent", "inconsistent", "indeterminate"}
    assert (got["status"] == "invalid").sum() >= 2


def test_parquet_folder_and_geoparquet_match(client, zones_path, tmp_path) -> None:
    df = _claims(450, seed=9)
    df["latitude"] = pd.to_numeric(df["latitude"], errors="coerce")
    df["longitude"] = pd.to_numeric(df["longitude"], errors="coerce")
    plain = tmp_path / "plain"
    geo = tmp_path / "geo"
    plain.mkdir()
    geo.mkdir()
    gdf = gpd.GeoDataFrame(
        df.drop(columns=["latitude", "longitude"]),
        geometry=gpd.points_from_xy(df["longitude"], df["latitude"]),
        crs="EPSG:4326",
    )
    for i in range(3):
        df.iloc[i * 150 : (i + 1) * 150].to_parquet(plain / f"part.{i}.parquet")
        gdf.iloc[i * 150 : (i + 1) * 150].to_parquet(geo / f"part.{i}.parquet")
    for folder in (plain, geo):
        expected = check(folder, zones_path)
        got = check_dask(folder, zones_path, None, scheduler=client)
        assert_frame_equal(got, expected)


def test_dataframe_input_and_partitioned_output(client, zones_path, tmp_path) -> None:
    df = _claims(300, seed=2)
    expected = check(df, zones_path)
    out = tmp_path / "result.parquet"
    tally = check_dask(df, zones_path, out, scheduler=client, npartitions=4)
    parts = sorted(p.name for p in out.iterdir())
    assert parts == [f"part.{i}.parquet" for i in range(4)]
    back = pd.concat([gpd.read_parquet(out / p) for p in parts], ignore_index=True)
    assert back["id"].tolist() == expected["id"].tolist()
    assert back["verdict"].tolist() == expected["verdict"].tolist()
    np.testing.assert_array_equal(
        back["distance_to_target_km"].to_numpy(), expected["distance_to_target_km"].to_numpy()
    )
    assert tally.rows == 300
    assert tally.summary().startswith("300 claims: ")
    # running again replaces an earlier partitioned result, never a folder of other files
    check_dask(df, zones_path, out, scheduler=client, npartitions=2)
    assert sorted(p.name for p in out.iterdir()) == ["part.0.parquet", "part.1.parquet"]
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError):
        check_dask(df, zones_path, other, scheduler=client)
    assert (other / "notes.txt").exists()


def test_csv_output_in_order(client, zones_path, tmp_path) -> None:
    df = _claims(200, seed=4)
    expected = check(df, zones_path)
    out = tmp_path / "result.csv"
    check_dask(df, zones_path, out, scheduler=client, npartitions=3)
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back["id"].tolist() == expected["id"].tolist()
    assert back["reason"].tolist() == expected["reason"].tolist()
    assert not list(tmp_path.glob(".result*"))  # no temporary file left behind


def test_unknown_output_extension(client, zones_path, tmp_path) -> None:
    with pytest.raises(OutputError):
        check_dask(_claims(10), zones_path, tmp_path / "x.xlsx", scheduler=client)


def test_bad_row_values_and_file_errors_from_workers(client, zones_path, tmp_path) -> None:
    from geostrike.errors import GeostrikeError

    df = _claims(400, seed=8)
    df.loc[390, "claimed_target"] = "Martians"  # only the last partition sees it
    path = tmp_path / "claims.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "out"
    with pytest.raises(GeostrikeError, match="Martians"):
        check_dask(path, zones_path, out, scheduler=client, npartitions=4)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_cli_engine_dask_with_scheduler(client, zones_path, tmp_path) -> None:
    from click.testing import CliRunner

    from geostrike.cli import cli

    path = tmp_path / "claims.csv"
    _claims(250, seed=12).to_csv(path, index=False)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        cli,
        [
            "check",
            str(path),
            "--zones",
            str(zones_path),
            "--engine",
            "dask",
            "--scheduler",
            client.scheduler.address,
            "--chunk-size",
            "100",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "250 claims" in res.output
    parts = sorted(out.glob("part.*.parquet"), key=lambda p: int(p.name.split(".")[1]))
    assert len(parts) == 3
    got = pd.concat([gpd.read_parquet(p) for p in parts], ignore_index=True)
    expected = check(path, zones_path)
    assert got["id"].tolist() == expected["id"].tolist()
    assert got["reason"].tolist() == expected["reason"].tolist()


def _hostile(n: int = 60) -> pd.DataFrame:
    """Claims with columns named like result columns, repeated ids, out-of-range dates."""
    df = _claims(n, seed=21)
    df.insert(0, "id", [f"d{i}" for i in range(n)])
    df["target"] = "weapons store"
    df["controller"] = "per local sources"
    df["source"] = "@SUM(1+1)"
    df.loc[3, "date"] = "2515-10-01"
    df.loc[4, "date"] = "1677-09-21"
    df.loc[50, "id"] = "d0"  # a repeat in another partition
    df.loc[2, "id"] = ""  # its generated id, claim-3, is given in another partition
    df.loc[55, "id"] = "claim-3"
    return df


@pytest.mark.parametrize("kind", ["returned", "csv", "folder"])
def test_dask_keeps_input_columns_and_reports_repeats(client, zones_path, tmp_path, kind) -> None:
    path = tmp_path / "claims.csv"
    _hostile().to_csv(path, index=False)
    out = {"returned": None, "csv": tmp_path / "out.csv", "folder": tmp_path / "out"}[kind]
    with pytest.warns(UserWarning, match=r"more than one row \('d0'\)"):
        res = check_dask(path, zones_path, out, scheduler=client, npartitions=3)
    if kind == "returned":
        got = res
    elif kind == "csv":
        got = pd.read_csv(out, dtype=str, keep_default_na=False)
        assert got["source"].eq("'@SUM(1+1)").all()
    else:
        parts = sorted(out.glob("part.*.parquet"), key=lambda p: int(p.name.split(".")[1]))
        got = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    assert len(got) == 60
    assert got["input_target"].eq("weapons store").all()
    assert got["input_controller"].eq("per local sources").all()
    assert got.loc[[3, 4], "status"].eq("invalid").all()
    assert got.loc[3, "reason"].startswith("The date '2515-10-01' is outside")
    assert got.loc[2, "id"] == "claim-3-2" and got.loc[55, "id"] == "claim-3"
    dup = got["duplicate_id"].astype(str) == "True"
    if kind == "returned":
        assert dup[[0, 50]].all() and dup.sum() == 2
    elif kind == "csv":
        assert dup[50] and dup.sum() == 1  # the first was written before the repeat was seen


def test_dask_refuses_a_large_csv_with_a_nul_byte(client, zones_path, tmp_path) -> None:
    from geostrike.errors import GeostrikeError

    path = tmp_path / "claims.csv"
    text = _claims(25_000, seed=3).to_csv(index=False)  # over 1 MB: read by the workers
    assert len(text) > 1 << 20
    path.write_text(text[:-30] + "\x00" + text[-30:], encoding="utf-8")
    with pytest.raises(GeostrikeError, match="NUL"):
        check_dask(path, zones_path, None, scheduler=client, npartitions=2)


def test_worker_warnings_reach_the_client_once(client, zones_path, tmp_path) -> None:
    # issue 12.10: a worker's warning was printed raw on its stderr (or lost)
    import warnings

    df = _claims(80, seed=4)
    df["target"] = "ammunition depot"  # a column of the user's named like a result column
    path = tmp_path / "claims.csv"
    df.to_csv(path, index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_dask(path, zones_path, tmp_path / "o.csv", scheduler=client, npartitions=4)
    texts = [str(w.message) for w in caught if "input_target" in str(w.message)]
    assert len(texts) == 1, texts


def test_cli_dask_error_is_one_line(zones_path, tmp_path) -> None:
    import subprocess
    import sys

    df = _claims(20)
    df.loc[5, "claimed_target"] = "Martians"
    path = tmp_path / "claims.csv"
    df.to_csv(path, index=False)
    run = subprocess.run(
        [sys.executable, "-c", "from geostrike.cli import main; main()", "check", str(path),
         "--zones", str(zones_path), "--engine", "dask", "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "Martians" in run.stderr


def test_every_engine_gets_every_option(client, zones_path, tmp_path) -> None:
    """One CheckOptions, three engines (in memory, streamed, Dask): the same result, and
    one unlike the defaults' (each option changed something)."""
    from geostrike.engine.options import CheckOptions
    from geostrike.engine.stream import check_stream
    from geostrike.render.table import write_result

    df = _claims(400, seed=13)
    # numeric dates only a date order can read (05/06 is 5 June under dmy), a precision
    # between the custom coarse limit and the default one, and a formula-like cell
    df["date"] = np.random.default_rng(1).choice(["05/06/2015", "30/09/2015", "01/03/2015"], 400)
    df["precision"] = np.where(np.arange(400) % 3 == 0, "12 km", df["precision"])
    df.loc[3, "notes"] = "=1+1"
    path = tmp_path / "claims.csv"
    df.to_csv(path, index=False)
    opts = CheckOptions(
        tolerance_km=40.0, coarse_km=8.0, date_order="dmy", country=("SY",), csv_safe=False,
        threads=1,
    )  # fmt: skip

    memory = check(path, zones_path, options=opts)
    assert memory["status"].eq("ok").sum() > 300  # the dates were read (dmy)
    default = check(path, zones_path, date_order="dmy")
    assert memory["verdict"].tolist() != default["verdict"].tolist()
    assert memory["reason"].tolist() != default["reason"].tolist()

    streamed = tmp_path / "streamed.csv"
    check_stream(path, zones_path, streamed, chunk_rows=90, options=opts)
    dasked = check_dask(path, zones_path, None, scheduler=client, npartitions=3, options=opts)
    assert_frame_equal(dasked, memory)

    whole = tmp_path / "memory.csv"
    write_result(memory, whole, csv_safe=opts.csv_safe)
    expected = pd.read_csv(whole, dtype=str, keep_default_na=False)
    got = pd.read_csv(streamed, dtype=str, keep_default_na=False)
    assert_frame_equal(got, expected)
    assert got.loc[3, "notes"] == "=1+1"  # csv_safe=False reached the stream writer


def test_one_narrow_pass_gives_lengths_and_reserved_ids(client) -> None:
    """Issue 18: partition lengths and the given ids of the generated form come from one
    pass over the id column (it was two passes over whole partitions)."""
    import dask.dataframe as dd

    from geostrike.engine.distributed import _lengths_and_reserved

    frame = pd.DataFrame(
        {
            "ID": ["a", "claim-5", "", "b", " claim-9 ", "claim-x", "c"],
            "claimed_target": "rsf",
            "latitude": "15.5",
            "longitude": "32.5",
        }
    )
    ddf = dd.from_pandas(frame, npartitions=3)
    lengths, reserved = _lengths_and_reserved(ddf)
    assert lengths == ddf.map_partitions(len).compute().tolist()
    assert sum(lengths) == len(frame) and len(lengths) == 3
    assert reserved == {"claim-5", "claim-9"}
    no_ids, none = _lengths_and_reserved(dd.from_pandas(frame.drop(columns="ID"), npartitions=2))
    assert sum(no_ids) == len(frame) and none == frozenset()


@pytest.mark.parametrize("parts", [[["a", "b", "a"], ["c", "b"], ["b", "d", "c"]], [["x"]]])
def test_ledger_fed_by_worker_hashes_matches_the_ledger_of_rows(parts) -> None:
    """Issue 18: the Dask client's ledger takes each part's id hashes computed on the worker
    (no million ids turned into Python strings on the client) and finds the same repeats,
    with the same names, as the ledger fed whole rows."""
    from geostrike.engine.stream import IdLedger, id_hashes
    from geostrike.inputs.claims import duplicate_ids

    rows, hashed = IdLedger(), IdLedger()
    for ids in parts:
        a = pd.DataFrame({"id": ids, "duplicate_id": duplicate_ids(ids)})
        b = a.copy()
        rows.add(a)
        hashed.add_hashed(id_hashes(b["id"]), b["id"], b)
        assert b["duplicate_id"].tolist() == a["duplicate_id"].tolist()
    assert (hashed.count, hashed.names) == (rows.count, rows.names)
    assert np.array_equal(hashed._seen, rows._seen)


def test_local_workers_are_forked_with_the_engine_loaded(zones_path, tmp_path) -> None:
    """Issue 18: the LocalCluster check_dask starts forks its workers from a forkserver that
    has the engine imported (each spawned worker used to import it all again), and the
    result is still row for row the in-memory engine's."""
    import multiprocessing

    from geostrike.engine.distributed import local_cluster

    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        pytest.fail("this platform has no forkserver: the test needs one")
    claims = tmp_path / "claims.csv"
    _claims(200).to_csv(claims, index=False)
    with local_cluster(2) as client:
        loaded = client.run(
            lambda: __import__("sys").modules.get("geostrike.engine.check") is not None
        )
        start = client.run(lambda: __import__("multiprocessing").get_start_method())
        assert list(loaded.values()) == [True, True]  # before any task ran
        assert set(start.values()) == {"forkserver"}
        got = check_dask(claims, zones_path, None, scheduler=client)
    want = check(claims, zones_path)
    assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")), pd.DataFrame(want.drop(columns="geometry"))
    )


def test_worker_preload_hook_loads_the_kernels() -> None:
    """`dask worker --preload geostrike.engine.distributed` runs dask_setup: the engine's
    compiled kernels are loaded when a long-lived worker starts, not in a job's first task."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom geostrike.engine.distributed import dask_setup\n"
        "print('numba' in sys.modules)\ndask_setup(None)\n"
        "from geostrike.engine._jit import KERNELS\n"
        "print('numba' in sys.modules, all(k._jit is not None for k in KERNELS), len(KERNELS) > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True", "True"]


def test_partitions_read_dates_and_warn_about_rows_as_the_whole_file(
    client, zones_path, tmp_path
) -> None:
    """Issue 18: numeric dates settled by one row of the last partition are read in that
    order in every partition, and a warning about rows (lat/lon swapped) comes once, with
    the file's row numbers, as from the in-memory engine."""
    import warnings

    df = _claims(600, seed=21)
    df["date"] = "09/03/2015"  # 3 September month-first (the whole file's order)
    df.loc[590, "date"] = "09/13/2015"  # the one row that settles it
    for row in (10, 300, 580):  # swapped: lat 40 lon 35.5 -> 35.5 N 40 E
        df.loc[row, ["latitude", "longitude", "claimed_target"]] = ["40.0", "35.5", "ISIS"]
    path = tmp_path / "claims.csv"
    df.to_csv(path, index=False)

    def run(fn):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = fn()
        return got, [str(w.message) for w in caught if "swapped" in str(w.message)]

    expected, memory_warned = run(lambda: check(path, zones_path))
    got, dask_warned = run(
        lambda: check_dask(path, zones_path, None, scheduler=client, npartitions=3)
    )
    assert_frame_equal(got, expected)
    assert set(got["date"]) == {"2015-09-03", "2015-09-13"}
    assert len(memory_warned) == 1 and dask_warned == memory_warned

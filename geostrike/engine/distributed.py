"""Checking claims on a Dask cluster (dask-geopandas on dask.distributed).

The claims are read partition by partition on the workers (a Parquet/GeoParquet folder: one
partition per file or row group; CSV: byte blocks; an in-memory frame: equal slices). The
zones are prepared once on the client (:func:`geostrike.engine.check.prepare_zones`) and broadcast
to every worker (``Client.scatter(..., broadcast=True)``); each partition is checked by
:func:`geostrike.engine.check.check_frame`, the same function the in-memory engine runs, with the
partition's global row offset so that generated ids (``claim-N``) are the same. Results
are therefore identical, row for row, to :func:`geostrike.engine.check.check`.

Outputs: a folder of GeoParquet parts (``part.0.parquet`` …) when ``output`` is a folder,
has no extension or ends in ``.parquet``, written into a temporary folder and renamed; any other extension
(``.csv``, ``.gpkg``, ``.geojson``) is written by the client, partition after partition in
order, through :class:`geostrike.engine.stream.ChunkWriter`. Without ``output`` the whole result
is gathered and returned.

Dask is an optional extra: ``pip install 'geostrike[dask]'``. Without a scheduler address a
``LocalCluster`` of worker processes is started (scripts that call this must guard their
entry point with ``if __name__ == "__main__":``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from geostrike.errors import GeostrikeError, InputError, OutputError
from geostrike.io import PARQUET_SUFFIXES

#: attrs key of a partition's result: the texts of the UserWarnings its check raised.
_WARNINGS = "geostrike_warnings"


class _WorkerError(Exception):
    """A GeostrikeError raised in a worker, carried back as plain text (picklable)."""


def _require_dask() -> None:
    try:
        import dask  # noqa: F401
        import dask_geopandas  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise GeostrikeError(
            f"the dask engine needs the optional dependencies: pip install 'geostrike[dask]' "
            f"({exc.name} is missing)"
        ) from None


#: Imported once by the forkserver that starts a LocalCluster's worker processes, so that
#: each worker is forked with them loaded instead of importing them itself: with "spawn"
#: every worker paid 1 s of CPU or more before its first task (docs/scaling.md, issue 18).
WORKER_PRELOAD = (
    "distributed",
    "dask.dataframe",
    "pandas",
    "pyarrow.parquet",
    "geopandas",
    "dask_geopandas",
    "geostrike.engine.check",
    "geostrike.engine.distributed",
)


@contextlib.contextmanager
def _forked_workers() -> Iterator[None]:
    """While a LocalCluster starts: its worker processes forked from a forkserver that has
    :data:`WORKER_PRELOAD` imported (where the platform has a forkserver; else as Dask
    starts them)."""
    import multiprocessing

    import dask

    if "forkserver" not in multiprocessing.get_all_start_methods():
        yield
        return
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        from distributed.utils import get_mp_context

        get_mp_context().set_forkserver_preload(list(WORKER_PRELOAD))
        yield


def dask_setup(worker: Any = None) -> None:
    """Worker preload hook: ``dask worker ... --preload geostrike.engine.distributed`` imports
    the engine and loads its compiled kernels when a long-lived worker starts, so that no
    job's first partition pays them."""
    from geostrike.engine import warm_kernels

    warm_kernels()


@contextlib.contextmanager
def _client(scheduler: Any = None) -> Iterator[Any]:
    """A distributed Client: the given one, one connected to an address, or a LocalCluster."""
    from distributed import Client

    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler  # an existing Client
        return
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise GeostrikeError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    with local_cluster() as client:
        yield client


@contextlib.contextmanager
def local_cluster(workers: int | None = None) -> Iterator[Any]:
    """A Client on a LocalCluster of ``workers`` single-threaded worker processes (default:
    one per core, up to 8), forked from a forkserver with :data:`WORKER_PRELOAD` imported
    where the platform has one; worker logs silenced (a failed task is reported once, as
    geostrike's one-line error)."""
    from distributed import Client, LocalCluster

    workers = workers or max(1, min(os.cpu_count() or 1, 8))
    with (
        _forked_workers(),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            silence_logs=logging.CRITICAL,
            # the dashboard on a free loopback port: never another cluster's port (which
            # gave a warning line), never reachable from outside this machine
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


# ----------------------------------------------------------------------------- input
def _claims_frame(claims: Any, npartitions: int | None, workers: int) -> tuple[Any, str | None]:
    """A dask DataFrame of raw claims (as geostrike.inputs.claims.read_table reads them), and path."""
    import dask
    import dask.dataframe as dd
    import geopandas as gpd

    from geostrike.inputs.claims import points_to_columns, read_table
    from geostrike.io import require_file

    if isinstance(claims, pd.DataFrame):
        df = points_to_columns(claims, None) if isinstance(claims, gpd.GeoDataFrame) else claims
        parts = npartitions or max(workers * 2, 1)
        return dd.from_pandas(pd.DataFrame(df).reset_index(drop=True), npartitions=parts), None
    p = require_file(claims)
    suffix = p.suffix.lower()
    with dask.config.set({"dataframe.convert-string": False}):
        if p.is_dir() or suffix in PARQUET_SUFFIXES:
            import pyarrow.dataset as ds

            try:
                meta = ds.dataset(p, format="parquet").schema.metadata or {}
            except Exception as exc:
                raise InputError(p, f"is not a readable Parquet file or folder ({exc})") from None
            if b"geo" in meta:
                import dask_geopandas

                gddf = dask_geopandas.read_parquet(p, split_row_groups="adaptive")
                ddf = gddf.map_partitions(_points_partition)
            else:
                ddf = dd.read_parquet(p, split_row_groups="adaptive")
            ddf = ddf.map_partitions(_text_partition, p, meta=ddf._meta)
        elif suffix in (".csv", ".tsv"):
            import warnings

            from geostrike.inputs.claims import CSV_READ_OPTIONS, check_extra_fields

            if p.stat().st_size < (1 << 20):
                read_table(p)  # small file: the in-memory reader's clear errors, early
            from geostrike.inputs.claims import csv_separator

            with open(p, "rb") as fh:
                sep = csv_separator(fh.readline().decode("utf-8", "replace"), suffix)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                ddf = dd.read_csv(p, sep=sep, blocksize="64MB", **CSV_READ_OPTIONS)
            if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
                check_extra_fields(p, p, sep, len(ddf.columns))  # rows longer than the header
            ddf = ddf.map_partitions(_text_partition, p, meta=ddf._meta)
        else:  # GeoJSON, GeoPackage, ...: read once, then split
            df = read_table(p)
            parts = npartitions or max(workers * 2, 1)
            return dd.from_pandas(df, npartitions=parts), str(p)
    if npartitions and ddf.npartitions != npartitions:
        ddf = ddf.repartition(npartitions=npartitions)
    return ddf, str(p)


def _text_partition(part: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A partition as read, refused (as the other engines refuse the file) when a cell
    holds a NUL character."""
    from geostrike.inputs.claims import refuse_nul

    try:
        refuse_nul(path, part)
    except GeostrikeError as exc:
        raise _WorkerError(str(exc)) from None
    return part


def _points_partition(gdf: Any) -> pd.DataFrame:
    """Point geometries to latitude/longitude columns, with the same columns in every part."""
    from geostrike.inputs.claims import points_to_columns

    df = points_to_columns(gdf, None)
    if "_geometry_problem" not in df.columns:
        df["_geometry_problem"] = pd.Series([None] * len(df), index=df.index, dtype=object)
    return df


def _check_partition(
    part: pd.DataFrame,
    prepared: Any,
    offsets: list[int],
    options: Any,
    actors: Any,
    path: str | None,
    reserved: frozenset = frozenset(),
    partition_info: dict | None = None,
) -> Any:
    """Run the in-memory engine on one partition, numbered by its global row offset."""
    from geostrike.engine import measure as _nearest
    from geostrike.engine.stream import check_with_warnings
    from geostrike.inputs.actors import ActorTable, load_actors

    _nearest.MAX_THREADS = 1  # the workers are the parallelism; no threads within a task
    number = partition_info["number"] if partition_info else 0
    start = offsets[number]
    try:
        table = actors if isinstance(actors, ActorTable) else load_actors(actors)
        if len(part) == 0:
            return _empty_like(prepared, part, table, options)
        part = part.copy(deep=True)  # partitions may arrive as read-only buffers
        # geostrike's own warnings kept by the task (a worker's other tasks may run beside
        # it, and the warnings module's record is process-wide); the libraries' recorded
        with warnings.catch_warnings(record=True) as caught:  # sent to the client, not
            warnings.simplefilter("always")  # printed on the worker's stderr
            result, told = check_with_warnings(
                part,
                prepared,
                options=options.but(threads=1),
                actors=table,
                path=path,
                id_start=start + 1,
                warn_duplicates=False,  # the client warns once for the whole run
                reserved_ids=reserved,
            )
    except GeostrikeError as exc:  # its own class may not survive pickling: send the text
        raise _WorkerError(str(exc)) from None
    result.index = pd.RangeIndex(start, start + len(result))
    from geostrike.errors import RowsWarning

    given = [*told, *(w.message for w in caught if issubclass(w.category, UserWarning))]
    result.attrs[_WARNINGS] = [  # warnings about rows whole (added up on the client)
        m if isinstance(m, RowsWarning) else str(m) for m in given
    ]
    return result


def _empty_like(prepared: Any, part: pd.DataFrame, table: Any, options: Any) -> Any:
    """The result's empty frame (Dask's ``meta``): its warnings are the partitions' to give,
    so none is raised here (the client would otherwise say each one twice)."""
    from geostrike.engine.check import check_frame

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return check_frame(part.head(0), prepared, options=options, actors=table)


# ----------------------------------------------------------------------------- output
def _is_folder_output(output: Path) -> bool:
    """A folder of parts: an existing folder, a path ending in '/', '.parquet' or no suffix."""
    return (
        output.is_dir() or str(output).endswith(os.sep) or output.suffix.lower() in (".parquet", "")
    )


def _replaceable(folder: Path) -> bool:
    """A folder we may replace: missing, empty, or holding only an earlier partitioned result."""
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    return all(
        c.name.startswith("part.") or c.name in ("_metadata", "_common_metadata")
        for c in folder.iterdir()
    )


def _move_folder(tmp: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ----------------------------------------------------------------------------- the run
def check_dask(
    claims: Any,
    zones: Any,
    output: str | Path | None,
    *,
    scheduler: Any = None,
    tolerance_km: float | None = None,
    actors: Any = None,
    npartitions: int | None = None,
    chunk_size: int | None = None,
    engine: str = "dask",
    csv_safe: bool | None = None,
    options: Any = None,
) -> Any:
    """Check claims on a Dask cluster.

    Parameters
    ----------
    claims
        Claims path (Parquet/GeoParquet file or folder, CSV, or any file
        :func:`geostrike.read_claims` reads) or a DataFrame/GeoDataFrame.
    zones
        Zones path, GeoDataFrame or :class:`geostrike.engine.check.PreparedZones`; prepared once
        and broadcast to every worker.
    output
        A folder or ``*.parquet`` path (partitioned GeoParquet, ``part.N.parquet``), a
        ``.csv``/``.gpkg``/``.geojson`` file, or None to return the result.
    scheduler
        Address of a running scheduler (``tcp://host:8786``), a ``distributed.Client``, or
        None for a LocalCluster with one single-threaded worker process per core.
    tolerance_km, actors
        As for :func:`geostrike.engine.check.check`.
    npartitions
        Repartition the claims into this many partitions (default: as read).
    chunk_size
        Rows per partition (repartitions a file input; ignored when ``npartitions`` is set).
        With ``engine="memory"`` the file is streamed instead, see below.
    engine
        ``"dask"`` (default), or ``"memory"`` to stream the file on this machine in chunks of
        ``chunk_size`` rows with :func:`geostrike.engine.stream.check_stream` (the CLI's
        ``--chunk-size`` without ``--engine dask``; needs ``output``).
    csv_safe
        In a CSV output, neutralise text cells a spreadsheet would run as formulas.
    options
        A :class:`geostrike.engine.options.CheckOptions` sent whole to every partition
        (date order included: worker processes do not see this process's settings);
        ``tolerance_km`` and ``csv_safe`` given as well win.

    Ids used by more than one row are marked in ``duplicate_id`` and named in one
    warning: across the whole result when it is returned or written to one file (rows
    after the first); within each part for a folder of parts, where a repeat across parts
    is only counted in the warning.

    Returns
    -------
    GeoDataFrame or geostrike.engine.stream.Tally
        The whole result (row for row what :func:`geostrike.engine.check.check` returns) when
        ``output`` is None; else the counts (``.summary()``) and ``.path`` of the output.
    """
    from geostrike.engine.options import options_from

    opts = options_from(options, tolerance_km=tolerance_km, csv_safe=csv_safe)
    if engine == "memory":
        from geostrike.engine.stream import DEFAULT_CHUNK_ROWS, check_stream

        if output is None:
            raise GeostrikeError("streaming in chunks (--chunk-size) needs an output file (-o)")
        if isinstance(claims, pd.DataFrame):
            raise GeostrikeError("streaming reads a claims file, not a DataFrame")
        return check_stream(
            claims,
            zones,
            output,
            chunk_rows=chunk_size or DEFAULT_CHUNK_ROWS,
            actors=actors,
            options=opts,
        )
    _require_dask()
    if not isinstance(claims, pd.DataFrame):
        from geostrike.engine.stream import file_date_order

        opts = file_date_order(claims, opts)  # the file's, not each partition's

    from geostrike.engine.check import PreparedZones, prepare_zones
    from geostrike.inputs.actors import ActorTable, load_actors

    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    prepared = zones if isinstance(zones, PreparedZones) else prepare_zones(zones, actors=table)
    out = Path(output) if output is not None else None
    folder = out is not None and _is_folder_output(out)
    if out is not None:
        parent = out.parent if str(out.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(out, f"folder {str(parent)!r} does not exist")
        if folder and not _replaceable(out):
            raise OutputError(out, "exists and holds other files; give a new or empty folder")
        if not folder and out.suffix.lower() not in (".csv", ".gpkg", ".geojson", ".json"):
            raise OutputError(
                out, "unknown output extension; use a folder, .parquet, .csv, .gpkg or .geojson"
            )

    try:
        return _run(
            client_spec=scheduler,
            claims=claims,
            prepared=prepared,
            table=table,
            options=opts,
            npartitions=npartitions,
            chunk_size=chunk_size,
            out=out,
            folder=folder,
        )
    except _WorkerError as exc:
        raise GeostrikeError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise InputError(claims, f"is not UTF-8 text ({exc.reason})") from None


def _run(
    *,
    client_spec: Any,
    claims: Any,
    prepared: Any,
    table: Any,
    options: Any,
    npartitions: int | None,
    chunk_size: int | None,
    out: Path | None,
    folder: bool,
) -> Any:
    import dask
    import geopandas as gpd

    from geostrike.engine.stream import ChunkWarnings, ChunkWriter, IdLedger, Tally

    with _client(client_spec) as client, dask.config.set({"dataframe.convert-string": False}):
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        ddf, path = _claims_frame(claims, npartitions, workers)
        lengths, reserved = _lengths_and_reserved(ddf)  # one narrow pass, not two
        if chunk_size and not npartitions and max(lengths, default=0) > chunk_size:
            ddf = ddf.repartition(npartitions=-(-sum(lengths) // chunk_size))
            lengths, _ = _lengths_and_reserved(ddf)
        offsets = [0]
        for n in lengths:
            offsets.append(offsets[-1] + int(n))
        zones_future = client.scatter(prepared, broadcast=True, hash=False)
        # the result's schema: the engine on an empty frame with the claims' columns
        meta = _empty_like(prepared, ddf._meta, table, options)
        result = ddf.map_partitions(
            _check_partition,
            zones_future,
            offsets,
            options,
            table,
            path,
            reserved,
            meta=meta,
            align_dataframes=False,
        )
        ids = IdLedger()
        seen = ChunkWarnings()
        if out is None:
            parts = client.gather(client.compute(result.to_delayed()))
            for part in parts:
                seen.add_messages(part.attrs.get(_WARNINGS))
            gathered = gpd.GeoDataFrame(pd.concat(parts), crs="EPSG:4326")
            gathered.attrs = {}
            from geostrike.engine.check import _warn_duplicates
            from geostrike.inputs.claims import duplicate_ids

            gathered["duplicate_id"] = duplicate_ids(gathered["id"])
            seen.warn()
            _warn_duplicates(gathered["id"], gathered["duplicate_id"].to_numpy())
            return gathered
        tally = Tally()
        if folder:
            from geostrike.io import clean_stale_temps, temp_prefix

            clean_stale_temps(out.parent)  # folders left by killed runs (ours only)
            tmp = Path(
                tempfile.mkdtemp(prefix=temp_prefix(out.name), suffix=".tmp", dir=out.parent)
            )
            futures: list[Any] = []
            try:
                futures = client.compute(
                    [
                        dask.delayed(_write_part)(part, tmp / f"part.{i}.parquet")
                        for i, part in enumerate(result.to_delayed())
                    ]
                )
                for counts in client.gather(futures):
                    seen.add_messages(counts["warnings"])
                    tally.rows += counts["rows"]
                    tally.status.update(counts["status"])
                    tally.verdict.update(counts["verdict"])
                    # counted, not marked: the parts are written; hashed on the worker
                    ids.add_hashed(counts["hashes"], counts["ids"]["id"], counts["ids"])
                _move_folder(tmp, out)
                seen.warn()
                ids.warn()
            except BaseException:
                client.cancel(futures)  # no part starts now; those running may still write
                _remove_folder(tmp)
                raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            tally.path = out
            return tally
        writer = ChunkWriter(out, csv_safe=options.csv_safe)
        try:
            futures = client.compute(result.to_delayed())
            for fut in futures:  # in partition order; workers keep computing meanwhile
                part = fut.result()
                seen.add_messages(part.attrs.get(_WARNINGS))
                ids.add(part)
                writer.write(part)
                tally.add(part)
                fut.release()
        except BaseException:
            writer.abort()
            raise
        tally.path = writer.close()
        seen.warn()
        ids.warn()
        return tally


def _remove_folder(folder: Path, tries: int = 100) -> None:
    """Remove a folder that workers may still be writing parts into (a task running when
    its future was cancelled runs to its end): removed again until it stays gone, for up
    to ``tries`` twentieths of a second (a part's write), then left to
    :func:`geostrike.io.clean_stale_temps` of the next run."""
    import time

    for _ in range(tries):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.05)


def _lengths_and_reserved(ddf: Any) -> tuple[list[int], frozenset]:
    """Each partition's number of rows, and every given id of the ``claim-N…`` form in any
    partition (so that no partition generates an id another one was given), in one pass
    over one column: the id column, or the first column when there is none."""
    import dask

    from geostrike.inputs.claims import id_column

    col = id_column(ddf.columns)
    narrow = ddf[col if col is not None else ddf.columns[0]]
    counted = dask.compute(
        *[dask.delayed(_count_and_reserve)(p, col is not None) for p in narrow.to_delayed()]
    )
    return [n for n, _ in counted], frozenset().union(*(found for _, found in counted))


def _count_and_reserve(ids: Any, is_id: bool) -> tuple[int, frozenset]:
    """A partition's row count and its given ids of the generated form (on the worker)."""
    from geostrike.inputs.claims import generated_like_ids

    return len(ids), (generated_like_ids(ids) if is_id else frozenset())


def _write_part(part: Any, path: Path) -> dict:
    """Write one partition's result as GeoParquet (on the worker); return its counts."""
    from geostrike.engine.stream import id_hashes

    caught = part.attrs.pop(_WARNINGS, None)  # for the client, not the file's metadata
    part.to_parquet(path, index=False)
    return {
        "rows": len(part),
        "status": part["status"].value_counts().to_dict(),
        "verdict": part["verdict"].value_counts().to_dict(),
        "ids": part[["id", "duplicate_id"]].reset_index(drop=True),
        "hashes": id_hashes(part["id"]),  # the client's ledger needs no per-row Python
        "warnings": caught,
    }


__all__ = ["WORKER_PRELOAD", "check_dask", "dask_setup", "local_cluster"]

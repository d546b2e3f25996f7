"""Checking a claims file larger than memory, chunk by chunk, with a progress bar.

The zones are prepared once (:func:`geostrike.engine.check.prepare_zones`); the claims file is read
in chunks of ``chunk_rows`` rows (CSV through pandas' ``chunksize``, Parquet files and
folders through pyarrow record batches, GeoPackage and other GDAL formats through pyogrio
feature ranges); each chunk is checked by :func:`geostrike.engine.check.check_frame` and appended
to a temporary output file, renamed over the target only when every chunk is written
(:func:`geostrike.io.atomic_output`). Memory stays bounded by one chunk and its result,
whatever the size of the file. Outputs: CSV, Parquet (GeoParquet) or GeoPackage (one plain
``claims`` layer); GeoJSON results are buffered and written at the end.

Results are the same rows, in the same order, with the same generated ids (``claim-N`` by
global row number) as :func:`geostrike.engine.check.check` on the whole file.

Why one module of ~600 lines: reading chunks, the ledger of ids across chunks and the
per-format chunk writers share one loop and its state (the open writer, the id ledger,
row numbers); the Dask engine reuses the writers from here rather than a copy.
"""

from __future__ import annotations

import collections
import functools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geostrike.engine._jit import compiled
from geostrike.errors import InputError, OutputError
from geostrike.inputs.claims import refuse_nul
from geostrike.io import (
    PARQUET_SUFFIXES,
    WrittenBehind,
    atomic_output,
    check_text,
    require_file,
    write_csv,
)

#: Default number of claims per chunk (a few hundred MB of working memory at most).
DEFAULT_CHUNK_ROWS = 100_000
_WRITABLE = {".csv", ".parquet", ".geoparquet", ".gpkg", ".geojson", ".json"}
_BEHIND = {".csv", ".parquet", ".geoparquet"}  # outputs written behind (WrittenBehind)


# ----------------------------------------------------------------------------- reading
def _input_bytes(path: str | Path) -> int | None:
    """Bytes of a claims file, or of every file of a Parquet folder; None when unreadable."""
    p = Path(path)
    try:
        if p.is_dir():
            return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        return p.stat().st_size
    except OSError:
        return None


def _large_input(path: str | Path) -> bool:
    """Whether a claims file (or Parquet folder) holds at least 1 MiB: enough claims for the
    compiled kernels to be used."""
    return (_input_bytes(path) or 0) >= 1 << 20


def should_stream(claims_path: str | Path, output: str | Path | None) -> bool:
    """Whether the CLI should stream this claims file: a CSV or Parquet output and at
    least :func:`geostrike.settings.stream_rows` rows (same results, bounded memory, writing
    overlapped with checking), or any streamable output and a file of at least
    :func:`geostrike.settings.stream_bytes` bytes."""
    from geostrike import settings

    if output is None:
        return False
    out = Path(output).suffix.lower()
    if out not in _WRITABLE - {".geojson", ".json"}:
        return False
    p = Path(claims_path)
    size = _input_bytes(p)
    if size is None:
        return False
    if size >= settings.stream_bytes():
        return True
    if out not in (".csv", ".parquet", ".geoparquet"):
        return False  # a GeoPackage in memory is styled, with the zones (render.qgis)
    if p.is_file() and p.suffix.lower() not in (*PARQUET_SUFFIXES, ".csv", ".tsv", ".txt"):
        return False  # GDAL formats: read in memory
    rows = count_rows(p)
    return rows is not None and rows >= settings.stream_rows()


def count_rows(path: str | Path) -> int | None:
    """Number of rows of a claims file, cheaply (Parquet metadata, CSV line count)."""
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if p.is_dir() or suffix in PARQUET_SUFFIXES:
            import pyarrow.dataset as ds

            return int(ds.dataset(p, format="parquet").count_rows())
        if suffix in (".csv", ".tsv", ".txt"):
            lines, last = 0, b"\n"
            with open(p, "rb") as fh:
                while block := fh.read(1 << 20):
                    lines += block.count(b"\n")
                    last = block[-1:]
            return max(lines + (last != b"\n") - 1, 0)  # minus the header
        import pyogrio

        return int(pyogrio.read_info(p)["features"])
    except Exception:  # a count is only for the progress bar
        return None


def iter_chunks(
    path: str | Path, chunk_rows: int = DEFAULT_CHUNK_ROWS, *, arrow: bool = True
) -> Iterator[pd.DataFrame]:
    """Yield the raw claims table of ``path`` in chunks of at most ``chunk_rows`` rows.

    Each chunk is what :func:`geostrike.inputs.claims.read_table` gives for the whole file (CSV
    cells as text, point geometries as latitude/longitude columns), restricted to its rows.
    A CSV file is read by Arrow's streaming reader (``arrow``) under a clean header, as the
    in-memory reader reads it; where Arrow refuses a later part of the file,
    :class:`ArrowCsvRefused` is raised and the caller starts again with ``arrow=False``
    (pandas' reader, the in-memory reader's fallback).
    """
    from geostrike.inputs.claims import points_to_columns

    p = require_file(path)
    suffix = p.suffix.lower()
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    if p.is_dir() or suffix in PARQUET_SUFFIXES:
        yield from _parquet_chunks(p, chunk_rows)
    elif suffix in (".csv", ".tsv", ".txt"):
        yield from _csv_chunks(p, chunk_rows, suffix, arrow=arrow)
    else:
        import pyogrio

        if suffix in (".geojson", ".json"):
            _refuse_json_nul(p)
        try:
            total = int(pyogrio.read_info(p)["features"])
            for start in range(0, max(total, 1), chunk_rows):
                gdf = pyogrio.read_dataframe(p, skip_features=start, max_features=chunk_rows)
                chunk = points_to_columns(gdf, p)
                refuse_nul(p, chunk)  # as the in-memory reader refuses it
                yield chunk
        except InputError:
            raise
        except Exception as exc:  # GDAL errors
            raise InputError(p, f"cannot be read as {suffix or 'a vector file'} ({exc})") from None


def _refuse_json_nul(p: Path) -> None:
    """InputError for a JSON file holding a NUL, raw or escaped (GDAL would cut the text
    there), read in blocks: the in-memory reader's rule, in constant memory."""
    tail = b""
    with open(p, "rb") as fh:
        while block := fh.read(1 << 20):
            data = tail + block
            if b"\x00" in data or b"\\u0000" in data:
                raise InputError(p, "holds a NUL character (raw or \\u0000): binary data")
            tail = data[-6:]


class ArrowCsvRefused(Exception):
    """Arrow's CSV reader refused a part of the file it had started to stream: the run
    starts again with pandas' reader (as the in-memory reader falls back to it), so that
    the chunks are the rows the in-memory reader would read."""


def _csv_header(p: Path, suffix: str) -> tuple[str, list[str], bool]:
    """:func:`geostrike.inputs.claims.csv_header` of the file, checked as text first (one
    line, before any output)."""
    from geostrike.inputs.claims import csv_header

    return csv_header(check_text(p).head, suffix)


def _csv_chunks(
    p: Path, chunk_rows: int, suffix: str, *, arrow: bool = True
) -> Iterator[pd.DataFrame]:
    # cells as the in-memory reader reads them: kept as written under a clean header (its
    # Arrow path), spaces after a separator skipped otherwise (its pandas path)
    sep, names, clean = _csv_header(p, suffix)
    if arrow and clean:
        yield from _arrow_csv_chunks(p, chunk_rows, sep, names)
    else:
        # a file Arrow refused (arrow=False) is read as the in-memory reader's pandas
        # fallback reads it: spaces after a separator skipped, whatever the header
        yield from _pandas_csv_chunks(p, chunk_rows, sep, clean and arrow)


def _reads_quietly(path: str | Path, arrow: bool) -> bool:
    """Whether the chunks of ``path`` are read without catching warnings (Parquet, and CSV
    through Arrow): only those are read by a background thread, since
    ``warnings.catch_warnings`` is not thread-safe (pandas' CSV reader needs it)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if p.is_dir() or suffix in PARQUET_SUFFIXES:
        return True
    if arrow and suffix in (".csv", ".tsv", ".txt"):
        try:
            return _csv_header(p, suffix)[2]
        except InputError:
            return False  # the reader says what is wrong, in the main thread
    return False


def _arrow_csv_chunks(
    p: Path, chunk_rows: int, sep: str, names: list[str]
) -> Iterator[pd.DataFrame]:
    """Chunks read by Arrow's streaming CSV reader, every cell as text (the in-memory
    reader's options); :class:`ArrowCsvRefused` where Arrow cannot go on."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from geostrike.inputs.claims import csv_text_options

    try:
        reader = pacsv.open_csv(
            p,
            read_options=pacsv.ReadOptions(block_size=1 << 20),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=csv_text_options(names),  # as the in-memory reader reads
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise ArrowCsvRefused(str(exc)) from None
    batches: list = []
    held = 0
    seen = False
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
            raise ArrowCsvRefused(str(exc)) from None
        batches.append(batch)
        held += batch.num_rows
        while held >= chunk_rows:
            table = pa.Table.from_batches(batches)
            seen = True
            yield table.slice(0, chunk_rows).to_pandas()
            rest = table.slice(chunk_rows)
            batches, held = rest.to_batches(), rest.num_rows
    if held:
        seen = True
        yield pa.Table.from_batches(batches).to_pandas()
    if not seen:
        raise InputError(p, "has no rows: no claims to read")


def _pandas_csv_chunks(p: Path, chunk_rows: int, sep: str, clean: bool) -> Iterator[pd.DataFrame]:
    import warnings

    from geostrike.inputs.claims import CSV_READ_OPTIONS, check_extra_fields

    try:
        reader = pd.read_csv(
            p, sep=sep, chunksize=chunk_rows, **{**CSV_READ_OPTIONS, "skipinitialspace": not clean}
        )
        seen = False
        checked = False
        while True:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                chunk = next(reader, None)
            if chunk is None:
                break
            if not checked and any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
                check_extra_fields(p, p, sep, len(chunk.columns))  # rows longer than the header
                checked = True
            refuse_nul(p, chunk)  # as the in-memory reader refuses it
            seen = True
            yield chunk
        if not seen:
            raise InputError(p, "has no rows: no claims to read")
    except UnicodeDecodeError as exc:
        raise InputError(p, f"is not UTF-8 text (bad byte: {exc.reason})") from None
    except pd.errors.EmptyDataError:
        raise InputError(p, "file is empty") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(p, f"is not a readable CSV file ({str(exc).splitlines()[0]})") from None


def _parquet_chunks(p: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.dataset as ds

    from geostrike.inputs.claims import points_to_columns

    try:
        if p.is_dir():
            dataset = ds.dataset(p, format="parquet")
            meta = dataset.schema.metadata or {}
            schema = dataset.schema
            # no read-ahead: memory is one chunk, not a queue of decoded batches
            batches = dataset.to_batches(
                batch_size=chunk_rows, batch_readahead=0, fragment_readahead=0
            )
        else:
            import pyarrow.parquet as pq

            # a file: decoded chunk by chunk, even within one large row group
            file = pq.ParquetFile(p, pre_buffer=False)
            schema = file.schema_arrow
            meta = schema.metadata or {}
            batches = file.iter_batches(batch_size=chunk_rows)
        geo = b"geo" in meta
        seen = False
        for batch in batches:
            if batch.num_rows == 0:
                continue
            seen = True
            table = _table_of(batch, schema)
            if geo:
                from geopandas.io.arrow import _arrow_to_geopandas

                chunk = points_to_columns(_arrow_to_geopandas(table), p)
            else:
                chunk = table.to_pandas()
            refuse_nul(p, chunk)  # as the in-memory reader refuses it
            yield chunk
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises many types for non-Parquet input
        raise InputError(
            p, f"is not a readable Parquet file or folder ({str(exc).splitlines()[0]})"
        ) from None
    if not seen:
        raise InputError(p, "has no rows: no claims to read")


def _table_of(batch: Any, schema: Any) -> Any:
    import pyarrow as pa

    return pa.Table.from_batches([batch]).replace_schema_metadata(schema.metadata)


# ----------------------------------------------------------------------------- writing
class ChunkWriter:
    """Append check results chunk by chunk to a temporary file; rename it on :meth:`close`.

    CSV (header once, geometry dropped and formula cells neutralised as in
    :func:`geostrike.render.table.write_result` unless ``csv_safe`` is False, by the same
    Arrow writer), GeoParquet (one row group per chunk, the points made from the coordinate
    columns as the in-memory writer makes them), GeoPackage (one ``claims`` layer,
    appended) or GeoJSON (buffered: written at the end).

    Each chunk is written by a background thread (``background``, the default), so that
    writing one chunk overlaps checking the next; at most one write waits, so memory holds
    two chunks' results at most. A write's error is raised by the next :meth:`write` or by
    :meth:`close`.
    """

    def __init__(self, path: str | Path, *, csv_safe: bool = True, background: bool = True) -> None:
        self.path = Path(path)
        self.csv_safe = csv_safe
        self.suffix = self.path.suffix.lower()
        if self.suffix not in _WRITABLE:
            raise OutputError(
                self.path, "unknown output extension; use .csv, .parquet, .gpkg or .geojson"
            )
        self._ctx = atomic_output(self.path)
        self.tmp = self._ctx.__enter__()
        self._pq = None
        self._schema = None
        self._buffer: list[Any] = []
        self._done = False
        self._pool = None
        if background and self.suffix not in (".geojson", ".json"):
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="geostrike-write")
        self._pending: Any = None
        self.rows = 0
        # CSV and Parquet: written to disk and out of the page cache as they grow
        self._behind = WrittenBehind(self.tmp) if self.suffix in _BEHIND else None

    def write(self, result: Any, before: Callable[[Any], None] | None = None) -> None:
        """Append one chunk of results (a frame from ``check_frame``); ``before(result)``
        runs first, in the same thread (the id ledger marking repeated ids: its hashing
        overlaps the next chunk's check too)."""
        first = self.rows == 0
        self.rows += len(result)
        if self._pool is None:
            self._write(result, first, before)
            return
        self._wait()  # the previous chunk written (its error raised here)
        self._pending = self._pool.submit(self._write, result, first, before)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _write(self, result: Any, first: bool, before: Callable[[Any], None] | None) -> None:
        if before is not None:
            before(result)
        try:
            if self.suffix == ".csv":
                with open(self.tmp, "ab") as fh:  # the same Arrow writer as in memory
                    write_csv(result, fh, csv_safe=self.csv_safe, header=first)
            elif self.suffix in (".parquet", ".geoparquet"):
                self._write_parquet(result)
            elif self.suffix == ".gpkg":  # the in-memory writer: one bulk Arrow write
                from geostrike.render.table import write_geopackage_layer

                write_geopackage_layer(_with_points(result), self.tmp, "claims", append=not first)
            else:
                self._buffer.append(_with_points(result))
            if self._behind is not None:
                self._behind.after_write()
        except OSError as exc:
            raise OutputError(self.path, f"cannot be written ({exc.strerror or exc})") from None

    def _write_parquet(self, result: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from geostrike.render.table import parquet_write_options, point_parquet_table

        # the in-memory writer's table; no bounding box: one chunk's would be wrong for the file
        table = point_parquet_table(result.reset_index(drop=True), bbox=False)
        if self._pq is None:
            fields = [
                pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f
                for f in table.schema
            ]
            self._schema = pa.schema(fields, metadata=table.schema.metadata)
            self._pq = pq.ParquetWriter(
                self.tmp, self._schema, **parquet_write_options(self._schema)
            )
        try:
            table = table.cast(self._schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
            raise OutputError(self.path, f"a chunk's columns changed type ({exc})") from None
        self._pq.write_table(table)

    def close(self) -> Path:
        """Finish the file and move it into place."""
        try:
            self._wait()
        except BaseException:
            self.abort()
            raise
        self._shutdown()
        try:
            if self._pq is not None:
                self._pq.close()
            if self._buffer:
                import geopandas as gpd

                whole = gpd.GeoDataFrame(
                    pd.concat(self._buffer, ignore_index=True), crs="EPSG:4326"
                )
                whole.to_file(self.tmp, driver="GeoJSON", layer=self.path.stem)  # its "name"
            if self._behind is not None:
                self._behind.finish()  # the rest on disk before the rename
        except OSError as exc:
            self.abort()
            raise OutputError(self.path, f"cannot be written ({exc.strerror or exc})") from None
        if self.rows == 0 and not self.tmp.exists():
            self.tmp.touch()
        self._done = True
        self._ctx.__exit__(None, None, None)
        return self.path

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def abort(self) -> None:
        """Drop the temporary file (nothing is left behind); safe to call twice."""
        if self._done:
            return
        self._done = True
        try:
            self._wait()
        except BaseException:  # noqa: BLE001 - already failing; the first error is the one shown
            pass
        self._shutdown()
        if self._pq is not None:
            try:
                self._pq.close()
            except Exception:  # pragma: no cover - already failing
                pass
            self._pq = None
        if self._behind is not None:
            self._behind.close()
        exc = RuntimeError("aborted")
        try:
            self._ctx.__exit__(type(exc), exc, None)
        except RuntimeError:
            pass


def _with_points(result: Any) -> Any:
    """``result`` with its point geometries (made from its coordinates when it was checked
    without them), for the writers that need geometries."""
    if getattr(result, "_geometry_column_name", None) in getattr(result, "columns", ()):
        return result
    import geopandas as gpd

    from geostrike.engine.check import point_geometries

    lat = result["latitude"].to_numpy(dtype=float)
    lon = result["longitude"].to_numpy(dtype=float)
    return gpd.GeoDataFrame(
        result, geometry=point_geometries(lat, lon), crs="EPSG:4326", copy=False
    )


# ----------------------------------------------------------------------------- tally
@dataclass
class Tally:
    """Counts of a check run, with the same ``summary`` line as the in-memory engine."""

    rows: int = 0
    status: Counter = field(default_factory=Counter)
    verdict: Counter = field(default_factory=Counter)
    path: Path | None = None

    def add(self, result: Any) -> None:
        self.rows += len(result)
        self.status.update(result["status"].value_counts().to_dict())
        self.verdict.update(result["verdict"].value_counts().to_dict())

    # the interface render.table.summary() reads: len() and ["status"/"verdict"].value_counts()
    def __len__(self) -> int:
        return self.rows

    def __getitem__(self, column: str) -> Any:
        counts = self.status if column == "status" else self.verdict
        return _Counts(pd.Series(dict(counts), dtype="int64"))

    def summary(self) -> str:
        """One line: how many claims, counts per status and per verdict."""
        from geostrike.render.table import summary

        return summary(self)


@dataclass
class _Counts:
    series: pd.Series

    def value_counts(self) -> pd.Series:
        return self.series


# ----------------------------------------------------------------------------- the run
def check_stream(
    claims_path: str | Path,
    zones: Any,
    output: str | Path,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    tolerance_km: float | None = None,
    actors: Any = None,
    progress: bool | None = None,
    csv_safe: bool | None = None,
    options: Any = None,
) -> Tally:
    """Check a claims file chunk by chunk and write the results to ``output``.

    Parameters
    ----------
    claims_path
        CSV/TSV, Parquet file or folder (GeoParquet too), GeoPackage or any GDAL file.
    zones
        Zones path, GeoDataFrame or :class:`geostrike.engine.check.PreparedZones`.
    output
        ``.csv``, ``.parquet``, ``.gpkg`` (or ``.geojson``, buffered) file.
    chunk_rows
        Claims per chunk; memory is bounded by one chunk and its result.
    tolerance_km, actors
        As for :func:`geostrike.engine.check.check`.
    progress
        Show a tqdm progress bar on stderr (default: when stderr is a terminal, where the
        bar is erased when done, so that an error stays the one line on stderr).
    csv_safe
        In a CSV output, neutralise text cells a spreadsheet would run as formulas
        (:func:`geostrike.io.neutralise_formulas`).
    options
        A :class:`geostrike.engine.options.CheckOptions` (tolerance, coarse limit, date
        order, country, threads, CSV safety) passed to every chunk; ``tolerance_km`` and
        ``csv_safe`` given as well win.

    An id used by more than one row is marked in ``duplicate_id`` (within a chunk: every
    such row; across chunks: the rows after the first, which is already written) and one
    warning names the first few such ids.

    Returns
    -------
    Tally
        Row, status and verdict counts (``.summary()`` gives the usual one-line summary)
        and the output path.
    """
    import sys

    from geostrike.engine.check import PreparedZones, prepare_zones
    from geostrike.engine.options import options_from
    from geostrike.inputs.actors import ActorTable, load_actors

    opts = options_from(options, tolerance_km=tolerance_km, csv_safe=csv_safe)
    if progress is None:
        progress = bool(getattr(sys.stderr, "isatty", lambda: False)())
    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    prepared = zones if isinstance(zones, PreparedZones) else prepare_zones(zones, actors=table)
    from geostrike.engine._heap import heap_kept

    # the heap kept (and Arrow allocating from it) for the whole run, reader and writer
    # threads included, not chunk by chunk
    with heap_kept():
        try:
            return _run(
                claims_path, prepared, output, chunk_rows, opts, table, progress, arrow=True
            )
        except ArrowCsvRefused:  # a part Arrow cannot read: pandas' reader, as in memory
            return _run(
                claims_path, prepared, output, chunk_rows, opts, table, progress, arrow=False
            )


def _run(
    claims_path: str | Path,
    prepared: Any,
    output: str | Path,
    chunk_rows: int,
    opts: Any,
    table: Any,
    progress: bool,
    *,
    arrow: bool,
) -> Tally:
    """One pass of :func:`check_stream` over the file (read by Arrow or by pandas)."""
    import warnings

    quiet = _reads_quietly(claims_path, arrow)
    pool = None
    # threads only where the reader catches no warnings (pandas' CSV reader does, and
    # catch_warnings is process-wide state: a thread beside it could lose warnings)
    writer = ChunkWriter(output, csv_safe=opts.csv_safe, background=quiet)
    tally = Tally()
    ids = IdLedger()
    caught = ChunkWarnings()
    bar = _progress_bar(claims_path) if progress else None  # no tqdm (nor its thread) unasked
    reserved: frozenset[str] | None = None  # given ids of the claim-N form, in any chunk
    # one record of the run's warnings, entered before the threads start and left after
    # they end: warnings.catch_warnings swaps process-wide state, so a block per chunk in
    # this thread, beside the reading and writing threads, could lose warnings
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        chunks: Any = iter_chunks(claims_path, chunk_rows, arrow=arrow)
        if quiet:
            chunks = _ReadAhead(chunks)  # the next chunk read while one is checked
        try:
            if quiet and _kernels_first(claims_path, chunk_rows):
                # the kernels loaded while the first chunk is read; in this thread, as numba
                # records warnings while it compiles (catch_warnings: no other thread may)
                from geostrike.engine import _jit

                _jit.warm()
            dates = _DateOrder(claims_path, opts, chunk_rows, arrow)
            # two chunks checked side by side where reading leaves a core to spare (the
            # compiled kernels loaded above, so no thread compiles: see _checking_pool)
            pool = _checking_pool(claims_path, chunk_rows, quiet, opts)
            pending: collections.deque[Any] = collections.deque()
            first_row = 1

            def emit(done: tuple[Any, list[Warning]]) -> None:
                result, told = done
                caught.add_messages(told)  # in the file's order, whichever ended first
                result.index = pd.RangeIndex(tally.rows, tally.rows + len(result))
                tally.add(result)
                writer.write(result, before=ids.add)  # ids marked in the writer's thread
                if bar is not None:
                    bar.update(tally.rows - bar.n)

            for chunk in chunks:
                try:
                    opts = dates.options(chunk)
                    if reserved is None and _has_blank_ids(chunk):  # ids will be generated
                        reserved = generated_like_ids_of(claims_path, chunk_rows)
                except BaseException:
                    while pending:  # an earlier chunk's own error is the one to report
                        pending.popleft().result()
                    raise
                job = functools.partial(
                    check_with_warnings,
                    chunk,
                    prepared,
                    # side by side, each check in one thread: the two checks are the
                    # parallelism (four threads on two cores held more memory, no speed)
                    options=opts if pool is None or first_row == 1 else opts.but(threads=1),
                    actors=table,
                    path=str(claims_path),
                    id_start=first_row,
                    warn_duplicates=False,
                    reserved_ids=reserved or frozenset(),
                    points=False,
                    coded_reasons=True,  # each sentence written once
                )
                first_row += len(chunk)
                del chunk
                if pool is None:
                    emit(job())
                    continue
                pending.append(pool.submit(job))
                # the first chunk alone (what a check sets up on first use, it sets up
                # once), then at most two at a time, written in order
                if tally.rows == 0 or len(pending) >= _SIDE_BY_SIDE:
                    emit(pending.popleft().result())
            while pending:
                emit(pending.popleft().result())
            tally.path = writer.close()
        except BaseException:
            try:
                if pool is not None:  # the other chunk's check ends before the clean-up
                    pool.shutdown(wait=True, cancel_futures=True)
            finally:  # even if interrupted again while waiting
                try:
                    chunks.close()  # the reading thread stops now, not when the traceback is freed
                finally:
                    writer.abort()
            raise
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
            if bar is not None:
                bar.close()
    caught.add(seen)
    caught.warn()
    ids.warn()
    return tally


def _progress_bar(claims_path: str | Path) -> Any:
    """The tqdm bar of a streamed check on stderr (erased when done)."""
    from tqdm import tqdm

    return tqdm(
        total=count_rows(claims_path),
        unit=" claims",
        unit_scale=True,
        desc="checking",
        leave=False,
    )


#: Chunks checked at once where :func:`_checking_pool` gives a pool.
_SIDE_BY_SIDE = 2


def check_with_warnings(chunk: pd.DataFrame, prepared: Any, **kw: Any) -> tuple[Any, list[Warning]]:
    """``check_frame(chunk, prepared, **kw)`` and the warnings it gave, kept apart from
    Python's process-wide warnings machinery (:func:`geostrike.errors.warnings_kept`): a
    chunk checked beside another (here, or a Dask partition on a worker's threads) keeps
    every warning of its own."""
    from geostrike.engine.check import check_frame
    from geostrike.errors import warnings_kept

    with warnings_kept() as told:
        result = check_frame(chunk, prepared, **kw)
    return result, told


def _checking_pool(claims_path: str | Path, chunk_rows: int, quiet: bool, opts: Any) -> Any:
    """Threads to check two chunks side by side, or None (each chunk checked in this thread).

    Side by side, one chunk's Python work runs while the other's compiled and GEOS work
    (which release the GIL) runs: a streamed million-claim Parquet check took 0.3 s less
    (docs/performance.md). Only where all of these hold: the claims are Parquet (decoding
    them leaves a core to spare; parsing CSV takes it, and side by side gained nothing
    there), they are read by the reading thread (``quiet``), the compiled kernels were
    loaded before the first chunk (no thread compiles them: numba records warnings while
    it compiles, and a record is process-wide), and the machine has a core to spare for
    chunks of this size (:func:`geostrike.engine.measure.threads_for`, which obeys
    ``GEOSTRIKE_THREADS`` and the load average) and the options allow two threads
    (``opts.threads``). The chunks after the first are then checked with one thread each
    (the two checks are the parallelism): on a map of 100,000 vertices, two checks of two
    threads each peaked at 590-599 MB, of one thread each at 569-573 MB, in the same time.
    """
    from geostrike.engine.measure import threads_for

    p = Path(claims_path)
    parquet = p.is_dir() or p.suffix.lower() in PARQUET_SUFFIXES
    if not (parquet and quiet and _kernels_first(claims_path, chunk_rows)):
        return None
    if threads_for(chunk_rows) < 2 or (opts.threads is not None and opts.threads < 2):
        return None
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(_SIDE_BY_SIDE, thread_name_prefix="geostrike-check")


def _kernels_first(claims_path: str | Path, chunk_rows: int) -> bool:
    """Whether a streamed check loads the compiled kernels before its first chunk."""
    return chunk_rows >= _KERNEL_ROWS and _large_input(claims_path)


#: Chunks of at least this many rows load the compiled kernels before the first chunk's check
#: (smaller ones may never need them: see :mod:`geostrike.engine._jit`).
_KERNEL_ROWS = 10_000


class _ReadAhead:
    """``chunks``, each read by a background thread while the one before is checked (Arrow
    decodes without the GIL); one chunk at most is read ahead: the next is read only once
    the caller has taken the one before (memory for one chunk, and while the compiled
    kernels load before the first chunk, the reader takes a core for one chunk only). The
    thread starts at once, so the first chunk is read while the caller gets ready. An error
    reading is raised by :meth:`__next__`, in order, after the chunks before it;
    :meth:`close` stops the thread (safe to call twice, and before the first chunk is
    taken)."""

    _DONE = object()

    def __init__(self, chunks: Iterator[pd.DataFrame]) -> None:
        import queue
        import threading

        self._box: queue.Queue = queue.Queue()
        self._slot = threading.Semaphore(1)  # taken to read a chunk, given back when taken
        self._stop = threading.Event()
        self._chunks = chunks
        self._ended = False
        self._thread = threading.Thread(target=self._read, name="geostrike-read", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            chunks = iter(self._chunks)
            while True:
                while not self._slot.acquire(timeout=0.1):
                    if self._stop.is_set():
                        return
                if self._stop.is_set():
                    return
                chunk = next(chunks, self._DONE)
                self._box.put((chunk, None))
                if chunk is self._DONE:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            self._box.put((None, exc))

    def __iter__(self) -> _ReadAhead:
        return self

    def __next__(self) -> pd.DataFrame:
        if self._ended:
            raise StopIteration
        chunk, exc = self._box.get()
        self._slot.release()  # the next chunk may be read now
        if exc is not None:
            self.close()
            raise exc
        if chunk is self._DONE:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        """Stop the reading thread and wait for it."""
        import queue

        self._ended = True
        self._stop.set()
        self._thread.join()  # it sees the stop within 0.1 s, or after the chunk it reads
        while True:  # a chunk read meanwhile is let go
            try:
                self._box.get_nowait()
            except queue.Empty:
                break


class ChunkWarnings:
    """The warnings of every chunk (or Dask partition), raised once at the end: those about
    rows (:class:`geostrike.errors.RowsWarning`) added up into one per kind, with the first
    rows of the whole file; any other once per distinct message, in order."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Any]] = {}
        self.other: dict[str, type[Warning]] = {}

    def add(self, caught: list[Any]) -> None:
        """Add warnings recorded by ``warnings.catch_warnings(record=True)``."""
        self.add_messages([w.message for w in caught if issubclass(w.category, UserWarning)])

    def add_messages(self, messages: list[Any] | None) -> None:
        """Add warnings as sent by a worker: RowsWarning objects or texts."""
        from geostrike.errors import RowsWarning

        for m in messages or ():
            if isinstance(m, RowsWarning):
                self.rows.setdefault(m.text, []).append(m)
            else:
                self.other.setdefault(str(m), type(m) if isinstance(m, Warning) else UserWarning)

    def warn(self) -> None:
        import warnings

        from geostrike.errors import RowsWarning

        for text, category in self.other.items():
            warnings.warn(text, category, stacklevel=3)
        for parts in self.rows.values():
            warnings.warn(RowsWarning.merged(parts), stacklevel=3)


class _DateOrder:
    """The order of the file's numeric dates ("05/06/2015"), the same for every chunk and
    the one the in-memory reader would infer from the whole column
    (:func:`geostrike.inputs.claims.infer_date_order`): decided from the dates seen so
    far while they settle it and agree; where they do not (every date so far reads both
    ways, or two chunks disagree), from the whole file's dates, read in one more pass
    (which raises the in-memory reader's error when the file itself does not settle it).
    An order given by the user (``--date-order``) is used as it is."""

    def __init__(self, path: str | Path, opts: Any, chunk_rows: int, arrow: bool) -> None:
        opts = _with_set_order(opts)
        self.path, self.chunk_rows, self.arrow, self.base = path, chunk_rows, arrow, opts
        self.given = opts.date_order is not None
        self.final = False  # decided from the whole file
        self.seen: dict[Any, None] = {}  # distinct date texts so far, in order
        self.order: str | None = None
        self.source: Any = None

    def options(self, chunk: pd.DataFrame) -> Any:
        """The options for ``chunk``'s check: with the file's date order once known."""
        from geostrike.inputs.claims import infer_date_order

        if self.given or self.final:
            return self._current()
        if self.source is None:
            from geostrike.inputs.claims import date_source

            found = date_source(chunk.columns)
            self.source = False if found is None else found
        if self.source is False:
            return self._current()
        values = chunk[self.source]
        if isinstance(values.dtype, pd.CategoricalDtype):  # Parquet dictionary text
            values = values.astype(object)
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            return self._current()
        from geostrike.inputs.claims import numeric_dates

        # the distinct values first (by Arrow, for text Arrow holds), then made objects
        distinct = np.asarray(pd.unique(values), dtype=object)
        self.seen.update(dict.fromkeys(numeric_dates(distinct)))
        try:
            self.order = infer_date_order(np.array(list(self.seen), dtype=object), path=self.path)
        except InputError:  # not settled by the dates so far: the whole file decides
            whole = _distinct_values(self.path, self.source, self.chunk_rows, self.arrow)
            self.order = None if whole is None else infer_date_order(whole, path=self.path)
            self.final = True
        return self._current()

    def _current(self) -> Any:
        return self.base if self.order is None else self.base.but(date_order=self.order)


def _with_set_order(opts: Any) -> Any:
    """``opts`` with the date order set around the run (:func:`inputs.claims.date_order`,
    or this thread's check) when it gives none: carried to the threads and workers that
    check the chunks, which do not see this thread's."""
    from geostrike.inputs.claims import current_date_order

    if opts.date_order is None and current_date_order() is not None:
        return opts.but(date_order=current_date_order())
    return opts


def file_date_order(path: str | Path, opts: Any, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Any:
    """``opts`` with the order of the whole claims file's numeric dates, when it holds
    some and no order is given (the Dask engine's partitions each get it: inferred per
    partition, two partitions could read the same date differently)."""
    from geostrike.inputs.claims import date_source, infer_date_order

    opts = _with_set_order(opts)
    if opts.date_order is not None:
        return opts
    try:
        head = next(iter_chunks(path, 1000))
    except ArrowCsvRefused:
        head = next(iter_chunks(path, 1000, arrow=False))
    source = date_source(head.columns)
    if source is None:
        return opts
    values = _distinct_values(path, source, chunk_rows, arrow=True)
    order = None if values is None else infer_date_order(values, path=path)
    return opts if order is None else opts.but(date_order=order)


def _distinct_values(path: str | Path, column: Any, chunk_rows: int, arrow: bool) -> Any:
    """The distinct values of one text column of the whole claims file (None when the
    column is not text), read alone where the format allows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if p.is_dir() or suffix in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            # read as a dictionary: Parquet's own dictionary pages, no million strings
            col = pq.read_table(p, columns=[column], read_dictionary=[column]).column(0)
            typ = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
            if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
                return None
            if pa.types.is_dictionary(col.type):
                col = pa.chunked_array([c.dictionary for c in col.chunks], type=typ)
            return pc.unique(col).to_numpy(zero_copy_only=False)
        if arrow and suffix in (".csv", ".tsv", ".txt"):
            import pyarrow.csv as pacsv

            from geostrike.inputs.claims import csv_text_options

            sep = _csv_header(p, suffix)[0]
            text = csv_text_options([str(column)])
            text.include_columns = [str(column)]
            # streamed, the one column: memory is a block of the file, not the file
            reader = pacsv.open_csv(
                p,
                read_options=pacsv.ReadOptions(block_size=1 << 20),
                parse_options=pacsv.ParseOptions(delimiter=sep),
                convert_options=text,
            )
            found: dict[Any, None] = {}  # in order of first appearance, as in memory
            for batch in reader:
                found.update(dict.fromkeys(pc.unique(batch.column(0)).to_pylist()))
            return np.array(list(found), dtype=object)
    except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError, OSError):
        pass
    seen: dict[Any, None] = {}
    for chunk in iter_chunks(p, chunk_rows, arrow=False):  # any file pandas or GDAL reads
        values = chunk[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            return None
        seen.update(dict.fromkeys(pd.unique(values.to_numpy(dtype=object))))
    return np.array(list(seen), dtype=object)


def _has_blank_ids(chunk: pd.DataFrame) -> bool:
    """Whether a raw chunk has an id column with a blank cell (an id will be generated
    there; without an id column every id is generated and none is given)."""
    from geostrike.inputs.claims import id_column

    col = id_column(chunk.columns)
    if col is None:
        return False
    ids = chunk[col]
    return bool(ids.isna().any() or (ids.astype(str).str.strip() == "").any())


def generated_like_ids_of(path: str | Path, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> frozenset:
    """Every given id of the form ``claim-N…`` in a claims file, read from its id column
    alone (one extra pass, run only when some id is blank), so that an id generated in one
    chunk never repeats one given in another."""
    from geostrike.inputs.claims import generated_like_ids, id_column

    p = Path(path)
    suffix = p.suffix.lower()
    found: set[str] = set()
    try:
        if p.is_dir() or suffix in PARQUET_SUFFIXES:
            import pyarrow.dataset as ds

            dataset = ds.dataset(p, format="parquet")
            col = id_column(dataset.schema.names)
            if col is not None:
                for batch in dataset.to_batches(columns=[col], batch_size=chunk_rows):
                    found |= generated_like_ids(batch.column(0).to_pandas())
        elif suffix in (".csv", ".tsv", ".txt"):
            from geostrike.inputs.claims import CSV_READ_OPTIONS

            # the in-memory reader's options and separator rule (';' files)
            opts = {**CSV_READ_OPTIONS, "sep": _csv_header(p, suffix)[0]}
            col = id_column(pd.read_csv(p, nrows=0, **opts).columns)
            if col is not None:
                for part in pd.read_csv(p, usecols=[col], chunksize=chunk_rows, **opts):
                    found |= generated_like_ids(part[col])
        else:
            import pyogrio

            col = id_column(pyogrio.read_info(p)["fields"])
            if col is not None:
                df = pyogrio.read_dataframe(p, columns=[col], read_geometry=False)
                found |= generated_like_ids(df[col])
    except Exception:  # noqa: BLE001 - the chunks' own reading reports a bad file
        pass
    return frozenset(found)


_U = np.uint64


@compiled("u8[::1](i8[::1], u1[::1])")
def _hash_texts(
    offsets: np.ndarray, data: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled (tested against a Python copy)
    """A 64-bit hash of each text ``data[offsets[i]:offsets[i + 1]]`` (UTF-8 bytes): its
    length, then its bytes eight at a time (little-endian, the last word zero-padded), each
    word mixed by multiplication and rotation, and the whole finished by the SplitMix64
    finaliser, so that texts differing in one byte differ in about half the bits."""
    n = len(offsets) - 1
    out = np.empty(n, np.uint64)
    k1, k2 = _U(0x9E3779B97F4A7C15), _U(0xC2B2AE3D27D4EB4F)
    k3, k4 = _U(0x165667B19E3779F9), _U(0x27D4EB2F165667C5)
    for i in range(n):
        a, b = offsets[i], offsets[i + 1]
        h = _U(b - a) * k3 ^ k4
        p = a
        while p < b:
            w = _U(0)
            for j in range(min(8, b - p)):
                w |= _U(data[p + j]) << _U(8 * j)
            w *= k1
            w = (w << _U(31)) | (w >> _U(33))
            w *= k2
            h ^= w
            h = ((h << _U(27)) | (h >> _U(37))) * k1 + k4
            p += 8
        h ^= h >> _U(30)
        h *= _U(0xBF58476D1CE4E5B9)
        h ^= h >> _U(27)
        h *= _U(0x94D049BB133111EB)
        h ^= h >> _U(31)
        out[i] = h
    return out


def id_hashes(ids: Any) -> Any:
    """64-bit hashes of ids as written (text, as the engine compares them), one per row:
    the same for the same text in any process (the Dask workers hash, the client
    compares), computed on the ids' Arrow buffers with no Python string per row (issue 18:
    a third of a second per million ids through Python objects)."""
    import pyarrow as pa

    s = pd.Series(ids, copy=False)
    try:
        if not isinstance(s.dtype, pd.StringDtype):
            s = s.astype(str)
        arr = pa.array(s, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # lone surrogates (a frame made in Python)
        texts = s.to_numpy(dtype=object, na_value="\x00")
        arr = pa.array(
            [str(t).encode("utf-8", "surrogatepass") for t in texts], type=pa.large_binary()
        )
    if isinstance(arr, pa.ChunkedArray):  # pragma: no cover - depends on pandas' storage
        arr = arr.combine_chunks()
    arr = arr.fill_null("\x00")  # never an id: a NUL is refused in input texts
    _, offsets, data = arr.buffers()
    off = np.frombuffer(offsets, dtype=np.int64, count=len(arr) + 1, offset=arr.offset * 8)
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    if len(arr) < _HASH_IN_PYTHON and not _hash_texts.loaded:  # a small job loads no numba
        ends = (off - off[0]).tolist()
        mem = raw[off[0] : off[-1]].tobytes()
        return np.array(
            [_hash_text(mem[a:b]) for a, b in zip(ends[:-1], ends[1:], strict=True)],
            dtype=np.uint64,
        )
    return _hash_texts(np.ascontiguousarray(off), raw)


#: Fewer ids than this are hashed by :func:`_hash_text` unless the kernel is loaded already.
_HASH_IN_PYTHON = 2_000
_M64 = (1 << 64) - 1


def _hash_text(raw: bytes) -> int:
    """:func:`_hash_texts` of one text's bytes, in Python integers (the same numbers)."""
    k1, k2, k3, k4 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5
    h = ((len(raw) * k3) & _M64) ^ k4
    for at in range(0, len(raw), 8):
        w = (int.from_bytes(raw[at : at + 8], "little") * k1) & _M64
        w = (((w << 31) | (w >> 33)) & _M64) * k2 & _M64
        h ^= w
        h = ((((h << 27) | (h >> 37)) & _M64) * k1 + k4) & _M64
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _M64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _M64
    return h ^ (h >> 31)


class IdLedger:
    """Ids seen so far across the chunks of one run (64-bit hashes, 8 bytes per row), to
    mark and report ids used by more than one row when no chunk sees the whole file.

    The sorted hashes live in an anonymous memory map, not in the malloc heap: a ledger
    regrown in the heap chunk after chunk left holes that the next chunks' temporaries
    could not reuse, and a streamed run's memory grew with the file (issue 18). Lookups and
    merges use temporaries the size of one chunk (binary search), never of the ledger.
    """

    def __init__(self) -> None:
        import numpy as np

        self._seen = np.zeros(0, dtype=np.uint64)  # sorted, distinct
        self.names: list[str] = []  # the first few repeated ids, for the warning
        self.count = 0  # distinct repeated ids found (may count one id in two chunks)

    def _contains(self, h: Any) -> Any:
        """Which of the hashes ``h`` are in the ledger (a boolean array like ``h``)."""
        import numpy as np

        seen = self._seen
        if not len(seen):
            return np.zeros(len(h), dtype=bool)
        pos = np.minimum(np.searchsorted(seen, h), len(seen) - 1)
        return seen[pos] == h

    def _insert(self, new: Any) -> None:
        """Merge sorted, distinct hashes that are not in the ledger yet into a new map."""
        import mmap

        import numpy as np

        if not len(new):
            return
        old = self._seen
        total = len(old) + len(new)
        merged = np.frombuffer(mmap.mmap(-1, total * 8), dtype=np.uint64)
        at = np.searchsorted(old, new) + np.arange(len(new))  # new items' places
        keep = np.ones(total, dtype=bool)
        keep[at] = False
        merged[at] = new
        merged[keep] = old
        self._seen = merged  # the old map is unmapped when no longer referenced

    def add(self, result: Any) -> None:
        """Mark ``result['duplicate_id']`` where an id was seen in an earlier chunk."""
        self.add_hashed(id_hashes(result["id"]), result["id"], result)

    def add_hashed(self, hashes: Any, ids: Any, result: Any) -> None:
        """:meth:`add` with the ids' :func:`id_hashes` already computed (by a Dask worker,
        so that the client never converts a million ids to Python strings); ``ids`` is
        read only at the rows found repeated, for the warning's names."""
        import numpy as np

        new, where = np.unique(hashes, return_inverse=True)  # sorted: a cache-friendly search
        known = self._contains(new)
        earlier = known[where]
        if earlier.any():  # a written frame (the dask engine's parts) is only counted
            result.loc[earlier, "duplicate_id"] = True
        dup = result["duplicate_id"].to_numpy(dtype=bool)
        if dup.any():
            names = pd.unique(pd.Series(ids, copy=False).to_numpy()[dup].astype(str))
            self.count += len(names)
            self.names.extend(str(v) for v in names[: max(0, 6 - len(self.names))])
        self._insert(new[~known])

    def warn(self) -> None:
        """One warning naming the first few repeated ids (nothing when there are none)."""
        if not self.count:
            return
        import warnings

        shown = ", ".join(repr(v) for v in self.names[:5]) + (" …" if self.count > 5 else "")
        warnings.warn(
            f"ids are used by more than one row ({shown}); "
            "those rows are marked in the duplicate_id column",
            stacklevel=3,
        )


__all__ = [
    "check_with_warnings",
    "DEFAULT_CHUNK_ROWS",
    "ChunkWriter",
    "Tally",
    "check_stream",
    "count_rows",
    "id_hashes",
    "iter_chunks",
]

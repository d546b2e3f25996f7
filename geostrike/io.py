"""Small file helpers shared by every writer and reader: atomic outputs and input sniffing.

Outputs are written to a temporary file in the destination folder and renamed over the
target only when complete, so an interrupted run never leaves half a file behind. The
temporary names carry the writer's process id and a host tag
(``.<stem>.gs<pid>-<host>-<random>.tmp<suffix>``), so a later run can tell a temp whose
owner is gone (killed with ``kill -9``, power cut) and remove it, and never touches the
temp of a run still going. Outputs made of several files (per-layer GeoJSON or Shapefile
exports) are written as a set: into a temporary folder, then renamed into place one by
one, then a manifest naming the members is renamed in last (:func:`atomic_set`).

Inputs are sniffed from their first bytes only (:func:`sniff_head`) and checked as UTF-8
text by a streaming pass with bounded memory (:func:`check_text`), never read whole just
to be checked.

Why one module of ~650 lines: atomic outputs, input sniffing and the CSV writer are the
only code that touches files for every other package; keeping them together keeps one
definition of a temporary file, a safe cell and a readable input.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import glob
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geostrike.errors import InputError, OutputError

#: A temp of ours whose writer cannot be seen (another host) is left alone until it is this
#: old (seconds); one of this host whose writer is gone goes at once.
STALE_AFTER_S = 24 * 3600
#: Bytes read to sniff a file (binary or text, encoding, header line).
SNIFF_BYTES = 64 * 1024
#: File extensions read as (Geo)Parquet (a folder is read as a Parquet dataset too).
PARQUET_SUFFIXES = frozenset({".parquet", ".geoparquet", ".pq"})
_CHUNK = 1 << 20
_MANIFEST_FORMAT = "geostrike-output-set/1"
_TEMP_RE = re.compile(r"^\..*\.gs(\d+)-([0-9a-f]{4})-[a-z0-9_]+\.tmp")


@functools.cache
def _host_tag() -> str:
    """Four hex digits naming where a process id means something: the host name and, on
    Linux, the pid namespace (two containers sharing a folder never judge each other's
    processes gone)."""
    where = socket.gethostname()
    with contextlib.suppress(OSError):
        where += os.readlink("/proc/self/ns/pid")
    return hashlib.blake2b(where.encode(), digest_size=2).hexdigest()


def temp_prefix(name: str) -> str:
    """Prefix of our temporary names for an output called ``name`` (its stem)."""
    return f".{name[:100]}.gs{os.getpid()}-{_host_tag()}-"


def _pid_alive(pid: int) -> bool:
    """True unless the process ``pid`` of this host is known to be gone."""
    if pid <= 0 or os.name == "nt":  # os.kill(pid, 0) would terminate it on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def _pid_started(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), from Linux's /proc; None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        btime = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return btime + int(stat[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return None


def _owner(pid: int, host: str, mtime: float) -> str:
    """ "gone", "alive" or "unknown": the state of the process that wrote a temp of ours.

    A process of that id started after the temp was last written is not its writer (the id
    was reused): gone. Another host's processes cannot be seen: unknown.
    """
    if host != _host_tag():
        return "unknown"
    if pid == os.getpid() or pid <= 0:
        return "alive"
    if not _pid_alive(pid):
        return "gone"
    started = _pid_started(pid)
    if started is None:
        return "unknown"
    return "gone" if started > mtime + 2 else "alive"


def clean_stale_temps(folder: str | Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files and folders geostrike left in ``folder`` when killed.

    Only names of our own pattern are touched, and only when their owner is gone: a temp
    of this host whose process no longer exists (or whose process id now belongs to a
    process started after the temp was written), or, where the owner cannot be seen
    (another host, no /proc), a temp not modified for :data:`STALE_AFTER_S`. Temps of a
    run still going are kept, however old. Returns the removed paths; never raises.
    """
    folder = Path(folder) if str(folder) else Path(".")
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if not m:
            continue
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        owner = _owner(int(m[1]), m[2], mtime)
        if owner == "alive" or (owner == "unknown" and now - mtime <= STALE_AFTER_S):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _output_folder(path: Path) -> Path:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(path, f"folder {str(parent)!r} does not exist")
    return parent


@contextlib.contextmanager
def atomic_output(path: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    Stale temps left in the folder by killed runs are removed first
    (:func:`clean_stale_temps`).

    Parameters
    ----------
    path
        The final output path. Its folder must exist.
    suffix
        Suffix of the temporary file (defaults to that of ``path``, so drivers that pick a
        format by extension still work).

    Raises
    ------
    OutputError
        When the folder does not exist or is not writable.
    """
    path = Path(path)
    parent = _output_folder(path)
    if path.is_dir():
        raise OutputError(path, "is a folder, not a file")
    clean_stale_temps(parent)
    suffix = path.suffix if suffix is None else suffix
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=temp_prefix(path.stem), suffix=f".tmp{suffix}", dir=parent
        )
    except OSError as exc:
        raise OutputError(path, f"cannot write in {str(parent)!r}: {exc.strerror}") from None
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        # the temp and whatever a driver made beside it (SQLite -journal, -wal ...)
        for leftover in parent.glob(f"{glob.escape(tmp_path.name)}*"):
            with contextlib.suppress(OSError):
                if leftover.is_dir():
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()


class WrittenBehind:
    """Keep a large output being written from filling the page cache: every
    :data:`WRITE_BEHIND_BYTES` written, the new part is flushed to disk (``fdatasync``)
    and dropped from the cache (``posix_fadvise(DONTNEED)``), so the next part is written
    into pages the kernel just freed, not into fresh ones (issue 18: on virtual machines
    whose host reclaims free memory, such as Firecracker's, a fresh page costs about
    8 ms per MB of system time: 2.2 s for a 270 MB CSV written plainly, 0.15 s written
    this way). :meth:`finish` flushes the rest, so the file is on disk before it is renamed
    into place. Where the system has no ``posix_fadvise`` (macOS, Windows), or the file
    system takes neither call, it does nothing; a failed flush (an I/O error, a full disk)
    is raised as the ``OSError`` it is.

    Call :meth:`after_write` after each write to ``path`` (any process or library may
    write it: the calls use a descriptor of their own), then :meth:`finish` when the file
    is complete, or :meth:`close` to give up.
    """

    def __init__(self, path: str | Path, every: int | None = None) -> None:
        self.path = Path(path)
        self.every = WRITE_BEHIND_BYTES if every is None else every
        self._fd: int | None = None
        self._done = 0
        self._off = not hasattr(os, "posix_fadvise")

    def after_write(self) -> None:
        """Flush and drop what was written since the last call, once it is large enough."""
        self._flush(self.every)

    def finish(self) -> None:
        """Flush what is left to disk (not dropped: the file is about to be used) and
        release the descriptor."""
        try:
            self._flush(0, drop=False)
        finally:
            self.close()

    def _flush(self, least: int, drop: bool = True) -> None:
        if self._off:
            return
        if self._fd is None:
            if not self.path.exists():
                return
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
            except OSError:  # pragma: no cover - the writer just made it
                self._off = True
                return
        size = os.fstat(self._fd).st_size
        if size - self._done < max(least, 1):
            return
        try:
            os.fdatasync(self._fd)
            if drop:
                os.posix_fadvise(self._fd, self._done, size - self._done, os.POSIX_FADV_DONTNEED)
        except OSError as exc:
            if exc.errno not in _UNSUPPORTED:
                raise
            self._off = True  # a file system without these calls: the cache keeps the file
            return
        self._done = size

    def close(self) -> None:
        """Release the descriptor (safe to call twice)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


#: errno values meaning "this file system does not do that" (not a failed write).
_UNSUPPORTED = {
    getattr(errno, name)
    for name in ("EINVAL", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "ESPIPE")
    if hasattr(errno, name)
}


#: Bytes of a streamed output flushed and dropped from the page cache at a time.
WRITE_BEHIND_BYTES = 16 << 20


def manifest_path(folder: str | Path, stem: str) -> Path:
    """Where :func:`atomic_set` puts the manifest of the set ``stem`` in ``folder``."""
    return Path(folder) / f"{stem}.manifest.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def atomic_set(folder: str | Path, stem: str) -> Iterator[Path]:
    """Write several output files as one set: yield a temporary folder to write them in.

    On success each file written there is renamed into ``folder`` and the manifest
    ``<stem>.manifest.json`` (format, geostrike version, time written, each member's name,
    size and SHA-256) is renamed in last. The previous manifest is removed before the first
    member is replaced, so a set interrupted half-way has no manifest and a reader can tell
    (:func:`check_set`). Nothing of the set is moved if the block raises.

    Raises
    ------
    OutputError
        When ``folder`` does not exist or is not writable.
    """
    folder = Path(folder) if str(folder) else Path(".")
    manifest = manifest_path(folder, stem)
    _output_folder(manifest)
    clean_stale_temps(folder)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(stem), suffix=".tmpset", dir=folder))
    except OSError as exc:
        raise OutputError(manifest, f"cannot write in {str(folder)!r}: {exc.strerror}") from None
    try:
        yield tmp
        from geostrike import __version__

        members = sorted(p for p in tmp.iterdir() if p.is_file())
        record = {
            "format": _MANIFEST_FORMAT,
            "generator": f"geostrike {__version__}",
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "members": [
                {"name": p.name, "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in members
            ],
        }
        staged = tmp / ".manifest"
        staged.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        with contextlib.suppress(FileNotFoundError):
            manifest.unlink()
        for p in members:
            os.replace(p, folder / p.name)
        os.replace(staged, manifest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_set(manifest: str | Path) -> list[str]:
    """Problems that make a set written by :func:`atomic_set` incomplete or mixed (a
    member missing, or not the bytes the manifest names); an empty list for a sound set."""
    manifest = Path(manifest)
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
        members = record["members"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{manifest.name}: unreadable manifest ({exc})"]
    problems = []
    for m in members:
        p = manifest.parent / m["name"]
        if not p.is_file():
            problems.append(f"{m['name']}: missing")
        elif p.stat().st_size != m["bytes"] or _sha256(p) != m["sha256"]:
            problems.append(f"{m['name']}: not the file this set was written with")
    return problems


def require_file(path: str | Path) -> Path:
    """Return ``path`` as a Path if it is an existing, non-empty file; else InputError."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "no such file")
    if p.is_dir():
        return p  # partitioned datasets (Parquet directories) are folders
    if p.stat().st_size == 0:
        raise InputError(p, "file is empty")
    return p


def sniff_head(path: str | Path, *, size: int = SNIFF_BYTES) -> bytes:
    """The first ``size`` bytes of a text file (a UTF-8 BOM removed), read without reading
    the rest; InputError if they show a binary file (a NUL byte) or bytes that are not UTF-8.

    A multi-byte character cut by the end of the head is not an error.
    """
    p = require_file(path)
    with open(p, "rb") as fh:
        head = fh.read(size)
    if b"\x00" in head:
        raise InputError(p, "is a binary file, not text")
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    head = head[bom:]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise InputError(p, f"is not UTF-8 text (bad byte at offset {bom + exc.start})") from None
    return head


@dataclass(frozen=True)
class TextCheck:
    """What :func:`check_text` learnt of a text file in its one streaming pass."""

    head: bytes  #: the first :data:`SNIFF_BYTES` (BOM removed)
    size: int  #: bytes in the file
    blank: bool  #: nothing but white space


def check_text(path: str | Path) -> TextCheck:
    """Check that a whole file is UTF-8 text without a NUL byte, in bounded memory.

    The head is sniffed first (:func:`sniff_head`: a binary file stops there); the rest is
    streamed in 1 MiB blocks, so a NUL byte or a bad byte far beyond the first kilobytes
    is found too, and named by its line and offset. Raises InputError naming the file.
    """
    p = require_file(path)
    head = sniff_head(p, size=SNIFF_BYTES)
    decoder = codecs.getincrementaldecoder("utf-8")()  # the BOM is skipped here, not by it
    line = 0
    blank = True
    with open(p, "rb") as fh:
        offset = len(codecs.BOM_UTF8) if fh.read(3) == codecs.BOM_UTF8 else 0
        fh.seek(offset)
        for block in iter(lambda: fh.read(_CHUNK), b""):
            nul = block.find(b"\x00")
            if nul >= 0:
                at = line + block.count(b"\n", 0, nul) + 1
                raise InputError(
                    p, f"has a NUL byte at line {at} (offset {offset + nul}): not a text file"
                )
            pending = len(decoder.getstate()[0])  # bytes of a character cut by the last read
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                bad = offset - pending + exc.start
                raise InputError(p, f"is not UTF-8 text (bad byte at offset {bad})") from None
            if blank and text.strip():
                blank = False
            offset += len(block)
            line += block.count(b"\n")
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            bad = offset - pending + exc.start
            raise InputError(
                p, f"is not UTF-8 text (bad byte at offset {bad}: a character cut at the end)"
            ) from None
    return TextCheck(head=head, size=offset, blank=blank)


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file (BOM tolerated); InputError if it is not UTF-8 text or has a
    NUL byte anywhere."""
    p = require_file(path)
    sniff_head(p)  # a binary file is refused before it is read whole
    data = p.read_bytes()
    nul = data.find(b"\x00")
    if nul >= 0:
        at = data.count(b"\n", 0, nul) + 1
        raise InputError(p, f"has a NUL byte at line {at} (offset {nul}): not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
        raise InputError(p, f"is not UTF-8 text (bad byte at offset {bad})") from None


#: Line end of CSV outputs: RFC 4180's CRLF, with which pandas also quotes a cell holding a
#: lone carriage return (with "\n" it would not, and the row would split when read back).
CSV_LINE_END = "\r\n"

#: Starts of a CSV text cell that a spreadsheet would run as a formula (OWASP's list:
#: equals, plus, minus, at, tab, carriage return).
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


def neutralise_formulas(frame: Any) -> Any:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    OWASP's rule for CSV injection: a text cell starting with ``=``, ``+``, ``-``, ``@``,
    tab or carriage return gets a single quote in front (``'=HYPERLINK(…)``), which
    spreadsheets show as text. Numbers stay numbers: numeric columns are untouched, and so
    are text cells that are plain numbers (``-44.2``). Returns ``frame`` itself when no
    cell needs it.
    """
    import pandas as pd

    changed: dict[Any, Any] = {}
    for c in frame.columns:
        s = frame[c]
        if isinstance(s.dtype, pd.CategoricalDtype):  # its texts (reasons name places)
            s = s.astype(object)
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        text = s.where(s.map(lambda v: isinstance(v, str))) if s.dtype == object else s
        risky = text.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
        if risky.any():
            # fullmatch, ASCII digits: the same test as RE2's in neutralise_array ("-5\n"
            # and "-٣" are not plain numbers)
            plain = text.str.fullmatch(_PLAIN_NUMBER, flags=re.ASCII)
            risky &= ~plain.fillna(False).astype(bool)
        if risky.any():
            changed[c] = s.astype(object).mask(risky, "'" + text.astype(object))
    if not changed:
        return frame
    out = pd.DataFrame(frame).copy(deep=False)
    for c, v in changed.items():
        out[c] = v
    return out


def neutralise_array(text: Any) -> Any:
    """:func:`neutralise_formulas` for one Arrow string array, vectorised (pyarrow.compute):
    a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR and not a plain number gets a
    leading ``'``. Nulls stay null; returns ``text`` itself when no cell needs it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    risky = pc.match_substring_regex(text, "^[" + re.escape("".join(FORMULA_STARTS)) + "]")
    if not pc.any(risky).as_py():
        return text
    risky = pc.and_kleene(risky, pc.invert(pc.match_substring_regex(text, _PLAIN_NUMBER)))
    if not pc.any(risky).as_py():
        return text
    quoted = pc.binary_join_element_wise(pa.scalar("'", text.type), text, pa.scalar("", text.type))
    return pc.if_else(pc.fill_null(risky, False), quoted, text)


#: Rows formatted and written together by :func:`write_csv` (bounds its extra memory).
_CSV_BATCH = 16_384


def _text(value: str) -> Any:
    """An Arrow large_string scalar (the type of every cell array of the CSV writer)."""
    import pyarrow as pa

    return pa.scalar(value, pa.large_string())


def _float_text(v: Any) -> Any:
    """Float64 values as the text pandas (Python's ``repr``) writes, vectorised: Arrow's
    shortest round-trip digits, with ``.0`` after whole numbers; the rare values Arrow
    writes in another notation (below 1e-4 or from 1e9 on) by ``repr``. NaN: null."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    v = np.asarray(v, dtype=float)
    nan = np.isnan(v)
    if nan.all():
        return pa.nulls(len(v), pa.large_string())
    text = pc.cast(pa.array(v, mask=nan), pa.large_string())
    big = np.abs(v)
    rare = ~nan & ((big < 1e-4) & (v != 0) | (big >= 1e9))
    # whole numbers in Arrow's plain range print without a point ("5", "-0"): add ".0"
    whole = ~nan & ~rare & (v == np.trunc(v))
    if whole.any():
        text = pc.if_else(
            pa.array(whole), pc.binary_join_element_wise(text, _text(".0"), _text("")), text
        )
    if rare.any():
        text = pc.replace_with_mask(
            text, pa.array(rare), pa.array([repr(float(x)) for x in v[rare]], pa.large_string())
        )
    return text


def _quoted_text(arr: Any, csv_safe: bool, alone: bool) -> Any:
    """Arrow text cells as pandas writes them: neutralised (``csv_safe``), quoted where they
    hold a comma, quote or line end (``alone``: empty cells too), quotes doubled."""
    import pyarrow.compute as pc

    if csv_safe:
        arr = neutralise_array(arr)
    if alone:
        arr = pc.fill_null(arr, _text(""))
    need = pc.match_substring_regex(arr, '[",\r\n]')
    if alone:
        need = pc.or_kleene(need, pc.equal(arr, _text("")))
    if not pc.any(need).as_py():
        return arr
    # doubling quotes copies every string: only when some cell holds one
    has_quote = pc.match_substring(arr, '"')
    body = pc.replace_substring(arr, '"', '""') if pc.any(has_quote).as_py() else arr
    quoted = pc.binary_join_element_wise(_text('"'), body, _text('"'), _text(""))
    return pc.if_else(pc.fill_null(need, False), quoted, arr)


def _csv_cells(s: Any, csv_safe: bool, alone: bool) -> Any:
    """One pandas column as a function of a row range (start, stop) giving that range's
    CSV cells as an Arrow array, exactly as pandas writes them (quoted where they hold a
    comma, quote or line end; NaN empty; ``True``/``False``), or None for a dtype left to
    pandas (dates, mixed objects...). ``alone``: the only column, whose empty cells are
    quoted so that a row never reads as a blank line.

    Cells are made one batch of rows at a time (the writer's memory stays bounded), and a
    categorical column's cells once per category, then taken by its codes (issue 18: the
    reason sentences are a few thousand distinct texts, not a million)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    def coded(codes: np.ndarray, values: Any) -> Any:
        """Cells of ``values`` made once, taken by ``codes`` (-1: empty)."""
        made = _csv_cells(pd.Series(values, dtype=object), csv_safe, alone=False)
        if made is None:
            return None
        cells = made(0, len(values))
        if isinstance(cells, pa.ChunkedArray):
            cells = cells.combine_chunks()
        return lambda a, b: cells.take(pa.array(codes[a:b], mask=codes[a:b] < 0))

    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        made = None if alone else coded(np.asarray(s.cat.codes), dtype.categories)
        # the only column, or categories pandas formats: as plain values
        return made or _csv_cells(s.astype(object), csv_safe, alone)
    if pd.api.types.is_object_dtype(dtype) and not alone and len(s) > _CSV_BATCH:
        # a column of a few texts repeated (reasons, controllers: each distinct text one
        # shared string, whose hash Python keeps): its cells made once per text
        head = s.iloc[:_CSV_BATCH]
        if head.nunique(dropna=False) <= len(head) // 8:
            codes, distinct = pd.factorize(s)
            made = coded(codes, distinct)
            if made is not None:
                return made
    if pd.api.types.is_bool_dtype(dtype):
        flags = pa.array(s, type=pa.bool_(), from_pandas=True)
        return lambda a, b: pc.if_else(flags.slice(a, b - a), _text("True"), _text("False"))
    if pd.api.types.is_integer_dtype(dtype):
        ints = pa.array(s, from_pandas=True)
        return lambda a, b: pc.cast(ints.slice(a, b - a), pa.large_string())
    if pd.api.types.is_float_dtype(dtype):
        v = s.to_numpy(dtype=float, na_value=float("nan"))
        return lambda a, b: _float_text(v[a:b])
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return None
    try:
        # Arrow-backed text as it is (no copy), else converted once; cast to the writer's
        # large_string one batch at a time
        arr = pa.array(s, from_pandas=True) if pd.api.types.is_string_dtype(dtype) else None
        if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            arr = pa.array(s, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # not all text: pandas formats it
    return lambda a, b: _quoted_text(
        pc.cast(arr.slice(a, b - a), pa.large_string()), csv_safe, alone
    )


def write_csv(frame: Any, dest: Any, *, csv_safe: bool = True, header: bool = True) -> None:
    """Write a (Geo)DataFrame as CSV (CRLF line ends, no index, no geometry), vectorised.

    The bytes are those pandas' ``to_csv(index=False, lineterminator=CSV_LINE_END)`` writes
    (minimal quoting, floats as ``repr``, NaN empty), but each column is turned into text
    by Arrow compute kernels and the rows are joined by Arrow, in batches of
    :data:`_CSV_BATCH` rows: no Python per row, and categorical columns formatted once per
    category. With ``csv_safe`` text cells are neutralised against spreadsheet formulas
    (:func:`neutralise_array`). ``dest`` is a path or a binary file open for writing (a
    stream appending chunks). A frame holding a column Arrow cannot take as it is (dates,
    mixed objects) is written by pandas.
    """
    import csv
    import io as _io

    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    geom = getattr(frame, "_geometry_column_name", None)
    keep = [i for i, c in enumerate(frame.columns) if c != geom]  # no copy of the frame
    cols: list[Any] | None = []
    for i in keep:
        cells = _csv_cells(frame.iloc[:, i], csv_safe, alone=len(keep) == 1)
        if cells is None:
            cols = None
            break
        cols.append(cells)
    with contextlib.ExitStack() as stack:
        fh = dest if hasattr(dest, "write") else stack.enter_context(open(dest, "wb"))
        if cols is None:  # a column Arrow cannot take as it is: pandas writes the frame
            plain = pd.DataFrame(frame.iloc[:, keep])
            (neutralise_formulas(plain) if csv_safe else plain).to_csv(
                fh, index=False, header=header, lineterminator=CSV_LINE_END, encoding="utf-8"
            )
            return
        if header:
            line = _io.StringIO()
            csv.writer(line, lineterminator=CSV_LINE_END).writerow(
                [str(frame.columns[i]) for i in keep]
            )
            fh.write(line.getvalue().encode("utf-8"))
        if not cols:  # rows but no columns: empty lines, as pandas writes them
            fh.write(CSV_LINE_END.encode() * len(frame))
            return
        for start in range(0, len(frame), _CSV_BATCH):
            stop = min(start + _CSV_BATCH, len(frame))
            part = [c(start, stop) for c in cols]
            rows = pc.binary_join_element_wise(
                *part, _text(","), null_handling="replace", null_replacement=""
            )
            rows = pc.binary_join_element_wise(rows, _text(CSV_LINE_END), _text(""))
            if isinstance(rows, pa.ChunkedArray):  # Arrow-backed pandas columns are chunked
                rows = rows.combine_chunks()
            offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
            first, last = offsets[rows.offset], offsets[rows.offset + len(rows)]
            fh.write(memoryview(rows.buffers()[2])[first:last])


def write_frame(
    frame: Any, path: str | Path, fmt: str, *, layer: str | None = None, csv_safe: bool = True
) -> Path:
    """Write a (Geo)DataFrame atomically in ``fmt``: "CSV", "Parquet" or a GDAL driver name.

    CSV (lines ending in CRLF) drops the geometry column and, with ``csv_safe`` (the default), neutralises text
    cells a spreadsheet would run as formulas (:func:`neutralise_formulas`); GDAL drivers get
    ``layer`` where they take one (GPKG). Raises OutputError, naming the file, when the
    write fails.
    """
    path = Path(path)
    with atomic_output(path) as tmp:
        try:
            if fmt == "CSV":
                write_csv(frame, tmp, csv_safe=csv_safe)
            elif fmt == "Parquet":
                frame.to_parquet(tmp)
            else:
                extra = {"layer": layer} if layer and fmt == "GPKG" else {}
                if fmt == "GeoJSON":  # its "name" member: the target's, not the temp file's
                    extra = {"layer": path.stem}
                frame.to_file(tmp, driver=fmt, **extra)
        except OSError as exc:
            raise OutputError(path, f"cannot be written ({exc.strerror or exc})") from None
    return path

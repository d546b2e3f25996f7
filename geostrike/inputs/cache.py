"""What reading an input file produced, kept in the cache folder and found again by content.

Reading and normalising a zones file (parsing its geometries and CRS, its dates, its
controllers, the test for overlapping zones) costs about 0.09 s for a Syria-sized map: a
fifth of a ten-claim ``geostrike check``. The command keeps the result here and finds it
again by a key made of everything the result depends on:

- the bytes of the file (symbolic links followed), and the path as given (warnings name
  it);
- the arguments of the read, and whatever else the caller names (the actor table's
  contents, the date-order setting);
- the code that reads it: the bytes of every module and data file of the installed
  ``geostrike`` package, the releases of Python and of the libraries that read, parse or
  hold the result (:data:`_LIBRARIES`, GEOS and PROJ), and the year (dateutil reads
  two-digit years by it); a new release, or a one-character edit, is a new key;
- every ``GEOSTRIKE_*`` environment variable, and GDAL's and PROJ's (``GDAL_*``,
  ``OGR_*``, ``CPL_*``, ``PROJ_*``).

File times play no part, so a file rewritten with the same bytes is a hit and any other
change is a miss: a result can be reused only where a fresh read would give the same one.
A file whose bytes changed while it was read is not kept, and a GeoPackage with a journal
beside it (``-wal``, ``-shm``, ``-journal``: another program has it open, and its latest
edits may be in the journal) is not kept either. Shapefiles and folders, whose content is
in several files, are never kept. The warnings the read gave are stored with it and given
again on a hit (and given when the read fails). Only the last :data:`KEEP` results are
kept. Where the cache folder cannot be written, nothing is cached. The cache is a pickle
in the user's own cache folder (as numba's kernels are): a file that cannot be loaded is
a miss; a cache folder shared with others must be trusted as code is.

Data: none; the folder is :func:`geostrike.settings.cache_folder` (``GEOSTRIKE_CACHE_DIR``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from geostrike import settings

#: Results kept per kind (the oldest used are removed beyond this).
KEEP = 16
_FORMAT = "1"
#: Libraries that read, parse or hold a kept result (their releases are part of the key).
_LIBRARIES = (
    "numpy",
    "pandas",
    "pyarrow",
    "shapely",
    "pyproj",
    "geopandas",
    "pyogrio",
    "dateutil",
    "anyascii",
)
#: Environment variables that change what GDAL reads or how PROJ reprojects.
_ENV_PREFIXES = ("GEOSTRIKE_", "GDAL_", "OGR_", "CPL_", "PROJ_")
_code_digest: str | None = None


def _release(name: str) -> str:
    """A library's release without importing it when not imported yet (its dist-info
    folder's name); ``-`` when not found."""
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__version__", None):
        return str(module.__version__)
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return "-"
    if spec is None or not spec.origin:
        return "-"
    site = Path(spec.origin).resolve().parent.parent
    dist = {"dateutil": "python_dateutil"}.get(name, name)
    found = sorted(q.name for q in site.glob(f"{dist}-*.dist-info"))
    return found[-1] if found else "-"


def _package_digest() -> str:
    """Digest of every file of the installed geostrike package (its code and data), of the
    releases of Python, of :data:`_LIBRARIES`, GEOS and PROJ, and of the year; computed
    once per process."""
    global _code_digest
    if _code_digest is None:
        import datetime as dt

        import pyproj
        import shapely

        root = Path(__file__).resolve().parent.parent
        h = hashlib.sha256(f"{_FORMAT}\x1f{sys.version}\x1f{dt.date.today().year}".encode())
        for name in _LIBRARIES:
            h.update(f"\x1f{name}={_release(name)}".encode())
        h.update(
            f"\x1fgeos={shapely.geos_version_string}\x1fproj={pyproj.proj_version_str}".encode()
        )
        files = sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        )
        for p in files:
            h.update(f"\x1f{p.relative_to(root).as_posix()}\x1f".encode())
            try:
                h.update(p.read_bytes())
            except OSError:  # gone meanwhile (an editor's swap file): named, not read
                h.update(b"\x00unreadable")
        _code_digest = h.hexdigest()
    return _code_digest


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_key(kind: str, path: Path, given: str, extra: Iterable[Any]) -> str | None:
    """The cache key of reading the single file ``path`` (written ``given`` by the user)
    with the arguments ``extra`` (their ``repr`` is used: plain values only); None when the
    file is not one file that holds all of its content (a folder, a shapefile and its
    sidecars, a GeoPackage with a journal beside it)."""
    real = path.resolve()  # SQLite keeps a GeoPackage's journal beside the file itself
    if not real.is_file():
        return None
    suffix = real.suffix.lower()
    if suffix not in (".parquet", ".geoparquet", ".gpkg", ".geojson", ".json", ".fgb", ".kml"):
        return None
    if path.suffix.lower() != suffix:  # a link named otherwise: read as its name says
        return None
    if suffix == ".gpkg" and any(
        real.with_name(real.name + side).exists() for side in ("-wal", "-shm", "-journal")
    ):
        return None
    h = hashlib.sha256(f"{kind}\x1f{_package_digest()}".encode())
    h.update(f"\x1f{given}\x1f{real}\x1f{_file_digest(real)}".encode())
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES))
    h.update(repr((env, list(extra))).encode())
    return h.hexdigest()[:32]


def digest_of(obj: Any) -> str:
    """A digest of an object's pickle, for a key (an equal object may give another digest:
    then the cache misses, it is never wrong)."""
    return hashlib.sha256(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


def _folder(kind: str) -> Path:
    return settings.cache_folder() / kind


def remembered(kind: str, key_of: Callable[[], str | None], read: Callable[[], Any]) -> Any:
    """``read()``, or what it returned before under the key ``key_of()`` gives, with its
    warnings given again.

    Warnings given by ``read`` are recorded (all of them, whatever the filters) and then
    given again to the caller's filters, in order, from where they were first given, also
    when ``read`` fails; on a hit the stored ones are given the same way. The key is taken
    again after the read, and the result is kept only if it is unchanged (the file was
    not changed while it was read). An exception is raised as it is and stores nothing.
    Not for use while other threads may give warnings (the record is process-wide): the
    command calls it before its threads start.
    """
    key = key_of()
    if key is None:
        return read()
    path = _folder(kind) / f"{key}.pickle"
    hit = _load(path)
    if hit is not None:
        value, given = hit
        _replay(given)
        return value
    given: list[tuple[Any, ...]] = []
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                value = read()
            finally:
                given = [(w.message, w.category, w.filename, w.lineno) for w in seen]
    finally:
        _replay(given)  # also when the read failed: they may explain its error
    if key_of() == key:
        _store(path, (value, given))
    return value


def _replay(given: list[tuple[Any, ...]]) -> None:
    for message, category, filename, lineno in given:
        warnings.warn_explicit(message, category, filename, lineno)


def _load(path: Path) -> tuple[Any, list] | None:
    try:
        with open(path, "rb") as fh:
            value = pickle.load(fh)  # our own file, in the user's own cache folder
    except Exception:  # noqa: BLE001 - missing, partial or from another release: a miss
        return None
    with contextlib.suppress(OSError):  # a read-only cache folder: still a hit
        os.utime(path)  # the most recently used are the ones kept
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], list)):
        return None
    return value


def _store(path: Path, value: Any) -> None:
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - something that does not pickle: not cached
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        finally:  # an error or an interrupt: no partial file left
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        kept = sorted(path.parent.glob("*.pickle"), key=_mtime, reverse=True)
        for old in kept[KEEP:]:
            with contextlib.suppress(OSError):
                old.unlink()


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0

"""Every environment variable geostrike reads, and the tunables behind them, in one place.

Each value is read when it is asked for (not at import), so a test or a long-running
process can change the environment and see the change. Modules ask this one; none reads
``os.environ`` itself.

| variable | meaning | default |
|---|---|---|
| ``GEOSTRIKE_DATA_DIR`` | folder of imported gazetteer parts | the per-user data folder |
| ``GEOSTRIKE_CACHE_DIR`` | folder of compiled gazetteer indexes and numba kernels | the per-user cache folder |
| ``GEOSTRIKE_SUPPLEMENT`` | folder of curated gazetteer supplements | ``gazetteer/`` beside the package |
| ``GEOSTRIKE_AMBIGUITY_KM`` | namesakes farther apart than this (km) make a place ambiguous | ``places.geocoder.AMBIGUITY_KM`` |
| ``GEOSTRIKE_FOCUS`` | ISO countries whose places win ties (comma-separated; empty: none) | :data:`DEFAULT_FOCUS` |
| ``GEOSTRIKE_THREADS`` | threads a check may use (a whole number ≥ 1) | the idle cores |
| ``GEOSTRIKE_STREAM_BYTES`` | claims files this large or larger are streamed by the CLI | :data:`STREAM_THRESHOLD_BYTES` |
| ``GEOSTRIKE_STREAM_ROWS`` | claims files of this many rows or more are streamed by the CLI into CSV or Parquet | :data:`STREAM_THRESHOLD_ROWS` |
| ``GEOSTRIKE_KEEP_HEAP`` | ``0`` turns off keeping freed memory in the heap during a check (and Arrow's allocations in it, and the command's one heap for all threads) | on |
| ``MALLOC_ARENA_MAX`` | glibc's own: when set, the command leaves the number of heaps as chosen instead of one for all threads | unset |
| ``ARROW_DEFAULT_MEMORY_POOL`` | Arrow's own: when set, a check keeps that pool instead of moving Arrow's allocations into the kept heap | unset |
| ``GEOSTRIKE_HUGEPAGES`` | ``1`` keeps numpy's huge-page requests during a check where the kernel stalls on them | off |
| ``GEOSTRIKE_REQUIRE_CLIENTS`` | ``1``: tests that drive Chromium or QGIS fail instead of skipping | off |
"""

from __future__ import annotations

import os
from pathlib import Path

#: Countries whose places win ties between namesakes when no other context is given (the
#: air wars the project is used on). Override with GEOSTRIKE_FOCUS.
DEFAULT_FOCUS: tuple[str, ...] = ("SY", "IQ", "LB", "TR", "LY", "YE", "UA")

#: Claims files at least this large (bytes) are streamed by the CLI (GEOSTRIKE_STREAM_BYTES).
STREAM_THRESHOLD_BYTES = 1 << 30

#: Claims files of at least this many rows are streamed by the CLI when it writes CSV or
#: Parquet (GEOSTRIKE_STREAM_ROWS): the same results in bounded memory, the writing of one
#: chunk overlapping the checking of the next (docs/performance.md, issue 18).
STREAM_THRESHOLD_ROWS = 250_000


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def data_dir() -> Path | None:
    """``GEOSTRIKE_DATA_DIR`` as a path, or None when unset."""
    value = _env("GEOSTRIKE_DATA_DIR")
    return Path(value) if value else None


def cache_dir() -> Path | None:
    """``GEOSTRIKE_CACHE_DIR`` as a path, or None when unset."""
    value = _env("GEOSTRIKE_CACHE_DIR")
    return Path(value) if value else None


def cache_folder() -> Path:
    """The cache folder itself: ``GEOSTRIKE_CACHE_DIR``, else the per-user cache folder."""
    given = cache_dir()
    if given:
        return given
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("geostrike", appauthor=False))


def supplement_dir() -> Path | None:
    """``GEOSTRIKE_SUPPLEMENT`` as a path, or None when unset."""
    value = _env("GEOSTRIKE_SUPPLEMENT")
    return Path(value) if value else None


def ambiguity_km() -> float | None:
    """``GEOSTRIKE_AMBIGUITY_KM`` as a number of km, or None when unset or not a number."""
    value = _env("GEOSTRIKE_AMBIGUITY_KM")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def focus() -> tuple[str, ...]:
    """The focus countries: ``GEOSTRIKE_FOCUS`` (comma-separated ISO codes) or the default."""
    value = os.environ.get("GEOSTRIKE_FOCUS")
    if value is None:
        return DEFAULT_FOCUS
    return tuple(c.strip().upper() for c in value.split(",") if c.strip())


def threads() -> int | None:
    """``GEOSTRIKE_THREADS`` as a whole number ≥ 1, or None when unset or not such a number."""
    value = (os.environ.get("GEOSTRIKE_THREADS") or "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def stream_bytes() -> int:
    """The size from which the CLI streams a claims file (``GEOSTRIKE_STREAM_BYTES``)."""
    value = (os.environ.get("GEOSTRIKE_STREAM_BYTES") or "").strip()
    return int(value) if value.isdigit() else STREAM_THRESHOLD_BYTES


def stream_rows() -> int:
    """The number of rows from which the CLI streams a claims file into CSV or Parquet
    (``GEOSTRIKE_STREAM_ROWS``)."""
    value = (os.environ.get("GEOSTRIKE_STREAM_ROWS") or "").strip()
    return int(value) if value.isdigit() else STREAM_THRESHOLD_ROWS


def keep_heap() -> bool:
    """Whether a check keeps freed memory in the heap (``GEOSTRIKE_KEEP_HEAP`` != ``0``)."""
    return os.environ.get("GEOSTRIKE_KEEP_HEAP", "1") != "0"


def arrow_pool_given() -> bool:
    """Whether the user chose Arrow's memory pool (Arrow's own ``ARROW_DEFAULT_MEMORY_POOL``):
    then a check leaves it as chosen (see :mod:`geostrike.engine._heap`)."""
    return bool(_env("ARROW_DEFAULT_MEMORY_POOL"))


def arena_max_given() -> bool:
    """Whether the user set glibc's number of heaps (``MALLOC_ARENA_MAX``, or
    ``glibc.malloc.arena_max`` in ``GLIBC_TUNABLES``): then the command leaves it as chosen
    (see :mod:`geostrike.engine._heap`)."""
    return bool(_env("MALLOC_ARENA_MAX")) or "glibc.malloc.arena_max" in (
        _env("GLIBC_TUNABLES") or ""
    )


def hugepages() -> bool:
    """Whether numpy may ask for transparent huge pages during a check even where the
    kernel compacts memory for them synchronously (``GEOSTRIKE_HUGEPAGES=1``; see
    :mod:`geostrike.engine._heap`)."""
    return os.environ.get("GEOSTRIKE_HUGEPAGES", "") == "1"


def require_clients() -> bool:
    """Whether tests must drive real Chromium and QGIS (``GEOSTRIKE_REQUIRE_CLIENTS=1``)."""
    return os.environ.get("GEOSTRIKE_REQUIRE_CLIENTS", "") == "1"

"""Keep freed memory in the process heap while a check runs (glibc only; no data).

A check of a million claims allocates and frees about a gigabyte of numpy temporaries of a
few megabytes each. With glibc's default settings each large block is handed back to the
kernel when it is freed (``munmap``, or a trim of the heap top), and the next one is faulted
in again page by page: on the development VM that was about 250,000 page faults, 0.5-0.9 s
of a 4 s check (``docs/performance.md``). While a check runs, :func:`heap_kept` raises
glibc's mmap and trim thresholds with ``mallopt`` (the knobs behind the documented
``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` environment variables) so freed
blocks are reused; afterwards it lowers the trim threshold to what glibc's own dynamic rule
would have reached (twice the mmap threshold) and returns the free memory (``malloc_trim``).
The mmap threshold stays at 32 MiB, the value glibc's dynamic rule itself climbs to once
numpy frees a few large arrays: ``mallopt`` cannot hand the adjustment back to glibc.

Arrow's buffers too. pyarrow allocates from mimalloc by default, which hands freed pages
back to the kernel (``madvise``) within milliseconds; the next chunk's buffers are then new
pages again. On a virtual machine whose host reclaims the guest's free memory (Firecracker's
free page reporting, on the development VM), a new page costs about 8 ms of system time per
MB: a streamed million-claim check spent 2-3 s in the kernel, against 0.4 s with Arrow
allocating from glibc's heap as kept here (Parquet→Parquet 3.4 s instead of 4.4-4.9 s,
CSV→CSV 4.0 s instead of 5.2 s; ``docs/performance.md``). So within :func:`heap_kept`
Arrow's default pool is the system allocator, and the previous pool is restored afterwards
(each buffer is freed by the pool it came from); a pool chosen by the user with
``ARROW_DEFAULT_MEMORY_POOL`` is left alone.

One heap for all threads. glibc gives each thread that allocates its own heap ("arena"),
and with freed memory kept, each arena keeps the most its thread ever held: in a streamed
run the reading, writing and checking threads kept three such high-water marks, 40-80 MB
more at the peak than one shared heap (``docs/performance.md``). :func:`one_arena` limits
the process to one arena: threads started afterwards share the heaps that exist. glibc
keeps such a limit for the rest of the process (it cannot be handed back), so only the
``geostrike`` command, which owns its process, calls it, first thing; a library caller
can set glibc's ``MALLOC_ARENA_MAX=1`` (or ``GLIBC_TUNABLES=glibc.malloc.arena_max=1``),
which the command then leaves as set.

Elsewhere (musl, macOS, Windows) it does nothing; ``GEOSTRIKE_KEEP_HEAP=0`` turns it off.

Huge pages. numpy asks the kernel for transparent huge pages on every large array
(``madvise(MADV_HUGEPAGE)``). Where the kernel's THP ``defrag`` policy makes such a fault
compact memory synchronously (``always``, ``madvise`` or ``defer+madvise`` in
``/sys/kernel/mm/transparent_hugepage/defrag``), the faults of a million-claim check cost
seconds of system time on a busy or fragmented machine: on the development VM (policy
``madvise``) ``geostrike check`` Parquet→Parquet spent 3.0-3.5 s in the kernel with it and
0.7-1.8 s without, for the same 3.8 s of user time (``docs/performance.md``). So within
:func:`heap_kept` numpy's request is switched off on such kernels and restored afterwards;
``GEOSTRIKE_HUGEPAGES=1`` keeps numpy's default.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from geostrike import settings

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
#: glibc's largest mmap threshold on 64-bit systems (32 MiB): blocks below it are reused.
_MMAP_THRESHOLD = 32 << 20
_TRIM_WHILE_RUNNING = 1 << 30
_TRIM_AFTER = 2 * _MMAP_THRESHOLD

_lock = threading.Lock()
_depth = 0
_numpy_hugepages: bool | None = None  # numpy's setting before the outermost block
_arrow_pool: Any = None  # Arrow's default pool before the outermost block


_DEFRAG = Path("/sys/kernel/mm/transparent_hugepage/defrag")


def _defrag_stalls(policy: Path = _DEFRAG) -> bool:
    """Whether a huge-page fault in a madvised region may compact memory synchronously
    (the kernel's THP ``defrag`` policy, read from ``policy``)."""
    try:
        text = policy.read_text()
    except OSError:
        return False
    chosen = text[text.find("[") + 1 : text.find("]")] if "[" in text else ""
    return chosen in ("always", "madvise", "defer+madvise")


def _hugepage_switch() -> tuple[Callable[[], bool], Callable[[bool], None]] | None:
    """numpy's (getter, setter) of its huge-page request, where numpy has them."""
    import numpy as np

    core = getattr(np, "_core", None) or getattr(np, "core", None)
    mod = getattr(core, "multiarray", None)
    get = getattr(mod, "_get_madvise_hugepage", None)
    put = getattr(mod, "_set_madvise_hugepage", None)
    return (get, put) if get and put else None


_STALLS = _defrag_stalls()


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt  # noqa: B018 - glibc has it, musl and others do not
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def _arrow_into_heap() -> Any:
    """Make the system allocator (glibc's heap, kept) Arrow's default pool; the pool it
    replaces, or None when nothing was changed (the user chose a pool, or no pyarrow)."""
    if settings.arrow_pool_given():
        return None
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    before = pa.default_memory_pool()
    if before.backend_name == "system":
        return None
    pa.set_memory_pool(pa.system_memory_pool())
    return before


def one_arena() -> bool:
    """Limit this process to one glibc heap for all its threads (see the module's text);
    whether it was done. Process-wide and for good: for the ``geostrike`` command only.
    Not done where glibc is missing, with ``GEOSTRIKE_KEEP_HEAP=0``, or when the user set
    ``MALLOC_ARENA_MAX``."""
    if _LIBC is None or not settings.keep_heap() or settings.arena_max_given():
        return False
    return bool(_LIBC.mallopt(_M_ARENA_MAX, 1))


@contextlib.contextmanager
def heap_kept() -> Iterator[None]:
    """Within the block, freed memory stays in the heap for reuse; trimmed afterwards.

    Re-entrant and thread-safe: the thresholds are raised when the outermost block is
    entered; when the last one running leaves, the trim threshold comes down to 64 MiB and
    the free memory is returned (the mmap threshold stays at 32 MiB).
    """
    global _depth, _numpy_hugepages, _arrow_pool
    libc = _LIBC if settings.keep_heap() else None
    switch = _hugepage_switch() if _STALLS and not settings.hugepages() else None
    if libc is None and switch is None:
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            if libc is not None:
                libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
                libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_WHILE_RUNNING)
                try:
                    _arrow_pool = _arrow_into_heap()
                except Exception:  # noqa: BLE001 - pyarrow unusable: its pool stays
                    _arrow_pool = None
            if switch is not None:
                _numpy_hugepages = bool(switch[0]())
                switch[1](False)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if switch is not None and _numpy_hugepages is not None:
                    switch[1](_numpy_hugepages)
                    _numpy_hugepages = None
                if _arrow_pool is not None:
                    import pyarrow as pa

                    # unless the pool was changed meanwhile (by the user): theirs stays
                    if pa.default_memory_pool().backend_name == "system":
                        pa.set_memory_pool(_arrow_pool)
                    _arrow_pool = None
                if libc is not None:
                    libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_AFTER)
                    libc.malloc_trim(0)

"""Compiled inner loops (numba), cached on disk when a cache folder is writable.

The few loops that numpy cannot express without a temporary array per operation (the
nearest-boundary search of :mod:`geostrike.engine.measure`, the distance display keys of
:mod:`geostrike.engine.check`) are compiled when their module is imported, for the one signature
they are called with. numba caches the machine code beside the module, or in its per-user
cache when the package folder is read-only (``NUMBA_CACHE_DIR`` chooses another folder);
when no folder is writable at all (a read-only image without a home directory) they are
compiled in memory at every start instead of failing. No data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit


def compiled(signature: str) -> Callable[[Callable[..., Any]], Any]:
    """Decorator: compile ``fn`` now for ``signature`` (GIL released while it runs)."""

    def wrap(fn: Callable[..., Any]) -> Any:
        try:
            return njit(signature, cache=True, nogil=True)(fn)
        except RuntimeError as exc:  # "cannot cache function ...: no locator available"
            if "cache" not in str(exc):
                raise
            return njit(signature, nogil=True)(fn)

    return wrap

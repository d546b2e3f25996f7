"""Compiled inner loops (numba), loaded on first use and cached on disk when a cache folder
is writable.

The few loops that numpy cannot express without a temporary array per operation (the
nearest-boundary search of :mod:`geostrike.engine.measure`, the distance display keys of
:mod:`geostrike.engine.reasons`) are compiled for the one signature they are called with, on
their first call: importing numba and loading the machine code costs most of a second, which
a ten-claim job should not pay (issue 18). A kernel may name a size below which its plain
Python body runs instead (``python_below``: the length of its first argument) until the
kernel has been loaded by a larger call, so that small jobs never load numba at all. numba caches the machine code beside the module, or in its
per-user cache when the package folder is read-only (``NUMBA_CACHE_DIR`` chooses another
folder); when no folder is writable at all (a read-only image without a home directory) they
are compiled in memory instead of failing. No data.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

#: Every kernel made by :func:`compiled`, for :func:`warm`.
KERNELS: list[Kernel] = []


def warm() -> int:
    """Compile (or load from the cache) every kernel now; the number of kernels. ``make
    install`` runs it once, so the first large check does not pay the compilation."""
    for kernel in KERNELS:
        kernel.jit()
    return len(KERNELS)


class Kernel:
    """A function compiled by numba on first call (GIL released while it runs).

    ``py`` is the plain Python function (same answers, slower); :meth:`jit` the compiled
    dispatcher, built once (thread-safe).
    """

    def __init__(self, fn: Callable[..., Any], signature: str, python_below: int | None) -> None:
        functools.update_wrapper(self, fn)
        self.py = fn
        self.signature = signature
        self.python_below = python_below
        self._jit: Any = None
        self._lock = threading.Lock()

    def jit(self) -> Any:
        """The compiled function (numba imported and the code compiled or loaded now)."""
        if self._jit is None:
            with self._lock:
                if self._jit is None:
                    from numba import njit

                    try:
                        self._jit = njit(self.signature, cache=True, nogil=True)(self.py)
                    except RuntimeError as exc:  # "cannot cache function ...: no locator"
                        if "cache" not in str(exc):
                            raise
                        self._jit = njit(self.signature, nogil=True)(self.py)
        return self._jit

    @property
    def loaded(self) -> bool:
        """Whether the compiled function is loaded already (calls to it cost no start-up)."""
        return self._jit is not None

    def __call__(self, *args: Any) -> Any:
        # small calls stay in Python until the kernel is loaded; once it is (a large call
        # came first, or a chunk of a streamed file), every call takes it
        if self._jit is None and self.python_below is not None and len(args[0]) < self.python_below:
            return self.py(*args)
        return self.jit()(*args)


def compiled(
    signature: str, *, python_below: int | None = None
) -> Callable[[Callable[..., Any]], Kernel]:
    """Decorator: ``fn`` compiled for ``signature`` on its first call (see :class:`Kernel`);
    with ``python_below``, calls whose first argument is shorter run ``fn`` as Python."""

    def wrap(fn: Callable[..., Any]) -> Kernel:
        kernel = Kernel(fn, signature, python_below)
        KERNELS.append(kernel)
        return kernel

    return wrap

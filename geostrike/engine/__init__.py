"""geostrike.engine: the check (join, measure, judge, reasons), streamed and on Dask."""


def warm_kernels() -> int:
    """Compile (or load from numba's cache) every compiled inner loop of the engine now.

    Returns the number of kernels. ``make install`` calls it once.
    """
    from geostrike.engine import _jit, measure, reasons  # noqa: F401 (they register kernels)

    return _jit.warm()


def tuned_memory():  # -> contextlib.AbstractContextManager[None]
    """Context manager for a whole read → check → write: freed memory is reused, and
    numpy's huge-page requests are off where they stall (:mod:`geostrike.engine._heap`)."""
    from geostrike.engine._heap import heap_kept

    return heap_kept()

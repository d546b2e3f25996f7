"""Tests of geostrike.engine._jit: compiled loops, with or without a writable cache."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from numba import njit

from geostrike.engine._jit import compiled


def _no_file_function():
    namespace: dict = {}
    exec(compile("def twice(x):\n    return x * 2.0\n", "<no file>", "exec"), namespace)  # noqa: S102
    return namespace["twice"]


def test_numba_cannot_cache_a_function_without_a_file() -> None:
    # the situation the fallback exists for (as with no writable cache folder at all)
    try:
        njit("f8(f8)", cache=True)(_no_file_function())
    except RuntimeError as exc:
        assert "cache" in str(exc)
    else:  # pragma: no cover - numba changed: the fallback below is then never needed
        raise AssertionError("numba cached a function that has no source file")


def test_compiled_falls_back_to_an_uncached_compile() -> None:
    twice = compiled("f8(f8)")(_no_file_function())
    assert twice(2.5) == 5.0
    assert twice.jit().signatures  # compiled on that first call


def test_kernels_are_compiled_on_first_use_and_release_the_gil() -> None:
    from geostrike.engine import check
    from geostrike.engine import measure as _nearest

    for kernel in (_nearest._prune_level, _nearest._nearest_in_cells, check._display_keys):
        assert kernel.jit().targetoptions.get("nogil") is True
        assert len(kernel.jit().signatures) == 1
    keys, exact = check._display_keys.jit()(np.array([1.26, 40.0]), 1.609344)
    assert keys.dtype == np.int64 and not exact.any()


def test_importing_the_engine_does_not_import_numba() -> None:
    """Issue 18: a ten-claim job must not pay numba's import (most of a second)."""
    code = (
        "import sys, geostrike.engine.check, geostrike.engine.measure\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

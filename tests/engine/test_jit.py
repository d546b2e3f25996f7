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
    from geostrike.engine import measure as _nearest
    from geostrike.engine import reasons

    for kernel in (_nearest._prune_level, _nearest._nearest_in_cells, reasons._display_keys):
        assert kernel.jit().targetoptions.get("nogil") is True
        assert len(kernel.jit().signatures) == 1
    keys, exact = reasons._display_keys.jit()(np.array([1.26, 40.0]), 1.609344)
    assert keys.dtype == np.int64 and not exact.any()


def test_importing_the_engine_does_not_import_numba() -> None:
    """Issue 18: a ten-claim job must not pay numba's import (most of a second)."""
    code = (
        "import sys, geostrike.engine.check, geostrike.engine.measure\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_ten_claim_check_loads_no_compiled_kernel(tmp_path) -> None:
    """Issue 18: `geostrike check` on a few claims (a Yemen case) runs in numpy and plain
    Python, without importing numba, and its answers are those of the compiled kernels."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    zones = gpd.GeoDataFrame(
        {
            "controller": ["Houthis", "government"],
            "valid_from": ["2016-05-01"] * 2,
            "valid_to": ["2016-05-31"] * 2,
        },
        geometry=[
            shapely.segmentize(shapely.box(42.0, 15.0, 46.0, 18.0), 0.05),
            shapely.segmentize(shapely.box(42.0, 12.0, 46.0, 15.0), 0.05),
        ],
        crs=4326,
    )
    zones.to_file(tmp_path / "zones.geojson", driver="GeoJSON")
    rng = np.random.default_rng(18)
    pd.DataFrame(
        {
            "id": [f"y{i}" for i in range(10)],
            "date": ["2016-05-10"] * 10,
            "claimed_target": ["Houthis", "government"] * 5,
            "latitude": rng.uniform(11.0, 19.0, 10).round(4),
            "longitude": rng.uniform(41.0, 47.0, 10).round(4),
        }
    ).to_csv(tmp_path / "claims.csv", index=False)
    code = (
        "import sys\nfrom geostrike.cli import main\n"
        f"sys.argv = ['geostrike', 'check', {str(tmp_path / 'claims.csv')!r}, '--zones', "
        f"{str(tmp_path / 'zones.geojson')!r}, '-o', {str(tmp_path / 'out.csv')!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
    from geostrike.engine import measure
    from geostrike.engine.check import check

    small = pd.read_csv(tmp_path / "out.csv")
    saved = measure._NUMPY_POINTS
    try:
        measure._NUMPY_POINTS = 0  # the compiled kernels, forced
        compiled = check(str(tmp_path / "claims.csv"), zones)
    finally:
        measure._NUMPY_POINTS = saved
    assert small["verdict"].tolist() == compiled["verdict"].tolist()
    np.testing.assert_array_equal(
        small["distance_to_target_km"].to_numpy(), compiled["distance_to_target_km"].to_numpy()
    )


def test_warm_kernels_compiles_every_kernel_once() -> None:
    """`make install` warms the kernels so the first large check does not compile them."""
    import geostrike.engine as engine
    from geostrike.engine import _jit

    assert engine.warm_kernels() == len(_jit.KERNELS) >= 3
    assert all(k._jit is not None for k in _jit.KERNELS)


def test_a_loaded_kernel_takes_small_calls_too() -> None:
    """Below ``python_below`` a call runs the Python body only while the kernel is not
    loaded; once a larger call has loaded it, small calls take it (a chunked run pays no
    Python loop per chunk), with the same answers."""
    calls = []

    def halve(x):  # pragma: no cover - compiled, or called through the list below
        return x / 2.0

    def spy(x):
        calls.append(len(x))
        return halve(x)

    kernel = compiled("f8[::1](f8[::1])", python_below=100)(spy)
    small = np.arange(5.0)
    np.testing.assert_array_equal(kernel(small), small / 2.0)
    assert calls == [5]  # the Python body ran (nothing loaded yet)
    kernel._jit = njit("f8[::1](f8[::1])")(halve)  # as a larger call would load it
    np.testing.assert_array_equal(kernel(small), small / 2.0)
    assert calls == [5]  # the compiled code ran: the Python body was not called again

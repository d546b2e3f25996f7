"""The verdict table: every row in exactly one case; only the decided cases get a verdict."""

from __future__ import annotations

import itertools

import numpy as np

from geostrike.engine.judge import CASES, VERDICT_OF, judge


def _all_combinations():
    """Every combination of the flags, at distances below, at and above the reach."""
    flags = list(itertools.product([False, True], repeat=6))
    rows = []
    for ok, has_data, has_target, target_has, held, inside in flags:
        for dist, edge, precision in ((0.0, 30.0, 1.0), (6.0, 2.0, 1.0), (60.0, 1.0, 30.0)):
            rows.append((ok, has_data, has_target, target_has, held, inside, dist, edge, precision))
    cols = list(zip(*rows, strict=True))
    return {
        "ok": np.array(cols[0]),
        "has_data": np.array(cols[1]),
        "has_target": np.array(cols[2]),
        "target_has": np.array(cols[3]),
        "ctrl_bits": np.where(np.array(cols[4]) | np.array(cols[5]), 1, 0).astype(np.uint64),
        "inside": np.array(cols[5]) & np.array(cols[3]),
        "dist": np.array(cols[6], dtype=float),
        "edge": np.array(cols[7], dtype=float),
        "precision": np.array(cols[8], dtype=float),
    }


def test_every_row_in_exactly_one_case_and_verdicts_follow_the_table() -> None:
    kw = _all_combinations()
    coarse = kw["precision"] > 25.0
    cases, verdict, reach = judge(**kw, coarse=coarse, tolerance_km=5.0)
    assert set(cases) == set(CASES)
    stacked = np.vstack([cases[c] for c in CASES])
    np.testing.assert_array_equal(stacked.sum(axis=0), 1)
    np.testing.assert_allclose(reach, kw["precision"] + 5.0)
    for case in CASES:
        expected = VERDICT_OF.get(case, "indeterminate")
        assert set(verdict[cases[case]]) <= {expected}, case
    # a coarse location is never called consistent unless its circle lies inside
    assert not (coarse & (verdict == "consistent") & ~cases["inside"]).any()
    # an unusable row is never decided
    assert set(verdict[~kw["ok"]]) == {"indeterminate"}


def test_near_within_precision_plus_tolerance() -> None:
    one = np.array([True])
    cases, verdict, _ = judge(
        ok=one, has_data=one, has_target=one, target_has=one,
        ctrl_bits=np.array([2], dtype=np.uint64), inside=~one, coarse=~one,
        dist=np.array([5.9]), edge=np.array([np.nan]), precision=np.array([1.0]),
        tolerance_km=5.0,
    )  # fmt: skip
    assert cases["near"][0] and verdict[0] == "consistent"
    cases, verdict, _ = judge(
        ok=one, has_data=one, has_target=one, target_has=one,
        ctrl_bits=np.array([2], dtype=np.uint64), inside=~one, coarse=~one,
        dist=np.array([6.1]), edge=np.array([np.nan]), precision=np.array([1.0]),
        tolerance_km=5.0,
    )  # fmt: skip
    assert cases["far_held"][0] and verdict[0] == "inconsistent"

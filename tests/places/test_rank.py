"""places.rank: one scorer for one query and for batches (issue 13)."""

from __future__ import annotations

import math

import numpy as np

from geostrike.places import rank
from geostrike.places.gazetteer import FEATURE_RANK, KIND_ALTERNATE, KIND_PRIMARY, load_gazetteer


def _rows(gaz, name: str) -> np.ndarray:
    from geostrike.places.names import normalise

    return np.unique(gaz.exact(normalise(name))[0])


def test_base_score_is_population_and_feature_bonus() -> None:
    gaz = load_gazetteer()
    for r in _rows(gaz, "Tripoli").tolist() + _rows(gaz, "Syria").tolist():
        pop = int(gaz.pop[r]) or (10_000 if gaz.frank[r] <= FEATURE_RANK["PPLA"] else 500)
        want = math.log10(max(pop, 500)) + rank.FEATURE_BONUS.get(int(gaz.frank[r]), 0.0)
        assert rank.base_scores(gaz)[r] == want


def test_one_query_is_a_batch_of_one() -> None:
    """rank() of each query equals its group's order in one batch of all of them."""
    gaz = load_gazetteer()
    names = ["Tripoli", "Homs", "Dublin", "Hamilton", "Kherson", "Aden", "Sanaa"]
    per = [rank.rank(gaz, _rows(gaz, n), focus=("LY", "SY")) for n in names]
    groups = np.concatenate([np.full(len(p), i) for i, p in enumerate(per)])
    rows = np.concatenate([np.sort(p) for p in per])
    sc = rank.scores(gaz, rows, focus=("LY", "SY"))
    ordered = rows[rank.ranked_groups(gaz, groups, rows, sc)]
    assert np.array_equal(ordered, np.concatenate(per))


def test_alt_ok_grouped_equals_one_by_one() -> None:
    gaz = load_gazetteer()
    rng = np.random.default_rng(3)
    rows = rng.integers(0, len(gaz), 600)
    kinds = rng.choice([KIND_PRIMARY, KIND_ALTERNATE], 600)
    groups = np.repeat(np.arange(60), 10)
    together = rank.alt_ok(gaz, rows, kinds, ("SY", "UA"), groups, 60)
    apart = np.concatenate(
        [rank.alt_ok(gaz, rows[groups == g], kinds[groups == g], ("SY", "UA")) for g in range(60)]
    )
    assert np.array_equal(together, apart)


def test_hint_and_focus() -> None:
    gaz = load_gazetteer()
    rows = _rows(gaz, "Tripoli")
    ly = rank.rank(gaz, rows, country="LB")
    assert str(gaz.cc[ly[0]]) == "LB"
    # a division word makes the division win over its seat
    homs = _rows(gaz, "Homs")
    assert int(gaz.frank[rank.rank(gaz, homs, admin=True)[0]]) == FEATURE_RANK["admin1"]
    assert int(gaz.frank[rank.rank(gaz, homs)[0]]) != FEATURE_RANK["admin1"]


def test_derived_arrays_live_in_the_gazetteer_cache() -> None:
    gaz = load_gazetteer()
    assert rank.base_scores(gaz) is rank.base_scores(gaz)
    assert rank.focus_mask(gaz, ("SY",)) is gaz.cached("rank.focus_masks", dict)[("SY",)]

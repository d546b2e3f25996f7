"""The verdict table: every checked claim in exactly one case, each case one verdict.

Verdict rules (``p`` = precision radius of the location, ``t`` = tolerance, ``d`` = distance
to the target's territory, ``coarse`` = ``p`` above ``coarse_km``, 25 km by default, i.e. a
region rather than a town — ACLED precision 3 or an admin-level geocode):

* **consistent**: inside the target's territory, or ``d <= p + t``, with a fine precision;
  with a coarse precision only when the whole precision circle lies inside the target's
  territory (within ``t``).
* **inconsistent**: the place was held by another actor and ``d > p + t`` (the whole
  precision circle lies farther than the tolerance from any target ground), or the target
  held nothing in the data that day while the place was held by another actor (and the
  map shows it holding ground on some other date).
* **indeterminate**: bad or unresolved rows; no claimed target; no zone valid on the date;
  a target the map shows holding ground on no date at all ("never_mapped": a map that does
  not label an actor cannot disprove a claim against it);
  a location outside every zone and not near the target's ground; a coarse precision whose
  circle reaches the target's ground without lying inside it ("too coarse to decide").

Boolean masks over all claims; no loop over rows. Every case not in :data:`VERDICT_OF` is
``indeterminate``, so a new case can never be a confident verdict by accident.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CASES", "VERDICTS", "VERDICT_OF", "judge"]

#: The judged cases, in the order of :func:`geostrike.engine.reasons._sentence`.
CASES: tuple[str, ...] = (
    "inside",
    "inside_coarse",
    "near",
    "near_coarse",
    "far_held",
    "none_held",
    "never_mapped",
    "far_outside",
    "none_outside",
    "no_target",
    "no_data",
    "bad",
)

#: The verdicts, in the order of their codes (0 = indeterminate, the default).
VERDICTS: tuple[str, ...] = ("indeterminate", "consistent", "inconsistent")

#: The cases that decide; every other case is indeterminate.
VERDICT_OF: dict[str, str] = {
    "inside": "consistent",
    "near": "consistent",
    "far_held": "inconsistent",
    "none_held": "inconsistent",
}


def judge(
    *,
    ok: np.ndarray,
    has_data: np.ndarray,
    has_target: np.ndarray,
    target_has: np.ndarray,
    ctrl_bits: np.ndarray,
    inside: np.ndarray,
    coarse: np.ndarray,
    dist: np.ndarray,
    edge: np.ndarray,
    precision: np.ndarray,
    tolerance_km: float,
    ever: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], pd.Categorical, np.ndarray]:
    """Each row's case (one mask per name of :data:`CASES`, exactly one true per row), its
    verdict (a categorical of :data:`VERDICTS`: one byte a row), and its reach ``p + t`` (km).

    ``ok``: the row was located and dated; ``has_data``: some zone is valid on its date;
    ``has_target``: it names a target; ``target_has``: the target holds ground that day;
    ``ctrl_bits``: the controllers of the zones containing it; ``inside``: one of them is
    the target; ``dist``: distance to the target's ground; ``edge``: for an inside point,
    distance to the target's boundary; ``ever``: the target holds ground on some date of
    the map (default: all true).
    """
    reach = precision + tolerance_km
    decidable = ok & has_data & has_target
    held_other = decidable & (ctrl_bits != 0) & ~inside
    outside_all = decidable & (ctrl_bits == 0)
    near = target_has & ~inside & (dist <= reach)
    far = target_has & ~inside & (dist > reach)
    whole_inside = edge >= precision - tolerance_km
    ever = np.ones(len(ok), dtype=bool) if ever is None else ever
    cases = {
        "inside": decidable & inside & (~coarse | whole_inside),
        "inside_coarse": decidable & inside & coarse & ~whole_inside,
        "near": decidable & near & ~coarse,
        "near_coarse": decidable & near & coarse,
        "far_held": held_other & far,
        "none_held": held_other & ~target_has & ever,
        "never_mapped": held_other & ~target_has & ~ever,
        "far_outside": outside_all & far,
        "none_outside": outside_all & ~target_has,
        "no_target": ok & has_data & ~has_target,
        "no_data": ok & ~has_data,
        "bad": ~ok,
    }
    names = sorted(VERDICTS)  # categories in order, as pandas' astype("category") has them
    vcode = np.full(len(ok), names.index("indeterminate"), dtype=np.int8)
    for case, v in VERDICT_OF.items():
        vcode[cases[case]] = names.index(v)
    verdict = pd.Categorical.from_codes(vcode, categories=pd.Index(names))
    return cases, verdict, reach

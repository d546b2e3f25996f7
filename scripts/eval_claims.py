#!/usr/bin/env python3
"""What a candidate claim's confidence means: the share of right candidates per confidence band.

Reads labelled strike reports written for geostrike's tests (see each file's ``_about``):
``tests/data/extract/labelled_claims.json`` (plain reports of several wars) and
``tests/data/extract/labelled_claims_hard.json`` (denials, hedged reports, reported speech,
two actors in one sentence, generic names such as "coalition" in Yemen, Ukraine, Gaza,
Sudan and Libya) and ``tests/data/extract/labelled_claims_heldout.json`` (more of the
same, labelled before geostrike was run on them and never used to tune it) and
``tests/data/extract/labelled_claims_heldout2.json`` (a last set; see its ``_about``). Runs :func:`geostrike.text.claims.extract` on each report with its
report date and counts a candidate as right when its attacker, place and date match one
labelled event of the report (and its claimed target too, when it states one); a
candidate from a report with no labelled event (a denial) is wrong. Prints the
calibration table (candidates and share right per confidence band), the same for
confidence >= 0.8 and below, and the share of labelled events found by a right candidate.

Usage: ``python scripts/eval_claims.py [PATH ...]``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "tests" / "data" / "extract"
DEFAULT = (
    DATA / "labelled_claims.json",
    DATA / "labelled_claims_hard.json",
    DATA / "labelled_claims_heldout.json",
    DATA / "labelled_claims_heldout2.json",
)
#: Lower edges of the confidence bands of the calibration table.
BANDS = (0.0, 0.5, 0.7, 0.8, 0.9)
HIGH = 0.8  # "confident": what the issue measures


def score(paths: Path | tuple[Path, ...] | list[Path] = DEFAULT) -> dict:
    """Counts and shares over the labelled sets (see the module docstring).

    Returns ``high``/``high_right`` and ``low``/``low_right`` (candidates at confidence
    >= 0.8 and below, share right), ``bands`` (one ``(lower edge, n, n right)`` per
    band), ``events`` and ``recall`` (share of labelled events found), ``wrong`` (one
    line per wrong candidate).
    """
    from geostrike.text.claims import extract

    if isinstance(paths, Path | str):
        paths = (Path(paths),)
    n_band = [0] * len(BANDS)
    ok_band = [0] * len(BANDS)
    events = found = 0
    wrong: list[str] = []
    for path in paths:
        data = json.loads(Path(path).read_text("utf-8"))
        for rep in data["reports"]:
            ex = extract(rep["text"], date=rep["date"])
            want = [tuple(e) for e in rep["events"]]
            hit: set[int] = set()
            for c in ex.claims:
                ok = False
                for i, (att, tgt, place, date) in enumerate(want):
                    if (c.attacker, c.place, c.date) == (att, place, date) and (
                        not c.claimed_target or c.claimed_target == tgt
                    ):
                        ok = True
                        hit.add(i)
                b = max(i for i, lo in enumerate(BANDS) if c.confidence >= lo)
                n_band[b] += 1
                ok_band[b] += ok
                if not ok:
                    wrong.append(f"{c.confidence:.2f} {c.attacker}->{c.claimed_target} at "
                                 f"{c.place} {c.date}: {c.sentence}")  # fmt: skip
            # events listed as alternatives (with and without a target) count once per place
            events += len({(a, p, d) for a, _t, p, d in want})
            found += len({(want[i][0], want[i][2], want[i][3]) for i in hit})
    hi = [i for i, lo in enumerate(BANDS) if lo >= HIGH]
    lo_ = [i for i, lo in enumerate(BANDS) if lo < HIGH]
    high, high_ok = sum(n_band[i] for i in hi), sum(ok_band[i] for i in hi)
    low, low_ok = sum(n_band[i] for i in lo_), sum(ok_band[i] for i in lo_)
    nan = float("nan")
    return {
        "high": high, "high_right": high_ok / high if high else nan,
        "low": low, "low_right": low_ok / low if low else nan,
        "bands": [(BANDS[i], n_band[i], ok_band[i]) for i in range(len(BANDS))],
        "events": events, "recall": found / events if events else nan,
        "wrong": wrong,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", default=[str(p) for p in DEFAULT])
    args = ap.parse_args(argv)
    s = score([Path(p) for p in args.paths])
    print("confidence    candidates  right")
    edges = [*BANDS[1:], 1.0]
    for (lo, n, ok), hi in zip(s["bands"], edges, strict=True):
        share = f"{ok / n:6.0%}" if n else "     -"
        close = "]" if hi == 1.0 else ")"
        print(f"[{lo:.1f}, {hi:.1f}{close}   {n:10d}  {share}")
    print(f"candidates at confidence >= {HIGH}: {s['high']}, right {s['high_right']:.0%}")
    print(f"candidates below {HIGH}: {s['low']}, right {s['low_right']:.0%}")
    print(f"labelled events found: {s['recall']:.0%} of {s['events']}")
    for w in s["wrong"]:
        print("  wrong:", w)
    return 0


if __name__ == "__main__":
    sys.exit(main())

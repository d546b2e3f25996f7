#!/usr/bin/env python3
"""What a candidate claim's confidence means: the share of right candidates per confidence band.

Reads the labelled strike reports in ``tests/data/extract/labelled_claims.json`` (written
for geostrike's tests; see its ``_about``), runs :func:`geostrike.text.claims` on each with its
report date, and counts a candidate as right when its attacker, place and date match one
labelled event of the report (and its claimed target too, when it states one). Prints,
for candidates at confidence >= 0.8 and below, how many there are and what share is
right, and the share of labelled events found by a right candidate.

Usage: ``python scripts/eval_claims.py [PATH]``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent / "tests" / "data" / "extract" / "labelled_claims.json"


def score(path: Path = DEFAULT) -> dict[str, float]:
    """Counts and shares over the labelled set (see the module docstring)."""
    from geostrike.text.claims import extract

    data = json.loads(path.read_text("utf-8"))
    high = high_ok = low = low_ok = events = found = 0
    wrong: list[str] = []
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
            if c.confidence >= 0.8:
                high, high_ok = high + 1, high_ok + ok
            else:
                low, low_ok = low + 1, low_ok + ok
            if not ok:
                wrong.append(f"{c.confidence:.2f} {c.attacker}->{c.claimed_target} at {c.place} "
                             f"{c.date}: {c.sentence}")  # fmt: skip
        # events listed as alternatives (with and without a target) count once per place
        events += len({(a, p, d) for a, _t, p, d in want})
        found += len({(want[i][0], want[i][2], want[i][3]) for i in hit})
    return {
        "high": high, "high_right": high_ok / high if high else float("nan"),
        "low": low, "low_right": low_ok / low if low else float("nan"),
        "events": events, "recall": found / events if events else float("nan"),
        "wrong": wrong,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    args = ap.parse_args(argv)
    s = score(Path(args.path))
    print(f"candidates at confidence >= 0.8: {s['high']}, right {s['high_right']:.0%}")
    print(f"candidates below 0.8: {s['low']}, right {s['low_right']:.0%}")
    print(f"labelled events found: {s['recall']:.0%} of {s['events']}")
    for w in s["wrong"]:
        print("  wrong:", w)
    return 0


if __name__ == "__main__":
    sys.exit(main())

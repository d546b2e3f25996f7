#!/usr/bin/env python3
"""Throughput of ``geostrike.extract``: kB of text per second.

Builds news-like texts from the fixture paragraphs in ``tests/data/extract/`` (written for
geostrike's tests) and, when present, the shared report ``../shared/reports/``; times
``extract`` on a 50 kB document and on a 5 MB one (after one warm-up call that loads the
gazetteer), and prints kB/s. Target: at least 100 kB/s.

Usage: ``python scripts/bench_extract.py [--mb 5]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _corpus() -> str:
    parts = [
        p.read_text("utf-8") for p in sorted((ROOT / "tests" / "data" / "extract").glob("*.txt"))
    ]
    report = ROOT.parent / "shared" / "reports" / "syria-strikes-2015.txt"
    if report.exists():
        parts.append(report.read_text("utf-8"))
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=5.0, help="size of the large document (MB)")
    args = ap.parse_args(argv)
    from geostrike.extract import extract

    base = _corpus()
    t0 = time.perf_counter()
    extract(base, date="2016-03-02")
    print(f"warm-up (loads the gazetteer): {time.perf_counter() - t0:.2f} s")
    for size in (50_000, int(args.mb * 1_000_000)):
        text = (base * (size // len(base) + 1))[:size]
        t0 = time.perf_counter()
        ex = extract(text, date="2016-03-02")
        secs = time.perf_counter() - t0
        print(
            f"{len(text) / 1000:>8.0f} kB: {secs:6.2f} s, {len(text) / 1000 / secs:6.0f} kB/s "
            f"({len(ex.places)} places, {len(ex.actors)} actors, {len(ex.claims)} claims)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

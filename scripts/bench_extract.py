#!/usr/bin/env python3
"""Throughput of ``geostrike.text.claims``: kB of text per second, on news and on hostile text.

News-like text is built from the fixture paragraphs in ``tests/data/extract/`` and the
scenario's short report (``geostrike/data/scenarios/syria-2015/report.txt``), all written
for geostrike; ``extract`` is timed on a 50 kB document and on a large one (default 5 MB),
after one warm-up call that loads the gazetteer. Target: at least 200 kB/s.

Then the adversarial cases (:data:`ADVERSARIAL`: text that made earlier versions quadratic
or that stresses one stage) are timed at two sizes, N and 2N; the growth exponent
log2(t(2N) / t(N)) should stay near 1 (linear), never near 2 (quadratic). With
``--full`` each case is also run at the large size, which must finish in under a minute.

Times are CPU seconds of this process (``time.process_time``), which other jobs on a
shared machine disturb far less than wall-clock time; still, read them as orders of
magnitude.

Usage: ``python scripts/bench_extract.py [--mb 5] [--adv-kb 200] [--full] [--only NAME]``
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Hostile texts, each a unit repeated to the wanted size (or a function of the size).
ADVERSARIAL: dict[str, object] = {
    "hyphen-joined capitals (Abc-Abc-...)": "Abc-",
    "capitalised words (Abc Abc ...)": "Abc ",
    "one place name repeated (Homs Homs ...)": "Homs ",
    "many dates (1 May 2015, ...)": "1 May 2015, ",
    "digits (111...)": "1",
    "full stops (......)": ".",
    "punctuation (.,;:!?)": ".,;:!?",
    "whitespace run": lambda n: "x" + " " * n + "x",
    "one huge word": lambda n: "A" + "b" * n,
    "speech chain (Russia said ...)": "Russia said ",
    "strike chain, one line": "Russian jets struck Homs and ",
    "target cues (targeting targeting ...)": "targeting ",
    "media words (Abc TV Abc TV ...)": "Abc TV ",
    "Arabic articles (al-Abc al-Abc ...)": "al-Abc ",
    "unclosed HTML (<p>... <<<<)": lambda n: "<p>x</p><div>" + "<" * n,
    "quotation marks": '"',
    "line breaks": "\n",
    "clauses in one sentence (after ..., while ...)": "jets struck Homs after rebels hit Hama, while ",
    "blame chain (blamed Russia ...)": "an air strike hit Homs; officials blamed Russia and ",
}


def make(case: str, size: int) -> str:
    """The adversarial text ``case`` at ``size`` characters (about)."""
    unit = ADVERSARIAL[case]
    if callable(unit):
        return unit(size)
    return unit * (size // len(unit) + 1)


def _corpus() -> str:
    parts = [
        p.read_text("utf-8") for p in sorted((ROOT / "tests" / "data" / "extract").glob("*.txt"))
    ]
    report = ROOT / "geostrike" / "data" / "scenarios" / "syria-2015" / "report.txt"
    if report.exists():
        parts.append(report.read_text("utf-8"))
    return "\n".join(parts) + "\n"


def _time(text: str) -> tuple[float, object]:
    from geostrike.text.claims import extract

    t0 = time.process_time()
    ex = extract(text, date="2016-03-02")
    return time.process_time() - t0, ex


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=5.0, help="size of the large document (MB)")
    ap.add_argument("--adv-kb", type=float, default=200.0, help="adversarial size N (kB)")
    ap.add_argument("--full", action="store_true", help="also run each case at --mb")
    ap.add_argument("--only", help="run only the adversarial cases whose name contains this")
    ap.add_argument("--skip-news", action="store_true", help="skip the news-like documents")
    args = ap.parse_args(argv)

    base = _corpus()
    secs, _ = _time(base)
    print(f"warm-up (loads the gazetteer): {secs:.2f} s")
    big = int(args.mb * 1_000_000)
    if not args.skip_news:
        for size in (50_000, big):
            text = (base * (size // len(base) + 1))[:size]
            secs, ex = _time(text)
            print(
                f"news {len(text) / 1000:>8.0f} kB: {secs:6.2f} s CPU, "
                f"{len(text) / 1000 / secs:6.0f} kB/s ({len(ex.places)} places, "
                f"{len(ex.actors)} actors, {len(ex.claims)} claims)"
            )
    n = int(args.adv_kb * 1000)
    print(f"adversarial: CPU time at N = {n // 1000} kB and 2N; growth exponent log2(t2N/tN)")
    for case in ADVERSARIAL:
        if args.only and args.only not in case:
            continue
        t1, _ = _time(make(case, n))
        t2, _ = _time(make(case, 2 * n))
        expo = math.log2(t2 / t1) if t1 > 0.02 else float("nan")
        line = (
            f"  {case:42s} {t1:6.2f} s  {t2:6.2f} s  exponent {expo:4.1f}  "
            f"{2 * n / 1000 / max(t2, 1e-9):7.0f} kB/s"
        )
        if args.full:
            tb, _ = _time(make(case, big))
            line += f"  {big / 1e6:.0f} MB: {tb:6.1f} s"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

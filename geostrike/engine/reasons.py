"""The reason sentence of every checked claim, written once per distinct shape.

A shape is (case, controller, target, the distances as printed): rows alike in all of them
share one template, filled in with each row's own place and date. Distances print in km and
miles through :func:`geostrike.geodesy.format_km`; :func:`_display_keys` (compiled) keys
each distance by its printed text without formatting a million strings. The cases come from
:mod:`geostrike.engine.judge`; the sentences are quoted as evidence, so each says what was
measured, against which ground, on which date, and why a case could not be decided.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from geostrike.engine._jit import compiled
from geostrike.engine.judge import CASES
from geostrike.geodesy import format_km
from geostrike.inputs.actors import ActorTable
from geostrike.inputs.claims import factorize_text


@compiled("Tuple((i8[::1], b1[::1]))(f8[::1], f8)", python_below=10_000)  # issue 18
def _display_keys(
    km: np.ndarray, km_per_mile: float
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled (tested via _display_codes)
    """Per distance, one integer for how it prints in km and in miles (:func:`format_km`:
    tenths below 9.95, whole units above), and a flag for the rows to key from their
    printed text instead (within 10⁻⁶ of a rounding tie, 2²⁸ km or more, or negative)."""
    keys = np.empty(len(km), np.int64)
    exact = np.zeros(len(km), np.bool_)
    for i in range(len(km)):
        v = km[i]
        if not math.isfinite(v):
            keys[i] = -1
            continue
        if v >= 2.0**28 or math.copysign(1.0, v) < 0.0:  # absurd, or negative ("-0.0")
            exact[i] = True
            keys[i] = 0
            continue
        key = 0
        for x in (v, v / km_per_mile):
            whole = x >= 9.95
            y = x if whole else x * 10.0
            if abs(y - math.floor(y) - 0.5) < 1e-6:  # a rounding tie, give or take an ulp
                exact[i] = True
                break
            key = key * 2**31 + 2 * round(y) + whole
        keys[i] = key
    return keys, exact


def _printed_key(km: float) -> int:
    """:func:`_display_keys`'s integer, from the printed texts themselves."""
    from geostrike.geodesy import KM_PER_MILE, round_km

    key = 0
    for x in (km, km / KM_PER_MILE):
        text = round_km(x)
        key = key * 2**31 + (2 * int(text) + 1 if abs(x) >= 9.95 else 2 * round(float(text) * 10))
    return key


def _display_codes(km: np.ndarray) -> np.ndarray:
    """Codes equal exactly when two distances print the same in km and in miles."""
    from geostrike.geodesy import KM_PER_MILE

    km = np.ascontiguousarray(km, dtype=float)
    keys, exact = _display_keys(km, KM_PER_MILE)
    rows = np.flatnonzero(exact)
    if len(rows):
        flagged = km[rows]
        if np.signbit(flagged).any() or (flagged >= 2.0**29).any():
            # negative or absurd (never a distance): every row by its printed text
            return pd.factorize(np.array([format_km(v) for v in km], dtype=object))[0]
        # rounding ties and large values: the same integers, from the printed text itself
        keys[rows] = [_printed_key(float(v)) for v in flagged]
    return pd.factorize(keys)[0]


#: Templates already written, by what they depend on (case, controller and target, the
#: distances as printed, the stated place, the problem, the map's coverage notes): a file
#: checked chunk by chunk, or checked again, writes each shape's template once (issue 18).
_TEMPLATES: dict[tuple[Any, ...], tuple[str, str, str, bool, bool]] = {}
_TEMPLATES_MAX = 200_000


def _printed_keys(km: np.ndarray) -> list[Any]:
    """Per distance, a key equal exactly when two distances print the same in km and miles
    (:func:`_display_keys`; the printed text itself for negative or absurd values; None
    for NaN)."""
    from geostrike.geodesy import KM_PER_MILE

    km = np.ascontiguousarray(km, dtype=float)
    keys, exact = _display_keys(km, KM_PER_MILE)
    out: list[Any] = keys.tolist()
    for i in np.flatnonzero(exact).tolist():
        v = float(km[i])
        out[i] = format_km(v) if (math.copysign(1.0, v) < 0 or v >= 2.0**29) else _printed_key(v)
    for i in np.flatnonzero(~np.isfinite(km)).tolist():
        out[i] = None
    return out


#: The random part of the markers :func:`_template` cuts sentences at: drawn once per process
#: (a claim's text cannot guess it), not once per template (issue 18: a uuid4 per template
#: was a tenth of the template's cost).
_MARK = secrets.token_hex(16)


def _template(case: str, **facts: Any) -> tuple[str, str, str, bool, bool]:
    """A shape's sentence cut where the place and the date go: (head, middle, tail, whether
    the place is named, whether the date is), written by :func:`_sentence` with markers no
    claim text can contain."""
    mark = _MARK
    s_mark, d_mark = f"\x00s{mark}\x00", f"\x00d{mark}\x00"
    text = _sentence(case, subject=s_mark, date=d_mark, **facts)
    head, found_s, rest = text.partition(s_mark)
    if not found_s:
        head, rest = "", text
    middle, found_d, tail = rest.partition(d_mark)
    changed = mark in (head + middle + tail).lower()  # a marker altered by the template
    if s_mark in tail or d_mark in head + tail or changed:  # pragma: no cover - _sentence bug
        raise AssertionError(f"the place and the date must each appear once, in order: {text}")
    return head, middle, tail, bool(found_s), bool(found_d)


def _reasons(
    cases: dict[str, np.ndarray],
    *,
    df: pd.DataFrame,
    pc: Any,
    table: ActorTable,
    ctrl_names: np.ndarray,
    ctrl_codes: np.ndarray,
    target_codes: np.ndarray,
    dist: np.ndarray,
    edge: np.ndarray,
    precision: np.ndarray,
    reach: np.ndarray,
    stated: np.ndarray,
    coverage: str = "",
    unmapped: str = "",
) -> pd.Categorical:
    """One plain sentence per claim (a categorical: :func:`reason_column`).

    Sentences are written in two steps, so that a million claims cost a few thousand string
    formats whatever their places and dates. (1) Rows of the same *shape* (case,
    controller, target, distances as printed, stated place, problem) share one template,
    written once by :func:`_sentence` with markers where the place and the date go. (2)
    Each distinct combination of template, place as written and date is filled in by plain
    concatenation and spread back to its rows.
    """
    n = len(df)
    case = np.zeros(n, dtype=np.int64)
    for k, name in enumerate(CASES):
        case[cases[name]] = k
    # the place as the claim wrote it ("northern Homs", not the gazetteer's "Homs")
    pcodes, pu = (
        factorize_text(df["place"]) if "place" in df.columns else (np.zeros(n, int), np.array([""]))
    )
    written = (pu != "")[pcodes]
    subjects = np.append(pu, ["The reported location", ""])
    subject = np.where(written, pcodes, len(pu))
    if pc.date_codes is not None and pc.date_values is not None:
        dcodes, dates = pc.date_codes, pc.date_values
    else:
        dcodes, dates = factorize_text(df["date"])
    dates = np.append(dates, "")
    bad = cases["bad"]
    with_stated = np.isfinite(stated) & (stated > reach) & ~bad
    stated_flag = with_stated.astype(np.int64)  # 1: distance given; 2: the place not found
    if "target_place" in df.columns:
        lost = ~pd.isna(pc.stated_name) & ~np.isfinite(stated) & ~bad
        stated_flag[lost & ~with_stated] = 2

    def sparse_codes(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Codes of ``values`` on the rows in ``mask`` (0 elsewhere)."""
        out = np.zeros(n, dtype=np.int64)
        if mask.any():
            out[mask] = pd.factorize(values[mask])[0] + 1
        return out

    def sparse_display(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        if mask.any():
            out[mask] = _display_codes(values[mask]) + 1
        return out

    coarse_rows = cases["inside_coarse"] | cases["near_coarse"]

    def shape_columns() -> Iterator[np.ndarray]:
        """The columns of a shape, made one at a time (each folded into the key and
        dropped before the next: not eleven arrays of a million codes at once)."""
        yield case
        yield ctrl_codes
        yield target_codes
        yield sparse_display(~bad, dist)
        yield sparse_display(cases["inside_coarse"], edge)
        # the precision is printed for coarse cases and for every region (CENTRE_KM)
        yield sparse_display(coarse_rows | (~bad & (precision >= CENTRE_KM)), precision)
        yield sparse_display(cases["near"], reach)
        yield stated_flag
        yield sparse_codes(stated_flag > 0, pc.stated_name)
        yield sparse_display(with_stated, stated)
        yield sparse_codes(bad, pc.problem)

    shape = _combined_codes(shape_columns())
    # (1) one template per shape
    first = _first_rows(shape)
    k = len(first)

    # the templates of shapes met before (an earlier chunk or check) are taken from the
    # memo: keyed by what the template depends on, with the distances as printed; the keys
    # are built and looked up column by column (a chunk holds ~10,000 shapes)
    def shown(mask: np.ndarray, values: np.ndarray) -> list[Any]:
        keys = _printed_keys(values[first])
        return [k if m else None for k, m in zip(keys, mask[first].tolist(), strict=True)]

    ctrl_of = [str(v) for v in ctrl_names[ctrl_codes[first]].tolist()]
    tgt_of = [str(v) for v in pc.target[first].tolist()]
    # keyed by the labels the sentence prints (another actor table, other words)
    ctrl_labels = {c: table.labels(filter(None, c.split(";"))) for c in set(ctrl_of)}
    tgt_labels = {
        t: " or ".join(table.label(a) for a in sorted(filter(None, t.split(";"))))
        for t in set(tgt_of)
    }
    stated_shown = stated_flag[first].tolist()
    memo_keys = list(
        zip(
            case[first].tolist(),
            [c != "" for c in ctrl_of],
            [ctrl_labels[c] for c in ctrl_of],
            [tgt_labels[t] for t in tgt_of],
            shown(~bad, dist),
            shown(cases["inside_coarse"], edge),
            shown(coarse_rows | (~bad & (precision >= CENTRE_KM)), precision),
            shown(cases["near"], reach),
            stated_shown,
            [
                v if f > 0 else None
                for v, f in zip(pc.stated_name[first].tolist(), stated_shown, strict=True)
            ],
            shown(with_stated, stated),
            [
                v if b else None
                for v, b in zip(pc.problem[first].tolist(), bad[first].tolist(), strict=True)
            ],
            [coverage] * k,
            [unmapped] * k,
            strict=True,
        )
    )
    found = list(map(_TEMPLATES.get, memo_keys))
    for j in [j for j, parts in enumerate(found) if parts is None]:
        i, key = int(first[j]), memo_keys[j]
        parts = _template(
            CASES[case[i]],
            ctrl=key[2],
            held=key[1],
            tgt=key[3],
            dist=dist[i],
            edge=edge[i],
            precision=precision[i],
            reach=reach[i],
            stated_flag=int(stated_flag[i]),
            stated_name=pc.stated_name[i],
            stated=stated[i],
            problem=pc.problem[i],
            coverage=coverage,
            unmapped=unmapped,
        )
        if len(_TEMPLATES) >= _TEMPLATES_MAX:
            _TEMPLATES.clear()
        _TEMPLATES[key] = found[j] = parts
    heads, middles, tails, subject_in, date_in = zip(*found, strict=True) if k else ((),) * 5
    has_subject = np.array(subject_in, dtype=bool)
    has_date = np.array(date_in, dtype=bool)
    # (2) each distinct (template, place, date) filled in once
    subject = np.where(has_subject[shape], subject, len(subjects) - 1)
    when = np.where(has_date[shape], dcodes, len(dates) - 1)
    if not n or (subject.min() == subject.max() and when.min() == when.max()):
        full = shape  # one place and one date (or none written): the templates are the texts
    else:
        full = _combined_codes([shape, subject, when])
    first = _first_rows(full)
    places, days = subjects.tolist(), dates.tolist()
    sentences = np.array(
        [
            f"{heads[a]}{places[b]}{middles[a]}{days[c]}{tails[a]}"
            for a, b, c in zip(
                shape[first].tolist(), subject[first].tolist(), when[first].tolist(), strict=True
            )
        ],
        dtype=object,
    )
    return reason_column(full, sentences)


def reason_column(codes: np.ndarray, sentences: Any) -> pd.Categorical:
    """The reasons ``sentences[codes]`` as a categorical (issue 18: a million rows share a
    few thousand sentences; the CSV and Parquet writers then format and store each once,
    with no pass over a million texts to find them again). Equal sentences become one
    category; the categories are left in their order (:func:`_categorical`)."""
    return _categorical(codes, sentences, sort=False)


def with_reasons(reason: pd.Categorical, rows: np.ndarray, texts: list[str]) -> pd.Categorical:
    """``reason`` with the rows ``rows`` given the texts ``texts`` (new categories added)."""
    tcodes, distinct = pd.factorize(np.asarray(texts, dtype=object))
    at = reason.categories.get_indexer(pd.Index(np.asarray(distinct, dtype=object)))
    added = np.asarray(distinct, dtype=object)[at < 0]
    at[at < 0] = len(reason.categories) + np.arange(len(added))
    cats = reason.categories.append(pd.Index(added, dtype="str"))
    codes = np.asarray(reason.codes).astype(np.int32 if len(cats) >= 2**15 else np.int16)
    codes[np.asarray(rows)] = at[tcodes]
    return pd.Categorical.from_codes(codes, categories=cats, validate=False)


def _categorical(codes: np.ndarray, labels: Any, *, sort: bool = True) -> pd.Categorical:
    """The column ``labels[codes]`` as a pandas categorical (issue 18: a byte a row instead
    of a pointer to a Python string, and the writers turn each category into a cell once).
    ``labels`` may repeat and hold None (missing, as does a code of -1); the categories
    are all the distinct labels, used or not, sorted as ``astype("category")`` sorts them:
    give every possible value (all statuses) and the chunks of a file concatenate as one
    categorical. ``sort`` False keeps them in order of first appearance (no sort of
    thousands of sentences per chunk)."""
    lcodes, distinct = pd.factorize(np.asarray(labels, dtype=object))  # None: -1
    names = np.asarray(distinct, dtype=object)
    order = np.argsort(names, kind="stable") if sort else np.arange(len(names))
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    remap = np.append(np.where(lcodes >= 0, rank[np.maximum(lcodes, 0)], -1), -1)
    small = np.int8 if len(names) < 2**7 else np.int16 if len(names) < 2**15 else np.int32
    codes = np.where(codes < 0, len(lcodes), codes)  # -1: the missing label appended above
    return pd.Categorical.from_codes(
        remap.astype(small)[codes], categories=pd.Index(names[order], dtype="str"), validate=False
    )


def _combined_codes(columns: Iterable[np.ndarray]) -> np.ndarray:
    """Codes (0, 1, 2, … in order of first appearance) of the rows' combinations of values
    of integer ``columns`` (each >= -1; at least one column), folded into one integer key
    a column at a time (a column may be made only when it is asked for)."""
    key: np.ndarray | None = None
    span = 1
    for col in columns:
        if key is None:
            key = np.zeros(len(col), dtype=np.int64)
        if not len(col) or col.min() == col.max():
            continue  # one value everywhere: splits no combination
        size = int(col.max()) + 2
        if span * size >= 2**62:  # the key would overflow: renumber it (same groups) first
            key = pd.factorize(key)[0].astype(np.int64)
            span = int(key.max()) + 1
        key = key * size + (col + 1)
        span *= size
    if key is None:
        raise ValueError("no columns to combine")
    if span == 1:
        return np.zeros(len(key), dtype=np.int64)
    return pd.factorize(key)[0]


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row of each code of :func:`_combined_codes`."""
    first = np.zeros(codes.max() + 1 if len(codes) else 0, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return first


#: A location known only to within this many km (a region, a division: not a town) is
#: described by its centre in a reason ("northern Homs was held at its centre by ..., a
#: location known only to within 25 km"), never as if all of it was held by one side.
CENTRE_KM = 10.0


def _sentence(
    case: str,
    *,
    subject: str,
    date: str,
    ctrl: str,
    held: bool,
    tgt: str,
    dist: float,
    edge: float,
    precision: float,
    reach: float,
    stated_flag: int,
    stated_name: Any,
    stated: float,
    problem: Any,
    coverage: str = "",
    unmapped: str = "",
) -> str:
    """The reason for one judged case, as one plain sentence.

    ``subject`` and ``date`` are placed as given (never changed: :func:`_reasons` passes
    markers and fills them in afterwards), each at most once, the subject first.
    """
    if case == "bad":
        return _capital(problem) + "."
    if case == "no_data":
        return f"No control-zone data covers {date}{coverage}."
    if precision >= CENTRE_KM:
        # a region, not a place: who held its centre is all the zones say about it
        known = f", a location known only to within {format_km(precision)}"
        where = (
            f"{subject} was held at its centre by {ctrl} on {date}{known}"
            if held
            else f"{subject} lay outside every mapped zone at its centre on {date}{unmapped}{known}"
        )
    else:
        where = (
            f"{subject} was held by {ctrl} on {date}"
            if held
            else f"{subject} lay outside every mapped zone on {date}{unmapped}"
        )
    away = f"the nearest {tgt} territory was {format_km(dist)} away"
    if case == "inside":
        text = f"{where}, inside {tgt} territory"
    elif case == "inside_coarse":
        text = (
            f"{subject} is only located to within {format_km(precision)}, too coarse to "
            f"decide: it was held by {ctrl} on {date}, but other ground lies "
            f"{format_km(edge)} away"
        )
    elif case == "near":
        text = f"{where}; {away}, within the precision and tolerance of {format_km(reach)}"
    elif case == "near_coarse":
        text = (
            f"{subject} is only located to within {format_km(precision)}, too coarse to "
            f"decide: on {date} {away}"
        )
    elif case in ("far_held", "far_outside"):
        text = f"{where}; {away}"
    elif case == "none_held":
        text = f"{where}; {tgt} held no territory in the zone data that day"
    elif case == "never_mapped":
        text = (
            f"{where}; these control maps show {tgt} holding ground on no date, so they "
            "cannot tell whether the target was there"
        )
    elif case == "none_outside":
        text = f"{where}, and {tgt} held no territory in the zone data that day"
    else:  # no_target
        text = f"{where}; no claimed target is given"
    if stated_flag == 1:
        text += f"; the stated target place, {stated_name}, is {format_km(stated)} from there"
    elif stated_flag == 2:
        text += f"; the stated target place {stated_name!r} was not found in the gazetteer"
    return text + "."


def _capital(text: Any) -> str:
    t = str(text or "the row could not be used")
    return t[:1].upper() + t[1:]

"""Date mentions in news text, absolute and relative, for :mod:`geostrike.text.claims`.

Absolute forms: ``2015-09-30``, ``30 September 2015``, ``September 30, 2015``, ``Sept. 30``,
``30/09/2015`` (day first, as in most of the world's press), ``30 Sep``. A day and month
without a year take the year of the report date (or the year before, when that would put
the date more than a month after the report). Relative forms are resolved against the
report's date: ``today``, ``yesterday``, ``on Wednesday`` (the latest Wednesday on or
before the report date), ``last week`` (seven days before; precision "week"),
``N days ago``. Without a report date, relative mentions are kept with ``value=None``.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from dataclasses import dataclass

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "a": 1}

_MON = r"(?P<mon>January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_WD = r"(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mon>[01]\d)-(?P<day>[0-3]\d)\b")),
    ("dmy_num", re.compile(r"\b(?P<day>[0-3]?\d)/(?P<mon>[01]?\d)/(?P<year>(?:19|20)\d\d)\b")),
    ("dmy", re.compile(rf"\b(?:{_WD},?\s+)?{_DAY}\s+(?:of\s+)?{_MON}(?:,?\s+{_YEAR})?\b")),
    ("mdy", re.compile(rf"\b(?:{_WD},?\s+)?{_MON}\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?")),
    (
        "rel_wd",
        re.compile(rf"\b(?P<pre>(?:on|last|this|early|late|since|until|by)\s+)?{_WD}(?P<part>\s+(?:morning|afternoon|evening|night))?\b"),
    ),
    (
        "rel_word",
        re.compile(r"\b(?P<word>today|yesterday|tonight|last night|this morning|last week|the day before)\b", re.IGNORECASE),
    ),
    (
        "ago",
        re.compile(r"\b(?P<n>\d+|one|two|three|four|five|six|seven|a)\s+(?P<unit>days?|weeks?)\s+ago\b", re.IGNORECASE),
    ),
]  # fmt: skip


@dataclass(frozen=True)
class DateMention:
    """A date mention: offsets into the text, the resolved day (or None), and how it was found.

    ``relative`` is True for forms that depend on the report date ("Wednesday", "yesterday").
    """

    text: str
    start: int
    end: int
    value: dt.date | None
    relative: bool
    precision: str = "day"


def _month(s: str) -> int:
    return MONTHS[s.lower().rstrip(".")]


def _mk(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _infer_year(month: int, day: int, ref: dt.date | None) -> dt.date | None:
    if ref is None:
        return None
    d = _mk(ref.year, month, day)
    if d is not None and d > ref + dt.timedelta(days=31):
        d = _mk(ref.year - 1, month, day)
    return d


def _free(s: int, e: int, starts: list[int], ends: list[int]) -> bool:
    """True when [s, e) overlaps none of the sorted, disjoint spans (``starts``, ``ends``)."""
    i = bisect_right(starts, s) - 1
    if i >= 0 and ends[i] > s:
        return False
    return not (i + 1 < len(starts) and starts[i + 1] < e)


def find_dates(text: str, ref: dt.date | None = None) -> list[DateMention]:
    """Return the date mentions of ``text`` in text order, resolved against ``ref``.

    The patterns are tried in order; a match overlapping an earlier pattern's mention is
    skipped. The overlap test is a binary search over the mentions taken so far (merged
    once per pattern), so the work grows as n log n with the number of dates.
    """
    found: list[DateMention] = []
    starts: list[int] = []  # taken spans, sorted and disjoint
    ends: list[int] = []

    for kind, pat in _PATTERNS:
        new: list[DateMention] = []
        for m in pat.finditer(text):
            s, e = m.span()
            if not _free(s, e, starts, ends):
                continue
            d = _mention(kind, m, ref)
            if d is not None:
                new.append(d)
        if new:
            found.extend(new)
            # matches of one pattern never overlap each other: merge them in once
            spans = sorted([(d.start, d.end) for d in new] + list(zip(starts, ends, strict=True)))
            starts = [a for a, _ in spans]
            ends = [b for _, b in spans]
    found.sort(key=lambda d: d.start)
    return found


def _mention(kind: str, m: re.Match[str], ref: dt.date | None) -> DateMention | None:
    """The mention of one pattern match, or None when it is no valid date."""
    s, e = m.span()
    value: dt.date | None = None
    relative = False
    precision = "day"
    g = m.groupdict()
    if kind in ("iso", "dmy_num"):
        value = _mk(int(g["year"]), int(g["mon"]), int(g["day"]))
        if value is None:
            return None
    elif kind in ("dmy", "mdy"):
        mon = _month(g["mon"])
        day = int(g["day"])
        if not 1 <= day <= 31:
            return None
        if g["mon"].lower().rstrip(".") == "may" and kind == "mdy" and not g.get("year"):
            # "May 5" is a date, but "may 5" in lower case is a verb: require capital
            if not g["mon"][0].isupper():
                return None
        value = _mk(int(g["year"]), mon, day) if g.get("year") else _infer_year(mon, day, ref)
        relative = not g.get("year")
    elif kind == "rel_wd":
        relative = True
        wd = WEEKDAYS[g["wd"].lower()]
        if ref is not None:
            back = (ref.weekday() - wd) % 7
            pre = (g.get("pre") or "").strip().lower()
            if pre == "last" and back == 0:
                back = 7
            value = ref - dt.timedelta(days=back)
    elif kind == "rel_word":
        relative = True
        w = g["word"].lower()
        if w in ("today", "tonight", "this morning"):
            delta = 0
        elif w == "last week":
            delta, precision = 7, "week"
        else:
            delta = 1
        value = None if ref is None else ref - dt.timedelta(days=delta)
    elif kind == "ago":
        relative = True
        n = g["n"].lower()
        k = _NUMBERS.get(n) if not n.isdigit() else int(n)
        if k is None or k > 400:
            return None
        days = k * (7 if g["unit"].lower().startswith("week") else 1)
        value = None if ref is None else ref - dt.timedelta(days=days)
        precision = "day" if days < 7 else "week"
    return DateMention(m.group(), s, e, value, relative, precision)


def parse_report_date(value: str | dt.date | None) -> dt.date | None:
    """Parse a report date given as YYYY-MM-DD (or a date); None stays None.

    Raises
    ------
    ValueError
        When the string is not an ISO date.
    """
    if value is None or isinstance(value, dt.date):
        return value  # type: ignore[return-value]
    return dt.date.fromisoformat(str(value).strip())

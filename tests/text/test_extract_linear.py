"""Extraction stays linear in the length of the text (#12 item 11).

No timings: the work is counted. ``_work`` counts the Python and C function calls made
while ``extract`` runs (``sys.setprofile``); doubling a hostile text must about double the
count, never square it. The regex-level fixes get structural checks: the media-name scan
reads a bounded window per media word, sentences are capped, date overlaps are found by
binary search.
"""

from __future__ import annotations

import sys

import pytest

from geostrike.text import claims as extract_mod
from geostrike.text.claims import _media_names, extract
from geostrike.text.dates import find_dates
from geostrike.text.tokens import MAX_SENTENCE, sentences


def _work(fn, *args, **kwargs) -> int:
    """Number of function calls (Python and C) made by ``fn(*args, **kwargs)``."""
    count = 0

    def prof(frame, event, arg):  # noqa: ARG001
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(prof)
    try:
        fn(*args, **kwargs)
    finally:
        sys.setprofile(None)
    return count


HOSTILE = {
    "hyphen-joined capitals": "Abc-",
    "capitalised words": "Abc ",
    "one place repeated": "Homs ",
    "many dates": "1 May 2015, ",
    "full stops": ".",
    "speech chain": "Russia said ",
    "strike chain": "Russian jets struck Homs and ",
    "target cues": "targeting ",
    "media words": "Abc TV ",
    "arabic articles": "al-Abc ",
    "quotation marks": '"',
    "clauses in one sentence": "jets struck Homs after rebels hit Hama, while ",
    "blame chain": "an air strike hit Homs; officials blamed Russia and ",
}


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    extract("Russian jets struck Homs on Wednesday.", date="2015-10-01")  # loads the gazetteer


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_doubling_the_text_about_doubles_the_work(name: str) -> None:
    unit = HOSTILE[name]
    n = 6000
    small = unit * (n // len(unit))
    large = unit * (2 * n // len(unit))
    w1 = _work(extract, small, date="2015-10-01")
    w2 = _work(extract, large, date="2015-10-01")
    assert w2 <= 2.4 * w1 + 2000, f"{name}: {w1} calls at {len(small)} chars, {w2} at {len(large)}"


def test_date_overlap_checks_are_not_quadratic() -> None:
    # 2,000 dates vs 4,000: the old overlap test walked every taken span per match
    w1 = _work(find_dates, "1 May 2015, " * 2000)
    w2 = _work(find_dates, "1 May 2015, " * 4000)
    assert w2 <= 2.3 * w1


def test_many_dates_are_all_found() -> None:
    found = find_dates("1 May 2015, " * 5000 + "on Wednesday", None)
    assert len(found) == 5001
    assert found[0].value is not None and found[0].value.isoformat() == "2015-05-01"


def test_media_names_read_a_bounded_window(monkeypatch) -> None:
    # one 200 kB hyphenated word before a media word: the old regex backtracked over it
    # from every word boundary; now only the window before the media word is read
    text = "Abc-" * 50_000 + " TV said"
    assert _media_names(text) == []  # a word longer than the window is no media name
    w1 = _work(_media_names, text)
    w2 = _work(_media_names, "Abc-" * 100_000 + " TV said")
    assert w2 <= w1 + 5 and w1 < 50  # the same few calls, whatever the word's length
    hits = _media_names("Abc TV " * 20_000)
    assert len(hits) == 20_000
    assert _work(_media_names, "Abc TV " * 4_000) <= 2.2 * _work(_media_names, "Abc TV " * 2_000)
    monkeypatch.setattr(extract_mod, "_MEDIA_WINDOW", 10)  # the window bounds the look-back
    assert _media_names("Abcdefghijklmnop TV") == []
    assert _media_names("Abc TV") == [(0, 3, ["Abc"])]


def test_media_names_as_before() -> None:
    assert _media_names("the Saba news agency said") == [(4, 8, ["Saba"])]
    assert _media_names("Al-Masirah TV reported") == [(0, 10, ["Al-Masirah"])]
    assert _media_names("He told Russia Today TV") == [(8, 20, ["Russia", "Today"])]
    assert _media_names("(Sana) TV") == []
    assert _media_names("state television") == []


def test_sentences_are_capped_and_cover_the_text() -> None:
    text = "Russian jets struck Homs and " * 10_000  # one line, no full stop
    spans = sentences(text)
    assert all(e - s <= MAX_SENTENCE for s, e in spans)
    assert spans[0][0] == 0 and spans[-1][1] == len(text.rstrip())
    assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:], strict=False))


def test_runs_of_full_stops_end_one_sentence() -> None:
    # the sentence-end pattern backtracked over itself: 100 kB of dots took minutes
    spans = sentences("." * 200_000)  # no sentence end: cut into capped spans
    assert spans[0] == (0, MAX_SENTENCE) and spans[-1][1] == 200_000
    assert len(spans) == 200_000 // MAX_SENTENCE
    assert sentences("Homs was hit...... Then Idlib.") == [(0, 18), (19, 30)]


def test_a_long_strike_line_still_gives_claims() -> None:
    ex = extract("Russian jets struck Homs and " * 2000, date="2015-10-01")
    assert ex.claims and all(c.attacker == "russia" for c in ex.claims)
    assert all(len(c.sentence) <= MAX_SENTENCE for c in ex.claims)


# --------------------------------------------------------------------------- properties
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HOSTILE_TEXT = st.lists(
    st.sampled_from(list("Abc -.,;:!?\"'’\n 1May2015al") + [" TV", " news agency", "Homs"]),
    max_size=300,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_HOSTILE_TEXT)
def test_sentences_are_ordered_disjoint_and_capped(text: str) -> None:
    spans = sentences(text)
    for s, e in spans:
        assert 0 <= s < e <= len(text) and e - s <= MAX_SENTENCE
        assert text[s:e].strip() == text[s:e]
    assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:], strict=False))


@settings(max_examples=300, deadline=None)
@given(_HOSTILE_TEXT)
def test_media_names_and_dates_point_into_the_text(text: str) -> None:
    for s, e, words in _media_names(text):
        assert 0 <= s < e <= len(text) and text[s:e].split() == words and len(words) <= 3
    found = find_dates(text, None)
    for a, b in zip(found, found[1:], strict=False):
        assert a.end <= b.start  # disjoint, in text order
    for d in found:
        assert text[d.start : d.end] == d.text

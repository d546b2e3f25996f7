"""Issue #17, recognition (geostrike.text.mentions.find_places and its rules): multi-word
names in plain sentences, names before punctuation, supranational and physical names,
inflected Cyrillic and Arabic forms found; portfolios, weather events, persons, teams,
lotteries and brands not taken for places.
"""

from __future__ import annotations

import pytest

from geostrike.text.claims import extract


def _found(text: str) -> dict[str, tuple]:
    return {
        m.text: (m.name, m.country_code, m.precision, m.latitude)
        for m in extract(text, date="2022-06-08").places
    }


@pytest.mark.parametrize(
    ("text", "name", "cc"),
    [
        ("She moved to Cape Town last year.", "Cape Town", "ZA"),
        ("They stayed in Beverly Hills.", "Beverly Hills", "US"),
        ("Beverly Hills police said the road was closed.", "Beverly Hills", "US"),
        ("Flights to Kuwait City resumed.", "Kuwait City", "KW"),
        ("The port of Long Beach was closed.", "Long Beach", "US"),
        ("Students in Chapel Hill protested.", "Chapel Hill", "US"),
        ("He grew up in Kansas City.", "Kansas City", "US"),
        ("They met in Britain.", "Britain", "GB"),
        ("They met in Britain, then left.", "Britain", "GB"),
    ],
)
def test_multi_word_names_and_names_before_punctuation(text: str, name: str, cc: str) -> None:
    got = _found(text)
    assert name in got and got[name][1] == cc, got


@pytest.mark.parametrize(
    "text",
    [
        "The Ministry of Commerce said exports fell.",
        "The Department of Commerce said exports fell.",
        "Commerce Secretary Wilbur Ross said exports fell.",
        "The Commerce Ministry said exports fell.",
        "El Niño brought heavy rain.",
        "La Niña and El Niño change the rains.",
        "Nelson said the plan would fail.",
        "Notre Dame beat Navy on Saturday.",
        "The Mega Millions jackpot rose again.",
        "Zara opened a new store.",
        "Shoppers queued outside Zara.",
        "Russia's Vladimir Putin spoke first.",
        "Brazil's Kaka took the honour in 2007.",
    ],
)
def test_no_false_places(text: str) -> None:
    got = _found(text)
    assert not [k for k in got if k not in ("Russia", "Brazil")], got


def test_a_real_place_named_with_a_portfolio_word_is_kept() -> None:
    # countries and first-level divisions keep their ministries
    got = _found("The Ministry of Defence of Ukraine said Kharkiv Oblast was shelled.")
    assert got["Ukraine"][1] == "UA" and got["Kharkiv Oblast"][2] == "admin1", got


@pytest.mark.parametrize(
    ("text", "found", "name"),
    [
        ("EU ministers met in Brussels.", "EU", "European Union"),
        ("Envoys of the Holy See met in Rome.", "Holy See", "Vatican"),
        ("The ship sank in the Atlantic.", "Atlantic", "Atlantic Ocean"),
        ("Tension on the Korean Peninsula rose.", "Korean Peninsula", "Korean Peninsula"),
        ("Ships avoided the Bab al-Mandab.", "Bab al-Mandab", "Bab-el-Mandeb"),
    ],
)
def test_supranational_and_physical_names_have_coordinates(
    text: str, found: str, name: str
) -> None:
    got = _found(text)
    assert got[found][0] == name and got[found][3] is not None, got


@pytest.mark.parametrize(
    ("text", "word", "name"),
    [
        ("Ракета влучила в центр Харкова.", "Харкова", "Kharkiv"),
        ("У Харкові пролунали вибухи.", "Харкові", "Kharkiv"),
        ("قصفت الطائرات وحلب", "حلب", "Aleppo"),
        ("قصفت الطائرات بحلب", "حلب", "Aleppo"),
        ("وصلت القافلة لحلب", "حلب", "Aleppo"),
    ],
)
def test_inflected_cyrillic_and_arabic_prefixed_forms(text: str, word: str, name: str) -> None:
    got = _found(text)
    assert got.get(word, (None,))[0] == name, got


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("A dozen British Airways flights were cancelled.", []),
        ("The Los Angeles Times reported the crash.", []),
        ("The press conference was held at the Cumberland Farms gas station.", []),
        # a university is where it stands: the struck place of a strike report
        ("Jets struck Aleppo University on Monday.", ["Aleppo"]),
        ("He studied at the University of Manitoba.", ["Manitoba"]),
    ],
)
def test_a_place_heading_an_institution_name(text: str, want: list) -> None:
    assert list(_found(text)) == want


def test_a_person_after_a_title_ends_before_a_preposition() -> None:
    # "general Qassem Soleimani at Baghdad airport": Baghdad is no surname
    got = _found("A US drone strike killed general Qassem Soleimani at Baghdad airport.")
    assert got["Baghdad"][1] == "IQ", got


def test_a_place_before_on_and_a_weekday_stays_a_place() -> None:
    got = _found("Coalition jets struck a fish market in Hodeidah on Thursday.")
    assert got["Hodeidah"][1] == "YE", got

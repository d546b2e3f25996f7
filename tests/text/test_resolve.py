"""One resolver (issue 13): a phrase means the same place, precision and ambiguity by
``geocode()`` and by ``extract()``.

A few hundred phrases are generated from the gazetteer and from templates: bare names of
countries and of the largest places of countries at war (Syria, Iraq, Yemen, Ukraine,
Libya, Sudan, Gaza, Lebanon, Afghanistan, Somalia, Mali, Myanmar, Ethiopia, DR Congo),
"northern X", "N km/miles <bearing> of X", "X, Country", "X province", transliteration
variants and names shared by far-apart places. Each runs through ``geocode(phrase)`` and
through ``extract(f"Airstrikes hit {phrase} on Monday.")``; where extraction recognises
the name (recognition is not resolution: a name it does not find is skipped, and at least
300 phrases must be compared), both give the same gazetteer record, precision, radius
(rounded as printed) and point (within 1 m), or both give nothing; and a name the geocoder
calls ambiguous (far-apart namesakes) is the one extraction scores at most
``AMBIGUOUS_MAX_SCORE`` (a one-place sentence does not settle it).
"""

from __future__ import annotations

import numpy as np
import pytest

from geostrike.geodesy import GEOD
from geostrike.places.gazetteer import FEATURE_RANK, load_gazetteer
from geostrike.places.geocoder import geocode
from geostrike.text.claims import extract
from geostrike.text.resolve import AMBIGUOUS_MAX_SCORE

CONFLICTS = ("SY", "IQ", "YE", "UA", "LY", "SD", "PS", "LB", "AF", "SO", "ML", "MM", "ET", "CD")
_DIRECTION_WORDS = {"north", "south", "east", "west", "upper", "lower", "central", "new"}
_BEARINGS = ["east", "north-west", "south", "northeast", "west"]

#: Spelling variants as reports print them, and names shared by far-apart places.
VARIANTS = [
    "Deir ez-Zor", "Kharkov", "Kharkiv", "Nikolaev", "Mykolaiv", "Sanaa", "Hodeidah",
    "Benghazi", "Misrata", "Khartoum", "Omdurman", "Aleppo", "Raqqa", "Mosul", "Kirkuk",
    "Marib", "Taiz", "Aden", "Sirte", "Derna", "Kherson", "Zaporizhzhia", "Bakhmut",
    "Mariupol", "Rafah", "Khan Younis", "Kabul", "Kandahar", "Mogadishu", "Goma",
]  # fmt: skip
NAMESAKES = [
    "Tripoli", "Dublin", "London", "Paris", "Alexandria", "Hamilton", "Victoria",
    "Valencia", "Santiago", "Cordoba", "Gaza", "Homs", "Idlib", "Quebec", "Georgia",
    "Jordan", "Lebanon", "Kingston", "Richmond", "Athens",
]  # fmt: skip
#: Issue 13's table: the same phrase gave a different answer by each route.
ISSUE_13 = ["northern Homs", "20 km east of Homs", "Syria"]


def _phrases() -> list[tuple[str, str]]:
    """(phrase, the place name in it)."""
    gaz = load_gazetteer()
    out = [("northern Homs", "Homs"), ("20 km east of Homs", "Homs"), ("Syria", "Syria")]
    countries = np.flatnonzero(gaz.frank == FEATURE_RANK["country"])
    country_name = {}
    for r in countries.tolist():
        name = gaz.name(r)
        country_name.setdefault(str(gaz.cc[r]), name)
        if not any(c in name for c in ",()") and r % 3 == 0:
            out.append((name, name))
    for n, cc in enumerate(CONFLICTS):
        rows = np.flatnonzero((gaz.cc == cc) & (gaz.frank >= FEATURE_RANK["PPLC"]))
        rows = rows[np.argsort(-gaz.pop[rows], kind="stable")][:10]
        names = [gaz.name(r) for r in rows.tolist()]
        out += [(nm, nm) for nm in names]
        plain = [nm for nm in names if nm.split()[0].lower() not in _DIRECTION_WORDS]
        out += [(f"northern {nm}", nm) for nm in plain[:2]]
        for i, nm in enumerate(plain[2:5]):
            unit = "miles" if (n + i) % 2 else "km"
            bearing = _BEARINGS[(n + i) % len(_BEARINGS)]
            out.append((f"{5 + 5 * i} {unit} {bearing} of {nm}", nm))
        out += [(f"{nm}, {country_name[cc]}", nm) for nm in plain[5:7] if cc in country_name]
        a1 = np.flatnonzero((gaz.cc == cc) & (gaz.frank == FEATURE_RANK["admin1"]))[:2]
        out += [(f"{gaz.name(r)} province", gaz.name(r)) for r in a1.tolist()]
    out += [(nm, nm) for nm in VARIANTS + NAMESAKES]
    return list(dict.fromkeys(out))


def _head(name: str, places: list) -> object | None:
    """The extracted mention of the phrase's place name (None when extraction found only
    part of the name, or nothing: recognition, not resolution)."""
    inside = [m for m in places if m.text == name]
    return inside[0] if inside else None


@pytest.fixture(scope="module")
def compared() -> list[tuple[str, object, object]]:
    out = []
    for phrase, name in _phrases():
        e = _head(name, extract(f"Airstrikes hit {phrase} on Monday.").places)
        if e is None:
            continue  # not recognised (or not resolved: checked by test_abstentions_agree)
        out.append((phrase, geocode(phrase), e))
    return out


def test_enough_phrases_are_compared(compared) -> None:
    assert len(_phrases()) >= 350
    assert len(compared) >= 300


def test_same_place_precision_and_point_by_both_routes(compared) -> None:
    differ = []
    for phrase, g, e in compared:
        if g is None:
            differ.append((phrase, None, e.gazetteer_id))
            continue
        km = GEOD.inv(g.longitude, g.latitude, e.longitude, e.latitude)[2] / 1000.0
        if (
            g.gazetteer_id != e.gazetteer_id
            or g.precision != e.precision
            or round(g.precision_km, 1) != e.precision_km
            or km > 0.001
            # ambiguity: far-apart namesakes the sentence does not settle score at most 50
            or (g.ambiguity is not None) != (e.score <= AMBIGUOUS_MAX_SCORE)
        ):
            differ.append(
                (
                    phrase,
                    (g.name, g.precision, g.precision_km),
                    (e.name, e.precision, e.precision_km),
                )
            )
    assert differ == []


def test_issue_13_rows() -> None:
    """The three rows of issue 13's table, both routes."""
    for phrase, precision, km in (
        ("northern Homs", "region", 25.0),
        ("20 km east of Homs", "offset", 10.0),
        ("Syria", "country", None),
    ):
        g = geocode(phrase)
        (e,) = extract(f"Airstrikes hit {phrase} on Monday.").places
        assert (g.precision, e.precision) == (precision, precision)
        assert (g.latitude, g.longitude) == pytest.approx((e.latitude, e.longitude), abs=1e-6)
        if km is not None:
            assert g.precision_km == e.precision_km == km
    assert (geocode("Syria").latitude, geocode("Syria").longitude) == (35.0, 38.0)


def test_other_places_settle_a_namesake() -> None:
    """Hebron alone may be the English village; beside Bethlehem it is the West Bank's."""
    (alone,) = extract("Airstrikes hit Hebron on Monday.").places
    assert alone.country_code == "PS" and alone.score <= AMBIGUOUS_MAX_SCORE
    both = extract("Airstrikes hit Hebron and Bethlehem on Monday.").places
    assert [(m.text, m.country_code) for m in both] == [("Hebron", "PS"), ("Bethlehem", "PS")]
    assert both[0].score > AMBIGUOUS_MAX_SCORE


@pytest.mark.parametrize("word", ["Hamas", "Hezbollah", "Liberty", "Monday", "Reuters"])
def test_abstentions_agree(word: str) -> None:
    """What the geocoder refuses, extraction does not place either."""
    assert geocode(word) is None
    assert [m.text for m in extract(f"Airstrikes hit {word} on Monday.").places] == []


@pytest.mark.parametrize(
    ("phrase", "division"),
    [
        ("Kharkivska oblast", "Kharkiv"),
        ("Zaporizka oblast", "Zaporizhia"),
        ("Kurskaya oblast", "Kursk"),  # not the village Kurskaya in Stavropol krai
        ("Belgorodskaya Oblast", "Belgorod"),
    ],
)
def test_an_oblast_named_by_its_adjective_by_both_routes(phrase: str, division: str) -> None:
    g = geocode(phrase)
    (e,) = [m for m in extract(f"Drones struck {phrase} on Monday.").places if m.text in phrase]
    assert (g.name, g.feature_code) == (division, "ADM1")
    assert (e.name, e.feature_code, e.precision) == (division, "ADM1", "admin1")
    assert (g.latitude, g.longitude) == pytest.approx((e.latitude, e.longitude), abs=1e-6)


def test_an_unknown_oblast_adjective_is_placed_by_neither_route() -> None:
    """No oblast of Poltava in the built-in data: not the village Poltavka either."""
    assert geocode("Poltavska oblast") is None
    assert extract("Drones struck Poltavska oblast on Monday.").places == []

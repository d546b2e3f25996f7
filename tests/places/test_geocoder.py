"""Tests of the geocoder: variants, disambiguation, negatives, phrases, bad input, geopy,
and the ``geostrike geocode`` command."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geostrike.cli import cli
from geostrike.places.geocoder import Match, geocode, geocode_many, reverse

GEOD = Geod(ellps="WGS84")


def km(m: Match, lat: float, lon: float) -> float:
    return GEOD.inv(m.longitude, m.latitude, lon, lat)[2] / 1000.0


# --------------------------------------------------------------------------- variants
VARIANTS = [
    # news spelling, reference lat, lon (GeoNames position of the intended place)
    ("Homs", 34.72, 36.73),
    ("Talbiseh", 34.84, 36.73),
    ("Jisr al-Shughour", 35.81, 36.32),
    ("Jisr el-Shoghour", 35.81, 36.32),
    ("Deir al-Zour", 35.34, 40.14),
    ("Deir Ezzor", 35.34, 40.14),
    ("Palmyra", 34.56, 38.28),
    ("Raqqa", 35.95, 39.01),
    ("Al-Raqqa", 35.95, 39.01),
    ("Maarat al-Numan", 35.65, 36.68),
    ("Khan Sheikhoun", 35.44, 36.65),
    ("Qaryatain", 34.23, 37.24),
    ("Sukhna", 34.89, 38.87),
    ("Tal Abyad", 36.70, 38.95),
    ("Tell Abiad", 36.70, 38.95),
    ("Kobani", 36.89, 38.35),
    ("Salamieh", 35.01, 37.05),
    ("Telbiseh", 34.84, 36.73),
    ("Qamishlo", 37.05, 41.23),
    ("Ersal", 34.18, 36.42),
    ("Arbeen", 33.54, 36.37),
    ("Mosul", 36.34, 43.12),
    ("Heet", 33.64, 42.83),
    ("Sirte", 31.21, 16.59),
    ("Misrata", 32.38, 15.09),
    ("Hodeidah", 14.80, 42.95),
    ("Zingibar", 13.13, 45.38),
    ("Kharkov", 49.98, 36.25),
    ("Artemivsk", 48.60, 38.00),
    ("Zaporizhia", 47.84, 35.14),
    ("Sanliurfa", 37.17, 38.79),
    ("Urfa", 37.17, 38.79),
    ("Sour", 33.27, 35.20),
    ("Saida", 33.56, 35.37),
    ("Al-Latamneh", 35.32, 36.62),
    ("Latamneh", 35.32, 36.62),
    ("Kafr Nabuda", 35.43, 36.50),
    ("Az-Zaafaraniyah", 34.87, 36.80),
    ("Salma", 35.69, 36.06),
]


@pytest.mark.parametrize(("query", "lat", "lon"), VARIANTS)
def test_news_spellings_resolve_within_10_km(query: str, lat: float, lon: float) -> None:
    m = geocode(query)
    assert m is not None, query
    assert km(m, lat, lon) < 10, (query, m.name, m.country_code)
    assert 0 < m.score <= 100
    assert m.matched_name


def test_arabic_and_cyrillic_script() -> None:
    m = geocode("حمص")
    assert m is not None and m.name == "Homs" and m.country_code == "SY"
    m = geocode("دير الزور")
    assert m is not None and m.country_code == "SY" and km(m, 35.34, 40.14) < 10
    m = geocode("Харків")
    assert m is not None and m.name == "Kharkiv"


# --------------------------------------------------------------------------- disambiguation
def test_tripoli_and_homs() -> None:
    assert geocode("Tripoli").country_code == "LY"
    assert geocode("Tripoli", country="LB").country_code == "LB"
    assert geocode("Tripoli", country="lb").country_code == "LB"
    assert geocode("Homs").country_code == "SY"
    assert geocode("Homs", country="LY").name == "Al Khums"
    assert geocode("Tripoli, Lebanon").country_code == "LB"
    assert geocode("Tripoli Libya").country_code == "LY"


def test_near_point_breaks_ties() -> None:
    beirut = (33.89, 35.50)
    assert geocode("Tripoli", near=beirut).country_code == "LB"
    assert geocode("Homs", near=(32.6, 14.2)).name == "Al Khums"


def test_feature_rank_country_first() -> None:
    m = geocode("Syria")
    assert m.precision == "country" and m.country_code == "SY" and m.feature_code == "PCLI"
    m = geocode("Lebanon")
    assert m.precision == "country" and m.country_code == "LB"
    # a plain division name gives the city, not the division
    m = geocode("Idlib")
    assert m.precision == "place" and m.feature_code.startswith("PPL")


def test_exact_diacritics_win() -> None:
    # GeoNames spellings pick the Syrian town over a bigger namesake elsewhere
    for q in ("Arīḩā", "Salqīn", "Ra’s al ‘Ayn", "Izra‘", "Nawá", "Māri‘", "An Nabk"):
        m = geocode(q)
        assert m is not None and m.country_code == "SY", q


def test_hint_prefers_variants_in_country() -> None:
    m = geocode("Samara", country="IQ")
    assert m.country_code == "IQ"
    assert geocode("Samara").country_code == "RU"


# --------------------------------------------------------------------------- negatives
NON_PLACES = [
    "the", "The", "THE", "Wednesday", "airstrike", "airstrikes", "moderate opposition",
    "Islamic State", "Free Syrian Army", "rebels", "civilians", "hospital", "Russian",
    "Syrian", "October", "convoy", "artillery", "observatory", "terrorists", "Sukhoi",
    "ceasefire", "pro-government", "according to", "n/a", "unknown", "ISIS", "Jaish al-Fatah",
]  # fmt: skip


@pytest.mark.parametrize("word", NON_PLACES)
def test_non_places_never_resolve(word: str) -> None:
    assert geocode(word) is None


# --------------------------------------------------------------------------- phrases
def test_admin1_phrases() -> None:
    for q in ("Homs province", "Homs Governorate", "the province of Homs"):
        m = geocode(q)
        assert m is not None and m.precision == "admin1" and m.feature_code == "ADM1", q
        assert m.country_code == "SY" and m.precision_km > 20
    m = geocode("Hama governorate")
    assert m.precision == "admin1" and m.name == "Hama"
    m = geocode("Rif Dimashq governorate")
    assert m is not None and m.precision == "admin1"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("northern Homs", "Homs"),
        ("the Hama countryside", "Ḩamāh"),
        ("Hama countryside", "Ḩamāh"),
        ("near Palmyra", "Tadmur"),
        ("outskirts of Raqqa", "Ar Raqqah"),
        ("rural Idlib", "Idlib"),
    ],
)
def test_region_phrases(query: str, name: str) -> None:
    m = geocode(query)
    assert m is not None and m.name == name
    assert m.precision == "region" and m.precision_km >= 25
    plain = geocode(name)
    assert (m.latitude, m.longitude) == (plain.latitude, plain.longitude)


@pytest.mark.parametrize(
    ("query", "dist", "az"),
    [
        ("20 km east of Homs", 20.0, 90.0),
        ("15km north-west of Homs", 15.0, 315.0),
        ("about 10 miles south of Homs", 16.09344, 180.0),
        ("2.5 km NE of Homs", 2.5, 45.0),
    ],
)
def test_offset_phrases(query: str, dist: float, az: float) -> None:
    base = geocode("Homs")
    m = geocode(query)
    assert m is not None and m.precision == "offset"
    fwd, _, d = GEOD.inv(base.longitude, base.latitude, m.longitude, m.latitude)
    assert math.isclose(d / 1000.0, dist, rel_tol=1e-6)
    assert math.isclose(fwd % 360, az % 360, abs_tol=1e-6) or math.isclose(
        (fwd % 360) - 360, az, abs_tol=1e-6
    )
    assert m.precision_km > base.precision_km
    assert m.raw["distance_km"] == pytest.approx(dist)


def test_place_words_and_qualifiers() -> None:
    assert geocode("Kuwait City").country_code == "KW"  # a name with "City" in it
    assert geocode("the town of Talbiseh").name == "Tallbīsah"
    assert geocode("Al-Latamneh, Hama").name == "Al-Latamneh"
    assert geocode("Salma, Latakia").name == "Salma"


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "query",
    ["", "   ", "\t\n", "x" * 10_000, "Homs" * 2_500, "\x00\x01\x02", "💥", "🇸🇾🔥", "123", "-"],
)
def test_bad_input_not_found(query: str) -> None:
    assert geocode(query) is None


@pytest.mark.parametrize("query", ["Homs\x00", "\x07Homs\x1b", " Homs 💥 ", "Homs\u200b"])
def test_bad_input_correct_or_none(query: str) -> None:
    m = geocode(query)
    assert m is None or m.name == "Homs"


def test_mixed_scripts_and_non_strings() -> None:
    m = geocode("Homs حمص")
    assert m is None or m.country_code == "SY"
    assert geocode(None) is None  # type: ignore[arg-type]
    assert geocode(42) is None  # type: ignore[arg-type]
    assert geocode("Homs", country="not a country").name == "Homs"
    assert geocode("Homs", near=("x", None)).name == "Homs"


@given(st.text(max_size=120))
@settings(max_examples=150, deadline=None)
def test_geocode_never_raises(text: str) -> None:
    m = geocode(text)
    assert m is None or isinstance(m, Match)


# --------------------------------------------------------------------------- batch, reverse
def test_geocode_many_order_and_cache() -> None:
    qs = ["Homs", "the", "Raqqa", "Homs", "", "Tripoli"]
    out = geocode_many(qs)
    assert len(out) == len(qs)
    assert out[0].name == "Homs" and out[1] is None and out[2].name == "Ar Raqqah"
    assert out[3] is out[0] and out[4] is None
    lb = geocode_many(["Tripoli"], country="LB")[0]
    assert lb.country_code == "LB" and out[5].country_code == "LY"
    assert geocode_many(["Homs"], cache=False)[0] == out[0]


def test_match_to_dict_and_frozen() -> None:
    m = geocode("Homs")
    d = m.to_dict()
    for k in ("query", "name", "latitude", "longitude", "country_code", "admin1",
              "feature_code", "population", "gazetteer_id", "precision", "precision_km",
              "score", "matched_name", "raw"):  # fmt: skip
        assert k in d
    json.dumps(d)
    with pytest.raises(AttributeError):
        m.name = "x"  # type: ignore[misc]


def test_reverse() -> None:
    m = reverse(34.73, 36.72)
    assert m is not None and m.name == "Homs" and m.raw["distance_km"] < 2
    m = reverse(35.321, 36.619)
    assert m is not None and m.name == "Al-Latamneh"
    assert reverse(91, 0) is None
    assert reverse(float("nan"), 0) is None


# --------------------------------------------------------------------------- geopy
def test_geopy_adapter() -> None:
    from geopy.geocoders.base import Geocoder
    from geopy.location import Location

    from geostrike.places.geocoder import LocalGeocoder

    g = LocalGeocoder()
    assert isinstance(g, Geocoder)
    loc = g.geocode("Homs")
    assert isinstance(loc, Location)
    assert loc.latitude == pytest.approx(34.72405) and "Homs" in loc.address
    assert loc.raw["gazetteer_id"] == "geonames:169577" and loc.raw["precision"] == "place"
    assert g.geocode("Tripoli", country_codes="LB").raw["country_code"] == "LB"
    assert g.geocode("Tripoli", country_codes=["LB"]).raw["country_code"] == "LB"
    assert LocalGeocoder(country="LB").geocode("Tripoli").raw["country_code"] == "LB"
    many = g.geocode("Tripoli", exactly_one=False)
    assert isinstance(many, list) and many[0].raw["country_code"] == "LY"
    assert {loc.raw["country_code"] for loc in many} >= {"LY", "LB"}
    assert g.geocode("Wednesday") is None
    rev = g.reverse((34.73, 36.72))
    assert isinstance(rev, Location) and rev.raw["name"] == "Homs"
    assert g.reverse("34.73, 36.72").raw["name"] == "Homs"
    assert isinstance(g.reverse((34.73, 36.72), exactly_one=False), list)


# --------------------------------------------------------------------------- demo towns
DEMO_TOWNS = """Ḩamāh, Ţarţūs, Jablah, Bāniyās, Al Qardāḩah, Maşyāf, As Salamīyah, Maharda,
As Suqaylibīyah, Şāfītā, Tallkalakh, Al Quşayr, Yabrūd, An Nabk, Al Quţayfah, Şadad, Mahīn,
Mūrak, Ţayyibat al Imām, Ḩalfāyā, Şūrān, Khanāşir, Nubl, As-Suwayda, Shahbā, Şalkhad, Izra‘,
Aş Şanamayn, Dar‘ā, Deir ez-Zor, Al Ḩasakah, Al Qāmishlī, Ar Raqqah, Al-Tabqa, Al Bāb, Manbij,
Jarābulus, Al Mayādīn, Ālbū Kamāl, Hajīn, Tadmur, Al Qaryatayn, As Sukhnah, Subaykhān,
As Sūsah, Qabbāsīn, Dayr Ḩāfir, Tādif, Al Ḩawl, Ash Shaddādah, Ar Rastan, Kafr Lāhā,
Al Ghanţū, Kafr Zaytā, Kafranbel, Dūmā, Ḩarastā, ‘Irbīn, Dārayyā, Az Zabadānī, Nawá, Jāsim,
Inkhil, Ţafas, Dā‘il, Al Ḩirāk, Shaykh Miskīn, Buşrá ash Shām, I‘zāz, Māri‘, Tall Rif‘at,
Ḩuraytān, Al Atārib, Dārat ‘Izzah, Rabī‘ah, Tallbīsah, Idlib, Jisr ash Shughūr, Arīḩā, Saraqib,
Ma‘arrat an Nu‘mān, Khān Shaykhūn, Abū az̧ Z̧uhūr, Salqīn, Ḩārim, Binnish, Taftanāz,
Ma‘arratmişrīn, Kafr Takhārīm, Ad Dānā, Afis, ‘Afrīn, Jindayris, ‘Ayn al ‘Arab, Tall Abyaḑ,
‘Āmūdā, Ad Darbāsīyah, Al Mālikīyah, Ra’s al ‘Ayn, Al-Latamneh, Kafr Nabudah, Az-Zaafaraniyah,
Salma, Homs, Latakia, Aleppo, Damascus"""


@pytest.mark.parametrize("town", [t.strip() for t in DEMO_TOWNS.split(",")])
def test_demo_towns_resolve_inside_syria(town: str) -> None:
    m = geocode(town)
    assert m is not None, town
    assert m.country_code == "SY", (town, m.name, m.country_code)
    # Syria's bounding box
    assert 32.3 <= m.latitude <= 37.35 and 35.7 <= m.longitude <= 42.4, town
    assert m.precision == "place"


# --------------------------------------------------------------------------- CLI
JSON_KEYS = [
    "query", "found", "name", "latitude", "longitude", "country_code", "admin1",
    "feature_code", "population", "gazetteer_id", "precision", "precision_km", "score",
    "candidates", "ambiguity", "alternatives",
]  # fmt: skip


def test_cli_geocode_json_carries_candidates_and_alternatives() -> None:
    r = CliRunner().invoke(cli, ["geocode", "--json", "Novofedorivka", "Al Houta"])
    assert r.exit_code == 0, r.output
    novo, houta = (json.loads(line) for line in r.output.splitlines())
    assert novo["candidates"] == 3 and "155 km" in novo["ambiguity"]
    assert novo["precision"] == "place" and novo["precision_km"] == 1.5
    assert sorted(a["admin1"] for a in novo["alternatives"]) == ["Crimea", "Mykolaiv"]
    assert houta["admin1"] == "Lahij" and houta["alternatives"] == []
    assert houta["ambiguity"] is None
    plain = CliRunner().invoke(cli, ["geocode", "Novofedorivka"])
    assert "AMBIGUOUS: 3 places" in plain.output


def test_cli_geocode_json() -> None:
    r = CliRunner().invoke(cli, ["geocode", "--json", "Homs", "the", "Tripoli"])
    assert r.exit_code == 0, r.output
    recs = [json.loads(line) for line in r.output.splitlines()]
    assert [rec["query"] for rec in recs] == ["Homs", "the", "Tripoli"]
    for rec in recs:
        assert list(rec) == JSON_KEYS
    assert recs[0]["found"] is True and recs[0]["name"] == "Homs"
    assert recs[1]["found"] is False
    assert all(recs[1][k] is None for k in JSON_KEYS[2:])
    assert recs[2]["country_code"] == "LY"


def test_cli_geocode_stdin_and_country() -> None:
    r = CliRunner().invoke(
        cli, ["geocode", "--json", "--country", "LB", "-"], input="Tripoli\n\nحمص\n"
    )
    assert r.exit_code == 0, r.output
    recs = [json.loads(line) for line in r.output.splitlines()]
    assert [rec["query"] for rec in recs] == ["Tripoli", "", "حمص"]
    assert recs[0]["country_code"] == "LB" and recs[1]["found"] is False
    assert recs[2]["found"] is False  # Homs is in Syria: the LB hint filters it out


def test_cli_geocode_text_and_errors() -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["geocode", "Homs", "Wednesday"])
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0].startswith("Homs\t34.72405\t36.72559")
    assert lines[1] == "Wednesday\tnot found"
    r = runner.invoke(cli, ["geocode", "--country", "Syria", "Homs"])
    assert r.exit_code == 2 and "alpha-2" in r.output
    r = runner.invoke(cli, ["geocode"])
    assert r.exit_code == 2


def test_geocode_many_agrees_with_geocode() -> None:
    qs = [q for q, _, _ in VARIANTS] + NON_PLACES + [
        "Ḩamāh", "Tripoli", "Homs", "Aleppo", "Springfield", "Paris", "Homs province",
        "Saïda", "Nikolayev", "Kuwait City", "Damascus", "Georgia", "Van",
    ]  # fmt: skip
    many = geocode_many(qs, cache=False)
    for q, m in zip(qs, many, strict=True):
        one = geocode(q)
        assert (m is None) == (one is None), q
        if m is not None:
            assert m.to_dict() == one.to_dict(), q
    lb = geocode_many(["Tripoli", "Ḩamāh"], country="LB", cache=False)
    assert lb[0].country_code == "LB" and lb[1] is None  # the hint is a filter


def test_country_aliases() -> None:
    for q, cc in [("Türkiye", "TR"), ("UK", "GB"), ("USA", "US"), ("Syrian Arab Republic", "SY"),
                  ("سوريا", "SY"), ("Palestine", "PS")]:  # fmt: skip
        m = geocode(q)
        assert m is not None and m.country_code == cc and m.precision == "country", q


def test_bulk_path_matches_single_path_on_gazetteer_names() -> None:
    import random

    from geostrike.places.gazetteer import load_gazetteer

    rec = load_gazetteer().records
    names = rec.name.tolist()
    rng = random.Random(7)
    sample = [names[rng.randrange(len(names))] for _ in range(300)]
    many = geocode_many(sample, cache=False)
    assert sum(m is not None for m in many) > 250
    for q, m in zip(sample, many, strict=True):
        one = geocode(q)
        assert (None if m is None else m.to_dict()) == (None if one is None else one.to_dict()), q


def test_bare_division_names_and_no_faraway_guesses() -> None:
    # a division known by its bare name beats a hamlet of that name elsewhere
    for q in ("Anbar", "Diyala", "Ninawa"):
        m = geocode(q)
        assert m is not None and m.country_code == "IQ" and m.precision == "admin1", q
    # a capital with the same name as its division stays the city
    for q in ("Idlib", "Hama", "Daraa", "Raqqa"):
        assert geocode(q).precision == "place", q
    # misspellings never jump to small faraway places: not found is the honest answer
    for q in ("Kalibr", "Shinshar", "Anadan"):
        m = geocode(q)
        assert m is None or m.country_code in ("SY", "IQ", "LB", "TR", "LY", "YE", "UA"), q


def test_focus_prior_can_be_switched_off(monkeypatch) -> None:
    monkeypatch.setenv("GEOSTRIKE_FOCUS", "")
    m = geocode("Saida")
    assert m is not None and m.country_code == "DZ"  # the bigger, primary-named Saïda
    monkeypatch.setenv("GEOSTRIKE_FOCUS", "LB")
    assert geocode("Saida").country_code == "LB"


def test_bulk_path_matches_single_path_on_words_divisions_and_diacritics(monkeypatch) -> None:
    # common English words (some are also places), bare division names, names with
    # diacritics, case and spacing variants: the batch ranks them in bulk
    qs = [
        "Paris", "Chile", "Dover", "Eden", "Lazy", "Busy", "Delta", "Warsaw", "Kingston",
        "Anbar", "Diyala", "Idlib", "Hama", "HAMA", "hama ", "Raqqa", "Ninawa", "Ḩamāh",
        "Ḩamāh  ", "Zürich", "São Paulo", "Saïda", "Saida", "Tripoli", "Springfield",
        "San Jose", "Alexandria", "Homs", "the", "Wednesday", "moderate opposition",
    ]  # fmt: skip
    for focus in (None, "LB"):
        if focus is not None:
            monkeypatch.setenv("GEOSTRIKE_FOCUS", focus)
        for cc in (None, "SY", "US"):
            many = geocode_many(qs, country=cc, cache=False)
            for q, m in zip(qs, many, strict=True):
                one = geocode(q, country=cc)
                got = None if m is None else m.to_dict()
                assert got == (None if one is None else one.to_dict()), (q, cc, focus)


def _frame_sample() -> list:
    """A few thousand varied queries: gazetteer names (as they are, lower- and upper-case,
    misspelt), English and report words, Arabic script, region and offset phrases,
    'A, B' qualifiers, repeats, blanks and non-strings."""
    import random

    from geostrike.places.gazetteer import load_gazetteer

    rec = load_gazetteer().records
    names = rec.name.tolist()
    rng = random.Random(11)
    picked = [names[rng.randrange(len(names))] for _ in range(1500)]
    misspelt = []
    for n in picked[:400]:
        i = rng.randrange(len(n))
        misspelt.append(n[:i] + n[i + 1 :] if rng.random() < 0.5 else n[:i] + n[i] + n[i:])
    words = NON_PLACES + ["Paris", "Chile", "Dover", "Eden", "Delta", "the", "march", "Lazy"]
    arabic = ["حلب", "حمص", "دمشق", "الرقة", "إدلب", "دير الزور", "تدمر", "كلمة"]
    phrases = ["Homs province", "northern Hama", "20 km east of Homs", "the town of Kobani",
               "Aleppo, Syria", "Tripoli Libya", "rural Idlib", "5 miles north of Raqqa"]  # fmt: skip
    variants = [q for q, _, _ in VARIANTS]
    qs = (
        picked
        + [n.lower() for n in picked[:300]]
        + [n.upper() for n in picked[300:600]]
        + misspelt
        + words
        + arabic
        + phrases
        + variants
        + picked[:200]  # repeats
        + ["", "   ", "x" * 500, None, 3.5, "Homs\x00", " Homs 💥 "]
    )
    rng.shuffle(qs)
    return qs


@pytest.mark.parametrize("country", [None, "SY"])
def test_geocode_frame_equals_geocode_many(country: str | None) -> None:
    import pandas as pd

    from geostrike.places.geocoder import FRAME_COLUMNS, geocode_frame

    qs = _frame_sample()
    many = geocode_many(qs, country=country, cache=False)
    frame = geocode_frame(qs, country=country)
    assert list(frame.columns) == list(FRAME_COLUMNS)
    assert len(frame) == len(qs)
    assert frame.found.sum() == sum(m is not None for m in many) > (1500 if country is None else 50)
    for i, (q, m) in enumerate(zip(qs, many, strict=True)):
        row = frame.iloc[i]
        assert row["query"] is q or row["query"] == q
        assert bool(row["found"]) is (m is not None), q
        for c in FRAME_COLUMNS[2:]:
            got = row[c]
            if m is None:
                assert pd.isna(got), (q, c)
            elif getattr(m, c) is None:
                assert got is None, (q, c)
            else:
                assert got == getattr(m, c), (q, c, got, getattr(m, c))


def test_geocode_frame_empty_and_non_strings() -> None:
    from geostrike.places.geocoder import FRAME_COLUMNS, geocode_frame

    empty = geocode_frame([])
    assert list(empty.columns) == list(FRAME_COLUMNS) and len(empty) == 0
    f = geocode_frame([None, 7, "Homs", "", "Homs"])
    assert f.found.tolist() == [False, False, True, False, True]
    assert f.name[2] == "Homs" and f.country_code[4] == "SY" and f.precision[2] == "place"
    assert f.latitude.isna().tolist() == [True, True, False, True, False]


# --------------------------------------------------------------- audit regressions
AUDIT_PLACES = [
    ("Kufra", 24.18, 23.28),
    ("Al Kufrah", 24.18, 23.28),
    ("Amerli", 34.72, 44.59),
    ("Vinnitsa", 49.23, 28.47),
    ("عدن", 12.78, 45.04),
    ("Saqba", 33.50, 36.38),
    ("Markadeh", 35.73, 40.77),
    ("Nineveh", 36.17, 42.58),  # the governorates at GeoNames' points (issue 17)
    ("Abyan", 13.63, 46.13),
    ("Djarablus", 36.82, 38.01),
    ("Marea", 36.48, 37.20),
]


@pytest.mark.parametrize(("query", "lat", "lon"), AUDIT_PLACES)
def test_audit_false_friends_now_right(query: str, lat: float, lon: float) -> None:
    m = geocode(query)
    assert m is not None, query
    assert km(m, lat, lon) < 10, (query, m.name, m.country_code)


@pytest.mark.parametrize(
    ("query", "code"),
    [("Fezzan", "LY"), ("Kurdistan", "IQ"), ("Al-Harra", "SY"), ("Ghouta", "SY"),
     ("Eastern Ghouta", "SY"), ("Sinai", "EG")],
)  # fmt: skip
def test_no_faraway_or_first_letter_changing_guess(query: str, code: str) -> None:
    # before: Busan, Çiçekli (Turkey), Zawiya, Huta (Ukraine), Sinaí (Ecuador)
    m = geocode(query)
    assert m is None or m.country_code == code, m


@pytest.mark.parametrize(
    "word",
    ["Hamas", "SAA", "BEN", "Al Jazeera", "Shia", "Shiite", "Bedouin", "caliph", "tank",
     "sarin", "Khoja", "Ali", "Bin", "Abu", "police", "mission", "liberty", "union", "BEY",
     "ALP", "ADE", "SAH", "Hezbollah", "PKK", "Wagner"],
)  # fmt: skip
def test_audit_non_places_never_resolve(word: str) -> None:
    assert geocode(word) is None, word
    assert geocode_many([word]) == [None]


@pytest.mark.parametrize("name", ["Russia", "Moscow", "Damascus", "Kyiv", "Kiev", "Turkey"])
def test_actor_aliases_that_are_places_still_resolve(name: str) -> None:
    m = geocode(name)
    assert m is not None and m.feature_code in ("PCLI", "PPLC"), (name, m)


@pytest.mark.parametrize(
    ("query", "code"),
    [("Damascus countryside", "SY"), ("rural Damascus", "SY"), ("Hadramout", "YE"),
     ("Bekaa Valley", "LB"), ("Salah al-Din", "IQ")],
)  # fmt: skip
def test_division_news_names(query: str, code: str) -> None:
    m = geocode(query)
    assert m is not None and m.feature_code == "ADM1" and m.country_code == code, m


def test_country_hint_is_a_filter() -> None:
    """With a hint, a place abroad is 'not found', not a guess (countries excepted)."""
    from geostrike.places.geocoder import geocode, geocode_frame, geocode_many

    assert geocode("Arak") is not None and geocode("Arak").country_code == "IR"
    assert geocode("Arak", country="SY") is None
    assert geocode("Tripoli", country="SY") is None
    assert geocode("Tripoli", country="LB").country_code == "LB"
    assert geocode("Iraq", country="SY").country_code == "IQ"
    queries = ["Arak", "Homs", "Iraq", "Tripoli"]
    many = geocode_many(queries, country="SY", cache=False)
    frame = geocode_frame(queries, country="SY")
    assert [m is not None for m in many] == frame["found"].tolist() == [False, True, True, False]


# --------------------------------------------------------------- issue 14: places in context
def test_namesakes_far_apart_are_ambiguous_not_a_silent_pick() -> None:
    from geostrike.places.geocoder import geocode_frame

    m = geocode("Novofedorivka")  # Kherson, Mykolaiv and Crimea
    assert m is not None and m.candidates == 3
    assert m.ambiguity is not None and "3 places" in m.ambiguity
    for region in ("Kherson", "Mykolaiv", "Crimea"):
        assert region in m.ambiguity
    # "Al Hazm": the Al Jawf governorate seat and a place in Al Bayda, 186 km apart
    hazm = geocode("Al Hazm", country="YE")
    assert hazm.ambiguity and "Al Jawf" in hazm.ambiguity and "Bayda" in hazm.ambiguity
    # the bulk path says the same (candidates and ambiguity columns)
    fr = geocode_frame(["Novofedorivka", "Al Hazm", "Homs", "Raqqa"])
    assert fr["candidates"].tolist()[:2] == [3, 2]
    assert fr["ambiguity"].notna().tolist() == [True, True, False, False]


def test_a_city_and_its_governorate_or_a_tiny_namesake_are_not_ambiguous() -> None:
    for q in ("Homs", "Idlib", "Aden", "Lahij", "Raqqa", "Kherson", "Tripoli"):
        m = geocode(q)
        assert m is not None and m.ambiguity is None, (q, m and m.ambiguity)


def test_ambiguity_distance_is_a_setting(monkeypatch) -> None:
    monkeypatch.setenv("GEOSTRIKE_AMBIGUITY_KM", "500")
    assert geocode("Novofedorivka").ambiguity is None  # all within 155 km
    monkeypatch.setenv("GEOSTRIKE_AMBIGUITY_KM", "25")
    assert geocode("Novofedorivka").ambiguity is not None


def test_qualifier_constrains_the_answer() -> None:
    # without the qualifier ambiguous; with it, the Al Jawf governorate's Al Hazm
    for q in ("Al Hazm, Al Jawf", "Al Hazm (Al Jawf)", "Al Hazm [Al Jawf], Yemen"):
        m = geocode(q)
        assert m is not None and m.admin1 == "Al Jawf" and m.ambiguity is None, q
    # "Sahar, Saada": the gazetteer's only Sahar is in Sanaa governorate, so not found,
    # rather than the Sanaa one with the qualifier ignored
    assert geocode("Sahar") is not None and geocode("Sahar").admin1 == "Sanaa"
    assert geocode("Sahar, Saada") is None
    # "Sanaban (Dhamar)": no Sanaban in the gazetteer; the bracket is not part of a name
    assert geocode("Sanaban (Dhamar)") is None
    assert geocode("Talbiseh (Homs)").name == "Tallbīsah"


def test_port_airport_city_suffixes() -> None:
    port = geocode("Hodeidah port")
    town = geocode("Hodeidah")
    assert port is not None and port.name == town.name
    assert port.precision_km == pytest.approx(town.precision_km + 10.0)
    air = geocode("Sanaa airport")
    assert air is not None and air.feature_code == "AIRP" and air.precision_km <= 1
    assert geocode("Aden city").name == "Aden"
    assert geocode("the port of Hodeidah").name == town.name


def test_transliteration_variants_of_yemeni_towns() -> None:
    names = {geocode(q, country="YE").gazetteer_id for q in ("Seiyun", "Say'un", "Sayun")}
    assert len(names) == 1 and None not in names
    # Al Houta is Lahij's seat (Al Hawtah), not Huta in Volyn, Ukraine
    for q in ("Al Houta", "al-Houta", "Al Hawtah"):
        m = geocode(q)
        assert m is not None and m.country_code == "YE" and m.admin1 == "Lahij", q


def test_alternatives_are_described() -> None:
    from geostrike.places.geocoder import alternatives

    alts = alternatives(geocode("Novofedorivka"))
    assert {a["admin1"] for a in alts} == {"Mykolaiv", "Crimea"}
    assert all(50 < a["distance_km"] < 200 and a["country_code"] == "UA" for a in alts)


def test_zone_countries_is_the_context_of_the_zones() -> None:
    import shapely

    from geostrike.places.geocoder import zone_countries

    yemen = shapely.box(43.5, 13.0, 47.0, 15.5)
    assert zone_countries([yemen]) == ("YE",)
    assert zone_countries([]) == ()
    # Donbas and Kharkiv: Ukraine only
    assert zone_countries([shapely.box(36.5, 47.5, 39.0, 49.5)])[0] == "UA"


def test_only_namesakes_are_rivals() -> None:
    # GeoNames alternate names and romanisation folds bring in places of other names:
    # Nikopol (an alternate name "Sloviansk"), As Saddah (the fold of Saadah)
    assert geocode("Sloviansk", country="UA").ambiguity is None
    assert geocode("Saadah", country="YE").ambiguity is None
    assert geocode("Hajin").ambiguity is None


# A populous division whose bare name is a common English word ("Texas") is the division,
# by one query and by a batch alike; a generic word ("Central") names nothing by itself.
_NAMED_DIVISIONS = [
    ("Texas", "US"),
    ("Queensland", "AU"),
    ("Alberta", "CA"),
    ("Ontario", "CA"),
    ("Florida", "US"),
    ("California", "US"),
    ("New South Wales", "AU"),
    ("Western Cape", "ZA"),
    ("Punjab", "PK"),
    ("Kerala", "IN"),
]
_GENERIC_DIVISIONS = ["Central", "Western", "Capital", "Rivers", "North West", "Far North"]


def test_common_word_divisions_by_one_query_and_by_batch() -> None:
    from geostrike.places.geocoder import geocode_frame

    names = [n for n, _ in _NAMED_DIVISIONS] + _GENERIC_DIVISIONS
    frame = geocode_frame(names)
    for (name, cc), (_, row) in zip(_NAMED_DIVISIONS, frame.iterrows(), strict=False):
        m = geocode(name)
        assert m is not None and m.feature_code == "ADM1" and m.country_code == cc, (name, m)
        assert row["found"] and row["country_code"] == cc and row["feature_code"] == "ADM1"
        assert (row["latitude"], row["longitude"]) == (m.latitude, m.longitude)
    for name, (_, row) in zip(
        names[len(_NAMED_DIVISIONS) :], frame.iloc[len(_NAMED_DIVISIONS) :].iterrows(), strict=True
    ):
        assert geocode(name) is None and not row["found"], name
    # a division named like its seat stays the town ("Idlib", "Homs")
    assert geocode("Idlib").feature_code == "PPLA"


@pytest.mark.parametrize(
    ("query", "want"),
    [
        ("Dallas, US", "US"),  # "US" alone is the English word; as a qualifier, the country
        ("Texas, US", "US"),
        ("Homs, SY", "SY"),
        ("Marib, YE", "YE"),
        ("Tripoli, Lebanon", "LB"),
        ("Aleppo, Yemen", None),  # never Syria's Aleppo: the qualifier says Yemen
        ("Aleppo, YE", None),
        ("Dallas, Syria", None),
        ("Dallas, SY", None),
    ],
)
def test_a_country_qualifier_is_obeyed_or_nothing(query: str, want: str | None) -> None:
    from geostrike.places.geocoder import geocode_frame

    m = geocode(query)
    assert (m.country_code if m else None) == want, (query, m)
    row = geocode_frame([query]).iloc[0]
    assert (row["country_code"] if row["found"] else None) == want


@pytest.mark.parametrize(
    ("query", "division", "cc"),
    [
        ("Kharkivska oblast", "Kharkiv", "UA"),  # not the village Kharkivka in Cherkasy
        ("Kharkivs'ka oblast", "Kharkiv", "UA"),
        ("Zaporizka oblast", "Zaporizhia", "UA"),  # not the village Zaporizke
        ("Donetska oblast", "Donetsk", "UA"),  # the oblast, not the city
        ("Dnipropetrovska oblast", "Dnipropetrovsk", "UA"),  # not the city of Dnipro
        ("Sumska oblast", "Sumy", "UA"),  # "Sum..." also starts Sumatra's provinces
        ("Kyivska oblast", "Kiev", "UA"),  # the oblast, not Kyiv City
        ("Kurskaya oblast", "Kursk", "RU"),  # not the village Kurskaya in Stavropol
        ("Belgorodskaya oblast", "Belgorod", "RU"),
    ],
)
def test_a_division_named_by_its_adjective(query: str, division: str, cc: str) -> None:
    """Issue 17: Ukrainian and Russian reports name oblasts by an adjective; a village whose
    name is like the adjective was returned with no flag."""
    m = geocode(query)
    assert m is not None and m.feature_code == "ADM1", m
    assert (m.name, m.country_code) == (division, cc)


@pytest.mark.parametrize("query", ["Poltavska oblast", "Bryanskaya oblast"])
def test_a_division_word_after_a_name_only_like_a_place_abstains(query: str) -> None:
    """No division of that name is in the gazetteer (Poltava's oblast is missing from the
    built-in data): a village only spelled like it (Poltavka, Bryanka) is not returned."""
    assert geocode(query) is None


def test_a_division_word_after_an_exact_town_name_still_widens_the_town() -> None:
    m = geocode("Sirte district")  # Libya: no first-level division of that name
    assert m is not None and m.name == "Sirte" and m.precision == "region"


@pytest.mark.parametrize(
    ("query", "not_cc"),
    [("Ghouta province", "SE"), ("Marea province", "TZ"), ("Malaya oblast", "MV")],
)
def test_the_adjective_rule_never_names_a_division_abroad(query: str, not_cc: str) -> None:
    """Review of issue 17: the rule is for oblasts and krais, in the countries that have
    them; 'Ghouta province' was Gotland (Sweden), 'Marea province' Mara (Tanzania)."""
    m = geocode(query)
    assert m is None or (m.country_code != not_cc and m.feature_code != "ADM1"), m

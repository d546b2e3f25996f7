"""places.phrases: the one parser of region, offset and facility phrases (issue 13)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geostrike.geodesy import GEOD, KM_PER_MILE
from geostrike.places.phrases import (
    BEARINGS,
    FACILITY_KM,
    OFFSET_BEFORE,
    REGION_MIN_KM,
    apply,
    offset_details,
    parse,
)


@pytest.mark.parametrize(
    ("text", "place", "mode"),
    [
        ("northern Homs", "homs", "region"),
        ("the Hama countryside", "hama", "region"),
        ("Homs province", "homs", "admin"),
        ("province of Marib", "marib", "admin"),
        ("Hodeidah port", "hodeidah", "facility"),
        ("20 km east of Kharkiv", "kharkiv", "offset"),
        ("Benghazi", "Benghazi", "plain"),
    ],
)
def test_parse(text: str, place: str, mode: str) -> None:
    assert parse(text)[:2] == (place, mode)


def test_apply_follows_the_documented_rules() -> None:
    # a region widens a place to REGION_MIN_KM and leaves a division alone
    assert apply(34.7, 36.7, "place", 6.0, "region", {}) == (34.7, 36.7, "region", REGION_MIN_KM)
    assert apply(34.7, 36.7, "admin1", 67.1, "region", {}) == (34.7, 36.7, "admin1", 67.1)
    assert apply(14.8, 42.9, "place", 6.0, "facility", {})[3] == 6.0 + FACILITY_KM
    lat, lon, precision, km = apply(50.0, 36.2, "place", 6.0, "offset", parse("20 km east of X")[2])
    assert precision == "offset" and km == 6.0 + 4.0  # a fifth of the distance
    assert abs(GEOD.inv(36.2, 50.0, lon, lat)[2] - 20_000.0) < 0.01
    # a short offset adds at least 1 km
    assert apply(0.0, 0.0, "place", 6.0, "offset", {"distance_km": 2.0, "bearing": 0.0})[3] == 7.0


_UNITS = {"km": 1.0, "kilometres": 1.0, "miles": KM_PER_MILE, "mi": KM_PER_MILE}
_WORDS = ["north", "south-east", "northwest", "west", "east southeast", "NE", "South West"]


@given(
    st.integers(min_value=1, max_value=400),
    st.sampled_from(sorted(_UNITS)),
    st.sampled_from(_WORDS),
    st.sampled_from(["", "the town of ", "the "]),
)
def test_offset_in_text_reads_as_the_geocoder_reads_it(
    n: int, unit: str, word: str, town: str
) -> None:
    """An offset found before a name in running text gives the same distance and bearing
    as the geocoder's parse of the same phrase."""
    before = f"Shelling hit {n} {unit} {word} of {town}"
    m = OFFSET_BEFORE.search(before)
    assert m is not None
    got = offset_details(*m.groups())
    place, mode, details = parse(f"{n} {unit} {word} of {town}Izium")
    assert mode == "offset"
    assert got == details
    assert abs(got["distance_km"] - n * _UNITS[unit]) < 1e-9
    assert got["bearing"] == BEARINGS[" ".join(word.casefold().replace("-", " ").split())]

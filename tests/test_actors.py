"""Tests for the actor table and alias matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geostrike.actors import load_actors, normalise_actor
from geostrike.errors import InputError, UnknownActorError


@pytest.mark.parametrize(
    "name",
    [
        "IS",
        "ISIS",
        "ISIL",
        "Daesh",
        "Da'esh",
        "DA’ESH",
        "Islamic State",
        "the so-called Islamic State",
        "so-called Islamic State",
        "Islamic State of Iraq and the Levant",
        "islamic state.",
    ],
)
def test_islamic_state_aliases(name: str) -> None:
    assert load_actors().resolve(name) == {"islamic_state"}


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("Jabhat al-Nusra", {"al_nusra"}),
        ("al-Nusra Front", {"al_nusra"}),
        ("Nusra", {"al_nusra"}),
        ("JN", {"al_nusra"}),
        ("al-Qaida", {"al_nusra"}),
        ("Al Qaeda", {"al_nusra"}),
        ("rebels", {"opposition"}),
        ("Free Syrian Army", {"opposition"}),
        ("moderate opposition", {"opposition"}),
        ("Ahrar al-Sham", {"opposition"}),
        ("Syrian regime", {"government"}),
        ("Assad regime", {"government"}),
        ("SAA", {"government"}),
        ("pro-government forces", {"government"}),
        ("YPG", {"kurdish"}),
        ("SDF", {"kurdish"}),
        ("terrorist groups", {"islamic_state", "al_nusra"}),
        ("terrorists", {"islamic_state", "al_nusra"}),
        ("Army of Conquest", {"opposition", "al_nusra"}),
        ("Jaysh al-Fatah", {"opposition", "al_nusra"}),
        ("Russian Ministry of Defence", {"russia"}),
    ],
)
def test_aliases_and_sets(name: str, ids: set[str]) -> None:
    assert load_actors().resolve(name) == ids


def test_joint_list() -> None:
    t = load_actors()
    assert t.resolve_list("government; opposition") == {"government", "opposition"}
    assert t.resolve_list("opposition;Army of Conquest") == {"opposition", "al_nusra"}


def test_unknown_actor_names_value_and_file() -> None:
    with pytest.raises(UnknownActorError) as err:
        load_actors().resolve("Martians", path="claims.csv", column="claimed_target")
    msg = str(err.value)
    assert "Martians" in msg and "claims.csv" in msg and "\n" not in msg


def test_user_table_extends(tmp_path) -> None:
    p = tmp_path / "extra.csv"
    p.write_text(
        "id,label,members,color,aliases\n"
        "mars_brigade,Mars Brigade,,#000000,Mars Brigade|Liwa al-Mirrikh\n"
        "foreign_backed,foreign-backed,mars_brigade;russia,,foreign-backed forces\n",
        encoding="utf-8",
    )
    t = load_actors(p)
    assert t.resolve("liwa al mirrikh") == {"mars_brigade"}
    assert t.resolve("Foreign-backed forces") == {"mars_brigade", "russia"}
    assert t.resolve("ISIS") == {"islamic_state"}  # default still there
    assert load_actors().lookup("Mars Brigade") is None  # default not mutated


def test_user_table_errors(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,aliases\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.csv"):
        load_actors(bad)
    bad.write_text("id,aliases,members\ngrp,g,nobody\n", encoding="utf-8")
    with pytest.raises(InputError, match="nobody"):
        load_actors(bad)
    bad.write_bytes(b"id,aliases\n\xff\xfe,zz\n")
    with pytest.raises(InputError, match="UTF-8"):
        load_actors(bad)


@given(st.text(max_size=60))
def test_normalise_actor_total_and_idempotent(s: str) -> None:
    k = normalise_actor(s)
    assert normalise_actor(k) == k
    assert k == k.lower()


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("Jabhat an-Nusra", {"al_nusra"}),  # assimilated article
        ("Ahrar ash-Sham", {"opposition"}),
        ("Free Syrian Army (FSA)", {"opposition"}),  # parenthesised acronym
        ("Daesh (ISIL)", {"islamic_state"}),
        ("Kurdish People's Protection Units (YPG)", {"kurdish"}),
        ("ISIS positions", {"islamic_state"}),  # generic words around a name
        ("Nusra fighters", {"al_nusra"}),
        ("YPG-led forces", {"kurdish"}),
        ("Hay’at Tahrir al-Sham", {"al_nusra"}),
        ("Hizbullah", {"hezbollah"}),
        ("Peshmerga", {"peshmerga"}),
        ("pro-regime forces", {"government"}),
    ],
)
def test_alias_variants(name: str, ids: set[str]) -> None:
    assert load_actors().resolve(name) == ids


def test_generic_words_alone_are_not_actors() -> None:
    t = load_actors()
    for name in ("forces", "positions", "fighters (targets)", "()", "militants"):
        assert t.lookup(name) is None, name

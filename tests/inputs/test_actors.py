"""Tests for the actor table and alias matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geostrike.errors import InputError, UnknownActorError
from geostrike.inputs.actors import load_actors, normalise_actor


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
        ("pro-Assad forces", {"government"}),
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


# ------------------------------------------------------------ issue 14: actors beyond Syria
def test_every_alias_resolves_to_exactly_one_actor() -> None:
    from importlib import resources

    from geostrike.inputs.actors import _parse, normalise_actor

    text = resources.files("geostrike.data").joinpath("actors.csv").read_text("utf-8")
    owners: dict[str, set[str]] = {}
    for actor in _parse(text, "actors.csv"):
        for name in (actor.id, actor.id.replace("_", " "), actor.label, *actor.aliases):
            owners.setdefault(normalise_actor(name), set()).add(actor.id)
    clashes = {k: v for k, v in owners.items() if k and len(v) > 1}
    assert not clashes
    table = load_actors()
    for key, ids in owners.items():
        if key and table.refused_because(key) is None:
            assert table.lookup(key) == next(iter(ids)), key


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("Houthi positions", {"houthis"}),
        ("Houthi fighters", {"houthis"}),
        ("Ansar Allah", {"houthis"}),
        ("الحوثيين", {"houthis"}),
        ("أنصار الله", {"houthis"}),
        ("Saleh loyalists", {"saleh_loyalists"}),
        ("Houthi-Saleh forces", {"houthis", "saleh_loyalists"}),
        ("داعش", {"islamic_state"}),
        ("جبهة النصرة", {"al_nusra"}),
        ("Azov", {"ukraine"}),
        ("Azov Regiment", {"ukraine"}),
        ("nationalists", {"ukraine"}),
        ("Ukrainian nationalists", {"ukraine"}),
        ("ЗСУ", {"ukraine"}),
        ("ВСУ", {"ukraine"}),
        ("DPR", {"russia_occupied"}),
        ("RSF", {"rsf"}),
        ("قوات الدعم السريع", {"rsf"}),
        ("SAF", {"saf"}),
        ("Tatmadaw", {"myanmar_military"}),
        ("တပ်မတော်", {"myanmar_military"}),
        ("PDF", {"pdf_myanmar"}),
        ("LNA", {"lna"}),
        ("GNA", {"gna"}),
        ("PIJ", {"pij"}),
        ("IDF", {"israel"}),
        ("Hezbollah", {"hezbollah"}),
        ("حزب الله", {"hezbollah"}),
        ("al-Shabaab", {"al_shabaab"}),
        ("ATMIS", {"au_mission_somalia"}),
        ("AMISOM", {"au_mission_somalia"}),
        ("Somali National Army", {"somali_government"}),
        ("TPLF", {"tplf"}),
        ("ህወሓት", {"tplf"}),
        ("ENDF", {"endf"}),
        ("Eritrean forces", {"eritrea"}),
    ],
)
def test_actors_of_other_wars(name: str, ids: set[str]) -> None:
    assert load_actors().resolve(name) == ids


def test_a_claim_against_russian_forces_covers_forces_under_russian_command() -> None:
    t = load_actors()
    # as a claimed target, Russia stands also for the DPR/LPR forces and Wagner under it
    as_target = t.resolve("Russian forces", column="claimed_target")
    assert as_target == {"russia", "russia_occupied", "wagner"}
    assert t.resolve("окупанти", column="claimed_target") == as_target
    # as a controller, each is only itself
    assert t.resolve("Russian forces", column="controller") == {"russia"}
    assert t.resolve("DPR", column="claimed_target") == {"russia_occupied"}


@pytest.mark.parametrize("word", ["coalition", "coalition forces", "government forces", "SNA"])
def test_words_ambiguous_across_wars_are_refused_with_suggestions(word: str) -> None:
    with pytest.raises(UnknownActorError, match="ambiguous across conflicts") as err:
        load_actors().resolve(word, path="claims.csv", column="claimed_target")
    assert "claims.csv" in str(err.value) and "\n" not in str(err.value)


def test_a_user_table_may_define_an_ambiguous_word(tmp_path) -> None:
    p = tmp_path / "mine.csv"
    p.write_text("id,aliases\nsaudi_coalition,coalition|coalition forces\n")
    t = load_actors(p)
    assert t.resolve("coalition") == {"saudi_coalition"}
    assert t.resolve("coalition forces") == {"saudi_coalition"}


def test_unknown_actors_all_in_one_error_with_rows_and_suggestions(tmp_path) -> None:
    from geostrike.inputs.claims import read_claims

    p = tmp_path / "yemen.csv"
    rows = ["date,claimed_target,place"]
    targets = ["Houthis", "Houthi snipers", "Martians", "Houthi snipers", "Rapid Suport Forces"]
    targets += ["Houthi snipers"] * 6 + ["coalition"]
    rows += [f"2015-10-0{1 + i % 9},{t},Aden" for i, t in enumerate(targets)]
    p.write_text("\n".join(rows) + "\n")
    with pytest.raises(UnknownActorError) as err:
        read_claims(p)
    msg = str(err.value)
    assert "\n" not in msg and str(p) in msg and "4 unknown actors" in msg
    assert "'Houthi snipers' (rows 2, 4, 6, 7, 8 and 3 more)" in msg
    assert "'Martians' (row 3)" in msg
    assert "'Rapid Support Forces' (rsf)" in msg  # the nearest known alias
    assert "'Houthi' (houthis)" in msg
    assert "'coalition' (row 12) is ambiguous" in msg
    assert err.value.values == ["Houthi snipers", "Martians", "Rapid Suport Forces", "coalition"]

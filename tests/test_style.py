"""Tests for the shared palette."""

from __future__ import annotations

import re

from geostrike import style


def test_actor_colours_are_hex_and_distinct_for_main_actors() -> None:
    ids = ["islamic_state", "al_nusra", "opposition", "government", "kurdish"]
    cols = [style.actor_color(i) for i in ids]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in cols)
    assert len(set(cols)) == len(cols)


def test_unknown_actor_colour_is_stable() -> None:
    assert style.actor_color("some_new_group") == style.actor_color("some_new_group")


def test_joint_control_blends_and_labels() -> None:
    a, b = style.actor_color("government"), style.actor_color("opposition")
    joint = style.controller_color("opposition;government")
    assert joint not in (a, b)
    assert style.controller_color("government;opposition") == joint
    assert style.blend(["#000000", "#ffffff"]) == "#808080"
    assert "joint" in style.controller_label("government;opposition")
    assert style.controller_label("") == "No control data"


def test_every_verdict_has_a_colour_and_label() -> None:
    assert set(style.VERDICT_COLORS) == set(style.VERDICTS) == set(style.VERDICT_LABELS)


def test_untrusted_colours_fall_back(tmp_path) -> None:
    from geostrike.actors import load_actors

    p = tmp_path / "a.csv"
    p.write_text(
        "id,label,members,color,aliases\n"
        'bad,Bad,,"red;background:url(x)",bad\n'
        "short,Short,,#AbC,short\n",
        encoding="utf-8",
    )
    t = load_actors(p)
    assert style.actor_color("bad", t) == style.NO_CONTROLLER_COLOR
    assert style.actor_color("short", t) == "#aabbcc"
    assert style.blend(["red", "#000000"]) == style.blend([style.NO_CONTROLLER_COLOR, "#000000"])
    assert style.safe_hex("<script>") == style.NO_CONTROLLER_COLOR

"""Tests for the shared palette."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geostrike.inputs.actors import default_table
from geostrike.render import style


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
    from geostrike.inputs.actors import load_actors

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


# --------------------------------------------------------------------------- distinct colours
def test_ciede2000_matches_published_reference_pairs() -> None:
    """Pairs from Sharma, Wu & Dalal (2005), the CIEDE2000 test data."""
    import numpy as np

    pairs = [
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, -1.3802, -84.2814), (50.0, 0.0, -82.7485), 1.0000),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ]
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    assert style.delta_e(a, b) == pytest.approx([p[2] for p in pairs], abs=1e-4)


def test_simulated_deficiencies_keep_greys_and_merge_red_and_green() -> None:
    import numpy as np

    for vision in style.CVD_MATRICES:
        lab = style.seen_lab(["#ffffff", "#808080", "#000000"], vision)
        assert np.abs(lab[:, 1:]).max() < 1.5  # greys stay grey
    red, green = "#c62828", "#2e7d32"
    normal = style.seen_lab([red, green])
    deut = style.seen_lab([red, green], "deuteranopia")
    assert style.delta_e(deut[0], deut[1]) < 0.5 * style.delta_e(normal[0], normal[1])


CASES = {
    "syria": ["islamic_state", "al_nusra", "opposition", "government", "kurdish"],
    "ukraine": ["russia", "ukraine", "russia_occupied"],
    "yemen": ["houthis", "yemen_government", "southern_transitional_council", "aqap"],
    "libya": ["lna", "gna", "wagner"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_controllers_in_use_are_told_apart_under_colour_vision_deficiencies(case: str) -> None:
    """Every two zone colours in use differ by MIN_ZONE_DELTA_E (CIEDE2000), opaque and as
    filled over the land, for normal vision and simulated protanopia, deuteranopia and
    tritanopia — the actors' own colours do not always (Russia / Russian-occupied forces)."""
    colors = style.zone_colors(CASES[case])
    assert set(colors) == set(CASES[case])
    assert style.zone_contrast(colors.values()) >= 1.0
    if case == "ukraine":
        own = [style.controller_color(c) for c in CASES[case]]
        assert style.zone_contrast(own) < 1.0  # the complaint, measured
        assert colors["russia"] == style.controller_color("russia")  # served first, kept


def test_joint_controllers_stay_apart_too() -> None:
    """The demo's five actors and five joint values: joint zones also carry a dashed
    outline (map) or hatching (figure), and their colours still keep half the margin."""
    values = CASES["syria"] + [
        "al_nusra;opposition",
        "government;islamic_state",
        "government;kurdish",
        "government;opposition",
        "al_nusra;islamic_state",
    ]
    colors = style.zone_colors(values)
    assert style.zone_contrast(colors.values()) >= 0.5
    assert style.zone_contrast([style.controller_color(v) for v in values]) < 0.2


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(default_table().actors) + ["", "a;b", "x"]), max_size=8))
def test_zone_colors_are_hex_stable_and_cover_every_value(values: list[str]) -> None:
    first = style.zone_colors(values)
    assert set(first) == {str(v) for v in values}
    assert all(style.safe_hex(c, "") == c for c in first.values())
    assert style.zone_colors(list(reversed(values))) == first  # order of input is irrelevant


def test_zone_palette_is_one_call_over_all_zones() -> None:
    """Missing and blank controllers are "", which is always there; the palette is
    zone_colors over every controller given, whichever subset an output then draws."""
    import geopandas as gpd
    from shapely.geometry import box

    zones = gpd.GeoDataFrame(
        {"controller": ["russia", " russia_occupied ", None, "", "ukraine"]},
        geometry=[box(0, 0, 1, 1)] * 5,
        crs=4326,
    )
    got = style.zone_palette(zones)
    assert set(got) == {"russia", "russia_occupied", "ukraine", ""}
    assert got == style.zone_colors(["russia", "russia_occupied", "ukraine", ""])
    assert style.palette_key(None) == style.palette_key(float("nan")) == ""
    assert style.palette_key(" ukraine ") == "ukraine"
    # one date's zones alone would colour differently: hence one call over all of them
    assert style.zone_palette(zones.iloc[[1, 4]])["russia_occupied"] != got["russia_occupied"]
    assert style.zone_palette(None) == {"": style.NO_CONTROLLER_COLOR}

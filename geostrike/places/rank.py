"""The one scorer of gazetteer candidates: which place a name most likely means.

Data: the gazetteer's row columns (:class:`geostrike.places.gazetteer.Gazetteer`: feature
rank, population, country, part); the derived arrays (base scores, focus masks) are kept
in the gazetteer's own cache (:meth:`Gazetteer.cached`).

Arrays in, arrays out: candidate rows of many queries laid end to end, with a group
number per row (one query is a batch of one). Used by the geocoder (one query and
batches alike: :mod:`geostrike.places.geocoder`) and, under the document's context, by
text resolution (:mod:`geostrike.text.resolve`).

Score of a candidate: log10 population (unknown: 10,000 for a division seat, else 500)
+ feature bonus (:data:`FEATURE_BONUS`; a first-level division gets
:data:`ADMIN_WORD_BONUS` instead when the query has a division word) + up to
:data:`SIMILARITY_WEIGHT` for similarity of the query to the candidate's primary name +
:data:`LITERAL_BONUS` for a literal (diacritics and all) match of a non-ASCII query +
:data:`HINT_WEIGHT` in the hinted country, else :data:`FOCUS_WEIGHT` in a focus country −
1 per 100 km from a ``near`` point (at most 3,000 km counted) − :data:`WEAK_NAME_PENALTY`
for a division matched by its bare name. Ties: earlier part (user imports, then the
built-in part), then lower row.

Acceptance rules (masks): :func:`alt_ok` (alternate names of small foreign places are
false friends), :func:`accept_common` (a common English word means only a prominent
place), :func:`plausible` (an inexact match abroad must be a big place).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from geostrike.places.gazetteer import FEATURE_RANK, KIND_ALTERNATE, KIND_PRIMARY

if TYPE_CHECKING:  # pragma: no cover
    from geostrike.places.gazetteer import Gazetteer

__all__ = [
    "FEATURE_BONUS",
    "base_scores",
    "scores",
    "rank",
    "ranked_groups",
    "focus_mask",
    "alt_ok",
    "accept_common",
    "generic_name",
    "named_division",
    "plausible",
]

#: Feature bonus by feature rank (gazetteer.FEATURE_RANK); ranks not listed get 0.
FEATURE_BONUS = {
    FEATURE_RANK["country"]: 6.0,
    FEATURE_RANK["admin1"]: -1.0,
    FEATURE_RANK["PPLC"]: 1.5,
    FEATURE_RANK["PPLA"]: 0.5,
    FEATURE_RANK["other"]: -1.0,
}
#: A first-level division's bonus when the query has a division word ("Homs province").
ADMIN_WORD_BONUS = 6.0
SIMILARITY_WEIGHT = 0.4
LITERAL_BONUS = 1.5
HINT_WEIGHT = 20.0
FOCUS_WEIGHT = 1.0
#: Extra handicap of a first-level division matched by its bare name ("Anbar"), on top of
#: the division's -1 when the query has no division word.
WEAK_NAME_PENALTY = 0.5
#: Nearness to a ``near`` point: one point per this many km, up to NEAR_MAX_KM.
NEAR_KM_PER_POINT = 100.0
NEAR_MAX_KM = 3000.0
# An exact match through an alternate name only, of a place outside the hinted or focus
# countries, must be at least this populous (or a country, division or capital): GeoNames
# alternate names of small foreign places ("Nineveh" for Perry, New York) are false friends.
ALT_FOREIGN_MIN_POP = 100_000
# ... and, when the name is also one of a place in those countries, this populous.
ALT_HOME_BEATS_MAX_POP = 1_000_000
# Inexact matches (fold, skeleton, fuzzy) outside the hinted or focus countries must be
# at least this populous (or a country or division).
INEXACT_FOREIGN_MIN_POP = 100_000
# A common English word means a place only if it is a country, division or capital, a
# place this populous, or (by its primary name) COMMON_PRIMARY_MIN_POP.
COMMON_MIN_POP = 100_000
COMMON_PRIMARY_MIN_POP = 20_000


def base_scores(gaz: Gazetteer) -> np.ndarray:
    """Per row, the query-independent score: log10 population + feature bonus (kept in
    the gazetteer's cache)."""

    def build() -> np.ndarray:
        pop = gaz.pop.astype(np.int64)
        seat = (pop == 0) & (gaz.frank <= FEATURE_RANK["PPLA"])
        pop = np.where(seat, 10_000, np.maximum(pop, 500))
        upop, inv = np.unique(pop, return_inverse=True)
        logs = np.array([math.log10(p) for p in upop.tolist()], dtype=np.float64)
        ufr, finv = np.unique(gaz.frank, return_inverse=True)
        bon = np.array([FEATURE_BONUS.get(f, 0.0) for f in ufr.tolist()], dtype=np.float64)
        return logs[inv.ravel()] + bon[finv.ravel()]

    return gaz.cached("rank.base_scores", build)


def focus_mask(gaz: Gazetteer, focus: tuple[str, ...]) -> np.ndarray:
    """Per row: is its country among ``focus`` (kept in the gazetteer's cache)."""
    masks = gaz.cached("rank.focus_masks", dict)
    m = masks.get(focus)
    if m is None:
        m = masks[focus] = np.isin(gaz.cc, list(focus)) if focus else np.zeros(len(gaz), bool)
    return m


def _haversine_km(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    la1, lo1, la2, lo2 = np.radians(lat1), np.radians(lon1), np.radians(lat2), np.radians(lon2)
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def scores(
    gaz: Gazetteer,
    rows: np.ndarray,
    *,
    admin: bool = False,
    similarity: np.ndarray | None = None,
    literal: np.ndarray | None = None,
    country: str | None = None,
    focus: tuple[str, ...] = (),
    near: tuple[float, float] | None = None,
    weak: np.ndarray | None = None,
) -> np.ndarray:
    """Score of each candidate row (see the module docstring).

    Parameters
    ----------
    rows
        Candidate gazetteer rows (of one query or many).
    admin
        The query has a division word: divisions get :data:`ADMIN_WORD_BONUS`.
    similarity
        Per row, rapidfuzz ratio (0-100) of the query's key to the row's primary name.
    literal
        Per row, whether the non-ASCII query is the row's name letter for letter.
    country, focus
        The hint (a country code) or, without one, the focus countries.
    near
        (latitude, longitude) a candidate should be near.
    weak
        Per row, whether it matched by a division's bare name only.
    """
    sc = base_scores(gaz)[rows]
    if admin:
        sc = np.where(
            gaz.frank[rows] == FEATURE_RANK["admin1"],
            sc + (ADMIN_WORD_BONUS - FEATURE_BONUS[FEATURE_RANK["admin1"]]),
            sc,
        )
    if similarity is not None:
        sc = sc + SIMILARITY_WEIGHT * similarity / 100.0
    if literal is not None:
        sc = np.where(literal, sc + LITERAL_BONUS, sc)
    if country:
        sc = np.where(gaz.cc[rows] == country, sc + HINT_WEIGHT, sc)
    elif focus:
        sc = np.where(focus_mask(gaz, focus)[rows], sc + FOCUS_WEIGHT, sc)
    if near is not None:
        d = _haversine_km(near[0], near[1], gaz.lat[rows], gaz.lon[rows])
        sc = sc - np.minimum(d, NEAR_MAX_KM) / NEAR_KM_PER_POINT
    if weak is not None:
        sc = np.where(weak, sc - WEAK_NAME_PENALTY, sc)
    return sc


def ranked_groups(
    gaz: Gazetteer, groups: np.ndarray, rows: np.ndarray, sc: np.ndarray
) -> np.ndarray:
    """Order (indices) putting each group's candidates best first, groups in order: by
    score, then earlier part, then lower row."""
    return np.lexsort((rows, gaz.part_of_row[rows], -sc, groups))


def rank(gaz: Gazetteer, rows: np.ndarray, **options: object) -> np.ndarray:
    """One query's distinct candidate rows, best first (a batch of one: :func:`scores`
    and :func:`ranked_groups`)."""
    rows = np.unique(rows)
    if len(rows) < 2:
        return rows
    sc = scores(gaz, rows, **options)  # type: ignore[arg-type]
    return rows[ranked_groups(gaz, np.zeros(len(rows), np.int64), rows, sc)]


def alt_ok(
    gaz: Gazetteer,
    rows: np.ndarray,
    kinds: np.ndarray,
    focus: tuple[str, ...],
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> np.ndarray:
    """Mask of exact-name candidates to keep: an alternate name of a small place outside
    the ``focus`` countries (the hint, else the focus) is dropped (ALT_FOREIGN_MIN_POP);
    when the name is also one of a place at home (in the same group), a foreign place
    that merely has it as an alternate name must be a country, a division or a city of a
    million ("Mare'" is the Syrian town, not Malé)."""
    if not focus or not len(rows):
        return np.ones(len(rows), dtype=bool)
    home = focus_mask(gaz, focus)[rows]
    alt_abroad = (kinds == KIND_ALTERNATE) & ~home
    frank, pop = gaz.frank[rows], gaz.pop[rows]
    ok = ~alt_abroad | (frank <= FEATURE_RANK["PPLC"]) | (pop >= ALT_FOREIGN_MIN_POP)
    if groups is None:
        hh = np.full(len(rows), bool(home.any()))
    else:
        has_home = np.zeros(n_groups, dtype=bool)
        has_home[groups[home]] = True
        hh = has_home[groups]
    ok &= ~hh | ~alt_abroad | (frank <= FEATURE_RANK["admin1"]) | (pop >= ALT_HOME_BEATS_MAX_POP)
    return ok


def accept_common(gaz: Gazetteer, rows: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """For a query that is a common English word, the candidates prominent enough that
    the word most likely means them (countries, divisions, capitals, big places)."""
    pop = gaz.pop[rows]
    ok = (gaz.frank[rows] <= FEATURE_RANK["PPLC"]) | (pop >= COMMON_MIN_POP)
    ok |= (kinds == KIND_PRIMARY) & (pop >= COMMON_PRIMARY_MIN_POP)
    return ok


#: A division known by a common English word must be this populous to be named by it
#: alone ("Texas", "Queensland", "Ontario": the words are common because the places are)
NAMED_DIVISION_MIN_POP = 1_000_000
#: Words that make a division's bare name generic: "Central", "Western", "Far North",
#: "Capital", "Rivers", "Delta", "Red Sea" name a part of many countries or a feature,
#: not one division, when nothing else says which country is meant.
GENERIC_NAME_WORDS = frozenset(
    "north south east west northern southern eastern western central centre center mid"
    " middle upper lower far capital coast coastal delta river rivers lake lakes bay gulf"
    " sea island islands city port territory region province district area highlands"
    " lowlands plateau valley mountain mountains border littoral interior".split()
)


def generic_name(key: str) -> bool:
    """True when a normalised name is made only of :data:`GENERIC_NAME_WORDS` ("Central",
    "North West", "Western Area"; not "Western Cape", "New South Wales")."""
    toks = key.split()
    return bool(toks) and all(t in GENERIC_NAME_WORDS or t in _LINK_WORDS for t in toks)


_LINK_WORDS = frozenset({"and", "of", "the", "al", "el"})


def named_division(gaz: Gazetteer, rows: np.ndarray, key: str | None = None) -> np.ndarray:
    """Mask of candidates that are first-level divisions populous enough for a common
    English word to name them by itself (:data:`NAMED_DIVISION_MIN_POP`); with the query's
    ``key``, none when the word is generic (:func:`generic_name`; a batch tests its keys
    itself)."""
    if key is not None and generic_name(key):
        return np.zeros(len(rows), dtype=bool)
    return (gaz.frank[rows] == FEATURE_RANK["admin1"]) & (gaz.pop[rows] >= NAMED_DIVISION_MIN_POP)


def plausible(gaz: Gazetteer, rows: np.ndarray, focus: tuple[str, ...]) -> np.ndarray:
    """Mask of candidates an inexact match may give: in the ``focus`` countries, or
    prominent (a place of INEXACT_FOREIGN_MIN_POP, a division, a country)."""
    if not focus or not len(rows):
        return np.ones(len(rows), dtype=bool)
    prominent = gaz.cached(
        "rank.prominent",
        lambda: (gaz.pop >= INEXACT_FOREIGN_MIN_POP) | (gaz.frank <= FEATURE_RANK["admin1"]),
    )
    return focus_mask(gaz, focus)[rows] | prominent[rows]

"""Offline geocoding of place names as reports spell them, with no wrong answers.

Data: the local gazetteer (:mod:`geostrike.places.gazetteer`: GeoNames cities500, countries and
first-level divisions, the curated supplement, user-imported GeoNames dumps).

A query is matched in four steps, stopping at the first that finds anything:

1. exact normalised key (:func:`geostrike.places.names.normalise`), in the query's own script
   first (Arabic, Cyrillic ... alternate names are indexed transliterated) then Latin;
2. the romanisation fold (article, vowels, digraphs, endings, Tal/Deir/Jisr ... unified);
3. the consonant skeleton, accepted only when the folds are similar (rapidfuzz ratio);
4. a rapidfuzz fallback over names sharing the first skeleton letters, with a strict
   threshold. Below it the answer is "not found": a wrong place is worse than none.

Candidates are ranked by :mod:`geostrike.places.rank` (the one scorer, shared with text
resolution: country hint, distance to a ``near`` point, feature rank (country > first-level
division > capital > division seat > place), population and whether the primary name
matched); one query and a batch (:func:`geocode_many`, :func:`geocode_frame`) go through
the same scorer and acceptance rules. Words that are not places (:data:`names.STOPWORDS`),
actor aliases (:mod:`geostrike.inputs.actors`, unless a country or capital) and airport codes
never resolve.

False friends are guarded against: an alternate name of a small place outside the hinted
or focus countries is no exact match (nor, when the name is also one of a place at home,
an alternate name of any foreign place short of a division or a city of a million); a fold,
skeleton or fuzzy match keeps the query's first letter (initial vowels, q/k, Dj/J unified)
and, abroad, needs a big place and (skeleton, fuzzy) 95 similarity; an all-caps query of
2-3 letters is only a country, division, capital or a big place of that primary name; an
Arabic-script query prefers the places whose own Arabic name it is.

Region phrases widen or move the answer (:mod:`geostrike.places.phrases`, the one parser,
shared with text resolution): "Homs province" → the first-level division; "northern Homs",
"the Hama countryside", "near Palmyra" → the place with precision "region"; "20 km east of
Homs" → the geodesic offset point (:data:`geostrike.geodesy.GEOD`), precision "offset".

``LocalGeocoder`` adapts all this to geopy's ``Geocoder`` interface (created on first
access, so importing this module stays cheap).

Why one module (about 1,700 lines): the one-by-one path (:func:`_geocode`) and the bulk
exact path (:func:`_bulk_exact`, ``_ExactBatch``) must give identical answers, and they
share the matching levels, the ambiguity test and the one ``Match`` constructor; split,
one algorithm would be spread over modules that must always change together. What text
resolution shares with it lives apart: scoring in :mod:`geostrike.places.rank`, phrases
in :mod:`geostrike.places.phrases`.
"""

from __future__ import annotations

import gc
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from geostrike import settings
from geostrike.places import rank as _ranking
from geostrike.places.gazetteer import (
    FEATURE_RANK,
    KIND_PRIMARY,
    KIND_WEAK,
    Gazetteer,
    load_gazetteer,
)
from geostrike.places.names import (
    fold,
    is_stopword,
    loose,
    normalise,
    normalise_ascii_many,
    normalise_many,
    script,
    skeleton,
    strip_articles,
)
from geostrike.places.phrases import BRACKETED, COUNTRYSIDE, light, parse
from geostrike.places.phrases import apply as apply_phrase

__all__ = [
    "Match",
    "geocode",
    "geocode_many",
    "geocode_frame",
    "reverse",
    "alternatives",
    "ambiguity",
    "zone_countries",
    "LocalGeocoder",  # noqa: F822 - module __getattr__
    "MAX_QUERY_CHARS",
]

#: Longer queries are not place names; they are answered "not found" without lookup.
MAX_QUERY_CHARS = 200

# Acceptance thresholds (rapidfuzz ratio, 0-100, on folded names).
SKELETON_MIN_SIMILARITY = 88.0
FUZZY_MIN_SIMILARITY = 92.0
_MIN_FOLD_LEN = 4
_MIN_FUZZY_LEN = 6
# English words at least this common (wordfreq Zipf) resolve only to prominent places by
# exact name, and never by fold, skeleton or fuzzy match.
COMMON_WORD_ZIPF = 3.5
COMMON_WORD_ZIPF_FUZZY = 3.5


#: Countries the toolkit's reports usually concern; without a country hint, places there
#: win close ties (a factor 10 in population). ``GEOSTRIKE_FOCUS`` overrides the list
#: (comma-separated ISO codes; empty to switch the prior off).
DEFAULT_FOCUS = settings.DEFAULT_FOCUS
# An inexact match outside the hinted or focus countries needs this similarity as well.
INEXACT_FOREIGN_MIN_SIMILARITY = 95.0
# A fold match abroad: similarity of the query to the place's primary name.
FOLD_FOREIGN_MIN_SIMILARITY = 75.0
# Letters that may differ at the start of a name matched inexactly (initial vowels vary
# in romanisation: Efrin/Afrin, Omran/Amran; q/k: Qamishli/Kamishli).
_FIRST_LETTER_CLASS = str.maketrans({"e": "a", "i": "a", "o": "a", "u": "a", "q": "k"})
#: Two places matching a query that lie farther apart than this (km) make the answer
#: ambiguous, unless the first is much more prominent (AMBIGUITY_MARGIN). The environment
#: variable ``GEOSTRIKE_AMBIGUITY_KM`` overrides it.
AMBIGUITY_KM = 25.0
#: ... "much more prominent": its ranking base score (log10 population + feature bonus,
#: :func:`_row_base_scores`) higher by at least this (1.0: ten times the population).
AMBIGUITY_MARGIN = 1.0
#: ... and a runner-up counts only when its own name is the query's, up to this similarity
#: (rapidfuzz ratio of the normalised names, articles aside).
NAMESAKE_MIN_SIMILARITY = 85.0
#: "A, B" / "A (B)": B names a division or a place; A must lie in B's first-level division
#: or within this distance (km) of B.
QUALIFIER_KM = 50.0


def ambiguity_km() -> float:
    """Distance (km) between namesakes that makes a name ambiguous (``GEOSTRIKE_AMBIGUITY_KM``,
    else :data:`AMBIGUITY_KM`)."""
    env = settings.ambiguity_km()
    return AMBIGUITY_KM if env is None else env


def _focus() -> tuple[str, ...]:
    return settings.focus()


@dataclass(frozen=True)
class Match:
    """A geocoded place.

    Attributes
    ----------
    query
        The query as given.
    name
        Primary gazetteer name of the place (or of the offset point's base place).
    latitude, longitude
        WGS84 degrees (for precision "offset": the offset point).
    country_code
        ISO 3166-1 alpha-2.
    admin1
        Name of the first-level division, or None.
    feature_code
        GeoNames feature code (PCLI, ADM1, PPLC, PPLA, PPL, ...).
    population
        GeoNames population (0 when unknown).
    gazetteer_id
        Stable id: "geonames:<id>", "geostrike:admin1:<CC>.<code>" or a supplement id.
    precision
        "country" | "admin1" | "place" | "region" | "offset".
    precision_km
        Radius of uncertainty in km.
    score
        0-100: 100 exact name, 95 romanisation fold, lower for skeleton and fuzzy matches.
    matched_name
        The gazetteer name (normalised key) the query matched.
    raw
        Everything else: match level, source, base place of an offset, ...
    candidates
        How many gazetteer places matched the name at the level it was matched (1: no
        other place of that name in the search area).
    ambiguity
        When two or more of them are plausible and lie far apart (:data:`AMBIGUITY_KM`):
        a sentence naming them, their divisions and their distances; else None. The
        answer is then only the best ranked of several, and should not be relied on.
    """

    query: str
    name: str
    latitude: float
    longitude: float
    country_code: str
    admin1: str | None
    feature_code: str
    population: int
    gazetteer_id: str
    precision: str
    precision_km: float
    score: float
    matched_name: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    candidates: int = 1
    ambiguity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """All fields as a plain, JSON-serialisable dict."""
        return asdict(self)


# --------------------------------------------------------------------------- phrases
# --------------------------------------------------------------------------- ranking
def _rank(
    gaz: Gazetteer,
    rows: np.ndarray,
    *,
    country: str | None = None,
    near: tuple[float, float] | None = None,
    admin: bool = False,
    literal: str | None = None,
    query_key: str | None = None,
    weak: frozenset[int] = frozenset(),
) -> np.ndarray:
    """One query's candidate rows, best first: :func:`geostrike.places.rank.rank` (a batch
    of one) with the query's similarity to each primary name and its literal match."""
    rows = np.unique(rows)
    if len(rows) < 2:
        return rows
    sims = lit = None
    if query_key or literal:
        names = [gaz.name(r) for r in rows.tolist()]  # a handful: no bulk gather
        if query_key:
            from rapidfuzz.fuzz import ratio

            sims = np.fromiter(
                (ratio(query_key, normalise(nm)) for nm in names), np.float64, len(rows)
            )
        if literal:
            q_lit = unicodedata.normalize("NFC", literal).casefold()
            lit = np.fromiter(
                (unicodedata.normalize("NFC", nm).casefold() == q_lit for nm in names),
                bool,
                len(rows),
            )
    return _ranking.rank(
        gaz, rows, admin=admin, similarity=sims, literal=lit,
        country=country.upper() if country else None, focus=() if country else _focus(),
        near=near, weak=np.isin(rows, list(weak)) if weak else None,
    )  # fmt: skip


# --------------------------------------------------------------------------- matching
@dataclass
class _Hit:
    row: int
    score: float
    level: str
    matched: str
    ranked: np.ndarray
    key: str = ""  # the query's normalised key (for the namesake test of _ambiguity)


def _plausible(gaz: Gazetteer, rows: np.ndarray, country: str | None) -> np.ndarray:
    """:func:`geostrike.places.rank.plausible` in the hinted (else focus) countries."""
    return _ranking.plausible(gaz, rows, (country,) if country else _focus())


def _alt_ok(gaz: Gazetteer, rows: np.ndarray, kinds: np.ndarray, country: str | None):
    """:func:`geostrike.places.rank.alt_ok` in the hinted (else focus) countries."""
    return _ranking.alt_ok(gaz, rows, kinds, (country,) if country else _focus())


@lru_cache(maxsize=1 << 17)  # gazetteer names recur as candidates of many queries
def _starts(name: str) -> str:
    """First letter class of a name after its article; for a name opening with a vowel,
    also the next letter (an elided initial syllable: Abu Kamal / Boukamal), and the
    one after a glued article (Albu Kamal)."""
    core = (strip_articles(normalise(name)) or normalise(name)).replace(" ", "")
    if core.startswith("dj"):  # French romanisation of jim: Djarablus
        core = core[1:]
    head = core[:1].translate(_FIRST_LETTER_CLASS)
    if head == "a" and len(core) > 1:
        head += core[1].translate(_FIRST_LETTER_CLASS)
        if core[1] == "l" and len(core) > 2:  # a glued article: Albu Kamal
            head += core[2].translate(_FIRST_LETTER_CLASS)
    return head


def _same_start(gaz: Gazetteer, rows: np.ndarray, key: str) -> np.ndarray:
    """Mask of candidates whose primary name starts like the query (after the article,
    initial vowels and q/k unified): an inexact match must not change the first letter."""
    q = _starts(key)[:1]
    return np.fromiter(
        (q in _starts(gaz.name(r)) for r in rows.tolist()), dtype=bool, count=len(rows)
    )


def _foreign(gaz: Gazetteer, rows: np.ndarray, country: str | None) -> np.ndarray:
    focus = (country,) if country else _focus()
    if not focus:
        return np.zeros(len(rows), dtype=bool)
    return ~_ranking.focus_mask(gaz, focus)[rows]


def _refused_aliases(gaz: Gazetteer) -> frozenset[str]:
    """Normalised actor aliases (geostrike.inputs.actors) that are not themselves the exact name of
    a country or capital: "Hamas", "SAA", "Hezbollah" never resolve; Russia, Moscow, Kyiv do."""
    return gaz.cached("geocoder.refused_aliases", lambda: _build_refused_aliases(gaz))


def _build_refused_aliases(gaz: Gazetteer) -> frozenset[str]:
    from geostrike.inputs.actors import default_table, normalise_actor

    out = set()
    table = default_table()
    names = [n for a in table.actors.values() for n in (a.id, a.label, *a.aliases)]
    # names written in another script are not refused: transliterated without vowels
    # they meet place names (حماس Hamas and حمص Homs both give "hms")
    for alias in {normalise_actor(n) for n in names if script(n) == "latin"}:
        key = normalise(alias)
        if not key:
            continue
        rows, kinds = gaz.exact(key)
        strong = rows[kinds != KIND_WEAK]
        if len(strong) and (gaz.frank[strong] <= FEATURE_RANK["PPLC"]).any():
            continue
        out.add(key)
    return frozenset(out)


def _is_acronym(text: str) -> bool:
    t = text.strip()
    return 2 <= len(t) <= 3 and t.isalpha() and t.isupper()


def _only(gaz: Gazetteer, only: str | None, rows: np.ndarray, folds: list, cores: list):
    if not only or not len(rows):
        return rows, folds, cores
    sel = gaz.cc[rows] == only
    idx = np.flatnonzero(sel).tolist()
    return rows[sel], [folds[i] for i in idx], [cores[i] for i in idx]


def _best_band(rows: np.ndarray, sims: np.ndarray, band: float = 3.0):
    keep = sims >= sims.max() - band
    return rows[keep], sims[keep]


def _match(
    gaz: Gazetteer,
    text: str,
    *,
    country: str | None,
    near: tuple[float, float] | None,
    admin: bool = False,
    exact_only: bool = False,
) -> _Hit | None:
    """Best match of a place name; with a country hint, that country's places first."""
    if country:
        hit = _match_in(gaz, text, country=country, near=near, admin=admin,
                        exact_only=exact_only, only=country)  # fmt: skip
        if hit is not None or exact_only:
            return hit
    return _match_in(gaz, text, country=country, near=near, admin=admin, exact_only=exact_only)


@lru_cache(maxsize=8192)
def _prep(text: str) -> tuple[str, float, str]:
    """(normalised key or '' when not a possible place, English commonness, script)."""
    key = normalise(text)
    if not key or len(key) > MAX_QUERY_CHARS or is_stopword(key):
        return "", 0.0, "latin"
    if not any(c.isalpha() for c in key):
        return "", 0.0, "latin"
    from geostrike.places.gazetteer import english_zipf

    return key, english_zipf(key), script(text)


def _match_in(
    gaz: Gazetteer,
    text: str,
    *,
    country: str | None,
    near: tuple[float, float] | None,
    admin: bool = False,
    exact_only: bool = False,
    only: str | None = None,
) -> _Hit | None:
    key, common, sc = _prep(text)
    if not key or key in _refused_aliases(gaz):
        return None
    acronym = _is_acronym(text)
    namespaces = list(dict.fromkeys(["" if sc == "latin" else sc, ""]))
    opts = {"country": country, "near": near, "admin": admin, "query_key": key}

    # 1. exact key (weak entries, i.e. division names without "province", come later)
    weak: tuple[np.ndarray, np.ndarray] | None = None
    for ns in namespaces:
        rows, kinds = gaz.exact(key, ns)
        if ns and len(rows) > 1:
            # the places whose own name in that script the query is, if any (عدن: Aden)
            from geostrike.places.gazetteer import literal_key

            own = np.isin(rows, gaz.exact(literal_key(text), "lit:" + ns)[0])
            if own.any():
                rows, kinds = rows[own], kinds[own]
        if only and len(rows):
            sel = gaz.cc[rows] == only
            rows, kinds = rows[sel], kinds[sel]
        if len(rows):
            ok = _alt_ok(gaz, rows, kinds, country)
            if acronym:
                # "SAA", "BEN": an acronym is only a country, division or capital, or a
                # big place whose primary name it is
                big = (kinds == KIND_PRIMARY) & (gaz.pop[rows] >= _ranking.ALT_FOREIGN_MIN_POP)
                ok &= (gaz.frank[rows] <= FEATURE_RANK["PPLC"]) | big
            rows, kinds = rows[ok], kinds[ok]
        if len(rows) == 0:
            continue
        if admin:
            sel = gaz.frank[rows] == FEATURE_RANK["admin1"]
            if sel.any():
                rows, kinds = rows[sel], kinds[sel]
        else:
            strong = kinds != KIND_WEAK
            if not strong.any():
                weak = weak or (rows, kinds)
                continue
        if common >= COMMON_WORD_ZIPF:
            # a division's bare name only when it is populous and not a generic word
            # ("Texas", "Queensland"; not "Central", "Rivers")
            named = _ranking.named_division(gaz, rows, key)
            ok = _ranking.accept_common(gaz, rows, kinds) & ((kinds != KIND_WEAK) | named)
            if not ok.any():
                return None
            rows, kinds = rows[ok], kinds[ok]
        lit = text.strip() if not text.isascii() else None
        # a division by its bare name competes, handicapped, with places of that name:
        # "Anbar" is the province rather than a Turkish hamlet, "Idlib" stays the city
        weak_rows = frozenset(rows[kinds == KIND_WEAK].tolist()) if not admin else frozenset()
        ranked = _rank(gaz, rows, literal=lit, weak=weak_rows, **opts)
        return _Hit(int(ranked[0]), 100.0, "exact", key, ranked, key)
    if weak is not None and common >= COMMON_WORD_ZIPF_FUZZY and not acronym:
        # a common word that is only a division's bare name ("Punjab", "Alberta"): the
        # division when populous and not generic, never a fuzzy match of the word
        rows, kinds = weak
        named = _ranking.named_division(gaz, rows, key)
        if named.any():
            ranked = _rank(gaz, rows[named], **opts)
            return _Hit(int(ranked[0]), 100.0, "exact", key, ranked, key)
    if exact_only or acronym:
        return None

    core = strip_articles(key)
    f = fold(key)
    if common >= COMMON_WORD_ZIPF_FUZZY or is_stopword(core):
        return None
    if len(f) < 3 or (len(f) < _MIN_FOLD_LEN and len(key) < _MIN_FOLD_LEN):
        return None
    sk = skeleton(f)
    lf = loose(f)
    from rapidfuzz.fuzz import ratio

    # 2. same romanisation fold; 3. (after weak exact names) same consonant skeleton with
    # a similar vowel-blind form.
    rows = gaz.by_fold(f)
    if only and len(rows):
        rows = rows[gaz.cc[rows] == only]
    rows = rows[_plausible(gaz, rows, country)]
    rows = rows[_same_start(gaz, rows, key)]
    if weak is not None:
        # the division's bare name beats a variant of a foreign name (Abyan, not Abidjan)
        rows = rows[~_foreign(gaz, rows, country)]
    abroad = _foreign(gaz, rows, country)
    if abroad.any():
        # abroad, the romanisation variant must also look like the place's own name
        # (Izza is not Īzeh, Iran)
        like = np.fromiter(
            (
                ratio(key, normalise(gaz.name(r))) >= FOLD_FOREIGN_MIN_SIMILARITY
                for r in rows.tolist()
            ),
            dtype=bool,
            count=len(rows),
        )
        rows = rows[~abroad | like]
    if len(rows):
        r = _admin_filter(gaz, rows, admin)
        ranked = _rank(gaz, r, **opts)
        return _Hit(int(ranked[0]), 95.0, "fold", f, ranked, key)
    if weak is not None:
        rows, kinds = weak
        ranked = _rank(gaz, rows, **opts)
        return _Hit(int(ranked[0]), 100.0, "exact", key, ranked, key)
    if len(sk) >= 3 and len(f) >= _MIN_FOLD_LEN:
        rows, folds, looses = _only(gaz, only, *gaz.by_skeleton(sk))
        if len(rows):
            from rapidfuzz.process import cdist

            sims = 0.5 * (
                cdist([f], folds, scorer=ratio, dtype=np.float64)[0]
                + cdist([lf], looses, scorer=ratio, dtype=np.float64)[0]
            )
            keep = (sims >= SKELETON_MIN_SIMILARITY) & _plausible(gaz, rows, country)
            keep &= ~_foreign(gaz, rows, country) | (sims >= INEXACT_FOREIGN_MIN_SIMILARITY)
            if keep.any():
                keep &= _same_start(gaz, rows, key)
            if keep.any():
                rows_k, sims_k = _admin_filter(gaz, rows[keep], admin, sims[keep])
                rows_k, sims_k = _best_band(rows_k, sims_k)
                ranked = _rank(gaz, rows_k, **opts)
                best = int(ranked[0])
                i = int(np.flatnonzero(keep & (rows == best))[0])
                return _Hit(
                    best, round(0.95 * float(sims[i]), 1), "skeleton", folds[i], ranked, key
                )
    # 4. fuzzy fallback among names sharing the first two skeleton letters
    if len(f) >= _MIN_FUZZY_LEN and len(sk) >= 2:
        from rapidfuzz import fuzz, process

        pool = gaz.fuzzy_pool(sk[:2])
        found = process.extract(
            f, pool, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SIMILARITY, limit=8
        )
        if found:
            rows_l, sims_l, folds_l = [], [], []
            for g, _s, _ in found:
                r = gaz.by_fold(g)
                if only:
                    r = r[gaz.cc[r] == only]
                r = r[_plausible(gaz, r, country)]
                sim = 0.5 * (_s + ratio(lf, loose(g)))
                if sim < INEXACT_FOREIGN_MIN_SIMILARITY:
                    r = r[~_foreign(gaz, r, country)]
                r = r[_same_start(gaz, r, key)]
                rows_l.append(r)
                sims_l.append(np.full(len(r), sim))
                folds_l.extend([g] * len(r))
            rows, sims = np.concatenate(rows_l), np.concatenate(sims_l)
            if len(rows):
                rows2, sims2 = _admin_filter(gaz, rows, admin, sims)
                rows2, sims2 = _best_band(rows2, sims2)
                ranked = _rank(gaz, rows2, **opts)
                best = int(ranked[0])
                i = int(np.flatnonzero(rows == best)[0])
                return _Hit(best, round(0.9 * float(sims[i]), 1), "fuzzy", folds_l[i], ranked, key)
    return None


def _admin_filter(gaz: Gazetteer, rows: np.ndarray, admin: bool, sims: np.ndarray | None = None):
    if admin:
        sel = gaz.frank[rows] == FEATURE_RANK["admin1"]
        if sel.any():
            rows = rows[sel]
            sims = None if sims is None else sims[sel]
    return rows if sims is None else (rows, sims)


_PRECISION_BY_RANK = {0: "country", 1: "admin1"}


def _admin1_name(gaz: Gazetteer, row: int, name: str, code: str) -> str | None:
    if name:
        return name
    if not code:
        return None

    def build() -> dict[tuple[str, str], str]:
        table: dict[tuple[str, str], str] = {}
        for r in np.flatnonzero(gaz.frank == FEATURE_RANK["admin1"]).tolist():
            table.setdefault((str(gaz.cc[r]), gaz.string("admin1_code", r)), gaz.name(r))
        return table

    return gaz.cached("geocoder.admin1_names", build).get((str(gaz.cc[row]), code))


_BUILD_COLUMNS = ("name", "gazetteer_id", "source", "admin1_code", "admin1")


def _build(gaz: Gazetteer, query: str, hit: _Hit, mode: str, details: dict[str, Any]) -> Match:
    row = hit.row
    frank = int(gaz.frank[row])
    precision = _PRECISION_BY_RANK.get(frank, "place")
    prec_km = float(gaz.prec[row])
    lat, lon = float(gaz.lat[row]), float(gaz.lon[row])
    name, gid, source, a1_code, a1_name = gaz.strings_of(row, _BUILD_COLUMNS)
    alternatives = (
        [gaz.string("gazetteer_id", r) for r in hit.ranked[1:4].tolist()]
        if len(hit.ranked) > 1
        else []
    )
    raw: dict[str, Any] = {
        "level": hit.level,
        "mode": mode,
        "source": source,
        "admin1_code": a1_code or None,
        "base_latitude": lat,
        "base_longitude": lon,
        "base_precision_km": prec_km,
        "alternatives": alternatives,
    }
    # region, facility and offset phrases: the rules of places.phrases
    lat, lon, precision, prec_km = apply_phrase(lat, lon, precision, prec_km, mode, details)
    if mode == "offset":
        raw.update(details)
    ambiguity = _ambiguity_one(gaz, hit.ranked, hit.key or hit.matched)
    return _new_match(
        {
            "query": query,
            "name": name,
            "latitude": lat,
            "longitude": lon,
            "country_code": str(gaz.cc[row]),
            "admin1": (
                _admin1_name(gaz, row, a1_name, a1_code)
                if frank != FEATURE_RANK["country"]
                else None
            ),
            "feature_code": str(gaz.fcode[row]),
            "population": int(gaz.pop[row]),
            "gazetteer_id": gid,
            "precision": precision,
            "precision_km": round(prec_km, 3),
            "score": float(hit.score),
            "matched_name": hit.matched,
            "raw": raw,
            "candidates": len(hit.ranked),
            "ambiguity": ambiguity,
        }
    )


def _ambiguity(
    gaz: Gazetteer, rows: np.ndarray, first: np.ndarray, count: np.ndarray, keys: Sequence[str]
) -> tuple[np.ndarray, dict[int, str]]:
    """Which answers are ambiguous, and why, for ranked candidate lists laid end to end.

    Answer ``j``'s candidates are ``rows[first[j]:first[j] + count[j]]``, best first. A
    runner-up is a rival of a best-ranked *place* when it lies more than
    :data:`AMBIGUITY_KM` away and the best is not much more prominent
    (:data:`AMBIGUITY_MARGIN`) and the runner-up's own name is the query's (similarity
    :data:`NAMESAKE_MIN_SIMILARITY`, articles aside: Novofedorovka for Novofedorivka, not
    Nikopol, whose GeoNames alternate names include Sloviansk, nor As Saddah found by the
    romanisation fold of Saadah); a first-level division is a rival only when the place is
    not in it (Homs the city is in Homs governorate; Jawf al Maqbabah, Abyan, is not in Al
    Jawf governorate); a country never. Vectorised over all candidates; the sentence is
    built for the ambiguous answers only.

    Returns
    -------
    (ambiguous per answer, {answer index: sentence})
    """
    n = len(first)
    amb = np.zeros(n, dtype=bool)
    multi = count > 1
    if not multi.any():
        return amb, {}
    mj = np.flatnonzero(multi)
    cnt = count[mj]
    starts = np.repeat(first[mj], cnt)
    idx = starts + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    cand = rows[idx]
    best = rows[starts]
    d = _haversine_pairs(gaz.lat[best], gaz.lon[best], gaz.lat[cand], gaz.lon[cand])
    fr_b, fr_c = gaz.frank[best], gaz.frank[cand]
    base = _ranking.base_scores(gaz)
    rival = (idx != starts) & (fr_b > FEATURE_RANK["admin1"]) & (d > ambiguity_km())
    rival &= fr_c > FEATURE_RANK["country"]
    rival &= (base[best] - base[cand]) < AMBIGUITY_MARGIN
    maybe = np.flatnonzero(rival)
    if len(maybe):  # namesakes only: the runner-up's primary name is the query's
        from rapidfuzz.fuzz import ratio

        owner = np.repeat(np.arange(len(mj)), cnt)[maybe]
        qk = [strip_articles(keys[int(mj[o])]) for o in owner.tolist()]
        names = _name_cores(gaz, cand[maybe])
        same = np.fromiter(
            (100.0 if q == nm else ratio(q, nm) for q, nm in zip(qk, names, strict=True)),
            dtype=np.float64,
            count=len(maybe),
        )
        rival[maybe[same < NAMESAKE_MIN_SIMILARITY]] = False
    div = np.flatnonzero(rival & (fr_c == FEATURE_RANK["admin1"]))
    if len(div):  # a division holding the place is no rival
        same_div = (gaz.cc[best[div]] == gaz.cc[cand[div]]) & (
            np.array(gaz.strings_at("admin1_code", best[div]), dtype=object)
            == np.array(gaz.strings_at("admin1_code", cand[div]), dtype=object)
        )
        rival[div[same_div]] = False
    group_start = np.cumsum(cnt) - cnt
    amb[mj] = np.logical_or.reduceat(rival, group_start)
    if not amb.any():
        return amb, {}
    if len(mj) == 1:  # one answer (the one-by-one path): plain Python is quicker
        return amb, {int(mj[0]): _ambiguity_text(gaz, int(best[0]), cand[rival].tolist())}
    return amb, _ambiguity_texts(gaz, mj, cnt, group_start, best, cand, rival)


def ambiguity(ranked: np.ndarray, key: str) -> str | None:
    """Whether a name's candidates, best first (gazetteer rows), make it ambiguous: the
    sentence naming the far-apart namesakes (the test of :attr:`Match.ambiguity`), or None.
    ``key`` is the name's normalised key. Text resolution asks it of a mention's candidates
    in the order the document's context gave them."""
    return _ambiguity_one(load_gazetteer(), np.asarray(ranked, dtype=np.int64), key)


def _ambiguity_one(gaz: Gazetteer, ranked: np.ndarray, key: str) -> str | None:
    """:func:`_ambiguity` for one short candidate list, in plain Python (numpy's per-call
    cost dominates on a handful of rows): the sentence, or None."""
    if len(ranked) < 2:
        return None
    rl = ranked.tolist()
    b = rl[0]
    if int(gaz.frank[b]) <= FEATURE_RANK["admin1"]:
        return None
    base = _ranking.base_scores(gaz)
    top = float(base[b]) - AMBIGUITY_MARGIN
    la1, lo1 = math.radians(float(gaz.lat[b])), math.radians(float(gaz.lon[b]))
    km = ambiguity_km()
    q = strip_articles(key)
    rivals = []
    for r in rl[1:]:
        fr = int(gaz.frank[r])
        if fr <= FEATURE_RANK["country"] or not float(base[r]) > top:
            continue
        la2, lo2 = math.radians(float(gaz.lat[r])), math.radians(float(gaz.lon[r]))
        h = (
            math.sin((la2 - la1) / 2) ** 2
            + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
        )
        if not 2 * 6371.0088 * math.asin(math.sqrt(min(max(h, 0.0), 1.0))) > km:
            continue
        core = _name_cores(gaz, np.array([r], dtype=np.int64))[0]
        if q != core:
            from rapidfuzz.fuzz import ratio

            if ratio(q, core) < NAMESAKE_MIN_SIMILARITY:
                continue
        if fr == FEATURE_RANK["admin1"] and str(gaz.cc[r]) == str(gaz.cc[b]):
            if gaz.string("admin1_code", r) == gaz.string("admin1_code", b):
                continue  # the division holding the place
        rivals.append(r)
    return _ambiguity_text(gaz, b, rivals) if rivals else None


#: Runner-ups named in an ambiguity sentence (the rest are counted).
_AMBIGUITY_LISTED = 4


def _ambiguity_texts(
    gaz: Gazetteer,
    mj: np.ndarray,
    cnt: np.ndarray,
    group_start: np.ndarray,
    best: np.ndarray,
    cand: np.ndarray,
    rival: np.ndarray,
) -> dict[int, str]:
    """The sentences of :func:`_ambiguity` (distances geodesic, in one call; names and
    divisions read once per distinct row)."""
    from geostrike.geodesy import geodesic_km

    ri = np.flatnonzero(rival)  # rival entries, group by group
    group = np.repeat(np.arange(len(mj)), cnt)[ri]
    km = geodesic_km(gaz.lat[best[ri]], gaz.lon[best[ri]], gaz.lat[cand[ri]], gaz.lon[cand[ri]])
    gfirst = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    rank = np.arange(len(ri)) - np.repeat(gfirst, np.diff(np.r_[gfirst, len(ri)]))
    shown = rank < _AMBIGUITY_LISTED
    groups = group[gfirst]
    need = np.unique(np.r_[best[group_start[groups]], cand[ri[shown]]])
    desc = dict(zip(need.tolist(), _describe_rows(gaz, need), strict=True))
    n_riv = np.diff(np.r_[gfirst, len(ri)])
    far = np.maximum.reduceat(km, gfirst)
    texts: dict[int, str] = {}
    riv_rows, riv_km = cand[ri].tolist(), km.tolist()
    for g, lo, nr, top in zip(groups.tolist(), gfirst.tolist(), n_riv.tolist(), far.tolist(), strict=True):  # fmt: skip
        head = desc[int(best[group_start[g]])]
        listed = [
            f"{desc[riv_rows[i]]}, {riv_km[i]:,.0f} km away"
            for i in range(lo, lo + min(nr, _AMBIGUITY_LISTED))
        ]
        more = f" and {nr - _AMBIGUITY_LISTED} more" if nr > _AMBIGUITY_LISTED else ""
        texts[int(mj[g])] = (
            f"{nr + 1} places of that name lie up to {top:,.0f} km apart: "
            + "; ".join([head, *listed])
            + more
        )
    return texts


def _ambiguity_text(gaz: Gazetteer, best: int, rivals: list[int]) -> str:
    """:func:`_ambiguity_texts` for one answer."""
    from geostrike.geodesy import GEOD

    lat, lon = float(gaz.lat[best]), float(gaz.lon[best])
    km = [GEOD.inv(lon, lat, float(gaz.lon[r]), float(gaz.lat[r]))[2] / 1000.0 for r in rivals]
    shown = rivals[:_AMBIGUITY_LISTED]
    desc = _describe_rows(gaz, np.array([best, *shown], dtype=np.int64))
    listed = [f"{d}, {k:,.0f} km away" for d, k in zip(desc[1:], km, strict=False)]
    more = f" and {len(rivals) - len(shown)} more" if len(rivals) > len(shown) else ""
    return (
        f"{len(rivals) + 1} places of that name lie up to {max(km):,.0f} km apart: "
        + "; ".join([desc[0], *listed])
        + more
    )


def _name_cores(gaz: Gazetteer, rows: np.ndarray) -> list[str]:
    """Normalised primary names of rows without articles (remembered per gazetteer)."""
    memo: dict[int, str] = gaz.cached("geocoder.name_cores", dict)
    rl = rows.tolist()
    new = sorted({r for r in rl if r not in memo})
    if new:
        keys = normalise_many(gaz.strings_at("name", np.array(new, dtype=np.int64)))
        memo.update(zip(new, map(strip_articles, keys), strict=True))
    return [memo[r] for r in rl]


def _describe_rows(gaz: Gazetteer, rows: np.ndarray) -> list[str]:
    """Name (division, CC) of gazetteer rows (remembered per gazetteer)."""
    memo: dict[int, str] = gaz.cached("geocoder.descriptions", dict)
    rl = rows.tolist()
    new = np.array(sorted({r for r in rl if r not in memo}), dtype=np.int64)
    if len(new):
        names = gaz.strings_at("name", new)
        a1n = gaz.strings_at("admin1", new)
        a1c = gaz.strings_at("admin1_code", new)
        ccs = gaz.cc[new].tolist()
        franks = gaz.frank[new].tolist()
        for r, name, an, ac, cc, fr in zip(new.tolist(), names, a1n, a1c, ccs, franks, strict=True):  # fmt: skip
            if fr == FEATURE_RANK["admin1"]:
                memo[r] = f"{name} ({cc} first-level division)"
                continue
            a1 = _admin1_name(gaz, r, an, ac)
            memo[r] = f"{name} ({a1}, {cc})" if a1 else f"{name} ({cc})"
    return [memo[r] for r in rl]


def _haversine_pairs(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle km between paired points (a ranking measure, not a reported one)."""
    la1, lo1 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lon1, float))
    la2, lo2 = np.radians(np.asarray(lat2, float)), np.radians(np.asarray(lon2, float))
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _within_hint(country_code: Any, precision: Any, country: str | None) -> bool:
    """Whether an answer honours the country hint.

    A hint is a filter, as geopy's ``country_codes`` is: with ``country="SY"`` a place in
    another country is "not found" rather than a guess abroad (a wrong place is worse than
    none). Countries themselves pass ("Iraq" is Iraq whatever the hint).
    """
    return country is None or country_code == country or precision == "country"


def _clean_country(country: str | None) -> str | None:
    if country is None:
        return None
    c = str(country).strip().upper()
    return c if re.fullmatch(r"[A-Z]{2}", c) else None


def _geocode(
    gaz: Gazetteer,
    query: Any,
    country: str | None,
    near: tuple[float, float] | None,
    _depth: int = 0,
    *,
    whole: bool = True,
    within: tuple[str, str, float, float] | None = None,
) -> Match | None:
    """``whole=False`` skips matching the whole query (steps a and d): for a query known
    to give nothing there (a common English word without an exact answer). ``within``
    (country, admin1 code, latitude, longitude) of a qualifier keeps only the candidates
    in that division or within :data:`QUALIFIER_KM` of that point."""
    if not isinstance(query, str) or len(query) > MAX_QUERY_CHARS * 2:
        return None
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in query).split())
    if not text:
        return None

    def build(hit: _Hit | None, mode: str, details: dict[str, Any]) -> Match | None:
        hit = _constrain(gaz, hit, within)
        return None if hit is None else _build(gaz, query, hit, mode, details)

    # a. the whole query by exact name ("Mexico City", "West Bank", "Homs province")
    if whole:
        m = build(_match(gaz, text, country=country, near=near, exact_only=True), "plain", {})
        if m is not None:
            return m
    if _depth < 2:
        # b. "A, B" or "A (B)": B (a country, division or town) qualifies A
        bracket = BRACKETED.match(text)
        if bracket:
            head, sep, tail = bracket.group(1), "(", bracket.group(2)
        else:
            head, sep, tail = text.rpartition(",")
        if not sep:
            head, sep, tail = _country_suffix(gaz, text)
        if sep and head.strip() and tail.strip() and tail.strip() in _country_codes(gaz):
            # "Dallas, US", "Homs, SY": an ISO code qualifies as its country ("US" alone
            # is the English word, refused as a place)
            m = _geocode(gaz, head, tail.strip(), near, _depth + 1, within=within)
            if m is None or m.country_code != tail.strip():
                return None  # nothing of that name in that country: never one elsewhere
            return _new_match({**m.__dict__, "query": query})
        if sep and head.strip() and tail.strip():
            qual = _match(gaz, tail, country=country, near=near)
            if qual is not None and qual.score >= 95:
                is_country = int(gaz.frank[qual.row]) == FEATURE_RANK["country"]
                # every place or division the qualifier may name ("Al Jawf": Libya's town,
                # Yemen's governorate ...): the head must lie in one of them
                quals = [int(qual.row)] if is_country else [
                    int(r) for r in qual.ranked.tolist()
                    if int(gaz.frank[r]) != FEATURE_RANK["country"]
                ]  # fmt: skip
                q_ccs = {str(gaz.cc[r]) for r in quals}
                q_cc = q_ccs.pop() if len(q_ccs) == 1 else None
                q_near, q_within = near, within
                if not is_country:
                    if len(quals) == 1:
                        q_near = q_near or (float(gaz.lat[quals[0]]), float(gaz.lon[quals[0]]))
                    q_within = tuple(
                        (str(gaz.cc[r]), gaz.string("admin1_code", r),
                         float(gaz.lat[r]), float(gaz.lon[r]))
                        for r in quals
                    )  # fmt: skip
                    if within is not None:  # nested qualifiers: both apply
                        cols = [np.array(c, dtype=object) for c in zip(*q_within, strict=True)]
                        keep = _allowed(*cols, within=within).tolist()
                        q_within = tuple(w for w, k in zip(q_within, keep, strict=True) if k)
                m = _geocode(gaz, head, country or q_cc, q_near, _depth + 1, within=q_within)
                if m is not None and is_country and m.country_code != q_cc:
                    return None  # "Aleppo, Yemen": not Syria's Aleppo, nothing in Yemen
                if m is not None:
                    return _new_match({**m.__dict__, "query": query})
                if not is_country:
                    return None  # the qualifier is understood: nothing of that name in it
    # c. region phrases, offsets, "the", "town of", "X port" ...
    place, mode, details = parse(text)
    if mode == "region" and COUNTRYSIDE.search(light(text)):
        # "X countryside", "rural X": the governorate named "Rif X" when there is one
        hit = _match(gaz, f"rif {place}", country=country, near=near, admin=True, exact_only=True)
        if hit is not None and int(gaz.frank[hit.row]) == FEATURE_RANK["admin1"]:
            m = build(hit, "admin", details)
            if m is not None:
                return m
    if place != text or mode != "plain":
        hit = _constrain(gaz, _match(gaz, place, country=country, near=near, admin=(mode == "admin")), within)  # fmt: skip
        if (
            mode == "admin"
            and _SLAVIC_DIVISION.search(light(text))
            and (hit is None or int(gaz.frank[hit.row]) != FEATURE_RANK["admin1"])
        ):
            # "Kharkivska oblast", "Belgorodskaya oblast": the division named by an adjective
            stem_hit = _constrain(gaz, _division_by_adjective(gaz, place, country), within)
            if stem_hit is not None:
                return _build(gaz, query, stem_hit, "admin", details)
        if hit is not None:
            if mode == "admin" and int(gaz.frank[hit.row]) != FEATURE_RANK["admin1"]:
                if hit.level not in ("exact", "fold"):
                    # "Poltavska oblast" is no village Poltavka: a division word after a
                    # name only like a place's is not settled (abstain, not guess)
                    return None
                mode = "region"  # "X province" where X names no division: X, widened
            return _build(gaz, query, hit, mode, details)
    # d. the whole query by fold, skeleton and fuzzy match
    if not whole:
        return None
    return build(_match(gaz, text, country=country, near=near), "plain", {})


#: Adjectival endings of a division's name in Ukrainian, Russian and Belarusian
#: transliteration ("Kharkivs'ka", "Donetska", "Zaporizka", "Belgorodskaya", "Kurskiy"):
#: what is left is the start of the division's own name.
#: The division words after which a name is an adjective ("Kharkivska oblast"): the
#: rule is for the Slavic oblasts and krais only ("Ghouta province" is no adjective).
_SLAVIC_DIVISION = re.compile(r"\b(?:oblast|oblast'|oblasti|krai|kray)\b")
#: The countries whose first-level divisions are oblasts or krais (and so are named by
#: such adjectives): Ukraine, Russia, Belarus, Kazakhstan, Kyrgyzstan, Bulgaria.
_OBLAST_COUNTRIES = frozenset({"UA", "RU", "BY", "KZ", "KG", "BG"})

_ADJECTIVE_ENDINGS = (
    "skaya", "skaia", "skyi", "skiy", "skij", "skoy", "skoi", "ska", "ka", "aya", "aia", "a",
)  # fmt: skip


def _division_by_adjective(gaz: Gazetteer, place: str, country: str | None) -> _Hit | None:
    """The first-level division an adjective names, with "oblast" or "krai" after it
    ("Kharkivska oblast" is Kharkiv Oblast, not the village Kharkivka): a division of a
    country of oblasts (:data:`_OBLAST_COUNTRIES`) whose
    name starts with the adjective's stem (the stem as written, or as :func:`fold` spells
    it: "Kyivska" for "Kiev"), in ``country`` when given; the longest stem that fits
    decides, a division named exactly the stem first, then the only one, then the only
    one in the focus countries. None when the word is no such adjective, or the stem
    fits no division or several."""
    word = normalise(place).replace("'", "").replace(" ", "")
    if not word.isalpha() or len(word) < 5:
        return None

    def build() -> tuple[list[int], list[str], list[str]]:
        rows = np.flatnonzero(gaz.frank == FEATURE_RANK["admin1"]).tolist()
        names = gaz._col("name")
        plain = [normalise(str(names[r])).replace("'", "").replace(" ", "") for r in rows]
        return rows, plain, [fold(p) for p in plain]

    rows, plain, folded = gaz.cached("geocoder.admin1_name_stems", build)
    focus = set(_focus())
    stems = sorted(
        {
            word[: -len(e)]
            for e in _ADJECTIVE_ENDINGS
            if word.endswith(e) and len(word) - len(e) >= 3
        },
        key=len,
        reverse=True,
    )
    for stem in stems:
        f = fold(stem)
        found = [
            i
            for i in range(len(rows))
            # the stem is most of the name: "Zelenaya" is not Zelenikovo
            if (
                (plain[i].startswith(stem) and len(stem) >= 0.6 * len(plain[i]))
                or (folded[i].startswith(f) and len(f) >= 0.6 * len(folded[i]))
            )
            and str(gaz.cc[rows[i]]) in _OBLAST_COUNTRIES
            and (country is None or str(gaz.cc[rows[i]]) == country.upper())
        ]
        pick = [i for i in found if plain[i] == stem or folded[i] == f]
        if len(pick) != 1:
            pick = found if len(found) == 1 else [i for i in found if str(gaz.cc[rows[i]]) in focus]
        if len(pick) == 1:
            i = pick[0]
            score = 100.0 * len(stem) / max(len(plain[i]), len(word))
            return _Hit(rows[i], score, "fuzzy", place, np.array([rows[i]], dtype=np.int64), place)
        if found:
            return None  # the longest stem that fits names several: not decided
    return None


def division_by_adjective(gaz: Gazetteer, word: str, country: str | None = None) -> int | None:
    """The gazetteer row of the first-level division an adjective names when a division
    word follows it ("Kharkivska" before "oblast"), or None (see the geocoder's rule:
    the one division whose name starts with the adjective's stem)."""
    hit = _division_by_adjective(gaz, word, country)
    return None if hit is None else int(hit.row)


def _constrain(gaz: Gazetteer, hit: _Hit | None, within: Any) -> _Hit | None:
    """The hit with only the candidates a qualifier allows (None when none is left)."""
    if hit is None or within is None:
        return hit
    rows = _constrain_rows(gaz, hit.ranked, within)
    if not len(rows):
        return None
    if len(rows) == len(hit.ranked):
        return hit
    return _Hit(int(rows[0]), hit.score, hit.level, hit.matched, rows, hit.key)


def _constrain_rows(gaz: Gazetteer, rows: np.ndarray, within: Any) -> np.ndarray:
    """The rows :func:`_allowed` by a qualifier."""
    codes = np.array(gaz.strings_at("admin1_code", rows), dtype=object)
    return rows[_allowed(gaz.cc[rows], codes, gaz.lat[rows], gaz.lon[rows], within=within)]


def _allowed(cc: Any, a1: Any, lat: Any, lon: Any, *, within: Any) -> np.ndarray:
    """Mask of points in the first-level division of, or within :data:`QUALIFIER_KM` of,
    any qualifier place of ``within`` ((country, admin1 code, latitude, longitude))."""
    cc, a1 = np.asarray(cc, dtype=object), np.asarray(a1, dtype=object)
    ok = np.zeros(len(cc), dtype=bool)
    for w_cc, w_a1, w_lat, w_lon in within:
        near = _haversine_pairs(w_lat, w_lon, lat, lon) <= QUALIFIER_KM
        ok |= (cc == w_cc) & (near | ((a1 == w_a1) if w_a1 else False))
    return ok


def _country_words(gaz: Gazetteer) -> frozenset[str]:
    """Last words of country names (primary names of country rows)."""

    def build() -> frozenset[str]:
        rows = np.flatnonzero(gaz.frank == FEATURE_RANK["country"]).tolist()
        return frozenset(w for r in rows for w in normalise(gaz.name(r)).split()[-1:])

    return gaz.cached("geocoder.country_words", build)


def _country_codes(gaz: Gazetteer) -> frozenset[str]:
    """The ISO alpha-2 codes of the gazetteer's countries, upper case."""
    return gaz.cached(
        "geocoder.country_codes",
        lambda: frozenset(str(c) for c in gaz.cc[gaz.frank == FEATURE_RANK["country"]].tolist()),
    )


def _country_suffix(gaz: Gazetteer, text: str) -> tuple[str, str, str]:
    """Split "Tripoli Libya" into ("Tripoli", " ", "Libya") when the last words name a
    country; else ("", "", "")."""
    words = text.split()
    if len(words) < 2:
        return "", "", ""
    last = normalise(words[-1])
    if last not in _country_words(gaz):
        return "", "", ""
    for k in (1, 2, 3):
        if len(words) <= k:
            break
        tail = " ".join(words[-k:])
        rows, kinds = gaz.exact(normalise(tail))
        if len(rows) and (gaz.frank[rows] == FEATURE_RANK["country"]).any():
            return " ".join(words[:-k]), " ", tail
    return "", "", ""


def geocode(
    query: str,
    *,
    country: str | None = None,
    near: tuple[float, float] | None = None,
) -> Match | None:
    """Geocode one place name; None when nothing matches well enough.

    Parameters
    ----------
    query
        A place name in any common spelling or script, optionally a region phrase
        ("Homs province", "northern Hama", "20 km east of Homs").
    country
        ISO 3166-1 alpha-2 hint (e.g. "SY"): places in that country win ties, and a place
        in another country is not returned (countries excepted).
    near
        (latitude, longitude): nearer candidates win ties.

    Returns
    -------
    Match or None
    """
    gaz = load_gazetteer()
    cc = _clean_country(country)
    m = _geocode(gaz, query, cc, _clean_near(near))
    return m if m is None or _within_hint(m.country_code, m.precision, cc) else None


def _clean_near(near: Any) -> tuple[float, float] | None:
    if near is None:
        return None
    try:
        lat, lon = float(near[0]), float(near[1])
    except (TypeError, ValueError, IndexError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return None
    return lat, lon


_CACHE: dict[tuple[str, str | None], Match | None] = {}
_CACHE_MAX = 200_000
_CACHE_OWNER: Gazetteer | None = None


def _cache_for(gaz: Gazetteer) -> None:
    global _CACHE_OWNER
    if _CACHE_OWNER is not gaz:  # another gazetteer (import, other data dir): forget answers
        _CACHE.clear()
        _CACHE_OWNER = gaz


def geocode_many(
    queries: Iterable[str], *, country: str | None = None, cache: bool = True
) -> list[Match | None]:
    """Geocode many names; one result per query, in order (None where not found).

    Same answers as :func:`geocode` for each query. Distinct queries are looked up once;
    exact names are resolved in bulk (vectorised hash search, :func:`_bulk_exact`), the
    rest one by one. Answers are remembered across calls unless ``cache=False``.
    See :func:`geocode_frame` for the same answers as columns.
    """
    gaz = load_gazetteer()
    _cache_for(gaz)
    cc = _clean_country(country)
    qs = list(queries)
    answers: dict[str, Match | None] = {}
    todo: list[str] = []
    if cache:
        for q in qs:
            if isinstance(q, str) and q not in answers:
                if (q, cc) in _CACHE:
                    answers[q] = _CACHE[(q, cc)]
                else:
                    answers[q] = None
                    todo.append(q)
    else:
        todo = list(dict.fromkeys(q for q in qs if isinstance(q, str)))
    # Many small objects are created below; the cyclic collector would rescan the
    # gazetteer's Python objects again and again (they hold no cycles to collect).
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        batch = _bulk_exact(gaz, todo, cc)
        state = batch.state(len(todo))
        cols = {k: v.tolist() for k, v in batch.answer_columns(gaz).items()}
        alts = batch.alternatives(gaz)
        cols["candidates"] = batch.count.tolist()
        cols["ambiguity"] = batch.ambiguity_texts(gaz).tolist()
        for t, (q, s) in enumerate(zip(todo, state.tolist(), strict=True)):
            if s >= 0:
                m = _exact_match(q, cols, alts, s, batch.ukeys[batch.unit_of[t]])
            else:
                m = _geocode(gaz, q, cc, None, whole=s == _STATE_LEFT)
            if m is not None and not _within_hint(m.country_code, m.precision, cc):
                m = None
            answers[q] = m
            if cache:
                if len(_CACHE) >= _CACHE_MAX:
                    _CACHE.clear()
                _CACHE[(q, cc)] = m
    finally:
        if gc_was_on:
            gc.enable()
    return [answers[q] if isinstance(q, str) else None for q in qs]


#: Columns of :func:`geocode_frame`, in order.
FRAME_COLUMNS = (
    "query",
    "found",
    "name",
    "latitude",
    "longitude",
    "country_code",
    "admin1",
    "feature_code",
    "population",
    "gazetteer_id",
    "precision",
    "precision_km",
    "score",
    "matched_name",
    "candidates",
    "ambiguity",
)
_FRAME_FIELDS = FRAME_COLUMNS[2:]


def geocode_frame(queries: Iterable[Any], *, country: str | None = None):  # -> pd.DataFrame
    """Geocode many names into a table: one row per query, in input order.

    The same answers as :func:`geocode_many` (the same resolution code: exact names in
    bulk, the rest one by one), as columns ``FRAME_COLUMNS``: query, found, name, latitude,
    longitude, country_code, admin1, feature_code, population, gazetteer_id, precision,
    precision_km, score, matched_name (missing values where not found). No answer is
    remembered between calls, and exact names build no per-name Python objects.

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    gaz = load_gazetteer()
    cc = _clean_country(country)
    qs = list(queries)
    n = len(qs)
    qarr = np.empty(n, dtype=object)
    qarr[:] = qs
    is_str = np.fromiter(map(isinstance, qs, [str] * n), dtype=bool, count=n)
    codes = np.full(n, -1, dtype=np.int64)
    todo: list[str] = []
    if is_str.any():
        sc, uniq = pd.factorize(qarr[is_str])
        codes[is_str] = sc
        todo = uniq.tolist()
    nt = len(todo)
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        batch = _bulk_exact(gaz, todo, cc)
        state = batch.state(nt)
        cols = batch.answer_columns(gaz, raw=False)
        # the queries without an exact answer, one by one (as geocode_many does)
        slow_t = np.flatnonzero(state < 0)
        slow = [
            _geocode(gaz, todo[t], cc, None, whole=s == _STATE_LEFT)
            for t, s in zip(slow_t.tolist(), state[slow_t].tolist(), strict=True)
        ]
    finally:
        if gc_was_on:
            gc.enable()
    # answers table: the exact answers, then the one-by-one answers that were found
    n_ex = len(cols["name"])
    found_slow = [m for m in slow if m is not None]
    cols["score"] = np.full(n_ex, 100.0)
    answered = batch.slot >= 0  # per unit; its key is the matched name of its answer
    cols["matched_name"] = np.empty(n_ex, dtype=object)
    cols["matched_name"][batch.slot[answered]] = np.array(batch.ukeys, dtype=object)[answered]
    cols["candidates"] = batch.count.astype(np.int64)
    cols["ambiguity"] = batch.ambiguity_texts(gaz)
    if found_slow:
        for f in _FRAME_FIELDS:
            extra = np.empty(len(found_slow), dtype=cols[f].dtype)
            extra[:] = [getattr(m, f) for m in found_slow]
            cols[f] = np.concatenate([cols[f], extra])
    # per distinct query: index into the answers table, or -1
    ans_idx = np.where(state >= 0, state, -1)
    ans_idx[slow_t[[m is not None for m in slow]]] = n_ex + np.arange(len(found_slow))
    # per query (index nt: a non-string query)
    ai = np.append(ans_idx, -1)[np.where(codes >= 0, codes, nt)]
    found = ai >= 0
    na = n_ex + len(found_slow)
    if cc is not None and na:  # the hint is a filter (_within_hint), vectorised
        at = np.where(found, ai, 0)
        found &= (cols["country_code"][at] == cc) | (cols["precision"][at] == "country")
    take = np.where(found, ai, 0)
    out: dict[str, Any] = {"query": qarr, "found": found}
    for f in _FRAME_FIELDS:
        vals = cols[f]
        if vals.dtype.kind == "f":
            out[f] = np.where(found, vals[take], np.nan) if na else np.full(n, np.nan)
        elif vals.dtype.kind == "i":
            col = pd.array(vals[take] if na else np.zeros(n, np.int64), dtype="Int64")
            col[~found] = pd.NA
            out[f] = col
        else:
            col = vals[take] if na else np.empty(n, dtype=object)
            col[~found] = None
            out[f] = pd.Series(col, dtype=object, copy=False)
    return pd.DataFrame(out, columns=list(FRAME_COLUMNS))


# Per distinct query, what _bulk_exact found: >= 0 an exact answer (index into the
# answer arrays); _STATE_LEFT not looked up (one by one); _STATE_COMMON a common English
# word with no exact answer (whole-query matching gives nothing: only "A, B" and phrase
# parsing remain).
_STATE_LEFT = -1
_STATE_COMMON = -2


@dataclass
class _ExactBatch:
    """Intermediate arrays of the bulk exact path, shared by :func:`geocode_many` (Match
    objects) and :func:`geocode_frame` (columns).

    ``pos``: per looked-up query, its index in the batch's query list; ``unit``: its unit
    (a distinct (key, literal) pair); ``ukeys``/``ucommon``: per unit, the key and whether
    it is a common English word; ``slot``: per unit, its answer's index or -1; ``best``:
    per answer, the gazetteer row; ``rows``/``first``/``count``: the ranked candidate rows
    of every answered unit (``rows[first[j]]`` is ``best[j]``, ``count[j]`` of them).
    """

    pos: np.ndarray
    unit: np.ndarray
    ukeys: list[str]
    ucommon: np.ndarray
    slot: np.ndarray
    best: np.ndarray
    rows: np.ndarray
    first: np.ndarray
    count: np.ndarray
    unit_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def empty(cls) -> _ExactBatch:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, [], np.zeros(0, bool), z, z, z, z, z)

    def state(self, n: int) -> np.ndarray:
        """Per query of the batch (``n`` of them): answer index or a ``_STATE_*`` code."""
        st = np.full(n, _STATE_LEFT, dtype=np.int64)
        self.unit_of = np.zeros(n, dtype=np.int64)
        if len(self.pos):
            self.unit_of[self.pos] = self.unit
            s = self.slot[self.unit]
            s = np.where((s < 0) & self.ucommon[self.unit], _STATE_COMMON, s)
            st[self.pos] = s
        return st

    def answer_columns(self, gaz: Gazetteer, *, raw: bool = True) -> dict[str, np.ndarray]:
        """Per answer, the Match fields that depend on the row only (arrays; with
        ``raw`` also source, admin1_code and the unrounded precision_km)."""
        best = self.best
        franks = gaz.frank[best]
        a1n = np.array(gaz.strings_at("admin1", best), dtype=object)
        admin1 = np.where(a1n == "", None, a1n)
        need = np.flatnonzero((a1n == "") & (franks != FEATURE_RANK["country"]))
        a1c = np.array(gaz.strings_at("admin1_code", best if raw else best[need]), dtype=object)
        for i, c in zip(need.tolist(), (a1c[need] if raw else a1c).tolist(), strict=True):
            admin1[i] = _admin1_name(gaz, int(best[i]), "", c)
        admin1[franks == FEATURE_RANK["country"]] = None
        prec = gaz.prec[best]
        uprec, pinv = np.unique(prec, return_inverse=True)
        rounded = np.array([round(p, 3) for p in uprec.tolist()], dtype=np.float64)
        ufr, finv = np.unique(franks, return_inverse=True)
        precision = np.array(
            [_PRECISION_BY_RANK.get(f, "place") for f in ufr.tolist()], dtype=object
        )
        out = {
            "name": np.array(gaz.strings_at("name", best), dtype=object),
            "latitude": gaz.lat[best].astype(np.float64),
            "longitude": gaz.lon[best].astype(np.float64),
            "country_code": gaz.cc[best].astype(object),
            "admin1": admin1,
            "feature_code": gaz.fcode[best].astype(object),
            "population": gaz.pop[best].astype(np.int64),
            "gazetteer_id": np.array(gaz.strings_at("gazetteer_id", best), dtype=object),
            "precision": precision[finv.ravel()],
            "precision_km": rounded[pinv.ravel()],
        }
        if raw:
            out["base_precision_km"] = prec
            out["source"] = np.array(gaz.strings_at("source", best), dtype=object)
            out["admin1_code"] = a1c
        return out

    def ambiguity_texts(self, gaz: Gazetteer) -> np.ndarray:
        """Per answer, :func:`_ambiguity`'s sentence or None (object array)."""
        out = np.full(len(self.best), None, dtype=object)
        if len(self.best):
            keys = np.empty(len(self.best), dtype=object)
            answered = self.slot >= 0
            keys[self.slot[answered]] = np.array(self.ukeys, dtype=object)[answered]
            _, texts = _ambiguity(gaz, self.rows, self.first, self.count, keys.tolist())
            for j, text in texts.items():
                out[j] = text
        return out

    def alternatives(self, gaz: Gazetteer) -> list[list[str]]:
        """Per answer, the gazetteer ids of up to three runner-up candidates."""
        rows = self.rows
        alt_rows = [
            rows[f + 1 : f + min(c, 4)].tolist() if c > 1 else []
            for f, c in zip(self.first.tolist(), self.count.tolist(), strict=True)
        ]
        need = sorted({r for a in alt_rows for r in a})
        if not need:
            return [[] for _ in alt_rows]
        gid = dict(zip(need, gaz.strings_at("gazetteer_id", np.array(need, np.int64)), strict=True))  # fmt: skip
        return [[gid[r] for r in a] for a in alt_rows]


def _exact_match(
    q: str, cols: dict[str, list[Any]], alts: list[list[str]], j: int, key: str
) -> Match:
    """The Match of answer ``j`` of a bulk exact batch for query ``q``."""
    lat, lon = cols["latitude"][j], cols["longitude"][j]
    a1c = cols["admin1_code"][j]
    return _new_match(
        {
            "query": q,
            "name": cols["name"][j],
            "latitude": lat,
            "longitude": lon,
            "country_code": cols["country_code"][j],
            "admin1": cols["admin1"][j],
            "feature_code": cols["feature_code"][j],
            "population": cols["population"][j],
            "gazetteer_id": cols["gazetteer_id"][j],
            "precision": cols["precision"][j],
            "precision_km": cols["precision_km"][j],
            "score": 100.0,
            "matched_name": key,
            "candidates": cols["candidates"][j],
            "ambiguity": cols["ambiguity"][j],
            "raw": {
                "level": "exact",
                "mode": "plain",
                "source": cols["source"][j],
                "admin1_code": a1c or None,
                "base_latitude": lat,
                "base_longitude": lon,
                "base_precision_km": cols["base_precision_km"][j],
                "alternatives": alts[j],
            },
        }
    )


def _bulk_exact(gaz: Gazetteer, queries: list[str], country: str | None) -> _ExactBatch:
    """Find the queries that are exact names in bulk; queries left out (state
    ``_STATE_LEFT``) take the one-by-one path (phrases, variants, common words)."""
    from itertools import repeat
    from operator import contains

    n = len(queries)
    ok = np.fromiter(map(len, queries), dtype=np.int64, count=n) <= MAX_QUERY_CHARS
    ok &= ~np.fromiter(map(contains, queries, repeat(",")), dtype=bool, count=n)
    ok &= np.fromiter(map(str.isprintable, queries), dtype=bool, count=n)
    # acronyms ("SAA", "BEN") take the one-by-one path (their stricter rule)
    ok &= ~np.fromiter(map(_is_acronym, queries), dtype=bool, count=n)
    is_asc = np.fromiter(map(str.isascii, queries), dtype=bool, count=n)
    asc: list[int] = np.flatnonzero(ok & is_asc).tolist()
    other: list[int] = np.flatnonzero(ok & ~is_asc).tolist()
    keys = normalise_ascii_many([queries[i] for i in asc])
    lits: list[str | None] = [None] * len(asc)
    pos = asc
    if other:
        rest = [i for i in other if script(queries[i]) == "latin"]
        pos = asc + rest
        rq = [queries[i] for i in rest]
        keys += normalise_many(rq)
        lits += [q.strip() for q in rq]
    texts = [queries[i] for i in pos]
    return _bulk_exact_keys(gaz, texts, np.asarray(pos, dtype=np.int64), keys, lits, country)


_HAS_ALPHA = re.compile(r"[a-z]")


def _new_match(fields: dict[str, Any]) -> Match:
    """The one constructor of the geocoder's Matches (one place :func:`_build`, a bulk
    exact answer :func:`_exact_match`, a qualified answer): from a complete field dict,
    without the frozen dataclass's per-field ``__init__`` cost (the same object as
    ``Match(**fields)``)."""
    m = object.__new__(Match)
    object.__setattr__(m, "__dict__", fields)
    return m


def _key_flags(keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per key: refused (no token, no letter, only stopwords and articles) and common (the
    rarest non-article token has an English Zipf frequency >= COMMON_WORD_ZIPF); the
    tests of ``is_stopword`` and ``english_zipf``, over all tokens at once."""
    from itertools import repeat

    from geostrike.places.gazetteer import _english_table
    from geostrike.places.names import ARTICLES, STOPWORDS

    nk = len(keys)
    ntok = np.fromiter(map(len, map(str.split, keys)), dtype=np.int64, count=nk)
    alpha = np.fromiter(map(bool, map(_HAS_ALPHA.search, keys)), dtype=bool, count=nk)
    toks = " ".join(keys).split()
    art = np.fromiter(map(ARTICLES.__contains__, toks), dtype=bool, count=len(toks))
    stop = np.fromiter(map(STOPWORDS.__contains__, toks), dtype=bool, count=len(toks))
    zipf = np.fromiter(
        map(_english_table().get, toks, repeat(0.0)), dtype=np.float64, count=len(toks)
    )
    has = ntok > 0
    starts = (np.cumsum(ntok) - ntok)[has]
    all_stop = np.ones(nk, dtype=bool)
    min_zipf = np.full(nk, np.inf)
    if len(toks):
        all_stop[has] = np.logical_and.reduceat(stop | art, starts)
        min_zipf[has] = np.minimum.reduceat(np.where(art, np.inf, zipf), starts)
    bad = ~has | ~alpha | all_stop
    return bad, ~bad & (min_zipf >= COMMON_WORD_ZIPF)


def _bulk_exact_keys(
    gaz: Gazetteer,
    texts: list[str],
    pos: np.ndarray,
    all_keys: list[str],
    all_lits: list[str | None],
    country: str | None,
) -> _ExactBatch:
    """:func:`_bulk_exact` once the queries are normalised: hashes searched at once,
    candidates ranked at once (the same scores and order as :func:`_rank`). A unit of
    work is a distinct (key, literal) pair; the literal is the non-ASCII query itself.
    ``texts[i]`` is the query whose key is ``all_keys[i]``."""
    import hashlib

    import pandas as pd

    if not len(pos):
        return _ExactBatch.empty()
    # distinct (key, literal) units; common English words are kept (flagged)
    ustr = np.array(
        [k if lit is None else f"{k}\x00{lit}" for k, lit in zip(all_keys, all_lits, strict=True)]
        if any(lit is not None for lit in all_lits)
        else all_keys,
        dtype=object,
    )
    qunit, uniq = pd.factorize(ustr)
    ufirst = np.zeros(len(uniq), dtype=np.int64)
    ufirst[qunit[::-1]] = np.arange(len(qunit) - 1, -1, -1)
    ukeys_all = [all_keys[i] for i in ufirst.tolist()]
    ulits_all = [all_lits[i] for i in ufirst.tolist()]
    bad, common = _key_flags(ukeys_all)
    refused = _refused_aliases(gaz)
    bad |= np.fromiter(map(refused.__contains__, ukeys_all), dtype=bool, count=len(ukeys_all))
    if country:
        bad |= common
    keep = ~bad
    if not keep.any():
        return _ExactBatch.empty()
    renum = np.cumsum(keep) - 1
    qsel = keep[qunit]
    pos, qk = pos[qsel], renum[qunit[qsel]]
    kept = np.flatnonzero(keep).tolist()
    ukeys = [ukeys_all[i] for i in kept]
    ulits = [ulits_all[i] for i in kept]
    ucommon = common[keep]
    nk = len(ukeys)
    slot = np.full(nk, -1, dtype=np.int64)
    z = np.zeros(0, dtype=np.int64)
    nothing = _ExactBatch(pos, qk, ukeys, ucommon, slot, z, z, z, z)
    # the gazetteer's key hash (blake2b of "\x1f" + key), from a copy of the prefix state
    h0 = hashlib.blake2b(b"\x1f", digest_size=8)
    hashed = []
    for k in ukeys:
        h = h0.copy()
        h.update(k.encode())
        hashed.append(h.digest())
    digests = b"".join(hashed)
    hashes = np.frombuffer(digests, dtype="<u8").astype(np.uint64)
    # every (key, row, kind) candidate, in part order then index order
    g_l, r_l, k_l = [], [], []
    # searched in sorted order (neighbouring probes, far fewer cache misses)
    horder = np.argsort(hashes)
    shashes = hashes[horder]
    for off, p in zip(gaz.offsets[:-1].tolist(), gaz.parts, strict=False):
        lo = np.empty(nk, dtype=np.int64)
        hi = np.empty(nk, dtype=np.int64)
        lo[horder] = np.searchsorted(p.ex_h, shashes, "left")
        hi[horder] = np.searchsorted(p.ex_h, shashes, "right")
        cnt = hi - lo
        tot = int(cnt.sum())
        if not tot:
            continue
        grp = np.repeat(np.arange(nk), cnt)
        starts = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
        idx = starts + np.arange(tot)
        g_l.append(grp)
        r_l.append(np.asarray(p.ex_r[idx], dtype=np.int64) + off)
        k_l.append(np.asarray(p.ex_k[idx]))
    if not g_l:
        return nothing
    grp, rows, kinds = np.concatenate(g_l), np.concatenate(r_l), np.concatenate(k_l)
    if not country:
        # alternate names of small foreign places are dropped (:func:`_alt_ok`, per key)
        ok = _ranking.alt_ok(gaz, rows, kinds, _focus(), grp, nk)
        grp, rows, kinds = grp[ok], rows[ok], kinds[ok]
        if not len(grp):
            return nothing
    weak_e = kinds == KIND_WEAK
    if ucommon.any() and weak_e.any():
        # a common word that is a populous division's bare name ("Alberta") is looked up
        # whole, one by one, like any other query (not as a common word without answer)
        named = np.zeros(nk, dtype=bool)
        named[grp[weak_e & _ranking.named_division(gaz, rows)]] = True
        for k in np.flatnonzero(named & ucommon).tolist():
            ucommon[k] = _ranking.generic_name(ukeys[k])
    has_strong = np.zeros(nk, dtype=bool)
    has_strong[grp[~weak_e]] = True
    if country:
        # with a hint, keys with a weak entry (a division's bare name): one by one
        ok = has_strong.copy()
        ok[grp[weak_e]] = False
        sel = ok[grp] & (gaz.cc[rows] == country)
    else:
        # keys that are only a division's bare name: one by one; a common word keeps
        # only prominent, non-weak candidates (:func:`_accept_common`)
        sel = has_strong[grp]
        com = ucommon[grp]
        if com.any():
            acc = _ranking.accept_common(gaz, rows, kinds)
            # the same rule as one query's (:func:`_match_in`) for a division's bare name
            generic = np.zeros(nk, dtype=bool)
            for k in np.flatnonzero(ucommon).tolist():
                generic[k] = _ranking.generic_name(ukeys[k])
            named = _ranking.named_division(gaz, rows) & ~generic[grp]
            sel &= ~com | (acc & (~weak_e | named))
    grp, rows, weak_e = grp[sel], rows[sel], weak_e[sel]
    if not len(grp):
        return nothing
    # distinct rows per key, in (key, row) order (np.unique in _rank); a row is weak
    # when any of its entries is
    n_rows = len(gaz)
    pair, inv = np.unique(grp * n_rows + rows, return_inverse=True)
    weak_r = np.zeros(len(pair), dtype=bool)
    weak_r[inv.ravel()[weak_e]] = True
    grp, rows = pair // n_rows, pair % n_rows
    cnt = np.bincount(grp, minlength=nk)
    multi = cnt[grp] > 1
    if multi.any():
        # keys with one candidate take it as it is; the others are ranked
        mg, mr = grp[multi], rows[multi]
        from rapidfuzz.fuzz import ratio

        ur, rinv = np.unique(mr, return_inverse=True)
        raw_names = gaz.strings_at("name", ur)
        # a name that is one of the queries has that query's key already
        known = dict(zip(texts, all_keys, strict=True))
        unames = [known.get(nm) for nm in raw_names]
        left = [i for i, k in enumerate(unames) if k is None]
        for i, k in zip(left, normalise_many([raw_names[i] for i in left]), strict=True):
            unames[i] = k
        mnames = [unames[i] for i in rinv.ravel().tolist()]
        sims = np.fromiter(
            map(ratio, [ukeys[g] for g in mg.tolist()], mnames), dtype=np.float64, count=len(mg)
        )
        # the literal bonus: only pairs of a non-ASCII query (a unit with a literal)
        is_lit = np.fromiter((lit is not None for lit in ulits), dtype=bool, count=nk)
        lp = np.flatnonzero(is_lit[mg])
        if len(lp):
            nfc = unicodedata.normalize
            hit_lit = np.zeros(len(mg), dtype=bool)
            hit_lit[lp] = [
                nfc("NFC", raw_names[ri]).casefold() == nfc("NFC", ulits[g]).casefold()
                for g, ri in zip(mg[lp].tolist(), rinv.ravel()[lp].tolist(), strict=True)
            ]
        else:
            hit_lit = None
        # with a hint every candidate is in the hinted country (filtered above)
        sc = _ranking.scores(
            gaz, mr, similarity=sims, literal=hit_lit, country=country,
            focus=() if country else _focus(), weak=None if country else weak_r[multi],
        )  # fmt: skip
        order = _ranking.ranked_groups(gaz, mg, mr, sc)
        mg, mr = mg[order], mr[order]
        grp = np.concatenate([grp[~multi], mg])
        rows = np.concatenate([rows[~multi], mr])
        order = np.argsort(grp, kind="stable")
        grp, rows = grp[order], rows[order]
    # first row of each key is the answer; the next three are the alternatives
    first = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]])
    kg = grp[first]
    slot[kg] = np.arange(len(kg))
    return _ExactBatch(pos, qk, ukeys, ucommon, slot, rows[first], rows, first, cnt[kg])


def alternatives(match: Match) -> list[dict[str, Any]]:
    """The runner-up candidates of a match (``raw['alternatives']``), described: name,
    admin1, country_code, latitude, longitude, feature_code, gazetteer_id and distance_km
    from the answer (geodesic)."""
    gaz = load_gazetteer()
    ids = (match.raw or {}).get("alternatives") or []
    rows = [r for r in (gaz.row_by_id(g) for g in ids) if r is not None]
    if not rows:
        return []
    from geostrike.geodesy import geodesic_km

    ra = np.array(rows, dtype=np.int64)
    km = geodesic_km(
        np.full(len(ra), match.latitude), np.full(len(ra), match.longitude),
        gaz.lat[ra], gaz.lon[ra],
    )  # fmt: skip
    out = []
    for r, d in zip(rows, km.tolist(), strict=True):
        name, gid, a1_name, a1_code = gaz.strings_of(r, ("name", "gazetteer_id", "admin1", "admin1_code"))  # fmt: skip
        out.append(
            {
                "name": name,
                "admin1": _admin1_name(gaz, r, a1_name, a1_code),
                "country_code": str(gaz.cc[r]),
                "latitude": float(gaz.lat[r]),
                "longitude": float(gaz.lon[r]),
                "feature_code": str(gaz.fcode[r]),
                "gazetteer_id": gid,
                "distance_km": round(float(d), 1),
            }
        )
    return out


#: A country is part of the zones' context when it holds at least this share of their area.
CONTEXT_MIN_SHARE = 0.01


def zone_countries(geoms: Any, *, min_share: float = CONTEXT_MIN_SHARE) -> tuple[str, ...]:
    """ISO alpha-2 codes of the countries control zones cover, most covered first.

    The default geocoding context of ``check``, ``map`` and ``export``: the countries
    whose Natural Earth 1:50m outline (:mod:`geostrike.places.outlines`) holds at least
    ``min_share`` of the zones' area (a zone spilling a few km over a border does not
    bring the neighbour in). Empty when the outlines are not installed or there are no
    polygons.
    """
    import shapely

    try:
        from geostrike.places.outlines import countries

        world = countries("50m")
    except Exception:  # noqa: BLE001 - outlines not installed: no context
        return ()
    g = np.asarray(geoms, dtype=object)
    g = g[~(shapely.is_empty(g) | shapely.is_missing(g))] if len(g) else g
    if not len(g):
        return ()
    union = shapely.union_all(shapely.make_valid(g))
    if union.is_empty or union.area == 0:
        return ()
    idx = world.sindex.query(union, predicate="intersects")
    codes = world["iso_a2"].to_numpy(dtype=object)[idx]
    share = shapely.area(shapely.intersection(world.geometry.to_numpy()[idx], union)) / union.area
    order = np.argsort(-share, kind="stable")
    keep = [str(codes[i]) for i in order.tolist() if share[i] >= min_share and codes[i]]
    return tuple(dict.fromkeys(keep))


def reverse(lat: float, lon: float) -> Match | None:
    """The nearest populated place to a point, as a Match (raw['distance_km'] set)."""
    near = _clean_near((lat, lon))
    if near is None:
        return None
    gaz = load_gazetteer()
    row = gaz.nearest(near[0], near[1])
    if row is None:
        return None
    d = float(_haversine_pairs(near[0], near[1], gaz.lat[[row]], gaz.lon[[row]])[0])
    hit = _Hit(row, 100.0, "reverse", normalise(gaz.name(row)), np.array([row]))
    m = _build(gaz, f"{near[0]}, {near[1]}", hit, "plain", {})
    m.raw["distance_km"] = round(d, 3)
    return m


# --------------------------------------------------------------------------- geopy
def _make_local_geocoder() -> type:
    from geopy.geocoders.base import Geocoder
    from geopy.location import Location
    from geopy.point import Point

    class LocalGeocoder(Geocoder):
        """geopy ``Geocoder`` answering from the local gazetteer, offline.

        ``geocode(query, exactly_one=True, country_codes=None)`` returns a geopy
        ``Location`` whose ``raw`` is the full :class:`Match` as a dict (a list of up to
        ``limit`` candidates when ``exactly_one=False``); ``reverse((lat, lon))`` returns
        the nearest populated place.
        """

        def __init__(self, *, country: str | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.country = country

        @staticmethod
        def _location(m: Match) -> Location:
            parts = [m.name, m.admin1 or "", m.country_code]
            address = ", ".join(p for p in parts if p)
            return Location(address, Point(m.latitude, m.longitude), m.to_dict())

        def geocode(
            self,
            query: str,
            *,
            exactly_one: bool = True,
            country_codes: str | Sequence[str] | None = None,
            limit: int = 5,
            timeout: Any = None,
            **_: Any,
        ):
            if isinstance(query, dict):
                query = " ".join(str(v) for v in query.values())
            cc = country_codes
            if isinstance(cc, list | tuple):
                cc = cc[0] if cc else None
            cc = cc or self.country
            m = geocode(query, country=cc)
            if m is None:
                return None
            if exactly_one:
                return self._location(m)
            out = [self._location(m)]
            gaz = load_gazetteer()
            for gid in m.raw.get("alternatives", [])[: max(0, limit - 1)]:
                r = gaz.row_by_id(gid)
                if r is None:
                    continue
                hit = _Hit(r, m.score, m.raw["level"], m.matched_name, np.array([r]))
                out.append(self._location(_build(gaz, query, hit, "plain", {})))
            return out

        def reverse(self, query: Any, *, exactly_one: bool = True, timeout: Any = None, **_: Any):
            if isinstance(query, str):
                p = Point(query)
                lat, lon = p.latitude, p.longitude
            elif isinstance(query, Point):
                lat, lon = query.latitude, query.longitude
            else:
                lat, lon = float(query[0]), float(query[1])
            m = reverse(lat, lon)
            if m is None:
                return None
            loc = self._location(m)
            return loc if exactly_one else [loc]

    return LocalGeocoder


_LAZY: dict[str, type] = {}


def __getattr__(name: str) -> Any:
    if name == "LocalGeocoder":
        if name not in _LAZY:
            _LAZY[name] = _make_local_geocoder()
        return _LAZY[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Place mentions resolved to gazetteer rows in the context of their document.

Data: the gazetteer (:mod:`geostrike.places.gazetteer`, through the mentions' view of it,
:class:`geostrike.text.mentions.PlaceIndex`). Phrases ("northern Homs", "20 km east of
Homs", "Homs province") are read by the geocoder's parser, :mod:`geostrike.places.phrases`,
and their precision follows its rules (:func:`geostrike.places.phrases.apply`), so a phrase
means the same by ``geocode()`` and by ``extract()``.

Each mention's candidates are scored by a prior (feature class: country, first-level
division, capital; population; primary name rather than an alternate name; the phrase's
mode), then by the document: the focus countries (shares of the countries named by the
*other* mentions, weighted by how sure each is), an explicit ``country`` hint, linking
phrases ("X, Syria", "X in Aleppo") and the first-level divisions of the other mentions.
A population gap of two orders of magnitude outweighs the focus, so "Baghdad" in a report
about Syria stays Iraq's capital.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from functools import lru_cache
from typing import Any

import numpy as np

from geostrike.places import rank as _rank
from geostrike.places.gazetteer import KIND_WEAK
from geostrike.places.names import fold, normalise
from geostrike.places.phrases import apply as apply_phrase
from geostrike.places.phrases import parse
from geostrike.text.mentions import REGION_FCODES, REGION_NAMES, PlaceIndex, PlaceMention, _strong

__all__ = ["resolve", "coordinates", "phrase_mode"]


@lru_cache(maxsize=4096)
def _parsed(phrase: str) -> tuple[str, dict[str, Any]]:
    _place, mode, details = parse(phrase)
    return mode, details


def phrase_mode(m: PlaceMention, idx: PlaceIndex | None = None) -> tuple[str, dict[str, Any]]:
    """The mention's phrase as the geocoder reads it: (mode, details).

    As in :func:`geostrike.places.geocoder.geocode`, a whole phrase that is a division's
    name ("Luhansk region", "Homs province") is that division (``admin``); else
    :func:`geostrike.places.phrases.parse` reads it. "Province of X" (an admin word the
    phrase leaves out) is ``admin`` too.
    """
    return _mode_of(m.phrase, m.text, m.admin_word, idx)


@lru_cache(maxsize=1 << 14)
def _mode_of(
    phrase: str, text: str, admin_word: bool, idx: PlaceIndex | None
) -> tuple[str, dict[str, Any]]:
    if phrase == text:  # the name alone ("East Jerusalem" is a name, not a region)
        return ("admin" if admin_word else "plain"), {}
    mode, details = _parsed(phrase)
    if mode in ("region", "admin") and idx is not None:
        rows, _kinds = idx.lookup(normalise(phrase))
        if len(rows) and idx.is_admin1[rows].any():
            return "admin", details
    if mode == "plain" and admin_word:
        mode = "admin"
    return mode, details


_FC_BONUS = {
    "CONT": 3.0,
    "STRT": 3.0,
    "SEA": 8.0,  # "the Red Sea" is the sea, not Sudan's Red Sea state
    "PEN": 3.0,
    "OCN": 8.0,  # "the Atlantic" is the ocean, not Atlantic, Iowa (whatever the focus)
    "GULF": 3.0,
    "RGN": 8.0,  # "the EU" is the union, not the Eu in Normandy
    "ADM1": 1.0,
    "PPLC": 1.5,
    "PPLA": 1.0,
    "PPLA2": 0.5,
    "PPLA3": 0.2,
}
FOCUS_WEIGHT = 4.0
HINT_WEIGHT = 4.0
DOMINANT = 1.0
DIVISION_FOCUS = 2.5
MIN_SCORE = 4.3
#: A mention of far-apart namesakes that the document does not settle scores at most this.
AMBIGUOUS_MAX_SCORE = 50.0


# Words around a name that make it a first-level division, as a division word does:
# "New York Gov. Cuomo", "upstate New York".
_DIVISION_AFTER = re.compile(
    r"^\s+(?:Gov\b\.?|Governor\b|Lt\.? Gov|Legislature\b|Attorney General\b|state\b)"
)
_DIVISION_BEFORE = re.compile(r"\b(?:upstate|downstate)\s+$", re.IGNORECASE)
_DIVISION_WORDS = re.compile(
    r"Gov\b|Governor|Legislature|Attorney General|state\b|(?i:upstate|downstate)"
)


def _division_cue(m: PlaceMention, text: str) -> bool:
    """Whether the words around the mention name a division ("upstate X", "X Gov.")."""
    return bool(
        _DIVISION_AFTER.match(text[m.phrase_end : m.phrase_end + 40])
        or _DIVISION_BEFORE.search(text[max(0, m.phrase_start - 20) : m.phrase_start])
    )


def _prior(m: PlaceMention, idx: PlaceIndex, division: bool = False) -> np.ndarray:
    """Score of each candidate without the document: the geocoder's (places.rank), the
    phrase's mode, name kind, demonym and cue; ``division``: the words around name a
    first-level division (:func:`_division_cue`)."""
    rows = m.candidates
    kinds = getattr(m, "kinds", np.zeros(len(rows), np.int8))
    fc = idx.fcode[rows]
    ccs = idx.cc[rows]
    mode = phrase_mode(m, idx)[0]
    # gazetteer rows: the geocoder's scorer (places.rank); the continents and regions the
    # mentions' view adds (rows from idx.n on): their own feature bonus
    base = np.log10(idx.pop[rows] + 10.0) + np.array([_FC_BONUS.get(f, 0.0) for f in fc])
    in_gaz = rows < idx.n
    names = [normalise(idx.names[r]) for r in rows.tolist()]
    if in_gaz.any():
        from rapidfuzz.fuzz import ratio

        sims = np.array([ratio(m.key, nm) for nm, g in zip(names, in_gaz, strict=True) if g])
        base[in_gaz] = _rank.scores(
            idx.gaz, rows[in_gaz], admin=mode == "admin" or division, similarity=sims,
            weak=kinds[in_gaz] == KIND_WEAK,
        )  # fmt: skip
    # primary names, bare division names and spelling variants of the primary name
    key_fold = fold(m.key)
    primary = np.array(
        [k in (0, 2) or fold(nm) == key_fold for nm, k in zip(names, kinds, strict=True)]
    )
    base = base + np.where(primary, 1.0, 0.0)
    is_adm = idx.is_admin1[rows]
    if is_adm.any():
        # the seat of a same-named division: "Homs" is the city unless the division is
        # more than ten times larger ("Quebec")
        adm_cc = set(ccs[is_adm].tolist())
        seat = np.array(
            [
                (not a) and str(c) in adm_cc and f.startswith("PPL")
                for a, c, f in zip(is_adm, ccs, fc, strict=True)
            ]
        )
        base = base + np.where(seat, 1.0, 0.0)
        if m.own_cue and phrase_mode(m, idx)[0] == "plain":
            # "met Trump in New York": right after a place cue, a division whose seat of the
            # same name is a city of a million or more stands back for it ("New York Gov.",
            # "upstate New York" keep the state); other countries' namesakes are untouched
            big_seat = {str(c) for c in ccs[seat & (idx.pop[rows] >= 1_000_000)]}
            if big_seat:
                drop = np.array(
                    [a and str(c) in big_seat for a, c in zip(is_adm, ccs, strict=True)]
                )
                base = base - np.where(drop, 3.0, 0.0)
    if m.demonym:
        base = base + 2.0
    if m.cue:
        base = base + 0.7
    return base


def _unambiguous(m: PlaceMention, idx: PlaceIndex) -> str | None:
    """The country of a mention whose sizeable candidates all lie in one country."""
    rows = m.candidates
    if m.demonym and len(rows):
        return str(idx.cc[rows[0]]) or None
    big = rows[(idx.pop[rows] >= 1000) | idx.is_country[rows] | idx.is_admin1[rows]]
    if not len(big):
        return None
    ccs = set(idx.cc[big].tolist())
    return str(next(iter(ccs))) if len(ccs) == 1 and "" not in ccs else None


def resolve(
    mentions: list[PlaceMention], idx: PlaceIndex, *, country: str | None = None, text: str = ""
) -> None:
    """Choose each mention's gazetteer row in the context of the document (in place).

    Two rounds: the focus countries are first taken from the mentions that are
    unambiguous (countries, demonyms, names found in one country only), then from every
    confidently resolved mention; divisions named in the text ("Ontario", "Ky.") and
    linking phrases ("X, Syria", "X in Idlib") pull candidates inside them.
    """
    if not mentions:
        return
    hint = country.upper() if country else None
    # mentions that look alike (same name, candidates and phrase features) score alike:
    # each score is computed once per signature (and link), so a document that repeats
    # a name thousands of times costs little more than one that names it once
    division = (
        [_division_cue(m, text) for m in mentions]
        if _DIVISION_WORDS.search(text)
        else [False] * len(mentions)
    )
    sigs = [(*_signature(m), d) for m, d in zip(mentions, division, strict=True)]
    prior_of: dict[tuple, np.ndarray] = {}
    for m, sg, d in zip(mentions, sigs, division, strict=True):
        if sg not in prior_of:
            prior_of[sg] = _prior(m, idx, d)
    priors = [prior_of[sg] for sg in sigs]
    weights: dict[str, float] = defaultdict(float)
    own: list[tuple[str, float]] = []  # each mention's own vote for the focus
    unamb: dict[tuple, str | None] = {}
    for m, sg in zip(mentions, sigs, strict=True):
        if sg not in unamb:
            unamb[sg] = _unambiguous(m, idx)
        cc = unamb[sg]
        own.append((cc or "", 1.0 if cc else 0.0))
        if cc:
            weights[cc] += 1.0
    links: dict[int, int] = {}
    # "X, Y" / "X in Y": the mention has a qualifier (whatever Y resolves to)
    linked = [
        n + 1 < len(mentions)
        and bool(_LINK.match(text[m.phrase_end : mentions[n + 1].phrase_start]))
        for n, m in enumerate(mentions)
    ]
    focus: dict[str, float] = {}
    admins: set[tuple[str, str]] = set()
    admin_w: dict[tuple[str, str], float] = defaultdict(float)
    scores: list[np.ndarray] = []
    for _round in range(2):
        total = sum(weights.values()) or 1.0
        focus = {cc: w / total for cc, w in weights.items()}
        admin_total = sum(admin_w.values()) or 1.0
        scores = []
        done: dict[tuple, tuple[np.ndarray, int]] = {}
        for n, (m, p) in enumerate(zip(mentions, priors, strict=True)):
            gk = (sigs[n], links.get(n))
            hit = done.get(gk)
            if hit is not None:
                scores.append(hit[0])
                m.row = hit[1]
                continue
            rows = m.candidates
            ccs = idx.cc[rows]
            share = np.array([focus.get(str(c), 0.0) for c in ccs])
            # the document's main country (three fifths of the weight or more) counts again: a
            # regional town there beats a same-named capital abroad ("Tripoli" in a story
            # about Baalbek), not a city a hundred times larger ("Baghdad" in a Syria report)
            popl = np.log10(idx.pop[rows] + 10.0)
            dominant = (share >= 0.6) & (popl >= popl.max() - 2.0)
            s = p + np.minimum(3.5, FOCUS_WEIGHT * share) + np.where(dominant, DOMINANT, 0.0)
            # a division named bare in a document about its country (by the *other*
            # mentions) is the division ("Quebec" in a Canadian story), not a namesake
            # elsewhere ("Gaza" alone stays the Palestinian city, not Mozambique's province);
            # a name with a qualifier ("Donetsk, Ukraine") is an address, not a division
            is_adm = idx.is_admin1[rows]
            if is_adm.any() and not linked[n]:
                oc, ow = own[n]
                rest = sum(weights.values()) - ow
                if rest > 0:
                    other = np.array(
                        [(weights.get(str(c), 0.0) - (ow if c == oc else 0.0)) / rest for c in ccs]
                    )
                    s = s + np.where(is_adm, DIVISION_FOCUS * other, 0.0)
            if hint:
                s = s + np.where(ccs == hint, HINT_WEIGHT, 0.0)
            if admins or admin_w:
                a1 = [idx.admin1[r] for r in rows]
                s = s + np.array(
                    [
                        (2.0 if (str(c), a) in admins else 0.0)
                        + 1.5 * admin_w.get((str(c), a), 0.0) / admin_total
                        for c, a in zip(ccs, a1, strict=True)
                    ]
                )
            y = links.get(n)
            if y is not None:
                inside = ccs == idx.cc[y]
                if idx.is_admin1[y]:
                    inside = inside & np.array([idx.admin1[r] == idx.admin1[y] for r in rows])
                s = s + np.where(inside, 4.0, -2.0)
            scores.append(s)
            m.row = int(rows[int(np.argmax(s))])
            done[gk] = (s, m.row)
        # what the first round teaches the second
        weights = defaultdict(float)
        admin_w = defaultdict(float)
        admins = set()
        own = []
        margins: dict[int, float] = {}
        for m, s in zip(mentions, scores, strict=True):
            r = m.row
            margin = margins.get(id(s))
            if margin is None:
                order = np.argsort(-s)
                margin = margins[id(s)] = (
                    float(s[order[0]] - s[order[1]]) if len(order) > 1 else 4.0
                )
            conf = 1.0 if m.demonym else min(1.0, max(0.0, margin / 2.0))
            c = str(idx.cc[r])
            own.append((c, conf if c else 0.0))
            if c:
                weights[c] += conf
            if idx.is_admin1[r]:
                admins.add((c, idx.admin1[r]))
            elif not idx.is_country[r] and idx.fcode[r] != "CONT" and conf >= 0.5:
                admin_w[(c, idx.admin1[r])] += 1.0
        links = {}
        for n in range(len(mentions) - 1):
            x, y = mentions[n], mentions[n + 1]
            if not _LINK.match(text[x.phrase_end : y.phrase_start]):
                continue
            if (idx.is_country[y.row] or idx.is_admin1[y.row]) and not (
                idx.is_country[x.row] or idx.is_admin1[x.row]
            ):
                links[n] = y.row
    tops: dict[int, tuple[int, float, float]] = {}
    unsettled: dict[int, bool] = {}
    # the countries each name was resolved in (other names settle a namesake there)
    doc_ccs: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        if m.row is not None:
            doc_ccs[m.key].add(str(idx.cc[m.row]))
    for m, s in zip(mentions, scores, strict=True):
        top2 = tops.get(id(s))
        if top2 is None:
            order = np.argsort(-s)
            best = int(order[0])
            b = float(s[best])
            top2 = tops[id(s)] = (best, b, float(s[order[1]]) if len(order) > 1 else b - 4.0)
        best, b, second = top2
        m.row = int(m.candidates[best])
        if phrase_mode(m, idx)[0] == "admin" and not idx.is_admin1[m.row]:
            # "Odesa region" when the division is indexed as "Odessa": the city's division
            adm = idx.admin1_row(str(idx.cc[m.row]), idx.admin1[m.row] or "")
            if adm is not None and fold(normalise(idx.admin1[m.row])) == fold(m.key):
                m.row = adm
        conf = 1.0 / (1.0 + math.exp(-(b - second)))
        m.confident = conf
        m.score = round(100.0 * conf * min(1.0, b / 8.0), 1)
        settled_in = {c for k, cs in doc_ccs.items() if k != m.key for c in cs} | {hint}
        if id(s) not in unsettled:
            unsettled[id(s)] = _unsettled(m, s, idx, best, settled_in)
        if unsettled[id(s)]:
            # far-apart namesakes the geocoder calls ambiguous, and nothing in the document
            # prefers this one: the answer is only the likelier (its score says so)
            m.score = min(m.score, AMBIGUOUS_MAX_SCORE)
        r = m.row
        m.precision = _precision(m, idx, r)
        c = str(idx.cc[r])
        in_focus = focus.get(c, 0.0) >= 0.2 or hint == c
        if m.adm2_word and not idx.is_admin1[r] and not (in_focus and (c, idx.admin1[r]) in admins):
            # "Metcalfe County": a second-level division the gazetteer lacks; a same-named
            # town elsewhere would be wrong
            m.row = None
            m.score = None
            m.keep = True
            continue
        top = max(focus, key=focus.__getitem__) if focus else None
        if m.fragment and c not in (top, hint) and not _strong(np.array([r]), idx):
            m.row = None  # a name's tail resolving abroad ("Maarat al-Numan" → Numan, Nigeria)
            m.score = None
            continue
        if m.key in REGION_NAMES and not (idx.is_country[r] or idx.is_admin1[r]):
            # "Middle East", "Far North": a region the gazetteer lacks; its namesake
            # village would be a confident wrong point, so the mention stays unresolved
            m.row = None
            m.score = None
            m.keep = True
            continue
        if b < MIN_SCORE and not m.demonym:
            m.row = None
            m.score = None
            continue
        # an alternate name of a small place abroad is more likely a word or a person
        kinds = getattr(m, "kinds", None)
        if kinds is not None and kinds[best] == 3 and not (in_focus and (m.cue or m.admin_word)):
            m.row = None  # a romanisation variant needs the document's country and a cue
            m.score = None
            continue
        if kinds is not None and not m.demonym and kinds[best] == 1:
            strong_r = bool(
                idx.is_country[r] or idx.is_admin1[r] or idx.fcode[r] == "CONT" or idx.pop[r] >= 1e6
            )
            p = float(idx.pop[r])
            if not (
                strong_r
                or p >= 100_000
                or (in_focus and p >= 5000)
                or (m.cue and in_focus and (p >= 1000 or p == 0))
            ):
                m.row = None
                m.score = None


def _unsettled(
    m: PlaceMention, s: np.ndarray, idx: PlaceIndex, best: int, settled_in: set[str]
) -> bool:
    """Whether mention ``m`` (scores ``s``, best candidate ``best``) names far-apart
    namesakes (:func:`geostrike.places.geocoder.ambiguity`, on the candidates in the order
    of ``s``) and nothing else in the document settles it: no other place named in the
    best candidate's country (``settled_in``: those countries, and the hint)."""
    rows = m.candidates
    if len(rows) < 2 or rows[best] >= idx.n or str(idx.cc[rows[best]]) in settled_in:
        return False
    from geostrike.places.geocoder import ambiguity

    order = np.argsort(-s, kind="stable")
    return ambiguity(rows[order[rows[order] < idx.n]], m.key) is not None


def _signature(m: PlaceMention) -> tuple:
    """What :func:`_prior` and the scores of :func:`resolve` depend on, besides links."""
    kinds = getattr(m, "kinds", None)
    return (
        m.key, m.candidates.tobytes(), None if kinds is None else kinds.tobytes(), m.demonym,
        m.admin_word, m.modifier, m.offset_km is None, m.cue, m.own_cue,
    )  # fmt: skip


# "X, Y", "X in Y", "X, in Y", "X near the Y" (the direction of "in northern Y" is in Y's phrase)
_LINK = re.compile(r"^(?:\s*,\s*|\s*,?\s*(?:in|near|outside)\s+(?:the\s+)?)$")


@lru_cache(maxsize=1 << 16)
def _located(
    idx: PlaceIndex, r: int, phrase: str, text: str, admin_word: bool
) -> tuple[float, float, str, float]:
    """(lat, lon, precision, precision_km) of row ``r`` read through a mention's phrase
    (remembered per row and phrase: a document names a place again and again)."""
    if idx.is_country[r]:
        base = "country"
    elif idx.fcode[r] == "CONT" or idx.fcode[r] in REGION_FCODES:
        base = "region"
    elif idx.is_admin1[r]:
        base = "admin1"
    else:
        base = "place"
    mode, details = _mode_of(phrase, text, admin_word, idx)
    if mode == "admin":
        mode = "region"  # "X province" where X is no division: X, widened (as geocode does)
    lat, lon, prec = float(idx.lat[r]), float(idx.lon[r]), float(idx.prec[r])
    return apply_phrase(lat, lon, base, prec, mode, details)


def _precision(m: PlaceMention, idx: PlaceIndex, r: int) -> str:
    """The precision of mention ``m`` resolved to row ``r``: the row's own (country,
    first-level division, region for continents and seas, else place) as the phrase
    changes it (:func:`geostrike.places.phrases.apply`)."""
    return _located(idx, int(r), m.phrase, m.text, m.admin_word)[2]


def coordinates(m: PlaceMention, idx: PlaceIndex) -> tuple[float, float, float]:
    """(lat, lon, precision_km) of a resolved mention: the row's point and radius as the
    phrase changes them (:func:`geostrike.places.phrases.apply`: region, facility, offset)."""
    lat, lon, _precision_, prec = _located(idx, int(m.row), m.phrase, m.text, m.admin_word)
    return lat, lon, prec

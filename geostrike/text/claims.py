"""From a news report to checkable claims: place, actor and date mentions, candidate claims.

``extract(text, date=..., country=...)`` reads a report (plain text, or HTML whose tags are
stripped) and returns an :class:`Extraction` with

* ``mentions``: every place, actor and date mention as a :class:`Mention`, with character
  offsets into the (prepared) text. Places are resolved against the local gazetteer in the
  context of the whole document (see :mod:`geostrike.text.mentions`); actors come from
  the actor table (:mod:`geostrike.inputs.actors`, see :mod:`geostrike.text.actors`); dates are
  absolute or relative to the report date (:mod:`geostrike.text.dates`).
* ``claims``: candidate claims as :class:`CandidateClaim` rows — sentences that link a
  striking actor and a strike verb ("struck", "air strikes", "bombed", "shelled", ...) to a
  place and/or a claimed target — merged per attacker into strike events, each with the
  sentence it came from and a confidence in [0, 1]. ``Extraction.claims_frame()`` gives
  them as a DataFrame with the claims-file columns (:data:`CLAIM_COLUMNS`), which
  ``geostrike check`` reads unchanged.

The confidence is 0.9 when the sentence itself names the attacker, the struck place and the
day; each doubt lowers it and is named in the candidate's ``notes`` ("uncertain: hedged
report, no date in the sentence (report date)"): conditional wording, an attacker read from
an earlier sentence or from an accusation, a generic name ("coalition") that no country of
the story settles, no place or only a country, a place before the verb, a date in a
quotation, hedged wording, a denial in the sentence. A strike its own subject denies or
negates ("the coalition denied it had hit the port") is no candidate: ``Extraction.notes``
says "denied or negated, not a claim". ``scripts/eval_claims.py`` measures what the
confidence means on labelled reports of several wars.

One module: the candidate rules (speakers, attackers, targets, places, dates, merging) read
the same sentence state and are tuned together against the labelled sets; split, each part
would need the others' internals.

No model is downloaded or needed: the finder is a gazetteer matcher with rules
(capitalisation, context words, person cues, organisation spans, document focus). All the
data comes from the package (actor table, demonyms) and the gazetteer (GeoNames).

Example
-------
>>> from geostrike import extract
>>> ex = extract("Russian jets struck northern Homs on Wednesday.", date="2015-10-01")
>>> [(m.kind, m.text) for m in ex.mentions]  # doctest: +SKIP
[('place', 'Russian'), ('actor', 'Russian jets'), ('place', 'Homs'), ('date', 'on Wednesday')]
>>> ex.claims[0].attacker, ex.claims[0].place, ex.claims[0].date  # doctest: +SKIP
('russia', 'northern Homs', '2015-09-30')
>>> ex.claims_frame().columns.tolist() == CLAIM_COLUMNS  # doctest: +SKIP
True
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from geostrike.errors import InputError
from geostrike.inputs.actors import ActorTable, load_actors, normalise_actor
from geostrike.inputs.claims import KNOWN_COLUMNS
from geostrike.places.names import normalise
from geostrike.text.actors import ActorMention, build_index, find_actors
from geostrike.text.dates import DateMention, find_dates, parse_report_date
from geostrike.text.mentions import (
    ABBREVIATIONS,
    FUNCTION_WORDS,
    REGION_FCODES,
    Context,
    PlaceMention,
    find_places,
    place_index,
    region_name_re,
    strip_possessive,
)
from geostrike.text.resolve import coordinates, resolve
from geostrike.text.tokens import prepare, sentences, tokenize

__all__ = ["extract", "Extraction", "Mention", "CandidateClaim", "CLAIM_COLUMNS"]

#: Columns of a claims file, in order (what ``-o CLAIMS.csv`` writes).
CLAIM_COLUMNS = [c for c in KNOWN_COLUMNS if c != "country"]  # the claims file's columns

#: Named organisations whose words are never places (besides the actor table's aliases).
ORGANISATIONS = [
    "Syrian Observatory for Human Rights", "Syrian Observatory", "National Coalition",
    "Syrian National Coalition", "Syrian National Council", "White Helmets",
    "Syrian Civil Defence", "Syrian Civil Defense", "Syrian Arab Red Crescent",
    "Syrian American Medical Society", "Human Rights Watch", "Amnesty International",
    "United Nations", "Security Council", "General Assembly", "Atlantic Council",
    "North Atlantic Treaty Organization", "Atlantic Fleet", "Virgin Atlantic",
    "Arab League", "African Union", "Red Cross", "Red Crescent", "Doctors Without Borders",
    "Medecins Sans Frontieres", "Associated Press", "White House", "State Department",
    "Foreign Office", "Foreign Ministry", "Defence Ministry", "Defense Ministry",
    "Interior Ministry", "Supreme Court", "High Court", "Local Coordination Committees",
    "Sham News Network", "Al Jazeera", "Al-Jazeera", "Al Arabiya", "Al-Arabiya",
    "Sky News", "Fox News", "New York Times", "Washington Post", "Wall Street Journal",
    "Financial Times", "Kyiv Independent", "Kyiv Post", "Moscow Times", "Hurriyet Daily News",
    "Daily Sabah", "Anadolu Agency", "Anadolu", "Interfax", "Tass", "TASS", "RIA Novosti",
    "Sputnik", "Xinhua", "Yonhap", "Reuters", "Agence France-Presse", "Institute for the Study of War",
    "Hezbollah", "Hizbollah", "Hamas", "Taliban", "Boko Haram", "Al-Shabaab", "al-Shabab",
    "Muslim Brotherhood", "Kurdistan Workers' Party", "Kurdistan Workers Party", "PKK",
    "NATO", "OPCW", "UNHCR", "UNICEF", "OCHA", "WHO", "World Health Organization",
    "World Food Programme", "Wagner Group", "Wagner", "Saudi Aramco", "Aramco",
]  # fmt: skip
_ORG_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(o) for o in sorted(ORGANISATIONS, key=len, reverse=True)) + r")\b"
)
# The media word after a name ("Saba news agency"); the name before it is read by
# _media_names over a bounded window, so the work stays linear in the text (a single
# regex with the name's words in it backtracks quadratically over "Abc-Abc-Abc-...").
_MEDIA_WORD = re.compile(
    r"(?<!\s)\s+(?:news\s+agency|news\s+channel|TV|television|radio|newspaper|daily)\b"
)
_MEDIA_NAME_WORD = re.compile(r"[\w'’-]+")
_MEDIA_WINDOW = 120  # characters before the media word searched for its name
_STRIKE = re.compile(
    r"\b(?:struck|strikes?|air[\s-]?strikes?|airstrikes?|air[\s-]?raids?|raids?|raided|"
    r"bomb(?:ed|ing|ings|s)?|bombard(?:ed|ing|ment|ments)?|hit|hitting|shell(?:ed|ing)|"
    r"target(?:ed|ing|s)?|launch(?:ed|es|ing)?|pound(?:ed|ing)|attack(?:ed|ing)?|"
    r"destroy(?:ed|ing|s)?|"
    # "fired rockets at Sderot", "fired a ballistic missile at Jizan"
    r"fir(?:ed|ing|es)\s+(?:[\w-]+\s+){0,3}?(?:rockets?|missiles?|shells?|mortars?|drones?|"
    r"projectiles?))\b",
    re.IGNORECASE,
)
_TARGET_CUE = re.compile(
    r"\b(?:target(?:ed|ing|s)?|against|hit(?:ting)?|struck|strikes? on|attacks? on|bomb(?:ed|ing)|"
    r"shell(?:ed|ing)|raided|pounded|destroyed|attacked|attacking|aimed at|directed at)\s+",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"\b(?:where|which|who|whom|while|but|although|though|after|before|when)\b|[;:,”\"»…]"
)
_SPEECH = re.compile(r"\b(?:told|tells|added|noted|wrote|warned|accused)\b", re.IGNORECASE)
_CLAIM_VERB = re.compile(
    r"\b(?:claim(?:ed|s)?|said|says|assert(?:ed|ion|s)?|announc(?:ed|es)|stat(?:ed|es)|"
    r"insist(?:ed|s)|report(?:ed|s)|confirm(?:ed|s)|declar(?:ed|es)|according\s+to)\b",
    re.IGNORECASE,
)
_MODAL = re.compile(
    r"\b(?:must|should|would|could|might|may|will|if|any|(?:had|has|have)\s+to|warn(?:ed|s)?|urg(?:ed|es)|"
    r"not object|would not|will not|vow(?:ed|s)?|threat(?:en|ened|ens)|pledg(?:ed|es)|"
    r"promis(?:ed|es)|plan(?:s|ned)?\s+to|intend(?:s|ed)?)\b",
    re.IGNORECASE,
)
# a strike verb negated or denied by its subject: "the coalition denied it had hit", "did
# not target", "never struck" -- a denial, never a claim
_DENIAL = re.compile(
    r"\b(?:not|never|denied|deny|denies|denying|rejected|rejects|refuted|dismissed)\b|n['’]t\b",
    re.IGNORECASE,
)
# a denial after the strike verb: "..., a claim the coalition denied"
_DISPUTED = re.compile(
    r"\b(?:denied|denies|deny|denying|rejected|refuted|disputed|dismissed)\b", re.IGNORECASE
)
# hedged reports: the writer does not vouch for who struck or whether it happened
_HEDGE = re.compile(
    r"\b(?:reportedly|allegedly|alleged|suspected|apparently|purportedly|presumably|"
    r"unconfirmed|unverified|possibly|probably|likely|(?:believed|thought|said|appeared|"
    r"appears|seemed|seems)\s+to\s+(?:have|be)|could\s+not\s+be\s+(?:independently\s+)?"
    r"verified|may\s+have|might\s+have|could\s+have)\b",
    re.IGNORECASE,
)
# a place before a source noun is where the source is, not what was struck ("the Gaza
# health ministry said", "Kharkiv's governor said", "Houthi-run Saba said")
_SOURCE_AFTER = re.compile(
    r"(?:['’]s)?\s+(?:(?:health|interior|defen[cs]e|regional|local|city|provincial|military|"
    r"civil)\s+)*(?:ministry|authorities|authority|officials?|governor|mayor|administration|"
    r"council|police|directorate|spokesman|spokeswoman|office|media\s+office)\b[^.;]{0,40}?"
    r"\b(?:said|says|say|reported|reports|told|stated|announced)\b",
    re.IGNORECASE,
)
_QUOTES = re.compile(r"[\"“”«»]")
# "the strikes", "the first air strikes": the strikes of an attacker named before
_ANAPHORIC = re.compile(
    r"\b(?:the|these|those)\s+(?:(?:first|initial|latest|new|recent|same)\s+)?"
    r"(?:air\s*)?$",
    re.IGNORECASE,
)
# "the first targets", "its targets": "targets" as a noun is no target cue
_NOUN_BEFORE = re.compile(
    r"\b(?:the|its|their|these|those|first|initial|main|military|legitimate)\s+$", re.IGNORECASE
)
_LOCATIVE_BEFORE = re.compile(r"\b(?:in|at|near|outside|inside|around)\s+(?:the\s+)?$")
# "They also struck Beryslav": the clause opens with a pronoun as the strike's subject
_PRONOUN_SUBJECT = re.compile(
    r"^\W*(?:(?:then|later|also|and|meanwhile|afterwards|subsequently)\W+)?(?:they|it)\s+"
    r"(?:[a-z]+\s+){0,2}$",
    re.IGNORECASE,
)
_INDEFINITE = re.compile(r"\b(?:an?|another|any|some|every|no)\s+$", re.IGNORECASE)
_PASSIVE_BY = re.compile(r"\bby\s+(?:the\s+)?$", re.IGNORECASE)
_PASSIVE_AUX = re.compile(r"\b(?:was|were|been|being|is|are)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
# the words between two coordinated actors ("Russian and Syrian", "Saudi, Emirati")
_COORDINATION = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+|&\s*)", re.IGNORECASE)


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Mention:
    """A place, actor or date mention.

    ``text``/``start``/``end`` are the mention as written and its character offsets in the
    prepared text. Places carry ``name`` (gazetteer name), ``latitude``, ``longitude``,
    ``country_code``, ``precision`` (country | admin1 | place | region | offset), ``score``
    (0–100) — all None when unresolved — plus ``phrase`` (with modifiers: "northern Homs"),
    ``admin1``, ``feature_code``, ``gazetteer_id`` and ``precision_km``. Actors carry
    ``actor`` (canonical id) and ``possessive``; dates carry ``date`` (ISO or None) and
    ``relative``.
    """

    kind: str
    text: str
    start: int
    end: int
    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    country_code: str | None = None
    precision: str | None = None
    score: float | None = None
    phrase: str | None = None
    admin1: str | None = None
    feature_code: str | None = None
    gazetteer_id: str | None = None
    precision_km: float | None = None
    actor: str | None = None
    possessive: bool | None = None
    date: str | None = None
    relative: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """The mention as a JSON-ready dict with the keys that belong to its kind."""
        d = asdict(self)
        base = {k: d[k] for k in ("kind", "text", "start", "end")}
        if self.kind == "place":
            keys = (
                "name", "latitude", "longitude", "country_code", "precision", "score",
                "phrase", "admin1", "feature_code", "gazetteer_id", "precision_km",
            )  # fmt: skip
        elif self.kind == "actor":
            keys = ("actor", "possessive")
        else:
            keys = ("date", "relative")
        base.update({k: d[k] for k in keys})
        return base


@dataclass
class CandidateClaim:
    """A candidate row of a claims file, with the sentence it came from and a confidence."""

    id: str
    date: str
    attacker: str
    claimant: str
    claimed_target: str
    target_place: str
    place: str
    latitude: float | None
    longitude: float | None
    precision: str
    source: str
    notes: str
    sentence: str
    confidence: float
    start: int = 0
    end: int = 0
    _place_rank: int = field(default=0, repr=False)
    _date_strength: int = field(default=0, repr=False)
    _country: str = field(default="", repr=False)
    _relative_date: bool = field(default=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The claims-file columns plus ``sentence`` and ``confidence``."""
        d = {c: getattr(self, c) for c in CLAIM_COLUMNS}
        d["sentence"] = self.sentence
        d["confidence"] = self.confidence
        return d


@dataclass
class Extraction:
    """What :func:`extract` found: ``mentions`` (text order) and candidate ``claims``.

    ``text`` is the prepared text the offsets refer to (HTML stripped when the input was
    HTML; ``notes`` then says so).
    """

    text: str
    mentions: list[Mention]
    claims: list[CandidateClaim]
    notes: list[str]
    date: dt.date | None = None
    country: str | None = None

    @property
    def places(self) -> list[Mention]:
        """Place mentions only."""
        return [m for m in self.mentions if m.kind == "place"]

    @property
    def actors(self) -> list[Mention]:
        """Actor mentions only."""
        return [m for m in self.mentions if m.kind == "actor"]

    @property
    def dates(self) -> list[Mention]:
        """Date mentions only."""
        return [m for m in self.mentions if m.kind == "date"]

    def claims_frame(self, *, extra: bool = False):
        """Candidate claims as a pandas DataFrame with :data:`CLAIM_COLUMNS`.

        With ``extra=True`` the ``sentence`` and ``confidence`` columns are appended.
        """
        import pandas as pd

        cols = CLAIM_COLUMNS + (["sentence", "confidence"] if extra else [])
        return pd.DataFrame([{c: r.to_dict()[c] for c in cols} for r in self.claims], columns=cols)


# --------------------------------------------------------------------------- main
def extract(
    text: str,
    *,
    date: str | dt.date | None = None,
    country: str | None = None,
    actors: ActorTable | None = None,
    source: str = "",
    path: str | None = None,
    min_confidence: float = 0.3,
) -> Extraction:
    """Find place, actor and date mentions in a report and propose candidate claims.

    Parameters
    ----------
    text
        The report: plain text, or HTML (tags are stripped; offsets then refer to the
        stripped text, see ``Extraction.text``).
    date
        The report's date (``YYYY-MM-DD``); relative dates ("on Wednesday", "yesterday")
        are resolved against it, and it is the fallback date of candidate claims.
    country
        ISO 3166-1 alpha-2 hint for the document's focus (e.g. ``"SY"``).
    actors
        Actor table (default: the built-in one).
    source
        Value of the ``source`` column of candidate claims (e.g. the file name).
    path
        File name used in error messages.
    min_confidence
        Candidate claims below this confidence (modal or negated sentences: "any air
        strikes must target ...") are left out.

    Returns
    -------
    Extraction
        ``mentions`` (list of :class:`Mention`) and ``claims`` (list of
        :class:`CandidateClaim`; ``claims_frame()`` for a DataFrame).

    Raises
    ------
    InputError
        Binary junk instead of text, a bad date or country code.
    """
    try:
        ref = parse_report_date(date)
    except ValueError:
        raise InputError(path, f"date {date!r} is not YYYY-MM-DD") from None
    if country is not None:
        country = str(country).strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise InputError(path, f"country {country!r} is not an ISO alpha-2 code such as SY")
    prepared, notes = prepare(text, path)
    table = actors or load_actors()
    if not prepared.strip():
        return Extraction(prepared, [], [], notes + ["empty text"], ref, country)

    tokens = tokenize(prepared)
    letters = [c for c in prepared[:20000] if c.isalpha()]
    all_caps = bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.85
    sents = sentences(prepared)
    sent_first: set[int] = set()
    for s, _ in sents:
        i = tokens.index_at(s)
        if i < len(tokens):
            sent_first.add(i)
    # also after an opening quote
    for i in range(1, len(tokens)):
        gap = prepared[tokens.ends[i - 1] : tokens.starts[i]]
        if any(q in gap for q in '"“‘«'):
            sent_first.add(i)

    actor_mentions = find_actors(prepared, tokens, _actor_index(table), all_caps=all_caps)
    actor_mentions = _corefer_generic(actor_mentions, table)
    # "an army of volunteers", "a coalition of charities": a generic word after an
    # indefinite article and before "of" names no particular force ("a coalition
    # spokesman" still speaks for one)
    actor_mentions = [
        a
        for a in actor_mentions
        if not (
            _generic_key(a.text) in _context_generics()
            and _INDEFINITE.search(prepared, max(0, a.start - 12), a.start)
            and prepared.startswith(" of ", a.end)
        )
    ]
    orgs = [m.span() for m in _ORG_RE.finditer(prepared)]
    if orgs:
        # "National Coalition" is an organisation, not the US-led coalition
        ostarts = [a for a, _ in orgs]
        # ... but "the Russian Defence Ministry" holds an actor around the organisation word
        # an actor that covers a whole organisation name ("PKK", "Hezbollah fighters")
        # stays an actor
        actor_mentions = [
            a
            for a in actor_mentions
            if _covers(_with_article(prepared, a.start), a.end, orgs, ostarts)
            or not _inside(a.start, a.end, orgs, ostarts)
        ]
    regions = [m.span() for m in region_name_re().finditer(prepared)]
    if regions:  # "Sea of Azov" is a sea, not the Azov regiment
        rstarts = [a for a, _ in regions]
        actor_mentions = [
            a for a in actor_mentions if not _inside(a.start, a.end, regions, rstarts)
        ]
    date_mentions = find_dates(prepared, ref)
    idx = place_index()

    blocked: list[tuple[int, int]] = []
    actor_places: dict[tuple[int, int], str] = {}
    for a in actor_mentions:
        base, _ = strip_possessive(a.text)
        key = normalise(base)
        if base in ABBREVIATIONS or key in idx.demonyms or _is_place_key(key, idx):
            actor_places[(a.start, a.end)] = a.actor_id
            continue
        first = tokens.index_at(a.start)
        fw = strip_possessive(tokens.words[first])[0] if first < len(tokens) else ""
        rest_lower = all(
            not tokens.words[t][:1].isupper() for t in range(first + 1, tokens.index_at(a.end))
        )
        if (
            fw in ABBREVIATIONS
            or normalise(fw) in idx.demonyms
            or _is_place_key(normalise(fw), idx)
        ) and rest_lower:
            if first + 1 < len(tokens) and tokens.starts[first + 1] < a.end:
                blocked.append((tokens.starts[first + 1], a.end))
            continue
        blocked.append((a.start, a.end))
    blocked.extend(orgs)
    for _start, end, words in _media_names(prepared):
        # "Saba news agency", "Al-Masirah TV": a media name, unless it is a demonym
        while words and words[0].lower() in FUNCTION_WORDS:
            words = words[1:]
        name = " ".join(words)
        if words and normalise(name) not in idx.demonyms and name not in ABBREVIATIONS:
            blocked.append((end - len(name), end))
    for d in date_mentions:
        blocked.append((d.start, d.end))
    blocked = _merge(blocked)
    lower_words = (
        Counter(w.lower() for w in tokens.words if w[:1].islower()) if not all_caps else Counter()
    )

    ctx = Context(prepared, tokens, all_caps, sent_first, blocked, actor_places, lower_words)
    places = find_places(ctx, idx)
    resolve(places, idx, country=country, text=prepared)
    places = [p for p in places if p.row is not None or p.keep]
    places = _drop_brand_namesakes(places, idx, country)
    actor_mentions = _in_country_context(actor_mentions, places, idx, country, table)

    mentions: list[Mention] = []
    for p in places:
        mentions.append(_place_mention(p, idx))
    for a in actor_mentions:
        mentions.append(
            Mention("actor", a.text, a.start, a.end, actor=a.actor_id, possessive=a.possessive)
        )
    for d in date_mentions:
        mentions.append(
            Mention(
                "date", d.text, d.start, d.end,
                date=d.value.isoformat() if d.value else None, relative=d.relative,
            )
        )  # fmt: skip
    order = {"place": 0, "actor": 1, "date": 2}
    mentions.sort(key=lambda m: (m.start, order[m.kind]))
    focus = _focus_country(places, idx, country)
    claims = _claims(
        prepared, sents, places, actor_mentions, date_mentions, ref, idx, source,
        focus=focus, table=table, notes=notes,
    )  # fmt: skip
    claims = [c for c in claims if c.confidence >= min_confidence]
    for n, c in enumerate(claims, start=1):
        c.id = f"extract-{n}"
    return Extraction(prepared, mentions, claims, notes, ref, country)


# --------------------------------------------------------------------------- helpers
_ACTOR_INDEX: dict[int, Any] = {}


def _actor_index(table: ActorTable):
    key = id(table)
    hit = _ACTOR_INDEX.get(key)
    if hit is None or hit[0] is not table:
        hit = (table, build_index(table))
        _ACTOR_INDEX.clear()
        _ACTOR_INDEX[key] = hit
    return hit[1]


_GENERIC_TAIL = {
    "forces", "force", "troops", "jets", "warplanes", "aircraft", "planes", "militants",
    "fighters", "army", "soldiers", "units", "loyalists", "militias", "militia", "side",
}  # fmt: skip


@lru_cache(maxsize=1)
def _context_table() -> dict[tuple[str, str], str]:
    """(country, generic name) -> actor id, from geostrike/data/actor_context.csv."""
    import csv
    from importlib import resources

    text = resources.files("geostrike.data").joinpath("actor_context.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {(r["country"], r["generic"]): r["actor"] for r in rows}


def _generic_key(text: str) -> str:
    words = normalise_actor(strip_possessive(text)[0]).split()
    while len(words) > 1 and words[-1] in _GENERIC_TAIL:
        words.pop()
    return " ".join(words)


@lru_cache(maxsize=1)
def _not_places() -> frozenset[str]:
    """Normalised names of brands, clubs and universities (geostrike/data/not_places.csv)."""
    import csv
    from importlib import resources

    text = resources.files("geostrike.data").joinpath("not_places.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return frozenset(normalise(r["name"]) for r in rows)


def _drop_brand_namesakes(places: list[PlaceMention], idx, hint: str | None) -> list[PlaceMention]:
    """Drop "Zara", "Notre Dame" and the like unless placed: right after a place cue and
    in the country of the document's other places (or of the country hint)."""
    names = _not_places()
    if not any(p.key in names for p in places):
        return places
    counts = Counter(str(idx.cc[p.row]) for p in places if p.key not in names and p.row is not None)
    focus = hint or (counts.most_common(1)[0][0] if counts else None)
    return [
        p
        for p in places
        if p.key not in names
        or (p.own_cue and p.row is not None and focus and str(idx.cc[p.row]) == focus)
    ]


def _focus_country(places: list[PlaceMention], idx, hint: str | None) -> str | None:
    """The country the document is about: the hint, else the country of every resolved
    place mention, or of two fifths or more of them (at least two); demonyms left out."""
    if hint:
        return hint
    # demonyms ("Saudi-led", "Russian") name who acts, not where the story is
    counts = Counter(
        str(idx.cc[p.row]) for p in places if p.row is not None and idx.cc[p.row] and not p.demonym
    )
    if not counts:
        return None
    cc, n = counts.most_common(1)[0]
    if len(counts) == 1:
        return cc  # every place named lies in one country
    return cc if n >= 2 and n / sum(counts.values()) >= 0.4 else None


def _in_country_context(
    mentions: list[ActorMention], places: list[PlaceMention], idx, hint: str | None, table
) -> list[ActorMention]:
    """Generic names ("coalition", "government forces", "al-Qaeda") read in the context of
    the document's country (:func:`_context_table`); explicit names are left alone."""
    from dataclasses import replace

    focus = _focus_country(places, idx, hint)
    if focus is None:
        return mentions
    ctx = _context_table()
    out = []
    for a in mentions:
        actor = ctx.get((focus, _generic_key(a.text)))
        if actor and actor in table.actors and not a.read_by:
            a = replace(a, actor_id=actor, read_by="context")
        out.append(a)
    return out


@lru_cache(maxsize=1)
def _context_generics() -> frozenset[str]:
    """Generic names whose meaning depends on the war (the ``generic`` column)."""
    return frozenset(g for _, g in _context_table())


def _context_dependent(a: ActorMention, focus: str | None, table: ActorTable | None) -> bool:
    """True for a generic name ("coalition", "government forces", "al-Qaeda") left at the
    actor table's default reading: no named coalition before it and no row of
    actor_context.csv for the story's country settles who it is."""
    if a.read_by:
        return False
    key = _generic_key(a.text)
    generic = key in _context_generics() or (
        table is not None and table.refused_because(a.text) is not None
    )
    return generic and (focus is None or (focus, key) not in _context_table())


def _doubts(doubts: list[str]) -> str:
    return f"uncertain: {', '.join(doubts)}" if doubts else ""


_GENERIC_COALITION = {"coalition", "coalition forces", "coalition aircraft", "coalition jets"}


def _corefer_generic(mentions: list[ActorMention], table: ActorTable) -> list[ActorMention]:
    """A bare "coalition" after "the Saudi-led coalition" is that coalition, not the US-led one."""
    from dataclasses import replace

    out: list[ActorMention] = []
    last: str | None = None
    for a in mentions:
        key = normalise_actor(a.text)
        if key in _GENERIC_COALITION and last:
            a = replace(a, actor_id=last, read_by="coreference")
        elif "coalition" in table.label(a.actor_id).lower() and key not in _GENERIC_COALITION:
            last = a.actor_id
        out.append(a)
    return out


def _media_names(text: str) -> list[tuple[int, int, list[str]]]:
    """Names before a media word: (start, end, words) for "Saba news agency", "Al-Masirah TV".

    Up to three capitalised words separated by whitespace, ending right before the media
    word. Each media word looks back over at most :data:`_MEDIA_WINDOW` characters, so the
    work is linear in the length of the text.
    """
    out: list[tuple[int, int, list[str]]] = []
    for m in _MEDIA_WORD.finditer(text):
        end = m.start()
        w0 = max(0, end - _MEDIA_WINDOW)
        # the last three whitespace-separated pieces before the media word, right to left
        pieces = text[w0:end].rsplit(None, 3)[-3:]
        picked: list[tuple[int, str]] = []
        pos = end
        for piece in reversed(pieces):
            start = pos - len(piece) if text.endswith(piece, 0, pos) else -1
            if start < 0 or not _MEDIA_NAME_WORD.fullmatch(piece):
                break
            if not piece[0].isupper() or not piece[0].isascii():
                break
            if start == w0 and w0 > 0 and _MEDIA_NAME_WORD.match(text[w0 - 1]):
                break  # cut by the window: a word longer than any name
            picked.append((start, piece))
            pos = start
            while pos > w0 and text[pos - 1].isspace():
                pos -= 1
        if picked:
            picked.reverse()
            out.append((picked[0][0], end, [w for _, w in picked]))
    return out


_LIST_AND = re.compile(r"\s*(?:,\s*)?(?:and|or)\s+$|\s*,\s*$")


def _listed(text: str, places: list[PlaceMention], n: int) -> bool:
    """True when place ``n`` is an item of a list of places ("A, B and C"), not a qualifier."""
    if n + 1 < len(places):
        gap = text[places[n].phrase_end : places[n + 1].phrase_start]
        if len(gap) < 8 and _LIST_AND.fullmatch(gap + " "):
            return True
    return False


def _is_place_key(key: str, idx) -> bool:
    """Country, division, continent or city of 100,000+ under this key."""
    if not key:
        return False
    rows, _ = idx.lookup(key)
    if not len(rows):
        return False
    return bool(
        idx.is_country[rows].any() or idx.is_admin1[rows].any() or (idx.pop[rows] >= 100_000).any()
    )


def _overlaps(s: int, e: int, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    from bisect import bisect_right

    i = bisect_right(starts, s) - 1
    return any(0 <= j < len(spans) and s < spans[j][1] and e > spans[j][0] for j in (i, i + 1))


def _clause_end(text: str, pos: int, end: int) -> int:
    """Offset of the next comma, semicolon or full stop after ``pos`` (``end`` if none within 80)."""
    m = re.compile(r"[,;.]").search(text, pos, min(end, pos + 80))
    return m.start() if m else end


_ARTICLE_BEFORE = re.compile(r"(?:^|(?<=\W))(?:al|el|ad|an|ar|as|ash|at|az)[-\s]$", re.IGNORECASE)


def _with_article(text: str, start: int) -> int:
    """Start of an actor mention with the Arabic article its match left out ("Al-Shabaab":
    the match starts at "Shabaab")."""
    m = _ARTICLE_BEFORE.search(text, max(0, start - 4), start)
    return m.start() if m else start


def _covers(s: int, e: int, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    """True when [s, e) holds a whole span of ``spans`` (sorted by start)."""
    from bisect import bisect_left

    i = bisect_left(starts, s)
    return i < len(spans) and spans[i][1] <= e


def _inside(s: int, e: int, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    """True when [s, e) overlaps a span and does not reach beyond its start."""
    from bisect import bisect_right

    i = bisect_right(starts, s) - 1
    return any(
        0 <= j < len(spans) and s < spans[j][1] and e > spans[j][0] and s >= spans[j][0]
        for j in (i, i + 1)
    )


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = sorted(s for s in spans if s[1] > s[0])
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _place_mention(p: PlaceMention, idx) -> Mention:
    if p.row is None:
        return Mention("place", p.text, p.start, p.end, phrase=p.phrase)
    lat, lon, prec = coordinates(p, idx)
    r = p.row
    return Mention(
        "place", p.text, p.start, p.end,
        name=idx.names[r], latitude=round(lat, 6), longitude=round(lon, 6),
        country_code=str(idx.cc[r]) or None, precision=p.precision, score=p.score,
        phrase=p.phrase, admin1=idx.admin1[r] or None, feature_code=str(idx.fcode[r]),
        gazetteer_id=idx.gids[r], precision_km=round(prec, 1),
    )  # fmt: skip


_DATELINE_HEAD = re.compile(r"(?:^|\n)[A-Z][A-Za-z .'’-]{1,40},(?:\s*[A-Z][A-Za-z .]{1,20},)?\s*$")
_DATELINE_TAIL = re.compile(r"\s*(?:\(\w[\w .]*\)\s*)?[-—–]")


_WITNESS_BEFORE = re.compile(
    r"\b(?:residents|witnesses|activists|officials|sources|people|medics|doctors|journalists)"
    r"\s+(?:in|of|from)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# the place of an official source: "the governor of Sumy", "officials in Aden"
_SOURCE_OF = re.compile(
    r"\b(?:(?:governor|mayor|authorities|officials?|spokes(?:man|woman|person))\s+(?:of|in|for)"
    r"|(?:head|administration)\s+of)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_SPEECH_AFTER = re.compile(r"\s*,?\s*(?:said|says|say|told|reported)\b")


def _witness_place(text: str, p: PlaceMention) -> bool:
    """True for the place of a source ("residents in Sanaa said"), not a struck place."""
    before = text[max(0, p.phrase_start - 40) : p.phrase_start]
    return bool(_WITNESS_BEFORE.search(before)) and bool(_SPEECH_AFTER.match(text, p.phrase_end))


def _dateline_place(text: str, p: PlaceMention) -> bool:
    """True for the place of a dateline ("SANAA, March 26 (Reuters) -"), in capitals at
    the start of a line."""
    name = text[p.start : p.end]
    return (
        (p.start == 0 or text[p.start - 1] == "\n")
        and name.isupper()
        and len(name) > 2
        and text[p.end : p.end + 1] == ","
    )


def _dateline_date(text: str, start: int, end: int) -> bool:
    """True for the date of a dateline ("SANAA, March 6 (Reuters) -"): the filing date,
    not the date of the events the story reports."""
    head = text[max(0, start - 60) : start]
    if not _DATELINE_HEAD.search(head if start - 60 > 0 else "\n" + head):
        return False
    return bool(_DATELINE_TAIL.match(text, end))


def _in_quote(text: str, sent_start: int, pos: int) -> bool:
    """True when ``pos`` lies inside quotation marks opened within its sentence."""
    seg = text[sent_start:pos]
    opens = seg.count("“") + seg.count("«")
    closes = seg.count("”") + seg.count("»")
    straight = seg.count('"')
    return opens > closes or straight % 2 == 1


def _claims(
    text: str,
    sents: list[tuple[int, int]],
    places: list[PlaceMention],
    actors: list[ActorMention],
    dates: list[DateMention],
    ref: dt.date | None,
    idx,
    source: str,
    *,
    focus: str | None = None,
    table: ActorTable | None = None,
    notes: list[str] | None = None,
) -> list[CandidateClaim]:
    """Candidate claims per sentence, then merged per attacker into strike events.

    In a sentence with a strike verb: the attacker is the nearest actor before the verb
    that is not the subject of a speech verb ("Iraqi forces said the strikes hit ..."
    makes Iraqi forces the claimant), or "by X" right after the verb, or — for "the
    strikes", "the raids" — the attacker of the previous candidate. The claimant is the
    actor that says or claims it; the claimed target an actor right after a target cue
    ("targeting", "against", "hit") within the clause; the places those named in the
    sentence (one candidate per town-level place after the verb).
    """
    from bisect import bisect_left, bisect_right

    start_lists: dict[int, list[int]] = {}

    def within(items, s, e):
        starts = start_lists.get(id(items))
        if starts is None:
            starts = start_lists[id(items)] = [x.start for x in items]
        i = bisect_left(starts, s)
        out = []
        while i < len(items) and items[i].start < e:
            out.append(items[i])
            i += 1
        return out

    cands: list[CandidateClaim] = []
    last_attacker: str | None = None
    # actors that are also place mentions ("Kyiv", "Russia"): after "in" they are places
    place_starts = {p.start for p in places if p.row is not None}
    all_starts = [a.start for a in actors]
    for s, e, ss, se in _clauses(text, sents):
        sent = text[s:e]
        verbs = list(_STRIKE.finditer(sent))
        if not verbs:
            continue
        acts = within(actors, s, e)
        a_starts = [a.start for a in acts]
        actor_starts = set(a_starts)
        a_ends = [a.end for a in acts]  # actors never overlap: ends are sorted too
        v = verbs[0]
        vpos = s + v.start()
        vend = s + v.end()
        # speakers: actors that say or claim something in this sentence
        speakers: list[ActorMention] = []
        for cm in _CLAIM_VERB.finditer(sent):
            cpos = s + cm.start()
            # the actors just before and just after the verb, by binary search
            i_prev = bisect_right(a_ends, cpos) - 1
            prev = acts[i_prev] if i_prev >= 0 and cpos - acts[i_prev].end <= 40 else None
            if prev is not None and not re.search(r"[.;,“”\"]", text[prev.end : cpos]):
                speakers.append(prev)
            elif re.search(r"\band\s+$", text[max(s, cpos - 6) : cpos]):
                # "Russia launched air strikes ... and claimed": the clause's subject
                if acts and acts[0].end <= cpos:
                    speakers.append(acts[0])
            cend = s + cm.end()
            i_next = bisect_left(a_starts, cend)
            nxt = acts[i_next : i_next + 1] if i_next < len(acts) else []
            # "..., said the Russian ministry": a speaker; "said Russian jets struck": the
            # subject of the reported clause, not its speaker
            nxt = [
                a
                for a in nxt
                if a.start - cend <= 25
                and not _STRIKE.search(text, a.end, min(e, a.end + 40, _clause_end(text, a.end, e)))
            ]
            verb = cm.group().lower()
            if (
                verb in ("said", "says", "reported", "stated") or verb.startswith("according")
            ) and nxt:
                speakers.append(nxt[0])
        for a in acts:
            if a.possessive and re.match(
                r"\s*(?:assertion|claim|claims|statement|account)\b", text[a.end : a.end + 15]
            ):
                speakers.append(a)
        speaker_ids = {id(a) for a in speakers}
        # attacker
        attacker_id: str | None = None
        attacker_span = (vpos, vpos)
        att_m: ActorMention | None = None
        anaphoric = bool(last_attacker) and bool(_ANAPHORIC.search(text[max(s, vpos - 40) : vpos]))
        if anaphoric:
            # "the first strikes began": the attacker named before, not a bystander
            attacker_id = last_attacker
        # "Aleppo was bombed by Russian jets": the subject is struck, the attacker follows
        passive = bool(_PASSIVE_AUX.search(text, max(s, vpos - 30), vpos)) and bool(
            re.match(r"\s+by\s", text[vend : vend + 5])
        )
        for a in reversed(acts[: bisect_right(a_ends, vpos)]):
            if anaphoric or passive:
                break
            seg = text[a.end : vpos]
            if len(seg) < 25 and re.search(r"\b(?:against|targeting|on|at)\b", seg, re.IGNORECASE):
                continue
            if _CLAIM_VERB.search(seg) or _SPEECH.search(seg):
                if id(a) in speaker_ids and re.search(
                    r"\b(?:it|they|its|their)\b", seg, re.IGNORECASE
                ):
                    attacker_id, attacker_span = a.actor_id, (a.start, a.end)  # "said it had hit"
                    att_m = a
                break  # "Iraqi forces said the strikes hit": a speaker, not the attacker
            attacker_id, attacker_span = a.actor_id, (a.start, a.end)
            att_m = a
            break
        # "Russian and Syrian warplanes pounded": every actor of the coordination attacks
        co_attackers: list[str] = []
        by_first = False  # "bombed by Russian and Syrian jets": the first named leads
        if attacker_id is not None and not anaphoric:
            j = bisect_left(a_starts, attacker_span[0])
            while 0 < j < len(acts):
                prev_a = acts[j - 1]
                if id(prev_a) in speaker_ids or not _COORDINATION.fullmatch(
                    text[prev_a.end : acts[j].start]
                ):
                    break
                if prev_a.actor_id != attacker_id and prev_a.actor_id not in co_attackers:
                    co_attackers.insert(0, prev_a.actor_id)
                attacker_span = (prev_a.start, attacker_span[1])
                j -= 1
        if attacker_id is None:
            i_by = bisect_left(a_starts, vend)
            while i_by < len(acts) and acts[i_by].start - vend <= 12:
                a = acts[i_by]
                if _PASSIVE_BY.search(text[vend : a.start]):
                    attacker_id, attacker_span = a.actor_id, (a.start, a.end)
                    att_m = a
                    # "bombed by Russian and Syrian jets": the coordinated actors too
                    by_first = True
                    n = i_by + 1
                    while n < len(acts) and _COORDINATION.fullmatch(
                        text[acts[n - 1].end : acts[n].start]
                    ):
                        if acts[n].actor_id != attacker_id and acts[n].actor_id not in co_attackers:
                            co_attackers.append(acts[n].actor_id)
                        attacker_span = (attacker_span[0], acts[n].end)
                        n += 1
                    break
                i_by += 1
        if (
            attacker_id is None
            and last_attacker
            and re.search(
                r"\b(?:the|these|those|its|their)\s+(?:air\s*)?(?:strikes|raids|attacks|bombings|jets|planes|warplanes|aircraft)\b",
                sent,
                re.IGNORECASE,
            )
        ):
            attacker_id = last_attacker  # "the strikes" of the previous sentences
            anaphoric = True
        if (
            attacker_id is None
            and last_attacker
            and not passive
            and _PRONOUN_SUBJECT.match(text[s:vpos])
            and not _PASSIVE_AUX.search(text, max(s, vpos - 30), vpos)
        ):
            attacker_id = last_attacker  # "Russian troops shelled Kherson. They also struck ..."
            anaphoric = True
        blamer: ActorMention | None = None
        blamed = False
        if attacker_id is None:
            # "An air strike hit Tripoli; the GNA blamed Haftar's forces": the accused
            hit = _blamed(text, actors, all_starts, max(ss, s - 200), min(se, e + 200))
            if hit is not None:
                att_m, blamer = hit
                attacker_id, attacker_span, blamed = att_m.actor_id, (att_m.start, att_m.end), True
        if attacker_id is None:
            continue
        # "the coalition denied it had hit the port", "did not target": a denial, not a claim
        pred_lo = attacker_span[1] if attacker_span[1] <= vpos else max(s, vpos - 25)
        if _DENIAL.search(text, pred_lo, vpos) and not _MODAL.search(text, pred_lo, vpos):
            if notes is not None:
                notes.append(f"denied or negated, not a claim: “{' '.join(sent.split())}”")
            continue
        # claimed target: an actor right after a target cue, within the clause
        target = None
        for tm in _TARGET_CUE.finditer(sent):
            if tm.group().lower().startswith("targets") and _NOUN_BEFORE.search(
                sent[max(0, tm.start() - 20) : tm.start()]
            ):
                continue  # "the first targets lie far from Islamic State ground"
            ts = s + tm.end()
            window_end = min(e, ts + 60)
            ce = _CLAUSE_END.search(text, ts, window_end)
            if ce:
                window_end = ce.start()
            i_t = bisect_left(a_starts, ts)
            while i_t < len(acts) and acts[i_t].start < window_end:
                a_t = acts[i_t]
                if a_t.start in place_starts and _LOCATIVE_BEFORE.search(
                    text, max(s, a_t.start - 12), a_t.start
                ):
                    i_t += 1  # "hitting energy facilities in Kyiv": where, not whom
                    continue
                if a_t.actor_id != attacker_id and a_t.actor_id not in co_attackers:
                    target = a_t
                    break
                i_t += 1
            if target:
                break
        # places of the sentence, ranked: 3 town or region, 2 division, 1 country or wide
        # region (a continent, an ocean), 0 demonym
        ranked = []
        for p in within(places, s, e):
            if p.row is None or (p.start < attacker_span[1] and p.end > attacker_span[0]):
                continue
            if any(p.start < a.end and p.end > a.start for a in speakers):
                continue  # "Ukraine's military said": the speaker, not the struck place
            if p.start < vpos and not passive and p.start in actor_starts:
                continue  # "Iran vowed to retaliate for the strike": an actor, not a place
            if _dateline_place(text, p):
                continue  # "SANAA, March 26 -": where the story was filed
            r = p.row
            pr = (
                1
                if idx.is_country[r] or _wide(r, idx)
                else 2
                if idx.is_admin1[r] and (not p.modifier or p.admin_word)
                else 3
            )
            if p.demonym:
                pr = 0
            ranked.append((pr, p))
        top = max((pr for pr, _ in ranked), default=0)
        chosen = [p for pr, p in ranked if pr == top and pr > 0]
        if top == 3:
            after = [p for p in chosen if p.start >= vpos]
            # "west of Mosul" locates another place; it is not struck itself
            after = [
                p
                for p in after
                if not re.search(
                    r"\b(?:north|south|east|west)\w*\s+of\s+$",
                    text[max(s, p.phrase_start - 20) : p.phrase_start],
                )
            ]
            # an attacker named in an earlier sentence ("the strikes") strikes what follows
            # the verb; places before it belong to another clause ("officials in Baghdad")
            if not after and not anaphoric:
                # "Jets bombed positions in Saada province": a division after the verb
                # rather than a town named before it
                later = [(pr, p) for pr, p in ranked if pr > 1 and p.start >= vpos]
                if later:
                    best = max(pr for pr, _ in later)
                    after = [p for pr, p in later if pr == best][:1]
            chosen = after or ([] if anaphoric else chosen[:1])
            # "residents in Sanaa said": where the witnesses are, not what was struck
            chosen = [p for p in chosen if not _witness_place(text, p)] or chosen[:0]
            # "according to the governor of Sumy": the source's place
            chosen = [
                p
                for p in chosen
                if not _SOURCE_OF.search(text, max(s, p.phrase_start - 40), p.phrase_start)
            ]
            # "..., the Gaza health ministry said": where the source is, not what was struck
            chosen = [
                p for p in chosen if p.start < vpos or not _SOURCE_AFTER.match(text, p.phrase_end)
            ]
            # "Talbiseh in northern Homs", "Jisr al-Shughour in Idlib": the second locates the first
            # but "Talbiseh, Rastan and Zaafaraniyah" is a list of struck towns
            chosen = [
                p
                for n, p in enumerate(chosen)
                if not (
                    n
                    and re.fullmatch(
                        r"\s*(?:,|in|near|outside|,\s*in)\s*(?:the\s+)?",
                        text[chosen[n - 1].phrase_end : p.phrase_start],
                    )
                    and not _listed(text, chosen, n)
                )
            ]
        else:
            chosen = [p for p in chosen if p.start >= vpos] if anaphoric else chosen
            chosen = chosen[:1]
        # "shelled eastern Rafah ... seized the Rafah crossing": one place, named first
        seen_rows: set[int] = set()
        chosen = [p for p in chosen if not (p.row in seen_rows or seen_rows.add(p.row))]
        if not chosen and target is None:
            continue
        before_verb = bool(chosen) and all(p.start < vpos for p in chosen)
        # date: first date of the sentence, else the report date
        date_val, strength, relative = "", 0, False
        for d in within(dates, s, e):
            if d.value is not None and not _dateline_date(text, d.start, d.end):
                date_val = d.value.isoformat()
                strength = 1 if _in_quote(text, s, d.start) else 2
                relative = d.relative
                break
        if not date_val and ref is not None:
            date_val, strength = ref.isoformat(), 0
        claimant = ""
        if speakers and not _in_quote(text, s, attacker_span[0]):
            claimant = speakers[0].actor_id
        if blamed and claimant == attacker_id:
            claimant = ""  # "activists said, blaming the army": the army claims nothing
        if blamer is not None and not claimant:
            claimant = blamer.actor_id
        # confidence: 0.9 when the sentence itself names the attacker, the struck place and
        # the day plainly; each doubt lowers it and is named in the candidate's notes
        conf, doubts = 0.9, []
        if _MODAL.search(sent[max(0, v.start() - 40) : v.end() + 20]):
            conf -= 0.35  # "any air strikes must target", "would strike": no claim
            doubts.append("conditional or future wording")
        if anaphoric:
            conf -= 0.15
            doubts.append("attacker named in an earlier sentence")
        if blamed:
            conf -= 0.1
            doubts.append("attacker named by an accusation")
        if att_m is not None and _context_dependent(att_m, focus, table):
            conf -= 0.3
            doubts.append(f"'{att_m.text}' names different forces in different wars")
        if not chosen:
            conf -= 0.2
            doubts.append("no place in the sentence")
        elif top == 1:
            conf -= 0.2
            doubts.append("only a country or a wide region named")
        elif before_verb:
            conf -= 0.1
            doubts.append("place named before the strike verb")
        if strength == 0:
            conf -= 0.15
            doubts.append("no date in the sentence (report date)")
        elif strength == 1:
            conf -= 0.1
            doubts.append("date inside a quotation")
        if _HEDGE.search(sent):
            conf -= 0.25
            doubts.append("hedged report")
        if _DISPUTED.search(text, vend, se):
            conf -= 0.3
            doubts.append("denied in the same sentence")
        conf = round(max(0.05, min(1.0, conf)), 2)
        if conf < 0.3:
            continue
        last_attacker = attacker_id
        sentence = " ".join(sent.split())
        for att, best_place in [
            (a, p)
            for a in ((attacker_id, *co_attackers) if by_first else (*co_attackers, attacker_id))
            for p in chosen or [None]
        ]:
            lat = lon = None
            precision = ""
            place_text = ""
            cc = ""
            if best_place is not None:
                place_text = best_place.phrase
                if best_place.precision in ("place", "offset"):
                    # town-level: the context-aware coordinates; wider phrases ("northern
                    # Homs", "Idlib province") are left for the checker's geocoder to read
                    la, lo, pk = coordinates(best_place, idx)
                    lat, lon = round(la, 6), round(lo, 6)
                    precision = f"{pk:.1f} km"
                cc = str(idx.cc[best_place.row])
            target_place = ""
            if target is None and best_place is not None and claimant == att:
                # "Russia said it struck Palmyra": the place the claimant said it hit
                pre = text[max(s, best_place.phrase_start - 25) : best_place.phrase_start]
                if re.search(r"\b(?:targeting|targeted|struck|hit|bombed|shelled|raided)\s+$", pre):
                    target_place = best_place.phrase
            cands.append(
                CandidateClaim(
                    id="", date=date_val, attacker=att, claimant=claimant,
                    claimed_target=target.actor_id if target else "", target_place=target_place,
                    place=place_text, latitude=lat, longitude=lon, precision=precision,
                    source=source, notes=_doubts(doubts), sentence=sentence, confidence=conf,
                    start=s, end=e, _place_rank=top if best_place is not None else 0,
                    _date_strength=strength, _country=cc, _relative_date=relative,
                )
            )  # fmt: skip
    return _merge_events(cands)


# where a sentence holds a second clause: "X struck A; ...", "X struck A, while Y ..." always
# (what follows is another event or another speaker); "X shelled A after Y struck B" when
# both parts hold a strike verb
_CLAUSE_ALWAYS = re.compile(r";\s*|,\s+(?:while|whereas|but)\s+", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(
    r";\s*|,?\s+(?:while|whereas|after|before|when)\s+|,\s+but\s+", re.IGNORECASE
)


#: A region whose point stands for this many km or more is as vague as a country.
WIDE_REGION_KM = 500.0


def _wide(r: int, idx) -> bool:
    """True for a continent, or a sea, ocean or union wider than :data:`WIDE_REGION_KM`."""
    return bool(idx.fcode[r] == "CONT") or (
        not idx.is_admin1[r]
        and bool(idx.fcode[r] in REGION_FCODES)
        and idx.prec[r] >= WIDE_REGION_KM
    )


def _clauses(text: str, sents: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Sentence spans, each cut before a clause that holds a strike verb of its own.

    "Coalition jets struck Saada, while Houthi fighters shelled Aden" gives two spans, so
    Aden is not put on the coalition; so does "..., while the LNA said it had shot down a
    drone over Sirte". "Houthi fighters shelled Aden after coalition aircraft struck
    Lahij" is cut too, "struck Idlib after dawn" is not (no strike after "after").
    Each clause comes with its sentence's span: ``(start, end, sentence start, sentence end)``.
    """
    from bisect import bisect_left

    out: list[tuple[int, int, int, int]] = []
    for s, e in sents:
        start = s
        splits = list(_CLAUSE_SPLIT.finditer(text, s, e))
        if not splits:
            out.append((s, e, s, e))
            continue
        # strike verbs of the sentence, found once: "is there one in [a, b)" by bisection
        strikes = [m.start() for m in _STRIKE.finditer(text, s, e)]

        def has_strike(a: int, b: int, strikes: list[int] = strikes) -> bool:
            i = bisect_left(strikes, a)
            return i < len(strikes) and strikes[i] < b

        for n, m in enumerate(splits):
            nxt_start = splits[n + 1].start() if n + 1 < len(splits) else e
            always = _CLAUSE_ALWAYS.fullmatch(m.group()) and text[m.end() : e].strip()
            if always or (has_strike(start, m.start()) and has_strike(m.end(), nxt_start)):
                out.append((start, m.start(), s, e))
                start = m.end()
        out.append((start, e, s, e))
    return out


# "the GNA blamed Haftar's forces", "which officials blamed on the RSF", "blaming the army"
_BLAME = re.compile(r"\b(?:blam(?:ed|es|ing)|attribut(?:ed|es|ing))\b", re.IGNORECASE)
_BLAME_GAP = re.compile(r"\s+(?:(?:it\s+)?(?:on|to)\s+)?(?:the\s+)?", re.IGNORECASE)
_BLAMER_GAP = re.compile(r"\s+(?:(?:has|had|have|also|later|initially)\s+)?", re.IGNORECASE)


def _blamed(
    text: str, actors: list[ActorMention], starts: list[int], lo: int, hi: int
) -> tuple[ActorMention, ActorMention | None] | None:
    """The actor that ``text[lo:hi]`` blames for a strike whose attacker it does not name,
    and who blames it: "the GNA blamed Haftar's forces" -> (Haftar's forces, the GNA).
    ``actors`` are all actor mentions in text order, ``starts`` their starts."""
    from bisect import bisect_left

    for m in _BLAME.finditer(text, lo, hi):
        n = bisect_left(starts, m.end())
        if n >= len(actors) or actors[n].start >= hi:
            continue
        a = actors[n]
        if not _BLAME_GAP.fullmatch(text, m.end(), a.start):
            continue
        prev = actors[n - 1] if n else None
        if prev is not None and (
            prev.start < lo or not _BLAMER_GAP.fullmatch(text, prev.end, m.start())
        ):
            prev = None
        return a, prev
    return None


def _merge_events(cands: list[CandidateClaim]) -> list[CandidateClaim]:
    """Merge the candidates of one attacker into strike events.

    A candidate with a specific place (a town or a region of a division) but no claimed
    target takes the claimed target, claimant and date of the same attacker's candidates
    that state them; candidates that add nothing specific (country-level place or none)
    are folded into those events, with their sentences listed in ``notes``. Dates from
    narrative text beat relative dates inside quotations.
    """
    by_attacker: dict[str, list[CandidateClaim]] = {}
    for c in cands:
        by_attacker.setdefault(c.attacker, []).append(c)
    out: list[CandidateClaim] = []
    for _attacker, group in by_attacker.items():
        specific = [c for c in group if c._place_rank >= 2]
        general = [c for c in group if c._place_rank < 2]
        claimers = sorted(
            (c for c in group if c.claimed_target),
            key=lambda c: (-c.confidence, c.start),
        )
        best_date = max(group, key=lambda c: (c._date_strength, c.confidence, -c.start))
        dated = _DatedIndex(group)
        if not specific:
            # one event per claimed target, else the most confident candidate
            seen: set[str] = set()
            for c in sorted(group, key=lambda c: (-c.confidence, c.start)):
                if c.claimed_target in seen:
                    continue
                seen.add(c.claimed_target)
                if c._date_strength < best_date._date_strength:
                    c.date = best_date.date
                others = [
                    g for g in group if g is not c and g.claimed_target in ("", c.claimed_target)
                ]
                if others:
                    c.notes = _notes(c.notes, others)
                out.append(c)
            continue
        for c in specific:
            if not c.claimed_target and claimers:
                src = claimers[0]
                if not c._country or not src._country or src._country == c._country:
                    c.claimed_target = src.claimed_target
                    # the claimant of a borrowed target is who stated that target
                    c.claimant = src.claimant or c.claimant
                    c.notes = _join(c.notes, f"claimed target from: {src.sentence}")
                    # a target read from another sentence is an inference
                    c.confidence = round(max(0.05, c.confidence - 0.05), 2)
            src_date = dated.source(c, best_date)
            if src_date is not None:
                c.date = src_date.date
                if src_date.sentence in c.notes:
                    c.notes = c.notes.replace(
                        "claimed target from:", "claimed target and date from:"
                    )
                else:
                    c.notes = _join(c.notes, f"date from: {src_date.sentence}")
            out.append(c)
        if general:
            out[-1].notes = _notes(out[-1].notes, general)
    out.sort(key=lambda c: c.start)
    for n, c in enumerate(out, start=1):
        c.id = f"extract-{n}"
    return out


class _DatedIndex:
    """The dated candidates of one attacker, by date strength, for nearest-earlier look-ups."""

    def __init__(self, group: list[CandidateClaim]) -> None:
        from bisect import bisect_left

        self._bisect = bisect_left
        self.by_strength: dict[int, tuple[list[int], list[CandidateClaim]]] = {}
        for strength in (1, 2):
            items = sorted(
                (c for c in group if c._date_strength >= strength), key=lambda c: c.start
            )
            self.by_strength[strength] = ([c.start for c in items], items)

    def source(self, c: CandidateClaim, best: CandidateClaim) -> CandidateClaim | None:
        """The candidate whose date ``c`` takes, or None to keep its own.

        The nearest earlier candidate of the same attacker with a stronger date (one in
        its own sentence: "on Wednesday ... The jets hit Talbiseh", the narrative's
        current day); failing that, the best-dated candidate when its date is absolute.
        A relative word such as "yesterday" in a later sentence never dates an earlier
        event. Dates in narrative text beat relative dates inside quotations.
        """
        if c._date_strength >= 2:
            return None
        starts, items = self.by_strength[c._date_strength + 1]
        i = self._bisect(starts, c.start) - 1
        if i >= 0:
            return items[i]
        if best._date_strength > c._date_strength and not best._relative_date:
            return best
        return None


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


def _notes(notes: str, others: list[CandidateClaim]) -> str:
    seen = set(notes.split("; "))
    extra = [o.sentence for o in others if not any(o.sentence in n for n in seen)]
    if not extra:
        return notes
    return _join(notes, "also reported: " + " | ".join(extra[:3]))

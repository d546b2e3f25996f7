"""Actor mentions in text, matched against the actor table (:mod:`geostrike.inputs.actors`).

Aliases are matched on the same keys as :func:`geostrike.inputs.actors.normalise_actor` (case
folded, articles and possessive "'s" dropped), longest alias first, with case rules taken
from how each alias is written in the table:

* short all-caps aliases (``IS``, ``US``, ``SAA``, ``U.S.``) match only when written in
  capitals, so the words "is" and "us" never become actors;
* aliases written with a capital ("Islamic State", "Moscow") need a capital in the text
  (any case in all-caps text);
* aliases written in lower case ("rebels", "regime", "coalition") match in any case.

A possessive ("Russia's", "Moscow's assertion") is flagged: the mention then names the
government as an actor, not a place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

from geostrike.inputs.actors import ActorTable, normalise_actor
from geostrike.text.tokens import Tokens

_POSSESSIVE = re.compile(r"['’]s$|s['’]$")


@dataclass(frozen=True)
class ActorMention:
    """One actor mention: offsets, the canonical id (actor or set) and its case style.

    ``read_by`` says what settled a generic name ("coalition", "government forces"):
    ``"context"`` (the country of the story), ``"coreference"`` (a named coalition before
    it) or ``""`` (the actor table's own reading).
    """

    text: str
    start: int
    end: int
    actor_id: str
    possessive: bool
    read_by: str = ""


@dataclass
class _Alias:
    actor_id: str
    style: str  # "acronym" | "capital" | "any"
    form: str  # the alias as written (for acronyms)


def _style(alias: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", alias)
    if letters and letters.isupper() and len(letters) <= 5:
        return "acronym"
    if alias[:1].isupper():
        return "capital"
    return "any"


@dataclass
class ActorIndex:
    """Alias keys (tuples of normalised words) mapped to actors, with their case style."""

    entries: dict[tuple[str, ...], list[_Alias]]
    max_len: int
    first_words: set[str]


def build_index(table: ActorTable) -> ActorIndex:
    """Index every label and alias of an actor table for text matching."""
    entries: dict[tuple[str, ...], list[_Alias]] = {}
    for actor in table.actors.values():
        for name in (actor.label, *actor.aliases):
            key = tuple(normalise_actor(name).split())
            if not key:
                continue
            entries.setdefault(key, []).append(_Alias(actor.id, _style(name), name))
    max_len = max((len(k) for k in entries), default=1)
    return ActorIndex(entries, max_len, {k[0] for k in entries})


@lru_cache(maxsize=65536)
def _word_keys(word: str) -> tuple[str, ...]:
    return tuple(normalise_actor(word).split())


def _acronym_ok(alias: _Alias, written: str) -> bool:
    a = re.sub(r"[^A-Za-z]", "", alias.form)
    w = re.sub(r"[^A-Za-z]", "", anyascii(written))
    w = re.sub(r"s$", "", w) if _POSSESSIVE.search(written) else w
    return a == w


def find_actors(
    text: str, tokens: Tokens, index: ActorIndex, *, all_caps: bool = False
) -> list[ActorMention]:
    """Return actor mentions (longest match wins, no overlaps) in text order."""
    # Flatten tokens into normalised sub-words, keeping the token index of each.
    sub: list[str] = []
    owner: list[int] = []
    for i, w in enumerate(tokens.words):
        for k in _word_keys(w):
            sub.append(k)
            owner.append(i)
    out: list[ActorMention] = []
    n = len(sub)
    i = 0
    while i < n:
        if sub[i] not in index.first_words:
            i += 1
            continue
        hit = None
        for length in range(min(index.max_len, n - i), 0, -1):
            key = tuple(sub[i : i + length])
            cands = index.entries.get(key)
            if not cands:
                continue
            t0, t1 = owner[i], owner[i + length - 1]
            # the match must cover whole tokens
            if i > 0 and owner[i - 1] == t0:
                continue
            if i + length < n and owner[i + length] == t1:
                continue
            start, end = tokens.starts[t0], tokens.ends[t1]
            written = text[start:end]
            for alias in cands:
                if alias.style == "acronym":
                    # in all-caps text "IS"/"US" are ordinary words
                    ok = _acronym_ok(alias, written) and not (all_caps and len(written) <= 2)
                elif alias.style == "capital":
                    ok = all_caps or written[:1].isupper()
                else:
                    ok = True
                if ok:
                    hit = (length, alias, start, end, written)
                    break
            if hit:
                break
        if hit is None:
            i += 1
            continue
        length, alias, start, end, written = hit
        out.append(
            ActorMention(written, start, end, alias.actor_id, bool(_POSSESSIVE.search(written)))
        )
        i += length
    return out

"""The actor table: who is who, under every name reporters and claimants use.

The default table is ``geostrike/data/actors.csv`` (package data, written for this
project from public reporting). Each row is a canonical actor id with a label, a map
colour and ``|``-separated aliases; a row with ``members`` (``;``-separated ids) is a
set rather than an actor: as a claimed target it means "any of" (``terrorist_groups``),
as a controller it means joint control (``army_of_conquest``). A user table with the same
columns, passed with ``--actors``, extends or overrides the default.

Aliases are matched case-, punctuation- and article-insensitively: "the so-called Islamic
State", "Da'esh" and "DAESH" all resolve to ``islamic_state``. Names in other scripts
(Arabic, Cyrillic, Burmese, Ge'ez) are matched through their ASCII transliteration.

An optional ``under`` column names the actor whose command a force is under
(``russia_occupied`` under ``russia``): as a *claimed target*, an actor also stands for
the forces under it, so a claim against Russian forces is consistent at a place held by
DPR/LPR forces. As a controller an actor is only itself.

Some words mean different parties in different wars ("coalition", "government forces",
"SNA"): ``geostrike/data/actor_ambiguous.csv`` lists them with the specific names to use
instead. In a claims or zones table they are refused with that suggestion, unless a user
table (``--actors``) defines them; the default aliases still carry them for text
extraction, which reads them in the context of the report.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from anyascii import anyascii

from geostrike.errors import InputError, UnknownActorError, UnknownActorsError
from geostrike.io import read_text

_DEFAULT = "actors.csv"
_AMBIGUOUS = "actor_ambiguous.csv"
_COLUMNS = ("id", "label", "members", "color", "aliases", "under")
#: The claims column in which an actor also stands for the forces under its command.
TARGET_COLUMN = "claimed_target"
#: Rows listed per unknown value, and nearest known names suggested (rapidfuzz WRatio).
_ROWS_SHOWN = 5
_SUGGESTIONS = 3
_SUGGEST_MIN_SCORE = 80.0
_ARTICLES = {"the", "al", "el", "so", "called", "socalled"}
_TOKEN = re.compile(r"[a-z0-9]+")
# Arabic article, assimilated or not, written joined to its noun: an-Nusra, ash-Sham, ad-Dawla
_ARABIC_ARTICLE = re.compile(r"\b(?:al|el|an|ar|as|ash|at|ad|adh|az|ath|ad|al|l)-(?=[a-z])")
# Generic words around a name in a claim ("IS positions", "Nusra fighters"): dropped only when
# the name as written is not itself an alias.
_GENERIC = {
    "forces",
    "force",
    "fighters",
    "fighter",
    "militants",
    "militant",
    "positions",
    "position",
    "troops",
    "targets",
    "target",
    "units",
    "unit",
    "militia",
    "militias",
    "group",
    "groups",
    "members",
    "strongholds",
    "stronghold",
    "facilities",
    "bases",
    "base",
    "camps",
    "camp",
    "jihadists",
    "insurgents",
    "elements",
    "terrorists",
    "terrorist",
    "affiliates",
    "affiliate",
    "led",
    "backed",
    "linked",
    "aligned",
    "allied",
    "loyal",
    "factions",
    "faction",
}
_PARENS = re.compile(r"[(\[]([^()\[\]]*)[)\]]")


def normalise_actor(name: str) -> str:
    """Return the matching key of an actor name.

    Case folded, transliterated to ASCII, possessive "'s" dropped, punctuation removed and
    leading/inner articles ("the", "al-", "so-called") dropped, so that "the so-called
    Islamic State" and "ISLAMIC STATE" give the same key.
    """
    text = anyascii(unicodedata.normalize("NFKC", str(name))).lower()
    text = re.sub(r"['`]s\b", "", text)
    text = re.sub(r"['`]", "", text)  # Da'esh -> daesh
    text = _ARABIC_ARTICLE.sub("", text)
    tokens = [t for t in _TOKEN.findall(text) if t not in _ARTICLES]
    return " ".join(tokens)


@dataclass(frozen=True)
class Actor:
    """One row of the actor table."""

    id: str
    label: str
    color: str | None = None
    members: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    under: str | None = None

    @property
    def is_set(self) -> bool:
        """True for a group/coalition row that stands for several actors."""
        return bool(self.members)


@dataclass
class ActorTable:
    """Canonical actors and the aliases that resolve to them."""

    actors: dict[str, Actor] = field(default_factory=dict)
    _index: dict[str, str] = field(default_factory=dict, repr=False)
    #: normalised ambiguous word -> the specific names to suggest instead
    _refused: dict[str, str] = field(default_factory=dict, repr=False)
    #: normalised key -> the name as first written (for suggestions)
    _written: dict[str, str] = field(default_factory=dict, repr=False)

    # -- building -----------------------------------------------------------------
    def add(self, actor: Actor) -> None:
        """Add or replace an actor and index its id, label and aliases (a name the table
        refuses as ambiguous is accepted once an actor claims it)."""
        self.actors[actor.id] = actor
        for name in (actor.id, actor.id.replace("_", " "), actor.label, *actor.aliases):
            key = normalise_actor(name)
            if key:
                self._index[key] = actor.id
                self._written.setdefault(key, name)
                self._refused.pop(key, None)

    def refuse(self, name: str, suggestion: str) -> None:
        """Make ``name`` an ambiguous word: refused, with ``suggestion`` in the error."""
        key = normalise_actor(name)
        if key:
            self._refused[key] = suggestion

    def extended(self, path: str | Path) -> ActorTable:
        """Return a copy of this table extended by the CSV file at ``path``."""
        table = ActorTable(
            dict(self.actors), dict(self._index), dict(self._refused), dict(self._written)
        )
        for actor in _parse(read_text(path), path):
            table.add(actor)
        table._check_members(path)
        return table

    def _check_members(self, path: str | Path | None) -> None:
        for actor in self.actors.values():
            for m in actor.members:
                if m not in self.actors or self.actors[m].is_set:
                    raise InputError(path, f"actor set {actor.id!r} names unknown member {m!r}")
            if actor.under is not None and actor.under not in self.actors:
                raise InputError(path, f"actor {actor.id!r} is under unknown actor {actor.under!r}")

    # -- lookups ------------------------------------------------------------------
    def lookup(self, name: str) -> str | None:
        """Return the canonical id (actor or set) for a name or alias, or None."""
        if name is None:
            return None
        for variant in _variants(str(name)):
            if variant in self._refused:  # "government forces" is not "government"
                return None
            aid = self._index.get(variant)
            if aid is not None:
                return aid
        return None

    def resolve(
        self, name: str, *, path: str | Path | None = None, column: str | None = None
    ) -> frozenset[str]:
        """Resolve one name to the set of canonical actor ids it stands for.

        Raises
        ------
        UnknownActorError
            When the name is in no table.
        """
        aid = self.lookup(name)
        if aid is None:
            raise UnknownActorsError([str(name)], [self.problem(str(name))], path, column)
        actor = self.actors[aid]
        ids = frozenset(actor.members) if actor.is_set else frozenset([aid])
        return self.commanded(ids) if column == TARGET_COLUMN else ids

    def commanded(self, ids: Iterable[str]) -> frozenset[str]:
        """The ids with every actor under their command, directly or not."""
        out = set(ids)
        grew = True
        while grew:
            add = {a.id for a in self.actors.values() if a.under in out and a.id not in out}
            out |= add
            grew = bool(add)
        return frozenset(out)

    def refused_because(self, name: str) -> str | None:
        """The suggestion for an ambiguous word ("coalition"), else None."""
        for variant in _variants(str(name)):
            if variant in self._refused:
                return self._refused[variant]
        return None

    def suggestions(self, name: str, limit: int = _SUGGESTIONS) -> list[str]:
        """The known names nearest to ``name`` (rapidfuzz WRatio on normalised keys)."""
        from rapidfuzz import fuzz, process

        key = normalise_actor(name)
        if not key:
            return []
        found = process.extract(
            key, list(self._index), scorer=fuzz.WRatio, limit=limit * 3,
            score_cutoff=_SUGGEST_MIN_SCORE,
        )  # fmt: skip
        out: dict[str, str] = {}  # one name per actor, best first
        for k, _score, _ in found:
            out.setdefault(self._index[k], f"{self._written.get(k, k)!r} ({self._index[k]})")
        return list(out.values())[:limit]

    def problem(self, name: str, rows: Any = None) -> str:
        """What to say about an unknown name: its rows (a sequence of row numbers), why,
        what to write instead."""
        text = repr(str(name))
        if rows is not None and len(rows):
            shown = ", ".join(str(int(r)) for r in rows[:_ROWS_SHOWN])
            more = f" and {len(rows) - _ROWS_SHOWN} more" if len(rows) > _ROWS_SHOWN else ""
            text += f" (row{'s' if len(rows) > 1 else ''} {shown}{more})"
        why = self.refused_because(name)
        if why:
            return f"{text} is ambiguous across conflicts, write {why}"
        near = self.suggestions(name)
        return text + (f", nearest known: {', '.join(near)}" if near else "")

    def check_all(
        self,
        values: Iterable[str],
        *,
        path: str | Path | None = None,
        column: str | None = None,
        rows_of: Any = None,
        resolve: Any = None,
    ) -> None:
        """Raise one error naming every value that does not resolve.

        ``rows_of(i)`` gives the (1-based data) row numbers of the ``i``-th value, asked
        for the unknown values only; ``resolve`` (value -> ids, raising
        UnknownActorError) defaults to :meth:`resolve_list`.
        """
        resolve = resolve or (lambda v: self.resolve_list(v, path=path, column=column))
        bad_values: list[str] = []
        problems: list[str] = []
        for i, value in enumerate(values):
            try:
                resolve(value)
            except UnknownActorError:
                bad_values.append(str(value))
                problems.append(self.problem(str(value), rows_of(i) if rows_of else None))
        if bad_values:
            raise UnknownActorsError(bad_values, problems, path, column)

    def resolve_list(
        self, value: str, *, path: str | Path | None = None, column: str | None = None
    ) -> frozenset[str]:
        """Resolve a ``;``-separated list of names (joint control) to canonical ids."""
        out: set[str] = set()
        for part in str(value).split(";"):
            if part.strip():
                out |= self.resolve(part.strip(), path=path, column=column)
        return frozenset(out)

    def label(self, actor_id: str) -> str:
        """Human label of a canonical id (the id itself when unknown)."""
        a = self.actors.get(actor_id)
        return a.label if a else actor_id

    def labels(self, ids: Iterable[str]) -> str:
        """Labels of several ids joined with " and " (sorted by id for stability)."""
        return " and ".join(self.label(i) for i in sorted(ids))

    def aliases(self) -> dict[str, str]:
        """Every normalised alias key mapped to its canonical id (for text matching)."""
        return dict(self._index)


def _variants(name: str) -> list[str]:
    """Matching keys to try for a name as written, most literal first.

    The name itself; without a parenthesised part and the part alone ("Free Syrian Army
    (FSA)"); then each of those without generic words such as "forces" or "positions"
    ("ISIS positions", "YPG-led forces").
    """
    forms = [name]
    if _PARENS.search(name):
        forms.append(_PARENS.sub(" ", name))
        forms.extend(_PARENS.findall(name))
    keys = [normalise_actor(f) for f in forms]
    for key in list(keys):
        kept = [t for t in key.split() if t not in _GENERIC]
        if kept and len(kept) < len(key.split()):
            keys.append(" ".join(kept))
    return [k for k in dict.fromkeys(keys) if k]


def _parse(text: str, path: str | Path | None) -> list[Actor]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"id", "aliases"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(path, f"actor table lacks column(s) {', '.join(sorted(missing))}")
    out = []
    for n, row in enumerate(reader, start=2):
        aid = (row.get("id") or "").strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", aid):
            raise InputError(path, f"line {n}: actor id {aid!r} must be lower_snake_case")
        out.append(
            Actor(
                id=aid,
                label=(row.get("label") or "").strip() or aid.replace("_", " "),
                color=(row.get("color") or "").strip() or None,
                members=tuple(
                    m.strip() for m in (row.get("members") or "").split(";") if m.strip()
                ),
                aliases=tuple(
                    a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()
                ),
                under=(row.get("under") or "").strip() or None,
            )
        )
    return out


@lru_cache(maxsize=1)
def default_table() -> ActorTable:
    """The actor table shipped with geostrike."""
    text = resources.files("geostrike.data").joinpath(_DEFAULT).read_text("utf-8")
    table = ActorTable()
    for actor in _parse(text, _DEFAULT):
        table.add(actor)
    table._check_members(_DEFAULT)
    words = resources.files("geostrike.data").joinpath(_AMBIGUOUS).read_text("utf-8")
    for row in csv.DictReader(io.StringIO(words)):
        table.refuse(row["name"], row["write_instead"])
    return table


def load_actors(path: str | Path | None = None) -> ActorTable:
    """Return the default actor table, extended by the user's CSV at ``path`` if given."""
    base = default_table()
    return base if path is None else base.extended(path)

"""The exceptions and warnings geostrike users see.

Every error a user can cause with bad input or a bad path is one of these. Their message
is a single line naming the file (when there is one) and the problem; the CLI prints it
and exits with status 2, never a traceback. Warnings about rows (:class:`RowsWarning`) are
added up over the chunks of a streamed file; a check can keep its own warnings in a list
(:func:`warnings_kept`) rather than give them through Python's process-wide warnings
machinery.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def first_line(exc: BaseException) -> str:
    """The first line of a library's error message, for a one-line error (at most 200
    characters; pyogrio's "It might help..." advice cut off)."""
    text = str(exc).strip().splitlines()
    line = text[0].split("; It might help")[0].rstrip(". ") if text else type(exc).__name__
    return line[:200]


class GeostrikeError(Exception):
    """Base class of every error geostrike raises on purpose."""


class InputError(GeostrikeError):
    """A file or value given by the user cannot be used.

    Parameters
    ----------
    path
        The file at fault, or None for a value given directly.
    problem
        What is wrong, in a few words (no trailing full stop needed).
    """

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{self.path}: {self.problem}" if self.path else self.problem)


class UnknownActorError(InputError):
    """An actor name that is in no actor table (names the value and the file)."""

    def __init__(self, value: str, path: str | Path | None, column: str | None = None) -> None:
        self.value = value
        where = f" in column '{column}'" if column else ""
        super().__init__(
            path,
            f"unknown actor {value!r}{where}; add it to an actor table passed with --actors",
        )


class UnknownActorsError(UnknownActorError):
    """Several unknown (or ambiguous) actor values of one column, reported at once.

    ``problems`` are the texts for each value (its rows, nearest known names ...);
    ``value`` is the first value, as for :class:`UnknownActorError`.
    """

    def __init__(
        self, values: list[str], problems: list[str], path: str | Path | None, column: str | None
    ) -> None:
        super().__init__(values[0], path, column)
        self.values = list(values)
        where = f" in column '{column}'" if column else ""
        noun = "unknown actor" if len(values) == 1 else f"{len(values)} unknown actors"
        InputError.__init__(
            self,
            path,
            f"{noun}{where}: "
            + "; ".join(problems)
            + "; add them to an actor table passed with --actors",
        )


class OutputError(GeostrikeError):
    """An output cannot be written where asked (missing folder, wrong kind of file)."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class GazetteerError(GeostrikeError):
    """The gazetteer cannot be loaded, built or imported."""


class RowsWarning(UserWarning):
    """A warning about some rows of a claims table: how many, and the first few of their
    row numbers (1-based, counted in the whole file), so that an engine that checks a file
    chunk by chunk adds its chunks' warnings up into one (:meth:`merged`).

    Parameters
    ----------
    text
        The message, with ``{count}`` and ``{rows}`` where the count and the row numbers go.
    count
        How many rows.
    rows
        Their row numbers, in order (only the first :data:`SHOWN` are kept).
    """

    SHOWN = 5

    def __init__(self, text: str, count: int, rows: list[int]) -> None:
        self.text, self.count, self.rows = text, int(count), [int(r) for r in rows[: self.SHOWN]]
        shown = ", ".join(map(str, self.rows)) + (", ..." if self.count > len(self.rows) else "")
        super().__init__(text.format(count=self.count, rows=shown))

    def __reduce__(self) -> tuple[Any, ...]:  # sent whole from a Dask worker to the client
        return (type(self), (self.text, self.count, self.rows))

    @classmethod
    def merged(cls, parts: list[RowsWarning]) -> RowsWarning:
        """One warning for the rows of several (of the same ``text``): their count, and the
        first rows of all (each part holds its own first rows, so parts may come in any
        order: chunks checked side by side, Dask partitions as they finish)."""
        rows = sorted(r for p in parts for r in p.rows)[: cls.SHOWN]
        return cls(parts[0].text, sum(p.count for p in parts), rows)


_KEPT = threading.local()


@contextlib.contextmanager
def warnings_kept() -> Iterator[list[Warning]]:
    """Within the block, the warnings geostrike gives in this thread (:func:`give_warning`)
    are kept in the list the block yields, in order, instead of going through the
    ``warnings`` module. Its filters and records are process-wide, and libraries change them
    for a moment (pandas ignores warnings inside some of its functions): a check running
    beside another one keeps every warning of its own whatever the other thread does."""
    before = getattr(_KEPT, "list", None)
    _KEPT.list = kept = []
    try:
        yield kept
    finally:
        _KEPT.list = before


def give_warning(
    message: str | Warning, category: type[Warning] = UserWarning, stacklevel: int = 1
) -> None:
    """``warnings.warn(message, category, stacklevel)``, or kept in the list of this
    thread's :func:`warnings_kept` block (a text as ``category(message)``)."""
    kept = getattr(_KEPT, "list", None)
    if kept is not None:
        kept.append(message if isinstance(message, Warning) else category(message))
        return
    warnings.warn(message, category, stacklevel=stacklevel + 1)

"""The options of a check, validated once and passed whole to every engine.

:class:`CheckOptions` is built once (by the CLI, or by :func:`geostrike.engine.check.check`
from its keyword arguments) and handed to the in-memory engine
(:func:`geostrike.engine.check.check_frame`), the stream engine
(:func:`geostrike.engine.stream.check_stream`) and the Dask engine
(:func:`geostrike.engine.distributed.check_dask`), so that every option reaches every
engine. The limits come from this module and :data:`geostrike.inputs.claims.MAX_PRECISION_KM`;
the thread default from :func:`geostrike.settings.threads`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from geostrike.errors import InputError

#: Precision radius (km) above which a location is a region, too coarse to call a near miss.
COARSE_PRECISION_KM = 25.0
DEFAULT_TOLERANCE_KM = 5.0
#: Largest tolerance accepted (km): beyond it "near the target" means nothing.
MAX_TOLERANCE_KM = 1000.0


def check_km(value: Any, name: str = "tolerance_km", *, most: float = MAX_TOLERANCE_KM) -> float:
    """``value`` as a finite number of km in ``[0, most]``; else a one-line InputError.

    Used for ``tolerance_km`` (0 to :data:`MAX_TOLERANCE_KM`) and ``coarse_km`` (0 to
    :data:`geostrike.inputs.claims.MAX_PRECISION_KM`): NaN, infinities and absurd sizes would
    give verdicts and sentences with no meaning.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(None, f"{name} must be a number of km, not {value!r}") from None
    if not 0.0 <= v <= most:  # also false for NaN
        raise InputError(None, f"{name} must be a number of km from 0 to {most:,g}, not {value!r}")
    return v


@dataclass(frozen=True)
class CheckOptions:
    """Everything a check may be told, checked on construction.

    Attributes
    ----------
    tolerance_km
        Distance within which a strike still counts as on the target's territory.
    coarse_km
        Precision radius above which a location is too coarse to call a near miss.
    date_order
        ``"dmy"``, ``"mdy"`` or None (inferred per column) for numeric dates.
    country
        ISO code(s) place names are looked up in (a row's ``country`` cell wins); None:
        the countries the zones cover.
    threads
        Most threads one check may use (None: :func:`geostrike.settings.threads`, else
        as many as help).
    csv_safe
        In a CSV output, neutralise text cells a spreadsheet would run as formulas.
    points
        Give the in-memory result its point geometries (a GeoDataFrame). False: a plain
        DataFrame with ``latitude``/``longitude`` only, for a caller that writes CSV or
        Parquet (:func:`geostrike.render.table.write_result` makes the points it needs):
        a million Shapely points are about 200 MB and 0.3-0.6 s (issue 18). Honoured by
        :func:`geostrike.engine.check.check`; the streaming and Dask engines, whose chunk
        writers need the points, always make them.
    """

    tolerance_km: float = DEFAULT_TOLERANCE_KM
    coarse_km: float = COARSE_PRECISION_KM
    date_order: str | None = None
    country: str | tuple[str, ...] | None = None
    threads: int | None = None
    csv_safe: bool = True
    points: bool = True

    def __post_init__(self) -> None:
        from geostrike.inputs.claims import DATE_ORDERS, MAX_PRECISION_KM

        put = object.__setattr__
        put(self, "tolerance_km", check_km(self.tolerance_km))
        put(self, "coarse_km", check_km(self.coarse_km, "coarse_km", most=MAX_PRECISION_KM))
        if self.date_order is not None:
            key = str(self.date_order).strip().lower()
            if key not in DATE_ORDERS:
                raise InputError(
                    None, f"date_order must be one of {', '.join(DATE_ORDERS)}, not {key!r}"
                )
            put(self, "date_order", key)
        if self.country is not None and not isinstance(self.country, str):
            put(self, "country", tuple(self.country) or None)
        if self.threads is None:
            from geostrike import settings

            put(self, "threads", settings.threads())
        elif (
            isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1
        ):
            raise InputError(None, f"threads must be a whole number from 1, not {self.threads!r}")
        put(self, "csv_safe", bool(self.csv_safe))
        put(self, "points", bool(self.points))

    def but(self, **changes: Any) -> CheckOptions:
        """A copy with some options changed (validated again)."""
        return replace(self, **changes)


def options_from(options: CheckOptions | None = None, **given: Any) -> CheckOptions:
    """``options`` (or the defaults) with the keyword options that were given (not None).

    The engines' keyword arguments (``tolerance_km=...``) stay as a shorthand; each one
    passed overrides the same field of ``options``.
    """
    base = options if options is not None else CheckOptions()
    names = {f.name for f in fields(CheckOptions)}
    unknown = set(given) - names
    if unknown:
        raise TypeError(f"unknown check option(s): {', '.join(sorted(unknown))}")
    changes = {k: v for k, v in given.items() if v is not None}
    return replace(base, **changes) if changes else base


__all__ = [
    "COARSE_PRECISION_KM",
    "DEFAULT_TOLERANCE_KM",
    "MAX_TOLERANCE_KM",
    "CheckOptions",
    "check_km",
    "options_from",
]

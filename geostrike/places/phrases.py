"""Region words, offsets and qualifiers in place phrases, and the precision each implies.

The one parser of place phrases, used by the geocoder (:mod:`geostrike.places.geocoder`: a
query) and by text resolution (:mod:`geostrike.text.resolve`: a mention's phrase), so
that "northern Homs", "20 km east of Homs" or "Homs province" mean the same place and
precision by either route. No data files: the words are in this module.

* :func:`parse` splits a phrase into (place text, mode, details): mode ``plain``,
  ``admin`` ("Homs province"), ``region`` ("northern Homs", "the Hama countryside",
  "near Palmyra"), ``facility`` ("Hodeidah port") or ``offset`` ("20 km east of Homs":
  details ``distance_km`` and ``bearing``).
* :func:`apply` turns a place's point and precision into the phrase's: a region widens
  the radius to at least :data:`REGION_MIN_KM`; a facility adds :data:`FACILITY_KM`; an
  offset moves the point geodesically (:data:`geostrike.geodesy.GEOD`) and adds a fifth
  of the distance (at least 1 km) to the radius.
* :data:`OFFSET_BEFORE` finds an offset ("20 km east of the town of ") right before a name
  in running text; :func:`offset_details` reads it.
* :data:`BRACKETED` and :data:`COUNTRYSIDE` recognise "A (B)" qualifiers and countryside
  words.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "parse",
    "apply",
    "light",
    "offset_details",
    "OFFSET_BEFORE",
    "BRACKETED",
    "COUNTRYSIDE",
    "BEARINGS",
    "REGION_MIN_KM",
    "FACILITY_KM",
]

#: A region phrase ("northern Homs") keeps the place's point with at least this radius (km).
REGION_MIN_KM = 25.0
#: "Hodeidah port", "Sanaa airport": the town's point, its radius widened by this (km).
FACILITY_KM = 10.0
#: An offset point's radius: the base place's radius plus this share of the distance ...
OFFSET_SHARE = 0.2
#: ... and at least this (km).
OFFSET_MIN_KM = 1.0


class _lazy_re:  # noqa: N801 - behaves like a compiled pattern
    """A regular expression compiled on first use (keeps ``geostrike geocode`` start fast)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._re: re.Pattern[str] | None = None

    def _compiled(self) -> re.Pattern[str]:
        if self._re is None:
            self._re = re.compile(self.pattern, self.flags)
        return self._re

    def match(self, s: str) -> re.Match[str] | None:
        return self._compiled().match(s)

    def search(self, s: str) -> re.Match[str] | None:
        return self._compiled().search(s)


_NUM = r"(\d+(?:[.,]\d+)?)"
#: Kilometres per distance unit (None: miles, geodesy.KM_PER_MILE, looked up when used).
_UNITS = {
    "km": 1.0, "kms": 1.0, "kilometre": 1.0, "kilometres": 1.0, "kilometer": 1.0,
    "kilometers": 1.0, "k": 1.0, "mi": None, "mile": None, "miles": None,
    "m": 0.001, "metres": 0.001, "meters": 0.001, "metre": 0.001, "meter": 0.001,
}  # fmt: skip


def _unit_km(unit: str) -> float:
    """Kilometres in one ``unit`` of :data:`_UNITS` (geodesy is imported only when needed)."""
    km = _UNITS[unit]
    if km is None:
        from geostrike.geodesy import KM_PER_MILE

        return KM_PER_MILE
    return km


BEARINGS = {
    "north": 0, "n": 0, "northeast": 45, "north east": 45, "ne": 45, "east": 90, "e": 90,
    "southeast": 135, "south east": 135, "se": 135, "south": 180, "s": 180,
    "southwest": 225, "south west": 225, "sw": 225, "west": 270, "w": 270,
    "northwest": 315, "north west": 315, "nw": 315,
    "north northeast": 22.5, "nne": 22.5, "east northeast": 67.5, "ene": 67.5,
    "east southeast": 112.5, "ese": 112.5, "south southeast": 157.5, "sse": 157.5,
    "south southwest": 202.5, "ssw": 202.5, "west southwest": 247.5, "wsw": 247.5,
    "west northwest": 292.5, "wnw": 292.5, "north northwest": 337.5, "nnw": 337.5,
}  # fmt: skip
_BEARING_RE = "|".join(sorted((re.escape(b) for b in BEARINGS), key=len, reverse=True))
_OFFSET = _lazy_re(
    rf"^(?:about |around |some |approximately |approx |roughly |nearly |almost |over |"
    rf"under |less than |more than |up to )?{_NUM}\s*(?:-\s*)?({'|'.join(_UNITS)})\.?\s+"
    rf"(?:to the |to )?({_BEARING_RE})(?:ern)?\s+(?:of |from )?(.+)$"
)
_ADMIN_TAIL = _lazy_re(
    r"^(?:the )?(.+?) (?:province|provinces|governorate|governorates|governate|gov|"
    r"muhafazat|muhafazah|mohafazat|oblast|wilayah|vilayet|state)$"
)
_ADMIN_HEAD = _lazy_re(
    r"^(?:the )?(?:province|governorate|governate|muhafazat|mohafazat|oblast|wilayah) of (.+)$"
)
_REGION_HEAD = _lazy_re(
    r"^(?:the )?(?:(?:northern|southern|eastern|western|central|north|south|east|west|"
    r"north eastern|north western|south eastern|south western|northeastern|northwestern|"
    r"southeastern|southwestern|northeast|northwest|southeast|southwest|rural|greater|outer|"
    r"inner|upper|lower|countryside of|outskirts of|suburbs of|vicinity of|environs of|"
    r"area of|region of|district of|rural areas of|areas around|area around|outside of|"
    r"near|nearby|around|outside|close to|next to|on the outskirts of|in the vicinity of|"
    r"(?:north|south|east|west|northeast|northwest|southeast|southwest) of) )+(.+)$"
)
_REGION_TAIL = _lazy_re(
    r"^(?:the )?(.+?) (?:countryside|outskirts|suburbs|vicinity|environs|area|areas|region|"
    r"district|plain|plains|desert|countryside area|rural area|rural areas|rif)$"
)


COUNTRYSIDE = re.compile(r"\b(?:countryside|rural|rif|reef)\b")


_PLACE_HEAD = _lazy_re(
    r"^(?:the )?(?:(?:city|town|village|hamlet|municipality|settlement|port|district|"
    r"neighbourhood|neighborhood|suburb|area|region) of |the )(.+)$"
)
_PLACE_TAIL = _lazy_re(r"^(?:the )?(.+?) (?:city|town|village|hamlet|municipality|camp)$")
_FACILITY_TAIL = _lazy_re(
    r"^(?:the )?(.+?) (?:sea ?port|port|harbour|harbor|docks|international airport|airport|"
    r"airfield|air ?base|air ?field|military airport|naval base|military base)$"
)
_FACILITY_HEAD = _lazy_re(
    r"^(?:the )?(?:sea ?port|port|harbour|harbor|airport|air ?base|airfield) of (.+)$"
)
BRACKETED = re.compile(r"^(.+?)\s*[(\[]([^()\[\]]+)[)\]]\s*$")


def light(text: str) -> str:
    """Casefold, hyphens and punctuation (not decimal points) to spaces, collapsed."""
    s = text.casefold()
    s = re.sub(r"(?<=\d)[.,](?=\d)", "\x00", s)
    s = re.sub(r"[\s\-‐‑‒–—_/,;:!?()\[\]{}\"«»“”]+", " ", s).replace(".", " ")
    return " ".join(s.replace("\x00", ".").split())


def parse(text: str) -> tuple[str, str, dict[str, Any]]:
    """Split a query into (place text, mode, details); mode plain|admin|region|offset."""
    s = light(text)
    m = _OFFSET.match(s)
    if m:
        dist = float(m.group(1).replace(",", ".")) * _unit_km(m.group(2))
        bearing = BEARINGS[m.group(3)]
        return m.group(4), "offset", {"distance_km": dist, "bearing": float(bearing)}
    m = _ADMIN_HEAD.match(s) or _ADMIN_TAIL.match(s)
    if m:
        return m.group(1), "admin", {}
    m = _REGION_HEAD.match(s)
    if m:
        inner = m.group(1)
        m2 = _REGION_TAIL.match(inner)
        return (m2.group(1) if m2 else inner), "region", {}
    m = _REGION_TAIL.match(s)
    if m:
        return m.group(1), "region", {}
    m = _FACILITY_HEAD.match(s) or _FACILITY_TAIL.match(s)
    if m:
        return m.group(1), "facility", {}
    m = _PLACE_HEAD.match(s) or _PLACE_TAIL.match(s)
    if m:
        return m.group(1), "plain", {}
    return text, "plain", {}


#: An offset right before a name in running text: "20 km east of ", "12 miles to the
#: north-west of the town of " (groups: number, unit, bearing word).
OFFSET_BEFORE = _lazy_re(
    rf"{_NUM}\s*(?:-\s*)?({'|'.join(_UNITS)})\.?\s+(?:to\s+the\s+|to\s+)?"
    rf"({_BEARING_RE.replace(chr(92) + ' ', '[ -]?')})(?:ern)?\s+(?:of|from)\s+(?:the\s+)?"
    r"(?:(?:town|city|village)\s+of\s+)?$",
    re.IGNORECASE,
)


def offset_details(number: str, unit: str, bearing: str) -> dict[str, float]:
    """``distance_km`` and ``bearing`` (degrees) of an offset's three words."""
    b = " ".join(bearing.casefold().replace("-", " ").split())
    if b not in BEARINGS:
        b = b.replace(" ", "")
    return {
        "distance_km": float(number.replace(",", ".")) * _unit_km(unit.casefold()),
        "bearing": float(BEARINGS[b]),
    }


def apply(
    lat: float,
    lon: float,
    precision: str,
    precision_km: float,
    mode: str,
    details: dict[str, Any],
) -> tuple[float, float, str, float]:
    """The point, precision and radius (km) a phrase of ``mode`` gives, from its place's.

    A region or facility phrase leaves a country or first-level division as it is.
    """
    if mode == "offset":
        from geostrike.geodesy import GEOD

        dist = float(details["distance_km"])
        lon2, lat2, _ = GEOD.fwd(lon, lat, details["bearing"], dist * 1000.0)
        return (
            float(lat2),
            float(lon2),
            "offset",
            precision_km + max(OFFSET_MIN_KM, OFFSET_SHARE * dist),
        )
    if precision in ("country", "admin1"):
        return lat, lon, precision, precision_km
    if mode == "region":
        return lat, lon, "region", max(precision_km, REGION_MIN_KM)
    if mode == "facility":
        return lat, lon, precision, precision_km + FACILITY_KM
    return lat, lon, precision, precision_km

"""Reading and validating strike claims, and locating them.

Claims come from the user: a CSV, GeoJSON points, a (Geo)Parquet file or a Parquet folder,
or a DataFrame/GeoDataFrame already in memory. Columns (names are matched
case-insensitively; common variants such as ``lat``/``lon``, ``event_date`` and ACLED's
``geo_precision`` are accepted and renamed):

``id`` (generated as ``claim-1`` … ``claim-N`` by row when absent or blank), ``date`` (ISO
``YYYY-MM-DD``; "30 September 2015", "Sep 30, 2015" and day-first "30/09/2015" are also
read), ``attacker``, ``claimant``, ``claimed_target`` (an actor, alias or actor set from the
actor table), ``target_place`` (the place the claimant said it hit), ``place`` and/or
``latitude``/``longitude``, ``precision``, ``source``, ``notes``. Every other column is kept.

Precision: an ACLED ``geo_precision`` code or a radius. ACLED codes map to a radius of
uncertainty as follows (the lower end of ACLED's own description of each level):

* ``1`` (the named town): the gazetteer match's radius when the place was geocoded, else 2 km;
* ``2`` (near a town, or a part of a region): 15 km, or the gazetteer's radius if larger;
* ``3`` (only a larger region is known): 50 km, or the gazetteer's radius if larger.

Any other number is a radius in km; units ``km``, ``m`` and ``mi`` are read ("15km",
"500 m", "10 mi"). Without a precision, a geocoded place gets the gazetteer's radius and
given coordinates are taken as exact (0 km; the tolerance still applies).

A bad file (missing column, empty, not what its extension says, not UTF-8, an unknown
claimed target) is an :class:`~geostrike.errors.InputError`; a bad row (unparseable date,
coordinates out of range, a bad precision) is kept and marked by :func:`parse_claims`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._io import read_text, require_file
from .actors import ActorTable, load_actors
from .errors import GeostrikeError, InputError

#: Radius in km for ACLED geo_precision codes (see the module docstring).
ACLED_PRECISION_KM: dict[int, float] = {1: 2.0, 2: 15.0, 3: 50.0}

#: Column names accepted for each canonical claim column (lower-cased, stripped).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "claim_id", "event_id_cnty", "event_id"),
    "date": ("date", "event_date", "strike_date"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng", "long"),
    "precision": ("precision", "geo_precision", "precision_km"),
    "place": ("place", "location", "town"),
    "claimed_target": ("claimed_target", "claimed target"),
}

_TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".geojson", ".json", ".kml", ".gml"}
_PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".pq"}
_PRECISION_RE = re.compile(
    r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(km|kms|kilometres|kilometers|m|metres|meters|mi|miles)?\s*$",
    re.IGNORECASE,
)


# ------------------------------------------------------------------------ reading tables
def read_table(path: str | Path, *, what: str = "claims") -> pd.DataFrame:
    """Read a CSV, GeoJSON/any GDAL vector, or (Geo)Parquet file/folder into a DataFrame.

    Point geometries become ``latitude``/``longitude`` columns (in WGS84) when those columns
    are absent; other geometry types set the private column ``_geometry_problem``.
    CSV cells are read as text. Raises InputError with one line naming the file.
    """
    p = require_file(path)
    suffix = p.suffix.lower()
    if p.is_dir() or suffix in _PARQUET_SUFFIXES:
        df = _read_parquet(p)
    elif suffix in (".csv", ".tsv", ".txt"):
        text = read_text(p)
        if not text.strip():
            raise InputError(p, "file is empty")
        try:
            df = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                sep="\t" if suffix == ".tsv" else ",",
                skipinitialspace=True,
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise InputError(p, f"is not a readable CSV file ({_first_line(exc)})") from None
    else:
        if suffix in _TEXT_SUFFIXES:
            read_text(p)  # UTF-8 check with a clear message
        df = _read_vector(p)
    if len(df.columns) == 0:
        raise InputError(p, f"has no columns: not a {what} table")
    if len(df) == 0:
        raise InputError(p, f"has no rows: no {what} to read")
    return df


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _read_parquet(p: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(p)
    except Exception as exc:  # pyarrow raises many types for non-Parquet input
        raise InputError(
            p, f"is not a readable Parquet file or folder ({_first_line(exc)})"
        ) from None
    meta = table.schema.metadata or {}
    if b"geo" in meta:
        import geopandas as gpd

        try:
            gdf = gpd.read_parquet(p)
        except Exception as exc:
            raise InputError(
                p, f"has unreadable GeoParquet geometry ({_first_line(exc)})"
            ) from None
        return _points_to_columns(gdf, p)
    return table.to_pandas()


def _read_vector(p: Path) -> pd.DataFrame:
    import pyogrio

    try:
        gdf = pyogrio.read_dataframe(p)
    except Exception as exc:  # pyogrio/GDAL errors: DataSourceError, DataLayerError, ...
        raise InputError(
            p, f"cannot be read as {p.suffix or 'a vector file'} ({_first_line(exc)})"
        ) from None
    return _points_to_columns(gdf, p)


def _points_to_columns(gdf: Any, p: Path | None) -> pd.DataFrame:
    """Turn a GeoDataFrame of points into a DataFrame with latitude/longitude columns."""
    import geopandas as gpd
    import shapely

    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        return pd.DataFrame(gdf)
    geom = gdf.geometry
    if geom.crs is not None and not geom.crs.equals("EPSG:4326"):
        geom = geom.to_crs("EPSG:4326")
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    arr = np.asarray(geom.values, dtype=object)
    missing = shapely.is_missing(arr) | shapely.is_empty(arr)
    is_point = shapely.get_type_id(arr) == 0
    lon = np.where(is_point & ~missing, shapely.get_x(np.where(is_point, arr, None)), np.nan)
    lat = np.where(is_point & ~missing, shapely.get_y(np.where(is_point, arr, None)), np.nan)
    cols = {c.lower() for c in df.columns}
    if not ({"latitude", "lat"} & cols):
        df["latitude"] = lat
    if not ({"longitude", "lon", "lng"} & cols):
        df["longitude"] = lon
    bad = ~missing & ~is_point
    if bad.any():
        df["_geometry_problem"] = np.where(bad, "geometry is not a point", None)
    return df


# ------------------------------------------------------------------------ normalising
def _rename_columns(df: pd.DataFrame) -> pd.DataFrame:
    lower = {str(c).strip().lower(): c for c in df.columns}
    rename: dict[Any, str] = {}
    for canon, names in COLUMN_ALIASES.items():
        if canon in df.columns:
            continue
        for n in names:
            if n in lower and lower[n] not in rename and lower[n] not in COLUMN_ALIASES:
                rename[lower[n]] = canon
                break
    # plain case differences ("Date", "Claimed_Target")
    for low, orig in lower.items():
        if orig not in rename and orig != low and low not in df.columns:
            rename.setdefault(orig, low)
    return df.rename(columns=rename)


def normalise_claims(
    df: pd.DataFrame,
    *,
    path: str | Path | None = None,
    actors: ActorTable | None = None,
    id_start: int = 1,
) -> pd.DataFrame:
    """Check and normalise a claims table (idempotent).

    Renames known column variants, generates ``id`` where absent or blank
    (``claim-{id_start + row}``), writes parseable dates as ISO ``YYYY-MM-DD`` (others are
    left as written, and :func:`parse_claims` marks those rows invalid) and checks every
    ``claimed_target`` against the actor table.

    Raises
    ------
    InputError
        A required column is missing (``date``, ``claimed_target``, and ``place`` or
        ``latitude``/``longitude``).
    UnknownActorError
        A claimed target is in no actor table.
    """
    if len(df.columns) == 0:
        raise InputError(path, "has no columns")
    df = _rename_columns(pd.DataFrame(df).reset_index(drop=True))
    if df.columns.duplicated().any():
        dup = df.columns[df.columns.duplicated()][0]
        raise InputError(path, f"has the column {dup!r} twice")
    missing = [c for c in ("date", "claimed_target") if c not in df.columns]
    has_place = "place" in df.columns
    has_coords = "latitude" in df.columns and "longitude" in df.columns
    if not (has_place or has_coords):
        missing.append("place (or latitude and longitude)")
    if missing:
        raise InputError(path, f"lacks required column(s): {', '.join(missing)}")
    n = len(df)
    # id
    gen = pd.Series([f"claim-{i}" for i in range(id_start, id_start + n)], dtype=object)
    if "id" in df.columns:
        ids = df["id"].astype(object)
        blank = ids.isna() | (ids.astype(str).str.strip() == "")
        df["id"] = ids.astype(str).where(~blank, gen).values
    else:
        df.insert(0, "id", gen.values)
    # date
    if pd.api.types.is_datetime64_any_dtype(df["date"]):
        parsed = parse_dates(df["date"])
        df["date"] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), "").values
    else:
        text = df["date"].astype(object).where(df["date"].notna(), "").astype(str).str.strip()
        redo = ~text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
        if redo.any():
            parsed = parse_dates(text[redo])
            text[redo] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), text[redo])
        df["date"] = text.values
    # claimed target: every distinct value must be a known actor
    table = actors or load_actors()
    targets = df["claimed_target"].astype(object).where(df["claimed_target"].notna(), "")
    for value in pd.unique(targets.astype(str)):
        if value.strip():
            table.resolve_list(value, path=path, column="claimed_target")
    return df


def read_claims(path: str | Path, *, actors: ActorTable | str | Path | None = None) -> pd.DataFrame:
    """Read and check a claims file (CSV, GeoJSON, GPKG, (Geo)Parquet file or folder).

    Returns a DataFrame with ``id`` first, dates as ISO text and every input column; bad
    rows are kept (see :func:`parse_claims`).
    """
    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    df = read_table(path, what="claims")
    return normalise_claims(df, path=path, actors=table)


def claims_from_object(
    claims: Any, *, actors: ActorTable, id_start: int = 1
) -> tuple[pd.DataFrame, str | None]:
    """Claims from a path, a GeoDataFrame of points or a DataFrame: (normalised frame, path)."""
    import geopandas as gpd

    if isinstance(claims, str | Path):
        return read_claims(claims, actors=actors), str(claims)
    if isinstance(claims, gpd.GeoDataFrame):
        df = _points_to_columns(claims, None)
    elif isinstance(claims, pd.DataFrame):
        df = claims
    else:
        raise GeostrikeError(f"claims must be a path or a DataFrame, not {type(claims).__name__}")
    if len(df) == 0 and len(df.columns) == 0:
        raise InputError(None, "the claims table is empty")
    return normalise_claims(df, actors=actors, id_start=id_start), None


# ------------------------------------------------------------------------ parsing values
def parse_dates(values: pd.Series) -> pd.Series:
    """Parse dates to midnight timestamps (NaT where empty or unreadable).

    ISO dates are parsed vectorised; the rest (each distinct value once) with dateutil:
    day-first when the value uses ``/``, ``.`` or ``-`` between numbers ("30/09/2015"),
    month names in any order ("30 September 2015", "Sep 30, 2015"). A value lacking a day,
    month or year ("2015", "September 2015") is not a date.
    """
    s = pd.Series(values, copy=False)
    if pd.api.types.is_datetime64_any_dtype(s):
        out = pd.to_datetime(s, errors="coerce")
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out.dt.normalize()
    text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
    iso = text.str.match(r"^\d{4}-\d{2}-\d{2}([T ].*)?$")
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if iso.any():
        parsed = pd.to_datetime(text[iso].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        out[iso] = parsed
    rest = ~iso & (text != "")
    if rest.any():
        mapping = {v: _parse_one_date(v) for v in pd.unique(text[rest])}
        out[rest] = pd.to_datetime(text[rest].map(mapping), errors="coerce")
    return out


_DEFAULT_A = pd.Timestamp("2001-01-01").to_pydatetime()
_DEFAULT_B = pd.Timestamp("2002-02-02").to_pydatetime()


def _parse_one_date(value: str) -> pd.Timestamp | None:
    from dateutil import parser as dparser

    dayfirst = bool(re.match(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}$", value))
    try:
        a = dparser.parse(value, dayfirst=dayfirst, default=_DEFAULT_A, fuzzy=False)
        b = dparser.parse(value, dayfirst=dayfirst, default=_DEFAULT_B, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    if (a.year, a.month, a.day) != (b.year, b.month, b.day):
        return None  # some part of the date was missing
    try:
        return pd.Timestamp(a.year, a.month, a.day)
    except (ValueError, OverflowError):
        return None


def parse_precision(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse the precision column.

    Returns
    -------
    (radius_km, acled_code, bad)
        ``radius_km`` is NaN where empty or bad; ``acled_code`` is 1–3 for ACLED codes, else 0;
        ``bad`` marks values that are neither.
    """
    s = pd.Series(values, copy=False)
    text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
    uniq = pd.unique(text)
    table: dict[str, tuple[float, int, bool]] = {}
    for v in uniq:
        table[v] = _parse_one_precision(v)
    km = text.map(lambda v: table[v][0]).to_numpy(dtype=float)
    code = text.map(lambda v: table[v][1]).to_numpy(dtype=np.int8)
    bad = text.map(lambda v: table[v][2]).to_numpy(dtype=bool)
    return km, code, bad


def _parse_one_precision(v: str) -> tuple[float, int, bool]:
    if v == "" or v.lower() in ("nan", "none", "null"):
        return np.nan, 0, False
    m = _PRECISION_RE.match(v)
    if not m:
        return np.nan, 0, True
    num = float(m.group(1))
    unit = (m.group(2) or "").lower()
    if not unit and num in (1.0, 2.0, 3.0):
        code = int(num)
        return ACLED_PRECISION_KM[code], code, False
    if unit in ("m", "metres", "meters"):
        num /= 1000.0
    elif unit in ("mi", "miles"):
        num *= 1.609344
    return num, 0, False


def _coordinates(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, longitude (NaN where absent) and a problem text per row (None if fine)."""
    n = len(df)
    problem = np.full(n, None, dtype=object)
    if "latitude" not in df.columns or "longitude" not in df.columns:
        return np.full(n, np.nan), np.full(n, np.nan), problem

    def _num(col: str) -> tuple[np.ndarray, np.ndarray]:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s.dtype):
            num = s.to_numpy(dtype=float, na_value=np.nan)
            return num, np.zeros(len(s), dtype=bool)
        text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
        num = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        num = num.to_numpy(dtype=float)
        blank = (text == "").to_numpy() | (text.str.lower() == "nan").to_numpy()
        return num, (~blank & ~np.isfinite(num))

    lat, lat_bad = _num("latitude")
    lon, lon_bad = _num("longitude")
    raw_lat = df["latitude"].astype(str).to_numpy()
    raw_lon = df["longitude"].astype(str).to_numpy()
    for mask, msg in (
        (lat_bad, "the latitude {lat!r} is not a number"),
        (lon_bad, "the longitude {lon!r} is not a number"),
        (np.isfinite(lat) & (np.abs(lat) > 90), "the latitude {lat} is outside [-90, 90]"),
        (np.isfinite(lon) & (np.abs(lon) > 180), "the longitude {lon} is outside [-180, 180]"),
        (
            np.isfinite(lat) ^ np.isfinite(lon) & ~lat_bad & ~lon_bad,
            "only one of latitude and longitude is given",
        ),
    ):
        rows = np.flatnonzero(mask & (problem == None))  # noqa: E711
        for i in rows:
            problem[i] = msg.format(lat=raw_lat[i], lon=raw_lon[i])
    bad = problem != None  # noqa: E711
    lat = np.where(bad, np.nan, lat)
    lon = np.where(bad, np.nan, lon)
    return lat, lon, problem


# ------------------------------------------------------------------------ parsed claims
@dataclass
class ParsedClaims:
    """Per-row arrays derived from a normalised claims table (no Python objects per row
    beyond the problem texts)."""

    date: pd.Series  # datetime64, NaT where empty or unreadable
    latitude: np.ndarray
    longitude: np.ndarray
    location_source: np.ndarray  # "given" | "gazetteer" | None
    location_name: np.ndarray
    precision_km: np.ndarray
    target: np.ndarray  # canonical ids joined by ";" ("" when none)
    status: np.ndarray  # "ok" | "invalid" | "unresolved"
    problem: np.ndarray  # reason text for bad rows (None when ok)
    stated_latitude: np.ndarray
    stated_longitude: np.ndarray
    stated_name: np.ndarray


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df.columns:
        return pd.Series([""] * len(df), index=df.index, dtype=object)
    s = df[name]
    return s.astype(object).where(s.notna(), "").astype(str).str.strip()


def parse_claims(
    df: pd.DataFrame,
    *,
    actors: ActorTable,
    path: str | Path | None = None,
    geocode: bool = True,
) -> ParsedClaims:
    """Validate every row of a normalised claims table and locate it.

    Locations come from the given coordinates, else from geocoding ``place`` with
    :func:`geostrike.geocoder.geocode_many` (batched over distinct names, with the
    ``country`` column as hint when it holds ISO alpha-2 codes). Rows that cannot be used
    get status ``invalid`` (bad date, coordinates or precision; nothing to locate) or
    ``unresolved`` (a place the gazetteer does not know) and a problem text.
    """
    n = len(df)
    status = np.full(n, "ok", dtype=object)
    problem = np.full(n, None, dtype=object)

    def _flag(mask: np.ndarray, st: str, texts: Any) -> None:
        """Mark rows (not already bad); ``texts`` is a str, an array, or a function of the
        selected row positions returning their texts."""
        sel = np.flatnonzero(mask & (status == "ok"))
        if len(sel) == 0:
            return
        status[sel] = st
        if callable(texts):
            problem[sel] = texts(sel)
        elif isinstance(texts, np.ndarray):
            problem[sel] = texts[sel]
        else:
            problem[sel] = texts

    # geometry problems from GeoJSON/GeoParquet input
    if "_geometry_problem" in df.columns:
        gp = df["_geometry_problem"].to_numpy(dtype=object)
        _flag(pd.notna(gp), "invalid", lambda rows: ["the " + str(gp[i]) for i in rows])

    # date
    date_text = _col(df, "date")
    date = parse_dates(date_text)
    no_date = (date_text == "").to_numpy()
    bad_date = date.isna().to_numpy() & ~no_date
    _flag(no_date, "invalid", "no date is given")
    dt = date_text.to_numpy(dtype=object)
    _flag(bad_date, "invalid", lambda rows: [f"the date {dt[i]!r} could not be read" for i in rows])

    # coordinates
    lat, lon, coord_problem = _coordinates(df)
    _flag(coord_problem != None, "invalid", coord_problem)  # noqa: E711

    # precision
    prec_km, prec_code, prec_bad = parse_precision(_col(df, "precision"))
    if prec_bad.any():
        raw = _col(df, "precision").to_numpy(dtype=object)
        _flag(
            prec_bad,
            "invalid",
            lambda rows: [
                f"the precision {raw[i]!r} is neither an ACLED code (1-3) nor a radius in km"
                for i in rows
            ],
        )

    # target
    targets = _col(df, "claimed_target")
    tmap = {
        v: ";".join(sorted(actors.resolve_list(v, path=path, column="claimed_target"))) if v else ""
        for v in pd.unique(targets)
    }
    target = targets.map(tmap).to_numpy(dtype=object)

    # locate
    place = _col(df, "place").to_numpy(dtype=object)
    given = np.isfinite(lat) & np.isfinite(lon)
    location_source = np.where(given, "given", None).astype(object)
    location_name = np.where(place != "", place, None).astype(object)
    precision_km = np.where(np.isfinite(prec_km), prec_km, np.where(given, 0.0, np.nan))
    need = ~given & (place != "") & (status == "ok")
    _flag(~given & (place == ""), "invalid", "no place or coordinates are given")
    country = _col(df, "country").to_numpy(dtype=object) if "country" in df.columns else None
    if need.any():
        if geocode:
            matches = _geocode_column(place, need, country)
        else:
            matches = np.full(n, None, dtype=object)
        found = np.array([m is not None for m in matches], dtype=bool) & need
        if found.any():
            idx = np.flatnonzero(found)
            lat[idx] = [matches[i].latitude for i in idx]
            lon[idx] = [matches[i].longitude for i in idx]
            gkm = np.array([float(matches[i].precision_km or 0.0) for i in idx])
            location_source[idx] = "gazetteer"
            location_name[idx] = [matches[i].name for i in idx]
            code = prec_code[idx]
            own = prec_km[idx]
            precision_km[idx] = np.where(
                code == 1,
                gkm,
                np.where(np.isfinite(own), np.where(code > 0, np.maximum(own, gkm), own), gkm),
            )
        missing = need & ~found
        _flag(
            missing,
            "unresolved",
            lambda rows: [f"the place {place[i]!r} was not found in the gazetteer" for i in rows],
        )

    # stated place (target_place): geocoded, never an error
    stated = _col(df, "target_place").to_numpy(dtype=object)
    s_lat = np.full(n, np.nan)
    s_lon = np.full(n, np.nan)
    s_name = np.full(n, None, dtype=object)
    want = (stated != "") & (status == "ok")
    if want.any() and geocode:
        sm = _geocode_column(stated, want, country)
        for i in np.flatnonzero(want):
            m = sm[i]
            if m is not None:
                s_lat[i], s_lon[i], s_name[i] = m.latitude, m.longitude, m.name
    s_name = np.where((stated != "") & (s_name == None), stated, s_name)  # noqa: E711

    return ParsedClaims(
        date=date,
        latitude=lat,
        longitude=lon,
        location_source=location_source,
        location_name=location_name,
        precision_km=precision_km,
        target=target,
        status=status,
        problem=problem,
        stated_latitude=s_lat,
        stated_longitude=s_lon,
        stated_name=s_name,
    )


def _geocode_column(names: np.ndarray, mask: np.ndarray, country: np.ndarray | None) -> np.ndarray:
    """Geocode the distinct (name, country) pairs among ``names[mask]``; Match or None per row."""
    out = np.full(len(names), None, dtype=object)
    try:
        from .geocoder import geocode_many
    except ImportError:  # the gazetteer is not installed in this build
        return out
    rows = np.flatnonzero(mask)
    hints = (
        np.array(
            [c.upper() if len(c) == 2 and c.isalpha() else "" for c in country[rows]], dtype=object
        )
        if country is not None
        else np.full(len(rows), "", dtype=object)
    )
    frame = pd.DataFrame({"name": names[rows], "hint": hints, "row": rows})
    for hint, grp in frame.groupby("hint", sort=False):
        uniq = pd.unique(grp["name"])
        try:
            found = geocode_many(list(uniq), country=hint or None)
        except GeostrikeError:
            raise
        lookup = dict(zip(uniq, found, strict=True))
        out[grp["row"].to_numpy()] = [lookup[v] for v in grp["name"]]
    return out

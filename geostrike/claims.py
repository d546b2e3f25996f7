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
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
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

#: The claim columns geostrike reads (others are carried through untouched).
KNOWN_COLUMNS: tuple[str, ...] = (
    "id",
    "date",
    "attacker",
    "claimant",
    "claimed_target",
    "target_place",
    "place",
    "latitude",
    "longitude",
    "precision",
    "source",
    "notes",
    "country",
)

_NORMALISED = "geostrike_claims_actors"  # attrs key: id of the actor table a frame was checked with
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
        df = _read_csv(p, suffix)
    else:
        if suffix in _TEXT_SUFFIXES:
            read_text(p)  # UTF-8 check with a clear message
        df = _read_vector(p)
    if len(df.columns) == 0:
        raise InputError(p, f"has no columns: not a {what} table")
    if len(df) == 0:
        raise InputError(p, f"has no rows: no {what} to read")
    return df


def _read_csv(p: Path, suffix: str) -> pd.DataFrame:
    """Every cell as text (never NaN): pyarrow's reader, pandas' on anything it refuses."""
    text = read_text(p)  # UTF-8 check with a clear message
    if not text.strip():
        raise InputError(p, "file is empty")
    header = text.split("\n", 1)[0]
    sep = (
        "\t"
        if suffix == ".tsv" or header.count("\t") > header.count(",")
        else ";"
        if header.count(";") > header.count(",")
        else ","
    )
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = next(iter(_csv_module_reader(header, sep)), [])
        if len(set(names)) == len(names) and all(n.strip() == n and n for n in names):
            table = pacsv.read_csv(
                io.BytesIO(text.encode("utf-8")),
                parse_options=pacsv.ParseOptions(delimiter=sep),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            return table.to_pandas()
    except Exception:  # noqa: BLE001 - fall back to pandas' more forgiving parser
        pass
    try:
        return pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, sep=sep, skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(p, f"is not a readable CSV file ({_first_line(exc)})") from None


def _csv_module_reader(line: str, sep: str) -> Any:
    import csv

    return csv.reader([line], delimiter=sep)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0].split("; It might help")[0].rstrip(". ") if text else type(exc).__name__
    return line[:200]


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
    # case differences in the known columns only ("Date", "Claimed_Target"); other columns
    # are carried through exactly as named
    for low, orig in lower.items():
        if (
            low in KNOWN_COLUMNS
            and orig not in rename
            and orig != low
            and low not in df.columns
            and low not in rename.values()
        ):
            rename[orig] = low
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
    if df.attrs.get(_NORMALISED) == id(actors or load_actors()):
        return df  # already checked against this actor table (e.g. by read_claims)
    if hasattr(df, "geometry") and "geometry" in getattr(df, "columns", ()):
        df = _points_to_columns(df, None if path is None else Path(path))
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
    # id (kept as written; generated where absent or blank)
    if "id" in df.columns:
        ids = df["id"]
        converted = not (pd.api.types.is_string_dtype(ids) or ids.dtype == object)
        if converted:
            ids = ids.astype(str).where(ids.notna(), "")
        blank = (ids.isna() | (ids.astype(str).str.strip() == "")).to_numpy(dtype=bool)
        if blank.any():
            rows = np.flatnonzero(blank)
            out = ids.to_numpy(dtype=object, na_value="")
            out[rows] = [f"claim-{id_start + i}" for i in rows]
            df["id"] = out
        elif converted:  # text columns are kept as they are (no copy of a million strings)
            df["id"] = ids.to_numpy(dtype=object)
    else:
        df.insert(
            0, "id", np.array([f"claim-{i}" for i in range(id_start, id_start + n)], dtype=object)
        )
    # date, as ISO text where readable (each distinct value parsed once)
    codes, uniq, tidy = _factorize_text(df["date"])
    parsed = parse_dates(pd.Series(uniq, dtype=object))
    iso = parsed.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    fixed = np.where(parsed.notna().to_numpy(), iso, uniq)
    if not (tidy and np.array_equal(fixed, uniq)):  # else kept as read (not copied)
        df["date"] = pd.Series(fixed[codes], index=df.index, dtype=object)
    # claimed target: every distinct value must be a known actor
    table = actors or load_actors()
    tcodes, targets = factorize_text(df["claimed_target"])
    given = [i for i, v in enumerate(targets) if v]
    table.check_all(  # every unknown value in one error, with its rows
        [targets[i] for i in given],
        path=path,
        column="claimed_target",
        rows_of=lambda k: np.flatnonzero(tcodes == given[k]) + 1,
        resolve=lambda v: resolve_actors(table, v, path=path, column="claimed_target"),
    )
    df.attrs[_NORMALISED] = id(table)
    return df


def factorize_text(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct stripped texts of a column (missing values → ``""``).

    The hot-path idiom of this module: work on the few distinct values of a column, then
    spread the results back with ``result[codes]``.
    """
    codes, texts, _ = _factorize_text(values)
    return codes, texts


def _factorize_text(values: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """:func:`factorize_text`, and whether every value already was its own stripped text
    (no missing value, no surrounding spaces)."""
    codes, uniq = pd.factorize(pd.Series(values, copy=False), use_na_sentinel=True)
    raw = np.asarray(uniq, dtype=object)
    texts = [
        "" if u is None or (isinstance(u, float) and np.isnan(u)) else str(u).strip() for u in raw
    ]
    tidy = all(isinstance(u, str) and u == t for u, t in zip(raw, texts, strict=True))
    texts.append("")  # the missing value
    missing = codes < 0
    if missing.any():
        codes[missing] = len(texts) - 1
        tidy = False
    return codes, np.array(texts, dtype=object), tidy


_LOOSE_SEPARATORS = re.compile(r"\s*(?:[,/+&|]|\band\b)\s*", re.IGNORECASE)


def resolve_actors(
    table: ActorTable, value: str, *, path: str | Path | None = None, column: str | None = None
) -> frozenset[str]:
    """Resolve an actor cell: names separated by ``;`` (joint or mixed control, or "any of").

    When a cell does not resolve as written, other common separators are tried ("rebels /
    al-Nusra", "IS, al-Nusra", "SAA and Hezbollah"); if the parts do not all resolve either,
    the original :class:`~geostrike.errors.UnknownActorError` (naming the value) is raised.
    """
    try:
        return table.resolve_list(value, path=path, column=column)
    except InputError:
        parts = [p for p in _LOOSE_SEPARATORS.split(str(value)) if p.strip()]
        if len(parts) > 1 and all(table.lookup(p) is not None for p in parts):
            return table.resolve_list(";".join(parts), path=path, column=column)
        raise


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
        distinct = pd.unique(text[rest])
        dayfirst = _numeric_date_order(distinct)
        mapping = {v: _parse_one_date(v, dayfirst) for v in distinct}
        out[rest] = pd.to_datetime(text[rest].map(mapping), errors="coerce")
    return out


_DEFAULT_A = pd.Timestamp("2001-01-01").to_pydatetime()
_DEFAULT_B = pd.Timestamp("2002-02-02").to_pydatetime()


_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}$")


def _numeric_date_order(values: np.ndarray) -> bool:
    """Whether a column's numeric dates ("10/01/2015") are day-first.

    A file uses one convention: a first number above 12 anywhere means day-first, a second
    number above 12 means month-first (US). When every such date is ambiguous, day-first is
    assumed (the international reading) and a warning says so.
    """
    firsts, seconds = [], []
    for v in values:
        m = _NUMERIC_DATE.match(str(v))
        if m:
            firsts.append(int(m.group(1)))
            seconds.append(int(m.group(2)))
    if not firsts:
        return True
    if max(seconds) > 12 and max(firsts) <= 12:
        return False
    if max(firsts) <= 12 and any(a != b for a, b in zip(firsts, seconds, strict=True)):
        warnings.warn(
            "numeric dates such as "
            f"{next(str(v) for v in values if _NUMERIC_DATE.match(str(v)))!r} are ambiguous; "
            "read day-first (write YYYY-MM-DD to be sure)",
            stacklevel=3,
        )
    return True


def _parse_one_date(value: str, dayfirst: bool = True) -> pd.Timestamp | None:
    from dateutil import parser as dparser

    dayfirst = dayfirst and bool(_NUMERIC_DATE.match(value))
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
    codes, uniq = factorize_text(values)
    parsed = [_parse_one_precision(v) for v in uniq]
    km = np.array([p[0] for p in parsed], dtype=float)[codes]
    code = np.array([p[1] for p in parsed], dtype=np.int8)[codes]
    bad = np.array([p[2] for p in parsed], dtype=bool)[codes]
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


def _arrow_floats(s: pd.Series) -> np.ndarray | None:
    """A text column held by Arrow (as CSV files are read) parsed by Arrow's number cast:
    some twenty times faster than ``pd.to_numeric`` on a million cells. None when the column
    is not Arrow text or any cell is not a plain number (then the forgiving path runs)."""
    import pyarrow as pa
    import pyarrow.compute as pac

    dtype = s.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return None
    try:
        floats = pac.cast(pa.array(s.array), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return None
    return np.array(floats.to_numpy(zero_copy_only=False), dtype=float)


def _coordinates(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, longitude (NaN where absent) and a problem text per row (None if fine)."""
    n = len(df)
    problem = np.full(n, None, dtype=object)
    if "latitude" not in df.columns or "longitude" not in df.columns:
        return np.full(n, np.nan), np.full(n, np.nan), problem

    def _num(col: str) -> tuple[np.ndarray, np.ndarray]:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s.dtype):  # a copy: located rows are written later
            num = np.array(s.to_numpy(dtype=float, na_value=np.nan), dtype=float)
            return num, np.zeros(len(s), dtype=bool)
        # a fresh writable array: to_numpy can return a read-only view (Arrow-backed data,
        # frames from Dask workers), and the retry below writes into it
        num = _arrow_floats(s)
        if num is None:
            num = np.array(
                pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan),
                dtype=float,
            )
        bad = np.zeros(len(s), dtype=bool)
        retry = np.flatnonzero(~np.isfinite(num))
        if len(retry):  # blanks, decimal commas, stray spaces: only these rows again
            text = s.iloc[retry].astype(object).where(s.iloc[retry].notna(), "").astype(str)
            text = text.str.strip()
            again = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
            num[retry] = again.to_numpy(dtype=float, na_value=np.nan)
            blank = (text == "").to_numpy() | text.str.lower().isin(
                ["nan", "none", "null"]
            ).to_numpy()
            bad[retry] = ~blank & ~np.isfinite(num[retry])
        return num, bad

    lat, lat_bad = _num("latitude")
    lon, lon_bad = _num("longitude")
    flagged = np.zeros(n, dtype=bool)
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
        rows = np.flatnonzero(mask & ~flagged)
        flagged[rows] = True
        for i in rows:  # bad rows only
            problem[i] = msg.format(
                lat=str(df["latitude"].iat[i]).strip(), lon=str(df["longitude"].iat[i]).strip()
            )
    if flagged.any():
        lat = np.where(flagged, np.nan, lat)
        lon = np.where(flagged, np.nan, lon)
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
    #: codes of the distinct ``date`` texts (:func:`factorize_text`), for grouping rows,
    #: and those texts (``date_values[date_codes]`` is each row's date as written)
    date_codes: np.ndarray | None = None
    date_values: np.ndarray | None = None
    #: codes of the distinct ``claimed_target`` texts and each one's ``target`` value
    #: (``target == target_values[target_codes]``)
    target_codes: np.ndarray | None = None
    target_values: np.ndarray | None = None
    #: per row, how many gazetteer places matched ``place`` (0: given coordinates or none)
    candidates: np.ndarray | None = None


#: Row statuses, by their code in :func:`parse_claims`.
_STATUSES: tuple[str, ...] = ("ok", "invalid", "unresolved", "ambiguous")


def _spread(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``values[codes]`` for an object array, by one fill when every code is the same (a
    million-row take of Python objects costs tens of milliseconds, a fill a few)."""
    if len(codes) and codes.min() == codes.max():
        return np.full(len(codes), values[codes[0]], dtype=object)
    return values[codes]


def _text(df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct texts) of a column; a missing column is all ``""``."""
    if name not in df.columns:
        return np.zeros(len(df), dtype=np.int64), np.array([""], dtype=object)
    return factorize_text(df[name])


def parse_claims(
    df: pd.DataFrame,
    *,
    actors: ActorTable,
    path: str | Path | None = None,
    geocode: bool = True,
    country: str | Sequence[str] | Callable[[], Sequence[str]] | None = None,
) -> ParsedClaims:
    """Validate every row of a normalised claims table and locate it.

    Locations come from the given coordinates, else from geocoding ``place`` with
    :func:`geostrike.geocoder.geocode_many` (batched over distinct names, with the
    ``country`` column as hint when it holds ISO alpha-2 codes). Rows that cannot be used
    get status ``invalid`` (bad date, coordinates or precision; nothing to locate) or
    ``unresolved`` (a place the gazetteer does not know) and a problem text. Text columns
    are worked on through their distinct values, so the cost grows with the number of
    distinct dates, places and targets, not of rows. ``country`` (ISO codes: the
    countries the zones cover, or the user's ``--country``) is the geocoding context of
    rows without a ``country`` cell (a function giving them is called only when some
    place is to be geocoded); a name matching places far apart is ``ambiguous``.
    """
    got: list[tuple[str, ...]] = []

    def context() -> tuple[str, ...]:
        if not got:
            got.append(_context_codes(country() if callable(country) else country))
        return got[0]

    n = len(df)
    status_code = np.zeros(n, dtype=np.int8)  # index into _STATUSES
    fine = np.ones(n, dtype=bool)  # status == "ok", kept as booleans
    problem = np.full(n, None, dtype=object)

    def _flag(mask: np.ndarray, st: str, texts: Any) -> None:
        """Mark rows (not already bad); ``texts`` is a str, an array, or a function of the
        selected row positions returning their texts."""
        sel = np.flatnonzero(mask & fine)
        if len(sel) == 0:
            return
        status_code[sel] = _STATUSES.index(st)
        fine[sel] = False
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
    dcodes, du = _text(df, "date")
    parsed_u = parse_dates(pd.Series(du, dtype=object)).to_numpy(dtype="datetime64[ns]")
    date = pd.Series(parsed_u[dcodes], index=df.index)
    no_date = (du == "")[dcodes]
    bad_date = np.isnat(parsed_u)[dcodes] & ~no_date
    _flag(no_date, "invalid", "no date is given")
    _flag(
        bad_date,
        "invalid",
        lambda rows: [f"the date {du[dcodes[i]]!r} could not be read" for i in rows],
    )

    # coordinates
    lat, lon, coord_problem = _coordinates(df)
    _flag(coord_problem != None, "invalid", coord_problem)  # noqa: E711 (few rows: cheap)

    # precision
    pcodes, pu = _text(df, "precision")
    km_u, code_u, bad_u = parse_precision(pd.Series(pu, dtype=object))
    prec_km, prec_code, prec_bad = km_u[pcodes], code_u[pcodes], bad_u[pcodes]
    _flag(
        prec_bad,
        "invalid",
        lambda rows: [
            f"the precision {pu[pcodes[i]]!r} is neither an ACLED code (1-3) nor a radius in km"
            for i in rows
        ],
    )

    # target
    tcodes, tu = _text(df, "claimed_target")
    target_u = np.array(
        [
            ";".join(sorted(resolve_actors(actors, v, path=path, column="claimed_target")))
            if v
            else ""
            for v in tu
        ],
        dtype=object,
    )
    target = target_u[tcodes]

    # locate
    plcodes, plu = _text(df, "place")
    has_place = (plu != "")[plcodes]
    given = np.isfinite(lat) & np.isfinite(lon)
    # object columns by one take on their few values (None appended for the blank rows)
    location_source = _spread(np.array(["given", None], dtype=object), np.where(given, 0, 1))
    location_name = _spread(np.append(plu, None), np.where(has_place, plcodes, len(plu)))
    precision_km = np.where(np.isfinite(prec_km), prec_km, np.where(given, 0.0, np.nan))
    _flag(~given & ~has_place, "invalid", "no place or coordinates are given")
    need = ~given & has_place & fine
    ccodes, cu = _text(df, "country")
    candidates = np.zeros(n, dtype=np.int64)
    if need.any():
        m = _geocode_rows(plcodes, plu, ccodes, cu, need, enabled=geocode, context=context())
        candidates = m.candidates
        found = need & m.found
        idx = np.flatnonzero(found)
        if len(idx):
            lat[idx] = m.latitude[idx]
            lon[idx] = m.longitude[idx]
            gkm = m.precision_km[idx]
            location_source[idx] = "gazetteer"
            location_name[idx] = m.name[idx]
            code = prec_code[idx]
            own = prec_km[idx]
            precision_km[idx] = np.where(
                code == 1,
                gkm,
                np.where(np.isfinite(own), np.where(code > 0, np.maximum(own, gkm), own), gkm),
            )
        _flag(need & m.ambiguous, "ambiguous", m.problem)
        _flag(
            need & ~found,
            "unresolved",
            lambda rows: [
                m.problem[i] or f"the place {plu[plcodes[i]]!r} was not found in the gazetteer"
                for i in rows
            ],
        )

    # stated place (target_place): geocoded, never an error
    scodes, su = _text(df, "target_place")
    has_stated = (su != "")[scodes]
    s_lat = np.full(n, np.nan)
    s_lon = np.full(n, np.nan)
    s_name = _spread(np.append(su, None), np.where(has_stated, scodes, len(su)))
    want = has_stated & fine
    if want.any():
        m = _geocode_rows(scodes, su, ccodes, cu, want, enabled=geocode, context=context())
        got = want & m.found
        s_lat[got] = m.latitude[got]
        s_lon[got] = m.longitude[got]
        s_name[got] = m.name[got]

    status = np.array(_STATUSES, dtype=object)[status_code]
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
        date_codes=dcodes,
        date_values=du,
        target_codes=tcodes,
        target_values=target_u,
        candidates=candidates,
    )


@dataclass
class _Located:
    found: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    precision_km: np.ndarray
    name: np.ndarray
    #: per row: why a place is not used (None when found or plainly not in the gazetteer)
    problem: np.ndarray | None = None
    #: per row: the name matches several places far apart (``problem`` says which)
    ambiguous: np.ndarray | None = None
    #: per row: how many gazetteer places matched the name (0 when not found)
    candidates: np.ndarray | None = None


def _context_codes(country: str | Sequence[str] | None) -> tuple[str, ...]:
    """ISO alpha-2 codes of a context given as "YE", "YE,SA", ["UA"] or country names."""
    if country is None:
        return ()
    items = country.replace(";", ",").split(",") if isinstance(country, str) else country
    return tuple(dict.fromkeys(c for c in (_country_code(str(i)) for i in items) if c))


def _country_code(value: str) -> str:
    """ISO alpha-2 code of a ``country`` cell ("SY", "sy", "Syria"); "" when unknown."""
    v = str(value).strip()
    if len(v) == 2 and v.isalpha():
        return v.upper()
    return _country_names().get(v.casefold(), "") if v else ""


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    try:
        from .outlines import countries

        world = countries("110m")
    except Exception:  # noqa: BLE001 - outlines not installed: no name hints
        return {}
    return {
        str(n).casefold(): str(c) for n, c in zip(world["name"], world["iso_a2"], strict=True) if c
    }


def _geocode_rows(
    name_codes: np.ndarray,
    names: np.ndarray,
    country_codes: np.ndarray,
    countries: np.ndarray,
    mask: np.ndarray,
    *,
    enabled: bool = True,
    context: tuple[str, ...] = (),
) -> _Located:
    """Geocode each distinct (name, country hint) among the rows in ``mask`` once.

    The ``country`` column (ISO alpha-2 codes or country names) is the hint of its row;
    rows without one are looked up in the ``context`` countries (those the zones cover,
    or ``--country``), and a name found only elsewhere is not used: its problem says
    where it was found. A name matching several places far apart (in one country, or in
    two context countries) is ``ambiguous``, with the candidates in its problem. Returns
    per-row arrays (found is False outside ``mask``, where the gazetteer has no match,
    and where the match is ambiguous or outside the context).
    """
    n = len(name_codes)
    out = _Located(
        np.zeros(n, dtype=bool),
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.full(n, None, dtype=object),
        np.full(n, None, dtype=object),
        np.zeros(n, dtype=bool),
        np.zeros(n, dtype=np.int64),
    )
    if not enabled or not mask.any():
        return out
    try:
        from .geocoder import geocode_frame
    except ImportError:  # the gazetteer is not installed in this build
        return out
    rows = np.flatnonzero(mask)
    key = name_codes[rows].astype(np.int64) * len(countries) + country_codes[rows]
    kcodes, kuniq = pd.factorize(key)
    u_name = names[kuniq // len(countries)]
    u_hint = np.array([_country_code(c) for c in countries[kuniq % len(countries)]], dtype=object)
    nu = len(kuniq)
    found = np.zeros(nu, dtype=bool)
    lat = np.full(nu, np.nan)
    lon = np.full(nu, np.nan)
    km = np.full(nu, np.nan)
    nm = np.full(nu, None, dtype=object)
    why = np.full(nu, None, dtype=object)
    amb = np.zeros(nu, dtype=bool)
    cand = np.zeros(nu, dtype=np.int64)
    for hint in pd.unique(u_hint):  # one batch per country hint
        sel = np.flatnonzero(u_hint == hint)
        queries = [str(v) for v in u_name[sel]]
        scope = (hint,) if hint else tuple(context)
        fr = _in_scope(queries, scope)
        ok = fr["found"].to_numpy(dtype=bool)
        ambiguity = fr["ambiguity"].to_numpy(dtype=object)
        is_amb = ok & pd.notna(ambiguity)
        use = ok & ~is_amb
        found[sel] = use
        amb[sel] = is_amb
        lat[sel] = np.where(use, fr["latitude"].to_numpy(dtype=float), np.nan)
        lon[sel] = np.where(use, fr["longitude"].to_numpy(dtype=float), np.nan)
        km[sel] = np.where(use, fr["precision_km"].fillna(0.0).to_numpy(), np.nan)
        nm[sel] = np.where(use, fr["name"].to_numpy(dtype=object), None)
        cand[sel] = fr["candidates"].fillna(0).to_numpy(dtype=np.int64)
        for i in np.flatnonzero(is_amb).tolist():
            why[sel[i]] = f"the place {queries[i]!r} is ambiguous: {ambiguity[i]}"
        missing = np.flatnonzero(~ok)
        for i in missing.tolist():  # "A, B" / "A (B)": say where A is, if not in B
            why[sel[i]] = _outside_qualifier(queries[i], scope)
        if scope and len(missing):  # found elsewhere? say where, and do not use it
            abroad = geocode_frame([queries[i] for i in missing])
            for j, i in enumerate(missing.tolist()):
                if abroad["found"].iat[j] and why[sel[i]] is None:
                    where = ", ".join(
                        str(x)
                        for x in (
                            abroad["name"].iat[j],
                            abroad["admin1"].iat[j],
                            abroad["country_code"].iat[j],
                        )  # fmt: skip
                        if x is not None and x == x
                    )
                    why[sel[i]] = (
                        f"the place {queries[i]!r} was found only outside the context "
                        f"({', '.join(scope)}): {where}; give its country in a 'country' "
                        "column or --country to use it"
                    )
    out.found[rows] = found[kcodes]
    out.latitude[rows] = lat[kcodes]
    out.longitude[rows] = lon[kcodes]
    out.precision_km[rows] = km[kcodes]
    out.name[rows] = nm[kcodes]
    out.problem[rows] = why[kcodes]
    out.ambiguous[rows] = amb[kcodes]
    out.candidates[rows] = cand[kcodes]
    return out


_QUALIFIED = re.compile(r"^\s*(.+?)\s*(?:,\s*(.+?)|[(\[]\s*([^()\[\]]+?)\s*[)\]])\s*$")


def _outside_qualifier(query: str, scope: tuple[str, ...]) -> str | None:
    """For "A, B" or "A (B)" not found: where A alone is, when it is somewhere else."""
    m = _QUALIFIED.match(query)
    if not m:
        return None
    from .geocoder import geocode

    head, qual = m.group(1), m.group(2) or m.group(3)
    places = [geocode(head, country=c) for c in scope] if scope else [geocode(head)]
    found = [p for p in places if p is not None]
    if not found:
        return None
    where = "; ".join(f"{p.name} ({p.admin1}, {p.country_code})" for p in found)
    return (
        f"the place {query!r} was not found: no {head!r} in or within 50 km of {qual!r} "
        f"in the gazetteer, which has {head!r} only at {where}"
    )


def _in_scope(queries: list[str], scope: tuple[str, ...]) -> pd.DataFrame:
    """Answers within the scope countries (no scope: anywhere). With several countries,
    each is searched; a name found in one is that answer; found in several, the answers
    are ambiguous when farther apart than the geocoder's ambiguity distance, else the
    first country's (the one the zones cover most)."""
    from .geocoder import _ambiguity_km, geocode_frame
    from .geodesy import geodesic_km

    if len(scope) <= 1:
        return geocode_frame(queries, country=scope[0] if scope else None)

    frames = [geocode_frame(queries, country=c) for c in scope]
    hits = np.array([f["found"].to_numpy(dtype=bool) for f in frames])
    first = np.where(hits.any(axis=0), hits.argmax(axis=0), 0)
    out = pd.DataFrame({c: frames[0][c].astype(object) for c in frames[0].columns})
    for k in range(1, len(frames)):
        take = first == k
        if take.any():
            for c in out.columns:
                col = out[c].to_numpy(dtype=object).copy()
                col[take] = frames[k][c].astype(object).to_numpy()[take]
                out[c] = col
    for i in np.flatnonzero(hits.sum(axis=0) > 1).tolist():
        ks = np.flatnonzero(hits[:, i]).tolist()
        la = np.array([frames[k]["latitude"].iat[i] for k in ks])
        lo = np.array([frames[k]["longitude"].iat[i] for k in ks])
        far = geodesic_km(np.full(len(ks), la[0]), np.full(len(ks), lo[0]), la, lo)
        if far.max() > _ambiguity_km():
            listed = "; ".join(
                f"{frames[k]['name'].iat[i]} ({frames[k]['admin1'].iat[i]}, "
                f"{frames[k]['country_code'].iat[i]})"
                for k in ks
            )
            out.loc[i, "ambiguity"] = (
                f"places of that name in {len(ks)} countries lie up to "
                f"{float(far.max()):,.0f} km apart: {listed}"
            )
            out.loc[i, "candidates"] = sum(int(frames[k]["candidates"].iat[i]) for k in ks)
    return out


def _geocode_column(names: np.ndarray, mask: np.ndarray, country: np.ndarray | None) -> np.ndarray:
    """Geocode ``names[mask]`` (distinct values once); per row a (lat, lon) tuple or None."""
    codes, uniq = factorize_text(pd.Series(names, dtype=object))
    ccodes, cu = (
        factorize_text(pd.Series(country, dtype=object))
        if country is not None
        else (np.zeros(len(names), dtype=np.int64), np.array([""], dtype=object))
    )
    m = _geocode_rows(codes, uniq, ccodes, cu, mask)
    out = np.full(len(names), None, dtype=object)
    for i in np.flatnonzero(m.found):
        out[i] = (m.latitude[i], m.longitude[i])
    return out

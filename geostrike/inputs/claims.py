"""Reading and validating strike claims, and locating them.

Claims come from the user: a CSV, GeoJSON points, a (Geo)Parquet file or a Parquet folder,
or a DataFrame/GeoDataFrame already in memory. Columns (names are matched
case-insensitively; common variants such as ``lat``/``lon``, ``event_date`` and ACLED's
``geo_precision`` are accepted and renamed):

``id`` (generated as ``claim-1`` … ``claim-N`` by row when absent or blank, never repeating
a given id: ``claim-2-2`` where ``claim-2`` is taken; :func:`duplicate_ids` finds repeats),
``date`` (ISO
``YYYY-MM-DD``; "30 September 2015", "Sep 30, 2015" and day-first "30/09/2015" are also
read), ``attacker``, ``claimant``, ``claimed_target`` (an actor, alias or actor set from the
actor table), ``target_place`` (the place the claimant said it hit), ``place`` and/or
``latitude``/``longitude``, ``precision``, ``source``, ``notes``. Every other column is kept.

Precision: an ACLED ``geo_precision`` code or a radius. ACLED codes map to a radius of
uncertainty as follows (the lower end of ACLED's own description of each level):

* ``1`` (the named town): the gazetteer match's radius when the place was geocoded, else 2 km;
* ``2`` (near a town, or a part of a region): 15 km, or the gazetteer's radius if larger;
* ``3`` (only a larger region is known): 50 km, or the gazetteer's radius if larger.

Any other number is a radius in km, up to :data:`MAX_PRECISION_KM`; units ``km``, ``m``
and ``mi`` are read ("15km", "500 m", "10 mi"). Without a precision, a geocoded place gets the gazetteer's radius and
given coordinates are taken as exact (0 km; the tolerance still applies).

A bad file (missing column, empty, not what its extension says, not UTF-8, an unknown
claimed target, a NUL byte, a value past the last CSV column) is an
:class:`~geostrike.errors.InputError`; a bad row (unparseable date or one outside
1677-09-22 … 2262-04-11, coordinates out of range or infinite, a bad precision) is kept
and marked by :func:`parse_claims`.

Why one module of ~1,350 lines: reading, normalising, validating and locating claims
share the column names, the one date parser and the per-distinct-value factorisation every
step works through; the streaming and Dask engines call the same three functions per
chunk, so splitting them would spread one contract over several files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geostrike.errors import GeostrikeError, InputError, first_line
from geostrike.inputs import snapshots as _published  # KML/KMZ and Esri JSON readers (issue 15)
from geostrike.inputs.actors import ActorTable, load_actors
from geostrike.io import PARQUET_SUFFIXES, check_text, read_text, require_file

#: A place named beside given coordinates that the gazetteer puts farther than this from
#: them (or twice its own radius, if more) is said to disagree with them (km).
PLACE_OFFSET_KM = 25.0

#: Radius in km for ACLED geo_precision codes (see the module docstring).
ACLED_PRECISION_KM: dict[int, float] = {1: 2.0, 2: 15.0, 3: 50.0}

#: Largest precision radius accepted (km): about half the Earth's circumference, beyond
#: which a radius says nothing about where a strike was.
MAX_PRECISION_KM = 20_000.0

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

#: How every CSV reader of claims (in memory, streamed, on Dask) reads a file: every cell
#: as text, never NaN; spaces after a separator skipped; a separator ending each row never
#: taken for an index column (which shifted every value); a UTF-8 BOM tolerated.
CSV_READ_OPTIONS: dict[str, Any] = {
    "dtype": str,
    "keep_default_na": False,
    "skipinitialspace": True,
    "index_col": False,
    "encoding": "utf-8-sig",
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

#: Private columns the readers add (never carried into a result).
PRIVATE_COLUMNS: frozenset[str] = frozenset({"_geometry_problem"})

_NORMALISED = "geostrike_claims_actors"  # attrs key: id of the actor table a frame was checked with
_TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".geojson", ".json", ".kml", ".gml"}
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
    if p.is_dir() or suffix in PARQUET_SUFFIXES:
        df = _read_parquet(p)
    elif suffix in (".csv", ".tsv", ".txt"):
        df = _read_csv(p, suffix)
    elif _published.is_published_layer(p):  # KML/KMZ, Esri JSON (issue 15)
        df = points_to_columns(_published.read_published_points(p), p)
    else:
        if suffix in _TEXT_SUFFIXES:
            check_text(p)  # UTF-8 check with a clear message, streamed
            # GDAL would cut a text cell at an escaped NUL: refused (GDAL reads it whole anyway)
            if suffix in (".geojson", ".json") and "\\u0000" in read_text(p):
                raise InputError(p, "holds an escaped NUL character (\\u0000): binary data")
        df = _read_vector(p)
    if len(df.columns) == 0:
        raise InputError(p, f"has no columns: not a {what} table")
    if len(df) == 0:
        raise InputError(p, f"has no rows: no {what} to read")
    if suffix not in (".csv", ".tsv", ".txt"):  # text files: their bytes were checked
        refuse_nul(p, df)
    return df


def refuse_nul(path: str | Path | None, frame: pd.DataFrame) -> None:
    """InputError when a column name or text cell holds a NUL character: binary data
    that outputs would carry or cut short (text files with a NUL byte anywhere are refused
    on reading; this covers the cells of Parquet, GeoJSON escapes and chunks)."""
    for c in frame.columns:
        s = frame[c]
        bad = "\x00" in str(c)
        if not bad and (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            try:
                bad = bool(s.str.contains("\x00", regex=False).fillna(False).astype(bool).any())
            except AttributeError:  # an object column without text
                bad = False
        if bad:
            raise InputError(path, f"holds a NUL character in column {str(c)!r}: binary data")


def _read_csv(p: Path, suffix: str) -> pd.DataFrame:
    """Every cell as text (never NaN): pyarrow's reader, pandas' on anything it refuses."""
    # UTF-8 and NUL check streamed over the whole file; the separator from the head only.
    checked = check_text(p)
    if checked.blank:
        raise InputError(p, "file is empty")
    sep, names, clean = csv_header(checked.head, suffix)
    try:
        import pyarrow.csv as pacsv

        if clean:
            table = pacsv.read_csv(
                p,  # read from the file: never a second copy of it in memory
                parse_options=pacsv.ParseOptions(delimiter=sep),
                convert_options=csv_text_options(names),
            )
            return table.to_pandas()
    except Exception:  # noqa: BLE001 - fall back to pandas' more forgiving parser
        pass
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            # index_col=False: a separator at the end of data rows must not turn the first
            # column into the index (shifting every value one column to the left); read
            # from the file: never a second copy of it in memory
            df = pd.read_csv(p, sep=sep, **CSV_READ_OPTIONS)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(p, f"is not a readable CSV file ({first_line(exc)})") from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        check_extra_fields(p, p, sep, len(df.columns))
    return df


def csv_header(head: bytes, suffix: str) -> tuple[str, list[str], bool]:
    """(separator, column names, clean) of a claims text file from its first bytes; a
    clean header (unique names, none blank or with spaces around it) is read by Arrow
    with every cell as written, any other by pandas' more forgiving reader."""
    header = head.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    sep = csv_separator(header, suffix)
    names = next(iter(csv_module_reader(header, sep)), [])
    clean = len(set(names)) == len(names) and all(n.strip() == n and n for n in names)
    return sep, names, clean


def csv_text_options(names: list[str]) -> Any:
    """Arrow's convert options for claims text: the columns ``names`` as text, no cell
    ever null (an empty cell is the empty text, as pandas reads it)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )


def date_source(columns: Any) -> Any:
    """The column of a raw claims table that the check reads as its ``date`` (under any of
    its accepted names), or None."""
    renamed = _rename_columns(pd.DataFrame(columns=list(columns)))
    found = [c for c, n in zip(columns, renamed.columns, strict=True) if n == "date"]
    return found[0] if found else None


def csv_separator(header: str, suffix: str) -> str:
    """The separator of a claims text file, from its header line: tab for ``.tsv`` or a
    header with more tabs than commas, ``;`` where semicolons outnumber commas, else ``,``."""
    if suffix == ".tsv" or header.count("\t") > header.count(","):
        return "\t"
    return ";" if header.count(";") > header.count(",") else ","


def check_extra_fields(p: Path, source: str | Path, sep: str, width: int) -> None:
    """Rows longer than the header (``source``: the text, or the file to read): fine when
    the extra fields are empty (a separator at the end of each row); else an InputError
    naming the first such line."""
    import csv

    with (
        open(source, encoding="utf-8-sig", newline="")
        if isinstance(source, Path)
        else io.StringIO(source)
    ) as fh:
        reader = csv.reader(fh, delimiter=sep)
        for row in reader:
            if len(row) > width and any(v.strip() for v in row[width:]):
                raise InputError(
                    p,
                    f"line {reader.line_num} has {len(row)} fields but the header names "
                    f"{width} columns (a value after the last column, or an unquoted {sep!r} "
                    "inside a value)",
                )


def csv_module_reader(line: str, sep: str) -> Any:
    import csv

    return csv.reader([line], delimiter=sep)


def _read_parquet(p: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(p)
    except Exception as exc:  # pyarrow raises many types for non-Parquet input
        raise InputError(
            p, f"is not a readable Parquet file or folder ({first_line(exc)})"
        ) from None
    meta = table.schema.metadata or {}
    if b"geo" in meta:
        import geopandas as gpd

        try:
            gdf = gpd.read_parquet(p)
        except Exception as exc:
            raise InputError(p, f"has unreadable GeoParquet geometry ({first_line(exc)})") from None
        return points_to_columns(gdf, p)
    return table.to_pandas()


def _read_vector(p: Path) -> pd.DataFrame:
    import pyogrio

    try:
        gdf = pyogrio.read_dataframe(p)
    except Exception as exc:  # pyogrio/GDAL errors: DataSourceError, DataLayerError, ...
        raise InputError(
            p, f"cannot be read as {p.suffix or 'a vector file'} ({first_line(exc)})"
        ) from None
    return points_to_columns(gdf, p)


def points_to_columns(gdf: Any, p: Path | None) -> pd.DataFrame:
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
    reserved_ids: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Check and normalise a claims table (idempotent).

    Renames known column variants, generates ``id`` where absent or blank
    (``claim-{id_start + row}``, never one of the table's own ids nor of ``reserved_ids``:
    the given ids of other chunks of the same file), writes parseable dates as ISO ``YYYY-MM-DD`` (others are
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
        df = points_to_columns(df, None if path is None else Path(path))
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
            out[rows] = _generated_ids(rows + id_start, out[~blank], reserved_ids)
            df["id"] = out
        elif converted:  # text columns are kept as they are (no copy of a million strings)
            df["id"] = ids.to_numpy(dtype=object)
    else:
        df.insert(
            0, "id", np.array([f"claim-{i}" for i in range(id_start, id_start + n)], dtype=object)
        )
    # date, as ISO text where readable (each distinct value parsed once)
    codes, uniq, tidy = _factorize_text(df["date"])
    parsed = _parse_dates_safely(pd.Series(uniq, dtype=object), path=path)
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


_GENERATED_LIKE = r"^\s*claim-\d"


def _generated_ids(
    numbers: np.ndarray, given: np.ndarray, reserved: frozenset[str] = frozenset()
) -> list[str]:
    """``claim-N`` for each row number N; one that a given id already uses gets a suffix
    (``claim-N-2``, ``claim-N-3`` …) so that a generated id never repeats a given one."""
    taken = {str(v).strip() for v in given if str(v).strip().startswith("claim-")} | reserved
    out = []
    for n in numbers.tolist():
        cand, k = f"claim-{n}", 1
        while cand in taken:
            k += 1
            cand = f"claim-{n}-{k}"
        out.append(cand)
    return out


def generated_like_ids(ids: Any) -> frozenset[str]:
    """The given ids of the form a generated id takes (``claim-N…``), stripped: what the
    chunks of one file must all know to never generate one of them."""
    s = pd.Series(ids, copy=False).astype(object)
    s = s[s.notna()].astype(str)
    return frozenset(s[s.str.match(_GENERATED_LIKE)].str.strip())


def id_column(columns: Any) -> Any:
    """The raw column that :func:`normalise_claims` reads as ``id`` (None when absent)."""
    renamed = _rename_columns(pd.DataFrame(columns=list(columns)))
    for raw, new in zip(columns, renamed.columns, strict=True):
        if new == "id":
            return raw
    return None


def duplicate_ids(ids: Any) -> np.ndarray:
    """Rows whose id (as written) is used by more than one row.

    Ids that are all text are first sorted by Arrow and compared with their neighbours
    (about a fifth of the CPU time of pandas' first hash of a million strings): when every
    id is distinct, as in most files, that is the answer; otherwise (or for ids of mixed
    types) one pandas hash pass finds the repeated rows.
    """
    s = pd.Series(ids, copy=False)
    if len(s) == 0:
        return np.zeros(0, dtype=bool)
    text = _arrow_text(s)
    if text is not None and text.null_count <= 1:
        import pyarrow.compute as pc

        ordered = text.take(pc.sort_indices(text))
        if not pc.any(pc.equal(ordered[1:], ordered[:-1])).as_py():  # all distinct
            return np.zeros(len(s), dtype=bool)
    codes, _ = pd.factorize(s, use_na_sentinel=False)
    return np.bincount(codes)[codes] > 1


def _arrow_text(s: pd.Series) -> Any:
    """A column of text (missing values as nulls) as an Arrow array, without a copy when
    pandas already holds it in Arrow; None when some value is not text."""
    import pyarrow as pa

    if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
        return None
    try:
        return (
            pa.array(s, from_pandas=True)
            if s.dtype != object
            else pa.array(s, type=pa.string(), from_pandas=True)
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


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
        df = points_to_columns(claims, None)
    elif isinstance(claims, pd.DataFrame):
        df = claims
    else:
        raise GeostrikeError(f"claims must be a path or a DataFrame, not {type(claims).__name__}")
    if len(df) == 0 and len(df.columns) == 0:
        raise InputError(None, "the claims table is empty")
    return normalise_claims(df, actors=actors, id_start=id_start), None


# ------------------------------------------------------------------------ parsing values
#: Orders in which numeric dates ("05/06/2016") can be read: day first or month first.
DATE_ORDERS: tuple[str, ...] = ("dmy", "mdy")
# the order set by date_order(): process-wide (a plain global, so that threads the user
# starts inside the block see it too)
_DATE_ORDER: list[str | None] = [None]
# the order of one check, set by call_date_order() for the thread running it: checks of
# two chunks (or Dask partitions) side by side each keep their own, whatever the other
# sets or restores (a process-wide value restored by one would change the other's)
_CALL_ORDER = threading.local()
# the nanosecond range pandas can hold (pd.Timestamp.min/max), as day numbers
_MIN_NS_DAY = np.datetime64("1677-09-22", "D")
_MAX_NS_DAY = np.datetime64("2262-04-11", "D")

#: The dates a check can handle: pandas' nanosecond timestamps (1677-09-22 to 2262-04-11).
_FIRST_DATE, _LAST_DATE = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")


def _parse_dates_safely(values: pd.Series, path: str | Path | None = None) -> pd.Series:
    """:func:`parse_dates` as ``datetime64[ns]``, with NaT (never an exception) for a
    value it cannot hold, such as a date outside 1677-09-22 … 2262-04-11. On an error the
    values are split in halves until the values at fault stand alone (a few bad values
    among many distinct dates cost a few extra calls, not one per value)."""
    try:
        out = parse_dates(values, path=path)
        return out.astype("datetime64[ns]") if out.dtype != "datetime64[ns]" else out
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError, TypeError):
        if len(values) <= 1:
            return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    half = len(values) // 2
    return pd.concat(
        [
            _parse_dates_safely(values.iloc[:half], path),
            _parse_dates_safely(values.iloc[half:], path),
        ]
    )


_YEAR_FIRST = re.compile(r"^\s*([+-]?\d{4,})-(\d{1,2})-(\d{1,2})")


def _date_problem(text: str) -> str:
    """Why a date cell could not be used (out of the supported range, or unreadable)."""
    m = _YEAR_FIRST.match(str(text))
    ymd: tuple[int, int, int] | None = None
    if m:
        ymd = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    else:
        from dateutil import parser as dparser

        try:
            d = dparser.parse(str(text), fuzzy=False)
            ymd = (d.year, d.month, d.day)
        except (ValueError, OverflowError, TypeError):
            ymd = None
    first = (_FIRST_DATE.year, _FIRST_DATE.month, _FIRST_DATE.day)
    last = (_LAST_DATE.year, _LAST_DATE.month, _LAST_DATE.day)
    if ymd is not None and 1 <= ymd[1] <= 12 and 1 <= ymd[2] <= 31 and not first <= ymd <= last:
        return (
            f"the date {text!r} is outside the dates geostrike can check "
            f"({_FIRST_DATE:%Y-%m-%d} to {_LAST_DATE:%Y-%m-%d})"
        )
    return f"the date {text!r} could not be read"


def _check_date_order(order: str | None) -> str | None:
    if order is None:
        return None
    key = str(order).strip().lower()
    if key not in DATE_ORDERS:
        raise GeostrikeError(f"date order {order!r} must be one of {', '.join(DATE_ORDERS)}")
    return key


@contextlib.contextmanager
def date_order(order: str | None) -> Iterator[None]:
    """Read numeric dates ("05/06/2016") as ``"dmy"`` or ``"mdy"`` inside the block.

    The setting reaches every :func:`parse_dates` call of the block, in this process and
    its threads (claims and zones alike), that is not given an order of its own; ``None``
    restores inference per column. Worker processes of a Dask cluster do not see it.
    """
    before = _DATE_ORDER[0]
    _DATE_ORDER[0] = _check_date_order(order)
    try:
        yield
    finally:
        _DATE_ORDER[0] = before


@contextlib.contextmanager
def call_date_order(order: str | None) -> Iterator[None]:
    """Read numeric dates as ``order`` in this thread only, inside the block: the order of
    one check (``geostrike.engine.check``), which may run beside another check in another
    thread. Within the block it wins over :func:`date_order`; ``None`` (no order given)
    leaves the order outside the block (a :func:`date_order` block's, else inferred per
    column). Nested blocks restore the order outside them."""
    key = _check_date_order(order)
    before = getattr(_CALL_ORDER, "stack", None)
    _CALL_ORDER.stack = before if key is None else (key,)
    try:
        yield
    finally:
        _CALL_ORDER.stack = before


def current_date_order() -> str | None:
    """The order :func:`parse_dates` uses when given none: this thread's
    :func:`call_date_order`, else the innermost :func:`date_order` (None: inferred)."""
    mine = getattr(_CALL_ORDER, "stack", None)
    return mine[0] if mine is not None else _DATE_ORDER[0]


def parse_dates(
    values: pd.Series,
    *,
    order: str | None = None,
    path: str | Path | None = None,
    column: str = "date",
) -> pd.Series:
    """Parse dates to midnight timestamps (NaT where empty, unreadable or out of range).

    ISO dates (``YYYY-MM-DD``, optionally followed by a valid time ``THH:MM[:SS]`` and a
    zone ``Z`` or ``±HH:MM``) are parsed vectorised and keep the **date as written** (the
    local date of the place: ``2015-09-30T23:30-11:00`` is 30 September, not converted to
    UTC); an impossible time (``25:61``) makes the value unreadable. Other values are
    parsed with dateutil, each distinct value once: month names in any order
    ("30 September 2015", "Sep 30, 2015"), and numeric dates ("30/09/2015") in the order
    ``order`` (``"dmy"`` or ``"mdy"``; default: the :func:`date_order` setting, else
    inferred from the column: a number above 12 in first place anywhere means day-first,
    in second place month-first). A value lacking a day, month or year ("2015",
    "September 2015") is not a date, nor is a date outside 1677-09-22..2262-04-11 (NaT).

    Raises
    ------
    InputError
        When the numeric dates of the column could be read either way in every row (and
        their two readings differ) or mix both orders, and no order is given: the message
        names ``path``, ``column`` and the ``--date-order`` option.
    """
    order = _check_date_order(order) or current_date_order()
    s = pd.Series(values, copy=False)
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)  # the wall-clock date where it was written
        return pd.Series(_days_in_range(s.to_numpy()), index=s.index)
    text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    iso_like = text.str.match(r"^\d{4}-\d{2}-\d{2}(?:[T ]|$)")
    iso = iso_like & text.str.match(_ISO_DATE)
    if iso.any():
        day = text[iso].str.slice(0, 10).to_numpy(dtype=object)
        out[iso] = _days_in_range(_iso_days(day))
    rest = ~iso_like & (text != "")
    if rest.any():
        distinct = pd.unique(text[rest])
        dayfirst = _numeric_date_order(distinct, order, path=path, column=column)
        parsed = [_parse_one_date(v, dayfirst) for v in distinct]
        days = np.array(
            [np.datetime64("NaT", "D") if d is None else np.datetime64(d, "D") for d in parsed],
            dtype="datetime64[D]",
        )
        codes = pd.Index(distinct).get_indexer(text[rest])
        out[rest] = _days_in_range(days)[codes]
    return out


def _iso_days(values: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` strings to day numbers; NaT where not a calendar date (2015-02-30)."""
    try:
        return np.asarray(values, dtype="datetime64[D]")
    except ValueError:  # some value is not a calendar date: each on its own
        out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
        for i, v in enumerate(values):
            try:
                out[i] = np.datetime64(v, "D")
            except ValueError:
                pass
        return out


def _days_in_range(values: np.ndarray) -> np.ndarray:
    """Midnights as datetime64[ns]; NaT for a date outside pandas' nanosecond range."""
    day = np.asarray(values).astype("datetime64[D]")
    day = np.where((day < _MIN_NS_DAY) | (day > _MAX_NS_DAY), np.datetime64("NaT"), day)
    return day.astype("datetime64[ns]")


_DEFAULT_A = pd.Timestamp("2001-01-01").to_pydatetime()
_DEFAULT_B = pd.Timestamp("2002-02-02").to_pydatetime()

# an ISO date with an optional valid time and zone (hours 00-24, minutes and seconds 00-59)
_ISO_DATE = (
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?"
    r"\s*(?:Z|UTC|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?)?$"
)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}$")


def _numeric_date_order(
    values: np.ndarray,
    order: str | None = None,
    *,
    path: str | Path | None = None,
    column: str = "date",
) -> bool:
    """Whether a column's numeric dates ("10/01/2015") are read day-first.

    With an ``order`` it decides. Otherwise a file uses one convention: a first number
    above 12 anywhere means day-first, a second number above 12 means month-first (US).
    When no row settles it (every date reads both ways, differently) or rows contradict
    each other, the column is refused: a wrong month is a wrong zone snapshot.
    """
    if order is not None:
        return order == "dmy"
    firsts, seconds, texts = [], [], []
    for v in values:
        m = _NUMERIC_DATE.match(str(v))
        if m:
            firsts.append(int(m.group(1)))
            seconds.append(int(m.group(2)))
            texts.append(str(v))
    if not firsts:
        return True
    a, b = np.array(firsts), np.array(seconds)
    day_first, month_first = (a > 12) & (b <= 12), (b > 12) & (a <= 12)
    if day_first.any() and month_first.any():
        raise InputError(
            path,
            f"column '{column}' mixes day-first ({texts[int(np.argmax(day_first))]!r}) and "
            f"month-first ({texts[int(np.argmax(month_first))]!r}) dates; write YYYY-MM-DD "
            "or say which with --date-order dmy|mdy (rows in the other order become invalid)",
        )
    if month_first.any():
        return False
    if day_first.any() or not (a != b).any():
        return True
    example = texts[int(np.argmax(a != b))]
    raise InputError(
        path,
        f"column '{column}': dates such as {example!r} read as day/month or month/day in "
        "every row; say which with --date-order dmy|mdy (or write YYYY-MM-DD)",
    )


def numeric_dates(values: Any) -> np.ndarray:
    """The distinct numeric dates ("05/06/2015", stripped) among ``values``: the only ones
    whose order (day or month first) must be inferred."""
    text = pd.Series(values, dtype=object).where(pd.notna(values), "").astype(str).str.strip()
    rest = ~text.str.match(r"^\d{4}-\d{2}-\d{2}(?:[T ]|$)") & (text != "")
    distinct = pd.unique(text[rest].to_numpy(dtype=object))
    return np.array([v for v in distinct if _NUMERIC_DATE.match(v)], dtype=object)


def infer_date_order(
    values: Any, *, path: str | Path | None = None, column: str = "date"
) -> str | None:
    """The order (``"dmy"`` or ``"mdy"``) in which :func:`parse_dates` would read the numeric
    dates among ``values`` (the distinct texts of a whole column), or None when none of them
    needs one. Raises the same :class:`InputError` as :func:`parse_dates` for a column that
    mixes both orders or reads both ways in every row. A file read in chunks decides its
    order once with this, so that every chunk reads its dates as the whole file would."""
    distinct = numeric_dates(values)
    if not len(distinct):
        return None
    return "dmy" if _numeric_date_order(distinct, None, path=path, column=column) else "mdy"


def _parse_one_date(value: str, dayfirst: bool = True) -> dt.date | None:
    from dateutil import parser as dparser

    m = _NUMERIC_DATE.match(value)
    if m:
        day, month = (m.group(1), m.group(2)) if dayfirst else (m.group(2), m.group(1))
        if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
            return None  # not a date in the column's order (dateutil would swap silently)
    try:
        a = dparser.parse(value, dayfirst=dayfirst and bool(m), default=_DEFAULT_A, fuzzy=False)
        b = dparser.parse(value, dayfirst=dayfirst and bool(m), default=_DEFAULT_B, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    if (a.year, a.month, a.day) != (b.year, b.month, b.day):
        return None  # some part of the date was missing
    return dt.date(a.year, a.month, a.day)


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
        from geostrike.geodesy import KM_PER_MILE

        num *= KM_PER_MILE
    if not num <= MAX_PRECISION_KM:  # a radius wider than the Earth's half-circumference
        return np.nan, 0, True
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
            return num, np.isinf(num)  # infinite: not a coordinate (NaN: not given)
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
    #: where a row gives both coordinates and a place the gazetteer finds (unambiguously)
    #: far from them: the distance (km) between the two; NaN elsewhere
    place_offset_km: np.ndarray | None = None
    #: per row, the index of its status in :data:`STATUSES` (int8; ``status`` spelled out)
    status_codes: np.ndarray | None = None


#: Row statuses, by their code in :func:`parse_claims` (``ParsedClaims.status_codes``).
STATUSES: tuple[str, ...] = ("ok", "invalid", "unresolved", "ambiguous")
_STATUSES = STATUSES


def _spread(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``values[codes]`` for an object array, by one fill when every code is the same (a
    million-row take of Python objects costs tens of milliseconds, a fill a few)."""
    if len(codes) and codes.min() == codes.max():
        out = np.empty(len(codes), dtype=object)
        # fill() stores the one object; np.full(..., "text", dtype=object) would cast a
        # text array and make a new string per row (12 MB per million rows, issue 18)
        out.fill(values[codes[0]])
        return out
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
    :func:`geostrike.places.geocoder.geocode_many` (batched over distinct names, with the
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
    parsed_u = _parse_dates_safely(pd.Series(du, dtype=object), path).to_numpy(
        dtype="datetime64[ns]"
    )
    date = pd.Series(parsed_u[dcodes], index=df.index)
    no_date = (du == "")[dcodes]
    bad_date = np.isnat(parsed_u)[dcodes] & ~no_date
    _flag(no_date, "invalid", "no date is given")
    if bad_date.any():  # each distinct bad date explained once
        bad_u = np.isnat(parsed_u) & (du != "")
        why_u = np.array([_date_problem(v) if b else None for v, b in zip(du, bad_u, strict=True)])
        _flag(bad_date, "invalid", lambda rows: why_u[dcodes[rows]])

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
            f"the precision {pu[pcodes[i]]!r} is neither an ACLED code (1-3) nor a radius "
            f"from 0 to {MAX_PRECISION_KM:,.0f} km"
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

    # a place given beside coordinates: the coordinates are used; a place the gazetteer
    # puts far from them is measured, so the sentence never calls the point by that name
    offset = np.full(n, np.nan)
    both = given & has_place & fine
    if both.any() and geocode:
        from geostrike.geodesy import geodesic_km

        m = _geocode_rows(plcodes, plu, ccodes, cu, both, enabled=True, context=context())
        amb = m.ambiguous if m.ambiguous is not None else np.zeros(n, dtype=bool)
        ok_m = both & m.found & ~amb
        if ok_m.any():
            d = geodesic_km(lat, lon, m.latitude, m.longitude)
            far = ok_m & (d > np.maximum(PLACE_OFFSET_KM, 2.0 * m.precision_km))
            offset[far] = d[far]

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
        place_offset_km=offset,
        status_codes=status_code,
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
        from geostrike.places.outlines import countries

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
        from geostrike.places.geocoder import geocode_frame
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
    from geostrike.places.geocoder import geocode

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
    from geostrike.geodesy import geodesic_km
    from geostrike.places.geocoder import ambiguity_km, geocode_frame

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
        if far.max() > ambiguity_km():
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

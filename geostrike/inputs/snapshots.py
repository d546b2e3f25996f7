"""Control zones from published archives: dated snapshot files, KML/KMZ and Esri JSON.

Projects that map who holds what publish their maps as they are: one GeoJSON file per day
(often a single MultiPolygon, no properties, the date only in the file name), Google Earth
or My Maps exports (KML/KMZ, see :mod:`geostrike.inputs.kml`), ArcGIS feature-service exports
(Esri JSON, see :mod:`geostrike.inputs.esri`). :func:`zones_from_snapshots` turns such files into
one zones table that :func:`geostrike.inputs.zones.read_zones` reads:

* each feature gets a date (from the file name, see :func:`date_from_name`, or from a named
  property) and a controller (one actor for the whole layer, or a property mapped to
  actors); features that already carry a window (KML ``TimeSpan``) keep it;
* per snapshot and controller the features are dissolved; invalid geometries are repaired
  with ``shapely.make_valid`` and counted;
* consecutive snapshots chain into windows (each valid until the day before the next; the
  last until ``until`` or its own date); identical consecutive geometries of a controller
  merge into one window, so a long archive gives one geometry per window;
* gaps in the series (steps longer than its usual cadence) are reported on stderr (a
  :class:`SnapshotWarning`) and in the ``note`` column of the window that bridges them;
* with ``rest``/``within``, each snapshot also gets "the rest of the country": the
  complement of the layer inside a country outline (Natural Earth, :mod:`geostrike.places.outlines`,
  or a boundary file). The layer always wins: where it extends beyond the outline (Natural
  Earth draws Crimea with Russia, coastlines are coarse) the part outside is kept for the
  layer's controller and reported with its geodesic area, never given to anyone else.

The data are the user's files; nothing here is specific to one war.

Why one module of ~1,100 lines: the steps above share one intermediate form (per-snapshot
dissolved geometries keyed by date and controller) and one report (:class:`ArchiveReport`);
the file-format readers that do not need them already live apart (``kml``, ``esri``).
Splitting dating, chaining and "the rest" would pass that form back and forth between
modules without making any step readable on its own.
"""

from __future__ import annotations

import glob
import re
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geostrike.errors import GeostrikeError, InputError
from geostrike.inputs.actors import ActorTable, load_actors


def snapshot_columns() -> list[str]:
    """Columns of the zones table built here: the zone columns
    (:data:`geostrike.inputs.zones.ZONE_COLUMNS`) with ``snapshots`` and ``note`` before the
    geometry (read_zones keeps the extra ones)."""
    from geostrike.inputs.zones import ZONE_COLUMNS

    return [*ZONE_COLUMNS[:-1], "snapshots", "note", "geometry"]


_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".kml", ".kmz", ".parquet")


class SnapshotWarning(UserWarning):
    """An archive was converted, but something in it deserves the user's attention."""


# ----------------------------------------------------------------------- dates in names
_YMD = re.compile(r"(?<!\d)((?:19|20)\d{2})([-_.]?)(\d{2})\2(\d{2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{2})([-_.])(\d{2})\2((?:19|20)\d{2})(?!\d)")
_DMY8 = re.compile(r"(?<!\d)(\d{2})(\d{2})((?:19|20)\d{2})(?!\d)")


def _day(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _name_candidates(name: str) -> list[dict[str, date]]:
    """Each date-like token of a file name: {order: date} for every order it is valid in."""
    out: list[dict[str, date]] = []
    for m in _YMD.finditer(name):
        d = _day(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        if d is not None:
            out.append({"ymd": d})
    for rx in (_DMY, _DMY8):
        for m in rx.finditer(name):
            if rx is _DMY:
                a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
            else:
                a, sep, b, y = int(m.group(1)), "", int(m.group(2)), int(m.group(3))
            opts: dict[str, date] = {}
            if (d := _day(y, b, a)) is not None:
                opts["dmy"] = d
            # a dotted date is day-first wherever dots are used; others may be month-first
            if sep != "." and (d := _day(y, a, b)) is not None:
                opts["mdy"] = d
            if opts:
                out.append(opts)
    return out


def date_from_name(name: str, *, order: str | None = None) -> date:
    """The date written in a file name.

    Recognised: ``20240708``, ``2024-07-08``, ``2024_07_08``, ``2024.07.08``,
    ``08.07.2024`` (day first), ``08-07-2024``/``08_07_2024``/``08072024`` (day or month
    first: ambiguous unless ``order`` is given or one reading is impossible).

    Parameters
    ----------
    name
        The file name (a path is fine; only its last part is read).
    order
        ``"dmy"`` or ``"mdy"`` to read day-month-year tokens one way.

    Raises
    ------
    InputError
        No date in the name, two different dates, or a date that reads two ways.
    """
    base = Path(str(name)).name
    cands = _name_candidates(base)
    days: set[date] = set()
    for c in cands:
        if order is not None and order in c:
            days.add(c[order])
        elif len(set(c.values())) == 1:
            days.add(next(iter(c.values())))
        elif "ymd" in c:
            days.add(c["ymd"])
        else:
            a, b = sorted(set(c.values()))
            raise InputError(
                base,
                f"the date in the name reads as {a} or {b} (day or month first);"
                " give --date-order dmy or mdy",
            )
    if not days:
        raise InputError(
            base, "no date in the file name (use e.g. 2024-07-08 or 20240708, or --date-property)"
        )
    if len(days) > 1:
        a, b = sorted(days)[:2]
        raise InputError(base, f"the name holds two different dates ({a} and {b})")
    return days.pop()


def series_dates(names: list[str], *, order: str | None = None) -> list[date]:
    """Dates of a series of file names, reading ambiguous day/month tokens one way for all.

    When some names can only be day-first (``13-07-2024``) and none only month-first, the
    whole series is read day-first (and the reverse); a series that stays ambiguous is an
    InputError naming the first ambiguous file.
    """
    if order is None:
        feasible = {"dmy", "mdy"}
        ambiguous = False
        for n in names:
            for c in _name_candidates(Path(n).name):
                if "ymd" in c:
                    continue
                feasible &= set(c) if ("dmy" in c) != ("mdy" in c) else feasible
                ambiguous |= len(set(c.values())) > 1
        if ambiguous and len(feasible) == 1:
            order = feasible.pop()
    return [date_from_name(n, order=order) for n in names]


def _dated_name(path: Path) -> str:
    """The file's name, or its folder's when only the folder is dated (2024-07-08/map.json)."""
    if _name_candidates(path.name) or not _name_candidates(path.parent.name):
        return path.name
    return path.parent.name


def _source_name(path: Path) -> str:
    return path.name if _dated_name(path) == path.name else f"{path.parent.name}/{path.name}"


# ----------------------------------------------------------------------- reading layers
def expand_paths(spec: str | Path | list[str | Path]) -> list[Path]:
    """Files of a folder, a glob pattern, a file, or a list of those (sorted, unique)."""
    specs = spec if isinstance(spec, list | tuple) else [spec]
    out: list[Path] = []
    for s in specs:
        p = Path(s)
        if p.is_dir():
            out += [q for q in sorted(p.iterdir()) if q.suffix.lower() in _VECTOR_SUFFIXES]
        elif p.exists():
            out.append(p)
        elif any(ch in str(s) for ch in "*?["):
            out += [Path(q) for q in sorted(glob.glob(str(s))) if Path(q).is_file()]
        else:
            raise InputError(p, "no such file or folder")
    out = sorted(dict.fromkeys(q for q in out if not q.name.startswith(".")))
    if not out:
        raise InputError(str(specs[0]), "matches no snapshot file")
    return out


def read_layer(path: str | Path) -> Any:
    """Read one published layer as a GeoDataFrame in WGS84 (any geometry type).

    KML/KMZ go through :func:`geostrike.inputs.kml.read_kml` (TimeSpan, styles, folders), Esri
    JSON through :func:`geostrike.inputs.esri.read_esri_json`, everything else through GDAL. An
    empty feature collection is an empty frame (a day on which the layer held nothing).
    """
    import geopandas as gpd

    from geostrike.io import require_file

    p = require_file(path)
    suffix = p.suffix.lower()
    if suffix in (".kml", ".kmz"):
        from geostrike.inputs.kml import read_kml

        return read_kml(p)
    if suffix == ".json":
        from geostrike.inputs.esri import is_esri_json, read_esri_json

        if is_esri_json(p):
            return read_esri_json(p)
    if suffix in (".geojson", ".json"):
        fast = _read_geojson(p)
        if fast is not None:
            return fast
    from geostrike.inputs.zones import _read_file

    gdf = _read_file(p)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(p, "has no geometry column: not a map layer")
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    elif not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    return gdf


def is_published_layer(path: str | Path) -> bool:
    """Whether a file needs this module's readers (KML/KMZ, Esri JSON) rather than GDAL's."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".kml", ".kmz"):
        return True
    if suffix == ".json" and p.is_file():
        from geostrike.inputs.esri import is_esri_json

        return is_esri_json(p)
    return False


def read_published_points(path: str | Path) -> Any:
    """A KML/KMZ or Esri JSON file as a claims-like GeoDataFrame (point geometries).

    KML's ``TimeStamp`` (else ``TimeSpan`` begin) becomes the ``date`` column when the
    placemarks have no ``date`` field of their own; ExtendedData and Esri attributes are
    columns as they are. Non-point features stay as rows (the claims reader marks them).
    """
    gdf = read_layer(path)
    cols = {str(c).casefold() for c in gdf.columns}
    if "date" not in cols:
        for key in ("when", "begin"):
            if key in gdf.columns and gdf[key].notna().any():
                gdf = gdf.rename(columns={key: "date"})
                break
    drop = [c for c in ("folder", "style", "color", "begin", "end", "when") if c in gdf.columns]
    keep = [c for c in drop if gdf[c].notna().any()]
    return gdf.drop(columns=[c for c in drop if c not in keep])


_WGS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326",
                "urn:ogc:def:crs:EPSG::4326", "OGC:CRS84"}  # fmt: skip


def _polygon(rings: list) -> Any:
    shell, *holes = (np.asarray(r, dtype=float)[:, :2] for r in rings)
    return shapely.Polygon(shell, holes or None)


def _shape(g: dict, fallback: Any) -> Any:
    """GeoJSON geometry → shapely; polygons through numpy (the bulk of an archive)."""
    kind = g.get("type")
    if kind == "Polygon" and g.get("coordinates"):
        return _polygon(g["coordinates"])
    if kind == "MultiPolygon" and g.get("coordinates"):
        return shapely.MultiPolygon([_polygon(p) for p in g["coordinates"] if p])
    return fallback(g)


def _read_geojson(p: Path) -> Any:
    """A plain WGS84 GeoJSON FeatureCollection read directly (the form daily archives take;
    several times faster than GDAL's driver on hundreds of files). None when the file is
    anything else (another CRS, not a FeatureCollection, not JSON): GDAL reads those."""
    import json

    import geopandas as gpd

    from geostrike.io import read_text

    try:
        doc = json.loads(read_text(p))
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return None
    crs = doc.get("crs")
    if crs is not None:
        name = str(((crs or {}).get("properties") or {}).get("name", ""))
        if name not in _WGS84_NAMES:
            return None
    feats = doc.get("features")
    if not isinstance(feats, list) or not all(isinstance(f, dict) for f in feats):
        return None
    from shapely.geometry import shape

    try:
        shapes = [_shape(f["geometry"], shape) if f.get("geometry") else None for f in feats]
    except (
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        shapely.errors.ShapelyError,
    ):
        return None  # malformed geometry: GDAL's reader says what is wrong
    props = pd.DataFrame([f.get("properties") or {} for f in feats], index=range(len(feats)))
    return gpd.GeoDataFrame(props, geometry=gpd.GeoSeries(shapes, crs="EPSG:4326"), crs="EPSG:4326")


# ----------------------------------------------------------------------- controllers
def parse_mapping(items: list[str] | tuple[str, ...] = (), file: str | Path | None = None) -> dict:
    """A value→actor mapping from ``VALUE=ACTOR`` items and/or a two-column CSV file.

    Keys are matched case-insensitively; an actor of ``-`` means "not a zone, skip it"
    (the skipped features are counted on stderr). A key written as a KML style URL
    (``#style-id``, as it appears in ``<styleUrl>``) also matches the bare style id.
    """
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise InputError(None, f"--map {item!r}: expected VALUE=ACTOR")
        k, v = item.rsplit("=", 1)
        if not k.strip() or not v.strip():
            raise InputError(None, f"--map {item!r}: expected VALUE=ACTOR")
        out[k.strip().casefold()] = v.strip()
    if file is not None:
        from geostrike.inputs.claims import read_table

        df = read_table(file, what="mapping")
        if df.shape[1] < 2:
            raise InputError(file, "a mapping needs two columns: value, controller")
        for k, v in zip(df.iloc[:, 0].astype(str), df.iloc[:, 1].astype(str), strict=True):
            if k.strip() and v.strip():
                out[k.strip().casefold()] = v.strip()
    for k in [k for k in out if k.startswith("#") and len(k) > 1]:
        out.setdefault(k[1:], out[k])
    return out


def _match_keys(gdf: Any, prop: str | None) -> list[pd.Series]:
    """The columns a mapping is matched against: the named property, else a ``controller``
    column, else the name, the folders, the style id and the style colour (KML)."""
    if prop is not None:
        col = next((c for c in gdf.columns if str(c).casefold() == prop.casefold()), None)
        if col is None:
            return []
        return [gdf[col]]
    keys = [c for c in ("name", "folder", "style", "style_url", "color") if c in gdf.columns]
    return [gdf[c] for c in keys]


def _controllers(
    gdf: Any,
    *,
    path: Path,
    table: ActorTable,
    controller: str | None,
    prop: str | None,
    mapping: dict[str, str],
) -> np.ndarray:
    """Canonical controller of each feature ('' = skipped by the mapping)."""
    from geostrike.inputs.claims import resolve_actors

    def canon(value: str, column: str) -> str:
        if value.strip() == "-":
            return ""
        return ";".join(sorted(resolve_actors(table, value, path=path, column=column)))

    n = len(gdf)
    if controller is not None:
        return np.full(n, canon(controller, "--controller"), dtype=object)
    keys = _match_keys(gdf, prop)
    if prop is not None and not keys:
        raise InputError(path, f"has no property {prop!r} (--controller-property)")
    if prop is None and "controller" in gdf.columns:  # an explicit column wins over names
        keys = [gdf["controller"]]
    if not keys:
        raise InputError(
            path, "says nothing of who holds it: give --controller ACTOR or --controller-property"
        )
    out = np.empty(n, dtype=object)
    cache: dict[str, str] = {}
    for i in range(n):  # one pass over features (a few per snapshot), values cached
        found: set[str] = set()
        raw = ""
        for col in keys:
            v = col.iloc[i]
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            for part in str(v).split("/") if col.name == "folder" else [str(v)]:
                part = part.strip()
                if not part:
                    continue
                raw = raw or part
                hit = mapping.get(part.casefold())
                if hit is not None:
                    found.add(hit)
        if len(found) > 1:
            raise InputError(
                path,
                f"feature {i + 1} ({raw!r}) matches several controllers in the mapping: "
                + ", ".join(sorted(found)),
            )
        mapped = bool(found)
        value = found.pop() if found else raw
        if not value:
            raise InputError(path, f"feature {i + 1}: no controller value")
        if value not in cache and (mapped or value.strip() == "-"):
            cache[value] = canon(value, "--map")  # a mapped actor: unknown is an actor error
        if value not in cache:
            try:
                cache[value] = canon(value, prop or "mapping")
            except InputError:
                raise InputError(
                    path,
                    f"feature {i + 1}: {value!r} is neither in the mapping nor an actor;"
                    f" add --map '{value}=ACTOR' (or '{value}=-' to skip it)",
                ) from None
        out[i] = cache[value]
    return out


# ----------------------------------------------------------------------- the archive
def _largest(km2_by_date: dict) -> str:
    """'largest N km² on DATE' for a {date: area} map."""
    d = max(km2_by_date, key=km2_by_date.get)
    return f"largest {km2_by_date[d]:,.1f} km² on {d}"


@dataclass
class ArchiveReport:
    """What a conversion found: counts, gaps, repairs and slivers (also on stderr)."""

    files: int = 0
    snapshots: int = 0
    windows: int = 0
    repaired: int = 0
    skipped: int = 0
    gaps: list[tuple[date, date]] = field(default_factory=list)
    slivers_km2: dict[date, float] = field(default_factory=dict)
    overlaps_km2: dict[date, float] = field(default_factory=dict)
    rest_slivers: dict[date, tuple[int, float]] = field(default_factory=dict)
    #: per snapshot: pieces of the rest far from the layer (count, largest km², nearest km)
    far_rest: dict[date, tuple[int, float, float]] = field(default_factory=dict)
    rest_of: str = ""
    same_date: list[tuple[date, list[str]]] = field(default_factory=list)
    cadence_days: int = 1

    def lines(self) -> list[str]:
        """One line per finding, for stderr."""
        out = []
        if self.repaired:
            out.append(f"repaired {self.repaired} invalid geometries (shapely.make_valid)")
        if self.skipped:
            out.append(f"skipped {self.skipped} feature(s) the mapping sends to '-'")
        for d, names in self.same_date[:3]:
            out.append(
                f"{len(names)} files dated {d} ({', '.join(names)}): their features are combined"
            )
        if len(self.same_date) > 3:
            out.append(f"... and {len(self.same_date) - 3} more dates with several files")
        if self.overlaps_km2:
            out.append(
                f"controllers overlap in {len(self.overlaps_km2)} snapshot(s)"
                f" ({_largest(self.overlaps_km2)}); ground in two zones counts as joint control"
            )
        for a, b in self.gaps:
            n = (b - a).days + 1
            out.append(
                f"gap in the series: no snapshot from {a} to {b} ({n} day{'s' * (n != 1)});"
                " the snapshot before it holds through the gap"
            )
        if self.slivers_km2:
            out.append(
                f"the layer extends beyond the outline in {len(self.slivers_km2)} snapshot(s)"
                f" ({_largest(self.slivers_km2)}); kept for the layer's controller,"
                " not for the rest"
            )
        if self.rest_slivers:
            n = max(v[0] for v in self.rest_slivers.values())
            big = max(v[1] for v in self.rest_slivers.values())
            out.append(
                f"thin pieces of the rest (up to {n} a snapshot, up to {big:,.1f} km²) lie where"
                f" the layer and the outline draw a border apart, in {len(self.rest_slivers)}"
                " snapshot(s); left without zones (claims there are indeterminate)"
            )
        if self.far_rest:
            first = min(self.far_rest)
            n, big, km = self.far_rest[first]
            out.append(
                f"the rest of {self.rest_of} includes {n} piece(s) of ground at least"
                f" {FAR_REST_KM:g} km from any part of the layer (the largest {big:,.0f} km²,"
                f" {km:,.0f} km away, from {first}, in {len(self.far_rest)} snapshot(s)):"
                " they are given to the rest's actor too; if the layer maps only part of the"
                " country, give --within a boundary file of that part"
            )
        return out


def zones_from_snapshots(
    paths: str | Path | list[str | Path],
    *,
    controller: str | None = None,
    controller_property: str | None = None,
    mapping: dict[str, str] | None = None,
    date_property: str | None = None,
    window_properties: tuple[str | None, str | None] = (None, None),
    date_order: str | None = None,
    until: Any = None,
    rest: str | None = None,
    within: Any = None,
    max_gap_days: int | None = None,
    sliver_km: float = 2.0,
    actors: ActorTable | str | Path | None = None,
    report: ArchiveReport | None = None,
) -> Any:
    """Build one zones table from a series of dated map layers.

    Parameters
    ----------
    paths
        A folder, a glob pattern, a file, or a list of them.
    controller
        The actor holding every feature (single-controller layers).
    controller_property, mapping
        A property whose value names the controller, through ``mapping`` (value→actor,
        case-insensitive; ``-`` skips) or directly as an actor name. Without either, KML
        placemarks are matched on name, folder, style id and style colour.
    date_property
        A property holding each feature's date (instead of the file name).
    window_properties
        ``(from, to)``: properties holding each feature's own window (inclusive; empty =
        open), as ArcGIS layers often carry; such features are not chained as snapshots.
    date_order
        ``"dmy"``/``"mdy"`` for file names whose day and month could be swapped.
    until
        Last day of the last snapshot's window (default: the snapshot's own date).
    rest, within
        The actor holding the rest of the country, and the country (ISO alpha-2 code or
        Natural Earth name; several separated by commas) or boundary file (path or
        geometry) it fills.
    max_gap_days
        A step between snapshots longer than this leaves the days between them without
        zones (claims there are indeterminate) instead of bridging them.
    sliver_km
        Pieces of the rest (other than its largest) narrower on average than this are
        left without zones and reported: the gaps between a detailed layer's border or
        coast and the coarser outline, not ground the rest's actor holds. 0 keeps them.
    report
        An :class:`ArchiveReport` to fill (warnings are also issued).

    Returns
    -------
    GeoDataFrame
        :func:`snapshot_columns`, EPSG:4326, one row per controller and window.
    """
    import geopandas as gpd

    table = actors if isinstance(actors, ActorTable) else load_actors(actors)
    rep = report if report is not None else ArchiveReport()
    mapping = mapping or {}
    files = expand_paths(paths)
    rep.files = len(files)
    name_dates: list[date | None] | None = None
    name_errors: dict[int, InputError] = {}
    if date_property is None and window_properties == (None, None):
        labels = [_dated_name(f) for f in files]
        try:
            name_dates = list(series_dates(labels, order=date_order))
        except InputError:  # files whose features carry their own dates (KML) need none
            name_dates = []
            for k, f in enumerate(labels):
                try:
                    name_dates.append(date_from_name(f, order=date_order))
                except InputError as exc:
                    name_dates.append(None)
                    name_errors[k] = exc

    dates: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    ctrls: list[np.ndarray] = []
    geoms: list[np.ndarray] = []
    srcs: list[np.ndarray] = []
    file_days: list[np.datetime64] = []
    if name_dates:
        rep.same_date = _same_dates(files, name_dates)
    for k, f in enumerate(files):
        gdf = read_layer(f)
        n = len(gdf)
        if name_dates is not None and name_dates[k] is not None:
            file_days.append(np.datetime64(name_dates[k], "D"))
        if n == 0:
            continue
        g = np.asarray(gdf.geometry.values, dtype=object)
        ctrl = _controllers(
            gdf,
            path=f,
            table=table,
            controller=controller,
            prop=controller_property,
            mapping=mapping,
        )
        start, end = _feature_dates(
            gdf, f, name_dates[k] if name_dates else None, date_property, window_properties
        )
        if np.isnat(start).any():
            raise name_errors.get(k) or InputError(f, "some features have no date")
        dates.append(start)
        ends.append(end)
        ctrls.append(ctrl)
        geoms.append(g)
        srcs.append(np.full(n, _source_name(f), dtype=object))

    if not dates:
        raise InputError(str(files[0]), "no features in any snapshot: nothing to build zones from")
    day = np.concatenate(dates)
    end = np.concatenate(ends)
    ctrl = np.concatenate(ctrls)
    geom = np.concatenate(geoms)
    src = np.concatenate(srcs)

    # skipped (mapping '-') and non-polygonal features
    keep = ctrl != ""
    rep.skipped = int((~keep).sum())
    geom = _polygonal_valid(geom, rep)
    poly = ~shapely.is_empty(geom)
    if (keep & ~poly).any():
        warnings.warn(
            f"{int((keep & ~poly).sum())} feature(s) with no polygon (points, lines or empty)"
            " were left out of the zones",
            SnapshotWarning,
            stacklevel=2,
        )
    keep &= poly
    day, end, ctrl, geom, src = day[keep], end[keep], ctrl[keep], geom[keep], src[keep]

    explicit = ~np.isnat(end)  # features with their own window (KML TimeSpan)
    snap_days = np.unique(np.concatenate([day[~explicit], np.array(file_days, "datetime64[D]")]))
    snap_days = snap_days[~np.isnat(snap_days)]

    if rest is not None and explicit.any():
        raise InputError(
            None, "--rest completes dated snapshots; these features carry their own windows"
        )
    rows = _dissolve(day[~explicit], ctrl[~explicit], geom[~explicit], src[~explicit])
    _report_overlaps(rows, rep)
    boundary = _within_geometry(within) if rest is not None else None
    rest_id = None
    if rest is not None:
        from geostrike.inputs.claims import resolve_actors

        if boundary is None:
            raise InputError(None, "--rest needs --within COUNTRY_OR_FILE")
        rest_id = ";".join(sorted(resolve_actors(table, rest, column="--rest")))
        rows = _add_rest(
            rows, snap_days, boundary, rest_id, rep, f"rest of {within}", sliver_km=sliver_km
        )

    until_day = None if until is None else np.datetime64(pd.Timestamp(until).date(), "D")
    out = (
        _chain(rows, snap_days, until_day, max_gap_days, rep)
        if len(snap_days)
        else pd.DataFrame(columns=snapshot_columns()[1:])
    )
    if explicit.any():
        more = _explicit_windows(
            day[explicit], end[explicit], ctrl[explicit], geom[explicit], src[explicit]
        )
        out = pd.concat([out, more], ignore_index=True)
    rep.snapshots = len(snap_days)
    rep.windows = len(out)
    for line in rep.lines():
        warnings.warn(line, SnapshotWarning, stacklevel=2)

    gdf = gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")
    gdf = gdf.sort_values(["valid_from", "controller"], kind="stable").reset_index(drop=True)
    gdf.insert(0, "zone_id", [f"zone-{i + 1}" for i in range(len(gdf))])
    gdf["valid_from"] = pd.to_datetime(gdf["valid_from"])
    gdf["valid_to"] = pd.to_datetime(gdf["valid_to"])
    return gdf[snapshot_columns()]


def _same_dates(files: list[Path], days: list[date | None]) -> list:
    seen: dict[date, list[str]] = {}
    for f, d in zip(files, days, strict=True):
        if d is not None:
            seen.setdefault(d, []).append(_source_name(f))
    return [(d, n) for d, n in sorted(seen.items()) if len(n) > 1]


def _report_overlaps(rows: pd.DataFrame, rep: ArchiveReport) -> None:
    """Area where two controllers' ground overlaps in one snapshot (multi-controller layers)."""
    multi = rows.groupby("day")["controller"].transform("size") > 1
    for d, grp in rows[multi].groupby("day"):
        g = grp["geometry"].to_numpy()
        inter = [shapely.intersection(g[i], g[j]) for i in range(len(g)) for j in range(i)]
        area = float(_area_km2(np.asarray(_polygonal_many(inter), dtype=object)).sum())
        if area > 0.01:
            rep.overlaps_km2[pd.Timestamp(np.datetime64(int(d), "D")).date()] = area


def _polygonal_many(geoms: list) -> list:
    return [_polygonal_one(g) for g in geoms]


_OPEN_FROM, _OPEN_TO = np.datetime64("0001-01-01", "D"), np.datetime64("9999-12-31", "D")


def _window_properties(
    gdf: Any, path: Path, window: tuple[str | None, str | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Explicit windows from two properties (empty = open); an unreadable date is an error."""
    from geostrike.inputs.claims import parse_dates

    lower = {str(c).casefold(): c for c in gdf.columns}
    out = []
    for prop, opt, open_value in zip(
        window, ("--from-property", "--to-property"), (_OPEN_FROM, _OPEN_TO), strict=True
    ):
        if prop is None:
            out.append(np.full(len(gdf), open_value))
            continue
        col = lower.get(prop.casefold())
        if col is None:
            raise InputError(path, f"has no property {prop!r} ({opt})")
        raw = gdf[col]
        d = parse_dates(raw).to_numpy(dtype="datetime64[D]")
        blank = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
        bad = np.isnat(d) & ~blank
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(path, f"feature {i + 1}: {prop} {raw.iloc[i]!r} is not a date")
        out.append(np.where(np.isnat(d), open_value, d))
    start, end = out
    if (end < start).any():
        i = int(np.flatnonzero(end < start)[0])
        raise InputError(path, f"feature {i + 1}: its window ends before it begins")
    return start.astype("datetime64[D]"), end.astype("datetime64[D]")


def _feature_dates(
    gdf: Any,
    path: Path,
    name_day: date | None,
    prop: str | None,
    window: tuple[str | None, str | None] = (None, None),
) -> tuple[np.ndarray, np.ndarray]:
    """Snapshot day and explicit window end (NaT when the feature is a snapshot)."""
    from geostrike.inputs.claims import parse_dates

    n = len(gdf)
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    lower = {str(c).casefold(): c for c in gdf.columns}
    if window != (None, None):
        return _window_properties(gdf, path, window)
    if prop is not None:
        col = lower.get(prop.casefold())
        if col is None:
            raise InputError(path, f"has no property {prop!r} (--date-property)")
        d = parse_dates(gdf[col]).to_numpy(dtype="datetime64[D]")
        bad = np.isnat(d)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(path, f"feature {i + 1}: {prop} {gdf[col].iloc[i]!r} is not a date")
        return d, nat
    start = np.full(n, np.datetime64(name_day, "D") if name_day else np.datetime64("NaT"))
    end = nat.copy()
    # KML/KMZ: TimeSpan begin/end and TimeStamp when override the file's date (only KML's:
    # a GeoJSON property that happens to be called "end" is just a property)
    if not gdf.attrs.get("geostrike_kml"):
        lower = {}
    if "when" in lower:
        w = parse_dates(gdf[lower["when"]]).to_numpy(dtype="datetime64[D]")
        start = np.where(np.isnat(w), start, w)
    if "begin" in lower or "end" in lower:
        b = (
            parse_dates(gdf[lower["begin"]]).to_numpy(dtype="datetime64[D]")
            if "begin" in lower
            else nat
        )
        e = (
            parse_dates(gdf[lower["end"]]).to_numpy(dtype="datetime64[D]")
            if "end" in lower
            else nat
        )
        span = ~np.isnat(b) | ~np.isnat(e)
        # an open end is kept open (far future); an open begin is open too (far past)
        start = np.where(span, np.where(np.isnat(b), _OPEN_FROM, b), start)
        end = np.where(span, np.where(np.isnat(e), _OPEN_TO, e), end)
        if (end[span] < start[span]).any():
            i = int(np.flatnonzero(span & (end < start))[0])
            raise InputError(path, f"feature {i + 1}: TimeSpan ends before it begins")
    return start.astype("datetime64[D]"), end.astype("datetime64[D]")


def _polygonal_valid(geom: np.ndarray, rep: ArchiveReport) -> np.ndarray:
    from geostrike.inputs.zones import _polygonal

    geom = geom.copy()
    missing = shapely.is_missing(geom)
    geom[missing] = shapely.Polygon()
    invalid = ~shapely.is_valid(geom)
    if invalid.any():
        geom[invalid] = shapely.make_valid(geom[invalid])
        rep.repaired += int(invalid.sum())
    tid = shapely.get_type_id(geom)
    other = ~np.isin(tid, (3, 6))
    if other.any():
        geom[other] = _polygonal(geom[other])
    return geom


def _dissolve(day: np.ndarray, ctrl: np.ndarray, geom: np.ndarray, src: np.ndarray) -> pd.DataFrame:
    """One geometry per (snapshot day, controller)."""
    df = pd.DataFrame({"day": day.astype(np.int64), "controller": ctrl, "i": np.arange(len(day))})
    rows = []
    for (d, c), grp in df.groupby(["day", "controller"], sort=True):
        idx = grp["i"].to_numpy()
        g = geom[idx[0]] if len(idx) == 1 else shapely.union_all(geom[idx])
        rows.append(
            {"day": d, "controller": c, "geometry": g, "source": "; ".join(sorted(set(src[idx])))}
        )
    return pd.DataFrame(rows, columns=["day", "controller", "geometry", "source"])


def _within_geometry(within: Any) -> Any:
    if within is None:
        return None
    if isinstance(within, shapely.Geometry):
        return within
    text = str(within)
    p = Path(text)
    if p.exists():
        from geostrike.inputs.zones import read_zones_boundary

        gdf = read_zones_boundary(p)
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        merged = shapely.union_all(geoms)
        overlap = float(_area_km2(np.array([merged]))[0])
        total = float(_area_km2(geoms).sum())
        if total - overlap > 0.01 * max(total, 1e-9) and total - overlap > 1.0:
            warnings.warn(
                f"{p}: its outlines overlap by {total - overlap:,.1f} km²; the union is used",
                SnapshotWarning,
                stacklevel=3,
            )
        return merged
    from geostrike.places.outlines import country_outline

    parts = []
    for key in (k.strip() for k in text.split(",")):  # "SD,SS": several countries
        try:
            parts.append(country_outline(key))
        except GeostrikeError:
            raise InputError(
                None, f"--within {key!r} is neither a file nor a country code or name"
            ) from None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def area_perimeter_km(geom: Any) -> tuple[float, float]:
    """Geodesic area (km²) and perimeter (km) of a (multi)polygon on the WGS84 ellipsoid
    (pyproj Geod, ring by ring from numpy coordinates)."""
    from geostrike.geodesy import GEOD

    area = perim = 0.0
    for poly in shapely.get_parts(geom):
        if shapely.get_type_id(poly) != 3 or poly.is_empty:
            continue
        for k, ring in enumerate([poly.exterior, *poly.interiors]):
            xy = shapely.get_coordinates(ring)
            a, p = GEOD.polygon_area_perimeter(xy[:, 0], xy[:, 1])
            area += abs(a) if k == 0 else -abs(a)
            perim += p
    return area / 1e6, perim / 1e3


def _area_km2(geoms: np.ndarray) -> np.ndarray:
    """Geodesic areas (km²) on the WGS84 ellipsoid."""
    return np.array([area_perimeter_km(g)[0] if g is not None else 0.0 for g in geoms])


def _add_rest(
    rows: pd.DataFrame,
    snap_days: np.ndarray,
    boundary: Any,
    rest_id: str,
    rep: ArchiveReport,
    source: str,
    sliver_km: float = 0.0,
) -> pd.DataFrame:
    """Add, per snapshot, the outline minus every controller's ground (the layer wins).

    Pieces of that complement, other than its largest, whose mean width (2 × area /
    perimeter, geodesic) is under ``sliver_km`` are left without zones and reported: they
    are where a detailed layer and a coarse outline draw the same border or coast apart.
    """
    shapely.prepare(boundary)
    add = []
    cache: dict[bytes, tuple[Any, float, float, int]] = {}
    cache_far: dict[bytes, tuple[int, float, float] | None] = {}
    rep.rest_of = source.removeprefix("rest of ")
    by_day = {d: grp for d, grp in rows.groupby("day")}
    empty = shapely.Polygon()
    touches = False
    for d in snap_days:
        grp = by_day.get(int(d.astype(np.int64)))
        layer = (
            empty
            if grp is None
            else (
                grp["geometry"].iloc[0]
                if len(grp) == 1
                else shapely.union_all(grp["geometry"].to_numpy())
            )
        )
        key = shapely.to_wkb(shapely.normalize(layer))
        if key not in cache:  # unchanged layer: the complement is unchanged too
            restg = _polygonal_one(shapely.difference(boundary, layer))
            outside = shapely.difference(layer, boundary)
            restg, thin_km2, thin_n = _drop_slivers(restg, sliver_km)
            far = _far_pieces(restg, layer)
            cache[key] = (restg, float(_area_km2(np.array([outside]))[0]), thin_km2, thin_n)
            cache_far[key] = far
        restg, sliver, thin_km2, thin_n = cache[key]
        if cache_far[key] is not None:
            rep.far_rest[pd.Timestamp(d).date()] = cache_far[key]
        touches |= not shapely.is_empty(layer) and shapely.intersects(boundary, layer)
        day = pd.Timestamp(d).date()
        if sliver > 0.01:
            rep.slivers_km2[day] = sliver
        if thin_n:
            rep.rest_slivers[day] = (thin_n, thin_km2)
        if not shapely.is_empty(restg):
            add.append(
                {
                    "day": int(d.astype(np.int64)),
                    "controller": rest_id,
                    "geometry": restg,
                    "source": source,
                }
            )
    if not touches and len(rows):
        raise InputError(
            None,
            f"the layer lies wholly outside --within {source.removeprefix('rest of ')!r}: wrong country?",
        )
    if not add:
        return rows
    both = pd.concat([rows, pd.DataFrame(add)], ignore_index=True)
    dup = both.duplicated(["day", "controller"], keep=False)
    if not dup.any():
        return both
    # the rest's actor also has ground in the layer: one geometry per day and controller
    merged = [
        {
            "day": d,
            "controller": c,
            "geometry": shapely.union_all(grp["geometry"].to_numpy()),
            "source": "; ".join(grp["source"]),
        }
        for (d, c), grp in both[dup].groupby(["day", "controller"], sort=False)
    ]
    return pd.concat([both[~dup], pd.DataFrame(merged)], ignore_index=True)


#: a piece of "the rest" this far from every part of the layer is reported: the outline
#: reaches ground the layer's map never looked at (the West Bank in the rest of a Gaza map)
FAR_REST_KM = 25.0
#: ... when such pieces are at least this share of the rest's area (islands and spits
#: of the outline far from a front line are not worth a line; the West Bank is 95%)
FAR_REST_SHARE = 0.1


def _far_pieces(restg: Any, layer: Any) -> tuple[int, float, float] | None:
    """(count, largest km², nearest km) of the rest's pieces far from the layer, or None.

    Distances are measured in an azimuthal equidistant frame centred on the layer
    (:func:`geostrike.geodesy.local_frame`): exact from the centre, within a fraction of
    a percent over a country, which is all a warning threshold needs.
    """
    if shapely.is_empty(layer) or shapely.is_empty(restg):
        return None
    parts = np.asarray(shapely.get_parts(restg), dtype=object)
    area = _area_km2(parts)
    big = area >= FAR_REST_SHARE * area.sum()
    if not big.any():
        return None
    from geostrike.geodesy import local_frame

    c = shapely.centroid(layer)
    fwd, _ = local_frame(float(shapely.get_x(c)), float(shapely.get_y(c)))

    def to_frame(xy: np.ndarray) -> np.ndarray:
        x, y = fwd.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    layer_m = shapely.transform(layer, to_frame)
    dist_km = shapely.distance(shapely.transform(parts[big], to_frame), layer_m) / 1000.0
    far = dist_km >= FAR_REST_KM
    if not far.any() or area[big][far].sum() < FAR_REST_SHARE * area.sum():
        return None
    return int(far.sum()), float(area[big][far].max()), float(dist_km[far].min())


def _drop_slivers(g: Any, width_km: float) -> tuple[Any, float, int]:
    """(g without its thin pieces, their area km², their count); the largest piece stays."""
    parts = np.asarray(shapely.get_parts(g), dtype=object)
    if width_km <= 0 or len(parts) < 2:
        return g, 0.0, 0
    # planar prefilter: a degree spans at least ~30 km up to 74° of latitude, so a piece
    # whose width in degrees times 30 reaches width_km is not thin; only the others are
    # measured on the ellipsoid
    planar = 2 * shapely.area(parts) / np.maximum(shapely.length(parts), 1e-12)
    area = np.full(len(parts), np.inf)
    perim = np.ones(len(parts))
    maybe = np.flatnonzero(planar * 30.0 < width_km)
    for i in maybe:
        area[i], perim[i] = area_perimeter_km(parts[i])
    area[np.isinf(area)] = 0.0
    thin = np.zeros(len(parts), dtype=bool)
    thin[maybe] = 2 * area[maybe] / np.maximum(perim[maybe], 1e-9) < width_km
    thin[np.argmax(shapely.area(parts))] = False
    thin[np.argmax(area)] = False
    if not thin.any():
        return g, 0.0, 0
    kept = parts[~thin]
    out = kept[0] if len(kept) == 1 else shapely.MultiPolygon(list(shapely.get_parts(kept)))
    return out, float(area[thin].sum()), int(thin.sum())


def _polygonal_one(g: Any) -> Any:
    if shapely.get_type_id(g) in (3, 6):
        return g
    from geostrike.inputs.zones import _polygonal

    return _polygonal(np.array([g], dtype=object))[0]


def _chain(
    rows: pd.DataFrame,
    snap_days: np.ndarray,
    until: np.datetime64 | None,
    max_gap: int | None,
    rep: ArchiveReport,
) -> pd.DataFrame:
    """Windows of consecutive snapshots; identical consecutive geometries merge."""
    one = np.timedelta64(1, "D")
    steps = np.diff(snap_days).astype(np.int64)
    # the series' usual step: the most common one (the smallest of equally common ones)
    vals, counts = np.unique(steps, return_counts=True)
    cadence = int(vals[np.argmax(counts)]) if len(steps) else 1
    rep.cadence_days = cadence
    gap_after = np.zeros(len(snap_days), dtype=np.int64)  # days without snapshot after i
    if len(steps):
        gap_after[:-1] = np.where(steps > cadence, steps - cadence, 0)
    for i in np.flatnonzero(gap_after):
        a = snap_days[i] + np.timedelta64(cadence, "D")
        rep.gaps.append((pd.Timestamp(a).date(), pd.Timestamp(snap_days[i + 1] - one).date()))
    # last day of each snapshot's window
    last = np.empty(len(snap_days), dtype="datetime64[D]")
    last[:-1] = snap_days[1:] - one
    if max_gap is not None and len(steps):
        cut = steps > max_gap
        last[:-1][cut] = snap_days[:-1][cut] + np.timedelta64(cadence, "D") - one
    if until is not None and until < snap_days[-1]:
        raise InputError(None, f"--until {until} is before the last snapshot ({snap_days[-1]})")
    last[-1] = until if until is not None else snap_days[-1]
    pos = {int(d): i for i, d in enumerate(snap_days.astype(np.int64))}

    out = []
    for c, grp in rows.groupby("controller", sort=True):
        grp = grp.sort_values("day")
        idx = np.array([pos[int(d)] for d in grp["day"].to_numpy()])
        g = grp["geometry"].to_numpy()
        norm = shapely.normalize(g)
        same = np.zeros(len(g), dtype=bool)  # same[k]: row k continues row k-1's window
        if len(g) > 1:
            same[1:] = (idx[1:] == idx[:-1] + 1) & shapely.equals_exact(norm[1:], norm[:-1], 0.0)
            same[1:] &= last[idx[:-1]] + one == snap_days[idx[1:]]  # no cut gap between them
        starts = np.flatnonzero(~same)
        stops = np.r_[starts[1:], len(g)] - 1
        srcs = grp["source"].to_numpy()
        for a, b in zip(starts, stops, strict=True):
            notes = [
                f"bridges {gap_after[i]} day(s) with no snapshot after {pd.Timestamp(snap_days[i]).date()}"
                for i in idx[a : b + 1]
                if gap_after[i] and last[i] > snap_days[i] + np.timedelta64(cadence - 1, "D")
            ]
            src_a, src_b = srcs[a], srcs[b]
            out.append(
                {
                    "controller": c,
                    "valid_from": snap_days[idx[a]],
                    "valid_to": last[idx[b]],
                    "source": src_a if a == b or src_a == src_b else f"{src_a} .. {src_b}",
                    "snapshots": int(b - a + 1),
                    "note": "; ".join(notes) if notes else None,
                    "geometry": g[a],
                }
            )
    return pd.DataFrame(out, columns=snapshot_columns()[1:])


def _explicit_windows(
    start: np.ndarray, end: np.ndarray, ctrl: np.ndarray, geom: np.ndarray, src: np.ndarray
) -> pd.DataFrame:
    """Features with their own window (KML TimeSpan): dissolved per (window, controller)."""
    df = pd.DataFrame({"s": start, "e": end, "c": ctrl, "i": np.arange(len(start))})
    out = []
    lo, hi = _OPEN_FROM, _OPEN_TO
    for (s, e, c), grp in df.groupby(["s", "e", "c"], sort=True):
        idx = grp["i"].to_numpy()
        g = geom[idx[0]] if len(idx) == 1 else shapely.union_all(geom[idx])
        out.append(
            {
                "controller": c,
                "valid_from": pd.NaT if s == lo else s,
                "valid_to": pd.NaT if e == hi else e,
                "source": "; ".join(sorted(set(src[idx]))),
                "snapshots": 1,
                "note": None,
                "geometry": g,
            }
        )
    return pd.DataFrame(out, columns=snapshot_columns()[1:])

"""KML and KMZ (Google Earth, Google My Maps) read with their time and style information.

GDAL's KML driver drops what published front-line maps rely on (``TimeSpan``/``TimeStamp``,
shared styles and ``StyleMap``, ``ExtendedData``), so KML is parsed here with the standard
library's XML parser. The file is the user's; it is parsed defensively: a document that
declares a DTD or entities (the vector of "billion laughs" and external-entity attacks) is
refused, a KMZ member larger than :data:`MAX_KML_BYTES` is refused, and nothing is fetched.

:func:`read_kml` returns one row per placemark: ``name``, ``folder`` (the enclosing folder
names joined by ``/``), ``style`` (the style id after resolving a ``StyleMap`` to its normal
style), ``style_url`` (the placemark's own ``styleUrl`` id, before that), ``color`` (the
polygon, else line, else icon colour as ``#rrggbb``), ``begin``, ``end``, ``when``, ``description``, every ``ExtendedData`` field as a column, and the
geometry (Point, LineString, Polygon with holes, MultiGeometry) in WGS84, as KML always is.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import shapely

from geostrike.errors import InputError
from geostrike.io import require_file

#: Largest KML document read (bytes, after unzipping a KMZ).
MAX_KML_BYTES = 512 * 1024 * 1024

_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: ET.Element | None, name: str | None = None) -> str | None:
    if el is None:
        return None
    if name is not None:
        el = _child(el, name)
        if el is None:
            return None
    t = (el.text or "").strip()
    return t or None


def kml_bytes(path: str | Path) -> bytes:
    """The KML document of a .kml file or a .kmz archive (doc.kml, else its first .kml)."""
    p = require_file(path)
    if p.suffix.lower() == ".kmz" or zipfile.is_zipfile(p):
        try:
            with zipfile.ZipFile(p) as z:
                names = [i for i in z.infolist() if i.filename.lower().endswith(".kml")]
                if not names:
                    raise InputError(p, "is a KMZ with no .kml document inside")
                info = next((i for i in names if i.filename.lower() == "doc.kml"), names[0])
                if info.file_size > MAX_KML_BYTES:
                    raise InputError(
                        p, f"{info.filename} unzips to {info.file_size:,} bytes: too large"
                    )
                return z.read(info)
        except zipfile.BadZipFile as exc:
            raise InputError(p, f"is not a readable KMZ archive ({exc})") from None
    data = p.read_bytes()
    if len(data) > MAX_KML_BYTES:
        raise InputError(p, "is too large to read as KML")
    return data


def _parse(path: Path, data: bytes) -> ET.Element:
    if _DTD.search(data[:65536]) or b"<!ENTITY" in data:
        raise InputError(path, "declares a DTD or entities; refused (KML needs neither)")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(path, f"is not well-formed KML ({exc})") from None


def _color(style: ET.Element | None) -> str | None:
    """#rrggbb of a Style (PolyStyle, else LineStyle, else IconStyle); KML is aabbggrr."""
    if style is None:
        return None
    for kind in ("PolyStyle", "LineStyle", "IconStyle"):
        c = _text(_child(style, kind), "color")
        if c and re.fullmatch(r"[0-9a-fA-F]{8}", c):
            c = c.lower()
            return f"#{c[6:8]}{c[4:6]}{c[2:4]}"
    return None


def _coords(el: ET.Element | None) -> list[tuple[float, float]]:
    text = _text(el, "coordinates") if el is not None else None
    if not text:
        return []
    out = []
    for tok in text.split():
        parts = tok.split(",")
        if len(parts) >= 2:
            try:
                out.append((float(parts[0]), float(parts[1])))
            except ValueError:
                continue
    return out


def _geometry(el: ET.Element) -> Any:
    kind = _local(el.tag)
    if kind == "Point":
        c = _coords(el)
        return shapely.Point(c[0]) if c else None
    if kind == "LineString":
        c = _coords(el)
        return shapely.LineString(c) if len(c) >= 2 else None
    if kind == "LinearRing":
        c = _coords(el)
        return shapely.Polygon(c) if len(c) >= 3 else None
    if kind == "Polygon":
        outer = _child(el, "outerBoundaryIs")
        shell = _coords(_child(outer, "LinearRing")) if outer is not None else []
        holes = [
            _coords(_child(b, "LinearRing"))
            for b in _children(el, "innerBoundaryIs")
            if _child(b, "LinearRing") is not None
        ]
        if len(shell) < 3:
            return None
        return shapely.Polygon(shell, [h for h in holes if len(h) >= 3])
    if kind == "MultiGeometry":
        parts = [g for c in el if (g := _geometry(c)) is not None]
        if not parts:
            return None
        polys = [g for g in parts if g.geom_type in ("Polygon", "MultiPolygon")]
        if len(polys) == len(parts):
            return shapely.MultiPolygon(
                [p for g in polys for p in (g.geoms if g.geom_type == "MultiPolygon" else [g])]
            )
        return shapely.GeometryCollection(parts)
    return None


_RESERVED = {
    "name",
    "folder",
    "style",
    "style_url",
    "color",
    "begin",
    "end",
    "when",
    "description",
    "geometry",
}
_GEOM_TAGS = {"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry"}


def read_kml(path: str | Path) -> Any:
    """Read the placemarks of a KML or KMZ file.

    Returns
    -------
    GeoDataFrame
        EPSG:4326; columns ``name, folder, style, style_url, color, begin, end, when, description``,
        the ExtendedData fields, ``geometry`` (None for a placemark without one).

    Raises
    ------
    InputError
        Not KML, a DTD/entity declaration, a KMZ without a document, a too-large document.
    """
    import geopandas as gpd

    p = Path(path)
    root = _parse(p, kml_bytes(p))
    if _local(root.tag) != "kml":
        raise InputError(p, f"is XML but not KML (root element <{_local(root.tag)}>)")

    styles: dict[str, ET.Element] = {}
    maps: dict[str, str] = {}
    for el in root.iter():
        t = _local(el.tag)
        sid = el.get("id")
        if t == "Style" and sid:
            styles[sid] = el
        elif t == "StyleMap" and sid:
            for pair in _children(el, "Pair"):
                if _text(pair, "key") == "normal" and _text(pair, "styleUrl"):
                    maps[sid] = _text(pair, "styleUrl").split("#")[-1]

    def style_of(pm: ET.Element) -> tuple[str | None, str | None, str | None]:
        url = _text(pm, "styleUrl")
        own = url.split("#")[-1] if url else None
        sid = maps.get(own, own) if own else None
        inline = _child(pm, "Style")
        colour = _color(inline) or _color(styles.get(sid) if sid else None)
        return sid, colour, own

    rows: list[dict[str, Any]] = []
    extra: list[str] = []

    def walk(el: ET.Element, folders: list[str]) -> None:
        for c in el:
            t = _local(c.tag)
            if t in ("Folder", "Document"):
                name = _text(c, "name")
                walk(c, folders + [name] if (t == "Folder" and name) else folders)
            elif t == "Placemark":
                rows.append(_placemark(c, folders, style_of, extra))

    walk(root, [])
    links = sum(1 for el in root.iter() if _local(el.tag) == "NetworkLink")
    if links:
        import warnings

        warnings.warn(
            f"{p}: {links} NetworkLink(s) not followed (nothing is fetched); export the"
            " linked layers into the file to use them",
            UserWarning,
            stacklevel=2,
        )
    cols = ["name", "folder", "style", "style_url", "color", "begin", "end", "when", "description"]
    data = {k: [r.get(k) for r in rows] for k in cols + extra}
    geoms = [r.get("geometry") for r in rows]
    out = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    out.attrs["geostrike_kml"] = True  # begin/end/when are KML time elements
    return out


def _placemark(pm: ET.Element, folders: list[str], style_of: Any, extra: list[str]) -> dict:
    sid, colour, own = style_of(pm)
    row: dict[str, Any] = {
        "name": _text(pm, "name"),
        "folder": "/".join(folders) or None,
        "style": sid,
        "style_url": own,
        "color": colour,
        "description": _text(pm, "description"),
    }
    span = _child(pm, "TimeSpan")
    if span is not None:
        row["begin"], row["end"] = _text(span, "begin"), _text(span, "end")
    stamp = _child(pm, "TimeStamp")
    if stamp is not None:
        row["when"] = _text(stamp, "when")
    ext = _child(pm, "ExtendedData")
    if ext is not None:
        fields: list[tuple[str, str | None]] = [
            (d.get("name"), _text(d, "value")) for d in _children(ext, "Data") if d.get("name")
        ]
        for sd in _children(ext, "SchemaData"):
            fields += [
                (s.get("name"), _text(s)) for s in _children(sd, "SimpleData") if s.get("name")
            ]
        for k, v in fields:
            key = f"data_{k}" if k in _RESERVED else k
            if key not in extra:
                extra.append(key)
            row[key] = v
    geom = next((_geometry(c) for c in pm if _local(c.tag) in _GEOM_TAGS), None)
    row["geometry"] = geom
    return row

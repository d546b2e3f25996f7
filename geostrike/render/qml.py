"""QGIS layer styles (QML) and their SLD twins, built from plain symbol descriptions.

``qgis.py`` describes each exported layer's look with :class:`Symbol` and
:class:`Category` values (colours always come from :mod:`geostrike.render.style`) and this
module turns them into the two documents QGIS keeps per style: a QML document (QGIS's
own format, read by ``QgsVectorLayer.loadNamedStyle`` and stored in a GeoPackage's
``layer_styles.styleQML``) and an OGC SLD 1.1 document (``layer_styles.styleSLD``, also
read by other GIS tools). The element and property names follow what QGIS 3.22 writes
when it saves a style; only the parts that differ from QGIS's defaults are written, and
QGIS fills in the rest when it reads the style.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Literal

Geometry = Literal["point", "line", "polygon"]

#: QGIS's ``layerGeometryType`` codes and symbol type names per geometry kind.
_GEOMETRY_CODE = {"point": "0", "line": "1", "polygon": "2"}
_SYMBOL_TYPE = {"point": "marker", "line": "line", "polygon": "fill"}
_QGIS_VERSION = "3.22.0-Białowieża"


@dataclass(frozen=True)
class Symbol:
    """How one class of features is drawn.

    Parameters
    ----------
    color
        Fill colour (markers, polygons) or line colour (lines), ``#rrggbb``.
    opacity
        Opacity of the fill (0–1); outlines and lines stay opaque.
    stroke
        Outline colour (markers, polygons), ``#rrggbb``; None draws no outline.
    stroke_width
        Outline or line width in millimetres.
    dashed
        Draw lines/outlines dashed.
    size
        Marker diameter in millimetres.
    """

    color: str
    opacity: float = 1.0
    stroke: str | None = None
    stroke_width: float = 0.26
    dashed: bool = False
    size: float = 2.6


@dataclass(frozen=True)
class Category:
    """One class of a categorised renderer: features whose attribute equals ``value``."""

    value: str
    label: str
    symbol: Symbol


@dataclass(frozen=True)
class Labels:
    """Simple labelling from one field (placed along lines for line layers)."""

    field: str
    size: float = 8.0
    color: str = "#000000"


# --------------------------------------------------------------------------- helpers
def _rgba(hex_color: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` → QGIS's ``r,g,b,a`` colour string."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    a = round(max(0.0, min(1.0, float(opacity))) * 255)
    return f"{r},{g},{b},{a}"


def _num(x: float) -> str:
    return f"{float(x):g}"


def _symbol_props(kind: Geometry, s: Symbol) -> dict[str, str]:
    """Symbol-layer properties as QGIS stores them (strings)."""
    stroke_style = "dash" if s.dashed else "solid"
    if kind == "point":
        return {
            "name": "circle",
            "color": _rgba(s.color, s.opacity),
            "outline_color": _rgba(s.stroke or s.color),
            "outline_style": "solid" if s.stroke else "no",
            "outline_width": _num(s.stroke_width),
            "outline_width_unit": "MM",
            "size": _num(s.size),
            "size_unit": "MM",
            "scale_method": "diameter",
        }
    if kind == "line":
        return {
            "line_color": _rgba(s.color),
            "line_style": stroke_style,
            "line_width": _num(s.stroke_width),
            "line_width_unit": "MM",
            "capstyle": "round",
            "joinstyle": "round",
        }
    return {
        "color": _rgba(s.color, s.opacity),
        "style": "solid",
        "outline_color": _rgba(s.stroke or s.color),
        "outline_style": (stroke_style if s.stroke else "no"),
        "outline_width": _num(s.stroke_width),
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
    }


_SYMBOL_LAYER_CLASS = {"point": "SimpleMarker", "line": "SimpleLine", "polygon": "SimpleFill"}


def _empty_dd(parent: ET.Element, tag: str = "data_defined_properties") -> None:
    dd = ET.SubElement(parent, tag)
    opt = ET.SubElement(dd, "Option", type="Map")
    ET.SubElement(opt, "Option", name="name", value="", type="QString")
    ET.SubElement(opt, "Option", name="properties")
    ET.SubElement(opt, "Option", name="type", value="collection", type="QString")


def _symbol_element(parent: ET.Element, name: str, kind: Geometry, s: Symbol) -> None:
    sym = ET.SubElement(
        parent,
        "symbol",
        name=name,
        type=_SYMBOL_TYPE[kind],
        alpha="1",
        clip_to_extent="1",
        force_rhr="0",
    )
    _empty_dd(sym)
    layer = ET.SubElement(
        sym,
        "layer",
        {"class": _SYMBOL_LAYER_CLASS[kind], "enabled": "1", "locked": "0", "pass": "0"},
    )
    props = _symbol_props(kind, s)
    opts = ET.SubElement(layer, "Option", type="Map")
    for k, v in props.items():
        ET.SubElement(opts, "Option", name=k, value=v, type="QString")
    # QGIS 3.22 reads the Option map; older releases read these <prop> elements.
    for k, v in props.items():
        ET.SubElement(layer, "prop", k=k, v=v)
    _empty_dd(layer)


def _labeling(root: ET.Element, kind: Geometry, labels: Labels) -> None:
    lab = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(lab, "settings", calloutType="simple")
    style = ET.SubElement(
        settings,
        "text-style",
        fieldName=labels.field,
        isExpression="0",
        fontSize=_num(labels.size),
        fontSizeUnit="Point",
        textColor=_rgba(labels.color),
        textOpacity="1",
    )
    ET.SubElement(
        style,
        "text-buffer",
        bufferDraw="1",
        bufferSize="0.8",
        bufferSizeUnits="MM",
        bufferColor="255,255,255,255",
        bufferOpacity="0.85",
    )
    ET.SubElement(settings, "text-format", multilineAlign="3", formatNumbers="0")
    # placement 2 = along lines (above the line, map orientation: flags 10); 1 = around points
    if kind == "line":
        ET.SubElement(settings, "placement", placement="2", placementFlags="10", dist="0.5")
    elif kind == "point":
        ET.SubElement(settings, "placement", placement="1", dist="1")
    else:
        ET.SubElement(settings, "placement", placement="0")
    ET.SubElement(
        settings,
        "rendering",
        drawLabels="1",
        obstacle="1",
        scaleVisibility="0",
        displayAll="0",
        upsidedownLabels="0",
    )
    _empty_dd(settings, "dd_properties")


def _root(kind: Geometry, labels: Labels | None) -> ET.Element:
    return ET.Element(
        "qgis",
        version=_QGIS_VERSION,
        styleCategories="Symbology|Labeling|Fields|Temporal",
        labelsEnabled="1" if labels else "0",
        hasScaleBasedVisibilityFlag="0",
        minScale="100000000",
        maxScale="0",
    )


def _finish(
    root: ET.Element, kind: Geometry, labels: Labels | None, aliases: dict[str, str]
) -> str:
    if labels:
        _labeling(root, kind, labels)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    if aliases:
        al = ET.SubElement(root, "aliases")
        for i, (field, alias) in enumerate(aliases.items()):
            ET.SubElement(al, "alias", field=field, index=str(i), name=alias)
    ET.SubElement(root, "layerGeometryType").text = _GEOMETRY_CODE[kind]
    ET.indent(root, space="  ")
    body = ET.tostring(_xml_clean(root), encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def _temporal(root: ET.Element, start: str | None, end: str | None) -> None:
    if not start:
        return
    # mode 2: start and end from two date/time fields (NULL = open-ended); 1: one instant field
    t = ET.SubElement(
        root,
        "temporal",
        enabled="1",
        mode="2" if end else "1",
        startField=start,
        endField=end or "",
        startExpression="",
        endExpression="",
        durationField="",
        durationUnit="d",
        fixedDuration="0",
        limitMode="1",
        accumulate="0",
    )
    fr = ET.SubElement(t, "fixedRange")
    ET.SubElement(fr, "start")
    ET.SubElement(fr, "end")


# --------------------------------------------------------------------------- QML
def _renderer(root: ET.Element, renderer: str, **attrs: str) -> ET.Element:
    """The ``renderer-v2`` element of a style, with QGIS's defaults."""
    r = ET.SubElement(
        root,
        "renderer-v2",
        type=renderer,
        **attrs,
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
        referencescale="-1",
    )
    ET.SubElement(r, "rotation")
    ET.SubElement(r, "sizescale")
    return r


def categorized_qml(
    kind: Geometry,
    attribute: str,
    categories: list[Category],
    *,
    labels: Labels | None = None,
    aliases: dict[str, str] | None = None,
    temporal: tuple[str, str | None] | None = None,
) -> str:
    """QML of a categorised renderer: one symbol per value of ``attribute``.

    Parameters
    ----------
    kind
        Geometry kind of the layer: "point", "line" or "polygon".
    attribute
        Field whose value selects the category.
    categories
        The classes, in legend order. A category whose value is "" catches every other
        value (QGIS's "all other values").
    labels
        Optional simple labelling.
    aliases
        Optional field → display name map.
    temporal
        Optional (start field, end field) for QGIS's temporal controller.
    """
    root = _root(kind, labels)
    if temporal:
        _temporal(root, *temporal)
    r = _renderer(root, "categorizedSymbol", attr=attribute)
    cats = ET.SubElement(r, "categories")
    syms = ET.SubElement(r, "symbols")
    for i, c in enumerate(categories):
        ET.SubElement(cats, "category", value=c.value, label=c.label, symbol=str(i), render="true")
        _symbol_element(syms, str(i), kind, c.symbol)
    if categories:
        src = ET.SubElement(r, "source-symbol")
        _symbol_element(src, "0", kind, categories[0].symbol)
    return _finish(root, kind, labels, aliases or {})


def single_symbol_qml(
    kind: Geometry,
    symbol: Symbol,
    *,
    labels: Labels | None = None,
    aliases: dict[str, str] | None = None,
) -> str:
    """QML of a single-symbol renderer (every feature drawn alike)."""
    root = _root(kind, labels)
    r = _renderer(root, "singleSymbol")
    syms = ET.SubElement(r, "symbols")
    _symbol_element(syms, "0", kind, symbol)
    return _finish(root, kind, labels, aliases or {})


# --------------------------------------------------------------------------- SLD
_SLD = "http://www.opengis.net/sld"
_SE = "http://www.opengis.net/se"
_OGC = "http://www.opengis.net/ogc"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _se(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"se:{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _svg(parent: ET.Element, name: str, value: str) -> None:
    _se(parent, "SvgParameter", value, name=name)


def _sld_symbolizer(rule: ET.Element, kind: Geometry, s: Symbol) -> None:
    mm_to_px = 3.78  # SLD sizes are in pixels at 96 dpi
    if kind == "point":
        ps = _se(rule, "PointSymbolizer")
        g = _se(ps, "Graphic")
        m = _se(g, "Mark")
        _se(m, "WellKnownName", "circle")
        f = _se(m, "Fill")
        _svg(f, "fill", s.color)
        if s.opacity < 1:
            _svg(f, "fill-opacity", _num(round(s.opacity, 3)))
        if s.stroke:
            st = _se(m, "Stroke")
            _svg(st, "stroke", s.stroke)
            _svg(st, "stroke-width", _num(round(s.stroke_width * mm_to_px, 2)))
        _se(g, "Size", _num(round(s.size * mm_to_px, 1)))
        return
    if kind == "line":
        ls = _se(rule, "LineSymbolizer")
        st = _se(ls, "Stroke")
        _svg(st, "stroke", s.color)
        _svg(st, "stroke-width", _num(round(s.stroke_width * mm_to_px, 2)))
        if s.dashed:
            _svg(st, "stroke-dasharray", "8 4")
        return
    pg = _se(rule, "PolygonSymbolizer")
    f = _se(pg, "Fill")
    _svg(f, "fill", s.color)
    _svg(f, "fill-opacity", _num(round(s.opacity, 3)))
    if s.stroke:
        st = _se(pg, "Stroke")
        _svg(st, "stroke", s.stroke)
        _svg(st, "stroke-width", _num(round(s.stroke_width * mm_to_px, 2)))
        if s.dashed:
            _svg(st, "stroke-dasharray", "8 4")


def _sld_text(rule: ET.Element, kind: Geometry, labels: Labels) -> None:
    ts = _se(rule, "TextSymbolizer")
    lab = _se(ts, "Label")
    ET.SubElement(lab, "ogc:PropertyName").text = labels.field
    font = _se(ts, "Font")
    _svg(font, "font-size", _num(round(labels.size * 96 / 72, 1)))
    if kind == "line":
        _se(_se(ts, "LabelPlacement"), "LinePlacement")
    halo = _se(ts, "Halo")
    _se(halo, "Radius", "2")
    _svg(_se(halo, "Fill"), "fill", "#ffffff")
    _svg(_se(ts, "Fill"), "fill", labels.color)


def _sld_document(
    layer_name: str,
    rules: list[tuple[str, str | None, str | None, Symbol]],
    kind: Geometry,
    attribute: str | None,
    labels: Labels | None,
) -> str:
    root = ET.Element(
        "StyledLayerDescriptor",
        {
            "xmlns": _SLD,
            "xmlns:se": _SE,
            "xmlns:ogc": _OGC,
            "xmlns:xsi": _XSI,
            "version": "1.1.0",
            "xsi:schemaLocation": "http://www.opengis.net/sld "
            "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd",
        },
    )
    nl = ET.SubElement(root, "NamedLayer")
    _se(nl, "Name", layer_name)
    us = ET.SubElement(nl, "UserStyle")
    _se(us, "Name", layer_name)
    fts = _se(us, "FeatureTypeStyle")
    for name, title, value, sym in rules:
        rule = _se(fts, "Rule")
        _se(rule, "Name", name)
        if title:
            _se(_se(rule, "Description"), "Title", title)
        if attribute is not None and value is not None:
            flt = ET.SubElement(rule, "ogc:Filter")
            if value == "":
                # "all other values": not equal to any listed one
                others = [v for _, _, v, _ in rules if v]
                parent = ET.SubElement(flt, "ogc:And") if len(others) > 1 else flt
                for v in others:
                    ne = ET.SubElement(parent, "ogc:PropertyIsNotEqualTo")
                    ET.SubElement(ne, "ogc:PropertyName").text = attribute
                    ET.SubElement(ne, "ogc:Literal").text = v
            else:
                eq = ET.SubElement(flt, "ogc:PropertyIsEqualTo")
                ET.SubElement(eq, "ogc:PropertyName").text = attribute
                ET.SubElement(eq, "ogc:Literal").text = value
        _sld_symbolizer(rule, kind, sym)
    if labels:
        rule = _se(fts, "Rule")
        _se(rule, "Name", "labels")
        _sld_text(rule, kind, labels)
    ET.indent(root, space="  ")
    body = ET.tostring(_xml_clean(root), encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


#: Characters XML 1.0 does not allow, even escaped (C0 controls but tab, LF, CR; lone
#: surrogates; U+FFFE, U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_clean(root: ET.Element) -> ET.Element:
    """Drop the characters XML cannot hold from every text and attribute (an actor label
    or a value from user data with a control character would make the style unreadable)."""
    for el in root.iter():
        if el.text and _NOT_XML.search(el.text):
            el.text = _NOT_XML.sub("", el.text)
        if el.tail and _NOT_XML.search(el.tail):
            el.tail = _NOT_XML.sub("", el.tail)
        for k, v in el.attrib.items():
            if _NOT_XML.search(v):
                el.attrib[k] = _NOT_XML.sub("", v)
    return root


def categorized_sld(
    layer_name: str,
    kind: Geometry,
    attribute: str,
    categories: list[Category],
    *,
    labels: Labels | None = None,
) -> str:
    """SLD 1.1 twin of :func:`categorized_qml`: one rule per category."""
    rules = [(c.label or c.value, c.label, c.value, c.symbol) for c in categories]
    return _sld_document(layer_name, rules, kind, attribute, labels)


def single_symbol_sld(
    layer_name: str, kind: Geometry, symbol: Symbol, *, labels: Labels | None = None
) -> str:
    """SLD 1.1 twin of :func:`single_symbol_qml`."""
    return _sld_document(layer_name, [("Single symbol", None, None, symbol)], kind, None, labels)

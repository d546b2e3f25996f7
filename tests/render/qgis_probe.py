"""Open exported layers in real QGIS (headless) and print what QGIS sees, as JSON.

Run under the system Python that has Debian's ``python3-qgis`` (``/usr/bin/python3``),
never the project venv::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_probe.py OUT.gpkg [--no-default-style]
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_probe.py a.geojson b.shp ...

For a GeoPackage every layer is opened through the ``ogr`` provider; for other files the
file itself is the layer. Per layer it prints validity, feature count, CRS, renderer type,
categories (value, label, colour), labelling, and where the style came from. With
``--no-default-style`` layers are opened with ``loadDefaultStyle=False`` (to show what
QGIS does without the stored style), ``--save-style`` has QGIS save each layer's style
into the GeoPackage too (as "user copy"), ``--render PNG`` draws the first GeoPackage's
layers to an image and samples the pixel under each strike, and ``--load-sld FILE``
checks that an SLD parses.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsDataProvider,
    QgsVectorLayer,
    QgsWkbTypes,
)


def _symbol_facts(symbol) -> dict:
    if symbol is None:
        return {}
    layer = symbol.symbolLayer(0)
    props = layer.properties() if layer is not None else {}
    return {
        "color": symbol.color().name(),
        "alpha": round(symbol.color().alphaF(), 3),
        "class": layer.layerType() if layer is not None else None,
        "line_style": props.get("line_style"),
        "outline_style": props.get("outline_style"),
    }


def layer_facts(layer: QgsVectorLayer, style_message: str | None) -> dict:
    facts: dict = {"valid": layer.isValid(), "name": layer.name()}
    if not layer.isValid():
        return facts
    renderer = layer.renderer()
    facts.update(
        {
            "feature_count": layer.featureCount(),
            "crs": layer.crs().authid(),
            "geometry_type": QgsWkbTypes.geometryDisplayString(layer.geometryType()),
            "fields": [f.name() for f in layer.fields()],
            "aliases": {f.name(): f.alias() for f in layer.fields() if f.alias()},
            "renderer": renderer.type() if renderer else None,
            "labels_enabled": layer.labelsEnabled(),
            "label_field": layer.labeling().settings().fieldName
            if layer.labelsEnabled() and layer.labeling() is not None
            else None,
            "style_message": style_message,
        }
    )
    if renderer is not None and renderer.type() == "categorizedSymbol":
        facts["attribute"] = renderer.classAttribute()
        facts["categories"] = [
            {
                "value": None if c.value() is None else str(c.value()),
                "label": c.label(),
                **_symbol_facts(c.symbol()),
            }
            for c in renderer.categories()
        ]
    elif renderer is not None and renderer.type() == "singleSymbol":
        facts["symbol"] = _symbol_facts(renderer.symbol())
    tp = layer.temporalProperties()
    facts["temporal"] = bool(tp.isActive()) if tp is not None else False
    facts["temporal_fields"] = [tp.startField(), tp.endField()] if tp is not None else None
    return facts


def gpkg_layers(path: str) -> list[str]:
    """Names of the vector layers in a GeoPackage, as QGIS lists them."""
    names = []
    probe = QgsVectorLayer(path, "probe", "ogr")
    for sub in probe.dataProvider().subLayers():
        parts = sub.split(QgsDataProvider.sublayerSeparator())
        names.append(parts[1])
    return names


def render_gpkg(path: str, png: str) -> dict:
    """Draw a GeoPackage's layers with their stored styles into ``png`` and sample, for
    each strike, the colour of the pixel under it (what an analyst sees in QGIS)."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsPointXY,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    order = ["strikes", "stated_place_links", "target_links", "precision_areas", "control_zones"]
    layers = {n: QgsVectorLayer(f"{path}|layername={n}", n, "ogr") for n in order}
    strikes = layers["strikes"]
    settings = QgsMapSettings()
    settings.setLayers([layers[n] for n in order])  # first is drawn on top
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(QSize(1200, 900))
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    extent = strikes.extent()
    extent.scale(1.5)
    settings.setExtent(extent)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png, "png")
    to_pixel = settings.mapToPixel()
    samples = []
    for f in strikes.getFeatures():
        if not f.hasGeometry():
            continue
        p = f.geometry().asPoint()
        px = to_pixel.transform(QgsPointXY(p.x(), p.y()))
        colour = QColor(image.pixel(round(px.x()), round(px.y()))).name()
        samples.append({"id": str(f["id"]), "verdict": f["verdict"], "pixel": colour})
    return {"png": png, "strikes": samples}


def main(argv: list[str]) -> int:
    no_default = "--no-default-style" in argv
    save_style = "--save-style" in argv
    render = None
    if "--render" in argv:
        i = argv.index("--render")
        render = argv[i + 1]
        argv = argv[:i] + argv[i + 2 :]
    sld = None
    if "--load-sld" in argv:
        i = argv.index("--load-sld")
        sld = argv[i + 1]
        argv = argv[:i] + argv[i + 2 :]
    paths = [a for a in argv if not a.startswith("--")]
    app = QgsApplication([], False)
    app.initQgis()
    out: dict = {"qgis_version": Qgis.QGIS_VERSION, "layers": {}}
    options = QgsVectorLayer.LayerOptions()
    options.loadDefaultStyle = not no_default
    for path in paths:
        if path.lower().endswith(".gpkg"):
            for name in gpkg_layers(path):
                if name == "layer_styles":
                    continue
                layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr", options)
                msg = None
                if layer.isValid() and not no_default:
                    # what the stored default style is, as QGIS lists it
                    n, _ids, names, _descs, err = layer.listStylesInDatabase()
                    msg = {"stored_styles": n, "names": list(names)[:n], "error": err}
                out["layers"][name] = layer_facts(layer, msg)
                if save_style and layer.isValid():
                    # as a user would: Save Style > In Database, not as the default
                    err = layer.saveStyleToDatabase("user copy", "saved by QGIS", False, "")
                    out["layers"][name]["save_style_error"] = err
        else:
            name = os.path.splitext(os.path.basename(path))[0]
            layer = QgsVectorLayer(path, name, "ogr", options)
            out["layers"][name] = layer_facts(layer, None)
    if render and paths:
        out["render"] = render_gpkg(paths[0], render)
    if sld:
        layer = QgsVectorLayer(paths[0] if paths else "Point?crs=epsg:4326", "sld", "ogr")
        msg, ok = layer.loadSldStyle(sld)
        out["sld"] = {"ok": bool(ok), "message": msg, "renderer": layer.renderer().type()}
    print(json.dumps(out, sort_keys=True), flush=True)
    # QgsApplication.exitQgis() can crash while tearing down layers still referenced from
    # Python; the facts are out, so leave without the teardown.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Esri JSON feature-service exports (issue 15): rings and holes, Web Mercator, epoch-ms
dates; as zones and as claims."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from geostrike.errors import InputError
from geostrike.inputs.claims import read_claims
from geostrike.inputs.esri import is_esri_json, read_esri_json
from geostrike.inputs.snapshots import parse_mapping, zones_from_snapshots

_TO_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def _merc(ring: list[tuple[float, float]]) -> list[list[float]]:
    x, y = _TO_3857.transform(*np.array(ring).T)
    return np.column_stack([x, y]).tolist()


def _ms(day: str) -> int:
    return int(np.datetime64(day, "ms").astype(np.int64))


def _export(tmp_path: Path) -> Path:
    # Libya: an LNA-held box with a hole, drawn clockwise (Esri shells), in Web Mercator
    shell = [(19.0, 30.0), (19.0, 31.0), (20.0, 31.0), (20.0, 30.0), (19.0, 30.0)]
    hole = [(19.4, 30.4), (19.6, 30.4), (19.6, 30.6), (19.4, 30.6), (19.4, 30.4)]
    other = [(13.0, 32.5), (13.0, 33.0), (13.5, 33.0), (13.5, 32.5), (13.0, 32.5)]
    doc = {
        "objectIdFieldName": "OBJECTID",
        "spatialReference": {"wkid": 102100, "latestWkid": 3857},
        "geometryType": "esriGeometryPolygon",
        "fields": [
            {"name": "OBJECTID", "type": "esriFieldTypeOID"},
            {"name": "held_by", "type": "esriFieldTypeString"},
            {"name": "as_of", "type": "esriFieldTypeDate"},
        ],
        "features": [
            {
                "attributes": {"OBJECTID": 1, "held_by": "LNA", "as_of": _ms("2020-04-01")},
                "geometry": {"rings": [_merc(shell), _merc(hole)]},
            },
            {
                "attributes": {"OBJECTID": 2, "held_by": "GNA", "as_of": _ms("2020-04-01")},
                "geometry": {"rings": [_merc(other)]},
            },
            {
                "attributes": {"OBJECTID": 3, "held_by": "LNA", "as_of": _ms("2020-06-05")},
                "geometry": {"rings": [_merc(shell)]},
            },
        ],
    }
    path = tmp_path / "libya_control.json"
    path.write_text(json.dumps(doc))
    return path


def test_read_esri_json(tmp_path: Path) -> None:
    p = _export(tmp_path)
    assert is_esri_json(p)
    g = read_esri_json(p)
    assert g.crs.to_epsg() == 4326
    first = g.geometry.iloc[0]
    assert first.geom_type == "Polygon" and len(first.interiors) == 1
    assert first.bounds == pytest.approx((19.0, 30.0, 20.0, 31.0), abs=1e-9)
    assert str(g["as_of"].iloc[2].date()) == "2020-06-05"


def test_esri_as_zones(tmp_path: Path) -> None:
    p = _export(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z = zones_from_snapshots(
            p,
            controller_property="held_by",
            mapping=parse_mapping(["LNA=lna", "GNA=government"]),
            date_property="as_of",
            until="2020-06-30",
        )
    got = [(r.controller, str(r.valid_from.date()), str(r.valid_to.date())) for r in z.itertuples()]
    assert got == [
        ("government", "2020-04-01", "2020-06-04"),
        ("lna", "2020-04-01", "2020-06-04"),
        ("lna", "2020-06-05", "2020-06-30"),
    ]
    assert len(z.geometry.iloc[1].interiors) == 1 and len(z.geometry.iloc[2].interiors) == 0


def test_esri_points_as_claims(tmp_path: Path) -> None:
    x, y = _TO_3857.transform(19.5, 30.2)
    doc = {
        "spatialReference": {"wkid": 3857},
        "fields": [{"name": "event_date", "type": "esriFieldTypeDate"}],
        "features": [
            {
                "attributes": {"event_date": _ms("2020-04-02"), "claimed_target": "LNA"},
                "geometry": {"x": x, "y": y},
            }
        ],
    }
    p = tmp_path / "strikes.json"
    p.write_text(json.dumps(doc))
    c = read_claims(p)
    assert c["latitude"].iloc[0] == pytest.approx(30.2) and c["longitude"].iloc[0] == pytest.approx(
        19.5
    )
    assert c["date"].iloc[0] == "2020-04-02"


def test_esri_errors(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text('{"spatialReference": {"wkid": 999999}, "features": [{"attributes": {}, '
                 '"geometry": {"x": 1, "y": 2}}]}')  # fmt: skip
    with pytest.raises(InputError, match="wkid 999999"):
        read_esri_json(p)
    p.write_text('{"features": 3, "attributes": 1}')
    with pytest.raises(InputError, match="not an Esri JSON feature set"):
        read_esri_json(p)


def test_esri_windows_from_properties(tmp_path: Path) -> None:
    """ArcGIS layers often carry their own start/end dates (epoch ms; empty end = open)."""
    shell = [(44.0, 15.0), (44.0, 15.5), (44.5, 15.5), (44.5, 15.0), (44.0, 15.0)]
    doc = {
        "spatialReference": {"wkid": 4326},
        "fields": [
            {"name": "StartDate", "type": "esriFieldTypeDate"},
            {"name": "EndDate", "type": "esriFieldTypeDate"},
        ],
        "features": [
            {"attributes": {"side": "Houthi", "StartDate": _ms("2015-03-01"),
                            "EndDate": _ms("2015-07-16")}, "geometry": {"rings": [shell]}},
            {"attributes": {"side": "Government", "StartDate": _ms("2015-07-17"),
                            "EndDate": None}, "geometry": {"rings": [shell]}},
        ],
    }  # fmt: skip
    p = tmp_path / "aden.json"
    p.write_text(json.dumps(doc))
    m = parse_mapping(["Houthi=houthis", "Government=government"])
    z = zones_from_snapshots(
        p, controller_property="side", mapping=m, window_properties=("StartDate", "EndDate")
    )
    got = [(r.controller, str(r.valid_from.date()), r.valid_to) for r in z.itertuples()]
    assert got[0] == ("houthis", "2015-03-01", pd.Timestamp("2015-07-16"))
    assert got[1][:2] == ("government", "2015-07-17") and pd.isna(got[1][2])
    with pytest.raises(InputError, match="own windows"):
        zones_from_snapshots(
            p, controller_property="side", mapping=m, window_properties=("StartDate", "EndDate"),
            rest="government", within="YE",
        )  # fmt: skip
    with pytest.raises(InputError, match="no property 'Begin'"):
        zones_from_snapshots(
            p, controller_property="side", mapping=m, window_properties=("Begin", None)
        )

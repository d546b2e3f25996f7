"""KML/KMZ as published by Google Earth and My Maps (issue 15): TimeSpan, StyleMap, shared
and inline styles, folders, ExtendedData; as zones and as claims; unsafe XML refused."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geostrike.errors import InputError
from geostrike.inputs.claims import read_claims
from geostrike.inputs.kml import read_kml
from geostrike.inputs.snapshots import parse_mapping, zones_from_snapshots
from geostrike.inputs.zones import read_zones

ENTRY = [sys.executable, "-m", "geostrike.cli"]

ACTORS = "id,label,members,color,aliases\nrsf,Rapid Support Forces,,#c62828,RSF\nsaf,Sudanese Armed Forces,,#1565c0,SAF\n"


def _ring(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"{x0},{y0},0 {x1},{y0},0 {x1},{y1},0 {x0},{y1},0 {x0},{y0},0"


KML = f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Sudan control</name>
<Style id="red-n"><LineStyle><color>ff000000</color></LineStyle><PolyStyle><color>7f0000ff</color></PolyStyle></Style>
<Style id="red-h"><PolyStyle><color>ff0000ff</color></PolyStyle></Style>
<StyleMap id="red"><Pair><key>normal</key><styleUrl>#red-n</styleUrl></Pair>
  <Pair><key>highlight</key><styleUrl>#red-h</styleUrl></Pair></StyleMap>
<Style id="blue"><PolyStyle><color>80ff0000</color></PolyStyle></Style>
<Folder><name>Front line</name>
 <Folder><name>January</name>
  <Placemark><name>Khartoum North</name><styleUrl>#red</styleUrl>
   <TimeSpan><begin>2024-01-01</begin><end>2024-01-31</end></TimeSpan>
   <ExtendedData><Data name="confidence"><value>high</value></Data>
    <SchemaData schemaUrl="#s"><SimpleData name="source_url">https://example.org/1</SimpleData></SchemaData>
   </ExtendedData>
   <Polygon><outerBoundaryIs><LinearRing><coordinates>{_ring(32.5, 15.6, 32.7, 15.8)}</coordinates></LinearRing></outerBoundaryIs>
    <innerBoundaryIs><LinearRing><coordinates>{_ring(32.55, 15.65, 32.6, 15.7)}</coordinates></LinearRing></innerBoundaryIs></Polygon></Placemark>
  <Placemark><name>Omdurman</name><styleUrl>#blue</styleUrl>
   <TimeSpan><begin>2024-01-01</begin><end>2024-01-31</end></TimeSpan>
   <MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>{_ring(32.3, 15.6, 32.45, 15.8)}</coordinates></LinearRing></outerBoundaryIs></Polygon>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>{_ring(32.3, 15.4, 32.45, 15.5)}</coordinates></LinearRing></outerBoundaryIs></Polygon></MultiGeometry></Placemark>
 </Folder>
 <Folder><name>February</name>
  <Placemark><name>Khartoum North</name>
   <Style><PolyStyle><color>7f0000ff</color></PolyStyle></Style>
   <TimeSpan><begin>2024-02-01</begin></TimeSpan>
   <Polygon><outerBoundaryIs><LinearRing><coordinates>{_ring(32.5, 15.6, 32.8, 15.8)}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
 </Folder>
</Folder>
<Folder><name>Strikes</name>
 <Placemark><name>strike-1</name><TimeStamp><when>2024-01-15T10:00:00Z</when></TimeStamp>
  <ExtendedData><Data name="claimed_target"><value>RSF</value></Data></ExtendedData>
  <Point><coordinates>32.65,15.75,0</coordinates></Point></Placemark>
 <Placemark><name>strike-2</name><TimeStamp><when>2024-02-10</when></TimeStamp>
  <ExtendedData><Data name="claimed_target"><value>RSF</value></Data></ExtendedData>
  <Point><coordinates>32.4,15.7,0</coordinates></Point></Placemark>
</Folder>
</Document></kml>
"""


@pytest.fixture
def kmz(tmp_path: Path) -> Path:
    path = tmp_path / "sudan-front.kmz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("doc.kml", KML)
        z.writestr("files/icon.png", b"\x89PNG")
    return path


@pytest.fixture
def actors(tmp_path: Path) -> Path:
    path = tmp_path / "actors.csv"
    path.write_text(ACTORS)
    return path


def test_read_kml_styles_folders_time_and_data(kmz: Path) -> None:
    g = read_kml(kmz)
    assert list(g["name"]) == ["Khartoum North", "Omdurman", "Khartoum North", "strike-1",
                               "strike-2"]  # fmt: skip
    assert list(g["folder"])[:3] == ["Front line/January", "Front line/January",
                                     "Front line/February"]  # fmt: skip
    # StyleMap → its normal style; KML's aabbggrr → #rrggbb; inline styles too
    assert list(g["style"])[:2] == ["red-n", "blue"]
    assert list(g["color"])[:3] == ["#ff0000", "#0000ff", "#ff0000"]
    assert list(g["begin"])[:3] == ["2024-01-01", "2024-01-01", "2024-02-01"]
    assert pd.isna(g["end"].iloc[2]) and g["when"].iloc[3] == "2024-01-15T10:00:00Z"
    assert g["confidence"].iloc[0] == "high" and g["source_url"].iloc[0] == "https://example.org/1"
    assert g.geometry.iloc[0].geom_type == "Polygon" and len(g.geometry.iloc[0].interiors) == 1
    assert g.geometry.iloc[1].geom_type == "MultiPolygon"
    assert g.crs.to_epsg() == 4326


def test_kmz_as_zones(kmz: Path, actors: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        z = zones_from_snapshots(
            kmz,
            mapping=parse_mapping(["#ff0000=rsf", "#0000ff=saf", "Strikes=-"]),
            actors=actors,
        )
    assert any("skipped 2 feature" in str(w.message) for w in caught)
    got = [(r.controller, str(r.valid_from.date()), r.valid_to) for r in z.itertuples()]
    assert got[0][:2] == ("rsf", "2024-01-01") and str(got[0][2].date()) == "2024-01-31"
    assert got[1][:2] == ("saf", "2024-01-01") and str(got[1][2].date()) == "2024-01-31"
    assert got[2][:2] == ("rsf", "2024-02-01") and got[2][2] is None or str(got[2][2]) == "NaT"
    back = read_zones(z, actors=actors)
    assert len(back) == 3


def test_kmz_mapping_by_name_and_conflicts(kmz: Path, actors: Path) -> None:
    m = parse_mapping(["Khartoum North=rsf", "omdurman=saf", "Strikes=-"])
    z = zones_from_snapshots(kmz, mapping=m, actors=actors)
    assert sorted(z["controller"]) == ["rsf", "rsf", "saf"]
    with pytest.raises(InputError, match="several controllers"):
        zones_from_snapshots(
            kmz, mapping=parse_mapping(["January=saf", "#ff0000=rsf"]), actors=actors
        )
    with pytest.raises(InputError, match="'Khartoum North' is neither in the mapping"):
        zones_from_snapshots(kmz, mapping=parse_mapping(["Strikes=-"]), actors=actors)


def test_kml_points_as_claims(kmz: Path, actors: Path, tmp_path: Path) -> None:
    claims = read_claims(kmz, actors=actors)
    pts = claims[claims["name"].str.startswith("strike")]
    assert list(pts["date"]) == ["2024-01-15", "2024-02-10"]
    assert list(pts["latitude"]) == [15.75, 15.7] and list(pts["longitude"]) == [32.65, 32.4]
    zones = tmp_path / "z.gpkg"
    r = subprocess.run(
        [*ENTRY, "zones", "convert", str(kmz), "-o", str(zones), "--actors", str(actors),
         "--map", "#ff0000=rsf", "--map", "#0000ff=saf", "--map", "Strikes=-"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [*ENTRY, "check", str(kmz), "--zones", str(zones), "--actors", str(actors)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    # strike-1 in RSF ground on 15 Jan; strike-2 in no zone on 10 Feb; the three polygon
    # placemarks are reported as invalid claims, not dropped
    assert re.search(r"claim-4\s+ok\s+consistent\s+rsf", r.stdout)
    assert re.search(r"claim-5\s+ok\s+indeterminate", r.stdout)
    assert "5 claims: ok 2, unresolved 0, invalid 3" in r.stdout


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml><Document/></kml>',
            "DTD or entities",
        ),
        ("<kml><Document><Placemark>", "not well-formed KML"),
        ("<gpx></gpx>", "not KML"),
    ],
)
def test_unsafe_or_broken_kml_refused(tmp_path: Path, text: str, problem: str) -> None:
    p = tmp_path / "bad.kml"
    p.write_text(text)
    with pytest.raises(InputError, match=problem):
        read_kml(p)


def test_kmz_without_document(tmp_path: Path) -> None:
    p = tmp_path / "empty.kmz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "nothing")
    with pytest.raises(InputError, match="no .kml document"):
        read_kml(p)


def test_network_links_are_not_followed(tmp_path: Path) -> None:
    p = tmp_path / "linked.kml"
    p.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><NetworkLink><Link>'
        "<href>https://example.org/front.kml</href></Link></NetworkLink></Document></kml>"
    )
    with pytest.warns(UserWarning, match="1 NetworkLink"):
        assert len(read_kml(p)) == 0


@given(
    name=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co", "Zl", "Zp")),
        min_size=1,
    ).filter(lambda s: s.strip() == s),
    rgb=st.tuples(*[st.integers(0, 255)] * 3),
    alpha=st.integers(0, 255),
)
@settings(max_examples=60, deadline=None)
def test_kml_names_and_colours_roundtrip(name: str, rgb: tuple, alpha: int) -> None:
    import tempfile
    from xml.sax.saxutils import escape

    r, g, b = rgb
    kml = (
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f'<Style id="s"><PolyStyle><color>{alpha:02x}{b:02x}{g:02x}{r:02x}</color></PolyStyle></Style>'
        f"<Placemark><name>{escape(name)}</name><styleUrl>#s</styleUrl>"
        "<Point><coordinates>44.2,15.35</coordinates></Point></Placemark></Document></kml>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "x.kml"
        p.write_text(kml, encoding="utf-8")
        got = read_kml(p)
    assert got["name"].iloc[0] == name
    assert got["color"].iloc[0] == f"#{r:02x}{g:02x}{b:02x}"
    assert (got.geometry.iloc[0].x, got.geometry.iloc[0].y) == (44.2, 15.35)


def test_controller_field_wins_over_names(tmp_path: Path) -> None:
    p = tmp_path / "yemen_2016-01-01.kml"
    p.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Government'
        '</name><ExtendedData><Data name="controller"><value>Houthis</value></Data>'
        "</ExtendedData><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{_ring(44.1, 15.3, 44.3, 15.4)}</coordinates></LinearRing></outerBoundaryIs>"
        "</Polygon></Placemark></Document></kml>"
    )
    z = zones_from_snapshots(p)
    assert list(z["controller"]) == ["houthis"]
    assert str(z["valid_from"].iloc[0].date()) == "2016-01-01"  # undated KML: the file's date


def test_mapping_by_style_url_as_written_in_the_kml(kmz: Path, actors: Path) -> None:
    # a user copies the style as the placemark names it (`<styleUrl>#red</styleUrl>`, a
    # StyleMap) or as the style it resolves to (`#red-n`), with or without the '#'; the
    # February placemark has only an inline style, so it is mapped by its colour
    for red in ("#red", "red", "#red-n", "red-n"):
        m = parse_mapping([f"{red}=rsf", "#blue=saf", "#ff0000=rsf", "Strikes=-"])
        z = zones_from_snapshots(kmz, mapping=m, actors=actors)
        assert sorted(z["controller"]) == ["rsf", "rsf", "saf"], red
    with pytest.raises(InputError, match="'Khartoum North' is neither in the mapping"):
        zones_from_snapshots(kmz, mapping=parse_mapping(["#blue=saf", "Strikes=-"]), actors=actors)

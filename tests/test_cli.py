"""Tests for the command-line layer: one-line errors and exit codes through the real entry point."""

from __future__ import annotations

import subprocess
import sys

import pytest

ENTRY = [sys.executable, "-c", "from geostrike.cli import main; main()"]


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ENTRY, *args], capture_output=True, text=True, input=stdin)


@pytest.mark.parametrize(
    "args",
    [
        ("geocode",),
        ("check", "claims.csv"),
        ("map",),
        ("geocode", "--bogus", "x"),
        ("no-such-command",),
        ("check", "--tolerance-km", "-3", "c.csv", "--zones", "z.gpkg"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: tuple[str, ...]) -> None:
    out = _run(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_input_errors_name_the_file(tmp_path) -> None:
    missing = tmp_path / "nope.csv"
    out = _run("check", str(missing), "--zones", str(tmp_path / "z.gpkg"))
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1
    assert "nope.csv" in out.stderr or "z.gpkg" in out.stderr


def test_help_and_version_exit_0() -> None:
    assert _run("--help").returncode == 0
    version = _run("--version")
    assert version.returncode == 0 and "geostrike" in version.stdout


# ------------------------------------------------------------------ zones commands (issue 14)
def _yemen_zones(tmp_path):
    import json

    def box(x0: float, y0: float, x1: float, y1: float) -> dict:
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        return {"type": "Polygon", "coordinates": [ring]}

    feats = [
        ({"controller": "Houthis", "From": "01/04/2015", "Until": "01/12/2015"}, box(44, 13, 45.5, 14)),
        ({"controller": "Yemeni government", "From": "02/12/2015", "Until": ""}, box(44, 13, 45.5, 14)),
        ({"controller": "AQAP", "From": "01/04/2015", "Until": "01/12/2015"}, box(45.3, 13, 46, 13.5)),
    ]  # fmt: skip
    p = tmp_path / "yemen.geojson"
    p.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": a, "geometry": g} for a, g in feats],
            }
        )
    )
    return p


def test_zones_info_text_and_json(tmp_path) -> None:
    import json

    z = _yemen_zones(tmp_path)
    out = _run("zones", "info", str(z))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "--date-order dmy|mdy" in out.stderr and "'From'" in out.stderr
    out = _run("zones", "info", str(z), "--date-order", "dmy")
    assert out.returncode == 0, out.stderr
    assert "2015-04-01 .. 2015-12-01: 2 zone(s); aqap 4,196 km², houthis 17,967 km²" in out.stdout
    assert "overlap: zone-1 (houthis) and zone-3 (aqap)" in out.stdout
    warned = [ln for ln in out.stderr.splitlines() if ln.startswith("geostrike: warning:")]
    assert len(warned) == 1 and "overlap" in warned[0]
    js = json.loads(_run("zones", "info", str(z), "--date-order", "dmy", "--json").stdout)
    assert js["controllers"] == ["aqap", "houthis", "yemen_government"]
    assert js["windows"][1] == {
        "valid_from": "2015-12-02",
        "valid_to": None,
        "zones": 1,
        "area_km2": {"yemen_government": 17967.2},
    }
    assert js["overlaps"][0]["zones"] == ["zone-1", "zone-3"] and js["gaps"] == []


def test_check_date_order_and_stale_snapshots(tmp_path) -> None:
    import csv

    z = _yemen_zones(tmp_path)
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "date,claimed_target,latitude,longitude\n"
        "13/08/2016,Yemeni government,13.5,44.5\n"
        "05/06/2015,Houthis,13.5,44.5\n"
    )
    res = tmp_path / "out.csv"
    out = _run("check", str(claims), "--zones", str(z), "--date-order", "dmy", "-o", str(res))
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(res.open()))
    assert [r["verdict"] for r in rows] == ["indeterminate", "consistent"]
    assert "the last snapshot, 2015-12-02, is taken to hold for 90 days" in rows[0]["reason"]
    out = _run(
        "check", str(claims), "--zones", str(z), "--date-order", "dmy", "--stale-after-days",
        "400", "-o", str(res),
    )  # fmt: skip
    assert [r["verdict"] for r in csv.DictReader(res.open())] == ["consistent", "consistent"]


def test_zones_from_points_reports_reach_and_areas(tmp_path) -> None:
    pts = tmp_path / "pts.csv"
    pts.write_text(
        "place,latitude,longitude,controller,as_of\n"
        "Aden,12.78,45.03,Yemeni government,2015-08-01\n"
        "Taiz,13.58,44.02,Houthis,2015-08-01\n"
        "Sanaa,15.35,44.2,Houthis,2015-08-01\n"
    )
    out = _run("zones", "from-points", str(pts), "-o", str(tmp_path / "z.gpkg"), "--reach-km", "25")
    assert out.returncode == 0, out.stderr
    assert "1 snapshot(s), reach 25 km" in out.stdout
    line = next(ln for ln in out.stdout.splitlines() if ln.strip().startswith("2015-08-01:"))
    houthi = float(line.split("houthis ")[1].split(" km²")[0].replace(",", ""))
    assert 0 < houthi <= 2 * 3.1416 * 25**2


def _sudan_files(tmp_path, rows: str = "") -> tuple[str, str]:
    """A small case from Sudan: RSF-held west of 31°E, the army east of it (boxes)."""
    import geopandas as gpd
    import shapely

    actors = tmp_path / "actors.csv"
    actors.write_text(
        "id,label,members,color,aliases\n"
        "rsf,Rapid Support Forces,,#795548,RSF\n"
        "saf,Sudanese Armed Forces,,#1b5e20,SAF\n",
        encoding="utf-8",
    )
    zones = tmp_path / "zones.gpkg"
    gpd.GeoDataFrame(
        {"controller": ["RSF", "SAF"], "valid_from": "2023-04-15", "valid_to": "", "source": "t"},
        geometry=[shapely.box(22.0, 8.0, 31.0, 20.0), shapely.box(31.0, 8.0, 38.0, 20.0)],
        crs="EPSG:4326",
    ).to_file(zones, driver="GPKG")
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "id,date,claimed_target,latitude,longitude,source\n"
        '1,2023-06-01,RSF,13.6,25.3,"=HYPERLINK(""http://x"")"\n'
        "2,2023-06-01,RSF,15.6,32.5,-3\n" + rows,
        encoding="utf-8",
    )
    return str(claims), str(zones), str(actors)


def test_an_output_over_an_input_needs_force(tmp_path) -> None:
    claims, zones, actors = _sudan_files(tmp_path)
    before = {p: open(p, "rb").read() for p in (claims, zones)}
    for cmd, target, what, extra in (
        ("check", claims, "claims", []),
        ("check", claims, "claims", ["--chunk-size", "1"]),
        ("check", zones, "zones", []),
        ("export", zones, "zones", []),
    ):
        out = _run(cmd, claims, "--zones", zones, "--actors", actors, "-o", target, *extra)
        assert out.returncode == 2, out.stderr
        assert out.stderr.strip().splitlines() == [
            f"geostrike: error: {target}: is the {what} file of this run; give another "
            "output, or --force"
        ]
        assert {p: open(p, "rb").read() for p in (claims, zones)} == before  # untouched
    out = _run("check", claims, "--zones", zones, "--actors", actors, "-o", claims, "--force")
    assert out.returncode == 0, out.stderr
    assert open(claims, encoding="utf-8").read().startswith("id,status,verdict")


def test_csv_safe_is_on_by_default_and_can_be_turned_off(tmp_path) -> None:
    import pandas as pd

    claims, zones, actors = _sudan_files(tmp_path)
    for flag, first in (([], "'=HYPERLINK"), (["--no-csv-safe"], "=HYPERLINK")):
        out_path = tmp_path / "out.csv"
        out = _run(
            "check", claims, "--zones", zones, "--actors", actors, "-o", str(out_path), *flag
        )
        assert out.returncode == 0, out.stderr
        back = pd.read_csv(out_path, dtype=str, keep_default_na=False)
        assert back["source"].iloc[0].startswith(first)
        assert back["source"].iloc[1] == "-3"  # a number stays a number
        assert back["verdict"].tolist() == ["consistent", "inconsistent"]


def test_a_streamed_error_is_one_line_on_stderr(tmp_path) -> None:
    claims, zones, actors = _sudan_files(tmp_path, "3,2023-06-01,Martians,13.0,25.0,x\n")
    out = _run(
        "check", claims, "--zones", zones, "--actors", actors, "-o", str(tmp_path / "o.csv"),
        "--chunk-size", "1",
    )  # fmt: skip
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "Martians" in out.stderr and not (tmp_path / "o.csv").exists()


def test_huge_coordinates_give_no_extra_stderr_lines(tmp_path) -> None:
    rows = "3,2023-06-01,RSF,1e300,1e308,x\n4,2023-06-01,RSF,-1e308,inf,y\n"
    claims, zones, actors = _sudan_files(tmp_path, rows)
    for cmd, ext in (("check", ".csv"), ("map", ".html"), ("export", ".gpkg")):
        target = str(tmp_path / f"o{ext}")
        out = _run(cmd, claims, "--zones", zones, "--actors", actors, "-o", target)
        assert out.returncode == 0, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(("wrote", "geostrike: wrote")), lines


def test_extract_names_a_nul_byte_far_into_a_report(tmp_path) -> None:
    report = tmp_path / "aden.txt"
    text = b"Coalition aircraft struck Houthi positions in Aden on Sunday.\n" * 2000
    report.write_bytes(text + b"Strikes hit Ta\x00izz.\n")
    out = _run("extract", str(report), "--date", "2015-05-10")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert f"aden.txt: has a NUL byte at line 2001 (offset {len(text) + 14})" in lines[0]


def test_geocode_never_drops_a_country_silently() -> None:
    # found by review: --country UA --country RU kept RU only (Donetsk, Rostov oblast)
    out = _run("geocode", "Donetsk", "--country", "UA", "--country", "RU")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "one country; got UA, RU" in out.stderr
    out = _run("geocode", "Donetsk", "--country", "ua")
    assert out.returncode == 0 and "\tUA\t" in out.stdout.replace(", UA\t", "\tUA\t")


def test_a_small_csv_check_loads_no_heavy_library(tmp_path) -> None:
    """Issue 18: ten claims, CSV in and CSV out, GeoJSON zones: the command imports no
    compiled kernels (numba), no GDAL binding, no gazetteer, no mapping library, and
    still writes every verdict. A case from Ukraine: Russian- and Ukrainian-held boxes."""
    import json

    import pandas as pd
    import shapely

    zones = tmp_path / "zones.geojson"
    feats = [
        {
            "type": "Feature",
            "properties": {"controller": c, "valid_from": "2022-03-01", "source": "t"},
            "geometry": shapely.geometry.mapping(shapely.box(*b)),
        }
        for c, b in (("ru", (36.0, 46.0, 40.0, 49.5)), ("ua", (30.0, 46.0, 36.0, 52.0)))
    ]
    zones.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), "utf-8")
    actors = tmp_path / "actors.csv"
    actors.write_text(
        "id,label,members,color,aliases\nru,Russian forces,,#c62828,Russia\n"
        "ua,Ukrainian forces,,#1565c0,Ukraine\n",
        encoding="utf-8",
    )
    claims = tmp_path / "ten.csv"
    rows = [
        f"{i},2023-0{1 + i % 9}-01,{'ua' if i % 2 else 'ru'},{47.0 + i * 0.2},{35.0 + i * 0.3}"
        for i in range(10)
    ]
    claims.write_text("id,date,claimed_target,latitude,longitude\n" + "\n".join(rows), "utf-8")
    out_csv = tmp_path / "out.csv"
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(sorted({m.split('.')[0] for m in sys.modules}"
        " | {m for m in sys.modules if m.startswith('geostrike.')}), file=sys.stderr))\n"
        "from geostrike.cli import main\nmain()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "check", str(claims), "--zones", str(zones)]
        + ["--actors", str(actors), "-o", str(out_csv)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    loaded = set(eval(out.stderr.strip().splitlines()[-1]))  # noqa: S307 (our own print)
    heavy = {"numba", "scipy", "pyogrio", "fiona", "folium", "matplotlib", "sklearn"}
    assert not loaded & heavy, loaded & heavy
    assert not {m for m in loaded if m.startswith(("geostrike.places", "geostrike.render.maps"))}
    back = pd.read_csv(out_csv)
    assert len(back) == 10 and back["status"].eq("ok").all()
    assert set(back["verdict"]) <= {"consistent", "inconsistent", "indeterminate"}


def test_check_reuses_read_zones_only_while_the_file_is_unchanged(tmp_path, monkeypatch) -> None:
    """The command keeps the read zones (geostrike.inputs.cache): a second run gives the same
    output and the same zone warnings; a zones file edited in place gives the new verdict.
    A case from Ukraine: a strike near Bakhmut claimed against Ukrainian forces."""
    import os

    import geopandas as gpd
    import shapely

    monkeypatch.setenv("GEOSTRIKE_CACHE_DIR", str(tmp_path / "cache"))
    zones = tmp_path / "donbas.geojson"
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "id,date,attacker,claimed_target,latitude,longitude\n"
        "s1,2023-03-01,Russia,Ukrainian forces,48.59,38.00\n"
    )

    def write(*controllers: str) -> None:
        gpd.GeoDataFrame(
            {"controller": list(controllers), "valid_from": ["2023-01-01"] * 2},
            geometry=[shapely.box(37.8, 48.4, 38.2, 48.8), shapely.box(38.1, 48.4, 38.6, 48.8)],
            crs="EPSG:4326",
        ).to_file(zones, driver="GeoJSON")

    write("Ukraine", "Russia")
    runs = [_run("check", str(claims), "--zones", str(zones))]
    (kept,) = (tmp_path / "cache" / "zones").glob("*.pickle")
    inode = kept.stat().st_ino
    os.utime(kept, ns=(0, 0))
    runs.append(_run("check", str(claims), "--zones", str(zones)))
    # the second run used the kept file (touched, not rewritten)
    assert kept.stat().st_ino == inode and kept.stat().st_mtime_ns > 0
    assert [r.returncode for r in runs] == [0, 0]
    assert runs[0].stdout == runs[1].stdout and "consistent 1, inconsistent 0" in runs[0].stdout
    assert runs[0].stderr == runs[1].stderr and "overlap" in runs[1].stderr
    write("Russia", "Ukraine")  # the struck ground now held by the attacker
    edited = _run("check", str(claims), "--zones", str(zones))
    assert edited.returncode == 0 and edited.stdout != runs[0].stdout
    assert "consistent 0, inconsistent 1" in edited.stdout

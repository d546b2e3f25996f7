"""Tests of the compiled gazetteer: built-in data, supplement, GeoNames import, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from geostrike.cli import cli
from geostrike.errors import InputError
from geostrike.gazetteer import (
    RECORD_COLUMNS,
    import_geonames,
    load_gazetteer,
    remove_import,
)
from geostrike.geocoder import geocode
from geostrike.names import normalise


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def test_records_columns_and_sizes(gaz) -> None:
    rec = gaz.records
    assert list(rec.columns) == RECORD_COLUMNS
    assert len(rec) == len(gaz) > 230_000
    syria = rec[rec.country_code == "SY"]
    assert len(syria) > 300
    assert rec.latitude.between(-90, 90).all() and rec.longitude.between(-180, 180).all()
    # countries and first-level divisions are rows too
    assert (rec.feature_code == "PCLI").sum() > 200
    assert (rec.feature_code == "ADM1").sum() > 2000


def test_candidates_and_keys(gaz) -> None:
    rows = gaz.candidates("homs")
    names = {(gaz.records.name[r], gaz.records.country_code[r]) for r in rows}
    assert ("Homs", "SY") in names and ("Al Khums", "LY") in names
    assert isinstance(rows, np.ndarray)
    assert len(gaz.candidates("no such place zzqx")) == 0
    keys = set()
    for k in gaz.keys():
        keys.add(k)
        if len(keys) > 2000 and "homs" in keys:
            break
    assert all(k == normalise(k) for k in keys)


def test_airport_codes_are_not_names(gaz) -> None:
    # GeoNames lists THE (Teresina's airport) and QHS among alternate names
    assert len(gaz.candidates("the")) == 0
    assert len(gaz.candidates("qhs")) == 0
    assert len(gaz.candidates("teresina")) > 0


def test_supplement_villages(gaz) -> None:
    rec = gaz.records
    sup = rec[rec.source.str.startswith("curated")]
    want = {
        "Al-Latamneh": (35.32, 36.62),
        "Kafr Nabudah": (35.43, 36.50),
        "Az-Zaafaraniyah": (34.87, 36.80),
        "Salma": (35.69, 36.06),
    }
    for name, (lat, lon) in want.items():
        row = sup[sup.name == name]
        assert len(row) == 1, name
        assert abs(row.latitude.iloc[0] - lat) < 0.01 and abs(row.longitude.iloc[0] - lon) < 0.01
        assert row.precision_km.iloc[0] >= 3
        assert "approximate" in row.source.iloc[0]


def test_admin1_names(gaz) -> None:
    m = geocode("Homs")
    assert m is not None and m.admin1 == "Homs"
    m = geocode("Al-Latamneh")
    assert m is not None and m.admin1 == "Hama"


def _fixture_dump(folder: Path) -> tuple[Path, Path]:
    rows = [
        # geonameid name ascii alternates lat lon class code cc cc2 adm1 adm2 adm3 adm4 pop elev dem tz date
        ["9900001", "Zzyzxiyah", "Zzyzxiyah", "Zzyzxiya,QZX", "35.501", "36.502", "P", "PPL",
         "SY", "", "99", "", "", "", "0", "", "300", "Asia/Damascus", "2024-01-01"],
        ["9900002", "Muhafazat Qurbzz", "Muhafazat Qurbzz", "", "35.0", "37.0", "A", "ADM1",
         "SY", "", "99", "", "", "", "12345", "", "400", "Asia/Damascus", "2024-01-01"],
        ["9900003", "Wadi Zzyzx", "Wadi Zzyzx", "", "35.6", "36.6", "H", "WAD",
         "SY", "", "10", "", "", "", "0", "", "250", "Asia/Damascus", "2024-01-01"],
        ["9900004", "Tall Zqbrr", "Tall Zqbrr", "", "35.7", "36.7", "P", "PPL",
         "SY", "", "99", "", "", "", "250", "", "250", "Asia/Damascus", "2024-01-01"],
    ]  # fmt: skip
    dump = folder / "XX.txt"
    dump.write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    alt = folder / "alternateNames.txt"
    alt.write_text(
        "1\t9900001\tar\tزيزكسية\t\t\t\t\t\t\n"
        "2\t9900001\ten\tZuzuxiyeh\t1\t\t\t\t\t\n"
        "3\t9900001\tlink\thttps://example.org/Zzyzxiyah\t\t\t\t\t\t\n"
        "4\t9900001\tiata\tZZY\t\t\t\t\t\t\n"
        "5\t1234567\ten\tNot imported\t\t\t\t\t\t\n",
        encoding="utf-8",
    )
    return dump, alt


def test_import_geonames_dump(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GEOSTRIKE_DATA_DIR", str(tmp_path / "data"))
    dump, alt = _fixture_dump(tmp_path)
    meta = import_geonames(dump, alternate_names=alt, progress=False)
    assert meta["n"] == 3  # the stream (class H) is skipped
    assert Path(meta["path"]).is_dir()
    assert str(tmp_path / "data") in meta["path"]

    gaz = load_gazetteer()
    assert any(p["source"] == "geonames-import:XX.txt" for p in gaz.info())
    m = geocode("Zzyzxiyah")
    assert m is not None
    assert (m.latitude, m.longitude) == (35.501, 36.502)
    assert m.gazetteer_id == "geonames:9900001" and m.feature_code == "PPL"
    assert m.admin1 == "Muhafazat Qurbzz"
    # alternate names file: English name and Arabic script; links and codes skipped
    assert geocode("Zuzuxiyeh").gazetteer_id == "geonames:9900001"
    assert geocode("زيزكسية").gazetteer_id == "geonames:9900001"
    assert len(gaz.candidates("zzy")) == 0
    assert len(gaz.candidates(normalise("https://example.org/Zzyzxiyah"))) == 0
    # romanisation variants reach imported places too
    assert geocode("Tell Zqbrr").gazetteer_id == "geonames:9900004"
    assert geocode("Wadi Zzyzx") is None
    # the division by its name with a division word
    d = geocode("Qurbzz governorate")
    assert d is not None and d.precision == "admin1" and d.gazetteer_id == "geonames:9900002"

    assert remove_import("XX")
    assert geocode("Zzyzxiyah") is None


def test_import_errors(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GEOSTRIKE_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(InputError, match="no such file"):
        import_geonames(tmp_path / "missing.txt", progress=False)
    bad = tmp_path / "bad.txt"
    bad.write_text("a\tb\tc\n", encoding="utf-8")
    with pytest.raises(InputError, match="19"):
        import_geonames(bad, progress=False)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00\x01" * 10 + b"\n")
    with pytest.raises(InputError):
        import_geonames(binary, progress=False)


def test_cli_import_and_info(tmp_path) -> None:
    dump, alt = _fixture_dump(tmp_path)
    env = {"GEOSTRIKE_DATA_DIR": str(tmp_path / "d2")}
    runner = CliRunner()
    r = runner.invoke(
        cli, ["gazetteer", "import", str(dump), "--alternate-names", str(alt)], env=env
    )
    assert r.exit_code == 0, r.output
    assert "imported 3 places" in r.output
    r = runner.invoke(cli, ["gazetteer", "info"], env=env)
    assert r.exit_code == 0, r.output
    assert "geonames-import:XX.txt: 3 places" in r.output
    assert "geonames-cities500" in r.output and "supplement" in r.output
    r = runner.invoke(cli, ["geocode", "--json", "Zzyzxiyah"], env=env)
    assert '"gazetteer_id": "geonames:9900001"' in r.output
    r = runner.invoke(cli, ["gazetteer", "import", str(tmp_path / "nope.txt")], env=env)
    assert r.exit_code == 2
    assert "no such file" in r.output
    assert "Traceback" not in r.output
    # tidy up the process-wide cache for other tests
    load_gazetteer(refresh=True)

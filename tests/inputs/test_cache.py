"""The cache of read zones files (geostrike.inputs.cache): a result is reused only where a
fresh read would give the same one, with the same warnings."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geostrike.errors import InputError
from geostrike.inputs import cache
from geostrike.inputs import zones as zones_mod
from geostrike.inputs.actors import load_actors
from geostrike.inputs.claims import date_order
from geostrike.inputs.zones import ZoneWarning, read_zones


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOSTRIKE_CACHE_DIR", str(tmp_path / "cache"))


def _write(path, controllers=("Houthis", "Yemeni government"), dated=False):
    """Two zones of Yemen's war: Sanaa (Houthi-held), Marib (government-held)."""
    cols = {"controller": list(controllers)}
    if dated:
        cols["date"] = ["03/04/2016", "03/04/2016"]
    gpd.GeoDataFrame(
        cols,
        geometry=[shapely.box(43.9, 15.1, 44.5, 15.6), shapely.box(45.0, 15.2, 45.6, 15.7)],
        crs="EPSG:4326",
    ).to_file(path, driver="GeoJSON")


def _read(path, **kw):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        z = read_zones(path, cache=True, **kw)
    return z, [(w.category, str(w.message)) for w in seen]


def _reads_counted(monkeypatch):
    calls = []
    real = zones_mod._read_file

    def counted(*a, **k):
        calls.append(a[0])
        return real(*a, **k)

    monkeypatch.setattr(zones_mod, "_read_file", counted)
    return calls


def test_a_second_read_is_the_first_one_with_its_warnings(tmp_path, monkeypatch):
    p = tmp_path / "yemen.geojson"
    _write(p)
    calls = _reads_counted(monkeypatch)
    first, said_first = _read(p)
    second, said_second = _read(p)
    assert len(calls) == 1  # the second came from the cache
    assert_geodataframe_equal(first, second)
    assert first.attrs == second.attrs
    assert list(second["controller"]) == ["houthis", "yemen_government"]
    # the undated-zones warning is given again, same class, same words
    assert said_first == said_second
    assert any(c is ZoneWarning and "carry no dates" in m for c, m in said_second)
    # and without the cache the same frame
    assert_geodataframe_equal(read_zones(p), second)


def test_changed_bytes_arguments_actors_or_code_are_read_again(tmp_path, monkeypatch):
    p = tmp_path / "yemen.geojson"
    _write(p)
    calls = _reads_counted(monkeypatch)
    _read(p)
    # the same size, other bytes (file times play no part)
    _write(p, controllers=("Yemeni government", "Houthis"))
    z, _ = _read(p)
    assert list(z["controller"]) == ["yemen_government", "houthis"] and len(calls) == 2
    # another argument
    _read(p, stale_after_days=30)
    assert len(calls) == 3
    # another actor table
    extra = tmp_path / "actors.csv"
    extra.write_text("id,label,members,color,aliases\nstc,Southern Transitional Council,,,STC\n")
    _read(p, actors=load_actors(extra))
    assert len(calls) == 4
    # another geostrike (its code is part of the key)
    monkeypatch.setattr(cache, "_code_digest", "another release")
    _read(p)
    assert len(calls) == 5
    # the first key again: a hit
    monkeypatch.setattr(cache, "_code_digest", None)
    _read(p)
    assert len(calls) == 5


def test_the_date_order_setting_is_part_of_the_key(tmp_path, monkeypatch):
    p = tmp_path / "dated.geojson"
    _write(p, dated=True)
    with date_order("dmy"):
        dmy, _ = _read(p)
    with date_order("mdy"):
        mdy, _ = _read(p)
    assert str(dmy["valid_from"].iloc[0].date()) == "2016-04-03"
    assert str(mdy["valid_from"].iloc[0].date()) == "2016-03-04"


def test_errors_are_not_kept_and_broken_cache_files_are_misses(tmp_path, monkeypatch):
    p = tmp_path / "bad.geojson"
    p.write_text('{"type": "FeatureCollection", "features": []}')
    for _ in range(2):
        with pytest.raises(InputError):
            read_zones(p, cache=True)
    folder = tmp_path / "cache" / "zones"
    assert not list(folder.glob("*.pickle"))
    good = tmp_path / "good.geojson"
    _write(good)
    first, _ = _read(good)
    (kept,) = folder.glob("*.pickle")
    kept.write_bytes(b"not a pickle")
    calls = _reads_counted(monkeypatch)
    again, _ = _read(good)
    assert len(calls) == 1
    assert_geodataframe_equal(first, again)


def test_only_self_contained_files_are_kept_and_the_cache_stays_small(tmp_path, monkeypatch):
    shp = tmp_path / "z.shp"
    _write(tmp_path / "z.geojson")
    gpd.read_file(tmp_path / "z.geojson").to_file(shp)
    assert cache.file_key("zones", shp, str(shp), ()) is None  # sidecars hold part of it
    assert cache.file_key("zones", tmp_path, str(tmp_path), ()) is None
    monkeypatch.setattr(cache, "KEEP", 3)
    for i in range(5):
        p = tmp_path / f"z{i}.geojson"
        _write(p)
        _read(p)
    assert len(list((tmp_path / "cache" / "zones").glob("*.pickle"))) == 3


def test_an_unwritable_cache_folder_reads_as_before(tmp_path, monkeypatch):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    monkeypatch.setenv("GEOSTRIKE_CACHE_DIR", str(blocker))
    p = tmp_path / "yemen.geojson"
    _write(p)
    z, said = _read(p)
    assert list(z["controller"]) == ["houthis", "yemen_government"]
    assert any("carry no dates" in m for _, m in said)


def _gpkg(path, controller="Houthis"):
    gpd.GeoDataFrame(
        {"controller": [controller], "valid_from": ["2016-01-01"]},
        geometry=[shapely.box(43.9, 15.1, 44.5, 15.6)],
        crs="EPSG:4326",
    ).to_file(path, driver="GPKG")


def test_a_geopackage_another_program_has_open_is_read_afresh(tmp_path, monkeypatch):
    """Review of issue 18: SQLite keeps a GeoPackage's latest edits in a journal beside the
    file itself (through a symbolic link too): such a file is never kept."""
    real = tmp_path / "real"
    real.mkdir()
    gpkg = real / "zones.gpkg"
    _gpkg(gpkg)
    link = tmp_path / "current.gpkg"
    link.symlink_to(gpkg)
    assert cache.file_key("zones", link, str(link), ()) is not None  # closed: kept
    (real / "zones.gpkg-wal").write_bytes(b"")
    assert cache.file_key("zones", link, str(link), ()) is None
    assert cache.file_key("zones", gpkg, str(gpkg), ()) is None
    calls = _reads_counted(monkeypatch)
    _read(link), _read(link)
    assert len(calls) == 2
    assert not list((tmp_path / "cache").rglob("*.pickle"))


def test_a_file_changed_while_it_is_read_is_not_kept(tmp_path, monkeypatch):
    p = tmp_path / "yemen.geojson"
    _write(p)
    real = zones_mod._read_file

    def changed_meanwhile(*a, **k):
        out = real(*a, **k)
        _write(p, controllers=("Yemeni government", "Houthis"))  # saved by another program
        return out

    monkeypatch.setattr(zones_mod, "_read_file", changed_meanwhile)
    _read(p)
    assert not list((tmp_path / "cache").rglob("*.pickle"))
    monkeypatch.setattr(zones_mod, "_read_file", real)
    _write(p)  # back to the first bytes: read afresh, not the other version
    z, _ = _read(p)
    assert list(z["controller"]) == ["houthis", "yemen_government"]


def test_warnings_before_a_read_error_are_still_given(tmp_path):
    p = tmp_path / "undated.geojson"
    gpd.GeoDataFrame(
        {"controller": ["Houthis", ""]},
        geometry=[shapely.box(43.9, 15.1, 44.5, 15.6), shapely.box(45, 15, 46, 16)],
        crs="EPSG:4326",
    ).to_file(p, driver="GeoJSON")
    for cached in (False, True):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            with pytest.raises(InputError):
                read_zones(p, cache=cached)
        assert any("carry no dates" in str(w.message) for w in seen), cached

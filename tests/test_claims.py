"""Reading claims: formats, column variants, dates, precision, bad files and bad rows."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geostrike.actors import load_actors
from geostrike.claims import (
    ACLED_PRECISION_KM,
    parse_claims,
    parse_dates,
    parse_precision,
    read_claims,
)
from geostrike.errors import InputError, UnknownActorError

CSV = (
    "date,attacker,claimed_target,place,latitude,longitude,precision,source,notes,extra\n"
    "2015-09-30,Russia,Islamic State,Talbiseh,34.84,36.73,1,Reuters,first,a\n"
    "30 September 2015,Russia,Daesh,Rastan,34.93,36.73,15km,ISW,,b\n"
    "01/10/2015,Russia,terrorists,Somewhere,35.0,36.0,,ISW,,c\n"
)


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_csv_generates_ids_normalises_dates_keeps_columns(tmp_path):
    df = read_claims(_write(tmp_path, "c.csv", CSV))
    assert list(df["id"]) == ["claim-1", "claim-2", "claim-3"]
    assert list(df["date"]) == ["2015-09-30", "2015-09-30", "2015-10-01"]
    assert list(df["extra"]) == ["a", "b", "c"]
    assert df.columns[0] == "id"


def test_column_variants_and_blank_ids(tmp_path):
    text = "ID,Event_Date,Claimed_Target,Lat,Lon,geo_precision\n,2015-09-30,IS,34.8,36.7,2\nx7,2015-09-30,IS,34.8,36.7,3\n"
    df = read_claims(_write(tmp_path, "v.csv", text))
    assert {"id", "date", "claimed_target", "latitude", "longitude", "precision"} <= set(df.columns)
    assert list(df["id"]) == ["claim-1", "x7"]
    other = pd.DataFrame(
        {
            "Date": ["2015-09-30"],
            "Claimed_Target": ["IS"],
            "LAT": [1.0],
            "Lon": [2.0],
            "Event_Type": ["x"],
        }
    )
    from geostrike.claims import normalise_claims

    cols = list(normalise_claims(other).columns)
    assert cols == ["id", "date", "claimed_target", "latitude", "longitude", "Event_Type"]


def test_geojson_and_parquet_claims(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"date": ["2015-09-30", "2015-10-01"], "claimed_target": ["IS", "Nusra"]},
        geometry=[shapely.Point(36.73, 34.84), shapely.Point(39.0, 35.95)],
        crs="EPSG:4326",
    )
    gj = tmp_path / "c.geojson"
    gdf.to_file(gj, driver="GeoJSON")
    df = read_claims(gj)
    assert df["latitude"].tolist() == pytest.approx([34.84, 35.95])
    assert df["longitude"].tolist() == pytest.approx([36.73, 39.0])
    gp = tmp_path / "c.parquet"
    gdf.to_crs("EPSG:3857").to_parquet(gp)
    df = read_claims(gp)
    assert df["latitude"].tolist() == pytest.approx([34.84, 35.95])
    # a partitioned Parquet folder
    folder = tmp_path / "parts"
    folder.mkdir()
    plain = pd.DataFrame(
        {
            "date": ["2015-09-30"] * 4,
            "claimed_target": ["IS"] * 4,
            "latitude": [1.0, 2, 3, 4],
            "longitude": [1.0, 2, 3, 4],
        }
    )
    plain.iloc[:2].to_parquet(folder / "part-0.parquet")
    plain.iloc[2:].to_parquet(folder / "part-1.parquet")
    df = read_claims(folder)
    assert sorted(df["latitude"]) == [1.0, 2.0, 3.0, 4.0]
    assert list(df["id"]) == ["claim-1", "claim-2", "claim-3", "claim-4"]


def test_bad_claim_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_claims(tmp_path / "none.csv")
    with pytest.raises(InputError, match="empty"):
        read_claims(_write(tmp_path, "empty.csv", ""))
    with pytest.raises(InputError, match="lacks required column.*claimed_target"):
        read_claims(_write(tmp_path, "nocol.csv", "date,place\n2015-09-30,Homs\n"))
    with pytest.raises(InputError, match="place"):
        read_claims(_write(tmp_path, "noloc.csv", "date,claimed_target\n2015-09-30,IS\n"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("date,claimed_target,place\n2015-09-30,IS,Hama é\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_claims(latin)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(InputError, match="binary"):
        read_claims(binary)
    with pytest.raises(InputError, match="fake.parquet"):
        read_claims(_write(tmp_path, "fake.parquet", "date,claimed_target\n"))
    with pytest.raises(InputError, match="fake.geojson"):
        read_claims(_write(tmp_path, "fake.geojson", "not json at all"))
    unknown = _write(
        tmp_path, "unknown.csv", "date,claimed_target,place\n2015-09-30,Martians,Homs\n"
    )
    with pytest.raises(UnknownActorError, match="Martians") as exc:
        read_claims(unknown)
    assert str(unknown) in str(exc.value) and "claimed_target" in str(exc.value)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_parse_dates_reads_common_forms(day):
    forms = [
        day.isoformat(),
        f"{day.day} {day.strftime('%B')} {day.year}",
        f"{day.strftime('%b')} {day.day}, {day.year}",
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.isoformat()}T12:30:00",
    ]
    out = parse_dates(pd.Series(forms))
    assert (out == pd.Timestamp(day)).all(), list(out)


@given(st.text(max_size=12))
def test_parse_dates_never_raises(text):
    out = parse_dates(pd.Series([text]))
    assert len(out) == 1


def test_parse_dates_rejects_partial_and_bad_dates():
    out = parse_dates(pd.Series(["2015", "September 2015", "2015-02-30", "yesterday", ""]))
    assert out.isna().all()


def test_parse_precision():
    km, code, bad = parse_precision(
        pd.Series(["1", "2", "3", "15km", "15", "500 m", "10 mi", "", "wide", "2.5"])
    )
    assert list(code) == [1, 2, 3, 0, 0, 0, 0, 0, 0, 0]
    assert km[:3].tolist() == [ACLED_PRECISION_KM[1], ACLED_PRECISION_KM[2], ACLED_PRECISION_KM[3]]
    assert km[3:7].tolist() == pytest.approx([15.0, 15.0, 0.5, 16.09344])
    assert np.isnan(km[7]) and np.isnan(km[8])
    assert km[9] == 2.5
    assert list(bad) == [False] * 8 + [True, False]


def test_bad_rows_are_marked_not_dropped():
    df = pd.DataFrame(
        {
            "date": [
                "2015-09-30",
                "not a date",
                "2015-09-30",
                "2015-09-30",
                "2015-09-30",
                "",
                "2015-09-30",
            ],
            "claimed_target": ["IS"] * 7,
            "latitude": ["34.8", "34.8", "95", "34.8", "abc", "34.8", ""],
            "longitude": ["36.7", "36.7", "36.7", "200", "36.7", "36.7", ""],
            "precision": ["", "", "", "", "", "", "wide"],
        }
    )
    from geostrike.claims import normalise_claims

    table = load_actors()
    pc = parse_claims(normalise_claims(df, actors=table), actors=table, geocode=False)
    assert list(pc.status) == [
        "ok",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert "not a date" in pc.problem[1]
    assert "outside [-90, 90]" in pc.problem[2]
    assert "outside [-180, 180]" in pc.problem[3]
    assert "not a number" in pc.problem[4]
    assert "no date" in pc.problem[5]
    assert "precision" in pc.problem[6]
    assert pc.target[0] == "islamic_state"


def test_semicolon_csv_and_datetime_columns(tmp_path):
    text = "date;claimed_target;latitude;longitude\n2015-09-30;IS;34,8;36,7\n"
    df = read_claims(_write(tmp_path, "semi.csv", text))
    assert list(df.columns[:3]) == ["id", "date", "claimed_target"]
    table = load_actors()
    pc = parse_claims(df, actors=table, geocode=False)
    assert pc.latitude[0] == pytest.approx(34.8) and pc.status[0] == "ok"
    aware = pd.DataFrame(
        {
            "date": pd.to_datetime(["2015-09-30 23:00"]).tz_localize("UTC"),
            "claimed_target": ["IS"],
            "latitude": [1.0],
            "longitude": [1.0],
        }
    )
    from geostrike.claims import normalise_claims

    assert list(normalise_claims(aware, actors=table)["date"]) == ["2015-09-30"]


@given(
    st.floats(min_value=0.001, max_value=5000, allow_nan=False).filter(lambda x: x not in (1, 2, 3))
)
def test_parse_precision_reads_any_radius_in_km(x):
    text = f"{x:.3f}"
    km, code, bad = parse_precision(pd.Series([f"{text}km", f"{text} km", text]))
    if float(text) in (1.0, 2.0, 3.0):
        return  # bare 1, 2, 3 are ACLED codes
    assert not bad.any() and not code.any()
    assert km.tolist() == pytest.approx([float(text)] * 3)


def test_numeric_date_order_is_inferred_per_column() -> None:
    import warnings

    from geostrike.claims import parse_dates

    us = parse_dates(pd.Series(["10/01/2015", "09/30/2015"]))  # 30 cannot be a month
    assert us.dt.strftime("%Y-%m-%d").tolist() == ["2015-10-01", "2015-09-30"]
    eu = parse_dates(pd.Series(["10/01/2015", "30/09/2015"]))
    assert eu.dt.strftime("%Y-%m-%d").tolist() == ["2015-01-10", "2015-09-30"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        amb = parse_dates(pd.Series(["10/01/2015"]))
    assert amb.dt.strftime("%Y-%m-%d").tolist() == ["2015-01-10"]
    assert any("ambiguous" in str(w.message) for w in caught)


@given(
    st.lists(
        st.one_of(
            st.floats(-100, 100, allow_nan=False).map(repr),
            st.floats(-200, 200, allow_nan=False).map(lambda v: f"{v:.4f}"),
            st.sampled_from(["", " 35.5", "36,25", "x", "nan", "inf", "1e1", "-0"]),
            st.none(),
        ),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=150, deadline=None)
def test_coordinates_from_arrow_text_match_object_text(cells):
    # CSV files are read as Arrow text, parsed by Arrow's cast when every cell is a plain
    # number; any other column takes the forgiving path: both must agree cell by cell
    from geostrike.claims import _coordinates

    other = list(reversed(cells))
    arrow = pd.DataFrame(
        {"latitude": pd.Series(cells, dtype="str"), "longitude": pd.Series(other, dtype="str")}
    )
    plain = pd.DataFrame(
        {"latitude": pd.Series(cells, dtype=object), "longitude": pd.Series(other, dtype=object)}
    )
    a, b = _coordinates(arrow), _coordinates(plain)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert list(a[2]) == list(b[2])


@pytest.mark.parametrize("dtype", ["str", object])
def test_dates_with_spaces_are_tidied_whatever_the_column_type(dtype):
    from geostrike.claims import normalise_claims

    df = pd.DataFrame(
        {
            "date": pd.Series(["2015-10-01 ", " 2015-10-02", "2015-10-03", None], dtype=dtype),
            "claimed_target": "Islamic State",
            "latitude": 35.0,
            "longitude": 36.0,
        }
    )
    out = normalise_claims(df)
    assert list(out["date"][:3]) == ["2015-10-01", "2015-10-02", "2015-10-03"]
    assert out["date"][3] == ""
    tidy = df.assign(date=pd.Series(["2015-10-01"] * 4, dtype=dtype))
    assert list(normalise_claims(tidy)["date"]) == ["2015-10-01"] * 4


# ------------------------------------------------------- issue 14: geocoding in context
def _located(places: list[str], context: tuple[str, ...], country: list[str] | None = None):
    from geostrike.claims import _geocode_rows, factorize_text

    codes, uniq = factorize_text(pd.Series(places, dtype=object))
    ccodes, cu = factorize_text(pd.Series(country or [""] * len(places), dtype=object))
    mask = np.ones(len(places), dtype=bool)
    return _geocode_rows(codes, uniq, ccodes, cu, mask, context=context)


def test_context_of_several_countries() -> None:
    # Tripoli is in Lebanon and in Libya, 2,000 km apart: ambiguous in an LB+LY context
    m = _located(["Tripoli", "Benghazi", "Sidon", "Aleppo"], ("LB", "LY"))
    assert m.ambiguous.tolist() == [True, False, False, False]
    assert "2 countries" in m.problem[0] and "LB" in m.problem[0] and "LY" in m.problem[0]
    assert m.found.tolist() == [False, True, True, False]
    assert "found only outside the context (LB, LY)" in m.problem[3]
    # one context country settles it; a row's own country cell wins over the context
    assert _located(["Tripoli"], ("LB",)).found.tolist() == [True]
    own = _located(["Homs", "Homs"], ("LB",), country=["Syria", ""])
    assert own.found.tolist() == [True, False]
    assert own.candidates.tolist()[0] >= 1


def test_no_context_keeps_the_old_lookup_but_flags_namesakes() -> None:
    m = _located(["Homs", "Novofedorivka"], ())
    assert m.found.tolist() == [True, False]
    assert m.ambiguous.tolist() == [False, True] and "Kherson" in m.problem[1]


@given(
    st.lists(
        st.sampled_from(["ye", "UA", " sy", "Yemen", "Ukraine", "xx1", "", "Syria"]), max_size=6
    )
)
@settings(max_examples=60, deadline=None)
def test_context_codes_are_unique_upper_iso_codes(items: list[str]) -> None:
    from geostrike.claims import _context_codes

    got = _context_codes(items)
    assert len(got) == len(set(got))
    assert all(len(c) == 2 and c.isupper() and c.isalpha() for c in got)
    assert _context_codes(",".join(items)) == got
    expected = {"ye": "YE", "UA": "UA", " sy": "SY", "Yemen": "YE", "Ukraine": "UA", "Syria": "SY"}
    assert set(got) == {expected[i] for i in items if i in expected}

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

from geostrike.errors import GeostrikeError, InputError, UnknownActorError
from geostrike.inputs.actors import load_actors
from geostrike.inputs.claims import (
    ACLED_PRECISION_KM,
    date_order,
    parse_claims,
    parse_dates,
    parse_precision,
    read_claims,
)

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
    with date_order("dmy"):  # 01/10/2015 alone is ambiguous
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
    from geostrike.inputs.claims import normalise_claims

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


@settings(deadline=None)  # no dependence on machine load
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_parse_dates_reads_common_forms(day):
    forms = [
        day.isoformat(),
        f"{day.day} {day.strftime('%B')} {day.year}",
        f"{day.strftime('%b')} {day.day}, {day.year}",
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.isoformat()}T12:30:00",
    ]
    out = parse_dates(pd.Series(forms), order="dmy")
    assert (out == pd.Timestamp(day)).all(), list(out)
    us = parse_dates(pd.Series([f"{day.month:02d}/{day.day:02d}/{day.year}"]), order="mdy")
    assert (us == pd.Timestamp(day)).all()


@settings(deadline=None)  # no dependence on machine load
@given(st.text(max_size=12))
def test_parse_dates_never_raises(text):
    out = parse_dates(pd.Series([text]), order="dmy")
    assert len(out) == 1
    try:  # without an order only an ambiguous numeric date is refused, naming the option
        parse_dates(pd.Series([text]))
    except InputError as exc:
        assert "--date-order" in str(exc)


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
    from geostrike.inputs.claims import normalise_claims

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
    from geostrike.inputs.claims import normalise_claims

    assert list(normalise_claims(aware, actors=table)["date"]) == ["2015-09-30"]


@settings(deadline=None)  # no dependence on machine load
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

    from geostrike.inputs.claims import parse_dates

    us = parse_dates(pd.Series(["10/01/2015", "09/30/2015"]))  # 30 cannot be a month
    assert us.dt.strftime("%Y-%m-%d").tolist() == ["2015-10-01", "2015-09-30"]
    eu = parse_dates(pd.Series(["10/01/2015", "30/09/2015"]))
    assert eu.dt.strftime("%Y-%m-%d").tolist() == ["2015-01-10", "2015-09-30"]
    same = parse_dates(pd.Series(["10/10/2015", "01/01/2016"]))  # both readings agree
    assert same.dt.strftime("%Y-%m-%d").tolist() == ["2015-10-10", "2016-01-01"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # decided without a warning
        parse_dates(pd.Series(["10/01/2015", "30/09/2015"]))


def test_ambiguous_numeric_dates_are_refused_unless_an_order_is_given(tmp_path) -> None:
    # issue 14.3: "05/06/2016" was read as 5 June with no warning
    amb = pd.Series(["05/06/2016", "07/08/2016"])
    with pytest.raises(InputError) as exc:
        parse_dates(amb, path="claims.csv", column="date")
    msg = str(exc.value)
    assert msg.startswith("claims.csv: ") and "'date'" in msg and "--date-order dmy|mdy" in msg
    assert "\n" not in msg
    assert parse_dates(amb, order="dmy").dt.strftime("%Y-%m-%d").tolist() == [
        "2016-06-05",
        "2016-08-07",
    ]
    assert parse_dates(amb, order="mdy").dt.strftime("%Y-%m-%d").tolist() == [
        "2016-05-06",
        "2016-07-08",
    ]
    with date_order("mdy"):  # the setting the CLI's --date-order makes
        assert parse_dates(amb).dt.strftime("%Y-%m-%d").tolist()[0] == "2016-05-06"
    with pytest.raises(GeostrikeError, match="dmy, mdy"):
        parse_dates(amb, order="ymd")
    # rows in the other order than the one given are not dates (no silent swap)
    assert parse_dates(pd.Series(["13/01/2016"]), order="mdy").isna().all()
    assert parse_dates(pd.Series(["01/13/2016"]), order="dmy").isna().all()
    # both orders in one column: refused
    with pytest.raises(InputError, match="mixes day-first"):
        parse_dates(pd.Series(["13/01/2016", "01/13/2016"]))
    # through the claims reader: the file is named
    f = tmp_path / "us.csv"
    f.write_text("date,claimed_target,latitude,longitude\n05/06/2016,isis,35.9,39.0\n")
    with pytest.raises(InputError) as exc2:
        read_claims(f)
    assert str(f) in str(exc2.value) and "--date-order" in str(exc2.value)


def test_out_of_range_and_bad_time_dates_are_nat_not_errors() -> None:
    # issue 12.4 / 12.16
    out = parse_dates(
        pd.Series(
            [
                "2515-10-01",
                "9999-12-31",
                "1677-09-21",
                "31/12/9999",
                "2015-09-30 25:61",
                "2015-09-30T24:00",
                "2015-09-30T23:30-11:00",
                "2015-09-30T23:30:05.5Z",
                "2015-09-30 08:15",
                "2015-09-30 12:30:00+03",
                "2015-09-30T12:30:00.000+0000",
            ]
        )
    )
    text = [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in out]
    assert text == [None] * 6 + ["2015-09-30"] * 5  # the local date as written
    far = pd.Series(np.array(["2515-10-01", "2015-01-02"], dtype="datetime64[ms]"))
    got = parse_dates(far)
    assert got.isna().tolist() == [True, False] and str(got.dtype) == "datetime64[ns]"
    tz = pd.Series(pd.to_datetime(["2015-09-30T23:30-11:00"], utc=False))
    assert parse_dates(tz).dt.strftime("%Y-%m-%d").tolist() == ["2015-09-30"]


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
    from geostrike.inputs.claims import _coordinates

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
    from geostrike.inputs.claims import normalise_claims

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


@settings(deadline=None)  # no dependence on machine load
@given(
    st.lists(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)), min_size=1),
    st.sampled_from(["dmy", "mdy"]),
)
def test_numeric_date_columns_are_read_right_or_refused(days, order) -> None:
    """A column of numeric dates in one order is never read in the other one silently."""
    fmt = (
        "{d.day:02d}/{d.month:02d}/{d.year}"
        if order == "dmy"
        else "{d.month:02d}/{d.day:02d}/{d.year}"
    )
    col = pd.Series([fmt.format(d=d) for d in days])
    truth = [pd.Timestamp(d) for d in days]
    assert parse_dates(col, order=order).tolist() == truth
    settled = any(d.day > 12 for d in days) or all(d.day == d.month for d in days)
    try:
        got = parse_dates(col)
    except InputError as exc:
        assert not settled and "--date-order dmy|mdy" in str(exc)
    else:
        assert got.tolist() == truth


def test_a_separator_ending_each_row_does_not_shift_the_columns(tmp_path):
    # issue 12.7: pandas took the first column as the index and blamed an "unknown actor"
    p = tmp_path / "trailing.csv"
    p.write_text(
        "id,date,claimed_target,latitude,longitude\n"
        "ly1,2019-04-10,LNA,32.8,13.1,\n"
        "ly2,2019-04-11,GNA,32.9,13.2,\n",
        encoding="utf-8",
    )
    df = read_claims(p)
    assert df["id"].tolist() == ["ly1", "ly2"]
    assert df["claimed_target"].tolist() == ["LNA", "GNA"]
    assert df["longitude"].tolist() == ["13.1", "13.2"]


def test_a_value_after_the_last_column_is_named(tmp_path):
    p = tmp_path / "extra.csv"
    p.write_text(
        "id,date,claimed_target,latitude,longitude\n"
        "ly1,2019-04-10,LNA,32.8,13.1\n"
        "ly2,2019-04-11,GNA,32.9,13.2,Tripoli\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"extra\.csv: .*line 3.*\b6\b"):
        read_claims(p)
    p.write_text(  # every row one value longer than the header
        "id,date,claimed_target,latitude,longitude\n"
        "ly1,2019-04-10,LNA,32.8,13.1,Tripoli\n"
        "ly2,2019-04-11,GNA,32.9,13.2,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"extra\.csv: line 2 has 6 fields but the header names 5"):
        read_claims(p)


def test_out_of_range_dates_among_many_are_each_invalid():
    # issue 12.4: one date outside pandas' range must not stop the others being read
    from geostrike.inputs.claims import normalise_claims, parse_claims

    days = [str(d.date()) for d in pd.date_range("2014-01-01", periods=3000)]
    dates = [*days, "2515-10-01", "9999-12-31", "1677-09-21", "1677-09-22", "2262-04-11"]
    df = normalise_claims(
        pd.DataFrame(
            {"date": dates, "claimed_target": "LNA", "latitude": "32.8", "longitude": "13.1"}
        ),
        actors=load_actors(),
    )
    pc = parse_claims(df, actors=load_actors(), geocode=False)
    assert (pc.status[:3000] == "ok").all()
    assert pc.status[3000:].tolist() == ["invalid"] * 3 + ["ok", "ok"]
    assert all("outside the dates geostrike can check" in p for p in pc.problem[3000:3003])
    assert pc.date.iloc[2999] == pd.Timestamp(days[-1])


@pytest.mark.parametrize("ext", [".geojson", ".parquet"])
def test_nul_characters_in_cells_are_refused_in_every_format(tmp_path, ext):
    # issue 12.16: NULs must not pass into outputs, whatever carried them in
    from geostrike.engine.stream import check_stream

    gdf = gpd.GeoDataFrame(
        {
            "date": ["2023-05-01", "2023-05-02"],
            "claimed_target": ["Hamas", "Hamas"],
            "notes": ["fine", "cut\x00here"],
        },
        geometry=[shapely.Point(34.45, 31.5), shapely.Point(34.3, 31.3)],
        crs="EPSG:4326",
    )
    p = tmp_path / f"claims{ext}"
    if ext == ".parquet":
        gdf.to_parquet(p)
    else:  # GDAL would cut the text at the NUL: the escape is written by hand
        gdf.to_file(p, driver="GeoJSON")
        p.write_text(p.read_text(encoding="utf-8").replace('"cut"', '"cut\\u0000here"'))
    with pytest.raises(InputError, match=r"NUL character"):
        read_claims(p)
    zones = gpd.GeoDataFrame(
        {"controller": ["Hamas"], "valid_from": [""], "valid_to": [""], "source": ["t"]},
        geometry=[shapely.box(34.2, 31.2, 34.6, 31.6)],
        crs="EPSG:4326",
    )
    with pytest.raises(InputError, match="NUL character"):
        check_stream(p, zones, tmp_path / "o.csv", chunk_rows=1, progress=False)
    assert not (tmp_path / "o.csv").exists()


# ------------------------------------------------------- issue 14: geocoding in context
def _located(places: list[str], context: tuple[str, ...], country: list[str] | None = None):
    from geostrike.inputs.claims import _geocode_rows, factorize_text

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
    from geostrike.inputs.claims import _context_codes

    got = _context_codes(items)
    assert len(got) == len(set(got))
    assert all(len(c) == 2 and c.isupper() and c.isalpha() for c in got)
    assert _context_codes(",".join(items)) == got
    expected = {"ye": "YE", "UA": "UA", " sy": "SY", "Yemen": "YE", "Ukraine": "UA", "Syria": "SY"}
    assert set(got) == {expected[i] for i in items if i in expected}


# ---------------------------------------------------------------------- duplicate ids
def _duplicates_by_hand(values: list) -> list[bool]:
    """The rows whose id (missing ones counted as one value) another row also uses."""
    keys = ["<NA>" if v is None else (type(v).__name__, v) for v in values]
    return [keys.count(k) > 1 for k in keys]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from(["a", "b", "claim-1", " a", ""]), st.text(max_size=3)),
        max_size=12,
    ),
    st.sampled_from(["object", "str"]),
)
def test_duplicate_ids_marks_every_repeated_id(values, dtype):
    from geostrike.inputs.claims import duplicate_ids

    got = duplicate_ids(pd.Series(values, dtype=dtype))
    assert got.dtype == bool
    assert got.tolist() == _duplicates_by_hand(values)


def test_duplicate_ids_of_mixed_types_as_written():
    from geostrike.inputs.claims import duplicate_ids

    ids = pd.Series([1, "1", 2, 2.0, None, "x"], dtype=object)
    assert duplicate_ids(ids).tolist() == [False, False, True, True, False, False]


def test_distinct_text_ids_need_no_pandas_hash(monkeypatch):
    """Issue 13: a million distinct ids were hashed by pandas (0.3-1.1 s on first use);
    distinct text ids are now settled by an Arrow sort, without pandas' factorize."""
    from geostrike.inputs import claims as claims_mod

    def no_factorize(*args, **kwargs):
        raise AssertionError("pandas factorize called")

    monkeypatch.setattr(claims_mod.pd, "factorize", no_factorize)
    ids = pd.Series([f"ye-{i}" for i in range(5000)] + [None], dtype="str")
    assert not claims_mod.duplicate_ids(ids).any()
    assert not claims_mod.duplicate_ids(ids.astype(object)).any()


def test_each_check_keeps_its_own_date_order_beside_another() -> None:
    """Two checks side by side (chunks, Dask partitions) each read numeric dates in their own
    order, whatever the other sets and restores meanwhile; outside them, date_order()
    holds, and a check given no order takes it (the API's documented block)."""
    import threading

    from geostrike.inputs.claims import call_date_order, current_date_order

    values = pd.Series(["03/04/2016"])
    both_in = threading.Barrier(2)
    first_out = threading.Event()
    got: dict[str, str] = {}

    def leaves_first() -> None:  # the other must keep its own order after this one ends
        with call_date_order("mdy"):
            both_in.wait()
            got["mdy"] = str(parse_dates(values)[0].date())

    def other() -> None:
        with call_date_order("dmy"):
            both_in.wait()
            first_out.wait(timeout=10)
            got["dmy"] = str(parse_dates(values)[0].date())

    a, b = threading.Thread(target=leaves_first), threading.Thread(target=other)
    a.start(), b.start()
    a.join()
    first_out.set()
    b.join()
    assert got == {"mdy": "2016-03-04", "dmy": "2016-04-03"}
    assert current_date_order() is None
    with date_order("dmy"):
        with call_date_order(None):  # no order given: the block's
            assert str(parse_dates(values)[0].date()) == "2016-04-03"
        with call_date_order("mdy"):
            assert current_date_order() == "mdy"
        assert current_date_order() == "dmy"


def test_row_warnings_of_parts_in_any_order_name_the_first_rows() -> None:
    from geostrike.errors import RowsWarning

    text = "lat/lon may be swapped in {count} claim(s) (rows {rows})"
    late = RowsWarning(text, 7, [101, 102, 103, 104, 105])
    early = RowsWarning(text, 2, [4, 9])
    merged = RowsWarning.merged([late, early])
    assert merged.count == 9 and merged.rows == [4, 9, 101, 102, 103]
    assert str(merged) == "lat/lon may be swapped in 9 claim(s) (rows 4, 9, 101, 102, 103, ...)"

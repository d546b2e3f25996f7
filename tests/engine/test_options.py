"""CheckOptions: validated once, the same limits as check_km, keyword overrides."""

from __future__ import annotations

import math

import pytest

from geostrike.engine.options import CheckOptions, options_from
from geostrike.errors import InputError


@pytest.mark.parametrize(
    "kw",
    [
        {"tolerance_km": math.nan},
        {"tolerance_km": -1},
        {"tolerance_km": 1e9},
        {"coarse_km": math.inf},
        {"coarse_km": "wide"},
        {"date_order": "ymd"},
        {"threads": 0},
        {"threads": 1.5},
    ],
)
def test_bad_options_are_one_line_errors(kw) -> None:
    with pytest.raises(InputError) as err:
        CheckOptions(**kw)
    assert "\n" not in str(err.value)


def test_defaults_overrides_and_normalised_fields(monkeypatch) -> None:
    monkeypatch.setenv("GEOSTRIKE_THREADS", "3")
    o = CheckOptions(tolerance_km="7.5", date_order=" DMY ", country=["UA", "RU"])
    assert (o.tolerance_km, o.coarse_km, o.date_order) == (7.5, 25.0, "dmy")
    assert o.country == ("UA", "RU") and o.threads == 3 and o.csv_safe is True
    assert options_from(o, tolerance_km=None) is o  # nothing given: the same options
    assert options_from(o, coarse_km=3).coarse_km == 3.0
    assert o.but(threads=1).threads == 1
    with pytest.raises(TypeError):
        options_from(o, tolerence_km=4)  # a misspelt option is not silently ignored
    hash(o)  # frozen: usable as a key, safe to send to workers


def test_points_option_is_honoured_by_check_only(tmp_path) -> None:
    """CheckOptions(points=False) (issue 18) leaves the points out of check()'s result; the
    streaming engine, whose writers need them, still writes a GeoParquet of points."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geostrike.engine.check import check
    from geostrike.engine.options import CheckOptions
    from geostrike.engine.stream import check_stream

    zones = gpd.GeoDataFrame(
        {"controller": ["Russia"], "valid_from": ["2023-01-01"], "valid_to": [""]},
        geometry=[shapely.box(37.0, 47.0, 39.5, 48.5)],  # around Donetsk
        crs="EPSG:4326",
    )
    claims = pd.DataFrame(
        {
            "date": ["2023-02-01", "2023-02-02"],
            "claimed_target": ["Russia", "Russia"],
            "latitude": [48.0, 49.9],
            "longitude": [37.8, 36.3],  # Donetsk, Kharkiv
        }
    )
    opts = CheckOptions(points=False)
    assert CheckOptions().points is True and opts.but(points=True).points is True
    bare = check(claims, zones, options=opts)
    assert "geometry" not in bare.columns
    assert bare["verdict"].tolist() == ["consistent", "indeterminate"]  # Kharkiv: unmapped
    src = tmp_path / "ua.csv"
    claims.to_csv(src, index=False)
    out = tmp_path / "ua.parquet"
    check_stream(src, zones, out, chunk_rows=1, progress=False, options=opts)
    back = gpd.read_parquet(out)
    assert back.geometry.x.round(6).tolist() == [37.8, 36.3]

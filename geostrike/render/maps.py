"""Annotated Leaflet (folium) maps of checked strike claims, safe with hostile text.

``render_map`` turns the result of :func:`geostrike.engine.check` and the control zones into a
:class:`folium.Map`: zones of the date shown filled by controller, strikes coloured by
verdict with their precision radius, dashed lines to the nearest point of the claimed
target's territory and from the stated place, popups, legend, layer control, scale bar,
measure tool, fullscreen button, a date slider when the claims span several dates, and
clustering above 500 strikes.

How it stays fast and safe:

* Strikes are not folium objects. All data travels as one compact, column-wise JSON
  document inside ``<script type="application/json">`` (with ``<``, ``>``, ``&`` written
  as ``\\u003c`` etc., so no value can close the element), and a small script
  (``data/map_app.js``) draws them on a canvas and builds each popup on click with
  ``textContent``. Nothing from the data passes through ``innerHTML`` or a Jinja template.
* HTML that Python writes (title, caption, legend) goes through :func:`html.escape` with
  ``quote=True``; links are made only from http/https URLs (:func:`safe_url`); colours only
  from ``#rrggbb`` values (:func:`geostrike.render.style` is the palette).
* folium's default CDN scripts (jQuery, Bootstrap, Font Awesome, Leaflet) are dropped;
  Leaflet, leaflet.markercluster and the map script are inlined from local copies taken
  from npm at install time (``scripts/fetch-assets`` → ``geostrike/data/vendor/``). With
  ``offline=True`` the base layer is Natural Earth country outlines, rivers and lakes
  (vector, from :mod:`geostrike.places.outlines`) with GeoNames town names, and the file
  references nothing outside itself; otherwise
  OpenStreetMap tiles are used, with attribution.

Why one module of ~860 lines: everything here builds one HTML document (the JSON payload,
the escaped HTML around it, the inlined assets and the offline base layer) and every piece
obeys the same escaping rules above; split apart, those rules would have to be re-checked
at each boundary. The drawing code itself is JavaScript in ``data/map_app.js``.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement

from geostrike.errors import GeostrikeError, OutputError
from geostrike.geodesy import KM_PER_MILE
from geostrike.inputs.actors import ActorTable, load_actors
from geostrike.io import atomic_output
from geostrike.render import style

#: Above this many located strikes the markers are clustered and lines start hidden.
CLUSTER_THRESHOLD = 500
#: Up to this many lines on the map at once carry permanent distance labels.
LABEL_LIMIT = 150
#: At most this many gazetteer towns are offered to the offline map as place labels (the
#: most populous around the data); the page shows as many as fit without colliding.
PLACE_LIMIT = 600

_URL_BAD = re.compile(r"[\x00-\x20\x7f\\\"'<>`]")

#: Popup rows: (label, column). Only columns present in the results are shown.
POPUP_FIELDS: tuple[tuple[str, str], ...] = (
    ("Date", "date"),
    ("Attacker", "attacker"),
    ("Claimant", "claimant"),
    ("Claimed target", "claimed_target"),
    ("Target (resolved)", "_target_label"),
    ("Reported place", "place"),
    ("Located at", "_located_at"),
    ("Stated target place", "target_place"),
    ("Controller at the strike", "_controller_label"),
    ("Status", "_status"),
    ("Notes", "notes"),
)


# --------------------------------------------------------------------------- escaping
def escape(value: Any) -> str:
    """HTML-escape any value (``None``/NaN → ``""``), quotes included."""
    return html.escape(_text(value), quote=True)


def safe_url(value: Any) -> str | None:
    """Return ``value`` if it is a plain http(s) URL with a host, else ``None``.

    ``javascript:``, ``data:``, ``vbscript:``, protocol-relative (``//host``), URLs with
    spaces, control characters, quotes, angle brackets or backslashes are all refused.
    """
    text = _text(value).strip()
    if not text or len(text) > 2048 or _URL_BAD.search(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if not text.lower().startswith(("http://", "https://")):
        return None
    return text


def script_json(obj: Any) -> str:
    """JSON safe to embed in an HTML ``<script>`` element (no ``<``, ``>``, ``&`` left)."""
    return (
        json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def safe_color(value: Any, default: str = style.NO_CONTROLLER_COLOR) -> str:
    """A ``#rrggbb`` colour, or ``default`` for anything else (:func:`style.safe_hex`)."""
    return style.safe_hex(value, default)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NaT or value is pd.NA:
        return ""
    return str(value)


# --------------------------------------------------------------------------- assets
def _vendor(rel: str) -> Path:
    path = Path(str(resources.files("geostrike.data"))) / "vendor" / rel
    if not path.exists():
        raise GeostrikeError(
            f"{path}: map assets are not installed; run `make install` "
            "(scripts/fetch-assets fetches them from the npm registry)"
        )
    return path


def _inline_script(code: str) -> str:
    # A script element ends at the first "</script"; none of the vendored files has one,
    # but make sure no "</" can end it early.
    return "<script>" + code.replace("</", "<\\/") + "</script>"


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str]:
    """(CSS, JS) to inline: Leaflet, markercluster and the geostrike map app."""
    css = _vendor("leaflet/leaflet.css").read_text("utf-8")

    def _data_uri(m: re.Match[str]) -> str:
        img = _vendor("leaflet") / m.group(1)
        if not img.exists():
            return "none"
        return "url(data:image/png;base64," + base64.b64encode(img.read_bytes()).decode() + ")"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", _data_uri, css)
    css += "\n" + _vendor("leaflet.markercluster/MarkerCluster.css").read_text("utf-8")
    data = resources.files("geostrike.data")
    css += "\n" + data.joinpath("map_app.css").read_text("utf-8")
    js = [
        _vendor("leaflet/leaflet.js").read_text("utf-8"),
        _vendor("leaflet.markercluster/leaflet.markercluster.js").read_text("utf-8"),
        data.joinpath("map_app.js").read_text("utf-8"),
    ]
    style_el = "<style>" + css.replace("</", "<\\/") + "</style>"
    return style_el, "\n".join(_inline_script(j) for j in js)


# --------------------------------------------------------------------------- data
def _column(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([None] * len(df), index=df.index, dtype=object)


def _strings(series: pd.Series) -> pd.Series:
    """Text of each value, '' for missing."""
    s = series.astype(object)
    out = s.where(s.notna(), "").map(str)
    return out.where(out != "NaT", "")


def _numbers(series: pd.Series, ndigits: int) -> list[float | None]:
    a = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(a)
    out = np.round(np.where(ok, a, 0.0), ndigits).tolist()
    return [v if k else None for v, k in zip(out, ok.tolist(), strict=True)]


def _actor_table(actors: ActorTable | str | Path | None) -> ActorTable:
    if isinstance(actors, ActorTable):
        return actors
    return load_actors(actors)


def _label_map(values: pd.Series, table: ActorTable, *, joint_word: bool) -> pd.Series:
    uniq = pd.unique(values)
    labels = {}
    for v in uniq:
        ids = style.controller_ids(v)
        if not ids:
            labels[v] = ""
        elif joint_word:
            labels[v] = style.controller_label(v, table)
        else:
            labels[v] = " / ".join(table.label(i) for i in ids)
    return values.map(labels)


def _iso_dates(series: pd.Series) -> pd.Series:
    d = pd.to_datetime(_strings(series).str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
    return d.dt.strftime("%Y-%m-%d").where(d.notna(), "")


def _round_geoms(geoms: np.ndarray, ndigits: int) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, ndigits))


def _features(geoms: np.ndarray, props: list[dict[str, Any]], ndigits: int) -> dict[str, Any]:
    geoms = _round_geoms(np.asarray(geoms, dtype=object), ndigits)
    texts = shapely.to_geojson(geoms)
    feats = [
        {"type": "Feature", "geometry": json.loads(t), "properties": p}
        for t, p in zip(texts.tolist(), props, strict=True)
        if t is not None
    ]
    return {"type": "FeatureCollection", "features": feats}


def _outlines(bounds: tuple[float, float, float, float] | None) -> dict[str, Any]:
    """Natural Earth outlines: 1:50m near the data, 1:110m for the rest of the world."""
    from geostrike.places.outlines import countries

    coarse = countries("110m")
    if bounds is None:
        return _features(coarse.geometry.values, [{} for _ in range(len(coarse))], 3)
    minx, miny, maxx, maxy = bounds
    box = shapely.box(minx - 10, max(miny - 10, -90), maxx + 10, min(maxy + 10, 90))
    fine = countries("50m")
    near_fine = fine.geometry.intersects(box).to_numpy()
    near_coarse = coarse.geometry.intersects(box).to_numpy()
    geoms = np.concatenate(
        [
            shapely.simplify(fine.geometry.values[near_fine], 0.005, preserve_topology=True),
            coarse.geometry.values[~near_coarse],
        ]
    )
    return _features(geoms, [{} for _ in range(len(geoms))], 3)


#: Rivers and lakes reach this many degrees beyond the data (the view opens on the data,
#: padded; zoomed further out, the world's outlines remain without water).
WATER_MARGIN = 4.0


def _water(bounds: tuple[float, float, float, float] | None) -> dict[str, Any] | None:
    """Natural Earth 1:50m rivers and lakes around the data, for the offline base.

    Clipped to the data's box plus :data:`WATER_MARGIN` and simplified to about 1 km (the
    source's own resolution is 2-4 km), so a country's rivers weigh a few tens of kB.
    ``None`` when the data has no extent.
    """
    if bounds is None:
        return None
    from geostrike.places.outlines import water_in

    minx, miny, maxx, maxy = bounds
    box = (
        max(minx - WATER_MARGIN, -180.0),
        max(miny - WATER_MARGIN, -90.0),
        min(maxx + WATER_MARGIN, 180.0),
        min(maxy + WATER_MARGIN, 90.0),
    )
    rivers, lakes = water_in(box, tolerance=0.01)
    return {
        "rivers": _features(rivers, [{} for _ in range(len(rivers))], 3),
        "lakes": _features(lakes, [{} for _ in range(len(lakes))], 3),
    }


def _places(bounds: tuple[float, float, float, float] | None) -> dict[str, Any] | None:
    """Town and city labels for the offline base, from the local gazetteer.

    Populated places (GeoNames PPL*, with a known population) within 2 degrees of the
    data, the :data:`PLACE_LIMIT` most populous; the page places them by population and
    drops those that would collide, so more appear as one zooms in. ``None`` (one warning)
    when no gazetteer can be loaded: the map is still drawn, without town names.
    """
    if bounds is None:
        return None
    import warnings

    from geostrike.errors import GazetteerError
    from geostrike.places.gazetteer import FEATURE_RANK, load_gazetteer

    try:
        gaz = load_gazetteer()
    except GazetteerError as exc:
        warnings.warn(f"map drawn without town names: {exc}", stacklevel=3)
        return None
    minx, miny, maxx, maxy = bounds
    lat, lon, pop = np.asarray(gaz.lat), np.asarray(gaz.lon), np.asarray(gaz.pop)
    rank = np.asarray(gaz.frank)
    with np.errstate(invalid="ignore"):
        keep = (
            (rank >= FEATURE_RANK["PPLC"])
            & (rank <= FEATURE_RANK["PPL"])
            & (pop > 0)
            & (lat >= miny - 2)
            & (lat <= maxy + 2)
            & (lon >= minx - 2)
            & (lon <= maxx + 2)
        )
    rows = np.flatnonzero(keep)
    rows = rows[np.argsort(-pop[rows], kind="stable")][:PLACE_LIMIT]
    if not len(rows):
        return None
    p = pop[rows]
    return {
        "lat": np.round(lat[rows], 4).tolist(),
        "lon": np.round(lon[rows], 4).tolist(),
        "name": gaz.strings_at("name", rows),
        # 3: a million or more, 2: 100,000 or more, 1: the rest (label size)
        "r": (1 + (p >= 100_000) + (p >= 1_000_000)).astype(int).tolist(),
        "pop": p.astype(int).tolist(),  # fewer towns at small scales (the page's thresholds)
    }


def _steps(claim_dates: list[str], zones: gpd.GeoDataFrame | None) -> list[str]:
    """The date slider's steps: every claim date, plus every day within the claims' span on
    which a zone window starts or ends (so the slider steps through the zone windows)."""
    if not claim_dates or zones is None or len(zones) == 0:
        return list(claim_dates)
    lo, hi = pd.Timestamp(claim_dates[0]), pd.Timestamp(claim_dates[-1])
    edges = []
    for col, shift in (("valid_from", 0), ("valid_to", 1)):
        if col in zones.columns:
            d = pd.to_datetime(zones[col], errors="coerce").dropna().dt.normalize()
            edges.append(d + pd.Timedelta(days=shift))
    extra = pd.concat(edges) if edges else pd.Series([], dtype="datetime64[ns]")
    extra = extra[(extra > lo) & (extra <= hi)].dt.strftime("%Y-%m-%d")
    return sorted(set(claim_dates) | set(extra.tolist()))


class _Payload:
    """Everything the page needs, as plain JSON-ready values, built column-wise."""

    def __init__(
        self,
        results: pd.DataFrame,
        zones: gpd.GeoDataFrame | None,
        table: ActorTable,
        *,
        offline: bool,
    ) -> None:
        df = pd.DataFrame(results).reset_index(drop=True)
        lat = pd.to_numeric(_column(df, "latitude"), errors="coerce")
        lon = pd.to_numeric(_column(df, "longitude"), errors="coerce")
        located = (lat.between(-90, 90) & lon.between(-180, 180)).to_numpy()
        self.n_total = len(df)
        self.n_unlocated = int((~located).sum())
        iso = _iso_dates(_column(df, "date"))
        self.claim_dates: list[str] = sorted(d for d in iso.unique() if d)
        self.dates = self.claim_dates  # the slider's steps once the zones are known
        unloc = df[~located]
        self.unplaced = [
            [a, b, c, d]
            for a, b, c, d in zip(
                _strings(_column(unloc, "id")).tolist(),
                _strings(_column(unloc, "place")).tolist(),
                _strings(_column(unloc, "status")).tolist(),
                _strings(_column(unloc, "reason")).tolist(),
                strict=True,
            )
        ]
        self.unplaced_counts = _strings(_column(unloc, "verdict")).str.lower().value_counts()
        self.dates = _steps(self.claim_dates, zones)
        loc = df[located].copy()
        loc["_date"] = iso[located].to_numpy()

        verdict = _strings(_column(loc, "verdict")).str.strip().str.lower()
        verdict = verdict.where(verdict.isin(style.VERDICTS), "indeterminate")
        vidx = verdict.map({v: i for i, v in enumerate(style.VERDICTS)}).to_numpy()
        self.verdict_counts = {v: int((verdict == v).sum()) for v in style.VERDICTS}

        loc["_controller_label"] = _label_map(
            _strings(_column(loc, "controller")), table, joint_word=True
        )
        loc["_target_label"] = _label_map(_strings(_column(loc, "target")), table, joint_word=False)
        name = _strings(_column(loc, "location_name"))
        how = _strings(_column(loc, "location_source"))
        loc["_located_at"] = name.where(how == "", name + " (" + how + ")").str.strip()
        status = _strings(_column(loc, "status"))
        loc["_status"] = status.where(~status.isin(["ok", ""]), "")

        src = _strings(_column(loc, "source"))
        text_cols: dict[str, pd.Series] = {
            "id": _strings(_column(loc, "id")),
            "reason": _strings(_column(loc, "reason")),
            "src": src,
            "tname": loc["_target_label"],
        }
        fields = [(lab, col) for lab, col in POPUP_FIELDS if col.startswith("_") or col in df]
        for _, col in fields:
            text_cols["f:" + col] = _strings(loc["_date"] if col == "date" else _column(loc, col))
        allv = pd.concat(list(text_cols.values()), ignore_index=True)
        codes, uniques = pd.factorize(allv, use_na_sentinel=False)
        self.strings: list[str] = [str(u) for u in uniques]
        pieces, start = {}, 0
        for key, s in text_cols.items():
            pieces[key] = codes[start : start + len(s)].tolist()
            start += len(s)

        date_idx = {d: i for i, d in enumerate(self.dates)}
        tkm = pd.to_numeric(_column(loc, "distance_to_target_km"), errors="coerce")
        pkm = pd.to_numeric(_column(loc, "distance_to_stated_place_km"), errors="coerce")
        plat = pd.to_numeric(_column(loc, "stated_place_latitude"), errors="coerce")
        plon = pd.to_numeric(_column(loc, "stated_place_longitude"), errors="coerce")
        tlat = pd.to_numeric(_column(loc, "nearest_target_latitude"), errors="coerce")
        tlon = pd.to_numeric(_column(loc, "nearest_target_longitude"), errors="coerce")
        has_t = tlat.notna() & tlon.notna() & tkm.notna() & (tkm > 0)
        has_p = plat.notna() & plon.notna() & pkm.notna() & (pkm > 0)
        self.n_target_lines = int(has_t.sum())
        self.n_stated_lines = int(has_p.sum())
        prec = pd.to_numeric(_column(loc, "precision_km"), errors="coerce")
        self.n_precision = int((prec > 0).sum())
        self.n_located = len(loc)
        self.strikes = {
            "lat": _numbers(lat[located], 4),
            "lon": _numbers(lon[located], 4),
            "v": vidx.tolist(),
            "d": loc["_date"].map(date_idx).fillna(-1).astype(int).tolist(),
            "p": _numbers(prec, 3),
            "tlat": _numbers(tlat.where(has_t), 4),
            "tlon": _numbers(tlon.where(has_t), 4),
            "tkm": _numbers(tkm, 2),
            "plat": _numbers(plat.where(has_p), 4),
            "plon": _numbers(plon.where(has_p), 4),
            "pkm": _numbers(pkm, 2),
            "id": pieces["id"],
            "reason": pieces["reason"],
            "src": pieces["src"],
            "url": [int(safe_url(u) is not None) for u in src.tolist()],
            "tname": pieces["tname"],
            "f": {col: pieces["f:" + col] for _, col in fields},
        }
        self.fields = [[lab, col] for lab, col in fields]
        self.bounds = (
            (float(lon[located].min()), float(lat[located].min()))
            + (float(lon[located].max()), float(lat[located].max()))
            if located.any()
            else None
        )
        self._zones(zones, table)
        if self.bounds is None and self.zone_bounds is not None:
            self.bounds = self.zone_bounds
        self.outlines = _outlines(self.bounds) if offline else None
        self.places = _places(self.bounds) if offline else None
        self.water = _water(self.bounds) if offline else None

    def _zones(self, zones: gpd.GeoDataFrame | None, table: ActorTable) -> None:
        self.controllers: dict[str, tuple[str, str, bool]] = {}
        self.zone_sources: list[str] = []
        self.zone_bounds = None
        self.zone_counts: list[int] = []
        if zones is None or len(zones) == 0:
            self.zones = {"type": "FeatureCollection", "features": []}
            return
        z = zones.reset_index(drop=True)
        for col in ("valid_from", "valid_to"):  # undated zones are valid on every date
            if col not in z.columns:
                z[col] = pd.NaT
        if z.crs is not None and not z.crs.equals("EPSG:4326"):
            z = z.to_crs("EPSG:4326")
        z = z[z.geometry.notna() & ~z.geometry.is_empty]
        # each zone is valid on a contiguous run of steps [first, last] (empty: last < first)
        steps = pd.to_datetime(pd.Series(self.dates, dtype=object)).to_numpy("datetime64[ns]")
        vfrom = pd.to_datetime(z["valid_from"], errors="coerce").dt.normalize()
        vto = pd.to_datetime(z["valid_to"], errors="coerce").dt.normalize()
        first = np.where(vfrom.isna(), 0, np.searchsorted(steps, vfrom.to_numpy(), "left"))
        last = np.where(
            vto.isna(), len(steps) - 1, np.searchsorted(steps, vto.to_numpy(), "right") - 1
        )
        span = {int(i): [int(a), int(b)] for i, a, b in zip(z.index, first, last, strict=True)}
        on_step = np.zeros(len(steps) + 1, dtype=np.int64)
        ok = last >= first
        np.add.at(on_step, first[ok], 1)
        np.add.at(on_step, last[ok] + 1, -1)
        per_step = np.cumsum(on_step)[: len(steps)]
        claim_step = {d: k for k, d in enumerate(self.dates)}
        self.zone_counts = [int(per_step[claim_step[d]]) for d in self.claim_dates]
        ctrl = _strings(_column(z, "controller"))
        labels = _label_map(ctrl, table, joint_word=True)
        # all zones' controllers, told apart from one another; figure and QGIS agree
        colors = style.zone_palette(zones, table)
        for c in pd.unique(ctrl):
            self.controllers[c] = (
                labels[ctrl == c].iloc[0] or "No control data",
                safe_color(colors[style.palette_key(c)]),
                len(style.controller_ids(c)) > 1,
            )
        src = _strings(_column(z, "source"))
        # a zone built from several control points lists their sources joined by "; "
        parts = src.str.split("; ").explode().str.strip()
        self.zone_sources = sorted(s for s in parts.unique() if isinstance(s, str) and s)
        vf = _iso_dates(_column(z, "valid_from"))
        vt = _iso_dates(_column(z, "valid_to"))
        self._zone_strings = list(pd.unique(pd.concat([labels, src], ignore_index=True)))
        sidx = {s: i for i, s in enumerate(self._zone_strings)}
        props = [
            {
                "c": self.controllers[c][1],
                "j": self.controllers[c][2],
                "l": sidx[lab],
                "s": sidx[s],
                "vf": f,
                "vt": t,
                "d": span[int(i)],
            }
            for i, c, lab, s, f, t in zip(z.index, ctrl, labels, src, vf, vt, strict=True)
        ]
        # zone strings are appended to the shared table after the strike strings
        base = len(self.strings)
        self.strings.extend(str(s) for s in self._zone_strings)
        for p in props:
            p["l"] += base
            p["s"] += base
        self.zones = _features(z.geometry.values, props, 5)
        b = z.total_bounds
        self.zone_bounds = tuple(float(x) for x in b) if np.all(np.isfinite(b)) else None

    def to_json(self, *, cluster: bool) -> str:
        n_lines = self.n_target_lines + self.n_stated_lines
        doc = {
            "strings": self.strings,
            "strikes": self.strikes,
            "fields": self.fields,
            "dates": self.dates,
            "claimDates": self.claim_dates,
            "zones": self.zones,
            "outlines": self.outlines,
            "places": self.places,
            "water": self.water,
            "waterColor": safe_color(style.WATER_COLOR),
            "riverColor": safe_color(style.RIVER_COLOR),
            "unplaced": self.unplaced,
            "verdicts": [
                {
                    "key": v,
                    "label": style.VERDICT_LABELS[v],
                    "color": safe_color(style.VERDICT_COLORS[v]),
                    "count": self.verdict_counts[v],
                }
                for v in style.VERDICTS
            ],
            "cluster": cluster,
            "labels": n_lines <= LABEL_LIMIT,
            "collapseLayers": True,
            "zoneOpacity": style.ZONE_FILL_OPACITY,
            "precisionOpacity": style.PRECISION_FILL_OPACITY,
            "targetColor": safe_color(style.TARGET_LINK_COLOR),
            "statedColor": safe_color(style.STATED_PLACE_LINK_COLOR),
            "kmPerMile": KM_PER_MILE,
            "landColor": safe_color(style.LAND_COLOR),
        }
        return script_json(doc)


# --------------------------------------------------------------------------- page parts
def _caption(p: _Payload, cluster: bool) -> str:
    parts = []
    if p.dates:
        span = p.dates[0] if len(p.dates) == 1 else f"{p.dates[0]} to {p.dates[-1]}"
        parts.append(f"{p.n_located} strike claim(s) dated {span} ({len(p.dates)} date(s)).")
    else:
        parts.append(f"{p.n_located} strike claim(s), undated.")
    c = p.verdict_counts
    parts.append(
        f"{c['consistent']} consistent, {c['inconsistent']} inconsistent, "
        f"{c['indeterminate']} indeterminate with the claimed target."
    )
    if p.n_unlocated:
        parts.append(
            f"{p.n_unlocated} claim(s) could not be placed and are not shown on the map "
            "(they are listed in the claims panel)."
        )
    srcs = p.zone_sources
    if srcs:
        shown = "; ".join(srcs[:3]) + (f" and {len(srcs) - 3} more" if len(srcs) > 3 else "")
        parts.append(f"Control zones valid on the date shown, from: {shown}.")
    else:
        parts.append("Control zones valid on the date shown (no source recorded).")
    if len(p.dates) > 1:
        parts.append(
            "The map opens on the first date with strikes and the zones valid on it; the "
            "date slider steps through the dates and zone windows. A date range draws the "
            "zones of its last date; strikes of dates with other zones are drawn hollow "
            "(each was checked against the zones of its own date)."
        )
    if p.places:
        parts.append("Town names: GeoNames.")
    if p.water:
        parts.append("Rivers and lakes: Natural Earth.")
    if cluster:
        parts.append("Strikes are clustered; distance lines can be switched on under Layers.")
    parts.append("Distances are geodesic (WGS 84). Made with geostrike.")
    return " ".join(parts)


def _legend_html(p: _Payload) -> str:
    items = []
    for v in style.VERDICTS:
        # the page rewrites the count when filters or the date change what is drawn
        items.append(
            f'<li><span class="gs-dot" style="background:{safe_color(style.VERDICT_COLORS[v])}">'
            f"</span><span>{escape(style.VERDICT_LABELS[v])} "
            f'(<span class="gs-count" data-v="{escape(v)}">{p.verdict_counts[v]}</span>)</span></li>'
        )
    out = [
        '<details open class="gs-legend-box"><summary>Legend</summary>',
        '<h2>Strikes on the map</h2><ul class="gs-legend-verdicts">',
        *items,
        "</ul>",
    ]
    if p.n_unlocated:
        out.append(
            f'<p class="gs-legend-unplaced">{p.n_unlocated} claim(s) could not be placed '
            "(listed in the claims panel).</p>"
        )
    if p.controllers:
        out.append('<h2>Held by</h2><ul class="gs-legend-controllers">')
        for label, color, joint in sorted(p.controllers.values()):
            cls = "gs-swatch gs-joint" if joint else "gs-swatch"
            out.append(
                f'<li><span class="{cls}" style="background:{safe_color(color)}"></span>'
                f"{escape(label)}</li>"
            )
        out.append("</ul>")
    out.append(
        "<h2>Lines</h2><ul>"
        f'<li><span class="gs-line" style="border-top-color:{safe_color(style.TARGET_LINK_COLOR)}">'
        "</span>to the nearest point of the claimed target&#x27;s territory</li>"
        f'<li><span class="gs-line gs-dotted" style="border-top-color:'
        f'{safe_color(style.STATED_PLACE_LINK_COLOR)}"></span>from the stated place</li>'
        '<li><span class="gs-dot" style="background:transparent"></span>'
        "faint circle: location precision</li>"
        + (
            '<li><span class="gs-dot gs-hollow"></span>hollow (date range): dated when other '
            "zones were valid than those drawn</li>"
            if len(p.dates) > 1
            else ""
        )
        + "</ul>"
    )
    base = []
    if p.places:
        base.append('<li><span class="gs-place-dot"></span>town (GeoNames, by population)</li>')
    if p.water:
        base.append(
            f'<li><span class="gs-river" style="border-top-color:{safe_color(style.RIVER_COLOR)}">'
            "</span>river, lake (Natural Earth)</li>"
        )
    if base:
        out.append("<h2>Base</h2><ul>" + "".join(base) + "</ul>")
    out.append("</details>")
    return "".join(out)


class _Raw(Element):
    """Text inserted into the page as is.

    branca wraps a macro's output in ``Element(text)``, which compiles the text as a Jinja
    template: data containing ``{{ ... }}`` or ``{% ... %}`` would then be evaluated (or
    crash the render). This element returns its text without parsing it.
    """

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _GeostrikeLayer(MacroElement):
    """Inlines the assets and the data, and starts the map app after Leaflet's map exists.

    Values are passed to the template as attributes (never as template source), already
    escaped, so that no data is ever parsed as Jinja or HTML.
    """

    _template = folium.template.Template(
        """
{% macro header(this, kwargs) %}{{ this.assets_css }}{{ this.assets_js }}{% endmacro %}
{% macro html(this, kwargs) %}
<div class="gs-title"><h1>{{ this.title_html }}</h1></div>
<div class="gs-legend leaflet-control" id="{{ this.get_name() }}-legend">{{ this.legend_html }}</div>
<div class="gs-caption leaflet-control" id="{{ this.get_name() }}-caption">{{ this.caption_html }}</div>
<script type="application/json" id="{{ this.get_name() }}-data">{{ this.data_json }}</script>
{% endmacro %}
{% macro script(this, kwargs) %}
geostrikeApp({{ this._parent.get_name() }},
  JSON.parse(document.getElementById("{{ this.get_name() }}-data").textContent),
  {{ this.tiles_var }}, "{{ this.get_name() }}");
{% endmacro %}
"""
    )

    def __init__(self, *, data_json: str, title: str, legend: str, caption: str, tiles_var: str):
        super().__init__()
        self._name = "GeostrikeLayer"
        css, js = _assets()
        self.assets_css = css
        self.assets_js = js
        self.data_json = data_json
        self.title_html = escape(title)
        self.legend_html = legend
        self.caption_html = escape(caption)
        self.tiles_var = tiles_var

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        module = self._template.module.__dict__
        for part in ("header", "html", "script"):
            text = str(module[part](self, kwargs))
            getattr(figure, part).add_child(_Raw(text), name=self.get_name())


def _doc_title(text: str) -> _Raw:
    """The page's <title>, escaped."""
    return _Raw("<title>" + escape(text) + "</title>")


# --------------------------------------------------------------------------- public API
def render_map(
    results: pd.DataFrame,
    zones: gpd.GeoDataFrame | str | Path | None,
    *,
    offline: bool = False,
    title: str | None = None,
    actors: ActorTable | str | Path | None = None,
) -> folium.Map:
    """Draw checked claims and the control zones as an annotated Leaflet map.

    Parameters
    ----------
    results
        Output of :func:`geostrike.engine.check` (columns ``OUTPUT_COLUMNS``); rows without a
        location are counted in the caption but not drawn.
    zones
        Control zones as returned by :func:`geostrike.read_zones` (or a path it reads);
        each date of the claims shows the zones valid on it (:func:`geostrike.inputs.zones.zones_on`).
    offline
        Base layer of Natural Earth outlines instead of OpenStreetMap tiles; the page then
        references nothing outside itself.
    title
        Heading of the map (escaped); defaults to a description of the data.
    actors
        Actor table (or path of a user CSV) for controller labels and colours.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (or ``Map.save``).
    """
    table = _actor_table(actors)
    if isinstance(zones, str | Path):
        from geostrike.inputs.zones import read_zones

        zones = read_zones(zones, actors=table)
    payload = _Payload(results, zones, table, offline=offline)
    cluster = payload.n_located > CLUSTER_THRESHOLD
    b = payload.bounds
    center = [(b[1] + b[3]) / 2, (b[0] + b[2]) / 2] if b else [30.0, 30.0]
    m = folium.Map(location=center, zoom_start=6 if b else 2, tiles=None, prefer_canvas=True)
    # folium's defaults load jQuery, Bootstrap, Font Awesome and Leaflet from CDNs; this map
    # needs none of them (Leaflet is inlined), so the page has no external script or style.
    m.default_js = []
    m.default_css = []
    tiles_var = "null"
    if not offline:
        tiles = folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False)
        tiles.add_to(m)
        tiles_var = tiles.get_name()
    if title is None:
        title = "Strike claims checked against control zones"
        if payload.dates:
            span = payload.dates[0]
            if len(payload.dates) > 1:
                span += " to " + payload.dates[-1]
            title += f", {span}"
    m.get_root().header.add_child(_doc_title(title), name="doc_title")
    _GeostrikeLayer(
        data_json=payload.to_json(cluster=cluster),
        title=title,
        legend=_legend_html(payload),
        caption=_caption(payload, cluster),
        tiles_var=tiles_var,
    ).add_to(m)
    m.geostrike_summary = {  # type: ignore[attr-defined]
        "located": payload.n_located,
        "unlocated": payload.n_unlocated,
        "dates": payload.claim_dates,
        "steps": payload.dates,
        "zones_per_date": payload.zone_counts,
        "places": len(payload.places["name"]) if payload.places else 0,
        "rivers": len(payload.water["rivers"]["features"]) if payload.water else 0,
        "lakes": len(payload.water["lakes"]["features"]) if payload.water else 0,
        "target_lines": payload.n_target_lines,
        "stated_lines": payload.n_stated_lines,
        "precision_circles": payload.n_precision,
        "clustered": cluster,
    }
    return m


def map_html(m: folium.Map) -> str:
    """The complete HTML page of a map."""
    return m.get_root().render()


def save_map(
    map_or_results: folium.Map | pd.DataFrame,
    path: str | Path,
    zones: gpd.GeoDataFrame | None = None,
    **kwargs: Any,
) -> Path:
    """Write a map (or render results first) to ``path``.

    ``.html`` writes the Leaflet page; ``.png``/``.svg``/``.pdf`` draw the static figure
    (:func:`geostrike.render.figure.draw_figure`), which needs results rather than a map.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext in (".png", ".svg", ".pdf"):
        if isinstance(map_or_results, folium.Map):
            raise OutputError(path, "a static figure is drawn from results, not from a map")
        from geostrike.render.figure import draw_figure

        return draw_figure(map_or_results, zones, path, **kwargs)
    if ext not in (".html", ".htm"):
        raise OutputError(path, "map output must end in .html, .png, .svg or .pdf")
    m = (
        map_or_results
        if isinstance(map_or_results, folium.Map)
        else render_map(map_or_results, zones, **kwargs)
    )
    text = map_html(m)
    with atomic_output(path) as tmp:
        tmp.write_bytes(text.encode("utf-8", "replace"))
    return path

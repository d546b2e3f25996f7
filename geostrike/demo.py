"""The flagship case, end to end: Russia's first air strikes in Syria, 30 Sep – 2 Oct 2015.

``run_demo(out_dir)`` runs the whole geostrike pipeline on the sample scenario shipped in
``geostrike/data/scenarios/syria-2015/`` (see its README and SOURCES.md):

1. control zones from town-level control points (two snapshots, 2015-09-30 and 2015-11-05)
   with :func:`geostrike.zones_from_points`, clipped to Syria's Natural Earth outline;
2. the 13 strike claims checked against them with :func:`geostrike.engine.check`;
3. the verdict table as CSV, an offline Leaflet map (:func:`geostrike.render_map`) and a
   styled GeoPackage for QGIS (:func:`geostrike.export_gpkg`), all written atomically;
4. claims extracted from the scenario's short report of the first days' strikes
   (``report.txt``, written for geostrike from the sources in SOURCES.md), checked too.

Everything runs offline. The zones are an approximate reconstruction from town-level
control points, not a front-line survey, and every output says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geostrike.errors import OutputError
from geostrike.geodesy import format_km, km_mi, round_km
from geostrike.io import atomic_output
from geostrike.render.table import format_km_text

#: Stem of every output file.
STEM = "syria-2015-09-30"
#: Folder of the scenario inside the package data.
SCENARIO = "syria-2015"
#: Date of the reference report (the strikes it describes happened "on Wednesday", 30 Sep).
REPORT_DATE = "2015-10-01"
#: The scenario's short report of the first days' strikes (see SOURCES.md).
REPORT_NAME = "report.txt"

#: What the zones are, stated wherever they are shown.
ZONES_LABEL = (
    "Approximate reconstruction from town-level control points (Voronoi cells clipped to "
    "Syria's Natural Earth outline), not a front-line survey; towns per the Carter Center / "
    "Wikipedia detailed map, ISW, Reuters and AFP/SOHR (see the scenario's SOURCES.md)"
)
TITLE = (
    "Russia's first air strikes in Syria, 30 Sep - 2 Oct and 5 Nov 2015: claims vs. "
    "approximate control zones (reconstructed from town-level control points, "
    "not a front-line survey)"
)


def scenario_dir() -> Path:
    """Folder of the Syria 2015 sample data inside the installed package."""
    return Path(str(resources.files("geostrike.data"))) / "scenarios" / SCENARIO


def find_report(extra: list[Path] | None = None) -> Path | None:
    """The report the demo extracts from: the first of ``extra`` that exists, else the
    scenario's ``report.txt`` (shipped in the package)."""
    for cand in [*(extra or []), scenario_dir() / REPORT_NAME]:
        if Path(cand).is_file():
            return Path(cand)
    return None


@dataclass
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    out_dir
        Folder the files were written to.
    csv, html, gpkg
        Paths of the verdict table, the map and the GeoPackage (None when not written).
    results
        The check result (one row per claim, ``geostrike.engine.check`` columns).
    zones
        The control zones built from the points (both snapshots).
    points
        The control points as read.
    summary
        Figures behind the summary paragraph (counts, median distance in km and miles).
    report_path
        The news report the extraction read, or None.
    extracted
        What :func:`geostrike.text.claims` returned for the report, or None.
    extracted_results
        The extracted candidate claims checked against the zones, or None.
    notes
        Steps skipped or worked around, one sentence each.
    """

    out_dir: Path
    csv: Path
    html: Path | None
    gpkg: Path | None
    results: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    points: pd.DataFrame
    summary: dict[str, Any]
    report_path: Path | None = None
    extracted: Any = None
    extracted_results: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        """The verdict table as plain text."""
        return verdict_table(self.results)

    def paragraph(self) -> str:
        """The one-paragraph summary."""
        return summary_paragraph(self.summary)

    def report(self) -> str:
        """Everything the ``demo`` command prints."""
        lines = [
            "geostrike demo: Russia's first air strikes in Syria (30 Sep - 2 Oct, 5 Nov 2015)",
            "",
            self.table(),
            "",
            self.paragraph(),
            "",
            f"Zones: {ZONES_LABEL}.",
            "",
        ]
        lines += extraction_report(self)
        lines.append("")
        lines.append("Wrote:")
        for path in (self.csv, self.html, self.gpkg):
            if path is not None:
                lines.append(f"  {path}")
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- pipeline
def build_zones(points: pd.DataFrame | str | Path | None = None) -> gpd.GeoDataFrame:
    """Control zones of the scenario: Voronoi cells of the points clipped to Syria."""
    from geostrike.inputs.zones import zones_from_points
    from geostrike.places.outlines import country_outline

    if points is None:
        points = scenario_dir() / "control_points.csv"
    if not isinstance(points, pd.DataFrame):
        points = pd.read_csv(points, dtype={"geonames_id": "string"}, keep_default_na=False)
        points["latitude"] = pd.to_numeric(points["latitude"])
        points["longitude"] = pd.to_numeric(points["longitude"])
    zones = zones_from_points(points, boundary=country_outline("SY")).copy()
    zones["source"] = ZONES_LABEL
    return zones


def run_demo(out_dir: str | Path = "maps", *, report: str | Path | None = None) -> DemoResult:
    """Run the flagship case end to end and write its three files into ``out_dir``.

    Parameters
    ----------
    out_dir
        Output folder (created when missing, like ``maps/`` in a fresh clone).
    report
        Path of the news report to extract claims from; by default the scenario's own
        ``report.txt`` (shipped with the package, so a fresh clone shows extraction).

    Returns
    -------
    DemoResult
        Paths, the check result, the zones and the summary figures.
    """
    from geostrike.engine.check import check
    from geostrike.inputs.claims import read_claims

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(out, f"cannot create the output folder: {exc.strerror}") from None
    notes: list[str] = []

    data = scenario_dir()
    points = pd.read_csv(
        data / "control_points.csv", dtype={"geonames_id": "string"}, keep_default_na=False
    )
    points["latitude"] = pd.to_numeric(points["latitude"])
    points["longitude"] = pd.to_numeric(points["longitude"])
    zones = build_zones(points)
    claims = read_claims(data / "claims.csv")
    results = check(claims, zones)

    csv_path = out / f"{STEM}.csv"
    write_csv(results, csv_path)

    html_path: Path | None = out / f"{STEM}.html"
    try:
        from geostrike.render.maps import render_map, save_map

        m = render_map(results, zones, offline=True, title=TITLE)
        save_map(m, html_path)
    except ImportError as exc:  # the maps module is not there yet
        notes.append(f"map not written: {exc}")
        html_path = None

    gpkg_path: Path | None = out / f"{STEM}.gpkg"
    try:
        write_gpkg(results, zones, gpkg_path)
    except ImportError as exc:
        notes.append(f"GeoPackage not written: {exc}")
        gpkg_path = None

    result = DemoResult(
        out_dir=out,
        csv=csv_path,
        html=html_path,
        gpkg=gpkg_path,
        results=results,
        zones=zones,
        points=points,
        summary=summarise(results),
        notes=notes,
    )
    _extract_report(result, zones, report)
    return result


def write_gpkg(results: pd.DataFrame, zones: gpd.GeoDataFrame, path: Path) -> Path:
    """The styled GeoPackage (:func:`geostrike.export_gpkg`), its zone layer described.

    The export goes to a temporary file; the ``control_zones`` layer's description in the
    standard ``gpkg_contents`` table then says what the zones are (QGIS and ``ogrinfo``
    show it), and only the finished file is renamed into place.
    """
    import sqlite3

    from geostrike.render.qgis import export_gpkg

    with atomic_output(path) as tmp:
        export_gpkg(results, zones, tmp)
        con = sqlite3.connect(tmp)
        try:
            with con:
                con.execute(
                    "UPDATE gpkg_contents SET description = ? WHERE table_name = 'control_zones'",
                    (ZONES_LABEL,),
                )
        finally:
            con.close()
    return path


def write_csv(results: pd.DataFrame, path: Path) -> Path:
    """The verdict table as UTF-8 CSV (no geometry column), written atomically."""
    df = pd.DataFrame(results).drop(columns=["geometry"], errors="ignore")
    with atomic_output(path) as tmp:
        df.to_csv(tmp, index=False, encoding="utf-8")
    return path


def _extract_report(result: DemoResult, zones: gpd.GeoDataFrame, report: str | Path | None) -> None:
    path = Path(report) if report is not None else find_report()
    if path is None or not path.is_file():
        result.notes.append(f"report {path or REPORT_NAME} not found; extraction skipped")
        return
    try:
        from geostrike.text.claims import extract
    except ImportError as exc:
        result.notes.append(f"extraction skipped: {exc}")
        return
    from geostrike.engine.check import check

    result.report_path = path
    text = path.read_text(encoding="utf-8", errors="replace")
    result.extracted = extract(text, date=REPORT_DATE)
    cands = _candidate_frame(result.extracted)
    if cands is not None and len(cands):
        located = _with_mention_precision(cands, result.extracted)
        try:
            result.extracted_results = check(located, zones)
        except Exception as exc:  # a malformed candidate must not sink the demo
            result.notes.append(f"extracted claims could not be checked: {exc}")


# --------------------------------------------------------------------------- figures
def _ids(value: Any) -> set[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return set()
    return {p for p in str(value).split(";") if p}


def summarise(results: pd.DataFrame) -> dict[str, Any]:
    """Figures for the summary: claimed Islamic State strikes and where they fell.

    ``elsewhere`` counts the strikes claimed against Islamic State that the check found
    ``inconsistent``: placed precisely enough, in territory held by other actors only, and
    farther than precision + tolerance from any Islamic State territory on their date.
    ``median_km`` is the median geodesic distance from those strikes to the nearest Islamic
    State territory. Coarsely located claims (``indeterminate``) are counted apart.
    """
    target = results["target"].map(_ids)
    controller = results["controller"].map(_ids)
    is_claim = target.map(lambda t: t == {"islamic_state"})
    located = results["status"].eq("ok")
    in_is = controller.map(lambda c: "islamic_state" in c)
    elsewhere = is_claim & located & results["verdict"].eq("inconsistent")
    undecided = is_claim & located & results["verdict"].eq("indeterminate")
    dist = pd.to_numeric(results.loc[elsewhere, "distance_to_target_km"], errors="coerce")
    dist = dist[np.isfinite(dist)]
    median_km = float(np.median(dist)) if len(dist) else float("nan")
    verdicts = results["verdict"].value_counts().to_dict()
    return {
        "claims": int(len(results)),
        "is_claims": int(is_claim.sum()),
        "is_located": int((is_claim & located).sum()),
        "elsewhere": int(elsewhere.sum()),
        "in_is": int((is_claim & located & in_is).sum()),
        "undecided": int(undecided.sum()),
        "undecided_ids": results.loc[undecided, "id"].astype(str).tolist(),
        "elsewhere_ids": results.loc[elsewhere, "id"].astype(str).tolist(),
        "median_km": median_km,
        "median_mi": float(km_mi(median_km)),
        "min_km": float(dist.min()) if len(dist) else float("nan"),
        "max_km": float(dist.max()) if len(dist) else float("nan"),
        "verdicts": {str(k): int(v) for k, v in verdicts.items()},
    }


def summary_paragraph(s: dict[str, Any]) -> str:
    """One paragraph a journalist could quote, from :func:`summarise` figures."""
    if not s["is_claims"]:
        return "No claim in the data names Islamic State as its target."
    v = s["verdicts"]
    text = (
        f"Of {s['is_claims']} strikes the Russian Ministry of Defence said targeted Islamic "
        f"State, {s['elsewhere']} fell in territory held by other groups on the day, away from "
        f"any Islamic State territory, and {s['in_is']} in Islamic State territory."
    )
    if s["elsewhere"]:
        text += (
            f" The median distance from those {s['elsewhere']} strike locations to the nearest "
            f"Islamic State territory was {format_km(s['median_km'])}, "
            f"from {round_km(s['min_km'])} to {round_km(s['max_km'])} km."
        )
    if s["undecided"]:
        n = s["undecided"]
        text += (
            f" {n} claim{'s' if n > 1 else ''} ({', '.join(s['undecided_ids'])}) "
            f"{'were' if n > 1 else 'was'} located too coarsely to decide."
        )
    text += (
        f" Over all {s['claims']} claims: {v.get('consistent', 0)} consistent, "
        f"{v.get('inconsistent', 0)} inconsistent, {v.get('indeterminate', 0)} indeterminate "
        "with the target as claimed. The zones are an approximate reconstruction from "
        "town-level control points, not a front-line survey."
    )
    return text


def verdict_table(results: pd.DataFrame) -> str:
    """A fixed-width table: claim, date, place, controller, target, verdict, distances."""
    cols = [
        ("id", "claim"),
        ("date", "date"),
        ("place", "reported place"),
        ("controller", "held by"),
        ("target", "claimed target"),
        ("verdict", "verdict"),
        ("_dist", "to target territory"),
        ("_stated", "to stated place"),
    ]
    df = pd.DataFrame(results).copy()
    dist = pd.to_numeric(df["distance_to_target_km"], errors="coerce")
    df["_dist"] = dist.map(format_km_text).where(dist.ne(0), "0 (inside)")
    df["_stated"] = df["distance_to_stated_place_km"].map(format_km_text)
    rows = [[_cell(r.get(c)) for c, _ in cols] for r in df.to_dict("records")]
    head = [h for _, h in cols]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NaT:
        return ""
    text = str(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


# --------------------------------------------------------------------------- extraction
def _candidate_frame(extracted: Any) -> pd.DataFrame | None:
    """Candidate claims from what :func:`geostrike.text.claims` returned, as a claims frame."""
    frame = getattr(extracted, "claims_frame", None)
    if callable(frame):
        return frame().reset_index(drop=True)
    claims = getattr(extracted, "claims", None)
    if claims is None and isinstance(extracted, dict):
        claims = extracted.get("claims")
    if claims is None:
        return None
    if isinstance(claims, pd.DataFrame):
        return claims.reset_index(drop=True)
    rows = [c.to_dict() if hasattr(c, "to_dict") else dict(c) for c in claims]
    return pd.DataFrame(rows) if rows else None


def _with_mention_precision(cands: pd.DataFrame, extracted: Any) -> pd.DataFrame:
    """Give region-level candidates the precision the extraction resolved them with.

    The extraction leaves wide phrases such as "northern Homs" without coordinates for the
    checker's geocoder; the checker's reading of the phrase can be narrower than the
    extraction's (a town-centred region instead of the province). Where a candidate has
    no precision, the radius of the extraction's own place mention for that phrase is used,
    so the check is not more confident about the location than the text allows.
    """
    if "precision" not in cands.columns or "place" not in cands.columns:
        return cands
    radius: dict[str, float] = {}
    for m in _mentions(extracted):
        phrase = _get(m, "phrase") or _get(m, "text")
        pk = _get(m, "precision_km")
        if _get(m, "kind") == "place" and phrase and pk is not None:
            radius[str(phrase)] = max(float(pk), radius.get(str(phrase), 0.0))
    out = cands.copy()
    empty = out["precision"].isna() | out["precision"].astype(str).str.strip().eq("")
    fill = out["place"].astype(str).map(radius)
    use = empty & fill.notna()
    out.loc[use, "precision"] = fill[use].map(lambda km: f"{km:.1f} km")
    return out


def _mentions(extracted: Any) -> list[Any]:
    ms = getattr(extracted, "mentions", None)
    if ms is None and isinstance(extracted, dict):
        ms = extracted.get("mentions")
    return list(ms or [])


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def extraction_report(res: DemoResult) -> list[str]:
    """Lines describing what the extraction found in the reference report."""
    if res.extracted is None:
        return ["Text extraction: skipped (see notes)."]
    lines = [f"Extracted from {res.report_path} (report date {REPORT_DATE}):"]
    places = [m for m in _mentions(res.extracted) if _get(m, "kind") == "place"]
    spellings: dict[str, list[str]] = {}
    for m in places:
        name, cc = _get(m, "name"), _get(m, "country_code")
        text = str(_get(m, "phrase") or _get(m, "text"))
        kind = _get(m, "precision")
        key = (f"{name} ({cc})" if cc else str(name)) if name else "unresolved"
        if name and kind in ("admin1", "region"):
            key += f" [{'province' if kind == 'admin1' else 'region'}]"
        seen = spellings.setdefault(key, [])
        if text not in seen:
            seen.append(text)
    found = [f"{k} <- {', '.join(v)}" for k, v in spellings.items()]
    lines.append(f"  {len(places)} place mentions:" + ("" if found else " none"))
    lines += [f"    {f}" for f in found]
    cands = _candidate_frame(res.extracted)
    if cands is None or cands.empty:
        lines.append("  candidate claims: none")
        return lines
    lines.append(f"  candidate claims: {len(cands)}")
    checked = res.extracted_results
    for i, row in enumerate(cands.to_dict("records")):
        desc = (
            f"    {row.get('date') or '?'}: {row.get('attacker') or '?'} -> "
            f"{row.get('claimed_target') or '?'} at {row.get('place') or '?'}"
        )
        if checked is not None and i < len(checked):
            r = checked.iloc[i]
            desc += f" => {r.get('verdict')}: {r.get('reason')}"
        lines.append(desc)
    return lines

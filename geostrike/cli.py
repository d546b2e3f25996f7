"""The ``geostrike`` command: a thin layer over the Python API.

Each command parses its arguments, calls the API and prints or writes the result. Every
:class:`geostrike.errors.GeostrikeError` becomes a one-line message on stderr and exit
status 2; usage errors also exit 2 (click's convention). Heavy libraries are imported
inside the commands so that ``geostrike geocode`` starts quickly.

Why one module of ~900 lines: it is the declaration of every command and option (click's
decorators), each command a few lines calling the API; the shared options and the
one-line error handling are defined once here for all of them.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from geostrike.errors import GeostrikeError

if TYPE_CHECKING:  # pragma: no cover
    from geostrike.engine.options import CheckOptions
    from geostrike.inputs.actors import ActorTable


class _Group(click.Group):
    """A click group that turns GeostrikeError into a one-line message and exit 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except GeostrikeError as exc:
            click.echo(f"geostrike: error: {exc}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("geostrike: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="geostrike")
def cli() -> None:
    """Check air-strike claims against dated control zones, offline."""


_actors_opt = click.option(
    "--actors",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV actor table extending the built-in one (id,label,members,color,aliases).",
)


def _km(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """A finite tolerance from 0 to geostrike.engine.check.MAX_TOLERANCE_KM (nan, inf: refused)."""
    from geostrike.engine.options import check_km
    from geostrike.errors import InputError

    try:
        return check_km(value)
    except InputError as exc:
        raise click.BadParameter(exc.problem.replace("tolerance_km ", "")) from None


_tolerance_opt = click.option(
    "--tolerance-km",
    type=float,
    callback=_km,
    default=5.0,
    show_default=True,
    help="Distance within which a strike still counts as on the target's territory (0 to 1000 km).",
)
_force_opt = click.option(
    "--force",
    is_flag=True,
    help="Write the output even where it is one of the input files (replaced once read).",
)


def _setup(
    output: str,
    force: bool,
    claims_path: str,
    zones_path: str,
    actors: str | None,
    tolerance_km: float,
    date_order: str | None,
    context: tuple[str, ...],
) -> tuple[CheckOptions, ActorTable]:
    """The check options and the actor table of ``map`` and ``export``, after refusing to
    overwrite an input with the output."""
    from geostrike.engine.options import CheckOptions
    from geostrike.inputs.actors import load_actors

    options = CheckOptions(
        tolerance_km=tolerance_km, date_order=date_order, country=_context_codes(context)
    )
    _refuse_overwriting_inputs(output, force, claims=claims_path, zones=zones_path, actors=actors)
    return options, load_actors(actors)


def _refuse_overwriting_inputs(output: str | None, force: bool, **inputs: str | None) -> None:
    """OutputError when ``output`` is one of the input files, unless ``force``."""
    import os

    from geostrike.errors import OutputError

    if output is None or force or not os.path.exists(output):
        return
    for what, path in inputs.items():
        if path and os.path.exists(path) and os.path.samefile(output, path):
            raise OutputError(
                output, f"is the {what} file of this run; give another output, or --force"
            )


def _echo_warnings(caught: list) -> None:
    """Each distinct UserWarning once, one line each (library noise such as numeric
    RuntimeWarnings is dropped: the rows it concerns carry their own status)."""
    seen: set[str] = set()
    for w in caught:
        text = " ".join(str(w.message).split())
        if issubclass(w.category, UserWarning) and text not in seen:
            seen.add(text)
            click.echo(f"geostrike: warning: {text}", err=True)


_context_opt = click.option(
    "--country",
    "context",
    multiple=True,
    metavar="CC",
    help="Look place names up in this country (ISO 3166-1 alpha-2; repeat or comma-separate"
    " for several). Default: the countries the zones cover. A 'country' column wins.",
)


def _context_codes(context: tuple[str, ...]) -> tuple[str, ...] | None:
    """The --country codes, checked; None when not given."""
    codes = [c.strip().upper() for item in context for c in item.split(",") if c.strip()]
    for c in codes:
        if not (len(c) == 2 and c.isalpha()):
            raise click.BadParameter(
                f"{c!r} is not an ISO 3166-1 alpha-2 code", param_hint="--country"
            )
    return tuple(dict.fromkeys(codes)) or None


_zones_opt = click.option(
    "--zones",
    "zones_path",
    required=True,
    type=click.Path(),
    help="Control zones (any GDAL vector file).",
)


_date_order_opt = click.option(
    "--date-order",
    type=click.Choice(["dmy", "mdy"]),
    default=None,
    help="How to read numeric dates such as 05/06/2016 (claims and zones): day/month/year "
    "or month/day/year. Needed when no row of a column settles it.",
)


def _zone_read_opts(fn):  # type: ignore[no-untyped-def]
    """Options naming how a zones file is read (geostrike.inputs.zones.read_zones)."""
    opts = [
        click.option("--layer", default=None, help="Layer of a multi-layer zones file."),
        click.option("--from-column", default=None, help="Zones column: window start."),
        click.option("--to-column", default=None, help="Zones column: window end (inclusive)."),
        click.option("--date-column", default=None, help="Zones column: snapshot date."),
        click.option(
            "--stale-after-days",
            type=click.IntRange(min=0),
            default=None,
            help="Days past the last snapshot for which open-ended zones still count "
            "(default 90); later claims are indeterminate.",
        ),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _zone_read_kwargs(kw: dict) -> dict:
    """Pop the :func:`_zone_read_opts` values from a command's keyword arguments."""
    return {
        k: kw.pop(k)
        for k in (
            "layer",
            "from_column",
            "to_column",
            "date_column",
            "stale_after_days",
        )  # fmt: skip
    }


class _Warnings:
    """Record warnings (and set the date order) for a command; print each warning as one
    ``geostrike: warning:`` line on stderr at the end, also when the command fails."""

    def __init__(self, date_order: str | None = None) -> None:
        import warnings

        from geostrike.inputs.claims import date_order as order_ctx

        self._catch = warnings.catch_warnings(record=True)
        self._order = order_ctx(date_order)

    def __enter__(self) -> None:
        import warnings

        self._caught = self._catch.__enter__()
        warnings.simplefilter("always")
        self._order.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._order.__exit__(*exc)
        self._catch.__exit__(*exc)
        _echo_warnings(self._caught)


# --------------------------------------------------------------------------- geocode
@cli.command()
@click.argument("queries", nargs=-1, required=True)
@click.option(
    "--country",
    "countries",
    multiple=True,
    metavar="CC",
    help="ISO 3166-1 alpha-2 code of the country to look in, e.g. SY (one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines.")
def geocode(queries: tuple[str, ...], countries: tuple[str, ...], as_json: bool) -> None:
    """Geocode place names (QUERY of '-' reads one per line from stdin)."""
    import json

    codes = _context_codes(countries) or ()
    if len(codes) > 1:  # never one of them silently: say what to do instead
        raise click.BadParameter(
            f"geocode looks in one country; got {', '.join(codes)} (check, map and export "
            "take several, and flag names found far apart in them as ambiguous)",
            param_hint="--country",
        )
    country = codes[0] if codes else None
    items: list[str] = []
    for q in queries:
        if q == "-":
            items.extend(line.rstrip("\r\n") for line in sys.stdin)
        else:
            items.append(q)
    from geostrike.places.geocoder import geocode_many

    keys = ("name", "latitude", "longitude", "country_code", "admin1", "feature_code",
            "population", "gazetteer_id", "precision", "precision_km", "score",
            "candidates", "ambiguity")  # fmt: skip
    for q, m in zip(items, geocode_many(items, country=country), strict=True):
        if as_json:
            from geostrike.places.geocoder import alternatives

            rec = {"query": q, "found": m is not None}
            rec.update({k: (getattr(m, k) if m is not None else None) for k in keys})
            rec["alternatives"] = alternatives(m) if m is not None else None
            click.echo(json.dumps(rec, ensure_ascii=False))
        elif m is None:
            click.echo(f"{q}\tnot found")
        else:
            where = ", ".join(x for x in (m.name, m.admin1, m.country_code) if x)
            click.echo(
                f"{q}\t{m.latitude:.5f}\t{m.longitude:.5f}\t{where}\t{m.feature_code}"
                f"\t{m.precision} ±{m.precision_km:g} km\tscore {m.score:g}"
                + (f"\tAMBIGUOUS: {m.ambiguity}" if m.ambiguity else "")
            )


# --------------------------------------------------------------------------- gazetteer
@cli.group()
def gazetteer() -> None:
    """Manage the local gazetteer."""


@gazetteer.command("import")
@click.argument("dump", type=click.Path())
@click.option("--alternate-names", type=click.Path(), default=None)
def gazetteer_import(dump: str, alternate_names: str | None) -> None:
    """Import a GeoNames dump (country file or allCountries.txt)."""
    from geostrike.places.gazetteer import import_geonames

    meta = import_geonames(dump, alternate_names=alternate_names, progress=True)
    click.echo(
        f"imported {meta['n']:,} places from {dump} into {meta['path']}"
        + (f" ({meta['skipped_lines']:,} malformed lines skipped)" if meta["skipped_lines"] else "")
    )


@gazetteer.command("info")
def gazetteer_info() -> None:
    """Say what gazetteer data is loaded, from where, how many places."""
    from geostrike.places.gazetteer import cache_dir, data_dir, load_gazetteer, supplement_dir

    gaz = load_gazetteer()
    n_parts = len(gaz.parts)
    click.echo(
        f"{len(gaz):,} places in {n_parts} part{'s' if n_parts != 1 else ''}"
        " (first listed wins ties)"
    )
    for part in gaz.info():
        click.echo(
            f"  {part['source']}: {part['n']:,} places, {part['names']:,} names"
            f" (built {part.get('built', '?')})\n    from {part.get('file', '?')}\n"
            f"    index {part['path']}"
        )
    click.echo(f"user data dir: {data_dir()}  (GEOSTRIKE_DATA_DIR)")
    click.echo(f"cache dir: {cache_dir()}  (GEOSTRIKE_CACHE_DIR)")
    click.echo(f"supplement: {supplement_dir()}")


# --------------------------------------------------------------------------- check
@cli.command()
@click.argument("claims_path", metavar="CLAIMS", type=click.Path())
@_zones_opt
@click.option("-o", "--output", type=click.Path(), default=None)
@_tolerance_opt
@_actors_opt
@_context_opt
@click.option("--engine", type=click.Choice(["memory", "dask"]), default="memory")
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler.")
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=None,
    help="Stream the claims in chunks of this many rows (constant memory; needs -o).",
)
@_date_order_opt
@_zone_read_opts
@click.option(
    "--csv-safe/--no-csv-safe",
    default=True,
    show_default=True,
    help="In a CSV output, put ' before text cells starting with = + - @ (spreadsheet formulas).",
)
@_force_opt
def check(
    claims_path: str,
    zones_path: str,
    output: str | None,
    tolerance_km: float,
    actors: str | None,
    context: tuple[str, ...],
    engine: str,
    scheduler: str | None,
    chunk_size: int | None,
    date_order: str | None,
    csv_safe: bool,
    force: bool,
    **zone_opts: object,
) -> None:
    """Check claims against control zones and print or write verdicts."""
    from geostrike.engine import check as engine_mod
    from geostrike.engine.options import CheckOptions
    from geostrike.inputs.actors import load_actors
    from geostrike.inputs.zones import read_zones
    from geostrike.render.table import format_table, summary, write_result

    options = CheckOptions(
        tolerance_km=tolerance_km,
        date_order=date_order,
        country=_context_codes(context),
        csv_safe=csv_safe,
    )  # built once; every engine gets all of it
    zone_kw = _zone_read_kwargs(zone_opts)
    _refuse_overwriting_inputs(output, force, claims=claims_path, zones=zones_path, actors=actors)
    from geostrike.engine import tuned_memory

    with _Warnings(date_order), tuned_memory():
        from geostrike.engine.stream import should_stream  # large files stream without --chunk-size

        table = load_actors(actors)
        prepared = engine_mod.prepare_zones(
            read_zones(zones_path, actors=table, cache=True, **zone_kw), actors=table
        )
        streamed = engine == "dask" or chunk_size is not None or should_stream(claims_path, output)
        if streamed:
            # distributed / streaming engines: issue 8 (geostrike.engine.distributed)
            from geostrike.engine.distributed import check_dask

            result = check_dask(
                claims_path,
                prepared,
                output=output,
                actors=actors,
                scheduler=scheduler,
                chunk_size=chunk_size,
                engine=engine,
                options=options,
            )
        else:
            # no Shapely points in the engine: write_result makes them for formats that need them
            result = engine_mod.check(
                claims_path, prepared, actors=table, options=options.but(points=False)
            )
            if output:
                write_result(
                    result, output, zones=prepared, actors=table, csv_safe=options.csv_safe
                )
    if result is not None:
        if not output:
            click.echo(format_table(result))
        click.echo(summary(result))
    if output:
        click.echo(f"wrote {output}", err=True)


# --------------------------------------------------------------------------- zones
@cli.group()
def zones() -> None:
    """Build and inspect control zones."""


@zones.command("from-points")
@click.argument("points", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path())
@click.option("--boundary", type=click.Path(), default=None)
@click.option(
    "--reach-km",
    type=click.FloatRange(min=0, min_open=True, max=5000),
    default=40.0,
    show_default=True,
    help="How far a cell reaches from its control point (geodesic); beyond every point's "
    "reach the ground is unmapped.",
)
@click.option("--date-column", default=None, help="The snapshot-date column.")
@_date_order_opt
@_actors_opt
def zones_from_points(
    points: str,
    output: str,
    boundary: str | None,
    reach_km: float,
    date_column: str | None,
    date_order: str | None,
    actors: str | None,
) -> None:
    """Build zones as Voronoi cells of town-level control points, each reaching at most
    --reach-km from its point."""
    from geostrike.inputs.actors import load_actors
    from geostrike.inputs.zones import write_zones, zone_areas_km2
    from geostrike.inputs.zones import zones_from_points as build

    with _Warnings(date_order):
        result = build(
            points,
            boundary=boundary,
            actors=load_actors(actors),
            reach_km=reach_km,
            date_column=date_column,
        )
        write_zones(result, output)
    dates = sorted({str(d.date()) for d in result["valid_from"].dropna()})
    click.echo(
        f"wrote {output}: {len(result)} zones, {result['controller'].nunique()} controllers, "
        f"{len(dates) or 1} snapshot(s), reach {reach_km:g} km"
    )
    area = result.assign(area=zone_areas_km2(result.geometry.values))
    day = area["valid_from"].dt.strftime("%Y-%m-%d").fillna("undated")
    for when, grp in area.groupby(day, sort=True):
        per = grp.groupby("controller")["area"].sum()
        click.echo(f"  {when}: " + ", ".join(f"{c} {a:,.0f} km²" for c, a in per.items()))


@zones.command("info")
@click.argument("zones_path", metavar="ZONES", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_date_order_opt
@_zone_read_opts
@_actors_opt
def zones_info(
    zones_path: str, as_json: bool, date_order: str | None, actors: str | None, **zone_opts: object
) -> None:
    """Controllers, snapshots and their windows, area per controller, gaps, overlaps, extent."""
    import json

    from geostrike.inputs.actors import load_actors
    from geostrike.inputs.zones import format_zones_info, read_zones
    from geostrike.inputs.zones import zones_info as info_of

    zone_kw = _zone_read_kwargs(zone_opts)
    zone_kw.pop("stale_after_days")
    with _Warnings(date_order):
        info = info_of(read_zones(zones_path, actors=load_actors(actors), **zone_kw))
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False))
    else:
        click.echo(format_zones_info(info))


# zones from published archives (issue 15): geostrike/inputs/snapshots.py, kml.py, esri.py
@zones.command("from-snapshots")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path())
@click.option("--controller", default=None, help="The actor holding every feature.")
@click.option("--controller-property", default=None, help="Property naming the controller.")
@click.option(
    "--map",
    "map_items",
    multiple=True,
    help="VALUE=ACTOR (repeatable): a property value, KML name, folder, style id or "
    "#rrggbb colour → actor; ACTOR '-' skips such features.",
)
@click.option("--map-file", type=click.Path(), default=None, help="CSV: value,controller.")
@click.option("--date-property", default=None, help="Property holding each feature's date.")
@click.option("--from-property", default=None, help="Property: first day of a feature's window.")
@click.option("--to-property", default=None, help="Property: last day of a feature's window.")
@click.option(
    "--date-order",
    type=click.Choice(["dmy", "mdy"]),
    default=None,
    help="How to read file names like 08-07-2024.",
)
@click.option("--until", default=None, help="Last day of the last snapshot (YYYY-MM-DD).")
@click.option("--rest", default=None, help="Actor holding the rest of the country.")
@click.option("--within", default=None, help="Country (ISO code or name) or boundary file.")
@click.option(
    "--max-gap",
    type=click.IntRange(min=1),
    default=None,
    help="Leave steps longer than this many days without zones instead of bridging them.",
)
@click.option(
    "--sliver-km",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="Pieces of the rest narrower than this (where layer and outline draw a border "
    "apart) get no zone; 0 keeps them.",
)
@_actors_opt
def zones_from_snapshots(
    paths: tuple[str, ...],
    output: str,
    controller: str | None,
    controller_property: str | None,
    map_items: tuple[str, ...],
    map_file: str | None,
    date_property: str | None,
    from_property: str | None,
    to_property: str | None,
    date_order: str | None,
    until: str | None,
    rest: str | None,
    within: str | None,
    max_gap: int | None,
    sliver_km: float,
    actors: str | None,
) -> None:
    """Build zones from dated snapshot files, KML/KMZ or Esri JSON (folder, glob or files)."""
    import warnings
    from pathlib import Path

    from geostrike.errors import OutputError
    from geostrike.inputs.actors import load_actors
    from geostrike.inputs.snapshots import ArchiveReport, parse_mapping, zones_from_snapshots
    from geostrike.inputs.zones import ZONE_FORMATS, write_zones

    out_path = Path(output)  # fail before the work, not after it
    if out_path.suffix.lower() not in ZONE_FORMATS:
        raise OutputError(output, "unknown zones extension; use .gpkg, .geojson, .fgb or .parquet")
    if str(out_path.parent) and not out_path.parent.is_dir():
        raise OutputError(output, f"folder {str(out_path.parent)!r} does not exist")
    if until is not None:
        import pandas as pd

        from geostrike.inputs.claims import parse_dates

        parsed = parse_dates(pd.Series([until])).iloc[0]
        if pd.isna(parsed):
            raise click.BadParameter(f"{until!r} is not a date", param_hint="--until")
        until = str(parsed.date())
    rep = ArchiveReport()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = zones_from_snapshots(
            list(paths),
            controller=controller,
            controller_property=controller_property,
            mapping=parse_mapping(map_items, map_file),
            date_property=date_property,
            window_properties=(from_property, to_property),
            date_order=date_order,
            until=until,
            rest=rest,
            within=within,
            max_gap_days=max_gap,
            sliver_km=sliver_km,
            actors=load_actors(actors),
            report=rep,
        )
        write_zones(result, output)
    for w in caught:
        if issubclass(w.category, UserWarning):
            click.echo(f"geostrike: warning: {w.message}", err=True)
    click.echo(
        f"wrote {output}: {rep.files} file(s), {rep.snapshots} snapshot(s), {len(result)} "
        f"window(s), {result['controller'].nunique()} controller(s), {len(rep.gaps)} gap(s)"
    )


zones.add_command(zones_from_snapshots, name="convert")


@zones.command("diff")
@click.argument("zones_path", metavar="ZONES", type=click.Path())
@click.option("--from", "date_from", required=True, help="First date (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, help="Second date (YYYY-MM-DD).")
@click.option("--places", is_flag=True, help="List the gazetteer towns in each changed area.")
@click.option("-o", "--output", type=click.Path(), default=None, help=".geojson/.gpkg/.csv")
@_actors_opt
def zones_diff(
    zones_path: str,
    date_from: str,
    date_to: str,
    places: bool,
    output: str | None,
    actors: str | None,
) -> None:
    """The ground that changed hands between two dates, per controller pair (km²)."""
    import warnings

    import pandas as pd

    from geostrike.engine.zonediff import format_diff
    from geostrike.engine.zonediff import zones_diff as diff
    from geostrike.inputs.actors import load_actors
    from geostrike.inputs.claims import parse_dates
    from geostrike.inputs.zones import read_zones

    days = parse_dates(pd.Series([date_from, date_to]))
    for value, opt, d in zip((date_from, date_to), ("--from", "--to"), days, strict=True):
        if pd.isna(d):
            raise click.BadParameter(f"{value!r} is not a date", param_hint=opt)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_zones(zones_path, actors=load_actors(actors))
        result = diff(table, days.iloc[0], days.iloc[1], places=places)
    for w in caught:
        if issubclass(w.category, UserWarning):
            click.echo(f"geostrike: warning: {w.message}", err=True)
    click.echo(format_diff(result))
    if output:
        from pathlib import Path

        from geostrike.errors import OutputError
        from geostrike.io import write_frame

        fmt = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".csv": "CSV"}.get(
            Path(output).suffix.lower()
        )
        if fmt is None:
            raise OutputError(output, "use .geojson, .gpkg or .csv")
        write_frame(result, output, fmt, layer="changed_hands")
        click.echo(f"wrote {output}", err=True)


# --------------------------------------------------------------------------- map
@cli.command("map")
@click.argument("claims_path", metavar="CLAIMS", type=click.Path())
@_zones_opt
@click.option("-o", "--output", required=True, type=click.Path())
@click.option("--offline", is_flag=True, help="One self-contained HTML file, no network.")
@click.option("--title", default=None)
@_tolerance_opt
@_actors_opt
@_date_order_opt
@_zone_read_opts
@_force_opt
@_context_opt
def map_(
    claims_path: str,
    zones_path: str,
    output: str,
    offline: bool,
    title: str | None,
    tolerance_km: float,
    actors: str | None,
    context: tuple[str, ...],
    date_order: str | None,
    force: bool,
    **zone_opts: object,
) -> None:
    """Check claims and draw the result as an HTML map (or .png/.svg figure)."""
    from pathlib import Path

    from geostrike.errors import OutputError

    ext = Path(output).suffix.lower()
    if ext not in (".html", ".htm", ".png", ".svg", ".pdf"):
        raise OutputError(output, "map output must end in .html, .png, .svg or .pdf")
    if not Path(output).parent.is_dir() and str(Path(output).parent):
        raise OutputError(output, f"folder {str(Path(output).parent)!r} does not exist")
    from geostrike.engine.check import check as run_check
    from geostrike.inputs.zones import read_zones
    from geostrike.render.maps import save_map

    options, table = _setup(output, force, claims_path, zones_path, actors, tolerance_km,
                            date_order, context)  # fmt: skip
    with _Warnings(date_order):
        zones = read_zones(zones_path, actors=table, **_zone_read_kwargs(zone_opts))
        results = run_check(claims_path, zones, actors=table, options=options)
        opts = {"title": title, "actors": table}
        if ext in (".html", ".htm"):
            opts["offline"] = offline
        save_map(results, output, zones, **opts)
    located = int(results["latitude"].notna().sum())
    click.echo(f"wrote {output}: {located} of {len(results)} claim(s) on the map", err=True)


# --------------------------------------------------------------------------- export
@cli.command()
@click.argument("claims_path", metavar="CLAIMS", type=click.Path())
@_zones_opt
@click.option("-o", "--output", required=True, type=click.Path())
@_tolerance_opt
@_actors_opt
@_date_order_opt
@_zone_read_opts
@_force_opt
@_context_opt
def export(
    claims_path: str,
    zones_path: str,
    output: str,
    tolerance_km: float,
    actors: str | None,
    context: tuple[str, ...],
    date_order: str | None,
    force: bool,
    **zone_opts: object,
) -> None:
    """Check claims and write a styled GeoPackage for QGIS.

    OUTPUT ending in .gpkg gives one GeoPackage whose layers open styled in QGIS;
    .geojson or .shp gives one file per layer (OUTPUT_<layer>.ext) with a .qml style beside it.
    """

    from geostrike.engine.check import check as run_check
    from geostrike.inputs.claims import read_claims
    from geostrike.inputs.zones import read_zones
    from geostrike.render.qgis import check_output, export_gpkg

    check_output(output)  # fail before the work, not after it
    options, table = _setup(output, force, claims_path, zones_path, actors, tolerance_km,
                            date_order, context)  # fmt: skip
    with _Warnings(date_order):
        claims = read_claims(claims_path, actors=table)
        zone_table = read_zones(zones_path, actors=table, **_zone_read_kwargs(zone_opts))
        result = run_check(claims, zone_table, actors=table, options=options)
        written = export_gpkg(result, zone_table, output, actors=table)
    located = int((~(result.geometry.isna() | result.geometry.is_empty)).sum())
    click.echo(f"geostrike: wrote {written} ({len(result)} claims, {located} located)", err=True)


# --------------------------------------------------------------------------- extract
@cli.command()
@click.argument("source", metavar="FILE|-")
@click.option("--date", default=None, help="The report's date, YYYY-MM-DD.")
@click.option("--country", default=None, help="ISO country hint.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON Lines: one object per mention, then one per candidate claim.",
)
@click.option("-o", "--output", type=click.Path(), default=None)
def extract(
    source: str, date: str | None, country: str | None, as_json: bool, output: str | None
) -> None:
    """Extract place/actor/date mentions and candidate claims from a report.

    FILE is plain text or HTML. For HTML the tags are stripped first, and the start/end
    offsets of mentions refer to that stripped text, not to the original markup.
    """
    import json
    from collections import Counter
    from pathlib import Path

    from geostrike.errors import InputError
    from geostrike.io import atomic_output
    from geostrike.text.claims import CLAIM_COLUMNS
    from geostrike.text.claims import extract as run_extract

    if source == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        p = Path(source)
        if not p.exists():
            raise InputError(source, "no such file")
        if p.is_dir():
            raise InputError(source, "is a folder, not a text file")
        data = p.read_bytes()
        name = source
    if b"\x00" in data[:65536]:
        raise InputError(name, "is a binary file, not text")
    if (nul := data.find(b"\x00")) >= 0:  # far into the text: named, not passed on
        at = data.count(b"\n", 0, nul) + 1
        raise InputError(name, f"has a NUL byte at line {at} (offset {nul}): not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    result = run_extract(
        text, date=date, country=country, source=Path(name).name if source != "-" else "", path=name
    )
    if output:
        import csv

        with atomic_output(output) as tmp:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(CLAIM_COLUMNS)
                for c in result.claims:
                    row = c.to_dict()
                    w.writerow(["" if row[k] is None else row[k] for k in CLAIM_COLUMNS])
    if as_json:
        for m in result.mentions:
            click.echo(json.dumps(m.to_dict(), ensure_ascii=False))
        for c in result.claims:
            click.echo(json.dumps({"kind": "claim", **c.to_dict()}, ensure_ascii=False))
        return
    for note in result.notes:
        click.echo(f"note: {note}")
    places = result.places
    click.echo(f"{len(places)} place mention(s):")
    for m in places:
        if m.latitude is None:
            click.echo(f"  {m.start:>6}  {m.phrase or m.text}\tunresolved")
            continue
        where = ", ".join(x for x in (m.name, m.admin1, m.country_code) if x)
        click.echo(
            f"  {m.start:>6}  {m.phrase or m.text}\t{where}\t{m.latitude:.4f}, {m.longitude:.4f}"
            f"\t{m.precision} ±{m.precision_km:g} km\tscore {m.score:g}"
        )
    counts = Counter(m.actor for m in result.actors)
    click.echo(
        f"{sum(counts.values())} actor mention(s): "
        + ", ".join(f"{a} ×{n}" for a, n in counts.most_common())
    )
    click.echo(f"{len(result.dates)} date mention(s): " + ", ".join(
        f"{m.text} = {m.date or '?'}" for m in result.dates
    ))  # fmt: skip
    click.echo(f"{len(result.claims)} candidate claim(s):")
    for c in result.claims:
        click.echo(
            f"  {c.id}  {c.date or '?'}  {c.attacker} → {c.claimed_target or '?'} at "
            f"{c.place or '?'} (claimant {c.claimant or '?'}, confidence {c.confidence:g})"
        )
        click.echo(f"      “{c.sentence}”")
    if output:
        click.echo(f"wrote {len(result.claims)} claim(s) to {output}")


# --------------------------------------------------------------------------- demo
@cli.command()
@click.option("--out-dir", type=click.Path(file_okay=False), default="maps")
def demo(out_dir: str) -> None:
    """Run the flagship case (Russia's first strikes in Syria, 2015) end to end."""
    from geostrike.demo import run_demo

    result = run_demo(out_dir)
    click.echo(result.report())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``geostrike`` console script.

    Usage errors (a missing argument, an unknown option) are one line on stderr and exit
    status 2, like every other error; ``--help`` shows the full usage.
    """
    from geostrike.engine._heap import one_arena

    one_arena()  # before any library starts a thread: the command owns its process
    try:
        code = cli.main(args=argv, prog_name="geostrike", standalone_mode=False)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "geostrike"
        message = " ".join(exc.format_message().split())
        click.echo(f"{where}: error: {message} (see '{where} --help')", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"geostrike: error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("geostrike: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:  # `geostrike ... | head`
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])

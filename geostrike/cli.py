"""The ``geostrike`` command: a thin layer over the Python API.

Each command parses its arguments, calls the API and prints or writes the result. Every
:class:`geostrike.errors.GeostrikeError` becomes a one-line message on stderr and exit
status 2; usage errors also exit 2 (click's convention). Heavy libraries are imported
inside the commands so that ``geostrike geocode`` starts quickly.
"""

from __future__ import annotations

import sys

import click

from .errors import GeostrikeError


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
_tolerance_opt = click.option(
    "--tolerance-km",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Distance within which a strike still counts as on the target's territory.",
)
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


# --------------------------------------------------------------------------- geocode
@cli.command()
@click.argument("queries", nargs=-1, required=True)
@click.option("--country", default=None, help="ISO 3166-1 alpha-2 hint, e.g. SY.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines.")
def geocode(queries: tuple[str, ...], country: str | None, as_json: bool) -> None:
    """Geocode place names (QUERY of '-' reads one per line from stdin)."""
    import json

    if country is not None and not (len(country.strip()) == 2 and country.strip().isalpha()):
        raise click.BadParameter(
            f"{country!r} is not an ISO 3166-1 alpha-2 code", param_hint="--country"
        )
    items: list[str] = []
    for q in queries:
        if q == "-":
            items.extend(line.rstrip("\r\n") for line in sys.stdin)
        else:
            items.append(q)
    from .geocoder import geocode_many

    keys = ("name", "latitude", "longitude", "country_code", "admin1", "feature_code",
            "population", "gazetteer_id", "precision", "precision_km", "score",
            "candidates", "ambiguity")  # fmt: skip
    for q, m in zip(items, geocode_many(items, country=country), strict=True):
        if as_json:
            from .geocoder import alternatives

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
    from .gazetteer import import_geonames

    meta = import_geonames(dump, alternate_names=alternate_names, progress=True)
    click.echo(
        f"imported {meta['n']:,} places from {dump} into {meta['path']}"
        + (f" ({meta['skipped_lines']:,} malformed lines skipped)" if meta["skipped_lines"] else "")
    )


@gazetteer.command("info")
def gazetteer_info() -> None:
    """Say what gazetteer data is loaded, from where, how many places."""
    from .gazetteer import cache_dir, data_dir, load_gazetteer, supplement_dir

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
) -> None:
    """Check claims against control zones and print or write verdicts."""
    country = _context_codes(context)
    import warnings

    from . import check as engine_mod
    from .actors import load_actors

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from .stream import should_stream  # large files stream without --chunk-size

        streamed = engine == "dask" or chunk_size is not None or should_stream(claims_path, output)
        if country and streamed:
            raise click.UsageError(
                "--country works with the in-memory engine only; for streamed or Dask runs"
                " put the code in a 'country' column (default: the zones' countries)"
            )
        if streamed:
            # distributed / streaming engines: issue 8 (geostrike.distributed)
            from .distributed import check_dask

            result = check_dask(
                claims_path,
                zones_path,
                output=output,
                tolerance_km=tolerance_km,
                actors=actors,
                scheduler=scheduler,
                chunk_size=chunk_size,
                engine=engine,
            )
        else:
            table = load_actors(actors)
            prepared = engine_mod.prepare_zones(zones_path, actors=table)
            result = engine_mod.check(
                claims_path, prepared, tolerance_km=tolerance_km, actors=table, country=country
            )
            if output:
                engine_mod.write_result(result, output, zones=prepared, actors=table)
    for w in caught:
        if issubclass(w.category, UserWarning):
            click.echo(f"geostrike: warning: {w.message}", err=True)
    if result is not None:
        if not output:
            click.echo(engine_mod.format_table(result))
        click.echo(engine_mod.summary(result))
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
@_actors_opt
def zones_from_points(points: str, output: str, boundary: str | None, actors: str | None) -> None:
    """Build zones as Voronoi cells of town-level control points."""
    import warnings

    from .actors import load_actors
    from .zones import write_zones
    from .zones import zones_from_points as build

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = build(points, boundary=boundary, actors=load_actors(actors))
        write_zones(result, output)
    for w in caught:
        if issubclass(w.category, UserWarning):
            click.echo(f"geostrike: warning: {w.message}", err=True)
    dates = sorted({str(d.date()) for d in result["valid_from"].dropna()})
    click.echo(
        f"wrote {output}: {len(result)} zones, {result['controller'].nunique()} controllers, "
        f"{len(dates) or 1} snapshot(s)"
    )


# --------------------------------------------------------------------------- map
@cli.command("map")
@click.argument("claims_path", metavar="CLAIMS", type=click.Path())
@_zones_opt
@click.option("-o", "--output", required=True, type=click.Path())
@click.option("--offline", is_flag=True, help="One self-contained HTML file, no network.")
@click.option("--title", default=None)
@_tolerance_opt
@_actors_opt
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
) -> None:
    """Check claims and draw the result as an HTML map (or .png/.svg figure)."""
    import warnings
    from pathlib import Path

    from .errors import OutputError

    country = _context_codes(context)

    ext = Path(output).suffix.lower()
    if ext not in (".html", ".htm", ".png", ".svg", ".pdf"):
        raise OutputError(output, "map output must end in .html, .png, .svg or .pdf")
    if not Path(output).parent.is_dir() and str(Path(output).parent):
        raise OutputError(output, f"folder {str(Path(output).parent)!r} does not exist")
    from .actors import load_actors
    from .check import check as run_check
    from .maps import save_map
    from .zones import read_zones

    table = load_actors(actors)
    zones = read_zones(zones_path, actors=table)
    with warnings.catch_warnings(record=True) as caught:  # one line each, as check prints
        warnings.simplefilter("always")
        results = run_check(
            claims_path, zones, tolerance_km=tolerance_km, actors=table, country=country
        )
    for w in caught:
        if issubclass(w.category, UserWarning):
            click.echo(f"geostrike: warning: {w.message}", err=True)
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
@_context_opt
def export(
    claims_path: str,
    zones_path: str,
    output: str,
    tolerance_km: float,
    actors: str | None,
    context: tuple[str, ...],
) -> None:
    """Check claims and write a styled GeoPackage for QGIS.

    OUTPUT ending in .gpkg gives one GeoPackage whose layers open styled in QGIS;
    .geojson or .shp gives one file per layer (OUTPUT_<layer>.ext) with a .qml style beside it.
    """
    import warnings

    from .actors import load_actors
    from .check import check as run_check
    from .claims import read_claims
    from .qgis import check_output, export_gpkg
    from .zones import read_zones

    country = _context_codes(context)
    check_output(output)  # fail before the work, not after it
    table = load_actors(actors)
    claims = read_claims(claims_path, actors=table)
    zone_table = read_zones(zones_path, actors=table)
    with warnings.catch_warnings(record=True) as caught:  # one line each, as check prints
        warnings.simplefilter("always")
        result = run_check(
            claims, zone_table, tolerance_km=tolerance_km, actors=table, country=country
        )
    for w in caught:
        if issubclass(w.category, UserWarning):
            click.echo(f"geostrike: warning: {w.message}", err=True)
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

    from ._io import atomic_output
    from .errors import InputError
    from .extract import CLAIM_COLUMNS
    from .extract import extract as run_extract

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
    from .demo import run_demo

    result = run_demo(out_dir)
    click.echo(result.report())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``geostrike`` console script.

    Usage errors (a missing argument, an unknown option) are one line on stderr and exit
    status 2, like every other error; ``--help`` shows the full usage.
    """
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

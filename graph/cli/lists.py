"""List commands: export (FtM, BODS), diff between versions of a list, fetch from the authority."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.table import Table

from graph.cli.app import (
    AllowShrinkOption,
    DbOption,
    JsonOption,
    app,
    console,
    err_console,
    for_terminal,
    open_store,
    print_json,
    progress_bar,
)
from graph.cli.core import _load_summary, _print_load
from graph.cli.indexing import refresh_screen_index
from graph.errors import QueryError
from pipeline.fetch import PUBLISHED

if TYPE_CHECKING:
    from graph.versions import Diff

EXPORT_FORMATS: Final = ("ftm", "bods")
#: Values shown per changed property before "... and N more".
_SHOW_VALUES: Final = 3


@app.command()
def export(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write ('-' for standard output).")
    ],
    db: DbOption = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="Export format: ftm, or bods (BODS 0.4: people, companies and "
        "their ownership and control, shares with their bounds).")] = "ftm",
    as_json: JsonOption = False,
) -> None:
    """Write every entity, relation and sanction of the merged graph as FollowTheMoney JSON
    lines, each entity with its sources (datasets) and source records (referents); or, with
    --format bods, its people, companies and ownership and control as a BODS 0.4 package."""
    if format not in EXPORT_FORMATS:
        raise QueryError(f"unknown export format {format!r}; known: {', '.join(EXPORT_FORMATS)}")
    if format == "bods":
        _export_bods(output, db, as_json)
        return
    with open_store(db) as store:
        from graph.export_ftm import export_ftm  # FtM costs half a second to import

        result = export_ftm(store, sys.stdout if str(output) == "-" else output)
    if as_json and str(output) != "-":  # with '-', stdout is the export itself
        print_json(result.to_dict())
        return
    dropped = sum(result.dropped.values())
    err_console.print(
        f"wrote {result.entities:,} entities, {result.relations:,} relations and "
        f"{result.sanctions:,} sanctions to {result.path}"
        + (f" ({dropped:,} values FtM does not accept were left out)" if dropped else ""),
        markup=False, highlight=False,
    )


def _export_bods(output: Path, db: Path | None, as_json: bool) -> None:
    from graph.export_bods import export_bods

    with open_store(db) as store:
        result = export_bods(store, sys.stdout if str(output) == "-" else output)
    if as_json and str(output) != "-":  # with '-', stdout is the export itself
        print_json(result.to_dict())
        return
    skipped = sum(result.skipped.values())
    err_console.print(
        f"wrote {result.persons:,} person, {result.entities:,} entity and "
        f"{result.relationships:,} relationship statements (BODS 0.4) to {result.path}"
        + (f" ({skipped:,} nodes or relations BODS has no place for were left out)"
           if skipped else ""),
        markup=False, highlight=False,
    )


def _values(values: tuple[str, ...]) -> str:
    shown = "; ".join(values[:_SHOW_VALUES])
    more = len(values) - _SHOW_VALUES
    return shown + (f" ... and {more} more" if more > 0 else "")


def _render_diff(result: Diff, limit: int) -> None:
    old, new = result.old, result.new
    console.print(
        f"{result.source}: version {old.list_date or '?'} (load {old.load_id}) -> "
        f"{new.list_date or '?'} (load {new.load_id}): {len(result.listed):,} listed, "
        f"{len(result.delisted):,} delisted, {len(result.changed):,} changed",
        markup=False, soft_wrap=True,
    )
    for title, refs in (("Listed", result.listed), ("Delisted", result.delisted)):
        if not refs:
            continue
        table = Table(title=f"{title} ({len(refs):,})", title_justify="left", box=None)
        for column in ("record", "schema", "name"):
            table.add_column(column)
        for ref in refs[:limit]:
            table.add_row(ref.record_id, ref.schema, ref.name)
        console.print(table)
        if len(refs) > limit:
            console.print(f"  ... and {len(refs) - limit:,} more (--limit, --json)",
                          markup=False)
    if result.changed:
        table = Table(title=f"Changed ({len(result.changed):,})", title_justify="left",
                      box=None)
        for column in ("record", "name", "property", "removed", "added"):
            table.add_column(column, overflow="fold")
        for change in result.changed[:limit]:
            for n, prop in enumerate(change.changes):
                table.add_row(change.record_id if n == 0 else "", change.name if n == 0 else "",
                              prop.prop, _values(prop.removed), _values(prop.added))
        console.print(table)
        if len(result.changed) > limit:
            console.print(f"  ... and {len(result.changed) - limit:,} more (--limit, --json)",
                          markup=False)


@app.command("diff")
def diff_command(
    source: Annotated[str, typer.Argument(help="Source name, e.g. us_ofac_sdn.")],
    db: DbOption = None,
    from_date: Annotated[
        str | None, typer.Option("--from", help="Compare from the version in force on this "
                                                "date (YYYY-MM-DD).")
    ] = None,
    to_date: Annotated[
        str | None, typer.Option("--to", help="Compare to the version in force on this date.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows shown per table.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """What changed in a list between two loaded versions (the last two by default): entities
    listed, delisted and changed, by the authority's own record ids."""
    for value, name in ((from_date, "--from"), (to_date, "--to")):
        if value is not None and not _is_date(value):
            raise typer.BadParameter(f"{value!r}: expected YYYY-MM-DD", param_hint=name)
    with open_store(db) as store:
        from graph.versions import diff

        result = diff(store, source, from_date, to_date)
    if as_json:
        print_json(result.to_dict())
    else:
        _render_diff(for_terminal(result), limit)


def _is_date(value: str) -> bool:
    parts = value.split("-")
    return (len(parts) == 3 and all(p.isdigit() for p in parts)
            and [len(p) for p in parts] == [4, 2, 2])


@app.command("fetch")
def fetch_command(
    source: Annotated[str, typer.Argument(
        help=f"Source to download: {', '.join(sorted(PUBLISHED))}.")],
    db: DbOption = None,
    allow_shrink: AllowShrinkOption = False,
    as_json: JsonOption = False,
) -> None:
    """Download a list from its authority's published URL, check that it parses, and load it
    as a new version."""
    from pipeline.fetch import downloaded
    from pipeline.ingest import load_file

    # Download and check first: an offline fetch fails before any store is opened or made.
    with downloaded(source) as (spec, path), open_store(db, create=True) as store:
        since = store.generation()
        with progress_bar(f"loading {source}") as progress:
            result = load_file(store, path, format=spec.format, source=source,
                               progress=progress, allow_shrink=allow_shrink)
        if as_json:
            print_json(_load_summary(result))
        else:
            _print_load(result)
        refresh_screen_index(store, since)


__all__ = ["diff_command", "export", "fetch_command"]

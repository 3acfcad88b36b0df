"""`screen`: batch sanctions screening of a file, or one name explained."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from graph.cli.app import (
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
from graph.cli.indexing import say_built
from queries.screening.defaults import (
    DEFAULT_ALGORITHM,
    DEFAULT_LIMIT,
    MATCH_THRESHOLD,
    REVIEW_THRESHOLD,
)

# The screening stack (index, matcher, readers) is imported when `screen` runs, not with the CLI.
if TYPE_CHECKING:
    from queries.screening.index import ScreenIndex
    from queries.screening.matcher import Query, Result


def _index(store: Any, rebuild: bool) -> ScreenIndex:
    from queries.screening.index import ensure_index

    started = time.perf_counter()
    with progress_bar("building the screening index") as progress:
        index, built = ensure_index(store, rebuild=rebuild, progress=progress)
    if built:
        say_built(index, time.perf_counter() - started)
    return index


def _sources(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [s.strip() for v in values for s in v.split(",") if s.strip()]


@app.command(name="screen")
def screen_command(
    input: Annotated[str | None, typer.Argument(
        help="CSV, XLSX or JSON-lines file of names to screen (`-`: JSON lines on stdin); "
             "with --explain, one name.", show_default=False)] = None,
    output: Annotated[str, typer.Option(
        "--output", "-o", help="Result file: .jsonl, .csv or .xlsx; `-` writes JSON lines to "
                               "stdout.")] = "-",
    threshold: Annotated[float, typer.Option(
        "--threshold", help="Score from which a row is a match.")] = MATCH_THRESHOLD,
    review_threshold: Annotated[float, typer.Option(
        "--review-threshold", help="Score from which a row needs review.")] = REVIEW_THRESHOLD,
    limit: Annotated[int, typer.Option("--limit", help="Most matches per row.")] = DEFAULT_LIMIT,
    sources: Annotated[list[str] | None, typer.Option(
        "--sources", help="Screen against these sources only (repeat or comma-separate; "
                          "see `sources`).")] = None,
    schema: Annotated[str | None, typer.Option(
        "--schema", help="Only nodes of this kind (Person, Company, Organization, LegalEntity, "
                         "Vessel); also the type of rows that give none.")] = None,
    fail_on_match: Annotated[bool, typer.Option(
        "--fail-on-match", help="Exit with code 1 when any row matches.")] = False,
    explain_one: Annotated[bool, typer.Option(
        "--explain", help="Screen the one name INPUT and print every candidate with its "
                          "reasons.")] = False,
    imo: Annotated[str | None, typer.Option("--imo", help="With --explain: the IMO.")] = None,
    country: Annotated[str | None, typer.Option(
        "--country", help="With --explain: country or flag.")] = None,
    birth_date: Annotated[str | None, typer.Option(
        "--birth-date", help="With --explain: birth date or build year.")] = None,
    algorithm: Annotated[str, typer.Option(
        "--algorithm", help="The named list of features to score with (see "
                            "--algorithms).")] = DEFAULT_ALGORITHM,
    list_algorithms: Annotated[bool, typer.Option(
        "--algorithms", help="List the algorithms and their features (weights, what each "
                             "reads, why), and exit.")] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Worker processes (default: one per core).")] = None,
    rebuild_index: Annotated[bool, typer.Option(
        "--rebuild-index", help="Rebuild the screening index even if it is current.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Screen a file of counterparties or vessels against every loaded list: per row a decision
    (match, review, clear), the best matches with score, lists, programmes and the reasons.
    Identifiers (IMO, MMSI, tax numbers) decide; a different IMO keeps a ship from matching."""
    from queries.screen import algorithms, explain, make_settings, screen_file
    from queries.screening.matcher import Matcher

    if list_algorithms:
        if as_json:
            print_json(algorithms())
        else:
            _render_algorithms(algorithms())
        return
    if input is None:
        raise typer.BadParameter("a file to screen (or a name, with --explain) is needed",
                                 param_hint="INPUT")
    source_list = _sources(sources)
    with open_store(db) as store:
        index = _index(store, rebuild_index)
        if explain_one:
            query, result = explain(store, input, schema=schema, country=country,
                                    birth_date=birth_date, imo=imo, sources=source_list,
                                    threshold=threshold, review_threshold=review_threshold,
                                    index=index, algorithm=algorithm)
            if as_json:
                print_json(result.to_dict())
            else:
                _render_explain(query, result, threshold, review_threshold)
            return
        settings = make_settings(index, threshold=threshold, review_threshold=review_threshold,
                                 limit=limit, sources=source_list, schema=schema,
                                 algorithm=algorithm)
    source = Path(input)
    with progress_bar(f"screening {source.name}") as bar:
        counts = screen_file(Matcher(index, settings), source,
                             sys.stdout if output == "-" else Path(output), workers=workers,
                             progress=lambda done, total: bar(done, total))
    if as_json and output != "-":
        print_json(counts.to_dict())
    else:
        err_console.print(
            f"screened {counts.rows:,} rows: {counts.match:,} match, {counts.review:,} review, "
            f"{counts.clear:,} clear" + (f"; {counts.unreadable:,} unreadable (reason in the "
                                         "error field)" if counts.unreadable else ""),
            markup=False, highlight=False, soft_wrap=True)
    if fail_on_match and counts.match:
        raise typer.Exit(1)


def _render_algorithms(found: list[dict[str, Any]]) -> None:
    from rich.table import Table

    for algorithm in found:
        table = Table(title=f"{algorithm['name']}: {algorithm['why']}", title_justify="left",
                      show_lines=False, expand=False)
        for column in ("feature", "kind", "weights or steps", "why"):
            table.add_column(column, overflow="fold")
        for feature in algorithm["features"]:
            params = ", ".join(f"{k} {v:g}" for k, v in feature["params"].items())
            table.add_row(feature["name"], feature["kind"], params or "-", feature["why"])
        console.print(table)


def _render_explain(query: Query, result: Result, threshold: float, review: float) -> None:
    query, result = for_terminal((query, result))
    facts = [f for f in (query.schema, query.imo and f"IMO {query.imo}",
                         query.mmsi and f"MMSI {query.mmsi}", "/".join(query.countries),
                         query.date and f"date {query.date}") if f]
    head = f"{query.name!r}" + (f" ({', '.join(facts)})" if facts else "")
    console.print(f"{head}: {result.decision.upper()}", markup=False, soft_wrap=True)
    if result.error:
        console.print(f"  cannot screen this row: {result.error}", markup=False, soft_wrap=True)
        return
    for warning in result.warnings:
        console.print(f"  note: {warning}", markup=False, soft_wrap=True)
    console.print(f"  {len(result.matches)} candidate(s) considered; match from {threshold:.2f}, "
                  f"review from {review:.2f}", markup=False, soft_wrap=True)
    for rank, match in enumerate(result.matches, start=1):
        verdict = ("match" if match.score >= threshold else
                   "review" if match.score >= review else "below review")
        ident = f", IMO {match.imo}" if match.imo else ""
        console.print(f"\n  {rank}. {match.score:.2f} {verdict}: {match.caption} "
                      f"({match.schema}{ident}) [{match.entity_id}]", markup=False, soft_wrap=True)
        console.print(f"     lists: {', '.join(match.sources) or '-'}; programmes: "
                      f"{', '.join(match.programs) or '-'}", markup=False, soft_wrap=True)
        for reason in match.explanation.split("; "):
            console.print(f"     - {reason}", markup=False, soft_wrap=True)


__all__ = ["screen_command"]

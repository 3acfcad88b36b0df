"""Core commands: load, sources, owner, demo."""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

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
from graph.cli.indexing import refresh_screen_index
from graph.cli.render import render_owner
from graph.errors import SanctionsGraphError
from graph.store import LoadResult, Store, default_db_path
from queries.owner import who_owns

# Loaders and resolution are imported by the commands that use them (load, demo), not with the
# CLI: `owner` and `path` never load them.


def _parse_map(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise typer.BadParameter(f"{item!r}: expected FIELD=COLUMN", param_hint="--map")
        mapping[key.strip()] = value.strip()
    return mapping


def _load_summary(result: LoadResult) -> dict[str, Any]:
    info = result.info
    return {
        "source": info.source,
        "format": info.format,
        "path": info.path,
        "list_date": info.list_date,
        "list_date_origin": info.list_date_origin,
        "load_id": info.id,
        "unchanged": result.unchanged,
        "current": info.current,
        "entities": info.entities,
        "relations": info.relations,
        "sanctions": info.sanctions,
        "problems": info.problems,
        "problem_samples": info.problem_samples,
        "shrink_accepted": info.shrink_accepted,
        "note": result.note,
    }


def _print_load(result: LoadResult) -> None:
    result = for_terminal(result)  # names, notes and samples quote the file
    info = result.info
    if result.unchanged:
        console.print(f"{info.source}: {Path(info.path).name} is already loaded "
                      f"(version {info.list_date}); nothing changed", markup=False)
        return
    console.print(
        f"{info.source}: loaded {Path(info.path).name} as version {info.list_date} "
        f"(date from {info.list_date_origin}): {info.entities:,} entities, "
        f"{info.relations:,} relations, {info.sanctions:,} sanctions",
        markup=False,
    )
    if result.note:
        console.print(f"  {result.note}", markup=False)
    for kind, count in sorted(info.problems.items(), key=lambda kv: -kv[1]):
        sample = info.problem_samples.get(kind, [""])[0]
        console.print(f"  {count:>6,} {kind}" + (f"  e.g. {sample}" if sample else ""),
                      markup=False, overflow="ellipsis", no_wrap=True)


def load_with_progress(store: Store, path: Path, **kwargs: Any) -> LoadResult:
    from pipeline.ingest import load_file

    with progress_bar(f"loading {path.name}") as progress:
        return load_file(store, path, progress=progress, **kwargs)


@app.command()
def load(
    files: Annotated[list[Path], typer.Argument(help="Source files to load.", show_default=False)],
    db: DbOption = None,
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="Format name; detected when omitted.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Store the records under this source name.")
    ] = None,
    list_date: Annotated[
        str | None, typer.Option("--list-date", help="The list's publication date, YYYY-MM-DD.")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column mapping FIELD=COLUMN for tabular formats (repeat)."),
    ] = None,
    no_index: Annotated[
        bool,
        typer.Option("--no-index", help="Do not rebuild the screening index now (for scripts "
                                        "that load many files in several runs: the next "
                                        "`screen` builds it)."),
    ] = False,
    allow_shrink: AllowShrinkOption = False,
    no_monitor: Annotated[
        bool,
        typer.Option("--no-monitor", help="Do not monitor the screened portfolios now (they "
                                          "are otherwise screened again where the load can "
                                          "have changed a result; see `portfolio monitor`)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Load source files into the store, each as a new version of its source (one transaction
    per file; the same file twice changes nothing). Then, if anything changed, rebuild the
    screening index once (see --no-index) and monitor every screened portfolio (one line
    each on stderr; see --no-monitor)."""
    options: dict[str, Any] = {}
    if mapping:
        options["columns"] = _parse_map(mapping)
    results = []
    with open_store(db, create=True) as store:
        since = store.generation()
        for path in files:
            result = load_with_progress(store, path, format=format, source=source,
                                        list_date=list_date, options=options,
                                        allow_shrink=allow_shrink)
            results.append(result)
            if not as_json:
                _print_load(result)
        if not no_index:
            refresh_screen_index(store, since)
            if not no_monitor:
                from graph.cli.portfolio import monitor_after_load

                monitor_after_load(store, since)
    if as_json:
        print_json([_load_summary(r) for r in results])


@app.command()
def sources(
    db: DbOption = None,
    history: Annotated[bool, typer.Option("--history", help="Every loaded version.")] = False,
    as_json: JsonOption = False,
) -> None:
    """What is loaded: each source with its list date, counts and when it was loaded."""
    with open_store(db) as store:
        loads = store.loads(current_only=not history)
    if as_json:
        print_json([asdict(info) for info in loads])
        return
    if not loads:
        err_console.print("the store is empty: load a source first (sanctions-graph load FILE)")
        return
    loads = for_terminal(loads)
    # On a narrow terminal the format and the load time give way, so that source names, list
    # dates and counts stay whole (`--json` has everything).
    wide = console.width >= 110
    columns = ["source", "format", "list date", "entities", "relations", "sanctions", "problems",
               "loaded at"]
    if not wide:
        narrow = ("format", "loaded at", "relations") if history else ("format", "loaded at")
        columns = [c for c in columns if c not in narrow]
    table = Table(title=None, show_lines=False)
    for column in columns:
        table.add_column(column, no_wrap=True, justify="right" if column in (
            "entities", "relations", "sanctions", "problems") else "left")
    if history:
        table.add_column("version", no_wrap=True)
    shrinks = any(info.shrink_accepted is not None for info in loads)
    if shrinks:
        table.add_column("shrink", no_wrap=True)
    for info in loads:
        when = info.list_date or "?"
        if info.list_date_origin == "file modification time":
            when += " (file time)"
        cells = {"source": info.source, "format": info.format,
                 "list date": when, "entities": f"{info.entities:,}",
                 "relations": f"{info.relations:,}", "sanctions": f"{info.sanctions:,}",
                 "problems": f"{sum(info.problems.values()):,}",
                 "loaded at": info.loaded_at.replace("T", " ")[:19]}
        row = [cells[c] for c in columns]
        if history:
            row.append("current" if info.current else "history")
        if shrinks:
            dropped = info.shrink_accepted
            row.append("" if dropped is None else f"-{dropped:,} accepted")
        table.add_row(*row)
    console.print(table)


@app.command()
def owner(
    query: Annotated[str, typer.Argument(help="Ship name, IMO number (9179842, 'IMO 9179842') "
                                              "or MMSI; or a company's or person's exact name "
                                              "or id.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who owns this ship: identity, every party with a role, the chain above each, and every
    sanction on any of them, with sources (a company or person: the chain above it)."""
    with open_store(db) as store:
        answer = who_owns(store, query)
    if as_json:
        print_json(answer.to_dict())
    else:
        render_owner(console, for_terminal(answer))


DEMO_QUERY = "ANGARA"


def demo_files() -> list[dict[str, str]]:
    manifest = resources.files("graph") / "demo" / "manifest.json"
    entries: list[dict[str, str]] = json.loads(manifest.read_text(encoding="utf-8"))
    return entries


@app.command()
def demo(
    db: DbOption = None,
    query: Annotated[str, typer.Option("--query", help="Ship to ask about.")] = DEMO_QUERY,
    as_json: JsonOption = False,
) -> None:
    """Build a store from the bundled public-domain lists and ask who owns ANGARA.

    With --db (or SANCTIONS_GRAPH_DB) the demo loads into that store; otherwise it builds a fresh
    demo store beside the default one.
    """
    from graph.resolution.engine import resolve

    path = db or _fresh_demo_path()
    demo_dir = resources.files("graph") / "demo"
    with open_store(path, create=True) as store:
        since = store.generation()
        for entry in demo_files():
            with resources.as_file(demo_dir / entry["file"]) as file:
                result = load_with_progress(store, Path(file), format=entry["format"],
                                            source=entry["source"],
                                            list_date=entry.get("list_date"))
            if not as_json:
                info = result.info
                err_console.print(
                    f"demo: {info.source} {info.list_date}: {info.entities:,} entities, "
                    f"{info.relations:,} relations, {info.sanctions:,} sanctions",
                    markup=False, highlight=False, soft_wrap=True,
                )
        # Resolution joins what no identifier joins: the UK's M LEASING (no IMO company number)
        # with OFAC's, so the UK listing shows on the chain.
        with progress_bar("resolving") as progress:
            report = resolve(store, progress=lambda done, total: progress(done))
        if not as_json:
            err_console.print(
                f"demo: resolved {report.records:,} records: {report.clusters:,} entities joined "
                f"across lists", markup=False, highlight=False)
        refresh_screen_index(store, since)
        answer = who_owns(store, query)
    if as_json:
        print_json(answer.to_dict())
        return
    err_console.print(f"demo store: {path}\n", markup=False)
    render_owner(console, for_terminal(answer))


def _fresh_demo_path() -> Path:
    path = default_db_path().with_name("demo.db")
    try:
        # The log and shared memory of a write-ahead-log store go with it (a log left by a
        # killed demo would be replayed into the new file), as do the indexes beside it.
        for suffix in ("", "-journal", "-wal", "-shm", ".screen-index", ".paths-index"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    except OSError as exc:
        raise SanctionsGraphError(f"{path}: cannot remove the old demo store: {exc}") from exc
    return path


__all__ = ["demo", "load", "owner", "sources"]

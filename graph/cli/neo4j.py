"""`sanctions-graph neo4j ...`: push the graph to a live Neo4j, export bulk-import files, and run
the named Cypher queries."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

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
from graph.errors import QueryError
from graph.neo4j.library import get_query, library
from graph.neo4j.shape import GraphRows, build_graph
from graph.neo4j.sync import (
    BATCH_ROWS,
    Connection,
    Counts,
    SyncPlan,
    check_connection,
    plan_sync,
    push,
    run_query,
)
from graph.store import Store

# The driver logs connection trouble as warnings; the CLI reports it once, as its error line.
logging.getLogger("neo4j").addHandler(logging.NullHandler())
logging.getLogger("neo4j").propagate = False

neo4j_app = typer.Typer(
    help="Neo4j: push the graph to a server, export bulk-import files, run named Cypher queries.",
    no_args_is_help=True,
)
app.add_typer(neo4j_app, name="neo4j")

UriOption = Annotated[str | None, typer.Option(
    "--uri", help="Server URI, e.g. neo4j://localhost:7687.", envvar="NEO4J_URI",
    show_envvar=True)]
UserOption = Annotated[str | None, typer.Option(
    "--user", help="User name (default neo4j).", envvar="NEO4J_USER", show_envvar=True)]
PasswordOption = Annotated[str | None, typer.Option(
    "--password", help="Password (never printed; prefer the environment variable).",
    envvar="NEO4J_PASSWORD", show_envvar=True, show_default=False)]
DatabaseOption = Annotated[str | None, typer.Option(
    "--database", help="Database name (default: the server's default database).",
    envvar="NEO4J_DATABASE", show_envvar=True)]


def _check_not_empty(store: Store) -> None:
    if not store.counts()["nodes"]:
        raise QueryError(f"{store.path}: the store is empty; load a source first")


def _graph(db: Path | None) -> GraphRows:
    with open_store(db) as store:
        _check_not_empty(store)
        return build_graph(store)


def _counts_dict(counts: dict[str, Counts]) -> dict[str, dict[str, int]]:
    return {k: {"created": c.created, "updated": c.updated, "deleted": c.deleted}
            for k, c in counts.items()}


def _plan_summary(plan: SyncPlan) -> dict[str, Any]:
    return {"batches": len(plan.batches), "rows": plan.rows,
            "totals": _counts_dict(plan.totals()), "nodes": _counts_dict(plan.nodes),
            "relationships": _counts_dict(plan.rels)}


def _print_changes(plan: SyncPlan) -> None:
    table = Table()
    for column in ("", "created", "updated", "deleted"):
        table.add_column(column, justify="left" if not column else "right")
    for group in (plan.nodes, plan.rels):
        for name, c in group.items():
            if c.changed:
                table.add_row(name, f"{c.created:,}", f"{c.updated:,}", f"{c.deleted:,}")
    if table.row_count:
        console.print(table)


@neo4j_app.command("push")
def push_command(
    db: DbOption = None,
    uri: UriOption = None,
    user: UserOption = None,
    password: PasswordOption = None,
    database: DatabaseOption = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1,
                                            help="Rows per transaction.")] = BATCH_ROWS,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Do not connect: show the batches and rows a push into an empty "
                          "database would send.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Make a Neo4j database hold exactly the store's graph: constraints and indexes first, then
    only what changed, in batches (a second push changes nothing)."""
    if dry_run:
        plan = plan_sync(_graph(db), batch_rows=batch_size)
        if as_json:
            print_json({"dry_run": True, **_plan_summary(plan)})
            return
        console.print(f"a push into an empty database would send {plan.rows:,} rows in "
                      f"{len(plan.batches):,} batches:", markup=False)
        _print_changes(plan)
        return
    conn = Connection.from_env(uri, user, password, database)
    check_connection(conn)  # a wrong address or password fails before the graph is built
    graph = _graph(db)
    with progress_bar(f"pushing to {conn.describe()}") as progress:
        result = push(graph, conn, batch_rows=batch_size,
                      progress=lambda done, total: progress(done))
    plan = result.plan
    if as_json:
        print_json({"server": result.server, "nodes": result.nodes_total,
                    "relationships": result.rels_total, **_plan_summary(plan)})
        return
    totals = plan.totals()
    n, r = totals["nodes"], totals["relationships"]
    console.print(
        f"{result.server}: {result.nodes_total:,} nodes, {result.rels_total:,} relationships; "
        f"nodes {n.created:,} created, {n.updated:,} updated, {n.deleted:,} deleted; "
        f"relationships {r.created:,} created, {r.updated:,} updated, {r.deleted:,} deleted",
        markup=False, soft_wrap=True)
    if plan.changed:
        _print_changes(plan)
    else:
        console.print("nothing changed: Neo4j already holds this graph", markup=False)


@neo4j_app.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="Folder to write the files into.")],
    db: DbOption = None,
    database: Annotated[str, typer.Option(
        "--database", help="Database name the import command targets.")] = "neo4j",
    as_json: JsonOption = False,
) -> None:
    """Write node and relationship CSV files for `neo4j-admin database import full` (Neo4j 5),
    with the command line (import.sh) and the schema statements (schema.cypher) beside them."""
    from graph.neo4j.export import export_store  # only this command writes bulk files

    with open_store(db) as store:
        _check_not_empty(store)
        with progress_bar("writing bulk import files") as progress:
            done = 0

            def step(name: str) -> None:
                nonlocal done
                done += 1
                progress(done)

            result = export_store(store, directory, database=database, progress=step)
    if as_json:
        print_json({"directory": str(result.directory), "files": result.files,
                    "command": result.command,
                    "script": str(result.directory / "import.sh")})
        return
    for name, rows in result.files.items():
        console.print(f"{rows:>9,}  {result.directory / name}", markup=False, soft_wrap=True)
    console.print(f"\nimport with (Neo4j stopped): {result.directory / 'import.sh'}\n"
                  f"  {result.command}\n"
                  f"then start Neo4j and run: cypher-shell -d {database} -f "
                  f"{result.directory / 'schema.cypher'}", markup=False, soft_wrap=True)


def _param_map(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="--param")
        out[key.strip()] = value
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value)


@neo4j_app.command("query")
def query_command(
    name: Annotated[str | None, typer.Argument(
        help="Query name; omit to list the library.", show_default=False)] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="Parameter NAME=VALUE (repeat).")] = None,
    show: Annotated[bool, typer.Option(
        "--show", help="Print the statement instead of running it.")] = False,
    uri: UriOption = None,
    user: UserOption = None,
    password: PasswordOption = None,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run one named query of the Cypher library (queries/cypher/) against Neo4j."""
    if name is None:
        queries = library()
        if as_json:
            print_json([{"name": q.name, "title": q.title, "description": q.description,
                         "params": [{"name": p.name, "type": p.type, "example": p.example,
                                     "description": p.description} for p in q.params]}
                        for q in queries.values()])
            return
        table = Table()
        for column in ("query", "parameters", "what it answers"):
            table.add_column(column)
        for q in queries.values():
            table.add_row(q.name, q.signature(), q.title)
        console.print(table)
        return
    query = get_query(name)
    params = query.bind(_param_map(param or []))
    if show:
        sys.stdout.write(query.statement + "\n")
        return
    conn = Connection.from_env(uri, user, password, database)
    keys, rows = run_query(conn, query.statement, params)
    if as_json:
        print_json({"query": name, "parameters": params, "columns": keys, "rows": rows})
        return
    if not rows:
        err_console.print(f"{name}: no rows", markup=False)
        return
    keys, rows = for_terminal((keys, rows))
    table = Table()
    for key in keys:
        table.add_column(key, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row[k]) for k in keys))
    console.print(table)


__all__ = ["neo4j_app"]

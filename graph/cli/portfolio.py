"""`portfolio` and `audit`: screening kept in the store (rows under a name, every run recorded,
decisions on hits kept), and the reports an examiner reads. Only parsing and printing: the work
is `queries.portfolio` and `queries.audit`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
from graph.cli.screen import _index, _sources
from queries.screening.defaults import (
    DEFAULT_ALGORITHM,
    DEFAULT_LIMIT,
    MATCH_THRESHOLD,
    REVIEW_THRESHOLD,
)

portfolio_app = typer.Typer(
    help="Portfolios: keep rows to screen under a name, screen them again on every list "
         "update, and clear or confirm their hits.",
    no_args_is_help=True,
)
app.add_typer(portfolio_app, name="portfolio")
audit_app = typer.Typer(
    help="The audit trail: every recorded portfolio screening run, as a report or replayed.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")

ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")]
ByOption = Annotated[str, typer.Option("--by", help="Who decides (kept with the decision).")]


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@portfolio_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The portfolio's name.")],
    file: Annotated[Path, typer.Argument(
        help="CSV, XLSX or JSON-lines file with the columns `screen` reads and an id column.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Keep the rows of a screening file under NAME; adding a file again updates the rows by
    their id (added, changed, removed)."""
    from queries.portfolio import add_portfolio

    with open_store(db, create=True) as store:
        update = add_portfolio(store, name, file)
    if as_json:
        print_json(update.to_dict())
        return
    update = for_terminal(update)
    verb = "created" if update.created else "updated"
    _say(f"portfolio {update.portfolio} {verb}: {update.rows:,} rows ({len(update.added):,} "
         f"added, {len(update.changed):,} changed, {len(update.removed):,} removed, "
         f"{update.unchanged:,} unchanged)")


@portfolio_app.command("list")
def list_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every portfolio: rows, when it was last updated, its runs."""
    from rich.table import Table

    from queries.portfolio import portfolios

    with open_store(db) as store:
        found = portfolios(store)
    if as_json:
        print_json([p.to_dict() for p in found])
        return
    table = Table()
    for column in ("portfolio", "rows", "updated", "runs", "last run"):
        table.add_column(column)
    for p in for_terminal(found):
        table.add_row(p.name, f"{p.rows:,}", p.updated_at, str(p.runs),
                      str(p.last_run or "-"))
    console.print(table)


@portfolio_app.command("screen")
def screen_command(
    name: Annotated[str, typer.Argument(help="The portfolio's name.")],
    threshold: Annotated[float, typer.Option(
        "--threshold", help="Score from which a row is a match.")] = MATCH_THRESHOLD,
    review_threshold: Annotated[float, typer.Option(
        "--review-threshold", help="Score from which a row needs review.")] = REVIEW_THRESHOLD,
    limit: Annotated[int, typer.Option("--limit", help="Most matches per row.")] = DEFAULT_LIMIT,
    sources: Annotated[list[str] | None, typer.Option(
        "--sources", help="Screen against these sources only (repeat or comma-separate).")
    ] = None,
    schema: Annotated[str | None, typer.Option(
        "--schema", help="Only nodes of this kind; also the type of rows that give none.")
    ] = None,
    algorithm: Annotated[str, typer.Option(
        "--algorithm", help="The named list of features to score with.")] = DEFAULT_ALGORITHM,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Worker processes (default: one per core).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Screen every row of portfolio NAME against the lists in force, apply the decisions on
    its hits, record the run, and print the rows that need a person."""
    from queries.portfolio import screen_portfolio

    with open_store(db) as store:
        _index(store, False)
        with progress_bar(f"screening portfolio {name}") as bar:
            summary = screen_portfolio(
                store, name, threshold=threshold, review_threshold=review_threshold,
                limit=limit, sources=_sources(sources), schema=schema, algorithm=algorithm,
                workers=workers, progress=lambda done, total: bar(done, total))
    if as_json:
        print_json(summary.to_dict())
        return
    summary = for_terminal(summary)
    counts = ", ".join(f"{v:,} {k}" for k, v in summary.counts.items())
    _say(f"run {summary.run_id}: portfolio {summary.portfolio}, {summary.rows:,} rows: {counts}")
    _say("lists: " + "; ".join(f"{v['source']} {v['list_date'] or 'undated'}"
                               for v in summary.list_versions))
    for row in summary.attention:
        _say(f"\n{row['id']} ({row['input'].get(_name_column(row['input']), '')}): "
             f"{row['status'].upper()}")
        for match in row["matches"]:
            if match["status"] == "cleared":
                continue
            _say(f"  {match['score']:.2f} {match['status']}: {match['caption']} "
                 f"[{match['entity_id']}] {', '.join(match['sources'])}")
            for change in match["changed"]:
                _say(f"    changed since the decision: {change}")


@portfolio_app.command("monitor")
def monitor_command(
    name: Annotated[str, typer.Argument(help="The portfolio's name.")],
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Worker processes (default: one per core).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Screen again only what the list updates and the portfolio's changes since its last run
    can have changed, with that run's settings, and print the alerts: new hits, hits whose
    listing changed, hits gone (delisted), each with the list versions and the diff behind
    it. The pass is recorded as a run."""
    from queries.monitor import monitor_portfolio

    with open_store(db) as store:
        _index(store, False)
        with progress_bar(f"monitoring portfolio {name}") as bar:
            run = monitor_portfolio(store, name, workers=workers,
                                    progress=lambda done, total: bar(done, total))
    if as_json:
        print_json(run.to_dict())
        return
    _print_monitor(for_terminal(run))


def _print_monitor(run: Any) -> None:
    from queries.portfolio import gone_label

    changed = f"every row: {run.whole}" if run.whole \
        else f"{run.changed_entities:,} listed entities changed"
    _say(f"run {run.run_id} (monitoring since run {run.base_run}): portfolio {run.portfolio}, "
         f"{changed}; {run.rows_screened:,} of {run.rows:,} rows screened again "
         f"({run.rows_changed:,} changed in the portfolio, {run.rows_removed:,} removed); "
         f"{len(run.alerts):,} alerts")
    before = {v["source"]: v for v in run.list_versions_before}
    for version in run.list_versions:
        old = before.get(version["source"])
        if old is None or old["load_id"] != version["load_id"]:
            _say(f"list {version['source']}: {old['list_date'] if old else 'not loaded'} -> "
                 f"{version['list_date'] or 'undated'}")
    for alert in run.alerts:
        score = alert.score_now if alert.score_now is not None else alert.score_before
        gone = gone_label(alert.delisted, alert.merged_into)
        _say(f"  {alert.row_id}: {alert.kind}{gone}: {alert.caption} [{alert.entity_id}] "
             f"{score:.2f}")
        for change in alert.changed:
            _say(f"    {change}")
        for record in alert.diff:
            _say(f"    {record['source']} {record['from']} -> {record['to']}: {record['kind']} "
                 f"record {record['record_id']} ({record['name']})")


def monitor_after_load(store: Any, since: int) -> None:
    """After a load changed the merged view: monitor every portfolio screened before, one
    line on stderr each (`portfolio monitor NAME` prints the alerts)."""
    from queries.monitor import monitor_portfolio
    from queries.portfolio import portfolios

    if store.generation() == since:
        return
    for portfolio in portfolios(store):
        if portfolio.last_run is None:
            continue
        with progress_bar(f"monitoring portfolio {portfolio.name}") as bar:
            run = monitor_portfolio(store, portfolio.name,
                                    progress=lambda done, total: bar(done, total))
        err_console.print(
            f"portfolio {portfolio.name}: {len(run.alerts):,} alerts, {run.rows_screened:,} of "
            f"{run.rows:,} rows screened again (run {run.run_id}; `audit show {run.run_id}`)",
            markup=False, highlight=False, soft_wrap=True)


def _name_column(row: dict[str, Any]) -> str:
    from queries.screening.io import map_columns

    return map_columns(list(row)).get("name", "name")


def _decide(name: str, row: str, entity: str, verdict: str, reason: str, by: str,
            db: Path | None, as_json: bool) -> None:
    from queries.portfolio import decide_hit

    with open_store(db) as store:
        index = _index(store, False)
        decision = decide_hit(store, name, row, entity, verdict, reason=reason, by=by,
                              index=index)
    if as_json:
        print_json(decision.to_dict())
        return
    decision = for_terminal(decision)
    superseding = f", superseding decision {decision.supersedes}" if decision.supersedes else ""
    _say(f"decision {decision.id}: row {decision.row_id} x {decision.entity_id} "
         f"{decision.verdict} by {decision.who} at {decision.at}{superseding}")


@portfolio_app.command("clear")
def clear_command(
    name: Annotated[str, typer.Argument(help="The portfolio's name.")],
    row: Annotated[str, typer.Argument(help="The row's id.")],
    entity: Annotated[str, typer.Argument(help="The listed entity's id (as a screen reports).")],
    reason: ReasonOption,
    by: ByOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record that the hit of ROW on ENTITY is a false positive: later screens keep it cleared
    until the entity's matching facts (or the row) change."""
    from queries.portfolio import FALSE_POSITIVE

    _decide(name, row, entity, FALSE_POSITIVE, reason, by, db, as_json)


@portfolio_app.command("confirm")
def confirm_command(
    name: Annotated[str, typer.Argument(help="The portfolio's name.")],
    row: Annotated[str, typer.Argument(help="The row's id.")],
    entity: Annotated[str, typer.Argument(help="The listed entity's id (as a screen reports).")],
    reason: ReasonOption,
    by: ByOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record that the hit of ROW on ENTITY is true."""
    from queries.portfolio import CONFIRMED

    _decide(name, row, entity, CONFIRMED, reason, by, db, as_json)


@portfolio_app.command("decisions")
def decisions_command(
    name: Annotated[str, typer.Argument(help="The portfolio's name.")],
    row: Annotated[str | None, typer.Option("--row", help="Only this row's.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every decision on the portfolio's hits, superseded ones included, oldest first."""
    from rich.table import Table

    from queries.portfolio import decisions, portfolio_rows

    with open_store(db) as store:
        portfolio_rows(store, name)
        found = decisions(store, name, row_id=row)
    if as_json:
        print_json([d.to_dict() for d in found])
        return
    table = Table()
    for column in ("id", "row", "entity", "verdict", "by", "at", "reason", "supersedes"):
        table.add_column(column, overflow="fold")
    for d in for_terminal(found):
        table.add_row(str(d.id), d.row_id, d.entity_id, d.verdict, d.who, d.at, d.reason,
                      str(d.supersedes or "-"))
    console.print(table)


@audit_app.command("runs")
def runs_command(
    portfolio: Annotated[str | None, typer.Option(
        "--portfolio", help="Only this portfolio's runs.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every recorded screening run, oldest first."""
    from rich.table import Table

    from queries.audit import runs

    with open_store(db) as store:
        found = runs(store, portfolio)
    if as_json:
        print_json([r.to_dict() for r in found])
        return
    table = Table()
    for column in ("run", "kind", "portfolio", "started", "rows", "statuses", "lists"):
        table.add_column(column, overflow="fold")
    for r in for_terminal(found):
        kind = r.kind if r.base_run is None else f"{r.kind} (since {r.base_run})"
        table.add_row(str(r.id), kind, r.portfolio, r.started_at, f"{r.rows:,}",
                      ", ".join(f"{k} {v:,}" for k, v in r.counts.items()),
                      ", ".join(f"{v['source']} {v['list_date'] or 'undated'}"
                                for v in r.list_versions))
    console.print(table)


RunArgument = Annotated[int, typer.Argument(help="The run's number (see `audit runs`).")]


@audit_app.command("show")
def show_command(run: RunArgument, db: DbOption = None, as_json: JsonOption = False) -> None:
    from queries.portfolio import gone_label

    """A recorded run: when, the input's checksum, the list versions, algorithm, thresholds,
    tool version, and each row with hits, its explanation and each decision with its reason."""
    from queries.audit import run_report

    with open_store(db) as store:
        report = run_report(store, run)
    if as_json:
        print_json(report)
        return
    report = for_terminal(report)
    info = report["run"]
    settings = info["settings"]
    _say(f"run {info['id']} of portfolio {info['portfolio']} ({info['kind']}"
         + (f" since run {info['base_run']}" if info["base_run"] else "")
         + f"): {info['started_at']} to {info['finished_at']}, {info['rows']:,} rows")
    _say(f"input checksum {info['input_checksum']}")
    _say(f"algorithm {info['algorithm']}, match from {settings['threshold']}, review from "
         f"{settings['review_threshold']}, limit {settings['limit']}; sanctions-graph "
         f"{info['tool_version']}")
    for v in info["list_versions"]:
        _say(f"list {v['source']} {v['list_date'] or 'undated'} (load {v['load_id']}, "
             f"sha256 {v['checksum'][:16]}...)")
    _say("rows by status: " + ", ".join(f"{k} {v:,}" for k, v in info["counts"].items()))
    by_hit: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for d in report["decisions"]:
        by_hit.setdefault((d["row_id"], d["entity_id"]), []).append(d)
    for row in report["rows"]:
        if not row["matches"] and not row.get("error") and not row.get("alerts"):
            continue
        _say(f"\n{row['id']}: {row['status']} (screen: {row['decision']})"
             + (f"; error: {row['error']}" if row.get("error") else ""))
        for alert in row.get("alerts", []):
            _say(f"  alert: {alert['kind']}"
                 f"{gone_label(alert['delisted'], alert.get('merged_into'))}: "
                 f"{alert['caption']} [{alert['entity_id']}]"
                 + "".join(f"; {c}" for c in alert["changed"]))
            for record in alert["diff"]:
                _say(f"    {record['source']} {record['from']} -> {record['to']}: "
                     f"{record['kind']} record {record['record_id']} ({record['name']})")
        for match in row["matches"]:
            _say(f"  {match['score']:.2f} {match['status']}: {match['caption']} "
                 f"[{match['entity_id']}]")
            for reason in match["explanation"].split("; "):
                _say(f"    - {reason}")
            for change in match["changed"]:
                _say(f"    changed since the decision: {change}")
            for d in by_hit.get((row["id"], match["entity_id"]), []):
                _say(f"    decision {d['id']}: {d['verdict']} by {d['who']} at {d['at']}: "
                     f"{d['reason']}")


@audit_app.command("export")
def export_command(
    run: RunArgument,
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Report file: .json, or .html (one self-contained page).")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a recorded run's report for an examiner (JSON or a readable HTML page)."""
    from queries.audit import export_run

    with open_store(db) as store:
        path = export_run(store, run, output)
    if as_json:
        print_json({"run": run, "output": str(path)})
    else:
        err_console.print(f"run {run}: report written to {path}", markup=False,
                          highlight=False, soft_wrap=True)


@audit_app.command("replay")
def replay_command(
    run: RunArgument,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Worker processes (default: one per core).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Screen a recorded run's rows again with its settings against the same list versions
    (refused when other versions are in force) and say whether every result is the same."""
    from queries.audit import replay_run

    with open_store(db) as store:
        _index(store, False)
        replay = replay_run(store, run, workers=workers)
    if as_json:
        print_json(replay.to_dict())
    else:
        _say(f"run {run}: {replay.rows:,} rows screened again: "
             + ("every result the same" if replay.same else
                f"{len(replay.differences):,} differ"))
        for difference in for_terminal(replay.differences)[:20]:
            _say(f"  {difference['id']}: recorded {difference['recorded']}, now "
                 f"{difference['now']}")
    if not replay.same:
        raise typer.Exit(1)


__all__ = ["audit_app", "portfolio_app"]

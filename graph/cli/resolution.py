"""Resolution commands: resolve, judge, review, explain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

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
from graph.cli.indexing import refresh_screen_index
from graph.resolution.decisions import MERGE_THRESHOLD, REVIEW_THRESHOLD, Verdict

# The resolution engine (scoring, blocking, rapidfuzz) is imported when one of these commands
# runs, not with the CLI.
if TYPE_CHECKING:
    from graph.resolution.engine import (
        Explanation,
        JudgeResult,
        RecordView,
        ResolveReport,
        ReviewItem,
    )

ByOption = Annotated[
    str | None, typer.Option("--by", help="Who judges (default: $USER).", show_default=False)
]

#: Properties shown first on the review screen, in this order; the rest follow.
_REVIEW_FIRST = ("name", "alias", "previousName", "imoNumber", "mmsi", "callSign", "flag",
                 "buildDate", "birthDate", "nationality", "country", "taxNumber", "innCode",
                 "ogrnCode", "registrationNumber", "unscId", "address")
_REVIEW_SKIP = frozenset({"notes", "reason", "program", "description", "summary", "topics"})


@app.command("resolve")
def resolve_command(
    db: DbOption = None,
    full: Annotated[bool, typer.Option("--full", help="Re-score every pair, not only the "
                                                      "records that changed.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Find the same entity across lists: score candidate pairs (only those touching records
    that changed since the last run), merge above the threshold, queue the review band."""
    from graph.resolution.engine import resolve

    with open_store(db) as store:
        since = store.generation()
        with progress_bar("scoring pairs") as progress:
            report = resolve(store, full=full, progress=lambda done, total: progress(done))
        _print_resolve(report, as_json)
        refresh_screen_index(store, since)


def _print_resolve(report: ResolveReport, as_json: bool) -> None:
    if as_json:
        print_json(report.to_dict())
        return
    console.print(
        f"resolved {report.records:,} records in {report.seconds:.1f} s: {report.read:,} read "
        f"(the lists loaded since the last run), {report.changed:,} changed, "
        f"{report.removed:,} gone; {report.scored:,} candidate pairs of the changed scored",
        markup=False,
    )
    console.print(
        f"  {report.merges:,} pairs merged (score >= {MERGE_THRESHOLD}), {report.review:,} in "
        f"the review band ({REVIEW_THRESHOLD}-{MERGE_THRESHOLD}); {report.clusters:,} entities "
        f"joined from {report.merged_records:,} records",
        markup=False,
    )
    if report.review:
        console.print("  next: sanctions-graph review", markup=False)


@app.command("judge")
def judge_command(
    a: Annotated[str, typer.Argument(help="A record (source:id) or canonical id.")],
    b: Annotated[str, typer.Argument(help="The other record or canonical id.")],
    verdict: Annotated[Verdict, typer.Argument(help="same, different or unsure.")],
    by: ByOption = None,
    note: Annotated[str | None, typer.Option("--note", help="Why (kept with the judgement).")]
    = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record that two records are the same entity, different, or that you are unsure. A
    judgement wins over scores and survives reloads of any source."""
    from graph.resolution.engine import judge

    with open_store(db) as store:
        since = store.generation()
        result = judge(store, a, b, verdict, who=by, note=note)
        _print_judge(result, as_json)
        refresh_screen_index(store, since)


def _print_judge(result: JudgeResult, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
        return
    result = for_terminal(result)
    j = result.judgement
    console.print(f"{j.a} and {j.b}: {j.verdict} (by {j.who}, {j.at})", markup=False)
    if result.canonical_a == result.canonical_b:
        console.print(f"  now one entity: {result.canonical_a}", markup=False)
    else:
        console.print(f"  separate entities: {result.canonical_a} and {result.canonical_b}",
                      markup=False)
    for refusal in result.refused:
        err_console.print(f"  warning: not merged: {refusal.reason}", markup=False)


def _explanation_table(features: list[tuple[str, float, str]]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("feature")
    table.add_column("weight", justify="right")
    table.add_column("what it saw", overflow="fold")
    for name, weight, detail in features:
        table.add_row(name, "veto" if name.endswith("_conflict") and weight == 0.0
                      and name in ("imo_ship_conflict", "schema_conflict") else f"{weight:+.2f}",
                      detail)
    return table


@app.command("explain")
def explain_command(
    a: Annotated[str, typer.Argument(help="A record (source:id) or canonical id.")],
    b: Annotated[str, typer.Argument(help="The other record or canonical id.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The score of two records (for canonical ids: their best-matching members) and every
    feature that made it."""
    from graph.resolution.engine import explain

    with open_store(db) as store:
        result: Explanation = explain(store, a, b)
    if as_json:
        print_json(result.to_dict())
        return
    result = for_terminal(result)
    s = result.score
    console.print(f"{s.a}  vs  {s.b}", markup=False)
    console.print(f"score {s.score:.2f}: {result.decision}"
                  + (" (already one entity)" if result.same_cluster else ""), markup=False)
    if result.judgement:
        j = result.judgement
        console.print(f"judged {j.verdict} by {j.who} at {j.at} (the judgement wins)",
                      markup=False)
    console.print(_explanation_table([(f.name, f.weight, f.detail) for f in s.features]))


def _side_by_side(item: ReviewItem) -> Table:
    table = Table(show_header=True, header_style="bold", show_lines=False)
    table.add_column("", style="dim")
    table.add_column(item.a.gid, overflow="fold")
    table.add_column(item.b.gid, overflow="fold")
    table.add_row("schema", item.a.schema, item.b.schema)
    props = [p for p in _REVIEW_FIRST if p in item.a.properties or p in item.b.properties]
    props += sorted((set(item.a.properties) | set(item.b.properties)) - set(props)
                    - _REVIEW_SKIP)

    def cell(view: RecordView, prop: str) -> str:
        values = view.properties.get(prop, [])
        shown = "; ".join(values[:6])
        return shown + (f" (+{len(values) - 6})" if len(values) > 6 else "")

    for prop in props:
        table.add_row(prop, cell(item.a, prop), cell(item.b, prop))
    return table


_ANSWERS = {"s": Verdict.SAME, "d": Verdict.DIFFERENT, "u": Verdict.UNSURE}


@app.command("review")
def review_command(
    db: DbOption = None,
    by: ByOption = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Stop after this many pairs.")]
    = None,
    as_json: JsonOption = False,
) -> None:
    """Walk the review band: each pair side by side with its explanation; answer s(ame),
    d(ifferent), u(nsure), k (skip) or q (quit). With --json, print the queue instead."""
    from graph.resolution.engine import default_judge, judge, review_queue

    who = by or default_judge()
    with open_store(db) as store:
        queue = review_queue(store, limit=limit)
        if as_json:
            print_json([item.to_dict() for item in queue])
            return
        if not queue:
            console.print("the review band is empty (run sanctions-graph resolve first)",
                          markup=False)
            return
        since = store.generation()
        done = 0
        for n, item in enumerate(queue, 1):
            shown = for_terminal(item)
            console.print(f"\n[{n}/{len(queue)}] score {item.score:.2f}: {shown.a.gid}  vs  "
                          f"{shown.b.gid}", markup=False, soft_wrap=True)
            console.print(_side_by_side(shown))
            console.print(_explanation_table(shown.features))
            answer = typer.prompt("same, different, unsure, skip or quit? [s/d/u/k/q]",
                                  default="k", show_default=False).strip().lower()[:1]
            if answer == "q":
                break
            if answer not in _ANSWERS:
                continue
            result = judge(store, item.a.gid, item.b.gid, _ANSWERS[answer], who=who)
            done += 1
            console.print(f"  recorded: {result.judgement.verdict} (by {who})", markup=False)
        console.print(f"\n{done} judgement(s) recorded", markup=False)
        refresh_screen_index(store, since)


__all__ = ["explain_command", "judge_command", "resolve_command", "review_command"]

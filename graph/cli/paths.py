"""Commands over paths: path (and --to-state), exposure, blocked."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from graph.cli.app import (
    DbOption,
    JsonOption,
    app,
    console,
    for_terminal,
    open_store,
    print_json,
)
from graph.cli.render import blocked_lines, node_text, path_text
from graph.errors import QueryError
from queries.blocked import blocked_by_ownership
from queries.paths import (
    DEFAULT_EXPOSURE_LIMIT,
    DEFAULT_MAX_HOPS,
    exposure,
    parse_kinds,
    path_between,
    path_to_state,
)

ViaOption = Annotated[
    list[str] | None,
    typer.Option("--via", help="Only these relation kinds (repeat or comma-separate): "
                 "ownership, operation, management, directorship, link, shipment, transport, "
                 "supply."),
]
MaxHopsOption = Annotated[
    int, typer.Option("--max-hops", min=1, max=30, help="Longest path searched.")
]


@app.command()
def path(
    source: Annotated[str, typer.Argument(help="From: an id, source:id, IMO number or name.")],
    target: Annotated[
        str | None, typer.Argument(help="To: an id, source:id, IMO number or name.")
    ] = None,
    to_state: Annotated[
        bool, typer.Option("--to-state", help="Find the nearest state actor instead of TARGET.")
    ] = False,
    via: ViaOption = None,
    all_paths: Annotated[bool, typer.Option("--all", help="Every shortest path.")] = False,
    max_hops: MaxHopsOption = DEFAULT_MAX_HOPS,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Shortest paths between two entities, each step with its relation, role, dates and
    sources; analysts' evidence is marked as such."""
    kinds = parse_kinds(via or [])
    if to_state == (target is not None):
        raise QueryError("give either TARGET or --to-state")
    with open_store(db) as store:
        if to_state:
            start, paths = path_to_state(store, source, kinds=kinds, max_hops=max_hops)
            if as_json:
                print_json({"source": asdict(start), "to_state": [p.to_dict() for p in paths]})
                return
            start, paths = for_terminal((start, paths))
            if not paths:
                console.print(Text("no state actor within ") + Text(f"{max_hops} steps of ")
                              + node_text(start))
                return
            hops = paths[0].hops
            console.print(f"nearest state actor: {hops} step{'s' * (hops != 1)}, "
                          f"{len(paths)} path{'s' * (len(paths) != 1)}", markup=False)
            for n, found in enumerate(paths, 1):
                console.print(Text(f"\npath {n}", style="bold"))
                console.print(path_text(found, indent="  "))
            return
        assert target is not None
        answer = path_between(store, source, target, kinds=kinds, max_hops=max_hops,
                              all_paths=all_paths)
    if as_json:
        print_json(answer.to_dict())
        return
    answer = for_terminal(answer)
    if answer.hops is None:
        console.print(Text("no path within ") + Text(f"{max_hops} steps between ")
                      + node_text(answer.source) + Text(" and ") + node_text(answer.target))
        return
    shown = len(answer.paths)
    more = f" (showing {shown} of {answer.total_paths})" if answer.total_paths > shown else ""
    console.print(f"{answer.hops} step{'s' * (answer.hops != 1)}; {answer.total_paths} shortest "
                  f"path{'s' * (answer.total_paths != 1)}{more}"
                  + ("" if all_paths or answer.total_paths < 2 else " (--all lists every one)"),
                  markup=False)
    for n, found in enumerate(answer.paths, 1):
        console.print(Text(f"\npath {n}", style="bold"))
        console.print(path_text(found, indent="  "))


@app.command(name="exposure")
def exposure_command(
    entity: Annotated[str, typer.Argument(help="An id, source:id, IMO number or name.")],
    hops: Annotated[int, typer.Option("--hops", min=1, max=10, help="How far to look.")] = 2,
    via: ViaOption = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Most entities listed.")
    ] = DEFAULT_EXPOSURE_LIMIT,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sanctioned entities within N steps, nearest first: ownership and control steps count as
    nearer than looser links ("linked to", shipments)."""
    with open_store(db) as store:
        answer = exposure(store, entity, hops, kinds=parse_kinds(via or []), limit=limit)
    if as_json:
        print_json(answer.to_dict())
        return
    answer = for_terminal(answer)
    head = Text(f"{answer.total} sanctioned within {hops} step{'s' * (hops != 1)} of ")
    console.print(head + node_text(answer.source))
    console.print("(nearest first by weight: an ownership or control step weighs 1, a looser tie "
                  "such as 'linked to' or a shipment 2)", markup=False, style="dim")
    if answer.total > len(answer.hits):
        console.print(f"(showing the nearest {len(answer.hits)}; --limit for more)",
                      markup=False)
    for n, hit in enumerate(answer.hits, 1):
        line = Text(f"\n{n}. ", style="bold")
        line.append(hit.node.caption, style="bold")
        line.append(f"  {hit.hops} step{'s' * (hit.hops != 1)}, weight {hit.cost}  ")
        line.append("; ".join(hit.programmes), style="red")
        console.print(line)
        console.print(path_text(hit.path, indent="   "))


@app.command()
def blocked(
    authority: Annotated[
        list[str] | None,
        typer.Option("--authority", help="Count only listings of this authority as blocked "
                     "holders (repeat), e.g. 'US OFAC'. Default: every list loaded."),
    ] = None,
    certain: Annotated[
        bool, typer.Option("--certain", help="Leave out entities blocked only if holdings of "
                           "unknown size are large enough.")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Entities blocked by ownership (OFAC's 50% rule): owned 50% or more, in the aggregate,
    directly or through blocked entities, by listed persons; with the holdings behind each."""
    with open_store(db) as store:
        found = blocked_by_ownership(store, authorities=set(authority) if authority else None,
                                     possible=not certain)
    if as_json:
        print_json([b.to_dict() for b in found])
        return
    found = for_terminal(found)
    sure = sum(1 for b in found if b.status == "blocked")
    console.print(f"{sure} entit{'ies' if sure != 1 else 'y'} blocked by ownership"
                  + ("" if certain
                     else f", {len(found) - sure} possibly (shares unknown or stated as bands)"),
                  markup=False)
    for entity in found:
        console.print(Text("\n") + Text(entity.caption, style="bold")
                      + Text(f" ({entity.schema}, {entity.id})", style="dim"))
        for line in blocked_lines(entity):
            console.print(Text("  ") + line)


__all__ = ["blocked", "exposure_command", "path"]

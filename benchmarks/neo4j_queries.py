"""Benchmark: latency of every query of the Cypher library (queries/cypher/) on the shared data,
pushed into a real Neo4j 5.26 Community started as the tests start it (tests/neo4j/server.py),
beside the embedded answer to the same question from the store in the same run.

    .venv/bin/python benchmarks/neo4j_queries.py [--repeat 20] [--store PATH] [--heap 1g]

The graph is the live tests' graph (every shared real file plus the demo's registry and evidence
file, resolved), pushed with `push()`. Each query runs with its example parameters and a few
others drawn with a fixed seed from the pushed rows: IMO numbers and names of vessels that have
owners or managers (and one that has none), ids of vessels and companies with relations, pairs of
such ids; for the queries without an id, other limits. Two timings per call:

- "one driver": one driver and one session kept open, each call a managed read transaction
  (`session.execute_read`) that reads every row as `run_query` does: the query's own latency;
- "run_query": `graph.neo4j.sync.run_query`, which opens and verifies a driver per call (what
  `sanctions-graph neo4j query` pays, start-up of the CLI aside).

The first call of each parameter set (Cypher planning, a cold cache) is run and left out.
Anchors, on the same questions: `queries.owner.who_owns(store, "IMO ...")` / a name,
`queries.paths.exposure(store, id, 3)` and `queries.paths.path_between(store, a, b)` (their
path index is built once, before timing). Target: each query's median at most 100 ms (one
driver).
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.neo4j_common import (  # noqa: E402
    RAW,
    machine_line,
    median,
    open_live_store,
    percentile,
    server,
    verdict,
)
from graph.errors import SanctionsGraphError  # noqa: E402
from graph.neo4j.library import CypherQuery, library  # noqa: E402
from graph.neo4j.shape import ENTITY, GraphRows, build_graph, end_label  # noqa: E402
from graph.neo4j.sync import open_driver, plain, push, run_query  # noqa: E402
from graph.store import Store  # noqa: E402
from queries.owner import who_owns  # noqa: E402
from queries.paths import exposure, path_between, store_index  # noqa: E402

TARGET_MS: Final = 100.0
SEED: Final = 20231016


# -- parameters ------------------------------------------------------------------------------


def sample_parameters(graph: GraphRows, queries: dict[str, CypherQuery], count: int = 4
                      ) -> dict[str, list[dict[str, Any]]]:
    """Per query: its example parameters first, then `count` (or so) realistic others."""
    rng = random.Random(SEED)
    entity_rels = [r for r in graph.rels if end_label(r.type) == ENTITY]
    related = sorted({r.start for r in entity_rels} | {r.end for r in entity_rels})
    nodes = {row.id: row for row in graph.nodes if row.space == ENTITY}
    with_parties = sorted({r.end for r in entity_rels
                           if "Vessel" in nodes[r.end].labels and "imo" in nodes[r.end].props})
    have_parties = set(with_parties)
    lonely = sorted(row.id for row in nodes.values() if "Vessel" in row.labels
                    and "imo" in row.props and row.id not in have_parties)
    vessels = rng.sample(with_parties, min(count, len(with_parties)))
    if lonely:
        vessels.append(rng.choice(lonely))
    imos = [str(nodes[v].props["imo"]) for v in vessels]
    # names the full-text query parses as plain words (no Lucene syntax)
    named = [v for v in with_parties if re.fullmatch(r"[A-Z0-9 ]{3,}", nodes[v].props["caption"])]
    names = [str(nodes[v].props["caption"]) for v in rng.sample(named, min(count, len(named)))]
    companies = [i for i in related if nodes[i].labels[:1] == ("Company",)]
    ids = rng.sample(with_parties, count // 2) + rng.sample(companies, count - count // 2)
    pairs = [tuple(rng.sample(related, 2)) for _ in range(count)]
    out: dict[str, list[dict[str, Any]]] = {}
    for name, query in queries.items():
        example = query.example_parameters()
        keys = set(example)
        others: list[dict[str, Any]]
        if keys == {"imo"}:
            others = [{"imo": imo} for imo in imos]
        elif keys == {"name"}:
            others = [{"name": n} for n in names]
        elif keys == {"id"}:
            others = [{"id": i} for i in ids]
        elif keys == {"id", "hops"}:
            others = [{"id": i, "hops": example["hops"]} for i in ids]
        elif keys == {"from_id", "to_id"}:
            others = [{"from_id": a, "to_id": b} for a, b in pairs]
        elif keys == {"min_vessels", "limit"}:
            others = [{"min_vessels": 1, "limit": 100}, {"min_vessels": 5, "limit": 10}]
        elif keys == {"limit"}:
            others = [{"limit": 10}, {"limit": 200}]
        else:
            others = []
        out[name] = [example, *others]
    return out


# -- timing ----------------------------------------------------------------------------------


def timings(call: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Milliseconds of `repeat` calls after one untimed warm-up call; the last result."""
    result = call()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        runs.append((time.perf_counter() - started) * 1000)
    return runs, result


def one_driver_call(session: Any, statement: str, params: dict[str, Any]
                    ) -> Callable[[], list[dict[str, Any]]]:
    def work(tx: Any) -> list[dict[str, Any]]:
        result = tx.run(statement, params)
        keys = list(result.keys())
        return [{k: plain(record[k]) for k in keys} for record in result]

    return lambda: session.execute_read(work)


def embedded_call(store: Store, name: str, params: dict[str, Any]) -> Callable[[], Any] | None:
    """The embedded answer to the same question, or None when the library has none."""
    if name in {"owner_by_imo", "sister_ships"}:
        return lambda: who_owns(store, f"IMO {params['imo']}")
    if name == "owner_by_name":
        return lambda: who_owns(store, params["name"])
    if name in {"ownership_chain", "sanctioned_within_hops"}:
        return lambda: exposure(store, params["id"], int(params.get("hops", 3)))
    if name == "shortest_paths":
        return lambda: path_between(store, params["from_id"], params["to_id"])
    return None


EMBEDDED_NAMES: Final = {
    "owner_by_imo": "who_owns(IMO)", "sister_ships": "who_owns(IMO)",
    "owner_by_name": "who_owns(name)", "ownership_chain": "exposure(id, 3)",
    "sanctioned_within_hops": "exposure(id, 3)", "shortest_paths": "path_between(a, b)",
}


def stats(runs: list[float]) -> str:
    if not runs:
        return f"{'-':>8} {'-':>8}"
    return f"{median(runs):8.1f} {percentile(runs, 0.95):8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--repeat", type=int, default=20,
                        help="timed calls per parameter set with one driver (default 20)")
    parser.add_argument("--repeat-run-query", type=int, default=5,
                        help="timed run_query calls per parameter set (default 5)")
    parser.add_argument("--repeat-embedded", type=int, default=10,
                        help="timed embedded calls per parameter set (default 10)")
    parser.add_argument("--store", type=Path,
                        help="use the live-graph store at PATH (built there when missing)")
    parser.add_argument("--raw", type=Path, default=RAW, help="shared data folder")
    parser.add_argument("--heap", default="1g", help="server heap (default 1g, as the tests)")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="neo4j-queries-") as tmpname:
        tmp = Path(tmpname)
        db = args.store or tmp / "live.db"
        store = open_live_store(db, args.raw)
        try:
            graph = build_graph(store)
            queries = library()
            changed = subprocess.run(["git", "status", "--porcelain", "--", "queries/cypher"],
                                     cwd=ROOT, capture_output=True, text=True, check=False)
            edits = [line[3:] for line in changed.stdout.splitlines()]
            print(f"library: {len(queries)} queries from queries/cypher"
                  + (f" (working tree; uncommitted: {', '.join(edits)})" if edits else ""))
            parameters = sample_parameters(graph, queries)
            started = time.perf_counter()
            store_index(store)
            print(f"embedded path index ready in {time.perf_counter() - started:.1f} s "
                  "(before any timing)")
            with server(tmp / "server", args.heap) as (srv, started_in):
                conn = srv.connection()
                started = time.perf_counter()
                pushed = push(graph, conn)
                print(f"server started in {started_in:.1f} s; pushed {pushed.nodes_total:,} "
                      f"nodes, {pushed.rels_total:,} relationships in "
                      f"{time.perf_counter() - started:.1f} s (not part of the figures)")
                measure(store, conn, queries, parameters, args)
        finally:
            store.close()


def measure(store: Store, conn: Any, queries: dict[str, CypherQuery],
            parameters: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    print(f"\nmilliseconds per call: median and p95 over every parameter set x repeats "
          f"(one driver: {args.repeat}, run_query: {args.repeat_run_query}, embedded: "
          f"{args.repeat_embedded} per set); target: median <= {TARGET_MS:.0f} ms (one driver)")
    print(f"{'query':<24} {'sets':>4} {'rows':>6} | {'one driver':>26} | {'run_query':>17} | "
          f"{'embedded anchor':<20} {'':>17} | target")
    print(f"{'':<24} {'':>4} {'':>6} | {'median':>8} {'p95':>8} {'worst':>8} | {'median':>8} "
          f"{'p95':>8} | {'':<20} {'median':>8} {'p95':>8} |")
    details: list[str] = []
    driver = open_driver(conn)
    try:
        with driver.session(database=conn.database) as session:
            for name, query in queries.items():
                one: list[float] = []
                worst = 0.0
                per_query: list[float] = []
                embedded: list[float] = []
                rows = 0
                for params in parameters[name]:
                    runs, result = timings(one_driver_call(session, query.statement, params),
                                           args.repeat)
                    one += runs
                    worst = max(worst, median(runs))
                    rows += len(result)
                    per_query += timings(lambda p=params, q=query: run_query(conn, q.statement,
                                                                             p),
                                         args.repeat_run_query)[0]
                    call = embedded_call(store, name, params)
                    note = ""
                    if call is not None:
                        try:
                            embedded += timings(call, args.repeat_embedded)[0]
                        except SanctionsGraphError as exc:
                            note = f"; embedded: {type(exc).__name__}"
                    details.append(f"  {name} {params}: {len(result)} rows, one driver median "
                                   f"{median(runs):.1f} ms{note}")
                anchor = EMBEDDED_NAMES.get(name, "(none)")
                print(f"{name:<24} {len(parameters[name]):>4} {rows / len(parameters[name]):>6.1f}"
                      f" | {stats(one)} {worst:8.1f} | {stats(per_query)} | {anchor:<20} "
                      f"{stats(embedded)} | {verdict(median(one), TARGET_MS)}"
                      + ("" if worst <= TARGET_MS else " (worst set MISSED)"))
    finally:
        driver.close()
    print("(rows: mean rows returned per parameter set; worst: the slowest parameter set's "
          "median)")
    print("\nper parameter set:")
    for line in details:
        print(line)


if __name__ == "__main__":
    main()

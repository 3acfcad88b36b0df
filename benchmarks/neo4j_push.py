"""Benchmark: the first push of all shared data into an empty Neo4j database, and the no-op
second push, against a real Neo4j 5.26 Community started as the tests start it
(tests/neo4j/server.py: 127.0.0.1, a free port, a generated password, a fresh store).

    .venv/bin/python benchmarks/neo4j_push.py [--store PATH] [--heap 1g] [--no-cli]
                                              [--no-import-anchor]

The graph is the live tests' graph (tests/graph/conftest.py): every shared real file in
../shared/data/raw, plus the demo's registry.csv and rusi_orient_express.yaml, resolved; then
`build_graph` (timed on its own). Measured:

- `push()` in this process: first push into a fresh database, then the second push, which
  changes nothing; at the end the database is emptied and the first push runs again on the now
  warm server (how much of the first figure is a cold JVM and a new store). Each with the
  client's CPU time and the server JVM's CPU time, and a breakdown of where the wall time goes
  (connect, schema statements, reading the remote hashes, planning, and the write batches per
  statement kind).
- `sanctions-graph neo4j push --db STORE` as a user runs it (a subprocess, NEO4J_URI and
  NEO4J_PASSWORD in its environment), first and no-op, into a second fresh server; beside it
  `neo4j push --dry-run` (start-up, store, graph rows and plan, no server) as its baseline.
- Anchors from the same run (the machine is shared, so absolute figures drift), on the same
  server after the pushes: a plain `UNWIND $rows ... CREATE` of as many minimal rows (an id;
  relationships between those ids) in batches of the same size; the push's own rows by plain
  CREATE (no MERGE, no label changes, no full-text index), and its node rows with a full-text
  index; the no-op push's read of every id and hash one record each (as the sync read it before
  it took one list per label and type), with the default fetch and in one go; after the
  CLI pushes the UNWIND anchors again on that server; and `neo4j-admin database import full` of
  the same graph.

Targets: first push at most 60 s, no-op push at most 5 s (both for `push()`).
The password is never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import graph.neo4j.sync as sync  # noqa: E402
from benchmarks.neo4j_common import (  # noqa: E402
    RAW,
    bulk_import,
    count_graph,
    machine_line,
    open_live_store,
    server,
    verdict,
)
from graph.neo4j.export import export_bulk  # noqa: E402
from graph.neo4j.shape import GraphRows, build_graph  # noqa: E402
from graph.neo4j.sync import (  # noqa: E402
    BATCH_ROWS,
    FULLTEXT_INDEX,
    FULLTEXT_PROPERTIES,
    Connection,
    PushResult,
    plan_sync,
    push,
)
from tests.neo4j.database import empty_database  # noqa: E402
from tests.neo4j.server import Neo4jServer  # noqa: E402

TARGET_FIRST: Final = 60.0
TARGET_NOOP: Final = 5.0
CLI: Final = ROOT / ".venv" / "bin" / "sanctions-graph"
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


def jvm_cpu(srv: Neo4jServer) -> float:
    """CPU seconds (user + system) the server's JVM has used so far."""
    if srv.process is None:
        return float("nan")
    fields = Path(f"/proc/{srv.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _write_key(statement: str, rows: list[Any] | None) -> str:
    """What one write transaction of the sync does, from its statement."""
    if rows is None:
        return ("schema: indexes (after the writes)" if "INDEX" in statement
                else "schema: constraints")
    verb = ("delete" if "DELETE" in statement else "create" if "CREATE (n:" in statement
            else "upsert")
    if "[r:" in statement:
        return f"{verb} relationships :{statement.split('[r:', 1)[1].split(' ', 1)[0]}"
    label = re.split(r"[ )]", statement.split("(n:", 1)[1], maxsplit=1)[0]
    return f"{verb} nodes :{label}"


class Breakdown:
    """Wall time of each transaction the sync runs, commit included, and of its other steps:
    for one push, `open_driver` and `plan_sync` in graph.neo4j.sync are wrapped, and the driver
    and session they hand out are wrapped to time `execute_write` / `execute_read` (a
    `perf_counter` call each; `push()` itself is unchanged)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.rows: dict[str, int] = defaultdict(int)
        self.calls: dict[str, int] = defaultdict(int)

    @contextlib.contextmanager
    def step(self, label: str, rows: int = 0) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[label] += time.perf_counter() - started
            self.rows[label] += rows
            self.calls[label] += 1

    @contextlib.contextmanager
    def installed(self) -> Iterator[Breakdown]:
        open_driver, plan = sync.open_driver, sync.plan_sync

        def timed_open(conn: Connection) -> Any:
            with self.step("connect (open and verify the driver)"):
                return _Driver(open_driver(conn), self)

        def timed_plan(*args: Any, **kwargs: Any) -> Any:
            with self.step("plan (compare hashes, make batches)"):
                return plan(*args, **kwargs)

        sync.open_driver, sync.plan_sync = timed_open, timed_plan  # type: ignore[assignment]
        try:
            yield self
        finally:
            sync.open_driver, sync.plan_sync = open_driver, plan  # type: ignore[assignment]

    def print(self, total: float, indent: str = "    ") -> None:
        for label in sorted(self.seconds, key=lambda k: -self.seconds[k]):
            seconds, rows, calls = self.seconds[label], self.rows[label], self.calls[label]
            counted = f", {rows:,} rows, {rows / seconds:,.0f} rows/s" if rows else ""
            what = f" ({calls} transactions{counted})" if calls > 1 or rows else ""
            print(f"{indent}{seconds:7.2f} s {100 * seconds / total:5.1f}%  {label}{what}")
        rest = total - sum(self.seconds.values())
        print(f"{indent}{rest:7.2f} s {100 * rest / total:5.1f}%  the rest (sessions, Python)")


class _Session:
    def __init__(self, inner: Any, breakdown: Breakdown) -> None:
        self.inner, self.breakdown = inner, breakdown

    def __enter__(self) -> _Session:
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self.inner.__exit__(*exc)

    def execute_write(self, work: Any, statement: str, rows: list[Any] | None) -> Any:
        with self.breakdown.step(_write_key(statement, rows), len(rows or [])):
            return self.inner.execute_write(work, statement, rows)

    def execute_read(self, work: Any, *args: Any) -> Any:
        with self.breakdown.step("read remote ids and hashes"):
            return self.inner.execute_read(work, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _Driver:
    def __init__(self, inner: Any, breakdown: Breakdown) -> None:
        self.inner, self.breakdown = inner, breakdown

    def session(self, **kwargs: Any) -> _Session:
        return _Session(self.inner.session(**kwargs), self.breakdown)

    def close(self) -> None:
        with self.breakdown.step("close the driver"):
            self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def timed_push(graph: GraphRows, conn: Connection, srv: Neo4jServer, label: str,
               target: float) -> PushResult:
    breakdown = Breakdown()
    cpu, jvm = time.process_time(), jvm_cpu(srv)
    with breakdown.installed():
        started = time.perf_counter()
        result = push(graph, conn)
        seconds = time.perf_counter() - started
    cpu, jvm = time.process_time() - cpu, jvm_cpu(srv) - jvm
    print(f"  {label}: {seconds:.1f} s (target <= {target:.0f} s: {verdict(seconds, target)}); "
          f"{result.plan.changed:,} changes, {result.plan.rows:,} rows in "
          f"{len(result.plan.batches):,} batches; CPU: client {cpu:.1f} s, server JVM "
          f"{jvm:.1f} s")
    breakdown.print(seconds)
    return result


def _unwind(session: Any, statement: str, rows: list[Any], batch_rows: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(rows), batch_rows):
        session.execute_write(lambda tx, chunk: tx.run(statement, rows=chunk).consume(),
                              rows[i:i + batch_rows])
    return time.perf_counter() - started


def unwind_anchor(conn: Connection, graph: GraphRows, batch_rows: int = BATCH_ROWS) -> None:
    """Plain `UNWIND $rows ... CREATE` into the same server, in batches of the push's size, on
    labels and a type of their own (a uniqueness constraint on `id`, as the sync has; no other
    index), removed afterwards: (1) as many minimal rows as the first push sends (nodes with an
    id only, relationships with no property); (2) the push's own rows, every property, but
    CREATE instead of the sync's MERGE and label changes, and no full-text index to feed; (3)
    the push's node rows, CREATE, with a full-text index over the same properties as the
    sync's."""
    index = {row.id: i for i, row in enumerate(graph.nodes)}
    rels = [r for r in graph.rels if r.start in index and r.end in index]
    minimal_nodes = list(range(len(graph.nodes)))
    minimal_rels = [{"s": index[r.start], "e": index[r.end]} for r in rels]
    full_nodes = [{"id": i, "props": {**row.props, "id": i}} for i, row in enumerate(graph.nodes)]
    full_rels = [{"s": index[r.start], "e": index[r.end], "props": dict(r.props)} for r in rels]
    driver = sync.open_driver(conn)
    try:
        with driver.session(database=conn.database) as session:
            for label in ("BenchMinimal", "BenchFull", "BenchText"):
                session.run(f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS "
                            f"FOR (n:{label}) REQUIRE n.id IS UNIQUE").consume()
            names = ", ".join(f"n.{p}" for p in FULLTEXT_PROPERTIES)
            session.run(f"CREATE FULLTEXT INDEX bench_text IF NOT EXISTS FOR (n:BenchText) "
                        f"ON EACH [{names}]").consume()
            session.run("CALL db.awaitIndexes(300)").consume()
            minimal = (
                _unwind(session, "UNWIND $rows AS id CREATE (:BenchMinimal {id: id})",
                        minimal_nodes, batch_rows),
                _unwind(session, "UNWIND $rows AS row MATCH (a:BenchMinimal {id: row.s}) "
                        "MATCH (b:BenchMinimal {id: row.e}) CREATE (a)-[:BENCH_MINIMAL]->(b)",
                        minimal_rels, batch_rows))
            full = (
                _unwind(session, "UNWIND $rows AS row CREATE (n:BenchFull) SET n = row.props",
                        full_nodes, batch_rows),
                _unwind(session, "UNWIND $rows AS row MATCH (a:BenchFull {id: row.s}) "
                        "MATCH (b:BenchFull {id: row.e}) CREATE (a)-[r:BENCH_FULL]->(b) "
                        "SET r = row.props", full_rels, batch_rows))
            text = _unwind(session, "UNWIND $rows AS row CREATE (n:BenchText) SET n = row.props",
                           full_nodes, batch_rows)
            session.run("DROP INDEX bench_text IF EXISTS").consume()
            for label in ("BenchMinimal", "BenchFull", "BenchText"):
                session.run(f"MATCH (n:{label}) CALL {{ WITH n DETACH DELETE n }} "
                            "IN TRANSACTIONS OF 5000 ROWS").consume()
                session.run(f"DROP CONSTRAINT {label.lower()}_id IF EXISTS").consume()
    finally:
        driver.close()
    rows = len(minimal_nodes) + len(minimal_rels)
    for name, (nodes_s, rels_s) in (("minimal rows (ids only)", minimal),
                                   ("the push's rows, CREATE", full)):
        print(f"  anchor, plain UNWIND of {rows:,} {name}: {nodes_s + rels_s:.1f} s "
              f"(nodes {nodes_s:.1f} s, relationships {rels_s:.1f} s)")
    print(f"  anchor, the push's {len(full_nodes):,} node rows, CREATE, with a full-text index "
          f"like {FULLTEXT_INDEX} on their label: {text:.1f} s")


def read_anchor(conn: Connection) -> None:
    """What the no-op push reads (every id and content hash), read the way the sync read it
    before it took one list per label and type: one record per node or relationship, with the
    driver's default fetch (1,000 records per round trip) and fetched at once (`fetch_size=-1`)."""
    from graph.neo4j.shape import HASH, relationship_types
    from graph.neo4j.sync import SPACES

    per_record = [f"MATCH (n:{space}) RETURN n.id AS id, n.{HASH} AS hash" for space in SPACES]
    per_record += [f"MATCH ()-[r:{t}]->() RETURN r.id AS id, r.{HASH} AS hash"
                   for t in relationship_types()]

    def records(tx: Any, statement: str) -> int:
        return len({r["id"]: r["hash"] for r in tx.run(statement)})

    driver = sync.open_driver(conn)
    try:
        for label, options in (("one record each, the driver's default fetch", {}),
                               ("one record each, fetched at once (fetch_size=-1)",
                                {"fetch_size": -1})):
            with driver.session(database=conn.database, **options) as session:
                started = time.perf_counter()
                count = sum(session.execute_read(records, st) for st in per_record)
                seconds = time.perf_counter() - started
            print(f"  anchor, the same {count:,} ids and hashes read {label}: {seconds:.1f} s")
    finally:
        driver.close()


def run_cli(args: list[str], env: dict[str, str], password: str | None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True,
                          check=False, timeout=1800)
    seconds = time.perf_counter() - started
    # the summary is the first line (a table of the changes or "nothing changed" follows)
    out = (done.stdout.strip() or done.stderr.strip()).splitlines()
    line = out[0].strip() if out else ""
    if password:
        line = line.replace(password, "***")
    if done.returncode != 0:
        tail = done.stderr[-2000:].replace(password, "***") if password else done.stderr[-2000:]
        raise RuntimeError(f"sanctions-graph {' '.join(args[:2])} failed ({done.returncode}):"
                           f"\n{tail}")
    return seconds, line


def cli_pushes(db: Path, tmp: Path, heap: str, graph: GraphRows) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    dry, line = run_cli(["neo4j", "push", "--db", str(db), "--dry-run"], env, None)
    print(f"  baseline `neo4j push --dry-run` (start-up, store, graph rows, plan; no server): "
          f"{dry:.1f} s")
    with server(tmp / "server-cli", heap) as (srv, started):
        print(f"  second fresh server started in {started:.1f} s")
        env = {**env, "NEO4J_URI": srv.uri, "NEO4J_PASSWORD": srv.password}
        for label, target in (("first", TARGET_FIRST), ("no-op", TARGET_NOOP)):
            jvm = jvm_cpu(srv)
            seconds, line = run_cli(["neo4j", "push", "--db", str(db)], env, srv.password)
            print(f"  `sanctions-graph neo4j push` {label}: {seconds:.1f} s, less the dry run's "
                  f"{dry:.1f} s: {seconds - dry:.1f} s (push target <= {target:.0f} s: "
                  f"{verdict(seconds - dry, target)}); server JVM CPU {jvm_cpu(srv) - jvm:.1f} s")
            print(f"    {line}")
        unwind_anchor(srv.connection(), graph)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--store", type=Path,
                        help="use the live-graph store at PATH (built there when missing) "
                             "instead of building one in a temporary folder")
    parser.add_argument("--raw", type=Path, default=RAW, help="shared data folder")
    parser.add_argument("--heap", default="1g", help="server heap (default 1g, as the tests)")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI subprocess runs")
    parser.add_argument("--no-import-anchor", action="store_true",
                        help="skip the neo4j-admin import anchor")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="neo4j-push-") as tmpname:
        tmp = Path(tmpname)
        db = args.store or tmp / "live.db"
        store = open_live_store(db, args.raw)
        try:
            started = time.perf_counter()
            graph = build_graph(store)
            built = time.perf_counter() - started
        finally:
            store.close()
        plan = plan_sync(graph)
        print(f"graph rows (build_graph): {built:.1f} s: {len(graph.nodes):,} nodes, "
              f"{len(graph.rels):,} relationships; a first push sends {plan.rows:,} rows in "
              f"{len(plan.batches):,} batches of at most {BATCH_ROWS:,}")

        print("\n== push() in this process")
        with server(tmp / "server", args.heap) as (srv, started):
            print(f"  fresh server (heap {args.heap}) started in {started:.1f} s")
            conn = srv.connection()
            timed_push(graph, conn, srv, "first push into the empty database", TARGET_FIRST)
            nodes, rels = count_graph(conn)
            print(f"  held after it: {nodes:,} nodes, {rels:,} relationships")
            timed_push(graph, conn, srv, "second push (no-op)", TARGET_NOOP)
            read_anchor(conn)
            unwind_anchor(conn, graph)
            empty_database(conn)
            timed_push(graph, conn, srv, "first push again, into the emptied database (the "
                       "server warm: its JIT and caches, the store files grown)", TARGET_FIRST)

        if not args.no_cli:
            print("\n== `sanctions-graph neo4j push --db STORE` as a user runs it (subprocess)")
            cli_pushes(db, tmp, args.heap, graph)

        if not args.no_import_anchor:
            print("\n== anchor: bulk import of the same graph (neo4j-admin database import full)")
            started = time.perf_counter()
            export = export_bulk(graph, tmp / "bulk")
            exported = time.perf_counter() - started
            imported = bulk_import(export, tmp / "imported")
            shutil.rmtree(tmp / "imported", ignore_errors=True)
            print(f"  export {exported:.1f} s, neo4j-admin import {imported.import_seconds:.1f} s"
                  f" (a fresh JVM included; no server running)")


if __name__ == "__main__":
    main()

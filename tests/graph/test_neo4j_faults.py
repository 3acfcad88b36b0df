"""Faults and hostile input against a real Neo4j: a push cut off half-way (the server killed,
or the pushing process killed) and run again ends with the graph equal to the store; names
written as Cypher arrive verbatim and change nothing else; a wrong password, a server that is
down and a port that never answers each give one clear line and exit 5 within ten seconds, and
no password appears in any output or in the server's logs.

The interruptions need a server they may kill, so they start one of their own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.neo4j.shape import GraphRows, build_graph
from graph.neo4j.sync import Connection, Neo4jError, push
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import FIXTURES, own_server
from tests.graph.conftest import copy_store
from tests.neo4j.database import (
    empty_database,
    held_state,
    label_counts,
    remote_state,
    run,
)
from tests.neo4j.server import Neo4jServer, free_port

pytestmark = pytest.mark.neo4j

CLI = [sys.executable, "-m", "graph.cli"]
HOSTILE = FIXTURES / "neo4j_hostile_names.yaml"
#: A user's bound for a failed connection: one clear line within this many seconds.
FAIL_SECONDS = 10.0


def node_count(conn: Connection) -> int:
    return int(run(conn, "MATCH (n) RETURN count(n) AS n")[0]["n"])


@pytest.fixture(scope="module")
def killable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    """A server of this module's own, which its tests may kill."""
    yield from own_server(tmp_path_factory.mktemp("neo4j-faults"))


def test_a_push_cut_off_by_the_server_dying_completes_on_the_next(
    killable: Neo4jServer, live_graph: GraphRows,
) -> None:
    conn = killable.connection()
    empty_database(conn)
    killed: list[int] = []

    def kill_half_way(done: int, total: int) -> None:
        if not killed and done >= total // 2:
            killed.append(done)
            killable.kill()

    with pytest.raises(Neo4jError) as failed:
        push(live_graph, conn, progress=kill_half_way)
    assert killable.password not in str(failed.value)
    assert "\n" not in str(failed.value)
    killable.start()
    partial = remote_state(conn)
    written = sum(map(len, partial.nodes.values())) + sum(map(len, partial.rels.values()))
    assert 0 < written < len(live_graph.nodes) + len(live_graph.rels)
    again = push(live_graph, conn)
    assert 0 < again.plan.rows < len(live_graph.nodes) + len(live_graph.rels)
    assert remote_state(conn) == held_state(live_graph)
    assert push(live_graph, conn).plan.changed == 0


def test_a_push_whose_process_is_killed_completes_on_the_next(
    killable: Neo4jServer, live_store: Store, live_graph: GraphRows,
) -> None:
    conn = killable.connection()
    empty_database(conn)
    env = {**os.environ, "NEO4J_URI": killable.uri, "NEO4J_USER": "neo4j",
           "NEO4J_PASSWORD": killable.password}
    env.pop("NEO4J_DATABASE", None)
    process = subprocess.Popen([*CLI, "neo4j", "push", "--db", str(live_store.path),
                                "--batch-size", "500"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while node_count(conn) < len(live_graph.nodes) // 3:
            assert process.poll() is None, "the push ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert remote_state(conn) != held_state(live_graph)
    push(live_graph, conn)
    assert remote_state(conn) == held_state(live_graph)
    assert push(live_graph, conn).plan.changed == 0


def test_names_written_as_cypher_arrive_verbatim_and_change_nothing_else(
    pushed: Connection, live_store: Store, live_graph: GraphRows, tmp_path: Path,
) -> None:
    before = remote_state(pushed)
    labels = label_counts(pushed)
    with copy_store(live_store, str(tmp_path / "hostile.db")) as store:
        load_file(store, HOSTILE, format="evidence", source="evidence_hostile_fixture")
        graph = build_graph(store)
    try:
        result = push(graph, pushed)
        totals = result.plan.totals()
        assert (totals["nodes"].created, totals["nodes"].updated, totals["nodes"].deleted) == (
            2, 0, 0)
        assert (totals["relationships"].created, totals["relationships"].updated,
                totals["relationships"].deleted) == (1, 0, 0)
        found = {r["name"]: r for r in run(
            pushed, "MATCH (n:Organization) WHERE n.id STARTS WITH 'evidence_hostile_fixture:' "
                    "RETURN n.name[0] AS name, n.alias AS alias, n.id AS id")}
        assert set(found) == {"a'}) DETACH DELETE n //", '"; MATCH (n) DETACH DELETE n; //'}
        assert found["a'}) DETACH DELETE n //"]["alias"] == [
            "a`}) DETACH DELETE n //", 'x" }) MATCH (m) DETACH DELETE m //']
        assert found['"; MATCH (n) DETACH DELETE n; //']["alias"] == ["$rows", "{id: 'x'}"]
        (link,) = run(pushed, "MATCH (a)-[r:LINKED_TO]->(b) WHERE r.role STARTS WITH 'linked' "
                              "AND a.id STARTS WITH 'evidence_hostile_fixture:' "
                              "RETURN r.role AS role, r.evidence IS NOT NULL AS evidence")
        assert link == {"role": "linked'}]->() DELETE r //", "evidence": True}
        after = remote_state(pushed)
        for space, ids in before.nodes.items():
            assert {k: after.nodes[space][k] for k in ids} == ids, space
        for rel_type, ids in before.rels.items():
            assert {k: after.rels[rel_type][k] for k in ids} == ids, rel_type
        assert label_counts(pushed) == {**labels, "Entity": labels["Entity"] + 2,
                                        "Organization": labels["Organization"] + 2}
    finally:
        push(live_graph, pushed)
    assert remote_state(pushed) == held_state(live_graph)


# -- connection failures, as a user meets them ---------------------------------------------------


def _cli(args: list[str], env_extra: dict[str, str], cwd: Path) -> tuple[int, str, str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(env_extra)
    started = time.monotonic()
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, cwd=cwd,
                          timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held_open: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held_open.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in held_open:
            conn.close()
        listener.close()


@pytest.mark.parametrize("case", ["wrong password", "server down", "never answers"])
def test_a_failed_connection_is_one_clear_line_within_ten_seconds(
    case: str, killable: Neo4jServer, live_store: Store, silent_port: int, tmp_path: Path,
) -> None:
    wrong = "not-the-password-" + killable.password[:4]
    uri = {"wrong password": killable.uri,
           "server down": f"neo4j://127.0.0.1:{free_port()}",
           "never answers": f"neo4j://127.0.0.1:{silent_port}"}[case]
    expected = {"wrong password": "authentication refused",
                "server down": "connection refused",
                "never answers": "no answer within"}[case]
    for args in (["neo4j", "push", "--db", str(live_store.path)],
                 ["neo4j", "query", "owner_by_imo", "-p", "imo=9179842"]):
        code, out, err, seconds = _cli(args, {"NEO4J_URI": uri, "NEO4J_PASSWORD": wrong},
                                       tmp_path)
        assert code == 5, (args, out, err)
        assert seconds < FAIL_SECONDS, (args, seconds)
        lines = [line for line in (out + err).splitlines() if line.strip()]
        assert len(lines) == 1, lines
        assert expected in lines[0] and "Traceback" not in lines[0]
        assert wrong not in out + err and killable.password not in out + err


def test_no_password_reaches_the_servers_logs(killable: Neo4jServer) -> None:
    logs = list((killable.home / "logs").glob("*.log"))
    assert logs
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        assert killable.password not in text, log.name
        assert "not-the-password-" not in text, log.name

"""Against a live Neo4j server: push the demo graph, run every library query, compare the owner
of ANGARA with the embedded answer, push again and see nothing change.

Run only when `NEO4J_URI` is set (with `NEO4J_USER`, `NEO4J_PASSWORD`, `NEO4J_DATABASE`): the
tests make that database hold the demo graph, replacing the sanctions graph already in it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.ingest import load_file
from graph.model import RELATION_SHAPES, RelationKind
from graph.neo4j.library import library
from graph.neo4j.shape import GraphRows, build_graph
from graph.neo4j.sync import Connection, PushResult, open_driver, push, read_remote, run_query
from graph.store import Store
from queries.owner import who_owns
from tests.conftest import DEMO

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(not os.environ.get("NEO4J_URI"),
                       reason="NEO4J_URI is not set: the live Neo4j tests need a server"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("neo4j-live") / "demo.db"
    with Store(path) as store:
        for entry in json.loads((DEMO / "manifest.json").read_text()):
            load_file(store, Path(DEMO / entry["file"]), format=entry["format"],
                      source=entry["source"], list_date=entry["list_date"])
        yield store


@pytest.fixture(scope="module")
def conn() -> Connection:
    return Connection.from_env()


@pytest.fixture(scope="module")
def demo_graph(demo: Store) -> GraphRows:
    return build_graph(demo)


@pytest.fixture(scope="module")
def first_push(demo_graph: GraphRows, conn: Connection) -> PushResult:
    return push(demo_graph, conn)


def test_push_writes_the_demo_graph(first_push: PushResult, demo_graph: GraphRows,
                                    conn: Connection) -> None:
    assert first_push.nodes_total == len(demo_graph.nodes) > 10_000
    driver = open_driver(conn)
    try:
        with driver.session(database=conn.database) as session:
            remote = read_remote(session)
    finally:
        driver.close()
    for space, rows in demo_graph.nodes_by_space().items():
        assert set(remote.nodes[space]) == {r.id for r in rows}, space
    for rel_type, rels in demo_graph.rels_by_type().items():
        assert set(remote.rels[rel_type]) == {r.id for r in rels}, rel_type


def test_every_library_query_runs(first_push: PushResult, conn: Connection) -> None:
    for query in library().values():
        keys, rows = run_query(conn, query.statement, query.example_parameters())
        assert keys, query.name
        if query.name in {"owner_by_imo", "owner_by_name", "ownership_chain", "sister_ships",
                          "sanctioned_within_hops", "shortest_paths"}:
            assert rows, query.name


def test_owner_of_angara_matches_the_embedded_answer(
    first_push: PushResult, conn: Connection, demo: Store
) -> None:
    answer = who_owns(demo, "ANGARA").vessels[0]
    types = {kind.value: shape.neo4j_type for kind, shape in RELATION_SHAPES.items()}
    embedded = {(p.id, types[RelationKind(p.kind).value], p.role) for p in answer.parties}
    query = library()["owner_by_imo"]
    _, rows = run_query(conn, query.statement, {"imo": answer.imo})
    in_neo4j = {(r["party_id"], r["relation"], r["role"]) for r in rows if r["party_id"]}
    assert in_neo4j == embedded
    assert {r["vessel_id"] for r in rows} == {answer.id}


def test_a_second_push_changes_nothing(first_push: PushResult, demo_graph: GraphRows,
                                       conn: Connection) -> None:
    again = push(demo_graph, conn)
    assert again.plan.changed == 0
    assert again.plan.batches == []

"""What the live tests and the benchmarks read from, and do to, a Neo4j database: empty it, count
its nodes per label and relationships per type, and read back every node and relationship with
its labels and properties."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from graph.neo4j.shape import GraphRows, content_hash
from graph.neo4j.sync import Connection, RemoteState, open_driver, read_remote


@contextmanager
def session(conn: Connection) -> Iterator[Any]:
    driver = open_driver(conn)
    try:
        with driver.session(database=conn.database) as s:
            yield s
    finally:
        driver.close()


def run(conn: Connection, statement: str, **params: Any) -> list[dict[str, Any]]:
    with session(conn) as s:
        return [record.data() for record in s.run(statement, params)]


def empty_database(conn: Connection) -> None:
    """No node, no relationship, no constraint, no index but Neo4j's own token lookups."""
    with session(conn) as s:
        s.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS").consume()
        for row in s.run("SHOW CONSTRAINTS YIELD name").data():
            s.run(f"DROP CONSTRAINT `{row['name']}` IF EXISTS").consume()
        for row in s.run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'").data():
            s.run(f"DROP INDEX `{row['name']}` IF EXISTS").consume()


def label_counts(conn: Connection) -> dict[str, int]:
    rows = run(conn, "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n")
    return {r["label"]: r["n"] for r in rows}


def type_counts(conn: Connection) -> dict[str, int]:
    rows = run(conn, "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n")
    return {r["type"]: r["n"] for r in rows}


@dataclass(frozen=True, slots=True)
class Held:
    """One node or relationship as Neo4j holds it."""

    labels: tuple[str, ...]
    props: dict[str, Any]

    def recomputed_hash(self, space_label: str | None) -> str:
        """The content hash of what Neo4j holds, computed as the sync computes it (a node's
        labels without its id-space label; a relationship's type)."""
        labels = [label for label in self.labels if label != space_label]
        return content_hash(labels, self.props)


def read_nodes(conn: Connection) -> dict[str, Held]:
    """Every node by `id`: its labels and properties."""
    rows = run(conn, "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
    return {r["props"]["id"]: Held(tuple(sorted(r["labels"])), r["props"]) for r in rows}


def read_rels(conn: Connection) -> dict[str, tuple[str, str, str, Held]]:
    """Every relationship by `id`: (type, start id, end id, what it holds)."""
    rows = run(conn, "MATCH (a)-[r]->(b) RETURN type(r) AS type, a.id AS start, b.id AS end, "
                     "properties(r) AS props")
    return {r["props"]["id"]: (r["type"], r["start"], r["end"], Held((r["type"],), r["props"]))
            for r in rows}


def _without_empty(state: RemoteState) -> RemoteState:
    return RemoteState({k: v for k, v in state.nodes.items() if v},
                       {k: v for k, v in state.rels.items() if v})


def remote_state(conn: Connection) -> RemoteState:
    """What the database holds: id -> content hash per id space and relationship type."""
    with session(conn) as s:
        return _without_empty(read_remote(s))


def held_state(graph: GraphRows) -> RemoteState:
    """What a database holding exactly `graph` reads back (compare with `remote_state`)."""
    state = RemoteState()
    for node in graph.nodes:
        state.nodes.setdefault(node.space, {})[node.id] = node.props["content_hash"]
    for rel in graph.rels:
        state.rels.setdefault(rel.type, {})[rel.id] = rel.props["content_hash"]
    return _without_empty(state)

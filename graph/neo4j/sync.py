"""Live sync into Neo4j with the official driver: constraints and indexes first, then batched,
idempotent writes that leave Neo4j holding exactly what the store holds.

The sync reads what Neo4j already has (each node's and relationship's id and `content_hash`),
compares it with `build_graph(store)`, and sends only the difference: new and changed rows in
`UNWIND $rows` batches, and deletions of what the store no longer has. A second push therefore
sends nothing and reports zero changes. Every batch runs in a managed transaction
(`session.execute_write`), which the driver retries on transient failures. Statements name only
labels and types from the graph's fixed tables; every value is a parameter.

The planning is pure (`plan_sync`: rows and remote hashes in, batches out) so that tests check
exactly what would be sent, and lint every statement, without a server.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from graph.errors import SanctionsGraphError
from graph.neo4j.shape import (
    COUNTRY,
    ENTITY,
    HASH,
    PROGRAM,
    GraphRows,
    NodeRow,
    RelRow,
    end_label,
    entity_label_sets,
    entity_labels,
    relationship_types,
)

log = logging.getLogger(__name__)

#: Rows per `UNWIND $rows` transaction: big enough that round trips do not dominate, small enough
#: that one transaction stays well inside a default server's transaction memory (a node row is a
#: few kilobytes at most).
BATCH_ROWS: Final = 1000

#: Name of the full-text index over every name of an entity (the library's name search uses it).
FULLTEXT_INDEX: Final = "entity_names"
#: Properties the full-text index covers (strings and lists of strings).
FULLTEXT_PROPERTIES: Final = ("caption", "name", "alias", "previousName", "weakAlias")

#: Range indexes on node properties the query library looks nodes up by (beyond the id
#: constraints): (index name, label, property).
NODE_INDEXES: Final = (("vessel_imo", "Vessel", "imo"),)

#: Keys of the maps in `$rows`: a node's `id` and `props`, a relationship's `start` and `end`.
ROW_KEYS: Final = ("id", "props", "start", "end")

#: The id spaces of nodes, in write order.
SPACES: Final = (ENTITY, PROGRAM, COUNTRY)


class Neo4jError(SanctionsGraphError):
    """Neo4j cannot be reached, refuses the credentials, or rejects a statement."""

    exit_code = 5


# -- statements ----------------------------------------------------------------------------------


def _snake(name: str) -> str:
    return name.lower()


def constraint_statements() -> list[str]:
    """The id uniqueness constraints, created before any write (each idempotent): every node
    write and lookup by id goes through their indexes."""
    return [
        f"CREATE CONSTRAINT {_snake(space)}_id IF NOT EXISTS FOR (n:{space}) "
        "REQUIRE n.id IS UNIQUE"
        for space in SPACES
    ]


def index_statements() -> list[str]:
    """The other indexes (lookup keys, names in full text, relationship ids), each idempotent.
    The sync creates them after its writes: populating an index once is cheaper than updating
    it row by row (the full-text index doubled the time of a first push's node writes)."""
    statements = [f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"
                  for name, label, prop in NODE_INDEXES]
    props = ", ".join(f"n.{p}" for p in FULLTEXT_PROPERTIES)
    statements.append(
        f"CREATE FULLTEXT INDEX {FULLTEXT_INDEX} IF NOT EXISTS FOR (n:{ENTITY}) ON EACH [{props}]"
    )
    statements.extend(
        f"CREATE INDEX rel_{_snake(rel_type)}_id IF NOT EXISTS FOR ()-[r:{rel_type}]-() "
        "ON (r.id)"
        for rel_type in relationship_types()
    )
    return statements


def schema_statements() -> list[str]:
    """Constraints and indexes (each idempotent), as a bulk import runs them once started."""
    return constraint_statements() + index_statements()


def _entity_labels_removed() -> str:
    return ":".join(label for label in entity_labels() if label != ENTITY)


def node_create_statement(space: str, labels: Sequence[str] = ()) -> str:
    """Create nodes the database does not hold (the plan read every id first); the uniqueness
    constraint refuses a duplicate, so a replayed batch fails rather than doubles."""
    return f"UNWIND $rows AS row\nCREATE (n:{':'.join((space, *labels))})\nSET n = row.props"


def node_upsert_statement(space: str, labels: Sequence[str] = ()) -> str:
    """Replace nodes of one id space with one set of extra labels (or create them). An entity's
    schema label is replaced (a node merged from more records can become more specific)."""
    text = f"UNWIND $rows AS row\nMERGE (n:{space} {{id: row.id}})\nSET n = row.props"
    if space == ENTITY:
        text += "\nREMOVE n:" + _entity_labels_removed()
        if labels:
            text += "\nSET n:" + ":".join(labels)
    return text


def rel_upsert_statement(rel_type: str) -> str:
    return (
        f"UNWIND $rows AS row\n"
        f"MATCH (a:{ENTITY} {{id: row.start}})\n"
        f"MATCH (b:{end_label(rel_type)} {{id: row.end}})\n"
        f"MERGE (a)-[r:{rel_type} {{id: row.id}}]->(b)\n"
        f"SET r = row.props"
    )


def node_delete_statement(space: str) -> str:
    return f"UNWIND $rows AS id\nMATCH (n:{space} {{id: id}})\nDETACH DELETE n"


def rel_delete_statement(rel_type: str) -> str:
    return f"UNWIND $rows AS id\nMATCH ()-[r:{rel_type} {{id: id}}]->()\nDELETE r"


def node_hashes_statement(space: str) -> str:
    """Every id and content hash of a space as one list of pairs: one record, where a record
    per node cost a round trip per thousand (7.5 s of an 8 s no-op push)."""
    return f"MATCH (n:{space})\nRETURN collect([n.id, n.{HASH}]) AS pairs"


def rel_hashes_statement(rel_type: str) -> str:
    return f"MATCH ()-[r:{rel_type}]->()\nRETURN collect([r.id, r.{HASH}]) AS pairs"


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement the sync can send, with example parameters (for linting)."""

    name: str
    text: str
    parameters: Mapping[str, Any]


def all_statements() -> list[Statement]:
    """Every statement the sync can send, whatever the data: the lint test checks them all."""
    out = [Statement(f"schema {i}", text, {}) for i, text in enumerate(schema_statements())]
    node_row = {"id": "x", "props": {"id": "x"}}
    rel_row = {"id": "r", "start": "a", "end": "b", "props": {"id": "r"}}
    for space in SPACES:
        out.append(Statement(f"read {space}", node_hashes_statement(space), {}))
        out.append(Statement(f"delete {space}", node_delete_statement(space), {"rows": ["x"]}))
        if space != ENTITY:
            out.append(Statement(f"upsert {space}", node_upsert_statement(space),
                                 {"rows": [node_row]}))
            out.append(Statement(f"create {space}", node_create_statement(space),
                                 {"rows": [node_row]}))
    for labels in entity_label_sets():
        out.append(Statement(f"upsert Entity:{':'.join(labels)}",
                             node_upsert_statement(ENTITY, labels), {"rows": [node_row]}))
        out.append(Statement(f"create Entity:{':'.join(labels)}",
                             node_create_statement(ENTITY, labels), {"rows": [node_row]}))
    for rel_type in relationship_types():
        out.append(Statement(f"read {rel_type}", rel_hashes_statement(rel_type), {}))
        out.append(Statement(f"upsert {rel_type}", rel_upsert_statement(rel_type),
                             {"rows": [rel_row]}))
        out.append(Statement(f"delete {rel_type}", rel_delete_statement(rel_type),
                             {"rows": ["r"]}))
    return out


# -- planning ------------------------------------------------------------------------------------


@dataclass(slots=True)
class RemoteState:
    """What Neo4j holds of the graph: id -> content hash, per id space and relationship type."""

    nodes: dict[str, dict[str, str | None]] = field(default_factory=dict)
    rels: dict[str, dict[str, str | None]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Batch:
    """One transaction the sync sends: a statement and its `$rows`."""

    action: str  # "delete", "create" (nodes the database lacks), "upsert"
    target: str  # id space or relationship type
    statement: str
    rows: list[Any]


@dataclass(slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


@dataclass(slots=True)
class SyncPlan:
    """The batches to send, in order, and what they change per id space / relationship type."""

    batches: list[Batch]
    nodes: dict[str, Counts]
    rels: dict[str, Counts]

    @property
    def rows(self) -> int:
        return sum(len(b.rows) for b in self.batches)

    def totals(self) -> dict[str, Counts]:
        out = {"nodes": Counts(), "relationships": Counts()}
        for key, group in (("nodes", self.nodes), ("relationships", self.rels)):
            for c in group.values():
                out[key].created += c.created
                out[key].updated += c.updated
                out[key].deleted += c.deleted
        return out

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.totals().values())


def _chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _node_param(row: NodeRow) -> dict[str, Any]:
    return {"id": row.id, "props": dict(row.props)}


def _rel_param(row: RelRow) -> dict[str, Any]:
    return {"id": row.id, "start": row.start, "end": row.end, "props": dict(row.props)}


def plan_sync(
    graph: GraphRows, remote: RemoteState | None = None, *, batch_rows: int = BATCH_ROWS
) -> SyncPlan:
    """The batches that make Neo4j (holding `remote`) hold `graph`, and the change counts.

    Order: stale relationships go first, then nodes are written, then relationships, and stale
    nodes are detached and deleted last, so every relationship write finds both its ends.
    """
    remote = remote or RemoteState()
    node_counts: dict[str, Counts] = {}
    rel_counts: dict[str, Counts] = {}
    upsert_nodes: list[Batch] = []
    delete_nodes: list[Batch] = []
    upsert_rels: list[Batch] = []
    delete_rels: list[Batch] = []
    by_space = graph.nodes_by_space()
    for space in SPACES:
        have = remote.nodes.get(space, {})
        counts = node_counts.setdefault(space, Counts())
        changed: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
        local_ids = set()
        for row in by_space.get(space, []):
            local_ids.add(row.id)
            if row.id not in have:
                counts.created += 1
                action = "create"
            elif have[row.id] != row.props[HASH]:
                counts.updated += 1
                action = "upsert"
            else:
                continue
            changed.setdefault((action, row.labels), []).append(_node_param(row))
        for (action, labels), rows in sorted(changed.items()):
            statement = (node_create_statement if action == "create"
                         else node_upsert_statement)(space, labels)
            upsert_nodes.extend(Batch(action, space, statement, chunk)
                                for chunk in _chunks(rows, batch_rows))
        stale = sorted(set(have) - local_ids)
        counts.deleted = len(stale)
        delete_nodes.extend(Batch("delete", space, node_delete_statement(space), chunk)
                            for chunk in _chunks(stale, batch_rows))
    by_type = graph.rels_by_type()
    for rel_type in relationship_types():
        have = remote.rels.get(rel_type, {})
        counts = rel_counts.setdefault(rel_type, Counts())
        rows = []
        local_ids = set()
        for rel in by_type.get(rel_type, []):
            local_ids.add(rel.id)
            if rel.id not in have:
                counts.created += 1
            elif have[rel.id] != rel.props[HASH]:
                counts.updated += 1
            else:
                continue
            rows.append(_rel_param(rel))
        upsert_rels.extend(Batch("upsert", rel_type, rel_upsert_statement(rel_type), chunk)
                           for chunk in _chunks(rows, batch_rows))
        stale = sorted(set(have) - local_ids)
        counts.deleted = len(stale)
        delete_rels.extend(Batch("delete", rel_type, rel_delete_statement(rel_type), chunk)
                           for chunk in _chunks(stale, batch_rows))
    return SyncPlan(delete_rels + upsert_nodes + upsert_rels + delete_nodes, node_counts,
                    rel_counts)


# -- connection and execution --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connection:
    """Where the server is. `password` is never shown: `repr` and `describe` leave it out."""

    uri: str
    user: str = "neo4j"
    password: str | None = field(default=None, repr=False)
    database: str | None = None

    @classmethod
    def from_env(
        cls,
        uri: str | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Connection:
        """Options win over `NEO4J_URI`, `NEO4J_USER`, `NEO4J_PASSWORD`, `NEO4J_DATABASE`."""
        env = os.environ if environ is None else environ
        uri = uri or env.get("NEO4J_URI")
        if not uri:
            raise Neo4jError("no Neo4j server given: set NEO4J_URI or pass --uri "
                             "(e.g. neo4j://localhost:7687)")
        return cls(uri=uri, user=user or env.get("NEO4J_USER") or "neo4j",
                   password=password if password is not None else env.get("NEO4J_PASSWORD"),
                   database=database or env.get("NEO4J_DATABASE") or None)

    def describe(self) -> str:
        """The server as it may be printed: user and database, no password, no URI userinfo."""
        parts = urlsplit(self.uri)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        shown = urlunsplit((parts.scheme, host, parts.path, "", ""))
        return f"{shown} as {self.user}" + (f", database {self.database}" if self.database
                                            else "")


def _driver_errors() -> tuple[type[Exception], ...]:
    """The driver's own failures (imported only when a server is used: the driver costs a
    third of a second to import, which every other command would pay)."""
    from neo4j.exceptions import DriverError
    from neo4j.exceptions import Neo4jError as ServerError

    return (DriverError, ServerError)


#: Seconds to wait for a TCP connection and the Bolt handshake, and at most for a connection
#: from the pool (which bounds the routing table's retries too): a server that is down, or a
#: port that accepts but never answers, is reported within about ten seconds, not a minute.
CONNECT_SECONDS: Final = 3.0
ACQUIRE_SECONDS: Final = 6.0
#: How long a write transaction is retried on a transient failure (the driver's default is 30 s):
#: long enough for a leader switch or a lock to clear, short enough that a push to a server
#: that went away reports it soon.
RETRY_SECONDS: Final = 10.0


def open_driver(conn: Connection) -> Any:
    """A verified driver. Connection and authentication failures become `Neo4jError`."""
    import neo4j
    from neo4j.exceptions import AuthError

    auth = (conn.user, conn.password) if conn.password is not None else None
    failures: tuple[type[Exception], ...] = (*_driver_errors(), ValueError, OSError)
    try:
        # The server's notifications (a property no node has yet, in an empty database) would
        # reach the caller's log as warnings; the sync and the library read results only.
        driver = neo4j.GraphDatabase.driver(
            conn.uri, auth=auth, notifications_min_severity="OFF",
            connection_timeout=CONNECT_SECONDS, connection_acquisition_timeout=ACQUIRE_SECONDS,
            max_transaction_retry_time=RETRY_SECONDS)
        driver.verify_connectivity()
    except AuthError:
        raise Neo4jError(f"{conn.describe()}: authentication refused (check NEO4J_USER and "
                         "NEO4J_PASSWORD)") from None
    except failures as exc:
        raise Neo4jError(f"{conn.describe()}: cannot connect ({_unreachable(exc, conn)})"
                         ) from None
    return driver


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """An exception, its causes and contexts, and the members of exception groups."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)


def _unreachable(exc: BaseException, conn: Connection) -> str:
    """Why the server cannot be reached, in words: the driver's own message for a routing
    failure ("Unable to retrieve routing information") names no reason."""
    import socket

    causes = list(_causes(exc))
    if any(isinstance(c, socket.gaierror) for c in causes):
        return "unknown host"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connection refused: no Neo4j listens there"
    if any(isinstance(c, TimeoutError) or "timed out" in str(c).lower() for c in causes):
        return f"no answer within {ACQUIRE_SECONDS:.0f} s"
    return _first_line(exc, conn)


def check_connection(conn: Connection) -> None:
    """Raise `Neo4jError` unless the server answers and accepts the credentials."""
    open_driver(conn).close()


def _first_line(exc: BaseException, conn: Connection) -> str:
    """A driver error on one line, with the URI (which may hold a password) and the
    password itself taken out."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = " ".join(lines) or type(exc).__name__
    text = text.replace(conn.uri, conn.describe())
    if conn.password:
        text = text.replace(conn.password, "***")
    return text


def read_remote(session: Any) -> RemoteState:
    """Every node's and relationship's id and content hash that Neo4j holds of the graph."""
    def fetch(tx: Any, statement: str) -> dict[str, str | None]:
        record = tx.run(statement).single()
        pairs = record["pairs"] if record is not None else []
        return {node_id: digest for node_id, digest in pairs if node_id is not None}

    state = RemoteState()
    for space in SPACES:
        state.nodes[space] = session.execute_read(fetch, node_hashes_statement(space))
    for rel_type in relationship_types():
        state.rels[rel_type] = session.execute_read(fetch, rel_hashes_statement(rel_type))
    return state


def _run_write(tx: Any, statement: str, rows: list[Any] | None) -> None:
    params = {} if rows is None else {"rows": rows}
    tx.run(statement, params).consume()


@dataclass(slots=True)
class PushResult:
    server: str
    plan: SyncPlan
    nodes_total: int
    rels_total: int


def sync_session(
    session: Any,
    graph: GraphRows,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> SyncPlan:
    """The sync over an open session: schema statements, then the remote hashes, then the
    batches of the plan, each in its own managed (retried) write transaction."""
    for statement in constraint_statements():
        session.execute_write(_run_write, statement, None)
    remote = read_remote(session)
    plan = plan_sync(graph, remote, batch_rows=batch_rows)
    total, done = plan.rows, 0
    if progress is not None:
        progress(0, total)
    for batch in plan.batches:
        session.execute_write(_run_write, batch.statement, batch.rows)
        done += len(batch.rows)
        log.debug("%s %s: %d rows", batch.action, batch.target, len(batch.rows))
        if progress is not None:
            progress(done, total)
    for statement in index_statements():
        session.execute_write(_run_write, statement, None)
    return plan


def push(
    graph: GraphRows,
    conn: Connection,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> PushResult:
    """Make the Neo4j database hold exactly `graph`; returns what changed.

    `progress(done_rows, total_rows)` is called after each batch.
    """
    driver = open_driver(conn)
    try:
        with driver.session(database=conn.database) as session:
            plan = sync_session(session, graph, batch_rows=batch_rows, progress=progress)
    except _driver_errors() as exc:
        raise Neo4jError(f"{conn.describe()}: {_first_line(exc, conn)}") from None
    finally:
        driver.close()
    return PushResult(conn.describe(), plan, len(graph.nodes), len(graph.rels))


def run_query(conn: Connection, statement: str, parameters: Mapping[str, Any]) -> tuple[
        list[str], list[dict[str, Any]]]:
    """Run one read query; returns its column names and rows as plain values."""
    def work(tx: Any) -> tuple[list[str], list[dict[str, Any]]]:
        result = tx.run(statement, dict(parameters))
        keys = list(result.keys())
        return keys, [{k: plain(record[k]) for k in keys} for record in result]

    driver = open_driver(conn)
    try:
        with driver.session(database=conn.database) as session:
            out: tuple[list[str], list[dict[str, Any]]] = session.execute_read(work)
            return out
    except _driver_errors() as exc:
        raise Neo4jError(f"{conn.describe()}: {_first_line(exc, conn)}") from None
    finally:
        driver.close()


def plain(value: Any) -> Any:
    """A driver value as JSON-ready Python: nodes and relationships become their properties
    (with labels or type), paths the list of their nodes and relationships."""
    from neo4j.graph import Node, Path, Relationship

    if isinstance(value, Node):
        return {"labels": sorted(value.labels), **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, Relationship):
        return {"type": value.type, **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, Path):
        return {"nodes": [plain(n) for n in value.nodes],
                "relationships": [plain(r) for r in value.relationships]}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value

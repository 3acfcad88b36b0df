"""Bulk import, for real: `neo4j export` of the live graph (the whole shared data, resolved;
the files streamed from the store, as the command writes them), imported by Neo4j's own
`neo4j-admin database import full` (the admin tool of the same 5.26 jars), the database started,
and then the same counts, the same properties and content hashes as a push would write: a push
right after the import sends nothing.

The import needs the database's files, so it runs on a server of its own (never the one
`NEO4J_URI` names)."""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.neo4j.export import MANIFEST_FILE, export_bulk, export_store
from graph.neo4j.shape import GraphRows
from graph.neo4j.sync import push
from graph.store import Store
from tests.neo4j.database import label_counts, read_nodes, read_rels, type_counts
from tests.neo4j.server import (
    Neo4jServer,
    ServerUnavailable,
    free_port,
    neo4j_admin,
    write_settings,
)

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def imported(live_store: Store, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Neo4jServer]:
    export = tmp_path_factory.mktemp("bulk")
    result = export_store(live_store, export)
    home = tmp_path_factory.mktemp("imported")
    server = Neo4jServer(home=home, port=free_port(), heap="1g",
                         password="imported-" + export.name)
    try:
        write_settings(home, port=server.port)
        # the command `neo4j export` wrote, run by Neo4j's admin tool from the export folder
        args = shlex.split(result.command)
        assert args[0] == "neo4j-admin"
        done = neo4j_admin(home, args[1:], cwd=export)
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "IMPORT DONE" in done.stdout
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_manifest_names_the_command(live_graph: GraphRows, tmp_path: Path) -> None:
    export_bulk(live_graph, tmp_path)
    assert (tmp_path / MANIFEST_FILE).exists()


def test_imported_counts_equal_the_store(imported: Neo4jServer, live_graph: GraphRows) -> None:
    conn = imported.connection()
    labels: Counter[str] = Counter()
    for node in live_graph.nodes:
        labels.update((node.space, *node.labels))
    assert label_counts(conn) == dict(labels)
    assert type_counts(conn) == dict(Counter(r.type for r in live_graph.rels))


def test_imported_content_is_what_a_push_writes(imported: Neo4jServer,
                                                live_graph: GraphRows) -> None:
    """Every property of every node and relationship, with its type, as the sync's rows hold
    it; and the content hash recomputed from what Neo4j holds equals the stored one."""
    conn = imported.connection()
    nodes = read_nodes(conn)
    assert len(nodes) == len(live_graph.nodes)
    for row in live_graph.nodes:
        held = nodes[row.id]
        assert held.props == dict(row.props), row.id
        assert held.labels == tuple(sorted((row.space, *row.labels))), row.id
        assert held.recomputed_hash(row.space) == row.props["content_hash"], row.id
    rels = read_rels(conn)
    assert len(rels) == len(live_graph.rels)
    for rel in live_graph.rels:
        rel_type, start, end, held = rels[rel.id]
        assert (rel_type, start, end) == (rel.type, rel.start, rel.end)
        assert held.props == dict(rel.props), rel.id
        assert held.recomputed_hash(None) == rel.props["content_hash"], rel.id


def test_a_push_after_the_import_sends_nothing(imported: Neo4jServer,
                                               live_graph: GraphRows) -> None:
    result = push(live_graph, imported.connection())
    assert result.plan.changed == 0
    assert result.plan.batches == []

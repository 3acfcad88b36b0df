"""The graph the live Neo4j tests push, import and query: every shared real file, plus the
demo's ship registry and its analysts' evidence file (RUSI's claims, which put the North Korean
state on ANGARA's path), resolved across sources."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import pytest

from graph.neo4j.shape import GraphRows, build_graph
from graph.neo4j.sync import Connection, PushResult, push
from graph.resolution.engine import resolve
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import DEMO

#: The demo files added to the shared data: everything in the demo manifest that is not a list.
LIVE_EXTRAS = ("registry_csv", "evidence")


def copy_store(source: Store, path: str) -> Store:
    """A copy of a store's database file (SQLite's online backup), opened as a new store."""
    target = sqlite3.connect(path)
    try:
        source.conn.backup(target)
    finally:
        target.close()
    return Store(path)


@pytest.fixture(scope="session")
def live_store(full_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("live") / "live.db"
    with copy_store(full_store, str(path)) as store:
        for entry in json.loads((DEMO / "manifest.json").read_text()):
            if entry["format"] in LIVE_EXTRAS:
                load_file(store, DEMO / entry["file"], format=entry["format"],
                          source=entry["source"], list_date=entry["list_date"])
        resolve(store)
        yield store


@pytest.fixture(scope="session")
def live_graph(live_store: Store) -> GraphRows:
    return build_graph(live_store)


def ensure_pushed(graph: GraphRows, conn: Connection) -> PushResult:
    """Make the database hold `graph` (a no-op when it already does)."""
    return push(graph, conn)


@pytest.fixture(scope="module")
def pushed(live_graph: GraphRows, neo4j: Connection) -> Connection:
    """The live server, holding the live graph."""
    ensure_pushed(live_graph, neo4j)
    return neo4j

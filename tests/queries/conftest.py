"""Fixtures of the query tests: the demo store, as `sanctions-graph demo` builds it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import DEMO


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The demo as `sanctions-graph demo` loads it, evidence file included."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    entries = json.loads((DEMO / "manifest.json").read_text())
    with Store(path) as store:
        for entry in entries:
            load_file(store, DEMO / entry["file"], format=entry["format"],
                      source=entry["source"], list_date=entry.get("list_date"))
        yield store

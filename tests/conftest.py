"""Shared test fixtures: the real list files beside the repository, and fresh stores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from graph.ingest import load_file
from graph.store import Store

#: In CI (CI=true) property and fuzz tests draw the same examples on every run, so a submission's
#: result never depends on luck; locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
#: The shared data folder (`../shared/data/raw` beside the checkout, as CI lays it out).
RAW = Path(os.environ.get("SANCTIONS_GRAPH_SHARED", ROOT.parent / "shared")) / "data" / "raw"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO = ROOT / "graph" / "demo"

OFAC_SDN = RAW / "ofac_sdn_2024-05-03.csv"
GUR = RAW / "gur_shadowfleet_vessels_master.csv"
TAK = RAW / "tak_shadowfleet_2026-08-22.json"


def raw(name: str) -> Path:
    """A shared real file; a missing one fails the test (it is never skipped)."""
    path = RAW / name
    if not path.exists():
        pytest.fail(f"shared data file missing: {path}")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "test.db") as s:
        yield s


@pytest.fixture(scope="session")
def ship_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store with the OFAC CSV set, both ship tables and the demo registry, shared by tests
    that only read."""
    path = tmp_path_factory.mktemp("ships") / "ships.db"
    with Store(path) as s:
        load_file(s, raw(OFAC_SDN.name))
        load_file(s, raw(GUR.name))
        load_file(s, raw(TAK.name))
        load_file(s, DEMO / "registry.csv", source="demo_registry")
        yield s


#: Shared files another file's load reads (the OFAC CSV companions) or that no loader takes.
NOT_LOADED_ALONE = ("SOURCES.md", "ofac_add_2025-01.csv", "ofac_alt_2025-01.csv",
                    "ofac_sdn_comments_2025-01.csv")


@pytest.fixture(scope="session")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Every shared real file loaded into one store, for tests over the whole data."""
    path = tmp_path_factory.mktemp("full") / "full.db"
    with Store(path) as s:
        for file in sorted(RAW.iterdir()):
            if file.name not in NOT_LOADED_ALONE:
                load_file(s, file)
        yield s


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that collected no test is a failure, never a quiet success."""
    if session.testscollected == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

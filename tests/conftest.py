"""Shared test fixtures: the real list files beside the repository, and fresh stores."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from graph.neo4j.sync import Connection
from graph.store import Store
from pipeline.ingest import load_file
from tests.neo4j.server import Neo4jServer, ServerUnavailable, start_server

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


def cli_command(*args: str) -> list[str]:
    """The CLI as a user runs it: a process of its own, running this checkout's code."""
    return [sys.executable, "-m", "graph.cli", *args]


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a CLI process: this one's, with this checkout first on the path."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


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


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    """A Neo4j 5.26 Community of this test session: a fresh store, 127.0.0.1, a free port, a
    generated password; stopped at the end however the tests went."""
    yield from own_server(tmp_path_factory.mktemp("neo4j-server"))


def own_server(home: Path) -> Iterator[Neo4jServer]:
    """A server started from the jars for a fixture to yield, stopped at the end however the
    tests went; a skip (a failure under CI) when it cannot start."""
    try:
        server = start_server(home)
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def neo4j(request: pytest.FixtureRequest) -> Connection:
    """The live server the tests use: the one `NEO4J_URI` names (with `NEO4J_USER`,
    `NEO4J_PASSWORD`, `NEO4J_DATABASE`), else this session's own (`neo4j_server`). The tests
    replace whatever that database holds."""
    if os.environ.get("NEO4J_URI"):
        return Connection.from_env()
    server: Neo4jServer = request.getfixturevalue("neo4j_server")
    return server.connection()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI a live test (marked `neo4j`) that skips has failed: the live suite must run."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and under_ci() and item.get_closest_marker("neo4j") is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"live Neo4j test skipped under CI=true, which is a failure: {reason}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that collected no test is a failure, never a quiet success."""
    if session.testscollected == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


#: A real designation batch of the OFAC SDN list of 2024-05-03 (IBEX SHIPPING INC, the AZIA
#: SHIPPING companies, CAPTAIN YAKUBOVICH, VA DEGTYAREV PLANT and MARIA).
OFAC_BATCH = range(46768, 46774)
OFAC_COMPANIONS = {"add.csv": "ofac_add_2025-01.csv", "alt.csv": "ofac_alt_2025-01.csv",
                   "sdn_comments.csv": "ofac_sdn_comments_2025-01.csv"}


def ofac_version(folder: Path, sdn: bytes) -> Path:
    """An OFAC SDN CSV set in `folder`: the given sdn.csv with the shared companion files."""
    folder.mkdir()
    for name, shared in OFAC_COMPANIONS.items():
        shutil.copy(raw(shared), folder / name)
    (folder / "sdn.csv").write_bytes(sdn)
    return folder / "sdn.csv"


#: Entry 39693 as the real sdn.csv stated it on 2023-12-11 (jackdwyer/specially-designated-
#: nationals-list, commit fdd547c): then YOUNG YONG, flagged in Djibouti; by 2024-05-03 the same
#: entry (IMO 9194127) is SAINT LIGHT, flagged in Guyana, with a call sign and another MMSI.
SDN_39693_2023_12_11 = (
    b'39693,"YOUNG YONG","vessel","SDGT",-0- ,-0- ,"Oil Products Tanker",-0- ,-0- ,"Djibouti",'
    b'-0- ,"Secondary sanctions risk: section 1(b) of Executive Order 13224, as amended by '
    b'Executive Order 13886; Vessel Registration Identification IMO 9194127; MMSI 621819067; '
    b'Linked To: TECHNOLOGY BRIGHT INTERNATIONAL LIMITED."')


def earlier_sdn() -> bytes:
    """An earlier version made from the real sdn.csv of 2024-05-03, every row of it a real row:
    without the `OFAC_BATCH` entries (first listed on 2023-12-12; the scrape of 2023-12-11 lacks
    them), and with entry 39693 as it stood on 2023-12-11 (`SDN_39693_2023_12_11`). Every other
    row is as on 2024-05-03, so this is not the list of any one day."""
    lines = []
    for line in raw("ofac_sdn_2024-05-03.csv").read_bytes().split(b"\r\n"):
        ent = line.split(b",", 1)[0]
        if ent.isdigit() and int(ent) in OFAC_BATCH:
            continue
        if ent == b"39693":
            assert b'"SAINT LIGHT"' in line
            line = SDN_39693_2023_12_11
        lines.append(line)
    return b"\r\n".join(lines)


#: The two records `load_example_pair` loads: one made-up ship (EXAMPLE SHIP ONE, IMO 9990002,
#: a valid check digit, in no file of ../shared/data/raw) in two hand-made registries.
EXAMPLE_PAIR = ("example_a:vessel:9990002", "example_b:vessel:9990002")


def load_example_pair(store: Store, folder: Path) -> tuple[str, str]:
    """Loads two hand-made registries that name one made-up ship (merged by its IMO number)
    with two made-up operators, for tests that judge a merged pair "different": no test says
    that two records of a real ship are two ships. Returns the two records' ids."""
    for source, operator in (("example_a", "EXAMPLE ALPHA SHIPPING LLC"),
                             ("example_b", "EXAMPLE OMEGA HOLDINGS INC")):
        path = folder / f"{source}.csv"
        path.write_text("vessel_imo,vessel_name,role,company_name,source\n"
                        f"9990002,EXAMPLE SHIP ONE,operator,{operator},EXAMPLE\n",
                        encoding="utf-8")
        load_file(store, path, source=source)
    return EXAMPLE_PAIR


def merged_ship_store(folder: Path) -> Store:
    """The ship lists (which share IMO numbers with the OFAC list, so clusters span sources),
    the earlier OFAC version (`earlier_sdn`), and resolve's merges."""
    from graph.resolution.engine import resolve

    store = Store(folder / "store.db")
    load_file(store, GUR)
    load_file(store, TAK)
    load_file(store, ofac_version(folder / "before", earlier_sdn()), list_date="2024-05-02")
    resolve(store)
    return store

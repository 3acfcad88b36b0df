"""Shared by the benchmarks/neo4j_*.py scripts (not a benchmark itself): the live graph the
Neo4j tests use (every shared real file, the demo's ship registry and evidence file, resolved),
a Neo4j 5.26 server started as the tests start it (tests/neo4j/server.py), a bulk import run by
Neo4j's own admin tool, and a few timing helpers.

The store is built exactly as tests/graph/conftest.py builds `live_store` (tests/conftest.py's
`full_store` plus the demo's `registry_csv` and `evidence` files), so that the figures describe
the graph the live tests push.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.neo4j.export import ExportResult  # noqa: E402
from graph.neo4j.sync import Connection  # noqa: E402
from graph.resolution.engine import resolve  # noqa: E402
from graph.store import Store  # noqa: E402
from pipeline.ingest import load_file  # noqa: E402
from tests.neo4j.server import (  # noqa: E402
    Neo4jServer,
    free_port,
    neo4j_admin,
    start_server,
    write_settings,
)

RAW: Final = Path(os.environ.get("SANCTIONS_GRAPH_SHARED", ROOT.parent / "shared")) / "data" / "raw"
DEMO: Final = ROOT / "graph" / "demo"
#: As tests/conftest.py: files another file's load reads, or that no loader takes.
NOT_LOADED_ALONE: Final = ("SOURCES.md", "ofac_add_2025-01.csv", "ofac_alt_2025-01.csv",
                           "ofac_sdn_comments_2025-01.csv")
#: As tests/graph/conftest.py: the demo files added to the shared data.
LIVE_EXTRAS: Final = ("registry_csv", "evidence")


def build_live_store(path: Path, raw: Path = RAW) -> tuple[Store, float, float]:
    """The live tests' store at `path`: (store, seconds loading, seconds resolving)."""
    store = Store(path)
    started = time.perf_counter()
    for file in sorted(raw.iterdir()):
        if file.is_file() and file.name not in NOT_LOADED_ALONE:
            load_file(store, file)
    for entry in json.loads((DEMO / "manifest.json").read_text(encoding="utf-8")):
        if entry["format"] in LIVE_EXTRAS:
            load_file(store, DEMO / entry["file"], format=entry["format"],
                      source=entry["source"], list_date=entry["list_date"])
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    resolve(store)
    return store, loaded, time.perf_counter() - started


def load_line(store: Store, loaded: float, resolved: float) -> str:
    counts = store.counts()
    return (f"live graph store: {counts['nodes']:,} canonical nodes, {counts['relations']:,} "
            f"relations, {counts['sanctions']:,} sanctions (load {loaded:.1f} s, resolve "
            f"{resolved:.1f} s; not part of any figure below)")


def open_live_store(path: Path, raw: Path = RAW) -> Store:
    """The live-graph store at `path`, reused when it exists, else built; says which."""
    if path.exists():
        store = Store(path)
        print(f"live graph store: reusing {path}: {store.counts()['nodes']:,} canonical nodes")
        return store
    store, loaded, resolved = build_live_store(path, raw)
    print(load_line(store, loaded, resolved))
    return store


def machine_line() -> str:
    return (f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start "
            "(other jobs share it: compare each figure with its anchor from the same run)")


@contextlib.contextmanager
def server(home: Path, heap: str = "1g") -> Iterator[tuple[Neo4jServer, float]]:
    """A fresh server as the tests start it: (server, seconds to READY). Always stopped."""
    started = time.perf_counter()
    srv = start_server(home, heap=heap)
    try:
        yield srv, time.perf_counter() - started
    finally:
        srv.stop()


@dataclass
class Imported:
    server: Neo4jServer
    import_seconds: float
    import_peak_mb: float
    stdout: str


def bulk_import(export: ExportResult, home: Path, *, admin_heap: str = "2g",
                pagecache: str = "256m") -> Imported:
    """Run the export's `neo4j-admin database import full` command with Neo4j's admin tool
    from the export folder, against a fresh home; the returned server is not started yet."""
    args = shlex.split(export.command)
    if args[0] != "neo4j-admin":
        raise RuntimeError(f"unexpected import command: {export.command}")
    srv = Neo4jServer(home=home, port=free_port(), heap="1g",
                      password=os.urandom(12).hex())
    write_settings(home, port=srv.port, pagecache=pagecache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = neo4j_admin(home, args[1:], cwd=export.directory, heap=admin_heap)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0 or "IMPORT DONE" not in done.stdout:
        raise RuntimeError("neo4j-admin import failed:\n" + done.stdout[-3000:]
                           + done.stderr[-3000:])
    # ru_maxrss of children is the largest child so far: a figure only when it grew here
    return Imported(srv, seconds, peak / 1024 if peak > before else float("nan"), done.stdout)


def import_summary(stdout: str) -> str:
    """The admin tool's own closing lines (`IMPORT DONE in ...`, counts, peak memory)."""
    keep = []
    for line in stdout.splitlines():
        text = line.strip()
        if text.startswith(("IMPORT DONE", "Imported:", "Peak memory usage")) or (
                keep and keep[-1].startswith("Imported:") and text and text[0].isdigit()):
            keep.append(text)
        elif keep and keep[-1].startswith("Imported:"):
            pass
    return "; ".join(keep)


def count_graph(conn: Connection) -> tuple[int, int]:
    """(nodes, relationships) as Neo4j counts them (from its count store)."""
    from tests.neo4j.database import run

    nodes = run(conn, "MATCH (n) RETURN count(n) AS n")[0]["n"]
    rels = run(conn, "MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
    return int(nodes), int(rels)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

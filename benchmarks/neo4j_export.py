"""Benchmark: bulk-import files for everything loadable from ../shared/data/raw/.

Loads every file there that the loader registry recognises (files it does not recognise are
skipped and listed), then measures writing the `neo4j-admin database import full` files (graph
rows built from the store, then the CSV files): wall time, and peak Python memory in a second,
traced run. Prints the batches and rows a first push would send. With NEO4J_URI set it also
pushes (twice: the second push should change nothing) and prints the times.

    .venv/bin/python benchmarks/neo4j_export.py [--raw DIR]

Target: export in at most 10 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.errors import SanctionsGraphError  # noqa: E402
from graph.ingest import load_file  # noqa: E402
from graph.neo4j.export import export_bulk  # noqa: E402
from graph.neo4j.shape import build_graph  # noqa: E402
from graph.neo4j.sync import Connection, plan_sync, push  # noqa: E402
from graph.store import Store  # noqa: E402
from loaders import detect_loader  # noqa: E402

TARGET_SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        with Store(tmpdir / "all.db") as store:
            started = time.perf_counter()
            loaded: list[str] = []
            skipped: list[str] = []
            for path in sorted(args.raw.iterdir()):
                if not path.is_file() or path.suffix in {".md"}:
                    continue
                try:
                    detect_loader(path)
                    result = load_file(store, path)
                except SanctionsGraphError as exc:
                    skipped.append(f"{path.name} ({str(exc).split(': ', 1)[-1][:70]})")
                    continue
                loaded.append(f"{path.name} -> {result.info.source}")
            load_time = time.perf_counter() - started
            counts = store.counts()
            print(f"loaded {len(loaded)} files in {load_time:.1f} s "
                  f"(not timed below): {counts['nodes']:,} nodes, "
                  f"{counts['relations']:,} relations, {counts['sanctions']:,} sanctions")
            for line in loaded:
                print(f"  loaded  {line}")
            for line in skipped:
                print(f"  skipped {line}")

            started, cpu_started = time.perf_counter(), time.process_time()
            graph = build_graph(store)
            built = time.perf_counter() - started
            result = export_bulk(graph, tmpdir / "bulk")
            export_time = time.perf_counter() - started
            export_cpu = time.process_time() - cpu_started
            size = sum(f.stat().st_size for f in (tmpdir / "bulk").iterdir())
            print(f"\nexport: {export_time:.2f} s wall, {export_cpu:.2f} s CPU (graph rows "
                  f"{built:.2f} s, files {export_time - built:.2f} s), {size / 1e6:.1f} MB in "
                  f"{len(result.files)} CSV files; target <= {TARGET_SECONDS:.0f} s: "
                  f"{'met' if export_time <= TARGET_SECONDS else 'MISSED'}")
            print(f"  machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
                  "(wall time grows with it; CPU time does not)")
            for name, rows in result.files.items():
                print(f"  {rows:>9,} rows  {name}")

            tracemalloc.start()
            export_bulk(build_graph(store), tmpdir / "bulk-traced")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"export peak Python memory (traced run): {peak / 2**20:.0f} MiB")

            plan = plan_sync(graph)
            print(f"\nfirst push into an empty database: {len(plan.batches):,} batches, "
                  f"{plan.rows:,} rows ({len(graph.nodes):,} nodes, "
                  f"{len(graph.rels):,} relationships)")
            if os.environ.get("NEO4J_URI"):
                conn = Connection.from_env()
                for label in ("push", "second push"):
                    started = time.perf_counter()
                    pushed = push(graph, conn)
                    print(f"{label} to {pushed.server}: {time.perf_counter() - started:.1f} s, "
                          f"{pushed.plan.changed:,} changes in {len(pushed.plan.batches)} "
                          f"batches")
            else:
                print("push time: not measured (NEO4J_URI is not set)")


if __name__ == "__main__":
    main()

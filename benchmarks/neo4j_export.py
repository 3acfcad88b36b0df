"""Benchmark: bulk-import files for everything loadable from ../shared/data/raw/ (or a store).

Loads every file there that the loader registry recognises (files it does not recognise are
skipped and listed), or opens the store `--store` names (a synthetic one from `scale_data.py`,
say), then measures writing the `neo4j-admin database import full` files as `neo4j export` does
(`export_store`: rows streamed from the store): wall and CPU time, the peak resident memory of
the command itself run on the store (a child process, `sanctions-graph neo4j export`), and the
peak Python memory of a traced run, beside that of the rows held in memory as the push holds
them (`build_graph`, then `export_bulk`; the two writes are checked to be the same bytes).
Prints the batches and rows a first push would send. With NEO4J_URI set it also pushes (twice:
the second push should change nothing) and prints the times.

    .venv/bin/python benchmarks/neo4j_export.py [--raw DIR | --store FILE]

Target: export of the shared data in at most 10 s; the export's memory does not grow with the
store.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.errors import SanctionsGraphError  # noqa: E402
from graph.neo4j.export import export_bulk, export_store  # noqa: E402
from graph.neo4j.shape import build_graph  # noqa: E402
from graph.neo4j.sync import Connection, plan_sync, push  # noqa: E402
from graph.store import Store  # noqa: E402
from loaders import detect_loader  # noqa: E402
from pipeline.ingest import load_file  # noqa: E402

TARGET_SECONDS = 10.0


def _load_raw(store: Store, raw: Path) -> None:
    started = time.perf_counter()
    loaded: list[str] = []
    skipped: list[str] = []
    for path in sorted(raw.iterdir()):
        if not path.is_file() or path.suffix in {".md"}:
            continue
        try:
            detect_loader(path)
            result = load_file(store, path)
        except SanctionsGraphError as exc:
            skipped.append(f"{path.name} ({str(exc).split(': ', 1)[-1][:70]})")
            continue
        loaded.append(f"{path.name} -> {result.info.source}")
    print(f"loaded {len(loaded)} files in {time.perf_counter() - started:.1f} s (not timed "
          "below)")
    for line in loaded:
        print(f"  loaded  {line}")
    for line in skipped:
        print(f"  skipped {line}")


def _command_peak_rss(db: Path, out: Path) -> tuple[float, int]:
    """Wall seconds and peak resident set (KiB) of `sanctions-graph neo4j export` on `db`."""
    command = Path(sys.executable).with_name("sanctions-graph")
    started = time.perf_counter()
    subprocess.run([str(command), "neo4j", "export", str(out), "--db", str(db), "--json"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def _same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    _, differ, unread = filecmp.cmpfiles(a, b, names, shallow=False)
    return names == sorted(p.name for p in b.iterdir()) and not differ and not unread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    source.add_argument("--store", type=Path, help="measure this store (opened as it is)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        db = args.store or tmpdir / "all.db"
        with Store(db) as store:
            if args.store is None:
                _load_raw(store, args.raw)
            counts = store.counts()
            print(f"store {db.name}: {counts['nodes']:,} nodes, {counts['relations']:,} "
                  f"relations, {counts['sanctions']:,} sanctions")

            started, cpu_started = time.perf_counter(), time.process_time()
            result = export_store(store, tmpdir / "bulk")
            export_time = time.perf_counter() - started
            export_cpu = time.process_time() - cpu_started
            size = sum(f.stat().st_size for f in (tmpdir / "bulk").iterdir())
            print(f"\nexport (streamed, as `neo4j export`): {export_time:.2f} s wall, "
                  f"{export_cpu:.2f} s CPU, {size / 1e6:.1f} MB in {len(result.files)} CSV "
                  f"files; target <= {TARGET_SECONDS:.0f} s (shared data): "
                  f"{'met' if export_time <= TARGET_SECONDS else 'MISSED'}")
            print(f"  machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
                  "(wall time grows with it; CPU time does not)")
            for name, rows in result.files.items():
                print(f"  {rows:>9,} rows  {name}")

            wall, peak_kib = _command_peak_rss(db, tmpdir / "bulk-command")
            print(f"`sanctions-graph neo4j export` as a command: {wall:.1f} s wall, peak "
                  f"resident memory {peak_kib / 1024:.0f} MiB")

            tracemalloc.start()
            export_store(store, tmpdir / "bulk-traced")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"export peak Python memory (traced run): {peak / 2**20:.0f} MiB")

            started = time.perf_counter()
            tracemalloc.start()
            graph = build_graph(store)
            export_bulk(graph, tmpdir / "bulk-rows")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            same = _same_files(tmpdir / "bulk", tmpdir / "bulk-rows")
            print(f"rows in memory as the push holds them (build_graph, then export_bulk; "
                  f"traced, {time.perf_counter() - started:.1f} s): peak Python memory "
                  f"{peak / 2**20:.0f} MiB; the same files: {'yes' if same else 'NO'}")

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

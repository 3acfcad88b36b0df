"""Spark screening throughput beside the CLI's, on the same files, in one run.

    .venv/bin/pip install -e '.[spark]'
    .venv/bin/python benchmarks/spark_screen.py [--raw DIR] [--sizes 50000,200000] [--cores 2]

Loads every shared file into a fresh store (as benchmarks/screening.py does) and builds its
screening index. For each size it writes one CSV of rows made from the index's own names (real
list names, every third with one letter changed, every fifth with its first word left out),
then screens it twice:

- the CLI: `sanctions-graph screen FILE -o OUT.jsonl` as a whole process (start-up and index
  read included), one worker per core;
- Spark: `queries.screen.screen_spark` on a `local[N]` session (started once, before the
  timings), reading the CSV with `spark.read.csv` and writing the answers as Parquet; the first
  job of the session also pays for starting the Python workers and reading the index in each.

Both print wall seconds and rows per second. Spark's local mode here runs on the same cores as
the CLI; its point is the cluster, where the same code spreads over many machines.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.screening import RAW, build_store  # noqa: E402
from graph.store import Store  # noqa: E402
from queries.screen import screen_spark  # noqa: E402
from queries.screening.index import ensure_index  # noqa: E402


def write_rows(store: Store, count: int, path: Path) -> None:
    index, _ = ensure_index(store)
    names = [(e.schema, n) for e in index.entities for n in e.names]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "name", "type"])
        for i in range(count):
            schema, name = names[(i * 7919) % len(names)]
            if i % 3 == 0 and len(name) > 4:
                at = len(name) // 2
                name = name[:at] + ("a" if name[at] != "a" else "e") + name[at + 1:]
            if i % 5 == 0 and " " in name:
                name = name.split(" ", 1)[1]
            writer.writerow([f"r{i}", name, schema if i % 2 else ""])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--raw", type=Path, default=RAW)
    parser.add_argument("--sizes", default="50000,200000")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="sg-spark-bench-"))
    try:
        db = work / "all.db"
        build_store(args.raw, db)
        os.environ["PYSPARK_PYTHON"] = sys.executable
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master(f"local[{args.cores}]")
                 .appName("sanctions-graph-bench")
                 .config("spark.ui.enabled", "false")
                 .config("spark.driver.memory", "2g")
                 .getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        cli = Path(sys.executable).with_name("sanctions-graph")
        print(f"SPARK SCREENING (local[{args.cores}]) BESIDE THE CLI ({args.cores} workers)")
        print(f"  {'rows':>8}  {'run':<28}  {'wall s':>7}  {'rows/s':>7}")
        with Store(db) as store:
            ensure_index(store)
            for size in sizes:
                rows = work / f"rows-{size}.csv"
                write_rows(store, size, rows)
                started = time.perf_counter()
                subprocess.run([str(cli), "screen", str(rows), "-o", str(work / "out.jsonl"),
                                "--db", str(db), "--workers", str(args.cores)],
                               check=True, capture_output=True)
                took = time.perf_counter() - started
                print(f"  {size:>8,}  {'CLI screen (whole process)':<28}  {took:>7.2f}  "
                      f"{size / took:>7,.0f}", flush=True)
                frame = (spark.read.option("header", True).option("escape", '"')
                         .csv(str(rows)).repartition(args.cores))
                out = work / f"out-{size}.parquet"
                started = time.perf_counter()
                screen_spark(store, frame).write.parquet(str(out))
                took = time.perf_counter() - started
                print(f"  {size:>8,}  {'screen_spark -> Parquet':<28}  {took:>7.2f}  "
                      f"{size / took:>7,.0f}", flush=True)
        spark.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

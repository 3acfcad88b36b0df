"""Benchmark: path, exposure and the 50% rule on the real lists and on a synthetic graph of one
million companies and vessels.

    .venv/bin/python benchmarks/paths.py [--nodes 1000000] [--queries 200] [--skip-real]

Part one loads every file in ../shared/data/raw/ that the loader registry recognises into a fresh
store (whatever loaders are registered: nothing here names a format), builds the store's path
index and times queries between random nodes. Part two builds a synthetic ownership graph (fixed
seed, power-law degrees: a few holding companies own thousands of ships, most own one) straight in
the index's array form, and times the same functions the CLI calls (`path_answer`,
`exposure_of`, `ownership_status`). Targets on the million-node graph: path median <= 50 ms,
exposure (3 hops) median <= 100 ms, index build <= 60 s and 4 GB.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.path_arrays import array_index  # noqa: E402
from graph.errors import SanctionsGraphError  # noqa: E402
from graph.model import RelationKind  # noqa: E402
from graph.store import Store  # noqa: E402
from loaders import detect_loader  # noqa: E402
from pipeline.ingest import load_file  # noqa: E402
from queries.blocked import ownership_status  # noqa: E402
from queries.paths import (  # noqa: E402
    KIND_CODE,
    PathAnswer,
    PathIndex,
    exposure_of,
    path_answer,
    store_index,
)

RAW = Path(os.environ.get("SANCTIONS_GRAPH_SHARED", ROOT.parent / "shared")) / "data" / "raw"
SEED = 20231016


def timed(fn: Callable[[], object], runs: list[float]) -> None:
    start = time.perf_counter()
    fn()
    runs.append((time.perf_counter() - start) * 1000)


def report(label: str, runs: list[float]) -> None:
    ordered = sorted(runs)
    p99 = ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
    print(f"  {label:<28} median {statistics.median(ordered):8.2f} ms   p99 {p99:8.2f} ms"
          f"   ({len(ordered)} queries)")


def query_suite(idx: PathIndex, queries: int, rng: random.Random) -> None:
    # Endpoints among nodes with at least one relation: an isolated node answers at once and
    # would flatter the figures.
    nodes = [int(x) for x in np.flatnonzero(np.diff(idx.indptr) > 0)]
    owned = np.flatnonzero(np.diff(idx.own_up_ptr) > 0)
    path_runs: list[float] = []
    exposure_runs: list[float] = []
    rule_runs: list[float] = []
    answers: list[PathAnswer] = []
    for _ in range(queries):
        a, b = rng.choice(nodes), rng.choice(nodes)
        timed(lambda a=a, b=b: answers.append(path_answer(idx, a, b)), path_runs)
        timed(lambda a=a: exposure_of(idx, a, 3), exposure_runs)
        if len(owned):
            entity = int(owned[rng.randrange(len(owned))])
            timed(lambda e=entity: ownership_status(idx, e), rule_runs)
    report("path A B", path_runs)
    found = sum(1 for answer in answers if answer.hops is not None)
    print(f"  {'':<28} ({found} of {queries} random pairs joined within 6 steps)")
    report("exposure --hops 3", exposure_runs)
    if rule_runs:
        report("50% rule, one entity", rule_runs)


def real_data(queries: int) -> None:
    print(f"== real data: every file in {RAW} that a loader recognises")
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        start = time.perf_counter()
        read: set[Path] = set()
        unknown: list[str] = []
        for path in sorted(RAW.iterdir()):
            if not path.is_file() or path.suffix.lower() == ".md":
                continue
            try:
                spec = detect_loader(path)
            except SanctionsGraphError:
                unknown.append(path.name)
                continue
            read.update(spec.files(path))
            try:
                result = load_file(store, path)
            except SanctionsGraphError as exc:
                print(f"  skipped {path.name}: {exc}")
                continue
            info = result.info
            print(f"  loaded {path.name} ({spec.format}): {info.entities:,} entities, "
                  f"{info.relations:,} relations, {info.sanctions:,} sanctions")
        print(f"  loading took {time.perf_counter() - start:.1f} s")
        left = [name for name in unknown if RAW / name not in read]
        if left:
            print(f"  no loader (yet) for: {', '.join(left)}")
        tracemalloc.start()
        start = time.perf_counter()
        idx = store_index(store)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  path index: {idx.n:,} nodes, {idx.edges:,} relations, built in {elapsed:.2f} s"
              f" (peak {peak / 2**20:,.0f} MiB traced)")
        query_suite(idx, queries, random.Random(SEED))


def synthetic_arrays(n: int, seed: int) -> dict[str, np.ndarray]:
    """A power-law ownership graph: 40% companies, 60% vessels.

    Every vessel has a registered owner and half have a manager; every company but the oldest
    has one to three parent companies with random stakes, older ones only (real groups are
    trees more than tangles); a few "linked to" ties join random parties. Owners and parents are
    drawn with Pareto weights, so degrees follow a power law.
    """
    rng = np.random.default_rng(seed)
    companies = int(n * 0.4)
    vessels = n - companies
    weight = rng.pareto(1.1, companies) + 1.0
    p = weight / weight.sum()
    vessel_ids = np.arange(companies, n, dtype=np.int32)
    subjects = [rng.choice(companies, size=vessels, p=p).astype(np.int32)]
    objects = [vessel_ids]
    kinds = [np.full(vessels, KIND_CODE[RelationKind.OWNERSHIP], dtype=np.int8)]
    pcts = [np.where(rng.random(vessels) < 0.7, 100.0, np.nan).astype(np.float32)]
    managed = vessel_ids[rng.random(vessels) < 0.5]
    subjects.append(rng.choice(companies, size=len(managed), p=p).astype(np.int32))
    objects.append(managed)
    kinds.append(np.full(len(managed), KIND_CODE[RelationKind.MANAGEMENT], dtype=np.int8))
    pcts.append(np.full(len(managed), np.nan, dtype=np.float32))
    parents_per = rng.integers(1, 4, size=companies)
    parents_per[: min(1000, companies)] = 0
    child = np.repeat(np.arange(companies, dtype=np.int32), parents_per)
    # A parent is an older company, drawn by weight among the older ones: Pareto weights over
    # the whole range, folded below the child's own number.
    parent = rng.choice(companies, size=len(child), p=p).astype(np.int64)
    parent = (parent % np.maximum(child, 1)).astype(np.int32)
    keep = parent != child
    child, parent = child[keep], parent[keep]
    subjects.append(parent)
    objects.append(child)
    kinds.append(np.full(len(child), KIND_CODE[RelationKind.OWNERSHIP], dtype=np.int8))
    stake = rng.choice(np.array([10, 20, 25, 30, 50, 51, 100, np.nan], dtype=np.float32),
                       size=len(child))
    pcts.append(stake)
    links = n // 10
    subjects.append(rng.integers(0, n, size=links, dtype=np.int32))
    objects.append(rng.integers(0, n, size=links, dtype=np.int32))
    kinds.append(np.full(links, KIND_CODE[RelationKind.LINK], dtype=np.int8))
    pcts.append(np.full(links, np.nan, dtype=np.float32))
    subject = np.concatenate(subjects)
    obj = np.concatenate(objects)
    loop = subject != obj
    schemata = np.zeros(n, dtype=np.int8)
    schemata[companies:] = 1
    return {
        "subject": subject[loop], "object": obj[loop], "kind": np.concatenate(kinds)[loop],
        "pct": np.concatenate(pcts)[loop],
        "sanctioned": rng.random(n) < 0.01,
        "state": np.concatenate([rng.random(companies) < 0.001, np.zeros(vessels, dtype=bool)]),
        "schemata": schemata,
    }


def synthetic(n: int, queries: int) -> None:
    print(f"== synthetic ownership graph: {n:,} companies and vessels (seed {SEED})")
    start = time.perf_counter()
    arrays = synthetic_arrays(n, SEED)
    m = len(arrays["subject"])
    print(f"  generated {m:,} relations in {time.perf_counter() - start:.1f} s")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    idx = array_index(n, arrays["subject"], arrays["object"], arrays["kind"], arrays["pct"],
                      sanctioned=arrays["sanctioned"], state=arrays["state"],
                      schemata=arrays["schemata"])
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"  path index built in {elapsed:.2f} s; peak memory while building "
          f"{peak / 2**20:,.0f} MiB traced; index {idx.nbytes() / 2**20:,.0f} MiB; "
          f"process peak RSS {rss_after / 1024:,.0f} MiB (was {rss_before / 1024:,.0f})")
    degree = np.diff(idx.indptr)
    print(f"  degrees: median {int(np.median(degree))}, max {int(degree.max()):,}, "
          f"99th percentile {int(np.percentile(degree, 99))}")
    query_suite(idx, queries, random.Random(SEED))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    if not args.skip_real:
        real_data(args.queries)
    synthetic(args.nodes, args.queries)


if __name__ == "__main__":
    main()

"""Load the OFAC CSV set and both ship tables into a fresh store; time who_owns lookups.

Prints: load time per file and in all (target <= 5 s), peak memory (max RSS), the median and p95
of 100 `who_owns` lookups in one process (names, IMO numbers, MMSIs, misspellings; target median
<= 20 ms), and the median wall time of the whole `sanctions-graph owner ANGARA` process (target
<= 1 s). Run: .venv/bin/python benchmarks/load_and_lookup.py
"""

from __future__ import annotations

import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.errors import QueryError  # noqa: E402
from graph.store import Store  # noqa: E402
from pipeline.ingest import load_file  # noqa: E402
from queries.owner import who_owns  # noqa: E402

RAW = ROOT.parent / "shared" / "data" / "raw"
FILES = ["ofac_sdn_2024-05-03.csv", "gur_shadowfleet_vessels_master.csv",
         "tak_shadowfleet_2026-08-22.json"]
SEED = 20231001


def _typo(rng: random.Random, name: str) -> str:
    """Drop one letter of a name: ANGARA -> ANGRA."""
    if len(name) < 5:
        return name
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1 :]


def _queries(store: Store, n: int) -> list[str]:
    rng = random.Random(SEED)
    rows = store.conn.execute(
        "SELECT k.caption, MIN(y.key) FROM canon k JOIN nodes n ON n.canonical = k.id"
        " JOIN keys y ON y.load_id = n.load_id AND y.entity_id = n.local_id"
        " WHERE k.schema = 'Vessel' AND y.key LIKE 'imo-ship:%' GROUP BY k.id ORDER BY k.id"
    ).fetchall()
    mmsis = [r[0].split(":")[1] for r in store.conn.execute(
        "SELECT key FROM keys WHERE key LIKE 'mmsi:%' ORDER BY key")]
    sample = rng.sample(rows, n)
    queries = []
    for i, (caption, key) in enumerate(sample):
        kind = i % 4
        if kind == 0:
            queries.append(caption)
        elif kind == 1:
            queries.append("IMO " + key.split(":")[1])
        elif kind == 2:
            queries.append(_typo(rng, caption))
        else:
            queries.append(rng.choice(mmsis))
    return queries


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        print(f"{'file':45} {'entities':>9} {'seconds':>8}")
        total = 0.0
        with Store(db) as store:
            for name in FILES:
                start = time.perf_counter()
                info = load_file(store, RAW / name).info
                took = time.perf_counter() - start
                total += took
                print(f"{name:45} {info.entities:>9,} {took:>8.2f}")
            print(f"{'load total (target <= 5 s)':45} {'':>9} {total:>8.2f}")
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak memory (max RSS): {peak_mb:,.0f} MB")

            queries = _queries(store, 100)
            times, misses = [], 0
            for query in queries:
                start = time.perf_counter()
                try:
                    who_owns(store, query)
                except QueryError:
                    misses += 1
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            print(f"who_owns x{len(times)} (names, IMO, MMSI, misspellings): median "
                  f"{statistics.median(times):.1f} ms, p95 {times[94]:.1f} ms, max "
                  f"{times[-1]:.1f} ms (target median <= 20 ms); {misses} not found")

        exe = Path(sys.executable).with_name("sanctions-graph")
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([str(exe), "owner", "ANGARA", "--db", str(db)], check=True,
                           stdout=subprocess.DEVNULL)
            runs.append(time.perf_counter() - start)
        print(f"`sanctions-graph owner ANGARA` whole process: median "
              f"{statistics.median(runs):.2f} s over 5 runs (target <= 1 s)")


if __name__ == "__main__":
    main()

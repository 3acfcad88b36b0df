"""What hostile or unlucky input costs (issue 13): reading the signed screening index against the
pickle it replaced, and screening an overlong name against a normal one.

    python benchmarks/hostile_input.py

Loads the OFAC SDN, UN and GUR lists from ../shared/data/raw into a temporary store. Every figure
is compared with an anchor measured in the same run (the machine is shared and noisy):

- index read: `read_index` of the signed flat-array file, against `pickle.loads` of the same
  in-memory index (the format it replaced), median of several reads each;
- screening: one row of a normal listed name, against the same row with a 100,000-character name
  of many words and with a 100,000-letter word (both matched on their bounded form);
- index build: the store as loaded, against the same store plus a source holding one
  100,000-character name.
"""

from __future__ import annotations

import json
import pickle
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from graph.store import Store
from pipeline.ingest import load_file
from queries.screen import make_settings
from queries.screening.index import build_index, index_path, read_index, save_index
from queries.screening.matcher import Matcher, Query

RAW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "raw"
LISTS = ("ofac_sdn_2024-05-03.csv", "un_consolidated_2026-02-27.xml",
         "gur_shadowfleet_vessels_master.csv")
LONG = 100_000


def median_seconds(run: Callable[[], object], times: int) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        with Store(db) as store:
            for name in LISTS:
                load_file(store, RAW / name)
            started = time.perf_counter()
            index = build_index(store)
            build_s = time.perf_counter() - started
            key = store.index_key()
            assert key is not None
            path = index_path(store)
            save_index(index, path, key)
            pickled = pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)
            signed_s = median_seconds(lambda: read_index(path, key), 5)
            pickle_s = median_seconds(lambda: pickle.loads(pickled), 5)
            print(f"index: {len(index.entities):,} entities, built in {build_s:.1f} s")
            size = path.stat().st_size / 1e6
            print(f"  read signed file   {signed_s * 1000:7.0f} ms  {size:6.1f} MB")
            print(f"  anchor: unpickle   {pickle_s * 1000:7.0f} ms  {len(pickled) / 1e6:6.1f} MB"
                  f"  (ratio {signed_s / pickle_s:.2f})")

            matcher = Matcher(index, make_settings(index))
            listed = "SOVCOMFLOT"
            rows = {
                "normal name": listed,
                f"{LONG:,}-char name": " ".join([listed] + ["MARITIME"] * (LONG // 9)),
                f"{LONG:,}-letter word": listed + "X" * (LONG - len(listed)),
            }
            base = None
            for label, name in rows.items():
                query = Query(row=1, id=label, name=name)
                seconds = median_seconds(lambda q=query: matcher.screen(q), 5)  # type: ignore[misc]
                base = base or seconds
                result = matcher.screen(query)
                print(f"screen {label:<22} {seconds * 1000:8.2f} ms  ({seconds / base:5.1f}x)"
                      f"  {result.decision}")

            started = time.perf_counter()
            build_index(store)
            again_s = time.perf_counter() - started
        extra = Path(tmp) / "long.ftm.json"
        extra.write_text(json.dumps({
            "id": "long-1", "schema": "Company",
            "properties": {"name": [" ".join(["EXAMPLE"] * (LONG // 8))],
                           "alias": ["Y" * LONG]}}) + "\n")
        with Store(db) as store:
            started = time.perf_counter()
            load_file(store, extra, format="ftm", source="example_long")
            load_s = time.perf_counter() - started
            started = time.perf_counter()
            build_index(store)
            long_s = time.perf_counter() - started
        print(f"index build: {again_s:.1f} s as loaded; {long_s:.1f} s with a source of one "
              f"{LONG:,}-character name and one {LONG:,}-letter alias ({long_s / again_s:.2f}x;"
              f" its load took {load_s:.1f} s)")


if __name__ == "__main__":
    main()

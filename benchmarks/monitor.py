"""Monitoring benchmark: a portfolio of a million rows screened whole, then monitored by difference
after a new version of the OFAC SDN list, with a full re-screen as the anchor in the same run.

    .venv/bin/pip install -e '.[bench]'     # Faker, for names of no listed entity
    .venv/bin/python benchmarks/monitor.py [--rows 1000000] [--listed-share 0.05] [--workers N]
    .venv/bin/python benchmarks/monitor.py --write-earlier DIR   # only the earlier OFAC set

1. Loads every shared list (../shared/data/raw) into a fresh store, the OFAC SDN CSV as a
   version before its real 2024-05-03 file (without the designation batch of ent_num 46768 to
   46773 and with entry 39693 as it stood on 2023-12-11, as tests/conftest.py's `earlier_sdn`
   makes it).
2. A portfolio of `--rows` rows: a share of real names of the loaded lists (every name and
   alias, drawn with replacement, with their type) and the rest names of no listed entity made
   by Faker (people and firms, several locales). `portfolio add` is timed.
3. A full screen of the portfolio (the first anchor), recorded as a run.
4. The real OFAC SDN 2024-05-03 loaded (the index patched), then `monitor_portfolio` timed:
   only the rows that the changed listed entities can reach are screened again.
5. A full screen again (the second anchor), and the alerts of monitoring compared with those
   between the two full screens, row by row.

The machine is shared, so figures move from run to run; one run is printed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.errors import SanctionsGraphError  # noqa: E402
from graph.store import Store  # noqa: E402
from loaders import detect_loader  # noqa: E402
from pipeline.ingest import load_file  # noqa: E402
from queries.audit import run_results  # noqa: E402
from queries.monitor import alerts_between, monitor_portfolio  # noqa: E402
from queries.portfolio import add_portfolio, screen_portfolio  # noqa: E402
from queries.screening.index import ensure_index  # noqa: E402

RAW = ROOT.parent / "shared" / "data" / "raw"
SDN = "ofac_sdn_2024-05-03.csv"
COMPANIONS = {"add.csv": "ofac_add_2025-01.csv", "alt.csv": "ofac_alt_2025-01.csv",
              "sdn_comments.csv": "ofac_sdn_comments_2025-01.csv"}
NOT_LOADED_ALONE = ("SOURCES.md", SDN, *COMPANIONS.values())
#: The real designations of 2024-05-03 the earlier version lacks (IBEX SHIPPING INC, the AZIA
#: SHIPPING companies, CAPTAIN YAKUBOVICH, VA DEGTYAREV PLANT, MARIA).
BATCH = range(46768, 46774)
FAKER_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL",
                 "tr_TR", "pt_BR")


def ofac_version(folder: Path, sdn: bytes) -> Path:
    folder.mkdir()
    for name, shared in COMPANIONS.items():
        shutil.copy(RAW / shared, folder / name)
    (folder / "sdn.csv").write_bytes(sdn)
    return folder / "sdn.csv"


#: Entry 39693 as the real sdn.csv stated it on 2023-12-11 (jackdwyer/specially-designated-
#: nationals-list, commit fdd547c): then YOUNG YONG, flagged in Djibouti; by 2024-05-03 the same
#: entry (IMO 9194127) is SAINT LIGHT, flagged in Guyana (as tests/conftest.py states it).
SDN_39693_2023_12_11 = (
    b'39693,"YOUNG YONG","vessel","SDGT",-0- ,-0- ,"Oil Products Tanker",-0- ,-0- ,"Djibouti",'
    b'-0- ,"Secondary sanctions risk: section 1(b) of Executive Order 13224, as amended by '
    b'Executive Order 13886; Vessel Registration Identification IMO 9194127; MMSI 621819067; '
    b'Linked To: TECHNOLOGY BRIGHT INTERNATIONAL LIMITED."')


def earlier_sdn() -> bytes:
    """The real sdn.csv of 2024-05-03 less the designation batch, with entry 39693 as it stood
    on 2023-12-11: every row a real row (not the list of any one day)."""
    lines = []
    for line in (RAW / SDN).read_bytes().split(b"\r\n"):
        ent = line.split(b",", 1)[0]
        if ent.isdigit() and int(ent) in BATCH:
            continue
        if ent == b"39693":
            assert b'"SAINT LIGHT"' in line
            line = SDN_39693_2023_12_11
        lines.append(line)
    return b"\r\n".join(lines)


def build(store: Store, work: Path) -> float:
    started = time.perf_counter()
    for path in sorted(RAW.iterdir()):
        if path.name in NOT_LOADED_ALONE:
            continue
        try:
            detect_loader(path)
            load_file(store, path)
        except SanctionsGraphError as exc:
            print(f"  skipped {path.name}: {exc}")
    load_file(store, ofac_version(work / "before", earlier_sdn()), list_date="2023-12-11")
    ensure_index(store)
    return time.perf_counter() - started


def portfolio_file(store: Store, path: Path, rows: int, listed_share: float) -> int:
    from faker import Faker

    rng = random.Random(16)
    names = store.conn.execute(
        "SELECT n.name, n.schema FROM names n JOIN current c ON c.load_id = n.load_id"
    ).fetchall()
    fakers = [Faker(locale) for locale in FAKER_LOCALES]
    for number, faker in enumerate(fakers):
        faker.seed_instance(number)
    listed = 0
    with path.open("w", encoding="utf-8") as out:
        for i in range(rows):
            if rng.random() < listed_share:
                name, schema = rng.choice(names)
                listed += 1
            else:
                faker = fakers[i % len(fakers)]
                if rng.random() < 0.7:
                    name, schema = faker.name(), "Person"
                else:
                    name, schema = faker.company(), "Company"
            out.write(json.dumps({"id": f"r{i}", "name": name, "type": schema},
                                 ensure_ascii=False) + "\n")
    return listed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--listed-share", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--write-earlier", type=Path, metavar="DIR",
                        help="only write the earlier OFAC SDN CSV set to DIR (a new folder) and "
                             "stop: `sanctions-graph load DIR/sdn.csv --list-date 2023-12-11`")
    args = parser.parse_args()
    if args.write_earlier is not None:
        print(ofac_version(args.write_earlier, earlier_sdn()))
        return
    with tempfile.TemporaryDirectory(prefix="sg-monitor-") as tmp:
        work = Path(tmp)
        with Store(work / "store.db") as store:
            seconds = build(store, work)
            print(f"store: every shared list, OFAC SDN before its 2023-12-12 batch (derived), "
                  f"index built: {seconds:.1f} s; "
                  f"{len(ensure_index(store)[0].entity_ids):,} entities")
            started = time.perf_counter()
            listed = portfolio_file(store, work / "book.jsonl", args.rows, args.listed_share)
            print(f"portfolio file: {args.rows:,} rows ({listed:,} real names of the lists, "
                  f"the rest Faker names) in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            add_portfolio(store, "book", work / "book.jsonl")
            print(f"portfolio add: {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            first = screen_portfolio(store, "book", workers=args.workers)
            full_1 = time.perf_counter() - started
            print(f"full screen 1 (OFAC before): {full_1:.1f} s, {first.counts}")
            started = time.perf_counter()
            load_file(store, ofac_version(work / "after", (RAW / SDN).read_bytes()),
                      list_date="2024-05-03")
            index, _ = ensure_index(store)
            print(f"load OFAC SDN 2024-05-03 and patch the index: "
                  f"{time.perf_counter() - started:.1f} s (patched: {index.patched})")
            started = time.perf_counter()
            monitored = monitor_portfolio(store, "book", workers=args.workers)
            took = time.perf_counter() - started
            kinds: dict[str, int] = {}
            for alert in monitored.alerts:
                kinds[alert.kind] = kinds.get(alert.kind, 0) + 1
            print(f"monitor: {took:.1f} s; {monitored.changed_entities:,} listed entities "
                  f"changed; {monitored.rows_screened:,} of {monitored.rows:,} rows screened "
                  f"again; {len(monitored.alerts):,} alerts {kinds}; steps (cumulative s) "
                  f"{monitored.seconds}")
            started = time.perf_counter()
            second = screen_portfolio(store, "book", workers=args.workers)
            full_2 = time.perf_counter() - started
            print(f"full screen 2 (OFAC 2024-05-03): {full_2:.1f} s, {second.counts}")
            index, _ = ensure_index(store)
            present = set(index.entity_ids)
            a = {r["id"]: r["matches"] for r in run_results(store, first.run_id)}
            expected = set()
            for record in run_results(store, second.run_id):
                for alert in alerts_between(record["id"], a.get(record["id"], []),
                                            record["matches"], present.__contains__):
                    expected.add(alert.key())
            got = {alert.key() for alert in monitored.alerts}
            print(f"alerts of monitoring equal those between the two full screens: "
                  f"{'yes' if got == expected else 'NO'} ({len(got):,} and {len(expected):,}; "
                  f"only in monitoring {len(got - expected)}, only between full screens "
                  f"{len(expected - got)})")
            for key in sorted(expected - got)[:10]:
                print(f"  missed: {key}")
            print(f"MONITORING {args.rows:,} ROWS: {took:.1f} s against a full re-screen of "
                  f"{full_2:.1f} s ({full_2 / took:.0f}x); target <= 20 s")


if __name__ == "__main__":
    main()

"""Benchmark: bulk import into Neo4j 5.26 with its own `neo4j-admin database import full`, of the
live tests' graph (every shared real file plus the demo's registry and evidence, resolved) and
of a synthetic graph of one million entities of the same shape.

    .venv/bin/python benchmarks/neo4j_import.py [--entities 1000000] [--store PATH]
                                                [--skip-real] [--skip-synthetic]

For each graph: `export_bulk` (the CSV files and the command `sanctions-graph neo4j export`
writes; wall time, and the process's peak resident memory sampled while it runs, with what the
rows held before it), the import command run by Neo4j's admin tool from the export folder
(tests/neo4j/server.py `neo4j_admin`, a fresh JVM; wall time, the tool's own closing lines, the
JVM's peak RSS), the server's start on the imported store (as the tests start it), the export's
`schema.cypher` (constraints and indexes, waited for until populated), and the node and
relationship counts read back, compared with the rows. On the shared data a push follows, which
must change nothing.

The synthetic graph (fixed seed) is `GraphRows` as `build_graph` makes them: the power-law
ownership structure of benchmarks/paths.py (`synthetic_arrays`: 40% parties, 60% vessels, owners,
managers, parent companies, links), the parties split into companies, persons, organisations and
public bodies (`StateActor`); each node with the property layout of the real ones (`members`,
`sources`, names, `imoNumber` and `imo`, flags, registration numbers, birth dates...); relations
as OWNS / OPERATES / MANAGES / DIRECTS / LINKED_TO with kind, role, percentage and the parallel
source lists; SANCTIONED_UNDER to programmes, FLAGGED_IN / REGISTERED_IN / NATIONAL_OF to
countries; `content_hash` computed by `graph.neo4j.shape.content_hash`.

Target: the import of one million entities in at most 3 minutes (neo4j-admin's run).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import numpy as np

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.neo4j_common import (  # noqa: E402
    RAW,
    bulk_import,
    count_graph,
    machine_line,
    open_live_store,
    verdict,
)
from benchmarks.paths import SEED, synthetic_arrays  # noqa: E402
from graph.identifiers import country_name  # noqa: E402
from graph.model import RELATION_SHAPES, RelationKind  # noqa: E402
from graph.neo4j.export import export_bulk  # noqa: E402
from graph.neo4j.shape import (  # noqa: E402
    COUNTRY,
    ENTITY,
    FLAGGED_IN,
    HASH,
    NATIONAL_OF,
    PROGRAM,
    REGISTERED_IN,
    SANCTIONED_UNDER,
    STATE_ACTOR,
    GraphRows,
    NodeRow,
    RelRow,
    build_graph,
    content_hash,
    program_id,
)
from graph.neo4j.sync import push, schema_statements  # noqa: E402
from queries.paths import KINDS  # noqa: E402
from tests.neo4j.database import run  # noqa: E402

TARGET_IMPORT_SECONDS: Final = 180.0
PAGE: Final = os.sysconf("SC_PAGE_SIZE")

# -- the synthetic graph -------------------------------------------------------------------------

SOURCE: Final = "synthetic_registry"
LIST_DATE: Final = "2026-01-01"
COUNTRIES: Final = ("ru", "cn", "ae", "tr", "in", "hk", "sg", "gr", "cy", "mt", "pa", "lr",
                    "mh", "bs", "km", "ga", "cm", "sl", "tz", "vc", "ir", "kp", "sy", "by",
                    "ve", "cu", "gb", "us", "de", "nl", "no", "it", "fr", "es", "ua", "kz",
                    "ge", "az", "am", "uz", "my", "id", "vn", "th", "kr", "jp", "sa", "om",
                    "iq", "lb", "eg", "ly", "sd", "ng", "za", "br", "mx", "ca", "au", "ch")
AUTHORITIES: Final = ("US OFAC", "EU", "UK OFSI", "UN SC")
VESSEL_TYPES: Final = ("Crude Oil Tanker", "Oil Products Tanker", "Chemical Tanker",
                       "General Cargo", "Bulk Carrier", "Container Ship", "LPG Tanker")
COMPANY_SUFFIXES: Final = ("SHIPPING LLC", "MARITIME LTD", "TRADING CO", "HOLDING SA",
                           "MARINE INC", "LOGISTICS FZE", "SHIP MANAGEMENT LTD", "OOO")
SYLLABLES: Final = ("ka", "ra", "mo", "len", "vi", "sta", "or", "ne", "ta", "lu", "gar", "pe",
                    "an", "dro", "si", "bel", "ko", "mir", "za", "ti", "us", "ha", "dal", "ir")


def _word(rng: random.Random, low: int = 2, high: int = 4) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(low, high))).upper()


def _imo(base: int) -> str:
    """A valid IMO ship number from a six-digit base (the check digit appended)."""
    digits = str(base)
    check = sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return digits + str(check)


def _rel_id(*parts: Any) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def _schema_of(party: int) -> str:
    if party % 997 == 5:
        return "PublicBody"
    bucket = party % 10
    return "Person" if bucket < 3 else "Organization" if bucket == 3 else "Company"


def synthetic_graph(n: int, seed: int = SEED) -> GraphRows:
    """`n` entities and their relations, programmes and countries, as `build_graph` would
    write them (see the module docstring); the same rows for the same `n` and seed."""
    arrays = synthetic_arrays(n, seed)
    rng = random.Random(seed)
    parties = int(n * 0.4)  # synthetic_arrays: the first 40% are parties, the rest vessels
    sources, list_dates = [SOURCE], [LIST_DATE]  # shared: nothing mutates the rows' lists
    sanction_topics = ["sanction"]
    graph = GraphRows()
    ids: list[str] = []
    schemas: list[str] = []
    home: list[str] = []
    sanctioned = arrays["sanctioned"]
    programs = [(a, f"PROGRAM-{k:03d}") for a in AUTHORITIES for k in range(38)]
    chosen: dict[int, tuple[str, str]] = {}
    for i in range(n):
        country = COUNTRIES[min(int(rng.paretovariate(1.2)) - 1, len(COUNTRIES) - 1)]
        record = f"{SOURCE}:{i}"
        if i >= parties:
            schema, imo = "Vessel", _imo(100000 + i - parties)
            node_id = f"vessel:IMO{imo}"
            name = _word(rng)
            props: dict[str, Any] = {
                "id": node_id, "schema": schema, "caption": name, "members": [record],
                "sources": sources, "name": [name], "imoNumber": [imo],
                "flag": [country], "type": [rng.choice(VESSEL_TYPES)],
                "buildDate": [str(rng.randint(1975, 2024))],
            }
            if rng.random() < 0.75:
                props["mmsi"] = [str(rng.randint(200_000_000, 775_999_999))]
                props["callSign"] = [_word(rng, 2, 2)[:4] + str(rng.randint(1, 9))]
            if rng.random() < 0.4:
                props["previousName"] = [_word(rng)]
            if rng.random() < 0.03:
                props["pastFlags"] = [rng.choice(COUNTRIES)]
            props["imo"] = imo
        else:
            schema = _schema_of(i)
            node_id = f"{SOURCE}:p{i}"
            if schema == "Person":
                first, last = _word(rng, 2, 3), _word(rng, 2, 4)
                name = f"{first} {last}"
                props = {"id": node_id, "schema": schema, "caption": name, "members": [record],
                         "sources": sources, "name": [name], "firstName": [first],
                         "lastName": [last], "nationality": [country],
                         "birthDate": [f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}"],
                         "gender": [rng.choice(("male", "female"))]}
            else:
                name = f"{_word(rng)} {rng.choice(COMPANY_SUFFIXES)}"
                props = {"id": node_id, "schema": schema, "caption": name, "members": [record],
                         "sources": sources, "name": [name], "country": [country],
                         "registrationNumber": [str(rng.randint(10**9, 10**10 - 1))],
                         "address": [f"{rng.randint(1, 400)} {_word(rng)} Street, "
                                     f"{_word(rng)}, {country_name(country)}"],
                         "incorporationDate": [str(rng.randint(1990, 2025))]}
                if schema == "PublicBody":
                    props["topics"] = ["gov"]
            if rng.random() < 0.3:
                props["alias"] = [_word(rng) if schema != "Person" else _word(rng, 3, 5)]
        if sanctioned[i]:
            chosen[i] = rng.choice(programs)
            props["topics"] = [*props.get("topics", []), *sanction_topics]
            props["program"] = [chosen[i][1]]
        labels = (schema, STATE_ACTOR) if schema == "PublicBody" else (schema,)
        props[HASH] = content_hash(labels, props)
        graph.nodes.append(NodeRow(ENTITY, labels, props))
        ids.append(node_id)
        schemas.append(schema)
        home.append(country)

    # relations between entities, one per (subject, object, kind), as build_graph groups them
    subject, obj, kind, pct = arrays["subject"], arrays["object"], arrays["kind"], arrays["pct"]
    key = (subject.astype(np.int64) * n + obj) * len(KINDS) + kind
    _, first = np.unique(key, return_index=True)
    first.sort()
    roles = {RelationKind.OWNERSHIP: "registered owner", RelationKind.OPERATION: "operator",
             RelationKind.MANAGEMENT: "ship manager", RelationKind.DIRECTORSHIP: "director",
             RelationKind.LINK: "linked"}
    for j in first.tolist():
        s, o = int(subject[j]), int(obj[j])
        rel_kind = KINDS[int(kind[j])]
        if rel_kind is RelationKind.MANAGEMENT and j % 2:
            rel_kind = RelationKind.OPERATION
        elif (rel_kind is RelationKind.OWNERSHIP and schemas[s] == "Person"
              and schemas[o] != "Vessel" and s % 3 == 0):
            rel_kind = RelationKind.DIRECTORSHIP
        rel_type = RELATION_SHAPES[rel_kind].neo4j_type
        percentage = None if np.isnan(pct[j]) or rel_kind is not RelationKind.OWNERSHIP \
            else float(pct[j])
        rprops: dict[str, Any] = {"id": _rel_id(rel_type, ids[s], ids[o], j),
                                  "kind": rel_kind.value, "role": roles[rel_kind]}
        if percentage is not None:
            rprops["percentage"] = percentage
        rprops.update({"source": sources, "list_date": list_dates,
                       "record_id": [f"r{j}"]})
        rprops[HASH] = content_hash([rel_type], rprops)
        graph.rels.append(RelRow(rel_type, ids[s], ids[o], rprops))

    used_programs: set[tuple[str, str]] = set()
    for i, row in enumerate(graph.nodes[:n]):
        if i in chosen:
            authority, name = chosen[i]
            used_programs.add((authority, name))
            pid = program_id(authority, name)
            rprops = {"id": _rel_id(SANCTIONED_UNDER, ids[i], pid),
                      "authority": authority, "program": name,
                      "listing_date": f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}-15",
                      "source": sources, "list_date": list_dates, "record_id": [f"s{i}"]}
            rprops[HASH] = content_hash([SANCTIONED_UNDER], rprops)
            graph.rels.append(RelRow(SANCTIONED_UNDER, ids[i], pid, rprops))
        link = {"Vessel": (FLAGGED_IN, "flag"), "Person": (NATIONAL_OF, "nationality")}.get(
            schemas[i], (REGISTERED_IN, "country"))
        targets = [(link, home[i], False)]
        if "pastFlags" in row.props:
            targets.append(((FLAGGED_IN, "pastFlags"), row.props["pastFlags"][0], True))
        for (rel_type, prop), code, past in targets:
            rprops = {"id": _rel_id(rel_type, ids[i], code, past, prop), "property": prop,
                      "source": sources, "list_date": list_dates, "record_id": [f"c{i}"]}
            if past:
                rprops["past"] = True
            rprops[HASH] = content_hash([rel_type], rprops)
            graph.rels.append(RelRow(rel_type, ids[i], code, rprops))
    for authority, name in sorted(used_programs):
        props = {"id": program_id(authority, name), "name": name, "authority": authority}
        props[HASH] = content_hash([], props)
        graph.nodes.append(NodeRow(PROGRAM, (), props))
    for code in sorted(set(home) | {c for r in graph.nodes[:n]
                                    for c in r.props.get("pastFlags", ())}):
        props = {"id": code, "name": country_name(code)}
        props[HASH] = content_hash([], props)
        graph.nodes.append(NodeRow(COUNTRY, (), props))
    return graph


# -- measuring -----------------------------------------------------------------------------------


def rss_now_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


@contextmanager
def rss_peak(interval: float = 0.05) -> Iterator[list[float]]:
    """Samples this process's resident memory while the block runs: [before, peak] in MiB."""
    out = [rss_now_mb(), rss_now_mb()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            out[1] = max(out[1], rss_now_mb())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join()
        out[1] = max(out[1], rss_now_mb())


def admin_summary(stdout: str) -> str:
    """neo4j-admin's closing lines: `IMPORT DONE in ...`, the counts, its peak memory."""
    lines = stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("IMPORT DONE"):
            return "; ".join(part.strip() for part in lines[i:] if part.strip())
    return "(no IMPORT DONE line)"


def import_graph(label: str, graph: GraphRows, tmp: Path, *, admin_heap: str, heap: str,
                 pagecache: str, check_push: bool, target: float | None) -> None:
    nodes, rels = len(graph.nodes), len(graph.rels)
    print(f"\n== {label}: {nodes:,} nodes, {rels:,} relationships")
    folder = tmp / f"bulk-{label.split()[0]}"
    with rss_peak() as memory:
        started = time.perf_counter()
        export = export_bulk(graph, folder)
        exported = time.perf_counter() - started
    size = sum(f.stat().st_size for f in folder.iterdir())
    print(f"  export_bulk: {exported:.1f} s, {size / 1e6:,.0f} MB of CSV; process RSS peak "
          f"{memory[1]:,.0f} MiB while exporting (the rows and everything before: "
          f"{memory[0]:,.0f} MiB, so the export added {memory[1] - memory[0]:,.0f} MiB)")
    home = tmp / f"home-{label.split()[0]}"
    try:
        imported = bulk_import(export, home, admin_heap=admin_heap, pagecache=pagecache)
        shutil.rmtree(folder, ignore_errors=True)
        met = f" (target <= {target:.0f} s: {verdict(imported.import_seconds, target)})" \
            if target else ""
        peak = "n/a" if imported.import_peak_mb != imported.import_peak_mb else \
            f"{imported.import_peak_mb:,.0f} MiB"
        print(f"  neo4j-admin database import full (heap {admin_heap}): "
              f"{imported.import_seconds:.1f} s{met}; JVM peak RSS {peak}")
        print(f"    neo4j-admin: {admin_summary(imported.stdout)}")
        srv = imported.server
        srv.heap = heap
        started = time.perf_counter()
        srv.start()
        try:
            print(f"  database start on the imported store (heap {heap}, page cache "
                  f"{pagecache}): {time.perf_counter() - started:.1f} s")
            conn = srv.connection()
            started = time.perf_counter()
            for statement in schema_statements():
                run(conn, statement)
            created = time.perf_counter() - started
            run(conn, "CALL db.awaitIndexes(1800)")
            print(f"  schema.cypher (constraints, indexes): {created:.1f} s, populated after "
                  f"{time.perf_counter() - started:.1f} s")
            held_nodes, held_rels = count_graph(conn)
            same = held_nodes == nodes and held_rels == rels
            labels = {r["label"]: r["n"] for r in run(
                conn, "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n")}
            want = Counter(label for row in graph.nodes for label in (row.space, *row.labels))
            print(f"  read back: {held_nodes:,} nodes, {held_rels:,} relationships "
                  f"({'equal to the rows' if same else 'DIFFERENT from the rows'}); labels "
                  f"{'equal' if labels == dict(want) else 'DIFFERENT'}: "
                  + ", ".join(f"{k} {v:,}" for k, v in sorted(labels.items())))
            if check_push:
                started = time.perf_counter()
                result = push(graph, conn)
                print(f"  push after the import: {result.plan.changed:,} changes, "
                      f"{time.perf_counter() - started:.1f} s")
        finally:
            srv.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--entities", type=int, default=1_000_000,
                        help="entities in the synthetic graph (default 1,000,000)")
    parser.add_argument("--store", type=Path,
                        help="use the live-graph store at PATH (built there when missing)")
    parser.add_argument("--raw", type=Path, default=RAW, help="shared data folder")
    parser.add_argument("--skip-real", action="store_true", help="no shared-data import")
    parser.add_argument("--skip-synthetic", action="store_true", help="no synthetic import")
    parser.add_argument("--admin-heap", default="3g", help="neo4j-admin heap (default 3g)")
    parser.add_argument("--heap", default="2g", help="server heap (default 2g)")
    parser.add_argument("--pagecache", default="1g", help="server page cache (default 1g)")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="neo4j-import-") as tmpname:
        tmp = Path(tmpname)
        if not args.skip_real:
            db = args.store or tmp / "live.db"
            store = open_live_store(db, args.raw)
            try:
                started = time.perf_counter()
                graph = build_graph(store)
                print(f"graph rows (build_graph, not in the figures below): "
                      f"{time.perf_counter() - started:.1f} s")
            finally:
                store.close()
            import_graph("shared data (live graph)", graph, tmp, admin_heap=args.admin_heap,
                         heap=args.heap, pagecache=args.pagecache, check_push=True,
                         target=None)
            del graph
        if not args.skip_synthetic:
            started = time.perf_counter()
            graph = synthetic_graph(args.entities)
            print(f"\nsynthetic graph rows ({args.entities:,} entities, seed {SEED}): generated "
                  f"in {time.perf_counter() - started:.1f} s (not in the figures below); "
                  f"process RSS {rss_now_mb():,.0f} MiB")
            target = TARGET_IMPORT_SECONDS if args.entities >= 1_000_000 else None
            import_graph(f"synthetic {args.entities:,} entities", graph, tmp,
                         admin_heap=args.admin_heap, heap=args.heap, pagecache=args.pagecache,
                         check_push=False, target=target)
            if target is None:
                print(f"  (the {TARGET_IMPORT_SECONDS:.0f} s target is for 1,000,000 entities)")


if __name__ == "__main__":
    main()

"""Evaluate entity resolution on every shared list, against ground truth the data itself gives.

Ground truth: two records of different sources are the same entity when they share an IMO ship
number (vessels), an IMO company number, a Russian INN (tax id) or OGRN, or a UN reference number
(the UN list's own, quoted by the UK list); truth clusters are the connected components of those.
A predicted pair counts for precision only when both records carry an identifier of a common kind
(otherwise nobody knows the answer); recall is over every true cross-source pair.

The matcher runs twice: as is, and with every one of those identifiers hidden from it (names,
dates, countries, MMSI and call signs stay). nomenklatura's `logic-v2` (the OpenSanctions
matcher, a dev dependency, an anchor only) scores the same candidate pairs from FtM proxies built
from the same records, at its usual 0.7 threshold. Finally the real `resolve` runs on the store
and its time is printed (target: at most 60 s for everything).

    .venv/bin/python benchmarks/resolution.py [--db PATH] [--no-logic-v2]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.errors import SanctionsGraphError  # noqa: E402
from graph.resolution.blocking import candidate_pairs  # noqa: E402
from graph.resolution.clusters import ClusterInput, build_clusters  # noqa: E402
from graph.resolution.decisions import MERGE_THRESHOLD  # noqa: E402
from graph.resolution.engine import resolve  # noqa: E402
from graph.resolution.records import IDENTIFIER_KINDS, MatchRecord, load_records  # noqa: E402
from graph.resolution.rivals import apply_close_calls  # noqa: E402
from graph.resolution.scoring import NameStats, score_pair  # noqa: E402
from graph.store import Store  # noqa: E402
from pipeline.ingest import load_file  # noqa: E402

RAW = ROOT.parent / "shared" / "data" / "raw"
LOGIC_V2_THRESHOLD = 0.7
#: FtM properties that carry the identifiers the hidden run takes away.
HIDDEN_PROPS = frozenset({"imoNumber", "innCode", "ogrnCode", "taxNumber", "registrationNumber",
                          "unscId", "idNumber", "vatCode", "leiCode", "programId"})
SAMPLE = 8

Pair = tuple[str, str]


def load_everything(store: Store) -> None:
    for path in sorted(RAW.iterdir()):
        if path.suffix not in (".csv", ".json", ".xml", ".xlsx"):
            continue
        # Companion files (OFAC add/alt/comments) are read with their main file.
        with contextlib.suppress(SanctionsGraphError):
            load_file(store, path)


def truth_keys(r: MatchRecord) -> set[str]:
    keys = {f"ship:{v}" for v in r.imo_ship} | {f"imoco:{v}" for v in r.imo_company}
    keys |= {f"inn:{v}" for v in r.inn} | {f"ogrn:{v}" for v in r.ogrn}
    keys |= {f"un:{v}" for v in r.un_refs}
    return {f"{r.group}/{k}" for k in keys}


def kinds(keys: set[str]) -> set[str]:
    return {k.split(":", 1)[0] for k in keys}


class Truth:
    def __init__(self, records: list[MatchRecord]) -> None:
        self.keys = {r.gid: truth_keys(r) for r in records}
        self.source = {r.gid: r.source for r in records}
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        owner: dict[str, str] = {}
        for gid, keys in self.keys.items():
            for key in keys:
                first = owner.setdefault(key, gid)
                ra, rb = find(first), find(gid)
                if ra != rb:
                    parent[rb] = ra
        self.cluster = {g: find(g) for g, keys in self.keys.items() if keys}
        members: dict[str, list[str]] = defaultdict(list)
        for gid, root in self.cluster.items():
            members[root].append(gid)
        self.pairs: set[Pair] = set()
        for group in members.values():
            group.sort()
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    if self.source[a] != self.source[b]:
                        self.pairs.add((a, b))

    def label(self, a: str, b: str) -> bool | None:
        """True/False when both records carry an identifier of a common kind, else None."""
        ka, kb = self.keys.get(a, set()), self.keys.get(b, set())
        if not (kinds(ka) & kinds(kb)):
            return None if self.cluster.get(a) is None or (
                self.cluster.get(a) != self.cluster.get(b)) else True
        return self.cluster.get(a) == self.cluster.get(b)


def measure(predicted: Iterable[Pair], truth: Truth) -> dict[str, Any]:
    tp = fp = unlabelled = 0
    wrong: list[Pair] = []
    hits: set[Pair] = set()
    for a, b in predicted:
        if truth.source[a] == truth.source[b]:
            continue
        label = truth.label(a, b)
        if label is None:
            unlabelled += 1
        elif label:
            tp += 1
            hits.add((a, b))
        else:
            fp += 1
            wrong.append((a, b))
    found = len(hits & truth.pairs)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = found / len(truth.pairs) if truth.pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    missed = sorted(truth.pairs - hits)
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp,
            "unlabelled": unlabelled, "wrong": wrong, "missed": missed}


def cluster_pairs(canonical: dict[str, str]) -> set[Pair]:
    members: dict[str, list[str]] = defaultdict(list)
    for gid, cid in canonical.items():
        members[cid].append(gid)
    out: set[Pair] = set()
    for group in members.values():
        group.sort()
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                out.add((a, b))
    return out


def run_ours(store: Store, hide: frozenset[str]) -> dict[str, Any]:
    started = time.perf_counter()
    records = load_records(store.conn, hide=hide)
    by_gid = {r.gid: r for r in records}
    pairs, stats = candidate_pairs(records)
    names = NameStats(records)
    scores = {p: score_pair(by_gid[p[0]], by_gid[p[1]], names) for p in sorted(pairs)}
    # As `resolve` does: a record that fits two different candidates equally merges with neither.
    scores = apply_close_calls(scores, records)
    merges = [(a, b, s.score) for (a, b), s in scores.items() if s.score >= MERGE_THRESHOLD]
    keys = {r.gid: tuple(sorted({f"imo-ship:{v}" for v in r.imo_ship}
                                | {f"imo-company:{v}" for v in r.imo_company})) for r in records}
    inputs = [ClusterInput(r.gid, r.schema, keys[r.gid], None) for r in records]
    canonical = build_clusters(inputs, merges,
                               exclusive={r.gid: r.exclusive_keys() for r in records})
    seconds = time.perf_counter() - started
    return {"records": records, "pairs": pairs, "scores": scores, "merges": merges,
            "canonical": canonical, "seconds": seconds, "blocking": stats}


def ftm_proxies(store: Store, hide: bool) -> dict[str, Any]:
    from followthemoney import model

    proxies: dict[str, Any] = {}
    schemata: dict[str, str] = {}
    locals_: dict[tuple[int, str], str] = {}
    for source, load_id, entity_id, schema in store.conn.execute(
        "SELECT c.source, e.load_id, e.id, e.schema FROM entities e"
        " JOIN current c ON c.load_id = e.load_id"
    ):
        gid = f"{source}:{entity_id}"
        schemata[gid] = schema
        locals_[(load_id, entity_id)] = gid
    for gid, schema in schemata.items():
        proxy = model.make_entity(schema)
        proxy.id = gid
        proxies[gid] = proxy
    for load_id, entity_id, prop, value in store.conn.execute(
        "SELECT p.load_id, p.entity_id, p.prop, p.value FROM props p"
        " JOIN current c ON c.load_id = p.load_id"
    ):
        gid = locals_.get((load_id, entity_id))
        if gid is None or (hide and prop in HIDDEN_PROPS):
            continue
        proxy = proxies[gid]
        if prop in proxy.schema.properties:
            proxy.add(prop, value, cleaned=False, quiet=True)
    return proxies


def run_logic_v2(store: Store, pairs: set[Pair], hide: bool) -> dict[str, Any]:
    from nomenklatura.matching import get_algorithm
    from nomenklatura.matching.types import ScoringConfig

    algorithm = get_algorithm("logic-v2")
    if algorithm is None:
        raise SystemExit("nomenklatura has no logic-v2 matcher")
    global _PROXIES, _ALGORITHM, _CONFIG
    _CONFIG = ScoringConfig.defaults()
    _ALGORITHM = algorithm
    _PROXIES = ftm_proxies(store, hide)
    ordered = sorted(pairs)
    chunks = [ordered[i:i + 2000] for i in range(0, len(ordered), 2000)]
    started = time.perf_counter()
    accepted: set[Pair] = set()
    # logic-v2 is pure Python and slow: share the proxies with forked workers, one per CPU.
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        for chunk in pool.imap_unordered(_logic_v2_chunk, chunks):
            accepted.update(chunk)
    return {"accepted": accepted, "seconds": time.perf_counter() - started}


_PROXIES: dict[str, Any] = {}
_ALGORITHM: Any = None
_CONFIG: Any = None


def _logic_v2_chunk(chunk: list[Pair]) -> list[Pair]:
    return [(a, b) for a, b in chunk
            if _ALGORITHM.compare(_PROXIES[a], _PROXIES[b], _CONFIG).score
            >= LOGIC_V2_THRESHOLD]


def describe(store: Store, gid: str, records: dict[str, MatchRecord]) -> str:
    r = records.get(gid)
    name = r.labels[0] if r and r.labels else (r.names[0] if r and r.names else "?")
    ids = ",".join(sorted(truth_keys(r)))[:60] if r else ""
    return f"{gid} {name!r} [{ids}]"


def row(label: str, m: dict[str, Any], seconds: float) -> str:
    return (f"{label:<34} {m['precision']:>9.4f} {m['recall']:>7.4f} {m['f1']:>7.4f} "
            f"{m['tp']:>7,} {m['fp']:>5,} {seconds:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="a store with every shared list loaded")
    parser.add_argument("--no-logic-v2", action="store_true", help="skip the anchor matcher")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = tempfile.TemporaryDirectory()
    db = args.db or Path(tmp.name) / "bench.db"
    store = Store(db)
    if not store.loads():
        started = time.perf_counter()
        load_everything(store)
        print(f"loaded every shared list in {time.perf_counter() - started:.1f} s")
    for info in store.loads(current_only=True):
        print(f"  {info.source:<22} {info.list_date or '?':<11} {info.entities:>7,} entities")

    visible_records = load_records(store.conn)
    truth = Truth(visible_records)
    by_gid = {r.gid: r for r in visible_records}
    print(f"\nground truth: {len(truth.pairs):,} true cross-source pairs among "
          f"{len(truth.cluster):,} records carrying an identifier")

    lines = []
    header = (f"{'matcher':<34} {'precision':>9} {'recall':>7} {'F1':>7} {'TP':>7} {'FP':>5}"
              f" {'seconds':>8}")
    samples: dict[str, list[str]] = {}
    for mode, hide in (("ids visible", frozenset()), ("ids hidden", IDENTIFIER_KINDS)):
        ours = run_ours(store, hide)
        pairs: set[Pair] = ours["pairs"]
        kept = len(truth.pairs & pairs)
        print(f"\n[{mode}] blocking: {len(pairs):,} candidate pairs from "
              f"{ours['blocking'].keys:,} keys; kept {kept:,} of {len(truth.pairs):,} true pairs "
              f"(blocking recall {kept / max(1, len(truth.pairs)):.4f})")
        pairwise = measure([(a, b) for a, b, _ in ours["merges"]], truth)
        clustered = measure(cluster_pairs(ours["canonical"]), truth)
        lines.append(row(f"ours, pairs ({mode})", pairwise, ours["seconds"]))
        lines.append(row(f"ours, clusters ({mode})", clustered, ours["seconds"]))
        if not args.no_logic_v2:
            anchor = run_logic_v2(store, pairs, hide=bool(hide))
            lines.append(row(f"logic-v2, pairs ({mode})", measure(anchor["accepted"], truth),
                             anchor["seconds"]))
        wrong = clustered["wrong"]
        picked = rng.sample(wrong, min(SAMPLE, len(wrong)))
        missed = rng.sample(clustered["missed"], min(SAMPLE, len(clustered["missed"])))
        samples[mode] = (
            [f"  wrong  {describe(store, a, by_gid)}  ==  {describe(store, b, by_gid)}"
             for a, b in picked]
            + [f"  missed {describe(store, a, by_gid)}  !=  {describe(store, b, by_gid)}"
               for a, b in missed]
        )
    print("\n" + header)
    print("-" * len(header))
    for line in lines:
        print(line)
    for mode, sample in samples.items():
        print(f"\nsample of wrong and missed pairs ({mode}, clusters):")
        print("\n".join(sample) or "  none")

    started = time.perf_counter()
    report = resolve(store, full=True)
    print(f"\nsanctions-graph resolve (full, on the store): {report.records:,} records, "
          f"{report.candidates:,} candidate pairs, {report.merges:,} merges, {report.review:,} "
          f"in review, {report.clusters:,} clusters in {time.perf_counter() - started:.1f} s")
    store.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()

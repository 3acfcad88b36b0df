"""Resolution over a store: `resolve` (incremental), `explain`, `judge` and the review queue.

`resolve` reads every current record, blocks, and scores only the candidate pairs that touch a
record whose fingerprint changed since the last run (a new list version re-scores its changed
records, nothing else). Scored pairs worth keeping are stored in `match_pairs` with their
decision and explanation; the merged view is then rebuilt from them in the same transaction.
Because the store re-applies stored merges and judgements on every load, a later load keeps the
fuzzy merges without scoring anything.

Judgements are stored per pair of stable record gids (`source:record id`), which survive
reloads of any source, with who made them and when; the latest judgement on a pair wins.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graph.derive import latest_judgements
from graph.errors import NotFoundError, QueryError
from graph.model import Schema
from graph.resolution.blocking import BlockingStats, candidate_pairs
from graph.resolution.clusters import Refusal
from graph.resolution.decisions import KEEP_THRESHOLD, Decision, Verdict, decide
from graph.resolution.records import MatchRecord, load_records, schema_group
from graph.resolution.scoring import MATCHER_VERSION, NameStats, Score, score_pair
from graph.store import Store


@dataclass(slots=True)
class ResolveReport:
    records: int
    changed: int
    removed: int
    candidates: int
    scored: int
    kept: int
    merges: int
    review: int
    clusters: int
    merged_records: int
    seconds: float
    blocking: BlockingStats | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "records", "changed", "removed", "candidates", "scored", "kept", "merges", "review",
            "clusters", "merged_records", "seconds")}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def record_prints(records: list[MatchRecord], stats: NameStats) -> dict[str, str]:
    """Each record's fingerprint, with whether its names are ambiguous in their lists (that
    changes its scores too)."""
    out: dict[str, str] = {}
    for r in records:
        ambiguous = sorted(n for n in r.names if stats.is_ambiguous(r.source, r.group, n))
        tail = hashlib.sha1("\x1f".join(ambiguous).encode()).hexdigest()[:8] if ambiguous else ""
        out[r.gid] = f"{MATCHER_VERSION}:{r.fingerprint}:{tail}"
    return out


def resolve(
    store: Store,
    *,
    full: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ResolveReport:
    """Score what changed since the last run, store the pairs, rebuild the merged view."""
    started = time.perf_counter()
    conn = store.conn
    records = load_records(conn)
    by_gid = {r.gid: r for r in records}
    stats = NameStats(records)
    prints = record_prints(records, stats)
    old = dict(conn.execute("SELECT gid, print FROM match_prints").fetchall())
    changed = set(prints) if full else {g for g, p in prints.items() if old.get(g) != p}
    removed = set(old) - set(prints)
    pairs, blocking = candidate_pairs(records)
    todo = sorted(p for p in pairs if p[0] in changed or p[1] in changed)
    rows: list[tuple[str, str, float, str, str, str, str]] = []
    now = _now()
    for n, (a, b) in enumerate(todo):
        result = score_pair(by_gid[a], by_gid[b], stats)
        if result.score >= KEEP_THRESHOLD:
            features = json.dumps([[f.name, f.weight, f.detail] for f in result.features],
                                  ensure_ascii=False)
            rows.append((a, b, result.score, decide(result.score).value, features,
                         MATCHER_VERSION, now))
        if progress is not None and n % 5000 == 0:
            progress(n, len(todo))
    if progress is not None:
        progress(len(todo), len(todo))
    stale = changed | removed
    with store.transaction():
        if full:
            conn.execute("DELETE FROM match_pairs")
            conn.execute("DELETE FROM match_prints")
        else:
            conn.executemany("DELETE FROM match_pairs WHERE a = ?", [(g,) for g in stale])
            conn.executemany("DELETE FROM match_pairs WHERE b = ?", [(g,) for g in stale])
            conn.executemany("DELETE FROM match_prints WHERE gid = ?", [(g,) for g in stale])
        conn.executemany("INSERT OR REPLACE INTO match_pairs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT OR REPLACE INTO match_prints (gid, print, exclusive) VALUES (?, ?, ?)",
            [(g, prints[g], " ".join(by_gid[g].exclusive_keys())) for g in sorted(changed)],
        )
        store.rebuild_view(conn, seeds=None if full else stale)
    decisions = dict(conn.execute(
        "SELECT decision, COUNT(*) FROM match_pairs GROUP BY decision").fetchall())
    clusters, merged = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n FROM nodes"
        " GROUP BY canonical HAVING COUNT(*) > 1)").fetchone()
    return ResolveReport(
        records=len(records), changed=len(changed), removed=len(removed),
        candidates=len(pairs), scored=len(todo), kept=len(rows),
        merges=int(decisions.get(Decision.MERGE.value, 0)),
        review=int(decisions.get(Decision.REVIEW.value, 0)),
        clusters=int(clusters), merged_records=int(merged),
        seconds=round(time.perf_counter() - started, 2), blocking=blocking,
    )


# -- references --------------------------------------------------------------------------------

def record_gids(store: Store, ref: str) -> list[str]:
    """The record gids a reference names: a record gid (`source:id`) or a canonical id."""
    row = store.conn.execute("SELECT gid FROM nodes WHERE gid = ?", (ref,)).fetchone()
    if row is not None:
        return [str(row[0])]
    node = store.node(ref)
    if node is not None:
        return list(node.members)
    raise NotFoundError(f"no record or canonical entity {ref!r} (use source:id, e.g. "
                        "us_ofac_sdn:37065, or a canonical id from `owner --json`)")


# -- explain -----------------------------------------------------------------------------------

@dataclass(slots=True)
class Explanation:
    score: Score
    decision: str
    judgement: Judgement | None
    same_cluster: bool

    def to_dict(self) -> dict[str, Any]:
        out = self.score.to_dict()
        out["decision"] = self.decision
        out["judgement"] = self.judgement.to_dict() if self.judgement else None
        out["same_cluster"] = self.same_cluster
        return out


def explain(store: Store, ref_a: str, ref_b: str) -> Explanation:
    """Score two records (or the best pair of members of two canonical entities) and say why."""
    gids_a, gids_b = record_gids(store, ref_a), record_gids(store, ref_b)
    # Name ambiguity is counted within a list: the two records' lists are all it needs.
    sources = {g.split(":", 1)[0] for g in (*gids_a, *gids_b)}
    records = load_records(store.conn, sources=sources)
    by_gid = {r.gid: r for r in records}
    stats = NameStats(records)
    best: Score | None = None
    for a in gids_a:
        for b in gids_b:
            if a == b or a not in by_gid or b not in by_gid:
                continue
            x, y = (a, b) if a < b else (b, a)
            result = score_pair(by_gid[x], by_gid[y], stats)
            if best is None or result.score > best.score:
                best = result
    if best is None:
        raise QueryError(f"{ref_a} and {ref_b} are the same record")
    judgement = latest_judgement(store, best.a, best.b)
    same = store.canonical_of(best.a) == store.canonical_of(best.b)
    return Explanation(best, decide(best.score).value, judgement, same)


# -- judgements --------------------------------------------------------------------------------

@dataclass(slots=True)
class Judgement:
    a: str
    b: str
    verdict: str
    who: str
    at: str
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "verdict": self.verdict, "who": self.who,
                "at": self.at, "note": self.note}


@dataclass(slots=True)
class JudgeResult:
    judgement: Judgement
    canonical_a: str | None
    canonical_b: str | None
    refused: list[Refusal] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"judgement": self.judgement.to_dict(), "canonical_a": self.canonical_a,
                "canonical_b": self.canonical_b,
                "refused": [{"a": r.a, "b": r.b, "reason": r.reason} for r in self.refused]}


def default_judge() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def judge(store: Store, ref_a: str, ref_b: str, verdict: Verdict | str, *,
          who: str | None = None, note: str | None = None) -> JudgeResult:
    """Record a person's verdict on two records (or two canonical entities) and rebuild the
    merged view so it takes effect at once."""
    verdict = Verdict(verdict)
    gids_a, gids_b = record_gids(store, ref_a), record_gids(store, ref_b)
    a, b = gids_a[0], gids_b[0]
    if a == b:
        raise QueryError(f"{ref_a} and {ref_b} name the same record")
    x, y = (a, b) if a < b else (b, a)
    judgement = Judgement(x, y, verdict.value, who or default_judge(), _now(), note)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO judgements (a, b, verdict, who, at, note) VALUES (?, ?, ?, ?, ?, ?)",
            (judgement.a, judgement.b, judgement.verdict, judgement.who, judgement.at, note),
        )
        store.rebuild_view(conn, seeds={x, y})
    result = JudgeResult(judgement, store.canonical_of(x), store.canonical_of(y))
    if verdict is Verdict.SAME and result.canonical_a != result.canonical_b:
        result.refused = _refusals(store, x, y)
    return result


def _refusals(store: Store, a: str, b: str) -> list[Refusal]:
    """Why a `same` judgement could not join the clusters of two records."""
    ca, cb = store.canonical_of(a), store.canonical_of(b)
    members: dict[str | None, set[str]] = {}
    for c in (ca, cb):
        node = store.node(c) if c else None
        members[c] = set(node.members) if node else set()
    ships: dict[str | None, set[str]] = {}
    kinds: dict[str | None, set[str]] = {}
    for c in (ca, cb):
        ships[c] = {k.split(":", 1)[1] for (k,) in store.conn.execute(
            "SELECT k.key FROM keys k JOIN nodes n ON n.load_id = k.load_id"
            " AND n.local_id = k.entity_id WHERE n.canonical = ? AND k.key LIKE 'imo-ship:%'",
            (c,))}
        kinds[c] = {schema_group(Schema(s)) for (s,) in store.conn.execute(
            "SELECT e.schema FROM nodes n JOIN entities e ON e.load_id = n.load_id"
            " AND e.id = n.local_id WHERE n.canonical = ?", (c,))}
    out: list[Refusal] = []
    for x, y, verdict in latest_judgements(store.conn):
        if verdict == Verdict.DIFFERENT.value and (
                (x in members[ca] and y in members[cb]) or (y in members[ca] and x in members[cb])):
            out.append(Refusal(a, b, f"judged different: {x} / {y}"))
    if ships[ca] and ships[cb] and not ships[ca] & ships[cb]:
        out.append(Refusal(a, b, f"different IMO ship numbers: {'/'.join(sorted(ships[ca]))} vs "
                                 f"{'/'.join(sorted(ships[cb]))}"))
    if kinds[ca] != kinds[cb]:
        out.append(Refusal(a, b, f"different kinds: {'/'.join(sorted(kinds[ca]))} vs "
                                 f"{'/'.join(sorted(kinds[cb]))}"))
    return out


def latest_judgement(store: Store, a: str, b: str) -> Judgement | None:
    x, y = (a, b) if a < b else (b, a)
    row = store.conn.execute(
        "SELECT a, b, verdict, who, at, note FROM judgements WHERE a = ? AND b = ?"
        " ORDER BY id DESC LIMIT 1", (x, y)).fetchone()
    return Judgement(*row) if row else None


def judgements(store: Store) -> list[Judgement]:
    """Every judgement ever made, oldest first (the audit trail)."""
    return [Judgement(*r) for r in store.conn.execute(
        "SELECT a, b, verdict, who, at, note FROM judgements ORDER BY id")]


# -- the review band ---------------------------------------------------------------------------

@dataclass(slots=True)
class RecordView:
    """One record as the review screen shows it: its source, record id and every property."""

    gid: str
    schema: str
    canonical: str | None
    properties: dict[str, list[str]]

    def to_dict(self) -> dict[str, Any]:
        return {"gid": self.gid, "schema": self.schema, "canonical": self.canonical,
                "properties": self.properties}


@dataclass(slots=True)
class ReviewItem:
    a: RecordView
    b: RecordView
    score: float
    features: list[tuple[str, float, str]]

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a.to_dict(), "b": self.b.to_dict(), "score": self.score,
                "features": [{"name": n, "weight": w, "detail": d}
                             for n, w, d in self.features]}


def record_view(store: Store, gid: str) -> RecordView:
    row = store.conn.execute(
        "SELECT n.load_id, n.local_id, e.schema, n.canonical FROM nodes n JOIN entities e"
        " ON e.load_id = n.load_id AND e.id = n.local_id WHERE n.gid = ?", (gid,)).fetchone()
    if row is None:
        raise NotFoundError(f"no current record {gid!r}")
    props: dict[str, list[str]] = {}
    for prop, value in store.conn.execute(
        "SELECT prop, value FROM props WHERE load_id = ? AND entity_id = ? ORDER BY rowid",
        (row[0], row[1]),
    ):
        props.setdefault(prop, []).append(value)
    return RecordView(gid, row[2], row[3], props)


def review_queue(store: Store, *, limit: int | None = None) -> list[ReviewItem]:
    """Pairs in the review band that nobody has judged, highest score first."""
    judged = {(a, b) for a, b, _ in latest_judgements(store.conn)}
    current = {r[0] for r in store.conn.execute("SELECT gid FROM nodes")}
    items: list[ReviewItem] = []
    for a, b, score, features in store.conn.execute(
        "SELECT a, b, score, features FROM match_pairs WHERE decision = ?"
        " ORDER BY score DESC, a, b", (Decision.REVIEW.value,)
    ):
        if (a, b) in judged or a not in current or b not in current:
            continue
        items.append(ReviewItem(record_view(store, a), record_view(store, b), float(score),
                                [tuple(f) for f in json.loads(features)]))
        if limit is not None and len(items) >= limit:
            break
    return items

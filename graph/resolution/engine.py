"""Resolution over a store: `resolve` (incremental), `explain`, `judge` and the review queue.

`resolve` reads the records of the lists loaded since its last run (every list the first time),
and scores only the candidate pairs that touch a record whose fingerprint changed (a new list
version re-scores its changed records, nothing else). Each record's block keys are kept in the
store (`match_keys`), so the candidates of a changed record are found by index, and only the
records of those pairs are read to score them. Scored pairs worth keeping are stored in
`match_pairs` with their decision and explanation; the merged view is then rebuilt from them in
the same transaction. Because the store re-applies stored merges and judgements on every load, a
later load keeps the fuzzy merges without scoring anything.

Judgements are stored per pair of stable record gids (`source:record id`), which survive
reloads of any source, with who made them and when; the latest judgement on a pair wins.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, Final

from graph.derive import latest_judgements
from graph.errors import NotFoundError, QueryError
from graph.model import Schema
from graph.resolution.blocking import KEYS_VERSION, BlockingStats, key_limit, stored_keys
from graph.resolution.clusters import Refusal
from graph.resolution.decisions import KEEP_THRESHOLD, Decision, Verdict, decide
from graph.resolution.records import MatchRecord, iter_records, load_records, schema_group
from graph.resolution.rivals import held_scores, plain_features, raw_score
from graph.resolution.scoring import MATCHER_VERSION, Feature, NameStats, Score, score_pair
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
    #: Records read this run: those of the lists loaded since the last one (all, the first time).
    read: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "records", "read", "changed", "removed", "candidates", "scored", "kept", "merges",
            "review", "clusters", "merged_records", "seconds")}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def record_prints(records: list[MatchRecord], stats: NameStats) -> dict[str, str]:
    """Each record's fingerprint, with whether its names are ambiguous in their lists (that
    changes its scores too)."""
    return {r.gid: _print(r.fingerprint, sorted(
        n for n in r.names if stats.is_ambiguous(r.source, r.group, n))) for r in records}


def _print(fingerprint: str, ambiguous: list[str]) -> str:
    tail = hashlib.sha1("\x1f".join(ambiguous).encode()).hexdigest()[:8] if ambiguous else ""
    return f"{MATCHER_VERSION}:{fingerprint}:{tail}"


#: What a list's stored prints and keys were computed with (`match_loads.tag`).
_TAG: Final = f"{MATCHER_VERSION}/{KEYS_VERSION}"
#: Above this share of the records changed, candidate pairs are found by one pass over every
#: stored key instead of looking up the changed records' keys one by one.
_SCAN_SHARE: Final = 0.05
_SEP: Final = "\x1f"


class _Changed(Exception):
    """A load committed while the lists were read: read them again."""


def _range(source: str) -> tuple[str, str]:
    """Bounds of the gids of one source (`source:...`): ';' follows ':'."""
    return f"{source}:", f"{source};"


def _read_lists(conn: sqlite3.Connection, sources: dict[str, int], *, bulk: bool) -> int:
    """The records of these lists (source: load id) into temporary tables: the print,
    exclusive identifiers, block keys and ambiguous names of each (`fresh`; with `bulk`, the
    keys one per row too, `fresh_keys`). One batch of records is in memory at a time."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS fresh (gid TEXT PRIMARY KEY,"
                 " print TEXT NOT NULL, exclusive TEXT NOT NULL, keys TEXT NOT NULL,"
                 " ambiguous TEXT NOT NULL DEFAULT '') WITHOUT ROWID")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS fresh_names (source TEXT NOT NULL,"
                 " name TEXT NOT NULL, gid TEXT NOT NULL)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS fresh_keys (key TEXT NOT NULL,"
                 " gid TEXT NOT NULL)")
    for table in ("fresh", "fresh_names", "fresh_keys"):
        conn.execute(f"DELETE FROM {table}")
    count = 0
    for source, load_id in sorted(sources.items()):
        for batch in iter_records(conn, source, load_id):
            count += len(batch)
            keys = [(r, stored_keys(r)) for r in batch]
            conn.executemany("INSERT INTO fresh (gid, print, exclusive, keys) VALUES (?, ?, ?, ?)",
                             [(r.gid, r.fingerprint, " ".join(r.exclusive_keys()), _SEP.join(k))
                              for r, k in keys])
            # A name is ambiguous when two records of one list and group wear it.
            conn.executemany("INSERT INTO fresh_names VALUES (?, ?, ?)",
                             [(r.source, f"{r.group}/{n}", r.gid) for r in batch
                              for n in r.names])
            if bulk:
                conn.executemany("INSERT INTO fresh_keys VALUES (?, ?)",
                                 [(key, r.gid) for r, k in keys for key in k])
    ambiguous: dict[str, list[str]] = defaultdict(list)
    for gid, name in conn.execute(
        "SELECT f.gid, f.name FROM fresh_names f JOIN (SELECT source, name FROM fresh_names"
        " GROUP BY source, name HAVING COUNT(*) > 1) a ON a.source = f.source"
        " AND a.name = f.name"
    ):
        ambiguous[gid].append(name.split("/", 1)[1])
    conn.execute("DELETE FROM fresh_names")
    with_tail = [(gid, sorted(names)) for gid, names in ambiguous.items()]
    conn.executemany("UPDATE fresh SET ambiguous = ? WHERE gid = ?",
                     [(_SEP.join(names), gid) for gid, names in with_tail])
    conn.executemany("UPDATE fresh SET print = ? WHERE gid = ?", [
        (_print(str(conn.execute("SELECT print FROM fresh WHERE gid = ?", (gid,)).fetchone()[0]),
                names), gid) for gid, names in with_tail])
    conn.execute("UPDATE fresh SET print = ? || ':' || print || ':' WHERE ambiguous = ''",
                 (MATCHER_VERSION,))
    return count


def _key_pairs(conn: sqlite3.Connection, changed: set[str], total: int
               ) -> tuple[set[tuple[str, str]], int]:
    """Candidate pairs (a < b, different lists) that touch a changed record, from the stored
    block keys (already updated), with how many keys were looked at."""
    pairs: set[tuple[str, str]] = set()
    if not changed:
        return pairs, 0
    if len(changed) > _SCAN_SHARE * max(total, 1):
        # One pass over the keys two lists share.
        rows = conn.execute(
            "SELECT key, gid FROM match_keys WHERE key IN (SELECT key FROM match_keys GROUP BY"
            " key HAVING COUNT(*) > 1 AND MIN(substr(gid, 1, instr(gid, ':')))"
            " != MAX(substr(gid, 1, instr(gid, ':')))) ORDER BY key")
    else:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched (key TEXT PRIMARY KEY)"
                     " WITHOUT ROWID")
        conn.execute("DELETE FROM touched")
        for packed in _packed_keys(conn, changed):
            conn.executemany("INSERT OR IGNORE INTO touched VALUES (?)",
                             [(k,) for k in packed.split(_SEP) if k])
        rows = conn.execute("SELECT k.key, k.gid FROM touched t JOIN match_keys k"
                            " ON k.key = t.key ORDER BY k.key")
    keys = 0
    for key, members in groupby(rows, key=itemgetter(0)):
        keys += 1
        gids = [gid for _, gid in members]
        limit = key_limit(key)
        if len(gids) < 2 or (limit and len(gids) > limit):
            continue
        for i, a in enumerate(gids):
            source_a = a.partition(":")[0]
            for b in gids[i + 1:]:
                if (a in changed or b in changed) and b.partition(":")[0] != source_a:
                    pairs.add((a, b) if a < b else (b, a))
    return pairs, keys


def _packed_keys(conn: sqlite3.Connection, gids: set[str]) -> Iterator[str]:
    """The stored keys of these records, one packed string each."""
    ordered = sorted(gids)
    for start in range(0, len(ordered), 500):
        part = ordered[start:start + 500]
        for (packed,) in conn.execute("SELECT keys FROM match_prints WHERE gid IN ("
                                      + ", ".join("?" for _ in part) + ")", part):
            yield str(packed)


def resolve(
    store: Store,
    *,
    full: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ResolveReport:
    """Score what changed since the last run, store the pairs, rebuild the merged view.

    Only the lists loaded since the last run (or all, with `full`) are read, a batch of
    records at a time; their block keys are kept in the store (`match_keys`), so the candidate
    pairs of the changed records are found by index and only their records are read again to
    be scored. Memory follows the change, not the store."""
    for _ in range(3):
        try:
            return _resolve(store, full=full, progress=progress)
        except _Changed:
            continue
    raise QueryError("lists kept changing while resolve read them; run it again")


def _resolve(store: Store, *, full: bool,
             progress: Callable[[int, int], None] | None) -> ResolveReport:
    started = time.perf_counter()
    conn = store.conn
    current = dict(conn.execute("SELECT source, load_id FROM current").fetchall())
    keyed = {source: (load_id, tag) for source, load_id, tag in conn.execute(
        "SELECT source, load_id, tag FROM match_loads")}
    # A store whose keys were never written (or were written by other code) is read whole.
    bulk = full or not keyed or any(tag != _TAG for _, tag in keyed.values())
    stale = {s: load_id for s, load_id in current.items()
             if bulk or keyed.get(s) != (load_id, _TAG)}
    read = _read_lists(conn, stale, bulk=bulk)
    now = _now()
    with store.transaction():
        if dict(conn.execute("SELECT source, load_id FROM current").fetchall()) != current:
            raise _Changed
        fresh_prints = dict(conn.execute("SELECT gid, print FROM fresh").fetchall())
        if bulk:
            old_prints = dict(conn.execute("SELECT gid, print FROM match_prints").fetchall())
        else:
            old_prints = {}
            for source in [*stale, *(s for s in keyed if s not in current)]:
                low, high = _range(source)
                old_prints.update(conn.execute(
                    "SELECT gid, print FROM match_prints WHERE gid >= ? AND gid < ?",
                    (low, high)).fetchall())
        changed = set(fresh_prints) if full else {
            g for g, p in fresh_prints.items() if old_prints.get(g) != p}
        removed = set(old_prints) - set(fresh_prints)
        # The pairs of what changed or went are scored again (or dropped); the records they
        # paired with have their close calls decided again.
        partners: set[str] = set()
        if full:
            conn.execute("DELETE FROM match_pairs")
        else:
            partners = {g for pair in _pairs_of(conn, changed | removed) for g in pair}
            _delete_in(conn, "DELETE FROM match_pairs WHERE a IN ({})", changed | removed)
            _delete_in(conn, "DELETE FROM match_pairs WHERE b IN ({})", changed | removed)
        if bulk:
            # Every list was read: its prints and keys are written whole, keys in key order.
            conn.execute("DELETE FROM match_keys")
            conn.execute("DELETE FROM match_prints")
            conn.execute("INSERT INTO match_prints (gid, print, exclusive, keys, ambiguous)"
                         " SELECT gid, print, exclusive, keys, ambiguous FROM fresh")
            conn.execute("INSERT INTO match_keys (key, gid) SELECT DISTINCT key, gid"
                         " FROM fresh_keys ORDER BY key, gid")
            conn.execute("DELETE FROM match_loads")
        else:
            # Only the keys and prints of the records that changed or went are replaced.
            drop = sorted((changed | removed) & set(old_prints))
            for start in range(0, len(drop), 500):
                part = drop[start:start + 500]
                marks = ", ".join("?" for _ in part)
                conn.executemany("DELETE FROM match_keys WHERE key = ? AND gid = ?", [
                    (key, gid) for gid, packed in conn.execute(
                        f"SELECT gid, keys FROM match_prints WHERE gid IN ({marks})", part
                    ).fetchall() for key in (packed.split(_SEP) if packed else ())])
                conn.execute(f"DELETE FROM match_prints WHERE gid IN ({marks})", part)
            write = sorted(changed)
            for start in range(0, len(write), 500):
                part = write[start:start + 500]
                rows = conn.execute(
                    "SELECT gid, print, exclusive, keys, ambiguous FROM fresh WHERE gid IN ("
                    + ", ".join("?" for _ in part) + ")", part).fetchall()
                conn.executemany("INSERT INTO match_prints (gid, print, exclusive, keys,"
                                 " ambiguous) VALUES (?, ?, ?, ?, ?)", rows)
                conn.executemany("INSERT OR IGNORE INTO match_keys (key, gid) VALUES (?, ?)",
                                 sorted((key, gid) for gid, _, _, packed, _ in rows
                                        for key in (packed.split(_SEP) if packed else ())))
            for source in keyed:
                if source not in current:
                    conn.execute("DELETE FROM match_loads WHERE source = ?", (source,))
        conn.executemany("INSERT OR REPLACE INTO match_loads (source, load_id, tag)"
                         " VALUES (?, ?, ?)", [(s, load_id, _TAG) for s, load_id in stale.items()])
        for table in ("fresh", "fresh_keys"):
            conn.execute(f"DELETE FROM {table}")
        total = int(conn.execute("SELECT COUNT(*) FROM match_prints").fetchone()[0])
        pairs, keys = _key_pairs(conn, changed, total)
        todo = sorted(pairs)
        records = {r.gid: r for r in load_records(conn, gids={g for p in todo for g in p})}
        stats = _stats(conn, records)
        rows_out: list[tuple[str, str, float, str, str, str, str]] = []
        for n, (a, b) in enumerate(todo):
            result = score_pair(records[a], records[b], stats)
            if result.score >= KEEP_THRESHOLD:
                features = json.dumps([[f.name, f.weight, f.detail] for f in result.features],
                                      ensure_ascii=False)
                rows_out.append((a, b, result.score, decide(result.score).value, features,
                                 MATCHER_VERSION, now))
            if progress is not None and n % 5000 == 0:
                progress(n, len(todo))
        if progress is not None:
            progress(len(todo), len(todo))
        conn.executemany("INSERT OR REPLACE INTO match_pairs VALUES (?, ?, ?, ?, ?, ?, ?)",
                         rows_out)
        # Close calls: the pairs of every record whose pairs changed are decided again
        # together (`rivals`), which may move pairs that were not scored this run.
        touched = changed | removed | {g for p in todo for g in p}
        moved = _decide_close_calls(conn, touched | partners, records)
        store.rebuild_view(conn, seeds=None if full else changed | removed | moved)
    decisions = dict(conn.execute(
        "SELECT decision, COUNT(*) FROM match_pairs GROUP BY decision").fetchall())
    clusters, merged = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n FROM nodes"
        " GROUP BY canonical HAVING COUNT(*) > 1)").fetchone()
    return ResolveReport(
        records=total, changed=len(changed), removed=len(removed),
        candidates=len(pairs), scored=len(todo), kept=len(rows_out),
        merges=int(decisions.get(Decision.MERGE.value, 0)),
        review=int(decisions.get(Decision.REVIEW.value, 0)),
        clusters=int(clusters), merged_records=int(merged),
        seconds=round(time.perf_counter() - started, 2),
        blocking=BlockingStats(read, keys, len(pairs)), read=read,
    )


def _pairs_of(conn: sqlite3.Connection, gids: set[str]
              ) -> dict[tuple[str, str], tuple[float, str, str]]:
    """The stored pairs touching these records: (a, b) -> (score, decision, features)."""
    out: dict[tuple[str, str], tuple[float, str, str]] = {}
    ordered = sorted(gids)
    for start in range(0, len(ordered), 500):
        part = ordered[start:start + 500]
        marks = ", ".join("?" for _ in part)
        for column in ("a", "b"):
            for a, b, score, decision, features in conn.execute(
                    f"SELECT a, b, score, decision, features FROM match_pairs WHERE {column}"
                    f" IN ({marks})", part):
                out[(a, b)] = (float(score), str(decision), str(features))
    return out


def _decide_close_calls(conn: sqlite3.Connection, touched: set[str],
                        records: dict[str, MatchRecord]) -> set[str]:
    """Decide again the stored pairs of the `touched` records with the close-call rule, from
    the pairs of every record they pair with; the records of pairs whose decision moved."""
    if not touched:
        return set()
    mine = _pairs_of(conn, touched)
    ends = {g for pair in mine for g in pair}
    known = _pairs_of(conn, ends - touched)
    known.update(mine)
    missing = {g for pair in known for g in pair} - set(records)
    if missing:
        records = {**records, **{r.gid: r for r in load_records(conn, gids=missing)}}
    raws: dict[tuple[str, str], Score] = {}
    for pair, (score, _, packed) in known.items():
        stored = [(str(n), float(w), str(d)) for n, w, d in json.loads(packed)]
        raws[pair] = Score(pair[0], pair[1], raw_score(score, stored),
                           tuple(Feature(*f) for f in plain_features(stored)))
    present = {p: s for p, s in raws.items() if p[0] in records and p[1] in records}
    holds = held_scores(present, records, only=touched)
    updates: list[tuple[float, str, str, str, str]] = []
    moved: set[str] = set()
    for pair, (score, decision, packed) in mine.items():
        result = holds.get(pair, raws[pair])
        features = json.dumps([[f.name, f.weight, f.detail] for f in result.features],
                              ensure_ascii=False)
        new_decision = decide(result.score).value
        if (result.score, new_decision, features) != (score, decision, packed):
            updates.append((result.score, new_decision, features, pair[0], pair[1]))
            if new_decision != decision:
                moved.update(pair)
    conn.executemany("UPDATE match_pairs SET score = ?, decision = ?, features = ?"
                     " WHERE a = ? AND b = ?", updates)
    return moved


def _delete_in(conn: sqlite3.Connection, sql: str, gids: set[str]) -> None:
    ordered = sorted(gids)
    for start in range(0, len(ordered), 500):
        part = ordered[start:start + 500]
        conn.execute(sql.format(", ".join("?" for _ in part)), part)


def _stats(conn: sqlite3.Connection, records: dict[str, MatchRecord]) -> NameStats:
    """Which names of these records their own list wears twice, as stored with their prints."""
    found: set[tuple[str, str, str]] = set()
    gids = sorted(records)
    for start in range(0, len(gids), 500):
        part = gids[start:start + 500]
        for gid, packed in conn.execute(
            "SELECT gid, ambiguous FROM match_prints WHERE ambiguous != '' AND gid IN ("
            + ", ".join("?" for _ in part) + ")", part):
            record = records[gid]
            for name in packed.split(_SEP):
                found.add((record.source, record.group, name))
    return NameStats.of(found)


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

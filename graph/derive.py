"""The merged view (`nodes`, `canon`), derived from the current versions: for the whole store, or
for only the records a change can reach.

Clustering (`graph.resolution.clusters`) is local: a cluster depends only on the records linked
to it by a shared merge key, a `same_as` pointer, an accepted merge or a human `same` judgement,
and the constraints that refuse a link only compare the two clusters it would join. So when some
records change (a new version of a source adds, alters or drops them; `resolve` rescored them; a
judgement names them), re-deriving the *closure* of those records (every record reachable from
them over those links, new or old, with every member of every cluster they were in) gives the
same clusters as re-deriving the whole store, at the cost of the change. `update_view` does
that and returns the canonical ids whose node may differ (old and new); they are logged per
generation (`view_changes`) so the screening index can be patched instead of rebuilt.

Every query reads the store inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from graph.model import Schema, merged_schema
from graph.resolve import MERGE_KEY_SPACES, ResolverInput, resolve_clusters

#: A change that reaches more records than this share of the store is re-derived whole: the
#: per-record lookups of a partial derivation cost more than one pass over everything.
PARTIAL_SHARE: Final = 0.25

#: Rows per temporary-table batch.
_BATCH: Final = 5000

_MERGE_LIKE: Final = " OR ".join(f"k.key LIKE '{space}:%'" for space in sorted(MERGE_KEY_SPACES))


@dataclass(slots=True)
class View:
    """A derived view: each record's (load id, local id, canonical id), and each canonical
    node's (schema, caption)."""

    nodes: dict[str, tuple[int, str, str]]
    canon: dict[str, tuple[str, str]]


def changed_records(conn: sqlite3.Connection, old: int, new: int) -> set[str]:
    """Local ids of the records that differ between two versions of one source: added, dropped,
    or with any stated value changed (its row, its properties in their order, its sanctions, a
    relation on it at either end)."""
    both = (old, new, new, old)
    queries = (
        "SELECT id FROM (" + _plain_except("entities", "id, schema, record_id, same_as") + ")",
        _ranked_except("props", "entity_id", "prop, value"),
        "SELECT entity FROM (" + _plain_except(
            "sanctions", "entity, id, authority, program, listing_date, source_url, record_id,"
            " props") + ")",
        # A relation names a record at each end: both are changed.
        "SELECT subject, object FROM (" + _plain_except(
            "relations", "id, kind, subject, object, role, start_date, end_date, percentage,"
            " record_id, props") + ")",
    )
    changed: set[str] = set()
    for sql in queries:
        for row in conn.execute(sql, both):
            changed.update(row)
    return changed


def _plain_except(table: str, columns: str) -> str:
    one = f"SELECT {columns} FROM {table} WHERE load_id = ?"
    return f"{one} EXCEPT {one} UNION ALL SELECT * FROM ({one} EXCEPT {one})"


def _ranked_except(table: str, owner: str, columns: str) -> str:
    """Owners whose rows differ, position within the owner included (the order values are
    stated in is what a node's first name and caption follow)."""
    one = (f"SELECT {owner}, {columns}, ROW_NUMBER() OVER (PARTITION BY {owner} ORDER BY rowid)"
           f" FROM {table} WHERE load_id = ?")
    return (f"SELECT {owner} FROM ({one} EXCEPT {one})"
            f" UNION SELECT {owner} FROM ({one} EXCEPT {one})")


class _Scope:
    """A temporary table of gids that queries join on, filled in batches."""

    def __init__(self, conn: sqlite3.Connection, name: str) -> None:
        self.conn, self.name = conn, name
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ("
                     "gid TEXT PRIMARY KEY, source TEXT NOT NULL, entity_id TEXT NOT NULL)"
                     " WITHOUT ROWID")
        conn.execute(f"DELETE FROM {name}")

    def fill(self, gids: Iterable[str]) -> None:
        self.conn.execute(f"DELETE FROM {self.name}")
        batch: list[tuple[str, str, str]] = []
        for gid in gids:
            source, _, entity_id = gid.partition(":")
            batch.append((gid, source, entity_id))
            if len(batch) >= _BATCH:
                self.conn.executemany(f"INSERT OR IGNORE INTO {self.name} VALUES (?, ?, ?)",
                                      batch)
                batch.clear()
        self.conn.executemany(f"INSERT OR IGNORE INTO {self.name} VALUES (?, ?, ?)", batch)

    def drop(self) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {self.name}")


def closure(conn: sqlite3.Connection, seeds: Collection[str]) -> set[str]:
    """Every gid reachable from `seeds` over the links clustering follows (shared merge keys of
    current records, `same_as` either way, accepted merges, `same` judgements) and over the
    present view (every member of a cluster a reached gid is in). Seeds no longer current (a
    dropped record) still bring the cluster they were in."""
    same_as: dict[str, set[str]] = defaultdict(set)
    for gid, target in conn.execute(
        "SELECT c.source || ':' || e.id, e.same_as FROM entities e JOIN current c"
        " ON c.load_id = e.load_id WHERE e.same_as IS NOT NULL"
    ):
        same_as[gid].add(target)
        same_as[target].add(gid)
    for a, b in conn.execute("SELECT DISTINCT a, b FROM judgements WHERE verdict = 'same'"):
        same_as[a].add(b)
        same_as[b].add(a)
    scope = _Scope(conn, "derive_frontier")
    reached = set(seeds)
    frontier = set(seeds)
    try:
        while frontier:
            scope.fill(frontier)
            found: set[str] = set()
            for gid in frontier:
                found.update(same_as.get(gid, ()))
            found.update(r[0] for r in conn.execute(
                "SELECT c2.source || ':' || k2.entity_id FROM derive_frontier f"
                " JOIN current c ON c.source = f.source"
                " JOIN keys k ON k.load_id = c.load_id AND k.entity_id = f.entity_id"
                " JOIN keys k2 ON k2.key = k.key JOIN current c2 ON c2.load_id = k2.load_id"
                f" WHERE ({_MERGE_LIKE})"))
            found.update(r[0] for r in conn.execute(
                "SELECT n2.gid FROM derive_frontier f JOIN nodes n ON n.gid = f.gid"
                " JOIN nodes n2 ON n2.canonical = n.canonical"))
            found.update(r[0] for r in conn.execute(
                "SELECT m.b FROM derive_frontier f JOIN match_pairs m ON m.a = f.gid"
                " WHERE m.decision = 'merge' UNION SELECT m.a FROM derive_frontier f"
                " JOIN match_pairs m ON m.b = f.gid WHERE m.decision = 'merge'"))
            frontier = found - reached
            reached |= frontier
    finally:
        scope.drop()
    return reached


def derive(conn: sqlite3.Connection, gids: Collection[str] | None = None) -> View:
    """The view of the current records (of `gids` only, when given: a closed set, see
    `closure`), exactly as clustering the whole store would make it."""
    scope = None
    join = ""
    if gids is not None:
        scope = _Scope(conn, "derive_scope")
        scope.fill(gids)
        join = " JOIN derive_scope s ON s.source = c.source AND s.entity_id = {col}"
    try:
        keys: dict[str, list[str]] = defaultdict(list)
        for source, entity_id, key in conn.execute(
            "SELECT c.source, k.entity_id, k.key FROM keys k JOIN current c"
            " ON c.load_id = k.load_id" + join.format(col="k.entity_id")
        ):
            if key.split(":", 1)[0] in MERGE_KEY_SPACES:
                keys[f"{source}:{entity_id}"].append(key)
        names: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for source, entity_id, prop, name in conn.execute(
            "SELECT c.source, m.entity_id, m.prop, m.name FROM names m JOIN current c"
            " ON c.load_id = m.load_id" + join.format(col="m.entity_id") + " ORDER BY m.rowid"
        ):
            names[f"{source}:{entity_id}"].append((prop, name))
        schemata: dict[str, Schema] = {}
        references: set[str] = set()
        records: list[ResolverInput] = []
        locals_: dict[str, tuple[int, str]] = {}
        for source, load_id, entity_id, schema, same_as in conn.execute(
            "SELECT c.source, e.load_id, e.id, e.schema, e.same_as FROM entities e"
            " JOIN current c ON c.load_id = e.load_id" + join.format(col="e.id")
        ):
            gid = f"{source}:{entity_id}"
            schemata[gid] = Schema(schema)
            locals_[gid] = (load_id, entity_id)
            records.append(ResolverInput(gid, Schema(schema), tuple(keys.get(gid, ())), same_as))
            if same_as:
                references.add(gid)
        if scope is None:
            merges = conn.execute("SELECT a, b, score FROM match_pairs WHERE decision = 'merge'")
            prints = conn.execute(
                "SELECT gid, exclusive FROM match_prints WHERE exclusive != ''")
        else:
            merges = conn.execute(
                "SELECT m.a, m.b, m.score FROM match_pairs m JOIN derive_scope s ON s.gid = m.a"
                " WHERE m.decision = 'merge'")
            prints = conn.execute(
                "SELECT p.gid, p.exclusive FROM match_prints p JOIN derive_scope s"
                " ON s.gid = p.gid WHERE p.exclusive != ''")
        canonical = resolve_clusters(
            records, list(merges), latest_judgements(conn, gids),
            exclusive={gid: keys_.split() for gid, keys_ in prints},
        )
    finally:
        if scope is not None:
            scope.drop()
    clusters: dict[str, list[str]] = defaultdict(list)
    for gid, cid in canonical.items():
        clusters[cid].append(gid)
    canon: dict[str, tuple[str, str]] = {}
    for cid, members in clusters.items():
        schema = merged_schema({schemata[g] for g in members})
        # A record that only points at another (an analyst's reference) does not vote.
        voters = [g for g in sorted(members) if g not in references] or sorted(members)
        member_names = [n for g in voters for n in names.get(g, [])]
        canon[cid] = (schema.value, caption(member_names) or cid)
    return View({gid: (*locals_[gid], cid) for gid, cid in canonical.items()}, canon)


def latest_judgements(conn: sqlite3.Connection, gids: Collection[str] | None = None
                      ) -> list[tuple[str, str, str]]:
    """The latest human verdict on each judged pair (a, b, verdict); of pairs within `gids`
    only, when given."""
    rows = [
        (r[0], r[1], r[2])
        for r in conn.execute(
            "SELECT a, b, verdict FROM judgements j WHERE id = (SELECT MAX(id) FROM judgements"
            " k WHERE k.a = j.a AND k.b = j.b) ORDER BY a, b"
        )
    ]
    if gids is None:
        return rows
    return [r for r in rows if r[0] in gids and r[1] in gids]


def caption(names: list[tuple[str, str]]) -> str | None:
    """The primary name most sources agree on (ignoring case); among equals the fullest one
    (M LEASING LLC over M LEASING), then the first stated."""
    primary = [v.strip() for p, v in names if p == "name" and v.strip()]
    candidates = primary or [v.strip() for _, v in names if v.strip()]
    if not candidates:
        return None
    counts = Counter(n.casefold() for n in candidates)
    best = max(counts.values())
    tied = [n for n in candidates if counts[n.casefold()] == best]
    longest = max(len(n) for n in tied)
    return next(n for n in tied if len(n) == longest)


def present_view(conn: sqlite3.Connection, gids: Collection[str] | None = None) -> View:
    """The view as the store holds it now (of the clusters of `gids` only, when given)."""
    if gids is None:
        nodes = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
            "SELECT gid, load_id, local_id, canonical FROM nodes")}
        canon = {r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT id, schema, caption FROM canon")}
        return View(nodes, canon)
    nodes = {}
    for gid in gids:
        row = conn.execute("SELECT load_id, local_id, canonical FROM nodes WHERE gid = ?",
                           (gid,)).fetchone()
        if row is not None:
            nodes[gid] = (row[0], row[1], row[2])
    canon = {}
    for cid in {v[2] for v in nodes.values()}:
        row = conn.execute("SELECT schema, caption FROM canon WHERE id = ?", (cid,)).fetchone()
        if row is not None:
            canon[cid] = (row[0], row[1])
    return View(nodes, canon)


def touched(before: View, after: View) -> set[str]:
    """Canonical ids whose node differs between two views: members, schema or caption."""
    members_before: dict[str, set[str]] = defaultdict(set)
    members_after: dict[str, set[str]] = defaultdict(set)
    for gid, (_, _, cid) in before.nodes.items():
        members_before[cid].add(gid)
    for gid, (_, _, cid) in after.nodes.items():
        members_after[cid].add(gid)
    out = {cid for cid in before.canon.keys() | after.canon.keys()
           if before.canon.get(cid) != after.canon.get(cid)}
    out.update(cid for cid in members_before.keys() | members_after.keys()
               if members_before.get(cid) != members_after.get(cid))
    return out



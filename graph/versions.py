"""What changed between two versions of one source.

The store keeps every loaded version of a source. Records are compared by the source's own record
ids (OFAC ent_num, UK Group ID...), never by the store's internal ids, so two versions loaded
months apart line up the way the authority numbers them. A record id only in the newer version is
*listed*, only in the older one *delisted*; in both with different facts *changed*, with the
properties whose values differ (old and new values). Facts compared: the schema, every property,
the sanctions (authority and programme) and the relations each record states (kind, role and the
record id of the other party).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Final

from graph.errors import NotFoundError, QueryError
from graph.store import Store
from graph.view import LoadInfo

#: Pseudo-properties under which sanctions and relations are compared.
SANCTIONS: Final = "(sanctions)"
RELATIONS: Final = "(relations)"
SCHEMA: Final = "(schema)"


@dataclass(frozen=True, slots=True)
class Version:
    load_id: int
    list_date: str | None
    path: str

    @classmethod
    def of(cls, info: LoadInfo) -> Version:
        return cls(info.id, info.list_date, info.path)


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A record listed or delisted."""

    record_id: str
    schema: str
    name: str


@dataclass(frozen=True, slots=True)
class PropertyChange:
    prop: str
    old: tuple[str, ...]
    new: tuple[str, ...]

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(v for v in self.new if v not in self.old)

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(v for v in self.old if v not in self.new)


@dataclass(frozen=True, slots=True)
class RecordChange:
    record_id: str
    schema: str
    name: str
    changes: tuple[PropertyChange, ...]


@dataclass(slots=True)
class Diff:
    source: str
    old: Version
    new: Version
    listed: list[RecordRef] = field(default_factory=list)
    delisted: list[RecordRef] = field(default_factory=list)
    changed: list[RecordChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def version(v: Version) -> dict[str, Any]:
            return {"load_id": v.load_id, "list_date": v.list_date, "path": v.path}

        def ref(r: RecordRef) -> dict[str, str]:
            return {"record_id": r.record_id, "schema": r.schema, "name": r.name}

        return {
            "source": self.source,
            "from": version(self.old),
            "to": version(self.new),
            "counts": {"listed": len(self.listed), "delisted": len(self.delisted),
                       "changed": len(self.changed)},
            "listed": [ref(r) for r in self.listed],
            "delisted": [ref(r) for r in self.delisted],
            "changed": [
                {**ref(RecordRef(c.record_id, c.schema, c.name)),
                 "changes": [{"property": p.prop, "old": list(p.old), "new": list(p.new),
                              "added": list(p.added), "removed": list(p.removed)}
                             for p in c.changes]}
                for c in self.changed
            ],
        }


@dataclass(slots=True)
class _Record:
    schema: set[str] = field(default_factory=set)
    props: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def name(self) -> str:
        names = self.props.get("name") or []
        return names[0] if names else ""


def _pick(versions: list[LoadInfo], date: str, which: str, source: str) -> LoadInfo:
    """The newest version listed on or before `date` (so a rough date still finds one)."""
    eligible = [v for v in versions if (v.list_date or "") <= date]
    if not eligible:
        dates = ", ".join(v.list_date or "?" for v in versions)
        raise NotFoundError(f"{source}: no version on or before {date} for --{which} "
                            f"(versions: {dates})")
    return eligible[-1]


def versions(store: Store, source: str) -> list[LoadInfo]:
    """Every loaded version of a source, oldest list date first."""
    found = [info for info in store.loads() if info.source == source]
    if not found:
        known = sorted({info.source for info in store.loads()})
        raise NotFoundError(f"no source {source!r} in the store"
                            + (f" (sources: {', '.join(known)})" if known else ""))
    return sorted(found, key=lambda v: (v.list_date or "", v.id))


def diff(store: Store, source: str, from_date: str | None = None,
         to_date: str | None = None) -> Diff:
    """Listed, delisted and changed records of `source` between two versions: the last two by
    default, else the versions in force on `from_date` and `to_date` (YYYY-MM-DD)."""
    found = versions(store, source)
    new = _pick(found, to_date, "to", source) if to_date is not None else found[-1]
    if from_date is not None:
        old = _pick(found, from_date, "from", source)
    else:
        older = [v for v in found if (v.list_date or "", v.id) < (new.list_date or "", new.id)]
        if not older:
            raise QueryError(f"{source}: only one version is loaded "
                             f"({new.list_date or 'undated'}); load another to compare")
        old = older[-1]
    if old.id == new.id:
        raise QueryError(f"{source}: --from and --to name the same version ({old.list_date})")
    return diff_loads(store, source, old, new)


def diff_loads(store: Store, source: str, old: LoadInfo, new: LoadInfo,
               only: Collection[str] | None = None) -> Diff:
    """`diff` between two given versions; of the records `only` names, when given (monitoring
    reads the few records behind its alerts, not two whole lists; a relation to a record left
    out is written with the other's record id but not its name, on both sides alike)."""
    wanted = None if only is None else set(only)
    before = _records(store.conn, old.id, wanted)
    after = _records(store.conn, new.id, wanted)
    result = Diff(source, Version.of(old), Version.of(new))
    for record_id in sorted(after.keys() - before.keys(), key=_order):
        rec = after[record_id]
        result.listed.append(RecordRef(record_id, "/".join(sorted(rec.schema)), rec.name()))
    for record_id in sorted(before.keys() - after.keys(), key=_order):
        rec = before[record_id]
        result.delisted.append(RecordRef(record_id, "/".join(sorted(rec.schema)), rec.name()))
    for record_id in sorted(before.keys() & after.keys(), key=_order):
        changes = _compare(before[record_id], after[record_id])
        if changes:
            rec = after[record_id]
            result.changed.append(RecordChange(record_id, "/".join(sorted(rec.schema)),
                                               rec.name(), tuple(changes)))
    return result


@dataclass(frozen=True, slots=True)
class Seen:
    """When a node was in the lists, by the list dates (YYYY-MM-DD) of the versions loaded:
    `first_seen`, of the oldest version holding any of its records; `last_seen`, of the
    newest version in force holding one (its records are in force, or it would not be a
    node); `last_change`, of the newest version in force in which one of its records appeared
    or its facts differed from the version before (the facts `diff` compares: schema,
    properties, sanctions by authority and programme, relations by kind, role and the other
    party). None where a date it depends on is unknown: a version without a list date
    (`load` always gives one; the Python API may not). What resolution does (records merged
    into a node or split from it) is not a change of the lists and is not dated here: the
    store keeps no history of it."""

    first_seen: str | None
    last_seen: str | None
    last_change: str | None


def seen(store: Store, canonical: str) -> Seen:
    """`Seen` of a node, from every version of the sources of its records (read in one
    snapshot; each version's facts of a record by the store's per-load indexes, so a node
    costs a few small reads per version, not a whole list)."""
    firsts: list[str | None] = []
    lasts: list[str | None] = []
    changes: list[str | None] = []
    with store.reading():
        conn = store.conn
        members = conn.execute(
            "SELECT n.load_id, n.local_id, l.source, l.list_date FROM nodes n"
            " JOIN loads l ON l.id = n.load_id WHERE n.canonical = ? ORDER BY n.gid",
            (canonical,)).fetchall()
        history: dict[str, list[tuple[int, str | None]]] = {}
        for load_id, local_id, source, list_date in members:
            if source not in history:
                history[source] = [(r[0], r[1]) for r in conn.execute(
                    "SELECT id, list_date FROM loads WHERE source = ?"
                    " ORDER BY coalesce(list_date, ''), id", (source,))]
            dated = history[source]
            # The versions up to the one in force (a later one by this order is history
            # loaded after it with the same date, or undated: not what the node shows).
            upto = dated[:next(i for i, (v, _) in enumerate(dated) if v == load_id) + 1]
            before: frozenset[tuple[str, ...]] | None = None
            held: list[str | None] = []  # the dates of the versions holding the record
            change: str | None = None
            for version, date in upto:
                state = _entity_facts(conn, version, local_id)
                if state is not None:
                    held.append(date)
                    if state != before:
                        change = date
                before = state
            firsts.append(held[0] if held else None)
            lasts.append(list_date)
            changes.append(change)
    return Seen(_known(min, firsts), _known(max, lasts), _known(max, changes))


def _known(pick: Callable[[list[str]], str], dates: list[str | None]) -> str | None:
    """The earliest or latest of dates, None when there are none or one is unknown (it could
    be the earliest or the latest)."""
    if not dates or None in dates:
        return None
    return pick([d for d in dates if d is not None])


def _entity_facts(conn: sqlite3.Connection, load_id: int,
                  entity_id: str) -> frozenset[tuple[str, ...]] | None:
    """The facts one version states about one of its entities (None: it has no such
    entity): as `_records` reads a record, by the per-load indexes."""
    row = conn.execute("SELECT schema, record_id FROM entities WHERE load_id = ? AND id = ?",
                       (load_id, entity_id)).fetchone()
    if row is None:
        return None
    facts: set[tuple[str, ...]] = {(SCHEMA, row[0])}
    facts.update(conn.execute(
        "SELECT prop, value FROM props WHERE load_id = ? AND entity_id = ?",
        (load_id, entity_id)))
    facts.update((SANCTIONS, f"{authority} {program}") for authority, program in conn.execute(
        "SELECT authority, program FROM sanctions INDEXED BY sanctions_entity"
        " WHERE load_id = ? AND entity = ?", (load_id, entity_id)))
    # The relations its record states (as `_records` counts them: a relation another record
    # states is that record's fact), by the other party's id.
    for near, far in (("subject", "object"), ("object", "subject")):
        facts.update((RELATIONS, near, role or kind, other) for kind, role, other in conn.execute(
            f"SELECT kind, role, {far} FROM relations INDEXED BY relations_{near}"
            f" WHERE load_id = ? AND {near} = ? AND record_id = ?",
            (load_id, entity_id, row[1])))
    return frozenset(facts)


def _order(record_id: str) -> tuple[int, str]:
    """Numeric record ids in numeric order, then the rest."""
    return (int(record_id), "") if record_id.isdigit() else (1 << 62, record_id)


def _compare(old: _Record, new: _Record) -> list[PropertyChange]:
    changes = []
    if old.schema != new.schema:
        changes.append(PropertyChange(SCHEMA, tuple(sorted(old.schema)),
                                      tuple(sorted(new.schema))))
    for prop in sorted(old.props.keys() | new.props.keys()):
        a, b = old.props.get(prop, []), new.props.get(prop, [])
        if set(a) != set(b):
            changes.append(PropertyChange(prop, tuple(a), tuple(b)))
    return changes


#: Entity ids per statement when only some records are read.
_IN_BATCH: Final = 900


def _records(conn: sqlite3.Connection, load_id: int,
             only: set[str] | None = None) -> dict[str, _Record]:
    """Every record of one version by record id, with its facts (or those `only` names)."""
    records: dict[str, _Record] = defaultdict(_Record)
    record_of: dict[str, str] = {}
    for entity_id, schema, record_id in conn.execute(
        "SELECT id, schema, record_id FROM entities WHERE load_id = ?", (load_id,)
    ):
        record_of[entity_id] = record_id
        if only is None or record_id in only:
            records[record_id].schema.add(schema)
    if only is None:
        rows: Any = conn.execute(
            "SELECT entity_id, prop, value FROM props WHERE load_id = ? ORDER BY rowid",
            (load_id,))
    else:
        ids = sorted(e for e, r in record_of.items() if r in only)
        rows = []
        for start in range(0, len(ids), _IN_BATCH):
            batch = ids[start:start + _IN_BATCH]
            rows.extend(conn.execute(
                "SELECT entity_id, prop, value FROM props WHERE load_id = ? AND entity_id IN "
                f"({', '.join('?' * len(batch))}) ORDER BY rowid", (load_id, *batch)))
    for entity_id, prop, value in rows:
        values = records[record_of[entity_id]].props[prop]
        if value not in values:
            values.append(value)
    for entity_id, authority, program in conn.execute(
        "SELECT entity, authority, program FROM sanctions WHERE load_id = ? ORDER BY id",
        (load_id,),
    ):
        if entity_id in record_of and (only is None or record_of[entity_id] in only):
            values = records[record_of[entity_id]].props[SANCTIONS]
            if (text := f"{authority} {program}") not in values:
                values.append(text)
    for kind, role, subject, obj, record_id in conn.execute(
        "SELECT kind, role, subject, object, record_id FROM relations WHERE load_id = ?"
        " ORDER BY id",
        (load_id,),
    ):
        if record_id not in records:
            continue
        other = record_of.get(subject if record_of.get(obj) == record_id else obj, "?")
        other_name = records[other].name() if other in records else ""
        text = f"{role or kind}: {other_name} (#{other})" if other_name else \
            f"{role or kind}: #{other}"
        values = records[record_id].props[RELATIONS]
        if text not in values:
            values.append(text)
    return dict(records)

"""Export the merged graph as FollowTheMoney (FtM) JSON lines.

Every canonical entity becomes one FtM entity with the union of its current property values
(cleaned by FtM's property types; values FtM rejects or that the schema lacks are dropped and
counted), its `datasets` (the sources it was built from) and its `referents` (the source records,
`SOURCE:RECORD_ID`, the record id being the one the authority's own file gives, so an auditor can
go back to the listing). Relations become FtM edge entities (`Ownership`, `Directorship`,
`UnknownLink`, per `RELATION_SHAPES`), sanctions `Sanction` entities; the same relation or
sanction stated by several sources is one FtM entity with all of them as datasets/referents.

Ids: an entity that is one record of an FtM load keeps that record's id (so an FtM file survives
a round trip with its ids); every other entity is written under its canonical id. Relation and
sanction ids are hashes of what they say, so they are stable too.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sqlite3
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Final

from followthemoney import model
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry

from graph.errors import QueryError
from graph.identifiers import country_code
from graph.model import RELATION_SHAPES, RelationKind, ShipRole
from graph.shares import SHARE_PROPERTY, stated_share
from graph.store import Store
from graph.view import Provenance, by_canonical

FTM_FORMAT: Final = "ftm"
DATASETS: Final = "datasets"
REFERENTS: Final = "referents"
_META: Final = frozenset({DATASETS, REFERENTS})

#: The role written on kinds FtM has no schema of their own for, so a reader can tell them apart.
_DEFAULT_ROLES: Final = {
    RelationKind.OPERATION: ShipRole.OPERATOR.value,
    RelationKind.MANAGEMENT: ShipRole.SHIP_MANAGER.value,
}


@dataclass(slots=True)
class ExportResult:
    """What an export wrote."""

    path: str
    entities: int = 0
    relations: int = 0
    sanctions: int = 0
    #: Values FtM did not accept (property not in the schema, or not a valid value of its type).
    dropped: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "entities": self.entities, "relations": self.relations,
                "sanctions": self.sanctions, "dropped": dict(self.dropped)}


def _hash_id(prefix: str, *parts: object) -> str:
    digest = hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()[:24]
    return f"{prefix}-{digest}"


def _member_rows(store: Store) -> Iterator[tuple[str, tuple[str, str, str]]]:
    """(canonical id, (source, local id, record id)) of every current record, by canonical id."""
    rows = store.conn.execute(
        "SELECT n.canonical, c.source, n.local_id, e.record_id FROM nodes n"
        " JOIN current c ON c.load_id = n.load_id"
        " JOIN entities e ON e.load_id = n.load_id AND e.id = n.local_id"
        " ORDER BY n.canonical, c.source, n.local_id"
    )
    for canonical, source, local_id, record_id in rows:
        yield canonical, (source, local_id, record_id)


def _members(store: Store) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """Each canonical id with its current records, in order, one node at a time."""
    for canonical, group in itertools.groupby(_member_rows(store), key=lambda row: row[0]):
        yield canonical, [record for _, record in group]


def _export_ids(store: Store, members: Iterable[tuple[str, list[tuple[str, str, str]]]]
                ) -> dict[str, str]:
    ftm_sources = {info.source for info in store.loads(current_only=True)
                   if info.format == FTM_FORMAT}
    wanted: dict[str, str] = {}
    for canonical, records in members:
        if len(records) == 1 and records[0][0] in ftm_sources:
            wanted[canonical] = records[0][1]
        else:
            wanted[canonical] = canonical
    out: dict[str, str] = {}
    taken: set[str] = set()
    for canonical in sorted(wanted):
        ftm_id = _ftm_id(wanted[canonical])
        if ftm_id in taken:
            ftm_id = _hash_id("x", canonical)
        taken.add(ftm_id)
        out[canonical] = ftm_id
    return out


def _ftm_id(text: str) -> str:
    """An id FtM accepts as a reference (letters, digits, `.` and `-`, starting and ending
    with a letter or digit): `us_ofac_sdn:37059` -> `us-ofac-sdn-37059`."""
    return re.sub(r"[^0-9A-Za-z.-]+", "-", text).strip(".-") or _hash_id("x", text)


def _add(proxy: EntityProxy, prop: str, value: str, result: ExportResult) -> None:
    schema_prop = proxy.schema.get(prop)
    if schema_prop is None:
        result.dropped[f"{proxy.schema.name}.{prop}"] += 1
        return
    cleaned = _clean(schema_prop.type.name, schema_prop.format, value)
    if cleaned is None:
        result.dropped[f"{proxy.schema.name}.{prop} (invalid value)"] += 1
        return
    proxy.add(schema_prop, cleaned, cleaned=True)


_COUNTRY_CODES: Final = frozenset(registry.country.codes)
_DATE_FORMS: Final = (("%d %b %Y", 10), ("%b %Y", 7))


@lru_cache(maxsize=200_000)
def _clean(type_name: str, format: str | None, value: str) -> str | None:
    """A value cleaned by its FtM type (cached: lists repeat values); dates some lists write as
    `23 Feb 1963` or `Feb 1963` are read first."""
    prop_type = registry.get(type_name)
    if prop_type is None:
        return None
    if type_name == "country":
        # The graph keeps countries as codes already; names go through the project's own
        # lookup (FtM's builds a large territory index on first use).
        code = value if value in _COUNTRY_CODES else country_code(value)
        return code if code in _COUNTRY_CODES else None
    cleaned = prop_type.clean(value, format=format)
    if cleaned is None and type_name == "date":
        for form, width in _DATE_FORMS:
            try:
                parsed = datetime.strptime(value.strip(), form).date().isoformat()[:width]
            except ValueError:
                continue
            return prop_type.clean(parsed)
    return cleaned


def _line(proxy: EntityProxy, datasets: set[str], referents: set[str]) -> str:
    data = proxy.to_dict()
    data[DATASETS] = sorted(datasets)
    data[REFERENTS] = sorted(referents)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def iter_ftm(store: Store, result: ExportResult | None = None) -> Iterator[str]:
    """FtM JSON lines for the whole merged graph: entities, then relations, then sanctions.

    Streamed: nodes, their records and their facts are read in the same order (by canonical id)
    and joined as they come; relations and sanctions stated by several sources are grouped by a
    sort on disk (`_grouped_lines`). Memory holds the export ids (one short string per node),
    not the graph."""
    result = result or ExportResult("")
    ids = _export_ids(store, _members(store))
    members = by_canonical(_member_rows(store))
    facts = by_canonical((cid, (f.prop, f.value)) for cid, f in store.iter_facts())
    for node in store.iter_nodes():
        node_members = members(node.id)
        node_facts = facts(node.id)
        schema = model.get(node.schema)
        if schema is None:  # every graph schema is an FtM schema; kept as a guard
            result.dropped[f"schema {node.schema}"] += 1
            continue
        proxy = model.make_entity(schema)
        proxy.id = ids.get(node.id, node.id)
        datasets: set[str] = set()
        referents: set[str] = set()
        for source, _local, record_id in node_members:
            datasets.add(source)
            referents.add(f"{source}:{record_id}")
        for prop, value in node_facts:
            if prop == DATASETS:
                datasets.add(value)
            elif prop == REFERENTS:
                referents.add(value)
            else:
                _add(proxy, prop, value, result)
        result.entities += 1
        yield _line(proxy, datasets, referents)
    yield from _relations(store, ids, result)
    yield from _sanctions(store, ids, result)


Statement = tuple[tuple[Any, ...], Provenance, dict[str, list[str]]]


def _grouped_lines(statements: Iterable[Statement], result: ExportResult,
                   proxy_for: Callable[[tuple[Any, ...]], EntityProxy]) -> Iterator[str]:
    """One FtM line per distinct statement, whichever sources state it: the properties, the
    `datasets` (sources) and `referents` (`SOURCE:RECORD_ID`) of every statement of each key,
    in the order of the keys' JSON text. A statement loaded from FtM brings its own datasets and
    referents along. The statements are sorted in a temporary SQLite file, not in memory (JSON
    text is ASCII, so SQLite's byte order is Python's string order)."""
    with tempfile.TemporaryDirectory(prefix="sanctions-graph-export-") as folder:
        conn = sqlite3.connect(Path(folder) / "sort.db")
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("CREATE TABLE s (key TEXT NOT NULL, source TEXT NOT NULL,"
                         " record TEXT NOT NULL, props TEXT NOT NULL)")
            rows = ((json.dumps(key, default=str), prov.source, prov.record_id,
                     json.dumps(props)) for key, prov, props in statements)
            while batch := list(itertools.islice(rows, 5000)):
                conn.executemany("INSERT INTO s VALUES (?, ?, ?, ?)", batch)
            cursor = conn.execute("SELECT key, source, record, props FROM s ORDER BY key")
            for key_text, group in itertools.groupby(cursor, key=lambda row: row[0]):
                props: dict[str, set[str]] = defaultdict(set)
                datasets: set[str] = set()
                referents: set[str] = set()
                for _key, source, record_id, props_text in group:
                    datasets.add(source)
                    referents.add(f"{source}:{record_id}")
                    for prop, values in json.loads(props_text).items():
                        target = (datasets if prop == DATASETS
                                  else referents if prop == REFERENTS else props[prop])
                        target.update(values)
                proxy = proxy_for(tuple(json.loads(key_text)))
                for prop in sorted(props):
                    for value in sorted(props[prop]):
                        _add(proxy, prop, value, result)
                yield _line(proxy, datasets, referents)
        finally:
            conn.close()


def _relations(store: Store, ids: dict[str, str], result: ExportResult) -> Iterator[str]:
    def statements() -> Iterator[tuple[tuple[Any, ...], Provenance, dict[str, list[str]]]]:
        for edge in store.iter_edges():
            kind = RelationKind(edge.kind)
            # FtM's `percentage` is text: a band goes there as stated (`>25,<=50`).
            share = stated_share(edge.percentage, edge.properties)
            key = (kind.value, edge.role or _DEFAULT_ROLES.get(kind),
                   ids.get(edge.subject, edge.subject), ids.get(edge.object, edge.object),
                   edge.start_date, edge.end_date, share.text if share else None)
            props = {k: v for k, v in edge.properties.items() if k != SHARE_PROPERTY}
            yield key, edge.provenance, props

    def proxy_for(key: tuple[Any, ...]) -> EntityProxy:
        kind_value, role, subject, obj, start, end, percentage = key
        shape = RELATION_SHAPES[RelationKind(kind_value)]
        proxy = model.make_entity(shape.ftm_schema)
        proxy.id = _hash_id("rel", *key)
        proxy.add(shape.subject_property, subject)
        proxy.add(shape.object_property, obj)
        for prop, value in (("role", role), ("startDate", start), ("endDate", end),
                            ("percentage", percentage)):
            if value:
                _add(proxy, prop, value, result)
        result.relations += 1
        return proxy

    yield from _grouped_lines(statements(), result, proxy_for)


def _sanctions(store: Store, ids: dict[str, str], result: ExportResult) -> Iterator[str]:
    def statements() -> Iterator[tuple[tuple[Any, ...], Provenance, dict[str, list[str]]]]:
        for listing in store.iter_listings():
            key = (ids.get(listing.entity, listing.entity), listing.authority, listing.program,
                   listing.listing_date, listing.source_url)
            yield key, listing.provenance, listing.properties

    def proxy_for(key: tuple[Any, ...]) -> EntityProxy:
        entity, authority, program, listed, url = key
        proxy = model.make_entity("Sanction")
        proxy.id = _hash_id("sanction", *key)
        proxy.add("entity", entity)
        for prop, value in (("authority", authority), ("program", program),
                            ("listingDate", listed), ("sourceUrl", url)):
            if value:
                _add(proxy, prop, value, result)
        result.sanctions += 1
        return proxy

    yield from _grouped_lines(statements(), result, proxy_for)


def export_ftm(store: Store, out: Path | str | IO[str]) -> ExportResult:
    """Write the graph as FtM JSON lines to a file (written whole, then renamed into place)
    or an open text stream, from one snapshot of the store."""
    with store.reading():
        return _export_ftm(store, out)


def _export_ftm(store: Store, out: Path | str | IO[str]) -> ExportResult:
    if not store.counts()["nodes"]:
        raise QueryError("the store is empty: load a source first")
    if not isinstance(out, Path | str):
        result = ExportResult("-")
        for line in iter_ftm(store, result):
            out.write(line + "\n")
        return result
    path = Path(out)
    result = ExportResult(str(path))
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            for line in iter_ftm(store, result):
                handle.write(line + "\n")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise QueryError(f"{path}: cannot write the export ({exc.strerror})") from None
    return result

"""The graph's shape in Neo4j, and the rows that fill it, built from the store's merged view.

Labels and relationship types come only from fixed tables here and in `graph.model`
(`Schema` values, `RELATION_SHAPES`), never from input: a statement that names a label is built
from these tables, and every value travels as a parameter.

- Every canonical node is `:Entity` plus its schema label (`:Vessel`, `:Company`, ...), and
  `:StateActor` when it is one by `graph.state`'s rule (a public body, or an organisation with a
  state topic), the rule `owner` and `path` follow too.
- A sanction programme is a `:Program` node (`authority/program`); a country is a `:Country`
  node (its ISO code). They have their own id spaces.
- Relations between entities take their type from `RELATION_SHAPES` (`OWNS`, `OPERATES`,
  `MANAGES`, `DIRECTS`, `LINKED_TO`, and any kind added there), subject -> object.
- `(:Entity)-[:SANCTIONED_UNDER]->(:Program)` for every listing.
- `(:Vessel)-[:FLAGGED_IN]->(:Country)` for `flag` (and `pastFlags`, with `past: true`);
  `(:Entity)-[:REGISTERED_IN]->(:Country)` for a party's `country` and `jurisdiction`;
  `(:Person)-[:NATIONAL_OF]->(:Country)` for `nationality` and `citizenship`.

Node properties are lists (every value any current source states), except the node's `id`,
`schema` and `caption`, and a vessel's `imo`: its IMO ship number as one string, the key that
`owner_by_imo` and the other vessel queries look it up by (a range index serves it; no Neo4j
index serves membership in a list such as `imoNumber`). Resolution never merges two ship IMO
numbers, so a vessel states at most one valid number; should one record state two, `imo` is the
smaller valid one and `imoNumber` keeps both.

A relationship is one per distinct statement (type, ends, role, dates, percentage); the sources
stating it are parallel lists `source`, `list_date`, `record_id`.
Each node and relationship carries `content_hash`, a digest of everything else on it: the sync
compares it to know what changed.
"""

from __future__ import annotations

import hashlib
import itertools
import marshal
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from graph.errors import StoreError
from graph.identifiers import clean_imo_ship, country_name
from graph.model import EVIDENCE_PROPERTY, RELATION_SHAPES, RelationKind, Schema
from graph.state import state_actor_from
from graph.store import Store
from graph.view import Edge, Fact, Listing, Node, by_canonical

ENTITY: Final = "Entity"
PROGRAM: Final = "Program"
COUNTRY: Final = "Country"
STATE_ACTOR: Final = "StateActor"

SANCTIONED_UNDER: Final = "SANCTIONED_UNDER"
FLAGGED_IN: Final = "FLAGGED_IN"
REGISTERED_IN: Final = "REGISTERED_IN"
NATIONAL_OF: Final = "NATIONAL_OF"

#: The property holding each node's and relationship's content digest.
HASH: Final = "content_hash"

#: Node properties the shape sets itself; a source property of the same name is kept as
#: `source_<name>` so it never overwrites them.
NODE_RESERVED: Final = frozenset({"id", "schema", "caption", "members", "sources", "imo",
                                  HASH})
#: Relationship properties the shape sets itself.
REL_RESERVED: Final = frozenset({"id", "role", "start_date", "end_date", "percentage", "source",
                                 "list_date", "record_id", "kind", "property", "past",
                                 "authority", "program", "listing_date", "source_url", HASH})

@dataclass(frozen=True, slots=True)
class CountryLink:
    """A property whose values are country codes, written as a relationship to `:Country`."""

    prop: str
    rel_type: str
    schemata: frozenset[Schema]
    past: bool = False


_PARTIES: Final = frozenset(Schema) - {Schema.VESSEL, Schema.AIRPLANE, Schema.PERSON}

#: Which country-valued properties become relationships, for which schemata.
COUNTRY_LINKS: Final = (
    CountryLink("flag", FLAGGED_IN, frozenset({Schema.VESSEL, Schema.AIRPLANE})),
    CountryLink("pastFlags", FLAGGED_IN, frozenset({Schema.VESSEL, Schema.AIRPLANE}), past=True),
    CountryLink("country", REGISTERED_IN, _PARTIES),
    CountryLink("jurisdiction", REGISTERED_IN, _PARTIES),
    CountryLink("nationality", NATIONAL_OF, frozenset({Schema.PERSON})),
    CountryLink("citizenship", NATIONAL_OF, frozenset({Schema.PERSON})),
)
_COUNTRY_LINK_BY_PROP: Final = {(link.prop, s): link for link in COUNTRY_LINKS
                                for s in link.schemata}


def entity_labels() -> tuple[str, ...]:
    """Every label an entity node can carry."""
    return (ENTITY, *(s.value for s in Schema), STATE_ACTOR)


def entity_label_sets() -> list[tuple[str, ...]]:
    """Every combination of extra labels an entity node can carry (its schema, and
    `StateActor` when it is one), in the order `build_graph` writes them."""
    return [(s.value, *extra) for s in Schema for extra in ((), (STATE_ACTOR,))]


def node_labels() -> tuple[str, ...]:
    """Every label the graph uses."""
    return (*entity_labels(), PROGRAM, COUNTRY)


def relation_types() -> dict[str, RelationKind]:
    """Neo4j type of each relation kind between entities, from the one table."""
    return {shape.neo4j_type: kind for kind, shape in RELATION_SHAPES.items()}


def relationship_types() -> tuple[str, ...]:
    """Every relationship type the graph uses."""
    country_types = tuple(dict.fromkeys(link.rel_type for link in COUNTRY_LINKS))
    return (*relation_types(), SANCTIONED_UNDER, *country_types)


def end_label(rel_type: str) -> str:
    """The label (and id space) of a relationship type's end node."""
    if rel_type == SANCTIONED_UNDER:
        return PROGRAM
    if rel_type in {link.rel_type for link in COUNTRY_LINKS}:
        return COUNTRY
    if rel_type in relation_types():
        return ENTITY
    raise ValueError(f"relationship type {rel_type!r} is not in the graph's tables")


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One node as Neo4j holds it: its id space label, its other labels and its properties
    (which include `id` and `content_hash`)."""

    space: str
    labels: tuple[str, ...]
    props: Mapping[str, Any]

    @property
    def id(self) -> str:
        return str(self.props["id"])


@dataclass(frozen=True, slots=True)
class RelRow:
    """One relationship: its type, its ends (ids in the start's and end's id spaces) and its
    properties (which include `id` and `content_hash`)."""

    type: str
    start: str
    end: str
    props: Mapping[str, Any]

    @property
    def id(self) -> str:
        return str(self.props["id"])


@dataclass(slots=True)
class GraphRows:
    """Everything the graph holds: nodes and relationships, in a stable order."""

    nodes: list[NodeRow] = field(default_factory=list)
    rels: list[RelRow] = field(default_factory=list)

    def nodes_by_space(self) -> dict[str, list[NodeRow]]:
        out: dict[str, list[NodeRow]] = defaultdict(list)
        for row in self.nodes:
            out[row.space].append(row)
        return dict(out)

    def rels_by_type(self) -> dict[str, list[RelRow]]:
        out: dict[str, list[RelRow]] = defaultdict(list)
        for row in self.rels:
            out[row.type].append(row)
        return dict(out)


def content_hash(labels: Iterable[str], props: Mapping[str, Any]) -> str:
    """A digest of labels and properties (the hash property itself left out)."""
    # repr of sorted plain values (str, float, bool, lists of str) is deterministic and several
    # times faster than json.dumps(sort_keys=True), which dominated building the rows.
    body = sorted((k, v) for k, v in props.items() if k != HASH)
    text = repr((sorted(labels), body))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _rel_id(*parts: Any) -> str:
    text = repr(parts)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _schema(node: Node) -> Schema:
    try:
        return Schema(node.schema)
    except ValueError:
        raise StoreError(f"node {node.id}: schema {node.schema!r} is not one the graph knows "
                         "(upgrade sanctions-graph)") from None


class _Sources:
    """Parallel lists of the sources stating one relationship, each statement once."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], None] = {}

    def add(self, source: str, list_date: str | None, record_id: str) -> None:
        self.items[(source, list_date or "", record_id)] = None

    def props(self) -> dict[str, list[str]]:
        ordered = sorted(self.items)
        return {"source": [s for s, _, _ in ordered], "list_date": [d for _, d, _ in ordered],
                "record_id": [r for _, _, r in ordered]}


def build_graph(store: Store) -> GraphRows:
    """Every node and relationship of the merged view, as Neo4j will hold them, read in one
    snapshot of the store (a load committing meanwhile is in the next push, not half in this).
    The rows of `iter_graph`, held in memory (the sync compares all of them with Neo4j's)."""
    graph = GraphRows()
    for row in iter_graph(store):
        if isinstance(row, NodeRow):
            graph.nodes.append(row)
        else:
            graph.rels.append(row)
    return graph


def iter_graph(store: Store) -> Iterator[NodeRow | RelRow]:
    """The rows of `build_graph`, streamed, in its order within nodes and within
    relationships: entity nodes, relations between entities, programme nodes, sanctions,
    country nodes, country relationships. Read in one snapshot of the store.

    Memory holds one node's facts at a time (nodes and facts are read in the same order and
    joined as they come), one entity's listings, and the programmes and country codes (a few
    hundred); what must be grouped or sorted across nodes (relations stated by several sources,
    country relationships, which go by type first) is sorted in a temporary SQLite file."""
    with store.reading(), _Scratch() as scratch:
        country_ids: set[str] = set()
        facts = by_canonical(store.iter_facts())
        for node in store.iter_nodes():
            row, links = entity_row(node, facts(node.id))
            scratch.add_node(node.id, links)
            country_ids.update(link[2] for link in links)
            yield row
        scratch.flush()
        yield from _relations(store.iter_edges(), scratch)
        programs = _programs(store.iter_listings())
        for pid, (authority, program) in sorted(programs.items()):
            props: dict[str, Any] = {"id": pid, "name": program, "authority": authority}
            props[HASH] = content_hash([], props)
            yield NodeRow(PROGRAM, (), props)
        for _entity, listings in itertools.groupby(store.iter_listings(),
                                                   key=lambda item: item.entity):
            yield from sanction_rows(listings, programs)
        for code in sorted(country_ids):
            props = {"id": code, "name": country_name(code)}
            props[HASH] = content_hash([], props)
            yield NodeRow(COUNTRY, (), props)
        for key, stated in scratch.country_links():
            yield country_rel_row(key, stated)


#: A country-valued fact as a relationship statement: (type, start id, country code, past,
#: property, source, list date, record id).
LinkStatement = tuple[str, str, str, bool, str, str, str | None, str]


def entity_row(node: Node, facts: Sequence[Fact]) -> tuple[NodeRow, list[LinkStatement]]:
    """One canonical node's row, from its facts (in the store's order), and the statements of
    its relationships to countries."""
    schema = _schema(node)
    values: dict[str, list[str]] = defaultdict(list)
    sources: dict[str, None] = {}
    links: list[LinkStatement] = []
    for fact in facts:
        key = f"source_{fact.prop}" if fact.prop in NODE_RESERVED else fact.prop
        if fact.value not in values[key]:
            values[key].append(fact.value)
        prov = fact.provenance
        sources[prov.source] = None
        link = _COUNTRY_LINK_BY_PROP.get((fact.prop, schema))
        if link is not None and fact.value:
            links.append((link.rel_type, node.id, fact.value.lower(), link.past, link.prop,
                          prov.source, prov.list_date, prov.record_id))
    labels = [schema.value]
    if state_actor_from(schema.value, facts) is not None:
        labels.append(STATE_ACTOR)
    props: dict[str, Any] = {"id": node.id, "schema": schema.value, "caption": node.caption,
                             "members": list(node.members), "sources": sorted(sources)}
    props.update(values)
    if schema is Schema.VESSEL and (imo := vessel_imo(values.get("imoNumber", ()))):
        props["imo"] = imo
    props[HASH] = content_hash(labels, props)
    return NodeRow(ENTITY, tuple(labels), props), links


#: What makes a relationship to a country one: (type, start id, country code, past, property).
CountryKey = tuple[str, str, str, bool, str]


def country_rel_row(key: CountryKey, stated: _Sources) -> RelRow:
    rel_type, start, code, past, prop = key
    props: dict[str, Any] = {"id": _rel_id(rel_type, start, code, past, prop), "property": prop,
                             **stated.props()}
    if past:
        props["past"] = True
    props[HASH] = content_hash([rel_type], props)
    return RelRow(rel_type, start, code, props)


class _Scratch:
    """A temporary SQLite file that sorts and groups what spans nodes, so memory does not grow
    with the store: the node ids (a relation is kept only when both its ends are nodes), the
    country relationship statements, and the relation statements. SQLite compares text in
    code-point order (UTF-8 bytes), which is Python's string order, so `ORDER BY` here gives
    what `sorted` gave."""

    _BATCH: Final = 5000

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="sanctions-graph-neo4j-")
        self.conn = sqlite3.connect(Path(self._folder.name) / "sort.db")
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.execute("CREATE TABLE known (id TEXT PRIMARY KEY) WITHOUT ROWID")
        self.conn.execute("CREATE TABLE links (rel_type TEXT, start TEXT, code TEXT,"
                          " past INTEGER, prop TEXT, source TEXT, list_date TEXT, record TEXT)")
        self.conn.execute("CREATE TABLE edges (key TEXT, subject TEXT, object TEXT, item BLOB)")
        self._known: list[tuple[str]] = []
        self._links: list[LinkStatement] = []

    def __enter__(self) -> _Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
        self._folder.cleanup()

    def add_node(self, node_id: str, links: Iterable[LinkStatement]) -> None:
        self._known.append((node_id,))
        self._links.extend(links)
        if len(self._known) >= self._BATCH or len(self._links) >= self._BATCH:
            self.flush()

    def flush(self) -> None:
        self.conn.executemany("INSERT INTO known VALUES (?)", self._known)
        self.conn.executemany("INSERT INTO links VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self._links)
        self._known.clear()
        self._links.clear()

    def country_links(self) -> Iterator[tuple[CountryKey, _Sources]]:
        """Each distinct country relationship with its sources, by (type, start, code, past,
        property)."""
        rows = self.conn.execute(
            "SELECT rel_type, start, code, past, prop, source, list_date, record FROM links"
            " ORDER BY rel_type, start, code, past, prop")
        for (rel_type, start, code, past, prop), group in itertools.groupby(
                rows, key=lambda r: r[:5]):
            stated = _Sources()
            for row in group:
                stated.add(row[5], row[6], row[7])
            yield (rel_type, start, code, bool(past), prop), stated

    def add_edges(self, items: Iterable[tuple[str, str, str, bytes]]) -> None:
        batches = iter(items)
        while batch := list(itertools.islice(batches, self._BATCH)):
            self.conn.executemany("INSERT INTO edges VALUES (?, ?, ?, ?)", batch)

    def edge_groups(self) -> Iterator[list[bytes]]:
        """The statements of each relation whose both ends are nodes, grouped by key, in the
        order of the keys' text and, within one, in the order they were added."""
        rows = self.conn.execute(
            "SELECT key, item FROM edges WHERE subject IN known AND object IN known"
            " ORDER BY key, rowid")
        for _key, group in itertools.groupby(rows, key=lambda r: r[0]):
            yield [item for _, item in group]


#: What makes a relation between entities one relationship: (type, subject, object, role,
#: start date, end date, percentage, claimed by an analyst).
RelationKey = tuple[str, str, str, str | None, str | None, str | None, float | None, bool]
#: One source's statement of a relation: its key, source, list date, record id, properties.
RelationStatement = tuple[RelationKey, str, str | None, str, dict[str, list[str]]]


def _relations(edges: Iterable[Edge], scratch: _Scratch) -> Iterator[RelRow]:
    """The relationships between entities, one per key, in the order of the keys' `repr`."""
    types = {kind.value: shape.neo4j_type for kind, shape in RELATION_SHAPES.items()}

    def statements() -> Iterator[tuple[str, str, str, bytes]]:
        for edge in edges:
            rel_type = types.get(edge.kind)
            if rel_type is None:
                raise StoreError(f"relation kind {edge.kind!r} is not in RELATION_SHAPES "
                                 "(upgrade sanctions-graph)")
            # An analyst's claim and an official listing of the same tie stay two
            # relationships, so Cypher can always tell evidence from official data.
            claimed = bool(edge.properties.get(EVIDENCE_PROPERTY))
            key: RelationKey = (rel_type, edge.subject, edge.object, edge.role,
                                edge.start_date, edge.end_date, edge.percentage, claimed)
            prov = edge.provenance
            item: RelationStatement = (key, prov.source, prov.list_date, prov.record_id,
                                       edge.properties)
            yield repr(key), edge.subject, edge.object, marshal.dumps(item)

    scratch.add_edges(statements())
    for group in scratch.edge_groups():
        yield relation_row([marshal.loads(item) for item in group])


def relation_row(statements: Sequence[RelationStatement]) -> RelRow:
    """One relationship between entities from every statement of its key (in the store's
    order)."""
    key = statements[0][0]
    stated = _Sources()
    extra: dict[str, list[str]] = {}
    for _key, source, list_date, record_id, properties in statements:
        stated.add(source, list_date, record_id)
        for prop, values in properties.items():
            name = f"source_{prop}" if prop in REL_RESERVED else prop
            merged = extra.setdefault(name, [])
            merged.extend(v for v in values if v not in merged)
    rel_type, subject, obj, role, start_date, end_date, percentage, claimed = key
    props: dict[str, Any] = {"id": _rel_id(*key[:-1], *(("evidence",) if claimed else ())),
                             "kind": relation_types()[rel_type].value}
    for name, value in (("role", role), ("start_date", start_date),
                        ("end_date", end_date), ("percentage", percentage)):
        if value is not None:
            props[name] = value
    props.update(stated.props())
    props.update({k: v for k, v in extra.items() if v})
    props[HASH] = content_hash([rel_type], props)
    return RelRow(rel_type, subject, obj, props)


def vessel_imo(values: Iterable[str]) -> str | None:
    """A vessel's lookup IMO number: the smallest valid one it states, else the first stated."""
    stated = list(values)
    valid = sorted(imo for v in stated if (imo := clean_imo_ship(v)))
    return valid[0] if valid else (stated[0] if stated else None)


def program_id(authority: str, program: str) -> str:
    return f"{authority}/{program}"


def _programs(listings: Iterable[Listing]) -> dict[str, tuple[str, str]]:
    """Each programme id with its authority and programme, as the last listing naming it
    states them."""
    return {program_id(item.authority, item.program): (item.authority, item.program)
            for item in listings}


def sanction_rows(listings: Iterable[Listing], programs: Mapping[str, tuple[str, str]]
                  ) -> list[RelRow]:
    """The `SANCTIONED_UNDER` relationships of one entity's listings (or of listings in entity
    order): one per (entity, programme, listing date), by those."""
    grouped: dict[tuple[str, str, str | None], tuple[_Sources, dict[str, None]]] = {}
    for item in listings:
        pid = program_id(item.authority, item.program)
        stated, urls = grouped.setdefault((item.entity, pid, item.listing_date),
                                          (_Sources(), {}))
        prov = item.provenance
        stated.add(prov.source, prov.list_date, prov.record_id)
        if item.source_url:
            urls[item.source_url] = None
    rows = []
    for (entity, pid, listing_date), (stated, urls) in sorted(
        grouped.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")
    ):
        authority, program = programs[pid]
        props: dict[str, Any] = {"id": _rel_id(SANCTIONED_UNDER, entity, pid, listing_date),
                                 "authority": authority, "program": program}
        if listing_date:
            props["listing_date"] = listing_date
        if urls:
            props["source_url"] = list(urls)
        props.update(stated.props())
        props[HASH] = content_hash([SANCTIONED_UNDER], props)
        rows.append(RelRow(SANCTIONED_UNDER, entity, pid, props))
    return rows

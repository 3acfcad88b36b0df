"""Paths to power: shortest paths between two entities, exposure to sanctioned entities, and the
nearest state actor, over a compact index of the merged graph.

The index (`PathIndex`) numbers the canonical nodes and keeps the relations as arrays: an
undirected adjacency in CSR form (`indptr`, `adj_node`, `adj_edge`) and, per relation, its
subject, object, kind, evidence flag and ownership percentage. Breadth-first search expands a
whole level at once with array operations, from both ends for `path`, so a query on a million
nodes touches only the few thousand around its two ends. The details behind an index edge (the
statements of each source, with provenance) come from `IndexDetails`: the store's own relations
for a store, generated ones for the benchmark's synthetic graph; the search code is the same.

One index edge is one (subject, object, kind, role) as official sources state it, or as
evidence states it: evidence never shares an index edge with an official listing, so every step
of a path says which it is.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

from graph.errors import NotFoundError, QueryError
from graph.identifiers import clean_imo_company, clean_imo_ship, looks_like_imo
from graph.model import EVIDENCE_PROPERTY, RELATION_SHAPES, RelationKind, Schema
from graph.normalize import normalize_name, normalize_vessel_name
from graph.resolve import COMPANY_KEY, SHIP_KEY
from graph.shares import stated_share
from graph.store import Store
from graph.view import Edge, Provenance
from queries.container import Lazy, Part, part_text, read_parts, text_part, write_parts
from queries.lookup import find_by_name
from queries.state import state_actor, state_actor_ids

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]

#: Relation kinds in index order: an edge's kind is its position here.
KINDS: Final = tuple(RelationKind)
KIND_CODE: Final = {kind: n for n, kind in enumerate(KINDS)}
OWNERSHIP_CODE: Final = KIND_CODE[RelationKind.OWNERSHIP]

#: Cost of one step when ranking exposure: ownership and control (owner, operator, manager,
#: director) cost 1, a looser tie (a list's "linked to", an analyst's shipment claim) costs 2, so a
#: sanctioned owner two steps up ranks with a sanctioned "linked" party one step away.
CONTROL_COST: Final = 1
LOOSE_COST: Final = 2

#: Default bound on path length: chains in the lists are a few steps long; past this a "path"
#: through hubs says nothing about control.
DEFAULT_MAX_HOPS: Final = 6
#: Most paths `--all` lists; the count is still reported when there are more.
MAX_PATHS: Final = 50
#: Most hits `exposure` returns by default.
DEFAULT_EXPOSURE_LIMIT: Final = 50


class IndexDetails(Protocol):
    """What a path needs beyond the arrays: names, schemata, statements, programmes."""

    def node_id(self, node: int) -> str: ...
    def caption(self, node: int) -> str: ...
    def schema(self, node: int) -> str: ...
    def statements(self, edge: int) -> Sequence[Edge]: ...
    def programmes(self, node: int) -> list[str]: ...
    def state_kind(self, node: int) -> str | None: ...


class NodeNumbers(Protocol):
    """Node id -> node number: a dict, or a lookup that holds no entry per node."""

    def __getitem__(self, key: str, /) -> int: ...
    def __contains__(self, key: object, /) -> bool: ...


@dataclass(slots=True)
class PathIndex:
    """The merged graph as arrays, for path, exposure and the 50% rule."""

    n: int
    #: Node id -> node number.
    index: NodeNumbers
    indptr: IntArray
    adj_node: Int32Array
    adj_edge: Int32Array
    edge_subject: Int32Array
    edge_object: Int32Array
    edge_kind: npt.NDArray[np.int8]
    edge_evidence: BoolArray
    #: The lowest and highest ownership percentage the statements of an edge give (NaN: none).
    edge_pct: FloatArray
    sanctioned: BoolArray
    state: BoolArray
    details: IndexDetails
    #: Ownership edges by object (who holds a stake in it) and by subject (what it holds).
    own_up_ptr: IntArray
    own_up_edge: Int32Array
    own_down_ptr: IntArray
    own_down_edge: Int32Array
    edge_pct_high: FloatArray
    #: What the index was built from (see `_index_key`); empty for an index built from arrays.
    key: str = ""
    #: Whether an edge's lowest (highest) stated bound is open: a band "more than 25%" (None:
    #: every bound closed, as for exact figures).
    edge_low_open: BoolArray | None = None
    edge_high_open: BoolArray | None = None

    @property
    def edges(self) -> int:
        return int(self.edge_subject.shape[0])

    def nbytes(self) -> int:
        arrays = (self.indptr, self.adj_node, self.adj_edge, self.edge_subject, self.edge_object,
                  self.edge_kind, self.edge_evidence, self.edge_pct, self.edge_pct_high,
                  self.sanctioned, self.state,
                  self.own_up_ptr, self.own_up_edge, self.own_down_ptr, self.own_down_edge)
        return sum(int(a.nbytes) for a in arrays)


def _csr(n: int, keys: IntArray, *values: Int32Array) -> tuple[IntArray, list[Int32Array]]:
    """Compressed rows: `indptr` over `keys` (0..n-1) and each of `values` in key order."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, [v[order].astype(np.int32, copy=False) for v in values]


def _adjacency(n: int, subject: Int32Array, obj: Int32Array, kind: npt.NDArray[np.int8]
               ) -> dict[str, Any]:
    """The compressed-row arrays over relation arrays: the undirected adjacency, and ownership
    edges by object and by subject (kept in the store's index file, so a query sorts nothing)."""
    m = subject.shape[0]
    edge_ids = np.arange(m, dtype=np.int32)
    indptr, (adj_edge, other) = _csr(
        n, np.concatenate([subject, obj]).astype(np.int64),
        np.concatenate([edge_ids, edge_ids]), np.concatenate([obj, subject]).astype(np.int32),
    )
    owned = np.flatnonzero(kind == OWNERSHIP_CODE).astype(np.int32)
    up_ptr, (up_edge,) = _csr(n, obj[owned].astype(np.int64), owned)
    down_ptr, (down_edge,) = _csr(n, subject[owned].astype(np.int64), owned)
    return {"indptr": indptr, "adj_node": other, "adj_edge": adj_edge,
            "own_up_ptr": up_ptr, "own_up_edge": up_edge,
            "own_down_ptr": down_ptr, "own_down_edge": down_edge}


#: The arrays `_adjacency` makes.
_ADJACENCY: Final = ("indptr", "adj_node", "adj_edge", "own_up_ptr", "own_up_edge",
                     "own_down_ptr", "own_down_edge")


def build_index(
    *,
    ids: Sequence[str] | None,
    n: int,
    subject: Int32Array,
    obj: Int32Array,
    kind: npt.NDArray[np.int8],
    evidence: BoolArray,
    pct: FloatArray,
    sanctioned: BoolArray,
    state: BoolArray,
    details: IndexDetails,
    index: NodeNumbers | None = None,
    key: str = "",
    pct_high: FloatArray | None = None,
    adjacency: Mapping[str, Any] | None = None,
    low_open: BoolArray | None = None,
    high_open: BoolArray | None = None,
) -> PathIndex:
    """The index from relation arrays (node numbers 0..n-1); `ids` names the nodes (the
    synthetic benchmark graph and the store's index pass `index` lazily instead), `adjacency`
    the compressed rows when they were kept (else they are made here)."""
    adj = adjacency if adjacency is not None else _adjacency(n, subject, obj, kind)
    return PathIndex(
        n=n,
        index=index if index is not None else {v: i for i, v in enumerate(ids or ())},
        indptr=adj["indptr"], adj_node=adj["adj_node"], adj_edge=adj["adj_edge"],
        edge_subject=subject.astype(np.int32, copy=False),
        edge_object=obj.astype(np.int32, copy=False),
        edge_kind=kind, edge_evidence=evidence, edge_pct=pct,
        edge_pct_high=pct_high if pct_high is not None else pct,
        sanctioned=sanctioned, state=state, details=details,
        own_up_ptr=adj["own_up_ptr"], own_up_edge=adj["own_up_edge"],
        own_down_ptr=adj["own_down_ptr"], own_down_edge=adj["own_down_edge"],
        key=key, edge_low_open=low_open, edge_high_open=high_open,
    )


# -- the store's index ---------------------------------------------------------------------------


class SortedIds:
    """Node id -> node number over the ids in sorted order (the store's index numbers its nodes
    by id): a binary search reading some twenty ids, never a dict of every id."""

    __slots__ = ("ids",)

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = ids

    def get(self, key: object) -> int | None:
        if not isinstance(key, str):
            return None
        number = bisect.bisect_left(self.ids, key)
        return number if number < len(self.ids) and self.ids[number] == key else None

    def __getitem__(self, key: str, /) -> int:
        number = self.get(key)
        if number is None:
            raise KeyError(key)
        return number

    def __contains__(self, key: object, /) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return len(self.ids)


def _sparse(nodes: npt.NDArray[Any], node: int) -> int | None:
    """The position of `node` in a sorted array of node numbers, None when absent."""
    at = int(np.searchsorted(nodes, node))
    return at if at < len(nodes) and int(nodes[at]) == node else None


class StoreDetails:
    """Details of a store-built index, read from the parts of its index file only as a query
    asks for them: ids, captions and each edge's statements are `Lazy` (one JSON text each,
    decoded when first read), schemata are codes into a short list of names, programmes and
    state kinds are kept for the nodes that have them only. Reading the file decodes nothing
    per node or per edge."""

    def __init__(self, parts: Mapping[str, Part], meta: Mapping[str, Any]) -> None:
        self.ids: Lazy[str] = Lazy.from_parts(parts, "ids")
        self.captions: Lazy[str] = Lazy.from_parts(parts, "captions")
        self._schema_codes = parts["schema"]
        self._schema_names = [str(name) for name in meta["schemata"]]
        self._subject = parts["subject"]
        self._object = parts["object"]
        #: Per edge: [kind, role, rows], a row per statement (`_statement_row`).
        self._statements: Lazy[list[Any]] = Lazy.from_parts(parts, "statements")
        #: The (source, list date) pairs the rows refer to by position.
        self._versions = [(str(source), date) for source, date in meta["versions"]]
        self._edges: dict[int, list[Edge]] = {}
        self._programme_nodes = parts["programme_nodes"]
        self._programmes: Lazy[list[str]] = Lazy.from_parts(parts, "programmes")
        self._state_nodes = parts["state_nodes"]
        self._states: Lazy[str] = Lazy.from_parts(parts, "states")
        n = len(self.ids)
        if not (len(self.captions) == len(self._schema_codes) == n
                and len(self._statements) == len(self._subject) == len(self._object)
                and len(self._programmes) == len(self._programme_nodes)
                and len(self._states) == len(self._state_nodes)):
            raise ValueError("index parts of different lengths")

    def node_id(self, node: int) -> str:
        return self.ids[node]

    def caption(self, node: int) -> str:
        return self.captions[node]

    def schema(self, node: int) -> str:
        return self._schema_names[int(self._schema_codes[node])]

    def statements(self, edge: int) -> Sequence[Edge]:
        edges = self._edges.get(edge)
        if edges is None:
            kind, role, rows = self._statements[edge]
            subject = self.ids[int(self._subject[edge])]
            obj = self.ids[int(self._object[edge])]
            versions = self._versions
            edges = self._edges[edge] = [
                Edge(kind, role, subject, obj, start, end, pct,
                     Provenance(versions[version][0], versions[version][1], record), props)
                for start, end, pct, version, record, props in rows
            ]
        return edges

    def programmes(self, node: int) -> list[str]:
        at = _sparse(self._programme_nodes, node)
        return [] if at is None else list(self._programmes[at])

    def state_kind(self, node: int) -> str | None:
        at = _sparse(self._state_nodes, node)
        return None if at is None else self._states[at]


def _lazy_parts(name: str, values: Iterable[object]) -> dict[str, Part]:
    blob, offsets = Lazy.encode(values)
    return {f"{name}.blob": np.frombuffer(blob, dtype=np.uint8), f"{name}.offsets": offsets}




_CACHE: dict[str, PathIndex] = {}


def is_evidence(edge: Edge) -> bool:
    return EVIDENCE_PROPERTY in edge.properties


#: Arrays of a store's index kept in its index file, beside the store.
_ARRAYS: Final = ("subject", "object", "kind", "evidence", "pct", "pct_high", "low_open",
                  "high_open", "sanctioned", "state", "schema", "programme_nodes", "state_nodes",
                  *_ADJACENCY)
#: Layout of the index file: part of its key, so a file of another layout is rebuilt, never
#: misread. 2: ids, captions and statements as `Lazy` parts, the compressed rows kept. 3: stated
#: share bands, their open ends (`low_open`, `high_open`).
INDEX_LAYOUT: Final = 3


def index_path(store: Store) -> Path:
    """The index file of a store: a cache beside it, rebuilt whenever the store changes; flat
    arrays signed with the store's key (`queries.container`), so one altered beside the store
    (a sanction flag cleared) or written by another store is never read."""
    return store.path.with_name(store.path.name + ".paths-index")


def _index_key(store: Store) -> str:
    """Changes whenever the merged view does: the store's generation counts changes of one
    file, the current loads tell a file rebuilt at the same path (the demo) from the old one."""
    loads = [(i.id, i.checksum, i.loaded_at) for i in store.loads(current_only=True)]
    return hashlib.sha256(
        json.dumps([INDEX_LAYOUT, store.generation(), loads]).encode()).hexdigest()


def store_index(store: Store) -> PathIndex:
    """The path index of a store: from memory, else from its index file when that is current,
    else built from the store (and written to the file for the next command). The key and the
    arrays are read in one snapshot, so an index is never stamped newer than what it holds."""
    secret = store.index_key()  # made before the snapshot: making it is a write
    with store.reading():
        key = _index_key(store)
        place = str(store.path.resolve())
        cached = _CACHE.get(place)
        if cached is not None and cached.key == key:
            return cached
        built = _read_index(index_path(store), key, secret) if secret else None
        if built is None:
            parts = _parts_from_store(store, key)
            if secret:
                _write_index(index_path(store), parts, secret)
            built = _index_from_parts(parts, key)
    _CACHE[place] = built
    return built


def _index_from_parts(parts: Mapping[str, Part], key: str) -> PathIndex:
    """The index over the parts of its file (read or just built): arrays as they are, the
    details decoded only as a query reads them."""
    meta: Any = part_text(parts["meta"])
    if meta.get("key") != key or meta.get("layout") != INDEX_LAYOUT:
        raise ValueError("index of another store state or layout")
    details = StoreDetails(parts, meta)
    a: dict[str, Any] = {name: parts[name] for name in _ARRAYS}
    n = len(details.ids)
    if not (len(a["sanctioned"]) == len(a["state"]) == len(a["indptr"]) - 1 == n):
        raise ValueError("index arrays of different lengths")
    return build_index(ids=None, n=n, subject=a["subject"], obj=a["object"], kind=a["kind"],
                       evidence=a["evidence"], pct=a["pct"], pct_high=a["pct_high"],
                       low_open=a["low_open"], high_open=a["high_open"],
                       sanctioned=a["sanctioned"], state=a["state"], details=details,
                       index=SortedIds(details.ids), key=key,
                       adjacency={name: a[name] for name in _ADJACENCY})


def _read_index(path: Path, key: str, secret: bytes) -> PathIndex | None:
    """The index in an index file, or None when it is missing, stale, unreadable, of another
    layout or not signed with the store's key (it is only a cache: the store is the truth)."""
    parts = read_parts(path, secret)
    if parts is None:
        return None
    try:
        return _index_from_parts(parts, key)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_index(path: Path, parts: Mapping[str, Part], secret: bytes) -> None:
    # A read-only directory only costs the next command a rebuild.
    with contextlib.suppress(OSError):
        write_parts(path, parts, secret)


def _parts_from_store(store: Store, key: str) -> dict[str, Part]:
    """The index file's parts, built from the store. Nodes are numbered in the order of their
    ids (sorted here too, so `SortedIds` holds whatever order the store returns them in)."""
    nodes = sorted((node.id, node.caption, node.schema) for node in store.iter_nodes())
    ids = [node[0] for node in nodes]
    index = {v: i for i, v in enumerate(ids)}
    schema_names = sorted({node[2] for node in nodes})
    schema_code = {name: i for i, name in enumerate(schema_names)}
    grouped: dict[tuple[str, str, str, str | None, bool], list[Edge]] = defaultdict(list)
    for edge in store.iter_edges():
        if edge.subject == edge.object or edge.subject not in index or edge.object not in index:
            continue
        grouped[(edge.subject, edge.object, edge.kind, edge.role, is_evidence(edge))].append(edge)
    statements = list(grouped.values())
    keys = list(grouped)
    m = len(keys)
    n = len(ids)
    subject = np.fromiter((index[k[0]] for k in keys), dtype=np.int32, count=m)
    obj = np.fromiter((index[k[1]] for k in keys), dtype=np.int32, count=m)
    kind = np.fromiter((KIND_CODE.get(RelationKind(k[2]), 0) for k in keys), dtype=np.int8,
                       count=m)
    versions: dict[tuple[str, str | None], int] = {}

    def row(edge: Edge) -> list[Any]:
        p = edge.provenance
        version = versions.setdefault((p.source, p.list_date), len(versions))
        return [edge.start_date, edge.end_date, edge.percentage, version, p.record_id,
                edge.properties]

    items = [[k[2], k[3], [row(e) for e in group]] for k, group in zip(keys, statements,
                                                                      strict=True)]
    sanctioned = np.zeros(n, dtype=np.bool_)
    programmes: dict[int, list[str]] = defaultdict(list)
    for listing in store.iter_listings():
        number = index.get(listing.entity)
        if number is not None:
            sanctioned[number] = True
            label = f"{listing.authority} {listing.program}"
            if label not in programmes[number]:
                programmes[number].append(label)
    state = np.zeros(n, dtype=np.bool_)
    states: dict[int, str] = {}
    for node_id in state_actor_ids(store):
        actor = state_actor(store, node_id)
        if node_id in index and actor is not None:
            state[index[node_id]] = True
            states[index[node_id]] = f"{actor.kind} ({actor.reason})"
    listed, actors = sorted(programmes), sorted(states)
    meta = {"key": key, "layout": INDEX_LAYOUT, "schemata": schema_names,
            "versions": [list(v) for v in versions]}
    return {
        "meta": text_part(meta),
        **_lazy_parts("ids", ids),
        **_lazy_parts("captions", (node[1] for node in nodes)),
        "schema": np.fromiter((schema_code[node[2]] for node in nodes),
                              dtype=np.uint8 if len(schema_names) < 256 else np.int32,
                              count=n),
        "subject": subject, "object": obj, "kind": kind,
        "evidence": np.fromiter((k[4] for k in keys), dtype=np.bool_, count=m),
        **_share_arrays(statements),
        "sanctioned": sanctioned, "state": state,
        **_adjacency(n, subject, obj, kind),
        **_lazy_parts("statements", items),
        "programme_nodes": np.array(listed, dtype=np.int32),
        **_lazy_parts("programmes", (programmes[k] for k in listed)),
        "state_nodes": np.array(actors, dtype=np.int32),
        **_lazy_parts("states", (states[k] for k in actors)),
    }


def _share_arrays(statements: Sequence[Sequence[Edge]]) -> dict[str, Part]:
    """Per index edge, the lowest and highest bound its statements give (an exact figure or a
    band; NaN when none gives one) and whether that bound is open: at equal bounds the closed
    one wins, as it takes in more."""
    m = len(statements)
    low = np.full(m, np.nan, dtype=np.float32)
    high = np.full(m, np.nan, dtype=np.float32)
    low_open = np.zeros(m, dtype=np.bool_)
    high_open = np.zeros(m, dtype=np.bool_)
    for at, edges in enumerate(statements):
        shares = [stated for e in edges
                  if (stated := stated_share(e.percentage, e.properties)) is not None]
        if shares:
            low[at], low_open[at] = min((s.low, s.low_open) for s in shares)
            high[at], closed = max((s.high, not s.high_open) for s in shares)
            high_open[at] = not closed
    return {"pct": low, "pct_high": high, "low_open": low_open, "high_open": high_open}


# -- finding the nodes a user means --------------------------------------------------------------


def find_node(store: Store, text: str) -> str:
    """The canonical id for a canonical id, a `source:id`, an IMO number or a name.

    A name that fits several nodes is an error listing them: a path from the wrong MARIA is
    worse than none.
    """
    query = text.strip()
    if not query:
        raise QueryError("empty reference: give an id, an IMO number or a name")
    if store.node(query) is not None:
        return query
    if (canonical := store.canonical_of(query)) is not None:
        return canonical
    if looks_like_imo(query):
        ship, company = clean_imo_ship(query), clean_imo_company(query)
        if ship is None and company is None:
            raise QueryError(f"{query!r} is neither a valid IMO ship number nor an IMO company "
                             "number (check digit)")
        found = sorted({*(store.by_key(f"{SHIP_KEY}:{ship}") if ship else []),
                        *(store.by_key(f"{COMPANY_KEY}:{company}") if company else [])})
        how = "IMO number"
    else:
        found = sorted({*store.by_norm_name(normalize_name(query)),
                        *store.by_norm_name(normalize_vessel_name(query), Schema.VESSEL)})
        how = "name"
        if not found:
            lookup = find_by_name(store, query)
            found = list(lookup.ids)
            how = lookup.matched_by
    if not found:
        raise NotFoundError(f"nothing matches {query!r} (by {how})")
    if len(found) > 1:
        shown = []
        for cid in found[:10]:
            node = store.node(cid)
            shown.append(f"{node.caption} ({node.schema}, {cid})" if node else cid)
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        raise QueryError(f"{query!r} fits {len(found)} nodes (by {how}): {'; '.join(shown)}"
                         f"{more}; give an id or an IMO number")
    return found[0]


def parse_kinds(names: Iterable[str]) -> set[RelationKind]:
    """Relation kinds from their names (`ownership`, `link` ...), for `--via`."""
    kinds: set[RelationKind] = set()
    for name in names:
        for part in name.split(","):
            key = part.strip().lower()
            if not key:
                continue
            try:
                kinds.add(RelationKind(key))
            except ValueError:
                known = ", ".join(k.value for k in RelationKind)
                raise QueryError(f"unknown relation kind {key!r}; known: {known}") from None
    return kinds


# -- answers -------------------------------------------------------------------------------------


@dataclass(slots=True)
class NodeRef:
    id: str
    caption: str
    schema: str
    sanctioned: bool
    state_actor: str | None


@dataclass(slots=True)
class StepRelation:
    """One relation behind a step, as one or more sources (or one evidence file) state it."""

    kind: str
    role: str | None
    subject: str
    object: str
    start_date: str | None
    end_date: str | None
    percentage: float | None
    #: The citation when this is an analyst's claim; None for an official source.
    evidence: str | None
    confidence: str | None
    sources: list[Provenance]
    #: A stated band ("more than 25%, at most 50%") when no exact figure is stated.
    share: str | None = None


@dataclass(slots=True)
class Step:
    source: str
    target: str
    relations: list[StepRelation]

    @property
    def evidence(self) -> bool:
        return all(r.evidence for r in self.relations)


@dataclass(slots=True)
class PathOut:
    nodes: list[NodeRef]
    steps: list[Step]

    @property
    def hops(self) -> int:
        return len(self.steps)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for step, out in zip(self.steps, data["steps"], strict=True):
            out["evidence"] = step.evidence
        return data


@dataclass(slots=True)
class PathAnswer:
    source: NodeRef
    target: NodeRef
    hops: int | None
    paths: list[PathOut]
    total_paths: int
    max_hops: int
    via: list[str] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": asdict(self.source), "target": asdict(self.target), "hops": self.hops,
            "total_paths": self.total_paths, "max_hops": self.max_hops, "via": self.via,
            "paths": [p.to_dict() for p in self.paths],
        }


@dataclass(slots=True)
class ExposureHit:
    node: NodeRef
    hops: int
    cost: int
    programmes: list[str]
    path: PathOut

    def to_dict(self) -> dict[str, Any]:
        return {"node": asdict(self.node), "hops": self.hops, "cost": self.cost,
                "programmes": self.programmes, "path": self.path.to_dict()}


@dataclass(slots=True)
class ExposureAnswer:
    source: NodeRef
    hops: int
    hits: list[ExposureHit]
    total: int
    via: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": asdict(self.source), "hops": self.hops, "total": self.total,
                "via": self.via, "hits": [h.to_dict() for h in self.hits]}


def node_ref(idx: PathIndex, node: int) -> NodeRef:
    d = idx.details
    return NodeRef(d.node_id(node), d.caption(node), d.schema(node), bool(idx.sanctioned[node]),
                   d.state_kind(node) if idx.state[node] else None)


def _step(idx: PathIndex, a: int, b: int, edges: list[int]) -> Step:
    relations = []
    d = idx.details
    for e in edges:
        statements = d.statements(e)
        first = statements[0]
        evidence = first.properties.get(EVIDENCE_PROPERTY)
        confidence = first.properties.get("confidence")
        known = [s.percentage for s in statements if s.percentage is not None]
        bands = [stated for s in statements
                 if (stated := stated_share(s.percentage, s.properties)) is not None]
        relations.append(StepRelation(
            kind=first.kind, role=first.role,
            subject=d.node_id(int(idx.edge_subject[e])), object=d.node_id(int(idx.edge_object[e])),
            start_date=first.start_date, end_date=first.end_date,
            percentage=known[0] if known else None,
            evidence=evidence[0] if evidence else None,
            confidence=confidence[0] if confidence else None,
            sources=[s.provenance for s in statements],
            share=bands[0].words if bands and not known else None,
        ))
    # Official relations first: evidence is shown beside them, never instead.
    relations.sort(key=lambda r: (r.evidence is not None, r.kind))
    return Step(d.node_id(a), d.node_id(b), relations)


def path_out(idx: PathIndex, nodes: Sequence[int], mask: BoolArray | None = None) -> PathOut:
    steps = [_step(idx, a, b, edges_between(idx, a, b, mask)) for a, b in pairwise(nodes)]
    return PathOut([node_ref(idx, n) for n in nodes], steps)


# -- search --------------------------------------------------------------------------------------


def kind_mask(kinds: set[RelationKind] | None) -> BoolArray | None:
    """Allowed kinds as a mask over kind codes (None: every kind)."""
    if not kinds:
        return None
    return np.array([k in kinds for k in KINDS], dtype=np.bool_)


def _expand(
    idx: PathIndex, frontier: Int32Array, mask: BoolArray | None
) -> tuple[Int32Array, Int32Array, Int32Array]:
    """Every (from, to, edge) leaving a set of nodes, as three arrays."""
    starts = idx.indptr[frontier]
    counts = idx.indptr[frontier + 1] - starts
    total = int(counts.sum())
    if total == 0:
        empty = np.empty(0, dtype=np.int32)
        return empty, empty, empty
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)
    to = idx.adj_node[offsets]
    edge = idx.adj_edge[offsets]
    src = np.repeat(frontier, counts).astype(np.int32)
    if mask is not None:
        keep = mask[idx.edge_kind[edge]]
        src, to, edge = src[keep], to[keep], edge[keep]
    return src, to, edge


def edges_between(idx: PathIndex, a: int, b: int, mask: BoolArray | None) -> list[int]:
    lo, hi = int(idx.indptr[a]), int(idx.indptr[a + 1])
    nbr = idx.adj_node[lo:hi]
    edges = idx.adj_edge[lo:hi][nbr == b]
    if mask is not None:
        edges = edges[mask[idx.edge_kind[edges]]]
    return [int(e) for e in np.unique(edges)]


def _predecessors(idx: PathIndex, node: int, dist: npt.NDArray[np.int16],
                  mask: BoolArray | None) -> list[int]:
    """Neighbours one level nearer the search's start."""
    lo, hi = int(idx.indptr[node]), int(idx.indptr[node + 1])
    nbr = idx.adj_node[lo:hi]
    if mask is not None:
        nbr = nbr[mask[idx.edge_kind[idx.adj_edge[lo:hi]]]]
    want = dist[node] - 1
    return [int(p) for p in np.unique(nbr[dist[nbr] == want])]


def _walks(idx: PathIndex, node: int, dist: npt.NDArray[np.int16], mask: BoolArray | None,
           limit: int) -> list[list[int]]:
    """Up to `limit` shortest walks from `node` back to the search's start (node first)."""
    if dist[node] == 0:
        return [[node]]
    walks: list[list[int]] = []
    for pred in _predecessors(idx, node, dist, mask):
        for walk in _walks(idx, pred, dist, mask, limit - len(walks)):
            walks.append([node, *walk])
            if len(walks) >= limit:
                return walks
    return walks


def shortest_paths(
    idx: PathIndex,
    a: int,
    b: int,
    *,
    kinds: set[RelationKind] | None = None,
    max_hops: int = DEFAULT_MAX_HOPS,
    all_paths: bool = False,
    limit: int = MAX_PATHS,
) -> tuple[int | None, list[list[int]], int]:
    """(length, node sequences, how many shortest paths there are) from `a` to `b`; length
    None when none is within `max_hops`. One path, or with `all_paths` up to `limit`.

    Bidirectional breadth-first search, a whole level at a time, expanding the side whose
    frontier has fewer relations. The first level at which the two searches meet gives the
    length; the paths are then read back through the levels of each side. Each side also
    counts the shortest paths reaching each node (the sum over its predecessors), so the total
    is exact however many there are.
    """
    if a == b:
        return 0, [[a]], 1
    mask = kind_mask(kinds)
    dist = (np.full(idx.n, -1, dtype=np.int16), np.full(idx.n, -1, dtype=np.int16))
    dist[0][a] = 0
    dist[1][b] = 0
    counts = (np.zeros(idx.n, dtype=np.float64), np.zeros(idx.n, dtype=np.float64))
    counts[0][a] = 1
    counts[1][b] = 1
    frontiers = [np.array([a], dtype=np.int32), np.array([b], dtype=np.int32)]
    depth = [0, 0]
    meet: Int32Array | None = None
    while depth[0] + depth[1] < max_hops and len(frontiers[0]) and len(frontiers[1]):
        work = [int((idx.indptr[f + 1] - idx.indptr[f]).sum()) for f in frontiers]
        side = 0 if work[0] <= work[1] else 1
        src, to, _ = _expand(idx, frontiers[side], mask)
        new = dist[side][to] < 0
        # One count per (predecessor, node) pair: parallel relations are one path.
        pairs = np.unique(src[new].astype(np.int64) * idx.n + to[new])
        fresh, slot = np.unique(pairs % idx.n, return_inverse=True)
        counts[side][fresh] = np.bincount(slot, weights=counts[side][pairs // idx.n],
                                          minlength=len(fresh))
        depth[side] += 1
        dist[side][fresh] = depth[side]
        frontiers[side] = fresh.astype(np.int32)
        hit = fresh[dist[1 - side][fresh] >= 0]
        if len(hit):
            meet = hit.astype(np.int32)
            break
    if meet is None:
        return None, [], 0
    length = depth[0] + depth[1]
    want = limit if all_paths else 1
    paths: list[list[int]] = []
    found = round(float((counts[0][meet] * counts[1][meet]).sum()))
    for node in (int(x) for x in meet):
        heads = _walks(idx, node, dist[0], mask, want)
        tails = _walks(idx, node, dist[1], mask, want)
        for head in heads:
            for tail in tails:
                if len(paths) < want:
                    paths.append([*reversed(head), *tail[1:]])
        if len(paths) >= want:
            break
    paths.sort(key=lambda p: [idx.details.caption(n) for n in p])
    return length, paths, found


def path_between(
    store: Store,
    a_text: str,
    b_text: str,
    *,
    kinds: set[RelationKind] | None = None,
    max_hops: int = DEFAULT_MAX_HOPS,
    all_paths: bool = False,
) -> PathAnswer:
    """Shortest paths between two entities, each step with its relations and sources."""
    idx = store_index(store)
    a = idx.index[find_node(store, a_text)]
    b = idx.index[find_node(store, b_text)]
    return path_answer(idx, a, b, kinds=kinds, max_hops=max_hops, all_paths=all_paths)


def path_answer(idx: PathIndex, a: int, b: int, *, kinds: set[RelationKind] | None = None,
                max_hops: int = DEFAULT_MAX_HOPS, all_paths: bool = False) -> PathAnswer:
    length, paths, found = shortest_paths(idx, a, b, kinds=kinds, max_hops=max_hops,
                                          all_paths=all_paths)
    mask = kind_mask(kinds)
    return PathAnswer(
        source=node_ref(idx, a), target=node_ref(idx, b), hops=length,
        paths=[path_out(idx, p, mask) for p in paths], total_paths=found, max_hops=max_hops,
        via=sorted(k.value for k in kinds) if kinds else None,
    )


def _levels(
    idx: PathIndex, start: int, hops: int, mask: BoolArray | None, *, weighted: bool
) -> tuple[npt.NDArray[np.int16], Int32Array, IntArray]:
    """Breadth-first levels from `start` up to `hops`: (distance, parent, cost) per node.

    Among the parents one level nearer, each node keeps the one giving the cheapest path by
    `CONTROL_COST`/`LOOSE_COST`, so the path shown is the strongest of the shortest.
    """
    dist = np.full(idx.n, -1, dtype=np.int16)
    parent = np.full(idx.n, -1, dtype=np.int32)
    cost = np.full(idx.n, np.iinfo(np.int64).max, dtype=np.int64)
    dist[start] = 0
    cost[start] = 0
    frontier = np.array([start], dtype=np.int32)
    control = np.array([RELATION_SHAPES[k].control for k in KINDS], dtype=np.bool_)
    for level in range(1, hops + 1):
        src, to, edge = _expand(idx, frontier, mask)
        new = dist[to] < 0
        src, to, edge = src[new], to[new], edge[new]
        if len(to) == 0:
            break
        if weighted:
            step = np.where(control[idx.edge_kind[edge]], CONTROL_COST, LOOSE_COST)
            total = cost[src] + step
            order = np.lexsort((total, to))
            to_sorted = to[order]
            first = np.ones(len(order), dtype=np.bool_)
            first[1:] = to_sorted[1:] != to_sorted[:-1]
            chosen = order[first]
            nodes = to[chosen]
            cost[nodes] = total[chosen]
            parent[nodes] = src[chosen]
        else:
            nodes, firsts = np.unique(to, return_index=True)
            parent[nodes] = src[firsts]
        dist[nodes] = level
        frontier = nodes.astype(np.int32)
    return dist, parent, cost


def _chain(parent: Int32Array, node: int) -> list[int]:
    out = [node]
    while parent[out[-1]] >= 0:
        out.append(int(parent[out[-1]]))
    return out[::-1]


def exposure_of(
    idx: PathIndex,
    start: int,
    hops: int,
    *,
    kinds: set[RelationKind] | None = None,
    limit: int | None = DEFAULT_EXPOSURE_LIMIT,
) -> ExposureAnswer:
    """Sanctioned entities within `hops` of `start`, nearest first: by path cost (ownership and
    control weigh more than looser ties), then by hops, then by name."""
    if hops < 1:
        raise QueryError("--hops must be at least 1")
    mask = kind_mask(kinds)
    dist, parent, cost = _levels(idx, start, hops, mask, weighted=True)
    reached = np.flatnonzero((dist >= 0) & idx.sanctioned)
    order = np.lexsort((dist[reached], cost[reached]))
    reached = reached[order]
    total = len(reached)
    chosen = reached if limit is None else reached[:limit]
    hits = []
    for node in (int(x) for x in chosen):
        hits.append(ExposureHit(
            node=node_ref(idx, node), hops=int(dist[node]), cost=int(cost[node]),
            programmes=idx.details.programmes(node),
            path=path_out(idx, _chain(parent, node), mask),
        ))
    hits.sort(key=lambda h: (h.cost, h.hops, h.node.caption))
    return ExposureAnswer(node_ref(idx, start), hops, hits, total,
                          sorted(k.value for k in kinds) if kinds else None)


def exposure(store: Store, text: str, hops: int, *, kinds: set[RelationKind] | None = None,
             limit: int | None = DEFAULT_EXPOSURE_LIMIT) -> ExposureAnswer:
    idx = store_index(store)
    return exposure_of(idx, idx.index[find_node(store, text)], hops, kinds=kinds, limit=limit)


def nearest_state_paths(
    idx: PathIndex, start: int, *, kinds: set[RelationKind] | None = None,
    max_hops: int = DEFAULT_MAX_HOPS, limit: int = 10,
) -> list[PathOut]:
    """Paths to the nearest state actors (every one at the least distance, up to `limit`)."""
    mask = kind_mask(kinds)
    if idx.state[start]:
        return [path_out(idx, [start], mask)]
    dist = np.full(idx.n, -1, dtype=np.int16)
    dist[start] = 0
    frontier = np.array([start], dtype=np.int32)
    for level in range(1, max_hops + 1):
        _, to, _ = _expand(idx, frontier, mask)
        fresh = np.unique(to[dist[to] < 0])
        if len(fresh) == 0:
            break
        dist[fresh] = level
        states = fresh[idx.state[fresh]]
        if len(states):
            paths: list[list[int]] = []
            for node in (int(x) for x in states):
                for walk in _walks(idx, node, dist, mask, limit - len(paths)):
                    paths.append(walk[::-1])
                if len(paths) >= limit:
                    break
            paths.sort(key=lambda p: [idx.details.caption(n) for n in p])
            return [path_out(idx, p, mask) for p in paths]
        frontier = fresh.astype(np.int32)
    return []


def path_to_state(store: Store, text: str, *, kinds: set[RelationKind] | None = None,
                  max_hops: int = DEFAULT_MAX_HOPS) -> tuple[NodeRef, list[PathOut]]:
    idx = store_index(store)
    start = idx.index[find_node(store, text)]
    return node_ref(idx, start), nearest_state_paths(idx, start, kinds=kinds, max_hops=max_hops)

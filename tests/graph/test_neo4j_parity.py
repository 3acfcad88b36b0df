"""Parity: the embedded answers and the Cypher library's answers agree, on the live graph.

Two hundred entities are drawn with a fixed seed from the live store (vessels, companies and
other organisations, people; most of them with at least one relation, so the comparison has
something to compare). For each:

- `owner` (vessels with an IMO number): the parties on the vessel with their relation type,
  role and evidence mark, from `who_owns`'s vessel answer and from `owner_by_imo`;
- `exposure --hops 3`: the sanctioned entities within three hops and the hops to each, from
  `exposure_of` and from `sanctioned_within_hops`;
- `path`: for a pair with the next sampled entity, and for a pair with an entity the embedded
  search reaches within six hops, the shortest-path length and (when there are few) the node
  sequences of every shortest path, from `shortest_paths` and from the `shortest_paths` query.

And over the whole graph: the nodes the embedded queries treat as state actors are the nodes
Neo4j labels `:StateActor`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from graph.model import RELATION_SHAPES, RelationKind
from graph.neo4j.library import library
from graph.neo4j.shape import GraphRows
from graph.neo4j.sync import Connection
from graph.store import Store
from queries.owner import vessel_answer
from queries.paths import (
    DEFAULT_MAX_HOPS,
    PathIndex,
    _levels,
    exposure_of,
    shortest_paths,
    store_index,
)
from tests.neo4j.database import session

pytestmark = pytest.mark.neo4j

SEED = 20261201
SAMPLE = {"Vessel": 70, "Company": 50, "Organization": 20, "Person": 60}
TYPES = {kind.value: shape.neo4j_type for kind, shape in RELATION_SHAPES.items()}
#: Most shortest paths compared one by one (beyond this only the length is compared).
FEW_PATHS = 20


@pytest.fixture(scope="module")
def sample(live_store: Store, live_graph: GraphRows) -> list[str]:
    related = {r.start for r in live_graph.rels if r.type in TYPES.values()}
    related |= {r.end for r in live_graph.rels if r.type in TYPES.values()}
    rng = random.Random(SEED)
    chosen: list[str] = []
    for schema, count in SAMPLE.items():
        ids = sorted(n.id for n in live_graph.nodes if n.props.get("schema") == schema)
        linked = [i for i in ids if i in related]
        picked = rng.sample(linked, min(len(linked), count * 3 // 4))
        rest = [i for i in ids if i not in set(picked)]
        picked += rng.sample(rest, count - len(picked))
        chosen += picked
    assert len(chosen) == sum(SAMPLE.values()) == 200
    return chosen


@pytest.fixture(scope="module")
def index(live_store: Store) -> PathIndex:
    return store_index(live_store)


@pytest.fixture(scope="module")
def cypher(pushed: Connection) -> Iterator[Any]:
    with session(pushed) as s:
        yield s


def rows(s: Any, name: str, **params: Any) -> list[dict[str, Any]]:
    return [r.data() for r in s.run(library()[name].statement, params)]


def _disagree(found: list[str], what: str) -> None:
    assert not found, f"{len(found)} {what} disagreements:\n" + "\n".join(found[:20])


def test_owner_parity(sample: list[str], live_store: Store, live_graph: GraphRows,
                      cypher: Any) -> None:
    imo = {n.id: n.props["imo"] for n in live_graph.nodes if "imo" in n.props}
    vessels = [v for v in sample if v in imo]
    assert len(vessels) >= 60
    found = []
    compared = 0
    for vessel in vessels:
        answer = vessel_answer(live_store, vessel)
        embedded = {(p.id, TYPES[RelationKind(p.kind).value], p.role, False)
                    for p in answer.parties}
        embedded |= {(p.id, TYPES[RelationKind(p.kind).value], p.role, True)
                     for p in answer.evidence_parties}
        got = rows(cypher, "owner_by_imo", imo=imo[vessel])
        in_neo4j = {(r["party_id"], r["relation"], r["role"], r["evidence"])
                    for r in got if r["party_id"] is not None}
        assert {r["vessel_id"] for r in got} == {vessel}
        compared += bool(embedded)
        if embedded != in_neo4j:
            found.append(f"{vessel}: only embedded {sorted(embedded - in_neo4j)}; "
                         f"only Cypher {sorted(in_neo4j - embedded)}")
    _disagree(found, "owner")
    assert compared >= 40


def test_exposure_parity(sample: list[str], index: PathIndex, cypher: Any) -> None:
    found = []
    reached = 0
    for entity in sample:
        answer = exposure_of(index, index.index[entity], 3, limit=None)
        embedded = {hit.node.id: hit.hops for hit in answer.hits}
        in_neo4j = {r["id"]: r["hops"] for r in rows(cypher, "sanctioned_within_hops",
                                                      id=entity, hops=3)}
        reached += len(embedded) > 1
        if embedded != in_neo4j:
            only_e = {k: v for k, v in embedded.items() if in_neo4j.get(k) != v}
            only_c = {k: v for k, v in in_neo4j.items() if embedded.get(k) != v}
            found.append(f"{entity}: embedded {sorted(only_e.items())[:5]}; "
                         f"Cypher {sorted(only_c.items())[:5]}")
    _disagree(found, "exposure")
    assert reached >= 50


def _pairs(sample: list[str], index: PathIndex) -> list[tuple[str, str]]:
    rng = random.Random(SEED + 1)
    out = []
    for n, a in enumerate(sample):
        out.append((a, sample[(n + 1) % len(sample)]))
        dist, _, _ = _levels(index, index.index[a], DEFAULT_MAX_HOPS, None, weighted=False)
        far = np.flatnonzero(dist >= 2)
        if len(far):
            out.append((a, index.details.node_id(int(rng.choice(far)))))
    return out


def test_path_parity(sample: list[str], index: PathIndex, cypher: Any) -> None:
    pairs = _pairs(sample, index)
    assert len(pairs) >= 300
    found = []
    connected = 0
    for a, b in pairs:
        length, paths, total = shortest_paths(index, index.index[a], index.index[b],
                                              all_paths=True, limit=FEW_PATHS + 1)
        got = rows(cypher, "shortest_paths", from_id=a, to_id=b)
        hops = {r["hops"] for r in got}
        in_neo4j = next(iter(hops)) if got else None
        connected += length is not None
        if len(hops) > 1 or in_neo4j != length:
            found.append(f"{a} -> {b}: embedded {length}, Cypher {sorted(hops)}")
            continue
        if length and total <= FEW_PATHS:
            embedded = {tuple(index.details.node_id(n) for n in p) for p in paths}
            cypher_paths = {tuple(r["ids"]) for r in got}
            if embedded != cypher_paths:
                found.append(f"{a} -> {b}: paths only embedded {sorted(embedded - cypher_paths)}"
                             f"; only Cypher {sorted(cypher_paths - embedded)}")
    _disagree(found, "path")
    assert connected >= 120


def test_state_actors_are_the_same_nodes(index: PathIndex, cypher: Any) -> None:
    """The nodes `owner` and `path` treat as state actors are the `:StateActor` nodes."""
    embedded = {index.details.node_id(int(n)) for n in np.flatnonzero(index.state)}
    in_neo4j = {r["id"] for r in cypher.run("MATCH (s:StateActor) RETURN s.id AS id")}
    assert len(embedded) >= 100
    _disagree([f"only embedded {sorted(embedded - in_neo4j)[:10]}",
               f"only Cypher {sorted(in_neo4j - embedded)[:10]}"]
              if embedded != in_neo4j else [], "state actor")

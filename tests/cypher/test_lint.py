"""Every Cypher statement the project can send passes Neo4j's own parser and semantic analyser
with zero diagnostics (errors and warnings alike), with its parameters declared and the graph's
labels, relationship types and property keys as the database schema: a misspelt label, type,
property, function or procedure fails here."""

from __future__ import annotations

import re
from typing import Any

import pytest

from graph.model import EVIDENCE_PROPERTY
from graph.neo4j.shape import GraphRows, build_graph, node_labels, relationship_types
from graph.neo4j.sync import ROW_KEYS, plan_sync
from graph.store import Store
from tests.cypher.statements import (
    Sent,
    every_statement,
    library_statements,
    lint,
    notebook_statements,
    sync_statements,
)

PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")


@pytest.fixture(scope="module")
def graph(ship_store: Store) -> GraphRows:
    return build_graph(ship_store)


def schema_of(graph: GraphRows) -> dict[str, list[str]]:
    keys = {k for n in graph.nodes for k in n.props} | {k for r in graph.rels for k in r.props}
    # The linter also checks keys read from parameter maps (`row.start`): the sync's row keys;
    # and the evidence mark of a claim's relationship, which these lists (no evidence file) lack.
    keys |= {*ROW_KEYS, EVIDENCE_PROPERTY}
    return {"labels": list(node_labels()), "relationshipTypes": list(relationship_types()),
            "propertyKeys": sorted(keys)}


#: Statements with one mistake each, linted beside the real ones: the bar means something only
#: if the linter reports typos the tables would not have caught.
BROKEN: list[Sent] = [
    Sent("broken: label", "MATCH (v:Vesel) RETURN v.caption", {}),
    Sent("broken: type", "MATCH (a:Entity)-[:OWN]->(b:Entity) RETURN a.id, b.id", {}),
    Sent("broken: property", "MATCH (v:Vessel) RETURN v.imoNumbr", {}),
    Sent("broken: parameter", "MATCH (v:Vessel {id: $vessel}) RETURN v.id", {}),
    Sent("broken: syntax", "MATCH (v:Vessel RETURN v", {}),
    Sent("broken: function", "MATCH (v:Vessel) RETURN lenght(v.name)", {}),
    Sent("broken: procedure", "CALL db.index.fulltext.queryNode('entity_names', 'x') YIELD node "
         "RETURN node", {}),
    Sent("broken: grouping", "MATCH (v:Vessel)<-[]-(p:Entity) "
         "RETURN [v] + collect(p) AS around", {}),
]


@pytest.fixture(scope="module")
def linted(graph: GraphRows) -> dict[str, list[dict[str, Any]]]:
    """One run of the linter over every statement and the broken ones (Node starts once)."""
    return lint(every_statement() + BROKEN, schema_of(graph))


def test_every_statement_lints_clean(linted: dict[str, list[dict[str, Any]]]) -> None:
    statements = every_statement()
    assert {s.id for s in statements} <= set(linted)
    bad = {s.id: linted[s.id] for s in statements if linted[s.id]}
    assert not bad, "\n".join(f"{sid}: {d['message']} (line {d['line'] + 1})"
                              for sid, found in bad.items() for d in found)


def test_the_linter_catches_mistakes(linted: dict[str, list[dict[str, Any]]]) -> None:
    missed = [s.id for s in BROKEN if not linted[s.id]]
    assert not missed


def test_the_collection_covers_every_source() -> None:
    assert len(sync_statements()) >= 40
    assert {s.id.removeprefix("library: ") for s in library_statements()} >= {
        "owner_by_imo", "owner_by_name", "ownership_chain", "shortest_paths",
        "sanctioned_within_hops", "shared_manager_fleets", "state_actor_chains"}
    cells = notebook_statements()
    assert len(cells) >= 5
    assert all(s.id.startswith("angara_cypher.ipynb") for s in cells)


def test_declared_parameters_are_exactly_the_used_ones() -> None:
    for sent in every_statement():
        used = set(PARAMETER.findall(sent.text))
        assert used == set(sent.parameters), sent.id


def test_every_statement_a_push_sends_is_in_the_linted_set(graph: GraphRows) -> None:
    linted = {s.text for s in sync_statements()}
    plan = plan_sync(graph)
    sent = {b.statement for b in plan.batches}
    assert sent <= linted
    assert len(sent) >= 10

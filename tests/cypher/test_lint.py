"""Every Cypher statement the project can send passes Neo4j's own parser and semantic analyser
with zero diagnostics (errors and warnings alike), with its parameters declared and the graph's
labels, relationship types and property keys as the database schema: a misspelt label, type,
property, function or procedure fails here."""

from __future__ import annotations

import re

import pytest

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
    # The linter also checks keys read from parameter maps (`row.start`): the sync's row keys.
    keys |= set(ROW_KEYS)
    return {"labels": list(node_labels()), "relationshipTypes": list(relationship_types()),
            "propertyKeys": sorted(keys)}


def test_every_statement_lints_clean(graph: GraphRows) -> None:
    statements = every_statement()
    diagnostics = lint(statements, schema_of(graph))
    assert set(diagnostics) == {s.id for s in statements}
    bad = {sid: found for sid, found in diagnostics.items() if found}
    assert not bad, "\n".join(f"{sid}: {d['message']} (line {d['line'] + 1})"
                              for sid, found in bad.items() for d in found)


def test_the_collection_covers_every_source() -> None:
    assert len(sync_statements()) >= 40
    assert {s.id.removeprefix("library: ") for s in library_statements()} >= {
        "owner_by_imo", "owner_by_name", "ownership_chain", "shortest_paths",
        "sanctioned_within_hops", "shared_manager_fleets", "state_actor_chains"}
    cells = notebook_statements()
    assert len(cells) >= 5
    assert all(s.id.startswith("angara_cypher.ipynb") for s in cells)


def test_the_linter_catches_mistakes(graph: GraphRows) -> None:
    """The bar means something: the linter reports typos the tables would not have."""
    broken = [
        Sent("label", "MATCH (v:Vesel) RETURN v.caption", {}),
        Sent("type", "MATCH (a:Entity)-[:OWN]->(b:Entity) RETURN a.id, b.id", {}),
        Sent("property", "MATCH (v:Vessel) RETURN v.imoNumbr", {}),
        Sent("parameter", "MATCH (v:Vessel {id: $vessel}) RETURN v.id", {}),
        Sent("syntax", "MATCH (v:Vessel RETURN v", {}),
        Sent("function", "MATCH (v:Vessel) RETURN lenght(v.name)", {}),
        Sent("procedure", "CALL db.index.fulltext.queryNode('entity_names', 'x') YIELD node "
             "RETURN node", {}),
    ]
    found = lint(broken, schema_of(graph))
    assert all(found[s.id] for s in broken), found


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

"""`neo4j push` against a real Neo4j 5.26 (the session's own server, or `NEO4J_URI`): the whole
shared data, resolved, into an empty database; a second push that changes nothing; then a newer
version of the OFAC SDN list and a push that sends exactly what it changed.

The newer versions are made for this test from the real `ofac_sdn_2024-05-03.csv` and two
hand-made rows about made-up parties (`EXAMPLE_ROWS`: entry numbers and IMO 9990002 occur in no
file of ../shared/data/raw): the first version adds both, the second drops the made-up person and
the made-up vessel's gross tonnage. Every real row is as published; no version says anything of a
real party that the real list does not.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from graph.neo4j.shape import COUNTRY, ENTITY, PROGRAM, GraphRows, build_graph, relationship_types
from graph.neo4j.sync import (
    FULLTEXT_INDEX,
    FULLTEXT_PROPERTIES,
    NODE_INDEXES,
    Connection,
    PushResult,
    plan_sync,
    push,
)
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import raw
from tests.graph.conftest import copy_store
from tests.neo4j.database import (
    empty_database,
    held_state,
    label_counts,
    remote_state,
    run,
    type_counts,
)

pytestmark = pytest.mark.neo4j

#: Hand-made sdn.csv rows about made-up parties: a vessel (with its gross tonnage) and a person.
EXAMPLE_VESSEL_ROW = (b'99990001,"EXAMPLE VESSEL ONE","vessel","EXAMPLE-PROGRAM",-0- ,-0- ,'
                      b'"Roll-on Roll-off",-0- ,"1234",-0- ,-0- ,'
                      b'"Vessel Registration Identification IMO 9990002."')
EXAMPLE_PERSON_ROW = (b'99990002,"EXAMPLE, Person","individual","EXAMPLE-PROGRAM",-0- ,-0- ,-0- ,'
                      b'-0- ,-0- ,-0- ,-0- ,-0- ')
COMPANIONS = {"add.csv": "ofac_add_2025-01.csv", "alt.csv": "ofac_alt_2025-01.csv",
              "sdn_comments.csv": "ofac_sdn_comments_2025-01.csv"}


def newer_sdn(folder: Path, rows: list[bytes]) -> Path:
    """The real sdn.csv set with `rows` appended before OFAC's end-of-file byte."""
    lines = raw("ofac_sdn_2024-05-03.csv").read_bytes().split(b"\r\n")
    assert lines[-1] == b"\x1a"
    folder.mkdir()
    for name, shared in COMPANIONS.items():
        shutil.copy(raw(shared), folder / name)
    (folder / "sdn.csv").write_bytes(b"\r\n".join([*lines[:-1], *rows, lines[-1]]))
    return folder / "sdn.csv"


@pytest.fixture(scope="module")
def first_push(live_graph: GraphRows, neo4j: Connection) -> PushResult:
    empty_database(neo4j)
    return push(live_graph, neo4j)


def test_the_first_push_writes_everything(first_push: PushResult, live_graph: GraphRows,
                                          neo4j: Connection) -> None:
    plan = first_push.plan
    totals = plan.totals()
    assert totals["nodes"].created == len(live_graph.nodes) > 20_000
    assert totals["relationships"].created == len(live_graph.rels) > 50_000
    assert remote_state(neo4j) == held_state(live_graph)


def test_counts_per_label_and_type_equal_the_store(first_push: PushResult, live_graph: GraphRows,
                                                   neo4j: Connection) -> None:
    labels: Counter[str] = Counter()
    for node in live_graph.nodes:
        labels.update((node.space, *node.labels))
    types = Counter(rel.type for rel in live_graph.rels)
    assert label_counts(neo4j) == dict(labels)
    assert type_counts(neo4j) == dict(types)
    assert labels["Vessel"] > 2_000 and labels["StateActor"] > 100


def test_constraints_and_indexes_are_what_the_push_promises(first_push: PushResult,
                                                            neo4j: Connection) -> None:
    constraints = {r["name"]: r for r in run(
        neo4j, "SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties")}
    for space in (ENTITY, PROGRAM, COUNTRY):
        c = constraints[f"{space.lower()}_id"]
        assert (c["type"], c["entityType"], c["labelsOrTypes"], c["properties"]) == (
            "UNIQUENESS", "NODE", [space], ["id"])
    indexes = {r["name"]: r for r in run(
        neo4j, "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, state, "
               "owningConstraint")}
    assert all(i["state"] == "ONLINE" for i in indexes.values())
    names = indexes[FULLTEXT_INDEX]
    assert (names["type"], names["labelsOrTypes"]) == ("FULLTEXT", [ENTITY])
    assert names["properties"] == list(FULLTEXT_PROPERTIES)
    for rel_type in relationship_types():
        index = indexes[f"rel_{rel_type.lower()}_id"]
        assert (index["type"], index["entityType"], index["labelsOrTypes"],
                index["properties"]) == ("RANGE", "RELATIONSHIP", [rel_type], ["id"])
    for space in (ENTITY, PROGRAM, COUNTRY):
        assert indexes[f"{space.lower()}_id"]["owningConstraint"] == f"{space.lower()}_id"
    for name, label, prop in NODE_INDEXES:
        assert (indexes[name]["type"], indexes[name]["entityType"],
                indexes[name]["labelsOrTypes"], indexes[name]["properties"]) == (
            "RANGE", "NODE", [label], [prop])
    # nothing more: no index the push does not promise
    expected = ({f"{s.lower()}_id" for s in (ENTITY, PROGRAM, COUNTRY)} | {FULLTEXT_INDEX}
                | {f"rel_{t.lower()}_id" for t in relationship_types()}
                | {name for name, _, _ in NODE_INDEXES})
    assert {n for n, i in indexes.items() if i["type"] != "LOOKUP"} == expected


def test_a_second_push_changes_nothing(first_push: PushResult, live_graph: GraphRows,
                                       neo4j: Connection) -> None:
    again = push(live_graph, neo4j)
    assert again.plan.changed == 0
    assert again.plan.batches == []


def test_a_newer_list_version_sends_exactly_its_difference(
    first_push: PushResult, live_store: Store, live_graph: GraphRows, neo4j: Connection,
    tmp_path: Path,
) -> None:
    with copy_store(live_store, str(tmp_path / "newer.db")) as store:
        load_file(store, newer_sdn(tmp_path / "first", [EXAMPLE_VESSEL_ROW, EXAMPLE_PERSON_ROW]),
                  list_date="2024-05-10")
        first = build_graph(store)
        vessel_id = store.canonical_of("us_ofac_sdn:99990001")
        person_id = store.canonical_of("us_ofac_sdn:99990002")
        assert vessel_id is not None and person_id is not None
        without_tonnage = EXAMPLE_VESSEL_ROW.replace(b'"1234"', b"-0- ")
        load_file(store, newer_sdn(tmp_path / "second", [without_tonnage]),
                  list_date="2024-05-11")
        after = build_graph(store)
    try:
        push(first, neo4j)
        assert remote_state(neo4j) == held_state(first)
        expected = plan_sync(after, held_state(first))
        result = push(after, neo4j)
        assert result.plan.nodes == expected.nodes and result.plan.rels == expected.rels
        assert [(b.action, b.target, len(b.rows)) for b in result.plan.batches] == [
            (b.action, b.target, len(b.rows)) for b in expected.batches]
        assert remote_state(neo4j) == held_state(after)
        # the delisted (made-up) person is gone, with every relationship of theirs
        assert result.plan.nodes[ENTITY].deleted == 1
        assert run(neo4j, "MATCH (n:Entity {id: $id}) RETURN n", id=person_id) == []
        assert run(neo4j, "MATCH (n)-[r]-() WHERE n.id = $id RETURN r", id=person_id) == []
        # the changed record's node has its new value
        (vessel,) = run(neo4j, "MATCH (v:Vessel {id: $id}) RETURN properties(v) AS props",
                        id=vessel_id)
        before = next(n.props for n in first.nodes if n.id == vessel_id)
        assert before["grossRegisteredTonnage"] == ["1234"]
        assert "grossRegisteredTonnage" not in vessel["props"]
        assert vessel["props"]["content_hash"] != before["content_hash"]
        # and nothing else was touched: entity nodes sent are the changed one alone
        assert result.plan.nodes[ENTITY].created == 0
        assert result.plan.nodes[ENTITY].updated == 1
        assert push(after, neo4j).plan.changed == 0
    finally:
        push(live_graph, neo4j)  # the other modules expect the live graph

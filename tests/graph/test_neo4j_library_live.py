"""Every query of the Cypher library (`queries/cypher/`) against a real Neo4j holding the live
graph (the shared data with the demo's registry and evidence files, resolved): asserted answers,
and Neo4j's plan starting from the index each query declares (`// @index NAME`)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from graph.model import RELATION_SHAPES
from graph.neo4j.library import CypherQuery, library
from graph.neo4j.shape import GraphRows
from graph.neo4j.sync import Connection, run_query
from tests.neo4j.database import run, session

pytestmark = pytest.mark.neo4j

ANGARA = "vessel:IMO9179842"
M_LEASING = "company:IMO6246853"
MTS = "company:IMO6183435"
DPRK = "evidence_rusi_orient_express:entity:dprk"
MARIA = "vessel:IMO8517839"

#: The relationship types between entities, as every walking query must spell them.
ENTITY_TYPES = {shape.neo4j_type for shape in RELATION_SHAPES.values()}


def answer(conn: Connection, query_name: str, **params: Any) -> list[dict[str, Any]]:
    query = library()[query_name]
    _, rows = run_query(conn, query.statement, {**query.example_parameters(), **params})
    return rows


def test_owner_by_imo_gives_both_companies_with_their_sources(pushed: Connection) -> None:
    rows = answer(pushed, "owner_by_imo", imo="9179842")
    assert {r["vessel_id"] for r in rows} == {ANGARA}
    official = {(r["party_id"], r["relation"], r["role"]): r for r in rows if not r["evidence"]}
    claimed = {(r["party_id"], r["relation"], r["role"]): r for r in rows if r["evidence"]}
    assert set(official) == {(M_LEASING, "LINKED_TO", "linked"),
                             (MTS, "OPERATES", "operator")}
    linked = official[(M_LEASING, "LINKED_TO", "linked")]
    assert linked["party"].casefold() == "m leasing llc"
    assert (linked["stated_by"], linked["list_dates"], linked["records"]) == (
        ["us_ofac_sdn"], ["2024-05-03"], ["37059"])
    assert "US OFAC/RUSSIA-EO14024" in linked["party_programs"]
    operator = official[(MTS, "OPERATES", "operator")]
    assert operator["party"] == "MARINE TRANS SHIPPING LLC"
    assert sorted(operator["stated_by"]) == ["demo_registry", "tak_shadowfleet"]
    assert len(operator["records"]) == len(operator["list_dates"]) == 2
    # the analysts' claims come marked as evidence, never as listings
    assert set(claimed) == {(M_LEASING, "OWNS", "registered owner"),
                            (DPRK, "SHIPPED_VIA",
                             "carried North Korean munitions containers for")}
    assert all(r["stated_by"] == ["evidence_rusi_orient_express"] for r in claimed.values())


def test_owner_by_imo_of_an_unknown_number_is_empty(pushed: Connection) -> None:
    assert answer(pushed, "owner_by_imo", imo="1234567") == []


def test_owner_by_name_finds_angara_first(pushed: Connection) -> None:
    rows = answer(pushed, "owner_by_name", name="ANGARA")
    assert rows[0]["vessel_id"] == ANGARA and rows[0]["imo"] == "9179842"
    assert {r["party_id"] for r in rows if r["vessel_id"] == ANGARA} == {M_LEASING, MTS, DPRK}
    assert len({r["vessel_id"] for r in rows}) <= 5
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_ownership_chain_climbs_to_the_directors(pushed: Connection) -> None:
    rows = answer(pushed, "ownership_chain", id=ANGARA)
    tops = {(r["depth"], r["top_id"]) for r in rows}
    assert {(1, M_LEASING), (1, MTS), (1, DPRK)} <= tops
    two = [r for r in rows if r["depth"] == 2]
    assert two and all(r["relations"][1] == "DIRECTS" for r in two)
    assert all(r["top_sanctioned"] for r in two)
    dprk = next(r for r in rows if r["top_id"] == DPRK)
    assert dprk["top_state_actor"] and dprk["evidence"] == [True]
    assert [r["depth"] for r in rows] == sorted(r["depth"] for r in rows)


def test_sanctioned_within_hops_nearest_first(pushed: Connection) -> None:
    rows = answer(pushed, "sanctioned_within_hops", id=ANGARA, hops=2)
    hops = {r["id"]: r["hops"] for r in rows}
    assert hops[ANGARA] == 0
    assert hops[M_LEASING] == hops[MTS] == 1
    assert hops[MARIA] == 2
    assert max(hops.values()) == 2
    assert [r["hops"] for r in rows] == sorted(hops.values())
    one = answer(pushed, "sanctioned_within_hops", id=ANGARA, hops=1)
    assert {r["id"] for r in one} == {k for k, v in hops.items() if v <= 1}


def test_shortest_paths_between_two_ships(pushed: Connection) -> None:
    rows = answer(pushed, "shortest_paths", from_id=ANGARA, to_id=MARIA)
    assert {r["hops"] for r in rows} == {2}
    via = {r["ids"][1]: r for r in rows}
    assert MTS in via and DPRK in via
    assert via[MTS]["relations"] == ["OPERATES", "OWNS"]
    assert via[DPRK]["evidence"] == [True, True]
    assert all(r["ids"][0] == ANGARA and r["ids"][-1] == MARIA for r in rows)
    assert answer(pushed, "shortest_paths", from_id=ANGARA, to_id=ANGARA) == []


def test_sister_ships_of_angara(pushed: Connection) -> None:
    rows = answer(pushed, "sister_ships", imo="9179842")
    others = {(r["party_id"], r["other_id"]) for r in rows}
    assert (MTS, MARIA) in others and (DPRK, MARIA) in others
    assert all(r["other_id"] != ANGARA for r in rows)
    maria = next(r for r in rows if r["other_id"] == MARIA)
    assert "US OFAC/RUSSIA-EO14024" in maria["other_programs"]


def test_shared_manager_fleets_counts_fleets(pushed: Connection, live_graph: GraphRows) -> None:
    rows = answer(pushed, "shared_manager_fleets", min_vessels=2, limit=1000)
    vessels = {n.id for n in live_graph.nodes if n.props.get("schema") == "Vessel"}
    fleets: dict[str, set[str]] = {}
    for rel in live_graph.rels:
        if rel.type in {"OPERATES", "MANAGES"} and rel.end in vessels:
            fleets.setdefault(rel.start, set()).add(rel.end)
    expected = {party: len(fleet) for party, fleet in fleets.items() if len(fleet) >= 2}
    assert {r["id"]: r["vessels"] for r in rows} == expected
    assert [r["vessels"] for r in rows] == sorted(expected.values(), reverse=True)


def test_state_actor_chain_reaches_north_korea_from_angara_through_evidence(
    pushed: Connection,
) -> None:
    rows = answer(pushed, "state_actor_chains", limit=10_000)
    angara = [r for r in rows if r["vessel_id"] == ANGARA and r["state_actor_id"] == DPRK]
    assert len(angara) == 1
    (chain,) = angara
    assert chain["state_actor"] == "Government of the Democratic People's Republic of Korea"
    assert chain["relations"] == ["SHIPPED_VIA"] and chain["evidence"] == [True]
    assert chain["chain_upward"] == ["ANGARA", chain["state_actor"]]
    # one shortest chain per vessel and state actor
    assert len({(r["vessel_id"], r["state_actor_id"]) for r in rows}) == len(rows)


def test_every_walking_query_spells_every_entity_relationship_type() -> None:
    """A walk over "relations between entities" names them all, so a kind added to
    RELATION_SHAPES cannot be silently left out of the Cypher."""
    for query in library().values():
        for found in re.findall(r"\[\w*:([A-Z_|]+)[\]*]", query.statement):
            types = set(found.split("|"))
            if types & ENTITY_TYPES and len(types) > 2:
                assert types == ENTITY_TYPES, (query.name, types)


# -- plans ---------------------------------------------------------------------------------------


def _operators(plan: dict[str, Any]) -> list[tuple[str, str]]:
    args = plan.get("args") or plan.get("arguments") or {}
    out = [(plan["operatorType"].split("@")[0], str(args.get("Details", "")))]
    for child in plan.get("children", []):
        out.extend(_operators(child))
    return out


def _plan(conn: Connection, query: CypherQuery) -> list[tuple[str, str]]:
    with session(conn) as s:
        summary = s.run("EXPLAIN " + query.statement, query.example_parameters()).consume()
    assert summary.plan is not None
    return _operators(summary.plan)


def test_every_query_starts_from_the_index_it_declares(pushed: Connection) -> None:
    indexes = {r["name"]: r for r in run(
        pushed, "SHOW INDEXES YIELD name, type, labelsOrTypes, properties")}
    for query in library().values():
        operators = _plan(pushed, query)
        names = [op for op, _ in operators]
        assert "AllNodesScan" not in names, query.name
        for index in query.indexes:
            spec = indexes[index]
            if spec["type"] == "FULLTEXT":
                assert any(op == "ProcedureCall" and "db.index.fulltext.queryNodes" in details
                           for op, details in operators), query.name
                assert f"'{index}'" in query.statement
                continue
            label, prop = spec["labelsOrTypes"][0], spec["properties"][0]
            assert any("IndexSeek" in op and f":{label}({prop})" in details
                       for op, details in operators), (query.name, index, operators)


def test_every_query_that_starts_at_one_node_declares_its_index() -> None:
    for query in library().values():
        if re.search(r"\{(id|imo): \$\w+\}", query.statement):
            assert query.indexes, query.name


# -- neighbourhood -------------------------------------------------------------------------------


def _neighbourhood(conn: Connection, id: str, hops: int) -> dict[str, dict[str, Any]]:
    rows = answer(conn, "neighbourhood", id=id, hops=hops)
    found = {r["id"]: r for r in rows}
    assert len(found) == len(rows)
    assert [r["depth"] for r in rows] == sorted(r["depth"] for r in rows)
    return found


def test_neighbourhood_of_angara_two_steps_out(pushed: Connection, live_graph: GraphRows) -> None:
    found = _neighbourhood(pushed, ANGARA, 2)
    depth = {node_id: r["depth"] for node_id, r in found.items()}
    assert depth[ANGARA] == 0 and [n for n, d in depth.items() if d == 0] == [ANGARA]
    assert depth[M_LEASING] == depth[MTS] == depth[DPRK] == 1
    assert depth[MARIA] == 2
    assert max(depth.values()) == 2
    assert {found[M_LEASING]["caption"], found[MTS]["caption"]} == {
        "M Leasing LLC", "MARINE TRANS SHIPPING LLC"}
    assert "StateActor" in found[DPRK]["labels"] and found[DPRK]["space"] == "Entity"
    # the ship's own listings and flag, one step out
    angara_out = {(rel["type"], rel["target"]) for rel in found[ANGARA]["relationships"]}
    assert ("SANCTIONED_UNDER", "US OFAC/RUSSIA-EO14024") in angara_out
    assert ("FLAGGED_IN", "ru") in angara_out
    program = found["US OFAC/RUSSIA-EO14024"]
    assert (program["space"], program["depth"], program["caption"]) == (
        "Program", 1, "RUSSIA-EO14024")
    # the analysts' claims come marked
    claims = {(r["id"], rel["type"], rel["target"]) for r in found.values()
              for rel in r["relationships"] if rel["evidence"]}
    assert (M_LEASING, "OWNS", ANGARA) in claims and (DPRK, "SHIPPED_VIA", ANGARA) in claims
    assert all(not rel["evidence"] for rel in found[MTS]["relationships"]
               if rel["type"] == "OPERATES")


def test_neighbourhood_shows_programmes_and_countries_but_never_walks_through_them(
    pushed: Connection, live_graph: GraphRows,
) -> None:
    found = _neighbourhood(pushed, ANGARA, 2)
    entities = {n for n, r in found.items() if r["space"] == "Entity"}
    attached = {n for n, r in found.items() if r["space"] in {"Program", "Country"}}
    assert entities | attached == set(found) and "ru" in attached
    # one programme joins thousands of listed entities; none of them comes in through it
    listed = {rel.start for rel in live_graph.rels
              if rel.type == "SANCTIONED_UNDER" and rel.end == "US OFAC/RUSSIA-EO14024"}
    assert len(listed) > 1000 and len(found) < 60
    for node_id in attached:
        assert found[node_id]["relationships"] == []
        into = [(r["id"], rel["type"]) for r in found.values() for rel in r["relationships"]
                if rel["target"] == node_id]
        assert into and all(found[start]["space"] == "Entity" for start, _ in into)
        assert any(found[start]["depth"] == found[node_id]["depth"] - 1 for start, _ in into)
    # every entity beyond the centre is one step over an entity relationship from one nearer in
    steps: dict[str, set[int]] = {n: set() for n in entities}
    for r in found.values():
        for rel in r["relationships"]:
            if rel["type"] in ENTITY_TYPES:
                steps[r["id"]].add(found[rel["target"]]["depth"])
                steps[rel["target"]].add(r["depth"])
    for node_id in entities - {ANGARA}:
        assert found[node_id]["depth"] - 1 in steps[node_id], node_id


def test_neighbourhood_is_the_picture_of_the_pushed_rows(
    pushed: Connection, live_graph: GraphRows,
) -> None:
    from graph.neo4j import picture

    def edges(graph: Any) -> list[tuple[str, str, str, str, bool]]:
        return sorted((u, v, d["type"], d["role"] or "", d["evidence"])
                      for u, v, d in graph.edges(data=True))

    for center, hops in ((ANGARA, 0), (ANGARA, 1), (ANGARA, 2), (ANGARA, 3), (MTS, 2),
                         (DPRK, 1)):
        rows = answer(pushed, "neighbourhood", id=center, hops=hops)
        drawn = picture.neighbourhood_from_records(rows)
        expected = picture.neighbourhood(live_graph, center, hops)
        assert dict(drawn.nodes(data=True)) == dict(expected.nodes(data=True)), (center, hops)
        assert edges(drawn) == edges(expected), (center, hops)
    (only,) = answer(pushed, "neighbourhood", id=ANGARA, hops=0)
    assert (only["id"], only["depth"], only["relationships"]) == (ANGARA, 0, [])


def test_neighbourhood_of_an_unknown_id_is_empty(pushed: Connection) -> None:
    from graph.neo4j import picture

    rows = answer(pushed, "neighbourhood", id="vessel:IMO0000000", hops=2)
    assert rows == []
    with pytest.raises(KeyError):
        picture.neighbourhood_from_records(rows)

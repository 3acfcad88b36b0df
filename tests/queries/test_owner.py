"""who_owns on the real OFAC set, ship tables and the demo registry."""

from __future__ import annotations

import pytest

from graph.errors import NotFoundError, QueryError
from graph.store import Store
from queries.owner import Party, VesselAnswer, who_owns


def _party(vessel: VesselAnswer, caption: str) -> Party:
    return next(p for p in vessel.parties if p.caption == caption)


def test_angara(ship_store: Store) -> None:
    answer = who_owns(ship_store, "ANGARA")
    [vessel] = answer.vessels
    assert vessel.imo == "9179842"
    assert {s.value for s in vessel.identity["flag"]} == {"ru"}
    assert {s.value for s in vessel.identity["mmsi"]} == {"273210440"}
    assert {s.value for s in vessel.identity["callSign"]} == {"UBYT2"}
    assert {s.value for s in vessel.identity["buildDate"]} == {"1998"}
    assert "Fleet Star" in {s.value for s in vessel.identity["previousName"]}
    assert [(s.authority, s.program) for s in vessel.sanctions] == [
        ("US OFAC", "RUSSIA-EO14024")]
    m_leasing = _party(vessel, "M LEASING LLC")
    assert m_leasing.role == "linked"
    assert [p.source for p in m_leasing.stated_by] == ["us_ofac_sdn"]
    assert [(s.program, s.source.record_id) for s in m_leasing.sanctions] == [
        ("RUSSIA-EO14024", "37065")]
    mts = _party(vessel, "MARINE TRANS SHIPPING LLC")
    assert mts.role == "operator"
    assert "demo_registry" in {p.source for p in mts.stated_by}
    assert [(s.authority, s.program) for s in mts.sanctions] == [("US OFAC", "RUSSIA-EO14024")]


def test_every_fact_names_its_source(ship_store: Store) -> None:
    [vessel] = who_owns(ship_store, "IMO 9179842").vessels
    sources = {p.source for values in vessel.identity.values() for s in values
               for p in s.sources}
    assert sources == {"us_ofac_sdn", "ua_gur_shadowfleet", "tak_shadowfleet", "demo_registry"}
    name = next(s for s in vessel.identity["name"] if s.value == "ANGARA")
    assert ("us_ofac_sdn", "37059") in {(p.source, p.record_id) for p in name.sources}


@pytest.mark.parametrize("query", ["9179842", "IMO 9179842", "IMO9179842", "imo 9179842",
                                   "angara", "Angara", "ANGRA", "M/V Angara", "273210440"])
def test_query_forms_find_angara(ship_store: Store, query: str) -> None:
    assert [v.imo for v in who_owns(ship_store, query).vessels] == ["9179842"]


def test_maria_lists_every_vessel_of_that_name(ship_store: Store) -> None:
    answer = who_owns(ship_store, "MARIA")
    imos = {v.imo for v in answer.vessels}
    assert {"8517839", "9198783", "9617923"} <= imos  # MARIA E is a.k.a. MARIA
    maria = next(v for v in answer.vessels if v.imo == "8517839")
    assert _party(maria, "IBEX SHIPPING INC").sanctions
    tanker = next(v for v in answer.vessels if v.imo == "9198783")
    assert any(p.role == "operator" for p in tanker.parties)


def test_look_alikes_stay_apart(ship_store: Store) -> None:
    for query, imo in (("SASCO ANGARA", "9242986"), ("LADY MARIIA", "9220641"),
                       ("ARIA", "9397559"), ("MARIA E", "9617923")):
        assert imo in {v.imo for v in who_owns(ship_store, query).vessels}, query
    assert [v.imo for v in who_owns(ship_store, "SCF Angara").vessels] == ["9397559"]


def test_bad_imo_check_digit_is_explained(ship_store: Store) -> None:
    with pytest.raises(QueryError, match="check digit should be 2"):
        who_owns(ship_store, "IMO 9179843")


def test_nothing_found(ship_store: Store) -> None:
    with pytest.raises(NotFoundError, match="no vessel matches"):
        who_owns(ship_store, "QWERTYUIOP ZXCV")


def test_answer_serialises(ship_store: Store) -> None:
    data = who_owns(ship_store, "ANGARA").to_dict()
    assert data["vessels"][0]["id"] == "vessel:IMO9179842"
    assert data["matched_by"] == "name"


@pytest.mark.parametrize(("ask", "index"), [("up", "relations_object"),
                                             ("down", "relations_subject"),
                                             ("listings", "sanctions_entity")])
def test_a_node_s_relations_and_listings_are_read_through_their_indexes(
        ship_store: Store, ask: str, index: str) -> None:
    """`who_owns` asks for the relations and listings of each node of the chain: each ask is a
    search of the index on that side, never a read of every relation or sanction of a load
    (which is what SQLite's planner chose for `down` and for listings without statistics)."""
    vessel = who_owns(ship_store, "ANGARA").vessels[0].id
    statements: list[str] = []
    ship_store.conn.set_trace_callback(statements.append)
    try:
        if ask == "listings":
            ship_store.listings(vessel)
        else:
            ship_store.edges(vessel, direction=ask)
    finally:
        ship_store.conn.set_trace_callback(None)
    table = "sanctions s" if ask == "listings" else "relations r"
    [sql] = [s for s in statements if f"JOIN {table}" in s]
    params = (vessel,) if "?" in sql else ()
    plan = " | ".join(row[3] for row in ship_store.conn.execute("EXPLAIN QUERY PLAN " + sql,
                                                               params))
    assert f"SEARCH {table[-1]} USING INDEX {index}" in plan, plan
    assert "USING PRIMARY KEY (load_id=?)" not in plan, plan

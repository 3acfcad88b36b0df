"""FtM-shaped queries read through file screening's column table, and one query's names
merged into one answer."""

from __future__ import annotations

from typing import Any

import pytest

from api.ftm import QUERY_SCHEMATA, BadQuery, example_queries, merged
from graph.store import Store
from queries.screen import Match, Result, make_settings
from queries.screening.index import ensure_index


@pytest.mark.parametrize(("properties", "field", "value"), [
    ({"name": ["ANGARA"], "imoNumber": ["IMO 9179842"]}, "imo", "9179842"),
    ({"name": ["ANGARA"], "mmsi": ["273210440"]}, "mmsi", "273210440"),
    ({"name": ["ANGARA"], "buildDate": ["1998"]}, "date", "1998"),
    ({"name": ["X Y"], "birthDate": ["1952-10-07"]}, "date", "1952-10-07"),
    ({"name": ["X"], "incorporationDate": ["2001-02-03"]}, "date", "2001-02-03"),
    ({"name": ["X"], "nationality": ["Russia"], "country": ["ua"]}, "countries", ("ru", "ua")),
    ({"name": ["X"], "jurisdiction": ["ru"]}, "countries", ("ru",)),
    ({"name": ["X"], "flag": ["ru"]}, "countries", ("ru",)),
    ({"name": ["X"], "taxNumber": ["9701173086"], "innCode": ["7701234567"]}, "identifiers",
     ("9701173086", "7701234567")),
    ({"name": ["X"], "registrationNumber": ["84BA99810"]}, "identifiers", ("84BA99810",)),
    ({"name": ["X"], "ogrnCode": ["1207700000000"]}, "identifiers", ("1207700000000",)),
    ({"name": ["X"], "passportNumber": ["AB1234567"], "idNumber": ["99-12345"]},
     "identifiers", ("AB1234567", "9912345")),
    # FtM's Vessel `type` is the ship type, never the query's schema.
    ({"name": ["ANGARA"], "type": ["Ro-Ro Cargo Ship"]}, "schema", "Vessel"),
    ({"name": ["X"], "address": ["Moscow"]}, "identifiers", ()),
])
def test_ftm_properties_fill_the_screening_fields(properties: dict[str, Any], field: str,
                                                  value: Any) -> None:
    (query,) = example_queries("q", "Vessel" if "ANGARA" in properties["name"] else "Thing",
                               properties, 1)
    assert getattr(query, field) == value
    assert query.id == "q" and query.error is None


def test_each_name_is_a_query_and_thing_is_no_schema() -> None:
    queries = example_queries("q", "Thing", {"name": ["A B", "C D"], "alias": ["C D", "E"],
                                             "previousName": "F G"}, 5)
    assert [q.name for q in queries] == ["A B", "C D", "E", "F G"]
    assert [q.row for q in queries] == [5, 6, 7, 8]
    assert {q.schema for q in queries} == {None}
    (no_name,) = example_queries("q", "Vessel", {"imoNumber": ["9179842"]}, 1)
    assert no_name.imo == "9179842" and no_name.error == "no name"
    with pytest.raises(BadQuery, match="'Address' cannot be screened"):
        example_queries("q", "Address", {"name": ["X"]}, 1)


def test_every_query_schema_is_one_screening_takes(ship_store: Store) -> None:
    index, _ = ensure_index(ship_store)
    for schema in QUERY_SCHEMATA:
        if schema != "Thing":
            make_settings(index, schema=schema)


def _match(entity_id: str, score: float) -> Match:
    return Match(entity_id, entity_id, "Person", score, entity_id, None, ("src",), (), "why",
                 {"name": score})


def test_a_query_of_several_names_takes_each_node_at_its_best() -> None:
    results = [Result(1, "q", "review", [_match("a", 0.8), _match("b", 0.78)]),
               Result(2, "q", "match", [_match("b", 0.95)], warnings=("w",)),
               Result(3, "q", "clear", [], error="no name")]
    decision, matches, error, warnings = merged(results, limit=5)
    assert decision == "match"
    assert [(m.entity_id, m.score) for m in matches] == [("b", 0.95), ("a", 0.8)]
    assert error == "no name" and warnings == ["w"]
    assert [m.entity_id for m in merged(results, limit=1)[1]] == ["b"]

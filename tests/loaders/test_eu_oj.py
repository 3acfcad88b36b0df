"""EU Official Journal transcriptions (269/2014, 833/2014, 2017/1509) on the real CSV files."""

from __future__ import annotations

from collections import Counter

import pytest

from graph.model import (
    Entity,
    Problem,
    Record,
    Relation,
    RelationKind,
    Sanction,
    Schema,
)
from loaders import detect_loader, eu_oj
from tests.conftest import raw

FILES = {
    "269": "eu_oj_consolidated_32014R0269.csv",
    "833": "eu_oj_consolidated_32014R0833.csv",
    "1509": "eu_oj_consolidated_32017R1509.csv",
}


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[Record]]:
    return {key: list(eu_oj.load(raw(name))) for key, name in FILES.items()}


def _entities(records: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in records if isinstance(r, Entity)}


@pytest.mark.parametrize(
    ("key", "source", "schemata", "problems"),
    [
        # SOURCES.md counts LegalEntity rows as printed: 622, 1,085 and 94; the state bodies
        # among them are loaded as PublicBody.
        ("269", "eu_oj_269_2014",
         {Schema.PERSON: 1984, Schema.LEGAL_ENTITY: 600, Schema.PUBLIC_BODY: 22,
          Schema.COMPANY: 196}, {"transcription label as name": 32}),
        ("833", "eu_oj_833_2014",
         {Schema.LEGAL_ENTITY: 1056, Schema.PUBLIC_BODY: 29, Schema.VESSEL: 633},
         {"schema Asset not loaded": 28, "row without record id": 137}),
        ("1509", "eu_oj_2017_1509",
         {Schema.PERSON: 157, Schema.LEGAL_ENTITY: 76, Schema.PUBLIC_BODY: 18, Schema.VESSEL: 75},
         {"row without record id": 22, "invalid IMO ship number": 1}),
    ],
)
def test_counts_match_sources_md(loaded: dict[str, list[Record]], key: str, source: str,
                                 schemata: dict[Schema, int], problems: dict[str, int]) -> None:
    path = raw(FILES[key])
    assert detect_loader(path).format == "eu_oj_csv"
    assert eu_oj.source_for(path) == source
    records = loaded[key]
    entities = _entities(records)
    assert Counter(e.schema for e in entities.values()) == schemata
    assert sum(isinstance(r, Sanction) for r in records) == sum(schemata.values())
    assert Counter(r.kind for r in records if isinstance(r, Problem)) == problems


def test_vessels_carry_imo(loaded: dict[str, list[Record]]) -> None:
    vessels = [e for e in _entities(loaded["833"]).values() if e.schema is Schema.VESSEL]
    assert all(len(v.properties["imoNumber"]) == 1 for v in vessels)
    entities = _entities(loaded["1509"])
    chol_ryong = [e for e in entities.values() if "8606173" in e.properties.get("imoNumber", ())]
    assert chol_ryong and chol_ryong[0].schema is Schema.VESSEL


def test_m_leasing_marine_trans_shipping_and_their_ceos(loaded: dict[str, list[Record]]) -> None:
    records = loaded["269"]
    entities = _entities(records)
    m_leasing, mts = entities["I.ENTITIES#370"], entities["I.ENTITIES#371"]
    assert m_leasing.properties["name"] == ("M Leasing LLC",)
    assert m_leasing.properties["imoNumber"] == ("6246853",)  # joins OFAC's M LEASING LLC
    assert m_leasing.properties["innCode"] == ("9701173086",)
    assert m_leasing.properties["ogrnCode"] == ("1217700121737",)
    assert "OOO ‘M Lizing’" in m_leasing.properties["alias"]
    assert mts.properties["imoNumber"] == ("6183435",)
    sanctions = {r.entity: r for r in records if isinstance(r, Sanction)}
    for entity_id in ("I.ENTITIES#370", "I.ENTITIES#371", "I.PERSONS#1691", "I.PERSONS#1686"):
        sanction = sanctions[entity_id]
        assert sanction.listing_date == "2024-02-23"
        assert sanction.program.startswith("EU 269/2014 Annex I.")
        assert "North Korean" in sanction.properties["reason"][0]
    directors = {(r.subject, r.object): r for r in records if isinstance(r, Relation)}
    ceo = directors[("I.PERSONS#1691", "I.ENTITIES#370")]  # Svetlana SAVELYEVA
    assert ceo.kind is RelationKind.DIRECTORSHIP and ceo.role == "CEO"
    assert ("I.PERSONS#1686", "I.ENTITIES#371") in directors  # Nikolai PANKOV


def test_angara_and_maria_in_annex_xlii(loaded: dict[str, list[Record]]) -> None:
    records = loaded["833"]
    entities = _entities(records)
    sanctions = {r.entity: r for r in records if isinstance(r, Sanction)}
    for record_id, imo, name in (("XLII#1", "9179842", "Angara"), ("XLII#2", "8517839", "Maria")):
        assert entities[record_id].properties["imoNumber"] == (imo,)
        assert entities[record_id].properties["name"] == (name,)
        assert sanctions[record_id].program == "EU 833/2014 Annex XLII"
        assert sanctions[record_id].listing_date == "2024-06-25"


def test_fallback_ids_are_stable_and_unique(loaded: dict[str, list[Record]]) -> None:
    again = list(eu_oj.load(raw(FILES["1509"])))
    first = [e.id for e in _entities(loaded["1509"]).values()]
    assert first == [e.id for e in _entities(again).values()]
    assert "XIII.B#name:chong-rim-2" in first


@pytest.mark.parametrize(
    ("celex", "display", "suffix"),
    [("32014R0269", "269/2014", "269_2014"), ("32017R1509", "2017/1509", "2017_1509"),
     ("32014R0833", "833/2014", "833_2014"), ("junk", None, None)],
)
def test_regulation_names(celex: str, display: str | None, suffix: str | None) -> None:
    expected = (display, suffix) if display else None
    assert eu_oj.regulation(celex) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("17.3.2014", "2014-03-17"), ("2 December 1985", "1985-12-02"),
     ("26 Feb. 2011", "2011-02-26"), ("2011-02", "2011-02"), ("Approximately 1952", None)],
)
def test_dates(text: str, expected: str | None) -> None:
    assert eu_oj.eu_date(text) == expected


def test_multi_valued_cells() -> None:
    assert eu_oj.split_values('"Foo; Bar"; Baz') == ["Foo; Bar", "Baz"]
    assert eu_oj.split_values("a; b") == ["a", "b"]
    assert eu_oj.split_values("") == []


def test_state_bodies(loaded: dict[str, list[Record]]) -> None:
    names = {e.properties["name"][0]: e for e in _entities(loaded["1509"]).values()}
    mid = names["Munitions Industry Department"]
    assert mid.schema is Schema.PUBLIC_BODY and "gov" in mid.properties["topics"]
    assert names["Korea Ryonbong General Corporation"].schema is Schema.LEGAL_ENTITY
    mod = [e for e in _entities(loaded["833"]).values()
           if e.properties["name"] == ("Ministry of Defence of the Russian Federation",)]
    assert mod and mod[0].schema is Schema.PUBLIC_BODY


def test_script_labels_are_not_names(loaded: dict[str, list[Record]]) -> None:
    """The OJ prints a name in another script as an image headed by its script; the
    transcription keeps "Korean:" and "Text of image" beside the name itself."""
    entities = _entities(loaded["269"])
    aliases = [a for e in entities.values() for a in e.properties.get("alias", ())]
    assert not [a for a in aliases if a.endswith(":") or a == "Text of image"]
    assert entities["I.PERSONS#1869"].properties["alias"] == ("노광철",)

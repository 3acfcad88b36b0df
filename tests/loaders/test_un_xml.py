"""UN Security Council consolidated XML, on the real list of 2026-02-27."""

from __future__ import annotations

from collections import Counter

import pytest

from graph.model import Entity, ListMeta, Record, Sanction, Schema
from loaders import detect_loader, un_xml
from tests.conftest import raw

UN = "un_consolidated_2026-02-27.xml"


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return list(un_xml.load(raw(UN)))


def _entities(records: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in records if isinstance(r, Entity)}


def _by_ref(records: list[Record], ref: str) -> Entity:
    found = [e for e in _entities(records).values() if ref in e.properties.get("unscId", ())]
    assert len(found) == 1, ref
    return found[0]


def test_detected_by_content() -> None:
    assert detect_loader(raw(UN)).format == "un_xml"


def test_counts_match_sources_md(records: list[Record]) -> None:
    entities = _entities(records)
    schemata = Counter(e.schema for e in entities.values())
    assert len(entities) == 1003
    assert schemata[Schema.PERSON] == 730
    assert len(entities) - schemata[Schema.PERSON] == 273
    sanctions = [r for r in records if isinstance(r, Sanction)]
    assert len(sanctions) == 1003
    dprk = Counter(
        e.schema is Schema.PERSON for e in entities.values() if "DPRK" in e.properties["program"]
    )
    assert dprk[True] == 80 and dprk[False] == 75
    assert not any(e.schema is Schema.VESSEL for e in entities.values())


def test_list_date_is_date_generated(records: list[Record]) -> None:
    assert records[0] == ListMeta("2026-02-27")


def test_ocean_maritime_management(records: list[Record]) -> None:
    omm = _by_ref(records, "KPe.020")
    assert omm.id == omm.record_id == "6908046"
    assert omm.schema is Schema.COMPANY
    assert omm.properties["name"] == ("OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)",)
    assert "Korea Mirae Shipping Co. Ltd" in omm.properties["alias"]
    assert omm.properties["imoNumber"] == ("1790183",)  # the IMO company number in the remarks
    assert omm.properties["country"] == ("kp",)
    sanction = next(r for r in records if isinstance(r, Sanction) and r.entity == omm.id)
    assert sanction.authority == "UN Security Council"
    assert sanction.program == "DPRK"
    assert sanction.listing_date == "2014-07-28"
    assert sanction.properties["unscId"] == ("KPe.020",)


def test_dprk_state_bodies_are_public_bodies(records: list[Record]) -> None:
    mid = _by_ref(records, "KPe.028")
    assert mid.properties["name"] == ("MUNITIONS INDUSTRY DEPARTMENT",)
    assert mid.schema is Schema.PUBLIC_BODY
    assert "gov" in mid.properties["topics"]
    for ref in ("KPe.031", "KPe.054", "KPe.030"):  # RGB, Ministry of National Defence, Office 39
        assert "gov" in _by_ref(records, ref).properties["topics"], ref
    samjong = _by_ref(records, "KPe.064")  # a shipping firm is not the state
    assert samjong.schema is Schema.COMPANY and "gov" not in samjong.properties["topics"]
    # On a terrorism list an "army" is not a government's.
    for entity in _entities(records).values():
        if "Al-Qaida" in entity.properties["program"]:
            assert "gov" not in entity.properties["topics"]


def test_individual_facts_and_alias_quality(records: list[Record]) -> None:
    person = _by_ref(records, "KPi.001")
    assert person.schema is Schema.PERSON
    assert person.properties["nationality"] == ("kp",)
    assert person.properties["birthDate"]
    qualities = Counter()
    for entity in _entities(records).values():
        for prop in ("alias", "weakAlias", "previousName"):
            qualities[prop] += len(entity.properties.get(prop, ()))
    # Low-quality aliases are weak aliases, f.k.a. previous names.
    assert qualities["weakAlias"] > 500
    assert qualities["previousName"] >= 19

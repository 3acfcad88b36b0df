"""OFAC's three XML forms on the real samples: exact counts as SOURCES.md gives them, the facts of
named records, relation types and their direction, and bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from graph.errors import SourceError
from graph.model import Entity, ListMeta, Problem, Record, Relation, RelationKind, Sanction, Schema
from graph.store import Store
from loaders import detect_loader, ofac_advanced_xml, ofac_enhanced_xml, ofac_sdn_xml
from pipeline.ingest import load_file
from tests.conftest import FIXTURES, raw

LEGACY = "ofac_consolidated_nonsdn_2025-03-28.xml"
ADVANCED = "ofac_cons_advanced_2020-03-17.xml"
ENHANCED = "ofac_enhanced_xml_program_IRGC_2024-08-28.xml"
UN = "un_consolidated_2026-02-27.xml"


def _records(module: object, name: str | Path) -> list[Record]:
    path = name if isinstance(name, Path) else raw(name)
    return list(module.load(path))  # type: ignore[attr-defined]


def _entities(records: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in records if isinstance(r, Entity)}


# -- legacy SDN.XML -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def legacy() -> list[Record]:
    return _records(ofac_sdn_xml, LEGACY)


def test_legacy_counts_match_the_file(legacy: list[Record]) -> None:
    entities = _entities(legacy)
    assert len(entities) == 443
    schemata = Counter(e.schema for e in entities.values())
    assert schemata[Schema.PERSON] == 80
    assert sum(schemata.values()) - schemata[Schema.PERSON] == 363
    # One sanction per <program> element: 525 in the file.
    assert sum(isinstance(r, Sanction) for r in legacy) == 525
    assert [r.list_date for r in legacy if isinstance(r, ListMeta)] == ["2025-03-28"]


def test_legacy_record_facts(legacy: list[Record]) -> None:
    entities = _entities(legacy)
    haniya = entities["9639"]
    assert haniya.record_id == "9639"
    assert haniya.schema is Schema.PERSON
    assert haniya.properties["name"] == ("HANIYA, Ismail Abdul Salah",)
    assert haniya.properties["alias"] == ("HANIYA, Ismail", "HANIYYA, Ismaeel")
    assert haniya.properties["birthDate"] == ("1962",)
    stankoimport = entities["18809"]
    assert stankoimport.properties["taxNumber"] == ("7728309982",)
    assert stankoimport.properties["registrationNumber"] == ("1047728029051", "00225271")
    assert stankoimport.properties["country"] == ("ru",)
    # "(Linked To: STATE CORPORATION ROSTEC)" in its remarks: ROSTEC (17260) is on the same list.
    links = [r for r in legacy if isinstance(r, Relation) and r.object == "18809"]
    assert [(r.kind, r.subject, r.role) for r in links] == [
        (RelationKind.LINK, "17260", "linked to")
    ]
    # "(Linked To: HAMAS)": HAMAS is on the SDN list, not this one: reported, never guessed.
    problems = [r for r in legacy if isinstance(r, Problem) and r.record_id == "9647"]
    assert [p.kind for p in problems] == ["unresolved link"]


def test_legacy_source_comes_from_the_official_file_name(tmp_path: Path) -> None:
    assert ofac_sdn_xml.source_for(raw(LEGACY)) == "us_ofac_cons"
    assert ofac_sdn_xml.source_for(tmp_path / "SDN.XML") == "us_ofac_sdn"
    assert ofac_sdn_xml.source_for(tmp_path / "CONSOLIDATED.XML") == "us_ofac_cons"


def test_legacy_vessels_imo_numbers_and_links() -> None:
    records = _records(ofac_sdn_xml, FIXTURES / "ofac_sdn_vessels.xml")
    entities = _entities(records)
    angara = entities["37059"]
    assert angara.schema is Schema.VESSEL
    assert angara.properties["imoNumber"] == ("9179842",)
    assert angara.properties["flag"] == ("ru",)
    assert angara.properties["grossRegisteredTonnage"] == ("8811",)
    leasing = entities["37065"]
    assert leasing.schema is Schema.COMPANY
    assert leasing.properties["imoNumber"] == ("6246853",)  # the IMO *company* number
    assert leasing.properties["innCode"] == ("9701173086",)
    maria = entities["46773"]
    assert maria.properties["buildDate"] == ("1986",)
    assert maria.properties["callSign"] == ("UBRH7",)
    links = [r for r in records if isinstance(r, Relation)]
    # ANGARA's Linked To (real), and the vessel owner of the made-up EXAMPLE VESSEL ONE.
    assert [(r.kind, r.subject, r.object, r.role) for r in links] == [
        (RelationKind.LINK, "37065", "37059", "linked"),
        (RelationKind.OWNERSHIP, "99997", "99998", "registered owner"),
    ]
    problems = {(p.kind, p.record_id) for p in records if isinstance(p, Problem)}
    assert ("invalid IMO ship number", "99999") in problems
    assert ("unresolved link", "46773") in problems  # its Linked To IBEX is not in the fixture
    assert "imoNumber" not in entities["99999"].properties


# -- Advanced XML -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def advanced() -> list[Record]:
    return _records(ofac_advanced_xml, ADVANCED)


def test_advanced_counts_match_the_file(advanced: list[Record]) -> None:
    entities = _entities(advanced)
    assert len(entities) == 375
    assert Counter(e.schema for e in entities.values())[Schema.PERSON] == 82
    relations = [r for r in advanced if isinstance(r, Relation)]
    assert len(relations) == 276
    assert {(r.kind, r.role) for r in relations} == {
        (RelationKind.OWNERSHIP, "Owned or Controlled By")
    }
    sanctions = [r for r in advanced if isinstance(r, Sanction)]
    # Every one of the 759 SanctionsEntry elements yields its programme(s).
    assert len({s.id.split(":")[0] for s in sanctions}) == 759
    assert [r.list_date for r in advanced if isinstance(r, ListMeta)] == ["2020-03-17"]
    assert not [r for r in advanced if isinstance(r, Problem)]


def test_advanced_names_features_and_direction(advanced: list[Record]) -> None:
    entities = _entities(advanced)
    haniya = entities["9639"]
    assert haniya.properties["name"] == ("HANIYA, Ismail Abdul Salah",)
    assert haniya.properties["birthDate"] == ("1962",)  # a 1962-01-01..1962-12-31 period
    assert haniya.properties["birthPlace"] == ("Shati",)
    veb = entities["17015"]
    assert veb.properties["name"] == ("Vnesheconombank",)
    assert veb.properties["weakAlias"] == ("VEB",)
    assert veb.properties["swiftBic"] == ("BFEARUMM",)
    # ProfileRelationship 2211: profile 18267 "Owned or Controlled By" profile 17022.
    (rel,) = [r for r in advanced if isinstance(r, Relation) and r.id == "2211"]
    assert (rel.subject, rel.object, rel.record_id) == ("17022", "18267", "18267")
    sanctions = [s for s in advanced if isinstance(s, Sanction) and s.entity == "9639"]
    assert {(s.program, s.listing_date) for s in sanctions} == {
        ("NS-PLC", "2014-10-10"), ("NS-PLC", "2006-04-12")
    }


# -- Enhanced XML -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def enhanced() -> list[Record]:
    return _records(ofac_enhanced_xml, ENHANCED)


def test_enhanced_counts_match_the_file(enhanced: list[Record]) -> None:
    entities = _entities(enhanced)
    assert len(entities) == 293
    schemata = Counter(e.schema for e in entities.values())
    assert schemata[Schema.PERSON] == 165
    assert schemata[Schema.AIRPLANE] == 44
    assert schemata[Schema.COMPANY] + schemata[Schema.ORGANIZATION] == 84
    typed = [r for r in enhanced if isinstance(r, Relation) and r.id.isdigit()]
    outside = [r for r in enhanced if isinstance(r, Problem)
               and r.kind == "relation to a party outside this file"]
    # 229 typed relationships: 201 between parties of the slice, 28 to parties outside it.
    assert len(typed) + len(outside) == 229
    assert len(outside) == 28
    assert Counter(r.role for r in typed) == {
        "Acting for or on behalf of": 96, "Owned or Controlled By": 66,
        "Providing support to": 31, "Leader or official of": 7,
        "Property in the interest of": 1,
    }
    assert [r.list_date for r in enhanced if isinstance(r, ListMeta)] == ["2024-08-28"]


def test_enhanced_relation_kinds_and_direction(enhanced: list[Record]) -> None:
    by_id = {r.id: r for r in enhanced if isinstance(r, Relation)}
    owned = by_id["8157"]  # IRANIAN ATLAS COMPANY (26527) Owned or Controlled By ANSAR BANK
    assert (owned.kind, owned.subject, owned.object) == (RelationKind.OWNERSHIP, "12478", "26527")
    leader = next(r for r in by_id.values() if r.role == "Leader or official of")
    assert leader.kind is RelationKind.DIRECTORSHIP
    assert leader.subject == leader.record_id  # the leader directs the organisation
    acting = next(r for r in by_id.values() if r.role == "Acting for or on behalf of")
    assert acting.kind is RelationKind.LINK
    assert acting.object == acting.record_id  # the agent is below its principal
    aircraft = _entities(enhanced)["24475"]
    assert aircraft.schema is Schema.AIRPLANE
    assert aircraft.properties["model"] == ("IL-76",)
    operator = by_id["24475:link:0"]
    assert (operator.kind, operator.subject) == (RelationKind.OPERATION, "13109")  # POUYA AIR


def test_enhanced_program_slice_gets_its_own_source() -> None:
    assert ofac_enhanced_xml.source_for(raw(ENHANCED)) == "us_ofac_irgc"


def test_each_form_is_detected() -> None:
    assert detect_loader(raw(LEGACY)).format == "ofac_sdn_xml"
    assert detect_loader(raw(ADVANCED)).format == "ofac_advanced_xml"
    assert detect_loader(raw(ENHANCED)).format == "ofac_enhanced_xml"


def test_loading_all_three_into_a_store(store: Store) -> None:
    results = [load_file(store, raw(name)) for name in (LEGACY, ADVANCED, ENHANCED)]
    assert [(r.info.source, r.info.list_date, r.info.entities) for r in results] == [
        ("us_ofac_cons", "2025-03-28", 443),
        ("us_ofac_cons", "2020-03-17", 375),
        ("us_ofac_irgc", "2024-08-28", 293),
    ]
    # The 2020 advanced file is older than the 2025 list: kept as history, not current.
    assert not results[1].info.current
    assert results[2].info.relations == 244  # 201 typed + 43 aircraft operators


# -- bad input ----------------------------------------------------------------------------------

XML_LOADERS = [ofac_sdn_xml, ofac_advanced_xml, ofac_enhanced_xml]
SAMPLES = {ofac_sdn_xml: LEGACY, ofac_advanced_xml: ADVANCED, ofac_enhanced_xml: ENHANCED}


def _one_line(exc: SourceError, path: Path) -> str:
    message = str(exc)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


@pytest.fixture
def loaded_store(store: Store) -> Store:
    load_file(store, FIXTURES / "ofac_sdn_vessels.xml")
    return store


def _assert_fails_unchanged(store: Store, path: Path, fmt: str) -> str:
    before = store.snapshot()
    with pytest.raises(SourceError) as info:
        load_file(store, path, format=fmt)
    assert store.snapshot() == before
    return _one_line(info.value, path)


@pytest.mark.parametrize("module", XML_LOADERS, ids=lambda m: m.FORMAT)
def test_truncated_xml(module: object, tmp_path: Path, loaded_store: Store) -> None:
    data = raw(SAMPLES[module]).read_bytes()  # type: ignore[index]
    path = tmp_path / "truncated.xml"
    path.write_bytes(data[: len(data) // 2])
    message = _assert_fails_unchanged(loaded_store, path, module.FORMAT)  # type: ignore[attr-defined]
    assert "truncated XML" in message or "malformed XML" in message
    assert ":line " in message


@pytest.mark.parametrize("module", XML_LOADERS, ids=lambda m: m.FORMAT)
def test_xml_of_another_schema(module: object, loaded_store: Store) -> None:
    path = raw(UN)
    message = _assert_fails_unchanged(loaded_store, path, module.FORMAT)  # type: ignore[attr-defined]
    assert "the root element is <CONSOLIDATED_LIST>" in message
    assert ":line 2:" in message


@pytest.mark.parametrize("module", XML_LOADERS, ids=lambda m: m.FORMAT)
def test_empty_file(module: object, tmp_path: Path, loaded_store: Store) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b"  \r\n")
    message = _assert_fails_unchanged(loaded_store, path, module.FORMAT)  # type: ignore[attr-defined]
    assert message.endswith("file is empty")


@pytest.mark.parametrize("module", XML_LOADERS, ids=lambda m: m.FORMAT)
def test_wrong_encoding(module: object, tmp_path: Path, loaded_store: Store) -> None:
    data = raw(SAMPLES[module]).read_bytes()  # type: ignore[index]
    # A made-up name re-encoded as cp1252 in a file that declares (or defaults to) UTF-8.
    marker = data.index(b"<", data.index(b"<", 2000) + 1)
    path = tmp_path / "cp1252.xml"
    path.write_bytes(data[:marker] + "Société Exemple".encode("cp1252") + data[marker:])
    message = _assert_fails_unchanged(loaded_store, path, module.FORMAT)  # type: ignore[attr-defined]
    assert "not valid UTF-8" in message
    assert ":line " in message


def test_huge_text_field(tmp_path: Path, loaded_store: Store) -> None:
    """A 50 MB remarks field (a broken export) stops the load with one line, not memory use."""
    data = (FIXTURES / "ofac_sdn_vessels.xml").read_bytes()
    path = tmp_path / "huge.xml"
    cut = data.index(b"(Linked To")
    path.write_bytes(data[:cut] + b"x" * 50_000_000 + data[cut:])
    message = _assert_fails_unchanged(loaded_store, path, "ofac_sdn_xml")
    assert "malformed XML" in message


def _legacy_with(tmp_path: Path, keep: float, count: str | None = None) -> Path:
    """The real legacy XML, well-formed, with only the first `keep` share of its entries (and
    its Record_Count replaced by `count` when given)."""
    tree = etree.parse(str(raw(LEGACY)))
    entries = list(tree.getroot().iter("{*}sdnEntry"))
    for entry in entries[int(len(entries) * keep):]:
        entry.getparent().remove(entry)
    if count is not None:
        (element,) = tree.getroot().iter("{*}Record_Count")
        element.text = count
    path = tmp_path / "sdn.xml"
    tree.write(str(path), xml_declaration=True, encoding="utf-8")
    return path


def test_legacy_xml_missing_entries_is_refused_by_its_record_count(
    tmp_path: Path, loaded_store: Store
) -> None:
    path = _legacy_with(tmp_path, 0.5)
    message = _assert_fails_unchanged(loaded_store, path, "ofac_sdn_xml")
    assert message == (f"{path}: publshInformation/Record_Count states 443 entries, "
                       "the file holds 221 sdnEntry")


def test_legacy_xml_record_count_must_be_a_number(tmp_path: Path, loaded_store: Store) -> None:
    path = _legacy_with(tmp_path, 1.0, count="443 records")
    message = _assert_fails_unchanged(loaded_store, path, "ofac_sdn_xml")
    assert message == f"{path}:line 5: publshInformation/Record_Count '443 records' is not a number"


def test_legacy_xml_whose_count_matches_loads(tmp_path: Path) -> None:
    """The count is what is checked, not the file's size: the same cut stating its own count
    reads (and the store's shrink guard is what stands between it and the current version)."""
    path = _legacy_with(tmp_path, 0.5, count="221")
    assert sum(isinstance(r, Entity) for r in ofac_sdn_xml.load(path)) == 221

"""The OFAC legacy CSV set, on the real files: every quirk SOURCES.md lists."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from graph.errors import SourceError
from graph.model import Entity, Problem, Relation, RelationKind, Sanction, Schema
from loaders import ofac_csv
from tests.conftest import OFAC_SDN, raw


@pytest.fixture(scope="module")
def records() -> list[object]:
    return list(ofac_csv.load(raw(OFAC_SDN.name)))


@pytest.fixture(scope="module")
def entities(records: list[object]) -> dict[str, Entity]:
    return {r.id: r for r in records if isinstance(r, Entity)}


def test_counts_match_the_file(records: list[object], entities: dict[str, Entity]) -> None:
    # SOURCES.md: 14,965 entries: 6,854 individual, 851 vessel, 376 aircraft, 6,884 typed -0-.
    assert len(entities) == 14965
    kinds = Counter(e.schema for e in entities.values())
    assert kinds[Schema.PERSON] == 6854
    assert kinds[Schema.VESSEL] == 851
    assert kinds[Schema.AIRPLANE] == 376
    assert kinds[Schema.COMPANY] + kinds[Schema.ORGANIZATION] + kinds[Schema.PUBLIC_BODY] == 6884


def test_trailing_ctrl_z_row_and_nulls(entities: dict[str, Entity]) -> None:
    assert all(e.id.isdigit() for e in entities.values())
    for entity in entities.values():
        for values in entity.properties.values():
            assert all(v.strip() not in ("-0-", "") for v in values), entity


def test_angara_vessel_facts(entities: dict[str, Entity]) -> None:
    angara = entities["37059"]
    assert angara.schema is Schema.VESSEL
    assert angara.properties["imoNumber"] == ("9179842",)
    assert angara.properties["flag"] == ("ru",)
    assert angara.properties["type"] == ("Roll-on Roll-off",)
    assert angara.properties["grossRegisteredTonnage"] == ("8811",)
    maria = entities["46773"]
    assert maria.properties["buildDate"] == ("1986",)
    assert maria.properties["callSign"] == ("UBRH7",)


def test_mmsi_and_company_identifiers(entities: dict[str, Entity]) -> None:
    assert entities["48315"].properties["mmsi"] == ("511101287",)
    m_leasing = entities["37065"]
    assert m_leasing.schema is Schema.COMPANY
    # "Identification Number IMO 6246853" on a company is the IMO *company* number.
    assert m_leasing.properties["imoNumber"] == ("6246853",)
    assert m_leasing.properties["taxNumber"] == ("9701173086",)
    assert m_leasing.properties["innCode"] == ("9701173086",)


def test_programmes_joined_by_brackets(records: list[object]) -> None:
    programs = Counter(r.program for r in records if isinstance(r, Sanction))
    assert all("]" not in p and "[" not in p for p in programs)
    # SOURCES.md: DPRK 57, DPRK2 111, DPRK3 147, DPRK4 174, DPRK-NKSPEA 2 entries.
    assert programs["DPRK"] == 57
    assert programs["DPRK2"] == 111
    assert programs["DPRK3"] == 147
    assert programs["DPRK4"] == 174
    assert programs["DPRK-NKSPEA"] == 2


def test_aliases_from_remarks_and_alt_csv(entities: dict[str, Entity]) -> None:
    assert "BNC" in entities["306"].properties["alias"]  # a.k.a. in remarks
    assert "NATIONAL BANK OF CUBA" in entities["306"].properties["alias"]  # alt.csv
    assert "OBORONLOGISTIKA LLC" in entities["22407"].properties["alias"]
    assert "MARIA" in entities["36716"].properties["alias"]  # MARIA E a.k.a. 'MARIA'


def test_remarks_continued_in_comments_file(entities: dict[str, Entity]) -> None:
    # 27307's remark is cut at 1,000 characters mid-alias: 'WHOIS HACKIN' + 'G TEAM'.
    assert "WHOIS HACKING TEAM" in entities["27307"].properties["alias"]
    assert "APPLEWORM" in entities["27307"].properties["alias"]


def test_stale_continuation_is_reported_not_glued(records: list[object],
                                                   entities: dict[str, Entity]) -> None:
    problems = [r for r in records if isinstance(r, Problem)
                and r.kind == "stale remarks continuation"]
    assert [p.record_id for p in problems] == ["34682"]
    assert entities["34682"].properties["registrationNumber"] == ("1027700067328",)


def test_addresses_from_add_csv(entities: dict[str, Entity]) -> None:
    assert entities["37065"].properties["address"] == (
        "Baumanskaya Ul., D.7, Str. 1, Of. 301, Moscow 105005, Russia",)
    assert entities["46768"].properties["country"] == ("cy",)
    assert "address" not in entities["37059"].properties  # vessels have a -0- address row


def test_linked_to_becomes_a_relation(records: list[object]) -> None:
    relations = {(r.subject, r.object): r for r in records if isinstance(r, Relation)}
    angara = relations[("37065", "37059")]
    assert angara.kind is RelationKind.LINK
    assert angara.role == "linked"
    assert relations[("46768", "46773")].role == "linked"  # MARIA -> IBEX SHIPPING INC
    assert relations[("37066", "37061")].role == "linked"  # POLAR ROCK -> MARINE TRANS


def test_ambiguous_and_missing_link_targets_are_counted(records: list[object]) -> None:
    problems = Counter(r.kind for r in records if isinstance(r, Problem))
    assert problems["ambiguous link"] > 0
    assert problems["unresolved link"] > 0
    relations = [r for r in records if isinstance(r, Relation)]
    # NATIONAL IRANIAN TANKER COMPANY is the name of two entries: never guessed.
    assert not any(r.object == "15036" for r in relations)


def test_invalid_ship_imo_is_a_problem_not_an_identifier(records: list[object],
                                                          entities: dict[str, Entity]) -> None:
    bad = [r for r in records if isinstance(r, Problem) and r.kind == "invalid IMO ship number"]
    assert bad
    for problem in bad:
        assert "imoNumber" not in entities[problem.record_id or ""].properties


def test_companions_found_by_official_names(tmp_path: Path) -> None:
    for name, target in (("ofac_sdn_2024-05-03.csv", "sdn.csv"), ("ofac_add_2025-01.csv",
                         "add.csv"), ("ofac_alt_2025-01.csv", "alt.csv"),
                         ("ofac_sdn_comments_2025-01.csv", "sdn_comments.csv")):
        shutil.copy(raw(name), tmp_path / target)
    found = ofac_csv.companions(tmp_path / "sdn.csv")
    assert {k: p.name for k, p in found.items()} == {
        "add": "add.csv", "alt": "alt.csv", "comments": "sdn_comments.csv"}


# -- end-of-file marker -------------------------------------------------------------------------

#: The real files of the set, each under its official name; each ends with OFAC's byte 0x1A.
_SET = {"sdn.csv": "ofac_sdn_2024-05-03.csv", "add.csv": "ofac_add_2025-01.csv",
        "alt.csv": "ofac_alt_2025-01.csv", "sdn_comments.csv": "ofac_sdn_comments_2025-01.csv"}


def _cut_at_row(data: bytes, rows: int) -> bytes:
    """The first `rows` rows of an OFAC CSV, ending at a row boundary as a stopped download
    can: well-formed CSV, only without the end-of-file byte."""
    return b"\r\n".join(data.split(b"\r\n")[:rows]) + b"\r\n"


@pytest.mark.parametrize("cut", sorted(_SET))
def test_a_file_of_the_set_cut_at_a_row_boundary_is_refused(tmp_path: Path, cut: str) -> None:
    for name, shared in _SET.items():
        shutil.copy(raw(shared), tmp_path / name)
    data = raw(_SET[cut]).read_bytes()
    assert data.endswith(b"\r\n\x1a")
    rows = data.count(b"\r\n") // 2
    (tmp_path / cut).write_bytes(_cut_at_row(data, rows))
    with pytest.raises(SourceError) as caught:
        list(ofac_csv.load(tmp_path / "sdn.csv"))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / cut}:line {rows}: ")
    assert "expected OFAC's end-of-file byte 0x1A after the last row, found none" in message
    assert "\n" not in message

"""UK OFSI ConList, xlsx on the real list of 2025-04-10 and csv made from a slice of it."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from graph.model import Entity, ListMeta, Problem, Record, Relation, Sanction, Schema
from loaders import detect_loader, get_loader, uk_ofsi
from tests.conftest import raw

UK = "uk_ofsi_conlist_2025-04-10.xlsx"
DPRK = "Democratic People's Republic of Korea"


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return list(uk_ofsi.load(raw(UK)))


@pytest.fixture(scope="module")
def sheet_rows() -> list[list[str | None]]:
    book = openpyxl.load_workbook(raw(UK), read_only=True)
    rows = [[None if v is None else str(v) for v in row]
            for row in book["Data"].iter_rows(values_only=True)]
    book.close()
    return rows


def _entities(records: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in records if isinstance(r, Entity)}


def test_detected_by_content() -> None:
    assert detect_loader(raw(UK)).format == "uk_ofsi_xlsx"


def test_counts_match_sources_md(records: list[Record], sheet_rows: list[list[str | None]]
                                 ) -> None:
    assert len(sheet_rows) - 2 == 18796  # alias rows, after "Last Updated" and the header
    entities = {k: e for k, e in _entities(records).items() if not k.startswith("party:")}
    assert len(entities) == 4686  # one per Group ID
    schemata = Counter(e.schema for e in entities.values())
    assert schemata[Schema.PERSON] == 3662
    assert schemata[Schema.VESSEL] == 15
    assert sum(schemata.values()) - schemata[Schema.PERSON] - schemata[Schema.VESSEL] == 1009
    sanctions = [r for r in records if isinstance(r, Sanction)]
    assert len(sanctions) == 4702  # 15 groups are listed under two regimes
    assert sum(1 for s in sanctions if s.program == DPRK) == 239
    assert all(s.authority == "UK OFSI" for s in sanctions)
    assert records[0] == ListMeta("2025-04-10")


def test_m_leasing_carries_every_identifier_it_states(records: list[Record]) -> None:
    m_leasing = _entities(records)["15911"]
    assert m_leasing.schema is Schema.COMPANY  # "Type of entity: Limited Liability Company"
    assert m_leasing.properties["name"] == ("M LEASING",)
    assert set(m_leasing.properties["alias"]) == {"M LIZING", "М ЛИЗИНГ"}
    assert m_leasing.properties["innCode"] == ("9701173086",)  # "Business Reg No", Russia
    assert m_leasing.properties["registrationNumber"] == ("9701173086",)
    assert m_leasing.properties["email"] == ("svetlana-osik@mail.ru",)
    assert m_leasing.properties["country"] == ("ru",)
    (sanction,) = [r for r in records if isinstance(r, Sanction) and r.entity == "15911"]
    assert sanction.program == "Russia"
    assert sanction.listing_date == "2023-05-19"
    assert sanction.properties["authorityId"] == ("RUS1850",)
    assert sanction.properties["reason"][0].startswith("M LEASING is an involved person")


def test_ships_with_imo_owner_and_un_reference(records: list[Record]) -> None:
    entities = _entities(records)
    sam_jong = entities["13651"]
    assert sam_jong.schema is Schema.VESSEL
    assert sam_jong.properties["name"] == ("SAM JONG 2",)
    assert sam_jong.properties["imoNumber"] == ("7408873",)
    assert sam_jong.properties["flag"] == ("kp",)
    assert sam_jong.properties["pastFlags"] == ("ru",)
    assert "RAINBOW CHASER" in sam_jong.properties["alias"]
    relations = [r for r in records if isinstance(r, Relation) and r.role == "registered owner"]
    assert len(relations) == 14  # 15 ships; PAEK MA names no owner
    (owner,) = [r for r in relations if r.object == "13651"]
    assert owner.role == "registered owner"
    assert owner.subject == "13635"  # Korea Samjong Shipping, itself listed
    samjong = entities["13635"]
    assert samjong.properties["unscId"] == ("KPe.064",)
    assert all(r.subject in entities for r in relations)


def test_dates_with_unknown_day_or_month() -> None:
    assert uk_ofsi.uk_date("25/06/2024") == "2024-06-25"
    assert uk_ofsi.uk_date("00/00/1994") == "1994"
    assert uk_ofsi.uk_date("00/08/1970") == "1970-08"
    assert uk_ofsi.uk_date("1954") == "1954"
    assert uk_ofsi.uk_date("soon") is None


def test_other_information_labels() -> None:
    lead, pairs = uk_ofsi.split_other_information(
        "(UK Sanctions List Ref):SOM0025. (UN Ref):SOi.023. Listed pursuant to resolution 2662 "
        "(2022): (i) participating (Gender):Male"
    )
    assert lead == ""
    assert [k for k, _ in pairs] == ["UK Sanctions List Ref", "UN Ref", "Gender"]
    assert "(2022): (i)" in pairs[1][1]  # a year in parentheses is text, not a label


def test_csv_form_matches_xlsx(tmp_path: Path, sheet_rows: list[list[str | None]],
                               records: list[Record]) -> None:
    """The csv form, written from the groups of the first 600 rows of the real xlsx and the
    M LEASING group (a group's rows need not be adjacent)."""
    groups = {r[-1] for r in sheet_rows[2:602]} | {"15911"}
    body = [r for r in sheet_rows[2:] if r[-1] in groups]
    path = tmp_path / "ConList.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for row in [sheet_rows[0], sheet_rows[1], *body]:
            writer.writerow(["" if v is None else v for v in row])
    spec = detect_loader(path)
    assert spec is get_loader("uk_ofsi_csv")
    from_csv = list(spec.load(path))
    csv_entities = {e.id: e for e in from_csv
                    if isinstance(e, Entity) and not e.id.startswith("party:")}
    assert set(csv_entities) == groups
    xlsx_entities = _entities(records)
    for gid in groups:
        assert csv_entities[gid] == xlsx_entities[gid]
    assert from_csv[0] == ListMeta("2025-04-10")


def test_parent_companies(records: list[Record]) -> None:
    """A parent named in "Other Information" owns the entity when it is listed itself or is a
    state body; looser parent texts stay in the notes."""
    entities = _entities(records)
    parents = [r for r in records if isinstance(r, Relation) and r.role == "parent company"]
    assert len(parents) == 73
    unlisted = [e for k, e in entities.items() if k.startswith("party:")]
    assert len(unlisted) == 21
    assert all(e.schema is Schema.PUBLIC_BODY and "gov" in e.properties["topics"]
               for e in unlisted)
    by_child = {(r.subject, r.object) for r in parents}
    # KOREA RYONBONG GENERAL CORPORATION (listed) is the parent of KOREA PUGANG TRADING.
    ryonbong = [k for k, e in entities.items()
                if e.properties["name"] == ("KOREA RYONBONG GENERAL CORPORATION",)]
    pugang = [k for k, e in entities.items()
              if e.properties["name"] == ("KOREA PUGANG TRADING CORPORATION",)]
    assert (ryonbong[0], pugang[0]) in by_child
    assert ("party:russian ministry of defence", next(
        k for k, e in entities.items()
        if e.properties["name"] == ("RUSSIAN MINISTRY OF DEFENCE 27TH SCIENTIFIC CENTRE",)
    )) in by_child
    (problem,) = [r for r in records if isinstance(r, Problem)]
    assert problem.kind == "ambiguous parent company"

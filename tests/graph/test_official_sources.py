"""`sanctions-graph sources` after loading the official lists: each source with its list date and
exact counts per file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import DEMO, raw

#: file -> (source, list date, entities, relations, sanctions, problems)
EXPECTED = {
    "un_consolidated_2026-02-27.xml": ("un_sc", "2026-02-27", 1003, 0, 1003, 0),
    "uk_ofsi_conlist_2025-04-10.xlsx": ("gb_ofsi", "2025-04-10", 4707, 87, 4702, 1),
    "eu_designated_vessels_annexXLII_2025-10-23.csv": ("eu_vessels", "2025-10-23", 556, 0, 556,
                                                       1),
    "eu_oj_consolidated_32014R0269.csv": ("eu_oj_269_2014", "2026-07-17", 2802, 127, 2802, 32),
    "eu_oj_consolidated_32014R0833.csv": ("eu_oj_833_2014", "2026-05-14", 1718, 0, 1718, 165),
    "eu_oj_consolidated_32017R1509.csv": ("eu_oj_2017_1509", "2024-12-16", 326, 0, 326, 23),
}


@pytest.fixture(scope="module")
def official_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("official") / "official.db"
    with Store(path) as store:
        for name in EXPECTED:
            load_file(store, raw(name))
        load_file(store, DEMO / "sdn.csv", list_date="2024-05-03")  # the demo's OFAC set
    return path


def test_sources_lists_each_file_with_exact_counts(official_db: Path) -> None:
    result = CliRunner().invoke(app, ["sources", "--db", str(official_db), "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["source"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {source for source, *_ in EXPECTED.values()} | {"us_ofac_sdn"}
    for name, (source, list_date, entities, relations, sanctions, problems) in EXPECTED.items():
        row = rows[source]
        assert Path(row["path"]).name == name
        assert row["list_date"] == list_date, source
        assert (row["entities"], row["relations"], row["sanctions"]) == (
            entities, relations, sanctions), source
        assert sum(row["problems"].values()) == problems, source


def test_sources_table_for_people(official_db: Path) -> None:
    result = CliRunner().invoke(app, ["sources", "--db", str(official_db)])
    assert result.exit_code == 0, result.output
    for source in ("un_sc", "gb_ofsi", "eu_vessels", "eu_oj_833_2014"):
        assert source in result.stdout


def test_loading_a_list_twice_changes_nothing(official_db: Path) -> None:
    with Store(official_db) as store:
        before = store.snapshot()
        result = load_file(store, raw("un_consolidated_2026-02-27.xml"))
        assert result.unchanged
        assert store.snapshot() == before


def test_exact_identifiers_join_the_eu_and_uk_records(official_db: Path) -> None:
    """ANGARA's IMO number joins the EU vessel list, the EU OJ annex and OFAC in one vessel."""
    with Store(official_db) as store:
        angara = store.by_key("imo-ship:9179842")
        assert angara, "ANGARA from the EU vessel list and the EU OJ annex"
        listings = store.listings(angara[0])
        assert {(x.provenance.source, x.program) for x in listings} == {
            ("eu_vessels", "EU 833/2014 Annex XLII"), ("eu_oj_833_2014", "EU 833/2014 Annex XLII"),
            ("us_ofac_sdn", "RUSSIA-EO14024"),
        }


def test_uk_m_leasing_carries_the_identifiers_resolution_needs(official_db: Path) -> None:
    """UK's M LEASING (Group 15911) states the INN that OFAC gives as M LEASING LLC's tax id and
    the EU as its tax number, but no IMO company number: exact-identifier merging joins the EU and
    OFAC records (IMO 6246853) and leaves the UK one apart until fuzzy resolution lands."""
    with Store(official_db) as store:
        uk = store.canonical_of("gb_ofsi:15911")
        ofac = store.canonical_of("us_ofac_sdn:37065")
        eu = store.canonical_of("eu_oj_269_2014:I.ENTITIES#370")
        assert ofac == eu == "company:IMO6246853"
        assert uk is not None and uk != ofac
        assert ("innCode", "9701173086") in {(f.prop, f.value) for f in store.facts(uk)}
        inns = {f.value for f in store.facts(ofac) if f.prop == "innCode"}
        assert inns == {"9701173086"}
        programs = {(x.provenance.source, x.program) for x in store.listings(ofac)}
        assert programs == {("us_ofac_sdn", "RUSSIA-EO14024"),
                            ("eu_oj_269_2014", "EU 269/2014 Annex I.ENTITIES")}
        assert store.by_property("unscId", "KPe.020")

"""EU designated vessels (Annex XLII), on the real import-version CSV of 2025-10-23."""

from __future__ import annotations

from collections import Counter

import pytest

from graph.model import Entity, ListMeta, Problem, Record, Sanction, Schema
from loaders import detect_loader, eu_vessels
from tests.conftest import raw

EU_VESSELS = "eu_designated_vessels_annexXLII_2025-10-23.csv"


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return list(eu_vessels.load(raw(EU_VESSELS)))


def test_counts_and_the_duplicate(records: list[Record]) -> None:
    assert detect_loader(raw(EU_VESSELS)).format == "eu_vessels_csv"
    lines = raw(EU_VESSELS).read_bytes().split(b"\r\n")
    assert len([line for line in lines[1:] if line]) == 557
    entities = [r for r in records if isinstance(r, Entity)]
    assert len(entities) == 556 and {e.schema for e in entities} == {Schema.VESSEL}
    assert len({e.id for e in entities}) == 556
    (problem,) = [r for r in records if isinstance(r, Problem)]
    assert problem.kind == "duplicate vessel" and problem.record_id == "9472634"
    sanctions = [r for r in records if isinstance(r, Sanction)]
    assert len(sanctions) == 556
    assert {(s.authority, s.program) for s in sanctions} == {("EU", "EU 833/2014 Annex XLII")}
    assert Counter(s.listing_date for s in sanctions)["2025-10-24"] == 116  # 117 rows, 1 twice
    assert records[0] == ListMeta("2025-10-23")


def test_angara_and_maria(records: list[Record]) -> None:
    entities = {r.id: r for r in records if isinstance(r, Entity)}
    sanctions = {r.entity: r for r in records if isinstance(r, Sanction)}
    assert entities["9179842"].properties["name"] == ("Angara",)
    assert entities["8517839"].properties["name"] == ("Maria",)
    assert sanctions["9179842"].listing_date == sanctions["8517839"].listing_date == "2024-06-25"


@pytest.mark.parametrize(
    ("text", "name", "former"),
    [
        ("Apar (formerly Feng Shou; Andromeda Star)", "Apar", ["Feng Shou", "Andromeda Star"]),
        ("Quartanus (formerly\u00a0Morpheus", "Quartanus", ["Morpheus"]),  # unclosed, nbsp
        ("Dorin (formerly E\u00a0Mei Shan)", "Dorin", ["E Mei Shan"]),
        ("Nova Crest (Formerly Hasan East)", "Nova Crest", ["Hasan East"]),
        ("Sea Owl I", "Sea Owl I", []),
    ],
)
def test_former_names(text: str, name: str, former: list[str]) -> None:
    assert eu_vessels.split_name(text) == (name, former)

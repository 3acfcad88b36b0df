"""The GUR and tak_shadowfleet ship tables, on the real files."""

from __future__ import annotations

from collections import Counter

from graph.model import Entity, Problem, Relation, Schema, ShipRole
from loaders import gur_csv, tak_json
from tests.conftest import GUR, TAK, raw


def test_gur_vessels() -> None:
    records = list(gur_csv.load(raw(GUR.name)))
    vessels = {r.id: r for r in records if isinstance(r, Entity)}
    # SOURCES.md: 1,414 vessels; two rows carry a Russian register number, not an IMO number.
    assert len(vessels) == 1414
    assert Counter(r.kind for r in records if isinstance(r, Problem)) == {
        "invalid IMO ship number": 2, "page label as former name": 1}
    # The scraped page's label 'Flags (former)' stands in 262 rows' former names: not a name.
    assert not any("Flags (former)" in v.properties.get("previousName", ())
                   for v in vessels.values())
    assert "previousName" not in vessels["9304605"].properties
    angara = vessels["9179842"]
    assert angara.schema is Schema.VESSEL
    assert angara.properties["mmsi"] == ("273210440",)
    assert angara.properties["callSign"] == ("UBYT2",)
    assert angara.properties["buildDate"] == ("1998",)
    assert angara.properties["flag"] == ("ru",)
    assert angara.properties["previousName"] == (
        "Scan Arctic", "Rickmers Arctic", "BBC Arctic", "BBC Karan", "Ocean Energy", "Fleet Star")
    assert vessels["9397559"].properties["previousName"] == ("Prisco Ekaterina", "SCF Angara")
    delisted = [v for v in vessels.values() if "mare.shadow" not in v.properties.get("topics", ())]
    assert len(delisted) == 10  # SOURCES.md: 1,404 listed, 10 delisted


def test_tak_vessels_and_operators() -> None:
    records = list(tak_json.load(raw(TAK.name)))
    vessels = [r for r in records if isinstance(r, Entity) and r.schema is Schema.VESSEL]
    assert len(vessels) == 1990
    operators = [r for r in records if isinstance(r, Relation)]
    assert all(r.role == ShipRole.OPERATOR.value for r in operators)
    # SOURCES.md: 656 vessels have an operator other than "Unknown"; 71 of those say "nan".
    assert len(operators) == 656 - 71
    by_id = {r.id: r for r in records if isinstance(r, Entity)}
    angara = by_id["9179842"]
    assert angara.properties["name"] == ("Angara",)
    assert set(angara.properties["alias"]) == {"M/V Angara"}  # ANGARA folded into Angara
    relation = next(r for r in operators if r.object == "9179842")
    assert by_id[relation.subject].properties["name"] == ("Marine Trans Shipping LLC",)
    maria = by_id["9198783"]
    assert "Boray" in maria.properties["alias"]

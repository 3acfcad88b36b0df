"""`export --format bods`: the standard's own examples and the fixtures pack load and export back as
valid BODS 0.4 (checked with the standard's JSON Schema, tests/fixtures/bods/schema), and a round
trip keeps every share with its bounds."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from bods_fixtures import list_cases
from bods_fixtures import load as load_fixture
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from typer.testing import CliRunner

from graph.cli import app
from graph.export_bods import export_bods
from graph.model import Entity, Relation
from graph.shares import stated_share
from graph.store import Store
from loaders.bods import load
from pipeline.ingest import load_file

BODS = Path(__file__).resolve().parents[1] / "fixtures" / "bods"
EXAMPLES = sorted((BODS / "examples").glob("*.json"))


def validator() -> Draft202012Validator:
    schemas = [json.loads(p.read_text(encoding="utf-8")) for p in (BODS / "schema").glob("*.json")]
    registry: Registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas)
    statement = next(s for s in schemas if s["$id"] == "urn:statement")
    return Draft202012Validator(statement, registry=registry)


VALIDATOR = validator()


def errors(package: list[Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in VALIDATOR.iter_errors(package)]


def shares(path: Path, names: dict[str, str] | None = None) -> Counter[tuple[str, ...]]:
    """Every relation's (holder, entity, kind, role, share) as a file states it, parties by
    their record id mapped through `names`."""
    records = list(load(path))
    entity_ids = {r.id for r in records if isinstance(r, Entity)}
    out: Counter[tuple[str, ...]] = Counter()
    for r in records:
        if isinstance(r, Relation):
            assert r.subject in entity_ids and r.object in entity_ids
            share = stated_share(r.percentage, r.properties)
            out[((names or {}).get(r.subject, r.subject), (names or {}).get(r.object, r.object),
                 r.kind.value, r.role or "", share.text if share else "")] += 1
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_schema_accepts_the_standard_s_own_example(example: Path) -> None:
    assert errors(json.loads(example.read_text(encoding="utf-8"))) == []


def round_trip(source_file: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    with Store(tmp_path / "store.db") as store:
        load_file(store, source_file, source="example")
        out = tmp_path / "export.json"
        result = export_bods(store, out)
        assert result.relationships > 0
        # A record's canonical id is the record id in the export.
        names = {}
        for r in load(source_file):
            if isinstance(r, Entity):
                canonical = store.canonical_of(f"example:{r.id}")
                assert canonical is not None
                names[r.id] = canonical
    return out, names


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_an_example_exports_back_as_valid_bods_with_every_share(example: Path,
                                                                 tmp_path: Path) -> None:
    out, names = round_trip(example, tmp_path)
    package = json.loads(out.read_text(encoding="utf-8"))
    assert errors(package) == []
    assert shares(out) == shares(example, names)


@pytest.mark.parametrize("case", list_cases())
def test_the_fixtures_pack_exports_back(case: str, tmp_path: Path) -> None:
    source = tmp_path / "case.json"
    source.write_text(json.dumps(load_fixture(case).statements), encoding="utf-8")
    out, names = round_trip(source, tmp_path)
    assert errors(json.loads(out.read_text(encoding="utf-8"))) == []
    assert shares(out) == shares(source, names)


def test_bands_from_a_registry_csv_keep_their_open_ends(tmp_path: Path) -> None:
    # An example written here: every name says EXAMPLE, and IMO 9990040 (a valid check digit)
    # is an example number that occurs in no file of ../shared/data/raw; only the bands matter.
    csv = tmp_path / "registry.csv"
    csv.write_text(
        "vessel_imo,vessel_name,role,company_name,percentage,source\n"
        "9990040,EXAMPLE SHIP,beneficial owner,EXAMPLE HOLDER ONE,\">25,<=50\",EXAMPLE file\n"
        "9990040,EXAMPLE SHIP,beneficial owner,EXAMPLE HOLDER TWO,25-50,EXAMPLE file\n",
        encoding="utf-8")
    with Store(tmp_path / "store.db") as store:
        load_file(store, csv, source="example_registry")
        edges = [e for e in store.iter_edges() if e.kind == "ownership"]
        assert sorted(s.text for e in edges if (s := stated_share(e.percentage, e.properties))
                      ) == ["25-50", ">25,<=50"]
        result = export_bods(store, tmp_path / "out.json")
    # A vessel is no party in BODS: its owners' stakes in it are left out, and counted.
    assert result.relationships == 0 and result.skipped


def test_the_cli_exports_bods(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    with Store(db) as store:
        load_file(store, BODS / "examples" / "joint-ownership.json")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["export", "--db", str(db), "-f", "bods", "-o", str(out),
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["relationships"] == 3
    assert errors(json.loads(out.read_text(encoding="utf-8"))) == []


def test_ftm_export_keeps_a_band_as_its_percentage_text(tmp_path: Path) -> None:
    from graph.export_ftm import export_ftm
    from loaders.ftm import load as load_ftm

    with Store(tmp_path / "store.db") as store:
        load_file(store, BODS / "examples" / "bods-package-linking-annotations.json")
        export_ftm(store, tmp_path / "out.ftm.json")
    relations = [r for r in load_ftm(tmp_path / "out.ftm.json") if isinstance(r, Relation)
                 and r.kind.value == "ownership"]
    assert [(r.percentage, r.properties.get("share")) for r in relations] == [
        (None, (">25,<50",))]


def test_listings_and_claims_become_annotations(tmp_path: Path) -> None:
    # An example evidence file: both parties are described here and named EXAMPLE.
    claims = tmp_path / "claims.yaml"
    claims.write_text("""citation:
  title: An EXAMPLE report
  publisher: EXAMPLE publisher
  url: https://example.org/report
  date: 2023-10-16
entities:
  - {id: holder, schema: Company, name: EXAMPLE HOLDER}
  - {id: firm, schema: Company, name: EXAMPLE FIRM}
claims:
  - {id: c1, subject: "#holder", relation: owns, object: "#firm", percentage: ">50"}
""", encoding="utf-8")
    with Store(tmp_path / "store.db") as store:
        load_file(store, claims)
        export_bods(store, tmp_path / "out.json")
    package = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert errors(package) == []
    relationship = next(s for s in package if s["recordType"] == "relationship")
    assert relationship["recordDetails"]["interests"][0]["share"] == {
        "exclusiveMinimum": 50, "maximum": 100}
    [note] = relationship["annotations"]
    assert note["statementPointerTarget"] == "/recordDetails/interests/0"
    assert note["description"].startswith("an analyst's claim, not an official listing: ")
    assert "EXAMPLE report" in note["description"]

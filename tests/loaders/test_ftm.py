"""FtM JSON lines in: schemata by the followthemoney model, folds, edges, sanctions, problems.

The edge cases are a small hand-made file (there is no real FtM vessel data in the shared folder,
SOURCES.md says so) about made-up EXAMPLE parties: its identifiers (IMO ship number 9990002, IMO
company number 9990003, INN 7700000000) occur in no file of ../shared/data/raw, so nothing it
states can merge into a real ship or firm. The real-data case is the round trip in
tests/graph/test_export_ftm.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.errors import SourceError
from graph.model import Entity, Problem, Relation, RelationKind, Sanction, Schema
from graph.store import Store
from loaders import detect_loader, ftm
from pipeline.ingest import load_file
from tests.conftest import FIXTURES, raw

EDGE_CASES = FIXTURES / "ftm_edge_cases.jsonl"


@pytest.fixture(scope="module")
def records() -> list[object]:
    return list(ftm.load(EDGE_CASES))


def test_node_schemata_become_entities_with_clean_values(records: list[object]) -> None:
    entities = {r.id: r for r in records if isinstance(r, Entity)}
    assert set(entities) == {"vessel-1", "company-1", "company-2", "person-1", "person-2"}
    vessel = entities["vessel-1"]
    assert vessel.schema is Schema.VESSEL
    assert vessel.record_id == "vessel-1"
    assert vessel.properties["imoNumber"] == ("9990002",)  # FtM's IMO9990002, as the graph keys it
    assert vessel.properties["datasets"] == ("example_list",)
    assert vessel.properties["referents"] == ("example-1",)
    company = entities["company-1"]
    assert company.properties["imoNumber"] == ("9990003",)  # an IMO company number
    # Folded: the Address entity's text and the Passport's number join their entity.
    assert company.properties["address"] == ("1 Example Street, Example City, Russia",)
    assert entities["person-1"].properties["passportNumber"] == ("AB1234567",)


def test_edges_and_entity_properties_become_relations(records: list[object]) -> None:
    relations = {r.id: r for r in records if isinstance(r, Relation)}
    shape = {k: (r.kind, r.subject, r.object, r.role) for k, r in relations.items()}
    assert shape == {
        "vessel-1:owner:0": (RelationKind.OWNERSHIP, "company-1", "vessel-1", "owner"),
        "vessel-1:operator:1": (RelationKind.OPERATION, "company-2", "vessel-1", "operator"),
        "dir-1": (RelationKind.DIRECTORSHIP, "person-1", "company-1", "General Director"),
        "own-1": (RelationKind.OWNERSHIP, "company-1", "company-2", None),
        "link-1": (RelationKind.MANAGEMENT, "company-2", "vessel-1", "ISM manager"),
        "family-1": (RelationKind.LINK, "person-1", "person-2", "spouse"),
        "assoc-1": (RelationKind.LINK, "person-1", "person-missing", "associated with"),
    }
    assert relations["own-1"].percentage == 51.0
    assert relations["dir-1"].start_date == "2022-03-01"
    (sanction,) = [r for r in records if isinstance(r, Sanction)]
    assert (sanction.entity, sanction.authority, sanction.program, sanction.listing_date) == (
        "company-1", "Example Authority", "EXAMPLE-PROGRAM", "2024-02-23")


def test_unknown_schemata_and_properties_are_counted_not_fatal(records: list[object]) -> None:
    problems = Counter((p.kind, p.record_id) for p in records if isinstance(p, Problem))
    assert problems == {
        ("unknown property", "company-1"): 1,
        ("unknown schema", "ship-9"): 1,
        ("unsupported schema", "payment-1"): 1,
    }


def test_cli_load_with_format_and_source(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = CliRunner().invoke(app, ["load", "--db", str(db), "--format", "ftm", "--source",
                                      "example", str(EDGE_CASES), "--json"])
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        (info,) = store.loads()
        assert (info.source, info.format, info.entities, info.sanctions) == (
            "example", "ftm", 5, 1)
        # The Associate edge names a person not in the file: dropped by the store, counted.
        assert info.problems["dangling relation"] == 1
        assert store.counts()["relations"] == 6
        assert info.problems["unknown schema"] == 1
        assert store.by_key("imo-ship:9990002") == ["example:vessel-1"]


def test_detected_by_content() -> None:
    assert detect_loader(EDGE_CASES).format == "ftm"


@pytest.mark.parametrize(
    ("content", "where", "reason"),
    [
        (b'{"id": "a", "schema": "Person", "properties": {}}\n{"id": "b", "sch', "line 2",
         "invalid JSON"),
        (b'{"id": "a", "schema": "Person"}\n["not", "an", "entity"]\n', "line 2",
         "not an FtM entity"),
        (b'{"id": "a", "schema": "Person", "properties": {"name": ["J\xe9r\xf4me"]}}\n',
         "line 1 column", "not valid utf-8"),
    ],
    ids=["truncated", "not-an-entity", "wrong-encoding"],
)
def test_bad_input_is_one_line_and_leaves_the_store_unchanged(
    store: Store, tmp_path: Path, content: bytes, where: str, reason: str
) -> None:
    load_file(store, EDGE_CASES, format="ftm")
    before = store.snapshot()
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(SourceError) as info:
        load_file(store, path, format="ftm")
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    assert where in message and reason in message
    assert store.snapshot() == before


@pytest.mark.parametrize("name", ["un_consolidated_2026-02-27.xml",
                                  "tak_shadowfleet_2026-08-22.json"])
def test_another_format_is_refused(store: Store, name: str) -> None:
    path = raw(name)
    before = store.snapshot()
    with pytest.raises(SourceError) as info:
        load_file(store, path, format="ftm")
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}:line 1")
    assert "invalid JSON" in message or "not an FtM entity" in message
    assert store.snapshot() == before


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")
    with pytest.raises(SourceError, match="file is empty"):
        list(ftm.load(path))

"""BODS 0.4: the standard's own examples (tests/fixtures/bods, Apache-2.0, see its README) and the
`bods-v04-fixtures` pack load; statements that are not BODS are counted with their id; a later
statement of a record replaces an earlier one; unknown parties are kept; a band becomes a share
range the 50% rule reads."""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bods_fixtures import list_cases
from bods_fixtures import load as load_fixture

from graph.model import Entity, Problem, Relation, RelationKind, Schema
from graph.shares import SHARE_PROPERTY, Share, parse_share
from loaders import LOADERS, detect_loader
from loaders.bods import load, share_of

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "bods" / "examples"
ENTITY_OWNS_ENTITY = EXAMPLES / "bods-package-entity-owning-entity.json"
SIMPLE_PEP = EXAMPLES / "simple-pep-declaration.json"


def statements(path: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write(path: Path, items: list[Any], *, lines: bool = False) -> Path:
    if lines:
        path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    else:
        path.write_text(json.dumps(items), encoding="utf-8")
    return path


def records(path: Path) -> Iterator[Any]:
    return load(path)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_of_the_standard_loads_whole(example: Path) -> None:
    assert detect_loader(example) is LOADERS["bods"]
    got = list(records(example))
    assert [r for r in got if isinstance(r, Problem)] == []
    data = statements(example)
    latest = {s["recordId"]: s for s in data}
    parties = {k for k, s in latest.items() if s["recordType"] != "relationship"}
    entities = {r.id for r in got if isinstance(r, Entity)}
    assert parties <= entities
    relations = [r for r in got if isinstance(r, Relation)]
    for record_id, statement in latest.items():
        if statement["recordType"] == "relationship":
            mine = [r for r in relations if r.id.startswith(record_id + ":")]
            assert mine and all(r.record_id == statement["statementId"] for r in mine)


def test_a_band_is_a_share_range_and_control_is_kept_apart() -> None:
    got = list(records(SIMPLE_PEP))
    relations = [r for r in got if isinstance(r, Relation)]
    owns = [r for r in relations if r.kind is RelationKind.OWNERSHIP]
    assert len(owns) == 1 and owns[0].percentage is None
    assert parse_share(owns[0].properties[SHARE_PROPERTY][0]) == Share(25, 50, high_open=True)
    votes = [r for r in relations if r.kind is RelationKind.LINK]
    assert votes[0].role == "control" and votes[0].properties["interest"] == ("votingRights",)
    person = next(r for r in got if isinstance(r, Entity) and r.schema is Schema.PERSON)
    assert person.properties["name"] == ("Michael Hubbard",)


@pytest.mark.parametrize(("raw", "expected"), [
    ({"exact": 100}, Share(100, 100)),
    ({"minimum": 75, "exclusiveMaximum": 100}, Share(75, 100, high_open=True)),
    ({"exclusiveMinimum": 25, "maximum": 50}, Share(25, 50, low_open=True)),
    ({"minimum": 50}, Share(50, 100)),
    ({"exact": 30, "minimum": 30, "maximum": 30}, Share(30, 30)),
    ({"minimum": 25, "exclusiveMinimum": 25}, None),
    ({"minimum": 60, "maximum": 50}, None),
    ({"exact": 120}, None),
    ({"exact": "50"}, None),
    ({}, None),
])
def test_share_of(raw: dict[str, Any], expected: Share | None) -> None:
    assert share_of(raw) == expected


def test_bad_statements_are_counted_with_their_id_and_the_rest_loads(tmp_path: Path) -> None:
    data = statements(ENTITY_OWNS_ENTITY)
    no_type = copy.deepcopy(data[0])
    no_type["statementId"] = "0" * 36
    no_type["recordId"] = "broken-1"
    del no_type["recordType"]
    bad_share = copy.deepcopy(data[2])
    bad_share["statementId"] = "1" * 36
    bad_share["recordId"] = "broken-2"
    bad_share["recordDetails"]["interests"][0]["share"] = {"minimum": 80, "maximum": 20}
    path = write(tmp_path / "package.json", [*data, no_type, bad_share, "not a statement"])
    got = list(records(path))
    problems = [r for r in got if isinstance(r, Problem)]
    assert [(p.record_id, p.kind) for p in problems] == [
        ("0" * 36, "invalid BODS statement"), ("1" * 36, "invalid BODS statement"),
        ("item 5", "invalid BODS statement")]
    assert "missing recordType" in problems[0].message
    assert "not a share" in problems[1].message
    assert len([r for r in got if isinstance(r, Entity)]) == 2
    assert len([r for r in got if isinstance(r, Relation)]) == 1


def test_a_relationship_to_a_record_the_file_lacks_is_reported(tmp_path: Path) -> None:
    data = statements(ENTITY_OWNS_ENTITY)
    path = write(tmp_path / "package.json", [data[0], data[2]])
    problems = [r for r in records(path) if isinstance(r, Problem)]
    assert [p.kind for p in problems] == ["BODS relationship to a missing record"]
    assert problems[0].record_id == data[2]["statementId"]


def test_a_later_statement_of_a_record_replaces_the_earlier(tmp_path: Path) -> None:
    data = statements(ENTITY_OWNS_ENTITY)
    update = copy.deepcopy(data[2])
    update["statementId"] = "2" * 36
    update["statementDate"] = "2019-01-01"
    update["recordStatus"] = "updated"
    update["recordDetails"]["interests"][0]["share"] = {"exact": 100}
    # The update comes first in the file: the statement date decides, not the order.
    path = write(tmp_path / "stream.jsonl", [update, *data], lines=True)
    assert detect_loader(path) is LOADERS["bods"]
    relations = [r for r in records(path) if isinstance(r, Relation)]
    assert [(r.record_id, r.percentage) for r in relations] == [("2" * 36, 100.0)]
    closing = copy.deepcopy(update)
    closing["statementId"] = "3" * 36
    closing["statementDate"] = "2020-02-02"
    closing["recordStatus"] = "closed"
    path = write(tmp_path / "closed.jsonl", [*data, update, closing], lines=True)
    relations = [r for r in records(path) if isinstance(r, Relation)]
    assert [(r.record_id, r.end_date) for r in relations] == [("3" * 36, "2020-02-02")]


def test_a_bad_json_line_is_counted_and_the_rest_loads(tmp_path: Path) -> None:
    path = tmp_path / "stream.jsonl"
    write(path, statements(ENTITY_OWNS_ENTITY), lines=True)
    path.write_text(path.read_text() + "{not json\n", encoding="utf-8")
    got = list(records(path))
    assert [p.record_id for p in got if isinstance(p, Problem)] == ["line 4"]
    assert len([r for r in got if isinstance(r, Relation)]) == 1


@pytest.mark.parametrize("case", list_cases())
def test_the_fixtures_pack_loads(case: str, tmp_path: Path) -> None:
    fixture = load_fixture(case)
    path = write(tmp_path / "case.json", fixture.statements)
    got = list(records(path))
    assert [r for r in got if isinstance(r, Problem)] == []
    assert {r.id for r in got if isinstance(r, Entity)} >= {
        s["recordId"] for s in fixture.statements if s["recordType"] != "relationship"}
    assert any(isinstance(r, Relation) for r in got)


def test_an_unknown_owner_is_kept_with_the_reason() -> None:
    fixture = load_fixture("edge-cases/11-anonymous-person")
    statement = next(s for s in fixture.statements if s["recordType"] == "relationship")
    reason = statement["recordDetails"]["interestedParty"]["reason"]
    got = list(load_records(fixture.statements))
    unknown = [r for r in got if isinstance(r, Entity) and r.id.endswith("#interestedParty")]
    assert len(unknown) == 1
    assert unknown[0].properties["name"] == (f"unknown party ({reason})",)
    assert f"reason: {reason}" in unknown[0].properties["notes"][0]
    owner = next(r for r in got if isinstance(r, Relation))
    assert owner.subject == unknown[0].id


def load_records(items: list[Any]) -> list[Any]:
    with tempfile.TemporaryDirectory() as tmp:
        return list(records(write(Path(tmp) / "case.json", items)))


def test_an_indirect_interest_is_not_counted_twice() -> None:
    # The standard's example states the chain (components) and the indirect 60% apart.
    got = list(records(EXAMPLES / "multiple-indirect-ownership.json"))
    indirect = [r for r in got if isinstance(r, Relation)
                and r.properties.get("directOrIndirect") == ("indirect",)]
    assert [(r.kind, r.role, r.properties.get("share")) for r in indirect] == [
        (RelationKind.LINK, "indirect ownership", ("60",))]


@pytest.mark.parametrize(("example", "source"), [
    ("bods-package-entity-owning-entity.json", "bods_jenex_limited"),
    ("joint-ownership.json", "bods_chrinon_ltd"),
])
def test_each_publisher_is_a_source(example: str, source: str) -> None:
    assert LOADERS["bods"].source_of(EXAMPLES / example) == source


@pytest.mark.parametrize(("identifier", "prop", "value"), [
    ({"scheme": "GB-COH", "id": "03209885"}, "registrationNumber", "GB-COH:03209885"),
    ({"scheme": "XI-LEI", "id": "EXAMPLELEI0000000000"}, "leiCode", "EXAMPLELEI0000000000"),
    # 1000003 is an example number with a valid company check digit, not a firm we know of.
    ({"schemeName": "IMO company number", "id": "1000003"}, "imoNumber", "1000003"),
    ({"schemeName": "IMO company number", "id": "1000004"}, "registrationNumber", "1000004"),
])
def test_identifiers(tmp_path: Path, identifier: dict[str, str], prop: str, value: str) -> None:
    data = statements(ENTITY_OWNS_ENTITY)
    data[0]["recordDetails"]["identifiers"] = [identifier]
    entity = next(r for r in records(write(tmp_path / "p.json", data))
                  if isinstance(r, Entity) and r.id == data[0]["recordId"])
    assert entity.properties[prop] == (value,)

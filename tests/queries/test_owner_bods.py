"""`owner` and `blocked` on the BODS standard's own examples: a banded stake (MVJ LIMITED holds
"at least 75%, less than 100%" of JENEX LIMITED) gives the 50% rule's verdict with its arithmetic.

The examples' companies and people are the standard's fictitious ones. No list names them: the
listing these tests need is an example written here (`EXAMPLE` authority, in a file whose header
says so), attached to the example's own record; it states no share.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.store import Store
from loaders import LOADERS
from pipeline.ingest import load_file
from queries.blocked import blocked_by_ownership
from queries.owner import who_owns
from queries.paths import path_between
from tests.example_listing import EXAMPLE_LISTING, write_example_listing

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "bods" / "examples"


@pytest.fixture
def bods_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setitem(LOADERS, EXAMPLE_LISTING.format, EXAMPLE_LISTING)
    listing = write_example_listing(
        tmp_path / "listing.json",
        "EXAMPLE for tests: the BODS standard's fictitious MVJ LIMITED and Michael Hubbard as if "
        "listed; no real party, no share stated",
        ["bods_jenex_limited:e83cce729ada", "bods_eti_international:c9ceb68d7241"])
    with Store(tmp_path / "bods.db") as store:
        load_file(store, EXAMPLES / "bods-package-entity-owning-entity.json")
        load_file(store, EXAMPLES / "simple-pep-declaration.json")
        load_file(store, listing, format=EXAMPLE_LISTING.format)
        yield store


def test_owner_of_an_entity_with_a_banded_stake_shows_the_verdict(bods_store: Store) -> None:
    answer = who_owns(bods_store, "JENEX LIMITED")
    assert answer.matched_by == "entity"
    jenex = answer.vessels[0]
    assert jenex.schema == "Company" and jenex.blocked is not None
    assert jenex.blocked.status == "blocked"
    assert jenex.blocked.holdings[0].share == "at least 75%, less than 100%"
    assert jenex.blocked.holdings[0].share_range == ">=75,<100"
    assert jenex.blocked.reasoning == (
        "the blocked holder (MVJ LIMITED: at least 75%, less than 100%) holds at least 75%, "
        "which reaches 50%: blocked")
    assert [(p.caption, p.share) for p in jenex.parties] == [
        ("MVJ LIMITED", "at least 75%, less than 100%")]


def test_a_listed_holder_of_less_than_half_blocks_nothing(bods_store: Store) -> None:
    # Michael Hubbard (listed in the example) holds "at least 25%, less than 50%": never 50%.
    answer = who_owns(bods_store, "Platinum Emerald and Plutonim Mining Limited")
    assert answer.vessels[0].blocked is None
    assert {b.caption for b in blocked_by_ownership(bods_store)} == {"JENEX LIMITED"}


def test_the_cli_shows_the_arithmetic(bods_store: Store) -> None:
    db = str(bods_store.path)
    bods_store.close()
    result = CliRunner().invoke(app, ["owner", "--db", db, "JENEX LIMITED"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "BLOCKED BY OWNERSHIP" in result.output
    assert "holds at least 75%, which reaches 50%: blocked" in result.output
    result = CliRunner().invoke(app, ["blocked", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    rows = found if isinstance(found, list) else found.get("entities", found)
    assert any(b["caption"] == "JENEX LIMITED" and b["status"] == "blocked"
               and "reaches 50%" in b["reasoning"] for b in rows)


def test_a_path_step_shows_the_band(bods_store: Store) -> None:
    answer = path_between(bods_store, "JENEX LIMITED", "MVJ LIMITED")
    relations = answer.paths[0].steps[0].relations
    assert [(r.kind, r.percentage, r.share) for r in relations] == [
        ("ownership", None, "at least 75%, less than 100%")]


def test_a_bods_export_carries_the_listing_as_an_annotation(bods_store: Store,
                                                            tmp_path: Path) -> None:
    from graph.export_bods import export_bods

    export_bods(bods_store, tmp_path / "out.json")
    package = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    mvj = next(s for s in package if s["recordDetails"].get("name") == "MVJ LIMITED")
    assert [a["description"] for a in mvj["annotations"]] == [
        "sanctioned: EXAMPLE TEST PROGRAMME (stated by example_listing 2026-01-01 #e0)"]

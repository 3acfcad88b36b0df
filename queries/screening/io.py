"""Screening files: reading rows (CSV, XLSX, JSON lines), reading a row into a `Query`, and
writing results (JSON lines; CSV and XLSX flattened to one line per input row and match).

Columns are found by name, case-insensitively, with common synonyms (`COLUMNS`); every other
column passes through to the output unchanged (in CSV and XLSX as text no spreadsheet runs as a
formula: `graph.safe_text.spreadsheet_text`). A row that cannot be read (no name, a name of no
letters or digits, an IMO whose check digit fails) still becomes a result, carrying the reason
in `error`; a name of no letters or digits beside an IMO, MMSI or other identifier is screened by
that alone, with a warning.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

from graph.errors import SourceError
from graph.files import clean, csv_rows, iso_date, read_bytes, read_text
from graph.identifiers import (
    clean_imo_ship,
    clean_mmsi,
    country_code,
    imo_ship_check_digit,
    looks_like_imo,
)
from graph.safe_text import json_safe, spreadsheet_text
from queries.screening.index import identifier_key
from queries.screening.types import QUOTED_CHARS, SCHEMATA, Query, Result, unreadable_name

#: Field -> column names that mean it (compared lower-case, with spaces and dashes as `_`).
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "id": ("id", "row_id", "record_id", "reference", "ref", "customer_id", "client_id", "key"),
    "name": ("name", "full_name", "fullname", "entity_name", "party_name", "counterparty",
             "counterparty_name", "vessel_name", "ship_name", "company_name", "company",
             "person_name", "customer_name", "names"),
    "schema": ("schema", "type", "entity_type", "kind", "party_type", "category"),
    "country": ("country", "countries", "nationality", "jurisdiction", "flag", "country_code",
                "citizenship", "registration_country"),
    "birth_date": ("birth_date", "birthdate", "dob", "date_of_birth", "build_year", "year_built",
                   "year_of_build", "build_date", "builddate", "built", "incorporation_date",
                   "incorporationdate"),
    "imo": ("imo", "imo_number", "imonumber", "imo_no", "imo_nr", "vessel_imo", "ship_imo"),
    "mmsi": ("mmsi", "mmsi_number"),
    "identifier": ("identifier", "identifiers", "tax_id", "taxid", "tax_number", "inn", "ogrn",
                   "registration_number", "reg_no", "company_number", "national_id", "id_number",
                   "passport", "passport_number", "lei", "vat", "vat_number",
                   # FollowTheMoney's property names (`taxNumber`...), as the HTTP API reads
                   # an FtM-shaped query property by property.
                   "taxnumber", "registrationnumber", "inncode", "ogrncode", "idnumber",
                   "passportnumber", "leicode", "vatcode"),
}
#: Spellings of schema values users write.
_SCHEMA_WORDS: Final = {
    **{s.lower(): s for s in SCHEMATA},
    "individual": "Person", "person": "Person", "people": "Person", "natural person": "Person",
    "entity": "LegalEntity", "legal entity": "LegalEntity", "organisation": "Organization",
    "org": "Organization", "company": "Company", "corporation": "Company", "business": "Company",
    "vessel": "Vessel", "ship": "Vessel", "boat": "Vessel", "aircraft": "Airplane",
    "airplane": "Airplane", "public body": "PublicBody", "government": "PublicBody",
}
_SPLIT: Final = re.compile(r"\s*[;|]\s*")
_FLAT_MATCH: Final = ("rank", "entity_id", "caption", "schema", "score", "matched_name", "imo",
                      "sources", "programs", "explanation")


def _quoted(value: str) -> str:
    return repr(value if len(value) <= QUOTED_CHARS else value[:QUOTED_CHARS] + "…")


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip().lower())


def map_columns(columns: Sequence[str]) -> dict[str, str]:
    """Field -> the input column holding it (first synonym present wins)."""
    keys = {_column_key(c): c for c in reversed(columns)}
    found: dict[str, str] = {}
    for field_name, synonyms in COLUMNS.items():
        for synonym in synonyms:
            if synonym in keys:
                found[field_name] = keys[synonym]
                break
    return found


def read_rows(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of a CSV, XLSX or JSON-lines file (by extension); `-` is JSON lines
    on standard input. A file without a name column is unusable (`SourceError`)."""
    suffix = path.suffix.lower()
    if str(path) == "-":
        import sys

        columns, rows = _jsonl_rows(path, sys.stdin.read())
    elif suffix in (".jsonl", ".ndjson", ".json"):
        columns, rows = _jsonl_rows(path, read_text(path))
    elif suffix in (".xlsx", ".xlsm"):
        columns, rows = _xlsx_rows(path)
    elif suffix in (".csv", ".tsv", ".txt"):
        columns, rows = _csv_rows(path)
    else:
        raise SourceError(path, f"cannot tell the format from {suffix or 'no extension'!r}; "
                                "use .csv, .xlsx or .jsonl")
    _no_twice_named(path, columns)
    if "name" not in map_columns(columns):
        raise SourceError(path, f"no name column; found {', '.join(columns) or 'no columns'} "
                                f"(a name column is one of: {', '.join(COLUMNS['name'][:6])}...)")
    return columns, rows


def _no_twice_named(path: Path, columns: Sequence[str]) -> None:
    """Two columns of one name would be read as one (the later one's cells): an empty second
    `imo` column would hide the first. Refused, naming both."""
    seen: dict[str, int] = {}
    for number, column in enumerate(columns, start=1):
        if not column:
            continue
        if column in seen:
            raise SourceError(path, f"columns {seen[column]} and {number} are both named "
                              f"{column!r}; rename one")
        seen[column] = number


def _csv_rows(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    data = read_bytes(path)
    try:
        text = read_text(path)
    except SourceError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    lines = csv_rows(path, text, delimiter=delimiter)
    try:
        _, header = next(lines)
    except StopIteration:
        raise SourceError(path, "file is empty") from None
    header = [h.strip() for h in header]
    rows = []
    for _, fields in lines:
        if not any(f.strip() for f in fields):
            continue
        rows.append({h: (fields[i] if i < len(fields) else "") for i, h in enumerate(header)})
    return header, rows


def _xlsx_rows(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for a bad file
        raise SourceError(path, f"not a readable XLSX workbook ({exc})") from None
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    header: list[str] = []
    for row in values:  # the first row with a name-like column is the header
        cells = ["" if c is None else str(c).strip() for c in row]
        if "name" in map_columns(cells):
            header = cells
            break
    rows = []
    for row in values:
        if row is None or all(c is None or str(c).strip() == "" for c in row):
            continue
        rows.append({h: _cell(row[i]) if i < len(row) else "" for i, h in enumerate(header) if h})
    book.close()
    return [h for h in header if h], rows


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        return value.date().isoformat() if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _jsonl_rows(path: Path, text: str) -> tuple[list[str], list[dict[str, Any]]]:
    columns: dict[str, None] = {}
    rows: list[dict[str, Any]] = []
    # Lines end at \n only: str.splitlines would also end one at U+2028 or \x1c, which JSON
    # writes raw inside a string (json.dumps(ensure_ascii=False) does).
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(path, f"not JSON: {exc.msg}", f"line {number}") from None
        if not isinstance(row, dict):
            raise SourceError(path, "each line must be a JSON object", f"line {number}")
        columns.update(dict.fromkeys(row))
        rows.append(row)
    return list(columns), rows


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value if v is not None)
    return clean(str(value))


class Columns:
    """`map_columns` once per distinct set of keys: the rows of one file share theirs."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, ...], dict[str, str]] = {}

    def __call__(self, row: Mapping[str, Any]) -> dict[str, str]:
        keys = tuple(row)
        columns = self._known.get(keys)
        if columns is None:
            columns = self._known[keys] = map_columns(keys)
        return columns


def name_and_schema(row: Mapping[str, Any], columns: Mapping[str, str],
                    default_schema: str | None = None) -> tuple[str | None, str | None]:
    """A row's name and schema as `parse_row` reads them (the type column, else a ship's for a
    row with a valid IMO number), and nothing else: what blocking looks a row up by, read
    quickly for many rows (`queries.monitor`)."""
    def get(field_name: str) -> str | None:
        column = columns.get(field_name)
        return _text(row.get(column)) if column else None

    schema = default_schema
    if raw_schema := get("schema"):
        schema = _SCHEMA_WORDS.get(raw_schema.lower().replace("_", " "))
    if schema is None and (raw_imo := get("imo")) and clean_imo_ship(raw_imo):
        schema = "Vessel"
    return get("name"), schema


def parse_row(row: Mapping[str, Any], number: int, columns: Mapping[str, str],
              default_schema: str | None = None) -> Query:
    """A row as a query; a row that cannot be screened keeps its reason in `error`."""

    def get(field_name: str) -> str | None:
        column = columns.get(field_name)
        return _text(row.get(column)) if column else None

    row_id = get("id") or str(number)
    name = get("name")
    warnings: list[str] = []
    errors: list[str] = []
    schema = default_schema
    if raw_schema := get("schema"):
        schema = _SCHEMA_WORDS.get(raw_schema.lower().replace("_", " "))
        if schema is None:
            errors.append(f"unknown type {raw_schema!r} (one of {', '.join(SCHEMATA)})")
    if not name:
        errors.append("no name")
    imo = None
    if raw_imo := get("imo"):
        imo = clean_imo_ship(raw_imo)
        if imo is None:
            digits = "".join(c for c in raw_imo if c.isdigit())
            if looks_like_imo(raw_imo):
                errors.append(f"bad IMO {raw_imo!r}: check digit should be "
                              f"{imo_ship_check_digit(digits[:6])}")
            else:
                errors.append(f"bad IMO {raw_imo!r}: not seven digits")
        elif schema is None:
            schema = "Vessel"
    mmsi = None
    if raw_mmsi := get("mmsi"):
        mmsi = clean_mmsi(raw_mmsi)
        if mmsi is None:
            errors.append(f"bad MMSI {raw_mmsi!r}: not nine digits")
    countries: list[str] = []
    for part in _SPLIT.split(get("country") or ""):
        if part:
            code = country_code(part)
            if code:
                countries.append(code)
            else:
                warnings.append(f"unknown country {part!r} ignored")
    date = None
    if raw_date := get("birth_date"):
        date = iso_date(raw_date)
        if date is None:
            warnings.append(f"unreadable date {raw_date!r} ignored")
    identifiers = tuple(k for part in _SPLIT.split(get("identifier") or "")
                        if part and (k := identifier_key(part)))
    if name and (unreadable := unreadable_name(name)):
        held = [kind for kind, value in (("IMO", imo), ("MMSI", mmsi),
                                         ("identifier", identifiers)) if value]
        if held:
            warnings.append(f"{unreadable}; screened by its {' and '.join(held)} only")
        else:
            errors.append(unreadable)
    return Query(row=number, id=row_id, name=name or "", schema=schema,
                 countries=tuple(dict.fromkeys(countries)), date=date, imo=imo, mmsi=mmsi,
                 identifiers=identifiers, error="; ".join(errors) or None,
                 warnings=tuple(warnings))


# -- writing -----------------------------------------------------------------------------------

def write_jsonl(handle: IO[str], results: Iterable[Result]) -> Iterator[Result]:
    """Write each result as one JSON line, passing it on (so counting can follow)."""
    for result in results:
        handle.write(json_safe(json.dumps(result.to_dict(), ensure_ascii=False)) + "\n")
        yield result


def flatten(result: Result, columns: Sequence[str]) -> list[dict[str, Any]]:
    """One flat row per match (one row with empty match fields when there is none)."""
    base: dict[str, Any] = {c: result.input.get(c, "") for c in columns}
    base["id"] = result.id
    base["decision"] = result.decision
    base["error"] = result.error or ""
    if not result.matches:
        return [{**base, **dict.fromkeys(_FLAT_MATCH, "")}]
    rows = []
    for rank, match in enumerate(result.matches, start=1):
        rows.append({**base, "rank": rank, "entity_id": match.entity_id,
                     "caption": match.caption, "schema": match.schema, "score": match.score,
                     "matched_name": match.matched_name, "imo": match.imo or "",
                     "sources": "; ".join(match.sources), "programs": "; ".join(match.programs),
                     "explanation": match.explanation})
    return rows


def flat_columns(columns: Sequence[str]) -> list[str]:
    out = list(dict.fromkeys([*columns, "id", "decision", "error", *_FLAT_MATCH]))
    return out


#: Columns the screening computes as numbers; they stay numbers (sortable) in an XLSX file.
_NUMBERS: Final = frozenset({"rank", "score"})


class TableWriter:
    """CSV or XLSX output, one line per input row and match, for people to open in a
    spreadsheet: every cell is text that cannot run as a formula (`spreadsheet_text`), except
    the rank and score the screening computed, which are numbers; CSV fields are all quoted (a
    spreadsheet that splits on `;` still sees one field)."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = list(columns)
        self.header = [spreadsheet_text(h) for h in flat_columns(columns)]
        self._keys = flat_columns(columns)
        self.rows: list[list[str | int | float]] = []

    def write(self, results: Iterable[Result]) -> Iterator[Result]:
        for result in results:
            for flat in flatten(result, self.columns):
                self.rows.append([self._cell(key, flat.get(key, "")) for key in self._keys])
            yield result

    @staticmethod
    def _cell(key: str, value: Any) -> str | int | float:
        if key in _NUMBERS and isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return spreadsheet_text(value)

    def close(self) -> None:
        if self.path.suffix.lower() == ".xlsx":
            from openpyxl import Workbook
            from openpyxl.cell import WriteOnlyCell

            book = Workbook(write_only=True)
            sheet = book.create_sheet("screening")
            table: list[Sequence[str | int | float]] = [self.header, *self.rows]
            for row in table:
                cells = []
                for value in row:
                    cell = WriteOnlyCell(sheet, value=value)
                    if isinstance(value, str):
                        cell.data_type = "s"  # text, whatever it looks like: never a formula
                    cells.append(cell)
                sheet.append(cells)
            book.save(self.path)
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        self.path.write_text(buffer.getvalue(), encoding="utf-8")


OUTPUT_SUFFIXES: Final = (".jsonl", ".ndjson", ".json", ".csv", ".xlsx")

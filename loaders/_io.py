"""What the loaders share besides the readers of `graph.files` (re-exported here): table rows
of a header's width, required columns, the date in a file's name, IMO facts. Every failure is a
`SourceError` naming the file and the place."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from graph.errors import SourceError
from graph.files import MAX_FIELD_BYTES as MAX_FIELD_BYTES
from graph.files import clean as clean
from graph.files import csv_rows as csv_rows
from graph.files import iso_date as iso_date
from graph.files import read_bytes as read_bytes
from graph.files import read_text as read_text
from graph.identifiers import clean_imo_company, clean_imo_ship
from graph.model import Problem

_DATE_IN_NAME: Final = re.compile(r"(\d{4}-\d{2}-\d{2})")


def table_rows(
    path: Path, rows: Iterator[tuple[int, list[str]]], width: int, *, skip_blank: bool = True
) -> Iterator[tuple[int, list[str]]]:
    """The data rows after the header: (line number, fields), blank rows skipped (unless
    `skip_blank` is off), a row of another width than the header an error naming its line."""
    for line, fields in rows:
        if skip_blank and not any(f.strip() for f in fields):
            continue
        if len(fields) != width:
            raise SourceError(path, f"expected {width} fields, found {len(fields)}",
                              f"line {line}")
        yield line, fields


def require_columns(path: Path, header: Sequence[str], required: Sequence[str]) -> dict[str, int]:
    """Column positions by lower-cased, stripped name; missing required columns are an error."""
    index = {name.strip().lower(): i for i, name in enumerate(header)}
    missing = [c for c in required if c.lower() not in index]
    if missing:
        raise SourceError(
            path,
            f"missing column(s) {', '.join(missing)}; found {', '.join(h.strip() for h in header)}",
            "line 1",
        )
    return index


def date_in_name(path: Path) -> str | None:
    """A YYYY-MM-DD date in the file name, which is how the shared copies are dated."""
    match = _DATE_IN_NAME.search(path.name)
    return match.group(1) if match else None


def imo_fact(raw: str, *, ship: bool, record_id: str) -> tuple[str, str, Problem | None]:
    """(property, value, problem) for an IMO number a list states: a valid one is `imoNumber`
    (ship or company check digit, as the record is a ship or a party); one that fails is kept as
    a registration number, so nothing is lost, and reported, so nothing merges on it."""
    number = clean_imo_ship(raw) if ship else clean_imo_company(raw)
    if number is not None:
        return "imoNumber", number, None
    what = "ship" if ship else "company"
    problem = Problem(f"invalid IMO {what} number", f"{raw} fails the {what} check digit",
                      record_id)
    return "registrationNumber", raw, problem

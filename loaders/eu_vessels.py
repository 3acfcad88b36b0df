"""EU "List of designated vessels" (Annex XLII to Regulation 833/2014), the import-version CSV.

`;`-separated, cp1252 (not UTF-8; a copy re-saved as UTF-8 is read too), CRLF, a trailing space
in the header (`IMO number `), non-breaking spaces inside names, and former names written into
the name: `Apar (formerly Feng Shou; Andromeda Star)` becomes the name `Apar` with two previous
names (the closing parenthesis is sometimes missing, "Formerly" sometimes capitalised). The
record id is the IMO number, as for every ship table; a vessel listed twice is reported once as a
problem and loaded once. The date of application is the sanction's listing date.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from graph.errors import SourceError
from graph.identifiers import clean_imo_ship
from graph.model import Entity, ListMeta, Problem, Record, Sanction, Schema
from loaders._io import (
    clean,
    csv_rows,
    date_in_name,
    iso_date,
    read_bytes,
    read_text,
    require_columns,
    table_rows,
)

FORMAT: Final = "eu_vessels_csv"
SOURCE: Final = "eu_vessels"
TITLE: Final = "EU designated vessels, Annex XLII to Reg. 833/2014 (CSV)"
AUTHORITY: Final = "EU"
PROGRAM: Final = "EU 833/2014 Annex XLII"
ENCODING: Final = "cp1252"
COLUMNS: Final = ("Vessel name", "IMO number", "Date of application")

_FORMERLY: Final = re.compile(r"^(?P<name>.*?)\s*\(\s*formerly\s*(?P<former>[^)]*)\)?\s*$",
                              re.IGNORECASE)


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].lower()
    return first.startswith(b"vessel name;imo number")


def split_name(text: str) -> tuple[str, list[str]]:
    """`Apar (formerly Feng Shou; Andromeda Star)` -> (`Apar`, [`Feng Shou`, `Andromeda Star`])."""
    text = clean(text) or ""
    match = _FORMERLY.match(text)
    if match is None:
        return text, []
    former = [n for n in (clean(p) for p in re.split(r"[;,]", match.group("former"))) if n]
    return match.group("name").strip(), former


def _decode(path: Path) -> str:
    """cp1252 as published; a copy re-saved as UTF-8 (with or without BOM) is read as such."""
    data = read_bytes(path)
    if data.startswith(codecs.BOM_UTF8):
        return read_text(path, "utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return read_text(path, ENCODING)


def load(path: Path) -> Iterator[Record]:
    """Records of the designated-vessels CSV."""
    text = _decode(path)
    rows = csv_rows(path, text, delimiter=";")
    try:
        _, header = next(rows)
    except StopIteration:
        raise SourceError(path, "no header row") from None
    col = require_columns(path, header, COLUMNS)
    yield ListMeta(date_in_name(path))
    seen: dict[str, int] = {}
    for line, fields in table_rows(path, rows, len(header)):
        raw_name = fields[col["vessel name"]]
        raw_imo = clean(fields[col["imo number"]]) or ""
        imo = clean_imo_ship(raw_imo)
        if imo is None:
            yield Problem("invalid IMO ship number",
                          f"{raw_imo!r} fails the ship check digit (line {line})", raw_imo)
            continue
        if imo in seen:
            yield Problem("duplicate vessel", f"IMO {imo} listed again on line {line} (first on "
                                              f"line {seen[imo]}); loaded once", imo)
            continue
        seen[imo] = line
        name, former = split_name(raw_name)
        props: dict[str, tuple[str, ...]] = {
            "name": (name,),
            "previousName": tuple(dict.fromkeys(former)),
            "imoNumber": (imo,),
            "topics": ("sanction",),
            "program": (PROGRAM,),
        }
        yield Entity(imo, Schema.VESSEL, {k: v for k, v in props.items() if v}, imo)
        applied = clean(fields[col["date of application"]])
        listing = iso_date(applied)
        if applied and listing is None:
            yield Problem("invalid date", f"date of application {applied!r} (line {line})", imo)
        yield Sanction(id=f"{imo}:annex-xlii", entity=imo, authority=AUTHORITY, program=PROGRAM,
                       record_id=imo, listing_date=listing,
                       properties={"provisions": ("Port access and services ban",)})

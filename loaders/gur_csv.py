"""Ukraine GUR "War & Sanctions" shadow-fleet vessel table (a third-party scrape, CSV).

Columns: gur_id, name, imo, mmsi_current, mmsi_legacy, flag, vessel_type, callsign,
former_names (joined by " / "), build_year, status (listed / delisted). No owners. A row's record
id is its IMO number, as for every ship table; the GUR id is kept as a property.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

from graph.identifiers import clean_imo_ship, clean_mmsi, country_code
from graph.model import Entity, Problem, Record, Schema
from loaders._io import clean, csv_rows, read_text, require_columns, table_rows

FORMAT: Final = "gur_csv"
SOURCE: Final = "ua_gur_shadowfleet"
TITLE: Final = "Ukraine GUR shadow-fleet vessels (CSV scrape)"
#: What the scraped page prints in the former-names field of a ship without former names: the
#: label of its flag history, not a name (262 rows of the 2026-06 scrape).
PAGE_LABELS: Final = frozenset({"flags (former)"})
COLUMNS: Final = ("gur_id", "name", "imo", "mmsi_current", "flag", "vessel_type", "callsign",
                  "former_names", "build_year", "status")


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"gur_id,")


def load(path: Path) -> Iterator[Record]:
    text = read_text(path, "utf-8")
    rows = csv_rows(path, text)
    try:
        _, header = next(rows)
    except StopIteration:
        return
    col = require_columns(path, header, COLUMNS)
    labels = 0
    for line, fields in table_rows(path, rows, len(header), skip_blank=False):
        row = {name: clean(fields[pos]) for name, pos in col.items()}

        def get(name: str, row: dict[str, str | None] = row) -> str | None:
            return row.get(name)

        raw_imo = get("imo")
        imo = clean_imo_ship(raw_imo) if raw_imo else None
        gur_id = get("gur_id") or str(line)
        if raw_imo and imo is None:
            yield Problem("invalid IMO ship number", f"{raw_imo} fails the ship check digit",
                          gur_id)
        former = [n.strip() for n in (get("former_names") or "").split(" / ") if n.strip()]
        if any(n.lower() in PAGE_LABELS for n in former):
            labels += 1
            former = [n for n in former if n.lower() not in PAGE_LABELS]
        props: dict[str, list[str]] = {
            "name": [n for n in [get("name")] if n],
            "imoNumber": [imo] if imo else [],
            "mmsi": [m for m in (clean_mmsi(get("mmsi_current") or ""),
                                 clean_mmsi(get("mmsi_legacy") or "")) if m],
            "flag": [f for f in [country_code(get("flag") or "")] if f],
            "type": [t for t in [get("vessel_type")] if t],
            "callSign": [c for c in [get("callsign")] if c],
            "previousName": former,
            "buildDate": [b for b in [get("build_year")] if b],
            "topics": ["mare.shadow"] if (get("status") or "").lower() == "listed" else [],
            "notes": [f"GUR id {gur_id}, status {get('status')}"],
        }
        record_id = imo or f"gur-{gur_id}"
        yield Entity(record_id, Schema.VESSEL,
                     {k: tuple(dict.fromkeys(v)) for k, v in props.items() if v}, record_id)
    if labels:
        yield Problem("page label as former name",
                      f"{labels} rows give the page's label 'Flags (former)' as their former "
                      "names; dropped, not read as a name")

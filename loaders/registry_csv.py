"""The registry CSV: ship management data, one row per (vessel, role, company).

The documented columns (names matched case-insensitively):

| column       | required | meaning                                                          |
|--------------|----------|------------------------------------------------------------------|
| vessel_imo   | yes      | IMO ship number (`9179842` or `IMO 9179842`; check digit tested)  |
| vessel_name  |          | the ship's name as the source gives it                           |
| role         | yes      | registered owner, beneficial owner, operator, ship manager,      |
|              |          | technical manager, ISM manager, commercial manager, linked       |
| company_name | yes      | the role holder's name                                           |
| company_imo  |          | the role holder's IMO company number (check digit tested)        |
| country      |          | the role holder's country (name or code)                         |
| from, to     |          | when the role began and ended (YYYY, YYYY-MM, YYYY-MM-DD, d/m/Y) |
| percentage   |          | for ownership roles, the share held: a figure (`50`) or a band   |
|              |          | (`25-50`, `>50`, `>25,<=50`; `graph.shares`)                     |
| source       | yes      | where the fact comes from: a citation or URL                     |
| record_id    |          | the row's id in the source, if it has one                        |

An export with other column names loads through a mapping, `FIELD=Column Header`, given as
`--map` options. A wide table with one column per role (Sea-web, Equasis) maps each role's
columns instead: `registered_owner=Registered Owner`, `registered_owner_imo=Reg. Owner IMO`,
`operator=Operator`, `ism_manager=DOC Company` ...; each row then yields one relation per filled
role column. Bad values (an IMO that fails its check digit, an unknown role, a date that is not
one) stop the load with the row named: this is an analyst's own file, so guessing would hide an
error in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

from graph.errors import SourceError
from graph.identifiers import clean_imo_company, clean_imo_ship, country_code
from graph.model import SHIP_ROLE_KINDS, Entity, Record, Relation, Schema, ShipRole
from graph.normalize import normalize_name
from graph.shares import parse_share, share_fields
from loaders._io import clean, csv_rows, iso_date, read_text, table_rows

FORMAT: Final = "registry_csv"
SOURCE: Final = "registry"
TITLE: Final = "Registry CSV of ship roles (documented columns, or mapped with --map)"

FIELDS: Final = ("vessel_imo", "vessel_name", "role", "company_name", "company_imo", "country",
                 "from", "to", "percentage", "source", "record_id")
REQUIRED_LONG: Final = ("vessel_imo", "role", "company_name", "source")
_ROLE_KEYS: Final = {role.name.lower(): role for role in ShipRole}


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].lower()
    return b"vessel_imo" in first and b"role" in first and b"company_name" in first


def _header_map(
    path: Path, header: list[str], columns: Mapping[str, str]
) -> tuple[dict[str, int], dict[ShipRole, dict[str, int]]]:
    """Positions of the standard fields and, for a wide table, of each role's columns."""
    by_name = {h.strip().lower(): i for i, h in enumerate(header)}
    wanted: dict[str, str] = {f: f for f in FIELDS}
    for key, column in columns.items():
        wanted[key.strip().lower()] = column
    unknown = [k for k in wanted if k not in FIELDS and _role_field(k) is None]
    if unknown:
        raise SourceError(path, f"unknown mapping key(s) {', '.join(unknown)}; known: "
                          f"{', '.join(FIELDS)} and <role>, <role>_imo, <role>_country")
    standard: dict[str, int] = {}
    wide: dict[ShipRole, dict[str, int]] = {}
    for key, column in wanted.items():
        pos = by_name.get(column.strip().lower())
        if pos is None:
            if key in columns:
                raise SourceError(path, f"mapped column {column!r} (for {key}) is not in the "
                                  f"header", "line 1")
            continue
        role_field = _role_field(key)
        if role_field is None:
            standard[key] = pos
        else:
            wide.setdefault(role_field[0], {})[role_field[1]] = pos
    required = ("vessel_imo",) if wide else REQUIRED_LONG
    if not wide and "source" not in standard and "source" not in columns:
        required = REQUIRED_LONG
    missing = [f for f in required if f not in standard]
    if missing:
        raise SourceError(
            path,
            f"missing column(s) {', '.join(missing)}; found {', '.join(h.strip() for h in header)}"
            " (map other names with --map FIELD=COLUMN)",
            "line 1",
        )
    return standard, wide


def _role_field(key: str) -> tuple[ShipRole, str] | None:
    match = re.fullmatch(r"(.+?)(_imo|_country)?", key)
    if not match or match.group(1) not in _ROLE_KEYS:
        return None
    return _ROLE_KEYS[match.group(1)], (match.group(2) or "_name")[1:]


def load(path: Path, columns: Mapping[str, str] | None = None) -> Iterator[Record]:
    text = read_text(path, "utf-8")
    rows = csv_rows(path, text)
    try:
        _, header = next(rows)
    except StopIteration:
        return
    standard, wide = _header_map(path, header, columns or {})
    seen: set[str] = set()
    for line, fields in table_rows(path, rows, len(header)):
        where = f"line {line}"
        row = {key: clean(fields[pos]) for key, pos in standard.items()}
        get = row.get
        raw_imo = get("vessel_imo")
        imo = clean_imo_ship(raw_imo or "")
        if imo is None:
            raise SourceError(path, f"vessel_imo {raw_imo!r} is not a valid IMO ship number",
                              where)
        record_id = get("record_id") or f"line {line}"
        vessel_id = f"vessel:{imo}"
        if vessel_id not in seen:
            seen.add(vessel_id)
            props = {"imoNumber": (imo,)}
            if name := get("vessel_name"):
                props["name"] = (name,)
            yield Entity(vessel_id, Schema.VESSEL, props, record_id)
        holders: list[tuple[str, str, str | None, str | None]] = []
        if wide:
            for role, cols in wide.items():
                name = clean(fields[cols["name"]]) if "name" in cols else None
                if name:
                    holders.append((role.value, name,
                                    clean(fields[cols["imo"]]) if "imo" in cols else None,
                                    clean(fields[cols["country"]]) if "country" in cols
                                    else get("country")))
        else:
            holders.append((get("role") or "", get("company_name") or "", get("company_imo"),
                            get("country")))
        for role_text, company, company_imo_raw, country in holders:
            yield from _holder(path, where, record_id, vessel_id, seen, row, role_text, company,
                               company_imo_raw, country)


def _holder(
    path: Path,
    where: str,
    record_id: str,
    vessel_id: str,
    seen: set[str],
    row: Mapping[str, str | None],
    role_text: str,
    company: str,
    company_imo_raw: str | None,
    country: str | None,
) -> Iterator[Record]:
    get = row.get
    role = ShipRole.parse(role_text)
    if role is None:
        raise SourceError(path, f"unknown role {role_text!r}; known: "
                          f"{', '.join(r.value for r in ShipRole)}", where)
    if not company:
        raise SourceError(path, "company_name is empty", where)
    company_imo = None
    if company_imo_raw:
        company_imo = clean_imo_company(company_imo_raw)
        if company_imo is None:
            raise SourceError(path, f"company_imo {company_imo_raw!r} is not a valid IMO company "
                              "number", where)
    company_id = f"company:{company_imo}" if company_imo else f"company:{normalize_name(company)}"
    if company_id not in seen:
        seen.add(company_id)
        props: dict[str, tuple[str, ...]] = {"name": (company,)}
        if company_imo:
            props["imoNumber"] = (company_imo,)
        if country:
            code = country_code(country)
            if code is None:
                raise SourceError(path, f"unknown country {country!r}", where)
            props["country"] = (code,)
        yield Entity(company_id, Schema.COMPANY, props, record_id)
    dates = {}
    for key in ("from", "to"):
        raw = get(key)
        dates[key] = iso_date(raw)
        if raw and dates[key] is None:
            raise SourceError(path, f"{key} {raw!r} is not a date", where)
    percentage = None
    properties: dict[str, tuple[str, ...]] = {}
    if raw_pct := get("percentage"):
        share = parse_share(raw_pct)
        if share is None:
            raise SourceError(path, f"percentage {raw_pct!r} is not a figure or a band between "
                              "0 and 100 (25, 25-50, >50, >25,<=50)", where)
        percentage, properties = share_fields(share)
        properties = dict(properties)
    citation = get("source")
    if citation:
        key = "sourceUrl" if citation.startswith(("http://", "https://")) else "description"
        properties[key] = (citation,)
    yield Relation(
        id=f"{record_id}:{role.name.lower()}:{company_id}",
        kind=SHIP_ROLE_KINDS[role],
        subject=company_id,
        object=vessel_id,
        record_id=record_id,
        role=role.value,
        start_date=dates["from"],
        end_date=dates["to"],
        percentage=percentage,
        properties=properties,
    )

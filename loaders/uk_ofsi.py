"""UK OFSI Consolidated List (ConList), in its xlsx and csv forms.

Row 1 is "Last Updated, dd/mm/yyyy"; row 2 the 36-column header. There is one row per name: the
rows of one listed person, entity or ship share a Group ID (the record id) and are merged into one
entity, named by its "Primary name" row, every other row an alias ("Low quality" ones weak
aliases, FKA rows previous names) and each non-Latin-script name an alias too. Dates are text,
dd/mm/yyyy, with 00 for an unknown day or month. The facts the columns do not hold sit in
"Other Information" as `(Key):value` pseudo-fields: the UN reference (`unscId`), IMO numbers
(validated ship numbers on ships), a ship's current owners (a company with a registered-owner
relation; the listed company itself when the list names exactly one), business registration
numbers (Russian INN, OGRN and KPP picked out where labelled or shaped so), the statement of reasons
(the sanction's reason), parent companies (an ownership relation from the parent when it is listed
itself or is a state body). Each regime a group is listed under is one sanction.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from graph.errors import SourceError
from graph.identifiers import clean_imo_company, clean_imo_ship, country_code
from graph.model import (
    SHIP_ROLE_KINDS,
    Entity,
    ListMeta,
    Problem,
    Record,
    Relation,
    RelationKind,
    Sanction,
    Schema,
    ShipRole,
)
from graph.normalize import normalize_name
from loaders._io import MAX_FIELD_BYTES, clean, csv_rows, read_bytes, read_text, require_columns
from loaders._parties import party_schema, state_topic

FORMAT: Final = "uk_ofsi_xlsx"
CSV_FORMAT: Final = "uk_ofsi_csv"
SOURCE: Final = "gb_ofsi"
TITLE: Final = "UK OFSI consolidated list (ConList), xlsx"
CSV_TITLE: Final = "UK OFSI consolidated list (ConList), csv"
AUTHORITY: Final = "UK OFSI"
SHEET: Final = "Data"

NAME_COLUMNS: Final = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6")
REQUIRED: Final = (*NAME_COLUMNS, "Other Information", "Group Type", "Alias Type", "Regime",
                   "Listed On", "Group ID")
ADDRESS_COLUMNS: Final = ("Address 1", "Address 2", "Address 3", "Address 4", "Address 5",
                          "Address 6", "Post/Zip Code", "Country")

_GROUP_SCHEMA: Final = {"individual": Schema.PERSON, "ship": Schema.VESSEL}

#: Regimes aimed at a state: there a listed "ministry" or "department" is that state's.
STATE_REGIMES: Final = frozenset({
    "Democratic People's Republic of Korea", "Iran", "Iran (Nuclear)", "Syria", "Russia",
    "Belarus", "Myanmar", "Venezuela", "Nicaragua", "Iraq", "Libya",
})

#: The `(Key):` labels of "Other Information"; a parenthesis the list uses otherwise (a year,
#: a country) is text, not a label.
_KEYS: Final = (
    "UK Sanctions List Ref", "UK Statement of Reasons", "UN Ref", "Gender", "Phone number",
    "Email address", "Type of entity", "Website", "Parent company", "Business Reg No",
    "Subsidiaries", "IMO number", "Flag of ship", "Type of ship", "Tonnage of ship",
    "Length of ship", "Year built", "Current owners", "Current owner", "Current operators",
    "Current operator", "Current managers", "Current manager", "Previous flags", "Fax", "Tel",
    "Hull identification number (HIN)",
)
_KEY_PATTERN: Final = re.compile(r"\((" + "|".join(re.escape(k) for k in _KEYS) + r")\):")
_SHIP_ROLE_KEYS: Final = {
    "current owners": ShipRole.REGISTERED_OWNER,
    "current owner": ShipRole.REGISTERED_OWNER,
    "current operators": ShipRole.OPERATOR,
    "current operator": ShipRole.OPERATOR,
    "current managers": ShipRole.SHIP_MANAGER,
    "current manager": ShipRole.SHIP_MANAGER,
}
_UN_REF: Final = re.compile(r"\b([A-Z]{2}[ei]\.\d{3})\b")
#: The references a "UN Ref" value starts with are the record's own; later ones in its text
#: name other listed parties ("member of the Rajah Solaiman Movement (QDe.128)").
_LEADING_UN_REFS: Final = re.compile(r"^\s*((?:[A-Z]{2}[ei]\.\d{3}\b[\s,;/&]*(?:and\s+)?)+)")
_OFSI_ID: Final = re.compile(r"OFSI ID:\s*(\d+)")
_ENUM: Final = re.compile(r"\(\d+\)")
_LABELLED_ID: Final = re.compile(
    r"\b(INN/TIN|INN|TIN|Tax ID No\.?|Tax Identification Number|OGRN|SRN|KPP)\b[\s:–-]*"
    r"(?:INN[\s:–-]*)?(\d[\d ]{6,16}\d)",
    re.IGNORECASE,
)
_GOV_ENTITY_TYPES: Final = re.compile(
    r"\b(government|ministry|military|state agency|police|armed forces)\b", re.IGNORECASE
)
_SOE_ENTITY_TYPES: Final = re.compile(r"\bstate[- ]owned\b", re.IGNORECASE)
PARENT_ROLE: Final = "parent company"
#: "Libyan Investment Authority, designated in UNSCR 1970": the name ends before the note.
_DESIGNATED_NOTE: Final = re.compile(r",?\s*\(?(?:designated|listed)\b.*$", re.IGNORECASE)


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    """An Excel workbook (a zip holding `xl/`): the only list published as one is the ConList,
    and a workbook without its sheet and header is then said to be so, not "unknown format"."""
    return head.startswith(b"PK\x03\x04") and b"xl/" in head


def detect_csv(path: Path, head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf")[:4096]
    return b"Group ID" in text and b"Group Type" in text and b"Name 6" in text


# -- reading rows ----------------------------------------------------------------------------


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str | None]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    read_bytes(path)  # the empty and unreadable cases, said the same way as for every file
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise SourceError(path, f"not a readable xlsx workbook ({type(exc).__name__}: "
                                f"{str(exc)[:120]})") from None
    try:
        if SHEET not in book.sheetnames:
            raise SourceError(path, f"no sheet {SHEET!r} (sheets: {', '.join(book.sheetnames)})")
        for number, row in enumerate(book[SHEET].iter_rows(values_only=True), start=1):
            yield number, [_cell(v) for v in row]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(path, f"unreadable sheet {SHEET!r} ({type(exc).__name__})") from None
    finally:
        book.close()


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str | None]]]:
    text = read_text(path, "utf-8")
    for line, fields in csv_rows(path, text):
        yield line, list(fields)


# -- the facts inside "Other Information" ----------------------------------------------------


def split_other_information(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(free text before the first label, [(label, value), ...]) of an "Other Information"."""
    parts = _KEY_PATTERN.split(text)
    lead = parts[0].strip()
    pairs = [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]
    return lead, pairs


@lru_cache(maxsize=16384)
def uk_date(text: str | None) -> str | None:
    """`25/06/2024` -> `2024-06-25`; `00/00/1994` -> `1994`; `00/08/1970` -> `1970-08`."""
    text = clean(text)
    if text is None:
        return None
    match = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", text)
    if match is None:
        return text if re.match(r"^\d{4}$", text) else None
    day, month, year = (int(g) for g in match.groups())
    if month == 0 or month > 12:
        return f"{year:04d}"
    if day == 0 or day > 31:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _enumerated(text: str) -> list[str]:
    """`(1) A (2) B` -> [A, B]; a plain value -> [value]."""
    return [v for v in (clean(p.strip(" .;,")) for p in _ENUM.split(text)) if v]


def _registration(text: str, russian: bool, props: dict[str, list[str]]) -> None:
    """Business registration numbers, with INN/OGRN/KPP picked out where labelled or shaped so."""
    labelled = False
    for match in _LABELLED_ID.finditer(text):
        labelled = True
        label, number = match.group(1).upper(), match.group(2).replace(" ", "")
        if label in ("OGRN", "SRN"):
            props["ogrnCode" if len(number) in (13, 15) else "registrationNumber"].append(number)
        elif label == "KPP":
            props["kppCode"].append(number)
        else:
            props["taxNumber"].append(number)
            if len(number) in (10, 12):
                props["innCode"].append(number)
    for value in _enumerated(text):
        props["registrationNumber"].append(value)
        digits = value.replace(" ", "")
        if not labelled and russian and digits.isdigit():
            if len(digits) in (10, 12):
                props["innCode"].append(digits)
            elif len(digits) in (13, 15):
                props["ogrnCode"].append(digits)


@dataclass(slots=True)
class _Group:
    gid: str
    first_row: int
    rows: list[dict[str, str | None]] = field(default_factory=list)


@dataclass(slots=True)
class _Built:
    entity: Entity
    #: (role, relation kind, the other party's name as written): ship roles and parent companies.
    roles: list[tuple[str, RelationKind, str]]
    ofsi_ids: list[str]
    #: What belongs on the sanction, not the entity: the UK reference and statement of reasons.
    sanction_props: dict[str, tuple[str, ...]]


def _build(group: _Group, problems: list[Problem]) -> _Built:
    rows = group.rows
    primary = next((r for r in rows if (r.get("alias type") or "").lower() == "primary name"),
                   rows[0])
    kind = (primary.get("group type") or "").lower()
    props: dict[str, list[str]] = defaultdict(list)

    def full_name(row: dict[str, str | None]) -> str | None:
        parts = [clean(row.get(c.lower())) for c in NAME_COLUMNS]
        return clean(" ".join(p for p in parts if p))

    props["name"].append(full_name(primary) or "")
    for row in rows:
        name = full_name(row)
        alias_type = (row.get("alias type") or "").lower()
        if name and row is not primary:
            if alias_type == "fka":
                props["previousName"].append(name)
            elif (row.get("alias quality") or "").lower().startswith("low"):
                props["weakAlias"].append(name)
            else:
                props["alias"].append(name)
        if script := clean(row.get("name non-latin script")):
            props["alias"].append(script)
        _row_facts(row, kind, props)
    other = clean(primary.get("other information")) or ""
    lead, pairs = split_other_information(other)
    if lead:
        props["notes"].append(lead)
    roles: list[tuple[str, RelationKind, str]] = []
    entity_type = ""
    russian = "ru" in props.get("country", []) or "ru" in props.get("nationality", [])
    for key, value in pairs:
        if not value:
            continue
        key_l = key.lower()
        if key_l == "un ref":
            lead_refs = _LEADING_UN_REFS.match(value)
            if lead_refs:
                props["unscId"].extend(_UN_REF.findall(lead_refs.group(1)))
            rest = value[lead_refs.end() if lead_refs else 0 :].strip(" .;,")
            if rest:
                props["notes"].append(rest)
        elif key_l == "uk sanctions list ref":
            ref, _, rest = value.partition(". ")
            props["authorityId"].append(ref.strip(" ."))
            if rest.strip():
                props["notes"].append(rest.strip())
        elif key_l == "uk statement of reasons":
            props["reason"].append(value)
        elif key_l == "gender":
            props["gender"].append(value.lower())
        elif key_l in ("phone number", "fax", "tel"):
            props["phone"].extend(_enumerated(value))
        elif key_l == "email address":
            props["email"].extend(_enumerated(value))
        elif key_l == "website":
            props["website"].extend(_enumerated(value))
        elif key_l == "type of entity":
            entity_type = value
            props["legalForm"].extend(_enumerated(value))
        elif key_l == "parent company":
            props["notes"].append(f"{key}: {value}")
            for name in _enumerated(value):
                name = _DESIGNATED_NOTE.sub("", name).strip()
                if name:
                    roles.append((PARENT_ROLE, RelationKind.OWNERSHIP, name))
        elif key_l == "subsidiaries":
            props["notes"].append(f"{key}: {value}")
        elif key_l == "business reg no":
            _registration(value, russian, props)
        elif key_l == "imo number":
            _imo(value, kind, group.gid, props, problems)
        elif key_l == "flag of ship":
            props["flag"].append(country_code(value) or value)
        elif key_l == "previous flags":
            for flag in re.split(r"[.,;]\s*", value):
                if flag.strip():
                    props["pastFlags"].append(country_code(flag.strip()) or flag.strip())
        elif key_l == "type of ship":
            props["type"].append(value)
        elif key_l == "tonnage of ship":
            props["tonnage"].append(value)
        elif key_l == "year built":
            props["buildDate"].append(value)
        elif key_l in _SHIP_ROLE_KEYS:
            role = _SHIP_ROLE_KEYS[key_l]
            for name in _enumerated(value):
                roles.append((role.value, SHIP_ROLE_KINDS[role], name))
        else:
            props["notes"].append(f"{key}: {value}")
    regimes = {r.get("regime") or "" for r in rows}
    topic = None
    if kind not in _GROUP_SCHEMA:
        if _SOE_ENTITY_TYPES.search(entity_type):
            topic = "gov.soe"
        elif _GOV_ENTITY_TYPES.search(entity_type) and "private" not in entity_type.lower():
            topic = "gov"
        else:
            topic = state_topic(props["name"][0], "", state_list=bool(regimes & STATE_REGIMES))
        if topic:
            props["topics"].append(topic)
    # The stated type of entity ("Limited Liability Company (LLC)") tells a firm from a body.
    schema = _GROUP_SCHEMA.get(kind) or party_schema(f"{props['name'][0]} {entity_type}", topic)
    props["topics"].append("sanction")
    props["program"].extend(sorted(r for r in regimes if r))
    sanction_props = {k: tuple(dict.fromkeys(props.pop(k, []))) for k in ("authorityId", "reason")}
    sanction_props["unscId"] = tuple(dict.fromkeys(props.get("unscId", [])))
    properties = {k: tuple(dict.fromkeys(v)) for k, v in props.items() if v}
    return _Built(Entity(group.gid, schema, properties, group.gid), roles,
                  _OFSI_ID.findall(other), sanction_props)


def _row_facts(row: dict[str, str | None], kind: str, props: dict[str, list[str]]) -> None:
    """Facts a row states in its own columns (they differ from row to row of one group)."""
    if title := clean(row.get("title")):
        props["title"].append(title)
    if kind == "individual":
        if dob := uk_date(row.get("dob")):
            props["birthDate"].append(dob)
        place = [clean(row.get(c)) for c in ("town of birth", "country of birth")]
        if any(place):
            props["birthPlace"].append(", ".join(p for p in place if p))
        for value in _enumerated(row.get("nationality") or ""):
            props["nationality"].append(country_code(value) or value)
        props["passportNumber"].extend(_enumerated(row.get("passport number") or ""))
        props["idNumber"].extend(
            v for v in _enumerated(row.get("national identification number") or "") if v != "-"
        )
        if position := clean(row.get("position")):
            props["position"].append(position)
    address = [clean(row.get(c.lower())) for c in ADDRESS_COLUMNS]
    if any(address):
        props["address"].append(", ".join(a for a in address if a))
    if country := clean(row.get("country")):
        props["country"].append(country_code(country) or country)


def _imo(value: str, kind: str, gid: str, props: dict[str, list[str]],
         problems: list[Problem]) -> None:
    for raw in _enumerated(value):
        number = clean_imo_ship(raw) if kind == "ship" else clean_imo_company(raw)
        if number:
            props["imoNumber"].append(number)
        else:
            what = "ship" if kind == "ship" else "company"
            problems.append(Problem(f"invalid IMO {what} number",
                                    f"{raw} fails the IMO {what} check digit", gid))
            props["registrationNumber"].append(raw)


def _groups(path: Path, rows: Iterable[tuple[int, list[str | None]]],
            meta: list[str | None]) -> dict[str, _Group]:
    """Rows grouped by Group ID, after the "Last Updated" line and the header."""
    header: list[str] | None = None
    col: dict[str, int] = {}
    groups: dict[str, _Group] = {}
    for number, cells in rows:
        for value in cells:
            if value is not None and len(value) > MAX_FIELD_BYTES:
                raise SourceError(path, f"a field of {len(value):,} characters (limit "
                                        f"{MAX_FIELD_BYTES:,}): not a ConList", f"row {number}")
        if header is None:
            first = (cells[0] or "").strip().lower() if cells else ""
            if first == "last updated":
                meta.append(uk_date(cells[1]) if len(cells) > 1 else None)
                continue
            if not any(cells):
                continue
            header = [(c or "").strip() for c in cells]
            try:
                col = require_columns(path, header, REQUIRED)
            except SourceError as exc:
                raise SourceError(path, exc.reason, f"row {number}") from None
            continue
        if not any(cells):
            continue
        row = {name: (cells[i] if i < len(cells) else None) for name, i in col.items()}
        gid = clean(row.get("group id"))
        if gid is None:
            raise SourceError(path, "row without a Group ID", f"row {number}")
        group = groups.get(gid)
        if group is None:
            group = groups[gid] = _Group(gid, number)
        group.rows.append(row)
    if header is None:
        raise SourceError(path, "no ConList header row (Name 6, Name 1, ..., Group ID)")
    return groups


def _records(path: Path, rows: Iterable[tuple[int, list[str | None]]]) -> Iterator[Record]:
    meta: list[str | None] = []
    groups = _groups(path, rows, meta)
    yield ListMeta(meta[0] if meta else None)
    problems: list[Problem] = []
    built = [_build(g, problems) for g in groups.values()]
    yield from problems
    by_name: dict[str, set[str]] = defaultdict(set)
    for item in built:
        entity = item.entity
        if entity.schema in (Schema.PERSON, Schema.VESSEL):
            continue
        for prop in ("name", "alias", "previousName"):
            for name in entity.properties.get(prop, ()):
                by_name[normalize_name(name)].add(entity.id)
    made: dict[str, str] = {}
    for item in built:
        entity = item.entity
        yield entity
        yield from _sanctions(groups[entity.id], entity, item.sanction_props)
        for n, (role, kind, name) in enumerate(item.roles):
            key = normalize_name(name)
            if not key:
                continue
            listed = sorted(by_name.get(key, set()) - {entity.id})
            hinted = [i for i in item.ofsi_ids if i in groups and i != entity.id]
            if len(listed) == 1:
                above = listed[0]
            elif not listed and len(item.roles) == 1 and len(hinted) == 1:
                above = hinted[0]  # "Listed as asset of X (OFSI ID: N)": the list says which
            elif role == PARENT_ROLE and (
                listed or state_topic(name, "", state_list=True) != "gov"
            ):
                # An unlisted parent is a node of its own only when it is a state body (a
                # ministry...); other parent texts are too loose to name a party ("Parent and
                # branches") and stay in the notes.
                if listed:
                    yield Problem(f"ambiguous {role}", f"{role} {name!r} matches groups "
                                  f"{', '.join(listed)}; kept in the notes", entity.id)
                continue
            else:
                if len(listed) > 1:
                    yield Problem(f"ambiguous {role}", f"{role} {name!r} matches groups "
                                  f"{', '.join(listed)}; kept apart", entity.id)
                above = made.get(key) or f"party:{key}"
                if key not in made:
                    made[key] = above
                    yield _unlisted_party(above, name, entity)
            yield Relation(
                id=f"{entity.id}:{role.replace(' ', '_')}:{n}",
                kind=kind,
                subject=above,
                object=entity.id,
                record_id=entity.id,
                role=role,
                properties={"description": (f"{role}: {name}",)},
            )


def _unlisted_party(party_id: str, name: str, below: Entity) -> Entity:
    """A party the list names (a ship's owner, a state body as parent) without listing it
    itself: its record id is that of the record naming it."""
    topic = state_topic(name, "", state_list=True)
    props: dict[str, tuple[str, ...]] = {"name": (name,)}
    if topic:
        props["topics"] = (topic,)
    return Entity(party_id, party_schema(name, topic), props, below.id)


def _sanctions(group: _Group, entity: Entity,
               stated: dict[str, tuple[str, ...]]) -> Iterator[Sanction]:
    by_regime: dict[str, list[dict[str, str | None]]] = defaultdict(list)
    for row in group.rows:
        by_regime[clean(row.get("regime")) or "unknown"].append(row)
    for regime, rows in by_regime.items():
        listed = sorted(d for d in (uk_date(r.get("listed on")) for r in rows) if d)
        designated = sorted(
            d for d in (uk_date(r.get("uk sanctions list date designated")) for r in rows) if d
        )
        updated = sorted(d for d in (uk_date(r.get("last updated")) for r in rows) if d)
        props: dict[str, tuple[str, ...]] = {
            **stated,
            "startDate": tuple(designated[:1]),
            "modifiedAt": tuple(updated[-1:]),
        }
        yield Sanction(
            id=f"{entity.id}:{regime}",
            entity=entity.id,
            authority=AUTHORITY,
            program=regime,
            record_id=entity.id,
            listing_date=listed[0] if listed else None,
            properties={k: v for k, v in props.items() if v},
        )


def load(path: Path) -> Iterator[Record]:
    """Records of a ConList xlsx (sheet "Data")."""
    return _records(path, _xlsx_rows(path))


def load_csv(path: Path) -> Iterator[Record]:
    """Records of a ConList csv (the same header as the xlsx)."""
    return _records(path, _csv_rows(path))

"""OFAC's legacy CSV set: `sdn.csv`, with `add.csv`, `alt.csv` and `sdn_comments.csv` beside it.

Quirks handled (see SOURCES.md): no header; `-0- ` means null; CRLF and a trailing Ctrl-Z row
(required: each of the four files ends with it, and one without it was cut short);
programmes joined by `] [`; remarks that overflow into `sdn_comments.csv`; everything else (IMO,
MMSI, tax ids, company IMO numbers, build year, aliases, `Linked To:`) lives in the Remarks text.
A ship IMO number must pass its check digit; "Identification Number IMO" on a company is the IMO
*company* number. `Linked To: NAME` becomes a relation to the entity of that name in the same list
when exactly one has it; ambiguous and missing targets are reported as problems, never guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from graph.errors import SourceError
from graph.identifiers import clean_mmsi, country_code
from graph.model import (
    Entity,
    Problem,
    Record,
    Sanction,
    Schema,
    ShipRole,
)
from loaders._io import clean, csv_rows, imo_fact, read_text
from loaders._links import Named, named_relations

FORMAT: Final = "ofac_csv"
SOURCE: Final = "us_ofac_sdn"
TITLE: Final = "OFAC SDN list, legacy CSV set (sdn.csv + add.csv, alt.csv, sdn_comments.csv)"
AUTHORITY: Final = "US OFAC"
DETAIL_URL: Final = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={}"

SDN_COLUMNS: Final = 12
#: OFAC's CSV files (sdn, add, alt, sdn_comments) end with a DOS end-of-file byte, Ctrl-Z.
END_OF_FILE: Final = "\x1a"
#: sdn.csv cuts Remarks at this many characters; the rest is in sdn_comments.csv.
REMARKS_LIMIT: Final = 1000
_COMPANIONS: Final = {"add": 6, "alt": 5, "comments": 2}

_SDN_TYPES: Final = {
    "individual": Schema.PERSON,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRPLANE,
}

#: Words that mark an OFAC "entity" as a company rather than some other organisation.
_COMPANY_WORDS: Final = re.compile(
    r"\b(LLC|L\.L\.C|LTD|LIMITED|INC|INCORPORATED|CORP|CORPORATION|CO|COMPANY|JSC|PJSC|OJSC|CJSC|"
    r"OAO|ZAO|OOO|AO|PAO|TOO|LLP|GMBH|AG|SA|S\.A|SARL|SRL|S\.R\.L|BV|B\.V|NV|PLC|PTE|PVT|FZE|FZCO|"
    r"FZC|DMCC|SDN\s+BHD|BHD|LLP|KG|OY|AB|AS|SPA|S\.P\.A|LTDA|SAS|TRADING|SHIPPING|HOLDING|HOLDINGS|"
    r"ENTERPRISE|ENTERPRISES|GROUP|BANK|INDUSTRIES|MARINE|LOGISTICS)\b\.?",
)

_ALIAS: Final = re.compile(r"^(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s*'(.+)'\.?$", re.IGNORECASE)
_LINKED: Final = re.compile(r"^Linked To:\s*(.+?)\.?$")
_SHIP_IMO: Final = re.compile(r"^(?:alt\. )?Vessel Registration Identification IMO\s+(\S+?)\.?$")
_COMPANY_IMO: Final = re.compile(
    r"^(?:alt\. )?(?:Identification Number|Company Number) IMO\s+(\S+?)\.?$"
)
_MMSI: Final = re.compile(r"^(?:alt\. )?MMSI\s+(\S+?)\.?$")
_BUILD: Final = re.compile(r"^Vessel Year of Build\s+(\d{4})\.?$")
_OTHER_VESSEL: Final = re.compile(
    r"^(?:alt\. )?(Other|Former) Vessel (Flag|Call Sign|Type)\s+(.+?)\.?$"
)
_ID_VALUE: Final = re.compile(
    r"^\s*[#:]?\s*(?P<value>[^()]+?)(?:\s+\((?P<country>[^)]+)\))?(?:\s+(?:issued|expires)\b.*)?\.?$"
)
_TARGET_TYPE: Final = re.compile(r"^Target Type\s+(.+?)\.?$")
_SIMPLE: Final = {
    "DOB": "birthDate",
    "POB": "birthPlace",
    "nationality": "nationality",
    "citizen": "citizenship",
    "Gender": "gender",
    "Website": "website",
    "Email Address": "email",
    "Phone Number": "phone",
    "Organization Established Date": "incorporationDate",
}

#: Identification types in remarks (longest phrase first wins), mapped to FtM properties.
#: Anything not here is kept in notes.
_ID_TYPES: Final = {
    "Tax ID No.": "taxNumber",
    "Registration Number": "registrationNumber",
    "Registration ID": "registrationNumber",
    "Business Registration Number": "registrationNumber",
    "Commercial Registry Number": "registrationNumber",
    "Company Number": "registrationNumber",
    "Certificate of Incorporation Number": "registrationNumber",
    "Government Gazette Number": "registrationNumber",
    "Economic Register Number": "registrationNumber",
    "Chamber of Commerce Number": "registrationNumber",
    "Trade License No.": "registrationNumber",
    "Folio Mercantil No.": "registrationNumber",
    "Matricula Mercantil No": "registrationNumber",
    "Legal Entity Number": "leiCode",
    "Unified Social Credit Code (USCC)": "registrationNumber",
    "Passport": "passportNumber",
    "National ID No.": "idNumber",
    "Cedula No.": "idNumber",
    "Identification Number": "idNumber",
    "SWIFT/BIC": "swiftBic",
    "D-U-N-S Number": "dunsCode",
    "RUC #": "taxNumber",
    "US FEIN": "taxNumber",
    "NIT #": "taxNumber",
}
_ID_PHRASES: Final = sorted(_ID_TYPES, key=len, reverse=True)

#: "Target Type" values that mark a state actor, as FtM topics.
_STATE_TOPICS: Final = {
    "Government Entity": "gov",
    "State-Owned Enterprise": "gov.soe",
}


@dataclass(slots=True)
class _Row:
    ent_num: str
    name: str
    schema: Schema
    programs: list[str]
    remarks: str
    props: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    linked: list[str] = field(default_factory=list)
    owner_text: str | None = None


def companions(path: Path) -> dict[str, Path]:
    """The add/alt/comments files beside an sdn.csv, found by name (`add.csv` or `*_add_*.csv`)."""
    found: dict[str, Path] = {}
    for kind in _COMPANIONS:
        word = "sdn_comments" if kind == "comments" else kind
        pattern = re.compile(rf"(^|[^a-z]){word}([^a-z]|$)")
        matches = sorted(
            p
            for p in path.parent.glob("*.csv")
            if p != path and pattern.search(p.name.lower())
            and (kind == "comments" or "comments" not in p.name.lower())
        )
        if matches:
            # Prefer the companion whose name mirrors the sdn file's (sdn.csv -> add.csv).
            mirror = path.parent / path.name.lower().replace("sdn", word, 1)
            found[kind] = mirror if mirror in matches else matches[-1]
    return found


def files(path: Path) -> list[Path]:
    """Every file one load of this set reads (for the version's checksum)."""
    return [path, *companions(path).values()]


def detect(path: Path, head: bytes) -> bool:
    """An sdn.csv: no header, numeric first field, twelve fields, `-0-` nulls."""
    if path.suffix.lower() != ".csv" or "comments" in path.name.lower():
        return False
    first = head.split(b"\n", 1)[0]
    return bool(re.match(rb'^\d+,"[^"]*",(-0- |"[a-z]+"),', first))


def _remark_items(remarks: str) -> list[str]:
    """Remarks are items separated by `;`."""
    return [item.strip() for item in remarks.split(";") if item.strip()]


def _classify_entity(name: str, topics: list[str]) -> Schema:
    if any(t.startswith("gov") for t in topics) and "gov.soe" not in topics:
        return Schema.PUBLIC_BODY
    if _COMPANY_WORDS.search(name.upper()):
        return Schema.COMPANY
    return Schema.ORGANIZATION


def _parse_remarks(row: _Row, problems: list[Problem]) -> None:
    props = row.props
    for item in _remark_items(row.remarks):
        if m := _ALIAS.match(item):
            kind = m.group(1).lower()
            props["previousName" if kind == "f.k.a." else "alias"].append(m.group(2).strip())
        elif m := _LINKED.match(item):
            row.linked.append(m.group(1).strip())
        elif m := _SHIP_IMO.match(item) or _COMPANY_IMO.match(item):
            prop, value, problem = imo_fact(m.group(1), ship=m.re is _SHIP_IMO,
                                            record_id=row.ent_num)
            props[prop].append(value)
            if problem:
                problems.append(problem)
        elif m := _MMSI.match(item):
            mmsi = clean_mmsi(m.group(1))
            if mmsi:
                props["mmsi"].append(mmsi)
        elif m := _BUILD.match(item):
            props["buildDate"].append(m.group(1))
        elif m := _OTHER_VESSEL.match(item):
            when, what, value = m.groups()
            if what == "Flag":
                code = country_code(value)
                props["pastFlags" if when == "Former" else "flag"].append(code or value)
            elif what == "Call Sign":
                props["callSign"].append(value)
            else:
                props["pastTypes" if when == "Former" else "type"].append(value)
        elif m := _TARGET_TYPE.match(item):
            props["classification"].append(m.group(1))
            topic = _STATE_TOPICS.get(m.group(1))
            if topic:
                props["topics"].append(topic)
        elif not _simple_fact(item, props) and not _identifier(item, props):
            props["notes"].append(item)


def _simple_fact(item: str, props: dict[str, list[str]]) -> bool:
    body = item[5:] if item.startswith("alt. ") else item
    for prefix, prop in _SIMPLE.items():
        if body.startswith(prefix + " ") or body.startswith(prefix + ":"):
            value = body[len(prefix) :].strip(" :.")
            if prop in ("nationality", "citizenship"):
                value = country_code(value) or value
            props[prop].append(value)
            return True
    return False


def _identifier(item: str, props: dict[str, list[str]]) -> bool:
    body = item[5:] if item.startswith("alt. ") else item
    for phrase in _ID_PHRASES:
        if body.startswith(phrase):
            match = _ID_VALUE.match(body[len(phrase) :])
            if match is None:
                return False
            prop = _ID_TYPES[phrase]
            value = match.group("value").strip()
            props[prop].append(value)
            country = country_code(match.group("country") or "")
            if country == "ru" and value.isdigit():
                # Russian tax ids are INNs, 13/15-digit registration numbers OGRNs.
                if prop == "taxNumber" and len(value) in (10, 12):
                    props["innCode"].append(value)
                elif prop == "registrationNumber" and len(value) in (13, 15):
                    props["ogrnCode"].append(value)
            return True
    return False


def _read_sdn(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The rows of one file of the set, which must end with OFAC's end-of-file byte."""
    text = read_text(path, "utf-8")
    rows = list(csv_rows(path, text))
    # The file ends with a Ctrl-Z (0x1A) that reads as a one-field last row.
    while rows and [f.strip() for f in rows[-1][1]] in ([], ["\x1a"], [""]):
        rows.pop()
    if not text.rstrip(" \t\r\n").endswith(END_OF_FILE):
        # Cut at a row boundary (a download that stopped), the file would parse and quietly
        # load fewer entries; only the missing marker tells.
        raise SourceError(path, "expected OFAC's end-of-file byte 0x1A after the last row, "
                          "found none: the file is cut short (an interrupted download?)",
                          f"line {rows[-1][0]}" if rows else None)
    yield from rows


def _companion_rows(path: Path, width: int) -> Iterator[tuple[int, list[str]]]:
    for line, fields in _read_sdn(path):
        if len(fields) != width:
            raise SourceError(path, f"expected {width} fields, found {len(fields)}", f"line {line}")
        yield line, fields


def load(path: Path) -> Iterator[Record]:
    """Records of one sdn.csv and its companions."""
    extra = companions(path)
    comments: dict[str, str] = {}
    if "comments" in extra:
        for _, (ent, text) in _companion_rows(extra["comments"], _COMPANIONS["comments"]):
            comments[ent.strip()] = comments.get(ent.strip(), "") + text.rstrip()
    problems: list[Problem] = []
    rows: list[_Row] = []
    for line, fields in _read_sdn(path):
        if len(fields) != SDN_COLUMNS:
            raise SourceError(
                path, f"expected {SDN_COLUMNS} fields, found {len(fields)} (truncated file?)",
                f"line {line}",
            )
        ent_num = fields[0].strip()
        if not ent_num.isdigit():
            raise SourceError(path, f"ent_num {ent_num!r} is not a number", f"line {line}")
        name = clean(fields[1]) or ""
        sdn_type = clean(fields[2])
        remarks = clean(fields[11]) or ""
        continuation = comments.pop(ent_num, None)
        if continuation is not None:
            if len(fields[11]) >= REMARKS_LIMIT:
                remarks = fields[11] + continuation
            else:
                problems.append(Problem(
                    "stale remarks continuation",
                    "sdn_comments row continues a remark that is not cut off here (the files "
                    "are of different dates); ignored", ent_num))
        programs = [p.strip(" []") for p in (clean(fields[3]) or "").split("] [") if p.strip(" []")]
        row = _Row(ent_num, name, _SDN_TYPES.get((sdn_type or "").lower(), Schema.ORGANIZATION),
                   programs, remarks)
        _parse_remarks(row, problems)
        if row.schema is Schema.ORGANIZATION:
            row.schema = _classify_entity(name, row.props["topics"])
        props = row.props
        props["name"].insert(0, name)
        if title := clean(fields[4]):
            props["position" if row.schema is Schema.PERSON else "notes"].append(title)
        if call_sign := clean(fields[5]):
            props["callSign"].insert(0, call_sign)
        if vessel_type := clean(fields[6]):
            props["type"].insert(0, vessel_type)
        if tonnage := clean(fields[7]):
            props["tonnage"].append(tonnage)
        if grt := clean(fields[8]):
            props["grossRegisteredTonnage"].append(grt)
        if flag := clean(fields[9]):
            props["flag"].insert(0, country_code(flag) or flag)
        row.owner_text = clean(fields[10])
        props["program"].extend(programs)
        rows.append(row)
    for ent_num in comments:
        problems.append(Problem("orphan remarks", "sdn_comments row for an entry not in sdn.csv",
                                ent_num))
    known = {r.ent_num: r for r in rows}
    if "alt" in extra:
        for _, (ent, _alt, kind, name, _remarks) in _companion_rows(extra["alt"], 5):
            target = known.get(ent.strip())
            alias = clean(name)
            if target is None or alias is None:
                if target is None:
                    problems.append(Problem("alias for unknown entry",
                                            "alt.csv row for an entry not in sdn.csv", ent.strip()))
                continue
            prop = "previousName" if (clean(kind) or "").lower() == "fka" else "alias"
            target.props[prop].append(alias)
    if "add" in extra:
        for _, (ent, _add, address, city, country, _remarks) in _companion_rows(extra["add"], 6):
            target = known.get(ent.strip())
            if target is None:
                problems.append(Problem("address for unknown entry",
                                        "add.csv row for an entry not in sdn.csv", ent.strip()))
                continue
            parts = [p for p in (clean(address), clean(city), clean(country)) if p]
            if parts:
                target.props["address"].append(", ".join(parts))
            if (c := clean(country)) and (code := country_code(c)):
                target.props["country"].append(code)
    yield from problems
    yield from _records(rows)


def _records(rows: list[_Row]) -> Iterator[Record]:
    named: list[Named] = []
    for row in rows:
        properties = {k: tuple(dict.fromkeys(v)) for k, v in row.props.items() if v}
        yield Entity(row.ent_num, row.schema, properties, row.ent_num)
        for program in row.programs:
            yield Sanction(
                id=f"{row.ent_num}:{program}",
                entity=row.ent_num,
                authority=AUTHORITY,
                program=program,
                record_id=row.ent_num,
                source_url=DETAIL_URL.format(row.ent_num),
            )
        targets = [(ShipRole.LINKED, text) for text in row.linked]
        if row.owner_text and row.schema is Schema.VESSEL:
            targets.append((ShipRole.REGISTERED_OWNER, row.owner_text))
        named.append(Named(row.ent_num, row.schema, properties, targets))
    yield from named_relations(named)

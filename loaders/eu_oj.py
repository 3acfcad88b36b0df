"""EU Official Journal annex transcriptions (OpenSanctions `journal_sanctions`, consolidated CSV).

One file per framework act (`celex` 32014R0269, 32014R0833, 32017R1509...), one row per listed
entity per annex, in the column set that repository's FORMAT.md fixes: `celex, recordId,
programKey, annex, measure, startDate, reason, schema, name, alias, ...` with FtM property names as
columns. Multi-valued cells hold `; `-separated values, themselves CSV-quoted when they contain a
`;`. A record id is only unique within one regulation and annex, so the record id here is
`annex#recordId` (`I.ENTITIES#370`) and the source name is the regulation's (`eu_oj_269_2014`);
rows the act prints without a number get a stable id made from the annex and the name, and are
counted. The list date is that of the newest listing in the file, which states none of its own.
Names, identifiers, dates and country wording are kept as printed, apart from dates put
into ISO form and countries into codes where they are known, and state bodies (ministries, armed
forces, bureaux) made `PublicBody` with topic `gov`. A person's stated position "CEO of X"
becomes a directorship when X is exactly one entity of the same file. FtM `Asset` rows (ports,
zones) have no place in a graph of parties and ships: they are counted and skipped.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from graph.errors import SourceError
from graph.identifiers import clean_imo_company, clean_imo_ship, clean_mmsi, country_code
from graph.model import Entity, ListMeta, Problem, Record, Relation, RelationKind, Sanction, Schema
from graph.normalize import normalize_name
from loaders._io import clean, csv_rows, iso_date, read_text, require_columns, table_rows
from loaders._parties import state_topic

FORMAT: Final = "eu_oj_csv"
SOURCE: Final = "eu_oj"
TITLE: Final = "EU Official Journal annex transcriptions (OpenSanctions journal_sanctions CSV)"
AUTHORITY: Final = "EU"

#: The columns every consolidated file starts with; the rest are FtM properties.
META_COLUMNS: Final = ("celex", "recordId", "programKey", "annex", "measure", "startDate",
                       "reason", "schema", "name")
_SCHEMATA: Final = {
    "Person": Schema.PERSON,
    "LegalEntity": Schema.LEGAL_ENTITY,
    "Organization": Schema.ORGANIZATION,
    "Company": Schema.COMPANY,
    "Vessel": Schema.VESSEL,
}
#: Entity columns kept as they are (FtM names); the others are handled one by one below.
_NAMES: Final = frozenset({"alias", "weakAlias", "previousName"})
#: What the OJ transcriptions print where an image of a name stands: its script, then a
#: placeholder ("Chinese:", "Korean:", "Farsi:", "Text of image").
_LABEL: Final = re.compile(r"^(?:[A-Z][a-z]+:|Text of image)$")
_PLAIN: Final = ("alias", "weakAlias", "previousName", "birthPlace", "position",
                 "passportNumber", "fatherName", "motherName", "legalForm", "sector",
                 "registrationNumber", "taxNumber", "idNumber", "innCode", "ogrnCode", "kppCode",
                 "okpoCode", "leiCode", "swiftBic", "ticker", "address", "phone", "email",
                 "website", "notes", "appearance", "ethnicity")
_COUNTRIES: Final = ("country", "nationality", "jurisdiction", "flag")
_DATES: Final = ("birthDate", "incorporationDate")
_CELEX: Final = re.compile(r"^3(\d{4})([RDL])(\d{4})$")
_MONTHS: Final = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_WORDED: Final = re.compile(r"^(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})$")
_POSITION: Final = re.compile(
    r"\b(CEO|Chief Executive Officer|General Director|Director General|Director|Chairman|"
    r"Chairperson|President|Founder|Owner|Head)\s+(?:of|at)\s+(?:the\s+)?(.+?)\s*(?:[,;(]|$)",
    re.IGNORECASE,
)


def regulation(celex: str) -> tuple[str, str] | None:
    """(display, source suffix) of a celex: `32014R0269` -> (`269/2014`, `269_2014`);
    from 2015 the EU numbers acts year first: `32017R1509` -> (`2017/1509`, `2017_1509`)."""
    match = _CELEX.match(celex.strip().upper())
    if match is None:
        return None
    year, _, number = match.groups()
    number = str(int(number))
    if int(year) >= 2015:
        return f"{year}/{number}", f"{year}_{number}"
    return f"{number}/{year}", f"{number}_{year}"


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"celex,recordId,programKey,annex,")


def _first_celex(path: Path) -> str | None:
    with path.open("rb") as handle:
        handle.readline()
        line = handle.readline().decode("utf-8", "replace")
    return line.split(",", 1)[0].strip() or None


def source_for(path: Path) -> str:
    """The source name of a file: one per regulation, from the celex of its rows."""
    celex = _first_celex(path)
    reg = regulation(celex) if celex else None
    return f"{SOURCE}_{reg[1]}" if reg else SOURCE


def eu_date(text: str | None) -> str | None:
    """`17.3.2014`, `2011-02`, `2 December 1985`, `26 Feb. 2011` -> ISO; None otherwise."""
    text = clean(text)
    if text is None:
        return None
    if found := iso_date(text):
        return found
    match = _WORDED.match(text)
    if match and (month := _MONTHS.get(match.group(2).lower())):
        return f"{match.group(3)}-{month:02d}-{int(match.group(1)):02d}"
    return None


def split_values(cell: str) -> list[str]:
    """A multi-valued cell: `; `-separated, each value CSV-quoted when it holds a `;`."""
    cell = cell.strip()
    if not cell:
        return []
    if '"' not in cell:
        parts = cell.split(";")
    else:
        parts = next(csv.reader([cell], delimiter=";", skipinitialspace=True), [])
    return [v for v in (clean(p) for p in parts) if v]


@dataclass(slots=True)
class _Row:
    record_id: str
    schema: Schema
    props: dict[str, list[str]]
    annex: str
    line: int


def load(path: Path) -> Iterator[Record]:
    """Records of one consolidated journal_sanctions CSV."""
    text = read_text(path, "utf-8")
    rows = csv_rows(path, text)
    try:
        _, header = next(rows)
    except StopIteration:
        raise SourceError(path, "no header row") from None
    require_columns(path, header, META_COLUMNS)
    names = [h.strip() for h in header]
    celex: str | None = None
    reg: tuple[str, str] | None = None
    ids: dict[str, _Row] = {}
    fallback: set[str] = set()
    by_name: dict[str, set[str]] = defaultdict(set)
    sanctions: list[Sanction] = []
    problems: list[Problem] = []
    for line, fields in table_rows(path, rows, len(header)):
        row = dict(zip(names, fields, strict=True))
        row_celex = row["celex"].strip()
        if celex is None:
            celex, reg = row_celex, regulation(row_celex)
            if reg is None:
                raise SourceError(path, f"celex {row_celex!r} is not a regulation's",
                                  f"line {line}")
        elif row_celex != celex:
            raise SourceError(path, f"celex {row_celex!r} differs from the file's {celex!r}",
                              f"line {line}")
        annex = clean(row["annex"]) or "-"
        schema_name = row["schema"].strip()
        name = clean(row["name"])
        if name is None:
            raise SourceError(path, "row without a name", f"line {line}")
        schema = _SCHEMATA.get(schema_name)
        if schema is None:
            problems.append(Problem(f"schema {schema_name or '(none)'} not loaded",
                                    f"{name!r} in annex {annex} (line {line})"))
            continue
        number = clean(row["recordId"])
        if number:
            record_id = f"{annex}#{number}"
        else:
            base = f"{annex}#name:{normalize_name(name).replace(' ', '-')}"
            record_id, n = base, 1
            while record_id in fallback:
                n += 1
                record_id = f"{base}-{n}"
            fallback.add(record_id)
            problems.append(Problem("row without record id",
                                    f"{name!r} in annex {annex} (line {line}) is {record_id}",
                                    record_id))
        props = _properties(row, name, schema, record_id, problems)
        # Every regulation here is aimed at a state: its ministries, armed forces and bureaux
        # are that state's bodies (the Munitions Industry Department, the Russian MoD).
        if (schema in (Schema.LEGAL_ENTITY, Schema.ORGANIZATION)
                and state_topic(name, "", state_list=True) == "gov"):
            schema = Schema.PUBLIC_BODY
            props["topics"].append("gov")
        if record_id in ids:
            for key, values in props.items():
                ids[record_id].props[key].extend(values)
        else:
            ids[record_id] = _Row(record_id, schema, props, annex, line)
        assert reg is not None
        program = f"EU {reg[0]} Annex {annex}"
        ids[record_id].props["program"].append(program)
        sanction_props = {
            "programId": (row["programKey"].strip(),),
            "provisions": (row["measure"].strip(),),
            "reason": (clean(row["reason"]) or "",),
        }
        sanctions.append(Sanction(
            id=f"{record_id}:{row['programKey'].strip()}:{row['measure'].strip()}",
            entity=record_id,
            authority=AUTHORITY,
            program=program,
            record_id=record_id,
            listing_date=eu_date(row["startDate"]),
            source_url=f"https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:{celex}",
            properties={k: v for k, v in sanction_props.items() if v[0]},
        ))
    # The file states no date of its own; the newest listing it holds dates it best (a copy's
    # modification time says nothing about the list).
    yield ListMeta(max((s.listing_date for s in sanctions if s.listing_date), default=None))
    yield from problems
    for item in ids.values():
        if item.schema is not Schema.PERSON:
            for prop in ("name", "alias"):
                for value in item.props.get(prop, []):
                    by_name[normalize_name(value)].add(item.record_id)
    for item in ids.values():
        properties = {k: tuple(dict.fromkeys(v)) for k, v in item.props.items() if v}
        yield Entity(item.record_id, item.schema, properties, item.record_id)
    yield from sanctions
    yield from _positions(ids, by_name)


def _properties(row: dict[str, str], name: str, schema: Schema, record_id: str,
                problems: list[Problem]) -> dict[str, list[str]]:
    props: dict[str, list[str]] = defaultdict(list)
    props["name"].append(name)
    for prop in _PLAIN:
        if prop in row:
            values = split_values(row[prop])
            if prop in _NAMES:
                labels = [v for v in values if _LABEL.match(v)]
                if labels:
                    # The OJ prints a name in another script as an image headed by its
                    # script ("Korean:"); the transcription keeps the heading and the
                    # placeholder "Text of image". Neither is a name.
                    problems.append(Problem("transcription label as name",
                                            f"{prop} {'; '.join(labels)} dropped", record_id))
                    values = [v for v in values if not _LABEL.match(v)]
            props[prop].extend(values)
    for prop in _COUNTRIES:
        for value in split_values(row.get(prop, "")):
            props[prop].append(country_code(value) or value)
    for prop in _DATES:
        for value in split_values(row.get(prop, "")):
            props[prop].append(eu_date(value) or value)
    for value in split_values(row.get("gender", "")):
        props["gender"].append(value.strip(" .").lower())
    for value in split_values(row.get("mmsi", "")):
        props["mmsi"].append(clean_mmsi(value) or value)
    for value in split_values(row.get("imoNumber", "")):
        number = clean_imo_ship(value) if schema is Schema.VESSEL else clean_imo_company(value)
        if number:
            props["imoNumber"].append(number)
        else:
            what = "ship" if schema is Schema.VESSEL else "company"
            problems.append(Problem(f"invalid IMO {what} number",
                                    f"{value} fails the IMO {what} check digit", record_id))
            props["registrationNumber"].append(value)
    if any("russia" in v.lower() for p in ("address", "country", "jurisdiction")
           for v in props.get(p, [])) or "ru" in props.get("country", []):
        # Russian tax numbers are INNs (10 or 12 digits), registration numbers OGRNs (13 or 15).
        for value in props.get("taxNumber", []):
            if value.isdigit() and len(value) in (10, 12):
                props["innCode"].append(value)
        for value in props.get("registrationNumber", []):
            if value.isdigit() and len(value) in (13, 15):
                props["ogrnCode"].append(value)
    props["topics"].append("sanction")
    return props


def _positions(ids: dict[str, _Row], by_name: dict[str, set[str]]) -> Iterator[Record]:
    """Directorships a person's stated position names ("CEO of M Leasing LLC")."""
    for item in ids.values():
        if item.schema is not Schema.PERSON:
            continue
        for n, position in enumerate(dict.fromkeys(item.props.get("position", []))):
            match = _POSITION.search(position)
            if match is None:
                continue
            targets = sorted(by_name.get(normalize_name(match.group(2)), set()))
            if len(targets) != 1:
                continue
            yield Relation(
                id=f"{item.record_id}:position:{n}",
                kind=RelationKind.DIRECTORSHIP,
                subject=item.record_id,
                object=targets[0],
                record_id=item.record_id,
                role=match.group(1),
                properties={"description": (position,)},
            )

"""What OFAC's three XML forms share: the vocabulary of identifier and feature types, relationship
types, dates, programmes, and resolving `Linked To:` names within one file.

The legacy `SDN.XML` (`sdnList`), the Advanced XML (`sdn_advanced.xsd`) and the Enhanced XML all
name identifiers ("Tax ID No.", "Vessel Registration Identification") and features ("Birthdate",
"Vessel Flag") with the same English labels; one table maps them to FtM properties here, so the
three loaders agree with each other and with the CSV loader.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from graph.identifiers import clean_mmsi, country_code
from graph.model import (
    Entity,
    Problem,
    Record,
    Relation,
    RelationKind,
    Sanction,
    Schema,
    ShipRole,
)
from loaders import _links
from loaders._io import clean, imo_fact, iso_date
from loaders.ofac_csv import _classify_entity  # one rule for OFAC entities, whatever the form

AUTHORITY: Final = "US OFAC"
DETAIL_URL: Final = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={}"

#: Official file names (lower case) of OFAC's non-SDN consolidated list, in every form.
_CONSOLIDATED_NAMES: Final = re.compile(r"(cons|nonsdn|non_sdn|non-sdn)")


def source_for_name(path: Path, default: str) -> str:
    """`us_ofac_cons` for the consolidated (non-SDN) list by its official file names
    (CONSOLIDATED.XML, CONS_ADVANCED.XML), else the SDN list; `--source` overrides."""
    return "us_ofac_cons" if _CONSOLIDATED_NAMES.search(path.name.lower()) else default


#: Identifier types (as OFAC labels them) -> FtM property. Vessel and company IMO numbers, MMSI
#: and vessel facts are handled apart (check digits, countries).
ID_TYPES: Final = {
    "tax id no.": "taxNumber",
    "v.a.t. number": "vatCode",
    "registration id": "registrationNumber",
    "registration number": "registrationNumber",
    "business registration number": "registrationNumber",
    "business registration document #": "registrationNumber",
    "public registration number": "registrationNumber",
    "commercial registry number": "registrationNumber",
    "company number": "registrationNumber",
    "c.r. no.": "registrationNumber",
    "certificate of incorporation number": "registrationNumber",
    "government gazette number": "registrationNumber",
    "chamber of commerce number": "registrationNumber",
    "trade license no.": "registrationNumber",
    "enterprise number": "registrationNumber",
    "branch unit number": "registrationNumber",
    "unified social credit code (uscc)": "registrationNumber",
    "license": "licenseNumber",
    "legal entity number": "leiCode",
    "swift/bic": "swiftBic",
    "bik (ru)": "bikCode",
    "d-u-n-s number": "dunsCode",
    "isin": "isinCode",
    "equity ticker": "ticker",
    "passport": "passportNumber",
    "diplomatic passport": "passportNumber",
    "national id no.": "idNumber",
    "cedula no.": "idNumber",
    "identification number": "idNumber",
    "birth certificate number": "idNumber",
    "driver's license no.": "idNumber",
    "website": "website",
    "email address": "email",
    "phone number": "phone",
    "gender": "gender",
    "place of birth": "birthPlace",
    "organization type:": "legalForm",
    "aircraft model": "model",
    "aircraft manufacturer's serial number (msn)": "serialNumber",
    "aircraft manufacturer’s serial number (msn)": "serialNumber",
    "aircraft construction number (also called l/n or s/n or f/n)": "serialNumber",
    "aircraft tail number": "registrationNumber",
    "vessel call sign": "callSign",
    "other vessel call sign": "callSign",
    "vessel type": "type",
    "other vessel type": "type",
    "former vessel type": "pastTypes",
    "vessel tonnage": "tonnage",
    "vessel gross registered tonnage": "grossRegisteredTonnage",
}
#: Types whose value is a date.
DATE_TYPES: Final = {
    "birthdate": "birthDate",
    "organization established date": "incorporationDate",
    "aircraft manufacture date": "buildDate",
    "vessel year of build": "buildDate",
}
#: Types whose value is a country.
COUNTRY_TYPES: Final = {
    "nationality country": "nationality",
    "citizenship country": "citizenship",
    "nationality of registration": "jurisdiction",
    "vessel flag": "flag",
    "other vessel flag": "flag",
    "former vessel flag": "pastFlags",
}
#: Types that name another party by name: resolved within the file like `Linked To:`.
NAMED_PARTY_TYPES: Final = {
    "vessel owner": ShipRole.REGISTERED_OWNER,
    "aircraft operator": ShipRole.OPERATOR,
}
_SHIP_IMO_TYPES: Final = frozenset({"vessel registration identification", "imo number"})
_TARGET_TYPE: Final = "target type"
_STATE_TOPICS: Final = {"government entity": "gov", "state-owned enterprise": "gov.soe"}

#: OFAC relationship types -> relation kind and whether the stated party is the subject (above).
#: "X Owned or Controlled By Y": Y owns X, so Y is the subject. "X Leader or official of Y": X
#: directs Y, so X is the subject (`director`). Everything else is a link from X up to Y, keeping
#: OFAC's wording as the role.
RELATION_TYPES: Final[dict[str, tuple[RelationKind, bool]]] = {
    "owned or controlled by": (RelationKind.OWNERSHIP, False),
    "leader or official of": (RelationKind.DIRECTORSHIP, True),
    "principal executive officer": (RelationKind.DIRECTORSHIP, True),
}


def relation(
    rel_id: str, type_text: str, party: str, related: str, record_id: str
) -> Relation:
    """A relation as OFAC states it on `party`: "party <type> related"."""
    key = type_text.strip().lower().removesuffix(" (former)")
    kind, party_above = RELATION_TYPES.get(key, (RelationKind.LINK, False))
    subject, obj = (party, related) if party_above else (related, party)
    return Relation(rel_id, kind, subject, obj, record_id, role=type_text.strip())


_MONTHS: Final = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DMY: Final = re.compile(r"^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})$")
_MY: Final = re.compile(r"^([A-Za-z]{3})[a-z]* (\d{4})$")
_US_DATE: Final = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def ofac_date(value: str | None) -> str | None:
    """`08 Feb 1980`, `Feb 1980`, `1962`, `2024-08-28T00:00:00` -> ISO; None when not a date.
    (OFAC's own `MM/DD/YYYY` is read by `us_date`.)"""
    value = clean(value)
    if value is None:
        return None
    if m := _DMY.match(value):
        month = _MONTHS.get(m.group(2).lower())
        return f"{m.group(3)}-{month:02d}-{int(m.group(1)):02d}" if month else None
    if m := _MY.match(value):
        month = _MONTHS.get(m.group(1).lower())
        return f"{m.group(2)}-{month:02d}" if month else None
    if _US_DATE.match(value):
        return None
    return iso_date(value)


def us_date(value: str | None) -> str | None:
    """OFAC's publish date, `03/28/2025` (month first) -> `2025-03-28`."""
    value = clean(value)
    if value and (m := _US_DATE.match(value)):
        month, day, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year}-{month:02d}-{day:02d}"
    return None


@dataclass(slots=True)
class Party:
    """One OFAC record being assembled: its properties, programmes and the parties it names."""

    uid: str
    schema: Schema
    props: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    programs: list[str] = field(default_factory=list)
    #: (role, name) of parties named in the text (Linked To, vessel owner, aircraft operator).
    named: list[tuple[ShipRole, str]] = field(default_factory=list)

    def add(self, prop: str, value: str | None) -> None:
        value = clean(value)
        if value is not None and value not in self.props[prop]:
            self.props[prop].append(value)

    def entity(self) -> Entity:
        props = {k: tuple(v) for k, v in self.props.items() if v}
        return Entity(self.uid, self.schema, props, self.uid)


def entity_schema(kind: str | None, name: str, party: Party) -> Schema:
    """OFAC's party type -> schema; an "Entity" is a company, public body or organisation."""
    key = (kind or "").strip().lower()
    if key in ("individual", "person"):
        return Schema.PERSON
    if key == "vessel":
        return Schema.VESSEL
    if key == "aircraft":
        return Schema.AIRPLANE
    return _classify_entity(name.upper(), party.props.get("topics", []))


def add_fact(party: Party, type_text: str, value: str | None, country: str | None,
             problems: list[Problem]) -> None:
    """One identifier or feature, typed as OFAC types it, onto the party's properties."""
    kind = " ".join(type_text.split()).lower()
    value = clean(value)
    if value is None:
        return
    company_imo = kind == "identification number" and value.upper().startswith("IMO")
    if kind in _SHIP_IMO_TYPES or company_imo:
        imo_prop, number, problem = imo_fact(value, ship=kind in _SHIP_IMO_TYPES,
                                             record_id=party.uid)
        party.add(imo_prop, number)
        if problem:
            problems.append(problem)
        return
    if kind == "mmsi":
        mmsi = clean_mmsi(value)
        party.add("mmsi" if mmsi else "notes", mmsi or f"MMSI {value}")
        return
    if kind == _TARGET_TYPE:
        party.add("classification", value)
        if topic := _STATE_TOPICS.get(value.lower()):
            party.add("topics", topic)
        return
    if kind in DATE_TYPES:
        party.add(DATE_TYPES[kind], ofac_date(value) or value)
        return
    if kind in COUNTRY_TYPES:
        party.add(COUNTRY_TYPES[kind], country_code(value) or value)
        return
    if kind in NAMED_PARTY_TYPES:
        party.named.append((NAMED_PARTY_TYPES[kind], value))
        return
    prop = ID_TYPES.get(kind)
    if prop is None:
        party.add("notes", f"{type_text.strip()} {value}")
        return
    if prop == "gender":
        value = value.lower()
    party.add(prop, value)
    code = country_code(country or "") if country else None
    if code == "ru" and value.isdigit():
        # Russian tax ids are INNs, 13/15-digit registration numbers OGRNs.
        if prop == "taxNumber" and len(value) in (10, 12):
            party.add("innCode", value)
        elif prop == "registrationNumber" and len(value) in (13, 15):
            party.add("ogrnCode", value)


_LINKED: Final = re.compile(r"\(?\s*Linked To:\s*([^;)]+?)\s*\.?\s*\)?\s*(?:;|$)")


def remarks(party: Party, text: str | None) -> None:
    """Free-text remarks: kept as notes; `Linked To: NAME` also names a party."""
    text = clean(text)
    if text is None:
        return
    party.add("notes", text)
    for match in _LINKED.finditer(text):
        party.named.append((ShipRole.LINKED, match.group(1).strip()))


def program_sanctions(party: Party, *, listing_date: str | None = None,
                      properties: dict[str, tuple[str, ...]] | None = None) -> Iterator[Sanction]:
    """One sanction per programme of a party (legacy and Enhanced forms)."""
    for program in dict.fromkeys(party.programs):
        yield Sanction(
            id=f"{party.uid}:{program}",
            entity=party.uid,
            authority=AUTHORITY,
            program=program,
            record_id=party.uid,
            listing_date=listing_date,
            source_url=DETAIL_URL.format(party.uid),
            properties=properties or {},
        )


def named_relations(parties: list[Party]) -> Iterator[Record]:
    """Relations for parties named by text (`Linked To:`, vessel owner, aircraft operator)."""
    yield from _links.named_relations(
        [_links.Named(p.uid, p.schema, p.props, p.named) for p in parties])

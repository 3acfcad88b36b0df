"""OFAC's legacy XML form (`SDN.XML`, `CONSOLIDATED.XML`; root `sdnList`).

One `sdnEntry` per listed party, record id = its `uid` (the same number as the CSV's ent_num).
Names and aliases (`akaList`: a.k.a., f.k.a., weak), addresses, identifiers (`idList`: IMO
numbers typed "Vessel Registration Identification" with their check digit, company IMO numbers,
tax and registration numbers...), dates and places of birth, nationalities and citizenships,
`vesselInfo`, and one sanction per programme. `Linked To:` in remarks and the vessel owner are
resolved to the party of that name in the same file. The file must hold as many entries as the
`Record_Count` it states in `publshInformation` (when it states one). Which list it is comes from
the file name (SDN.XML or CONSOLIDATED.XML); `--source` overrides.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

from lxml import etree

from graph.errors import SourceError
from graph.identifiers import country_code
from graph.model import ListMeta, Problem, Record, Schema
from loaders._ofac_xml import (
    Party,
    add_fact,
    entity_schema,
    named_relations,
    ofac_date,
    program_sanctions,
    remarks,
    source_for_name,
    us_date,
)
from loaders._xml import iter_elements, local, text

FORMAT: Final = "ofac_sdn_xml"
SOURCE: Final = "us_ofac_sdn"
TITLE: Final = "OFAC SDN / consolidated list, legacy XML (SDN.XML, CONSOLIDATED.XML)"

_ROOT: Final = "sdnList"


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    return b"<sdnList" in head[:4096]


def source_for(path: Path) -> str:
    return source_for_name(path, SOURCE)


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if local(c.tag) == name]


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for c in element:
        if local(c.tag) == name:
            return c
    return None


def _value(element: etree._Element, name: str) -> str | None:
    return text(_child(element, name))


def _full_name(element: etree._Element) -> str | None:
    first, last = _value(element, "firstName"), _value(element, "lastName")
    return ", ".join(p for p in (last, first) if p) or None


def _entry(path: Path, element: etree._Element, problems: list[Problem]) -> Party:
    uid = _value(element, "uid")
    if uid is None:
        raise SourceError(path, "sdnEntry without uid", f"line {element.sourceline}")
    party = Party(uid, Schema.LEGAL_ENTITY)
    name = _full_name(element) or ""
    party.add("name", name)
    sdn_type = _value(element, "sdnType")
    if sdn_type == "Individual":
        party.add("firstName", _value(element, "firstName"))
        party.add("lastName", _value(element, "lastName"))
        party.add("position", _value(element, "title"))
    else:
        party.add("notes", _value(element, "title"))
    for container in _children(element, "programList"):
        party.programs.extend(p for c in _children(container, "program") if (p := text(c)))
    for container in _children(element, "akaList"):
        for aka in _children(container, "aka"):
            alias = _full_name(aka)
            kind = (_value(aka, "type") or "").lower()
            weak = (_value(aka, "category") or "").lower() == "weak"
            prop = "weakAlias" if weak else "previousName" if kind == "f.k.a." else "alias"
            party.add(prop, alias)
    for container in _children(element, "idList"):
        for item in _children(container, "id"):
            add_fact(party, _value(item, "idType") or "", _value(item, "idNumber"),
                     _value(item, "idCountry"), problems)
    for container in _children(element, "addressList"):
        for item in _children(container, "address"):
            parts = [_value(item, f) for f in ("address1", "address2", "address3", "city",
                                               "stateOrProvince", "postalCode", "country")]
            party.add("address", ", ".join(p for p in parts if p) or None)
            if (country := _value(item, "country")) and (code := country_code(country)):
                party.add("country", code)
    for list_name, item_name, prop in (("nationalityList", "nationality", "nationality"),
                                       ("citizenshipList", "citizenship", "citizenship")):
        for container in _children(element, list_name):
            for item in _children(container, item_name):
                country = _value(item, "country")
                party.add(prop, country_code(country or "") or country)
    for container in _children(element, "dateOfBirthList"):
        for item in _children(container, "dateOfBirthItem"):
            raw = _value(item, "dateOfBirth")
            party.add("birthDate", ofac_date(raw) or raw)
    for container in _children(element, "placeOfBirthList"):
        for item in _children(container, "placeOfBirthItem"):
            party.add("birthPlace", _value(item, "placeOfBirth"))
    vessel = _child(element, "vesselInfo")
    if vessel is not None:
        party.add("callSign", _value(vessel, "callSign"))
        party.add("type", _value(vessel, "vesselType"))
        flag = _value(vessel, "vesselFlag")
        party.add("flag", country_code(flag or "") or flag)
        party.add("tonnage", _value(vessel, "tonnage"))
        party.add("grossRegisteredTonnage", _value(vessel, "grossRegisteredTonnage"))
        if owner := _value(vessel, "vesselOwner"):
            add_fact(party, "Vessel Owner", owner, None, problems)
    remarks(party, _value(element, "remarks"))
    party.schema = entity_schema(sdn_type, name, party)
    return party


def _record_count(path: Path, info: etree._Element) -> int | None:
    """The number of entries the file says it holds (`Record_Count`); None when it says none."""
    element = _child(info, "Record_Count")
    raw = text(element)
    if element is None or raw is None:
        return None
    if not raw.isdigit():
        raise SourceError(path, f"publshInformation/Record_Count {raw!r} is not a number",
                          f"line {element.sourceline}")
    return int(raw)


def load(path: Path) -> Iterator[Record]:
    """Records of one legacy OFAC XML file."""
    problems: list[Problem] = []
    parties: list[Party] = []
    seen: set[str] = set()
    stated: int | None = None
    entries = 0
    for element in iter_elements(path, root=_ROOT, tags=frozenset({"publshInformation",
                                                                   "sdnEntry"}),
                                 what="an OFAC legacy XML file (sdnList)"):
        if local(element.tag) == "publshInformation":
            yield ListMeta(us_date(_value(element, "Publish_Date")))
            stated = _record_count(path, element)
            continue
        entries += 1
        party = _entry(path, element, problems)
        if party.uid in seen:
            problems.append(Problem("duplicate record", f"uid {party.uid} listed twice",
                                    party.uid))
            continue
        seen.add(party.uid)
        parties.append(party)
        yield party.entity()
        yield from program_sanctions(party)
    if stated is not None and entries != stated:
        # Well-formed XML missing entries (a file rewritten or filtered on the way) parses
        # cleanly; the count the file states about itself is the only thing that tells.
        raise SourceError(path, f"publshInformation/Record_Count states {stated:,} entries, "
                          f"the file holds {entries:,} sdnEntry")
    if not parties:
        raise SourceError(path, "no sdnEntry in the file (an empty or foreign list)")
    yield from problems
    yield from named_relations(parties)

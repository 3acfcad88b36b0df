"""OFAC's Enhanced XML (`SDN_ENHANCED.XML` and the Sanctions List Service's custom exports; root
`sanctionsData`).

One `entity` per listed party (record id = its id, OFAC's uid). Names with their translations
(scripts) and alias types, addresses by parts, features (birth dates, nationality, aircraft and
vessel facts...), identity documents, one sanction per programme with the list it is on and the
date it was published, and the relationships OFAC states between parties, typed: "Owned or
Controlled By" -> ownership, "Leader or official of" -> directorship, anything else a link with
OFAC's wording as its role. Relations to parties outside the file (a filtered export names them
without describing them) are reported, not kept.

Which list: a file filtered to one programme is a slice and gets its own source
(`us_ofac_<program>`), so it never replaces the whole list as the current version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from lxml import etree

from graph.identifiers import country_code
from graph.model import ListMeta, Problem, Record, Relation, Schema
from loaders._ofac_xml import (
    Party,
    add_fact,
    entity_schema,
    named_relations,
    ofac_date,
    program_sanctions,
    relation,
)
from loaders._xml import head_bytes, iter_elements, local, text

FORMAT: Final = "ofac_enhanced_xml"
SOURCE: Final = "us_ofac_sdn"
TITLE: Final = "OFAC SDN / consolidated list, Enhanced XML (SDN_ENHANCED.XML, custom exports)"

NS: Final = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML"
_ADDRESS_ORDER: Final = ("ADDRESS1", "ADDRESS2", "ADDRESS3", "CITY", "STATE/PROVINCE",
                         "POSTAL CODE", "REGION")


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    return b"<sanctionsData" in head[:4096]


def source_for(path: Path) -> str:
    """From the export's own filters: a programme slice -> `us_ofac_<program>`; only the SDN
    list -> `us_ofac_sdn`; only non-SDN lists -> `us_ofac_cons`; every list -> `us_ofac`."""
    head = head_bytes(path)
    filters = head.split(b"</filters>", 1)[0] if b"<filters>" in head else b""
    programs = re.findall(rb"<sanctionsProgram(?:\s[^>]*)?>([^<]+)<", filters)
    if programs:
        slug = "_".join(re.sub(r"[^a-z0-9]+", "_", p.decode("utf-8", "replace").lower()).strip("_")
                        for p in programs)
        return f"us_ofac_{slug}"[:60]
    lists = {x.decode("utf-8", "replace") for x in
             re.findall(rb"<sanctionsList(?:\s[^>]*)?>([^<]+)<", filters)}
    if lists == {"SDN List"} or not lists:
        return SOURCE
    if "SDN List" not in lists:
        return "us_ofac_cons"
    return "us_ofac"


def _kids(element: etree._Element, name: str) -> Iterator[etree._Element]:
    for child in element:
        if local(child.tag) == name:
            yield child


def _kid(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next(_kids(element, name), None)


def _path(element: etree._Element | None, *names: str) -> etree._Element | None:
    for name in names:
        element = _kid(element, name)
    return element


def _each(element: etree._Element | None, *names: str) -> list[etree._Element]:
    """The children of the element at a path; none when the path is absent."""
    found = _path(element, *names)
    return list(found) if found is not None else []


def _value_date(element: etree._Element | None) -> str | None:
    """A date range element -> the date it pins down (a day, else the year)."""
    if element is None:
        return None
    begin = ofac_date(text(_kid(element, "fromDateBegin")))
    end = ofac_date(text(_kid(element, "toDateEnd"))) or begin
    if begin is None:
        return None
    if end == begin or end is None:
        return begin
    if begin[:4] == (end or "")[:4]:
        return begin[:7] if begin[:7] == end[:7] else begin[:4]
    return begin[:4]


def _names(entity: etree._Element, party: Party, person: bool) -> str:
    primary = ""
    for name in _each(entity, "names"):
        is_primary = text(_kid(name, "isPrimary")) == "true"
        weak = text(_kid(name, "isLowQuality")) == "true"
        alias_type = (text(_kid(name, "aliasType")) or "").upper()
        for translation in _each(name, "translations"):
            full = text(_kid(translation, "formattedFullName"))
            if not full:
                continue
            latin_primary = text(_kid(translation, "isPrimary")) == "true"
            if is_primary and latin_primary and not primary:
                primary = full
                party.add("name", full)
                if person:
                    party.add("firstName", text(_kid(translation, "formattedFirstName")))
                    party.add("lastName", text(_kid(translation, "formattedLastName")))
            elif weak:
                party.add("weakAlias", full)
            elif alias_type == "F.K.A.":
                party.add("previousName", full)
            else:
                party.add("alias", full)
    return primary


def _addresses(entity: etree._Element, party: Party) -> None:
    for address in _each(entity, "addresses"):
        country = text(_kid(address, "country"))
        for translation in _each(address, "translations"):
            parts = {
                (text(_kid(p, "type")) or "").upper(): text(_kid(p, "value")) or ""
                for p in _each(translation, "addressParts")
            }
            line = [parts[k] for k in _ADDRESS_ORDER if parts.get(k)]
            line += [v for k, v in parts.items() if k not in _ADDRESS_ORDER and v]
            if country:
                line.append(country)
            party.add("address", ", ".join(line) or None)
        if country and (code := country_code(country)):
            party.add("country", code)


def _entity(
    entity: etree._Element, problems: list[Problem]
) -> tuple[Party, list[tuple[Relation, str]]]:
    uid = entity.get("id") or ""
    party = Party(uid, Schema.LEGAL_ENTITY)
    general = _kid(entity, "generalInfo")
    kind = text(_kid(general, "entityType"))
    name = _names(entity, party, kind == "Individual")
    if kind == "Individual":
        party.add("position", text(_kid(general, "title")))
    else:
        party.add("notes", text(_kid(general, "title")))
    party.add("notes", text(_kid(general, "remarks")))
    for program in _each(entity, "sanctionsPrograms"):
        if value := text(program):
            party.programs.append(value)
    _addresses(entity, party)
    for feature in _each(entity, "features"):
        feature_type = text(_kid(feature, "type")) or ""
        value = _value_date(_kid(feature, "valueDate")) or text(_kid(feature, "value"))
        add_fact(party, feature_type, value, None, problems)
    for document in _each(entity, "identityDocuments"):
        add_fact(party, text(_kid(document, "type")) or "", text(_kid(document, "documentNumber")),
                 text(_kid(document, "issuingCountry")), problems)
    party.schema = entity_schema(kind, name, party)
    related: list[tuple[Relation, str]] = []
    for rel in _each(entity, "relationships"):
        target = _kid(rel, "relatedEntity")
        other = target.get("entityId") if target is not None else None
        type_text = text(_kid(rel, "type")) or "related"
        if other:
            # The related party's name is kept for the report when it is not in the file.
            related.append((relation(rel.get("id") or f"{uid}:{other}", type_text, uid, other,
                                     uid), f"{type_text} {text(target)} (#{other})"))
    return party, related


def load(path: Path) -> Iterator[Record]:
    """Records of one OFAC Enhanced XML file."""
    from graph.errors import SourceError

    problems: list[Problem] = []
    parties: list[Party] = []
    pending: list[tuple[Relation, str]] = []
    lists: dict[str, list[tuple[str, str | None]]] = {}
    for element in iter_elements(path, root="sanctionsData",
                                 tags=frozenset({"publicationInfo", "entity"}),
                                 namespaces=frozenset({NS}),
                                 what="an OFAC Enhanced XML file (sanctionsData)"):
        if local(element.tag) == "publicationInfo":
            yield ListMeta(ofac_date(text(_kid(element, "dataAsOf"))))
            continue
        party, related = _entity(element, problems)
        lists[party.uid] = [(text(x) or "", x.get("datePublished"))
                            for x in _each(element, "sanctionsLists")]
        parties.append(party)
        yield party.entity()
        pending.extend(related)
        listed = min((d for _, d in lists[party.uid] if d), default=None)
        # FtM Sanction properties: the list(s) in `summary`, the measures in `provisions`, the
        # legal authorities in `description`.
        found = {
            "summary": [n for n, _ in lists[party.uid] if n],
            "provisions": [t for x in _each(element, "sanctionsTypes") if (t := text(x))],
            "description": [f"Legal basis: {t}" for x in _each(element, "legalAuthorities")
                            if (t := text(x))],
        }
        props = {k: tuple(dict.fromkeys(v)) for k, v in found.items() if v}
        yield from program_sanctions(party, listing_date=listed, properties=props)
    if not parties:
        raise SourceError(path, "no entity in the file (an empty or foreign list)")
    known = {p.uid for p in parties}
    for rel, described in pending:
        if rel.subject in known and rel.object in known:
            yield rel
        else:
            yield Problem("relation to a party outside this file", described, rel.record_id)
    yield from problems
    yield from named_relations(parties)

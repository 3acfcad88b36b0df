"""OFAC's Advanced XML (`sdn_advanced.xml`, `cons_advanced.xml`; schema sdn_advanced.xsd,
namespace http://www.un.org/sanctions/1.0).

Everything is typed by ids into the file's own `ReferenceValueSets` (alias types, name part
types, feature types, countries, lists, programmes, relation types...), which are read first. One
`DistinctParty` is one entity (record id = its FixedRef, the number the other forms call uid or
ent_num). Its identities give names (aliases with their type and quality, name parts into first
and last names), its features the facts (birth dates as date periods, places, nationality,
addresses through `Locations`, vessel facts...), `IDRegDocuments` the identifiers.
`SanctionsEntry` -> one sanction per programme, with its list, measures and legal basis;
`ProfileRelationship` -> a typed relation ("Owned or Controlled By" -> ownership...).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from lxml import etree

from graph.identifiers import country_code
from graph.model import ListMeta, Problem, Record, Sanction, Schema
from loaders._ofac_xml import (
    AUTHORITY,
    DETAIL_URL,
    Party,
    add_fact,
    entity_schema,
    named_relations,
    relation,
    source_for_name,
)
from loaders._xml import iter_elements, local, text

FORMAT: Final = "ofac_advanced_xml"
SOURCE: Final = "us_ofac_sdn"
TITLE: Final = "OFAC SDN / consolidated list, Advanced XML (sdn_advanced.xml)"

NS: Final = "http://www.un.org/sanctions/1.0"
_TAGS: Final = frozenset({"DateOfIssue", "ReferenceValueSets", "Location", "IDRegDocument",
                          "DistinctParty", "ProfileRelationship", "SanctionsEntry"})
_PROGRAM_MEASURE: Final = "program"


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    return b"<Sanctions" in head[:4096] and NS.encode() in head[:4096]


def source_for(path: Path) -> str:
    return source_for_name(path, SOURCE)


def _kids(element: etree._Element, name: str) -> Iterator[etree._Element]:
    for child in element:
        if local(child.tag) == name:
            yield child


def _kid(element: etree._Element, name: str) -> etree._Element | None:
    return next(_kids(element, name), None)


def _date(element: etree._Element | None) -> str | None:
    """`<Year>`, `<Month>`, `<Day>` children -> ISO date (as precise as given)."""
    if element is None:
        return None
    parts = [text(_kid(element, n)) for n in ("Year", "Month", "Day")]
    if not parts[0] or not parts[0].isdigit():
        return None
    out = parts[0]
    for part in parts[1:]:
        if not part or not part.isdigit():
            break
        out += f"-{int(part):02d}"
    return out


def _period(element: etree._Element) -> str | None:
    """A DatePeriod -> the date it pins down: a day when start and end agree, else the year
    (OFAC writes "born 1962" as 1962-01-01 .. 1962-12-31)."""
    start = _kid(element, "Start")
    end = _kid(element, "End")
    first = _date(_kid(start, "From")) if start is not None else None
    last = _date(_kid(end, "To")) if end is not None else None
    if first is None:
        return last
    if last is None or last == first:
        return first
    if first[:4] == last[:4]:
        if first[:7] == last[:7] or (first[5:] == "01-01" and last[5:] == "12-31"):
            return first[:7] if first[:7] == last[:7] else first[:4]
        return first[:4]
    return f"{first[:4]}"


class _References:
    """The file's reference value sets: `values[set name][id] -> text`, plus attributes."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, str]] = defaultdict(dict)
        self.attrs: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)

    def read(self, element: etree._Element) -> None:
        for value_set in element:
            for item in value_set:
                name = local(item.tag)
                ident = item.get("ID")
                if ident is None:
                    continue
                self.values[name][ident] = text(item) or ""
                self.attrs[name][ident] = {str(k): str(v) for k, v in item.attrib.items()}

    def get(self, name: str, ident: str | None) -> str:
        return self.values[name].get(ident or "", "")


def _location(element: etree._Element, refs: _References) -> tuple[str | None, str | None]:
    """A Location -> (address text, country code)."""
    parts: dict[str, str] = {}
    for part in _kids(element, "LocationPart"):
        kind = refs.get("LocPartType", part.get("LocPartTypeID")).upper()
        values = [text(_kid(v, "Value")) for v in _kids(part, "LocationPartValue")]
        value = next((v for v in values if v), None)
        if value:
            parts[kind] = value
    country = None
    for item in _kids(element, "LocationCountry"):
        country = refs.get("Country", item.get("CountryID")) or None
    if country is None:
        for item in _kids(element, "LocationAreaCode"):
            country = refs.attrs["AreaCode"].get(item.get("AreaCodeID") or "", {}).get(
                "Description")
    if country and country.lower() == "undetermined":
        country = None
    order = ("ADDRESS1", "ADDRESS2", "ADDRESS3", "CITY", "STATE/PROVINCE", "POSTAL CODE",
             "REGION")
    line = [parts[k] for k in order if k in parts]
    line += [v for k, v in parts.items() if k not in order and k != "UNKNOWN"]
    if country:
        line.append(country)
    code = country_code(country or "") if country else None
    return (", ".join(line) or None), code


def _names(profile: etree._Element, party: Party, refs: _References) -> str:
    """Aliases of every identity; returns the primary name."""
    primary = ""
    for identity in _kids(profile, "Identity"):
        group_types = {
            g.get("ID") or "": refs.get("NamePartType", g.get("NamePartTypeID"))
            for g in identity.iter(f"{{{NS}}}NamePartGroup")
        }
        for alias in _kids(identity, "Alias"):
            alias_type = refs.get("AliasType", alias.get("AliasTypeID")).upper()
            weak = alias.get("LowQuality") == "true"
            for documented in _kids(alias, "DocumentedName"):
                parts: dict[str, str] = {}
                for name_part in _kids(documented, "DocumentedNamePart"):
                    for value in _kids(name_part, "NamePartValue"):
                        kind = group_types.get(value.get("NamePartGroupID") or "", "")
                        if (val := text(value)) is not None:
                            parts[kind] = f"{parts[kind]} {val}" if kind in parts else val
                last = parts.pop("Last Name", None)
                first = parts.pop("First Name", None)
                rest = " ".join(parts.values()) or None
                full = ", ".join(p for p in (last, first) if p) if (last or first) else rest
                if last and rest:
                    full = f"{full} {rest}"
                if not full:
                    continue
                is_primary = alias.get("Primary") == "true" and alias_type == "NAME"
                if is_primary and not primary:
                    primary = full
                    party.add("name", full)
                    party.add("firstName", first)
                    party.add("lastName", last)
                elif weak:
                    party.add("weakAlias", full)
                elif alias_type == "F.K.A.":
                    party.add("previousName", full)
                else:
                    party.add("alias", full)
    return primary


def _features(profile: etree._Element, party: Party, refs: _References,
              locations: dict[str, tuple[str | None, str | None]],
              problems: list[Problem]) -> None:
    for feature in _kids(profile, "Feature"):
        kind = refs.get("FeatureType", feature.get("FeatureTypeID"))
        for version in _kids(feature, "FeatureVersion"):
            period = _kid(version, "DatePeriod")
            if period is not None:
                add_fact(party, kind, _period(period), None, problems)
            for loc in _kids(version, "VersionLocation"):
                address, code = locations.get(loc.get("LocationID") or "", (None, None))
                if kind.lower() == "location":
                    party.add("address", address)
                    party.add("country", code)
                else:
                    add_fact(party, kind, address, None, problems)
            for detail in _kids(version, "VersionDetail"):
                value = text(detail)
                if value is None and detail.get("DetailReferenceID"):
                    value = refs.get("DetailReference", detail.get("DetailReferenceID"))
                if value is not None:
                    add_fact(party, kind, value, None, problems)


def load(path: Path) -> Iterator[Record]:
    """Records of one OFAC Advanced XML file."""
    from graph.errors import SourceError

    refs = _References()
    locations: dict[str, tuple[str | None, str | None]] = {}
    documents: dict[str, list[tuple[str, str | None, str | None]]] = defaultdict(list)
    problems: list[Problem] = []
    parties: list[Party] = []
    profile_party: dict[str, str] = {}
    for element in iter_elements(path, root="Sanctions", tags=_TAGS,
                                 namespaces=frozenset({NS}),
                                 what="an OFAC Advanced XML file (sdn_advanced.xsd)"):
        name = local(element.tag)
        if name == "DateOfIssue":
            yield ListMeta(_date(element))
        elif name == "ReferenceValueSets":
            refs.read(element)
        elif name == "Location":
            locations[element.get("ID") or ""] = _location(element, refs)
        elif name == "IDRegDocument":
            kind = refs.get("IDRegDocType", element.get("IDRegDocTypeID"))
            number = text(_kid(element, "IDRegistrationNo"))
            country = refs.get("Country", element.get("IssuedBy-CountryID")) or None
            documents[element.get("IdentityID") or ""].append((kind, number, country))
        elif name == "DistinctParty":
            for party in _party(element, refs, locations, documents, problems):
                parties.append(party)
                profile_party.update({p.get("ID") or "": party.uid
                                      for p in _kids(element, "Profile")})
                yield party.entity()
        elif name == "ProfileRelationship":
            party_id = profile_party.get(element.get("From-ProfileID") or "")
            related = profile_party.get(element.get("To-ProfileID") or "")
            kind = refs.get("RelationType", element.get("RelationTypeID")) or "related"
            rel_id = element.get("ID") or ""
            if party_id is None or related is None:
                problems.append(Problem("relation to a party outside this file",
                                        f"relationship {rel_id} ({kind}) names profile "
                                        f"{element.get('To-ProfileID')}", party_id))
                continue
            if element.get("Former") == "true":
                kind = f"{kind} (former)"
            yield relation(rel_id, kind, party_id, related, party_id)
        elif name == "SanctionsEntry":
            party_id = profile_party.get(element.get("ProfileID") or "")
            if party_id is None:
                problems.append(Problem("sanction on a party outside this file",
                                        f"entry {element.get('ID')}", element.get("ProfileID")))
                continue
            yield from _sanctions(element, party_id, refs)
    if not parties:
        raise SourceError(path, "no DistinctParty in the file (an empty or foreign list)")
    yield from problems
    yield from named_relations(parties)


def _party(element: etree._Element, refs: _References,
           locations: dict[str, tuple[str | None, str | None]],
           documents: dict[str, list[tuple[str, str | None, str | None]]],
           problems: list[Problem]) -> Iterator[Party]:
    uid = element.get("FixedRef") or ""
    for profile in _kids(element, "Profile"):
        party = Party(uid, Schema.LEGAL_ENTITY)
        name = _names(profile, party, refs)
        _features(profile, party, refs, locations, problems)
        for identity in _kids(profile, "Identity"):
            for kind, number, country in documents.get(identity.get("ID") or "", []):
                add_fact(party, kind, number, country, problems)
        comment = text(_kid(element, "Comment"))
        if comment:
            party.add("notes", comment)
        sub_type = refs.get("PartySubType", profile.get("PartySubTypeID"))
        type_id = refs.attrs["PartySubType"].get(profile.get("PartySubTypeID") or "", {}).get(
            "PartyTypeID")
        party_type = refs.get("PartyType", type_id)
        kind = sub_type if sub_type in ("Vessel", "Aircraft") else party_type
        party.schema = entity_schema(kind, name, party)
        yield party
        break  # one profile per party in OFAC's files; the first is the party


def _sanction_props(list_name: str | None, measures: list[str],
                    legal: list[str]) -> dict[str, tuple[str, ...]]:
    found = {"summary": [list_name] if list_name else [], "provisions": measures,
             "description": [f"Legal basis: {basis}" for basis in legal]}
    return {k: tuple(dict.fromkeys(v)) for k, v in found.items() if v}


def _sanctions(element: etree._Element, party_id: str, refs: _References) -> Iterator[Sanction]:
    entry_id = element.get("ID") or ""
    list_name = refs.get("List", element.get("ListID"))
    listed = None
    legal: list[str] = []
    for event in _kids(element, "EntryEvent"):
        listed = listed or _date(_kid(event, "Date"))
        basis = refs.get("LegalBasis", event.get("LegalBasisID"))
        if basis and basis != "Unknown":
            legal.append(basis)
    programs: list[str] = []
    measures: list[str] = []
    for measure in _kids(element, "SanctionsMeasure"):
        kind = refs.get("SanctionsType", measure.get("SanctionsTypeID"))
        comment = text(_kid(measure, "Comment"))
        if kind.lower() == _PROGRAM_MEASURE and comment:
            programs.append(comment)
        elif kind:
            measures.append(kind)
    # FtM Sanction properties: the list in `summary`, the measures (Block, Reject, directives)
    # in `provisions`, the legal basis in `description`.
    props = _sanction_props(list_name, measures, legal)
    for program in dict.fromkeys(programs or [list_name or "unknown"]):
        yield Sanction(
            id=f"{entry_id}:{program}",
            entity=party_id,
            authority=AUTHORITY,
            program=program,
            record_id=party_id,
            listing_date=listed,
            source_url=DETAIL_URL.format(party_id),
            properties=props,
        )

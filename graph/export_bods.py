"""Export the merged graph's people, companies and their ownership and control as BODS 0.4.

The Beneficial Ownership Data Standard is what company registers publish and read, so this is how
a register tool reads what the sanctions lists, the shipping registries and analysts' evidence
files state about who is behind a company. One JSON array (a BODS package), in the order BODS
asks for: every person and entity statement before the relationships that name them.

- Each canonical node that is a party (`Person`; `Company`, `Organization`, `LegalEntity`,
  `PublicBody`) is one person or entity statement; its `recordId` is the node's canonical id.
  Vessels and aircraft are not parties in BODS and are left out (counted).
- Each (holder, entity) pair with ownership, directorship or a control link is one relationship
  statement, with one interest per distinct stated interest: ownership as `shareholding` (or
  the BODS interest a BODS load stated), directorship as `boardMember`, a control link as
  `otherInfluenceOrControl`. The share keeps its bounds as stated: an exact figure as `exact`,
  a band as `minimum`/`exclusiveMinimum` and `maximum`/`exclusiveMaximum`, so loading the
  export back gives every share and its bounds again. Relations to a vessel (registered owner,
  operator, manager) have no place in BODS (its subject is an entity) and are counted.
- Each statement's `source.description` names the source versions and record ids behind it;
  `statementId` is a hash of what the statement says, so an unchanged graph exports the same ids.
- BODS has no sanctions: a party's listings go in `annotations` ("commenting") on its statement,
  each with its authority, programme, date and the list version and record that state it; an
  interest that only an analyst's claim states is annotated with the citation, so a register
  tool tells it from an official listing.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

from graph.errors import QueryError
from graph.identifiers import country_name
from graph.model import EVIDENCE_PROPERTY, RelationKind, Schema
from graph.shares import Share, stated_share
from graph.store import Store
from graph.view import Edge, Fact, Listing, Provenance

BODS_VERSION: Final = "0.4"
PUBLISHER: Final = "sanctions-graph"

_ENTITY_TYPES: Final = {
    Schema.COMPANY.value: "registeredEntity",
    Schema.PUBLIC_BODY.value: "stateBody",
    Schema.ORGANIZATION.value: "legalEntity",
    Schema.LEGAL_ENTITY.value: "legalEntity",
}
#: BODS interest types (the closed `interestType` codelist), for interests a BODS load kept.
INTEREST_TYPES: Final = frozenset({
    "shareholding", "votingRights", "appointmentOfBoard", "otherInfluenceOrControl",
    "seniorManagingOfficial", "settlor", "trustee", "protector", "beneficiaryOfLegalArrangement",
    "rightsToSurplusAssetsOnDissolution", "rightsToProfitOrIncome", "rightsGrantedByContract",
    "conditionalRightsGrantedByContract", "controlViaCompanyRulesOrArticles",
    "controlByLegalFramework", "boardMember", "boardChair", "unknownInterest",
    "unpublishedInterest", "enjoymentAndUseOfAssets", "rightToProfitOrIncomeFromAssets",
    "nominee", "nominator",
})
_DEFAULT_INTEREST: Final = {
    RelationKind.OWNERSHIP: "shareholding",
    RelationKind.DIRECTORSHIP: "boardMember",
    RelationKind.LINK: "otherInfluenceOrControl",
}
#: Link roles that are control in BODS's sense (a BODS load's "control" and "indirect
#: ownership"); other links ("linked to" on a list) say too little to be an interest.
_CONTROL_ROLES: Final = frozenset({"control", "indirect ownership"})
_UNSPECIFIED_REASONS: Final = frozenset({
    "noBeneficialOwners", "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "interestedPartyHasNotProvidedInformation", "subjectExemptFromDisclosure",
    "interestedPartyExemptFromDisclosure", "unknown", "informationUnknownToPublisher",
})
#: Identifier properties and how BODS names their scheme (`scheme` when an org-id code exists).
_IDENTIFIERS: Final = {
    "leiCode": {"scheme": "XI-LEI", "schemeName": "Global Legal Entity Identifier Index"},
    "imoNumber": {"schemeName": "IMO unique company and registered owner identification number"},
    "taxNumber": {"schemeName": "tax identification number"},
    "innCode": {"schemeName": "INN (Russian taxpayer number)"},
    "ogrnCode": {"schemeName": "OGRN (Russian state registration number)"},
}


@dataclass(slots=True)
class BodsExportResult:
    """What a BODS export wrote, and what it left out and why."""

    path: str
    persons: int = 0
    entities: int = 0
    relationships: int = 0
    #: Left out: nodes that are not parties, relations BODS has no place for.
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "persons": self.persons, "entities": self.entities,
                "relationships": self.relationships, "skipped": dict(self.skipped)}


def _statement_id(*parts: object) -> str:
    """40 hex digits (BODS asks for 32 to 64 characters), from what the statement says."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _share_json(share: Share) -> dict[str, float]:
    if share.is_exact:
        return {"exact": share.low}
    return {"exclusiveMinimum" if share.low_open else "minimum": share.low,
            "exclusiveMaximum" if share.high_open else "maximum": share.high}


def _sources(provenances: Iterable[Provenance]) -> dict[str, Any]:
    seen = sorted({(p.source, p.list_date or "", p.record_id) for p in provenances})
    text = "; ".join(f"{s} {d} #{r}".replace("  ", " ") for s, d, r in seen)
    return {"description": f"stated by {text}"}


def _statement(record_id: str, record_type: str, details: dict[str, Any], subject: str,
               provenances: list[Provenance], published: str,
               annotations: list[dict[str, str]] | None = None) -> dict[str, Any]:
    dates = [p.list_date for p in provenances if p.list_date]
    statement: dict[str, Any] = {
        "statementId": _statement_id(record_id, record_type, details),
        "declarationSubject": subject,
        "statementDate": max(dates) if dates else published,
        "publicationDetails": {"publicationDate": published, "bodsVersion": BODS_VERSION,
                               "publisher": {"name": PUBLISHER}},
        "source": _sources(provenances),
        "recordId": record_id,
        "recordType": record_type,
        "recordStatus": "new",
        "recordDetails": details,
    }
    if annotations:
        statement["annotations"] = annotations
    return statement


def _listing_notes(listings: list[Listing]) -> list[dict[str, str]]:
    notes = []
    for item in listings:
        p = item.provenance
        named = item.program if item.program.startswith(item.authority) else \
            f"{item.authority} {item.program}"
        when = f", listed {item.listing_date}" if item.listing_date else ""
        note = {"motivation": "commenting", "statementPointerTarget": "/",
                "description": f"sanctioned: {named}{when} (stated by {p.source} "
                               f"{p.list_date or ''} #{p.record_id})".replace("  ", " ")}
        if item.source_url:
            note["url"] = item.source_url
        if note not in notes:
            notes.append(note)
    return notes


def _values(facts: list[Fact], prop: str) -> list[str]:
    return list(dict.fromkeys(f.value for f in facts if f.prop == prop))


def _identifiers(facts: list[Fact]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for value in _values(facts, "registrationNumber"):
        scheme, sep, number = value.partition(":")
        if sep and scheme and number and " " not in scheme:
            out.append({"id": number, "scheme": scheme})
        else:
            out.append({"id": value, "schemeName": "registration number (register not stated)"})
    for prop, named in _IDENTIFIERS.items():
        out.extend({"id": value, **named} for value in _values(facts, prop))
    return out


def _unspecified(facts: list[Fact]) -> dict[str, str] | None:
    """BODS's reason for an unknown party, when a BODS load kept one in the notes."""
    for note in _values(facts, "notes"):
        if note.startswith("reason: "):
            reason, _, description = note[len("reason: "):].partition("; ")
            if reason in _UNSPECIFIED_REASONS:
                return {"reason": reason, **({"description": description} if description
                                             else {})}
    return None


def _country(code: str) -> dict[str, str]:
    return {"name": country_name(code), "code": code.upper()}


def _entity_details(schema: str, caption: str, facts: list[Fact]) -> dict[str, Any]:
    names = _values(facts, "name") or [caption]
    unspecified = _unspecified(facts)
    entity_type = ("unknownEntity" if unspecified and names[0].startswith("unknown")
                   else _ENTITY_TYPES[schema])
    details: dict[str, Any] = {"isComponent": False, "entityType": {"type": entity_type}}
    if entity_type == "unknownEntity" and unspecified:
        details["unspecifiedEntityDetails"] = unspecified
    else:
        details["name"] = names[0]
    aliases = [n for n in [*names[1:], *_values(facts, "alias")] if n != names[0]]
    if aliases:
        details["alternateNames"] = list(dict.fromkeys(aliases))
    jurisdiction = _values(facts, "jurisdiction") or _values(facts, "country")
    if jurisdiction and len(jurisdiction[0]) == 2:
        details["jurisdiction"] = _country(jurisdiction[0])
    if identifiers := _identifiers(facts):
        details["identifiers"] = identifiers
    for prop, key in (("incorporationDate", "foundingDate"),
                      ("dissolutionDate", "dissolutionDate")):
        if (dates := _values(facts, prop)) and len(dates[0]) == 10:
            details[key] = dates[0]
    if addresses := _values(facts, "address"):
        details["addresses"] = [{"type": "registered", "address": a} for a in addresses]
    return details


def _person_details(caption: str, facts: list[Fact]) -> dict[str, Any]:
    names = _values(facts, "name") or [caption]
    unspecified = _unspecified(facts)
    known = not (unspecified and names[0].startswith(("unknown", "anonymous")))
    details: dict[str, Any] = {"isComponent": False,
                               "personType": "knownPerson" if known else "unknownPerson"}
    if not known and unspecified:
        details["unspecifiedPersonDetails"] = unspecified
        return details
    details["names"] = [{"type": "legal", "fullName": names[0]}] + [
        {"type": "alternative", "fullName": n}
        for n in dict.fromkeys([*names[1:], *_values(facts, "alias")]) if n != names[0]]
    nationalities = [c for c in _values(facts, "nationality") if len(c) == 2]
    if nationalities:
        details["nationalities"] = [_country(c) for c in nationalities]
    if (births := _values(facts, "birthDate")) and len(births[0]) == 10:
        details["birthDate"] = births[0]
    if identifiers := _identifiers(facts):
        details["identifiers"] = identifiers
    if addresses := _values(facts, "address"):
        details["addresses"] = [{"type": "residence", "address": a} for a in addresses]
    return details


def _interest(edge: Edge, holder_is_person: bool) -> dict[str, Any] | None:
    kind = RelationKind(edge.kind)
    if kind is RelationKind.LINK and edge.role not in _CONTROL_ROLES:
        return None
    if kind not in _DEFAULT_INTEREST:
        return None
    stated = edge.properties.get("interest", [])
    interest_type = stated[0] if stated and stated[0] in INTEREST_TYPES else \
        _DEFAULT_INTEREST[kind]
    interest: dict[str, Any] = {"type": interest_type}
    direct = edge.properties.get("directOrIndirect", [])
    if direct and direct[0] in ("direct", "indirect", "unknown"):
        interest["directOrIndirect"] = direct[0]
    elif edge.role == "indirect ownership":
        interest["directOrIndirect"] = "indirect"
    if holder_is_person and edge.properties.get("beneficialOwnershipOrControl") == ["true"]:
        interest["beneficialOwnershipOrControl"] = True
    share = stated_share(edge.percentage, edge.properties)
    if share is not None:
        interest["share"] = _share_json(share)
    if edge.start_date and len(edge.start_date) == 10:
        interest["startDate"] = edge.start_date
    if edge.end_date and len(edge.end_date) == 10:
        interest["endDate"] = edge.end_date
    if description := edge.properties.get("description"):
        interest["details"] = description[0]
    return interest


def iter_bods(store: Store, result: BodsExportResult) -> Iterator[dict[str, Any]]:
    """The statements of the graph: parties first, then relationships."""
    published = datetime.now(UTC).date().isoformat()
    schemata: dict[str, str] = {}
    listings: dict[str, list[Listing]] = defaultdict(list)
    for listing in store.iter_listings():
        listings[listing.entity].append(listing)
    for node in store.iter_nodes():
        if node.schema == Schema.PERSON.value:
            facts = store.facts(node.id)
            details = _person_details(node.caption, facts)
            result.persons += 1
            kind = "person"
        elif node.schema in _ENTITY_TYPES:
            facts = store.facts(node.id)
            details = _entity_details(node.schema, node.caption, facts)
            result.entities += 1
            kind = "entity"
        else:
            result.skipped[f"{node.schema} (not a party in BODS)"] += 1
            continue
        schemata[node.id] = node.schema
        yield _statement(node.id, kind, details, node.id, [f.provenance for f in facts],
                         published, _listing_notes(listings.get(node.id, [])))
    pairs: dict[tuple[str, str], list[Edge]] = defaultdict(list)
    for edge in store.iter_edges():
        if edge.subject == edge.object:
            continue
        if edge.subject not in schemata or schemata.get(edge.object) not in _ENTITY_TYPES:
            result.skipped[f"{edge.kind} (not to an entity)"] += 1
            continue
        pairs[(edge.subject, edge.object)].append(edge)
    for (holder, entity), edges in sorted(pairs.items()):
        interests: list[dict[str, Any]] = []
        used: list[Provenance] = []
        claims: list[dict[str, str]] = []
        for edge in edges:
            interest = _interest(edge, schemata[holder] == Schema.PERSON.value)
            if interest is None:
                result.skipped[f"{edge.kind} {edge.role or ''} (no BODS interest)".strip()] += 1
                continue
            used.append(edge.provenance)
            if interest not in interests:
                interests.append(interest)
            if citation := edge.properties.get(EVIDENCE_PROPERTY):
                claim = {"motivation": "commenting",
                         "statementPointerTarget":
                             f"/recordDetails/interests/{interests.index(interest)}",
                         "description": f"an analyst's claim, not an official listing: "
                                        f"{citation[0]}"}
                if claim not in claims:
                    claims.append(claim)
        if not interests:
            continue
        details = {"isComponent": False, "subject": entity, "interestedParty": holder,
                   "interests": interests}
        result.relationships += 1
        yield _statement(f"{holder}->{entity}", "relationship", details, entity, used,
                         published, claims)


def export_bods(store: Store, out: Path | str | IO[str]) -> BodsExportResult:
    """Write the graph's parties and their ownership and control as a BODS 0.4 package (one
    JSON array) to a file (written whole, then renamed into place) or an open text stream."""
    with store.reading():
        if not store.counts()["nodes"]:
            raise QueryError("the store is empty: load a source first")
        if not isinstance(out, Path | str):
            result = BodsExportResult("-")
            _write(iter_bods(store, result), out)
            return result
        path = Path(out)
        result = BodsExportResult(str(path))
        tmp = path.with_name(path.name + ".part")
        try:
            with tmp.open("w", encoding="utf-8") as handle:
                _write(iter_bods(store, result), handle)
            tmp.replace(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise QueryError(f"{path}: cannot write the export ({exc.strerror})") from None
        return result


def _write(statements: Iterator[dict[str, Any]], handle: IO[str]) -> None:
    handle.write("[")
    for n, statement in enumerate(statements):
        handle.write(",\n" if n else "\n")
        handle.write(json.dumps(statement, ensure_ascii=False))
    handle.write("\n]\n")


__all__ = ["BodsExportResult", "export_bods", "iter_bods"]

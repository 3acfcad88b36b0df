"""Beneficial Ownership Data Standard (BODS) 0.4: who is behind a company, as registers publish it.

A BODS file is a JSON array of statements (a "package") or JSON lines, one statement a line.
Each statement describes one record (`recordId`) at one time (`statementDate`): an entity
(`recordType` "entity"), a person ("person") or a relationship ("relationship") in which an
interested party holds interests in a subject entity. Later statements of one record replace
earlier ones, as a new list version replaces the last: only the latest statement of each
`recordId` is loaded (by `statementDate`, then by order in the file), and a record whose latest
statement is `recordStatus` "closed" ends (a relationship gets the closing date as its end).

What becomes what:

- entity statements: `Company` (registeredEntity), `PublicBody` (state, stateBody),
  `LegalEntity` (legalEntity, arrangement, anonymous and unknown entities), with their name,
  other names, jurisdiction, founding and dissolution dates, addresses and identifiers
  (LEI -> `leiCode`; an IMO company number where a scheme names IMO -> `imoNumber`, check digit
  tested; any other scheme -> `registrationNumber`, written `SCHEME:ID` (`GB-COH:03209885`)
  so numbers of two registers never look the same);
- person statements: `Person` with names, nationalities, birth date and addresses;
- relationship statements: one relation per kind of interest: shareholding and the other
  rights to the assets (surplus, profit) -> ownership with the interest's share (an exact figure
  as `percentage`, a band such as "more than 25%, at most 50%" as the `share` property, see
  `graph.shares`); voting rights, board appointment and other influence or control -> control
  (a `link` relation, role "control"); board member or chair and senior managing official ->
  directorship. Dates, `directOrIndirect` and whether the interest is beneficial ownership are
  kept; the statement id is the relation's record id. An interest stated as `indirect` (held
  through entities in between, which BODS states as component relationships of their own) is
  not a second ownership of the same shares: it is kept as a link with the role "indirect
  ownership" and its share, outside the 50% rule, which counts the chain itself (counting both
  would count one stake twice).

Unknown or anonymous parties are kept as such, never dropped: an `unknownPerson` or an
`anonymousPerson`, an `unknownEntity` or an unspecified party of a relationship becomes a node
whose name says it is unknown and why (BODS's `reason` and `description`). Statements that are
not BODS 0.4 in shape (a required field missing, a wrong type, an unknown record type, a
relationship naming a record the file lacks) are skipped, counted and reported with their
statement id; they never stop the load. The shape is checked here by hand; the tests validate the
files against the standard's JSON Schema too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from graph.errors import SourceError
from graph.identifiers import clean_imo_company, country_code
from graph.model import Entity, ListMeta, Problem, Record, Relation, RelationKind, Schema
from graph.shares import Share, share_fields
from loaders._io import clean, iso_date, read_text

FORMAT: Final = "bods"
#: The source name of a file whose first statement names no publisher (see `source_for`).
SOURCE: Final = "bods"
TITLE: Final = "Beneficial Ownership Data Standard 0.4 (JSON array or JSON lines)"

#: Interest types that are ownership (the 50% rule counts them): a share of the entity itself
#: or of what it is worth.
OWNERSHIP_INTERESTS: Final = frozenset({
    "shareholding", "rightsToSurplusAssetsOnDissolution", "rightsToProfitOrIncome",
    "beneficiaryOfLegalArrangement", "enjoymentAndUseOfAssets",
    "rightToProfitOrIncomeFromAssets",
})
#: Interest types that are a seat on the board or the running of the entity.
DIRECTORSHIP_INTERESTS: Final = frozenset({"boardMember", "boardChair",
                                           "seniorManagingOfficial"})
#: Role of a relation for every other interest (voting rights, appointing the board, ...).
CONTROL_ROLE: Final = "control"
#: Role of an ownership interest held through entities in between (`directOrIndirect`
#: "indirect"): a link, so the 50% rule never counts the stake both there and along the chain.
INDIRECT_ROLE: Final = "indirect ownership"

_ENTITY_SCHEMA: Final = {
    "registeredEntity": Schema.COMPANY,
    "legalEntity": Schema.LEGAL_ENTITY,
    "arrangement": Schema.LEGAL_ENTITY,
    "anonymousEntity": Schema.LEGAL_ENTITY,
    "unknownEntity": Schema.LEGAL_ENTITY,
    "state": Schema.PUBLIC_BODY,
    "stateBody": Schema.PUBLIC_BODY,
}
_PERSON_TYPES: Final = frozenset({"knownPerson", "anonymousPerson", "unknownPerson"})
_RECORD_TYPES: Final = frozenset({"entity", "person", "relationship"})
_REQUIRED: Final = ("statementId", "declarationSubject", "recordId", "recordType",
                    "recordDetails", "statementDate")


def files(path: Path) -> list[Path]:
    return [path]


def source_for(path: Path) -> str:
    """`bods_<publisher>`: each publisher (a register, a company's own declaration) is a source of
    its own, so one publisher's file never replaces another's, and its next file is its next
    version; `bods` when the first statement names no publisher. `--source` overrides."""
    try:
        first = next(iter(_read(path)))[1]
    except (SourceError, StopIteration):
        return SOURCE
    publisher = first.get("publicationDetails", {}) if isinstance(first, dict) else {}
    name = publisher.get("publisher", {}) if isinstance(publisher, dict) else {}
    text = name.get("name") if isinstance(name, dict) else None
    slug = re.sub(r"[^a-z0-9]+", "_", str(text or "").casefold()).strip("_")[:40].strip("_")
    return f"{SOURCE}_{slug}" if slug else SOURCE


def detect(path: Path, head: bytes) -> bool:
    start = head.lstrip()[:1]
    return (start in (b"[", b"{") and b'"statementId"' in head and b'"recordType"' in head
            and b'"recordDetails"' in head)


@dataclass(frozen=True, slots=True)
class _Statement:
    position: int
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["statementId"])

    @property
    def record_id(self) -> str:
        return str(self.data["recordId"])

    @property
    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = self.data["recordDetails"]
        return details

    @property
    def date(self) -> str:
        return str(self.data.get("statementDate") or "")


def _read(path: Path) -> Iterator[tuple[str, Any]]:
    """(place, parsed value) per statement: the items of an array, or one per line."""
    text = read_text(path, "utf-8")
    if not text.strip():
        raise SourceError(path, "empty file")
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(path, f"invalid JSON: {exc.msg}",
                              f"line {exc.lineno} column {exc.colno}") from None
        if not isinstance(data, list):
            raise SourceError(path, "expected a JSON array of BODS statements")
        for n, item in enumerate(data):
            yield f"item {n}", item
        return
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield f"line {line_no}", json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {line_no}", SourceError(path, f"invalid JSON: {exc.msg}")


def shape_error(item: Any) -> str | None:
    """Why a value is not a BODS 0.4 statement in shape; None when it is one."""
    if not isinstance(item, dict):
        return "not a JSON object"
    missing = [k for k in _REQUIRED if k not in item]
    if missing:
        return f"missing {', '.join(missing)}"
    for key in ("statementId", "recordId", "statementDate"):
        if not isinstance(item[key], str) or not item[key].strip():
            return f"{key} is not a non-empty string"
    if not 32 <= len(item["statementId"]) <= 64:
        return "statementId is not 32 to 64 characters long"
    if not _is(item["recordType"], _RECORD_TYPES):
        return f"unknown recordType {item['recordType']!r}"
    if not _is(item.get("recordStatus", "new"), {"new", "updated", "closed"}):
        return f"unknown recordStatus {item['recordStatus']!r}"
    details = item["recordDetails"]
    if not isinstance(details, dict):
        return "recordDetails is not an object"
    if not isinstance(details.get("isComponent"), bool):
        return "recordDetails.isComponent is missing or not true/false"
    kind = item["recordType"]
    if kind == "entity":
        entity_type = details.get("entityType")
        if not isinstance(entity_type, dict) or not _is(entity_type.get("type"), _ENTITY_SCHEMA):
            return "recordDetails.entityType.type is missing or unknown"
    elif kind == "person":
        if not _is(details.get("personType"), _PERSON_TYPES):
            return "recordDetails.personType is missing or unknown"
    else:
        for key in ("subject", "interestedParty"):
            if not isinstance(details.get(key), str | dict):
                return f"recordDetails.{key} is missing"
        if not isinstance(details.get("interests", []), list):
            return "recordDetails.interests is not a list"
        for interest in _list(details.get("interests")):
            if not isinstance(interest, dict):
                return "an interest is not an object"
            if "share" in interest and share_of(interest["share"]) is None:
                return f"share {json.dumps(interest['share'])} is not a share of 0 to 100"
    return None


def _is(value: Any, options: Collection[str]) -> bool:
    """Whether a value is one of the codes (a list or an object never is)."""
    return isinstance(value, str) and value in options


def _list(value: Any) -> list[Any]:
    """A list a statement gives, or nothing when it gives something else."""
    return value if isinstance(value, list) else []


def share_of(raw: Any) -> Share | None:
    """A BODS share (`exact`, or `minimum`/`exclusiveMinimum` and `maximum`/
    `exclusiveMaximum`) as a `Share`; None when it is not one (both an inclusive and an exclusive
    bound at one end, a bound out of 0..100, an empty range)."""
    if not isinstance(raw, dict):
        return None
    def number(key: str) -> float | None:
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(key)
        return float(value)
    try:
        exact = number("exact")
        low, x_low = number("minimum"), number("exclusiveMinimum")
        high, x_high = number("maximum"), number("exclusiveMaximum")
    except ValueError:
        return None
    if (low is not None and x_low is not None) or (high is not None and x_high is not None):
        return None
    if exact is not None:
        # A publisher may repeat the figure as its bounds; anything else contradicts it.
        if any(b is not None and b != exact for b in (low, high)) or x_low is not None \
                or x_high is not None:
            return None
        share = Share.exact(exact)
    else:
        if low is None and x_low is None and high is None and x_high is None:
            return None
        share = Share(x_low if x_low is not None else (low or 0.0),
                      x_high if x_high is not None else (high if high is not None else 100.0),
                      x_low is not None, x_high is not None)
    return share if share.valid else None


def _latest(path: Path) -> Iterator[Record | _Statement]:
    """Problems for malformed statements, then the latest statement of each record."""
    latest: dict[str, _Statement] = {}
    for position, (place, item) in enumerate(_read(path)):
        if isinstance(item, SourceError):
            yield Problem("invalid BODS statement", item.reason, place)
            continue
        why = shape_error(item)
        if why is not None:
            sid = item.get("statementId") if isinstance(item, dict) else None
            yield Problem("invalid BODS statement", why,
                          str(sid) if isinstance(sid, str) and sid else place)
            continue
        statement = _Statement(position, item)
        current = latest.get(statement.record_id)
        if current is None or (statement.date, position) >= (current.date, current.position):
            latest[statement.record_id] = statement
    yield from sorted(latest.values(), key=lambda s: s.position)


def load(path: Path) -> Iterator[Record]:
    statements: list[_Statement] = []
    problems: list[Problem] = []
    for item in _latest(path):
        if isinstance(item, _Statement):
            statements.append(item)
        elif isinstance(item, Problem):
            problems.append(item)
    dates = [iso_date(str(s.data.get("publicationDetails", {}).get("publicationDate", ""))[:10])
             for s in statements if isinstance(s.data.get("publicationDetails"), dict)]
    yield ListMeta(max((d for d in dates if d), default=None))
    yield from problems
    parties = {s.record_id for s in statements if s.data["recordType"] != "relationship"}
    for statement in statements:
        kind = statement.data["recordType"]
        if kind == "entity":
            yield _entity(statement)
        elif kind == "person":
            yield _person(statement)
        else:
            yield from _relationship(statement, parties)


def _text(value: Any) -> str:
    return (clean(str(value)) or "") if isinstance(value, str | int | float) else ""


def _unknown_name(what: str, details: Mapping[str, Any] | None) -> tuple[str, str | None]:
    """The name of a party BODS says is unknown, and the note saying why."""
    if not isinstance(details, Mapping):
        return f"unknown {what}", None
    reason = _text(details.get("reason"))
    description = _text(details.get("description"))
    name = f"unknown {what} ({reason})" if reason else f"unknown {what}"
    note = "; ".join(p for p in (f"reason: {reason}" if reason else "", description) if p)
    return name, note or None


def _addresses(details: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(addresses, their country codes)."""
    addresses, countries = [], []
    for item in _list(details.get("addresses")):
        if not isinstance(item, dict):
            continue
        if text := _text(item.get("address")):
            addresses.append(text)
        country = item.get("country")
        if isinstance(country, dict) and (code := country_code(_text(country.get("code")))):
            countries.append(code)
    return addresses, countries


def _identifiers(details: Mapping[str, Any]) -> dict[str, list[str]]:
    props: dict[str, list[str]] = {}
    for item in _list(details.get("identifiers")):
        if not isinstance(item, dict):
            continue
        value = _text(item.get("id"))
        scheme = _text(item.get("scheme"))
        scheme_name = _text(item.get("schemeName"))
        if not value:
            continue
        label = f"{scheme} {scheme_name}".upper()
        if "LEI" in label.split() or scheme.upper().endswith("-LEI"):
            props.setdefault("leiCode", []).append(value)
        elif "IMO" in label.replace("-", " ").split() and clean_imo_company(value):
            props.setdefault("imoNumber", []).append(str(clean_imo_company(value)))
        else:
            props.setdefault("registrationNumber", []).append(
                f"{scheme}:{value}" if scheme and " " not in scheme else value)
    return props


def _props(raw: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(dict.fromkeys(v)) for k, v in raw.items() if v}


def _entity(statement: _Statement) -> Entity:
    details = statement.details
    entity_type = details["entityType"]["type"]
    props: dict[str, list[str]] = {}
    name = _text(details.get("name"))
    if entity_type in ("anonymousEntity", "unknownEntity") or not name:
        name_text, note = _unknown_name("entity" if entity_type != "anonymousEntity"
                                        else "anonymous entity",
                                        details.get("unspecifiedEntityDetails"))
        name = name or name_text
        if note:
            props["notes"] = [note]
    props["name"] = [name]
    props["alias"] = [t for t in map(_text, _list(details.get("alternateNames"))) if t]
    jurisdiction = details.get("jurisdiction")
    if isinstance(jurisdiction, dict) and (code := country_code(_text(jurisdiction.get("code")))):
        props["jurisdiction"] = [code]
    for key, prop in (("foundingDate", "incorporationDate"),
                      ("dissolutionDate", "dissolutionDate")):
        if date := iso_date(_text(details.get(key))):
            props[prop] = [date]
    addresses, countries = _addresses(details)
    props["address"] = addresses
    props["country"] = countries
    props.update(_identifiers(details))
    if entity_type in ("state", "stateBody"):
        props["topics"] = ["gov"]
    if statement.data.get("recordStatus") == "closed":
        props.setdefault("notes", []).append(f"record closed {statement.date}")
    return Entity(statement.record_id, _ENTITY_SCHEMA[entity_type], _props(props),
                  statement.id)


def _person(statement: _Statement) -> Entity:
    details = statement.details
    props: dict[str, list[str]] = {}
    names = []
    for item in _list(details.get("names")):
        if isinstance(item, dict):
            full = _text(item.get("fullName")) or " ".join(
                t for t in (_text(item.get("givenName")), _text(item.get("familyName"))) if t)
            if full:
                names.append(full)
    if details["personType"] != "knownPerson" or not names:
        what = "anonymous person" if details["personType"] == "anonymousPerson" else (
            "unknown person" if details["personType"] == "unknownPerson" else "person")
        name_text, note = _unknown_name(what, details.get("unspecifiedPersonDetails"))
        if not names:
            names = [name_text]
        if note:
            props["notes"] = [note]
    props["name"] = names[:1]
    props["alias"] = names[1:]
    props["nationality"] = [
        code for item in _list(details.get("nationalities")) if isinstance(item, dict)
        if (code := country_code(_text(item.get("code"))))]
    if date := iso_date(_text(details.get("birthDate"))):
        props["birthDate"] = [date]
    addresses, countries = _addresses(details)
    props["address"] = addresses
    props["country"] = countries
    props.update(_identifiers(details))
    return Entity(statement.record_id, Schema.PERSON, _props(props), statement.id)


def _party(statement: _Statement, key: str, parties: set[str]
           ) -> tuple[str, Entity | None, Problem | None]:
    """The record id of a relationship's subject or interested party; an unspecified party
    becomes a node of its own (named as unknown, with BODS's reason)."""
    value = statement.details[key]
    if isinstance(value, str):
        if value in parties:
            return value, None, None
        return value, None, Problem("BODS relationship to a missing record",
                                    f"{key} {value!r} is not a statement in this file",
                                    statement.id)
    what = "entity" if key == "subject" else "party"
    name, note = _unknown_name(what, value)
    party_id = f"{statement.record_id}#{key}"
    props: dict[str, tuple[str, ...]] = {"name": (name,)}
    if note:
        props["notes"] = (note,)
    return party_id, Entity(party_id, Schema.LEGAL_ENTITY, props, statement.id), None


def _kind(interest_type: str, direct: str) -> tuple[RelationKind, str | None]:
    if interest_type in OWNERSHIP_INTERESTS:
        if direct == "indirect":
            return RelationKind.LINK, INDIRECT_ROLE
        return RelationKind.OWNERSHIP, None
    if interest_type in DIRECTORSHIP_INTERESTS:
        return RelationKind.DIRECTORSHIP, None
    return RelationKind.LINK, CONTROL_ROLE


def _relationship(statement: _Statement, parties: set[str]) -> Iterator[Record]:
    subject_id, subject_entity, problem = _party(statement, "subject", parties)
    holder_id, holder_entity, holder_problem = _party(statement, "interestedParty", parties)
    if problem or holder_problem:
        yield from (p for p in (problem, holder_problem) if p)
        return
    yield from (e for e in (subject_entity, holder_entity) if e)
    closed = statement.data.get("recordStatus") == "closed"
    interests = [i for i in _list(statement.details.get("interests")) if isinstance(i, dict)]
    if not interests:
        interests = [{"type": "unknownInterest"}]
    for n, interest in enumerate(interests):
        interest_type = _text(interest.get("type")) or "unknownInterest"
        kind, role = _kind(interest_type, _text(interest.get("directOrIndirect")))
        share = share_of(interest["share"]) if "share" in interest else None
        percentage, props = share_fields(share)
        extra = {"interest": interest_type,
                 "directOrIndirect": _text(interest.get("directOrIndirect")),
                 "description": _text(interest.get("details"))}
        if interest.get("beneficialOwnershipOrControl") is True:
            extra["beneficialOwnershipOrControl"] = "true"
        if kind is not RelationKind.OWNERSHIP and share is not None:
            # Voting rights and the like keep their share as stated, outside the 50% rule.
            extra["share"] = share.text
            percentage, props = None, {}
        end = iso_date(_text(interest.get("endDate")))
        if closed and end is None:
            end = iso_date(statement.date[:10])
        yield Relation(
            id=f"{statement.record_id}:{n}", kind=kind, subject=holder_id, object=subject_id,
            record_id=statement.id, role=role,
            start_date=iso_date(_text(interest.get("startDate"))), end_date=end,
            percentage=percentage,
            properties={**props, **{k: (v,) for k, v in extra.items() if v}},
        )

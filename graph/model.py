"""The one model every layer speaks: records a loader yields, and the vocabularies they use.

Names follow the FollowTheMoney (FtM) schema so that FtM data loads as-is and the graph exports back
to FtM. A loader yields `Entity`, `Relation`, `Sanction` and `Problem` records (and at most one
`ListMeta`); the store adds the provenance every record shares (source, list version) and keeps the
record id each one carries, so every value can be traced back to the listing it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class Schema(StrEnum):
    """FtM entity schemata the graph holds as nodes."""

    VESSEL = "Vessel"
    AIRPLANE = "Airplane"
    COMPANY = "Company"
    ORGANIZATION = "Organization"
    PUBLIC_BODY = "PublicBody"
    LEGAL_ENTITY = "LegalEntity"
    PERSON = "Person"


#: How specific each schema is: when records of one real entity disagree, the merged node takes
#: the most specific schema they share (an FtM `LegalEntity` is refined by `Company`, etc.).
SCHEMA_SPECIFICITY: Final[Mapping[Schema, int]] = {
    Schema.LEGAL_ENTITY: 0,
    Schema.ORGANIZATION: 1,
    Schema.COMPANY: 2,
    Schema.PUBLIC_BODY: 2,
    Schema.PERSON: 2,
    Schema.VESSEL: 2,
    Schema.AIRPLANE: 2,
}

#: Schemata that describe a party (can own, operate or be sanctioned as an organisation).
PARTY_SCHEMATA: Final = frozenset(
    {Schema.COMPANY, Schema.ORGANIZATION, Schema.PUBLIC_BODY, Schema.LEGAL_ENTITY}
)


def merged_schema(schemata: set[Schema]) -> Schema:
    """The schema of a merged node: the most specific one among its records."""
    return max(schemata, key=lambda s: (SCHEMA_SPECIFICITY[s], s.value))


class ShipRole(StrEnum):
    """The closed vocabulary of roles a party can hold on a vessel."""

    REGISTERED_OWNER = "registered owner"
    BENEFICIAL_OWNER = "beneficial owner"
    OPERATOR = "operator"
    SHIP_MANAGER = "ship manager"
    TECHNICAL_MANAGER = "technical manager"
    ISM_MANAGER = "ISM manager"
    COMMERCIAL_MANAGER = "commercial manager"
    LINKED = "linked"

    @classmethod
    def parse(cls, text: str) -> ShipRole | None:
        """Read a role as registries and lists write it; None when it is not a ship role."""
        key = " ".join(text.replace("_", " ").replace("-", " ").lower().split())
        return _ROLE_SYNONYMS.get(key)


_ROLE_SYNONYMS: Final[dict[str, ShipRole]] = {
    **{role.value.lower(): role for role in ShipRole},
    "owner": ShipRole.REGISTERED_OWNER,
    "registered owner": ShipRole.REGISTERED_OWNER,
    "group owner": ShipRole.BENEFICIAL_OWNER,
    "beneficial owner": ShipRole.BENEFICIAL_OWNER,
    "ultimate owner": ShipRole.BENEFICIAL_OWNER,
    "operator": ShipRole.OPERATOR,
    "manager": ShipRole.SHIP_MANAGER,
    "ship manager": ShipRole.SHIP_MANAGER,
    "shipmanager": ShipRole.SHIP_MANAGER,
    "technical manager": ShipRole.TECHNICAL_MANAGER,
    "ism manager": ShipRole.ISM_MANAGER,
    "doc company": ShipRole.ISM_MANAGER,
    "ism": ShipRole.ISM_MANAGER,
    "commercial manager": ShipRole.COMMERCIAL_MANAGER,
    "linked": ShipRole.LINKED,
    "linked to": ShipRole.LINKED,
}


class RelationKind(StrEnum):
    """Kinds of relation between two nodes. Their shapes are data, in `RELATION_SHAPES`."""

    OWNERSHIP = "ownership"
    OPERATION = "operation"
    MANAGEMENT = "management"
    DIRECTORSHIP = "directorship"
    LINK = "link"
    #: Analysts' evidence: the subject's goods (cargo) were carried by the object (a vessel).
    SHIPMENT = "shipment"
    #: Analysts' evidence: the subject (a carrier or a place) moved goods to or from the object.
    TRANSPORT = "transport"
    #: Analysts' evidence: the subject supplied goods (arms, fuel) to the object.
    SUPPLY = "supply"


@dataclass(frozen=True, slots=True)
class RelationShape:
    """How a relation kind is written in FtM and in Neo4j, and how queries treat it.

    `subject` is the party "above" (owner, operator, director, the entity a list says the other is
    linked to); `object` is what it holds or acts for. Walking from object to subject climbs the
    chain of control.
    """

    kind: RelationKind
    ftm_schema: str
    subject_property: str
    object_property: str
    neo4j_type: str
    #: Ownership and control weigh more than a loose "linked to" when ranking exposure.
    control: bool


RELATION_SHAPES: Final[Mapping[RelationKind, RelationShape]] = {
    RelationKind.OWNERSHIP: RelationShape(
        RelationKind.OWNERSHIP, "Ownership", "owner", "asset", "OWNS", control=True
    ),
    RelationKind.OPERATION: RelationShape(
        RelationKind.OPERATION, "UnknownLink", "subject", "object", "OPERATES", control=True
    ),
    RelationKind.MANAGEMENT: RelationShape(
        RelationKind.MANAGEMENT, "UnknownLink", "subject", "object", "MANAGES", control=True
    ),
    RelationKind.DIRECTORSHIP: RelationShape(
        RelationKind.DIRECTORSHIP, "Directorship", "director", "organization", "DIRECTS",
        control=True,
    ),
    RelationKind.LINK: RelationShape(
        RelationKind.LINK, "UnknownLink", "subject", "object", "LINKED_TO", control=False
    ),
    RelationKind.SHIPMENT: RelationShape(
        RelationKind.SHIPMENT, "UnknownLink", "subject", "object", "SHIPPED_VIA", control=False
    ),
    RelationKind.TRANSPORT: RelationShape(
        RelationKind.TRANSPORT, "UnknownLink", "subject", "object", "TRANSPORTED", control=False
    ),
    RelationKind.SUPPLY: RelationShape(
        RelationKind.SUPPLY, "UnknownLink", "subject", "object", "SUPPLIED", control=False
    ),
}

#: Relation property that marks a relation as an analyst's claim (its value is the citation),
#: so that every query and export shows evidence apart from official listings.
EVIDENCE_PROPERTY: Final = "evidence"

#: An `Entity.same_as` that starts with this is a reference by identifier or name (`?IMO 9179842`,
#: `?M LEASING LLC`) that the ingest step resolves against the store before writing: a loader
#: never touches the store, and an analyst's file names entities the way people do.
REFERENCE_PREFIX: Final = "?"

#: The relation kind each ship role is written as.
SHIP_ROLE_KINDS: Final[Mapping[ShipRole, RelationKind]] = {
    ShipRole.REGISTERED_OWNER: RelationKind.OWNERSHIP,
    ShipRole.BENEFICIAL_OWNER: RelationKind.OWNERSHIP,
    ShipRole.OPERATOR: RelationKind.OPERATION,
    ShipRole.SHIP_MANAGER: RelationKind.MANAGEMENT,
    ShipRole.TECHNICAL_MANAGER: RelationKind.MANAGEMENT,
    ShipRole.ISM_MANAGER: RelationKind.MANAGEMENT,
    ShipRole.COMMERCIAL_MANAGER: RelationKind.MANAGEMENT,
    ShipRole.LINKED: RelationKind.LINK,
}

#: Vessel properties (FtM names) shown as the vessel's identity, in display order.
VESSEL_IDENTITY: Final = (
    "name",
    "alias",
    "previousName",
    "imoNumber",
    "mmsi",
    "callSign",
    "flag",
    "pastFlags",
    "type",
    "buildDate",
    "grossRegisteredTonnage",
    "tonnage",
)

Properties = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Entity:
    """A node as one source states it.

    `id` is unique within one load of the source; `record_id` is the id the authority's own file
    gives the record (OFAC ent_num, UK Group ID, ...), kept so an auditor can find the listing.
    `same_as` names an entity already in the store (`source:id`) that this record refers to, for
    files that point at existing entities instead of describing new ones.
    """

    id: str
    schema: Schema
    properties: Properties
    record_id: str
    same_as: str | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    """An edge as one source states it: `subject` is above (owner, operator...), `object` below."""

    id: str
    kind: RelationKind
    subject: str
    object: str
    record_id: str
    role: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    percentage: float | None = None
    properties: Properties = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sanction:
    """A listing of one entity under one programme by one authority."""

    id: str
    entity: str
    authority: str
    program: str
    record_id: str
    listing_date: str | None = None
    source_url: str | None = None
    properties: Properties = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in a record that was skipped or could not be resolved: counted and reported."""

    kind: str
    message: str
    record_id: str | None = None


@dataclass(frozen=True, slots=True)
class ListMeta:
    """What a file says about itself (its publication date), yielded before the records."""

    list_date: str | None


Record = Entity | Relation | Sanction | Problem | ListMeta

"""Who owns this ship: the vessel's identity, every party with a role on it, the chain above each,
and every sanction on any of them, each fact with the sources that state it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from graph.errors import NotFoundError
from graph.model import VESSEL_IDENTITY
from graph.normalize import normalize_vessel_name
from graph.store import Store
from graph.view import Edge, Fact, Listing, Provenance
from queries.lookup import Lookup, find_vessels

#: How far up a chain of owners and controllers `who_owns` climbs. Real chains in the lists are
#: two or three steps; the bound keeps a cyclic or pathological graph from running away.
MAX_DEPTH: Final = 6

#: Party properties shown beside each name on the chain.
PARTY_FACTS: Final = ("imoNumber", "taxNumber", "registrationNumber", "ogrnCode", "country",
                      "address", "topics")

#: Above this many matches the answer lists candidates only and asks for an IMO number.
MAX_DETAILED: Final = 5


@dataclass(slots=True)
class Sourced:
    """A value and every source version and record that states it."""

    value: str
    sources: list[Provenance]


@dataclass(slots=True)
class SanctionOut:
    authority: str
    program: str
    listing_date: str | None
    source_url: str | None
    source: Provenance


@dataclass(slots=True)
class Party:
    """A node on the chain above a vessel, with the relation that put it there."""

    id: str
    schema: str
    caption: str
    kind: str
    role: str | None
    start_date: str | None
    end_date: str | None
    percentage: float | None
    stated_by: list[Provenance]
    facts: dict[str, list[Sourced]]
    sanctions: list[SanctionOut]
    above: list[Party] = field(default_factory=list)
    #: True when this node was already shown higher in the answer (a cycle or a shared parent).
    repeated: bool = False


@dataclass(slots=True)
class VesselAnswer:
    id: str
    caption: str
    identity: dict[str, list[Sourced]]
    sanctions: list[SanctionOut]
    parties: list[Party]
    members: list[str]

    @property
    def imo(self) -> str | None:
        values = self.identity.get("imoNumber")
        return values[0].value if values else None


@dataclass(slots=True)
class OwnerAnswer:
    query: str
    matched_by: str
    vessels: list[VesselAnswer]
    #: Matches beyond MAX_DETAILED: id, caption and IMO only.
    more: list[dict[str, str | None]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def who_owns(store: Store, query: str) -> OwnerAnswer:
    """Answer "who owns this ship" for a ship name, an IMO number or an MMSI.

    Every vessel that fits is answered; a name never silently picks one of several ships.
    """
    lookup: Lookup = find_vessels(store, query)
    if not lookup.ids:
        raise NotFoundError(f"no vessel matches {query!r} (searched by {lookup.matched_by})")
    vessels = [vessel_answer(store, vid) for vid in lookup.ids[:MAX_DETAILED]]
    # Ships whose own name is the query come before those that only have it as an alias.
    wanted = normalize_vessel_name(query)
    vessels.sort(key=lambda v: (normalize_vessel_name(v.caption) != wanted, v.imo or "", v.id))
    more: list[dict[str, str | None]] = []
    for vid in lookup.ids[MAX_DETAILED:]:
        node = store.node(vid)
        imo = [f.value for f in store.facts(vid) if f.prop == "imoNumber"]
        more.append({"id": vid, "caption": node.caption if node else vid,
                     "imo": imo[0] if imo else None})
    return OwnerAnswer(query, lookup.matched_by, vessels, more)


def vessel_answer(store: Store, vessel_id: str) -> VesselAnswer:
    node = store.node(vessel_id)
    if node is None:
        raise NotFoundError(f"no node {vessel_id!r}")
    facts = store.facts(vessel_id)
    identity = _grouped(facts, VESSEL_IDENTITY)
    shown: set[str] = {vessel_id}
    parties = _parties(store, vessel_id, depth=1, shown=shown, path={vessel_id})
    return VesselAnswer(
        id=vessel_id,
        caption=node.caption,
        identity=identity,
        sanctions=_sanctions(store.listings(vessel_id)),
        parties=parties,
        members=list(node.members),
    )


def _grouped(facts: list[Fact], props: tuple[str, ...]) -> dict[str, list[Sourced]]:
    """Values per property, each with its sources, in the order of `props`."""
    by_prop: dict[str, dict[str, list[Provenance]]] = defaultdict(dict)
    for fact in facts:
        if fact.prop in props:
            by_prop[fact.prop].setdefault(fact.value, []).append(fact.provenance)
    out: dict[str, list[Sourced]] = {}
    for prop in props:
        if prop in by_prop:
            out[prop] = [Sourced(v, s) for v, s in by_prop[prop].items()]
    # A name stated as the name by one source and as an alias by another is a name.
    names = {s.value.casefold() for s in out.get("name", [])}
    for prop in ("alias", "previousName"):
        if prop in out:
            out[prop] = [s for s in out[prop] if s.value.casefold() not in names] or []
            if not out[prop]:
                del out[prop]
    return out


def _sanctions(listings: list[Listing]) -> list[SanctionOut]:
    return [
        SanctionOut(item.authority, item.program, item.listing_date, item.source_url,
                    item.provenance)
        for item in listings
    ]


def _parties(
    store: Store, node_id: str, *, depth: int, shown: set[str], path: set[str]
) -> list[Party]:
    """Everyone above a node, grouped so one relation stated by several sources shows once."""
    grouped: dict[tuple[str, str, str | None], list[Edge]] = defaultdict(list)
    for edge in store.edges(node_id, direction="up"):
        if edge.subject != node_id:
            grouped[(edge.subject, edge.kind, edge.role)].append(edge)
    parties: list[Party] = []
    for (subject, kind, role), edges in grouped.items():
        node = store.node(subject)
        if node is None:
            continue
        first = edges[0]
        repeated = subject in shown or subject in path
        party = Party(
            id=subject,
            schema=node.schema,
            caption=node.caption,
            kind=kind,
            role=role,
            start_date=first.start_date,
            end_date=first.end_date,
            percentage=first.percentage,
            stated_by=[e.provenance for e in edges],
            facts=_grouped(store.facts(subject), PARTY_FACTS),
            sanctions=_sanctions(store.listings(subject)),
            repeated=repeated,
        )
        shown.add(subject)
        if not repeated and depth < MAX_DEPTH:
            party.above = _parties(store, subject, depth=depth + 1, shown=shown,
                                   path=path | {subject})
        parties.append(party)
    parties.sort(key=lambda p: (_ROLE_ORDER.get(p.role or "", 99), p.caption))
    return parties


_ROLE_ORDER: Final = {
    "registered owner": 0, "beneficial owner": 1, "operator": 2, "ship manager": 3,
    "technical manager": 4, "ISM manager": 5, "commercial manager": 6, "linked": 7,
}

"""Who owns this ship: the vessel's identity, every party with a role on it, the chain above each,
and every sanction on any of them, each fact with the sources that state it."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from graph.errors import NotFoundError
from graph.model import EVIDENCE_PROPERTY, VESSEL_IDENTITY
from graph.normalize import normalize_name, normalize_vessel_name
from graph.shares import stated_share
from graph.store import Store
from graph.view import Edge, Fact, Listing, Provenance
from queries.blocked import BlockedEntity, ownership_status
from queries.lookup import Lookup, find_vessels
from queries.paths import PathIndex, PathOut, nearest_state_paths, store_index
from queries.state import state_actor_from

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
    #: The citation when an analyst's claim (evidence file) puts this party here.
    evidence: str | None = None
    #: What kind of state actor the node is, and on whose word ("state-owned enterprise (topic
    #: gov.soe)"); None when it is not one. A chain ends at a state actor.
    state_actor: str | None = None
    #: Blocked by ownership (50% rule) though not listed itself, with the holdings behind it.
    blocked: BlockedEntity | None = None
    #: A stated band ("more than 25%, at most 50%") when no exact figure is stated.
    share: str | None = None


@dataclass(slots=True)
class Claim:
    """An analyst's claim (evidence file) about the vessel or a node on its chain: shown apart
    from the official listings, always with its citation."""

    subject: str
    subject_caption: str
    kind: str
    role: str | None
    object: str
    object_caption: str
    start_date: str | None
    end_date: str | None
    percentage: float | None
    confidence: str | None
    description: str | None
    citation: str
    source: Provenance


@dataclass(slots=True)
class VesselAnswer:
    id: str
    caption: str
    identity: dict[str, list[Sourced]]
    sanctions: list[SanctionOut]
    parties: list[Party]
    members: list[str]
    #: Parties that only analysts' claims put on the vessel, with the chain above each.
    evidence_parties: list[Party] = field(default_factory=list)
    #: Analysts' claims touching the vessel or its chain, apart from the official facts.
    evidence: list[Claim] = field(default_factory=list)
    #: Paths to the nearest state actors (official relations and evidence, each step marked).
    to_state: list[PathOut] = field(default_factory=list)
    blocked: BlockedEntity | None = None
    #: The node's schema: `Vessel`, or a company or person asked about by name or id.
    schema: str = "Vessel"

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
    if not lookup.ids or lookup.matched_by == "similar name":
        # A company or a person named exactly (a register's BODS data has no ships): the
        # chain above it, rather than a ship of a similar name.
        entity = _entity_named(store, query)
        if entity is not None:
            return OwnerAnswer(query, "entity", [vessel_answer(store, entity)])
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


def _entity_named(store: Store, query: str) -> str | None:
    """The one entity that is not a vessel with this id, `source:id` or exact name; None when
    there is none or several (a name never silently picks one)."""
    text = query.strip()
    if not text:
        return None
    if store.node(text) is not None:
        return text
    if (canonical := store.canonical_of(text)) is not None:
        return canonical
    found = sorted(set(store.by_norm_name(normalize_name(text))))
    return found[0] if len(found) == 1 else None


def vessel_answer(store: Store, vessel_id: str) -> VesselAnswer:
    node = store.node(vessel_id)
    if node is None:
        raise NotFoundError(f"no node {vessel_id!r}")
    facts = store.facts(vessel_id)
    identity = _grouped(facts, VESSEL_IDENTITY)
    shown: set[str] = {vessel_id}
    index = store_index(store)
    parties = _parties(store, index, vessel_id, depth=1, shown=shown, path={vessel_id},
                       mode="official")
    evidence_parties = _parties(store, index, vessel_id, depth=1, shown=shown,
                                path={vessel_id}, mode="evidence")
    number = index.index[vessel_id]
    return VesselAnswer(
        id=vessel_id,
        caption=node.caption,
        identity=identity,
        sanctions=_sanctions(store.listings(vessel_id)),
        parties=parties,
        members=list(node.members),
        evidence_parties=evidence_parties,
        evidence=_claims(store, shown),
        to_state=nearest_state_paths(index, number),
        blocked=ownership_status(index, number),
        schema=node.schema,
    )


def _claims(store: Store, nodes: set[str]) -> list[Claim]:
    """Every evidence claim on the given nodes, once each."""
    seen: set[tuple[str, str]] = set()
    claims: list[Claim] = []
    captions: dict[str, str] = {}

    def caption(node_id: str) -> str:
        if node_id not in captions:
            node = store.node(node_id)
            captions[node_id] = node.caption if node else node_id
        return captions[node_id]

    for node_id in sorted(nodes):
        for direction in ("up", "down"):
            for edge in store.edges(node_id, direction=direction):
                citation = edge.properties.get(EVIDENCE_PROPERTY)
                key = (edge.provenance.source, edge.provenance.record_id)
                if not citation or key in seen:
                    continue
                seen.add(key)
                claims.append(Claim(
                    subject=edge.subject, subject_caption=caption(edge.subject), kind=edge.kind,
                    role=edge.role, object=edge.object, object_caption=caption(edge.object),
                    start_date=edge.start_date, end_date=edge.end_date,
                    percentage=edge.percentage, confidence=_first(edge, "confidence"),
                    description=_first(edge, "description"), citation=citation[0],
                    source=edge.provenance,
                ))
    claims.sort(key=lambda c: (c.citation, c.source.source, _natural(c.source.record_id)))
    return claims


def _natural(text: str) -> list[tuple[int, int | str]]:
    """`rusi-2` before `rusi-10`."""
    return [(0, int(part)) if part.isdigit() else (1, part)
            for part in re.split(r"(\d+)", text) if part]


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


def _first(edge: Edge, prop: str) -> str | None:
    values = edge.properties.get(prop)
    return values[0] if values else None


def _parties(
    store: Store, index: PathIndex, node_id: str, *, depth: int, shown: set[str], path: set[str],
    mode: str,
) -> list[Party]:
    """Everyone above a node, grouped so one relation stated by several sources shows once.

    `mode` "official" follows the official sources only; "evidence" takes the analysts' claims
    on this node and then every relation above them ("all"), each party marked with the
    citation when a claim puts it there. Evidence and official statements never share a party
    line, so a claim is never mistaken for a listing.
    """
    grouped: dict[tuple[str, str, str | None, bool], list[Edge]] = defaultdict(list)
    for edge in store.edges(node_id, direction="up"):
        claimed = EVIDENCE_PROPERTY in edge.properties
        if edge.subject == node_id or (mode == "official" and claimed) or (
            mode == "evidence" and not claimed
        ):
            continue
        grouped[(edge.subject, edge.kind, edge.role, claimed)].append(edge)
    parties: list[Party] = []
    for (subject, kind, role, claimed), edges in grouped.items():
        node = store.node(subject)
        if node is None:
            continue
        first = edges[0]
        repeated = subject in shown or subject in path
        facts = store.facts(subject)
        actor = state_actor_from(node.schema, facts)
        share = stated_share(first.percentage, first.properties)
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
            facts=_grouped(facts, PARTY_FACTS),
            sanctions=_sanctions(store.listings(subject)),
            repeated=repeated,
            state_actor=f"{actor.kind} ({actor.reason})" if actor else None,
            blocked=None if repeated else ownership_status(index, index.index[subject]),
            evidence=edges[0].properties[EVIDENCE_PROPERTY][0] if claimed else None,
            share=share.words if share is not None and not share.is_exact else None,
        )
        shown.add(subject)
        # A chain ends at a state actor: above a government is politics, not ownership.
        if not repeated and depth < MAX_DEPTH and actor is None:
            party.above = _parties(store, index, subject, depth=depth + 1, shown=shown,
                                   path=path | {subject},
                                   mode="official" if mode == "official" else "all")
        parties.append(party)
    parties.sort(key=lambda p: (_ROLE_ORDER.get(p.role or "", 99), p.caption))
    return parties


_ROLE_ORDER: Final = {
    "registered owner": 0, "beneficial owner": 1, "operator": 2, "ship manager": 3,
    "technical manager": 4, "ISM manager": 5, "commercial manager": 6, "linked": 7,
}

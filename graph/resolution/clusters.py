"""Clusters: connected components over accepted merges, with cannot-link constraints.

Links are applied strongest first: human `same` judgements, `same_as` pointers, shared exact
identifiers (IMO ship or company number), then the scorer's accepted merges from the highest score
down. A link that would join two clusters is refused when
- a human judged any record of one `different` from any record of the other (so a chain of
  other merges can never join what a person kept apart), or
- the clusters carry IMO ship numbers and share none (two ships are never one), or
- (for scored and judged links) the clusters carry another exclusive identifier of one kind (IMO
  company number, INN, OGRN, UN reference) and share none, or
- (for scored and judged links) the clusters hold different kinds of thing (ship, person,
  organisation, aircraft), or
- (for scored links) both clusters already hold a record of the same list: a list does not name
  one entity twice, so a chain A~B~C with A and C from one list is refused at its weaker link.

Canonical ids are derived from what a cluster is, never from load order: a singleton keeps its
`source:id`; a cluster with exactly one identifier takes it (`vessel:IMO9179842`,
`company:IMO6246853`); any other cluster a hash of its member gids. Reloading a list whose
records did not change therefore keeps every id.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from graph.model import Schema
from graph.resolution.records import schema_group

SHIP_KEY: Final = "imo-ship"
COMPANY_KEY: Final = "imo-company"


@dataclass(frozen=True, slots=True)
class ClusterInput:
    """What clustering sees of one record: its merge keys and `same_as` pointer."""

    gid: str
    schema: Schema
    keys: tuple[str, ...]
    same_as: str | None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A link the constraints refused, and why (for `judge` to report)."""

    a: str
    b: str
    reason: str


class _Clusters:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.ships: dict[str, frozenset[str]] = {}
        self.groups: dict[str, frozenset[str]] = {}
        self.exclusive: dict[str, dict[str, frozenset[str]]] = {}
        self.sources: dict[str, frozenset[str]] = {}
        self.members: dict[str, list[str]] = {}
        self.cannot: dict[str, set[str]] = defaultdict(set)

    def add(self, gid: str, group: str, ships: frozenset[str],
            exclusive: dict[str, frozenset[str]]) -> None:
        self.parent[gid] = gid
        self.exclusive[gid] = exclusive
        self.sources[gid] = frozenset({gid.split(":", 1)[0]})
        self.ships[gid] = ships
        self.groups[gid] = frozenset({group})
        self.members[gid] = [gid]

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def why_not(self, a: str, b: str, *, strict: bool, one_per_list: bool = False
                ) -> str | None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        small, other = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        for gid in self.members[small]:
            for partner in self.cannot.get(gid, ()):
                if partner in self.parent and self.find(partner) == other:
                    return f"judged different: {gid} / {partner}"
        if self.ships[ra] and self.ships[rb] and not (self.ships[ra] & self.ships[rb]):
            return (f"different IMO ship numbers: {'/'.join(sorted(self.ships[ra]))} vs "
                    f"{'/'.join(sorted(self.ships[rb]))}")
        if strict:
            ea, eb = self.exclusive[ra], self.exclusive[rb]
            for kind in ea.keys() & eb.keys():
                if not ea[kind] & eb[kind]:
                    return (f"different {kind}: {'/'.join(sorted(ea[kind]))} vs "
                            f"{'/'.join(sorted(eb[kind]))}")
        if strict and self.groups[ra] != self.groups[rb]:
            return (f"different kinds: {'/'.join(sorted(self.groups[ra]))} vs "
                    f"{'/'.join(sorted(self.groups[rb]))}")
        if one_per_list and self.sources[ra] & self.sources[rb]:
            return f"both hold a record of {'/'.join(sorted(self.sources[ra] & self.sources[rb]))}"
        return None

    def union(self, a: str, b: str, *, strict: bool, one_per_list: bool = False) -> str | None:
        """Join the clusters of a and b; the reason when a constraint refuses."""
        reason = self.why_not(a, b, strict=strict, one_per_list=one_per_list)
        if reason is not None:
            return reason
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        keep, gone = (ra, rb) if ra < rb else (rb, ra)
        self.parent[gone] = keep
        self.members[keep].extend(self.members.pop(gone))
        self.ships[keep] = self.ships[keep] | self.ships.pop(gone)
        self.groups[keep] = self.groups[keep] | self.groups.pop(gone)
        self.sources[keep] = self.sources[keep] | self.sources.pop(gone)
        ek, eg = self.exclusive[keep], self.exclusive.pop(gone)
        if eg:
            self.exclusive[keep] = {k: ek.get(k, frozenset()) | eg.get(k, frozenset())
                                    for k in ek.keys() | eg.keys()}
        return None


def build_clusters(
    records: Iterable[ClusterInput],
    merges: Iterable[tuple[str, str, float]] = (),
    judgements: Iterable[tuple[str, str, str]] = (),
    refusals: list[Refusal] | None = None,
    exclusive: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, str]:
    """Canonical id for every record. `merges` are the scorer's accepted pairs (a, b, score);
    `judgements` (a, b, verdict) the latest human verdict per pair (`same`, `different`,
    `unsure`); `exclusive` each record's exclusive identifiers as `kind:value` (an entity has
    one of each kind). Pairs naming a record that is not among `records` are ignored."""
    state = _Clusters()
    keys_of: dict[str, tuple[str, ...]] = {}
    same_as: list[tuple[str, str]] = []
    for record in records:
        ships = frozenset(k.split(":", 1)[1] for k in record.keys if k.startswith(SHIP_KEY + ":"))
        kinds: dict[str, set[str]] = defaultdict(set)
        for key in (exclusive or {}).get(record.gid, ()):
            kind, _, value = key.partition(":")
            kinds[kind].add(value)
        state.add(record.gid, schema_group(record.schema), ships,
                  {k: frozenset(v) for k, v in kinds.items()})
        keys_of[record.gid] = record.keys
        if record.same_as:
            same_as.append((record.gid, record.same_as))
    known = state.parent.keys()
    same: list[tuple[str, str]] = []
    for a, b, verdict in judgements:
        if a in known and b in known:
            if verdict == "different":
                state.cannot[a].add(b)
                state.cannot[b].add(a)
            elif verdict == "same":
                same.append((a, b))

    def link(a: str, b: str, *, strict: bool, one_per_list: bool = False) -> None:
        reason = state.union(a, b, strict=strict, one_per_list=one_per_list)
        if reason is not None and refusals is not None:
            refusals.append(Refusal(a, b, reason))

    for a, b in sorted(same):
        link(a, b, strict=True)
    for a, b in same_as:
        if b in known:
            link(a, b, strict=False)
    first_with: dict[str, str] = {}
    for gid in sorted(keys_of):
        for key in keys_of[gid]:
            first = first_with.setdefault(key, gid)
            if first != gid:
                link(first, gid, strict=False)
    for a, b, _ in sorted(merges, key=lambda m: (-m[2], m[0], m[1])):
        if a in known and b in known:
            link(a, b, strict=True, one_per_list=True)

    canonical: dict[str, str] = {}
    for root, members in state.members.items():
        del root
        cid = cluster_id(members, keys_of)
        for gid in members:
            canonical[gid] = cid
    return canonical


def cluster_id(members: list[str], keys_of: Mapping[str, tuple[str, ...]]) -> str:
    """A cluster's canonical id, derived from its members and identifiers only."""
    if len(members) == 1:
        return members[0]
    keys = sorted({k for gid in members for k in keys_of.get(gid, ())})
    if len(keys) == 1:
        space, number = keys[0].split(":", 1)
        prefix = "vessel" if space == SHIP_KEY else "company"
        return f"{prefix}:IMO{number}"
    digest = hashlib.sha1("\n".join(sorted(members)).encode()).hexdigest()[:16]
    return f"cluster:{digest}"

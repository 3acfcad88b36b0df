"""Which records are the same real-world entity: the resolution seam.

Today's resolver merges on exact, validated identifiers only: the same IMO ship number makes one
vessel, the same IMO company number one company, and a record that points at another (`same_as`)
joins it. A fuzzy resolver (names across scripts, scored and judged) plugs in behind the same
function: it receives every current record's identifying facts and returns a canonical id for each.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from graph.identifiers import clean_imo_company, clean_imo_ship
from graph.model import PARTY_SCHEMATA, Schema


@dataclass(frozen=True, slots=True)
class ResolverInput:
    """What the resolver sees of one record: for `identifier_keys`, its raw IMO numbers; for
    `resolve_exact`, the merge keys already derived from them."""

    gid: str
    schema: Schema
    keys: tuple[str, ...]
    same_as: str | None


#: Identifier key prefixes. A ship's and a company's IMO numbers live in different key spaces, so
#: a company number that happens to equal some ship number can never merge the two.
SHIP_KEY: Final = "imo-ship"
COMPANY_KEY: Final = "imo-company"
#: Key spaces that merge records. MMSI is indexed for lookup only: numbers are reassigned.
MERGE_KEY_SPACES: Final = frozenset({SHIP_KEY, COMPANY_KEY})
MMSI_KEY: Final = "mmsi"


def identifier_keys(record: ResolverInput) -> list[str]:
    """Merge keys of one record: validated IMO numbers in the key space of its schema."""
    keys: list[str] = []
    for raw in record.keys:
        if record.schema is Schema.VESSEL:
            ship = clean_imo_ship(raw)
            if ship:
                keys.append(f"{SHIP_KEY}:{ship}")
        elif record.schema in PARTY_SCHEMATA:
            company = clean_imo_company(raw)
            if company:
                keys.append(f"{COMPANY_KEY}:{company}")
    return keys


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            root = self.find(parent)
            self.parent[item] = root
            return root
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def resolve_exact(records: Iterable[ResolverInput]) -> dict[str, str]:
    """Canonical id for every record, merging on shared identifier keys and `same_as` links.

    A singleton keeps its own `source:id` as canonical id; a cluster takes an id built from its
    identifier (`vessel:IMO9179842`, `company:IMO6183435`) when it has exactly one, else a hash of
    its members, so that ids stay the same as long as the cluster does.
    """
    uf = _UnionFind()
    by_key: dict[str, str] = {}
    record_keys: dict[str, list[str]] = {}
    gids: list[str] = []
    for record in records:
        gids.append(record.gid)
        uf.find(record.gid)
        keys = list(record.keys)
        record_keys[record.gid] = keys
        for key in keys:
            first = by_key.setdefault(key, record.gid)
            uf.union(first, record.gid)
        if record.same_as:
            uf.union(record.gid, record.same_as)
    members: dict[str, list[str]] = defaultdict(list)
    for gid in gids:
        members[uf.find(gid)].append(gid)
    canonical: dict[str, str] = {}
    for group in members.values():
        cid = _cluster_id(group, record_keys)
        for gid in group:
            canonical[gid] = cid
    return canonical


def _cluster_id(group: list[str], record_keys: Mapping[str, list[str]]) -> str:
    if len(group) == 1:
        return group[0]
    keys = sorted({k for gid in group for k in record_keys.get(gid, [])})
    if len(keys) == 1:
        space, number = keys[0].split(":", 1)
        prefix = "vessel" if space == SHIP_KEY else "company"
        return f"{prefix}:IMO{number}"
    digest = hashlib.sha1("\n".join(sorted(group)).encode()).hexdigest()[:16]
    return f"cluster:{digest}"

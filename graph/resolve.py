"""Which records are the same real-world entity: the seam between the store and resolution.

The store calls `resolve_clusters` inside every load's transaction (and after `resolve`): it
receives every current record's identifying keys, the scorer's accepted merges and the human
judgements already stored, and returns a canonical id for each record. Merging on exact,
validated identifiers is cheap and happens here on every load: the same IMO ship number makes one
vessel, the same IMO company number one company, and a record that points at another (`same_as`)
joins it. Scoring fuzzy pairs is the expensive part and runs in `sanctions-graph resolve`
(`graph.resolution.engine`); its accepted merges are stored, so a later load keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from graph.identifiers import clean_imo_company, clean_imo_ship
from graph.model import PARTY_SCHEMATA, Schema
from graph.resolution.clusters import (
    COMPANY_KEY,
    SHIP_KEY,
    ClusterInput,
    Refusal,
    build_clusters,
)

#: What the resolver sees of one record (the name the foundation gave it).
ResolverInput = ClusterInput

#: Key spaces that merge records. MMSI is indexed for lookup only: numbers are reassigned.
#: A ship's and a company's IMO numbers live in different key spaces, so a company number that
#: happens to equal some ship number can never merge the two.
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


def resolve_exact(records: Iterable[ResolverInput]) -> dict[str, str]:
    """Canonical id for every record, merging on shared identifier keys and `same_as` only."""
    return build_clusters(records)


def resolve_clusters(
    records: Iterable[ResolverInput],
    merges: Iterable[tuple[str, str, float]],
    judgements: Iterable[tuple[str, str, str]],
    refusals: list[Refusal] | None = None,
    exclusive: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, str]:
    """Canonical id for every record: exact keys and `same_as`, the scorer's accepted merges and
    the human judgements, under the cannot-link constraints of `graph.resolution.clusters`."""
    return build_clusters(records, merges, judgements, refusals, exclusive)


__all__ = ["COMPANY_KEY", "MERGE_KEY_SPACES", "MMSI_KEY", "SHIP_KEY", "ResolverInput",
           "identifier_keys", "resolve_clusters", "resolve_exact"]

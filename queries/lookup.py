"""Finding nodes from what a user types: an IMO number, an MMSI, an id, or a name (typos too)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from graph.errors import QueryError
from graph.identifiers import clean_imo_ship, clean_mmsi, imo_ship_check_digit, looks_like_imo
from graph.model import Schema
from graph.normalize import normalize_name, normalize_vessel_name
from graph.resolve import MMSI_KEY, SHIP_KEY
from graph.store import Store

#: Least rapidfuzz ratio (0-100) for a misspelt name to count: ANGRA~ANGARA is 91, while
#: unrelated short names (MARIA~MARINA, 91 too) are only reached when nothing matches exactly.
FUZZY_CUTOFF: Final = 80.0
#: Most fuzzy candidates returned; past that the user should give an IMO number.
FUZZY_LIMIT: Final = 10
#: Fuzzy hits this far below the best one are dropped: a typo should find its ship, not every
#: ship whose name is a little like it.
FUZZY_BAND: Final = 5.0


@dataclass(frozen=True, slots=True)
class Lookup:
    """Nodes that fit a query and how they were found."""

    query: str
    matched_by: str
    ids: tuple[str, ...]


def find_vessels(store: Store, query: str) -> Lookup:
    """Vessels for a ship name, an IMO number (`9179842`, `IMO 9179842`) or an MMSI."""
    text = query.strip()
    if not text:
        raise QueryError("empty query: give a ship name, an IMO number or an MMSI")
    if looks_like_imo(text):
        imo = clean_imo_ship(text)
        if imo is None:
            digits = "".join(c for c in text if c.isdigit())
            expected = imo_ship_check_digit(digits[:6])
            raise QueryError(
                f"{text!r} is not a valid IMO ship number: its check digit should be {expected} "
                f"(IMO {digits[:6]}{expected}); a 7-digit IMO company number is not a ship's"
            )
        return Lookup(query, "IMO number", tuple(store.by_key(f"{SHIP_KEY}:{imo}")))
    mmsi = clean_mmsi(text)
    if mmsi is not None:
        return Lookup(query, "MMSI", tuple(store.by_key(f"{MMSI_KEY}:{mmsi}")))
    return find_by_name(store, text, Schema.VESSEL)


def find_by_name(store: Store, name: str, schema: Schema | None = None) -> Lookup:
    """Nodes whose name or alias is the name (after normalisation), else the closest spellings."""
    norm = normalize_vessel_name(name) if schema is Schema.VESSEL else normalize_name(name)
    if not norm:
        raise QueryError(f"{name!r} has no letters or digits to look up")
    exact = store.by_norm_name(norm, schema)
    if exact:
        return Lookup(name, "name", tuple(exact))
    # Imported here: only a name that matches nothing exactly needs fuzzy matching.
    from rapidfuzz import fuzz, process

    choices = store.norm_names(schema)
    hits = process.extract(norm, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF,
                           limit=FUZZY_LIMIT)
    ids: dict[str, None] = {}
    best = hits[0][1] if hits else 0.0
    for choice, score, _ in hits:
        if score < best - FUZZY_BAND:
            break
        for cid in store.by_norm_name(choice, schema):
            ids.setdefault(cid)
    return Lookup(name, "similar name", tuple(ids))

"""What the matcher reads and answers: a query, a match, a row's result, the settings, and the
small records passed between its steps (named fields, never positions)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any, Final, NamedTuple

from graph.matching.text import ORG_SCHEMATA
from graph.normalize import normalize_name
from queries.screening.defaults import (
    DEFAULT_ALGORITHM,
    DEFAULT_LIMIT,
    MATCH_THRESHOLD,
    REVIEW_THRESHOLD,
)
from queries.screening.index import IndexedEntity

#: Which node schemata a query schema can match.
COMPATIBLE: Final[dict[str, frozenset[str]]] = {
    "Person": frozenset({"Person"}),
    "Vessel": frozenset({"Vessel"}),
    "Airplane": frozenset({"Airplane"}),
    "Company": ORG_SCHEMATA,
    "Organization": ORG_SCHEMATA,
    "PublicBody": ORG_SCHEMATA,
    "LegalEntity": ORG_SCHEMATA | {"Person"},
}
SCHEMATA: Final = tuple(COMPATIBLE)
SCHEMA_ROWS: Final = {s: i for i, s in enumerate(SCHEMATA)}

#: Query names are normalised one way per class of candidate (`text.match_tokens`): vessels
#: lose prefixes, organisations legal forms, the rest neither. A schema standing for each,
#: at the class's position.
CLASS_SCHEMA: Final = ("Person", "Vessel", "Company")
PERSON_CLASS: Final = 0
VESSEL_CLASS: Final = 1
ORG_CLASS: Final = 2


def schema_class(schema: str) -> int:
    """The class of candidate (`CLASS_SCHEMA`) a schema's names are compared as."""
    return VESSEL_CLASS if schema == "Vessel" else ORG_CLASS if schema in ORG_SCHEMATA \
        else PERSON_CLASS


#: How much of an unreadable value a message quotes.
QUOTED_CHARS: Final = 40


def unreadable_name(name: str) -> str | None:
    """Why a name cannot be compared (it has no letters or digits: punctuation, emoji,
    symbols), or None. No match on such a name is no `clear`."""
    if normalize_name(name):
        return None
    shown = name if len(name) <= QUOTED_CHARS else name[:QUOTED_CHARS] + "…"
    return f"name {shown!r} has no letters or digits"


@dataclass(frozen=True, slots=True)
class Query:
    """One input row as the matcher reads it. `error` set: the row could not be read."""

    row: int
    id: str
    name: str
    schema: str | None = None
    countries: tuple[str, ...] = ()
    date: str | None = None
    imo: str | None = None
    mmsi: str | None = None
    identifiers: tuple[str, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()

    def readable(self) -> Query:
        """This query, or one marked unreadable when it has nothing to compare (an unreadable
        name and no identifier): the files `screen` reads say so when they are parsed, a query
        made in code says so here."""
        if self.error or self.imo or self.mmsi or self.identifiers:
            return self
        reason = unreadable_name(self.name)
        return self if reason is None else replace(self, error=reason)


@dataclass(slots=True)
class Match:
    """One node a query may be, with its score and the reasons."""

    entity_id: str
    caption: str
    schema: str
    score: float
    matched_name: str
    imo: str | None
    sources: tuple[str, ...]
    programs: tuple[str, ...]
    explanation: str
    features: dict[str, float]

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its fields (workers send results back): a third of the default's time.
        return Match, _MATCH_FIELDS(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id, "caption": self.caption, "schema": self.schema,
            "score": self.score, "matched_name": self.matched_name, "imo": self.imo,
            "sources": list(self.sources), "programs": list(self.programs),
            "explanation": self.explanation, "features": self.features,
        }


@dataclass(slots=True)
class Result:
    """The answer for one input row."""

    row: int
    id: str
    decision: str
    matches: list[Match]
    error: str | None = None
    warnings: tuple[str, ...] = ()
    input: dict[str, Any] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        return Result, _RESULT_FIELDS(self)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "decision": self.decision,
                               "matches": [m.to_dict() for m in self.matches]}
        if self.error:
            out["error"] = self.error
        if self.warnings:
            out["warnings"] = list(self.warnings)
        for key, value in self.input.items():
            if key not in out:
                out[key] = value
            elif key != "id":
                out[f"input_{key}"] = value
        return out


_MATCH_FIELDS: Final = attrgetter(*Match.__match_args__)
_RESULT_FIELDS: Final = attrgetter(*Result.__match_args__)


@dataclass(frozen=True, slots=True)
class Settings:
    threshold: float = MATCH_THRESHOLD
    review_threshold: float = REVIEW_THRESHOLD
    limit: int = DEFAULT_LIMIT
    sources: frozenset[str] | None = None
    schema: str | None = None
    #: The name of the algorithm (`features.ALGORITHMS`): a named list of features.
    algorithm: str = DEFAULT_ALGORITHM


class Variant(NamedTuple):
    """A query's name as compared with one class of candidate (`CLASS_SCHEMA`): its tokens,
    sorted key, written-order key, skeleton key, whether the skeleton is long enough to raise
    a score, its distinct words and their summed rarity, whether it is written in Arabic
    script, and whether it is an organisation's (generic words count less)."""

    tokens: tuple[str, ...]
    key: str
    plain: str
    sound: str
    sound_ok: bool
    words: frozenset[str]
    mass: float
    abjad: bool
    org: bool


class NameHit(NamedTuple):
    """A candidate node's best name for one query: its similarity, the position of that name
    among the node's names, and which name features fired on it (bits of `Algorithm.bit`)."""

    similarity: float
    best_i: int
    how: int


class Scored(NamedTuple):
    """A candidate of one row as `screen_many` ranks it: score, node id, the node, the features
    that moved the score (name -> value), what decided it if anything (the deciding feature's
    words), and its best name (`NameHit`)."""

    score: float
    id: str
    entity: IndexedEntity
    features: dict[str, float]
    decisive: str | None
    best_i: int
    how: int

"""Features as named data: each feature the matcher scores with is one object that carries its
name, its kind, why it exists, its weights or steps, the index postings it reads, the function
that scores it and the words that explain it. An algorithm is a named list of features
(`algorithms.ALGORITHMS`), so the explanation a match carries is made from the features that
fired, and adding a feature is writing one object and naming it in an algorithm.

Kinds, in the order a pair's score is made:

* `name`: a step of the name similarity, run over a whole batch of (query, listed name) pairs
  in the algorithm's order; a step may raise a similarity (a spelling or script variant), hold
  it (a relative's name, generic words) or lower it (a short name). Each marks the pairs it
  changed with its bit, and the explanation says, in the algorithm's order, what each marked
  step found.
* `decides`: an identifier shared by query and node: the score is 1.0, whatever the names.
* `adjust`: adds its value to the name similarity (country, date) when nothing decided.
* `cap`: holds the score at its cap (an IMO conflict: two ships).
* `informs`: said in the explanation, never scored (an MMSI is reassigned, so it only informs).
* `row`: over a row's ranked candidates (a close call: two entities fit equally well).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from queries.screening.index import IndexedEntity
    from queries.screening.names import NameBatch
    from queries.screening.types import Match, Query, Scored


class Kind(StrEnum):
    NAME = "name"
    DECIDES = "decides"
    ADJUST = "adjust"
    CAP = "cap"
    INFORMS = "informs"
    ROW = "row"


@dataclass(frozen=True, slots=True, eq=False)
class Feature:
    """What every feature declares: its name (the key of a match's `features`), kind, why it
    exists, its weights or steps by name, and the parts of the index it reads."""

    name: str
    kind: Kind
    why: str
    params: Mapping[str, float]
    postings: tuple[str, ...]

    def describe(self) -> dict[str, Any]:
        """The feature as a table row (`sanctions-graph screen --algorithms`)."""
        return {"name": self.name, "kind": str(self.kind), "why": self.why,
                "params": dict(self.params), "postings": list(self.postings)}


#: A name step: changes the batch's similarities and marks the pairs it changed.
NameStep = Callable[["NameBatch", "NameFeature"], None]
#: What a name step found on one pair, in words: (the feature, the query's tokens, the listed
#: name's tokens) -> a note, or None for nothing to say.
NameNote = Callable[["NameFeature", Sequence[str], Sequence[str]], "str | None"]


@dataclass(frozen=True, slots=True, eq=False)
class NameFeature(Feature):
    """A step of the name similarity (`names.NameBatch`)."""

    step: NameStep
    note: NameNote
    #: Word by word (the `soft` step) would undo what this found: it compares spellings.
    settles: bool = False


#: A pair feature's value for a query and a node, or None when it does not fire.
PairScore = Callable[["Query", "IndexedEntity", "PairFeature"], "float | None"]
#: A fired pair feature in words: (query, node, its value, the feature) -> a reason.
PairWords = Callable[["Query", "IndexedEntity", float, "PairFeature"], str]


@dataclass(frozen=True, slots=True, eq=False)
class PairFeature(Feature):
    """A feature of a query and a node beyond their names (kinds `decides`, `adjust`, `cap`,
    `informs`). `reads`: the query's fields it needs; a query with none of its algorithm's
    pair features' fields is scored by its name alone (the fast path)."""

    reads: tuple[str, ...]
    score: PairScore
    explain: PairWords


#: A row feature's finding: positions of the ranked candidates it concerns, each with why.
RowScore = Callable[[Sequence["Scored"], float, "RowFeature"], list[tuple[int, str]]]
RowWords = Callable[[Sequence[tuple["Match", str]], "RowFeature"], str]


@dataclass(frozen=True, slots=True, eq=False)
class RowFeature(Feature):
    """A feature of a row's ranked candidates (kind `row`): `score(ranked, threshold)` names
    the candidates it concerns; the best match then carries the feature with their number, and
    its explanation the words."""

    score: RowScore
    explain: RowWords


#: Every feature, by name.
FEATURES: dict[str, Feature] = {}

F = TypeVar("F", bound=Feature)


def register(feature: F) -> F:
    """Make a feature known by its name (an algorithm lists features by name)."""
    if feature.name in FEATURES:
        raise ValueError(f"feature {feature.name!r} is registered twice")
    FEATURES[feature.name] = feature
    return feature


@dataclass(frozen=True, slots=True, eq=False)
class Algorithm:
    """A named list of features: name steps run and explain in this order, then the pair and
    row features. `names`, `pairs` and `rows` are the list's features of each class, and
    `bits` each name feature's bit in a `NameHit.how`, by its place (`make_algorithm`)."""

    name: str
    why: str
    features: tuple[Feature, ...]
    names: tuple[NameFeature, ...]
    pairs: tuple[PairFeature, ...]
    rows: tuple[RowFeature, ...]
    bits: Mapping[str, int]

    def reads(self) -> frozenset[str]:
        """The query fields the pair features read."""
        return frozenset(field for f in self.pairs for field in f.reads)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "why": self.why,
                "features": [f.describe() for f in self.features]}


def make_algorithm(name: str, why: str, features: Sequence[str]) -> Algorithm:
    """An algorithm from registered features' names, checked: name steps need the `name` step
    first (it makes the similarities the others move)."""
    found = tuple(FEATURES[f] for f in features)
    steps = tuple(f for f in found if isinstance(f, NameFeature))
    if not steps or steps[0].name != "name":
        raise ValueError(f"algorithm {name!r}: the name step comes first")
    return Algorithm(name, why, found, steps,
                     tuple(f for f in found if isinstance(f, PairFeature)),
                     tuple(f for f in found if isinstance(f, RowFeature)),
                     {f.name: 1 << i for i, f in enumerate(steps)})

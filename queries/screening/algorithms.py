"""Algorithms by name: each a named list of registered features (`features`), found by
`algorithm(name)` (`screen --algorithm`, the HTTP API's `algorithm`)."""

from __future__ import annotations

from typing import Final

# The feature modules register their features when imported.
from queries.screening import names, pairs  # noqa: F401
from queries.screening.defaults import DEFAULT_ALGORITHM
from queries.screening.features import Algorithm, make_algorithm

#: The name steps, in the order they run and explain themselves.
NAME_STEPS: Final = ("name", "sound", "subset", "one_word", "acronym", "abjad", "soft", "held",
                     "word_missing", "name_chain", "number", "generic", "short", "exact")

ALGORITHMS: Final[dict[str, Algorithm]] = {a.name: a for a in (
    make_algorithm(
        DEFAULT_ALGORITHM,
        "every feature: names in any script and spelling, identifiers that decide, country and "
        "dates that move the score, close calls sent to review",
        (*NAME_STEPS, "imo_conflict", "identifier", "country", "date", "mmsi_other",
         "close_call")),
    make_algorithm(
        "name-based",
        "names and identifiers only: a row's country and date neither raise nor lower a score "
        "(for files whose country or date columns are not the parties' own)",
        (*NAME_STEPS, "imo_conflict", "identifier", "mmsi_other", "close_call")),
)}


class UnknownAlgorithm(ValueError):
    """An algorithm name no algorithm has."""


def algorithm(name: str) -> Algorithm:
    """The algorithm of that name."""
    found = ALGORITHMS.get(name)
    if found is None:
        raise UnknownAlgorithm(f"unknown algorithm {name!r}; one of {', '.join(ALGORITHMS)}")
    return found

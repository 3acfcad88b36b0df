"""Decisions: merge above a threshold, a review band below it, and human judgements that win.

The thresholds are tuned on the evaluation in `benchmarks/resolution.py` (with identifiers hidden,
so that names, dates and countries alone must carry the decision): at 0.75 an exact name with
nothing against it merges, a near name (a transliteration, a dropped legal form) needs one more
piece of evidence (country, flag, build year, an identifier), and an exact name worn by several
records of one list needs that too once anything speaks against it; pairs between 0.50 and 0.75
wait for a person in `sanctions-graph review`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

#: A pair at or above this score is merged.
MERGE_THRESHOLD: Final = 0.75
#: Pairs from here up to the merge threshold form the review band.
REVIEW_THRESHOLD: Final = 0.5
#: Pairs below this are not kept in the store (they are re-scored only if a record changes).
KEEP_THRESHOLD: Final = 0.3


class Decision(StrEnum):
    MERGE = "merge"
    REVIEW = "review"
    REJECT = "reject"


class Verdict(StrEnum):
    """A person's judgement on a pair."""

    SAME = "same"
    DIFFERENT = "different"
    UNSURE = "unsure"


def decide(score: float) -> Decision:
    if score >= MERGE_THRESHOLD:
        return Decision.MERGE
    if score >= REVIEW_THRESHOLD:
        return Decision.REVIEW
    return Decision.REJECT

"""Name similarity of two listed records, from the keys, measures and steps screening uses
(`text.match_tokens`, `text.skeleton`, `words.soft_tokens`, `words.words_found`,
`words.name_chain`, the figures of `tuning`), tuned for comparing one list's record with
another's.

Screening compares a query with an index; resolution compares two records, both listed, both
written by a list's clerks, and stores the result for later runs. Where that changes the rules
(each named where it is set):

* word rarity cannot follow the store's counts (a stored score must not change when another
  list is loaded), so a word's weight comes from a fixed table of common words (`word_weight`);
* two ships' names that differ in a number (HYUNDAI MIPO 2655 / 2656, ZU ZAG BONG 5 / 6,
  MARIE DE LOURDES / MARIE DE LOURDES I) are sister ships, never one ship (`NUMBER_CAP`): a
  query may be mistyped, a listed hull number is not;
* the same figure means another thing: a relative's name held at `PERSON_WORD_CAP` is review in
  a screen, and below a merge on the name alone in resolution, so that a birth date or a
  country must carry it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from rapidfuzz import fuzz
from rigour.text import is_stopword

from graph.matching.text import skeleton
from graph.matching.tuning import (
    PERSON_CHECK_FROM,
    PERSON_WORD_CAP,
    RARE_SLACK,
    SHORT_NAME,
    SHORT_NAME_PENALTY,
    SOFT_FACTOR,
    SOFT_FLOOR,
    SOFT_TOKENS_BELOW,
    SOUND_FACTOR,
    SOUND_FLOOR,
    SOUND_LETTERS,
    SOUND_RAISE,
    SUBSET_COVER,
    SUBSET_FACTOR,
)
from graph.matching.words import name_chain, soft_tokens, words_found

#: Resolution only: two names that differ in a number are two ships (see the module's
#: docstring), held here, below the name floor of the scorer.
NUMBER_CAP: Final = 0.5
#: Resolution only: a word's weight in word-by-word measures. Words that many names share say
#: little (a fixed table, since stored scores must not follow the store's word counts).
COMMON_WORD_WEIGHT: Final = 0.3
STOPWORD_WEIGHT: Final = 0.1
COMMON_WORDS: Final = frozenset({
    "company", "trading", "trade", "shipping", "international", "group", "holding", "holdings",
    "bank", "plant", "factory", "zavod", "institute", "research", "scientific", "production",
    "industrial", "industries", "industry", "enterprise", "enterprises", "services", "service",
    "management", "marine", "maritime", "sea", "ocean", "star", "global", "general", "national",
    "state", "federal", "russian", "federation", "korea", "korean", "iran", "energy", "oil",
    "gas", "petroleum", "technology", "technologies", "engineering", "design", "bureau",
    "center", "centre", "association", "corporation", "partnership", "limited", "joint",
    "stock", "public", "open", "closed", "private", "organization", "military", "unit",
    "logistics", "investment", "development", "export", "import", "transport", "navigation",
    "line", "lines", "fleet", "tanker", "tankers", "nauchno", "proizvodstvennoe",
    "obedinenie", "kompaniya", "gruppa", "tsentr", "institut", "abu", "al", "bin", "ibn",
    "muhammad", "mohammad", "mohammed", "muhammed", "ali", "ahmad", "ahmed", "abd", "abdul",
})
_NUMBER: Final = re.compile(r"^(?:\d+\w*|[ivx]{1,4})$")
_ROMAN: Final = frozenset({"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi",
                           "xii"})


@lru_cache(maxsize=100_000)
def word_weight(word: str) -> float:
    """A word's weight in word-by-word measures (see COMMON_WORDS)."""
    if len(word) <= 2 or is_stopword(word):
        return STOPWORD_WEIGHT
    return COMMON_WORD_WEIGHT if word in COMMON_WORDS else 1.0


@lru_cache(maxsize=100_000)
def numbers(tokens: tuple[str, ...]) -> frozenset[str]:
    """The numbers of a name: digit words (2655, 5, 20924) and Roman numerals (I, II, IV)."""
    return frozenset(t for t in tokens if (t[0].isdigit() and _NUMBER.match(t)) or t in _ROMAN)


@dataclass(frozen=True, slots=True)
class NameMatch:
    """How alike two names are (0..1) and how that came about (for the explanation)."""

    similarity: float
    how: str


@lru_cache(maxsize=200_000)
def compare_names(a: tuple[str, ...], b: tuple[str, ...], kind: str) -> NameMatch:
    """Similarity of two names given as their match tokens in written order
    (`text.match_tokens`); `kind` is the records' group (`vessel`, `person`, `org`...)."""
    sorted_a, sorted_b = " ".join(sorted(a)), " ".join(sorted(b))
    if sorted_a == sorted_b:
        return NameMatch(1.0, "exact")
    if kind == "vessel" and numbers(a) != numbers(b):
        sim = max(fuzz.ratio(sorted_a, sorted_b), fuzz.ratio(" ".join(a), " ".join(b))) / 100
        return NameMatch(min(sim, NUMBER_CAP), "numbers differ: sister ships")
    if kind != "vessel" and numbers(a) and numbers(b) and numbers(a) != numbers(b):
        return NameMatch(NUMBER_CAP, "numbers differ")
    sim = max(fuzz.ratio(sorted_a, sorted_b), fuzz.ratio(" ".join(a), " ".join(b))) / 100
    how = "spelling"
    if SOUND_FLOOR <= sim < SOUND_FACTOR:
        ska = " ".join(sorted(skeleton(t) for t in a))
        skb = " ".join(sorted(skeleton(t) for t in b))
        if min(len(ska.replace(" ", "")), len(skb.replace(" ", ""))) >= SOUND_LETTERS:
            heard = min(fuzz.ratio(ska, skb) / 100 * SOUND_FACTOR, sim + SOUND_RAISE)
            if heard > sim:
                sim, how = heard, "sounds alike"
    if len(a) >= 2 and len(b) >= 2 and sim < 0.97:
        shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
        if set(shorter) <= set(longer):
            # Summed in one order (sorted), not a set's: the last bits of a float sum follow
            # its order, and a set's order the process's hash seed.
            mass = sum(word_weight(w) for w in sorted(set(longer)))
            cover = sum(word_weight(w) for w in sorted(set(shorter))) / mass if mass else 0.0
            subset = SUBSET_FACTOR + SUBSET_COVER * cover
            if subset > sim:
                sim, how = subset, "one name holds the other's words"
    if SOFT_FLOOR <= sim < SOFT_TOKENS_BELOW and (len(a) >= 2 or len(b) >= 2):
        by_word = soft_tokens(a, b, word_weight) * SOFT_FACTOR
        if by_word > sim:
            sim, how = by_word, "word by word"
        elif by_word + RARE_SLACK < sim:
            sim, how = by_word + RARE_SLACK, "weighty words differ"
    if kind == "person" and sim > PERSON_WORD_CAP and sim >= PERSON_CHECK_FROM \
            and len(a) >= 2 and len(b) >= 2:
        if not words_found(a, b):
            sim, how = PERSON_WORD_CAP, "a given name or surname differs"
        elif abs(len(a) - len(b)) == 1 and name_chain({" ".join(a)}, {" ".join(b)}):
            sim, how = PERSON_WORD_CAP, "one name is the other's after a given name"
    if len(sorted_a) < SHORT_NAME and len(sorted_b) < SHORT_NAME:
        sim, how = max(sim - SHORT_NAME_PENALTY, 0.0), how + ", short name"
    return NameMatch(sim, how)

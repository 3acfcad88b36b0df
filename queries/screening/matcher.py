"""Scoring queries against the index, a batch at a time: blocking, named features, a score and
its explanation.

The score is the best name similarity between the query and any name of the node (0..1), moved
by the other features; a strong identifier decides on its own:

* `identifier`: the query's IMO ship number, MMSI, or a tax / registration / passport number equal
  to one of the node's: score 1.0 whatever the names.
* `imo conflict`: query and node both have IMO ship numbers and none is shared: the score is held
  at `IMO_CONFLICT_CAP`, below the review threshold, however alike the names (two ships).
* `name`: rapidfuzz similarity of the match keys (Latin script, no legal form or vessel prefix,
  tokens sorted; the written order is tried too); a name contained in the other (a person without
  the patronymic) counts `SUBSET_FACTOR` of a full match; a near-miss on a short name
  (MARIA~MARINA) loses `SHORT_NAME_PENALTY`, since one letter there is often another ship;
  names whose consonant skeletons agree (`text.skeleton`: SHUGAEV/SHUGAYEV, MHMD/MUHAMMAD) are
  transliteration variants, and rise by at most `SOUND_RAISE`. Two people whose names differ in
  a whole word (siblings) or by one given name in front (a name chain: a parent or child) are
  held at `PERSON_WORD_CAP`, review. A name written in Arabic script and a Latin one compare
  by their consonants (`text.abjad_key`: that script writes no short vowels), at
  `ABJAD_FACTOR`; an organisation's one-word name that is the other's initials (IMU) scores
  `ACRONYM_SCORE`, review.
* `country`, `date` (birth date of a person, build year of a vessel): agreement raises the score a
  little, disagreement lowers it more.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import pairwise
from operator import attrgetter
from typing import Any, Final, NamedTuple

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from graph.matching.text import (
    ABJAD_FEATURE,
    DISTINCTIVE_LETTERS,
    INITIALS_FEATURE,
    ORG_SCHEMATA,
    SHORT_NAME_FEATURE,
    SPELLING_MIN,
    abjad_key,
    acronym_feature,
    deletions,
    distinctive,
    given_first,
    is_abjad,
    match_tokens,
    query_acronyms,
    skeleton,
    sorted_key,
    spelling_hash,
    trigrams,
)
from graph.matching.words import (
    distinctive_agree,
    found_in,
    name_chain,
    soft_tokens,
    words_found,
)
from graph.normalize import (
    MAX_NAME_CHARS,
    MAX_NAME_WORDS,
    MAX_WORD_CHARS,
    name_is_bounded,
    normalize_name,
)

# The default thresholds and limit live apart (the CLI's help shows them); re-exported here.
from queries.screening.defaults import DEFAULT_LIMIT as DEFAULT_LIMIT
from queries.screening.defaults import MATCH_THRESHOLD as MATCH_THRESHOLD
from queries.screening.defaults import REVIEW_THRESHOLD as REVIEW_THRESHOLD
from queries.screening.index import SHORT_KEY, IndexedEntity, ScreenIndex

#: Score a node with a different IMO ship number can reach at most: under review, so a ship
#: whose IMO the user gave never "matches" a namesake.
IMO_CONFLICT_CAP: Final = 0.5
#: A name whose tokens all occur in the other name (missing patronymic, extra word) counts
#: between SUBSET_FACTOR and SUBSET_FACTOR + SUBSET_COVER of a full match, by the share of the
#: longer name's rarity (idf) the shorter covers: SERGEY MATVIYENKO in MATVIYENKO SERGEY
#: VLADIMIROVICH matches; AL JIHAD in AL QAIDA OF JIHAD IN THE ARABIAN PENINSULA does not.
SUBSET_FACTOR: Final = 0.8
SUBSET_COVER: Final = 0.15
#: A one-word name that is a word of a longer query (CITADEL for CITADEL HOLDING) counts
#: between ONE_WORD_FACTOR and ONE_WORD_MAX, by the share of the query's rarity it holds:
#: never a match on its own.
ONE_WORD_FACTOR: Final = 0.7
ONE_WORD_MAX: Final = ONE_WORD_FACTOR + SUBSET_COVER
#: Word-by-word similarity (for spelling variants across transliterations: SERGEY/SERGEI) is
#: computed when the whole-name measures stay under this, and counts this much of a full match.
SOFT_TOKENS_BELOW: Final = 0.9
SOFT_FACTOR: Final = 0.95
#: ... but not for names this unlike (nothing word by word would rescue), only for each node's
#: closest name, and only for the SOFT_NODES nodes closest to the query as written and the
#: SOFT_FIRST the blocking ranked first (it runs in Python, a call per pair; one first-ranked
#: node measured as well as three on the benchmark's sets, recall@1 0.915 against 0.914).
SOFT_FLOOR: Final = 0.4
SOFT_NODES: Final = 3
SOFT_FIRST: Final = 1
#: A name alike letter by letter scores at most this much above its word-by-word similarity.
RARE_SLACK: Final = 0.1
#: Words the index does not know weigh like a word this many names hold.
UNKNOWN_WORD_DF: Final = 30
#: Non-identical names both shorter than this many characters lose SHORT_NAME_PENALTY.
SHORT_NAME: Final = SHORT_KEY
#: Up to this many names, `prepare` decodes every name's keys before workers fork (they share
#: them); a larger index decodes only the names a screen compares.
SHARED_NAMES: Final = 1_000_000
SHORT_NAME_PENALTY: Final = 0.06
#: A person's name one of whose words has no counterpart in the other's (ALI / UDAY SADDAM
#: HUSSEIN AL-TIKRITI) is held at this (review): relatives share all but a given name.
#: Checked for names this alike or more.
PERSON_WORD_CAP: Final = 0.85
PERSON_CHECK_FROM: Final = 0.8
COUNTRY_AGREES: Final = 0.03
COUNTRY_DIFFERS: Final = -0.08
#: Ships change flag often: a different flag says less than a different nationality.
FLAG_DIFFERS: Final = -0.03
DATE_AGREES: Final = 0.05
YEAR_AGREES: Final = 0.02
DATE_DIFFERS: Final = -0.15
BUILD_YEAR_AGREES: Final = 0.03
BUILD_YEAR_DIFFERS: Final = -0.08

#: Two organisations' names whose generic words agree (TRADING, GROUP, SHIPPING: many firms
#: share them) but whose distinctive words do not (`words.distinctive_agree`: ROURA
#: INVESTMENTS, KB INVESTMENTS) are held here, below review: a generic word only adds when
#: the distinctive words agree.
GENERIC_CAP: Final = 0.7

#: A row whose best match no identifier decides, with another listed entity within this of
#: its score, is a close call: review, never a match on one of them, with every rival named
#: (two ships of one name, and nothing in the row, no type, year, flag or country, tells
#: them apart: each of those would move one score by more than this).
CLOSE_CALL_MARGIN: Final = 0.02

#: Blocking: names compared per query (after ranking entries by shared rare features) and the
#: postings read at most. Common features ("ltd", "^mo") are read last and only within budget.
MAX_ENTRIES: Final = 60
MAX_CANDIDATES: Final = 12
POSTINGS_BUDGET: Final = 2000
TOKEN_WEIGHT: Final = 2.0
#: Blocking weight of a shared token skeleton (a transliteration variant of a word).
SOUND_WEIGHT: Final = 1.5
#: Blocking weight of a known word one typo from a word the index does not know.
TYPO_WEIGHT: Final = 1.5
#: Names whose consonant skeletons agree (SHUGAEV/SHUGAYEV, MHMD/MUHAMMAD) count this much of
#: their skeletons' similarity (a word whose skeleton is another's: `words.SOUND_WORD`)...
SOUND_FACTOR: Final = 0.93
#: ... for names already this alike as written (TRINITI and ITERANET share a skeleton, TRNT).
SOUND_FLOOR: Final = 0.6
#: ... and raise a name's similarity by this much at most: SABINE BOUTIN and BOUTHANIA SHAABAN
#: share skeletons (SBN BTN) but are two names.
SOUND_RAISE: Final = 0.15
#: A name written in Arabic script and a Latin one (either the query's) count this much of
#: their consonants' similarity (`text.abjad_key`: vowels are not written there)...
ABJAD_FACTOR: Final = 0.95
#: ... held at PERSON_WORD_CAP (review) when the shorter has fewer consonants than this: MHMD
#: ALI is MOHAMMED ALI and MAHMOUD ALI alike.
ABJAD_LETTERS: Final = 8
#: An organisation's name of one short word that is the initials of the other (IMU, ISLAMIC
#: MOVEMENT OF UZBEKISTAN) scores this: review, never a match (initials are shared widely).
ACRONYM_SCORE: Final = 0.8
#: Blocking weight of a word's consonants shared by a query in Arabic script and a Latin name:
#: a word and its sound at once (the Arabic-script names of a dozen relatives sharing three
#: words with the query as written must not crowd out the Latin name sharing all four).
ABJAD_WEIGHT: Final = TOKEN_WEIGHT + SOUND_WEIGHT
#: Tokens whose blocking features are kept between queries (names repeat words a lot).
FEATURE_CACHE: Final = 100_000

SUBSET_NOTE: Final = "one name holds the other's words"
#: How a name similarity came about (bit flags, for the explanation).
HOW_EXACT: Final = 1
HOW_SOUND: Final = 2
HOW_SUBSET: Final = 4
HOW_SOFT: Final = 8
HOW_HELD: Final = 16
HOW_SHORT: Final = 32
HOW_WORD_MISSING: Final = 64
HOW_NAME_CHAIN: Final = 128
HOW_ABJAD: Final = 256
HOW_ACRONYM: Final = 512
HOW_GENERIC: Final = 1024
HOW_NOTES: Final = ((HOW_SOUND, "sounds alike: transliteration variants"),
                    (HOW_ABJAD, "same consonants across scripts (Arabic script writes no "
                                "short vowels)"),
                    (HOW_ACRONYM, "one name is the other's initials"),
                    (HOW_SUBSET, SUBSET_NOTE),
                    (HOW_SOFT, "word by word, rare words weigh more"),
                    (HOW_HELD, "rare words differ, held to word-by-word"),
                    (HOW_WORD_MISSING, f"a given name or surname differs, held at "
                                       f"{PERSON_WORD_CAP:.2f}"),
                    (HOW_NAME_CHAIN, f"one name is the other's after a given name (a parent "
                                     f"or child in a name chain), held at "
                                     f"{PERSON_WORD_CAP:.2f}"),
                    (HOW_GENERIC, f"only generic words agree, held at {GENERIC_CAP:.2f}"))


def _subset_note(tokens: Sequence[str], words: Sequence[str]) -> str:
    """What a subset similarity rests on: that one name holds the other's words (each with a
    counterpart, `words.found_in`), or else the words they share."""
    shorter, longer = (words, tokens) if len(words) < len(tokens) else (tokens, words)
    found = [w for w in shorter if found_in(w, longer)]
    if len(found) == len(shorter):
        return SUBSET_NOTE
    return f"words in common: {', '.join(found).upper() or 'none'}"


#: How an explanation calls each name property.
NAME_LABELS: Final = {"name": "name", "alias": "alias", "previousName": "former name",
                      "weakAlias": "weak alias"}

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
#: Query names are normalised one way per class of candidate (`text.match_tokens`): vessels
#: lose prefixes, organisations legal forms, the rest neither. A schema standing for each.
_CLASS_SCHEMA: Final = ("Person", "Vessel", "Company")


SCHEMA_ROWS: Final = {s: i for i, s in enumerate(SCHEMATA)}


#: Classes of candidate, positions in `_CLASS_SCHEMA`.
PERSON_CLASS: Final = 0
VESSEL_CLASS: Final = 1
ORG_CLASS: Final = 2


def _schema_class(schema: str) -> int:
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


def _readable(query: Query) -> Query:
    """A query with nothing to compare (an unreadable name and no identifier) is unreadable,
    never `clear`: the files `screen` reads say so when they are parsed, a query made in code
    says so here."""
    if query.error or query.imo or query.mmsi or query.identifiers:
        return query
    reason = unreadable_name(query.name)
    return query if reason is None else replace(query, error=reason)


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


class Variant(NamedTuple):
    """A query's name as compared with one class of candidate (`_CLASS_SCHEMA`): its tokens,
    sorted key, written-order key, skeleton key, whether the skeleton is long enough to raise
    a score, its distinct words and their summed rarity, whether it is written in Arabic
    script, and whether it is an organisation's (generic words count less: `GENERIC_CAP`)."""

    tokens: tuple[str, ...]
    key: str
    plain: str
    sound: str
    sound_ok: bool
    words: frozenset[str]
    mass: float
    abjad: bool
    org: bool


class Scored(NamedTuple):
    """A candidate of one row as `screen_many` ranks it: score, node id, the node, the features
    that moved the score, what decided it if anything, the position of its best name and how
    that name compared (`HOW_*` flags)."""

    score: float
    id: str
    entity: IndexedEntity
    features: dict[str, float]
    decisive: str | None
    best_i: int
    how: int


@lru_cache(maxsize=50_000)
def query_keys(tokens: tuple[str, ...]) -> tuple[str, str, str, bool]:
    """A query's sorted key, written-order key, skeleton key, and whether the skeleton is long
    enough to compare (four consonants or more), computed once per query name."""
    sound = " ".join(sorted(skeleton(t) for t in tokens))
    return sorted_key(tokens), " ".join(tokens), sound, len(sound.replace(" ", "")) >= 4


def _abjad_relative(ones: Sequence[str], others: Sequence[str]) -> int:
    """`HOW_WORD_MISSING` when a word of the shorter name (in consonants, `text.abjad_key`) is
    not in the other's, `HOW_NAME_CHAIN` when the longer is the shorter after one word in
    front, else 0. `ones` and `others`: each name's consonants in its written orders (as
    written first, then given names first)."""
    one, other = ones[0].split(), others[0].split()
    shorter, longer = (one, other) if len(one) <= len(other) else (other, one)
    if "".join(shorter) == "".join(longer):
        return 0
    words, joined = set(longer), "".join(longer)
    if any(w not in words and (len(w) < 3 or w not in joined) for w in shorter):
        return HOW_WORD_MISSING
    if len(longer) == len(shorter) + 1:
        for a in ones:
            for b in others:
                x, y = a.split(), b.split()
                short, long = (x, y) if len(x) < len(y) else (y, x)
                if long[1:] == short:
                    return HOW_NAME_CHAIN
    return 0


@lru_cache(maxsize=20_000)
def abjad_features(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Blocking features of a query written in Arabic script: its words' consonants
    (`text.abjad_key`), alone and with the next word's (ولی جان is WALIJAN), marked with
    `text.ABJAD_FEATURE`."""
    words = abjad_key(tokens).split()
    joined = [a + b for a, b in pairwise(words)]
    return tuple(dict.fromkeys(ABJAD_FEATURE + w for w in (*words, *joined) if len(w) >= 2))


class _Rarity(dict[str, float]):
    """Words' weights, `unknown` for a word the index does not hold."""

    unknown: float = 0.0

    def __missing__(self, word: str) -> float:
        return self.unknown


def _quoted(name: str) -> str:
    """A name as an explanation quotes it: an overlong one (`name_is_bounded`) by the part
    compared, so that one row's explanation stays a line."""
    if len(name) <= MAX_NAME_CHARS:
        return repr(name)
    return repr(name[:MAX_NAME_CHARS] + "…")


def _year(date: str) -> str:
    return date[:4]


def _first_per_group(groups: Any, values: Any) -> Any:
    """Positions of each group's largest value (the first one on ties), in group order."""
    order = np.lexsort((-values, groups))
    ordered = groups[order]
    head = np.empty(len(order), dtype=bool)
    head[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=head[1:])
    return order[head]


class Matcher:
    """Screens queries against one index with one set of settings.

    Queries are screened in batches (`screen_many`): the blocking of a whole batch is one sparse
    matrix product (queries x features times features x names), and every (query, candidate
    name) pair of the batch is compared in a few rapidfuzz calls, so Python does little per
    pair. `screen(query)` is a batch of one."""

    def __init__(self, index: ScreenIndex, settings: Settings | None = None) -> None:
        self.index = index
        self.settings = settings or Settings()
        self._entities = index.entities
        sizes = np.diff(index.tokens.offsets)
        rarity = np.maximum(index.log_n - np.log(np.maximum(sizes, 1)), 0.05)
        #: Every indexed word's weight. Words the index does not hold (a misspelling, a word
        #: of no list) weigh like a word some dozens of names share: neither rare evidence nor
        #: noise.
        self._weights = _Rarity(zip(index.tokens.ids, rarity.tolist(), strict=True))
        self._weights.unknown = index.idf(UNKNOWN_WORD_DF)
        #: A word's weight (its inverse document frequency), as a plain dict lookup: called
        #: for every word compared word by word.
        self._weight = self._weights.__getitem__
        self._features_of: dict[str, list[tuple[int, int, float]]] = {}
        self._n_entries = len(index.entry_entity)
        self._entry_allowed: Any = None
        if self.settings.sources is not None:
            sets = index.entity_sources
            screened = np.array([any(s in self.settings.sources for s in sources)
                                 for sources in sets.sets] or [False], dtype=bool)
            self._entry_allowed = screened[sets.codes][index.entry_entity]
        classes = np.array([_schema_class(s) for s in index.schemata] or [0], dtype=np.int8)
        self._entry_class: list[int] = classes[index.entry_schema].tolist()
        self._entry_org = classes[index.entry_schema] == ORG_CLASS
        self._entry_entity: list[int] = index.entry_entity.tolist()
        self._entry_entity_np = index.entry_entity.astype(np.int64)
        self._first: list[int] = index.entity_first_entry.tolist()
        #: Rows: a query schema's position in SCHEMATA (the last row: no schema, everything);
        #: columns: an entry's schema code. True where the query may match the entry.
        self._compatible = np.ones((len(SCHEMATA) + 1, 256), dtype=bool)
        for row, schema in enumerate(SCHEMATA):
            self._compatible[row] = False
            allowed = COMPATIBLE[schema]
            for code, name in enumerate(index.schemata):
                self._compatible[row, code] = name in allowed
        #: Feature rows of the blocking matrix: token postings, then trigram, then skeleton.
        self._gram_base = len(index.tokens.ids)
        self._sound_base = self._gram_base + len(index.grams.ids)
        self._postings: Any = None
        self._words: Any = None
        self._stats: tuple[list[tuple[list[int], list[float]]], list[int]] | None = None
        self._words_of: list[str] | None = None
        #: The current batch's unknown words' typo neighbours (`_one_typo_from`).
        self._typos: dict[str, list[int]] = {}
        self._entry_short = index.entry_short
        self._entry_person = index.entry_schema == (
            index.schemata.index("Person") if "Person" in index.schemata else 255)
        self._entry_spaced = index.entry_spaced
        self._entry_acronym = np.diff(index.entry_acronyms.offsets) > 0

    def prepare(self) -> None:
        """Build what is otherwise built on first use (before forking workers, so they share
        it instead of each building its own)."""
        self._words_matrix()
        self._feature_stats()
        index = self.index
        if len(index.entry_entity) <= SHARED_NAMES:
            for names in (index.entry_keys, index.entry_plains, index.entry_skeletons):
                names.decode_all()

    def _matrix(self) -> Any:
        """The blocking matrix (features x names, ones), built on first use."""
        if self._postings is None:
            from scipy.sparse import csr_matrix

            index = self.index
            parts = (index.tokens, index.grams, index.sounds)
            offsets = [np.zeros(1, dtype=np.int64)]
            base = 0
            for part in parts:
                offsets.append(part.offsets[1:] + base)
                base += int(part.offsets[-1])
            data = np.concatenate([part.data for part in parts])
            indptr = np.concatenate(offsets)
            self._postings = csr_matrix(
                (np.ones(len(data), dtype=np.float64), data, indptr),
                shape=(len(indptr) - 1, max(self._n_entries, 1)))
        return self._postings

    def _words_matrix(self) -> Any:
        """Names x words (entries x index tokens) with ones, and each name's distinct words'
        summed rarity and number, built on first use."""
        if self._words is None:
            matrix = self._matrix()
            tokens = matrix[: self._gram_base].T.tocsr()
            rarity = np.asarray([self._weights[t] for t in self.index.tokens.ids])
            self._words = (tokens, tokens @ rarity, np.diff(tokens.indptr))
        return self._words

    def _variant_words(self, variants: Sequence[Variant]) -> tuple[Any, Any, Any]:
        """The query variants' words of the index (variants x index tokens, each word's
        rarity), their numbers of distinct words and their summed rarity, for `_covers`."""
        from scipy.sparse import csr_matrix

        ids, weights = self.index.tokens.ids, self._weights
        indptr, cols, values = [0], [], []
        for variant in variants:
            for word in sorted(variant.words):  # one order, whatever the hash seed
                row = ids.get(word)
                if row is not None:
                    cols.append(row)
                    values.append(weights[word])
            indptr.append(len(cols))
        wanted = csr_matrix((values, cols, indptr),
                            shape=(len(variants), self._words_matrix()[0].shape[1]))
        own = np.fromiter((len(v.words) for v in variants), dtype=np.int64, count=len(variants))
        own_mass = np.fromiter((v.mass for v in variants), dtype=np.float64, count=len(variants))
        return wanted, own, own_mass

    def _covers(self, words: tuple[Any, Any, Any], which: Any, entries: Any) -> Any:
        """For pairs of a query variant (`which`, rows of `_variant_words`) and a name (entry):
        the share of the longer name's rarity (summed idf) held by words of the other. Words
        both hold are words of the index: one sparse product gives what they hold."""
        names, masses, sizes = self._words_matrix()
        wanted, own, own_mass = words
        held = np.asarray(wanted[which].multiply(names[entries]).sum(axis=1)).ravel()
        total = np.where(own[which] >= sizes[entries], own_mass[which], masses[entries])
        return np.divide(held, total, out=np.zeros(len(held)), where=total > 0)

    # -- candidates ----------------------------------------------------------------------------

    def _feature_stats(self) -> tuple[list[tuple[list[int], list[float]]], list[int]]:
        """Per family of blocking features (tokens, trigrams, skeletons): each feature's
        postings length and rarity (idf), as lists, and the family's first row in the blocking
        matrix; built on first use."""
        if self._stats is None:
            index = self.index
            families = []
            for part in (index.tokens, index.grams, index.sounds):
                sizes = np.diff(part.offsets)
                idf = np.maximum(index.log_n - np.log(np.maximum(sizes, 1)), 0.05)
                families.append((sizes.tolist(), idf.tolist()))
            self._stats = (families, [0, self._gram_base, self._sound_base])
        return self._stats

    def _one_typo_from(self, words: Collection[str]) -> dict[str, list[int]]:
        """For each word, the rows of the index's tokens one typo from it (a letter left out,
        added, changed, or two swapped: optimal string alignment distance 1), found by the
        hashes of their spellings with a letter left out (`text.deletions`); all the words'
        hashes looked up at once."""
        index = self.index
        words = [w for w in words if len(w) >= SPELLING_MIN]
        if not words or not len(index.spelling_hashes):
            return {}
        spelled = [(k, spelling_hash(d)) for k, word in enumerate(words)
                   for d in set(deletions(word))]
        wanted = np.fromiter((h for _, h in spelled), dtype=np.uint32, count=len(spelled))
        starts = np.searchsorted(index.spelling_hashes, wanted, "left")
        ends = np.searchsorted(index.spelling_hashes, wanted, "right")
        owners = index.spelling_tokens
        found: dict[int, set[int]] = {}
        for j in np.flatnonzero(ends > starts).tolist():
            found.setdefault(spelled[j][0], set()).update(owners[starts[j]:ends[j]].tolist())
        if self._words_of is None:
            self._words_of = list(index.tokens.ids)
        known = self._words_of
        # A hash shared by chance, or two typos apart (a letter left out of each at two places).
        return {words[k]: sorted(r for r in rows if OSA.distance(words[k], known[r]) <= 1)
                for k, rows in found.items()}

    def _token_features(self, token: str) -> list[tuple[int, int, float]]:
        """(postings length, row of the blocking matrix, weight) of a token's features: the
        token itself, or its trigrams and the known words one typo from it when the index does
        not know it, and its skeleton. A consonant or initials feature (`abjad_features`,
        `text.acronym_feature`) is its own single feature."""
        index = self.index
        (tokens, grams, sounds), (_base, gram_base, sound_base) = self._feature_stats()
        out: list[tuple[int, int, float]] = []
        if token.startswith((ABJAD_FEATURE, INITIALS_FEATURE, SHORT_NAME_FEATURE)):
            row = index.sounds.ids.get(token)
            if row is not None:
                weight = ABJAD_WEIGHT if token.startswith(ABJAD_FEATURE) else SOUND_WEIGHT
                out.append((sounds[0][row], sound_base + row, weight * sounds[1][row]))
            return out
        # A word the index knows is found by itself and its skeleton (HASAN/HASSAN share
        # HSN); character trigrams are for words it does not know (a typo, a new spelling),
        # each weighing its share of the word's grams.
        row = index.tokens.ids.get(token)
        if row is not None:
            out.append((tokens[0][row], row, TOKEN_WEIGHT * tokens[1][row]))
        else:
            spelled = trigrams(token)
            share = 1.0 / max(len(spelled), 1)
            out.extend((grams[0][g], gram_base + g, share * grams[1][g]) for gram in spelled
                       if (g := index.grams.ids.get(gram)) is not None)
            # ... and the known words one typo from it (ISABELLA for IABELLA).
            typos = self._typos.get(token)
            if typos is None:
                typos = self._one_typo_from([token]).get(token, [])
            out.extend((tokens[0][r], r, TYPO_WEIGHT * tokens[1][r]) for r in typos)
        sound = skeleton(token)
        row = index.sounds.ids.get(sound) if len(sound) >= 2 else None
        if row is not None:
            out.append((sounds[0][row], sound_base + row, SOUND_WEIGHT * sounds[1][row]))
        return out

    def _query_features(self, tokens: Sequence[str]) -> tuple[list[int], list[float]]:
        """The blocking matrix rows a query reads and their weights: rarest first (ties by
        row, so the choice never depends on set order), common ones ("ltd", "^mo") only
        within the postings budget."""
        cache = self._features_of
        features: list[tuple[int, int, float]] = []
        for token in set(tokens):
            known = cache.get(token)
            if known is None:
                known = self._token_features(token)
                if len(cache) < FEATURE_CACHE:
                    cache[token] = known
            features.extend(known)
        features.sort()
        rows: list[int] = []
        weights: list[float] = []
        read = 0
        for size, row, weight in features:
            if read and read + size > POSTINGS_BUDGET:
                continue
            rows.append(row)
            weights.append(weight)
            read += size
        return rows, weights

    def block_many(self, queries: Sequence[Query],
                   limit: int = MAX_CANDIDATES) -> list[list[int]]:
        """For each query, the entry numbers of the names sharing the most rare features with
        its name (of a schema the query's may match, from the sources screened against), best
        first, of at most `limit` nodes. One sparse product for the whole batch."""
        from scipy.sparse import csr_matrix

        indptr = [0]
        cols: list[int] = []
        values: list[float] = []
        features: list[tuple[str, ...]] = []
        for query in queries:
            words = tokens = match_tokens(query.name, query.schema)
            if is_abjad(query.name):
                tokens = (*tokens, *abjad_features(words))
            if query.schema is None or query.schema in ORG_SCHEMATA:
                # Initials of names of several words for a query of one, and the other way.
                tokens = (*tokens, *(acronym_feature(f, len(words) != 1)
                                     for f in query_acronyms(words)))
            features.append(tokens)
        # The words of the batch the index does not know, looked up for typos at once.
        cache, known = self._features_of, self.index.tokens.ids
        self._typos = self._one_typo_from({t for tokens in features for t in tokens
                                           if t not in cache and t not in known
                                           and t[:1].isalnum()})
        for tokens in features:
            rows, weights = self._query_features(tokens)
            cols.extend(rows)
            values.extend(weights)
            indptr.append(len(cols))
        if not cols:
            return [[] for _ in queries]
        matrix = self._matrix()
        wanted = csr_matrix((values, cols, indptr), shape=(len(queries), matrix.shape[0]))
        # Row i of the product depends on row i alone, and its order on the order of the
        # features: the same query always gets the same candidates, whatever the batch.
        summed = wanted @ matrix
        bounds, indices = summed.indptr, summed.indices
        index = self.index
        scores = summed.data / index.entry_norm[indices]
        # Names of other schemata, or of sources not screened against, score nothing.
        codes = np.fromiter(
            (SCHEMA_ROWS.get(q.schema or self.settings.schema or "", len(SCHEMATA))
             for q in queries), dtype=np.int64, count=len(queries))
        keep = self._compatible[np.repeat(codes, np.diff(bounds)),
                                index.entry_schema[indices]]
        if self._entry_allowed is not None:
            keep &= self._entry_allowed[indices]
        scores[~keep] = 0.0
        # Each query's best MAX_ENTRIES names, best first.
        ranked: list[Any] = []
        for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            row = scores[start:end]
            if end - start > MAX_ENTRIES:
                top = np.argpartition(-row, MAX_ENTRIES)[:MAX_ENTRIES]
                top = top[row[top] > 0.0]
            else:
                top = np.flatnonzero(row > 0.0)
            ranked.append(start + top[np.argsort(-row[top], kind="stable")])
        counts = [len(r) for r in ranked]
        at = np.concatenate(ranked)
        entries = indices[at]
        # ... of its first `limit` nodes: a (query, node) group is kept when fewer than `limit`
        # other nodes of that query were found before it.
        query_of = np.repeat(np.arange(len(queries), dtype=np.int64), counts)
        groups = query_of * len(self._entities) + self._entry_entity_np[entries]
        firsts = _first_per_group(groups, -np.arange(len(entries)))  # each group's first place
        by_position = np.argsort(firsts, kind="stable")
        group_query = query_of[firsts][by_position]
        rank = np.arange(len(by_position)) - np.searchsorted(group_query, group_query)
        chosen = np.isin(groups, groups[firsts[by_position[rank < limit]]])
        split = np.cumsum(counts)[:-1]
        return [part[keep_part].tolist() for part, keep_part in
                zip(np.split(entries, split), np.split(chosen, split), strict=True)]

    def _entries_of(self, number: int) -> range:
        first = self._first[number]
        return range(first, first + len(self._entities[number].keys))

    def _candidates(self, query: Query, blocked: list[int]) -> list[int]:
        """Entry numbers to score: every name of a node found by an identifier, then the names
        the blocking found."""
        by_identifier = self.index.by_identifier
        keys = [f"imo:{query.imo}"] if query.imo else []
        if query.mmsi:
            keys.append(f"mmsi:{query.mmsi}")
        keys.extend(f"id:{i}" for i in query.identifiers)
        if not keys:
            return blocked
        found: dict[int, None] = {}
        schema = query.schema or self.settings.schema
        for key in keys:
            # An IMO ship number is a ship's whatever type the row gives (a row typed Person
            # with a listed ship's IMO is that ship); only the screen's own schema narrows it.
            wanted = self.settings.schema if key.startswith("imo:") else schema
            for number in by_identifier.get(key, ()):
                if self.allowed(self._entities[number], wanted):
                    found.update(dict.fromkeys(self._entries_of(number)))
        found.update(dict.fromkeys(blocked))
        return list(found)

    def candidate_entities(self, query: Query) -> list[int]:
        """Entity numbers of one query's candidates (the benchmark's anchors score these)."""
        entries = self._candidates(query, self.block_many([query])[0])
        return list(dict.fromkeys(self._entry_entity[e] for e in entries))

    # -- scoring -------------------------------------------------------------------------------

    def allowed(self, entity: IndexedEntity, schema: str | None) -> bool:
        if schema is not None and entity.schema not in COMPATIBLE.get(schema, ()):
            return False
        sources = self.settings.sources
        return sources is None or any(s in sources for s in entity.sources)

    def _names_many(self, queries: Sequence[Query], candidates: Sequence[list[int]],
                    floors: Sequence[float]) -> list[dict[int, tuple[float, int, int]]]:
        """For each query, each candidate node's best name similarity: entity number ->
        (similarity, position of the name among the node's names, how: `HOW_*` flags), for the
        nodes whose similarity reaches the query's floor.

        Every (query, candidate name) pair of the batch is compared in a few rapidfuzz calls.
        Word by word (`soft_tokens`) only for the closest name of the SOFT_NODES nodes nearest
        each query as written and of the SOFT_FIRST the blocking ranked first, and only where it
        can change the answer: not once another node matched the query exactly, unless country
        or date could still move the scores."""
        index = self.index
        keys, plains = index.entry_keys, index.entry_plains
        entry_class, first = self._entry_class, self._first
        pair_query: list[int] = []
        pair_entry: list[int] = []
        pair_variant: list[int] = []
        variants: list[Variant] = []  # one per query and class of candidate
        for i, (query, entries) in enumerate(zip(queries, candidates, strict=True)):
            if not entries:
                continue
            if query.schema is not None:
                classes = [_schema_class(query.schema)] * len(entries)
            else:
                classes = [entry_class[e] for e in entries]
            mine: dict[int, int] = {}
            in_abjad = is_abjad(query.name)
            for code in set(classes):
                tokens = match_tokens(query.name, query.schema or _CLASS_SCHEMA[code])
                words = frozenset(tokens)
                mine[code] = len(variants)
                key, plain, sound, sound_ok = query_keys(tokens)
                org = code == ORG_CLASS
                if org and sound_ok:
                    # An organisation's skeleton counts by its distinctive words alone.
                    sound_ok = len("".join(map(skeleton, distinctive(tokens)))) \
                        >= DISTINCTIVE_LETTERS
                # Summed in one order (sorted), not the set's: a float sum's last bits
                # depend on its order, and ties between names are decided on them.
                variants.append(Variant(tokens, key, plain, sound, sound_ok, words,
                                        sum(map(self._weight, sorted(words))), in_abjad, org))
            pair_query.extend([i] * len(entries))
            pair_entry.extend(entries)
            pair_variant.extend([mine[c] for c in classes])
        out: list[dict[int, tuple[float, int, int]]] = [{} for _ in queries]
        if not pair_entry:
            return out
        at = np.asarray(pair_entry, dtype=np.int64)
        which = np.asarray(pair_variant, dtype=np.int64)
        # Each pair's strings by fancy indexing object arrays (per variant, per entry).
        v_keys, v_plains, v_sounds = (np.array(column, dtype=object) for column in
                                      ([v.key for v in variants], [v.plain for v in variants],
                                       [v.sound for v in variants]))
        q_keys, e_keys = v_keys[which], index.entry_keys.take(at)
        ratio = fuzz.ratio
        key_ratio = cpdist(q_keys, e_keys, scorer=ratio)
        e_plains = index.entry_plains.take(at)
        sims = np.maximum(key_ratio, cpdist(v_plains[which], e_plains, scorer=ratio))
        sims = sims.astype(np.float64) / 100.0
        exact = key_ratio >= 100.0
        how = np.zeros(len(pair_entry), dtype=np.int64)
        # Names whose consonant skeletons agree are transliteration variants.
        sounding = np.fromiter((v.sound_ok for v in variants), dtype=bool, count=len(variants))
        near = np.flatnonzero(sounding[which] & (sims >= SOUND_FLOOR) & (sims < SOUND_FACTOR))
        if len(near):
            e_sounds = index.entry_skeletons.take(at[near])
            heard = cpdist(v_sounds[which[near]], e_sounds, scorer=ratio)
            heard = np.minimum(heard / 100.0 * SOUND_FACTOR, sims[near] + SOUND_RAISE)
            up = heard > sims[near]
            sims[near[up]] = heard[up]
            how[near[up]] = HOW_SOUND
        # A name holding the other's words (a person without the patronymic).
        held: tuple[Any, Any, Any] | None = None
        many = np.fromiter((len(v.tokens) >= 2 for v in variants), dtype=bool, count=len(variants))
        near = np.flatnonzero(many[which] & self._entry_spaced[at] & (sims < 0.97))
        if len(near):
            subset = cpdist(q_keys[near], e_keys[near],
                            scorer=fuzz.token_set_ratio).astype(np.float64) / 100.0
            need = np.flatnonzero(subset * (SUBSET_FACTOR + SUBSET_COVER) > sims[near])
            if len(need):
                held = held or self._variant_words(variants)
                subset[need] *= SUBSET_FACTOR + SUBSET_COVER * self._covers(
                    held, which[near[need]], at[near[need]])
            up = subset > sims[near]
            sims[near[up]] = subset[up]
            how[near[up]] = HOW_SUBSET
        # A name of one word that is a word of the query's (CITADEL in CITADEL HOLDING): at
        # most review, by the share of the query's rarity it holds.
        near = np.flatnonzero(many[which] & ~self._entry_spaced[at] & (sims < ONE_WORD_MAX))
        if len(near):
            held = held or self._variant_words(variants)
            cover = self._covers(held, which[near], at[near])
            one_word = np.where(cover > 0.0, ONE_WORD_FACTOR + SUBSET_COVER * cover, 0.0)
            up = one_word > sims[near]
            sims[near[up]] = one_word[up]
            how[near[up]] = HOW_SUBSET
        # A name of one short word that is the initials of the other's words.
        single = np.fromiter((len(v.tokens) == 1 for v in variants), dtype=bool,
                             count=len(variants))
        near = np.flatnonzero(self._entry_acronym[at] & (single[which] == self._entry_spaced[at])
                              & (sims < ACRONYM_SCORE))
        if len(near):
            forms = index.entry_acronyms
            for p in near.tolist():
                if set(query_acronyms(variants[pair_variant[p]].tokens)).intersection(
                        forms[pair_entry[p]].split()):
                    sims[p], how[p] = ACRONYM_SCORE, HOW_ACRONYM
        # A name in Arabic script and a Latin one (either the query's): by their consonants.
        arabic = np.fromiter((v.abjad for v in variants), dtype=bool, count=len(variants))
        across = (arabic[which] | index.entry_abjad_script[at]) & ~exact
        given = index.entry_given_first

        def orders(p: int) -> tuple[tuple[str, str], tuple[str, str]]:
            """The query's and the name's consonants, as written and given names first."""
            query, entry = queries[pair_query[p]], pair_entry[p]
            first = given_first(query.name, query.schema or "Person")
            return ((abjad_key(variants[pair_variant[p]].tokens), abjad_key(tuple(first.split()))),
                    (index.entry_abjad[entry], abjad_key(tuple(given[entry].split()))))

        if across.any():
            pairs = np.flatnonzero(across)
            self._abjad(pairs, sims, how, self._entry_person[at[pairs]].tolist(), orders)
        # Pairs scored by their consonants or initials: word by word as written would undo it.
        settled = (how & (HOW_ABJAD | HOW_ACRONYM)) != 0
        # Each (query, node)'s closest name, first found on ties.
        pair_node = self._entry_entity_np[at]
        groups = np.asarray(pair_query, dtype=np.int64) * len(self._entities) + pair_node
        sim_list = sims.tolist()
        exact_queries = {pair_query[p] for p in np.flatnonzero(exact).tolist()}
        # Word by word for the nodes closest as written and for those the blocking ranked
        # first (the rarest words shared: TUPIKIN, NIKOLAY finds TUPIKIN, NIKOLAI
        # ALEKSANDROVICH there, far down as written).
        softs: dict[int, list[tuple[int, int]]] = {}
        winners = _first_per_group(groups, sims).tolist()
        ranks = _first_per_group(groups, -np.arange(len(groups))).tolist()
        settled_list = settled.tolist()
        for p, rank in zip(winners, ranks, strict=True):
            if SOFT_FLOOR <= sim_list[p] < SOFT_TOKENS_BELOW and not settled_list[p]:
                softs.setdefault(pair_query[p], []).append((p, rank))
        for q, found in softs.items():
            query = queries[q]
            if q in exact_queries and not (query.countries or query.date):
                continue
            nearest = sorted(found, key=lambda f: -sim_list[f[0]])[:SOFT_NODES]
            earliest = sorted(found, key=lambda f: f[1])[:SOFT_FIRST]
            for p in dict.fromkeys(f[0] for f in (*nearest, *earliest)):
                tokens = variants[pair_variant[p]].tokens
                written = plains[pair_entry[p]].split()
                if len(tokens) < 2 and len(written) < 2:
                    continue
                sim = sim_list[p]
                by_word = soft_tokens(tokens, written, self._weight) * SOFT_FACTOR
                if by_word > sim:
                    sim_list[p], how[p] = by_word, HOW_SOFT
                elif by_word + RARE_SLACK < sim:
                    # Alike letter by letter but not in the rare words: PRODUCTION AND
                    # COMMERCIAL COMPANY VIVA is not ... COMMERCIAL FIRM TONAR.
                    sim_list[p], how[p] = by_word + RARE_SLACK, HOW_HELD
        # Two people whose names differ in a whole word (ALI / UDAY SADDAM HUSSEIN AL-TIKRITI,
        # ALEKSANDR / ALEKSEI ALEKSANDROVICH ZHURAVLEV) are relatives, not one person.
        persons = np.flatnonzero(self._entry_person[at] & ~exact & ~settled
                                 & (np.asarray(sim_list) >= PERSON_CHECK_FROM))
        # A name that is the other's but for a given name before it is a name chain (ALI
        # SADDAM HUSSEIN AL-TIKRITI, son of SADDAM HUSSEIN AL-TIKRITI): another person, or
        # at best one a person must look at.
        in_arabic = across.tolist()
        for p in persons.tolist():
            if sim_list[p] <= PERSON_WORD_CAP:
                continue
            query = queries[pair_query[p]]
            tokens = variants[pair_variant[p]].tokens
            listed = keys[pair_entry[p]].split()
            if len(tokens) < 2 or len(listed) < 2:
                continue
            if in_arabic[p]:
                # As ICU spells Arabic script, given names are often two letters (علي: LY,
                # عدي: DY), which count as particles below: compare the consonants instead.
                code = _abjad_relative(*orders(p))
                if code:
                    sim_list[p], how[p] = PERSON_WORD_CAP, code
            elif not words_found(tokens, listed):
                sim_list[p] = PERSON_WORD_CAP
                how[p] = HOW_WORD_MISSING
            elif abs(len(tokens) - len(listed)) == 1 and name_chain(
                    {" ".join(tokens), given_first(query.name, query.schema or "Person")},
                    {plains[pair_entry[p]], given[pair_entry[p]]}):
                sim_list[p] = PERSON_WORD_CAP
                how[p] = HOW_NAME_CHAIN
        # A near-miss on a short name (MARIA~MARINA) is often another ship.
        q_short = np.fromiter((len(v.key) < SHORT_NAME for v in variants), dtype=bool,
                              count=len(variants))
        penalised = q_short[which] & self._entry_short[at] & ~exact
        sims = np.asarray(sim_list)
        # Generic words do not make a match: an organisation's distinctive words must agree.
        # Only pairs the cap can change the answer for: above it, and reaching their query's
        # floor (below which they are dropped anyway).
        orgs = np.fromiter((v.org for v in variants), dtype=bool, count=len(variants))
        reach = sims >= np.asarray(floors)[np.asarray(pair_query)]
        for p in np.flatnonzero(orgs[which] & self._entry_org[at] & ~exact & ~settled
                                & (sims > GENERIC_CAP) & reach).tolist():
            if not distinctive_agree(variants[pair_variant[p]].tokens,
                                     plains[pair_entry[p]].split()):
                sims[p], how[p] = GENERIC_CAP, HOW_GENERIC
        # Never below 0: a node found by its IMO number whose one short name shares nothing
        # with the query's (OLYMPIA, queried as X) stays a candidate at the floor of 0.
        sims[penalised] = np.maximum(sims[penalised] - SHORT_NAME_PENALTY, 0.0)
        codes = how | np.where(penalised, HOW_SHORT, 0)
        codes[exact] = HOW_EXACT
        sim_list, code_list = sims.tolist(), codes.tolist()
        node_list = pair_node.tolist()
        best = _first_per_group(groups, sims)
        best = best[sims[best] >= np.asarray(floors)[np.asarray(pair_query)[best]]]
        for p in best.tolist():
            node = node_list[p]
            out[pair_query[p]][node] = (sim_list[p], pair_entry[p] - first[node], code_list[p])
        return out

    @staticmethod
    def _abjad(pairs: Any, sims: Any, how: Any, person: Sequence[bool],
               orders: Callable[[int], tuple[tuple[str, str], tuple[str, str]]]) -> None:
        """Raise, in place, the similarity of (query, name) pairs one of which is written in
        Arabic script to their consonants' (`text.abjad_key`): written order, sorted, and run
        together (ABDULLAH / عبد الله). A short one (MHMD ALI) is held at review; for people,
        so is a name missing a word of the other's (UDAY / QUSAY SADDAM HUSSEIN AL-TIKRITI) or
        one given name longer (a name chain). `person`: per pair, whether the name is a
        person's; `orders(pair)`: both names' consonants as written and given names first."""
        picks = pairs.tolist()
        written = [orders(p) for p in picks]
        ones = [one[0] for one, _other in written]
        others = [other[0] for _one, other in written]
        best = np.maximum.reduce([
            cpdist(ones, others, scorer=fuzz.ratio),
            cpdist([" ".join(sorted(a.split())) for a in ones],
                   [" ".join(sorted(b.split())) for b in others], scorer=fuzz.ratio),
            cpdist([a.replace(" ", "") for a in ones], [b.replace(" ", "") for b in others],
                   scorer=fuzz.ratio)]).astype(np.float64) / 100.0 * ABJAD_FACTOR
        for j, (p, one, other) in enumerate(zip(picks, ones, others, strict=True)):
            sim = float(best[j])
            if sim <= sims[p] or not one or not other:
                continue
            code = HOW_ABJAD
            if sim > PERSON_WORD_CAP:
                if min(len(one.replace(" ", "")), len(other.replace(" ", ""))) < ABJAD_LETTERS:
                    sim = PERSON_WORD_CAP
                elif person[j]:
                    code |= _abjad_relative(*written[j])
                    if code != HOW_ABJAD:
                        sim = PERSON_WORD_CAP
            if sim > sims[p]:
                sims[p], how[p] = sim, code

    def _features(self, query: Query, entity: IndexedEntity,
                  name: float) -> tuple[float, dict[str, float], str | None]:
        """The score and the features that moved it, and what decided it if anything did."""
        features: dict[str, float] = {"name": round(name, 4)}
        score = name
        decisive = None
        if query.imo and query.imo in entity.imos:
            decisive = f"IMO {query.imo} is this ship's"
        elif query.mmsi and query.mmsi in entity.mmsis:
            decisive = f"MMSI {query.mmsi} is this ship's"
        elif query.identifiers and entity.identifiers:
            shared = [i for i in query.identifiers if i in entity.identifiers]
            if shared:
                decisive = f"identifier {shared[0]} is this {entity.schema.lower()}'s"
        if decisive:
            features["identifier"] = 1.0
            score = 1.0
        else:
            if query.countries and entity.countries:
                if any(c in entity.countries for c in query.countries):
                    features["country"] = COUNTRY_AGREES
                else:
                    features["country"] = (FLAG_DIFFERS if entity.schema == "Vessel"
                                           else COUNTRY_DIFFERS)
                score += features["country"]
            if query.date and entity.dates:
                features["date"] = self._date(query.date, entity)[0]
                score += features["date"]
        if query.imo and entity.imos and query.imo not in entity.imos:
            features["imo_conflict"] = 1.0
            score = min(score, IMO_CONFLICT_CAP)
        return round(min(max(score, 0.0), 1.0), 4), features, decisive

    def _match(self, query: Query, entity: IndexedEntity, score: float,
               features: dict[str, float], decisive: str | None, best_i: int,
               how: int) -> Match:
        prop = entity.name_props[best_i]
        label = NAME_LABELS.get(prop, prop)
        notes = [text for code, text in HOW_NOTES if how & code] if how > HOW_EXACT else []
        if how & HOW_SUBSET:
            # Said only when so: a name alike by its shared words may lack one of the other's.
            tokens = match_tokens(query.name, query.schema or _CLASS_SCHEMA[
                _schema_class(entity.schema)])
            notes[notes.index(SUBSET_NOTE)] = _subset_note(tokens,
                                                           entity.keys[best_i].split())
        if how & HOW_SHORT:
            notes.append(f"short name {-SHORT_NAME_PENALTY:+.2f}")
        listed = entity.names[best_i]
        notes.extend(f"{whose} compared on its first {MAX_NAME_CHARS:,} characters and "
                     f"{MAX_NAME_WORDS} words, each of {MAX_WORD_CHARS} letters at most"
                     for whose, name in (("listed name", listed), ("query", query.name))
                     if name_is_bounded(name))
        reasons = [f"{label} {_quoted(listed)} {'=' if how == HOW_EXACT else '~'} "
                   f"{_quoted(query.name)} ({features['name']:.2f}"
                   f"{''.join(', ' + n for n in notes)})"]
        if decisive:
            reasons.insert(0, decisive + " (decides)")
        if "country" in features:
            delta = features["country"]
            if delta > 0:
                shared = sorted(set(query.countries).intersection(entity.countries))
                reasons.append(f"country {shared[0]} agrees ({delta:+.2f})")
            else:
                reasons.append(f"country {'/'.join(query.countries)} differs from "
                               f"{'/'.join(entity.countries)} ({delta:+.2f})")
        if "date" in features and query.date:
            reasons.append(self._date(query.date, entity)[1])
        if (not decisive and query.mmsi and entity.mmsis and entity.schema == "Vessel"):
            reasons.append(f"MMSI {query.mmsi} is not this ship's "
                           f"({', '.join(entity.mmsis)}), but MMSIs are reassigned "
                           "so this only informs")
        if "imo_conflict" in features:
            reasons.insert(0, f"IMO {query.imo} conflicts with this ship's IMO "
                              f"{', '.join(entity.imos)} (held at "
                              f"{IMO_CONFLICT_CAP:.2f})")
        return Match(
            entity_id=entity.id, caption=entity.caption, schema=entity.schema, score=score,
            matched_name=entity.names[best_i], imo=", ".join(entity.imos) or None,
            sources=entity.sources, programs=entity.programs, explanation="; ".join(reasons),
            features=features,
        )

    @staticmethod
    def _date(date: str, entity: IndexedEntity) -> tuple[float, str]:
        dates = entity.dates
        if entity.schema == "Vessel":
            years = sorted({_year(d) for d in dates})
            if _year(date) in years:
                return BUILD_YEAR_AGREES, f"build year {_year(date)} agrees " \
                                          f"(+{BUILD_YEAR_AGREES:.2f})"
            return BUILD_YEAR_DIFFERS, f"build year {_year(date)} differs from " \
                                       f"{'/'.join(years)} ({BUILD_YEAR_DIFFERS:+.2f})"
        if len(date) >= 10 and date in dates:
            return DATE_AGREES, f"birth date {date} agrees (+{DATE_AGREES:.2f})"
        if _year(date) in {_year(d) for d in dates}:
            return YEAR_AGREES, f"birth year {_year(date)} agrees (+{YEAR_AGREES:.2f})"
        return DATE_DIFFERS, (f"birth date {date} differs from {'/'.join(dates[:3])} "
                              f"({DATE_DIFFERS:+.2f})")

    # -- screening -----------------------------------------------------------------------------

    def screen(self, query: Query, *, keep_all: bool = False) -> Result:
        """The result for one query (see `screen_many`)."""
        return self.screen_many([query], keep_all=keep_all)[0]

    def screen_many(self, queries: Sequence[Query], *, keep_all: bool = False) -> list[Result]:
        """The result for each query, in order: matches at or above the review threshold, best
        first (ties by id, so equal scores are all shown, never one silently picked).
        `keep_all` keeps every candidate considered, for `--explain`."""
        settings = self.settings
        floor = 0.0 if keep_all else settings.review_threshold
        queries = [_readable(q) for q in queries]
        # A row with an unreadable field is still looked up by its IMO number, which decides
        # alone: a listed ship is never sent to review for a bad MMSI or a missing name.
        live = [q for q in queries if not q.error or q.imo]
        blocked = self.block_many(live)
        candidates = [self._candidates(q, b) for q, b in zip(live, blocked, strict=True)]
        # Without identifiers, country or date, the score is the name similarity: only names
        # that reach the floor are looked at further.
        floors = [floor if not (q.imo or q.mmsi or q.identifiers or q.countries or q.date)
                  else 0.0 for q in live]
        names = iter(self._names_many(live, candidates, floors))
        ids = self.index.entity_ids
        results = []
        for query in queries:
            if query.error and not query.imo:
                results.append(Result(query.row, query.id, "review", [], query.error,
                                      query.warnings))
                continue
            found = next(names)
            if query.imo or query.mmsi or query.identifiers or query.countries or query.date:
                scored: list[Scored] = []
                for number, (name, best_i, how) in found.items():
                    entity = self._entities[number]
                    score, features, decisive = self._features(query, entity, max(name, 0.0))
                    if score >= floor:
                        scored.append(Scored(score, entity.id, entity, features, decisive,
                                             best_i, how))
                scored.sort(key=lambda m: (-m.score, m.id))
                if not keep_all:
                    scored = scored[: settings.limit]
            else:
                # The score is the name similarity: rank by it and the node's id, and read
                # only the nodes reported.
                ranked = sorted(
                    ((round(min(max(name, 0.0), 1.0), 4), ids[number], number, best_i, how)
                     for number, (name, best_i, how) in found.items() if name >= floor),
                    key=lambda m: (-m[0], m[1]))
                if not keep_all:
                    ranked = ranked[: settings.limit]
                scored = [Scored(score, node_id, self._entities[number], {"name": score}, None,
                                 best_i, how) for score, node_id, number, best_i, how in ranked]
            # Explanations only for the matches reported.
            matches = [self._match(query, entity, score, features, decisive, best_i, how)
                       for score, _id, entity, features, decisive, best_i, how in scored]
            close = [(matches[i], why)
                     for i, why in _close_calls(scored, settings.threshold)]
            if close:
                _explain_close_call(matches[0], close)
            decision = decide(matches, settings, read_in_part=bool(query.error))
            results.append(Result(query.row, query.id, decision, matches, query.error,
                                  query.warnings))
        return results


def apart(one: IndexedEntity, other: IndexedEntity) -> str | None:
    """Why two listed entities cannot be one (their IMO numbers differ, one list lists both, or
    their dates share no year), or None: two nodes of one name from two lists may be one
    entity the resolution has not merged (ROSNEFT of the EU and OFAC lists)."""
    if one.imos and other.imos and not set(one.imos).intersection(other.imos):
        return f"IMO {'/'.join(one.imos)} against {'/'.join(other.imos)}"
    shared = sorted(set(one.sources).intersection(other.sources))
    if shared:
        return f"{shared[0]} lists both"
    years, others = {d[:4] for d in one.dates}, {d[:4] for d in other.dates}
    if years and others and not years & others:
        return f"dates {'/'.join(sorted(years))} against {'/'.join(sorted(others))}"
    return None


def _close_calls(scored: Sequence[Scored], threshold: float) -> list[tuple[int, str]]:
    """Positions of the candidates that fit a row as well as its best (within
    CLOSE_CALL_MARGIN) when the best would match (reaches `threshold`) and no identifier
    decides it, and that cannot be one entity with it (`apart`), each with why."""
    if len(scored) < 2 or scored[0].decisive or scored[0].score < threshold:
        return []
    best, floor = scored[0].entity, scored[0].score - CLOSE_CALL_MARGIN
    out = []
    for i, row in enumerate(scored[1:], start=1):
        if row.score < floor:
            break
        why = apart(best, row.entity)
        if why:
            out.append((i, why))
    return out


def _explain_close_call(top: Match, close: Sequence[tuple[Match, str]]) -> None:
    named = "; ".join(f"{m.caption} ({m.entity_id}, {m.score:.2f}: {why})" for m, why in close)
    top.features["close_call"] = float(len(close))
    who = "another entity fits" if len(close) == 1 else "other entities fit"
    top.explanation += (f"; close call, review: {who} as well and nothing in the row tells "
                        f"them apart: {named}")


def decide(matches: Sequence[Match], settings: Settings, *, read_in_part: bool) -> str:
    """A row's decision from its best match. A row read only in part (an unreadable field) is
    a match only when its IMO number decides it, otherwise review: never clear. A close call
    (`_close_calls`) is review, never a match on one of them."""
    top = matches[0] if matches and matches[0].score >= settings.review_threshold else None
    score = top.score if top else 0.0
    if read_in_part:
        decided = top is not None and top.features.get("identifier") == 1.0
        return "match" if decided and score >= settings.threshold else "review"
    if score >= settings.threshold:
        return "review" if top and top.features.get("close_call") else "match"
    return "review" if score >= settings.review_threshold else "clear"


def compatible_schemata(schema: str | None) -> Collection[str] | None:
    return None if schema is None else COMPATIBLE.get(schema)

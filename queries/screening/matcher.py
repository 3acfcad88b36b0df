"""Scoring queries against the index, a batch at a time: blocking (`blocking`), the name
steps (`names`), the pair and row features (`pairs`), each a named feature of an algorithm
(`features`, `algorithms`), and the explanation made from the features that fired (`explain`).

The score is the best name similarity between the query and any name of the node (0..1), made
by the algorithm's name steps in order; then a feature that decides (a shared identifier) sets
it to 1.0, or else the features that adjust (country, date) move it; a cap (an IMO conflict)
holds it; a row feature (a close call) may send the row to review. `sanctions-graph screen
--algorithms` prints every algorithm's features with their weights and reasons.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any, Final, NamedTuple

import numpy as np

from graph.matching.text import (
    DISTINCTIVE_LETTERS,
    distinctive,
    is_abjad,
    match_tokens,
    skeleton,
    sorted_key,
)
from graph.matching.tuning import SOUND_LETTERS
from queries.screening.algorithms import algorithm
from queries.screening.blocking import Blocker
from queries.screening.defaults import DEFAULT_LIMIT as DEFAULT_LIMIT
from queries.screening.defaults import MATCH_THRESHOLD as MATCH_THRESHOLD
from queries.screening.defaults import REVIEW_THRESHOLD as REVIEW_THRESHOLD
from queries.screening.explain import Explainer, explain_row
from queries.screening.features import Kind
from queries.screening.index import IndexedEntity, ScreenIndex
from queries.screening.names import NameBatch, first_per_group
from queries.screening.types import CLASS_SCHEMA as CLASS_SCHEMA
from queries.screening.types import COMPATIBLE as COMPATIBLE
from queries.screening.types import ORG_CLASS as ORG_CLASS
from queries.screening.types import QUOTED_CHARS as QUOTED_CHARS
from queries.screening.types import SCHEMATA as SCHEMATA
from queries.screening.types import Match as Match
from queries.screening.types import NameHit as NameHit
from queries.screening.types import Query as Query
from queries.screening.types import Result as Result
from queries.screening.types import Scored as Scored
from queries.screening.types import Settings as Settings
from queries.screening.types import Variant as Variant
from queries.screening.types import schema_class as schema_class
from queries.screening.types import unreadable_name as unreadable_name

#: Words the index does not know weigh like a word this many names hold.
UNKNOWN_WORD_DF: Final = 30
#: Up to this many names, `prepare` decodes every name's keys before workers fork (they share
#: them); a larger index decodes only the names a screen compares.
SHARED_NAMES: Final = 1_000_000


@lru_cache(maxsize=50_000)
def query_keys(tokens: tuple[str, ...]) -> tuple[str, str, str, bool]:
    """A query's sorted key, written-order key, skeleton key, and whether the skeleton is long
    enough to compare (four consonants or more), computed once per query name."""
    sound = " ".join(sorted(skeleton(t) for t in tokens))
    return (sorted_key(tokens), " ".join(tokens), sound,
            len(sound.replace(" ", "")) >= SOUND_LETTERS)


class Comparison(NamedTuple):
    """One query against one listed entity (`Matcher.compare`)."""

    match: Match
    #: The features that fired, in the algorithm's order.
    fired: tuple[str, ...]


class _Rarity(dict[str, float]):
    """Words' weights, `unknown` for a word the index does not hold."""

    unknown: float = 0.0

    def __missing__(self, word: str) -> float:
        return self.unknown


class Matcher(Blocker):
    """Screens queries against one index with one set of settings and its algorithm.

    Queries are screened in batches (`screen_many`): the blocking of a whole batch is one sparse
    matrix product (queries x features times features x names), and every (query, candidate
    name) pair of the batch is compared in a few rapidfuzz calls, so Python does little per
    pair. `screen(query)` is a batch of one."""

    def __init__(self, index: ScreenIndex, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        super().__init__(index, settings)
        self.algorithm = algorithm(settings.algorithm)
        self._bits = self.algorithm.bits
        self._explainer = Explainer(self.algorithm)
        self._settling = sum(self._bits[f.name] for f in self.algorithm.names if f.settles)
        pairs = self.algorithm.pairs
        self._decides = [f for f in pairs if f.kind is Kind.DECIDES]
        self._adjusts = [f for f in pairs if f.kind is Kind.ADJUST]
        self._caps = [f for f in pairs if f.kind is Kind.CAP]
        #: The query fields the pair features read: a query with none is scored by name alone.
        self._reads = tuple(sorted(self.algorithm.reads()))
        rarity = index.weights.idf(index.weights.tokens)
        #: Every indexed word's weight, as the index's weights were set (`index.Weights`).
        #: Words the index does not hold (a misspelling, a word of no list) weigh like a word
        #: some dozens of names share: neither rare evidence nor noise.
        self._weights = _Rarity(zip(index.tokens.ids, rarity.tolist(), strict=True))
        self._weights.unknown = index.idf(UNKNOWN_WORD_DF)
        #: A word's weight (its inverse document frequency), as a plain dict lookup: called
        #: for every word compared word by word.
        self.weight = self._weights.__getitem__
        classes = np.array([schema_class(s) for s in index.schemata] or [0], dtype=np.int8)
        self._entry_class: list[int] = classes[index.entry_schema].tolist()
        #: Per listed name (entry): an organisation's, a person's, short, of several words,
        #: with initials.
        self.entry_org = classes[index.entry_schema] == ORG_CLASS
        self.entry_person = index.entry_schema == (
            index.schemata.index("Person") if "Person" in index.schemata else 255)
        self.entry_short = index.entry_short
        self.entry_spaced = index.entry_spaced
        self.entry_acronym = np.diff(index.entry_acronyms.offsets) > 0
        self._words: Any = None

    def prepare(self) -> None:
        """Build what is otherwise built on first use (before forking workers, so they share
        it instead of each building its own)."""
        self._words_matrix()
        self._feature_stats()
        index = self.index
        if len(index.entry_entity) <= SHARED_NAMES:
            for names in (index.entry_keys, index.entry_plains, index.entry_skeletons):
                names.decode_all()

    def _words_matrix(self) -> Any:
        """Names x words (entries x index tokens) with ones, and each name's distinct words'
        summed rarity and number, built on first use."""
        if self._words is None:
            matrix = self._matrix()
            tokens = matrix[: self.gram_base].T.tocsr()
            rarity = np.asarray([self._weights[t] for t in self.index.tokens.ids])
            self._words = (tokens, tokens @ rarity, np.diff(tokens.indptr))
        return self._words

    def variant_words(self, variants: Sequence[Variant]) -> tuple[Any, Any, Any]:
        """The query variants' words of the index (variants x index tokens, each word's
        rarity), their numbers of distinct words and their summed rarity, for `covers`."""
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

    def covers(self, words: tuple[Any, Any, Any], which: Any, entries: Any) -> Any:
        """For pairs of a query variant (`which`, rows of `variant_words`) and a name (entry):
        the share of the longer name's rarity (summed idf) held by words of the other. Words
        both hold are words of the index: one sparse product gives what they hold."""
        names, masses, sizes = self._words_matrix()
        wanted, own, own_mass = words
        held = np.asarray(wanted[which].multiply(names[entries]).sum(axis=1)).ravel()
        total = np.where(own[which] >= sizes[entries], own_mass[which], masses[entries])
        return np.divide(held, total, out=np.zeros(len(held)), where=total > 0)

    # -- scoring -------------------------------------------------------------------------------

    def _variants(self, query: Query, classes: Collection[int],
                  variants: list[Variant]) -> dict[int, int]:
        """The query's name as compared with each class of candidate, appended to `variants`;
        each class's position there."""
        mine: dict[int, int] = {}
        in_abjad = is_abjad(query.name)
        for code in classes:
            tokens = match_tokens(query.name, query.schema or CLASS_SCHEMA[code])
            words = frozenset(tokens)
            mine[code] = len(variants)
            key, plain, sound, sound_ok = query_keys(tokens)
            org = code == ORG_CLASS
            if org and sound_ok:
                # An organisation's skeleton counts by its distinctive words alone.
                sound_ok = len("".join(map(skeleton, distinctive(tokens)))) \
                    >= DISTINCTIVE_LETTERS
            # Summed in one order (sorted), not the set's: a float sum's last bits depend on
            # its order, and ties between names are decided on them.
            variants.append(Variant(tokens, key, plain, sound, sound_ok, words,
                                    sum(map(self.weight, sorted(words))), in_abjad, org))
        return mine

    def _names_many(self, queries: Sequence[Query], candidates: Sequence[list[int]],
                    floors: Sequence[float]) -> list[dict[int, NameHit]]:
        """For each query, each candidate node's best name (`NameHit`) by entity number, for
        the nodes whose similarity reaches the query's floor: every (query, candidate name)
        pair of the batch goes through the algorithm's name steps in order."""
        entry_class, first = self._entry_class, self._first
        pair_query: list[int] = []
        pair_entry: list[int] = []
        pair_variant: list[int] = []
        variants: list[Variant] = []  # one per query and class of candidate
        for i, (query, entries) in enumerate(zip(queries, candidates, strict=True)):
            if not entries:
                continue
            if query.schema is not None:
                classes = [schema_class(query.schema)] * len(entries)
            else:
                classes = [entry_class[e] for e in entries]
            mine = self._variants(query, set(classes), variants)
            pair_query.extend([i] * len(entries))
            pair_entry.extend(entries)
            pair_variant.extend([mine[c] for c in classes])
        out: list[dict[int, NameHit]] = [{} for _ in queries]
        if not pair_entry:
            return out
        batch = NameBatch(self, queries, variants, pair_query, pair_entry, pair_variant,
                          floors, self._bits, self._settling)
        for feature in self.algorithm.names:
            feature.step(batch, feature)
        sims = batch.sims
        sim_list, code_list = sims.tolist(), batch.how.tolist()
        node_list = self.entry_entity_np[batch.at].tolist()
        best = first_per_group(batch.groups, sims)
        best = best[sims[best] >= np.asarray(floors)[np.asarray(pair_query)[best]]]
        for p in best.tolist():
            node = node_list[p]
            out[pair_query[p]][node] = NameHit(sim_list[p], pair_entry[p] - first[node],
                                               code_list[p])
        return out

    def _score(self, query: Query, entity: IndexedEntity,
               name: float) -> tuple[float, dict[str, float], str | None]:
        """The score from the name similarity and the pair features, the features that moved
        it, and the words of what decided it if anything did."""
        features: dict[str, float] = {"name": round(name, 4)}
        score = name
        decisive = None
        for feature in self._decides:
            value = feature.score(query, entity, feature)
            if value is not None:
                features[feature.name] = value
                decisive = feature.explain(query, entity, value, feature)
                score = feature.params["score"]
                break
        else:
            for feature in self._adjusts:
                value = feature.score(query, entity, feature)
                if value is not None:
                    features[feature.name] = value
                    score += value
        for feature in self._caps:
            value = feature.score(query, entity, feature)
            if value is not None:
                features[feature.name] = value
                score = min(score, feature.params["cap"])
        return round(min(max(score, 0.0), 1.0), 4), features, decisive

    def _qualified(self, query: Query) -> bool:
        """Whether a pair feature can move this query's scores (else the name alone ranks)."""
        return any(getattr(query, field) for field in self._reads)

    def compare(self, query: Query, entity_id: str) -> Comparison:
        """How one query compares with one listed entity, whatever the blocking would find:
        the match (score, best name, explanation) and the features that fired, in the
        algorithm's order. Compared alone, the word-by-word step (which a screen runs for the
        few nodes nearest each query) always runs. A KeyError for an id the index lacks."""
        number = next((i for i, e in enumerate(self.index.entity_ids) if e == entity_id), None)
        if number is None:
            raise KeyError(entity_id)
        query = query.readable()
        [hits] = self._names_many([query], [list(self._entries_of(number))], [0.0])
        hit = hits[number]
        entity = self._entities[number]
        score, features, decisive = self._score(query, entity, max(hit.similarity, 0.0))
        scored = Scored(score, entity.id, entity, features, decisive, hit.best_i, hit.how)
        fired = [f.name for f in self.algorithm.names if hit.how & self._bits[f.name]]
        fired.extend(f.name for f in self.algorithm.pairs if f.name in features
                     or (f.kind is Kind.INFORMS and not decisive
                         and f.score(query, entity, f) is not None))
        return Comparison(self._explainer.match(query, scored), tuple(fired))

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
        queries = [q.readable() for q in queries]
        # A row with an unreadable field is still looked up by its IMO number, which decides
        # alone: a listed ship is never sent to review for a bad MMSI or a missing name.
        live = [q for q in queries if not q.error or q.imo]
        blocked = self.block_many(live)
        candidates = [self._candidates(q, b) for q, b in zip(live, blocked, strict=True)]
        # Without a feature but the name's, the score is the name similarity: only names that
        # reach the floor are looked at further.
        floors = [0.0 if self._qualified(q) else floor for q in live]
        names = iter(self._names_many(live, candidates, floors))
        ids = self.index.entity_ids
        results = []
        for query in queries:
            if query.error and not query.imo:
                results.append(Result(query.row, query.id, "review", [], query.error,
                                      query.warnings))
                continue
            found = next(names)
            if self._qualified(query):
                scored: list[Scored] = []
                for number, (name, best_i, how) in found.items():
                    entity = self._entities[number]
                    score, features, decisive = self._score(query, entity, max(name, 0.0))
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
            matches = [self._explainer.match(query, s) for s in scored]
            for feature in self.algorithm.rows:
                found_rows = feature.score(scored, settings.threshold, feature)
                if found_rows:
                    explain_row(feature, matches[0],
                                [(matches[i], why) for i, why in found_rows])
            decision = decide(matches, settings, read_in_part=bool(query.error))
            results.append(Result(query.row, query.id, decision, matches, query.error,
                                  query.warnings))
        return results


def decide(matches: Sequence[Match], settings: Settings, *, read_in_part: bool) -> str:
    """A row's decision from its best match. A row read only in part (an unreadable field) is
    a match only when its IMO number decides it, otherwise review: never clear. A best match
    marked by a row feature (a close call) is review, never a match on one of them."""
    top = matches[0] if matches and matches[0].score >= settings.review_threshold else None
    score = top.score if top else 0.0
    if read_in_part:
        decided = top is not None and top.features.get("identifier") == 1.0
        return "match" if decided and score >= settings.threshold else "review"
    if top is None:  # no match at all at or above the review floor (which may be 0)
        return "clear"
    if score >= settings.threshold:
        held = any(f.name in top.features for f in algorithm(settings.algorithm).rows)
        return "review" if held else "match"
    return "review" if score >= settings.review_threshold else "clear"


def compatible_schemata(schema: str | None) -> Collection[str] | None:
    return None if schema is None else COMPATIBLE.get(schema)

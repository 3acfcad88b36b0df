"""Blocking: which listed names a query is compared with. One sparse product per batch
(queries x features times features x names) ranks the names sharing the most rare features
with each query (its words, their consonant skeletons, the trigrams of words the index does not
know and the known words one typo from them, initials, Arabic-script consonants); a strong
identifier adds every name of the nodes it finds."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any, Final, NamedTuple

import numpy as np
from rapidfuzz.distance import OSA

from graph.matching.text import (
    ABJAD_FEATURE,
    INITIALS_FEATURE,
    ORG_SCHEMATA,
    SHORT_NAME_FEATURE,
    SPELLING_MIN,
    abjad_key,
    acronym_feature,
    deletions,
    is_abjad,
    match_tokens,
    query_acronyms,
    skeleton,
    spelling_hash,
    trigrams,
)
from queries.screening.index import IndexedEntity, ScreenIndex
from queries.screening.names import first_per_group
from queries.screening.types import (
    COMPATIBLE,
    SCHEMA_ROWS,
    SCHEMATA,
    Query,
    Settings,
)

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
#: Blocking weight of a word's consonants shared by a query in Arabic script and a Latin name:
#: a word and its sound at once (the Arabic-script names of a dozen relatives sharing three
#: words with the query as written must not crowd out the Latin name sharing all four).
ABJAD_WEIGHT: Final = TOKEN_WEIGHT + SOUND_WEIGHT
#: Tokens whose blocking features are kept between queries (names repeat words a lot).
FEATURE_CACHE: Final = 100_000


@lru_cache(maxsize=20_000)
def abjad_features(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Blocking features of a query written in Arabic script: its words' consonants
    (`text.abjad_key`), alone and with the next word's (ولی جان is WALIJAN), marked with
    `text.ABJAD_FEATURE`."""
    words = abjad_key(tokens).split()
    joined = [a + b for a, b in pairwise(words)]
    return tuple(dict.fromkeys(ABJAD_FEATURE + w for w in (*words, *joined) if len(w) >= 2))



def query_features(name: str, schema: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What blocking looks a query's name up by: its words (each read as itself, or as its
    trigrams and the known words one typo from it when the index does not know it, and as its
    skeleton: `Blocker._token_features`), and its features of the `sounds` postings read as
    they are (Arabic-script consonants, acronym forms)."""
    words = match_tokens(name, schema)
    features: tuple[str, ...] = ()
    if is_abjad(name):
        features = abjad_features(words)
    if schema is None or schema in ORG_SCHEMATA:
        # Initials of names of several words for a query of one, and the other way.
        features = (*features, *(acronym_feature(f, len(words) != 1)
                                 for f in query_acronyms(words)))
    return words, features


class Posting(NamedTuple):
    """A blocking feature a query reads: its postings' length (sorted on first: rarest
    first), its row of the blocking matrix, and its weight."""

    size: int
    row: int
    weight: float


class Family(NamedTuple):
    """A family of blocking features (tokens, trigrams or skeletons): each feature's postings
    length and rarity (idf, of the index's pinned `Weights`), and the family's first row in the
    blocking matrix."""

    sizes: list[int]
    idf: list[float]
    base: int

    def posting(self, row: int, weight: float) -> Posting:
        """The family's feature `row` read with `weight` (times its rarity)."""
        return Posting(self.sizes[row], self.base + row, weight * self.idf[row])


class Blocker:
    """Finds each query's candidate names in one index, within one screen's settings (sources
    and schema screened against)."""

    def __init__(self, index: ScreenIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._entities = index.entities
        self._features_of: dict[str, list[Posting]] = {}
        self._n_entries = len(index.entry_entity)
        self._entry_allowed: Any = None
        if settings.sources is not None:
            sets = index.entity_sources
            screened = np.array([any(s in settings.sources for s in sources)
                                 for sources in sets.sets] or [False], dtype=bool)
            self._entry_allowed = screened[sets.codes][index.entry_entity]
        self._entry_entity: list[int] = index.entry_entity.tolist()
        #: Each name's node number.
        self.entry_entity_np = index.entry_entity.astype(np.int64)
        self._first: list[int] = index.entity_first_entry.tolist()
        #: Rows: a query schema's position in SCHEMATA (the last row: no schema, everything);
        #: columns: an entry's schema code. True where the query may match the entry.
        self.compatible = np.ones((len(SCHEMATA) + 1, 256), dtype=bool)
        for row, schema in enumerate(SCHEMATA):
            self.compatible[row] = False
            allowed = COMPATIBLE[schema]
            for code, name in enumerate(index.schemata):
                self.compatible[row, code] = name in allowed
        #: Feature rows of the blocking matrix: token postings, then trigram, then skeleton.
        self.gram_base = len(index.tokens.ids)
        self.sound_base = self.gram_base + len(index.grams.ids)
        self._postings: Any = None
        self._stats: tuple[Family, Family, Family] | None = None
        self._words_of: list[str] | None = None
        #: The current batch's unknown words' typo neighbours (`_one_typo_from`).
        self._typos: dict[str, list[int]] = {}

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

    # -- candidates ----------------------------------------------------------------------------

    def _feature_stats(self) -> tuple[Family, Family, Family]:
        """The families of blocking features (tokens, trigrams, skeletons), built on first
        use."""
        if self._stats is None:
            index = self.index
            families = []
            bases = (0, self.gram_base, self.sound_base)
            weights = index.weights
            for part, counts, base in zip((index.tokens, index.grams, index.sounds),
                                          (weights.tokens, weights.grams, weights.sounds),
                                          bases, strict=True):
                # Postings read as they are (what reading them costs), weighed as the
                # weights were set (`index.Weights`).
                sizes = np.diff(part.offsets)
                families.append(Family(sizes.tolist(), weights.idf(counts).tolist(), base))
            self._stats = (families[0], families[1], families[2])
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

    def _token_features(self, token: str) -> list[Posting]:
        """The postings a token reads (`Posting`: length, row, weight) for its features: the
        token itself, or its trigrams and the known words one typo from it when the index does
        not know it, and its skeleton. A consonant or initials feature (`abjad_features`,
        `text.acronym_feature`) is its own single feature."""
        index = self.index
        tokens, grams, sounds = self._feature_stats()
        out: list[Posting] = []
        if token.startswith((ABJAD_FEATURE, INITIALS_FEATURE, SHORT_NAME_FEATURE)):
            row = index.sounds.ids.get(token)
            if row is not None:
                weight = ABJAD_WEIGHT if token.startswith(ABJAD_FEATURE) else SOUND_WEIGHT
                out.append(sounds.posting(row, weight))
            return out
        # A word the index knows is found by itself and its skeleton (HASAN/HASSAN share
        # HSN); character trigrams are for words it does not know (a typo, a new spelling),
        # each weighing its share of the word's grams.
        row = index.tokens.ids.get(token)
        if row is not None:
            out.append(tokens.posting(row, TOKEN_WEIGHT))
        else:
            spelled = trigrams(token)
            share = 1.0 / max(len(spelled), 1)
            out.extend(grams.posting(g, share) for gram in spelled
                       if (g := index.grams.ids.get(gram)) is not None)
            # ... and the known words one typo from it (ISABELLA for IABELLA).
            typos = self._typos.get(token)
            if typos is None:
                typos = self._one_typo_from([token]).get(token, [])
            out.extend(tokens.posting(r, TYPO_WEIGHT) for r in typos)
        sound = skeleton(token)
        row = index.sounds.ids.get(sound) if len(sound) >= 2 else None
        if row is not None:
            out.append(sounds.posting(row, SOUND_WEIGHT))
        return out

    def postings_of(self, tokens: Sequence[str]) -> list[Posting]:
        """Every posting a query's tokens (words and features) may read, rarest first (ties by
        row, so the order never depends on set order)."""
        cache = self._features_of
        features: list[Posting] = []
        for token in set(tokens):
            known = cache.get(token)
            if known is None:
                known = self._token_features(token)
                if len(cache) < FEATURE_CACHE:
                    cache[token] = known
            features.extend(known)
        features.sort()
        return features

    def _query_features(self, tokens: Sequence[str]) -> tuple[list[int], list[float]]:
        """The blocking matrix rows a query reads and their weights: rarest first (ties by
        row, so the choice never depends on set order), common ones ("ltd", "^mo") only
        within the postings budget: a posting longer than the budget only when it is the
        rarest."""
        features = self.postings_of(tokens)
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
            words, looked_up = query_features(query.name, query.schema)
            features.append((*words, *looked_up))
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
        keep = self.compatible[np.repeat(codes, np.diff(bounds)),
                                index.entry_schema[indices]]
        if self._entry_allowed is not None:
            keep &= self._entry_allowed[indices]
        scores[~keep] = 0.0
        # Each query's best MAX_ENTRIES names, best first, names of equal score in the order of
        # the index (by node id): which of them are kept depends on them alone, not on where
        # the product put them nor on the names that scored nothing, so a load that changes
        # no name the query shares a feature with changes none of its candidates.
        ranked: list[Any] = []
        for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            row = scores[start:end]
            top = np.flatnonzero(row > 0.0)
            if len(top) > MAX_ENTRIES:
                floor = np.partition(row[top], len(top) - MAX_ENTRIES)[len(top) - MAX_ENTRIES]
                top = top[row[top] >= floor]
            top = top[np.lexsort((indices[start + top], -row[top]))][:MAX_ENTRIES]
            ranked.append(start + top)
        counts = [len(r) for r in ranked]
        at = np.concatenate(ranked)
        entries = indices[at]
        # ... of its first `limit` nodes: a (query, node) group is kept when fewer than `limit`
        # other nodes of that query were found before it.
        query_of = np.repeat(np.arange(len(queries), dtype=np.int64), counts)
        groups = query_of * len(self._entities) + self.entry_entity_np[entries]
        firsts = first_per_group(groups, -np.arange(len(entries)))  # each group's first place
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


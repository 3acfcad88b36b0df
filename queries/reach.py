"""What a change of the lists can reach: which portfolio rows monitoring (`queries.monitor`)
must screen again so that its alerts are those between two full screens.

A row's result depends on the row, the pinned word weights (`screening.index.Weights`), and
what blocking reads for it (`screening.blocking`): the postings of its words (or, for a word the
index does not know, of its trigrams and of the known words one typo from it), of their
skeletons and of its Arabic-script consonants and acronym forms, each in order of length and a
longer one only within the postings budget; then the listed names kept from them, and those
names' facts. So a change reaches a row only when, for it,
- blocking may read other postings before and after (a word the index learnt or forgot, a
  posting gone, or one whose length moved across the budget in the row's walk), or
- it reads a posting that held a name taken off since (that name may have been kept before), or
- it reads a posting holding the name of a changed entity (added, altered, regrouped) of a
  class it may match, and blocking keeps that name for it now (a node's place in the index is
  its id's, so with the same postings it kept the same names before).

`Change` holds what the change did to the postings: for each feature a bound on how much its
posting's length moved (the names gained or lost, record by record, `moved`; and the names of
nodes regrouped since, whose distinct names may count once or twice), the features of the
names taken off, and the features of the changed entities' names. `Reach` answers for a word
(which rows to look at: a posting is read only after every shorter one of the row fits in the
budget, so only a word's own shortest postings can be read, whatever the row's other words)
and for a row (its walk over its postings, each changed one's length known within its bound:
`_sure_walk`).

Rows are keyed when added (`row_keys`): their words and their features looked up as they are,
under each class of listed entity (person, vessel, organisation: its number in front) the row
can match, and their identifiers.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple

import numpy as np

from graph.identifiers import clean_imo_company, clean_imo_ship, clean_mmsi
from graph.matching.text import (
    ABJAD_FEATURE,
    INITIALS_FEATURE,
    SHORT_NAME_FEATURE,
    deletions,
    skeleton,
    trigrams,
)
from graph.store import Store
from queries.screening.blocking import POSTINGS_BUDGET, Blocker, query_features
from queries.screening.index import IDENTIFIER_PROPS, IndexedEntity, identifier_key, name_features
from queries.screening.types import (
    CLASS_SCHEMA,
    COMPATIBLE,
    SCHEMA_ROWS,
    SCHEMATA,
    Query,
    schema_class,
)

#: Bump when the keys change: a store's portfolios are keyed again (`queries.portfolio`).
KEYS_VERSION: Final = 3
WORD: Final = "w"
#: The marks of features looked up as they are, not made of one word (`blocking.query_features`).
LOOKED_UP: Final = (ABJAD_FEATURE, INITIALS_FEATURE, SHORT_NAME_FEATURE)
SOUND: Final = "s"
IDENTIFIER: Final = "#"


def row_classes(schema: str | None) -> list[int]:
    """The classes of listed entity a row of this type can match (every class when untyped)."""
    if schema:
        return sorted({schema_class(s) for s in COMPATIBLE.get(schema, ())})
    return list(range(len(CLASS_SCHEMA)))


def row_keys(query: Query) -> set[str]:
    """A row's keys: its words and the features blocking looks its name up by as they are,
    under each class it can match, and its identifiers (a word's skeleton, trigrams and typo
    neighbours are found from the word: `Reach.word_reaches`)."""
    words, features = query_features(query.name, query.schema)
    out: set[str] = set()
    for tag in row_classes(query.schema):
        out.update(f"{tag}{WORD}{w}" for w in words)
        out.update(f"{tag}{SOUND}{f}" for f in features)
    out.update(IDENTIFIER + v for v in (query.imo, query.mmsi, *query.identifiers) if v)
    return out


def _identifier_values(prop: str, raw: str) -> set[str]:
    """An identifier's keys as the index may make them (a ship's or a company's IMO number)."""
    if prop == "imoNumber":
        return {v for v in (clean_imo_ship(raw), clean_imo_company(raw)) if v}
    if prop == "mmsi":
        return {v for v in (clean_mmsi(raw),) if v}
    return {v for v in (identifier_key(raw),) if v}


_NAMES: Final = ("SELECT e.record_id, m.name, m.schema FROM names m JOIN entities e "
                 "ON e.load_id = m.load_id AND e.id = m.entity_id WHERE m.load_id = ?")
_IDENTIFIERS: Final = ("SELECT e.record_id, p.prop, p.value FROM props p JOIN entities e "
                       "ON e.load_id = p.load_id AND e.id = p.entity_id WHERE p.load_id = ? "
                       "AND p.prop IN ({marks})")


class Moved(NamedTuple):
    """What changed between the lists in force at the last run and those in force now, record
    by record (`moved`): the names taken off or put on (each with the schema of every class:
    the node a record is part of may have another schema), and the identifier keys."""

    #: One (name, its schemata) for each name a record gained or lost.
    names: list[tuple[str, tuple[str, ...]]]
    identifiers: set[str]
    #: Of `names`, those taken off (delisted, or no longer a record's name).
    removed: list[tuple[str, tuple[str, ...]]]


def moved(store: Store, before: Sequence[Mapping[str, Any]],
          now: Sequence[Mapping[str, Any]]) -> Moved:
    """The names and identifiers that the lists in force `before` (list versions: `source`,
    `load_id`) and those in force `now` do not both hold, record by record: those of records
    listed or delisted, and those put on or taken off a record that stays."""
    old = {v["source"]: v["load_id"] for v in before}
    new = {v["source"]: v["load_id"] for v in now}
    props = ("imoNumber", "mmsi", *IDENTIFIER_PROPS)
    identifiers_sql = _IDENTIFIERS.format(marks=", ".join("?" * len(props)))
    names: list[tuple[str, tuple[str, ...]]] = []
    removed: list[tuple[str, tuple[str, ...]]] = []
    identifiers: set[str] = set()
    for source in sorted(old.keys() | new.keys()):
        old_load, new_load = old.get(source), new.get(source)
        if old_load == new_load:
            continue

        def read(sql: str, load: int | None, *args: str) -> set[tuple[str, str, str]]:
            if load is None:
                return set()
            return {(r, a, b) for r, a, b in store.conn.execute(sql, (load, *args))}

        held_then, held_now = read(_NAMES, old_load), read(_NAMES, new_load)
        for record, name, schema in sorted(held_then ^ held_now):
            forms = (name, tuple(schema if schema_class(schema) == tag else class_schema
                                 for tag, class_schema in enumerate(CLASS_SCHEMA)))
            names.append(forms)
            if (record, name, schema) in held_then:
                removed.append(forms)
        for _, prop, raw in (read(identifiers_sql, old_load, *props)
                             ^ read(identifiers_sql, new_load, *props)):
            identifiers.update(IDENTIFIER + v for v in _identifier_values(prop, raw))
    return Moved(names, identifiers, removed)


def _features(name: str, schemata: Iterable[str]) -> set[tuple[str, str]]:
    """A listed name's features by family (`tokens`, `grams`, `sounds`), as a node of any of
    these schemata holds them."""
    out: set[tuple[str, str]] = set()
    for schema in schemata:
        tokens, sounds = name_features(name, schema)
        out.update(("tokens", t) for t in tokens)
        out.update(("grams", g) for t in tokens for g in trigrams(t))
        out.update(("sounds", f) for f in sounds)
    return out


class Change:
    """What a change did, as blocking reads it: for each feature (`tokens`, `grams`, `sounds`:
    the index's families) a bound on how much its posting's length changed (the names put on
    or taken off holding it: `moved`), each feature of the changed entities' names (whose
    postings hold other entries now: their entities' changed), and the identifiers. Every class
    of entity counts: a ship added to the skeleton MR lengthens a posting a person named MARY
    reads too."""

    def __init__(self, names: Iterable[tuple[str, tuple[str, ...]]], identifiers: Iterable[str],
                 entities: Iterable[IndexedEntity],
                 removed: Iterable[tuple[str, tuple[str, ...]]] = ()) -> None:
        self.delta: Counter[tuple[str, str]] = Counter()
        for name, schemata in names:  # a name gained or lost: one name more or less
            self.delta.update(_features(name, schemata))
        #: The features of the names taken off: a posting that held one held a name blocking
        #: may have found before and cannot find now.
        self.removed = {f for name, schemata in removed for f in _features(name, schemata)}
        self.identifiers = set(identifiers)
        #: The changed entities' features (each with a bound of 0 unless a name moved).
        self.held: set[tuple[str, str]] = set()
        #: The changed entities' features looked up as they are, as portfolio keys under
        #: their class.
        self.held_looked_up: set[str] = set()
        for entity in entities:
            tag = schema_class(entity.schema)
            for name in entity.names:
                features = _features(name, (entity.schema,))
                self.held |= features
                self.held_looked_up.update(f"{tag}{SOUND}{f}" for family, f in features
                                           if family == "sounds" and f.startswith(LOOKED_UP))
            self.identifiers.update(IDENTIFIER + v for v in
                                    (*entity.imos, *entity.mmsis, *entity.identifiers))

    def feature_keys(self) -> set[str]:
        """The portfolio keys of the changed features not made of one word (Arabic-script
        consonants, acronym forms: `row_keys` keys them as `SOUND`): the changed postings'
        under every class (a posting's length counts every class), the changed entities'
        under theirs (blocking finds a name for a row of a class it may match). Words are
        looked up word by word (`Reach.word_reaches`)."""
        out = {f"{tag}{SOUND}{feature}" for family, feature in self.delta
               if family == "sounds" and feature.startswith(LOOKED_UP)
               for tag in range(len(CLASS_SCHEMA))}
        out.update(self.held_looked_up)
        return out


def _sure_walk(postings: Sequence[tuple[int, int, int]]) -> set[int] | None:
    """The blocking rows a query reads of its postings, as `Blocker._query_features` reads
    them (shortest first, ties by row; a posting only within the budget, unless it is the
    first), when each posting's length is only known to lie between two bounds (shortest,
    longest, row): the rows read whatever the lengths, or None when that depends on them."""
    ranked = sorted(postings)
    keys = [(lo, row) for lo, _, row in ranked]
    taken: set[int] = set()
    high_before = 0  # the longest the postings before, that may be read, can be together
    sure_before = 0  # the shortest the postings surely read can be (their lengths known)
    maybe_read = False  # whether a posting before may be read
    sure_unsure: list[tuple[int, int, int]] = []  # postings of unsure length surely read
    for i, (lo, hi, row) in enumerate(ranked):
        # Postings ranked after this one but maybe before it (their length unsure; none for
        # a posting of known length, the ranking being by shortest length).
        later = ranked[i + 1:bisect.bisect_left(keys, (hi, row))] if hi > lo else ()
        high = high_before + sum(h for _, h, _ in later) if later else high_before
        low = sure_before
        if sure_unsure:
            low += sum(lo_j for lo_j, hi_j, row_j in sure_unsure if (hi_j, row_j) < (lo, row))
        surely_after = sure_before > 0 or low > 0
        if not (maybe_read or later) or high + hi <= POSTINGS_BUDGET:
            taken.add(row)
            maybe_read = True
            high_before += hi
            if lo == hi:
                sure_before += lo
            else:
                sure_unsure.append((lo, hi, row))
        elif not (surely_after and low + lo > POSTINGS_BUDGET):
            return None
    return taken


class Reach:
    """Whether a change can reach a row: whether blocking, in the index before the change or
    in the one now, can read a posting the change lengthened, shortened or made (see the
    module).

    The postings a row's name reads come from the index now (`Blocker`), each changed one's
    length known within its bound (its length now, give or take the names gained or lost):
    `_sure_walk` tells the postings read whatever the lengths, or that it depends on them. A
    row whose name is looked up by other features in the two indexes (a word of it the index
    learnt or forgot, a trigram or a typo neighbour it lost) is reached, and so is a row that
    reads a posting holding a name taken off, or one for which blocking finds a changed
    entity's name (`find_changed`)."""

    def __init__(self, change: Change, blocker: Blocker, entities: Collection[int]) -> None:
        self.blocker = blocker
        #: The changed entities' numbers in the index.
        self.entities = frozenset(entities)
        self._entity_array = np.array(sorted(self.entities), dtype=np.int64)
        self._compatible_cache: dict[tuple[int, int], bool] = {}
        self._lost_words: dict[str, bool] = {}
        self._classes_cache: dict[int, set[int]] = {}
        index = blocker.index

        families = {"tokens": (index.tokens, 0), "grams": (index.grams, blocker.gram_base),
                    "sounds": (index.sounds, blocker.sound_base)}
        #: Changed postings by blocking row, with their bounds; changed features the index
        #: holds no more (or at most by the changed names: maybe not before), by family.
        self.rows: dict[int, int] = {}
        #: Blocking rows of postings that held a name taken off.
        self.lost: set[int] = set()
        self.unsure: dict[str, set[str]] = {"tokens": set(), "grams": set(), "sounds": set()}
        for (family, feature), bound in change.delta.items():
            postings, base = families[family]
            row = postings.ids.get(feature)
            size = 0 if row is None else int(postings.offsets[row + 1] - postings.offsets[row])
            if row is not None:
                self.rows[base + row] = bound
                if (family, feature) in change.removed:
                    self.lost.add(base + row)
            if size <= bound:
                self.unsure[family].add(feature)
        self.gone_spellings = {d for w in self.unsure["tokens"] for d in deletions(w)}
        #: The changed words, skeletons and trigrams, and the changed words' spellings with a
        #: letter left out (a word one typo from one of them reads its posting).
        changed_features = {*change.delta, *change.held}
        self.words = {f for family, f in changed_features if family == "tokens"}
        self.sounds = {f for family, f in changed_features if family == "sounds"}
        self.grams = {f for family, f in changed_features if family == "grams"}
        self.spellings = {d for w in self.words for d in deletions(w)}
        #: Blocking rows of postings holding a changed entity's name.
        self.held = {base + row for family, feature in change.held
                     if (row := families[family][0].ids.get(feature)) is not None
                     for base in (families[family][1],)}

    def _looked_up_otherwise(self, word: str) -> bool:
        """Whether a word the index does not know may have been looked up by a trigram or a
        typo neighbour the index no longer holds (or held by the changed names alone)."""
        return word not in self.blocker.index.tokens.ids and (
            not self.unsure["grams"].isdisjoint(trigrams(word))
            or not self.gone_spellings.isdisjoint(deletions(word)))

    def word_reaches(self, word: str) -> set[int]:
        """The classes of rows (`row_classes` tags) a word can make read a posting the change
        touched (as `reaches` tells for a whole row), by itself, its skeleton, or, when the
        index does not know it, its trigrams and the known words one typo from it: every class
        for a posting whose length changed or that held a name taken off, the changed
        entities' classes for a posting holding their names. A posting is read only after
        every shorter one of the row fits in the budget, so of the word's own postings
        (shortest first, each changed one at its shortest) only those within the budget
        together can be read, whatever the row's other words. A word the index may have learnt
        or forgot, or looked up by a feature the index may have lost, reaches every class."""
        every = set(range(len(CLASS_SCHEMA)))
        unsure = self.unsure
        sound = skeleton(word)
        if word in unsure["tokens"] or sound in unsure["sounds"]:
            return every
        touched = word in self.words or sound in self.sounds
        if word not in self.blocker.index.tokens.ids:
            spelled = deletions(word)
            if not self.gone_spellings.isdisjoint(spelled):
                return every
            grams = trigrams(word)
            if not unsure["grams"].isdisjoint(grams):
                return every
            touched = touched or not self.grams.isdisjoint(grams) \
                or not self.spellings.isdisjoint(spelled)
        if not touched:
            return set()
        rows, held, lost = self.rows, self.held, self.lost
        ranked = sorted((max(p.size - rows[p.row], 1), p.size + rows[p.row], p.row)
                        if p.row in rows else (p.size, p.size, p.row)
                        for p in self.blocker.postings_of((word,)))
        classes: set[int] = set()
        for lo, _, row in ranked:
            # The least read before this posting: the word's postings surely before it.
            before = sum(lo_j for lo_j, hi_j, row_j in ranked if (hi_j, row_j) < (lo, row))
            if before and before + lo > POSTINGS_BUDGET:
                break  # never read, nor any posting after it (the least read only grows)
            if row in rows or row in lost:
                return every
            if row in held:
                classes |= self._holder_classes(row)
        return classes
        rows, held, lost = self.rows, self.held, self.lost
        read = 0
        for size, row in sorted((max(p.size - rows[p.row], 1) if p.row in rows else p.size, p.row)
                                for p in self.blocker.postings_of((word,))):
            if read and read + size > POSTINGS_BUDGET:
                return False
            if row in rows or row in held or row in lost:
                return True
            read += size
        return False

    def find_changed(self, queries: Sequence[Query]) -> list[bool]:
        """For each query, whether blocking finds a changed entity's name for it in the index
        now (in the index before, with postings of the same lengths, it found the same names:
        a node's place in the index is its id's)."""
        if not self.entities or not queries:
            return [False] * len(queries)
        entry_entity = self.blocker.index.entry_entity
        return [any(int(entry_entity[e]) in self.entities for e in entries)
                for entries in self.blocker.block_many(queries)]

    def reaches(self, query: Query) -> bool | None:
        """Whether the change reaches a row: True when blocking may read other postings for
        it in the two indexes (its name looked up by other features, a posting's length
        changed across the budget) or reads a posting that held a name taken off; False when
        it reads the same postings, none of them holding the name of a changed entity it may
        match; None when it reads one that does (`find_changed` tells)."""
        words, looked_up = query_features(query.name, query.schema)
        unsure = self.unsure
        if not unsure["tokens"].isdisjoint(words):
            return True
        sounds = {*looked_up, *(s for w in words if len(s := skeleton(w)) >= 2)}
        if not unsure["sounds"].isdisjoint(sounds):
            return True
        for word in words:
            lost = self._lost_words.get(word)
            if lost is None:
                lost = self._lost_words[word] = self._looked_up_otherwise(word)
            if lost:
                return True
        rows = self.rows
        postings = self.blocker.postings_of((*words, *looked_up))
        taken = _sure_walk([(max(p.size - rows[p.row], 1), p.size + rows[p.row], p.row)
                            if p.row in rows else (p.size, p.size, p.row) for p in postings])
        if taken is None or not self.lost.isdisjoint(taken):
            return True
        if self.held.isdisjoint(taken):
            return False
        code = SCHEMA_ROWS.get(query.schema or self.blocker.settings.schema or "",
                               len(SCHEMATA))
        return None if any(self._compatible_holder(row, code) for row in taken
                           if row in self.held) else False

    def _holder_entries(self, row: int) -> Any:
        """The names of changed entities in the posting of blocking row `row` (entry
        numbers)."""
        index, blocker = self.blocker.index, self.blocker
        if row >= blocker.sound_base:
            postings, at = index.sounds, row - blocker.sound_base
        elif row >= blocker.gram_base:
            postings, at = index.grams, row - blocker.gram_base
        else:
            postings, at = index.tokens, row
        entries = postings.data[postings.offsets[at]:postings.offsets[at + 1]]
        return entries[np.isin(index.entry_entity[entries], self._entity_array)]

    def _holder_classes(self, row: int) -> set[int]:
        """The classes of the changed entities with a name in the posting of blocking row
        `row`."""
        found = self._classes_cache.get(row)
        if found is None:
            index = self.blocker.index
            codes = set(index.entry_schema[self._holder_entries(row)].tolist())
            found = self._classes_cache[row] = {schema_class(index.schemata[c]) for c in codes}
        return found

    def _compatible_holder(self, row: int, code: int) -> bool:
        """Whether the posting of blocking row `row` holds a name of a changed entity that a
        query of schema row `code` may match (blocking scores no other: `Blocker`)."""
        key = (row, code)
        found = self._compatible_cache.get(key)
        if found is None:
            schemata = self.blocker.index.entry_schema[self._holder_entries(row)]
            found = self._compatible_cache[key] = bool(
                self.blocker.compatible[code, schemata].any())
        return found


__all__ = ["KEYS_VERSION", "Change", "Moved", "Reach", "moved", "row_classes", "row_keys"]

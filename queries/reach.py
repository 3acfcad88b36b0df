"""What a change of the lists can reach: the keys by which monitoring (`queries.monitor`) finds
the portfolio rows whose result a load can have changed, the direction inverted (a portfolio's
rows are indexed by their keys when added; a changed listed entity's keys are looked up).

A row's result depends on the row, the pinned word weights (`screening.index.Weights`) and the
listed names it is compared with, which blocking finds by the features it looks the row's name
up by (`screening.blocking`): its words, their skeletons, its Arabic-script consonants and
acronym forms, its identifiers; and, for a word the index does not know, its trigrams and the
known words one typo from it. So a load can change a row's result only through a listed entity
it changed (added, altered, removed) that holds one of those features, in either version. The
keys here are those features, each under the class of listed entity (person, vessel,
organisation: its number in front) the row can match: a person named Maria is not looked up
for the ship MARIA, whose name a person's never meets in blocking.

- `w`: a word; `s`: a feature of the `sounds` postings (a word's skeleton of two letters or
  more, an Arabic-script consonant word, an acronym form); `#`: an identifier, of any class.
- A row's words the index does not know are not keyed by their trigrams (a million rows would
  hold tens of millions): `unknown_reach` compares the portfolio's unknown words with the
  changed names' words when monitoring.
- The earlier version of an entity a load changed or removed is not in the index any more:
  `former_keys` reads the names and identifiers the lists in force at the last run held and
  hold no more from the store's earlier loads, record by record.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Final

from graph.identifiers import clean_imo_company, clean_imo_ship, clean_mmsi
from graph.matching.text import deletions, skeleton, trigrams
from graph.store import Store
from queries.screening.blocking import query_features
from queries.screening.index import IDENTIFIER_PROPS, IndexedEntity, identifier_key, name_features
from queries.screening.types import CLASS_SCHEMA, COMPATIBLE, Query, schema_class

#: Bump when the keys change: a store's portfolios are keyed again (`queries.portfolio`).
KEYS_VERSION: Final = 2
WORD: Final = "w"
SOUND: Final = "s"
IDENTIFIER: Final = "#"


def row_classes(schema: str | None) -> list[int]:
    """The classes of listed entity a row of this type can match (every class when untyped)."""
    if schema:
        return sorted({schema_class(s) for s in COMPATIBLE.get(schema, ())})
    return list(range(len(CLASS_SCHEMA)))


def row_keys(query: Query) -> set[str]:
    """A row's keys: the features blocking looks its name up by, under each class it can match,
    and its identifiers."""
    words, features = query_features(query.name, query.schema)
    sounds = [*features, *(s for w in words if len(s := skeleton(w)) >= 2)]
    out: set[str] = set()
    for tag in row_classes(query.schema):
        out.update(f"{tag}{WORD}{w}" for w in words)
        out.update(f"{tag}{SOUND}{s}" for s in sounds)
    out.update(IDENTIFIER + v for v in (query.imo, query.mmsi, *query.identifiers) if v)
    return out


def name_keys(out: set[str], name: str, schema: str, tag: int | None = None) -> None:
    """Add a listed name's keys (as the index holds its features) under its class (`tag`, by
    default its schema's)."""
    tokens, sounds = name_features(name, schema)
    tag = schema_class(schema) if tag is None else tag
    out.update(f"{tag}{WORD}{t}" for t in tokens)
    out.update(f"{tag}{SOUND}{s}" for s in sounds)


def entity_keys(entity: IndexedEntity) -> set[str]:
    """A listed entity's keys: its indexed names' (under its class) and its identifiers."""
    out: set[str] = set()
    for name in entity.names:
        name_keys(out, name, entity.schema)
    out.update(IDENTIFIER + v for v in (*entity.imos, *entity.mmsis, *entity.identifiers))
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


def former_keys(store: Store, before: Sequence[Mapping[str, Any]],
                now: Sequence[Mapping[str, Any]]) -> set[str]:
    """The keys of what the lists in force `before` (list versions: `source`, `load_id`) held
    and those in force `now` do not, record by record: the names (under every class: the node
    a record was part of may have had another schema) and identifiers of records delisted, or
    taken off a record that stays. What stays is in the index, keyed by `entity_keys`."""
    current = {v["source"]: v["load_id"] for v in now}
    props = ("imoNumber", "mmsi", *IDENTIFIER_PROPS)
    identifiers_sql = _IDENTIFIERS.format(marks=", ".join("?" * len(props)))
    out: set[str] = set()
    for version in before:
        old_load, new_load = version["load_id"], current.get(version["source"])
        if old_load == new_load:
            continue

        def read(sql: str, load: int | None, *args: str) -> set[tuple[str, str, str]]:
            if load is None:
                return set()
            return {(r, a, b) for r, a, b in store.conn.execute(sql, (load, *args))}

        for _, name, schema in read(_NAMES, old_load) - read(_NAMES, new_load):
            for tag, class_schema in enumerate(CLASS_SCHEMA):
                name_keys(out, name, schema if schema_class(schema) == tag else class_schema,
                          tag)
        for _, prop, raw in (read(identifiers_sql, old_load, *props)
                             - read(identifiers_sql, new_load, *props)):
            out.update(IDENTIFIER + v for v in _identifier_values(prop, raw))
    return out


def words_of(keys: Iterable[str]) -> dict[str, set[str]]:
    """The words among keys, by class tag."""
    out: dict[str, set[str]] = {}
    for key in keys:
        if key[1:2] == WORD:
            out.setdefault(key[:1], set()).add(key[2:])
    return out


def unknown_reach(portfolio_words: Mapping[str, Collection[str]], known: Collection[str],
                  changed_words: Mapping[str, Collection[str]],
                  common: Callable[[str], bool]) -> tuple[set[str], set[str]]:
    """The keys of the portfolio's words (by class tag) that the index does not know and that
    blocking reads in a way a changed name's word (of the same class) can meet: one typo apart
    (a spelling with one letter left out in common, as the index finds typos) or a trigram in
    common. Two sets: the words met so, and those met only through `common` trigrams (more
    names hold them than a query reads after a rarer feature: `monitor` keeps a row found so
    only when it has no rarer feature)."""
    near: set[str] = set()
    far: set[str] = set()
    for tag, changed in changed_words.items():
        words = [w for w in portfolio_words.get(tag, ()) if w not in known]
        if not words or not changed:
            continue
        grams = {g for w in changed for g in trigrams(w)}
        rare = {g for g in grams if not common(g)}
        spelled = {d for w in changed for d in deletions(w)}
        for word in words:
            held = set(trigrams(word))
            if not spelled.isdisjoint(deletions(word)) or not rare.isdisjoint(held):
                near.add(f"{tag}{WORD}{word}")
            elif not grams.isdisjoint(held):
                far.add(f"{tag}{WORD}{word}")
    return near, far


__all__ = ["KEYS_VERSION", "entity_keys", "former_keys", "name_keys", "row_classes",
           "row_keys", "unknown_reach", "words_of"]

"""The screening index: every canonical node's names, identifiers, countries, dates and listings,
with postings for blocking, built once from the store and saved beside it.

File: `<store>.screen-index`, flat arrays and JSON text signed with a key kept in the store
(`queries.container`): reading it can run no code, and a file another store wrote, one
altered or one cut short is rejected and the index rebuilt. It is written to a temporary name and
renamed, so a reader never sees half a file. It records the `generation()` and a fingerprint of
the current loads read in the same snapshot as everything it holds (`Store.reading`), so a load
that commits while it is built leaves it stale, never stamped fresh; `ensure_index` rebuilds it
whenever either differs, so a library user who loads or resolves still screens against a current
index. The CLI does not wait for the next screen: a command that changed the merged view (load,
resolve, judge) calls `refresh_index` at its end, so the next screen only reads the file.

Blocking: each distinct name of each node is one *entry*. Postings map every token, every
token's consonant skeleton and every token trigram to the entries that contain it
(compressed-row arrays). A query gathers the postings of its rarest features, weights them by
inverse document frequency and keeps the best entries: a query is compared with a few dozen
names, never with every name. The entries' keys are strings end to end in one buffer
(`Lines`); the nodes are kept as JSON text one by one and read when first compared (`Lazy`).
The file is mapped, not read (`queries.container.read_parts`): reading an index of millions
of nodes holds none of them in memory, and a screen decodes only the names it compares.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple, overload

import numpy as np
import numpy.typing as npt

from graph.files import iso_date
from graph.identifiers import clean_imo_company, clean_imo_ship, clean_mmsi
from graph.matching.text import (
    ABJAD_FEATURE,
    ORG_SCHEMATA,
    SPELLING_MIN,
    abjad_key,
    acronym_feature,
    acronyms,
    deletions,
    given_first,
    is_abjad,
    match_tokens,
    skeleton,
    sorted_key,
    spelling_hash,
    trigrams,
)
from graph.matching.tuning import SHORT_NAME
from graph.store import NAME_PROPERTIES, Store
from graph.view import Node
from queries.container import Lazy, Lines, part_text, read_parts, text_part, write_parts

#: Bump when the layout of `ScreenIndex` changes: older files are rebuilt, never misread.
INDEX_VERSION: Final = 22
INDEX_SUFFIX: Final = ".screen-index"

#: Properties that hold a strong identifier besides IMO and MMSI (tax, registration, passport...).
IDENTIFIER_PROPS: Final = (
    "taxNumber", "registrationNumber", "innCode", "ogrnCode", "idNumber", "passportNumber",
    "leiCode", "swiftBic", "dunsCode", "vatCode", "okpoCode", "kppCode", "uscCode",
)
COUNTRY_PROPS: Final = ("country", "nationality", "citizenship", "jurisdiction", "flag",
                        "pastFlags", "mainCountry")
DATE_PROPS: Final = ("birthDate", "buildDate", "incorporationDate")
#: The properties a build reads of each node.
INDEXED_PROPS: Final = frozenset((*NAME_PROPERTIES, "imoNumber", "mmsi", *IDENTIFIER_PROPS,
                                  *COUNTRY_PROPS, "birthDate", "buildDate"))


#: Match keys shorter than this are short names (`tuning.SHORT_NAME`, the `short` feature's).
SHORT_KEY: Final = SHORT_NAME

_NOT_ALNUM: Final = re.compile(r"[^0-9A-Z]+")


def identifier_key(value: str) -> str | None:
    """An identifier as screening compares it: upper-case letters and digits only; None for
    values too short or without a digit to identify anything (`N/A`, `12`)."""
    key = _NOT_ALNUM.sub("", value.upper())
    if len(key) < 5 or not any(c.isdigit() for c in key):
        return None
    return key


_MONTHS: Final = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DAY_MONTH_YEAR: Final = re.compile(r"^(\d{1,2}) ([a-z]{3})[a-z]* (\d{4})$")
_YEAR: Final = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def iso_dates(text: str) -> list[str]:
    """ISO dates (as precise as stated) in a list's date text: `1952-10-07`, `07 Oct 1952`,
    `07.10.1952`, `1952`; a range or `circa 1950 to 1955` gives each year."""
    date = iso_date(text)
    if date:
        return [date]
    lowered = " ".join(text.lower().split())
    match = _DAY_MONTH_YEAR.match(lowered)
    if match and match.group(2) in _MONTHS:
        day, month, year = match.group(1), _MONTHS[match.group(2)], match.group(3)
        return [f"{year}-{month:02d}-{int(day):02d}"]
    return list(dict.fromkeys(_YEAR.findall(lowered)))


class IndexedEntity(NamedTuple):
    """One canonical node as the matcher sees it. Names are parallel tuples. A named tuple, not
    a dataclass: each is decoded when a screen first reads it, and a tuple is made fastest."""

    id: str
    schema: str
    caption: str
    names: tuple[str, ...]
    name_props: tuple[str, ...]
    keys: tuple[str, ...]
    plains: tuple[str, ...]
    #: Each name's tokens' consonant skeletons (`text.skeleton`), sorted and space-joined.
    skeletons: tuple[str, ...]
    #: Sorted tuples, not sets: a node is decoded each time a screen first reads it, and
    #: tuples are made several times faster (each set has a few members at most).
    imos: tuple[str, ...]
    mmsis: tuple[str, ...]
    identifiers: tuple[str, ...]
    countries: tuple[str, ...]
    dates: tuple[str, ...]
    sources: tuple[str, ...]
    programs: tuple[str, ...]


class LazyEntities(Lazy[IndexedEntity]):
    """The nodes, each stored as a JSON array of its fields and made an `IndexedEntity` again
    (its tuple fields tuples again) without a Python-level constructor call."""

    __slots__ = ()

    def _make(self, value: Any) -> IndexedEntity:
        return tuple.__new__(IndexedEntity, [v if isinstance(v, str) else tuple(v)
                                             for v in value])


class SourceSets(Sequence[tuple[str, ...]]):
    """Each entity's sources, as a number into the few distinct sets of sources there are:
    millions of entities, a handful of combinations."""

    __slots__ = ("codes", "sets")

    def __init__(self, sets: tuple[tuple[str, ...], ...], codes: npt.NDArray[np.int32]) -> None:
        self.sets = sets
        self.codes = codes

    @classmethod
    def of(cls, values: Iterable[tuple[str, ...]]) -> SourceSets:
        numbers: dict[tuple[str, ...], int] = {}
        codes = [numbers.setdefault(v, len(numbers)) for v in values]
        return cls(tuple(numbers), np.asarray(codes, dtype=np.int32))

    def __len__(self) -> int:
        return len(self.codes)

    @overload
    def __getitem__(self, number: int) -> tuple[str, ...]: ...

    @overload
    def __getitem__(self, number: slice) -> list[tuple[str, ...]]: ...

    def __getitem__(self, number: int | slice) -> tuple[str, ...] | list[tuple[str, ...]]:
        if isinstance(number, slice):
            return [self.sets[c] for c in self.codes[number].tolist()]
        return self.sets[int(self.codes[number])]

    def sources(self) -> tuple[str, ...]:
        """Every source some entity has, sorted."""
        used = np.unique(self.codes).tolist()
        return tuple(sorted({s for c in used for s in self.sets[c]}))


@dataclass(slots=True)
class Postings:
    """Feature -> entry ids as compressed rows: `data[offsets[i]:offsets[i + 1]]`."""

    ids: dict[str, int]
    offsets: npt.NDArray[np.int64]
    data: npt.NDArray[np.int32]

    def get(self, feature: str) -> npt.NDArray[np.int32] | None:
        i = self.ids.get(feature)
        if i is None:
            return None
        return self.data[self.offsets[i] : self.offsets[i + 1]]


#: A feature the weights do not know (one no name held when they were set) counts as held by
#: this many names: the rarest.
ABSENT_DF: Final = 1
#: When more than this share of the entities changed since the weights were set, a patch sets
#: them again (`Weights`).
REWEIGH_SHARE: Final = 0.25


@dataclass(frozen=True, slots=True)
class Weights:
    """What every rarity (inverse document frequency) the screen reads is computed from: the
    number of names and each feature's number of names (token, trigram, skeleton rows of the
    index, aligned with its postings), counted when the weights were *set* and kept as they
    were by every patch since (a feature new since counts `ABSENT_DF`).

    Pinned, so that a row's result depends on the row and the listed names it shares a feature
    with, never on the rest of the lists: a load that adds LIMITED to a thousand names changes
    no other row's score, and monitoring by difference (`queries.monitor`) screens again only
    the rows the load can reach. They are set again (a new `epoch`, named by a hash of the
    counts) when the index is built whole, or when a patch finds more than `REWEIGH_SHARE` of
    the entities changed since; a portfolio whose last run had other weights is then screened
    whole."""

    epoch: str
    #: Log of the number of names (entries) when set.
    log_n: float
    #: The index's entities when set, and how many changed since (summed over the patches).
    entities: int
    changed: int
    tokens: npt.NDArray[np.int32]
    grams: npt.NDArray[np.int32]
    sounds: npt.NDArray[np.int32]

    def idf(self, df: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """The rarities of these counts."""
        return np.asarray(np.maximum(self.log_n - np.log(np.maximum(df, 1)), 0.05),
                          dtype=np.float64)

    def meta(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "log_n": self.log_n, "entities": self.entities,
                "changed": self.changed}

    @staticmethod
    def counted(tokens: Postings, grams: Postings, sounds: Postings, entries: int,
                entities: int) -> Weights:
        """Weights set now, from the postings as they are."""
        families = [np.diff(p.offsets).astype(np.int32) for p in (tokens, grams, sounds)]
        log_n = math.log(max(entries, 1))
        # Named by what they count, feature by feature, whatever the order of the rows: two
        # builds of one store set the same weights under the same name.
        digest = hashlib.blake2b(repr(log_n).encode(), digest_size=12)
        for postings, df in zip((tokens, grams, sounds), families, strict=True):
            counts = df.tolist()
            digest.update("\n".join(f"{f}\t{counts[row]}"
                                    for f, row in sorted(postings.ids.items())).encode())
            digest.update(b"\f")
        return Weights(digest.hexdigest(), log_n, entities, 0, *families)

    def carried(self, row_maps: Sequence[npt.NDArray[np.int32]], sizes: Sequence[int],
                changed: int) -> Weights:
        """These weights over patched postings: `row_maps` give each feature row's new row (-1:
        dropped) per family, the old features' first, `sizes` the new number of rows; new
        features count `ABSENT_DF`."""
        families = []
        for old, row_map, size in zip((self.tokens, self.grams, self.sounds), row_maps, sizes,
                                      strict=True):
            df = np.full(size, ABSENT_DF, dtype=np.int32)
            rows = row_map[:len(old)]  # the features the weights know come first
            kept = rows >= 0
            df[rows[kept]] = old[kept]
            families.append(df)
        return Weights(self.epoch, self.log_n, self.entities, self.changed + changed,
                       *families)


@dataclass(slots=True)
class ScreenIndex:
    """Everything screening reads, in memory."""

    generation: int
    fingerprint: str
    entities: LazyEntities
    #: Each entity's id and sources, beside the lazy nodes: ranking by score and id, and the
    #: screen's `--sources` filter, read them for every candidate.
    entity_ids: Lines
    entity_sources: SourceSets
    entry_entity: npt.NDArray[np.int32]
    #: Each entity's first entry: an entity's entries are consecutive, in the order of its names.
    entity_first_entry: npt.NDArray[np.int32]
    #: Square root of each entry's number of tokens: blocking scores are divided by it, so the
    #: name MARIA ranks before MARIA GONZALEZ LOPEZ for the query MARIA.
    entry_norm: npt.NDArray[np.float32]
    #: Each entry's schema, as a position in `schemata`.
    entry_schema: npt.NDArray[np.uint8]
    schemata: tuple[str, ...]
    #: Each entry's match key, written-order key and skeleton key (the entity's `keys`, `plains`
    #: and `skeletons`, flat by entry number): the matcher compares a query with all its
    #: candidate names in one rapidfuzz call.
    entry_keys: Lines
    entry_plains: Lines
    entry_skeletons: Lines
    #: Whether each entry's match key is shorter than `tuning.SHORT_NAME` characters, and
    #: whether it has more than one word (kept, not computed from millions of keys per screen).
    entry_short: npt.NDArray[np.bool_]
    entry_spaced: npt.NDArray[np.bool_]
    #: Each entry's words in written order, given names first (`text.given_first`).
    entry_given_first: Lines
    #: Each entry's consonants as Arabic script writes them (`text.abjad_key`), and whether the
    #: name was written in Arabic script: a Latin name and an Arabic-script one meet there.
    entry_abjad: Lines
    entry_abjad_script: npt.NDArray[np.bool_]
    #: Each organisation's name's forms as an acronym (`text.acronyms`), space-joined; "" for
    #: other names.
    entry_acronyms: Lines
    tokens: Postings
    #: The tokens (of SPELLING_MIN letters or more) by the hashes of their spellings with one
    #: letter left out (`text.deletions`), sorted by hash: a word the index does not know finds
    #: the known words one typo from it here.
    spelling_hashes: npt.NDArray[np.uint32]
    spelling_tokens: npt.NDArray[np.int32]
    grams: Postings
    #: Token skeletons (two letters or more) -> entries: transliteration variants meet here;
    #: and the `abjad_key` words of names not in Arabic script, marked with
    #: `text.ABJAD_FEATURE` in front, for queries written in Arabic script; and organisations'
    #: acronym forms (`text.acronym_feature`).
    sounds: Postings
    by_identifier: dict[str, list[int]]
    sources: tuple[str, ...]
    #: The counts every rarity is computed from (`Weights`).
    weights: Weights
    version: int = INDEX_VERSION
    #: Made by patching an earlier index with what changed (`update_index`), not built whole;
    #: not saved: an index read from its file says False.
    patched: bool = False

    def idf(self, df: int) -> float:
        return max(self.weights.log_n - math.log(df), 0.05)


def index_path(store: Store) -> Path:
    return store.path.with_name(store.path.name + INDEX_SUFFIX)


def store_fingerprint(store: Store) -> str:
    """The current loads (id, source, checksum): a store file replaced by another whose
    generation happens to be equal still gets a fresh index."""
    return ";".join(f"{i.id}:{i.source}:{i.checksum[:16]}" for i in store.loads(current_only=True))


def build_index(
    store: Store,
    *,
    sources: Collection[str] | None = None,
    exclude: Callable[[str, str], bool] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ScreenIndex:
    """Build the index from the store's merged view, read in one snapshot and stamped with that
    snapshot's generation: a load that commits meanwhile makes the index stale, never wrong.

    `sources` keeps only facts and listings stated by those sources (a node none of them states
    is left out); `exclude(entity_id, name)` drops single names (the benchmark's alias
    hold-out). Both default to everything.
    """
    with store.reading():
        stamp = (store.generation(), store_fingerprint(store))
        return _build_index(store, stamp, sources=sources, exclude=exclude, progress=progress)


class _Strings:
    """Strings appended one at a time as UTF-8 end to end: a `Lines` (or, of JSON texts, a
    `Lazy`) in the making, without one Python object per string."""

    __slots__ = ("blob", "ends")

    def __init__(self) -> None:
        self.blob = bytearray()
        self.ends = array("q")

    def add(self, value: str) -> None:
        self.blob += value.encode()
        self.ends.append(len(self.blob))

    def add_json(self, value: object) -> None:
        self.add(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def offsets(self) -> npt.NDArray[np.int64]:
        offsets = np.zeros(len(self.ends) + 1, dtype=np.int64)
        offsets[1:] = np.frombuffer(self.ends, dtype=np.int64)
        return offsets

    def lines(self) -> Lines:
        return Lines(np.frombuffer(self.blob, dtype=np.uint8), self.offsets())


def sound_features(tokens: Sequence[str], sounds: Sequence[str], abjad: str, in_abjad: bool,
                   forms: Sequence[str]) -> list[str]:
    """A listed name's features in the `sounds` postings, from its tokens and their skeletons,
    its `abjad_key` and whether it is written in Arabic script, and its acronym forms: each
    skeleton of two letters or more; each Arabic-script consonant word of a name not in Arabic
    script (one in Arabic script is found by its own words); each acronym form."""
    out = list(dict.fromkeys(s for s in sounds if len(s) >= 2))
    if not in_abjad:
        out.extend(ABJAD_FEATURE + w for w in dict.fromkeys(abjad.split()) if len(w) >= 2)
    out.extend(acronym_feature(form, len(tokens) == 1) for form in forms)
    return out


def name_features(name: str, schema: str) -> tuple[tuple[str, ...], list[str]]:
    """A listed name's blocking features as the index holds them: its tokens (the `tokens`
    postings; their trigrams are the `grams`) and its `sound_features`."""
    tokens = match_tokens(name, schema)
    forms = acronyms(tokens) if schema in ORG_SCHEMATA else ()
    return tokens, sound_features(tokens, [skeleton(t) for t in tokens], abjad_key(tokens),
                                  is_abjad(name), forms)


def _postings(lists: dict[str, array[int]]) -> Postings:
    """Postings from each feature's entries as appended (in order, maybe repeated)."""
    ids: dict[str, int] = {}
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    chunks: list[npt.NDArray[np.int32]] = []
    for i, (feature, entries) in enumerate(lists.items()):
        ids[feature] = i
        unique = np.unique(np.frombuffer(entries, dtype=np.int32))
        chunks.append(unique)
        offsets[i + 1] = offsets[i] + len(unique)
    data = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
    return Postings(ids, offsets, data.astype(np.int32, copy=False))


def _build_index(
    store: Store,
    stamp: tuple[int, str],
    *,
    sources: Collection[str] | None,
    exclude: Callable[[str, str], bool] | None,
    progress: Callable[[int], None] | None,
    only: Collection[str] | None = None,
) -> ScreenIndex:
    """One pass over the nodes and their facts (both in id order, read side by side). Each
    node is encoded as it is met: strings go end to end into buffers, numbers into typed
    arrays, postings into one typed array per feature, so the memory a build takes is the
    index's own size, not one Python object per name."""
    allowed = set(sources) if sources is not None else None
    programs: dict[str, dict[str, None]] = defaultdict(dict)
    for listing in store.iter_listings(only):
        if allowed is None or listing.provenance.source in allowed:
            programs[listing.entity].setdefault(listing.program)
    entities = _Strings()
    entity_ids = _Strings()
    source_sets: dict[tuple[str, ...], int] = {}
    entity_source = array("i")
    entry_entity = array("i")
    first_entry = array("i")
    entry_norm = array("f")
    entry_schema = array("B")
    entry_short = array("b")
    entry_spaced = array("b")
    entry_keys, entry_plains, entry_skeletons = _Strings(), _Strings(), _Strings()
    entry_given_first, entry_abjad, entry_acronyms = _Strings(), _Strings(), _Strings()
    entry_abjad_script = array("b")
    schema_codes: dict[str, int] = {}
    token_lists: dict[str, array[int]] = defaultdict(lambda: array("i"))
    gram_lists: dict[str, array[int]] = defaultdict(lambda: array("i"))
    sound_lists: dict[str, array[int]] = defaultdict(lambda: array("i"))
    by_identifier: dict[str, list[int]] = defaultdict(list)
    all_sources: set[str] = set()

    def add(node: Node, values: dict[str, list[str]], fact_sources: set[str]) -> None:
        cid, schema, caption = node.id, node.schema, node.caption
        member_sources = tuple(sorted({m.split(":", 1)[0] for m in node.members}))
        if allowed is not None:
            member_sources = tuple(s for s in member_sources if s in allowed)
        seen: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        for prop in NAME_PROPERTIES:
            for name in values.get(prop, ()):
                if exclude is not None and exclude(cid, name):
                    continue
                tokens = match_tokens(name, schema)
                if tokens:
                    seen.setdefault(sorted_key(tokens), (name, prop, tokens))
        if not seen:
            return
        number = len(first_entry)
        first_entry.append(len(entry_entity))
        names, props, keys, plains, skeletons = [], [], [], [], []
        code = schema_codes.setdefault(schema, len(schema_codes))
        for key, (name, prop, tokens) in seen.items():
            entry = len(entry_entity)
            entry_entity.append(number)
            entry_norm.append(math.sqrt(len(set(tokens))))
            entry_schema.append(code)
            names.append(name)
            props.append(prop)
            keys.append(key)
            entry_keys.add(key)
            entry_short.append(len(key) < SHORT_KEY)
            entry_spaced.append(" " in key)
            plain = " ".join(tokens)
            plains.append(plain)
            entry_plains.add(plain)
            entry_given_first.add(given_first(name, schema))
            sounds = [skeleton(t) for t in tokens]
            sounded = " ".join(sorted(sounds))
            skeletons.append(sounded)
            entry_skeletons.add(sounded)
            abjad = abjad_key(tokens)
            entry_abjad.add(abjad)
            entry_abjad_script.append(in_abjad := is_abjad(name))
            forms = acronyms(tokens) if schema in ORG_SCHEMATA else ()
            entry_acronyms.add(" ".join(forms))
            for feature in sound_features(tokens, sounds, abjad, in_abjad, forms):
                sound_lists[feature].append(entry)
            for token in set(tokens):
                token_lists[token].append(entry)
                for gram in trigrams(token):
                    gram_lists[gram].append(entry)
        imos: set[str] = set()
        for raw in values.get("imoNumber", ()):
            if schema == "Vessel" and (ship := clean_imo_ship(raw)):
                imos.add(ship)
            elif schema != "Vessel" and (company := clean_imo_company(raw)):
                by_identifier[f"id:{company}"].append(number)
        mmsis = {m for raw in values.get("mmsi", ()) if (m := clean_mmsi(raw))}
        identifiers = {k for prop in IDENTIFIER_PROPS for raw in values.get(prop, ())
                       if (k := identifier_key(raw))}
        for imo in imos:
            by_identifier[f"imo:{imo}"].append(number)
        for mmsi in mmsis:
            by_identifier[f"mmsi:{mmsi}"].append(number)
        for ident in identifiers:
            by_identifier[f"id:{ident}"].append(number)
        countries = {c.lower() for prop in COUNTRY_PROPS for c in values.get(prop, ())
                     if 2 <= len(c) <= 6}
        date_prop = "buildDate" if schema == "Vessel" else "birthDate"
        dates = tuple(dict.fromkeys(d for raw in values.get(date_prop, ())
                                    for d in iso_dates(raw)))
        all_sources.update(member_sources)
        stated = member_sources or tuple(sorted(fact_sources))
        entity_ids.add(cid)
        entity_source.append(source_sets.setdefault(stated, len(source_sets)))
        entities.add_json(IndexedEntity(
            id=cid, schema=schema, caption=caption, names=tuple(names), name_props=tuple(props),
            keys=tuple(keys), plains=tuple(plains), skeletons=tuple(skeletons),
            imos=tuple(sorted(imos)), mmsis=tuple(sorted(mmsis)),
            identifiers=tuple(sorted(identifiers)), countries=tuple(sorted(countries)),
            dates=dates, sources=stated, programs=tuple(programs.get(cid, {})),
        ))

    nodes = iter(store.iter_nodes(only))
    upcoming = next(nodes, None)

    def node_of(cid: str) -> Node | None:
        """The node of `cid`: the nodes come in id order, as the facts do."""
        nonlocal upcoming
        while upcoming is not None and upcoming.id < cid:
            upcoming = next(nodes, None)
        return upcoming if upcoming is not None and upcoming.id == cid else None

    current: str | None = None
    values: dict[str, list[str]] = defaultdict(list)
    fact_sources: set[str] = set()
    done = 0
    for cid, fact in store.iter_facts(only):
        if cid != current:
            if current is not None and (node := node_of(current)) is not None:
                add(node, values, fact_sources)
                done += 1
                if progress is not None and done % 2000 == 0:
                    progress(done)
            current, values, fact_sources = cid, defaultdict(list), set()
        if allowed is not None and fact.provenance.source not in allowed:
            continue
        if fact.prop in INDEXED_PROPS:
            values[fact.prop].append(fact.value)
            fact_sources.add(fact.provenance.source)
    if current is not None and (node := node_of(current)) is not None:
        add(node, values, fact_sources)
    if progress is not None:
        progress(done + 1)
    tokens = _postings(token_lists)
    token_lists.clear()
    spelled = [(spelling_hash(d), row) for token, row in tokens.ids.items()
               if len(token) >= SPELLING_MIN for d in set(deletions(token))]
    hashes = np.fromiter((h for h, _ in spelled), dtype=np.uint32, count=len(spelled))
    owners = np.fromiter((r for _, r in spelled), dtype=np.int32, count=len(spelled))
    order = np.argsort(hashes, kind="stable")
    grams = _postings(gram_lists)
    gram_lists.clear()
    sounds = _postings(sound_lists)
    sound_lists.clear()
    return ScreenIndex(
        generation=stamp[0],
        fingerprint=stamp[1],
        entities=LazyEntities(memoryview(entities.blob), entities.offsets()),
        entity_ids=entity_ids.lines(),
        entity_sources=SourceSets(tuple(source_sets),
                                  np.frombuffer(entity_source, dtype=np.int32)),
        entry_entity=np.frombuffer(entry_entity, dtype=np.int32),
        entity_first_entry=np.frombuffer(first_entry, dtype=np.int32),
        entry_norm=np.frombuffer(entry_norm, dtype=np.float32),
        entry_schema=np.frombuffer(entry_schema, dtype=np.uint8),
        schemata=tuple(schema_codes),
        entry_keys=entry_keys.lines(),
        entry_plains=entry_plains.lines(),
        entry_skeletons=entry_skeletons.lines(),
        entry_short=np.frombuffer(entry_short, dtype=np.int8).astype(bool),
        entry_spaced=np.frombuffer(entry_spaced, dtype=np.int8).astype(bool),
        entry_given_first=entry_given_first.lines(),
        entry_abjad=entry_abjad.lines(),
        entry_abjad_script=np.frombuffer(entry_abjad_script, dtype=np.int8).astype(bool),
        entry_acronyms=entry_acronyms.lines(),
        tokens=tokens,
        spelling_hashes=hashes[order],
        spelling_tokens=owners[order],
        grams=grams,
        sounds=sounds,
        by_identifier={k: sorted(set(v)) for k, v in by_identifier.items()},
        sources=tuple(sorted(all_sources)),
        weights=Weights.counted(tokens, grams, sounds, len(entry_entity), len(first_entry)),
    )


#: Fields of `ScreenIndex` kept as JSON text in the index file, and what they are made into.
_JSON_FIELDS: Final = ("schemata", "by_identifier", "sources")
#: Fields that are sequences of strings (`queries.container.Lines`).
_LINES_FIELDS: Final = ("entity_ids", "entry_keys", "entry_plains", "entry_skeletons",
                        "entry_given_first", "entry_abjad", "entry_acronyms")
_ARRAY_FIELDS: Final = ("entry_entity", "entity_first_entry", "entry_norm", "entry_schema",
                        "entry_short", "entry_spaced", "entry_abjad_script", "spelling_hashes",
                        "spelling_tokens")
_POSTINGS_FIELDS: Final = ("tokens", "grams", "sounds")


def save_index(index: ScreenIndex, path: Path, key: bytes) -> None:
    """Write the index as flat parts signed with the store's key (`queries.container`): no object in
    it can run code when read, and a file not written with this store's key is never used."""
    parts: dict[str, npt.NDArray[np.generic]] = {
        "meta": text_part({"version": index.version, "generation": index.generation,
                           "fingerprint": index.fingerprint,
                           "weights": index.weights.meta()}),
        **index.entities.parts("entities"),
    }
    for name in _JSON_FIELDS:
        parts[name] = text_part(getattr(index, name))
    for name in _LINES_FIELDS:
        parts.update(getattr(index, name).parts(name))
    parts["entity_sources.sets"] = text_part(index.entity_sources.sets)
    parts["entity_sources.codes"] = index.entity_sources.codes
    for name in _ARRAY_FIELDS:
        parts[name] = getattr(index, name)
    for name in _POSTINGS_FIELDS:
        postings: Postings = getattr(index, name)
        parts[f"{name}.ids"] = text_part(list(postings.ids))
        parts[f"{name}.offsets"] = postings.offsets
        parts[f"{name}.data"] = postings.data
        parts[f"weights.{name}"] = getattr(index.weights, name)
    write_parts(path, parts, key)


def read_index(path: Path, key: bytes) -> ScreenIndex | None:
    """The saved index; None when it is missing, unreadable, of another layout version, or not
    signed with this store's key (written by another store, altered, cut short)."""
    parts: dict[str, Any] | None = read_parts(path, key)
    if parts is None:
        return None
    try:
        meta: Any = part_text(parts["meta"])
        if meta.get("version") != INDEX_VERSION:
            return None
        values: dict[str, Any] = {name: part_text(parts[name]) for name in _JSON_FIELDS}
        values.update({name: Lines.from_parts(parts, name) for name in _LINES_FIELDS})
        values.update({name: parts[name] for name in _ARRAY_FIELDS})
        for name in _POSTINGS_FIELDS:
            ids: list[str] = part_text(parts[f"{name}.ids"])  # type: ignore[assignment]
            values[name] = Postings({f: i for i, f in enumerate(ids)},
                                    parts[f"{name}.offsets"], parts[f"{name}.data"])
        sets: Any = part_text(parts["entity_sources.sets"])
        values["entity_sources"] = SourceSets(tuple(tuple(v) for v in sets),
                                              parts["entity_sources.codes"])
        values["schemata"] = tuple(values["schemata"])
        values["sources"] = tuple(values["sources"])
        weights = meta["weights"]
        values["weights"] = Weights(
            str(weights["epoch"]), float(weights["log_n"]), int(weights["entities"]),
            int(weights["changed"]), *(parts[f"weights.{name}"] for name in _POSTINGS_FIELDS))
        return ScreenIndex(
            generation=int(meta["generation"]), fingerprint=str(meta["fingerprint"]),
            entities=LazyEntities.from_parts(parts, "entities"),
            **values,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def store_stamp(store: Store) -> tuple[int, str]:
    """The store's generation and the fingerprint of its current loads, read together."""
    with store.reading():
        return store.generation(), store_fingerprint(store)


def is_fresh(index: ScreenIndex, store: Store) -> bool:
    """Whether an index was built from the store as it is now."""
    return (index.generation, index.fingerprint) == store_stamp(store)


def ensure_index(
    store: Store,
    *,
    rebuild: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[ScreenIndex, bool]:
    """The store's saved index; when stale, patched with what changed since it was saved (see
    `update_index`) and saved again; when missing, unreadable or `rebuild`, built whole.
    Returns the index and whether it was made now. A read-only location only costs the saving,
    never the screen."""
    path = index_path(store)
    key = store.index_key()
    saved = read_index(path, key) if key is not None and not rebuild else None
    if saved is not None and is_fresh(saved, store):
        return saved, False
    index = update_index(store, saved, progress=progress)
    # A load that committed while this one was built makes it stale already: left unsaved, it
    # cannot replace a newer one another command saved meanwhile.
    if key is not None and is_fresh(index, store):
        with contextlib.suppress(OSError):
            save_index(index, path, key)
    return index, True


def update_index(
    store: Store,
    saved: ScreenIndex | None,
    *,
    progress: Callable[[int], None] | None = None,
) -> ScreenIndex:
    """The index of the store as it is now: `saved` patched with the nodes the store logged as
    changed since its generation (`Store.changed_since`, `queries.screening.patch`), when the
    log reaches back that far and the change is small; else built whole. Read in one snapshot."""
    from queries.screening.patch import PATCH_SHARE, patch  # it builds on this module

    with store.reading():
        stamp = (store.generation(), store_fingerprint(store))
        changed = store.changed_since(saved.generation) if saved is not None else None
        if (saved is None or changed is None
                or len(changed) > PATCH_SHARE * max(len(saved.entity_ids), 1)):
            return _build_index(store, stamp, sources=None, exclude=None, progress=progress)
        part = _build_index(store, stamp, sources=None, exclude=None, progress=None,
                            only=changed)
        return patch(saved, part, changed, stamp)


@dataclass(frozen=True, slots=True)
class Refreshed:
    """An index `refresh_index` built and saved, and the seconds it took."""

    index: ScreenIndex
    seconds: float


def refresh_index(
    store: Store,
    since: int,
    *,
    progress: Callable[[int], None] | None = None,
) -> Refreshed | None:
    """Patch (or build) and save the index now if the merged view changed since generation
    `since` (read before the change); None when nothing changed."""
    if store.generation() == since:
        return None
    started = time.perf_counter()
    index, _ = ensure_index(store, progress=progress)
    return Refreshed(index, time.perf_counter() - started)

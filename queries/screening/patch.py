"""Patching the screening index with what changed, instead of rebuilding it.

A load, resolve or judgement logs the canonical ids whose node may differ (`Store.changed_since`).
The saved index is patched with them: the changed nodes' entities are dropped, the ones that
still exist are built again from the store (`_build_index` restricted to them), and the two are
merged in id order, so the result holds what a whole rebuild would (the tests compare them),
but for the word weights, which it keeps as they were set (`index.Weights`).
The costly part of a build (every name normalised, its tokens, skeletons, trigrams and spelling
hashes made, once per name) is paid for the changed nodes only; the rest is copying runs of the
old arrays and one renumbering pass over the postings, in numpy.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt

from graph.matching.text import SPELLING_MIN, deletions, spelling_hash
from queries.container import Lazy, Lines, join_spans
from queries.screening.index import (
    REWEIGH_SHARE,
    LazyEntities,
    Postings,
    ScreenIndex,
    SourceSets,
    Weights,
)

#: A change of more than this share of the index's nodes is rebuilt whole.
PATCH_SHARE: Final = 0.25

T = TypeVar("T")
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class _Piece:
    """A run of the final sequence: old entities [start, end), or new entity `start`."""

    new: bool
    start: int
    end: int


def _pieces(old_ids: Sequence[str], removed: Sequence[int], new_ids: Sequence[str]
            ) -> list[_Piece]:
    """The final entity order (by id) as runs of kept old entities and single new ones."""
    inserts = [bisect.bisect_left(old_ids, i) for i in new_ids]
    gone = set(removed)
    pieces: list[_Piece] = []
    cursor = 0
    k = 0
    for position in sorted(gone | set(inserts)):
        if position > cursor:
            pieces.append(_Piece(False, cursor, position))
        while k < len(inserts) and inserts[k] == position:
            pieces.append(_Piece(True, k, k + 1))
            k += 1
        cursor = position + 1 if position in gone else position
    if cursor < len(old_ids):
        pieces.append(_Piece(False, cursor, len(old_ids)))
    return pieces


def _entry_pieces(pieces: list[_Piece], old_first: npt.NDArray[np.int32], old_entries: int,
                  new_first: npt.NDArray[np.int32], new_entries: int) -> list[_Piece]:
    """The same runs over entries (an entity's entries are consecutive)."""
    old_bounds = np.append(old_first, old_entries)
    new_bounds = np.append(new_first, new_entries)
    out = []
    for p in pieces:
        bounds = new_bounds if p.new else old_bounds
        out.append(_Piece(p.new, int(bounds[p.start]), int(bounds[p.end])))
    return out


def _join_lines(pieces: list[_Piece], old: Lines, new: Lines) -> Lines:
    return Lines(*join_spans([(new if p.new else old).span(p.start, p.end) for p in pieces]))


def _join_sources(pieces: list[_Piece], old: SourceSets, new: SourceSets) -> SourceSets:
    """The entities' source sets, the new ones' renumbered into the old ones' numbers."""
    sets = list(old.sets)
    number = {s: i for i, s in enumerate(sets)}
    for group in new.sets:
        if group not in number:
            number[group] = len(sets)
            sets.append(group)
    recode = np.array([number[g] for g in new.sets] or [0], dtype=np.int32)
    codes = _join_array(pieces, old.codes, recode[new.codes] if len(new.codes) else new.codes)
    return SourceSets(tuple(sets), codes.astype(np.int32, copy=False))


def _join_array(pieces: list[_Piece], old: npt.NDArray[Any], new: npt.NDArray[Any]
                ) -> npt.NDArray[Any]:
    if not pieces:
        return old[:0]
    return np.concatenate([(new if p.new else old)[p.start:p.end] for p in pieces])


def _join_lazy(pieces: list[_Piece], old: Lazy[Any], new: Lazy[Any]
               ) -> tuple[memoryview, IntArray]:
    blob, offsets = join_spans([(new if p.new else old).span(p.start, p.end) for p in pieces])
    return blob.data, offsets


def _numbering(pieces: list[_Piece], old_count: int, new_count: int
               ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Each old and each new item's number in the final sequence (-1: dropped)."""
    old_map = np.full(old_count, -1, dtype=np.int32)
    new_map = np.full(new_count, -1, dtype=np.int32)
    at = 0
    for p in pieces:
        size = p.end - p.start
        target = new_map if p.new else old_map
        target[p.start:p.end] = np.arange(at, at + size, dtype=np.int32)
        at += size
    return old_map, new_map


def _merge_postings(old: Postings, old_map: npt.NDArray[np.int32], new: Postings,
                    new_map: npt.NDArray[np.int32]) -> tuple[Postings, npt.NDArray[np.int32]]:
    """Old postings renumbered (dropped entries left out) with the new entries' added; features
    left with no entry are dropped. Returns the postings and each old feature row's new row
    (-1: dropped)."""
    data = old_map[old.data] if len(old.data) else old.data
    keep = data >= 0
    counts = np.diff(old.offsets)
    if not keep.all():
        cut = np.flatnonzero(~keep)
        rows = np.searchsorted(old.offsets, cut, side="right") - 1
        counts = counts - np.bincount(rows, minlength=len(counts))
        data = data[keep]
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    # The new entries, feature by feature: appended features, or inserted in order.
    ids = dict(old.ids)
    extra: dict[int, npt.NDArray[np.int32]] = {}
    for feature, row in new.ids.items():
        entries = new_map[new.data[new.offsets[row]:new.offsets[row + 1]]]
        target = ids.setdefault(feature, len(ids))
        extra[target] = entries
    grown = len(ids) - len(counts)
    if grown:
        counts = np.concatenate([counts, np.zeros(grown, dtype=counts.dtype)])
        offsets = np.concatenate([offsets, np.full(grown, offsets[-1], dtype=np.int64)])
    positions: list[npt.NDArray[np.int64]] = []
    values: list[npt.NDArray[np.int32]] = []
    for row, entries in sorted(extra.items()):
        begin, end = int(offsets[row]), int(offsets[row + 1])
        positions.append(begin + np.searchsorted(data[begin:end], entries))
        values.append(entries)
        counts[row] += len(entries)
    if positions:
        data = np.insert(data, np.concatenate(positions), np.concatenate(values))
    # Features no entry holds any more are dropped (a posting is never empty).
    alive = counts > 0
    row_map = np.full(len(ids), -1, dtype=np.int32)
    row_map[alive] = np.arange(int(alive.sum()), dtype=np.int32)
    if alive.all():
        kept_ids = ids
    else:
        kept_ids = {f: int(row_map[r]) for f, r in ids.items() if row_map[r] >= 0}
    final = np.zeros(int(alive.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[alive], out=final[1:])
    return Postings(kept_ids, final, data.astype(np.int32, copy=False)), row_map


def _spelling(old: ScreenIndex, row_map: npt.NDArray[np.int32], tokens: Postings
              ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int32]]:
    """The spelling hashes of the old tokens that remain (rows renumbered) and of the new ones,
    in hash order."""
    rows = row_map[old.spelling_tokens] if len(old.spelling_tokens) else old.spelling_tokens
    keep = rows >= 0
    hashes, owners = old.spelling_hashes[keep], rows[keep]
    fresh = [(spelling_hash(d), row) for token, row in tokens.ids.items()
             if row >= 0 and len(token) >= SPELLING_MIN and token not in old.tokens.ids
             for d in set(deletions(token))]
    if fresh:
        hashes = np.concatenate([hashes, np.fromiter((h for h, _ in fresh), dtype=np.uint32,
                                                     count=len(fresh))])
        owners = np.concatenate([owners, np.fromiter((r for _, r in fresh), dtype=np.int32,
                                                     count=len(fresh))])
        order = np.argsort(hashes, kind="stable")
        hashes, owners = hashes[order], owners[order]
    return hashes, owners


def patch(old: ScreenIndex, part: ScreenIndex, changed: set[str],
          stamp: tuple[int, str]) -> ScreenIndex:
    """The index `old` with every node of `changed` replaced by what `part` holds of it (built
    from the store now; a changed node `part` lacks is gone), stamped `stamp`."""
    old_ids = old.entity_ids
    removed = sorted(i for cid in changed
                     if (i := bisect.bisect_left(old_ids, cid)) < len(old_ids)
                     and old_ids[i] == cid)
    pieces = _pieces(old_ids, removed, part.entity_ids)
    entry_pieces = _entry_pieces(pieces, old.entity_first_entry, len(old.entry_entity),
                                 part.entity_first_entry, len(part.entry_entity))
    old_entities, new_entities = _numbering(pieces, len(old_ids), len(part.entity_ids))
    old_entries, new_entries = _numbering(entry_pieces, len(old.entry_entity),
                                          len(part.entry_entity))
    # Each entity's number of entries (computed once per side: a slice of a whole-array
    # temporary per piece would keep every temporary alive).
    old_sizes = np.diff(np.append(old.entity_first_entry, len(old.entry_entity)))
    new_sizes = np.diff(np.append(part.entity_first_entry, len(part.entry_entity)))
    per_entity = _join_array(pieces, old_sizes, new_sizes)
    first = np.zeros(len(per_entity), dtype=np.int32)
    if len(per_entity):
        np.cumsum(per_entity[:-1], out=first[1:])
    schemata = list(old.schemata)
    schemata.extend(s for s in part.schemata if s not in old.schemata)
    codes = np.array([schemata.index(s) for s in part.schemata], dtype=np.uint8)
    new_schema = codes[part.entry_schema] if len(part.entry_schema) else part.entry_schema
    tokens, token_rows = _merge_postings(old.tokens, old_entries, part.tokens, new_entries)
    hashes, owners = _spelling(old, token_rows, tokens)
    grams, gram_rows = _merge_postings(old.grams, old_entries, part.grams, new_entries)
    sounds, sound_rows = _merge_postings(old.sounds, old_entries, part.sounds, new_entries)
    by_identifier: dict[str, list[int]] = {}
    for key, numbers in old.by_identifier.items():
        kept = [n for n in old_entities[numbers].tolist() if n >= 0]
        if kept:
            by_identifier[key] = kept
    for key, numbers in part.by_identifier.items():
        merged = set(by_identifier.get(key, ())) | {int(new_entities[n]) for n in numbers}
        by_identifier[key] = sorted(merged)
    entities_blob, entities_offsets = _join_lazy(pieces, old.entities, part.entities)
    entity_sources = _join_sources(pieces, old.entity_sources, part.entity_sources)
    entries = int(first[-1] + per_entity[-1]) if len(per_entity) else 0
    weights = old.weights.carried((token_rows, gram_rows, sound_rows),
                                  (len(tokens.ids), len(grams.ids), len(sounds.ids)),
                                  len(changed))
    if weights.changed > REWEIGH_SHARE * max(weights.entities, 1):
        weights = Weights.counted(tokens, grams, sounds, entries, len(per_entity))
    return ScreenIndex(
        generation=stamp[0],
        fingerprint=stamp[1],
        entities=LazyEntities(entities_blob, entities_offsets),
        entity_ids=_join_lines(pieces, old.entity_ids, part.entity_ids),
        entity_sources=entity_sources,
        entry_entity=np.repeat(np.arange(len(per_entity), dtype=np.int32), per_entity),
        entity_first_entry=first,
        entry_norm=_join_array(entry_pieces, old.entry_norm, part.entry_norm),
        entry_schema=_join_array(entry_pieces, old.entry_schema, new_schema),
        schemata=tuple(schemata),
        entry_keys=_join_lines(entry_pieces, old.entry_keys, part.entry_keys),
        entry_plains=_join_lines(entry_pieces, old.entry_plains, part.entry_plains),
        entry_skeletons=_join_lines(entry_pieces, old.entry_skeletons, part.entry_skeletons),
        entry_short=_join_array(entry_pieces, old.entry_short, part.entry_short),
        entry_spaced=_join_array(entry_pieces, old.entry_spaced, part.entry_spaced),
        entry_given_first=_join_lines(entry_pieces, old.entry_given_first,
                                      part.entry_given_first),
        entry_abjad=_join_lines(entry_pieces, old.entry_abjad, part.entry_abjad),
        entry_abjad_script=_join_array(entry_pieces, old.entry_abjad_script,
                                       part.entry_abjad_script),
        entry_acronyms=_join_lines(entry_pieces, old.entry_acronyms, part.entry_acronyms),
        tokens=tokens,
        spelling_hashes=hashes,
        spelling_tokens=owners,
        grams=grams,
        sounds=sounds,
        by_identifier=by_identifier,
        sources=entity_sources.sources(),
        weights=weights,
        patched=True,
    )

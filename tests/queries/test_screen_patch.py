"""The screening index patched with what a load, a resolve or a judgement changed holds what a
whole rebuild holds, and screens the same.

The store: the real ship lists and two versions of the real OFAC SDN list (the earlier one
without a real designation batch and with one entry as it stood on 2023-12-11, as
tests/graph/test_versions.py builds it); then the UN list as a new source, and a judgement; then
GUR versions that add and drop made-up EXAMPLE ships only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graph.identifiers import imo_ship_check_digit
from graph.resolution.engine import judge, resolve
from graph.store import Store
from pipeline.ingest import load_file
from queries.screen import screen
from queries.screening.index import (
    ABSENT_DF,
    REWEIGH_SHARE,
    ScreenIndex,
    Weights,
    build_index,
    ensure_index,
    update_index,
)
from queries.screening.patch import PATCH_SHARE
from tests.conftest import GUR, OFAC_BATCH, load_example_pair, merged_ship_store, ofac_version, raw


def content(index: ScreenIndex) -> dict[str, Any]:
    """What an index says, independent of how its arrays are numbered inside."""
    ids = index.entity_ids
    first = [*index.entity_first_entry.tolist(), len(index.entry_entity)]
    entries = []
    for n, cid in enumerate(ids):
        for e in range(first[n], first[n + 1]):
            entries.append((cid, index.entry_keys[e], index.entry_plains[e],
                            index.entry_skeletons[e], index.entry_given_first[e],
                            index.entry_abjad[e], bool(index.entry_abjad_script[e]),
                            index.entry_acronyms[e], float(index.entry_norm[e]),
                            index.schemata[index.entry_schema[e]],
                            bool(index.entry_short[e]), bool(index.entry_spaced[e])))
    assert list(index.entry_entity) == [n for n in range(len(ids))
                                        for _ in range(first[n], first[n + 1])]

    def postings(p: Any) -> dict[str, list[int]]:
        out = {}
        for feature, row in p.ids.items():
            data = p.data[p.offsets[row]:p.offsets[row + 1]]
            assert len(data) and (np.diff(data) > 0).all()  # never empty, sorted, unique
            out[feature] = data.tolist()
        return out

    spelling: dict[int, set[str]] = {}
    tokens = {row: t for t, row in index.tokens.ids.items()}
    assert (np.diff(index.spelling_hashes.astype(np.int64)) >= 0).all()
    for h, row in zip(index.spelling_hashes.tolist(), index.spelling_tokens.tolist(),
                      strict=True):
        spelling.setdefault(h, set()).add(tokens[row])
    return {
        "ids": list(ids),
        "entities": [index.entities[n] for n in range(len(ids))],
        "sources": list(index.entity_sources),
        "entries": entries,
        "tokens": postings(index.tokens),
        "grams": postings(index.grams),
        "sounds": postings(index.sounds),
        "spelling": spelling,
        "by_identifier": {k: sorted(v) for k, v in index.by_identifier.items()},
        "all_sources": index.sources,
        "stamp": (index.generation, index.fingerprint),
    }


def weighed_as(index: ScreenIndex, earlier: ScreenIndex) -> ScreenIndex:
    """`index` with the weights of `earlier`, feature by feature (a feature `earlier` lacks
    counts ABSENT_DF): what a patch of `earlier` keeps."""
    def counts(name: str) -> Any:
        now, then = getattr(index, name).ids, getattr(earlier, name).ids
        kept = getattr(earlier.weights, name)
        return np.array([kept[then[f]] if f in then else ABSENT_DF for f in now], dtype=np.int32)

    old = earlier.weights
    weights = Weights(old.epoch, old.log_n, old.entities, old.changed,
                      counts("tokens"), counts("grams"), counts("sounds"))
    return replace(index, weights=weights)


def weights_of(index: ScreenIndex) -> dict[str, Any]:
    """An index's weights by feature, whatever the numbering of its rows."""
    weights = index.weights
    return {"epoch": weights.epoch, "log_n": weights.log_n, **{
        name: {f: int(getattr(weights, name)[row]) for f, row in getattr(index, name).ids.items()}
        for name in ("tokens", "grams", "sounds")}}


def assert_patched_equals_whole(store: Store, saved: ScreenIndex) -> ScreenIndex:
    """The patched index holds what a whole build holds, with the weights of the saved index
    kept (a feature new since counts ABSENT_DF)."""
    changed = store.changed_since(saved.generation)
    assert changed is not None, "the change log must reach back to the saved index"
    assert len(changed) <= PATCH_SHARE * len(saved.entity_ids), "patched, not rebuilt"
    patched = update_index(store, saved)
    whole = build_index(store)
    got, want = content(patched), content(whole)
    for key in want:
        assert got[key] == want[key], key
    if saved.weights.changed + len(changed) > REWEIGH_SHARE * saved.weights.entities:
        # Set again: as a whole build sets them.
        assert patched.weights.epoch != saved.weights.epoch
        assert weights_of(patched) == weights_of(whole)
        assert patched.weights.changed == 0
    else:
        assert patched.weights.epoch == saved.weights.epoch != whole.weights.epoch
        assert patched.weights.changed == saved.weights.changed + len(changed)
        assert weights_of(patched) == weights_of(weighed_as(whole, saved))
    return patched


@pytest.fixture(scope="module")
def versioned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    folder = tmp_path_factory.mktemp("patch")
    return merged_ship_store(folder), folder


def test_a_new_version_patches_the_index(versioned: tuple[Store, Path]) -> None:
    store, folder = versioned
    saved, _ = ensure_index(store)
    queries = [{"name": "IBEX SHIPPING INC"}, {"name": "CAPTAIN YAKUBOVICH", "schema": "Vessel"},
               {"name": "ANGARA", "schema": "Vessel"}, {"name": "AZIA SHIPPING HOLDINGS"}]
    before = [r.decision for r in screen(store, queries, index=saved)]
    assert before[0] != "match"
    load_file(store, ofac_version(folder / "after", raw("ofac_sdn_2024-05-03.csv").read_bytes()),
              list_date="2024-05-03")
    changed = store.changed_since(saved.generation)
    assert changed is not None and len(changed) < len(saved.entity_ids) / 20
    patched = assert_patched_equals_whole(store, saved)
    after = list(screen(store, queries, index=patched))
    whole = list(screen(store, queries, index=weighed_as(build_index(store), saved)))
    assert [r.to_dict() for r in after] == [r.to_dict() for r in whole]
    assert after[0].decision == "match"
    assert len(patched.entity_ids) > len(saved.entity_ids)
    assert {f"us_ofac_sdn:{n}" for n in OFAC_BATCH} & set(patched.entity_ids)


def test_a_new_source_and_judgements_patch_the_index(versioned: tuple[Store, Path],
                                                      tmp_path: Path) -> None:
    store, _ = versioned
    saved, _ = ensure_index(store)
    load_file(store, raw("un_consolidated_2026-02-27.xml"))
    saved = assert_patched_equals_whole(store, saved)
    a, b = load_example_pair(store, tmp_path)  # the judged pair: a made-up ship's two records
    resolve(store)
    saved = assert_patched_equals_whole(store, saved)
    assert store.canonical_of(a) == store.canonical_of(b)
    judge(store, a, b, "different", who="test")
    saved = assert_patched_equals_whole(store, saved)
    judge(store, a, b, "same", who="test")
    assert_patched_equals_whole(store, saved)


def test_a_shrunk_version_drops_nodes_from_the_index(versioned: tuple[Store, Path],
                                                     tmp_path: Path) -> None:
    store, _ = versioned
    # A version of the real GUR table with 40 hand-made rows about made-up ships appended
    # (gur_ids above the table's highest; IMO numbers 9991006.. with valid check digits, in no
    # file of ../shared/data/raw), then one with only the first of them: 39 made-up ships drop
    # out. (The real table alone again would be "already loaded", its bytes an older version's.)
    examples = [
        f"{90001 + n},EXAMPLE VESSEL {n:02d},{six}{imo_ship_check_digit(str(six))},,,unknown,"
        "Crude Oil Tanker,,,2000,listed\n" for n, six in enumerate(range(999100, 999140))]
    grown = tmp_path / "grown"
    grown.mkdir()
    (grown / GUR.name).write_bytes(GUR.read_bytes() + "".join(examples).encode())
    load_file(store, grown / GUR.name, source="ua_gur_shadowfleet",
              list_date=(date.today() + timedelta(days=1)).isoformat())
    saved, _ = ensure_index(store)
    shrunk = tmp_path / GUR.name
    shrunk.write_bytes(GUR.read_bytes() + examples[0].encode())
    load_file(store, shrunk, source="ua_gur_shadowfleet", allow_shrink=True,
              list_date=(date.today() + timedelta(days=2)).isoformat())
    patched = assert_patched_equals_whole(store, saved)
    assert len(patched.entry_entity) < len(saved.entry_entity)


def test_an_index_older_than_the_log_is_built_whole(versioned: tuple[Store, Path]) -> None:
    store, _ = versioned
    saved, _ = ensure_index(store)
    with store.transaction() as conn:
        store.rebuild_view(conn, changed=True)
    assert store.changed_since(saved.generation) is None
    rebuilt = update_index(store, saved)
    assert content(rebuilt) == content(build_index(store))

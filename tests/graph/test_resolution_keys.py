"""`resolve` keeps each record's block keys in the store and reads only the lists loaded since
its last run; what it stores must be what reading every record into memory gives.

The reference below is the engine as it was before the keys were stored: every current record
read at once, prints and name ambiguity over all of them, candidate pairs by blocking in memory,
and only the pairs that touch a changed record scored; then close calls (`rivals`) decided over
every kept pair at once, where `resolve` decides again only the pairs near a change. The store
is run through real list versions (the OFAC SDN set without a real designation batch, then as
published), a new list (the UN XML), a full run, and a store whose keys were never written (as
an older layout leaves it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph.resolution.blocking import candidate_pairs, stored_keys
from graph.resolution.decisions import KEEP_THRESHOLD, decide
from graph.resolution.engine import record_prints, resolve
from graph.resolution.records import load_records
from graph.resolution.rivals import held_scores, plain_features, raw_score
from graph.resolution.scoring import Feature, NameStats, Score, score_pair
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import GUR, TAK, earlier_sdn, ofac_version, raw

Pairs = dict[tuple[str, str], tuple[float, str, Any]]


def reference(store: Store, prints: dict[str, str], pairs: Pairs, *, full: bool = False
              ) -> tuple[dict[str, str], Pairs, set[str], int]:
    """The prints and pairs a run over every record in memory leaves, from the ones before it;
    with the records that changed and how many pairs it scored."""
    records = load_records(store.conn)
    by_gid = {r.gid: r for r in records}
    stats = NameStats(records)
    new_prints = record_prints(records, stats)
    changed = set(new_prints) if full else {
        g for g, p in new_prints.items() if prints.get(g) != p}
    stale = changed | (set(prints) - set(new_prints))
    candidates, _ = candidate_pairs(records)
    kept = {} if full else {k: v for k, v in pairs.items()
                            if k[0] not in stale and k[1] not in stale}
    todo = sorted(p for p in candidates if p[0] in changed or p[1] in changed)
    for a, b in todo:
        result = score_pair(by_gid[a], by_gid[b], stats)
        if result.score >= KEEP_THRESHOLD:
            kept[(a, b)] = (result.score, decide(result.score).value,
                            [[f.name, f.weight, f.detail] for f in result.features])
    # Close calls and namesakes (`rivals`), decided over every kept pair at once.
    raws = {pair: Score(pair[0], pair[1], raw_score(score, features),
                        tuple(Feature(*f) for f in plain_features(features)))
            for pair, (score, _, features) in kept.items()}
    holds = held_scores(raws, by_gid)
    final: Pairs = {}
    for pair, result in raws.items():
        result = holds.get(pair, result)
        final[pair] = (result.score, decide(result.score).value,
                       [[f.name, f.weight, f.detail] for f in result.features])
    return new_prints, final, changed, len(todo)


def held(store: Store) -> tuple[dict[str, str], Pairs]:
    prints = dict(store.conn.execute("SELECT gid, print FROM match_prints").fetchall())
    pairs = {(a, b): (score, decision, json.loads(features)) for a, b, score, decision, features
             in store.conn.execute("SELECT a, b, score, decision, features FROM match_pairs")}
    return prints, pairs


def assert_keys_current(store: Store) -> None:
    """The stored keys are those of the current records, no more and no less."""
    expected = {(key, r.gid) for r in load_records(store.conn) for key in stored_keys(r)}
    assert set(store.conn.execute("SELECT key, gid FROM match_keys").fetchall()) == expected


def step(store: Store, *, full: bool = False) -> tuple[set[str], int]:
    before_prints, before_pairs = held(store)
    want_prints, want_pairs, want_changed, want_scored = reference(
        store, before_prints, before_pairs, full=full)
    report = resolve(store, full=full)
    got_prints, got_pairs = held(store)
    assert got_prints == want_prints
    assert got_pairs.keys() == want_pairs.keys()
    for pair, (score, decision, features) in want_pairs.items():
        assert got_pairs[pair][0] == pytest.approx(score)
        assert got_pairs[pair][1:] == (decision, features)
    assert (report.changed, report.scored) == (len(want_changed), want_scored)
    assert_keys_current(store)
    return want_changed, report.scored


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("versions")
    return {"earlier": ofac_version(folder / "earlier", earlier_sdn()),
            "published": ofac_version(folder / "published",
                                      raw("ofac_sdn_2024-05-03.csv").read_bytes())}


def test_stored_keys_give_what_reading_everything_gives(tmp_path: Path,
                                                        versions: dict[str, Path]) -> None:
    with Store(tmp_path / "keys.db") as store:
        load_file(store, GUR)
        load_file(store, TAK)
        load_file(store, versions["earlier"], list_date="2024-04-01")
        changed, scored = step(store)
        assert scored > 100 and len(changed) == store.conn.execute(
            "SELECT COUNT(*) FROM match_prints").fetchone()[0]
        # Nothing loaded since: nothing read, nothing scored.
        changed, scored = step(store)
        assert (changed, scored) == (set(), 0)
        # A new version: only its changed records are scored.
        load_file(store, versions["published"], list_date="2024-05-03")
        changed, scored = step(store)
        assert changed and all(g.startswith("us_ofac_sdn:") for g in changed)
        assert len(changed) < 50
        # A list not in the store before.
        load_file(store, raw("un_consolidated_2026-02-27.xml"))
        changed, _ = step(store)
        assert {g.partition(":")[0] for g in changed} == {"un_sc"}
        step(store, full=True)


def test_a_store_without_keys_is_keyed_without_scoring_again(tmp_path: Path,
                                                            versions: dict[str, Path]) -> None:
    with Store(tmp_path / "old.db") as store:
        load_file(store, TAK)
        load_file(store, versions["published"], list_date="2024-05-03")
        resolve(store)
        prints, pairs = held(store)
        # As a store of the layout before keys were kept: no keys, no record of what was read.
        with store.transaction() as conn:
            conn.execute("DELETE FROM match_keys")
            conn.execute("DELETE FROM match_loads")
            conn.execute("UPDATE match_prints SET keys = '', ambiguous = ''")
        changed, scored = step(store)
        assert (changed, scored) == (set(), 0)
        assert held(store) == (prints, pairs)
        # And the next version after it is scored from the rewritten keys.
        load_file(store, raw("un_consolidated_2026-02-27.xml"))
        changed, scored = step(store)
        assert changed and scored

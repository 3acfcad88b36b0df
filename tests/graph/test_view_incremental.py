"""A load, a resolve and a judgement re-derive only what they changed: the merged view they leave
equals the one a whole derivation gives, and the log of changed nodes names every node whose
facts changed.

The real-list tests use two versions of the OFAC SDN list built from the real file as
tests/graph/test_versions.py does (the earlier one without a real designation batch and with one
entry as it stood on 2023-12-11; every row a real one). The property test draws small stores of
invented records (ids `r0`.., identifiers from a small pool of made-up numbers with valid check
digits); they describe no real ship or firm.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import derive
from graph.model import Entity, Schema
from graph.resolution.engine import judge, resolve
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import OFAC_BATCH, load_example_pair, merged_ship_store, ofac_version, raw

BATCH = OFAC_BATCH


def assert_whole(store: Store) -> None:
    """The view the store holds is the one a whole derivation makes."""
    held = derive.present_view(store.conn)
    whole = derive.derive(store.conn)
    assert held.nodes == whole.nodes
    assert held.canon == whole.canon


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return merged_ship_store(tmp_path_factory.mktemp("incremental"))


def test_a_new_version_re_derives_only_what_changed(merged: Store,
                                                    tmp_path: Path) -> None:
    assert_whole(merged)
    before = {gid: cid for gid, (_, _, cid) in derive.present_view(merged.conn).nodes.items()}
    generation = merged.generation()
    load_file(merged, ofac_version(tmp_path / "after", raw("ofac_sdn_2024-05-03.csv").read_bytes()),
              list_date="2024-05-03")
    assert_whole(merged)
    changed = merged.changed_since(generation)
    assert changed is not None
    after = {gid: cid for gid, (_, _, cid) in derive.present_view(merged.conn).nodes.items()}
    # The new designations are new nodes; YOUNG YONG became SAINT LIGHT: its node is logged.
    for ent in BATCH:
        assert after[f"us_ofac_sdn:{ent}"] in changed
    renamed = after["us_ofac_sdn:39693"]
    assert renamed in changed and renamed.startswith("vessel:IMO")
    # Every node whose members changed is logged; nodes nothing touched are not.
    moved = {cid for gid, cid in after.items() if before.get(gid) != cid}
    assert moved <= changed
    assert len(changed) < len(set(after.values())) / 20
    # A node of another list only, far from the change, kept its id and is not logged.
    untouched = next(cid for gid, cid in after.items()
                     if gid.startswith("tak_") and cid == gid)
    assert untouched not in changed


def test_resolve_and_judge_re_derive_what_they_change(merged: Store, tmp_path: Path) -> None:
    a, b = load_example_pair(merged, tmp_path)  # the judged pair: a made-up ship's two records
    resolve(merged)
    assert_whole(merged)
    pair = merged.conn.execute(
        "SELECT a, b FROM match_pairs WHERE decision = 'merge' AND a = ? AND b = ?",
        (a, b)).fetchone()
    assert pair is not None
    generation = merged.generation()
    judge(merged, a, b, "different", who="test")
    assert_whole(merged)
    assert merged.canonical_of(a) != merged.canonical_of(b)
    changed = merged.changed_since(generation)
    assert changed is not None
    assert {merged.canonical_of(a), merged.canonical_of(b)} <= changed
    judge(merged, a, b, "same", who="test")
    assert_whole(merged)
    assert merged.canonical_of(a) == merged.canonical_of(b)


def test_the_log_does_not_reach_back_past_a_whole_derivation(merged: Store) -> None:
    generation = merged.generation()
    with merged.transaction() as conn:
        merged.rebuild_view(conn, changed=True)
    assert merged.changed_since(generation) is None
    assert merged.changed_since(merged.generation()) == set()
    assert merged.changed_since(merged.generation() + 1) is None


# -- property: any sequence of loads and judgements ------------------------------------------

IMOS = ("9000015", "9000027", "9000039", "9000041", "9000053")


def _record(n: int, imo: int | None, same_as: int | None, name: int, schema: Schema
            ) -> Entity:
    props: dict[str, tuple[str, ...]] = {"name": (f"INVENTED NAME {name}",)}
    if imo is not None:
        props["imoNumber"] = (IMOS[imo],)
    return Entity(f"r{n}", schema, props, f"r{n}",
                  same_as=f"b:r{same_as}" if same_as is not None else None)


records = st.lists(
    st.tuples(st.integers(0, 11), st.one_of(st.none(), st.integers(0, 4)),
              st.one_of(st.none(), st.integers(0, 11)), st.integers(0, 3),
              st.sampled_from([Schema.VESSEL, Schema.COMPANY])),
    max_size=10, unique_by=lambda t: t[0])
steps = st.lists(st.one_of(
    st.tuples(st.just("load"), st.sampled_from("abc"), records),
    st.tuples(st.just("judge"), st.integers(0, 11), st.integers(0, 11),
              st.sampled_from(["same", "different"])),
), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_partial_derivation_equals_whole(tmp_path_factory: pytest.TempPathFactory,
                                         script: list[tuple[object, ...]]) -> None:
    path = tmp_path_factory.mktemp("prop") / "s.db"
    with Store(path) as store:
        store.partial_share = 1.0  # every change re-derived in part, however large
        version = 0
        for step in script:
            if step[0] == "load":
                _, source, rows = step
                version += 1
                entities = [_record(n, imo, None if source == "b" else same, name, schema)
                            for n, imo, same, name, schema in rows]  # type: ignore[attr-defined]
                store.write_load(source=str(source), format="test", path="-",
                                 checksum=f"v{version}", records=entities,
                                 list_date=f"2024-01-{version:02d}", allow_shrink=True)
            else:
                _, x, y, verdict = step
                gids = [g for (g,) in store.conn.execute("SELECT gid FROM nodes ORDER BY gid")]
                if len(gids) < 2:
                    continue
                a, b = gids[int(x) % len(gids)], gids[int(y) % len(gids)]  # type: ignore[call-overload]
                if a != b:
                    judge(store, a, b, str(verdict), who="test")
            assert_whole(store)

"""Paths, exposure and the nearest state actor: networkx as the oracle on random graphs, and the
demo store (OFAC + registry + the RUSI evidence file) for the real case."""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.path_arrays import array_index
from graph.errors import NotFoundError, QueryError
from graph.model import RELATION_SHAPES, RelationKind
from graph.store import Store
from pipeline.ingest import load_file
from queries.paths import (
    KINDS,
    PathIndex,
    exposure,
    exposure_of,
    find_node,
    path_between,
    path_to_state,
    shortest_paths,
)
from tests.conftest import DEMO
from tests.graph.conftest import copy_store


def random_index(n: int, edges: list[tuple[int, int, int]], sanctioned: set[int] = frozenset(),
                 state: set[int] = frozenset()) -> PathIndex:
    subject = np.array([a for a, _, _ in edges], dtype=np.int32)
    obj = np.array([b for _, b, _ in edges], dtype=np.int32)
    kind = np.array([k for _, _, k in edges], dtype=np.int8)
    flags = np.zeros(n, dtype=np.bool_)
    flags[list(sanctioned)] = True
    states = np.zeros(n, dtype=np.bool_)
    states[list(state)] = True
    return array_index(n, subject, obj, kind, np.full(len(edges), math.nan, dtype=np.float32),
                       sanctioned=flags, state=states)


@st.composite
def random_graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, int]]]:
    n = draw(st.integers(2, 25))
    edges = draw(st.lists(
        st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(0, len(KINDS) - 1)),
        max_size=3 * n,
    ))
    return n, [(a, b, k) for a, b, k in edges if a != b]


@settings(max_examples=200, deadline=None)
@given(random_graphs(), st.data())
def test_shortest_paths_match_networkx(case: tuple[int, list[tuple[int, int, int]]],
                                       data: st.DataObject) -> None:
    n, edges = case
    idx = random_index(n, edges)
    oracle = nx.MultiGraph()
    oracle.add_nodes_from(range(n))
    oracle.add_edges_from((a, b) for a, b, _ in edges)
    a = data.draw(st.integers(0, n - 1))
    b = data.draw(st.integers(0, n - 1))
    length, paths, found = shortest_paths(idx, a, b, max_hops=n, all_paths=True, limit=10_000)
    if nx.has_path(oracle, a, b):
        assert length == nx.shortest_path_length(oracle, a, b)
        expected = {tuple(p) for p in nx.all_shortest_paths(nx.Graph(oracle), a, b)}
        assert {tuple(p) for p in paths} == expected
        assert found == len(expected)
        # Without --all one path is read back, but the count is still exact.
        _, first, count = shortest_paths(idx, a, b, max_hops=n)
        assert len(first) == 1 and tuple(first[0]) in expected and count == len(expected)
    else:
        assert length is None and paths == []
    # --via: only the chosen kinds count.
    chosen = {KINDS[0], KINDS[3]}
    sub = nx.Graph()
    sub.add_nodes_from(range(n))
    sub.add_edges_from((x, y) for x, y, k in edges if KINDS[k] in chosen)
    length, _, _ = shortest_paths(idx, a, b, kinds=chosen, max_hops=n)
    expected_length = nx.shortest_path_length(sub, a, b) if nx.has_path(sub, a, b) else None
    assert length == expected_length
    # --max-hops bounds the search.
    length, _, _ = shortest_paths(idx, a, b, max_hops=1)
    assert length == (None if not oracle.has_edge(a, b) and a != b else (0 if a == b else 1))


@settings(max_examples=100, deadline=None)
@given(random_graphs(), st.data())
def test_exposure_matches_networkx(case: tuple[int, list[tuple[int, int, int]]],
                                   data: st.DataObject) -> None:
    n, edges = case
    sanctioned = data.draw(st.sets(st.integers(0, n - 1), max_size=n))
    idx = random_index(n, edges, sanctioned)
    start = data.draw(st.integers(0, n - 1))
    hops = data.draw(st.integers(1, 4))
    answer = exposure_of(idx, start, hops, limit=None)
    oracle = nx.Graph()
    oracle.add_nodes_from(range(n))
    cost = {k: 1 if RELATION_SHAPES[k].control else 2 for k in KINDS}
    for a, b, k in edges:
        w = cost[KINDS[k]]
        if not oracle.has_edge(a, b) or oracle[a][b]["w"] > w:
            oracle.add_edge(a, b, w=w)
    lengths = nx.single_source_shortest_path_length(oracle, start, cutoff=hops)
    assert {h.node.id: h.hops for h in answer.hits} == {
        f"n{v}": d for v, d in lengths.items() if v in sanctioned}
    for hit in answer.hits:
        assert hit.path.hops == hit.hops
        # The cost is the cheapest over the shortest paths (a DAG of BFS levels).
        target = int(hit.node.id[1:])
        best = min(sum(oracle[x][y]["w"] for x, y in pairwise(p))
                   for p in nx.all_shortest_paths(oracle, start, target))
        assert hit.cost == best
    assert [(h.cost, h.hops) for h in answer.hits] == sorted((h.cost, h.hops)
                                                              for h in answer.hits)


def test_nearest_state_on_a_random_graph() -> None:
    idx = random_index(6, [(0, 1, 0), (1, 2, 4), (2, 3, 0), (0, 4, 4), (4, 5, 4)], state={3, 5})
    from queries.paths import nearest_state_paths
    paths = nearest_state_paths(idx, 0)
    assert [[n.id for n in p.nodes] for p in paths] == [["n0", "n4", "n5"]]


def test_path_angara_to_state_runs_through_the_evidence(demo_store: Store) -> None:
    start, paths = path_to_state(demo_store, "ANGARA")
    assert start.caption == "ANGARA"
    assert paths, "ANGARA reaches no state actor"
    ends = {p.nodes[-1].caption for p in paths}
    assert ends == {"Government of the Democratic People's Republic of Korea"}
    for path in paths:
        assert path.nodes[-1].state_actor is not None
        for step in path.steps:
            assert step.evidence
            assert all("The Orient Express" in (r.evidence or "") for r in step.relations)
    # Without the evidence kinds the official data alone reaches no state.
    _, official = path_to_state(demo_store, "ANGARA",
                                kinds={RelationKind.OWNERSHIP, RelationKind.LINK,
                                       RelationKind.OPERATION})
    assert all(not s.evidence for p in official for s in p.steps)


def test_path_between_the_two_ships(demo_store: Store) -> None:
    answer = path_between(demo_store, "IMO 9179842", "IMO 8517839", all_paths=True)
    assert answer.hops == 2
    middles = {p.nodes[1].caption for p in answer.paths}
    assert {"Port of Rajin", "Port of Dunai", "MARINE TRANS SHIPPING LLC"} <= middles
    via_mts = next(p for p in answer.paths if p.nodes[1].caption == "MARINE TRANS SHIPPING LLC")
    # The registry's operator role is official; the RUSI ownership claim is evidence.
    kinds = {(r.kind, r.evidence is not None) for s in via_mts.steps for r in s.relations}
    assert ("operation", False) in kinds and ("ownership", True) in kinds
    first = via_mts.steps[0].relations[0]
    assert first.sources and first.sources[0].source in ("demo_registry", "us_ofac_sdn")


def test_path_respects_via_and_max_hops(demo_store: Store) -> None:
    answer = path_between(demo_store, "ANGARA", "ADLER", kinds={RelationKind.LINK})
    assert answer.hops == 2
    assert [n.caption for n in answer.paths[0].nodes] == ["ANGARA", "M LEASING LLC", "ADLER"]
    assert path_between(demo_store, "ANGARA", "ADLER", max_hops=1).hops is None


def test_exposure_nearest_first(demo_store: Store) -> None:
    answer = exposure(demo_store, "ANGARA", 3)
    captions = [h.node.caption for h in answer.hits]
    assert captions[0] == "ANGARA"  # sanctioned itself
    assert captions.index("M LEASING LLC") < captions.index("ADLER")
    adler = next(h for h in answer.hits if h.node.caption == "ADLER")
    assert adler.programmes == ["US OFAC RUSSIA-EO14024"]
    assert [n.caption for n in adler.path.nodes] == ["ANGARA", "M LEASING LLC", "ADLER"]


def test_find_node_by_id_source_id_imo_and_name(demo_store: Store) -> None:
    assert find_node(demo_store, "vessel:IMO9179842") == "vessel:IMO9179842"
    assert find_node(demo_store, "us_ofac_sdn:37059") == "vessel:IMO9179842"
    assert find_node(demo_store, "IMO 9179842") == "vessel:IMO9179842"
    assert find_node(demo_store, "angara") == "vessel:IMO9179842"
    assert find_node(demo_store, "6246853") == "company:IMO6246853"
    with pytest.raises(QueryError, match=r"fits .* nodes.*MARIA"):
        find_node(demo_store, "MARIA")
    with pytest.raises(NotFoundError):
        find_node(demo_store, "ZZZQQQ NOTHING LIKE IT")
    with pytest.raises(QueryError, match="check digit"):
        find_node(demo_store, "IMO 9179843")


def test_index_is_kept_in_a_file_and_rebuilt_when_the_store_changes(tmp_path: Path) -> None:
    from queries import paths

    with Store(tmp_path / "s.db") as store:
        load_file(store, DEMO / "registry.csv", source="demo_registry")
        first = paths.store_index(store)
        assert paths.store_index(store) is first
        assert paths.index_path(store).exists()
        # A new process reads the file instead of the store, and gets the same answers.
        paths._CACHE.clear()
        again = paths.store_index(store)
        assert again is not first and again.key == first.key
        a, b = again.index["demo_registry:vessel:9179842"], again.index[
            store.canonical_of("demo_registry:company:6183435") or ""]
        fresh = path_answer_dict(first, a, b)
        assert path_answer_dict(again, a, b) == fresh and fresh["hops"] == 1
        # The change: the demo rows as they are, and a hand-made row about a made-up ship and
        # operator (IMO 9990002 is in no file of ../shared/data/raw).
        changed = tmp_path / "registry.csv"
        changed.write_text((DEMO / "registry.csv").read_text()
                           + "9990002,EXAMPLE SHIP ONE,operator,EXAMPLE OPERATOR LLC,,,,,"
                             "EXAMPLE for tests,x-1\n")
        load_file(store, changed, source="demo_registry")
        second = paths.store_index(store)
        assert second.key != first.key
        captions = {second.details.caption(i) for i in range(second.n)}
        assert "EXAMPLE OPERATOR LLC" in captions and "EXAMPLE OPERATOR LLC" not in {
            first.details.caption(i) for i in range(first.n)}


def test_an_altered_index_file_is_never_read(full_store: Store, tmp_path: Path) -> None:
    """A path index edited beside the store (here every sanction flag cleared, which would let
    `exposure` say nothing is listed) fails its signature and is rebuilt from the store."""
    from queries import paths
    from queries.container import read_parts, write_parts

    with copy_store(full_store, str(tmp_path / "s.db")) as store:
        built = paths.store_index(store)
        assert built.sanctioned.any()
        key = store.index_key()
        assert key is not None
        parts = read_parts(paths.index_path(store), key)
        assert parts is not None
        forged = {**parts, "sanctioned": np.zeros_like(parts["sanctioned"])}
        write_parts(paths.index_path(store), forged, b"not the store's key")
        paths._CACHE.clear()
        again = paths.store_index(store)
        assert np.array_equal(again.sanctioned, built.sanctioned)
        reread = read_parts(paths.index_path(store), key)
        assert reread is not None and reread["sanctioned"].any()


def path_answer_dict(idx: PathIndex, a: int, b: int) -> dict[str, object]:
    from queries.paths import path_answer

    return path_answer(idx, a, b).to_dict()


def test_reading_the_index_file_decodes_only_what_a_query_touches(full_store: Store,
                                                                    tmp_path: Path) -> None:
    """The index file keeps ids, captions and statements as one JSON text each: reading it
    decodes none of them, a path decodes the few its search and answer touch, and finding a
    node by id is a binary search, not a dict of every id."""
    from queries import paths

    with copy_store(full_store, str(tmp_path / "s.db")) as store:
        built = paths.store_index(store)
        paths._CACHE.clear()
        again = paths.store_index(store)
        assert again is not built
        details = again.details
        assert isinstance(details, paths.StoreDetails)
        assert isinstance(again.index, paths.SortedIds)
        assert len(details.ids._values) == len(details.captions._values) == 0
        assert len(details._statements._values) == 0
        # Ids are in sorted order and every node's number is found again by its id.
        sample = [int(i) for i in np.linspace(0, again.n - 1, 50)]
        ids = [details.node_id(i) for i in sample]
        assert ids == sorted(ids)
        assert [again.index[i] for i in ids] == sample
        assert "no such node id" not in again.index
        with pytest.raises(KeyError):
            again.index["no such node id"]
        a, b = (int(again.edge_subject[0]), int(again.edge_object[0]))
        assert path_answer_dict(again, a, b) == path_answer_dict(built, a, b)
        touched = len(details.ids._values)
        assert 0 < touched < again.n // 10, (touched, again.n)
        assert len(details._statements._values) < again.edges // 10


def test_an_index_file_of_another_layout_is_rebuilt(demo_store: Store, tmp_path: Path) -> None:
    """A file signed with the store's key but of another layout (an older version of this
    code) is never read as this one: it is built again from the store."""
    from queries import paths
    from queries.container import part_text, read_parts, text_part, write_parts

    with copy_store(demo_store, str(tmp_path / "s.db")) as store:
        built = paths.store_index(store)
        key = store.index_key()
        assert key is not None
        parts = read_parts(paths.index_path(store), key)
        assert parts is not None
        meta = part_text(parts["meta"])
        assert isinstance(meta, dict)
        write_parts(paths.index_path(store), {**parts, "meta": text_part({**meta, "layout": 1})},
                    key)
        paths._CACHE.clear()
        assert paths._read_index(paths.index_path(store), built.key, key) is None
        again = paths.store_index(store)
        reread = read_parts(paths.index_path(store), key)
        assert reread is not None and part_text(reread["meta"])["layout"] == paths.INDEX_LAYOUT
        assert np.array_equal(again.sanctioned, built.sanctioned)

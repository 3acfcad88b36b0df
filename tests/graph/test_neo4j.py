"""The graph as Neo4j holds it (shape), the sync's plan (batches, statements, change counts)
and the bulk-import files, all without a server, on the real OFAC + GUR + tak data."""

from __future__ import annotations

import csv
import marshal
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.model import RELATION_SHAPES
from graph.neo4j.export import (
    ARRAY_DELIMITER,
    NODE_FILES,
    REL_FILES,
    export_bulk,
    export_store,
    import_command,
)
from graph.neo4j.shape import (
    COUNTRY,
    ENTITY,
    HASH,
    PROGRAM,
    SANCTIONED_UNDER,
    STATE_ACTOR,
    GraphRows,
    _Scratch,
    build_graph,
    end_label,
    entity_label_sets,
    node_labels,
    relationship_types,
    vessel_imo,
)
from graph.neo4j.sync import (
    BATCH_ROWS,
    SPACES,
    Connection,
    Neo4jError,
    RemoteState,
    constraint_statements,
    index_statements,
    node_create_statement,
    node_delete_statement,
    node_hashes_statement,
    node_upsert_statement,
    plan_sync,
    push,
    rel_delete_statement,
    rel_hashes_statement,
    rel_upsert_statement,
    schema_statements,
    sync_session,
)
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import DEMO, FIXTURES

ANGARA = "vessel:IMO9179842"
MTS = "company:IMO6183435"


@pytest.fixture(scope="module")
def graph(ship_store: Store) -> GraphRows:
    return build_graph(ship_store)


def remote_of(graph: GraphRows) -> RemoteState:
    """What a database holding exactly `graph` reports back."""
    state = RemoteState()
    for node in graph.nodes:
        state.nodes.setdefault(node.space, {})[node.id] = node.props[HASH]
    for rel in graph.rels:
        state.rels.setdefault(rel.type, {})[rel.id] = rel.props[HASH]
    return state


def registry_store(path: Path) -> Store:
    """The demo registry alone: small enough to rebuild the graph several times."""
    store = Store(path)
    load_file(store, DEMO / "registry.csv", source="demo_registry", list_date="2026-08-22")
    return store


# -- shape ---------------------------------------------------------------------------------------


def test_angara_neighbourhood_has_the_documented_shape(graph: GraphRows) -> None:
    nodes = {n.id: n for n in graph.nodes}
    angara = nodes[ANGARA]
    assert angara.space == ENTITY and angara.labels == ("Vessel",)
    assert angara.props["imoNumber"] == ["9179842"]
    assert "ANGARA" in angara.props["name"] and angara.props["caption"] == "ANGARA"
    assert "Scan Arctic" in angara.props["previousName"]
    around = {(r.type, r.start, r.end): r for r in graph.rels if ANGARA in (r.start, r.end)}
    operates = around[("OPERATES", MTS, ANGARA)]
    assert operates.props["role"] == "operator"
    assert "demo_registry" in operates.props["source"]
    assert len(operates.props["list_date"]) == len(operates.props["record_id"]) == 1
    linked = [r for (t, s, _), r in around.items() if t == "LINKED_TO"]
    assert [nodes[r.start].props["caption"] for r in linked] == ["M LEASING LLC"]
    assert ("SANCTIONED_UNDER", ANGARA, "US OFAC/RUSSIA-EO14024") in around
    flag = around[("FLAGGED_IN", ANGARA, "ru")]
    assert sorted(flag.props["source"]) == ["tak_shadowfleet", "ua_gur_shadowfleet",
                                            "us_ofac_sdn"]
    assert nodes["ru"].space == COUNTRY and nodes["ru"].props["name"] == "Russia"
    assert nodes["US OFAC/RUSSIA-EO14024"].space == PROGRAM


def test_labels_and_types_come_from_the_tables(graph: GraphRows, ship_store: Store) -> None:
    assert {label for n in graph.nodes for label in (n.space, *n.labels)} <= set(node_labels())
    assert {r.type for r in graph.rels} <= set(relationship_types())
    kinds = {shape.neo4j_type for shape in RELATION_SHAPES.values()}
    assert kinds <= set(relationship_types())
    # every store relation is a relationship of its kind's type
    stated = Counter(RELATION_SHAPES[type(next(iter(RELATION_SHAPES)))(e.kind)].neo4j_type
                     for e in ship_store.iter_edges())
    written = Counter()
    for rel in graph.rels:
        if rel.type in kinds:
            written[rel.type] += len(rel.props["source"])
    assert written == stated


def test_vessels_carry_their_imo_as_the_lookup_key(graph: GraphRows) -> None:
    vessels = [n for n in graph.nodes if n.props.get("schema") == "Vessel"]
    keyed = [n for n in vessels if "imo" in n.props]
    assert len(keyed) > 2_000
    assert all(n.props["imo"] in n.props["imoNumber"] for n in keyed)
    assert all("imoNumber" not in n.props for n in vessels if "imo" not in n.props)
    assert not any("imo" in n.props for n in graph.nodes if n.props.get("schema") != "Vessel")
    assert vessel_imo(["IMO 9179842", "9179843"]) == "9179842"  # the valid one
    assert vessel_imo(["9179843"]) == "9179843"  # none valid: as stated
    assert vessel_imo([]) is None


def test_state_actors_are_public_bodies_or_carry_a_state_topic(graph: GraphRows) -> None:
    actors = [n for n in graph.nodes if STATE_ACTOR in n.labels]
    assert len(actors) >= 100
    for node in actors:
        topics = node.props.get("topics", [])
        assert node.props["schema"] == "PublicBody" or any(
            t.startswith(("gov", "mil")) for t in topics)


def test_every_relationship_end_exists_in_its_id_space(graph: GraphRows) -> None:
    spaces: dict[str, set[str]] = {}
    for node in graph.nodes:
        spaces.setdefault(node.space, set()).add(node.id)
    for rel in graph.rels:
        assert rel.start in spaces[ENTITY], rel
        assert rel.end in spaces[end_label(rel.type)], rel


def test_ids_are_unique_and_values_are_lists(graph: GraphRows) -> None:
    assert len({(n.space, n.id) for n in graph.nodes}) == len(graph.nodes)
    assert len({r.id for r in graph.rels}) == len(graph.rels)
    fixed = {"id", "schema", "caption", "imo", HASH}
    for node in graph.nodes:
        if node.space == ENTITY:
            for key, value in node.props.items():
                assert key in fixed or (isinstance(value, list) and value), (node.id, key)


# -- sync plan -----------------------------------------------------------------------------------


def test_first_push_creates_everything_in_bounded_batches(graph: GraphRows) -> None:
    plan = plan_sync(graph)
    totals = plan.totals()
    assert totals["nodes"].created == len(graph.nodes)
    assert totals["relationships"].created == len(graph.rels)
    assert totals["nodes"].updated == totals["nodes"].deleted == 0
    assert plan.rows == len(graph.nodes) + len(graph.rels)
    assert all(0 < len(b.rows) <= BATCH_ROWS for b in plan.batches)
    actions = [(b.action, b.target in relationship_types()) for b in plan.batches]
    first_rel = actions.index(("upsert", True))
    assert ("create", False) not in actions[first_rel:], "nodes are written before relationships"
    assert {a for a, is_rel in actions if not is_rel} == {"create"}  # nothing to merge into


def test_second_push_sends_nothing(graph: GraphRows) -> None:
    plan = plan_sync(graph, remote_of(graph))
    assert plan.batches == []
    assert plan.changed == 0


def test_changes_are_counted_and_only_they_are_sent(graph: GraphRows) -> None:
    remote = remote_of(graph)
    remote.nodes[ENTITY][ANGARA] = "stale"
    remote.nodes[ENTITY]["gone:1"] = "x"
    del remote.nodes[COUNTRY]["ru"]
    stale_rel = next(iter(remote.rels[SANCTIONED_UNDER]))
    remote.rels[SANCTIONED_UNDER][stale_rel] = "stale"
    remote.rels.setdefault("OWNS", {})["gone-rel"] = "x"
    plan = plan_sync(graph, remote)
    assert (plan.nodes[ENTITY].created, plan.nodes[ENTITY].updated,
            plan.nodes[ENTITY].deleted) == (0, 1, 1)
    assert plan.nodes[COUNTRY].created == 1
    assert plan.rels[SANCTIONED_UNDER].updated == 1
    assert plan.rels["OWNS"].deleted == 1
    sent = {(b.action, b.target): b.rows for b in plan.batches}
    assert [row["id"] for row in sent[("upsert", ENTITY)]] == [ANGARA]
    assert sent[("delete", ENTITY)] == ["gone:1"]
    assert sent[("delete", "OWNS")] == ["gone-rel"]
    assert plan.changed == 5


#: A hand-made row about a made-up ship and operator (IMO 9990002 is in no file of
#: ../shared/data/raw), added to the demo registry as the version before neo4j_registry_v2.csv.
EXAMPLE_ROW = ('9990002,EXAMPLE SHIP ONE,operator,EXAMPLE OPERATOR LLC,,,,,"Hand-made row for the '
               'Neo4j sync tests: a made-up ship and operator",demo-x\n')


def test_a_new_version_of_a_source_changes_exactly_what_it_changed(tmp_path: Path) -> None:
    first = tmp_path / "registry_v1.csv"
    first.write_text((DEMO / "registry.csv").read_text() + EXAMPLE_ROW)
    with Store(tmp_path / "registry.db") as store:
        load_file(store, first, source="demo_registry", list_date="2026-08-22")
        before = build_graph(store)
        again = build_graph(store)
        assert [n.props for n in again.nodes] == [n.props for n in before.nodes]
        assert plan_sync(again, remote_of(before)).changed == 0
        # v2 drops MARIA's row on purpose, a third of this three-row registry's entities: more
        # than a load allows without saying so (graph.store.MAX_SHRINK), hence allow_shrink.
        load_file(store, FIXTURES / "neo4j_registry_v2.csv", source="demo_registry",
                  list_date="2026-09-01", allow_shrink=True)
        after = build_graph(store)
    plan = plan_sync(after, remote_of(before))
    by_type = {t: (c.created, c.updated, c.deleted) for t, c in plan.rels.items() if c.changed}
    # EXAMPLE SHIP ONE's operator statement now has a start date: a new relationship replaces
    # the old one; MARIA's operator row is gone, and so is SUNOR ILLC, which only that row
    # named. ANGARA's row is unchanged but for its record id: its operator statement and the
    # registry's country of MARINE TRANS SHIPPING are updated in place to the new record.
    assert by_type == {"OPERATES": (1, 1, 2), "REGISTERED_IN": (0, 1, 0)}
    registered = next(r for r in after.rels if r.type == "REGISTERED_IN")
    assert "v2-1" in registered.props["record_id"]
    angara = next(r for r in after.rels
                  if r.type == "OPERATES" and r.end == "demo_registry:vessel:9179842")
    assert "v2-1" in angara.props["record_id"] and "start_date" not in angara.props
    # SUNOR ILLC and the registry's MARIA record (IMO 9198783, which no list names) are gone.
    assert plan.nodes[ENTITY].deleted == 2
    assert {"demo_registry:vessel:9198783"} <= set(remote_of(before).nodes[ENTITY]) - {
        n.id for n in after.nodes}
    new = next(r for r in after.rels
               if r.type == "OPERATES" and r.end == "demo_registry:vessel:9990002")
    assert new.props["start_date"] == "2023-08"


def test_values_travel_only_as_parameters(graph: GraphRows) -> None:
    for batch in plan_sync(graph).batches:
        assert "$rows" in batch.statement
        for row in batch.rows[:50]:
            ident = row if isinstance(row, str) else row["id"]
            assert ident not in batch.statement


def test_connection_settings_and_the_password_stays_hidden() -> None:
    env = {"NEO4J_URI": "neo4j://db.example:7687", "NEO4J_USER": "analyst",
           "NEO4J_PASSWORD": "s3cret-pw", "NEO4J_DATABASE": "sanctions"}
    conn = Connection.from_env(environ=env)
    assert (conn.uri, conn.user, conn.password, conn.database) == (
        "neo4j://db.example:7687", "analyst", "s3cret-pw", "sanctions")
    assert Connection.from_env("bolt://other:7687", environ=env).uri == "bolt://other:7687"
    assert "s3cret-pw" not in repr(conn) and "s3cret-pw" not in conn.describe()
    with_userinfo = Connection("neo4j://u:s3cret-pw@db.example:7687", password="s3cret-pw")
    assert "s3cret-pw" not in with_userinfo.describe()
    with pytest.raises(Neo4jError, match="NEO4J_URI"):
        Connection.from_env(environ={})


def test_an_unreachable_server_is_one_clear_error(graph: GraphRows) -> None:
    conn = Connection("bolt://127.0.0.1:9", password="s3cret-pw")
    with pytest.raises(Neo4jError) as caught:
        push(GraphRows(graph.nodes[:1], []), conn)
    assert "cannot connect" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)


# -- bulk import files ---------------------------------------------------------------------------


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def test_bulk_files_have_typed_headers_id_spaces_and_closed_relationships(
    graph: GraphRows, tmp_path: Path
) -> None:
    _check_bulk_files(graph, tmp_path)


def test_bulk_files_for_the_full_shared_data(full_store: Store, tmp_path: Path) -> None:
    graph = build_graph(full_store)
    assert len(graph.nodes) > 25000
    _check_bulk_files(graph, tmp_path / "rows")
    # `neo4j export` streams the rows from the store (flat memory): the same files, byte for
    # byte, and read back, exactly the rows of `build_graph`, in their order
    streamed = export_store(full_store, tmp_path / "streamed")
    names = sorted(p.name for p in (tmp_path / "rows").iterdir())
    assert sorted(p.name for p in streamed.directory.iterdir()) == names
    for name in names:
        assert (streamed.directory / name).read_bytes() == (tmp_path / "rows" / name
                                                             ).read_bytes(), name
    assert _read_back(streamed.directory) == _expected_rows(graph)


def _typed(header: str, cell: str) -> Any:
    kind = header.partition(":")[2]
    if kind == "string[]":
        return cell.split(ARRAY_DELIMITER)
    if kind == "boolean":
        assert cell in {"true", "false"}
        return cell == "true"
    if kind == "double":
        return float(cell)
    if kind == "long":
        return int(cell)
    assert not kind, header
    return cell


def _read_back(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every CSV file, in file order: ids, labels or type, and the properties
    typed by the header (empty cells left out)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for name in [*NODE_FILES.values(), *REL_FILES.values()]:
        header, rows = read_csv(folder / name)
        lead = 2 if name in NODE_FILES.values() else 3
        out[name] = [
            (*row[:lead], {h.partition(":")[0]: _typed(h, c)
                           for h, c in zip(header[lead:], row[lead:], strict=True) if c})
            for row in rows]
    return out


def _expected_rows(graph: GraphRows) -> dict[str, list[tuple[Any, ...]]]:
    def props(values: Any, *leave_out: str) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()
                if k not in leave_out and v not in (None, "", [], ())}

    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in
                                             [*NODE_FILES.values(), *REL_FILES.values()]}
    for node in graph.nodes:
        out[NODE_FILES[node.space]].append(
            (node.id, ARRAY_DELIMITER.join((node.space, *node.labels)), props(node.props, "id")))
    for rel in graph.rels:
        out[REL_FILES[end_label(rel.type)]].append(
            (rel.start, rel.end, rel.type, props(rel.props)))
    return out


#: Characters whose orders differ between collations and encodings: case, accents, NUL, the
#: top of the BMP and beyond it (UTF-16 would put U+1F600 before U+FFFF; UTF-8 and Python agree).
_TRICKY = st.text(st.sampled_from(["a", "A", "b", "B", "é", "\x00", "\ue000", "\uffff",
                                   "\U0001f600"]), max_size=3)


@given(st.lists(st.tuples(_TRICKY | st.text(max_size=4), st.integers(0, 99), st.booleans()),
                max_size=40))
def test_the_scratch_sort_is_pythons_sort(items: list[tuple[str, int, bool]]) -> None:
    """What spans nodes is grouped and ordered by SQLite (text in UTF-8 byte order): the same
    order as Python's `sorted`, whatever the characters, each group's statements in the order
    they came; a relation is kept only when both its ends are nodes."""
    with _Scratch() as scratch:
        scratch.add_node("a", [(text, "a", text.lower(), past, "country", "src", None, str(n))
                               for text, n, past in items])
        scratch.flush()
        scratch.add_edges((text, "a", "a" if known else "b", marshal.dumps(n))
                          for text, n, known in items)
        groups = [[marshal.loads(item) for item in group] for group in scratch.edge_groups()]
        links = [(key, stated.props()["record_id"]) for key, stated in scratch.country_links()]
    kept = [(text, n) for text, n, known in items if known]
    assert groups == [[n for t, n in kept if t == key] for key in sorted({t for t, _ in kept})]
    keys = sorted({(text, "a", text.lower(), past, "country") for text, _, past in items})
    assert links == [(key, sorted({str(n) for t, n, p in items if (t, p) == (key[0], key[3])}))
                     for key in keys]


def _check_bulk_files(graph: GraphRows, tmp_path: Path) -> None:
    result = export_bulk(graph, tmp_path)
    ids: dict[str, set[str]] = {}
    for name, space in (("entities.csv", ENTITY), ("programs.csv", PROGRAM),
                        ("countries.csv", COUNTRY)):
        header, rows = read_csv(tmp_path / name)
        assert header[:2] == [f"id:ID({space})", ":LABEL"]
        assert all(re.fullmatch(r"[A-Za-z_]\w*(:(string\[\]|double|boolean|long))?", h)
                   for h in header[2:]), header
        assert all(row[1].split(ARRAY_DELIMITER)[0] == space for row in rows)
        ids[space] = {row[0] for row in rows}
        assert len(ids[space]) == len(rows) == result.files[name]
    header, _ = read_csv(tmp_path / "entities.csv")
    assert {"name:string[]", "imoNumber:string[]", "members:string[]"} <= set(header)
    types = set(relationship_types())
    total = 0
    for name, end in (("relations.csv", ENTITY), ("sanctions.csv", PROGRAM),
                      ("countries_links.csv", COUNTRY)):
        header, rows = read_csv(tmp_path / name)
        assert header[:3] == [f":START_ID({ENTITY})", f":END_ID({end})", ":TYPE"]
        assert {"source:string[]", "list_date:string[]", "record_id:string[]"} <= set(header)
        for row in rows:
            assert row[0] in ids[ENTITY], row[:3]
            assert row[1] in ids[end], row[:3]
            assert row[2] in types and end_label(row[2]) == end
        total += len(rows)
    assert total == len(graph.rels)


def test_bulk_values_round_trip(graph: GraphRows, tmp_path: Path) -> None:
    export_bulk(graph, tmp_path)
    header, rows = read_csv(tmp_path / "entities.csv")
    angara = dict(zip(header, next(r for r in rows if r[0] == ANGARA), strict=True))
    node = next(n for n in graph.nodes if n.id == ANGARA)
    assert angara["previousName:string[]"].split(ARRAY_DELIMITER) == node.props["previousName"]
    assert angara[":LABEL"].split(ARRAY_DELIMITER) == ["Entity", "Vessel"]
    assert angara["content_hash"] == node.props[HASH]


def test_the_import_command_is_written_beside_the_files(graph: GraphRows, tmp_path: Path) -> None:
    result = export_bulk(graph, tmp_path, database="sanctions")
    script = (tmp_path / "import.sh").read_text()
    assert script.startswith("#!/bin/sh")
    assert "neo4j-admin database import full sanctions \\\n" in script
    for name in result.files:
        option = "nodes" if name in NODE_FILES.values() else "relationships"
        assert f"--{option}={name}" in script
    assert import_command("sanctions")[:5] == ["neo4j-admin", "database", "import", "full",
                                               "sanctions"]
    assert "--array-delimiter=U+001F" in script
    schema = (tmp_path / "schema.cypher").read_text()
    assert "CREATE FULLTEXT INDEX entity_names" in schema


# -- the sync over a session ---------------------------------------------------------------------


class _Result(list[dict[str, Any]]):
    def consume(self) -> None:
        return None

    def single(self) -> dict[str, Any] | None:
        return self[0] if self else None


class MemoryNeo4j:
    """Just enough of a Neo4j session to run the sync against: it knows every statement the
    sync can send (by text), keeps id -> content hash per id space and relationship type, and
    follows Neo4j's rules that matter here: a relationship is only created when both its ends
    exist, and DETACH DELETE removes a node's relationships with it."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, str]] = defaultdict(dict)
        self.rels: dict[str, dict[str, tuple[str, str, str]]] = defaultdict(dict)
        self.log: list[tuple[str, str, int]] = []
        self.known: dict[str, tuple[str, str]] = {s: ("schema", "") for s in schema_statements()}
        for space in SPACES:
            self.known[node_hashes_statement(space)] = ("read node", space)
            self.known[node_delete_statement(space)] = ("delete node", space)
            self.known[node_upsert_statement(space)] = ("upsert node", space)
            self.known[node_create_statement(space)] = ("create node", space)
        for labels in entity_label_sets():
            self.known[node_upsert_statement(ENTITY, labels)] = ("upsert node", ENTITY)
            self.known[node_create_statement(ENTITY, labels)] = ("create node", ENTITY)
        for rel_type in relationship_types():
            self.known[rel_hashes_statement(rel_type)] = ("read rel", rel_type)
            self.known[rel_delete_statement(rel_type)] = ("delete rel", rel_type)
            self.known[rel_upsert_statement(rel_type)] = ("upsert rel", rel_type)

    def run(self, statement: str, params: dict[str, Any] | None = None) -> _Result:
        action, target = self.known[statement]  # an unknown statement fails the test
        rows = (params or {}).get("rows", [])
        self.log.append((action, target, len(rows)))
        if action == "read node":
            return _Result([{"pairs": [[k, h] for k, h in self.nodes[target].items()]}])
        if action == "read rel":
            return _Result([{"pairs": [[k, h] for k, (h, _, _) in self.rels[target].items()]}])
        for row in rows:
            if action == "create node":
                assert row["id"] not in self.nodes[target], "CREATE of a node already held"
                self.nodes[target][row["id"]] = row["props"][HASH]
            elif action == "upsert node":
                self.nodes[target][row["id"]] = row["props"][HASH]
            elif action == "delete node":
                self.nodes[target].pop(row, None)
                for rels in self.rels.values():
                    for rid in [r for r, (_, a, b) in rels.items() if row in (a, b)]:
                        del rels[rid]
            elif action == "upsert rel":
                if row["start"] in self.nodes[ENTITY] and row["end"] in self.nodes[
                        end_label(target)]:
                    self.rels[target][row["id"]] = (row["props"][HASH], row["start"],
                                                    row["end"])
            elif action == "delete rel":
                self.rels[target].pop(row, None)
        return _Result()

    def execute_write(self, work: Any, *args: Any) -> Any:
        return work(self, *args)

    def execute_read(self, work: Any, *args: Any) -> Any:
        return work(self, *args)

    def holds(self, graph: GraphRows) -> bool:
        nodes = {space: {r.id: r.props[HASH] for r in rows}
                 for space, rows in graph.nodes_by_space().items()}
        rels = {t: {r.id: r.props[HASH] for r in rows} for t, rows in graph.rels_by_type().items()}
        return ({k: v for k, v in self.nodes.items() if v} == nodes
                and {t: {i: h for i, (h, _, _) in v.items()} for t, v in self.rels.items()
                     if v} == rels)


def test_sync_over_a_session_writes_everything_then_nothing(graph: GraphRows) -> None:
    server = MemoryNeo4j()
    first = sync_session(server, graph)
    assert server.holds(graph)
    actions = [a for a, _, _ in server.log]
    constraints, indexes = len(constraint_statements()), len(index_statements())
    assert constraints + indexes == len(schema_statements())
    assert actions[:constraints] == ["schema"] * constraints
    assert actions[constraints:constraints + len(SPACES) + len(relationship_types())] == (
        ["read node"] * len(SPACES) + ["read rel"] * len(relationship_types()))
    assert actions[-indexes:] == ["schema"] * indexes  # indexes once the rows are written
    assert first.totals()["nodes"].created == len(graph.nodes)
    server.log.clear()
    second = sync_session(server, graph)
    assert second.changed == 0
    assert {a for a, _, _ in server.log} == {"schema", "read node", "read rel"}


def test_sync_over_a_session_follows_a_new_version(tmp_path: Path) -> None:
    server = MemoryNeo4j()
    with registry_store(tmp_path / "registry.db") as store:
        sync_session(server, build_graph(store))
        # v2 drops half the registry's entities on purpose (MARIA's row): hence allow_shrink.
        load_file(store, FIXTURES / "neo4j_registry_v2.csv", source="demo_registry",
                  list_date="2026-09-01", allow_shrink=True)
        after = build_graph(store)
    plan = sync_session(server, after, batch_rows=1)
    assert server.holds(after)
    assert all(len(batch.rows) == 1 for batch in plan.batches)
    assert sync_session(server, after).changed == 0

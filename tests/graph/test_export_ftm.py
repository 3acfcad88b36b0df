"""FtM export and its round trip: export, load the export into a fresh store as FtM, export
again: the same entities, relations and sanctions.

What legitimately changes in the second export, and nothing else:
- each line gains the FtM load itself as one more source: its dataset name (`rt`) in `datasets`
  and its record `rt:<the entity's id>` in `referents`, because the second store faithfully
  records that the entity now also came through that file. The original datasets and referents
  (OFAC ent_num, GUR IMO, ...) are carried through unchanged.
Ids, schemata and every property value stay the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from followthemoney import model
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from graph.cli import app
from graph.store import Store


def _export(db: Path, out: Path) -> dict[str, dict[str, Any]]:
    result = CliRunner().invoke(app, ["export", "--db", str(db), "--format", "ftm", "-o",
                                      str(out), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_id = {line["id"]: line for line in lines}
    assert len(by_id) == len(lines), "FtM ids must be unique"
    return by_id


@pytest.fixture(scope="module")
def round_trip(ship_store: Store, tmp_path_factory: pytest.TempPathFactory) -> tuple[
    dict[str, dict[str, Any]], dict[str, dict[str, Any]]
]:
    folder = tmp_path_factory.mktemp("roundtrip")
    first = _export(ship_store.path, folder / "first.ftm.json")
    loaded = CliRunner().invoke(app, ["load", "--db", str(folder / "second.db"), "--format",
                                      "ftm", "--source", "rt", str(folder / "first.ftm.json")])
    assert loaded.exit_code == 0, loaded.output
    second = _export(folder / "second.db", folder / "second.ftm.json")
    return first, second


def test_export_covers_the_graph(ship_store: Store, round_trip: Any) -> None:
    first, _ = round_trip
    counts = ship_store.counts()
    schemata = [line["schema"] for line in first.values()]
    edges = sum(s in ("Ownership", "Directorship", "UnknownLink") for s in schemata)
    assert schemata.count("Sanction") > 0 and edges > 0
    assert len(first) - edges - schemata.count("Sanction") == counts["nodes"]
    # ANGARA: one merged vessel, with every source and the record each source gives it.
    angara = first["vessel-IMO9179842"]
    assert angara["schema"] == "Vessel"
    assert angara["properties"]["imoNumber"] == ["IMO9179842"]
    assert {"us_ofac_sdn", "ua_gur_shadowfleet", "tak_shadowfleet"} <= set(angara["datasets"])
    assert {"us_ofac_sdn:37059", "tak_shadowfleet:9179842"} <= set(angara["referents"])
    linked = [line for line in first.values() if line["schema"] == "UnknownLink"
              and line["properties"]["object"] == ["vessel-IMO9179842"]
              and "us_ofac_sdn" in line["datasets"]]
    owners = {first[line["properties"]["subject"][0]]["properties"]["name"][0] for line in linked}
    assert "M LEASING LLC" in owners
    sanctions = [line for line in first.values() if line["schema"] == "Sanction"
                 and line["properties"]["entity"] == ["vessel-IMO9179842"]]
    assert {s["properties"]["program"][0] for s in sanctions} == {"RUSSIA-EO14024"}


def test_round_trip_gives_the_same_entities(round_trip: Any) -> None:
    first, second = round_trip
    assert set(first) == set(second)
    for ftm_id, one in first.items():
        two = second[ftm_id]
        assert two["schema"] == one["schema"], ftm_id
        assert {k: sorted(v) for k, v in two["properties"].items()} == {
            k: sorted(v) for k, v in one["properties"].items()}, ftm_id
        assert two["datasets"] == sorted({*one["datasets"], "rt"}), ftm_id
        assert two["referents"] == sorted({*one["referents"], f"rt:{ftm_id}"}), ftm_id


def test_export_is_valid_ftm(round_trip: Any) -> None:
    """FtM's own model, cleaning the exported values again, changes nothing (every tenth line,
    to keep the test short: the lines are written by one code path)."""
    first, _ = round_trip
    for line in list(first.values())[::10]:
        proxy = model.get_proxy({k: line[k] for k in ("id", "schema", "properties")},
                                cleaned=False)
        assert {k: sorted(v) for k, v in proxy.to_dict()["properties"].items()} == {
            k: sorted(v) for k, v in line["properties"].items()}, line["id"]


def test_export_of_an_empty_store_is_an_error(tmp_path: Path) -> None:
    Store(tmp_path / "empty.db").close()
    result = CliRunner().invoke(app, ["export", "--db", str(tmp_path / "empty.db"), "-o",
                                      str(tmp_path / "x.json")])
    assert result.exit_code == 3
    assert "the store is empty" in result.stderr
    assert not (tmp_path / "x.json").exists()


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 9)), max_size=40),
       st.sets(st.sampled_from("abcdefg")))
def test_the_streamed_join_gives_each_node_its_rows(rows: list[tuple[str, int]],
                                                    asked: set[str]) -> None:
    """The export reads nodes and their facts as two sorted streams and joins them as they come
    (flat memory): each node asked for, in order, gets exactly its rows, whatever lies between."""
    from graph.view import by_canonical

    rows = sorted(rows, key=lambda r: r[0])
    take = by_canonical(iter(rows))
    for node in sorted(asked):
        assert take(node) == [v for k, v in rows if k == node]

"""The notebooks run top to bottom and their outputs are asserted: the embedded one builds its own
store from the bundled demo data; the Cypher one runs against the live Neo4j server holding the
live graph (the shared data with the demo's registry and evidence files, resolved), and ends
with a picture of ANGARA's neighbourhood drawn from what Neo4j returns."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from graph.neo4j import picture
from graph.neo4j.notebook import parse_magic_line, split_cell
from graph.neo4j.shape import GraphRows
from graph.neo4j.sync import Connection
from tests.conftest import ROOT
from tests.graph.conftest import ensure_pushed

NOTEBOOKS = ROOT / "notebooks"
CYPHER_NOTEBOOK = NOTEBOOKS / "angara_cypher.ipynb"

ANGARA = "vessel:IMO9179842"
M_LEASING = "company:IMO6246853"
MTS = "company:IMO6183435"
DPRK_GOVERNMENT = "Government of the Democratic People's Republic of Korea"

#: The Cypher notebook's cells, by their notebook cell ids.
SHIP, BY_NAME, PARTIES, CHAIN = "bb4a6c72", "47183e63", "24a39513", "34fc8a40"
SISTERS, SANCTIONS, COUNTRIES = "28ab6c43", "ab54efcd", "9399cca8"
NEAREST_STATE_ACTORS, STATE_ACTOR_CHAINS, PICTURE = "7ee0f91d", "ca812908", "9e3c27f1"

PNG_NAME = "angara_neighbourhood_neo4j.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: A cell the test appends to its in-memory copy of the notebook (never to the file): it hands
#: back what the kernel holds, every `%%cypher` cell's DataFrame by execution count (`Out`),
#: and the graph the picture cell drew.
PROBE_MARK = "PROBE-JSON:"
PROBE = f"""
import json as _json
import pandas as _pd
print({PROBE_MARK!r} + _json.dumps({{
    "frames": {{str(n): out.to_dict("records") for n, out in Out.items()
                if isinstance(out, _pd.DataFrame)}},
    "nodes": {{n: d for n, d in around.nodes(data=True)}},
    "edges": [[u, v, d] for u, v, d in around.edges(data=True)],
}}, default=str))
"""


def test_embedded_notebook_runs_and_draws_the_neighbourhood(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOKS / "angara_embedded.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    png = tmp_path / "angara_neighbourhood.png"
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    text = "".join(out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
                   for cell in notebook.cells if cell.cell_type == "code"
                   for out in cell.outputs)
    assert "MARINE TRANS SHIPPING LLC" in text and "POLAR ROCK" in text
    assert "RUSSIA-EO14024" in text


def test_cypher_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(CYPHER_NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0].source.strip() == "%load_ext graph.neo4j.notebook"
    cypher = [cell for cell in code[1:] if split_cell(cell.source) is not None]
    python = [cell for cell in code[1:] if split_cell(cell.source) is None]
    assert len(cypher) >= 8
    # the one Python cell draws the picture; everything else is a Cypher statement
    assert [cell.id for cell in python] == [PICTURE]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    ids = [cell.id for cell in notebook.cells]
    assert len(set(ids)) == len(ids)
    assert {SHIP, BY_NAME, PARTIES, CHAIN, SISTERS, SANCTIONS, COUNTRIES,
            NEAREST_STATE_ACTORS, STATE_ACTOR_CHAINS} <= {cell.id for cell in cypher}


def test_cypher_notebook_looks_vessels_up_by_the_indexed_imo() -> None:
    """No cell looks a vessel up by membership in the `imoNumber` list, which no index serves."""
    notebook = nbformat.read(CYPHER_NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and (found := split_cell(cell.source)):
            params, statement = found
            assert "IN v.imoNumber" not in statement, cell.id
            if "imo" in params:
                assert "{imo: $imo}" in statement, cell.id


def test_magic_parameters() -> None:
    assert parse_magic_line(' imo="9179842" hops=2 flag=True name=ANGARA') == {
        "imo": "9179842", "hops": 2, "flag": True, "name": "ANGARA"}
    assert split_cell("%%cypher limit=5\nMATCH (n) RETURN n LIMIT $limit") == (
        {"limit": 5}, "MATCH (n) RETURN n LIMIT $limit")
    assert split_cell("print(1)") is None


# -- the Cypher notebook against the live server -------------------------------------------------


class Executed:
    """The Cypher notebook after a run: its cells with their outputs, what the probe handed
    back, and the folder it ran in."""

    def __init__(self, notebook: Any, probe: dict[str, Any], folder: Path) -> None:
        self.notebook = notebook
        self.probe = probe
        self.folder = folder
        self.cells = {cell.id: cell for cell in notebook.cells}

    def rows(self, cell_id: str) -> list[dict[str, Any]]:
        """The rows of the DataFrame one `%%cypher` cell returned."""
        cell = self.cells[cell_id]
        assert cell.execution_count is not None, cell_id
        rows: list[dict[str, Any]] = self.probe["frames"][str(cell.execution_count)]
        return rows

    def text(self, cell_id: str) -> str:
        """Everything one cell showed: its printed text and the plain form of its results."""
        return "".join(out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
                       for out in self.cells[cell_id].outputs)


@pytest.fixture(scope="module")
def executed(
    live_graph: GraphRows, neo4j: Connection, tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Executed]:
    """The Cypher notebook run once with nbclient against the live server (pushed as the
    `pushed` fixture pushes it), in a fresh folder; the kernel finds the server in its
    environment, as a user's would."""
    ensure_pushed(live_graph, neo4j)
    folder = tmp_path_factory.mktemp("cypher-notebook")
    notebook = nbformat.read(CYPHER_NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE, id="probe"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEO4J_URI", neo4j.uri)
        patch.setenv("NEO4J_USER", neo4j.user)
        if neo4j.password is None:
            patch.delenv("NEO4J_PASSWORD", raising=False)
        else:
            patch.setenv("NEO4J_PASSWORD", neo4j.password)
        if neo4j.database is None:
            patch.delenv("NEO4J_DATABASE", raising=False)
        else:
            patch.setenv("NEO4J_DATABASE", neo4j.database)
        client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(folder)}})
        client.execute()
    probe_cell = notebook.cells.pop()
    printed = "".join(out.get("text", "") for out in probe_cell.outputs
                      if out.get("name") == "stdout")
    assert printed.startswith(PROBE_MARK), printed[:500]
    yield Executed(notebook, json.loads(printed.removeprefix(PROBE_MARK)), folder)


@pytest.mark.neo4j
def test_every_cypher_cell_answers_for_angara(executed: Executed) -> None:
    for cell in executed.notebook.cells:
        if cell.cell_type == "code" and split_cell(cell.source) is not None:
            assert executed.rows(cell.id), cell.id
            shown = [out for out in cell.outputs if out.get("output_type") == "execute_result"]
            assert shown and "text/html" in shown[0]["data"], cell.id


@pytest.mark.neo4j
def test_the_password_is_never_shown(executed: Executed, neo4j: Connection) -> None:
    assert neo4j.password
    outputs = json.dumps([cell.get("outputs", []) for cell in executed.notebook.cells])
    assert neo4j.password not in outputs


@pytest.mark.neo4j
def test_the_ship_by_imo_and_by_name(executed: Executed) -> None:
    (ship,) = executed.rows(SHIP)
    assert (ship["id"], ship["name"], ship["imo"]) == (ANGARA, "ANGARA", "9179842")
    assert ship["flag"] == ["ru"]
    assert executed.rows(BY_NAME)[0]["id"] == ANGARA


@pytest.mark.neo4j
def test_angaras_parties_with_the_rusi_claims_marked_as_evidence(executed: Executed) -> None:
    rows = executed.rows(PARTIES)
    parties = {r["party"].casefold() for r in rows}
    assert {"marine trans shipping llc", "m leasing llc"} <= parties
    official = {(r["party_id"], r["relation"]) for r in rows if not r["evidence"]}
    claimed = {(r["party_id"], r["relation"]): r for r in rows if r["evidence"]}
    assert official == {(M_LEASING, "LINKED_TO"), (MTS, "OPERATES")}
    assert set(claimed) == {(M_LEASING, "OWNS"),
                            ("evidence_rusi_orient_express:entity:dprk", "SHIPPED_VIA")}
    for claim in claimed.values():
        assert claim["stated_by"] == ["evidence_rusi_orient_express"]
        assert any("RUSI" in citation for citation in claim["citation"])
    assert all(r["citation"] is None for r in rows if not r["evidence"])
    assert "MARINE TRANS SHIPPING LLC" in executed.text(PARTIES)


@pytest.mark.neo4j
def test_the_chain_and_the_sister_ships(executed: Executed) -> None:
    chain = executed.rows(CHAIN)
    assert [r["depth"] for r in chain] == sorted(r["depth"] for r in chain)
    dprk = [r for r in chain if r["top"] == DPRK_GOVERNMENT and r["depth"] == 1]
    assert len(dprk) == 1 and dprk[0]["evidence"] == [True] and dprk[0]["top_state_actor"]
    directors = [r for r in chain if r["depth"] == 2 and r["relations"][1] == "DIRECTS"]
    assert directors and all(r["top_sanctioned"] for r in directors)
    sisters = {(r["party"], r["vessel"], r["imo"]) for r in executed.rows(SISTERS)}
    assert ("MARINE TRANS SHIPPING LLC", "Maria", "8517839") in sisters
    assert all(vessel != "ANGARA" for _, vessel, _ in sisters)


@pytest.mark.neo4j
def test_the_sanctions_of_the_ship_its_parties_and_their_ships(executed: Executed) -> None:
    rows = executed.rows(SANCTIONS)
    listed = {(r["entity"], r["standing"], r["authority"], r["programme"]) for r in rows}
    assert ("ANGARA", "the ship", "US OFAC", "RUSSIA-EO14024") in listed
    assert ("M Leasing LLC", "party", "US OFAC", "RUSSIA-EO14024") in listed
    assert ("MARINE TRANS SHIPPING LLC", "party", "US OFAC", "RUSSIA-EO14024") in listed
    assert ("Maria", "other ship", "US OFAC", "RUSSIA-EO14024") in listed
    angara = next(r for r in rows if r["entity"] == "ANGARA" and r["authority"] == "US OFAC")
    assert angara["stated_by"] == ["us_ofac_sdn"] and angara["records"] == ["37059"]


@pytest.mark.neo4j
def test_countries_and_state_actors_reach_north_korea_from_angara(executed: Executed) -> None:
    countries = {(r["party"], r["country"]) for r in executed.rows(COUNTRIES)}
    assert ("MARINE TRANS SHIPPING LLC", "Russia") in countries
    assert (DPRK_GOVERNMENT, "North Korea") in countries
    nearest = executed.rows(NEAREST_STATE_ACTORS)
    dprk = next(r for r in nearest if r["state_actor"] == DPRK_GOVERNMENT)
    assert dprk["hops"] == 1 and dprk["path"] == ["ANGARA", DPRK_GOVERNMENT]
    assert dprk["relations"] == ["SHIPPED_VIA"] and dprk["evidence"] == [True]
    assert [r["hops"] for r in nearest] == sorted(r["hops"] for r in nearest)
    chains = executed.rows(STATE_ACTOR_CHAINS)
    angara = [r for r in chains if r["imo"] == "9179842"]
    assert [(r["state_actor"], r["hops"], r["evidence"]) for r in angara] == [
        (DPRK_GOVERNMENT, 1, [True])]


@pytest.mark.neo4j
def test_the_picture_is_drawn_from_what_neo4j_returns(
    executed: Executed, live_graph: GraphRows,
) -> None:
    png = executed.folder / PNG_NAME
    assert png.read_bytes()[:8] == PNG_SIGNATURE and png.stat().st_size > 10_000
    shown = [out for out in executed.cells[PICTURE].outputs
             if out.get("output_type") == "execute_result"]
    assert shown and "image/png" in shown[0]["data"]
    expected = picture.neighbourhood(live_graph, ANGARA, 2)
    drawn_nodes = executed.probe["nodes"]
    assert drawn_nodes == dict(expected.nodes(data=True))
    assert drawn_nodes[ANGARA]["depth"] == 0
    assert {drawn_nodes[n]["caption"] for n in (M_LEASING, MTS)} == {
        "M Leasing LLC", "MARINE TRANS SHIPPING LLC"}
    drawn_edges = Counter((u, v, d["type"], d["role"], d["evidence"])
                          for u, v, d in executed.probe["edges"])
    assert drawn_edges == Counter((u, v, d["type"], d["role"], d["evidence"])
                                  for u, v, d in expected.edges(data=True))
    claims = sum(1 for *_, evidence in drawn_edges.elements() if evidence)
    assert claims > 0
    assert (f"{len(drawn_nodes)} nodes, {sum(drawn_edges.values())} relationships "
            f"({claims} of them analysts' claims)") in executed.text(PICTURE)

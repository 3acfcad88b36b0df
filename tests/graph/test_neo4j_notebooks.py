"""The notebooks: the embedded one runs end to end (it builds its own store from the bundled demo
data); the Cypher one holds only `%%cypher` statements, which tests/cypher lints."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

from graph.neo4j.notebook import parse_magic_line, split_cell
from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"


def test_embedded_notebook_runs_and_draws_the_neighbourhood(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOKS / "angara_embedded.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    png = tmp_path / "angara_neighbourhood.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = "".join(out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
                   for cell in notebook.cells if cell.cell_type == "code"
                   for out in cell.outputs)
    assert "MARINE TRANS SHIPPING LLC" in text and "POLAR ROCK" in text
    assert "RUSSIA-EO14024" in text


def test_cypher_notebook_is_cypher_cells_only() -> None:
    notebook = nbformat.read(NOTEBOOKS / "angara_cypher.ipynb", as_version=4)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0].strip() == "%load_ext graph.neo4j.notebook"
    cells = [split_cell(source) for source in code[1:]]
    assert all(cell is not None for cell in cells)
    assert len(cells) >= 8
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_magic_parameters() -> None:
    assert parse_magic_line(' imo="9179842" hops=2 flag=True name=ANGARA') == {
        "imo": "9179842", "hops": 2, "flag": True, "name": "ANGARA"}
    assert split_cell("%%cypher limit=5\nMATCH (n) RETURN n LIMIT $limit") == (
        {"limit": 5}, "MATCH (n) RETURN n LIMIT $limit")
    assert split_cell("print(1)") is None

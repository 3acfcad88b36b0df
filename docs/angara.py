"""Draw docs/angara.png, the README's picture of the graph model: ANGARA's neighbourhood as
Neo4j holds it, built from the bundled demo data in a throw-away embedded store.

    .venv/bin/python docs/angara.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from graph.neo4j.picture import draw, neighbourhood
from graph.neo4j.shape import build_graph
from graph.store import Store
from pipeline.ingest import load_file

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "graph" / "demo"
ANGARA = "vessel:IMO9179842"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "demo.db") as store:
        for entry in json.loads((DEMO / "manifest.json").read_text(encoding="utf-8")):
            load_file(store, DEMO / entry["file"], format=entry["format"],
                      source=entry["source"], list_date=entry.get("list_date"))
        picture = neighbourhood(build_graph(store), ANGARA, hops=2)
    out = draw(picture, ROOT / "docs" / "angara.png",
               title="ANGARA (IMO 9179842) within two steps, as Neo4j holds it (demo data)")
    print(f"{out}: {picture.number_of_nodes()} nodes, {picture.number_of_edges()} relationships")


if __name__ == "__main__":
    main()

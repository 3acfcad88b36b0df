"""Every Cypher statement the project can send, gathered for the linter: the sync's schema,
read, write and delete statements, the query library, and the `%%cypher` cells of every
notebook."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from graph.neo4j.library import library
from graph.neo4j.notebook import split_cell
from graph.neo4j.sync import all_statements

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NOTEBOOKS = ROOT / "notebooks"
LINTER = HERE / "lint.mjs"
PACKAGE = HERE / "node_modules" / "@neo4j-cypher" / "language-support" / "package.json"


@dataclass(frozen=True)
class Sent:
    """A statement, where it comes from, and the parameters it is sent with."""

    id: str
    text: str
    parameters: dict[str, Any]


def sync_statements() -> list[Sent]:
    return [Sent(f"sync: {s.name}", s.text, dict(s.parameters)) for s in all_statements()]


def library_statements() -> list[Sent]:
    return [Sent(f"library: {q.name}", q.statement, q.example_parameters())
            for q in library().values()]


def notebook_statements() -> list[Sent]:
    out = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for number, cell in enumerate(cells, 1):
            source = cell["source"]
            text = "".join(source) if isinstance(source, list) else source
            if cell["cell_type"] == "code" and (found := split_cell(text)):
                params, statement = found
                out.append(Sent(f"{path.name} cell {number}", statement, params))
    return out


def every_statement() -> list[Sent]:
    return sync_statements() + library_statements() + notebook_statements()


def lint(statements: list[Sent], schema: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    """Diagnostics per statement id, from Neo4j's parser and semantic analyser in Node.

    The npm package must be installed (`npm ci --prefix tests/cypher`, the README's test
    command): a missing install fails the test, it is never skipped.
    """
    if not PACKAGE.exists():
        pytest.fail(f"{PACKAGE.parent} is missing: run `npm ci --prefix tests/cypher` first")
    workers = max(1, min(4, os.cpu_count() or 1))
    shares = [statements[i::workers] for i in range(workers)]
    procs = []
    for share in shares:
        payload = {"schema": schema,
                   "statements": [{"id": s.id, "text": s.text, "parameters": s.parameters}
                                  for s in share]}
        try:
            proc = subprocess.Popen(["node", str(LINTER)], cwd=HERE, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except FileNotFoundError:
            pytest.fail("node is not installed: the Cypher linter runs on Node.js")
        procs.append((proc, json.dumps(payload)))
    found: dict[str, list[dict[str, Any]]] = {}
    for proc, payload_text in procs:
        out, err = proc.communicate(payload_text, timeout=300)
        if proc.returncode != 0:
            pytest.fail(f"lint.mjs failed ({proc.returncode}): {err.strip()}")
        found.update({item["id"]: item["diagnostics"] for item in json.loads(out)})
    return found

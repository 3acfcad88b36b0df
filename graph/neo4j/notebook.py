"""A `%%cypher` cell magic for Jupyter: the cell is one Cypher statement, run against the Neo4j
server named by `NEO4J_URI` (and `NEO4J_USER`, `NEO4J_PASSWORD`, `NEO4J_DATABASE`), and its
result shown as a pandas table.

    %load_ext graph.neo4j.notebook

    %%cypher imo="9179842"
    MATCH (v:Vessel {imo: $imo}) RETURN v.caption

Parameters follow the magic's name as `NAME=VALUE`: a Python literal (`"9179842"`, `2`,
`True`), or a bare word taken as a string. Values always travel as Cypher parameters.
"""

from __future__ import annotations

import ast
import shlex
from typing import Any

from graph.neo4j.sync import Connection, run_query

MAGIC: str = "cypher"


def parse_magic_line(line: str) -> dict[str, Any]:
    """Parameters from a `%%cypher` line."""
    params: dict[str, Any] = {}
    for token in shlex.split(line, posix=False):
        name, sep, text = token.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"%%cypher: expected NAME=VALUE, got {token!r}")
        try:
            params[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            params[name] = text
    return params


def split_cell(source: str) -> tuple[dict[str, Any], str] | None:
    """(parameters, statement) of a `%%cypher` cell; None for any other cell."""
    first, _, body = source.partition("\n")
    head = first.strip()
    if not head.startswith(f"%%{MAGIC}"):
        return None
    return parse_magic_line(head.removeprefix(f"%%{MAGIC}")), body.strip()


def load_ipython_extension(ipython: Any) -> None:
    import pandas as pd

    def cypher(line: str, cell: str) -> pd.DataFrame:
        keys, rows = run_query(Connection.from_env(), cell, parse_magic_line(line))
        return pd.DataFrame(rows, columns=keys)

    ipython.register_magic_function(cypher, magic_kind="cell", magic_name=MAGIC)

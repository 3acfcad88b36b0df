"""The named Cypher query library: one `.cypher` file per query in `queries/cypher/`.

Each file opens with a header of `//` comments: `// NAME: title`, a description, one line
per parameter, `// @param NAME TYPE EXAMPLE DESCRIPTION` (TYPE is string, integer, float or
boolean; EXAMPLE is the value the tests and the documentation use, quoted when it holds spaces),
and one line per index the statement is meant to start from, `// @index NAME` (an index the
sync creates; the live tests assert that Neo4j's plan for the statement uses it).
The statement follows. Anyone can read, lint and run the files without this module; it only
finds them and types the parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from graph.errors import QueryError

_PARAM_LINE: Final = re.compile(
    r'@param\s+(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)\s+(?P<example>"[^"]*"|\S+)\s+'
    r"(?P<description>.+)"
)
PARAM_TYPES: Final = {"string": str, "integer": int, "float": float, "boolean": bool}


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    example: Any
    description: str


@dataclass(frozen=True, slots=True)
class CypherQuery:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    statement: str
    #: Names of the indexes Neo4j's plan must use (`@index` lines).
    indexes: tuple[str, ...] = ()

    def example_parameters(self) -> dict[str, Any]:
        return {p.name: p.example for p in self.params}

    def bind(self, given: Mapping[str, str]) -> dict[str, Any]:
        """Typed parameters from `NAME=VALUE` strings; every declared one must be given."""
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise QueryError(f"{self.name}: unknown parameter {', '.join(unknown)} "
                             f"(takes {self.signature() or 'no parameters'})")
        missing = [p.name for p in self.params if p.name not in given]
        if missing:
            raise QueryError(f"{self.name}: missing parameter {', '.join(missing)} "
                             f"(takes {self.signature()})")
        return {name: convert(declared[name], value) for name, value in given.items()}

    def signature(self) -> str:
        return " ".join(f"{p.name}={p.type}" for p in self.params)


def convert(param: Param, text: str) -> Any:
    if param.type == "string":
        return text
    try:
        if param.type == "integer":
            return int(text)
        if param.type == "float":
            return float(text)
    except ValueError:
        raise QueryError(f"parameter {param.name}: {text!r} is not {param.type}") from None
    lowered = text.strip().lower()
    if lowered in {"true", "yes", "1"}:
        return True
    if lowered in {"false", "no", "0"}:
        return False
    raise QueryError(f"parameter {param.name}: {text!r} is not a boolean")


def parse_query(name: str, text: str) -> CypherQuery:
    """Read one library file. A malformed header is a `QueryError` naming the file."""
    lines = text.splitlines()
    header: list[str] = []
    for line in lines:
        if not line.startswith("//"):
            break
        header.append(line[2:].strip())
    body = "\n".join(lines[len(header):]).strip()
    where = f"queries/cypher/{name}.cypher"
    if not header or ":" not in header[0]:
        raise QueryError(f"{where}: the first line must be '// {name}: title'")
    declared, title = (part.strip() for part in header[0].split(":", 1))
    if declared != name:
        raise QueryError(f"{where}: header names {declared!r}, file is {name!r}")
    description: list[str] = []
    params: list[Param] = []
    indexes: list[str] = []
    for line in header[1:]:
        if line.startswith("@index"):
            index = line.removeprefix("@index").strip()
            if not index.isidentifier():
                raise QueryError(f"{where}: expected '@index NAME': {line!r}")
            indexes.append(index)
        elif line.startswith("@param"):
            match = _PARAM_LINE.fullmatch(line)
            if match is None or match["type"] not in PARAM_TYPES:
                raise QueryError(f"{where}: expected '@param NAME TYPE EXAMPLE DESCRIPTION' "
                                 f"with TYPE one of {', '.join(PARAM_TYPES)}: {line!r}")
            param = Param(match["name"], match["type"], None, match["description"])
            example = convert(param, match["example"].removeprefix('"').removesuffix('"'))
            params.append(Param(param.name, param.type, example, param.description))
        else:
            description.append(line)
    if not body:
        raise QueryError(f"{where}: no statement after the header")
    return CypherQuery(name, title, " ".join(description).strip(), tuple(params), body,
                       tuple(indexes))


def library() -> dict[str, CypherQuery]:
    """Every query in `queries/cypher/`, by name."""
    folder = resources.files("queries") / "cypher"
    out: dict[str, CypherQuery] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".cypher"):
            name = entry.name.removesuffix(".cypher")
            out[name] = parse_query(name, entry.read_text(encoding="utf-8"))
    return out


def get_query(name: str) -> CypherQuery:
    queries = library()
    if name not in queries:
        raise QueryError(f"no query named {name!r}; the library has: {', '.join(queries)}")
    return queries[name]

"""Bulk-import files for `neo4j-admin database import full` (Neo4j 5): node and relationship
CSV files with typed headers, the exact command line beside them (`import.sh`), and the schema
statements to run once the database is started (`schema.cypher`).

The rows are the live sync's rows (`build_graph`), `content_hash` included, so a database built
from these files and then pushed to reports no change. `export_store` streams them from the store
(`iter_graph`) with memory that does not grow with it; `export_bulk` writes rows already built.

Id spaces: `Entity` (canonical node ids), `Program` (`authority/program`) and `Country` (ISO
codes) are separate, so a country code can never collide with an entity id. Every value that is a
list is a `string[]` column, its elements joined by the array delimiter U+001F (a control
character no list value contains; one that did would have it replaced by a space).
"""

from __future__ import annotations

import csv
import itertools
import json
import pickle
import shlex
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

from graph.neo4j.shape import (
    COUNTRY,
    ENTITY,
    PROGRAM,
    SANCTIONED_UNDER,
    GraphRows,
    NodeRow,
    RelRow,
    end_label,
    iter_graph,
)
from graph.neo4j.sync import schema_statements
from graph.store import Store

#: The array delimiter: a control character that no name, address or note contains.
ARRAY_DELIMITER: Final = "\x1f"
ARRAY_DELIMITER_OPTION: Final = "U+001F"

NODE_FILES: Final = {ENTITY: "entities.csv", PROGRAM: "programs.csv", COUNTRY: "countries.csv"}
#: Relationship files by end id space.
REL_FILES: Final = {ENTITY: "relations.csv", PROGRAM: "sanctions.csv",
                    COUNTRY: "countries_links.csv"}
COMMAND_FILE: Final = "import.sh"
SCHEMA_FILE: Final = "schema.cypher"
MANIFEST_FILE: Final = "manifest.json"

#: Columns that lead each file, in this order, before the data properties (sorted).
_NODE_LEAD: Final = ("id", "schema", "caption", "name", "authority", "members", "sources")
_REL_LEAD: Final = ("id", "kind", "role", "start_date", "end_date", "percentage", "authority",
                    "program", "listing_date", "property", "past", "source", "list_date",
                    "record_id")


@dataclass(slots=True)
class ExportResult:
    directory: Path
    files: dict[str, int]
    command: str


class _Table:
    """One CSV file's rows, spooled to a temporary file as they come (their cells by property,
    in the order the properties were first seen) while the columns are learnt; `write` then
    writes the header, which needs every row's properties, and the rows."""

    def __init__(self, folder: Path, name: str, lead: Sequence[str], first: Sequence[str],
                 hidden: frozenset[str] = frozenset()) -> None:
        self.name = name
        self.lead = lead
        self.first = list(first)  # the header's columns before the properties
        self.hidden = hidden
        self.types: dict[str, str] = {}
        self.index: dict[str, int] = {}
        self.count = 0
        self._spool_path = folder / f"{name}.spool"
        self._spool: BinaryIO = self._spool_path.open("wb")

    def add(self, first: list[str], props: Mapping[str, Any]) -> None:
        """Spool one row: its first cells (ids, labels or type) and its properties."""
        cells: list[str | None] = [None] * len(self.index)
        for key, value in props.items():
            kind, cell = _typed_cell(value)
            if self.types.setdefault(key, kind) != kind:
                raise ValueError(f"property {key!r} has values of types {self.types[key]} and "
                                 f"{kind}")
            at = self.index.setdefault(key, len(self.index))
            if at == len(cells):
                cells.append(None)
            cells[at] = cell
        pickle.dump((first, cells), self._spool, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def columns(self) -> list[tuple[str, str]]:
        """(property, type) for every property any row has: lead columns first, then sorted."""
        first = [k for k in self.lead if k in self.types]
        rest = sorted(k for k in self.types if k not in self.lead)
        return [(k, self.types[k]) for k in [*first, *rest] if k not in self.hidden]

    def close(self) -> None:
        self._spool.close()

    def write(self, path: Path) -> int:
        self._spool.close()
        columns = self.columns()
        header = [*self.first, *(_header(k, t) for k, t in columns)]
        at = [self.index[k] for k, _ in columns]

        def lines() -> Iterator[list[str]]:
            with self._spool_path.open("rb") as spool:
                for _ in range(self.count):
                    first, cells = pickle.load(spool)
                    size = len(cells)
                    yield [*first, *((cells[i] or "") if i < size else "" for i in at)]

        written = _write(path, header, lines())
        self._spool_path.unlink()
        return written


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float):
        return "double"
    if isinstance(value, int):
        return "long"
    if isinstance(value, list | tuple):
        return "string[]"
    return "string"


def _typed_cell(value: Any) -> tuple[str, str]:
    """`_type_of` and `_cell` at once, the two kinds nearly every value is (a list of strings,
    a string) first."""
    kind = type(value)
    if kind is list:
        return "string[]", ARRAY_DELIMITER.join(
            [v.replace(ARRAY_DELIMITER, " ") if type(v) is str
             else str(v).replace(ARRAY_DELIMITER, " ") for v in value])
    if kind is str:
        return "string", value.replace(ARRAY_DELIMITER, " ")
    return _type_of(value), _cell(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ARRAY_DELIMITER.join(str(v).replace(ARRAY_DELIMITER, " ") for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value).replace(ARRAY_DELIMITER, " ")


def _header(name: str, kind: str) -> str:
    return name if kind == "string" else f"{name}:{kind}"


def _write(path: Path, header: list[str], rows: Iterable[list[str]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _tables(folder: Path) -> tuple[dict[str, _Table], dict[str, _Table]]:
    """The node tables by id space and the relationship tables by end id space."""
    nodes = {space: _Table(folder, name, _NODE_LEAD, [f"id:ID({space})", ":LABEL"],
                           hidden=frozenset({"id"}))
             for space, name in NODE_FILES.items()}
    rels = {space: _Table(folder, name, _REL_LEAD,
                          [f":START_ID({ENTITY})", f":END_ID({space})", ":TYPE"])
            for space, name in REL_FILES.items()}
    return nodes, rels


def import_command(database: str = "neo4j") -> list[str]:
    """The `neo4j-admin` command line (Neo4j 5.19+: the database name before the options),
    with paths relative to the export directory."""
    args = ["neo4j-admin", "database", "import", "full", database,
            "--overwrite-destination=true", f"--array-delimiter={ARRAY_DELIMITER_OPTION}",
            "--multiline-fields=true"]
    args += [f"--nodes={name}" for name in NODE_FILES.values()]
    args += [f"--relationships={name}" for name in REL_FILES.values()]
    return args


def _command_script(database: str) -> str:
    args = [shlex.quote(a) for a in import_command(database)]
    command = " \\\n  ".join([" ".join(args[:5]), *args[5:]])
    return (
        "#!/bin/sh\n"
        "# Bulk import of the sanctions graph into Neo4j 5 (written by `sanctions-graph neo4j\n"
        "# export`). Run it on the Neo4j server with the database stopped, as the user that\n"
        "# owns Neo4j's data directory: it replaces the database's contents.\n"
        "# `neo4j-admin` is in $NEO4J_HOME/bin (on the PATH for Debian and RPM installs).\n"
        "# Then start Neo4j and create the constraints and indexes:\n"
        f"#   cypher-shell -d {shlex.quote(database)} -f {SCHEMA_FILE}\n"
        "set -eu\n"
        'cd "$(dirname "$0")"\n'
        f"{command}\n"
    )


def export_bulk(
    graph: GraphRows,
    directory: Path | str,
    *,
    database: str = "neo4j",
    extra: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ExportResult:
    """Write the node and relationship files of `graph`, `import.sh`, `schema.cypher` and
    `manifest.json` into `directory` (created if needed)."""
    return _export(itertools.chain(graph.nodes, graph.rels), directory, database=database,
                   extra=extra, progress=progress)


def export_store(
    store: Store,
    directory: Path | str,
    *,
    database: str = "neo4j",
    extra: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ExportResult:
    """The files `export_bulk(build_graph(store), ...)` writes, byte for byte, with memory that
    does not grow with the store: the rows are streamed from one snapshot (`iter_graph`) and
    spooled to temporary files until each file's columns are known."""
    return _export(iter_graph(store), directory, database=database, extra=extra,
                   progress=progress)


def _export(
    rows: Iterable[NodeRow | RelRow],
    directory: Path | str,
    *,
    database: str,
    extra: Mapping[str, Any] | None,
    progress: Callable[[str], None] | None,
) -> ExportResult:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="sanctions-graph-bulk-") as folder:
        nodes, rels = _tables(Path(folder))
        tables = [*nodes.values(), *rels.values()]
        try:
            for row in rows:
                if isinstance(row, NodeRow):
                    labels = ARRAY_DELIMITER.join((row.space, *row.labels))
                    nodes[row.space].add([row.id, labels], row.props)
                else:
                    rels[end_label(row.type)].add([row.start, row.end, row.type], row.props)
            for table in tables:
                if progress:
                    progress(table.name)
                files[table.name] = table.write(out / table.name)
        finally:
            for table in tables:
                table.close()
    script = out / COMMAND_FILE
    script.write_text(_command_script(database), encoding="utf-8")
    script.chmod(0o755)
    (out / SCHEMA_FILE).write_text(";\n".join(schema_statements()) + ";\n", encoding="utf-8")
    manifest = {"database": database, "command": import_command(database), "files": files,
                "id_spaces": [ENTITY, PROGRAM, COUNTRY],
                "array_delimiter": ARRAY_DELIMITER_OPTION,
                "sanctions_type": SANCTIONED_UNDER, **(extra or {})}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return ExportResult(out, files, shlex.join(import_command(database)))

"""Bulk-import files for `neo4j-admin database import full` (Neo4j 5): node and relationship
CSV files with typed headers, the exact command line beside them (`import.sh`), and the schema
statements to run once the database is started (`schema.cypher`).

The rows are the live sync's rows (`build_graph`), `content_hash` included, so a database built
from these files and then pushed to reports no change.

Id spaces: `Entity` (canonical node ids), `Program` (`authority/program`) and `Country` (ISO
codes) are separate, so a country code can never collide with an entity id. Every value that is a
list is a `string[]` column, its elements joined by the array delimiter U+001F (a control
character no list value contains; one that did would have it replaced by a space).
"""

from __future__ import annotations

import csv
import json
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from graph.neo4j.shape import (
    COUNTRY,
    ENTITY,
    PROGRAM,
    SANCTIONED_UNDER,
    GraphRows,
    NodeRow,
    RelRow,
    end_label,
)
from graph.neo4j.sync import schema_statements

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


def _columns(rows: Iterable[Mapping[str, Any]], lead: Sequence[str]) -> list[tuple[str, str]]:
    """(property, type) for every property any row has: lead columns first, then sorted."""
    types: dict[str, str] = {}
    for props in rows:
        for key, value in props.items():
            kind = _type_of(value)
            if types.setdefault(key, kind) != kind:
                raise ValueError(f"property {key!r} has values of types {types[key]} and {kind}")
    first = [k for k in lead if k in types]
    rest = sorted(k for k in types if k not in lead)
    return [(k, types[k]) for k in [*first, *rest]]


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


def _write_nodes(path: Path, space: str, rows: list[NodeRow]) -> int:
    columns = _columns((r.props for r in rows), _NODE_LEAD)
    header = [f"id:ID({space})", ":LABEL"]
    header += [_header(k, t) for k, t in columns if k != "id"]
    props = [k for k, _ in columns if k != "id"]

    def lines() -> Iterable[list[str]]:
        for row in rows:
            labels = ARRAY_DELIMITER.join((space, *row.labels))
            yield [row.id, labels, *(_cell(row.props.get(k)) for k in props)]

    return _write(path, header, lines())


def _write_rels(path: Path, end_space: str, rows: list[RelRow]) -> int:
    columns = _columns((r.props for r in rows), _REL_LEAD)
    header = [f":START_ID({ENTITY})", f":END_ID({end_space})", ":TYPE"]
    header += [_header(k, t) for k, t in columns]
    props = [k for k, _ in columns]

    def lines() -> Iterable[list[str]]:
        for row in rows:
            yield [row.start, row.end, row.type, *(_cell(row.props.get(k)) for k in props)]

    return _write(path, header, lines())


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
    """Write the node and relationship files, `import.sh`, `schema.cypher` and `manifest.json`
    into `directory` (created if needed)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, int] = {}
    by_space = graph.nodes_by_space()
    for space, name in NODE_FILES.items():
        if progress:
            progress(name)
        files[name] = _write_nodes(out / name, space, by_space.get(space, []))
    by_end: dict[str, list[RelRow]] = {space: [] for space in REL_FILES}
    for rel in graph.rels:
        by_end[end_label(rel.type)].append(rel)
    for space, name in REL_FILES.items():
        if progress:
            progress(name)
        files[name] = _write_rels(out / name, space, by_end[space])
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

"""Read-side shapes the store returns: facts, edges and listings, each with its provenance."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


def by_canonical(rows: Iterable[tuple[str, T]]) -> Callable[[str], list[T]]:
    """A merge join: rows sorted by canonical id, read as far as each asked-for id (asked for
    in the same order), so only one node's rows are held at a time. The store sorts text in
    code-point order (SQLite's BINARY collation on UTF-8), which is Python's string order."""
    stream = iter(rows)
    pending: list[tuple[str, T] | None] = [next(stream, None)]

    def take(canonical: str) -> list[T]:
        out: list[T] = []
        while (row := pending[0]) is not None and row[0] <= canonical:
            if row[0] == canonical:
                out.append(row[1])
            pending[0] = next(stream, None)
        return out

    return take


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a fact comes from: the source, the version (list date) and the record in it."""

    source: str
    list_date: str | None
    record_id: str

    def label(self) -> str:
        date = f" {self.list_date}" if self.list_date else ""
        return f"{self.source}{date} #{self.record_id}"


@dataclass(frozen=True, slots=True)
class Fact:
    """One property value of a node as one source states it."""

    prop: str
    value: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Node:
    """A canonical node of the merged graph."""

    id: str
    schema: str
    caption: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Edge:
    """A relation between two canonical nodes as one source states it."""

    kind: str
    role: str | None
    subject: str
    object: str
    start_date: str | None
    end_date: str | None
    percentage: float | None
    provenance: Provenance
    properties: dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class Listing:
    """A sanction on a canonical node as one source states it."""

    entity: str
    authority: str
    program: str
    listing_date: str | None
    source_url: str | None
    provenance: Provenance
    properties: dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class LoadInfo:
    """One loaded version of a source."""

    id: int
    source: str
    format: str
    path: str
    checksum: str
    list_date: str | None
    list_date_origin: str
    loaded_at: str
    entities: int
    relations: int
    sanctions: int
    problems: dict[str, int]
    problem_samples: dict[str, list[str]]
    current: bool
    #: How many entities this version dropped against the one it replaced, when that was more
    #: than a load allows (`graph.store.MAX_SHRINK`) and accepted with `allow_shrink`; else None.
    shrink_accepted: int | None = None

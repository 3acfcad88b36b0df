"""Loading files into the store: find the loader, date the version, write it in one transaction."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from graph.errors import SourceError
from graph.identifiers import clean_imo_company, clean_imo_ship, looks_like_imo
from graph.model import REFERENCE_PREFIX, Entity, Record, Schema
from graph.normalize import normalize_name, normalize_vessel_name
from graph.resolve import COMPANY_KEY, SHIP_KEY
from graph.store import MAX_SHRINK, LoadResult, Store
from loaders import LoaderSpec, detect_loader, get_loader

_SOURCE_NAME: Final = re.compile(r"^[a-z][a-z0-9_]*$")


def checksum(paths: list[Path]) -> str:
    """SHA-256 over every file a load reads, in order, with their names."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def load_file(
    store: Store,
    path: Path | str,
    *,
    format: str | None = None,
    source: str | None = None,
    list_date: str | None = None,
    options: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    max_shrink: float = MAX_SHRINK,
    allow_shrink: bool = False,
) -> LoadResult:
    """Load one source file (with its companion files) as a new version of its source.

    The list date is, in order: the one given; the date the file states about itself; a
    YYYY-MM-DD date in its name; its modification time (said so in the load's record).
    A version that would replace the current one with more than `max_shrink` fewer entities is
    refused unless `allow_shrink` (see `Store.write_load`).
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError(path, "no such file" if not path.exists() else "not a regular file")
    spec: LoaderSpec = get_loader(format) if format else detect_loader(path)
    source = source or spec.source_of(path)
    if not _SOURCE_NAME.match(source):
        raise SourceError(path, f"source name {source!r} must be lower case letters, digits, _")
    files = spec.files(path)
    origin = "given"
    if list_date is None:
        match = re.search(r"(\d{4}-\d{2}-\d{2})", path.name)
        if match:
            list_date, origin = match.group(1), "file name"
        else:
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            list_date, origin = mtime.date().isoformat(), "file modification time"
    return store.write_load(
        source=source,
        format=spec.format,
        path=str(path.resolve()),
        checksum=checksum(files),
        records=resolve_references(store, path, source, spec.load(path, **(options or {}))),
        list_date=list_date,
        list_date_origin=origin,
        progress=progress,
        max_shrink=max_shrink,
        allow_shrink=allow_shrink,
    )


def resolve_references(
    store: Store, path: Path, source: str, records: Iterable[Record]
) -> Iterator[Record]:
    """Resolve entities that name an existing node by reference (`same_as` behind
    `REFERENCE_PREFIX`: an id, an IMO number or an exact name) to one of that node's records.

    Runs inside the load's transaction, before the merged view is rebuilt, so references see
    the store as it was. An unknown or ambiguous reference stops the load, naming the row.
    """
    for record in records:
        if (
            isinstance(record, Entity)
            and record.same_as is not None
            and record.same_as.startswith(REFERENCE_PREFIX)
        ):
            text = record.same_as[len(REFERENCE_PREFIX):]
            canonical = _reference(store, path, text, record.record_id)
            node = store.node(canonical)
            assert node is not None  # found just now, in the same transaction
            # Point at a record of another source: this source's own records are replaced
            # by the version being written.
            members = [m for m in node.members if not m.startswith(f"{source}:")]
            if not members:
                raise SourceError(path, f"{text!r} names only an entity of this same source "
                                  f"({canonical}); describe it in the file instead",
                                  record.record_id)
            schema = Schema(node.schema) if record.schema is Schema.LEGAL_ENTITY else record.schema
            properties = record.properties
            if looks_like_imo(text) and (number := clean_imo_ship(text) or clean_imo_company(text)):
                # The number merges the record too, should the record it points at go away.
                properties = {**properties, "imoNumber": (number,)}
            yield replace(record, schema=schema, same_as=members[0], properties=properties)
        else:
            yield record


def _reference(store: Store, path: Path, text: str, where: str) -> str:
    """The canonical id a reference names: a canonical or `source:id`, an IMO number, a name."""
    if store.node(text) is not None:
        return text
    if (canonical := store.canonical_of(text)) is not None:
        return canonical
    if looks_like_imo(text):
        ship, company = clean_imo_ship(text), clean_imo_company(text)
        found = sorted(
            {*(store.by_key(f"{SHIP_KEY}:{ship}") if ship else []),
             *(store.by_key(f"{COMPANY_KEY}:{company}") if company else [])}
        )
        how = "IMO number"
    else:
        norm = normalize_name(text)
        found = sorted({*store.by_norm_name(norm),
                        *store.by_norm_name(normalize_vessel_name(text), Schema.VESSEL)})
        how = "name"
    if not found:
        raise SourceError(path, f"{text!r} matches no entity in the store (by {how}); load its "
                          "source first or give a source id", where)
    if len(found) > 1:
        shown = []
        for cid in found[:8]:
            node = store.node(cid)
            shown.append(f"{node.caption if node else cid} ({cid})")
        more = f" and {len(found) - 8} more" if len(found) > 8 else ""
        raise SourceError(path, f"{text!r} is ambiguous (by {how}): {'; '.join(shown)}{more}; "
                          "give an IMO number or a source id", where)
    return found[0]

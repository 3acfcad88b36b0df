"""Loading files into the store: find the loader, date the version, write it in one transaction."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from graph.errors import SourceError
from graph.store import LoadResult, Store
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
) -> LoadResult:
    """Load one source file (with its companion files) as a new version of its source.

    The list date is, in order: the one given; the date the file states about itself; a
    YYYY-MM-DD date in its name; its modification time (said so in the load's record).
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
        records=spec.load(path, **(options or {})),
        list_date=list_date,
        list_date_origin=origin,
        progress=progress,
    )

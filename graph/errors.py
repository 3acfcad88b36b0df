"""One error family. Library code raises these; the CLI maps them to messages and exit codes."""

from __future__ import annotations

from pathlib import Path


class SanctionsGraphError(Exception):
    """Base of every error the project raises on purpose. `exit_code` is what the CLI returns."""

    exit_code = 1


class SourceError(SanctionsGraphError):
    """A source file is unusable: wrong format, truncated, wrong encoding, empty, missing columns.

    The message always names the file and, where known, the place (line, row, byte offset).
    """

    exit_code = 2

    def __init__(self, path: Path | str, message: str, where: str | None = None) -> None:
        # Values quoted from a broken file can hold line breaks; the message stays one line.
        message = " ".join(message.split())
        self.path = str(path)
        self.where = where
        self.reason = message
        place = f"{self.path}:{where}" if where else self.path
        super().__init__(f"{place}: {message}")


class ShrinkError(SourceError):
    """A new version of a source would drop more of its current version's entities than a load
    allows (a cut or filtered file that parses cleanly); nothing is loaded."""

    def __init__(self, path: Path | str, source: str, entities: int, current: int) -> None:
        self.source, self.entities, self.current = source, entities, current
        dropped = current - entities
        super().__init__(
            path,
            f"{source}: this version has {entities:,} entities, the current one {current:,}: "
            f"it would drop {dropped:,} ({round(100 * dropped / current)} %); "
            "pass --allow-shrink to accept",
        )


class UnknownFormatError(SourceError):
    """No loader recognises the file, or the named format does not exist."""


class QueryError(SanctionsGraphError):
    """A user's query cannot be answered as asked (bad IMO, nothing found, ambiguous name)."""

    exit_code = 3


class NotFoundError(QueryError):
    """Nothing in the store matches the query."""


class StoreError(SanctionsGraphError):
    """The store file is missing, of another kind, or of a newer layout."""

    exit_code = 4


class FetchError(SanctionsGraphError):
    """An authority's file could not be downloaded (offline, moved, refused) or is not the list."""

    exit_code = 5

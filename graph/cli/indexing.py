"""Keeping the screening index current: the commands that change the merged view (load, demo,
fetch, resolve, judge, review) build it at their end, so the next `screen` only reads it.

The screening stack is imported by the commands that use it, not with the CLI: `owner` and
`path` never load it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING

from graph.cli.app import err_console, progress_bar
from graph.store import Store

if TYPE_CHECKING:
    from queries.screening.index import ScreenIndex


def refresh_screen_index(store: Store, since: int) -> None:
    """Once, at the end of a command: rebuild and save the screening index if the store's
    generation moved from `since` (read before the command changed anything), and say so in one
    line on stderr. The progress bar appears only once the build has gone on for a while (the
    first progress report), so a small store shows none."""
    from queries.screening.index import refresh_index

    with ExitStack() as stack:
        bar: Callable[[int], None] | None = None

        def progress(done: int) -> None:
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(progress_bar("building the screening index"))
            bar(done)

        refreshed = refresh_index(store, since, progress=progress)
    if refreshed is not None:
        say_built(refreshed.index, refreshed.seconds)


def say_built(index: ScreenIndex, seconds: float) -> None:
    """The one line on stderr that says an index was built (or patched with what changed)."""
    how = "patched" if index.patched else "built"
    err_console.print(f"screening index: {len(index.entities):,} entities, {how} in "
                      f"{seconds:.1f} s", markup=False, highlight=False, soft_wrap=True)


__all__ = ["refresh_screen_index", "say_built"]

"""The CLI's frame: the app, shared options, output helpers, and the one place errors become
messages and exit codes. Commands live in sibling modules and only format what the library
returns."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from graph.errors import SanctionsGraphError
from graph.store import MAX_SHRINK, Store, default_db_path


class _ErrorMappingGroup(TyperGroup):
    """Turns the project's errors into one line on stderr and the error's exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click: its Context type moves
        try:
            return super().invoke(ctx)
        except SanctionsGraphError as exc:
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_ErrorMappingGroup,
    help="Who owns this ship, who is behind it, and is any of them sanctioned?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Width of output that is not a terminal (piped to a file or another program): wide enough that
#: tables keep whole names instead of cutting them to 80 columns.
PIPED_WIDTH = 160

console = Console(highlight=False, soft_wrap=False)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console.width = PIPED_WIDTH
err_console = Console(stderr=True, highlight=False)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Store file (default: $SANCTIONS_GRAPH_DB, else ~/.local/share/sanctions-graph/).",
        envvar="SANCTIONS_GRAPH_DB",
        show_envvar=True,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AllowShrinkOption = Annotated[
    bool,
    typer.Option("--allow-shrink", help=f"Accept a new version that drops more than "
                                        f"{round(100 * MAX_SHRINK)} % of the current version's "
                                        "entities (refused otherwise; the load records that "
                                        "it was accepted)."),
]


def open_store(db: Path | None, *, create: bool = False) -> Store:
    return Store(db or default_db_path(), create=create)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def show_progress() -> bool:
    """Progress bars only on a terminal; piped output stays clean."""
    return err_console.is_terminal


@contextmanager
def progress_bar(label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress callback taking the count done so far; silent when stderr is not a terminal."""
    if not show_progress():
        yield lambda done: None
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed:,.0f}"), TimeElapsedColumn()]
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.update(task, completed=done)

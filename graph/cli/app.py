"""The CLI's frame: the app, shared options, output helpers, and the one place errors become
messages and exit codes. Commands live in sibling modules and only format what the library
returns."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from graph.errors import SanctionsGraphError, StoreError
from graph.safe_text import json_safe, terminal_text
from graph.store import MAX_SHRINK, Store, default_db_path

T = TypeVar("T")


def _say_error(message: str) -> None:
    # The message can quote the file it is about: shown safe, as source text is.
    err_console.print(f"error: {terminal_text(' '.join(message.split()))}", markup=False,
                      highlight=False, soft_wrap=True)


class _ErrorMappingGroup(TyperGroup):
    """Turns the project's errors into one line on stderr and the error's exit code. What the
    operating system or SQLite refuse midway (a disk that fills, a store file damaged under a
    command) ends the same way: one line, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click: its Context type moves
        try:
            return super().invoke(ctx)
        except SanctionsGraphError as exc:
            _say_error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except sqlite3.DatabaseError as exc:
            _say_error(f"the store could not be read or written ({exc})")
            raise typer.Exit(StoreError.exit_code) from None
        except BrokenPipeError:
            raise  # the reader went away (`| head`): not an error of this command
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            _say_error(f"{where}{exc.strerror or exc}")
            raise typer.Exit(1) from None


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
    """The exact data as JSON; what JSON leaves raw and a terminal would act on is escaped."""
    sys.stdout.write(json_safe(json.dumps(data, ensure_ascii=False, indent=2, default=str))
                     + "\n")


def for_terminal(data: T) -> T:
    """A copy of a query answer (dataclasses, lists, tuples, dicts, strings, as deep as they
    go) with every string made safe to print (`terminal_text`). Commands pass what they are
    about to render through it once, so no table or tree shows source text raw; `--json` output
    does not (it is exact)."""
    value: Any = data
    if type(value) is str:
        return terminal_text(value)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: for_terminal(getattr(value, f.name))
                   for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)  # type: ignore[return-value]
    if isinstance(value, list):
        return [for_terminal(v) for v in value]  # type: ignore[return-value]
    if isinstance(value, tuple):
        make: Any = getattr(type(value), "_make", tuple)  # a NamedTuple stays one
        return make(for_terminal(v) for v in value)  # type: ignore[no-any-return]
    if isinstance(value, dict):
        return {for_terminal(k): for_terminal(v)  # type: ignore[return-value]
                for k, v in value.items()}
    return data


def show_progress() -> bool:
    """Progress bars only on a terminal; piped output stays clean."""
    return err_console.is_terminal


class ProgressCallback(Protocol):
    """Told the count done so far, and the total once it is known."""

    def __call__(self, done: int, total: int | None = None, /) -> None: ...


@contextmanager
def progress_bar(label: str, total: int | None = None) -> Iterator[ProgressCallback]:
    """A progress callback taking the count done so far (and the total, once known); silent
    when stderr is not a terminal."""
    if not show_progress():
        yield lambda done, total=None: None
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed:,.0f}"), TimeElapsedColumn()]
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done, total=None: progress.update(task, completed=done, total=total)

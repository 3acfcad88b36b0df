"""`sanctions-graph`: the command line over the Python API."""

from __future__ import annotations

from graph.cli import (
    core,  # noqa: F401 - registers the commands
    lists,  # noqa: F401 - registers export, diff, fetch
    resolution,  # noqa: F401 - registers the commands
)
from graph.cli.app import app


def main() -> None:
    app(prog_name="sanctions-graph")


__all__ = ["app", "main"]

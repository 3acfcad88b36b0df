"""`sanctions-graph`: the command line over the Python API."""

from __future__ import annotations

from graph.cli import (
    core,  # noqa: F401 - registers the commands
    lists,  # noqa: F401 - registers export, diff, fetch
    neo4j,  # noqa: F401 - registers the neo4j sub-app
    paths,  # noqa: F401 - registers path, exposure, blocked
    portfolio,  # noqa: F401 - registers the portfolio and audit sub-apps
    resolution,  # noqa: F401 - registers resolve, judge, review, explain
    screen,  # noqa: F401 - registers `screen`
    serve,  # noqa: F401 - registers `serve`
)
from graph.cli.app import app


def main() -> None:
    app(prog_name="sanctions-graph")


__all__ = ["app", "main"]

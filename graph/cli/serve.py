"""`serve`: the HTTP API (package `api`) on uvicorn."""

from __future__ import annotations

import ipaddress
import os
import time
from typing import Annotated

import typer

from graph.cli.app import DbOption, app, err_console, open_store
from graph.cli.indexing import say_built
from graph.errors import QueryError


@app.command(name="serve")
def serve_command(
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on (a non-loopback address serves the network: "
                       "put the API behind your own gateway).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(
        "--workers", help="Worker processes, each with the index open (one per core serves "
                          "the most requests).", min=1)] = 1,
    api_key_env: Annotated[str | None, typer.Option(
        "--api-key-env", metavar="NAME",
        help="Environment variable holding the API key the endpoints that write "
             "(POST /portfolios/{name}/monitor) require as `Authorization: Bearer <key>`; "
             "without it they refuse every request.")] = None,
    db: DbOption = None,
) -> None:
    """Serve the HTTP API: `POST /match/{dataset}` in yente's shape, `/search/{dataset}`,
    `/entities/{id}` with the ownership chain, `/portfolios` with their alerts and monitoring,
    `/healthz`, `/readyz`; the OpenAPI document at
    `/openapi.json`. The screening index is brought up to date here, once, and each worker
    opens it at start-up; restart the server after a load to serve the new data."""
    from api.server import check_port, serve
    from queries.screening.index import ensure_index

    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise QueryError(f"--host {host!r}: give an IP address (127.0.0.1, ::1, "
                             "0.0.0.0)") from None
    if api_key_env is not None and not os.environ.get(api_key_env):
        raise QueryError(f"--api-key-env {api_key_env}: the variable is not set or empty")
    check_port(host, port, workers)
    with open_store(db) as store:
        started = time.perf_counter()
        index, built = ensure_index(store)
        if built:
            say_built(index, time.perf_counter() - started)
        path = store.path.resolve()
    err_console.print(f"serving {path.name} ({len(index.entity_ids):,} entities) on "
                      f"http://{host}:{port} with {workers} worker(s)"
                      + (", writes with the key in " + api_key_env if api_key_env else
                         ", writes refused (no --api-key-env)"), markup=False,
                      highlight=False, soft_wrap=True)
    serve(path, host, port, workers, api_key_env)


__all__ = ["serve_command"]

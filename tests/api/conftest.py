"""A running `sanctions-graph serve` over a copy of the session's ship store (the OFAC CSV set,
both ship tables and the demo registry, `tests.conftest.ship_store`) holding one portfolio
(`WATCH`, screened once, then changed): a process of its own on 127.0.0.1 and a free port,
started without an API key, stopped at the end of the session however the tests went. The
copy keeps the portfolio and its runs out of the shared store other tests copy."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graph.store import Store
from queries.portfolio import add_portfolio, screen_portfolio
from queries.screening.index import ensure_index, index_path
from tests.conftest import cli_command, cli_env

#: Seconds the server may take to open the store and its index (building the index, when no
#: test built it before, takes a few seconds on the ship store).
START_SECONDS = 90.0
#: The served store's portfolio: screened with its first rows, then given a listed vessel,
#: so monitoring it raises a new hit.
WATCH = "WATCH"
FIRST_ROWS = [{"id": "r1", "name": "Quentin Zabriskie-Nobody", "type": "Person"},
              {"id": "r2", "name": "M LEASING LLC", "type": "Company"}]
ADDED_ROW = {"id": "r3", "name": "ANGARA", "type": "Vessel"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rows(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def served_store(ship_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the ship store (and its screening index) with portfolio WATCH: screened
    with FIRST_ROWS, then updated with ADDED_ROW (not screened yet)."""
    ensure_index(ship_store)
    folder = tmp_path_factory.mktemp("served")
    path = folder / "served.db"
    target = sqlite3.connect(path)
    try:
        ship_store.conn.backup(target)
    finally:
        target.close()
    shutil.copyfile(index_path(ship_store), path.with_name(path.name + ".screen-index"))
    with Store(path) as store:
        add_portfolio(store, WATCH, _rows(folder / "first.jsonl", FIRST_ROWS))
        screen_portfolio(store, WATCH, workers=1)
        add_portfolio(store, WATCH, _rows(folder / "second.jsonl", [*FIRST_ROWS, ADDED_ROW]))
    return path


def start_server(db: Path, *args: str, **env: str) -> Iterator[str]:
    """`serve` over `db` on a free port until the generator is closed: its URL once ready."""
    port = free_port()
    server = subprocess.Popen(
        cli_command("serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port),
                    *args),
        env=cli_env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if server.poll() is not None:
                assert server.stderr is not None
                pytest.fail(f"serve exited with {server.returncode}: "
                            f"{server.stderr.read().decode(errors='replace')}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("serve did not become ready")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def api_url(served_store: Path) -> Iterator[str]:
    """The server without an API key (every write refused)."""
    yield from start_server(served_store)


@pytest.fixture(scope="session")
def client(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=30) as http:
        yield http

"""A running `sanctions-graph serve` over the session's ship store (the OFAC CSV set, both
ship tables and the demo registry, `tests.conftest.ship_store`): a process of its own on
127.0.0.1 and a free port, stopped at the end of the session however the tests went."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from graph.store import Store
from tests.conftest import cli_command, cli_env

#: Seconds the server may take to open the store and its index (building the index, when no
#: test built it before, takes a few seconds on the ship store).
START_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def api_url(ship_store: Store) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        cli_command("serve", "--db", str(ship_store.path), "--host", "127.0.0.1", "--port",
                    str(port)),
        env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
def client(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=30) as http:
        yield http

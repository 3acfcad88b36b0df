"""`serve --workers 2`: two processes on one port, each answering, and all of them gone after
the server is told to stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from graph.store import Store
from tests.api.conftest import START_SECONDS, free_port
from tests.conftest import cli_command, cli_env


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(c) for c in (task / "children").read_text().split())
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_two_workers_share_the_port_and_stop_together(ship_store: Store,
                                                      api_url: str) -> None:
    # `api_url` first: the index is then current, and the workers only read it.
    port = free_port()
    server = subprocess.Popen(
        cli_command("serve", "--db", str(ship_store.path), "--host", "127.0.0.1", "--port",
                    str(port), "--workers", "2"),
        env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not become ready"
            time.sleep(0.2)
        workers = [p for p in children(server.pid)
                   if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()]
        assert len(workers) == 2
        # Connections one after another, each new: all answered, whichever worker took it.
        for _ in range(10):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                assert http.get("/healthz").json() == {"status": "ok"}
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
    assert code == 0
    assert not any(Path(f"/proc/{p}").exists() for p in workers)


def test_a_port_in_use_is_one_line_and_an_exit_code(ship_store: Store) -> None:
    """Checked before start-up (`api.server.check_port`, the same for one worker or more)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            cli_command("serve", "--db", str(ship_store.path), "--host", "127.0.0.1",
                        "--port", str(port), "--workers", "2"),
            env=cli_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert done.stderr.strip() == f"error: cannot listen on 127.0.0.1:{port}: Address " \
                                  "already in use"

"""Running the application: uvicorn, in one process or in several.

Several workers each bind the port with SO_REUSEPORT (on Linux), so the kernel spreads new
connections across them. uvicorn's own `--workers` shares one listening socket, and one worker
then accepts a whole burst of connections: in a test with 16 keep-alive clients, one of two
workers got every connection and the other stayed idle."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
from multiprocessing.connection import wait
from pathlib import Path
from types import FrameType
from typing import Final

from graph.errors import QueryError

#: The application factory uvicorn calls in each worker (`api.app.app_from_env`).
FACTORY: Final = "api.app:app_from_env"
#: The environment variable that tells each worker which variable holds the write key
#: (`serve --api-key-env NAME` sets it to NAME; the key itself is never copied).
API_KEY_ENV: Final = "SANCTIONS_GRAPH_API_KEY_ENV"
#: Pending connections a worker's socket holds (the kernel caps it at somaxconn).
BACKLOG: Final = 2048


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _reuse_port(workers: int) -> bool:
    return workers > 1 and hasattr(socket, "SO_REUSEPORT")


def check_port(host: str, port: int, workers: int = 1) -> None:
    """A `QueryError` now, in one line, when the server could not listen on host:port (taken
    by another program, or an address of no interface here), rather than a traceback from
    each worker later."""
    probe = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if _reuse_port(workers):
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        probe.bind((host, port))
    except OSError as exc:
        raise QueryError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        probe.close()


def serve(db: Path, host: str, port: int, workers: int = 1,
          api_key_env: str | None = None) -> None:
    """Serve the API over the store `db` on host:port until interrupted or terminated; the
    endpoints that write take the key in the environment variable `api_key_env` (none: they
    refuse every request). The workers find the variable's name, never the key, in theirs."""
    import uvicorn

    os.environ["SANCTIONS_GRAPH_DB"] = str(db)
    if api_key_env:
        if not os.environ.get(api_key_env):
            raise QueryError(f"--api-key-env {api_key_env}: the variable is not set or empty")
        os.environ[API_KEY_ENV] = api_key_env
    else:
        os.environ.pop(API_KEY_ENV, None)
    if not _reuse_port(workers):
        uvicorn.run(FACTORY, factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=False)
        return
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(host, port), daemon=True)
                 for _ in range(workers)]
    for process in processes:
        process.start()

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        # Until one worker ends (it could not bind, or it failed): then all end.
        wait([p.sentinel for p in processes])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=20)
            if process.is_alive():
                process.kill()
                process.join()
    failed = [p.exitcode for p in processes if p.exitcode not in (0, -signal.SIGTERM)]
    if failed:
        raise SystemExit(f"a worker of the API ended with code {failed[0]}")


def _worker(host: str, port: int) -> None:
    """One worker: its own socket on the shared port, its own uvicorn server."""
    import uvicorn

    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    config = uvicorn.Config(FACTORY, factory=True, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


__all__ = ["API_KEY_ENV", "check_port", "serve"]

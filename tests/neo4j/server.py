"""A real Neo4j 5.26 Community for the tests and the benchmarks, started from the jars the Maven
module beside this file fetches (`mvn -q -B -f tests/neo4j/pom.xml package`).

`start_server(home)` writes `home/conf/neo4j.conf` (Bolt on 127.0.0.1 and a free port, HTTP off,
authentication on, bounded memory), starts `TestServer` (the DBMS embedded in a JVM and served
over Bolt) with a generated password passed in the environment, and waits for its `READY` line.
The server stops when `stop()` is called, and also on its own when the Python process that
started it dies: it watches its standard input, which is a pipe from us.

`neo4j_admin(home, args)` runs Neo4j's own admin command line (`org.neo4j.cli.AdminTool`, what
`neo4j-admin` runs) against the same home and settings, for `database import full`.

Nothing here prints or logs the password; `Neo4jServer.__repr__` leaves it out.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TextIO

from graph.neo4j.sync import Connection

MODULE: Final = Path(__file__).resolve().parent
POM: Final = MODULE / "pom.xml"
CLASSES: Final = MODULE / "target" / "classes"
LIB: Final = MODULE / "target" / "lib"
MAIN_CLASS: Final = "org.sanctionsgraph.testserver.TestServer"
ADMIN_CLASS: Final = "org.neo4j.cli.AdminTool"
BUILD_COMMAND: Final = f"mvn -q -B -f {POM.relative_to(MODULE.parents[1])} package"

#: Seconds to wait for the server's READY line: a cold JVM on a busy two-core machine takes
#: 15-40 s to open a fresh store.
START_TIMEOUT: Final = 240.0
#: Seconds a server gets to flush and stop after its standard input closes, before it is killed.
STOP_TIMEOUT: Final = 60.0


class ServerUnavailable(RuntimeError):
    """The Neo4j jars are not built, or Java is missing, or the server did not start."""


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise ServerUnavailable("java is not on the PATH (Neo4j 5.26 needs Java 17)")
    return found


def classpath() -> str:
    """The launcher's classes and every Neo4j jar; `ServerUnavailable` when not built."""
    if not (CLASSES / "org").is_dir() or not any(LIB.glob("neo4j-5.26.*.jar")):
        raise ServerUnavailable(f"the Neo4j test server is not built: run {BUILD_COMMAND}")
    return f"{CLASSES}{os.pathsep}{LIB / '*'}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_settings(home: Path, *, port: int, pagecache: str = "256m",
                   tx_memory: str = "1g") -> Path:
    """`home/conf/neo4j.conf`: what both the server and `neo4j-admin` read."""
    conf = home / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    settings = {
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": f"127.0.0.1:{port}",
        "server.bolt.advertised_address": f"127.0.0.1:{port}",
        "server.http.enabled": "false",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": "true",
        "server.memory.pagecache.size": pagecache,
        "dbms.memory.transaction.total.max": tx_memory,
        "dbms.usage_report.enabled": "false",
        "db.tx_log.preallocate": "false",
        "db.tx_log.rotation.retention_policy": "2 files",
    }
    path = conf / "neo4j.conf"
    path.write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="utf-8")
    return path


@dataclass
class Neo4jServer:
    """One running server: its home, its Bolt URI and the `neo4j` user's password."""

    home: Path
    port: int
    password: str = field(repr=False)
    heap: str
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    log: Path | None = None

    @property
    def uri(self) -> str:
        return f"neo4j://127.0.0.1:{self.port}"

    def connection(self) -> Connection:
        return Connection(uri=self.uri, user="neo4j", password=self.password)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> Neo4jServer:
        """Start (or start again, on the same store) and wait until Bolt answers."""
        if self.running:
            return self
        write_settings(self.home, port=self.port)
        env = {**os.environ, "NEO4J_TEST_PASSWORD": self.password}
        self.log = self.home / "logs" / "server-output.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("a", encoding="utf-8")
        command = [java(), f"-Xmx{self.heap}", "-XX:+UseG1GC", "-cp", classpath(), MAIN_CLASS,
                   str(self.home)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=out, text=True, env=env)
        out.close()
        if not _wait_ready(self.process, timeout):
            self.kill()
            raise ServerUnavailable(f"Neo4j did not start within {timeout:.0f} s; see "
                                    f"{self.log} and {self.home / 'logs' / 'debug.log'}")
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Close its standard input (it flushes and stops), then kill it if it lingers."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(OSError):
                if process.stdin is not None:
                    process.stdin.close()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.process = None

    def kill(self) -> None:
        """Stop at once, as a crash would (the store recovers on the next start)."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.process = None


def _wait_ready(process: subprocess.Popen[str], timeout: float) -> bool:
    """True once the server prints READY; False when it exits or the time runs out."""
    ready = threading.Event()
    stdout: TextIO | None = process.stdout

    def read() -> None:
        if stdout is None:
            return
        for line in stdout:
            if line.strip() == "READY":
                ready.set()
        # the stream closes when the server exits

    threading.Thread(target=read, daemon=True, name="neo4j-stdout").start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready.wait(0.2):
            return True
        if process.poll() is not None:
            return False
    return False


def start_server(home: Path, *, heap: str = "1g", password: str | None = None,
                 timeout: float = START_TIMEOUT) -> Neo4jServer:
    """A fresh server on a free port with a generated password, its store under `home`."""
    home.mkdir(parents=True, exist_ok=True)
    server = Neo4jServer(home=home, port=free_port(), heap=heap,
                         password=password or secrets.token_urlsafe(18))
    return server.start(timeout)


def neo4j_admin(home: Path, args: Sequence[str], *, cwd: Path | None = None,
                heap: str = "2g", timeout: float = 1800.0) -> subprocess.CompletedProcess[str]:
    """Run `neo4j-admin ARGS` (Neo4j's own `AdminTool`) on the store under `home`, with
    `home/conf` as its configuration (write it first: `write_settings`)."""
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    command = [java(), f"-Xmx{heap}", "-cp", classpath(), ADMIN_CLASS, *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)

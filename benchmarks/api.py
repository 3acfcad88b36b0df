"""HTTP API benchmark: single-query match requests over loopback at concurrency 16.

    .venv/bin/python benchmarks/api.py [--db PATH] [--workers 2] [--requests 20000]
                                       [--seconds 30] [--concurrency 16]

1. Opens the store at --db, or loads the OFAC SDN (CSV set), UK OFSI and both shadow-fleet
   ship tables from ../shared/data/raw into a fresh one, and brings its screening index up to
   date.
2. Draws queries: real listed names (persons, organisations, vessels with their IMO half the
   time) and names of no listed entity, each as yente's one-query request body.
3. *Anchor*: the same queries screened in this process one at a time with `Matcher.screen`
   (no HTTP): the rate one core reaches without the API around it.
4. Starts `sanctions-graph serve` as a process on 127.0.0.1 (a free port, --workers), waits for
   /readyz, and fires the requests from --concurrency keep-alive connections (a small asyncio
   HTTP/1.1 client, so the load generator takes little of the cores it shares with the
   server): bounded by --requests and --seconds, then stops the server. Every answer is checked
   (status 200, one response). Prints requests/s, p50/p90/p99 latency, and the target
   (>= 1,000 requests/s, p99 <= 50 ms on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Final

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.store import Store  # noqa: E402
from pipeline.ingest import load_file  # noqa: E402
from queries.screen import make_settings  # noqa: E402
from queries.screening.index import ensure_index  # noqa: E402
from queries.screening.io import map_columns, parse_row  # noqa: E402
from queries.screening.matcher import Matcher  # noqa: E402

RAW: Final = ROOT.parent / "shared" / "data" / "raw"
FILES: Final = ("ofac_sdn_2024-05-03.csv", "uk_ofsi_conlist_2025-04-10.xlsx",
                "gur_shadowfleet_vessels_master.csv", "tak_shadowfleet_2026-08-22.json")
TARGET_RPS: Final = 1000
TARGET_P99_MS: Final = 50.0
#: Syllables of names of no listed entity (negatives: the common answer, `clear`).
SYLLABLES: Final = ("ka", "ro", "mi", "tel", "van", "dor", "su", "lin", "bra", "ges", "ot",
                    "wen", "har", "pel", "ni", "zu")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def store_at(path: Path | None) -> Path:
    if path is not None:
        return path
    db = Path(tempfile.mkdtemp(prefix="api-bench-")) / "bench.db"
    with Store(db) as store:
        for name in FILES:
            load_file(store, RAW / name)
            print(f"loaded {name}", file=sys.stderr)
    return db


def draw_queries(db: Path, count: int, seed: int) -> list[dict[str, Any]]:
    """yente query examples: listed names (vessels with their IMO half the time) and 20 % names
    of no listed entity."""
    rng = random.Random(seed)
    with Store(db) as store:
        index, _ = ensure_index(store)
    numbers = rng.sample(range(len(index.entity_ids)), min(count, len(index.entity_ids)))
    examples: list[dict[str, Any]] = []
    for number in numbers:
        entity = index.entities[number]
        schema = entity.schema if entity.schema in ("Person", "Vessel", "Company",
                                                    "Organization") else "LegalEntity"
        props: dict[str, list[str]] = {"name": [entity.caption]}
        if entity.imos and rng.random() < 0.5:
            props["imoNumber"] = [entity.imos[0]]
        examples.append({"schema": schema, "properties": props})
        if rng.random() < 0.25:
            name = " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
                            for _ in range(2)).upper()
            examples.append({"schema": rng.choice(("Person", "Company")),
                             "properties": {"name": [name]}})
    return examples[:count]


def anchor_rate(db: Path, examples: list[dict[str, Any]]) -> float:
    """Queries per second of `Matcher.screen`, one query at a time, in this process."""
    with Store(db) as store:
        index, _ = ensure_index(store)
        matcher = Matcher(index, make_settings(index))
        matcher.prepare()
        queries = []
        for i, example in enumerate(examples, start=1):
            props = example["properties"]
            row = {"name": props["name"][0], "schema": example["schema"],
                   "imo": (props.get("imoNumber") or [""])[0]}
            queries.append(parse_row(row, i, map_columns(list(row))))
        for query in queries[:50]:  # warm-up
            matcher.screen(query)
        started = time.perf_counter()
        for query in queries:
            matcher.screen(query)
        return len(queries) / (time.perf_counter() - started)


def request_bytes(port: int, example: dict[str, Any]) -> bytes:
    body = json.dumps({"queries": {"q1": example}}).encode()
    head = (f"POST /match/default HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def one_connection(port: int, requests: list[bytes], take: list[int], stop_at: float,
                         latencies: list[float], failures: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while take[0] > 0 and time.perf_counter() < stop_at:
            take[0] -= 1
            payload = requests[take[0] % len(requests)]
            started = time.perf_counter()
            writer.write(payload)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b" 200 " not in status_line or b'"q1"' not in body:
                failures.append(status_line.decode(errors="replace").strip())
    finally:
        writer.close()


async def fire(port: int, requests: list[bytes], count: int, seconds: float,
               concurrency: int) -> tuple[list[float], list[str], float]:
    take = [count]
    latencies: list[float] = []
    failures: list[str] = []
    started = time.perf_counter()
    await asyncio.gather(*(one_connection(port, requests, take, started + seconds, latencies,
                                          failures) for _ in range(concurrency)))
    return latencies, failures, time.perf_counter() - started


def wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (uvicorn's workers), from /proc."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(process_tree(int(child)))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far (0 where /proc cannot tell)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    db = store_at(args.db)
    examples = draw_queries(db, args.queries, args.seed)
    anchor = anchor_rate(db, examples)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "serve", "--db", str(db), "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(args.workers)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
    try:
        wait_ready(port, server)
        requests = [request_bytes(port, e) for e in examples]
        try:
            import uvloop
            uvloop.install()
        except ImportError:
            pass
        asyncio.run(fire(port, requests, min(500, args.requests), 10.0, args.concurrency))
        pids = process_tree(server.pid)
        cpu_before, client_before = cpu_seconds(pids), time.process_time()
        latencies, failures, wall = asyncio.run(
            fire(port, requests, args.requests, args.seconds, args.concurrency))
        server_cpu = cpu_seconds(pids) - cpu_before
        client_cpu = time.process_time() - client_before
    finally:
        server.terminate()
        server.wait(timeout=30)
    done = len(latencies)
    rate = done / wall
    p50, p90, p99 = (percentile(latencies, s) * 1000 for s in (0.50, 0.90, 0.99))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"HTTP API: POST /match/default, one query per request, {args.concurrency} "
          f"connections over 127.0.0.1, {args.workers} uvicorn worker(s), {cores} cores")
    print(f"  requests       {done:,} in {wall:.2f} s ({len(failures)} failed"
          + (f": {failures[0]}" if failures else "") + ")")
    print(f"  requests/s     {rate:,.0f}   (target >= {TARGET_RPS:,}: "
          f"{'met' if rate >= TARGET_RPS else 'NOT met'})")
    print(f"  latency ms     p50 {p50:.1f}  p90 {p90:.1f}  p99 {p99:.1f}   (target p99 <= "
          f"{TARGET_P99_MS:.0f}: {'met' if p99 <= TARGET_P99_MS else 'NOT met'})")
    print(f"  mean latency   {statistics.fmean(latencies) * 1000:.1f} ms")
    print(f"  CPU            server {server_cpu:.1f} s ({done / max(server_cpu, 1e-9):,.0f} "
          f"requests per server CPU-second), load generator {client_cpu:.1f} s; machine load "
          f"average {os.getloadavg()[0]:.1f}")
    print(f"  anchor         Matcher.screen in-process, one query at a time, one core: "
          f"{anchor:,.0f} queries/s (API on {args.workers} workers: {rate / anchor:.2f}x)")


if __name__ == "__main__":
    main()

"""Load every shared real file into a fresh store and print, per file, what was loaded, how long
it took and the peak memory of the process that loaded it; then the totals.

Targets (issue 3): every file in at most 30 s in all, peak memory at most 1 GB.

    .venv/bin/python benchmarks/load_all.py [--raw DIR] [--keep DB]

Files are recognised by content, as `sanctions-graph load` does; a file no registered loader
recognises is reported as "no loader" and skipped (formats still to come load once registered).
The OFAC CSV set loads through its sdn file, which reads add/alt/sdn_comments beside it.
Each file loads in its own child process, one after the other, into the same store, so that the
peak resident memory reported is that file's load alone (interpreter and imports included).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
DEFAULT_RAW: Final = (
    Path(os.environ.get("SANCTIONS_GRAPH_SHARED", ROOT.parent / "shared")) / "data" / "raw"
)
SKIP: Final = frozenset({"SOURCES.md"})
TARGET_SECONDS: Final = 30.0
TARGET_PEAK_MB: Final = 1024.0


def _load_one(path: Path, db: Path) -> dict[str, Any]:
    """Runs in the child: load one file, report counts, seconds and peak RSS."""
    from graph.store import Store
    from pipeline.ingest import load_file

    with Store(db) as store:
        started = time.perf_counter()
        result = load_file(store, path)
        seconds = time.perf_counter() - started
    info = result.info
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {
        "file": path.name, "source": info.source, "format": info.format,
        "list_date": info.list_date, "entities": info.entities, "relations": info.relations,
        "sanctions": info.sanctions, "problems": sum(info.problems.values()),
        "seconds": seconds, "peak_mb": peak_kb / 1024,
    }


def _plan(raw: Path) -> list[tuple[Path, str | None]]:
    """(file, why it is skipped or None) for every file, in name order."""
    sys.path.insert(0, str(ROOT))
    from graph.errors import SourceError, UnknownFormatError
    from loaders import detect_loader

    plan: list[tuple[Path, str | None]] = []
    companions: dict[Path, str] = {}
    specs = {}
    for path in sorted(p for p in raw.iterdir() if p.is_file() and p.name not in SKIP):
        try:
            specs[path] = detect_loader(path)
        except UnknownFormatError:
            specs[path] = None
        except SourceError as exc:
            specs[path] = None
            companions.setdefault(path, f"unreadable: {exc.reason}")
    for path, spec in specs.items():
        if spec is not None:
            for companion in spec.files(path)[1:]:
                companions[companion] = f"read with {path.name}"
    for path, spec in specs.items():
        if path in companions:
            plan.append((path, companions[path]))
        elif spec is None:
            plan.append((path, "no loader"))
        else:
            plan.append((path, None))
    return plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="folder of shared files")
    parser.add_argument("--keep", type=Path, help="write the store here instead of a temp file")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(_load_one(args.one, args.db)))
        return 0
    if not args.raw.is_dir():
        print(f"no shared data folder at {args.raw}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or Path(tmp) / "load_all.db"
        if db.exists():
            print(f"{db} exists; give a new path to --keep", file=sys.stderr)
            return 2
        rows: list[dict[str, Any]] = []
        skipped: list[tuple[str, str]] = []
        wall = time.perf_counter()
        for path, why in _plan(args.raw):
            if why:
                skipped.append((path.name, why))
                continue
            child = subprocess.run(
                [sys.executable, __file__, "--one", str(path), "--db", str(db)],
                capture_output=True, text=True, check=False,
            )
            if child.returncode != 0:
                last = (child.stderr.strip().splitlines() or ["?"])[-1]
                skipped.append((path.name, f"failed: {last}"))
                continue
            rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
        wall = time.perf_counter() - wall
        _report(rows, skipped, wall)
        seconds = sum(r["seconds"] for r in rows)
        peak = max((r["peak_mb"] for r in rows), default=0.0)
        return 0 if seconds <= TARGET_SECONDS and peak <= TARGET_PEAK_MB else 1


def _report(rows: list[dict[str, Any]], skipped: list[tuple[str, str]], wall: float) -> None:
    header = (f"{'source':<20} {'format':<15} {'list date':<10} {'records':>8} {'entities':>8} "
              f"{'relations':>9} {'sanctions':>9} {'seconds':>8} {'peak MB':>8}  file")
    print(header)
    print("-" * len(header))
    for r in rows:
        records = r["entities"] + r["relations"] + r["sanctions"]
        print(f"{r['source']:<20} {r['format']:<15} {r['list_date'] or '?':<10} {records:>8,} "
              f"{r['entities']:>8,} {r['relations']:>9,} {r['sanctions']:>9,} "
              f"{r['seconds']:>8.2f} {r['peak_mb']:>8.0f}  {r['file']}")
    print("-" * len(header))
    total = {k: sum(r[k] for r in rows) for k in ("entities", "relations", "sanctions", "seconds")}
    records = total["entities"] + total["relations"] + total["sanctions"]
    peak = max((r["peak_mb"] for r in rows), default=0.0)
    print(f"{'total (' + str(len(rows)) + ' files)':<47} {records:>8,} {total['entities']:>8,} "
          f"{total['relations']:>9,} {total['sanctions']:>9,} {total['seconds']:>8.2f} "
          f"{peak:>8.0f}")
    for name, why in skipped:
        print(f"skipped {name}: {why}")
    verdict_s = "ok" if total["seconds"] <= TARGET_SECONDS else "OVER"
    verdict_m = "ok" if peak <= TARGET_PEAK_MB else "OVER"
    print(f"load time {total['seconds']:.1f} s (target {TARGET_SECONDS:.0f} s: {verdict_s}); "
          f"peak memory {peak:.0f} MB (target {TARGET_PEAK_MB:.0f} MB: {verdict_m}); "
          f"wall time with process starts {wall:.1f} s")
    print("records = entities + relations + sanctions; peak MB = the loading process's peak "
          "resident memory")


if __name__ == "__main__":
    sys.exit(main())

"""Scale benchmark (issue 14): a store of synthetic FtM entities at OpenSanctions size, and what
each command costs on it.

    .venv/bin/python benchmarks/scale.py [--sizes 250000,1000000,3800000] [--update un|ofac]
                                         [--tmp DIR] [--profile DIR]

For each size, in a fresh temporary store, every step runs as its own process (the CLI, as a
user runs it) and is timed with its peak resident memory, read from the kernel's accounting of
that one child (`os.wait4`: the largest of the process and the workers it waited for); the
memory of all its processes together (PSS, sampled) is printed beside it on the step's line.

1. generate: the synthetic entities (`benchmarks/scale_data.py`: fixed seed, Zipf-like names,
   several names each, 1.2 % vessels with valid IMO numbers none of the real lists carry,
   0.8 relations per entity, sanctions on 5 %) written as FtM JSON lines, streamed;
2. load: `load FILE --format ftm` (the screening index built at its end: how long that took is
   read from the line the CLI prints);
3. new list: the real UN consolidated XML (or the OFAC SDN CSV set), a list not yet in the store;
4. resolve: the first `resolve` of the whole store (all pairs are new);
5. update: a new version of that real list. Only one version of each is in ../shared/data/raw,
   so the new version is the same file with a few real entries removed (written to a temporary
   file; 5 of 1,003 UN entries, or 15 of 14,965 OFAC ones: far inside the shrink guard's 10 %
   allowance, no --allow-shrink);
6. resolve after the update (what changed is scored);
7. screen: 20,000 rows drawn from the synthetic names with variants (respelled, mistyped,
   reordered, other script, legal form dropped; a fifth of names of no entity);
8. path index: built from the store in a process of its own (the time inside is printed);
9. owner (the probe vessel's IMO: its owner is owned by a firm a sanctioned person controls) and
   path (from that vessel to that person), each a whole process, reading the path index file;
10. export --format ftm, and neo4j export (bulk import files).

A row per size is printed when its steps are done, each step's line as it ends, and the whole
table at the end, so a partial run still shows what it measured. Entities are nodes (persons,
companies, organisations, vessels); the relations and sanctions come on top.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale_data import MIX, RAW, generate, screening_rows, write_rows  # noqa: E402

DEFAULT_SIZES: Final = (250_000,)
NODES: Final = frozenset(schema for schema, _ in MIX)
SCREEN_ROWS: Final = 20_000
#: Real entries removed to make the "new version" of a list (spread evenly over the file).
REMOVED: Final = {"un": 5, "ofac": 15}
UN_FILE: Final = "un_consolidated_2026-02-27.xml"
OFAC_FILE: Final = "ofac_sdn_2024-05-03.csv"
OFAC_COMPANIONS: Final = ("ofac_add_2025-01.csv", "ofac_alt_2025-01.csv",
                          "ofac_sdn_comments_2025-01.csv")
_INDEX_LINE: Final = re.compile(
    r"screening index: [\d,]+ entities, (?:built|patched) in ([\d.]+) s")
#: How often the memory of a step's whole process tree is sampled.
SAMPLE_SECONDS: Final = 0.2


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "sanctions-graph"
    return [str(script)] if script.exists() else [sys.executable, "-m", "graph.cli"]


@dataclass
class Step:
    name: str
    seconds: float
    peak_mb: float
    tree_mb: float
    stdout: str
    stderr: str
    code: int

    @property
    def index_seconds(self) -> float | None:
        found = _INDEX_LINE.search(self.stderr)
        return float(found.group(1)) if found else None


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except OSError:
            continue
    return out


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size of a process and its descendants (shared pages counted once)."""
    total = 0
    for child in _descendants(pid):
        try:
            with open(f"/proc/{child}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total / 1024


def run(name: str, command: list[str], env: dict[str, str], *, quiet: bool = False) -> Step:
    """Run one step as its own process: wall time, its peak RSS (wait4), its tree's peak PSS."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=ROOT)
        peak_tree = 0.0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_tree
            while not done.wait(SAMPLE_SECONDS):
                peak_tree = max(peak_tree, _tree_pss_mb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        step = Step(name, seconds, usage.ru_maxrss / 1024, peak_tree, out.read(), err.read(),
                    process.returncode)
    if not quiet:
        extra = f"  (index {step.index_seconds:.1f} s)" if step.index_seconds else ""
        print(f"    {name:<22} {step.seconds:>8.1f} s {step.peak_mb:>7.0f} MB peak RSS "
              f"{step.tree_mb:>7.0f} MB all processes (PSS){extra}"
              + ("" if step.code == 0 else f"  FAILED ({step.code})"), flush=True)
        if step.code != 0:
            last = (step.stderr.strip().splitlines() or ["?"])[-1]
            print(f"      {last}", flush=True)
    return step


# -- the real list and its new version ------------------------------------------------------

def un_versions(raw: Path, tmp: Path, removed: int) -> tuple[Path, Path, str]:
    """The real UN XML, and the same file without `removed` of its entries (individuals and
    entities alike, spread evenly), byte for byte otherwise (so the list date is the same)."""
    data = (raw / UN_FILE).read_bytes()
    blocks = [m.span() for m in re.finditer(
        rb"\s*<(INDIVIDUAL|ENTITY)>.*?</\1>", data, flags=re.DOTALL)]
    step = len(blocks) // (removed + 1)
    drop = {blocks[step * (k + 1)] for k in range(removed)}
    kept, last = [], 0
    for start, end in sorted(drop):
        kept.append(data[last:start])
        last = end
    kept.append(data[last:])
    version = tmp / "update" / UN_FILE
    version.parent.mkdir()
    version.write_bytes(b"".join(kept))
    return raw / UN_FILE, version, (f"UN consolidated XML ({len(blocks):,} entries), new "
                                    f"version = the same file less {removed} real entries")


def ofac_versions(raw: Path, tmp: Path, removed: int) -> tuple[Path, Path, str]:
    """The real OFAC SDN CSV set, and the same set with `removed` sdn.csv rows left out (its
    add/alt/comments files beside it, unchanged)."""
    lines = (raw / OFAC_FILE).read_bytes().split(b"\r\n")
    entries = [i for i, line in enumerate(lines) if re.match(rb"^\d+,", line)]
    step = len(entries) // (removed + 1)
    drop = {entries[step * (k + 1)] for k in range(removed)}
    folder = tmp / "update"
    folder.mkdir()
    (folder / OFAC_FILE).write_bytes(b"\r\n".join(
        line for i, line in enumerate(lines) if i not in drop))
    for name in OFAC_COMPANIONS:
        shutil.copyfile(raw / name, folder / name)
    return raw / OFAC_FILE, folder / OFAC_FILE, (
        f"OFAC SDN CSV set ({len(entries):,} entries), new version = the same set less "
        f"{removed} real sdn.csv rows")


# -- one size -------------------------------------------------------------------------------

@dataclass
class Row:
    size: int
    steps: dict[str, Step] = field(default_factory=dict)
    generated_seconds: float = 0.0
    store_mb: float = 0.0
    path_index_seconds: float | None = None

    def seconds(self, name: str) -> str:
        step = self.steps.get(name)
        if step is None:
            return "-"
        return f"{step.seconds:.1f}" + ("" if step.code == 0 else "!")

    def mb(self, name: str) -> str:
        step = self.steps.get(name)
        return "-" if step is None else f"{step.peak_mb:,.0f}"

    def index(self, name: str) -> str:
        step = self.steps.get(name)
        found = step.index_seconds if step else None
        return "-" if found is None else f"{found:.1f}"


COLUMNS: Final = (
    ("entities", 10), ("load s", 7), ("(index)", 7), ("load MB", 7), ("new list", 8),
    ("resolve0", 8), ("update s", 8), ("(index)", 7), ("upd MB", 7), ("resolve", 7),
    ("screen q/s", 10), ("scr MB", 7), ("owner s", 7), ("path s", 6), ("pidx s", 6),
    ("ftm s", 6), ("ftm MB", 7), ("neo4j s", 7), ("neo MB", 7), ("store MB", 8),
)


def header() -> str:
    return " ".join(f"{name:>{width}}" for name, width in COLUMNS)


def line(row: Row) -> str:
    screen = row.steps.get("screen")
    rate = f"{SCREEN_ROWS / screen.seconds:,.0f}" if screen and screen.code == 0 else "-"
    values = (
        f"{row.size:,}", row.seconds("load"), row.index("load"), row.mb("load"),
        row.seconds("new list"), row.seconds("resolve (first)"), row.seconds("update"),
        row.index("update"), row.mb("update"), row.seconds("resolve"), rate, row.mb("screen"),
        row.seconds("owner"), row.seconds("path"),
        "-" if row.path_index_seconds is None else f"{row.path_index_seconds:.1f}",
        row.seconds("export ftm"), row.mb("export ftm"), row.seconds("neo4j export"),
        row.mb("neo4j export"), f"{row.store_mb:,.0f}",
    )
    return " ".join(f"{v:>{width}}" for v, (_, width) in zip(values, COLUMNS, strict=True))


def _summary(stdout: str) -> str:
    """What a load or resolve said it did (its --json), in one line."""
    try:
        said = json.loads(stdout)
    except ValueError:
        return "(no JSON summary)"
    if isinstance(said, list):  # load: one summary per file
        return "; ".join(
            f"{s['source']} {s['entities']:,} entities, {s['relations']:,} relations, "
            f"{s['sanctions']:,} sanctions, {sum(s['problems'].values()):,} problems"
            + (f", {s['note']}" if s.get("note") else "")
            + (" (unchanged)" if s.get("unchanged") else "") for s in said)
    return (f"{said['records']:,} records, {said.get('read', 0):,} read, "
            f"{said['changed']:,} changed, {said['removed']:,} "
            f"removed, {said['candidates']:,} candidate pairs, {said['scored']:,} scored, "
            f"{said['merges']:,} merges in all; {said['seconds']:.1f} s inside")


_PATH_INDEX: Final = """
import sys, time
from graph.store import Store
from queries.paths import index_path, store_index
with Store(sys.argv[1], create=False) as store:
    index_path(store).unlink(missing_ok=True)
    started = time.perf_counter()
    index = store_index(store)
    print(time.perf_counter() - started, index.n)
"""


def bench_size(size: int, args: argparse.Namespace, parent: Path) -> Row:
    row = Row(size)
    cli = _cli()
    with contextlib.ExitStack() as stack:
        if args.keep:
            name = tempfile.mkdtemp(dir=parent, prefix=f"scale-{size}-")
            print(f"  store and files kept in {name}", flush=True)
        else:
            name = stack.enter_context(
                tempfile.TemporaryDirectory(dir=parent, prefix=f"scale-{size}-"))
        tmp = Path(name)
        db = tmp / "store.db"
        env = {**os.environ, "SANCTIONS_GRAPH_DB": str(db), "COLUMNS": "160"}
        started = time.perf_counter()
        data = tmp / "synthetic.ftm.jsonl"
        made = generate(data, size, sample=SCREEN_ROWS)
        rows_file = tmp / "screen.csv"
        write_rows(rows_file, screening_rows(made, SCREEN_ROWS))
        row.generated_seconds = time.perf_counter() - started
        counts = made.counts
        relations = sum(v for k, v in counts.items() if k not in NODES and k != "Sanction")
        print(f"  {size:,} entities: {counts.get('Person', 0):,} persons, "
              f"{counts.get('Company', 0):,} companies, {counts.get('Organization', 0):,} "
              f"organisations, {counts.get('Vessel', 0):,} vessels; {relations:,} relations, "
              f"{counts.get('Sanction', 0):,} sanctions; {data.stat().st_size / 2**20:,.0f} MB "
              f"written in {row.generated_seconds:.1f} s", flush=True)
        versions = un_versions if args.update == "un" else ofac_versions
        real, update, what = versions(args.raw, tmp, REMOVED[args.update])
        print(f"    update: {what}", flush=True)

        def step(label: str, *command: str) -> Step:
            found = run(label, [*cli, *command], env)
            row.steps[label] = found
            return found

        for label, path, extra in (("load", data, ("--format", "ftm")), ("new list", real, ()),
                                   ("resolve (first)", None, ()), ("update", update, ()),
                                   ("resolve", None, ())):
            done = step(label, *(("load", str(path), *extra) if path else ("resolve",)),
                        "--json")
            if done.code == 0:
                print(f"      {_summary(done.stdout)}", flush=True)
        step("screen", "screen", str(rows_file), "-o", str(tmp / "screened.jsonl"))
        built = run("path index", [sys.executable, "-c", _PATH_INDEX, str(db)], env)
        row.steps["path index"] = built
        if built.code == 0:
            row.path_index_seconds = float(built.stdout.split()[0])
        step("owner", "owner", made.probe_imo)
        step("path", "path", f"ftm:{made.probe_vessel}", f"ftm:{made.probe_owner}")
        step("export ftm", "export", "--format", "ftm", "-o", str(tmp / "export.ftm.jsonl"))
        step("neo4j export", "neo4j", "export", str(tmp / "neo4j"))
        row.store_mb = sum(p.stat().st_size for p in tmp.glob("store.db*")) / 2**20
        if args.profile:
            profile(size, data, real, update, args.profile, env, tmp)
    return row


def profile(size: int, data: Path, real: Path, update: Path, folder: Path,
            env: dict[str, str], tmp: Path) -> None:
    """The full load and the update again, under cProfile, in a fresh store; the top of each
    profile (by own time and by cumulative time) written beside the .prof files."""
    import pstats

    folder.mkdir(parents=True, exist_ok=True)
    env = {**env, "SANCTIONS_GRAPH_DB": str(tmp / "profiled.db")}
    base = [sys.executable, "-m", "cProfile", "-o"]
    for label, path, extra in (("load", data, ["--format", "ftm"]), ("new-list", real, []),
                               ("update", update, [])):
        out = folder / f"{label}-{size}.prof"
        run(f"profiled {label}", [*base, str(out), "-m", "graph.cli", "load", str(path),
                                  *extra], env)
        with (folder / f"{label}-{size}.txt").open("w") as handle:
            stats = pstats.Stats(str(out), stream=handle)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(40)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help="comma-separated store sizes in entities (default 250000)")
    parser.add_argument("--update", choices=sorted(REMOVED), default="un",
                        help="the real list loaded into the base and updated (default un)")
    parser.add_argument("--raw", type=Path, default=RAW, help="folder of shared files")
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()),
                        help="where the temporary stores go (3.8 million need some GB)")
    parser.add_argument("--keep", action="store_true",
                        help="keep each size's store and files (printed) instead of removing them")
    parser.add_argument("--profile", type=Path,
                        help="also profile the loads (cProfile) and write the profiles here")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if not (args.raw / UN_FILE).is_file():
        print(f"no shared data at {args.raw}", file=sys.stderr)
        return 2
    print(f"scale benchmark: sizes {', '.join(f'{s:,}' for s in sizes)}; "
          f"{os.cpu_count()} cores; times in seconds, memory = peak RSS of the step's process "
          "in MB", flush=True)
    rows: list[Row] = []
    print(header(), flush=True)
    for size in sizes:
        row = bench_size(size, args, args.tmp)
        rows.append(row)
        print(header())
        print(line(row), flush=True)
    print("\n" + header())
    for row in rows:
        print(line(row))
    print("load = `load --format ftm` of the synthetic file, (index) its screening index part; "
          "new list = the real list, not yet in the store; resolve0 = the first resolve; "
          "update = the new version of that list; screen q/s = 20,000 rows / the whole "
          "`screen` process; pidx = path index build; ! = the step failed")
    return 0 if all(s.code == 0 for r in rows for s in r.steps.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

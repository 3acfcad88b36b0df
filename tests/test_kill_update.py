"""kill -9 in the middle of an update, on a store of 250,000 entities (issue 14).

Whenever a `load` of a new version of a list is killed (SIGKILL: no handler runs, nothing is
cleaned up), the next command finds one of two states, never a third:

- the load did not commit (no new row in the store's `loads`): every table of the store, the
  merged view among them, holds exactly what it held before, both index files beside it are the
  same bytes as before, and `screen` and `owner` answer as they did;
- it committed: the store holds exactly what the same load run to its end leaves (load times
  aside), and the next `screen` and `owner` answer exactly as after that load, however far the
  indexes had got (old, half written, new): a stale index never answers.

`PRAGMA integrity_check` is ok after every kill.

The store: the 250,000 synthetic entities of `benchmarks/scale_data.py` (its fixed seed) and the
real UN consolidated list; the update: the same UN file less 5 of its real entries
(`benchmarks/scale.py`'s `un_versions`), as the scale benchmark runs it. The store is built once
as a template and copied for each trial.

Black-box: every command is the CLI in a process of its own. When to kill is read from what
anyone can see: fractions of the duration of the update run to its end, the store's files growing,
a file beside the store changing (an index written, a temporary file), the new `loads` row
visible to another connection. Nothing depends on how the load does its work or how long its
steps take. The test asserts that some kill landed after the load began writing and before it
committed and, when the update runs on after its commit, that some landed after the commit.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest

from benchmarks.scale import REMOVED, UN_FILE, un_versions
from benchmarks.scale_data import generate, screening_rows, write_rows
from tests.conftest import RAW, cli_command, cli_env, raw

pytestmark = pytest.mark.slow

SIZE: Final = 250_000
#: Kill moments as fractions of the update's duration when it runs to its end.
FRACTIONS: Final = (0.05, 0.3, 0.6, 0.9)
#: Synthetic names screened (respelled, mistyped, reordered...) besides the UN ones.
SYNTHETIC_ROWS: Final = 12
#: SQLite's own files of a store; every other file beside it is derived (the index files).
STORE_FILES: Final = ("", "-wal", "-shm", "-journal")
INDEXES: Final = (".screen-index", ".paths-index")
#: Columns that say when, not what: two runs of the same load differ there.
VOLATILE: Final = frozenset({("loads", "loaded_at")})
#: Trials run two at a time (each CLI process keeps one core busy).
LANES: Final = 2
POLL_SECONDS: Final = 0.005
COMMIT_POLL_SECONDS: Final = 0.05
#: A window shorter than this (first write to commit, commit to the end) need not be hit.
WINDOW_SECONDS: Final = 0.25
TIMEOUT: Final = 1200


# -- the store as the next command finds it -----------------------------------------------------

def _cli(*args: str) -> str:
    result = subprocess.run(cli_command(*args), env=cli_env(), text=True, capture_output=True,
                            timeout=TIMEOUT)
    assert result.returncode == 0, f"`{args[0]}` failed: {result.stderr[-3000:]}"
    return result.stdout


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def content_digest(conn: sqlite3.Connection) -> str:
    """SHA-256 of the schema and of every row of every table, each table in the order of its
    primary key (of all its columns when it has none), streamed; VOLATILE columns read as NULL."""
    digest = hashlib.sha256()
    schema = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        " ORDER BY type, name").fetchall()
    digest.update(repr(schema).encode())
    for kind, table, _, _ in schema:
        if kind != "table":
            continue
        columns = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        names = [c[1] for c in columns]
        key = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5]] or names
        select = ", ".join("NULL" if (table, n) in VOLATILE else _quote(n) for n in names)
        order = ", ".join(_quote(n) for n in key)
        digest.update(f"\0{table}\0".encode())
        for row in conn.execute(f"SELECT {select} FROM {_quote(table)} ORDER BY {order}"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class State:
    """A store as the next command finds it."""

    integrity: str
    #: Every row of `loads`, as it is (load times too).
    loads: tuple[tuple[Any, ...], ...]
    content: str
    #: Every other file beside the store: its name after the store's, and its SHA-256.
    beside: tuple[tuple[str, str], ...]

    def file(self, suffix: str) -> str | None:
        return dict(self.beside).get(suffix)


def observe(db: Path) -> State:
    """The files beside the store hashed before anything opens it, then the store opened as any
    command opens it (a log left by a killed writer recovered)."""
    own = {db.name + suffix for suffix in STORE_FILES}
    beside = tuple(sorted((p.name.removeprefix(db.name), _sha256(p))
                          for p in db.parent.iterdir() if p.name not in own))
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        integrity = "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
        loads = tuple(conn.execute("SELECT * FROM loads ORDER BY 1"))
        content = content_digest(conn)
    return State(integrity, loads, content, beside)


@dataclass(frozen=True)
class Answers:
    """What the next commands say: `screen` of the rows, then `owner` of the probe ship."""

    screen: str
    owner: str


def ask(db: Path, rows: Path, imo: str) -> Answers:
    return Answers(_cli("screen", str(rows), "--db", str(db)),
                   _cli("owner", imo, "--json", "--db", str(db)))


# -- one load, watched and perhaps killed --------------------------------------------------------

@dataclass
class Watch:
    """What was seen of one `load` process, in seconds since it started."""

    started: float = field(default_factory=time.monotonic)
    now: float = 0.0
    #: The store's own files first grew (a write under way, committed or not).
    first_write: float | None = None
    #: A file beside the store first appeared, went or changed (an index, a temporary file).
    beside: float | None = None
    #: The new `loads` row first visible to another connection (only when polled).
    commit_seen: float | None = None
    killed_at: float | None = None
    seconds: float = 0.0
    returncode: int | None = None
    stderr: str = ""

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


Stat = tuple[int, int, int]


def _files(folder: Path) -> dict[str, Stat]:
    found: dict[str, Stat] = {}
    for path in folder.iterdir():
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        found[path.name] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return found


def _size(files: dict[str, Stat], name: str) -> int:
    return files[name][1] if name in files else 0


def _written(db: Path, start: dict[str, Stat], now: dict[str, Stat]) -> bool:
    if now.get(db.name) != start.get(db.name):
        return True
    return any(_size(now, db.name + s) != _size(start, db.name + s) for s in ("-wal", "-journal"))


def _beside_changed(db: Path, start: dict[str, Stat], now: dict[str, Stat]) -> bool:
    own = {db.name + suffix for suffix in STORE_FILES}
    return ({k: v for k, v in now.items() if k not in own}
            != {k: v for k, v in start.items() if k not in own})


def _committed(db: Path, loads_before: int) -> bool:
    """Whether another connection sees a new `loads` row (a snapshot: committed rows only)."""
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True,
                                     timeout=0.0)) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM loads").fetchone()[0]) > loads_before
    except sqlite3.Error:
        return False


def _wait_group_gone(pgid: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"processes of group {pgid} still alive after SIGKILL")


Stop = Callable[[Watch], bool]


def run_load(db: Path, update: Path, stop: Stop, *, commit_from: int | None = None) -> Watch:
    """`load UPDATE` on the store at `db` in a process group of its own, watched every few
    milliseconds; SIGKILL to the whole group (the command and any worker it started) as soon as
    `stop(watch)` holds. `commit_from`: the number of `loads` rows before, to poll for the new
    one."""
    start = _files(db.parent)
    log = db.parent.with_name(db.parent.name + ".stderr")
    with log.open("w+") as err:
        proc = subprocess.Popen(cli_command("load", str(update), "--db", str(db)), env=cli_env(),
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        watch = Watch()
        polled = 0.0
        try:
            while proc.poll() is None:
                watch.now = time.monotonic() - watch.started
                files = _files(db.parent)
                if watch.first_write is None and _written(db, start, files):
                    watch.first_write = watch.now
                if watch.beside is None and _beside_changed(db, start, files):
                    watch.beside = watch.now
                if (commit_from is not None and watch.commit_seen is None
                        and watch.now - polled >= COMMIT_POLL_SECONDS):
                    polled = watch.now
                    if _committed(db, commit_from):
                        watch.commit_seen = watch.now
                if stop(watch):
                    os.killpg(proc.pid, signal.SIGKILL)
                    watch.killed_at = watch.now
                    break
                time.sleep(POLL_SECONDS)
        finally:
            if watch.killed_at is None and proc.poll() is None:  # the watching itself failed
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=TIMEOUT)
            _wait_group_gone(proc.pid)
        watch.seconds = time.monotonic() - watch.started
        watch.returncode = proc.returncode
        err.seek(0)
        watch.stderr = err.read()[-3000:]
    log.unlink()
    return watch


def _never(watch: Watch) -> bool:
    return False


def _at(seconds: float) -> Stop:
    return lambda watch: watch.now >= seconds


# -- the base store, the update run to its end, and the trials -----------------------------------

_UN_RECORD: Final = re.compile(rb"<(INDIVIDUAL|ENTITY)>.*?</\1>", re.DOTALL)
_UN_NAME: Final = re.compile(rb"<(FIRST|SECOND|THIRD|FOURTH)_NAME>(.*?)</\1_NAME>", re.DOTALL)


def _un_rows(real: Path, update: Path) -> list[dict[str, str]]:
    """The UN records the update leaves out, and the record before each (still listed): their
    names as the file writes them."""
    records = [m.group(0) for m in _UN_RECORD.finditer(real.read_bytes())]
    kept = {m.group(0) for m in _UN_RECORD.finditer(update.read_bytes())}
    removed = [i for i, record in enumerate(records) if record not in kept]
    assert len(removed) == REMOVED["un"]
    rows = []
    for i in (j for r in removed for j in (r, r - 1)):
        name = " ".join(html.unescape(m.group(2).decode().strip())
                        for m in _UN_NAME.finditer(records[i]))
        assert name.strip()
        rows.append({"name": name, "imo": "",
                     "type": "Person" if records[i].startswith(b"<INDIVIDUAL") else ""})
    return rows


@dataclass
class Base:
    folder: Path
    #: The store file of the template, its index files beside it.
    template: Path
    update: Path
    rows: Path
    imo: str
    state: State
    answers: Answers
    #: How long building the base took (generation, loads, the first screen and owner).
    seconds: float
    _asked: dict[tuple[str, tuple[str | None, ...], frozenset[str]], Future[Answers]] = field(
        default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def copy(self, label: str) -> Path:
        """A fresh copy of the template: the store (its log too, if one were left) and every
        file beside it; the shared-memory file is rebuilt by whoever opens the store."""
        folder = self.folder / "trials" / re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        folder.mkdir(parents=True)
        for path in self.template.parent.iterdir():
            if path.name != self.template.name + "-shm":
                shutil.copyfile(path, folder / path.name)
        return folder / self.template.name

    def answers_for(self, state: State, db: Path) -> Answers:
        """The next commands' answers on a killed store. A state already asked is not asked
        again: the same content, the same index files, and files of the same kinds left beside
        them (a temporary file named after a dead process's id, whatever it holds: what the next
        command makes of one such file it makes of another); the answers follow from it."""
        leftovers = frozenset(re.sub(r"\d+", "N", name) for name, _ in state.beside
                              if name not in INDEXES)
        key = (state.content, tuple(state.file(s) for s in INDEXES), leftovers)
        with self._lock:
            future = self._asked.get(key)
            mine = future is None
            if future is None:
                future = self._asked[key] = Future()
        if mine:
            try:
                future.set_result(ask(db, self.rows, self.imo))
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Base]:
    started = time.monotonic()
    folder = tmp_path_factory.mktemp("kill-update")
    raw(UN_FILE)
    data = folder / "synthetic.ftm.jsonl"
    made = generate(data, SIZE, sample=SYNTHETIC_ROWS, raw=RAW)
    assert made.entities == SIZE
    real, update, _ = un_versions(RAW, folder, REMOVED["un"])
    rows = folder / "rows.csv"
    write_rows(rows, [*_un_rows(real, update), *screening_rows(made, SYNTHETIC_ROWS)])
    template = folder / "template" / "store.db"
    template.parent.mkdir()
    db = str(template)
    # As the scale benchmark loads it; the screening index is built once, by the list's load.
    _cli("load", str(data), "--format", "ftm", "--no-index", "--db", db)
    data.unlink()
    _cli("load", str(real), "--db", db)
    answers = ask(template, rows, made.probe_imo)  # the owner writes the path index
    state = observe(template)
    assert state.integrity == "ok"
    for suffix in INDEXES:
        assert state.file(suffix), f"no {suffix} beside the base store"
    yield Base(folder, template, update, rows, made.probe_imo, state, answers,
               time.monotonic() - started)
    shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Trial:
    label: str
    watch: Watch
    state: State
    answers: Answers


def trial(base: Base, label: str, stop: Stop, *, poll_commit: bool = False) -> Trial:
    db = base.copy(label)
    try:
        watch = run_load(db, base.update, stop,
                         commit_from=len(base.state.loads) if poll_commit else None)
        state = observe(db)
        return Trial(label, watch, state, base.answers_for(state, db))
    finally:
        shutil.rmtree(db.parent, ignore_errors=True)


def _uninterrupted(base: Base) -> Trial:
    db = base.copy("uninterrupted")
    try:
        watch = run_load(db, base.update, _never, commit_from=len(base.state.loads))
        assert watch.returncode == 0, watch.stderr
        state = observe(db)
        return Trial("uninterrupted", watch, state, ask(db, base.rows, base.imo))
    finally:
        shutil.rmtree(db.parent, ignore_errors=True)


def _committed_state(base: Base, state: State) -> bool:
    return state.loads != base.state.loads


def _problems(base: Base, done: Trial, t: Trial) -> list[str]:
    """What is wrong with the state a kill left (nothing, when it is the old or the new one)."""
    if not t.watch.killed and t.watch.returncode != 0:
        return [f"{t.label}: the load failed by itself ({t.watch.returncode}): {t.watch.stderr}"]
    out = []
    if t.state.integrity != "ok":
        out.append(f"{t.label}: integrity_check: {t.state.integrity}")
    if not _committed_state(base, t.state):
        if t.state.content != base.state.content:
            out.append(f"{t.label}: not committed, yet the store's content changed")
        for suffix in INDEXES:
            if t.state.file(suffix) != base.state.file(suffix):
                out.append(f"{t.label}: not committed, yet {suffix} is not the same file")
        if t.answers != base.answers:
            out.append(f"{t.label}: not committed, yet screen/owner answer otherwise")
        return out
    old = set(base.state.loads)
    if not old <= set(t.state.loads) or len(t.state.loads) != len(old) + 1:
        out.append(f"{t.label}: loads is neither the old one nor the old one and one new row")
    if t.state.content != done.state.content:
        out.append(f"{t.label}: committed, yet the store is not what the update leaves")
    if t.answers.screen != done.answers.screen:
        out.append(f"{t.label}: committed, yet the next screen answers otherwise")
    if t.answers.owner != done.answers.owner:
        out.append(f"{t.label}: committed, yet the next owner answers otherwise")
    return out


def _line(base: Base, t: Trial) -> str:
    w = t.watch

    def at(value: float | None) -> str:
        return "-" if value is None else f"{value:6.2f}"

    kind = ("killed" if w.killed else f"exit {w.returncode}") + (
        ", committed" if _committed_state(base, t.state) else ", not committed")
    seen = "" if w.commit_seen is None else f"  commit seen {at(w.commit_seen)}"
    extra = [n for n, _ in t.state.beside if n not in INDEXES]
    return (f"  {t.label:<34} kill {at(w.killed_at)}  first write {at(w.first_write)}  "
            f"beside {at(w.beside)}{seen}  end {w.seconds:6.2f}  {kind}"
            + (f"; left beside: {', '.join(extra)}" if extra else ""))


def test_a_load_killed_mid_update_leaves_the_old_state_or_the_new_one(base: Base) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(LANES) as pool:
        reference = pool.submit(_uninterrupted, base)
        watched = [
            pool.submit(trial, base, "first write", lambda w: w.first_write is not None),
            pool.submit(trial, base, "a file beside the store changes",
                        lambda w: w.beside is not None),
        ]
        done = reference.result()
        length = done.watch.seconds
        timed = [pool.submit(trial, base, f"{f:.0%} of the update", _at(f * length))
                 for f in sorted(FRACTIONS, reverse=True)]
        trials = [f.result() for f in (*watched, *timed)]

    # The update must tell the two states apart, or every comparison below would be vacuous.
    assert _committed_state(base, done.state)
    assert done.state.content != base.state.content
    assert done.answers.screen != base.answers.screen

    w = done.watch
    writing = (w.commit_seen - w.first_write if w.commit_seen is not None
               and w.first_write is not None else 0.0)
    after = length - w.commit_seen if w.commit_seen is not None else 0.0

    def mid_transaction(t: Trial) -> bool:
        return (t.watch.killed and not _committed_state(base, t.state)
                and t.watch.first_write is not None)

    def after_commit(t: Trial) -> bool:
        return t.watch.killed and _committed_state(base, t.state)

    # Kill moments picked from what is seen, when the spread above missed a window.
    if writing >= WINDOW_SECONDS and not any(map(mid_transaction, trials)):
        assert w.first_write is not None and w.commit_seen is not None
        trials.append(trial(base, "midway from first write to commit",
                            _at((w.first_write + w.commit_seen) / 2)))
    if after >= WINDOW_SECONDS and not any(map(after_commit, trials)):
        trials.append(trial(base, "commit seen", lambda t: t.commit_seen is not None,
                            poll_commit=True))

    def at(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f} s"

    report = "\n".join([
        f"base store built in {base.seconds:.0f} s; trials {time.monotonic() - started:.0f} s",
        f"uninterrupted update: {length:.2f} s (first write {at(w.first_write)}, commit seen "
        f"{at(w.commit_seen)}, a file beside changes {at(w.beside)})",
        *(_line(base, t) for t in trials)])
    print(report)
    problems = [p for t in trials for p in _problems(base, done, t)]
    assert not problems, "\n".join([*problems, report])
    assert any(t.watch.killed and not _committed_state(base, t.state) for t in trials), report
    if writing >= WINDOW_SECONDS:
        assert any(map(mid_transaction, trials)), report
    if after >= WINDOW_SECONDS:
        assert any(map(after_commit, trials)), report

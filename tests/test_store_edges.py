"""The edges of the store, met as a user meets them (the CLI as a process): index files that are
not what the store wrote, files that are not stores, stores that cannot be written.

Each command ends with one line and an exit code, never a traceback, and never writes to a file
that is not its own store.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.store import LAYOUT_VERSION, Store
from pipeline.ingest import load_file
from queries.screening.index import ensure_index, index_path, read_index
from tests.conftest import GUR, cli_command, cli_env, raw

ROW = "name,imo\nZHUO YUAN,9408683\n"
NOBODY = 65534


def _cli(*args: str, user: int | None = None, home: Path | None = None
         ) -> subprocess.CompletedProcess[str]:
    command = cli_command(*args)
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    env = cli_env()
    if home is not None:
        env.update(HOME=str(home), XDG_DATA_HOME=str(home))
    return subprocess.run(command, env=env, text=True, capture_output=True, timeout=300)


def _one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    for word in words:
        assert word in line, line


@pytest.fixture
def gur_db(tmp_path: Path) -> Path:
    db = tmp_path / "s.db"
    with Store(db) as store:
        load_file(store, raw(GUR.name))
        ensure_index(store)
    (tmp_path / "rows.csv").write_text(ROW)
    return db


def _screen(db: Path) -> str:
    result = _cli("screen", "--db", str(db), str(db.with_name("rows.csv")))
    assert result.returncode == 0, result.stderr
    return result.stdout


class _Planted:
    """What a hostile file beside the store would hold: unpickling it makes a directory."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (os.mkdir, (str(self.marker),))


def test_a_pickle_planted_as_the_index_never_runs(gur_db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    index_path(Store(gur_db)).write_bytes(pickle.dumps(_Planted(marker)))
    out = _screen(gur_db)
    assert not marker.exists(), "the screen ran code from the index file"
    assert '"decision": "match"' in out
    with Store(gur_db) as store:  # rebuilt, in the store's own format
        key = store.index_key()
        assert key is not None and read_index(index_path(store), key) is not None


def test_a_killed_writer_s_temporary_index_is_swept(gur_db: Path) -> None:
    """A command killed while writing the index leaves `<index>.<pid>.tmp` (as large as the
    index); the next write removes those of writers that are gone, never a live one's."""
    path = index_path(Store(gur_db))
    dead = subprocess.Popen(["true"])
    dead.wait()
    alive = subprocess.Popen(["sleep", "60"])
    try:
        left = path.with_name(f"{path.name}.{dead.pid}.tmp")
        busy = path.with_name(f"{path.name}.{alive.pid}.tmp")
        left.write_bytes(b"half an index")
        busy.write_bytes(b"being written")
        with Store(gur_db) as store:
            ensure_index(store, rebuild=True)
        assert not left.exists()
        assert busy.read_bytes() == b"being written"
    finally:
        alive.kill()
        alive.wait()


def test_an_altered_index_is_rejected_and_rebuilt(gur_db: Path) -> None:
    """An index edited to give the listed ship another IMO number (the store still lists it)
    would screen the ship `clear`; the signature refuses it and the screen rebuilds."""
    path = index_path(Store(gur_db))
    data = path.read_bytes()
    assert data.count(b"9408683") >= 1
    path.write_bytes(data.replace(b"9408683", b"9408684"))
    assert '"decision": "match"' in _screen(gur_db)
    assert path.read_bytes() != data.replace(b"9408683", b"9408684")


def test_an_index_cut_short_or_from_another_store_is_rejected(gur_db: Path,
                                                               tmp_path: Path) -> None:
    other = tmp_path / "other" / "s.db"
    other.parent.mkdir()
    with Store(other) as store:
        load_file(store, raw(GUR.name))  # the same list: the same generation and loads
        mine = store.index_key()
    shutil.copy(index_path(Store(gur_db)), index_path(Store(other)))
    with Store(other) as store:
        assert mine is not None and store.index_key() == mine
        assert read_index(index_path(store), mine) is None
        _, built = ensure_index(store)
        assert built
        data = index_path(store).read_bytes()
        index_path(store).write_bytes(data[: len(data) // 2])
        assert read_index(index_path(store), mine) is None
        _, built = ensure_index(store)
        assert built


def _foreign_database(path: Path) -> bytes:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()
    return path.read_bytes()


READERS = [["sources"], ["owner", "ANGARA"], ["screen", "ROWS"], ["export", "-o", "OUT"]]
WRITERS = [["load", str(raw(GUR.name))], ["resolve"]]


def _args(command: list[str], tmp_path: Path) -> list[str]:
    rows = tmp_path / "rows.csv"
    rows.write_text(ROW)
    return [str(rows) if a == "ROWS" else str(tmp_path / "out.jsonl") if a == "OUT" else a
            for a in command]


@pytest.mark.parametrize("command", READERS + WRITERS, ids=lambda c: c[0])
def test_another_sqlite_database_is_refused_and_left_alone(command: list[str],
                                                           tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    before = _foreign_database(path)
    result = _cli(*_args(command, tmp_path), "--db", str(path))
    _one_line_error(result, 4, "not a sanctions-graph store", "other tables")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db", "rows.csv"]


@pytest.mark.parametrize(("layout", "words"), [
    ("two", ["unknown store layout", "not a number"]),
    (str(LAYOUT_VERSION + 1), ["newer than this version knows"]),
])
def test_a_store_of_an_unknown_layout_is_refused(layout: str, words: list[str],
                                                  gur_db: Path) -> None:
    with sqlite3.connect(gur_db) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'layout'", (layout,))
    conn.close()
    before = gur_db.read_bytes()
    for command in (["sources"], ["load", str(raw(GUR.name))]):
        _one_line_error(_cli(*command, "--db", str(gur_db)), 4, *words)
    assert gur_db.read_bytes() == before


def test_a_file_that_is_no_database_or_a_directory(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all " * 200)
    _one_line_error(_cli("sources", "--db", str(junk)), 4, "not a sanctions-graph store")
    _one_line_error(_cli("load", str(raw(GUR.name)), "--db", str(junk)), 4,
                    "not a sanctions-graph store")
    assert junk.read_bytes() == b"not a database at all " * 200
    _one_line_error(_cli("sources", "--db", str(tmp_path)), 4, "not a file")


def _read_only_user() -> int | None:
    """Who can be denied writing: this user when not root (a directory's mode binds it), else
    `nobody` through setpriv (root writes anywhere)."""
    if os.geteuid() != 0:
        return None
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: no user a directory's mode would bind")
    return NOBODY


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[tuple[Path, int | None]]:
    """A store with its index in a directory the test's user cannot write (made outside
    pytest's private temporary directory, which `nobody` could not even enter)."""
    user = _read_only_user()
    base = Path(tempfile.mkdtemp(prefix="sg-readonly-"))
    try:
        folder = base / "store"
        folder.mkdir()
        db = folder / "s.db"
        with Store(db) as store:
            load_file(store, raw(GUR.name))
            ensure_index(store)
        (base / "rows.csv").write_text(ROW)
        for path in (base / "rows.csv", *folder.iterdir()):
            path.chmod(0o644)
        base.chmod(0o755)
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP
                     | stat.S_IROTH | stat.S_IXOTH)
        yield db, user
    finally:
        folder.chmod(0o755)
        shutil.rmtree(base)


def test_a_store_in_a_read_only_directory_reads_and_refuses_writes(
    read_only: tuple[Path, int | None],
) -> None:
    db, user = read_only
    home = db.parent.parent
    before = {p.name: p.read_bytes() for p in db.parent.iterdir()}
    owner = _cli("owner", "ZHUO YUAN", "--db", str(db), user=user, home=home)
    assert owner.returncode == 0, owner.stderr
    assert "9408683" in owner.stdout
    screen = _cli("screen", "--db", str(db), str(home / "rows.csv"), user=user, home=home)
    assert screen.returncode == 0, screen.stderr
    assert '"decision": "match"' in screen.stdout
    sources = _cli("sources", "--db", str(db), user=user, home=home)
    assert sources.returncode == 0 and "ua_gur_shadowfleet" in sources.stdout
    for command in (["load", str(raw("ofac_sdn_2024-05-03.csv"))], ["resolve"]):
        _one_line_error(_cli(*command, "--db", str(db), user=user, home=home), 4,
                        "read-only")
    _one_line_error(_cli("load", str(raw(GUR.name)), "--db", str(db.with_name("new.db")),
                         user=user, home=home), 4, "cannot create a store here")
    assert {p.name: p.read_bytes() for p in db.parent.iterdir()} == before

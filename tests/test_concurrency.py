"""Loads and screens racing, as users start them: separate processes on one store.

The failure this guards against (issue 13): a `screen` that built the index while a
`load --no-index` committed read the store outside one snapshot and stamped the index with the
generation read after its reads, so the next `screen` trusted an index without the new list and
answered `clear` for a listed ship. The ship here is ZHUO YUAN, IMO 9408683, on the GUR list and
not on the OFAC SDN list the store starts with (whose index takes seconds to build: the window).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from graph.store import Store
from queries.screening.index import index_path, is_fresh, read_index
from tests.conftest import GUR, OFAC_SDN, cli_command, cli_env, raw

ROW = "name,imo\nZHUO YUAN,9408683\n"


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(cli_command(*args), env=cli_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _decision(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    [line] = out.splitlines()
    return str(json.loads(line)["decision"])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The OFAC SDN list loaded, no index yet."""
    db = tmp_path_factory.mktemp("race") / "base.db"
    proc = _cli("load", "--db", str(db), "--no-index", str(raw(OFAC_SDN.name)))
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return db


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text(ROW)
    return path


def _copy(base: Path, db: Path) -> None:
    with sqlite3.connect(base) as src, sqlite3.connect(db) as dst:
        src.backup(dst)


def _index_knows_the_ship(db: Path) -> bool:
    with Store(db, create=False) as store:
        key = store.index_key()
        assert key is not None
        index = read_index(index_path(store), key)
        return (index is not None and is_fresh(index, store)
                and any("9408683" in e.imos for e in index.entities))


#: Delays spread over the index build, so the load commits early, midway and late in it.
@pytest.mark.parametrize("delay", [0.3, 1.0, 1.8])
def test_a_load_committing_while_a_screen_builds_the_index(
    base: Path, rows: Path, tmp_path: Path, delay: float
) -> None:
    db = tmp_path / "store.db"
    _copy(base, db)
    screen = _cli("screen", "--db", str(db), str(rows))
    time.sleep(delay)
    load = _cli("load", "--db", str(db), "--no-index", str(raw(GUR.name)))
    during = _decision(screen)
    _, err = load.communicate(timeout=300)
    assert load.returncode == 0, err
    assert during in {"clear", "match"}
    # The list is in the store now: whatever index the racing screen saved, the next screen
    # answers from the store as it is.
    assert _decision(_cli("screen", "--db", str(db), str(rows))) == "match"
    assert _index_knows_the_ship(db)


@pytest.mark.parametrize("delay", [0.0, 1.0])
def test_screens_running_while_a_load_commits_and_rebuilds(
    base: Path, rows: Path, tmp_path: Path, delay: float
) -> None:
    db = tmp_path / "store.db"
    _copy(base, db)
    assert _decision(_cli("screen", "--db", str(db), str(rows))) == "clear"  # index saved
    load = _cli("load", "--db", str(db), str(raw(GUR.name)))
    time.sleep(delay)
    answers: list[str] = []
    while load.poll() is None and len(answers) < 3:
        answers.append(_decision(_cli("screen", "--db", str(db), str(rows))))
    _, err = load.communicate()
    assert load.returncode == 0, err
    assert answers and set(answers) <= {"clear", "match"}
    # Once a screen has seen the list, none after it misses it.
    if "match" in answers:
        assert "clear" not in answers[answers.index("match"):], answers
    assert _decision(_cli("screen", "--db", str(db), str(rows))) == "match"
    assert _index_knows_the_ship(db)

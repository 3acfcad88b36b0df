"""Bounded work per name: a 100,000-character name, in a source file or in a screening file,
costs about what a normal name costs (issue 13, "never a wrong clear").

The `load` and `screen` commands run in subprocesses under a cap on their address space
(`RLIMIT_AS`). Measured before the bound: the screening index's one-letter deletions of a
100,000-letter word took about 10 GB (a load of such a name peaked at 10 GB resident and a
minute, and a screen of such a word, unknown to the index, as much); after it, a load of the
UN list and of the names below, and a screen of them, run in 0.35 GB of address space (they fail
at 0.25 GB, mostly for the libraries mapped). The cap leaves four times that.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from graph.matching.text import deletions
from graph.normalize import MAX_NAME_CHARS, MAX_WORD_CHARS
from graph.store import Store
from pipeline.ingest import load_file
from queries.screen import explain
from tests.conftest import raw

#: Address space each command may use (see the module's docstring).
MEMORY_CAP = 1536 * 2**20
UN = "un_consolidated_2026-02-27.xml"
LONG = 100_000

#: One word of 100,000 letters, and a name of 100,000 characters of many words: made up, the
#: names of no real ship, firm or person.
ONE_WORD = ("EXAMPLEWORD" * (LONG // 11 + 1))[:LONG]
MANY_WORDS = " ".join(f"EXAMPLE{i:05d}" for i in range(LONG // 12))[:LONG]
#: Another 100,000-letter word, which no list holds: the index looks up its typo neighbours.
UNKNOWN_WORD = ("QUUXPLACEHOLDER" * (LONG // 15 + 1))[:LONG]
BOUNDED_NOTE = f"compared on its first {MAX_NAME_CHARS:,} characters"


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`sanctions-graph ARGS` in a subprocess under MEMORY_CAP. One thread per math library
    and two malloc arenas: the address space a process reserves then does not grow with the
    machine's number of cores."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "graph.cli", *map(str, args)],
                          preexec_fn=_capped, capture_output=True, text=True, env=env,
                          timeout=600, check=False)


def write_example_source(path: Path) -> Path:
    """A hand-made FtM JSON-lines source file, an example for these tests only: two firms
    whose names are 100,000 characters long (one word; many words)."""
    lines = [
        {"id": "hand-made-example-one-word", "schema": "Company",
         "properties": {"name": [ONE_WORD]}, "datasets": ["hand_made_example"]},
        {"id": "hand-made-example-many-words", "schema": "Company",
         "properties": {"name": [MANY_WORDS]}, "datasets": ["hand_made_example"]},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def write_screening_file(path: Path, names: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name"])
        writer.writerows([str(i), name] for i, name in enumerate(names, start=1))
    return path


def screened(path: Path) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {row["id"]: row for row in rows}


def test_a_source_with_100k_character_names_loads_and_screens_under_a_memory_cap(
        tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    loaded = cli("load", "--db", db, raw(UN))
    assert loaded.returncode == 0, loaded.stderr
    # The first line of this file is longer than format detection reads: named.
    source = write_example_source(tmp_path / "example.ftm.jsonl")
    loaded = cli("load", "--db", db, "--format", "ftm", source)
    assert loaded.returncode == 0, loaded.stderr
    assert "2 entities" in loaded.stdout + loaded.stderr
    assert "screening index" in loaded.stderr  # rebuilt after the load, within the cap
    names = [ONE_WORD, MANY_WORDS, UNKNOWN_WORD, "AL-QAIDA"]
    out = tmp_path / "out.jsonl"
    result = cli("screen", "--db", db, write_screening_file(tmp_path / "in.csv", names),
                 "-o", out)
    assert result.returncode == 0, result.stderr
    rows = screened(out)
    for row, entity in (("1", "ftm:hand-made-example-one-word"),
                        ("2", "ftm:hand-made-example-many-words")):
        best = rows[row]["matches"][0]
        assert (rows[row]["decision"], best["entity_id"]) == ("match", entity)
        # Both names were compared on their bounded forms, and the explanation says so.
        assert best["explanation"].count(BOUNDED_NOTE) == 2
        assert len(best["explanation"]) < 3 * MAX_NAME_CHARS
    assert not any(m["entity_id"].startswith("ftm:") for m in rows["3"]["matches"])
    assert rows["4"]["decision"] == "match"
    assert rows["4"]["matches"][0]["sources"] == ["un_sc"]
    assert BOUNDED_NOTE not in rows["4"]["matches"][0]["explanation"]


def test_a_screening_file_of_100k_character_names_screens_under_a_memory_cap(
        tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    with Store(db) as store:
        load_file(store, raw(UN))
    names = [UNKNOWN_WORD, MANY_WORDS, "AL-QAIDA"]
    out = tmp_path / "out.jsonl"
    result = cli("screen", "--db", db, write_screening_file(tmp_path / "in.csv", names),
                 "-o", out)
    assert result.returncode == 0, result.stderr
    rows = screened(out)
    # Neither made-up name is like any listed one; the listed name beside them still matches.
    assert [(rows[i]["decision"], rows[i].get("error")) for i in ("1", "2")] == [
        ("clear", None), ("clear", None)]
    assert rows["3"]["decision"] == "match"
    assert rows["3"]["matches"][0]["sources"] == ["un_sc"]


def test_an_explanation_says_when_the_query_was_compared_on_its_bounded_form(
        tmp_path: Path) -> None:
    with Store(tmp_path / "store.db") as store:
        load_file(store, raw(UN))
        _, result = explain(store, "AL-QAIDA " + MANY_WORDS)
        _, plain = explain(store, "AL-QAIDA")
    assert result.matches and plain.matches
    for match in result.matches:
        assert f"query {BOUNDED_NOTE}" in match.explanation
        assert len(match.explanation) < 2 * MAX_NAME_CHARS  # the query quoted as compared
    assert not any(BOUNDED_NOTE in m.explanation for m in plain.matches)


def test_a_word_s_spellings_one_letter_apart_are_bounded() -> None:
    """The typo index's one-letter deletions, whose size grows with the square of the word's
    length, are those of the word's first MAX_WORD_CHARS letters."""
    spellings = deletions("abcdefghij" * 500)
    assert len(spellings) == MAX_WORD_CHARS + 1
    assert spellings[0] == ("abcdefghij" * 7)[:MAX_WORD_CHARS]
    assert all(len(s) == MAX_WORD_CHARS - 1 for s in spellings[1:])

"""Batch screening on Spark (`queries.screen.screen_spark`, local[2]) against the CLI's answers.

The rows come from real lists in ../shared/data/raw: names, types, countries and IMO numbers
of OFAC SDN entries as written, with an alias instead, a typo, a word dropped, and ships with
and without their IMO number; plus persons' names from the UN and EU 269/2014 lists, which the
store does not load (some are on the SDN list too: they match, as they should). Nothing is said
about any party that its list does not say.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pyspark.sql import SparkSession

import queries.screen as screen_module
from graph.model import Entity, Schema
from graph.store import Store
from loaders import eu_oj, ofac_csv, un_xml
from queries.screen import RESULT_COLUMNS, screen, screen_spark
from queries.screening.index import ScreenIndex, ensure_index
from tests.conftest import OFAC_SDN, raw

ROWS = 10_000
#: Rows from the lists the store does not load.
OTHER_ROWS = 2_000
COLUMNS = ("ref", "name", "type", "country", "imo")


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    """A small local Spark of two cores whose Python workers run this interpreter."""
    before = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("sanctions-graph-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "1g")
               .config("spark.sql.shuffle.partitions", "2")
               # Several Arrow batches per partition: the workers' matcher is reused.
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        if before is None:
            os.environ.pop("PYSPARK_PYTHON", None)
        else:
            os.environ["PYSPARK_PYTHON"] = before


@pytest.fixture(scope="module")
def index(ship_store: Store) -> ScreenIndex:
    built, _ = ensure_index(ship_store)
    return built


def _typo(name: str, rng: random.Random) -> str | None:
    """One letter of a long word replaced by the next one in the alphabet."""
    words = name.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha() and w.isascii()]
    if not long:
        return None
    i = rng.choice(long)
    at = rng.randrange(1, len(words[i]) - 1)
    letter = words[i][at]
    swapped = "a" if letter == "z" else "A" if letter == "Z" else chr(ord(letter) + 1)
    words[i] = words[i][:at] + swapped + words[i][at + 1:]
    return " ".join(words)


def _dropped(name: str, rng: random.Random) -> str | None:
    words = name.split()
    if len(words) < 3:
        return None
    del words[rng.randrange(len(words))]
    return " ".join(words)


def _rows() -> list[dict[str, str | None]]:
    rng = random.Random(14)
    listed = [r for r in ofac_csv.load(raw(OFAC_SDN.name)) if isinstance(r, Entity)]
    others = [name for path, loader in ((raw("un_consolidated_2026-02-27.xml"), un_xml),
                                        (raw("eu_oj_consolidated_32014R0269.csv"), eu_oj))
              for r in loader.load(path)
              if isinstance(r, Entity) and r.schema == Schema.PERSON
              for name in r.properties.get("name", ())[:1]]
    rows: list[dict[str, str | None]] = []
    while len(rows) < ROWS - OTHER_ROWS:
        entity = rng.choice(listed)
        props = entity.properties
        name = props["name"][0]
        how = rng.choice(("as listed", "alias", "typo", "dropped"))
        if how == "alias" and props.get("alias"):
            name = rng.choice(props["alias"])
        elif how == "typo":
            name = _typo(name, rng) or name
        elif how == "dropped":
            name = _dropped(name, rng) or name
        imo = props.get("imoNumber", (None,))[0] if rng.random() < 0.6 else None
        country = (props.get("flag") or props.get("country") or (None,))[0]
        rows.append({"name": name, "imo": imo,
                     "type": entity.schema.value if rng.random() < 0.5 else None,
                     "country": country if rng.random() < 0.5 else None})
    rows += [{"name": name, "imo": None, "type": "Person" if rng.random() < 0.5 else None,
              "country": None} for name in rng.sample(others, OTHER_ROWS)]
    rng.shuffle(rows)
    return [{"ref": f"r{number}", **row} for number, row in enumerate(rows)]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str | None]]:
    built = _rows()
    assert len(built) == ROWS
    return built


def _cli_answers(rows: list[dict[str, str | None]], store: Store,
                 tmp_path: Path) -> dict[str, dict[str, Any]]:
    """The rows screened by `sanctions-graph screen`, as a user runs it on a CSV file."""
    source = tmp_path / "customers.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows({k: v or "" for k, v in row.items()} for row in rows)
    out = tmp_path / "answers.jsonl"
    command = Path(sys.executable).with_name("sanctions-graph")
    run = subprocess.run([str(command), "screen", str(source), "-o", str(out),
                          "--db", str(store.path)],
                         capture_output=True, text=True, check=False, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    return {a["ref"]: a for a in answers}


def _frame(spark: SparkSession, rows: list[dict[str, str | None]]) -> Any:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return spark.createDataFrame(frame, ", ".join(f"{c} string" for c in COLUMNS))


def test_screen_spark_answers_as_the_cli_row_for_row(
        spark: SparkSession, ship_store: Store, index: ScreenIndex,
        rows: list[dict[str, str | None]], tmp_path: Path) -> None:
    cli = _cli_answers(rows, ship_store, tmp_path)
    assert len(cli) == ROWS
    answers = screen_spark(ship_store, _frame(spark, rows)).collect()
    assert [a.ref for a in answers] == [row["ref"] for row in rows]  # order and count kept
    for answer in answers:
        expected = cli[answer.ref]
        best = expected["matches"][0] if expected["matches"] else None
        got = (answer.decision, answer.entity_id, answer.score)
        assert got == (expected["decision"], best and best["entity_id"],
                       best and best["score"]), (answer.ref, answer.name, answer.imo)
        # Every match, field by field, as the CLI writes it (`Match.to_dict`).
        assert [m.asDict(recursive=True) for m in answer.matches] == expected["matches"]
        assert answer.error == expected.get("error")
        assert (answer.name, answer.imo) == (expected["name"] or None, expected["imo"] or None)
    decisions = {d: sum(a.decision == d for a in answers) for d in ("match", "review", "clear")}
    assert all(decisions.values()), decisions  # the rows reach every decision


def test_result_columns_beside_the_input_named_apart_where_taken(
        spark: SparkSession, ship_store: Store, index: ScreenIndex) -> None:
    rows = [{"name": "ANGARA", "imo": "9179842", "decision": "kept", "score": 7},
            {"name": "M LEASING LLC", "imo": None, "decision": None, "score": None}]
    frame = spark.createDataFrame(pd.DataFrame(rows),
                                  "name string, imo string, decision string, score long")
    out = screen_spark(ship_store, frame, limit=1, sources=["us_ofac_sdn"])
    assert out.columns == ["name", "imo", "decision", "score",
                           *(c if c not in ("decision", "score") else f"screen_{c}"
                             for c in RESULT_COLUMNS)]
    got = out.collect()
    assert [(r.decision, r.score) for r in got] == [("kept", 7), (None, None)]
    expected = list(screen(ship_store, [{"name": r["name"], "imo": r["imo"]} for r in rows],
                           index=index, limit=1, sources=["us_ofac_sdn"]))
    assert [(r.screen_decision, r.entity_id, r.screen_score) for r in got] == [
        (e.decision, e.matches[0].entity_id, e.matches[0].score) for e in expected]
    assert all(len(r.matches) == 1 for r in got)
    # Typed columns to query: the programmes of the best match, without parsing any JSON.
    [programs] = out.selectExpr("matches[0].programs AS p").where("imo = '9179842'").collect()
    assert programs.p == list(expected[0].matches[0].programs)


def test_an_index_that_cannot_be_read_beside_the_store_is_shipped_signed_for_this_run(
        spark: SparkSession, ship_store: Store, index: ScreenIndex, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As for a read-only store whose index could not be saved: no file beside the store to
    ship, so the fresh index is written for this run under a key of its own."""
    monkeypatch.setattr(screen_module, "index_path", lambda store: tmp_path / "none" / "x")
    frame = spark.createDataFrame(pd.DataFrame([{"name": "ANGARA", "imo": "9179842"}]),
                                  "name string, imo string")
    [answer] = screen_spark(ship_store, frame).collect()
    assert (answer.decision, answer.entity_id) == ("match", "vessel:IMO9179842")


def test_the_library_imports_without_pyspark_and_says_what_screen_spark_needs() -> None:
    """Without the `spark` extra (pyspark made unimportable) everything else imports, and
    screen_spark says in one line what to install."""
    code = """
import sys
sys.modules["pyspark"] = None
import queries.screen
from graph.errors import QueryError
try:
    queries.screen.screen_spark(None, None)
except QueryError as exc:
    print(exc)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "screen_spark needs PySpark: pip install 'sanctions-graph[spark]'"

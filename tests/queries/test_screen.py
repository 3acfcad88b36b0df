"""Batch screening on the real ship store (OFAC + GUR + tak + demo registry)."""

from __future__ import annotations

import csv
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from graph.cli import app
from graph.errors import QueryError, SourceError
from graph.matching.words import name_chain
from graph.store import Store
from pipeline.ingest import load_file
from queries.screen import explain, make_settings, screen, screen_frame
from queries.screening.index import ScreenIndex, ensure_index, index_path
from queries.screening.io import map_columns, parse_row, read_rows
from queries.screening.matcher import (
    MATCH_THRESHOLD,
    REVIEW_THRESHOLD,
    Matcher,
    Query,
    Result,
)
from tests.conftest import DEMO, GUR, ROOT

TANKER = "vessel:IMO9198783"  # MARIA, oil products tanker, GUR + tak + demo registry
CARGO = "vessel:IMO8517839"  # MARIA, general cargo, OFAC SDN 46773
ANGARA = "vessel:IMO9179842"
M_LEASING = "us_ofac_sdn:37065"
MARINE_TRANS = "company:IMO6183435"  # OFAC 37066 and the demo registry, one IMO company number


@pytest.fixture(scope="module")
def index(ship_store: Store) -> ScreenIndex:
    built, _ = ensure_index(ship_store)
    return built


def one(store: Store, index: ScreenIndex, **row: Any) -> Result:
    [result] = screen(store, [row], index=index)
    return result


def ids(result: Result) -> list[str]:
    return [m.entity_id for m in result.matches]


# -- the done-when cases ---------------------------------------------------------------------

def test_maria_with_imo_matches_the_tanker_and_not_the_cargo_ship(ship_store: Store,
                                                                  index: ScreenIndex) -> None:
    result = one(ship_store, index, name="MARIA", imo="9198783")
    assert result.decision == "match"
    assert result.matches[0].entity_id == TANKER
    assert result.matches[0].score == 1.0
    assert "IMO 9198783" in result.matches[0].explanation
    assert CARGO not in [m.entity_id for m in result.matches if m.score >= MATCH_THRESHOLD]


def test_a_conflicting_imo_holds_a_namesake_below_the_match_threshold(
        ship_store: Store, index: ScreenIndex) -> None:
    _, result = explain(ship_store, "MARIA", imo="9198783", index=index)
    cargo = next(m for m in result.matches if m.entity_id == CARGO)
    assert cargo.features["name"] == 1.0  # the names are the same ...
    assert cargo.score < REVIEW_THRESHOLD  # ... and the IMO still says no
    assert "conflicts" in cargo.explanation and "8517839" in cargo.explanation


def test_the_name_maria_alone_returns_both_ships(ship_store: Store, index: ScreenIndex) -> None:
    result = one(ship_store, index, name="MARIA", type="vessel")
    assert result.decision in ("match", "review")
    assert {TANKER, CARGO} <= set(ids(result))
    scores = {m.entity_id: m.score for m in result.matches}
    assert scores[TANKER] == scores[CARGO]  # a tie, shown: never a silent single pick


# -- matching features -----------------------------------------------------------------------

def test_an_identifier_decides_whatever_the_name(ship_store: Store, index: ScreenIndex) -> None:
    by_imo = one(ship_store, index, name="SCAN ARCTIC", imo="IMO 9179842")
    assert by_imo.matches[0].entity_id == ANGARA and by_imo.decision == "match"
    by_tax = one(ship_store, index, name="Unknown Trading House", identifier="9701173086")
    assert by_tax.matches[0].entity_id == M_LEASING and by_tax.decision == "match"
    assert "identifier 9701173086" in by_tax.matches[0].explanation


@pytest.mark.parametrize("name", [
    "MARINE TRANS SHIPPING",  # legal form dropped
    "Shipping Marine Trans LLC",  # word order
    "ООО МАРИНЕ ТРАНС ШИППИНГ",  # Cyrillic transliteration, Russian legal form
    "MARINE TRANS SHIPING LIMITED LIABILITY COMPANY",  # typo, legal form spelt out
])
def test_names_across_scripts_order_and_legal_forms(ship_store: Store, index: ScreenIndex,
                                                    name: str) -> None:
    result = one(ship_store, index, name=name, schema="Company")
    assert result.matches and result.matches[0].entity_id == MARINE_TRANS, result.matches[:2]


def test_vessel_prefixes_do_not_count(ship_store: Store, index: ScreenIndex) -> None:
    result = one(ship_store, index, name="M/V ANGARA", schema="Vessel")
    assert result.matches[0].entity_id == ANGARA and result.matches[0].score == 1.0


def test_birth_date_and_country_raise_or_lower_the_score(ship_store: Store,
                                                         index: ScreenIndex) -> None:
    name = "PUTIN, Vladimir Vladimirovich"
    plain = one(ship_store, index, name=name, type="person").matches[0]
    right = one(ship_store, index, name=name, type="person", dob="1952-10-07",
                nationality="Russia").matches[0]
    wrong = one(ship_store, index, name=name, type="person", dob="1971-01-01",
                nationality="Iran")
    assert right.entity_id == plain.entity_id
    assert right.features["date"] > 0 and right.features["country"] > 0
    assert all(m.entity_id != plain.entity_id or m.score < plain.score for m in wrong.matches)
    assert "birth date 1952-10-07 agrees" in right.explanation


def test_a_sibling_is_held_at_review_never_a_match(ship_store: Store,
                                                   index: ScreenIndex) -> None:
    """OFAC lists five children of Saddam Hussein: the name of one is the name of each other but
    for the given name. Only the one named matches; the others wait for a person to look."""
    result = one(ship_store, index, name="Ali Saddam Hussein al-Tikriti", type="person")
    assert result.decision == "match"
    scores = {m.entity_id: m for m in result.matches}
    assert scores["us_ofac_sdn:8187"].score == 1.0  # AL-TIKRITI, Ali Saddam Hussein
    siblings = [m for i, m in scores.items() if i in {
        "us_ofac_sdn:7844", "us_ofac_sdn:7845", "us_ofac_sdn:8188", "us_ofac_sdn:8192",
        "us_ofac_sdn:8193"}]
    assert siblings
    for sibling in siblings:
        assert REVIEW_THRESHOLD <= sibling.score < MATCH_THRESHOLD
        assert "a given name or surname differs" in sibling.explanation
    # His father's name is his without his own given name: a name chain, review at most.
    father = scores.get("us_ofac_sdn:7843")  # AL-TIKRITI, Saddam Hussein
    assert father is None or father.score < MATCH_THRESHOLD


@pytest.mark.parametrize(("one", "other", "chain"), [
    ("ali saddam hussein al tikriti", "saddam hussein al tikriti", True),
    ("saddam hussein al tikriti", "ali saddam hussein al tikriti", True),
    ("sheikh hassan dahir aweys", "hassan dahir aweys", False),  # a title, not a given name
    ("dr ali hassan", "ali hassan", False),
    ("sergey vladimirovich matviyenko", "sergey matviyenko", False),  # a patronymic
])
def test_name_chain(one: str, other: str, chain: bool) -> None:
    assert name_chain({one}, {other}) is chain


def test_a_batch_answers_each_row_as_it_would_alone(ship_store: Store,
                                                     index: ScreenIndex) -> None:
    """Rows are screened in batches: a row's answer never depends on the rows beside it."""
    rows = list(real_rows(index, 300))
    together = [r.to_dict() for r in screen(ship_store, rows, index=index, workers=1)]
    alone = [one(ship_store, index, **row).to_dict() for row in rows[::15]]
    assert alone == together[::15]


#: Run in a fresh interpreter: each (query, candidate node) similarity the matcher ranks by,
#: exactly, for queries of real names with their first word left out.
_SIMILARITIES = """
import json, sys
from pathlib import Path
from graph.store import Store
from queries.screen import make_settings
from queries.screening.index import ensure_index
from queries.screening.io import map_columns, parse_row
from queries.screening.matcher import Matcher
with Store(Path(sys.argv[1])) as store:
    index, _ = ensure_index(store)
matcher = Matcher(index, make_settings(index))
names = [n for e in index.entities for n in e.names if len(n.split()) >= 3]
rows = [{"name": names[(i * 7919) % len(names)].split(" ", 1)[1]} for i in range(1500)]
queries = [parse_row(r, i, map_columns(["name"])) for i, r in enumerate(rows)]
found = matcher._names_many(queries, [matcher._candidates(q, b) for q, b in
                            zip(queries, matcher.block_many(queries), strict=True)],
                            [0.0] * len(queries))
print(json.dumps([sorted((node, repr(sim)) for node, (sim, _, _) in f.items()) for f in found]))
"""


def test_similarities_are_the_same_in_every_process(ship_store: Store,
                                                    index: ScreenIndex) -> None:
    """Each process has its own string hash seed, so its own order of iterating a set of
    words; sums over such a set differed in their last bits from process to process, and
    the name two nearly equal ones of a node reported flipped between the CLI and Spark's
    workers. Summed in one order, every process gets the same floats."""
    runs = [subprocess.run([sys.executable, "-c", _SIMILARITIES, str(ship_store.path)],
                           capture_output=True, text=True, check=False, timeout=300,
                           env={**os.environ, "PYTHONHASHSEED": str(seed),
                                "PYTHONPATH": str(ROOT)})
            for seed in (0, 1, 2)]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    first, *others = (json.loads(run.stdout) for run in runs)
    assert sum(map(len, first)) > 10_000  # candidates enough to show a difference
    for other in others:
        assert [n for n, (a, b) in enumerate(zip(first, other, strict=True)) if a != b] == []


def test_sources_and_schema_narrow_the_screen(ship_store: Store, index: ScreenIndex) -> None:
    [result] = screen(ship_store, [{"name": "MARIA"}], index=index, sources=["us_ofac_sdn"])
    assert CARGO in ids(result) and TANKER not in ids(result)
    [people] = screen(ship_store, [{"name": "MARIA"}], index=index, schema="Person")
    assert all(m.schema == "Person" for m in people.matches)


def test_unreadable_rows_are_reported_in_order_never_dropped(ship_store: Store,
                                                            index: ScreenIndex) -> None:
    rows = [{"id": "a", "name": "ANGARA"}, {"id": "b", "name": ""},
            {"id": "c", "name": "ANGARA", "imo": "9179843"}, {"id": "d", "name": "ANGARA"}]
    results = list(screen(ship_store, rows, index=index))
    assert [r.id for r in results] == ["a", "b", "c", "d"]
    assert results[1].error == "no name" and results[1].decision == "review"
    assert results[2].error is not None and "check digit should be 2" in results[2].error
    assert results[0].error is None and results[3].matches


def test_names_without_letters_or_digits_are_unreadable_never_clear(ship_store: Store,
                                                                    tmp_path: Path) -> None:
    """Punctuation, emoji, symbols or invisible characters only: no word to compare. Such a row
    is reported unreadable with the reason (it was screened to `clear`); one with an IMO is
    screened by it, with a warning."""
    names = ["!!!", "🚢🚢", "★ ★", "\u200b\u200b", "-- / --", "   "]
    rows = [{"ref": f"r{i}", "name": name} for i, name in enumerate(names)]
    rows.append({"ref": "with-imo", "name": "...", "imo": "9179842"})
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["screen", str(source), "-o", str(out),
                                      "--db", str(ship_store.path)])
    assert result.exit_code == 0, result.output
    lines = {line["ref"]: line for line in map(json.loads, out.read_text().splitlines())}
    for i, name in enumerate(names[:-1]):
        line = lines[f"r{i}"]
        assert (line["decision"], line["matches"]) == ("review", [])
        assert line["error"] == f"name {name!r} has no letters or digits"
    assert lines[f"r{len(names) - 1}"]["error"] == "no name"  # whitespace is no name at all
    assert f"{len(names)} unreadable" in result.stderr
    by_imo = lines["with-imo"]
    assert by_imo["decision"] == "match" and by_imo["matches"][0]["entity_id"] == ANGARA
    assert "error" not in by_imo
    assert by_imo["warnings"] == ["name '...' has no letters or digits; screened by its IMO "
                                  "only"]
    # The library's paths read rows the same way.
    [one_row] = screen(ship_store, [{"name": "!!!"}], index=ensure_index(ship_store)[0])
    assert one_row.decision == "review" and one_row.error
    query, explained = explain(ship_store, "🚢", index=ensure_index(ship_store)[0])
    assert query.error and explained.decision == "review"
    # A query made in code, not read from a row, is held the same way by the matcher.
    matcher = Matcher(ensure_index(ship_store)[0], make_settings(ensure_index(ship_store)[0]))
    made = matcher.screen(Query(row=1, id="made", name="★ ★"))
    assert made.decision == "review" and made.error == "name '★ ★' has no letters or digits"


@pytest.mark.parametrize(("columns", "field", "column"), [
    (["Full Name", "DOB"], "name", "Full Name"),
    (["Full Name", "DOB"], "birth_date", "DOB"),
    (["Vessel_Name", "IMO Number"], "imo", "IMO Number"),
    (["counterparty", "Entity Type", "Tax ID"], "schema", "Entity Type"),
    (["counterparty", "Entity Type", "Tax ID"], "identifier", "Tax ID"),
    (["NAME", "Flag"], "country", "Flag"),
])
def test_columns_are_found_by_name_and_synonym(columns: list[str], field: str,
                                               column: str) -> None:
    assert map_columns(columns)[field] == column


def test_parse_row_reads_types_countries_and_dates() -> None:
    row = {"Name": "X", "Type": "ship", "Flag": "Russian Federation", "Built": "1998",
           "IMO": "IMO 9179842"}
    query = parse_row(row, 7, map_columns(list(row)))
    assert (query.schema, query.countries, query.date, query.imo) == (
        "Vessel", ("ru",), "1998", "9179842")
    assert query.row == 7 and query.id == "7" and query.error is None


# -- the index -------------------------------------------------------------------------------

def test_the_index_is_saved_beside_the_store_and_rebuilt_after_a_load(store: Store) -> None:
    load_file(store, DEMO / "registry.csv", source="demo_registry")
    first, built = ensure_index(store)
    assert built and index_path(store).exists()
    assert index_path(store).name == "test.db.screen-index"
    again, built_again = ensure_index(store)
    assert not built_again and again.generation == first.generation
    assert "ua_gur_shadowfleet" not in again.sources
    load_file(store, GUR)
    fresh, rebuilt = ensure_index(store)
    assert rebuilt and fresh.generation != first.generation
    assert "ua_gur_shadowfleet" in fresh.sources
    [result] = screen(store, [{"name": "MARIA", "imo": "9198783"}])
    assert result.matches[0].entity_id == TANKER  # registry and GUR merged on the IMO


def test_screen_frame(ship_store: Store, index: ScreenIndex) -> None:
    frame = pd.DataFrame({"name": ["ANGARA", "Zyxwv Qopl Nonexistent"], "note": [1, 2]},
                         index=[10, 20])
    out = screen_frame(ship_store, frame, index=index)
    assert list(out.index) == [10, 20] and list(out["note"]) == [1, 2]
    assert out.loc[10, "decision"] == "match" and out.loc[10, "entity_id"] == ANGARA
    assert out.loc[20, "decision"] == "clear" and out.loc[20, "matches"] == []


# -- the command line ------------------------------------------------------------------------

#: The output contract, checked on every line the CLI writes.
MATCH_FIELDS = {"entity_id": str, "caption": str, "schema": str, "score": float,
                "matched_name": str, "imo": (str, type(None)), "sources": list,
                "programs": list, "explanation": str}


def check_contract(line: dict[str, Any], limit: int = 5) -> None:
    assert isinstance(line["id"], str) and line["id"]
    assert line["decision"] in ("match", "review", "clear")
    matches = line["matches"]
    assert isinstance(matches, list) and len(matches) <= limit
    for match in matches:
        for field, kind in MATCH_FIELDS.items():
            assert isinstance(match[field], kind), (field, match)
        assert 0.0 <= match["score"] <= 1.0 and match["explanation"]
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
    top = matches[0]["score"] if matches else 0.0
    if "error" in line:
        assert line["decision"] == "review" and not matches
    elif line["decision"] == "match":
        assert top >= MATCH_THRESHOLD
    elif line["decision"] == "review":
        # At or above the match threshold only as a close call, its rivals named.
        assert REVIEW_THRESHOLD <= top < MATCH_THRESHOLD \
            or matches[0]["features"].get("close_call", 0) >= 1, matches[0]
    else:
        assert not matches


def real_rows(index: ScreenIndex, count: int) -> Iterator[dict[str, str]]:
    """Rows made from real list names, cycling through every name of the store."""
    names = [(e.schema, n) for e in index.entities for n in e.names]
    for i in range(count):
        schema, name = names[(i * 7919) % len(names)]
        yield {"ref": f"r{i}", "Name": name, "Type": schema if i % 3 else "",
               "desk": f"desk {i % 4}"}


def test_screen_file_is_the_library_s_file_to_file_run(ship_store: Store, index: ScreenIndex,
                                                       tmp_path: Path) -> None:
    """`queries.screen.screen_file`, what the CLI's `screen` runs: the writer chosen by the
    output's suffix (or a text stream), the decisions counted, progress told with the total,
    and an output of no known suffix refused before any row is read."""
    import io

    from queries.screen import screen_file

    source = tmp_path / "rows.csv"
    rows = [*real_rows(index, 300), {"ref": "bad", "Name": "!!!", "Type": "", "desk": "x"}]
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    matcher = Matcher(index, make_settings(index))
    ticks: list[tuple[int, int]] = []
    counts = screen_file(matcher, source, tmp_path / "out.jsonl", workers=1,
                         progress=lambda done, total: ticks.append((done, total)))
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    decisions = [line["decision"] for line in lines]
    assert counts.rows == len(lines) == 301 and ticks[-1] == (301, 301)
    assert (counts.match, counts.review, counts.clear) == tuple(
        decisions.count(d) for d in ("match", "review", "clear"))
    assert counts.unreadable == sum(1 for line in lines if line.get("error")) == 1
    stream = io.StringIO()
    assert screen_file(matcher, source, stream, workers=1) == counts
    assert [json.loads(x)["decision"] for x in stream.getvalue().splitlines()] == decisions
    table = screen_file(matcher, source, tmp_path / "out.xlsx", workers=1)
    assert table == counts and load_workbook(tmp_path / "out.xlsx").active.max_row > 301
    with pytest.raises(QueryError, match="cannot tell the output format"):
        screen_file(matcher, tmp_path / "no such file.csv", tmp_path / "out.txt")


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int | None, int]]:
    """Record every progress bar the screen command draws (stderr made to look like a
    terminal, so the real bar is drawn too)."""
    monkeypatch.setattr(importlib.import_module("graph.cli.app"), "show_progress", lambda: True)
    module = importlib.import_module("graph.cli.screen")
    real = module.progress_bar
    seen: list[tuple[str, int | None, int]] = []

    @contextmanager
    def recording(label: str, total: int | None = None) -> Iterator[Callable[..., None]]:
        with real(label, total) as update:
            def tick(done: int, known: int | None = None) -> None:
                seen.append((label, known if known is not None else total, done))
                update(done, known)
            yield tick

    monkeypatch.setattr(module, "progress_bar", recording)
    return seen


def test_ten_thousand_rows_screen_from_the_cli_with_a_progress_bar(
        ship_store: Store, index: ScreenIndex, tmp_path: Path,
        bars: list[tuple[str, int | None, int]]) -> None:
    source = tmp_path / "counterparties.csv"
    rows = list(real_rows(index, 10_000))
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "screened.jsonl"
    result = CliRunner().invoke(app, ["screen", str(source), "-o", str(out),
                                      "--db", str(ship_store.path)])
    assert result.exit_code == 0, result.output
    screening = [(total, done) for label, total, done in bars
                 if label == "screening counterparties.csv"]
    assert screening and screening[-1] == (10_000, 10_000)
    assert "screened 10,000 rows" in result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 10_000
    assert [line["ref"] for line in lines] == [r["ref"] for r in rows]  # order, pass-through
    for line in lines:
        check_contract(line)
        assert line["desk"].startswith("desk ")
    # Real names screened as written find themselves: a match, or a close call when another
    # listed entity of that name cannot be the same (two ships of one name, two on one list).
    found = [line for line in lines if line["matches"]
             and line["matches"][0]["score"] >= MATCH_THRESHOLD]
    assert len(found) >= 9_900
    close = [line for line in found if line["decision"] == "review"]
    assert all(line["matches"][0]["features"]["close_call"] >= 1 for line in close)
    assert len(close) < len(found) // 10


def test_csv_and_xlsx_output_flatten_one_line_per_match(ship_store: Store, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Reference", "Vessel Name", "IMO", "Desk"])
    sheet.append(["v1", "MARIA", None, "ops"])
    sheet.append(["v2", "MARIA", 9198783, "ops"])
    sheet.append(["v3", None, None, "ops"])
    source = tmp_path / "ships.xlsx"
    book.save(source)
    runner = CliRunner()
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"out{suffix}"
        result = runner.invoke(app, ["screen", str(source), "-o", str(out), "--db",
                                     str(ship_store.path)])
        assert result.exit_code == 0, result.output
        if suffix == ".csv":
            with out.open(encoding="utf-8") as handle:
                flat = list(csv.DictReader(handle))
        else:
            values = list(load_workbook(out).worksheets[0].iter_rows(values_only=True))
            flat = [dict(zip(values[0], ["" if v is None else str(v) for v in row],
                             strict=True)) for row in values[1:]]
        v1 = [r for r in flat if r["Reference"] == "v1"]
        assert {TANKER, CARGO} <= {r["entity_id"] for r in v1}
        v2 = [r for r in flat if r["Reference"] == "v2"]
        assert v2[0]["entity_id"] == TANKER and v2[0]["decision"] == "match"
        v3 = [r for r in flat if r["Reference"] == "v3"]
        assert len(v3) == 1 and v3[0]["error"] == "no name" and v3[0]["Desk"] == "ops"
        assert "1 unreadable" in result.stderr


def test_fail_on_match_and_stdout(ship_store: Store, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"name": "ANGARA", "imo": "9179842"}) + "\n", encoding="utf-8")
    clean = tmp_path / "clean.jsonl"
    clean.write_text(json.dumps({"name": "Zyxwv Qopl Nonexistent"}) + "\n", encoding="utf-8")
    runner = CliRunner()
    db = ["--db", str(ship_store.path)]
    hit = runner.invoke(app, ["screen", str(source), "-o", "-", "--fail-on-match", *db])
    assert hit.exit_code == 1
    check_contract(json.loads(hit.stdout.splitlines()[0]))
    assert runner.invoke(app, ["screen", str(clean), "--fail-on-match", *db]).exit_code == 0
    assert runner.invoke(app, ["screen", str(source), *db]).exit_code == 0


def test_explain_prints_the_reasoning(ship_store: Store) -> None:
    result = CliRunner().invoke(app, ["screen", "MARIA", "--explain", "--imo", "9198783",
                                      "--db", str(ship_store.path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("'MARIA' (Vessel, IMO 9198783): MATCH")
    assert "IMO 9198783 is this ship's (decides)" in out
    assert "IMO 9198783 conflicts with this ship's IMO 8517839" in out
    assert "below review" in out


def test_bad_input_is_one_line_error(ship_store: Store, tmp_path: Path) -> None:
    source = tmp_path / "nonames.csv"
    source.write_text("ref,desk\n1,a\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["screen", str(source), "--db", str(ship_store.path)])
    assert result.exit_code == 2
    assert "no name column" in result.stderr
    unknown = CliRunner().invoke(app, ["screen", str(source), "--sources", "nope",
                                       "--db", str(ship_store.path)])
    assert unknown.exit_code == 3 and "unknown source(s) nope" in unknown.stderr


@pytest.mark.parametrize("name", ["Дмитрий Евгеньевич ШУГАЕВ", "SHUGAEV, Dmitriy"])
def test_transliteration_variants_meet_by_their_consonant_skeleton(
        ship_store: Store, index: ScreenIndex, name: str) -> None:
    # OFAC spells him SHUGAYEV, Dmitry; the Cyrillic reads as SUGAEV DMITRIJ.
    result = one(ship_store, index, name=name, type="person")
    assert result.matches[0].entity_id == "us_ofac_sdn:35746"
    assert result.decision in ("match", "review")


def test_a_name_missing_only_a_common_word_still_matches(ship_store: Store,
                                                         index: ScreenIndex) -> None:
    # SERGEY MATVIYENKO is in MATVIYENKO, Sergey Vladimirovich, whose missing word
    # (VLADIMIROVICH) many names share: it covers most of the name's rarity.
    result = one(ship_store, index, name="Sergey MATVIYENKO", type="person")
    assert result.matches[0].entity_id == "us_ofac_sdn:38616"
    assert result.decision == "match"


@pytest.mark.parametrize(("written", "caption"), [
    ("عدي صدام حسين التكريتي", "UDAY"),  # UDAY SADDAM HUSSEIN AL-TIKRITI
    ("طاهر جليل حبوش التكريتي", "HABBUSH"),  # TAHIR JALIL HABBUSH AL-TIKRITI
])
def test_a_name_in_arabic_script_finds_the_latin_listing(ship_store: Store, index: ScreenIndex,
                                                         written: str, caption: str) -> None:
    """OFAC writes these names in Latin letters only. Arabic script writes no short vowels:
    the names meet by their consonants, and the brothers (QUSAY SADDAM HUSSEIN...) and the
    father, one word apart, stay at review."""
    result = one(ship_store, index, name=written, type="person")
    top = result.matches[0]
    assert result.decision == "match", result.to_dict()
    assert caption in top.caption.upper()
    assert "same consonants across scripts" in top.explanation
    assert all(m.score < MATCH_THRESHOLD for m in result.matches[1:])


def test_abjad_keys_of_latin_and_arabic_spellings_agree() -> None:
    from graph.matching.text import abjad_key, match_tokens

    def key(name: str) -> str:
        return abjad_key(match_tokens(name, "Person"))

    assert key("TAHIR JALIL HABBUSH AL-TIKRITI") == key("طاهر جليل حبوش التكريتي")
    assert key("ABDUL WAHED SHAFIQ") == key("عبد الواحد شفيق")
    assert key("MOHAMMAD YAQOUB") == key("محمد يعقوب")
    assert key("MOHAMMAD YAQOUB") != key("MOHAMMAD YUSUF")


def test_a_short_name_finds_the_organisation_it_is_the_initials_of(ship_store: Store) -> None:
    """OFAC lists the Islamic Movement of Uzbekistan with the alias IMU. Without that alias in
    the index, the query IMU still finds it by its initials, at review: initials are shared
    widely, so never a match on their own."""
    from queries.screening.index import build_index
    from queries.screening.matcher import Matcher, Query, Settings

    index = build_index(ship_store, sources=["us_ofac_sdn"],
                        exclude=lambda _cid, name: name == "IMU")
    result = Matcher(index, Settings()).screen(Query(1, "1", "IMU", "Organization"))
    assert result.decision == "review"
    top = result.matches[0]
    assert top.matched_name == "ISLAMIC MOVEMENT OF UZBEKISTAN"
    assert REVIEW_THRESHOLD <= top.score < MATCH_THRESHOLD
    assert "one name is the other's initials" in top.explanation


def test_acronym_forms() -> None:
    from graph.matching.text import acronyms

    assert acronyms(("islamic", "movement", "of", "uzbekistan")) == ("imou", "imu")
    assert acronyms(("imu",)) == ("imu",)
    assert acronyms(("rosoboronexport",)) == ()  # too long to be initials
    assert acronyms(("bureau", "39")) == ("b3",)


def test_results_travel_between_processes_unchanged(ship_store: Store,
                                                    index: ScreenIndex) -> None:
    """Workers send results back pickled (as their fields: `Match.__reduce__`)."""
    import pickle

    results = list(screen(ship_store, real_rows(index, 50), index=index, workers=1))
    assert any(r.matches for r in results)
    assert pickle.loads(pickle.dumps(results)) == results


def test_brothers_written_in_arabic_script_stay_apart(full_store: Store) -> None:
    """The UK and UN lists write Saddam Hussein's children in Arabic script too. As ICU spells
    that script their given names are two letters (عدي: DY, علي: LY), so they are told apart by
    their consonants: only UDAY matches UDAY; his brothers, sisters and father wait at review."""
    built, _ = ensure_index(full_store)
    [result] = screen(full_store, [{"name": "عدي صدام حسين التكريتي", "type": "person"}],
                      index=built, limit=20)
    matched = [m for m in result.matches if m.score >= MATCH_THRESHOLD]
    assert matched and all("UDAY" in m.caption.upper() for m in matched), result.to_dict()
    assert any("SADDAM HUSSEIN" in m.caption.upper() and "UDAY" not in m.caption.upper()
               for m in result.matches)  # the relatives are there, at review


@pytest.mark.parametrize(("typed", "listed"), [("M/V MOLEULE", "MOLECULE"),
                                               ("KAREIYA", "KARELIYA")])
def test_a_word_one_typo_from_a_listed_one_finds_it(full_store: Store, typed: str,
                                                    listed: str) -> None:
    """A word the index does not know is looked up by its spellings with a letter left out
    (SymSpell's way): the listed word one typo away is found, not only names sharing its
    letter triples (MOLECULE was beaten to the candidates by MEHLE and MOLLY)."""
    built, _ = ensure_index(full_store)
    [result] = screen(full_store, [{"name": typed, "type": "vessel"}], index=built)
    assert result.matches[0].matched_name.upper() == listed, result.to_dict()


_NAME_TEXT = st.text(alphabet=st.one_of(
    st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")),
    st.sampled_from("abcdefghij -'،ابتثجحخ абвгд 金山")), max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_NAME_TEXT, st.sampled_from([None, "Person", "Company",
                                                       "Organization", "LegalEntity",
                                                       "Vessel"])),
                min_size=1, max_size=20))
def test_any_name_in_any_script_screens_to_a_well_formed_answer(
        index: ScreenIndex, rows: list[tuple[str, str | None]]) -> None:
    """Names in any script, punctuation only, or empty: every row gets an answer, scores in
    [0, 1] and best first (the Arabic-script, initials and typo paths included)."""
    from queries.screening.matcher import Matcher, Query, Settings

    queries = [Query(i, str(i), name, schema) for i, (name, schema) in enumerate(rows)]
    results = Matcher(index, Settings(review_threshold=0.0)).screen_many(queries)
    assert len(results) == len(queries)
    for result in results:
        assert result.decision in {"match", "review", "clear"}
        scores = [m.score for m in result.matches]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(("name", "tokens"), [
    # The EU list writes the LLC with a Latin C; two such firms matched each other at 0.93.
    ("Общество C Ограниченной Ответственностью Сонатек", ("sonatek",)),
    ("Общество с ограниченной ответственностью “Элиарс”", ("eliars",)),
    ("FEDERALNOE GOSUDARSTVENNOE UNITARNOE PREDPRIYATIE ROSMORPORT", ("rosmorport",)),
    ("FSUE ROSMORPORT", ("rosmorport",)),
    ("Федеральное государственное бюджетное учреждение Институт", ("institut",)),
    ("FGUP", ("fgup",)),  # nothing but a legal form: kept as written
])
def test_russian_legal_forms_are_not_part_of_the_name(name: str,
                                                      tokens: tuple[str, ...]) -> None:
    from graph.matching.text import match_tokens

    assert match_tokens(name, "Company") == tokens


def test_chinese_firm_names_meet_their_english_translation() -> None:
    """ICU spells 沈忠國際海運有限公司 `shen zhong guo ji hai yun you xian gong si`; the UN list
    translates it SHEN ZHONG INTERNATIONAL SHIPPING. The common words of Chinese firm names are
    put in English, but only for names written in Chinese characters: a Latin HAI YUN stays."""
    from graph.matching.text import match_tokens

    assert match_tokens("沈忠國際海運有限公司", "Company") == match_tokens(
        "SHEN ZHONG INTERNATIONAL SHIPPING", "Company")
    assert match_tokens("HAI YUN 6", "Company") == ("hai", "yun", "6")
    assert match_tokens("SHANGHAI BINGZHI GUOJI MAOYI YOUXIAN GONGSI", "Company") == (
        "shanghai", "bingzhi", "guoji", "maoyi")  # the legal form goes, the name stays


def test_explain_decides_as_screen_does_for_a_row_read_in_part(ship_store: Store) -> None:
    """A listed IMO number beside an unreadable MMSI: `screen` matches it by the IMO number,
    and `--explain` of the same row says the same (it said review)."""
    index = ensure_index(ship_store)[0]
    [screened] = screen(ship_store, [{"name": "ANGARA", "imo": "9179842", "mmsi": "12"}],
                        index=index)
    query, explained = explain(ship_store, "ANGARA", imo="9179842", mmsi="12", index=index)
    assert query.error and screened.error
    assert screened.decision == explained.decision == "match"
    query, explained = explain(ship_store, "ANGARA", mmsi="12", index=index)
    assert query.error and explained.decision == "review"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_two_columns_of_one_name_are_refused(suffix: str, tmp_path: Path) -> None:
    """An empty second `imo` column would have hidden the first (the later cell won)."""
    path = tmp_path / f"rows{suffix}"
    header, row = ["name", "imo", "note", "imo"], ["ANGARA", "9179842", "", ""]
    if suffix == ".csv":
        path.write_text(",".join(header) + "\n" + ",".join(row) + "\n")
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        sheet.append(row)
        book.save(path)
    with pytest.raises(SourceError, match=r"columns 2 and 4 are both named 'imo'; rename one"):
        read_rows(path)

"""Portfolios, decisions on hits and the audit trail (`queries.portfolio`, `queries.audit`).

On real lists: a copy of the session's ship store (the OFAC CSV set, both ship tables and the
demo registry) and portfolios of real names taken from it (node captions drawn with a fixed
seed, and the names of the motivating case). List updates are versions of the real GUR
shadow-fleet table with hand-made rows about made-up EXAMPLE ships appended (`EXAMPLE_GUR`):
only those rows change between versions (a row less, a vessel's flag changed, a vessel given
one more former name, a vessel listed or delisted), so no version states anything of a real ship
that the real table does not. Hand-made rows: one name holding markup and control characters
(hostile text for the HTML report) and one invented firm name no list holds; they stand for
themselves.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.errors import NotFoundError, QueryError, SourceError
from graph.store import Store
from pipeline.ingest import load_file
from queries.audit import export_run, replay_run, report_html, run_report, runs
from queries.portfolio import (
    CLEARED,
    CONFIRMED,
    FALSE_POSITIVE,
    OPEN,
    RAISED,
    add_portfolio,
    decide_hit,
    decisions,
    portfolio_rows,
    screen_portfolio,
)
from queries.screen import make_settings, screen_with
from queries.screening.index import ensure_index, index_path
from queries.screening.matcher import Matcher
from tests.conftest import GUR, OFAC_SDN, earlier_sdn, ofac_version, raw

HOSTILE = "ACME <script>alert('x')</script>\u202e TRADING"
#: Real names of the motivating case, and their rows' ids.
CASE = [
    {"id": "v-angara", "name": "ANGARA", "type": "vessel", "imo": "9179842"},
    {"id": "v-maria", "name": "MARIA", "type": "vessel", "flag": "Russia"},
    {"id": "c-mleasing", "name": "M LEASING LLC", "type": "company", "country": "Russia"},
    {"id": "c-mts", "name": "MARINE TRANS SHIPPING LLC", "type": "company"},
    {"id": "c-hostile", "name": HOSTILE, "type": "company"},
    {"id": "c-none", "name": "QUORVANT HALDIMAR ZEBULIN", "type": "company"},
]
SAMPLE = 150


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fleet(ship_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A copy of the ship store with its screening index (the copy holds the same key)."""
    ensure_index(ship_store)
    path = tmp_path_factory.mktemp("portfolio") / "fleet.db"
    target = sqlite3.connect(path)
    try:
        ship_store.conn.backup(target)
    finally:
        target.close()
    shutil.copyfile(index_path(ship_store), path.with_name(path.name + ".screen-index"))
    with Store(path) as store:
        yield store


@pytest.fixture(scope="module")
def rows(fleet: Store) -> list[dict[str, Any]]:
    captions = [r for r in fleet.conn.execute(
        "SELECT id, caption, schema FROM canon ORDER BY id")]
    drawn = random.Random(16).sample(captions, SAMPLE)
    return CASE + [{"id": f"n{i}", "name": caption, "type": schema}
                   for i, (_, caption, schema) in enumerate(drawn)]


@pytest.fixture(scope="module")
def book(fleet: Store, rows: list[dict[str, Any]],
         tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_jsonl(tmp_path_factory.mktemp("book") / "book.jsonl", rows)
    update = add_portfolio(fleet, "book", path)
    assert update.created and len(update.added) == update.rows == len(rows)
    return "book"


def test_adding_a_file_again_updates_rows_by_id(fleet: Store, tmp_path: Path,
                                                rows: list[dict[str, Any]]) -> None:
    first = add_portfolio(fleet, "updates", write_jsonl(tmp_path / "a.jsonl", rows[:20]))
    assert (first.created, len(first.added), first.rows) == (True, 20, 20)
    changed = [dict(r) for r in rows[1:21]]  # row 0 removed, row 20 added
    changed[0]["name"] = changed[0]["name"] + " HOLDING"
    changed[1]["note"] = "a column screening ignores"
    second = add_portfolio(fleet, "updates", write_jsonl(tmp_path / "b.jsonl", changed))
    assert second.created is False
    assert second.added == (rows[20]["id"],)
    assert second.removed == (rows[0]["id"],)
    assert second.changed == (rows[1]["id"], rows[2]["id"])
    assert second.unchanged == 17
    assert [r for _, r in portfolio_rows(fleet, "updates")] == changed
    # A file that cannot be a portfolio changes nothing.
    before = portfolio_rows(fleet, "updates")
    for bad in ([{"name": "NO ID"}], [{"id": "x", "name": "A"}, {"id": "x", "name": "B"}]):
        with pytest.raises(SourceError, match="id"):
            add_portfolio(fleet, "updates", write_jsonl(tmp_path / "bad.jsonl", bad))
    assert portfolio_rows(fleet, "updates") == before


def test_a_screen_is_recorded_with_the_lists_in_force(fleet: Store, book: str) -> None:
    summary = screen_portfolio(fleet, book, workers=1)
    [run] = [r for r in runs(fleet, book) if r.id == summary.run_id]
    loads = {(i.source, i.checksum, i.list_date) for i in fleet.loads(current_only=True)}
    assert {(v["source"], v["checksum"], v["list_date"]) for v in run.list_versions} == loads
    assert (run.algorithm, run.settings["threshold"], run.rows) == ("sg-screen", 0.9,
                                                                    SAMPLE + len(CASE))
    assert run.input_checksum == summary.input_checksum and len(run.input_checksum) == 64
    assert run.tool_version
    # Each row's recorded result is what `screen` gives the same rows.
    index, _ = ensure_index(fleet)
    plain = list(screen_with(Matcher(index, make_settings(index)),
                             [r for _, r in portfolio_rows(fleet, book)], workers=1))
    report = run_report(fleet, summary.run_id)
    assert [(r["id"], r["decision"], [(m["entity_id"], m["score"]) for m in r["matches"]])
            for r in report["rows"]] == [
        (p.id, p.decision, [(m.entity_id, m.score) for m in p.matches]) for p in plain]
    by_id = {r["id"]: r for r in report["rows"]}
    assert by_id["v-angara"]["decision"] == "match"
    assert by_id["c-none"]["status"] == "clear"
    # Real names drawn from the lists find a hit: none is answered clear.
    assert all(by_id[f"n{i}"]["matches"] for i in range(SAMPLE))


def test_a_cleared_hit_stays_cleared_and_decisions_are_kept(fleet: Store, book: str) -> None:
    first = screen_portfolio(fleet, book, workers=1)
    maria = next(r for r in first.attention if r["id"] == "v-maria")
    assert maria["status"] == "review" and len(maria["matches"]) >= 2  # both MARIA ships
    hits = [m["entity_id"] for m in maria["matches"]]
    for entity in hits:
        decide_hit(fleet, book, "v-maria", entity, FALSE_POSITIVE,
                   reason="our MARIA is a Maltese yacht, IMO 1010101", by="analyst a")
    confirm = decide_hit(fleet, book, "c-mleasing", next(
        r for r in first.attention if r["id"] == "c-mleasing")["matches"][0]["entity_id"],
        CONFIRMED, reason="the listed lessor", by="analyst b")
    second = screen_portfolio(fleet, book, workers=1)
    rows = {r["id"]: r for r in run_report(fleet, second.run_id)["rows"]}
    assert rows["v-maria"]["status"] == CLEARED
    assert [m["status"] for m in rows["v-maria"]["matches"]
            if m["entity_id"] in hits] == [CLEARED] * len(hits)
    assert rows["v-maria"]["matches"][0]["decision"]["reason"].startswith("our MARIA")
    assert rows["c-mleasing"]["status"] == CONFIRMED
    assert "v-maria" not in {r["id"] for r in second.attention}
    # A later verdict supersedes the confirmation; both are kept, with who and why.
    again = decide_hit(fleet, book, "c-mleasing", confirm.entity_id, FALSE_POSITIVE,
                       reason="a namesake in Kazan", by="analyst c")
    history = decisions(fleet, book, row_id="c-mleasing")
    assert [(d.id, d.verdict, d.who) for d in history] == [
        (confirm.id, CONFIRMED, "analyst b"), (again.id, FALSE_POSITIVE, "analyst c")]
    assert again.supersedes == confirm.id
    with pytest.raises(sqlite3.IntegrityError):
        fleet.conn.execute("DELETE FROM decisions WHERE id = ?", (confirm.id,))
    with pytest.raises(NotFoundError):
        decide_hit(fleet, book, "no-such-row", confirm.entity_id, CONFIRMED, reason="r", by="b")
    with pytest.raises(NotFoundError):
        decide_hit(fleet, book, "c-mleasing", "no:such", CONFIRMED, reason="r", by="b")
    with pytest.raises(QueryError, match="reason"):
        decide_hit(fleet, book, "c-mleasing", confirm.entity_id, CONFIRMED, reason=" ", by="b")


def test_the_report_is_self_contained_escaped_and_replays(fleet: Store, book: str,
                                                          tmp_path: Path) -> None:
    decide_hit(fleet, book, "c-mts", next(iter(
        m["entity_id"] for r in screen_portfolio(fleet, book, workers=1).attention
        if r["id"] == "c-mts" for m in r["matches"])), FALSE_POSITIVE,
        reason="<b>not</b> the Astrakhan firm", by="analyst <d>")
    summary = screen_portfolio(fleet, book, workers=1)
    saved = export_run(fleet, summary.run_id, tmp_path / "run.json")
    report = json.loads(saved.read_text(encoding="utf-8"))
    assert report == json.loads(json.dumps(run_report(fleet, summary.run_id), default=str))
    assert {"input_checksum", "list_versions", "algorithm", "settings", "tool_version",
            "started_at"} <= set(report["run"])
    page = report_html(report)
    export_run(fleet, summary.run_id, tmp_path / "run.html")
    assert (tmp_path / "run.html").read_text(encoding="utf-8") == page
    assert "<script" not in page and "\u202e" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;not&lt;/b&gt; the Astrakhan firm" in page
    assert "analyst &lt;d&gt;" in page
    assert report["run"]["input_checksum"] in page
    angara = next(r for r in report["rows"] if r["id"] == "v-angara")
    for reason in angara["matches"][0]["explanation"].split("; "):
        assert reason.replace("'", "&#x27;") in page
    assert "<link" not in page and "src=" not in page  # nothing fetched from outside
    # Re-running the recorded run against the same list versions gives the same results.
    replay = replay_run(fleet, summary.run_id, workers=1)
    assert replay.same and replay.rows == summary.rows
    assert report["run"]["weights"] == ensure_index(fleet)[0].weights.epoch
    # ... and only with the word weights it read: a run recorded with others is refused.
    with fleet.transaction() as conn:
        conn.execute("UPDATE screen_runs SET weights = 'other' WHERE id = ?", (summary.run_id,))
    try:
        with pytest.raises(QueryError, match="other word weights"):
            replay_run(fleet, summary.run_id, workers=1)
    finally:
        with fleet.transaction() as conn:
            conn.execute("UPDATE screen_runs SET weights = ? WHERE id = ?",
                         (report["run"]["weights"], summary.run_id))
    with pytest.raises(NotFoundError):
        run_report(fleet, 10_000)


def test_the_cli_adds_screens_clears_and_reports(fleet: Store, tmp_path: Path,
                                                 rows: list[dict[str, Any]]) -> None:
    runner = CliRunner()
    db = ["--db", str(fleet.path)]
    path = write_jsonl(tmp_path / "cli.jsonl", rows[:4])
    added = runner.invoke(app, ["portfolio", "add", "cli", str(path), "--json", *db])
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["rows"] == 4
    screened = runner.invoke(app, ["portfolio", "screen", "cli", "--json", "--workers", "1", *db])
    assert screened.exit_code == 0, screened.output
    summary = json.loads(screened.stdout)
    maria = next(r for r in summary["attention"] if r["id"] == "v-maria")
    entity = maria["matches"][0]["entity_id"]
    cleared = runner.invoke(app, ["portfolio", "clear", "cli", "v-maria", entity, "--reason",
                                  "another ship", "--by", "cli user", "--json", *db])
    assert cleared.exit_code == 0, cleared.output
    assert json.loads(cleared.stdout)["verdict"] == FALSE_POSITIVE
    shown = runner.invoke(app, ["audit", "show", str(summary["run_id"]), *db])
    assert shown.exit_code == 0 and "M LEASING" in shown.stdout
    replayed = runner.invoke(app, ["audit", "replay", str(summary["run_id"]), "--json", *db])
    assert replayed.exit_code == 0 and json.loads(replayed.stdout)["same"] is True
    missing = runner.invoke(app, ["audit", "show", "9999", *db])
    assert missing.exit_code == 3 and "no screening run 9999" in missing.output


# -- list updates ------------------------------------------------------------------------------

#: Hand-made GUR rows about made-up ships, for list versions: their IMO numbers (valid check
#: digits) and names are in no file of ../shared/data/raw, and their gur_ids are above the real
#: table's highest (1654). ZEPHYRINE is the one given a former name, QUORVANT the one whose flag
#: changes, HALDRIC the one delisted, BRILLOCK the one listed later.
EXAMPLE_GUR = {
    "ZEPHYRINE": "90001,EXAMPLE ZEPHYRINE,9990064,,,Panama,Crude Oil Tanker,,EXAMPLE MORVEN,2009,"
                 "listed\n",
    "QUORVANT": "90002,EXAMPLE QUORVANT,9990076,,,Panama,Crude Oil Tanker,,,2002,listed\n",
    "HALDRIC": "90003,EXAMPLE HALDRIC,9990088,,,unknown,Crude Oil Tanker,,,2003,listed\n",
    "BRILLOCK": "90004,EXAMPLE BRILLOCK,9990090,,,unknown,Crude Oil Tanker,,,2005,listed\n",
}


def gur_version(folder: Path, edit: Any, examples: tuple[str, ...]) -> Path:
    """A version of the real GUR table: its lines unchanged, then the `examples` rows of
    `EXAMPLE_GUR`, all passed through `edit` (which tests use on the example rows only)."""
    lines = raw(GUR.name).read_bytes().decode("utf-8").splitlines(keepends=True)
    lines += [EXAMPLE_GUR[name] for name in examples]
    folder.mkdir()
    path = folder / GUR.name
    path.write_text("".join(edit(lines)), encoding="utf-8")
    return path


def with_line(lines: list[str], gur_id: str, old: str, new: str) -> list[str]:
    out = []
    for line in lines:
        if line.startswith(f"{gur_id},"):
            assert old in line
            line = line.replace(old, new, 1)
        out.append(line)
    return out


def test_a_cleared_hit_stays_cleared_over_two_updates_and_returns_when_names_change(
        tmp_path: Path) -> None:
    examples = ("ZEPHYRINE", "QUORVANT", "BRILLOCK")
    with Store(tmp_path / "gur.db") as store:
        load_file(store, gur_version(tmp_path / "v1", lambda lines: lines, examples),
                  source="ua_gur_shadowfleet", list_date="2026-06-01")
        # The made-up EXAMPLE ZEPHYRINE, and real names of the list: TRACOS (1573) and ARINA
        # (1506), whose name also fits HANUMAN's former name Arin and ARINA A: with its best
        # hit cleared, those are still open, and the row is review.
        path = write_jsonl(tmp_path / "ships.jsonl", [
            {"id": "s1", "name": "EXAMPLE ZEPHYRINE", "type": "vessel"},
            {"id": "s2", "name": "TRACOS", "type": "vessel"},
            {"id": "s3", "name": "ARINA", "type": "vessel"}])
        add_portfolio(store, "ships", path)
        first = screen_portfolio(store, "ships", workers=1)
        hits = {r["id"]: r["matches"][0]["entity_id"] for r in first.attention}
        assert set(hits) == {"s1", "s2", "s3"}
        for row in ("s1", "s3"):
            decide_hit(store, "ships", row, hits[row], FALSE_POSITIVE,
                       reason="our ship of that name is another hull", by="analyst")

        def statuses() -> dict[str, tuple[str, str, list[str]]]:
            run = screen_portfolio(store, "ships", workers=1)
            out = {}
            for r in run_report(store, run.run_id)["rows"]:
                top = next(m for m in r["matches"] if m["entity_id"] == hits[r["id"]])
                out[r["id"]] = (r["status"], top["status"], top["changed"])
            return out

        assert statuses() == {"s1": (CLEARED, CLEARED, []), "s2": ("match", OPEN, []),
                              "s3": ("review", CLEARED, [])}
        # Update 1: the list less its last row (EXAMPLE BRILLOCK). Update 2: another vessel's
        # flag changes (EXAMPLE QUORVANT's).
        load_file(store, gur_version(tmp_path / "v2", lambda lines: lines[:-1], examples),
                  source="ua_gur_shadowfleet", list_date="2026-06-02")
        assert statuses()["s1"] == (CLEARED, CLEARED, [])
        load_file(store, gur_version(tmp_path / "v3", lambda lines: with_line(
            lines, "90002", ",Panama,", ",Cameroon,"), examples), source="ua_gur_shadowfleet",
            list_date="2026-06-03")
        assert statuses()["s1"] == (CLEARED, CLEARED, [])
        # Update 3: EXAMPLE ZEPHYRINE gains a former name: the cleared hit is raised with what
        # changed.
        load_file(store, gur_version(tmp_path / "v4", lambda lines: with_line(
            lines[:-1], "90001", "EXAMPLE MORVEN", "EXAMPLE MORVEN / EXAMPLE JADEWICK"),
            examples), source="ua_gur_shadowfleet", list_date="2026-06-04")
        now = statuses()
        assert now["s1"] == ("match", RAISED, ["names: added EXAMPLE JADEWICK"])
        assert now["s3"] == ("review", CLEARED, [])
        # The recorded runs say which list version each was screened against.
        dates = [r.list_versions[0]["list_date"] for r in runs(store, "ships")]
        assert dates == ["2026-06-01", "2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04"]
        # An older run cannot be replayed against other list versions.
        with pytest.raises(QueryError, match="other list versions"):
            replay_run(store, runs(store, "ships")[0].id)


# -- monitoring by difference ------------------------------------------------------------------

def between(store: Store, first: Any, second: Any) -> list[Any]:
    """The alerts (keys) between two recorded full screens of a portfolio."""
    from queries.monitor import alerts_between

    listed = set(ensure_index(store)[0].entity_ids)
    a = {r["id"]: r["matches"] for r in run_report(store, first.run_id)["rows"]}
    b = {r["id"]: r["matches"] for r in run_report(store, second.run_id)["rows"]}
    return sorted(alert.key() for row_id in b
                  for alert in alerts_between(row_id, a.get(row_id, []), b[row_id],
                                              listed.__contains__))


def test_monitoring_equals_the_difference_of_two_full_screens(tmp_path: Path) -> None:
    from queries.monitor import HIT_CHANGED, HIT_GONE, NEW_HIT, monitor_portfolio

    table = list(csv.DictReader(raw(GUR.name).read_text(encoding="utf-8").splitlines()))
    # The portfolio: every vessel name of the real table and of the made-up EXAMPLE rows (names
    # only), and the first hundred real ones with their IMO number too.
    names = [r["name"] for r in table] + [f"EXAMPLE {name}" for name in EXAMPLE_GUR]
    imos = [r["imo"] for r in table]
    rows = [{"id": f"v{i}", "name": n, "type": "vessel"} for i, n in enumerate(names)]
    rows += [{"id": f"i{i}", "name": names[i], "imo": imos[i]} for i in range(100)]
    with Store(tmp_path / "monitor.db") as store:
        # Version 1: the real table with EXAMPLE ZEPHYRINE, QUORVANT and HALDRIC.
        load_file(store, gur_version(tmp_path / "v1", lambda ls: ls,
                                     ("ZEPHYRINE", "QUORVANT", "HALDRIC")),
                  source="ua_gur_shadowfleet", list_date="2026-06-01")
        add_portfolio(store, "fleet", write_jsonl(tmp_path / "fleet.jsonl", rows))
        first = screen_portfolio(store, "fleet", workers=1)
        # Version 2: EXAMPLE BRILLOCK listed, HALDRIC delisted, ZEPHYRINE given a former name
        # and QUORVANT another flag; and the portfolio gains a row and changes one.
        load_file(store, gur_version(tmp_path / "v2", lambda ls: with_line(with_line(
            ls, "90001", "EXAMPLE MORVEN", "EXAMPLE MORVEN / EXAMPLE JADEWICK"),
            "90002", ",Panama,", ",Cameroon,"), ("ZEPHYRINE", "QUORVANT", "BRILLOCK")),
            source="ua_gur_shadowfleet", list_date="2026-06-02")
        rows[5] = {**rows[5], "name": "ARINA"}
        rows.append({"id": "new", "name": "EXAMPLE JADEWICK", "type": "vessel"})
        add_portfolio(store, "fleet", write_jsonl(tmp_path / "fleet2.jsonl", rows))
        monitored = monitor_portfolio(store, "fleet", workers=1)
        second = screen_portfolio(store, "fleet", workers=1)
        assert sorted(a.key() for a in monitored.alerts) == between(store, first, second)
        kinds = {alert.kind for alert in monitored.alerts}
        assert kinds == {NEW_HIT, HIT_CHANGED, HIT_GONE}
        assert monitored.rows_screened < len(rows) / 10
        assert (monitored.rows_changed, monitored.rows_removed) == (2, 0)
        # Each alert names the diff behind it.
        renamed = next(a for a in monitored.alerts if a.kind == HIT_CHANGED
                       and a.caption == "EXAMPLE ZEPHYRINE")
        assert renamed.changed == ("names: added EXAMPLE JADEWICK",)
        assert [(d["kind"], d["record_id"], d["from"], d["to"]) for d in renamed.diff] == [
            ("changed", "9990064", "2026-06-01", "2026-06-02")]  # GUR records by IMO
        gone = {(a.row_id, a.caption, a.delisted) for a in monitored.alerts if a.kind == HIT_GONE}
        assert ("v5", "VALENTE", False) in gone  # the row now names ARINA
        delisted = next(a for a in monitored.alerts if a.kind == HIT_GONE and a.delisted)
        assert delisted.caption == "EXAMPLE HALDRIC"
        assert [(d["kind"], d["record_id"]) for d in delisted.diff] == [("delisted", "9990088")]


def misspelt(name: str, rng: random.Random) -> str:
    """A name with two neighbouring letters of its longest word swapped (a typing slip)."""
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 4:
        return name
    at = rng.randrange(1, len(word) - 2)
    words[longest] = word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return " ".join(words)


def test_monitoring_after_the_real_ofac_update_equals_two_full_screens(tmp_path: Path) -> None:
    """The real OFAC SDN update of 2024-05-03 over the lists of three other authorities: the
    load shifts the counts of words many unrelated names hold, which must move no other row's
    result (the weights are pinned), and the rows it can reach are found whatever way blocking
    reaches them (a word, a skeleton, a trigram or a typo of a word the index does not know)."""
    from queries.monitor import HIT_CHANGED, NEW_HIT, monitor_portfolio

    with Store(tmp_path / "lists.db") as store:
        for name in ("un_consolidated_2026-02-27.xml", "uk_ofsi_conlist_2025-04-10.xlsx",
                     "eu_oj_consolidated_32014R0269.csv"):
            load_file(store, raw(name))
        # The earlier version: the real list less a designation batch of 2023-12-12, entry
        # 39693 as it stood the day before (`earlier_sdn`), dated that day.
        load_file(store, ofac_version(tmp_path / "before", earlier_sdn()),
                  list_date="2023-12-11")
        # The portfolio: real names of the lists drawn with a fixed seed (every list's, the
        # OFAC batch's words among them), each also misspelt, the batch's names, and entry
        # 39693's name and IMO number as they stood.
        names = sorted(set(store.conn.execute(
            "SELECT n.name, n.schema FROM names n JOIN current c ON c.load_id = n.load_id")))
        rng = random.Random(2024)
        drawn = rng.sample(names, 1500)
        rows = [{"id": f"n{i}", "name": name, "type": schema}
                for i, (name, schema) in enumerate(drawn)]
        rows += [{"id": f"t{i}", "name": misspelt(name, rng), "type": schema}
                 for i, (name, schema) in enumerate(drawn)]
        rows += [{"id": "b-ibex", "name": "IBEX SHIPPING", "type": "company"},
                 {"id": "b-azia", "name": "AZIA SHIPPING HOLDING", "type": "company"},
                 {"id": "b-captain", "name": "CAPTAIN YAKUBOVICH", "type": "vessel"},
                 {"id": "r-39693", "name": "YOUNG YONG", "type": "vessel", "imo": "9194127"}]
        add_portfolio(store, "book", write_jsonl(tmp_path / "book.jsonl", rows))
        first = screen_portfolio(store, "book", workers=1)
        load_file(store, ofac_version(tmp_path / "after", raw(OFAC_SDN.name).read_bytes()),
                  list_date="2024-05-03")
        monitored = monitor_portfolio(store, "book", workers=1)
        assert monitored.whole is None
        second = screen_portfolio(store, "book", workers=1)
        assert ensure_index(store)[0].weights.changed > 0  # patched, weights kept
        assert sorted(a.key() for a in monitored.alerts) == between(store, first, second)
        assert {a.row_id for a in monitored.alerts if a.kind == NEW_HIT} >= {
            "b-ibex", "b-azia", "b-captain"}
        renamed = [a for a in monitored.alerts if a.row_id == "r-39693"]
        assert [(a.kind, a.caption) for a in renamed] == [(HIT_CHANGED, "SAINT LIGHT")]
        # Renamed, reflagged from Djibouti to Guyana, another MMSI (YOUNG YONG stays an alias
        # in the companion alt.csv).
        assert renamed[0].changed == ("names: added SAINT LIGHT",
                                      "mmsi: added 750514000; removed 621819067",
                                      "countries: added gy; removed dj")
        assert monitored.rows_screened < len(rows) / 5


def test_a_hit_gone_into_another_node_is_not_delisted() -> None:
    """A record that joined another node (here as the real 2024-05-03 OFAC update makes GUR's
    MARIA, IMO 8517839, part of vessel:IMO8517839) is listed still: its hit is gone, not
    delisted, and says where it went; a record no node holds any more is delisted. Hand-made
    hit dictionaries: they stand for themselves."""
    from queries.monitor import HIT_GONE, NEW_HIT, alerts_between
    from queries.portfolio import gone_label

    before = [{"entity_id": "ua_gur_shadowfleet:8517839", "caption": "MARIA", "score": 1.0,
               "facts": {}},
              {"entity_id": "us_ofac_sdn:99999", "caption": "GONE", "score": 0.9, "facts": {}}]
    now = [{"entity_id": "vessel:IMO8517839", "caption": "MARIA", "score": 1.0, "facts": {}}]
    nodes = {"ua_gur_shadowfleet:8517839": "vessel:IMO8517839"}
    alerts = alerts_between("r", before, now, {"vessel:IMO8517839"}.__contains__, nodes.get)
    assert [(a.kind, a.entity_id, a.delisted, a.merged_into) for a in alerts] == [
        (HIT_GONE, "ua_gur_shadowfleet:8517839", False, "vessel:IMO8517839"),
        (HIT_GONE, "us_ofac_sdn:99999", True, None),
        (NEW_HIT, "vessel:IMO8517839", False, None)]
    assert [gone_label(a.delisted, a.merged_into) for a in alerts] == [
        " (now part of vessel:IMO8517839)", " (delisted)", ""]

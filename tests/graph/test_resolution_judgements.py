"""Judgements: stored with who and when, win over scores and identifiers, survive reloads of every
source; and the CLI's resolve, judge, explain and review."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.resolution.engine import judge, judgements, resolve, review_queue
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import raw

#: Each list and the name a reloaded copy gets (a new file name is a new version).
LISTS = {
    "ofac_sdn_2024-05-03.csv": "ofac_sdn_2024-05-04.csv",
    "gur_shadowfleet_vessels_master.csv": "gur_shadowfleet_vessels_master_reloaded.csv",
    "tak_shadowfleet_2026-08-22.json": "tak_shadowfleet_2026-08-23.json",
    "eu_designated_vessels_annexXLII_2025-10-23.csv":
        "eu_designated_vessels_annexXLII_2025-10-24.csv",
}
OFAC_COMPANIONS = ("ofac_add_2025-01.csv", "ofac_alt_2025-01.csv",
                   "ofac_sdn_comments_2025-01.csv")

#: Hand-made registries about made-up ships and firms (EXAMPLE names; IMO 9990002 and 9990014
#: have valid check digits and occur in no file of ../shared/data/raw), loaded beside the real
#: lists: the judgements these tests record against the machine's view are about them, so no
#: test states that two real records are one party, or two parties, when they are not.
EXAMPLES = {
    "example_a": "vessel_imo,vessel_name,role,company_name,source,record_id\n"
                 "9990002,EXAMPLE SHIP ONE,operator,EXAMPLE ALPHA SHIPPING LLC,EXAMPLE,a-1\n",
    "example_b": "vessel_imo,vessel_name,role,company_name,source,record_id\n"
                 "9990002,EXAMPLE SHIP ONE,operator,EXAMPLE OMEGA HOLDINGS INC,EXAMPLE,b-1\n"
                 "9990014,EXAMPLE SHIP TWO,operator,EXAMPLE OMEGA HOLDINGS INC,EXAMPLE,b-2\n",
}
#: One IMO number, two sources: merged by the machine on every load.
SHIP_A, SHIP_B = "example_a:vessel:9990002", "example_b:vessel:9990002"
#: Two names with nothing in common: never merged by the machine.
FIRM_A, FIRM_B = "example_a:company:example alpha shipping llc", \
    "example_b:company:example omega holdings inc"
OTHER_SHIP = "example_b:vessel:9990014"


def _load(store: Store, folder: Path | None = None) -> None:
    for name, renamed in LISTS.items():
        path = raw(name)
        if folder is not None:
            copy = folder / renamed
            shutil.copyfile(path, copy)
            if name.startswith("ofac_sdn"):
                for companion in OFAC_COMPANIONS:
                    shutil.copyfile(raw(companion), folder / companion)
            path = copy
        # GUR's file name has no date, so its version is dated by the file's time: a reload
        # is dated after it explicitly.
        later = (date.today() + timedelta(days=1)).isoformat() if "gur" in name else None
        result = load_file(store, path, list_date=later if folder is not None else None)
        assert not result.unchanged
    for source, text in EXAMPLES.items():
        name = f"{source}_reloaded.csv" if folder is not None else f"{source}.csv"
        path = (folder or store.path.parent) / name
        path.write_text(text, encoding="utf-8")
        result = load_file(store, path, source=source,
                           list_date="2026-01-02" if folder is not None else "2026-01-01")
        assert not result.unchanged


@pytest.fixture(scope="module")
def resolved_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("judged") / "ships.db"
    with Store(path) as store:
        _load(store)
        resolve(store)
    return path


@pytest.fixture
def ships(resolved_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A fresh copy of the resolved store for each test (they write judgements)."""
    path = tmp_path / "ships.db"
    shutil.copyfile(resolved_file, path)
    with Store(path) as store:
        yield store


def test_judgements_survive_a_reload_of_every_source(ships: Store, tmp_path: Path) -> None:
    ship = ships.canonical_of(SHIP_A)
    assert ship == ships.canonical_of(SHIP_B)  # one IMO number: merged on every load
    assert ships.canonical_of(FIRM_A) != ships.canonical_of(FIRM_B)
    maria = ships.canonical_of("us_ofac_sdn:46773")
    before = judge(ships, SHIP_A, SHIP_B, "different", who="analyst-1", note="test")
    assert before.canonical_a != before.canonical_b  # the judgement wins over the IMO number
    judge(ships, FIRM_A, FIRM_B, "same", who="analyst-2")
    assert ships.canonical_of(FIRM_A) == ships.canonical_of(FIRM_B)

    folder = tmp_path / "reload"
    folder.mkdir()
    _load(ships, folder)  # a new version of every source, each becoming current
    assert all(info.path.startswith(str(folder)) for info in ships.loads(current_only=True))
    for step in ("after the loads alone", "after resolving again"):
        assert ships.canonical_of(SHIP_A) != ships.canonical_of(SHIP_B), step
        assert ships.canonical_of(FIRM_A) == ships.canonical_of(FIRM_B), step
        assert ships.canonical_of("us_ofac_sdn:46773") == maria, step  # untouched: same id
        if step == "after the loads alone":
            generation = ships.generation()
            report = resolve(ships)
            assert report.changed == 0 and report.scored == 0  # same records: nothing to score
            # Nothing changed: caches built on the store (screening index) stay valid.
            assert ships.generation() == generation
    trail = judgements(ships)
    assert [(j.verdict, j.who) for j in trail] == [("different", "analyst-1"),
                                                   ("same", "analyst-2")]
    assert all(j.at for j in trail)


def test_the_latest_judgement_wins(ships: Store) -> None:
    judge(ships, SHIP_A, SHIP_B, "different", who="a")
    assert ships.canonical_of(SHIP_A) != ships.canonical_of(SHIP_B)
    judge(ships, SHIP_A, SHIP_B, "same", who="b")
    assert ships.canonical_of(SHIP_A) == ships.canonical_of(SHIP_B)


def test_judge_explain_and_review_on_the_command_line(ships: Store) -> None:
    db = str(ships.path)
    runner = CliRunner()
    out = runner.invoke(app, ["resolve", "--db", db])
    assert out.exit_code == 0, out.output
    assert "candidate pairs of the changed scored" in out.stdout

    out = runner.invoke(app, ["explain", "us_ofac_sdn:37059", "us_ofac_sdn:44245", "--db", db])
    assert out.exit_code == 0, out.output
    assert "imo_ship_conflict" in out.stdout and "score 0.00" in out.stdout

    out = runner.invoke(app, ["judge", SHIP_A, SHIP_B, "different", "--by", "cli-user",
                              "--db", db])
    assert out.exit_code == 0, out.output
    assert "different (by cli-user" in out.stdout and "separate entities" in out.stdout

    out = runner.invoke(app, ["judge", SHIP_A, OTHER_SHIP, "same", "--db", db])
    assert out.exit_code == 0, out.output
    assert "not merged: different IMO ship numbers" in out.output

    out = runner.invoke(app, ["judge", "nowhere:1", SHIP_B, "same", "--db", db])
    assert out.exit_code != 0 and "no record or canonical entity" in out.output

    queue = review_queue(ships)
    assert queue, "the review band is empty"
    first = queue[0]
    # The reviewer's answer is the true one: tak's operator "Korea Samjong Shipping" (of the
    # North Korean ships SAM JONG 1 and SAM JONG 2) and OFAC's KOREA SAMJONG SHIPPING CO (DPRK4,
    # Pyongyang) are one firm, as their names and programmes say.
    assert {first.a.gid, first.b.gid} == {"tak_shadowfleet:operator:korea samjong shipping",
                                          "us_ofac_sdn:23712"}
    out = runner.invoke(app, ["review", "--db", db, "--by", "reviewer", "--limit", "2"],
                        input="s\nq\n")
    assert out.exit_code == 0, out.output
    assert first.a.gid in out.stdout and "1 judgement(s) recorded" in out.stdout
    latest = judgements(ships)[-1]
    assert (latest.a, latest.b, latest.verdict, latest.who) == (
        first.a.gid, first.b.gid, "same", "reviewer")
    assert first.a.gid not in {i.a.gid for i in review_queue(ships) if i.b.gid == first.b.gid}

    out = runner.invoke(app, ["review", "--db", db, "--json", "--limit", "1"])
    assert out.exit_code == 0 and out.stdout.lstrip().startswith("[")


def test_a_new_version_rescores_only_the_records_that_changed(ships: Store,
                                                              tmp_path: Path) -> None:
    # Two versions of the real GUR table, each with one hand-made row about the made-up EXAMPLE
    # SHIP ONE (gur_id 90001, above the table's highest): the second renames it.
    text = raw("gur_shadowfleet_vessels_master.csv").read_text(encoding="utf-8")
    row = "90001,{},9990002,,,unknown,Ro-Ro Cargo,,,1998,listed\n"
    for days, name in ((2, "EXAMPLE SHIP ONE"), (3, "EXAMPLE STAR ONE")):
        version = tmp_path / f"gur_shadowfleet_vessels_master_{days}.csv"
        version.write_text(text + row.format(name), encoding="utf-8")
        load_file(ships, version, list_date=(date.today() + timedelta(days=days)).isoformat())
        report = resolve(ships)
    assert report.changed == 1  # the renamed row only: every other record kept its fingerprint
    assert 0 < report.scored < 100
    assert ships.canonical_of("ua_gur_shadowfleet:9990002") == ships.canonical_of(SHIP_A)

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

ANGARA_TAK, ANGARA_GUR = "tak_shadowfleet:9179842", "ua_gur_shadowfleet:9179842"
IBEX, MTS_OPERATOR = "us_ofac_sdn:46768", "tak_shadowfleet:operator:marine trans shipping llc"


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
    angara = ships.canonical_of(ANGARA_TAK)
    assert angara == ships.canonical_of(ANGARA_GUR)  # one IMO number: merged on every load
    assert ships.canonical_of(IBEX) != ships.canonical_of(MTS_OPERATOR)
    maria = ships.canonical_of("us_ofac_sdn:46773")
    before = judge(ships, ANGARA_TAK, ANGARA_GUR, "different", who="analyst-1", note="test")
    assert before.canonical_a != before.canonical_b  # the judgement wins over the IMO number
    judge(ships, IBEX, MTS_OPERATOR, "same", who="analyst-2")
    assert ships.canonical_of(IBEX) == ships.canonical_of(MTS_OPERATOR)

    folder = tmp_path / "reload"
    folder.mkdir()
    _load(ships, folder)  # a new version of every source, each becoming current
    assert all(info.path.startswith(str(folder)) for info in ships.loads(current_only=True))
    for step in ("after the loads alone", "after resolving again"):
        assert ships.canonical_of(ANGARA_TAK) != ships.canonical_of(ANGARA_GUR), step
        assert ships.canonical_of(IBEX) == ships.canonical_of(MTS_OPERATOR), step
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
    judge(ships, ANGARA_TAK, ANGARA_GUR, "different", who="a")
    judge(ships, ANGARA_TAK, ANGARA_GUR, "same", who="b")
    assert ships.canonical_of(ANGARA_TAK) == ships.canonical_of(ANGARA_GUR)


def test_judge_explain_and_review_on_the_command_line(ships: Store) -> None:
    db = str(ships.path)
    runner = CliRunner()
    out = runner.invoke(app, ["resolve", "--db", db])
    assert out.exit_code == 0, out.output
    assert "candidate pairs of the changed scored" in out.stdout

    out = runner.invoke(app, ["explain", "us_ofac_sdn:37059", "us_ofac_sdn:44245", "--db", db])
    assert out.exit_code == 0, out.output
    assert "imo_ship_conflict" in out.stdout and "score 0.00" in out.stdout

    out = runner.invoke(app, ["judge", ANGARA_TAK, ANGARA_GUR, "different", "--by", "cli-user",
                              "--db", db])
    assert out.exit_code == 0, out.output
    assert "different (by cli-user" in out.stdout and "separate entities" in out.stdout

    out = runner.invoke(app, ["judge", "us_ofac_sdn:37059", "us_ofac_sdn:44245", "same",
                              "--db", db])
    assert out.exit_code == 0, out.output
    assert "not merged: different IMO ship numbers" in out.output

    out = runner.invoke(app, ["judge", "nowhere:1", ANGARA_GUR, "same", "--db", db])
    assert out.exit_code != 0 and "no record or canonical entity" in out.output

    queue = review_queue(ships)
    assert queue, "the review band is empty"
    first = queue[0]
    out = runner.invoke(app, ["review", "--db", db, "--by", "reviewer", "--limit", "2"],
                        input="d\nq\n")
    assert out.exit_code == 0, out.output
    assert first.a.gid in out.stdout and "1 judgement(s) recorded" in out.stdout
    latest = judgements(ships)[-1]
    assert (latest.a, latest.b, latest.verdict, latest.who) == (
        first.a.gid, first.b.gid, "different", "reviewer")
    assert first.a.gid not in {i.a.gid for i in review_queue(ships) if i.b.gid == first.b.gid}

    out = runner.invoke(app, ["review", "--db", db, "--json", "--limit", "1"])
    assert out.exit_code == 0 and out.stdout.lstrip().startswith("[")


def test_a_new_version_rescores_only_the_records_that_changed(ships: Store,
                                                              tmp_path: Path) -> None:
    text = raw("gur_shadowfleet_vessels_master.csv").read_text(encoding="utf-8")
    row = "33,ANGARA,9179842,"
    assert row in text
    changed = tmp_path / "gur_shadowfleet_vessels_master_changed.csv"
    changed.write_text(text.replace(row, "33,ANGARA STAR,9179842,"), encoding="utf-8")
    load_file(ships, changed, list_date=(date.today() + timedelta(days=2)).isoformat())
    report = resolve(ships)
    assert report.changed == 1  # GUR's ANGARA only: every other record kept its fingerprint
    assert 0 < report.scored < 100
    assert ships.canonical_of(ANGARA_GUR) == ships.canonical_of(ANGARA_TAK)

"""The screening index is built by the commands that change the merged view (once, at their
end), saved beside the store, and only read by the next screen."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from graph.cli import app
from graph.store import Store
from queries.screening.index import INDEX_SUFFIX, ScreenIndex, is_fresh, read_index
from tests.conftest import DEMO, GUR, raw

runner = CliRunner()
EU_VESSELS = "eu_designated_vessels_annexXLII_2025-10-23.csv"


def _index_file(db: Path) -> Path:
    return db.with_name(db.name + INDEX_SUFFIX)


def _read(db: Path) -> ScreenIndex | None:
    """The saved index, read as screening reads it: with the store's own key."""
    with Store(db) as store:
        key = store.index_key()
    assert key is not None
    return read_index(_index_file(db), key)


def _fresh(db: Path) -> bool:
    index = _read(db)
    assert index is not None, "no readable index beside the store"
    with Store(db) as store:
        return is_fresh(index, store)


def _index_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("screening index: ")]


def test_load_builds_the_index_once_and_a_reload_leaves_it(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = runner.invoke(app, ["load", "--db", str(db), str(raw(GUR.name)),
                                 str(raw(EU_VESSELS))])
    assert result.exit_code == 0, result.output
    # One build for the two files, said in one line on stderr; stdout keeps the load summaries.
    [line] = _index_lines(result.stderr)
    assert "entities, built in" in line
    assert "ua_gur_shadowfleet: loaded" in result.stdout and "eu_vessels: loaded" in result.stdout
    assert _fresh(db)
    built = _index_file(db).stat().st_mtime_ns
    again = runner.invoke(app, ["load", "--db", str(db), str(raw(GUR.name))])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.stdout
    assert _index_lines(again.stderr) == []
    assert _index_file(db).stat().st_mtime_ns == built
    assert _fresh(db)
    # A small list loaded later patches the saved index with its nodes, and says so.
    more = runner.invoke(app, ["load", "--db", str(db), str(DEMO / "registry.csv"),
                               "--source", "demo_registry"])
    assert more.exit_code == 0, more.output
    [patched] = _index_lines(more.stderr)
    assert "entities, patched in" in patched
    assert _fresh(db)


def test_no_index_leaves_none_and_json_stays_json(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = runner.invoke(app, ["load", "--db", str(db), "--no-index", "--json",
                                 str(DEMO / "registry.csv"), "--source", "demo_registry"])
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.stdout)
    assert summary["source"] == "demo_registry" and summary["entities"] == 4
    assert not _index_file(db).exists()
    assert result.stderr == ""
    # Without the flag the same kind of load builds it, and --json still prints JSON only.
    built = runner.invoke(app, ["load", "--db", str(db), "--json", str(raw(GUR.name))])
    assert built.exit_code == 0, built.output
    assert [s["source"] for s in json.loads(built.stdout)] == ["ua_gur_shadowfleet"]
    assert len(_index_lines(built.stderr)) == 1
    assert _fresh(db)


def test_resolve_and_judge_rebuild_it_only_after_a_change(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    loaded = runner.invoke(app, ["load", "--db", str(db), str(raw(GUR.name)),
                                 str(raw(EU_VESSELS))])
    assert loaded.exit_code == 0, loaded.output
    # Two hand-made registries naming one made-up ship (IMO 9990002 has a valid check digit
    # and is in no file of ../shared/data/raw): the pair the judgement below parts, so that no
    # test says two records of a real ship are two ships.
    for source, operator in (("example_a", "EXAMPLE ALPHA SHIPPING LLC"),
                             ("example_b", "EXAMPLE OMEGA HOLDINGS INC")):
        example = tmp_path / f"{source}.csv"
        example.write_text("vessel_imo,vessel_name,role,company_name,source\n"
                           f"9990002,EXAMPLE SHIP ONE,operator,{operator},EXAMPLE\n",
                           encoding="utf-8")
        loaded = runner.invoke(app, ["load", "--db", str(db), "--source", source, str(example)])
        assert loaded.exit_code == 0, loaded.output
    with Store(db) as store:
        before = store.generation()
    assert _read(db) is not None
    resolved = runner.invoke(app, ["resolve", "--db", str(db), "--json"])
    assert resolved.exit_code == 0, resolved.output
    # Its merges are the ships the IMO numbers already merged on load: the merged view is
    # unchanged, so the index is not rebuilt, and is still fresh.
    assert json.loads(resolved.stdout)["merges"] > 0
    assert _index_lines(resolved.stderr) == []
    index = _read(db)
    assert index is not None and index.generation == before
    assert _fresh(db)
    # A judgement that parts two merged records changes the merged view: fresh again after it.
    with Store(db) as store:
        a, b = store.conn.execute(
            "SELECT a, b FROM match_pairs WHERE decision = 'merge' AND a LIKE 'example_%' "
            "AND b LIKE 'example_%' ORDER BY a, b LIMIT 1"
        ).fetchone()
        assert {a, b} == {"example_a:vessel:9990002", "example_b:vessel:9990002"}
        assert store.canonical_of(a) == store.canonical_of(b)
        nodes = sum(1 for _ in store.iter_nodes())
    judged = runner.invoke(app, ["judge", "--db", str(db), a, b, "different", "--by", "test"])
    assert judged.exit_code == 0, judged.output
    assert len(_index_lines(judged.stderr)) == 1
    assert _fresh(db)
    with Store(db) as store:
        parted = {store.canonical_of(a), store.canonical_of(b)}
        assert len(parted) == 2 and sum(1 for _ in store.iter_nodes()) == nodes + 1
    index = _read(db)
    assert index is not None
    assert parted <= {e.id for e in index.entities}  # the new node is in the index already


def test_screen_reads_the_index_the_load_built(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    runner.invoke(app, ["load", "--db", str(db), str(raw(GUR.name))])
    built = _index_file(db).stat().st_mtime_ns
    rows = tmp_path / "rows.csv"
    rows.write_text("name,imo\nANGARA,9179842\n", encoding="utf-8")
    result = runner.invoke(app, ["screen", "--db", str(db), str(rows)])
    assert result.exit_code == 0, result.output
    assert _index_lines(result.stderr) == []
    assert _index_file(db).stat().st_mtime_ns == built
    [line] = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["decision"] == "match"
    # With the index gone, the screen builds it itself and says so in the same words.
    _index_file(db).unlink()
    again = runner.invoke(app, ["screen", "--db", str(db), str(rows)])
    assert again.exit_code == 0, again.output
    assert len(_index_lines(again.stderr)) == 1

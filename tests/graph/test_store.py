"""The embedded store: versions, idempotent loads, replacement, merging, and failed loads."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.errors import ShrinkError, SourceError, StoreError
from graph.identifiers import is_imo_company_number, is_imo_ship_number
from graph.model import Entity, Schema
from graph.store import LAYOUT_VERSION, MAX_SHRINK, Store
from pipeline.ingest import load_file
from tests.conftest import DEMO, GUR, OFAC_SDN, TAK, cli_command, cli_env, raw


def test_loading_the_same_file_twice_changes_nothing(store: Store) -> None:
    first = load_file(store, raw(GUR.name))
    before = store.snapshot()
    again = load_file(store, raw(GUR.name))
    assert again.unchanged
    assert again.info.id == first.info.id
    assert store.snapshot() == before


def test_a_load_records_source_checksum_date_and_counts(store: Store) -> None:
    info = load_file(store, raw(TAK.name)).info
    assert info.source == "tak_shadowfleet"
    assert info.list_date == "2026-08-22"
    assert info.list_date_origin == "file"  # its last_updated stamps
    assert len(info.checksum) == 64
    # 1,990 vessels and 432 distinct operators; 585 vessels name an operator.
    assert (info.entities, info.relations, info.sanctions) == (1990 + 432, 585, 0)
    assert info.current


#: A hand-made GUR row about a made-up ship (IMO 9990002 is in no file of
#: ../shared/data/raw; gur_id 90001 is above the real table's highest, 1654): what a newer
#: version of the real table adds, in these tests only.
EXAMPLE_GUR_ROW = "90001,EXAMPLE SHIP ONE,9990002,,,unknown,Crude Oil Tanker,,,2000,listed\n"


def _gur_copy(tmp_path: Path, name: str, add_example: bool = False) -> Path:
    """The real GUR table under another file name (which dates the version), with the made-up
    example row appended when asked."""
    text = raw(GUR.name).read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_text(text + (EXAMPLE_GUR_ROW if add_example else ""), encoding="utf-8")
    return path


def test_a_newer_version_replaces_the_source_and_history_is_kept(store: Store,
                                                                 tmp_path: Path) -> None:
    old = _gur_copy(tmp_path, "gur_2026-06-01.csv")
    new = _gur_copy(tmp_path, "gur_2026-06-02.csv", add_example=True)
    load_file(store, old)
    assert store.by_key("imo-ship:9990002") == []
    result = load_file(store, new)
    assert "replaces version 2026-06-01" in (result.note or "")
    assert store.by_key("imo-ship:9990002") == ["ua_gur_shadowfleet:9990002"]
    assert [(i.list_date, i.current) for i in store.loads()] == [
        ("2026-06-01", False), ("2026-06-02", True)]
    assert store.counts()["records"] == 1414 + 1


def test_an_older_version_is_kept_as_history(store: Store, tmp_path: Path) -> None:
    load_file(store, _gur_copy(tmp_path, "gur_2026-06-02.csv", add_example=True))
    result = load_file(store, _gur_copy(tmp_path, "gur_2026-06-01.csv"))
    assert "older than the current version" in (result.note or "")
    assert store.by_key("imo-ship:9990002") == ["ua_gur_shadowfleet:9990002"]


def test_same_imo_ship_number_is_one_vessel(ship_store: Store) -> None:
    [angara] = ship_store.by_key("imo-ship:9179842")
    node = ship_store.node(angara)
    assert node is not None
    assert node.schema == "Vessel"
    assert node.caption == "ANGARA"
    assert set(node.members) == {"us_ofac_sdn:37059", "ua_gur_shadowfleet:9179842",
                                 "tak_shadowfleet:9179842", "demo_registry:vessel:9179842"}


def test_same_imo_company_number_is_one_company(ship_store: Store) -> None:
    [mts] = ship_store.by_key("imo-company:6183435")
    node = ship_store.node(mts)
    assert node is not None
    assert set(node.members) == {"us_ofac_sdn:37066", "demo_registry:company:6183435"}


def test_ship_and_company_imo_numbers_never_merge(store: Store) -> None:
    # Made-up records A-D with example numbers that are in no file of ../shared/data/raw:
    # 9990002 is a valid ship number; a company claiming it as its IMO company number fails the
    # company check digit, so it is no merge key at all; a valid company number (9990003) lives
    # in its own key space.
    assert is_imo_ship_number("9990002") and not is_imo_company_number("9990002")
    assert is_imo_company_number("9990003") and not is_imo_ship_number("9990003")
    records = [
        Entity("ship", Schema.VESSEL, {"imoNumber": ("9990002",), "name": ("A",)}, "1"),
        Entity("firm", Schema.COMPANY, {"imoNumber": ("9990002",), "name": ("B",)}, "2"),
        Entity("firm2", Schema.COMPANY, {"imoNumber": ("9990003",), "name": ("C",)}, "3"),
        Entity("ship2", Schema.VESSEL, {"imoNumber": ("9990003",), "name": ("D",)}, "4"),
    ]
    store.write_load(source="handmade", format="test", path="-", checksum="x",
                     records=iter(records))
    canon = {g: store.canonical_of(f"handmade:{g}") for g in ("ship", "firm", "firm2", "ship2")}
    assert len(set(canon.values())) == 4


class _Boom(Exception):
    pass


def _exploding(records: list[Entity]):  # type: ignore[no-untyped-def]
    yield from records
    raise _Boom("loader failed half-way")


def test_a_failed_load_leaves_the_store_as_it_was(store: Store) -> None:
    load_file(store, raw(GUR.name))
    before = store.snapshot()
    records = [Entity(str(n), Schema.VESSEL, {"name": (f"X{n}",)}, str(n)) for n in range(100)]
    with pytest.raises(_Boom):
        store.write_load(source="ua_gur_shadowfleet", format="test", path="-", checksum="y",
                         records=_exploding(records))
    assert store.snapshot() == before


def test_a_killed_load_leaves_the_previous_state(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    with Store(db) as store:
        load_file(store, DEMO / "registry.csv", source="demo_registry")
        before = store.snapshot()
    proc = subprocess.Popen(
        cli_command("load", "--no-index", "--db", str(db), str(raw(OFAC_SDN.name))),
        env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The store is in write-ahead-log mode: a load's uncommitted pages spill into the log long
    # before it commits (the list is tens of megabytes of rows; the cache holds two).
    wal = db.with_name(db.name + "-wal")
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and (
            not wal.exists() or wal.stat().st_size < 4 << 20):
        time.sleep(0.01)
    assert proc.poll() is None, "the load finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Store(db) as store:
        assert store.snapshot() == before


def test_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a sanctions-graph store"):
        Store(path)


def test_missing_store_when_not_creating(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store here"):
        Store(tmp_path / "absent.db", create=False)


def test_unknown_file_is_rejected_before_any_write(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    shutil.copy(raw("SOURCES.md"), path)
    before = store.snapshot()
    with pytest.raises(SourceError, match="no loader recognises this file"):
        load_file(store, path)
    assert store.snapshot() == before


# -- versions that shrink -----------------------------------------------------------------------

#: Where the real sdn.csv was found cut (a download that stopped at a row boundary): the first
#: 8,077 of its 14,965 entries. ANGARA (37059) is row 10,122, beyond the cut.
CUT_ROWS = 8077


def _sdn(tmp_path: Path, name: str, rows: int | None = None, *, marker: bool = True) -> Path:
    """A copy of the real sdn.csv, alone in its folder (no companions), with its first `rows`
    rows (all when None), ending with OFAC's end-of-file byte as the real file does (`marker`)."""
    folder = tmp_path / name.removesuffix(".csv")
    folder.mkdir()
    data = raw(OFAC_SDN.name).read_bytes()
    lines = data.split(b"\r\n")
    assert lines[-1] == b"\x1a"
    kept = lines[:-1] if rows is None else lines[:rows]
    path = folder / name
    path.write_bytes(b"\r\n".join(kept) + b"\r\n" + (b"\x1a" if marker else b""))
    return path


@pytest.fixture(scope="module")
def sdn_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sdn")
    with Store(folder / "sdn.db") as s:
        info = load_file(s, _sdn(folder, "sdn.csv"), list_date="2024-05-03").info
    assert (info.entities, info.current) == (14965, True)
    return folder / "sdn.db"


@pytest.fixture
def sdn_store(sdn_store_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A store whose current us_ofac_sdn is the whole real sdn.csv of 2024-05-03 (a copy of
    one built once for the module)."""
    shutil.copy(sdn_store_file, tmp_path / "sdn.db")
    with Store(tmp_path / "sdn.db") as s:
        yield s


def test_a_cut_sdn_csv_is_refused_first_by_its_end_marker(sdn_store: Store,
                                                          tmp_path: Path) -> None:
    before = sdn_store.snapshot()
    cut = _sdn(tmp_path, "sdn_cut.csv", CUT_ROWS, marker=False)
    with pytest.raises(SourceError) as caught:
        load_file(sdn_store, cut, list_date="2024-05-04")
    assert not isinstance(caught.value, ShrinkError)
    assert str(caught.value) == (
        f"{cut}:line {CUT_ROWS}: expected OFAC's end-of-file byte 0x1A after the last row, "
        "found none: the file is cut short (an interrupted download?)")
    assert sdn_store.snapshot() == before


def test_a_new_version_that_drops_too_many_entities_is_refused(sdn_store: Store,
                                                               tmp_path: Path) -> None:
    before = sdn_store.snapshot()
    cut = _sdn(tmp_path, "sdn_cut.csv", CUT_ROWS)  # the marker appended: only the guard stands
    with pytest.raises(ShrinkError) as caught:
        load_file(sdn_store, cut, list_date="2024-05-04")
    assert str(caught.value) == (
        f"{cut.resolve()}: us_ofac_sdn: this version has 8,077 entities, the current one 14,965: "
        "it would drop 6,888 (46 %); pass --allow-shrink to accept")
    assert caught.value.exit_code == 2
    assert sdn_store.snapshot() == before
    assert sdn_store.by_key("imo-ship:9179842") == ["us_ofac_sdn:37059"]


def test_an_accepted_shrink_loads_and_is_recorded(sdn_store: Store, tmp_path: Path) -> None:
    cut = _sdn(tmp_path, "sdn_cut.csv", CUT_ROWS)
    result = load_file(sdn_store, cut, list_date="2024-05-04", allow_shrink=True)
    assert (result.info.entities, result.info.current) == (8077, True)
    assert result.info.shrink_accepted == 6888
    assert result.note == ("replaces version 2024-05-03 (load 1); has 6,888 fewer entities "
                           "(shrink accepted)")
    # Accepting it means what it says: the entries beyond the cut are gone from the view.
    assert sdn_store.by_key("imo-ship:9179842") == []
    assert [(i.list_date, i.current, i.shrink_accepted) for i in sdn_store.loads()] == [
        ("2024-05-03", False, None), ("2024-05-04", True, 6888)]


def test_the_share_a_version_may_lose_is_a_parameter(sdn_store: Store, tmp_path: Path) -> None:
    assert MAX_SHRINK == 0.10
    cut = _sdn(tmp_path, "sdn_cut.csv", CUT_ROWS)
    result = load_file(sdn_store, cut, list_date="2024-05-04", max_shrink=0.5)
    assert (result.info.current, result.info.shrink_accepted) == (True, None)


def test_a_first_growing_or_same_size_version_loads_as_before(store: Store,
                                                               tmp_path: Path) -> None:
    first = load_file(store, _sdn(tmp_path, "sdn_cut.csv", CUT_ROWS), list_date="2024-05-01")
    grown = load_file(store, _sdn(tmp_path, "sdn.csv"), list_date="2024-05-02")
    # Same content under another name: another checksum, so another version, of the same size.
    same = load_file(store, _sdn(tmp_path, "sdn_again.csv"), list_date="2024-05-03")
    assert [(r.info.entities, r.info.current, r.info.shrink_accepted)
            for r in (first, grown, same)] == [(8077, True, None), (14965, True, None),
                                               (14965, True, None)]
    assert [i.current for i in store.loads()] == [False, False, True]


def test_a_smaller_older_version_kept_as_history_is_not_refused(sdn_store: Store,
                                                                tmp_path: Path) -> None:
    result = load_file(sdn_store, _sdn(tmp_path, "sdn_cut.csv", CUT_ROWS),
                       list_date="2024-05-01")
    assert "older than the current version" in (result.note or "")
    assert (result.info.current, result.info.shrink_accepted) == (False, None)
    assert sdn_store.by_key("imo-ship:9179842") == ["us_ofac_sdn:37059"]


def test_a_layout_2_store_gains_the_shrink_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Store(path) as s:
        load_file(s, raw(GUR.name))
        # What a store of layout 2 is: the same tables without loads.shrink_accepted.
        s.conn.execute("ALTER TABLE loads DROP COLUMN shrink_accepted")
        s.conn.execute("UPDATE meta SET value = '2' WHERE key = 'layout'")
    with Store(path) as s:
        layout = s.conn.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
        assert layout == (str(LAYOUT_VERSION),)
        [info] = s.loads()
        assert (info.source, info.entities, info.shrink_accepted) == (
            "ua_gur_shadowfleet", 1414, None)


def test_a_layout_3_store_gains_the_change_log(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Store(path) as s:
        # The real table with the made-up example row appended.
        load_file(s, _gur_copy(tmp_path, "gur_2026-06-01.csv", add_example=True),
                  source="ua_gur_shadowfleet")
        # What a store of layout 3 is: the same tables without the log of view changes.
        s.conn.execute("DROP TABLE view_changes")
        s.conn.execute("DELETE FROM meta WHERE key = 'changes_from'")
        s.conn.execute("UPDATE meta SET value = '3' WHERE key = 'layout'")
    # A new version of the list: the real table alone, one row (the made-up ship) less.
    with Store(path) as s:
        generation = s.generation()
        assert s.changed_since(generation) == set()
        load_file(s, _gur_copy(tmp_path, "gur_2026-06-02.csv"), source="ua_gur_shadowfleet")
        changed = s.changed_since(generation)
        assert changed is not None and len(changed) == 1
        assert not changed & {r[0] for r in s.conn.execute("SELECT id FROM canon")}


def test_a_layout_5_store_gains_the_portfolio_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    new_tables = ("portfolios", "portfolio_rows", "screen_runs", "run_results", "decisions",
                  "portfolio_state", "portfolio_hits", "portfolio_tokens")
    with Store(path) as s:
        load_file(s, raw(GUR.name))
        # What a store of layout 5 is: the same tables without portfolios, runs and decisions.
        for table in new_tables:
            s.conn.execute(f"DROP TABLE {table}")
        s.conn.execute("UPDATE meta SET value = '5' WHERE key = 'layout'")
    with Store(path) as s:
        layout = s.conn.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
        assert layout == (str(LAYOUT_VERSION),) == ("7",)
        tables = {r[0] for r in s.conn.execute("SELECT name FROM sqlite_master")}
        assert set(new_tables) | {"decisions_never_updated", "decisions_never_deleted"} <= tables
        [info] = s.loads()
        assert (info.source, info.entities) == ("ua_gur_shadowfleet", 1414)
        # Decisions are append-only in the file itself.
        s.conn.execute(
            "INSERT INTO decisions (portfolio, row_id, entity_id, verdict, reason, who, at, "
            "row_print, entity_print, entity_facts) VALUES ('p', 'r', 'e', 'confirmed', 'why', "
            "'who', 'now', '', '', '{}')")
        for statement in ("DELETE FROM decisions", "UPDATE decisions SET reason = 'other'"):
            with pytest.raises(sqlite3.IntegrityError, match="never"):
                s.conn.execute(statement)


def test_a_layout_6_store_gains_the_weights_of_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Store(path) as s:
        load_file(s, raw(GUR.name))
        # What a store of layout 6 is: screening runs without the epoch of their weights.
        s.conn.execute("ALTER TABLE screen_runs DROP COLUMN weights")
        s.conn.execute("INSERT INTO screen_runs (portfolio, started_at, finished_at, "
                       "input_checksum, rows, list_versions, index_generation, "
                       "index_fingerprint, algorithm, settings, tool_version, counts, "
                       "last_decision) VALUES ('p', 'then', 'then', 'x', 0, '[]', 1, 'f', "
                       "'sg-screen', '{}', '0', '{}', 0)")
        s.conn.execute("UPDATE meta SET value = '6' WHERE key = 'layout'")
    with Store(path) as s:
        assert s.conn.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone() == ("7",)
        # The old run says its weights were not recorded (monitoring screens it whole).
        assert s.conn.execute("SELECT weights FROM screen_runs").fetchall() == [("",)]

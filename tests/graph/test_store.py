"""The embedded store: versions, idempotent loads, replacement, merging, and failed loads."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph.errors import SourceError, StoreError
from graph.ingest import load_file
from graph.model import Entity, Schema
from graph.store import Store
from tests.conftest import DEMO, GUR, OFAC_SDN, ROOT, TAK, raw


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


def _gur_copy(tmp_path: Path, name: str, drop_imo: str | None = None) -> Path:
    lines = raw(GUR.name).read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / name
    path.write_text("".join(x for x in lines if not drop_imo or f",{drop_imo}," not in x),
                    encoding="utf-8")
    return path


def test_a_newer_version_replaces_the_source_and_history_is_kept(store: Store,
                                                                 tmp_path: Path) -> None:
    old = _gur_copy(tmp_path, "gur_2026-05-01.csv", drop_imo="9179842")
    new = _gur_copy(tmp_path, "gur_2026-06-01.csv")
    load_file(store, old)
    assert store.by_key("imo-ship:9179842") == []
    result = load_file(store, new)
    assert "replaces version 2026-05-01" in (result.note or "")
    assert store.by_key("imo-ship:9179842") == ["ua_gur_shadowfleet:9179842"]
    assert [(i.list_date, i.current) for i in store.loads()] == [
        ("2026-05-01", False), ("2026-06-01", True)]
    assert store.counts()["records"] == 1414


def test_an_older_version_is_kept_as_history(store: Store, tmp_path: Path) -> None:
    load_file(store, _gur_copy(tmp_path, "gur_2026-06-01.csv"))
    result = load_file(store, _gur_copy(tmp_path, "gur_2026-05-01.csv", drop_imo="9179842"))
    assert "older than the current version" in (result.note or "")
    assert store.by_key("imo-ship:9179842") == ["ua_gur_shadowfleet:9179842"]


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
    # 9179842 is a valid ship number; a company claiming it as its IMO company number fails the
    # company check digit, so it is no merge key at all; a valid company number lives in its own
    # key space.
    records = [
        Entity("ship", Schema.VESSEL, {"imoNumber": ("9179842",), "name": ("A",)}, "1"),
        Entity("firm", Schema.COMPANY, {"imoNumber": ("9179842",), "name": ("B",)}, "2"),
        Entity("firm2", Schema.COMPANY, {"imoNumber": ("6246853",), "name": ("C",)}, "3"),
        Entity("ship2", Schema.VESSEL, {"imoNumber": ("6246853",), "name": ("D",)}, "4"),
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
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "load", "--no-index", "--db", str(db),
         str(raw(OFAC_SDN.name))],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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

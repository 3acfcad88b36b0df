"""The demo ships the UN and UK lists beside OFAC's, and loads them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from graph.cli import app
from graph.store import Store
from tests.conftest import DEMO, raw


def test_demo_copies_are_the_shared_files() -> None:
    manifest = json.loads((DEMO / "manifest.json").read_text(encoding="utf-8"))
    files = {entry["source"]: entry["file"] for entry in manifest}
    assert files["un_sc"] == "un_consolidated.xml"
    assert files["gb_ofsi"] == "uk_ofsi_conlist.xlsx"
    assert (DEMO / "un_consolidated.xml").read_bytes() == raw(
        "un_consolidated_2026-02-27.xml").read_bytes()
    assert (DEMO / "uk_ofsi_conlist.xlsx").read_bytes() == raw(
        "uk_ofsi_conlist_2025-04-10.xlsx").read_bytes()


def test_demo_loads_un_and_uk(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(app, ["demo", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        sources = {info.source: info for info in store.loads(current_only=True)}
        assert sources["un_sc"].entities == 1003
        assert sources["gb_ofsi"].entities == 4686
        # UK's M LEASING (Group 15911) carries the INN OFAC gives as M LEASING LLC's tax id, for
        # resolution to join them; it states no IMO company number, so nothing merges it yet.
        uk = store.canonical_of("gb_ofsi:15911")
        ofac = store.canonical_of("us_ofac_sdn:37065")
        assert uk and ofac and uk != ofac
        facts = {(f.prop, f.value) for f in store.facts(uk)}
        assert ("innCode", "9701173086") in facts
        assert ("taxNumber", "9701173086") in {(f.prop, f.value) for f in store.facts(ofac)}
        kpe020 = store.by_property("unscId", "KPe.020")
        assert kpe020

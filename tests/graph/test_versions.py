"""List versions: what changed between two real versions of the OFAC SDN list.

The later version is the real sdn.csv of 2024-05-03. The earlier one is built from it with real
rows only (tests/conftest.py, `earlier_sdn`): without entries 46768..46773 (IBEX SHIPPING INC, the
AZIA SHIPPING companies, CAPTAIN YAKUBOVICH, VA DEGTYAREV PLANT and MARIA; first listed on
2023-12-12), and with entry 39693 as the list stated it on 2023-12-11 (YOUNG YONG, flagged in
Djibouti, since renamed SAINT LIGHT and flagged in Guyana).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.errors import NotFoundError, QueryError
from graph.store import Store
from graph.versions import RELATIONS, Seen, diff, seen
from pipeline.ingest import load_file
from tests.conftest import OFAC_BATCH, earlier_sdn, ofac_version, raw

BATCH = OFAC_BATCH


@pytest.fixture(scope="module")
def versioned(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("versions")
    later = raw("ofac_sdn_2024-05-03.csv").read_bytes()
    earlier = earlier_sdn()
    assert len(earlier) < len(later)
    store = Store(folder / "store.db")
    load_file(store, ofac_version(folder / "before", earlier), list_date="2024-05-02")
    load_file(store, ofac_version(folder / "after", later), list_date="2024-05-03")
    return store


def test_diff_between_the_last_two_versions(versioned: Store) -> None:
    result = diff(versioned, "us_ofac_sdn")
    assert (result.old.list_date, result.new.list_date) == ("2024-05-02", "2024-05-03")
    assert [(r.record_id, r.name) for r in result.listed] == [
        ("46768", "IBEX SHIPPING INC"),
        ("46769", "AZIA SHIPPING COMPANY"),
        ("46770", "AZIA SHIPPING HOLDINGS LIMITED"),
        ("46771", "CAPTAIN YAKUBOVICH"),
        ("46772", "OPEN JOINT STOCK COMPANY VA DEGTYAREV PLANT"),
        ("46773", "MARIA"),
    ]
    assert result.delisted == []
    changed = {c.record_id: c for c in result.changed}
    renamed = changed["39693"]
    assert [(p.prop, p.old, p.new) for p in renamed.changes] == [
        ("callSign", (), ("8RAR1",)), ("flag", ("dj",), ("gy",)),
        ("mmsi", ("621819067",), ("750514000",)), ("name", ("YOUNG YONG",), ("SAINT LIGHT",))]
    # Entries already on the list whose "Linked To:" now resolves to a newly listed party.
    assert changed["46775"].name == "ARKADIY CHERNYSHEV"
    (relations,) = changed["46775"].changes
    assert relations.prop == RELATIONS
    assert relations.added == ("linked: IBEX SHIPPING INC (#46768)",)
    assert set(changed) == {"39693", "46748", "46775"}


def test_diff_by_dates_and_backwards(versioned: Store) -> None:
    backwards = diff(versioned, "us_ofac_sdn", from_date="2024-05-03", to_date="2024-05-02")
    assert [r.record_id for r in backwards.delisted] == [str(n) for n in BATCH]
    assert backwards.listed == []
    with pytest.raises(QueryError, match="same version"):
        diff(versioned, "us_ofac_sdn", from_date="2024-05-02", to_date="2024-05-02")
    with pytest.raises(NotFoundError, match="no version on or before 2020-01-01"):
        diff(versioned, "us_ofac_sdn", from_date="2020-01-01")
    with pytest.raises(NotFoundError, match="no source 'un_sc'"):
        diff(versioned, "un_sc")


def test_diff_cli_table_and_json(versioned: Store) -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["diff", "us_ofac_sdn", "--db", str(versioned.path)])
    assert table.exit_code == 0, table.output
    assert "6 listed, 0 delisted, 3 changed" in table.stdout
    assert "IBEX SHIPPING INC" in table.stdout and "YOUNG YONG" in table.stdout
    as_json = runner.invoke(app, ["diff", "us_ofac_sdn", "--db", str(versioned.path),
                                  "--json"])
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert data["counts"] == {"listed": 6, "delisted": 0, "changed": 3}
    assert data["changed"][0]["changes"][1] == {
        "property": "flag", "old": ["dj"], "new": ["gy"], "added": ["gy"], "removed": ["dj"]}
    one = runner.invoke(app, ["diff", "gb_ofsi", "--db", str(versioned.path)])
    assert one.exit_code == 3
    assert one.stderr.count("\n") == 1 and "no source 'gb_ofsi'" in one.stderr


def test_one_version_is_not_enough(store: Store) -> None:
    load_file(store, raw("ofac_consolidated_nonsdn_2025-03-28.xml"))
    with pytest.raises(QueryError, match="only one version is loaded"):
        diff(store, "us_ofac_cons")


def test_dates_seen_agree_with_the_diff(versioned: Store) -> None:
    """`seen` (yente's first_seen, last_seen, last_change of the API) by the list dates: a
    record the diff lists was first seen and changed in the later version, one it changed
    was first seen in the earlier one and changed in the later, any other was seen in both
    and changed in the earlier; all were last seen in the later (the version in force)."""
    result = diff(versioned, "us_ofac_sdn")
    listed = {r.record_id for r in result.listed}
    changed = {c.record_id for c in result.changed}
    nodes = {gid: canonical for gid, canonical in versioned.conn.execute(
        "SELECT n.local_id, n.canonical FROM nodes n JOIN current c ON c.load_id = n.load_id"
        " WHERE c.source = ?", ("us_ofac_sdn",))}
    assert listed | changed <= set(nodes)
    unchanged = set(nodes) - listed - changed
    checked = [*sorted(listed), *sorted(changed), *sorted(unchanged)[::25]]
    for record_id in checked:
        dates = seen(versioned, nodes[record_id])
        expected = ("2024-05-03" if record_id in listed else "2024-05-02", "2024-05-03",
                    "2024-05-02" if record_id in unchanged else "2024-05-03")
        assert (dates.first_seen, dates.last_seen, dates.last_change) == expected, record_id
    assert seen(versioned, "no-such-node") == Seen(None, None, None)

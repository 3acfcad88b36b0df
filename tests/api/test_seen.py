"""yente's `first_seen`, `last_seen` and `last_change` of an answered entity, from the list
versions the store holds (`graph.versions.seen`), over HTTP.

The store holds both ship tables, the OFAC SDN list as it stood before a real designation
batch (`tests.conftest.earlier_sdn`, dated 2024-05-02: without IBEX SHIPPING INC and the
others designated with it, and with ANGARA's remark then stating a build year) and resolve's
merges; then the real OFAC file of 2024-05-03."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.store import Store
from pipeline.ingest import load_file
from queries.screening.index import ensure_index
from tests.api.conftest import start_server
from tests.conftest import OFAC_SDN, merged_ship_store, raw

EARLIER = "2024-05-02"
LATER = "2024-05-03"


@pytest.fixture(scope="module")
def versions_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("seen")
    store = merged_ship_store(folder)
    try:
        result = load_file(store, raw(OFAC_SDN.name))
        assert result.info.list_date == LATER and result.info.current
        ensure_index(store)
    finally:
        store.close()
    return folder / "store.db"


@pytest.fixture(scope="module")
def http(versions_store: Path) -> Iterator[httpx.Client]:
    for url in start_server(versions_store):
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client


def _result(http: httpx.Client, schema: str, name: str, **more: str) -> dict[str, Any]:
    response = http.post("/match/default", json={"queries": {"q": {
        "schema": schema, "properties": {"name": [name], **more}}}})
    assert response.status_code == 200, response.text
    results = response.json()["responses"]["q"]["results"]
    found: dict[str, Any] = next(r for r in results if name in r["properties"]["name"])
    return found


def _dates(entity: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    return entity["first_seen"], entity["last_seen"], entity["last_change"]


def test_a_record_new_in_the_later_version(http: httpx.Client) -> None:
    ibex = _result(http, "Company", "IBEX SHIPPING INC")
    assert ibex["datasets"] == ["us_ofac_sdn"]
    assert _dates(ibex) == (LATER, LATER, LATER)
    assert _dates(http.get(f"/entities/{ibex['id']}").json()) == (LATER, LATER, LATER)


def test_a_record_in_both_versions_unchanged(http: httpx.Client) -> None:
    """M LEASING LLC: the same facts in both versions: first seen and last changed in the
    earlier one, last seen in the later one (in force)."""
    leasing = _result(http, "Company", "M LEASING LLC")
    assert leasing["datasets"] == ["us_ofac_sdn"]
    assert _dates(leasing) == (EARLIER, LATER, EARLIER)


def test_a_node_of_records_of_several_lists(http: httpx.Client,
                                                      versions_store: Path) -> None:
    """ANGARA's node holds its OFAC record (in both versions) and the ship tables' records
    (one version each, dated as `load` dated them): the oldest first sighting, and the
    newest sighting and change of any of its records. (A record that changed between two
    versions of one list: `test_reload`.)"""
    angara = _result(http, "Vessel", "ANGARA", imoNumber="9179842")
    assert angara["id"] == "vessel:IMO9179842"
    others = set(angara["datasets"]) - {"us_ofac_sdn"}
    assert others, "the ship tables' records are merged into the node"
    with Store(versions_store, create=False) as store:
        dates = [i.list_date for i in store.loads(current_only=True) if i.source in others]
    assert len(dates) == len(others) and all(dates)
    assert _dates(angara) == (min([EARLIER, *dates]), max([LATER, *dates]),
                              max([LATER, *dates]))

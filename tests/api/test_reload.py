"""A running server follows the store: after `sanctions-graph load` of a newer list version
into the store it serves, it answers from the new index within seconds, without a restart,
every request meanwhile answered (from the old index until the new one is swapped in).

The store starts with the OFAC SDN list as it stood before a real designation batch
(`tests.conftest.earlier_sdn`: the 2024-05-03 file without the batch of IBEX SHIPPING INC,
CAPTAIN YAKUBOVICH...); the CLI then loads the real 2024-05-03 file, which holds them."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.store import Store
from pipeline.ingest import load_file
from queries.screening.index import ensure_index
from tests.api.conftest import start_server
from tests.conftest import OFAC_SDN, cli_command, cli_env, earlier_sdn, ofac_version, raw

#: A company only the newer version lists (OFAC ent_num 46768, designated in that batch).
NEW_NAME = "IBEX SHIPPING INC"
#: The list dates of the two versions (the later one from its file name).
EARLIER = "2023-12-11"  # the day before the batch (`earlier_sdn`)
LATER = "2024-05-03"
#: Seconds a server may take to serve the new index after the load command returned.
FOLLOW_SECONDS = 60.0


@pytest.fixture
def earlier_store(tmp_path: Path) -> Path:
    """A store of its own (the test writes to it) with the earlier OFAC version only."""
    path = tmp_path / "store.db"
    with Store(path) as store:
        load_file(store, ofac_version(tmp_path / "before", earlier_sdn()),
                  list_date=EARLIER)
        ensure_index(store)
    return path


def _load_newer(db: Path, *args: str) -> None:
    done = subprocess.run(cli_command("load", str(raw(OFAC_SDN.name)), "--db", str(db),
                                      "--no-monitor", *args),
                          env=cli_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def _screen(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.post("/match/default", params=params, json={"queries": {"q": {
        "schema": "Company", "properties": {"name": [NEW_NAME]}}}})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()["responses"]["q"]
    return answer


def _vessel_dates(http: httpx.Client, name: str, imo: str) -> tuple[str, str, str]:
    response = http.post("/match/default", json={"queries": {"q": {
        "schema": "Vessel", "properties": {"name": [name], "imoNumber": [imo]}}}})
    top = response.json()["responses"]["q"]["results"][0]
    assert top["properties"]["imoNumber"] == [imo]
    return top["first_seen"], top["last_seen"], top["last_change"]


def _ready(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=30) as http:  # a new connection each time
        answer: dict[str, Any] = http.get("/readyz").json()
        return answer


def _hit(answer: dict[str, Any]) -> bool:
    return any(r["caption"] == NEW_NAME and r["match"] for r in answer["results"])


def test_a_load_is_served_without_a_restart(earlier_store: Path) -> None:
    """`load --no-index`: the server itself patches the index it serves. Before the load the
    name is not matched (with the default settings, nor with other settings whose matcher
    the server then keeps); after it, it is, with both, and `/readyz` names the store's new
    generation. Entities answered before are not answered from what was kept of them: the
    list dates of entry 39693, which changed in the later version, move with it."""
    for url in start_server(earlier_store):
        with httpx.Client(base_url=url, timeout=30) as http:
            before = http.get("/readyz").json()
            assert _vessel_dates(http, "ANGARA", "9179842") == (EARLIER, EARLIER, EARLIER)
            assert _vessel_dates(http, "YOUNG YONG", "9194127") == (EARLIER, EARLIER, EARLIER)
            assert not _hit(_screen(http))
            assert not _hit(_screen(http, threshold=0.8))
            _load_newer(earlier_store, "--no-index")
            with Store(earlier_store, create=False) as store:
                generation = store.generation()
            assert generation > before["generation"]
            deadline = time.monotonic() + FOLLOW_SECONDS
            while not _hit(_screen(http)):  # every answer meanwhile is a 200
                assert time.monotonic() < deadline, "the new list version is not served"
                time.sleep(0.2)
            assert _hit(_screen(http, threshold=0.8))
            after = http.get("/readyz").json()
            assert after["generation"] == generation
            assert after["entities"] > before["entities"]
            # The entity answered is the store's own, not one kept from before the load.
            found = next(r for r in _screen(http)["results"] if r["caption"] == NEW_NAME)
            assert http.get(f"/entities/{found['id']}").json()["caption"] == NEW_NAME
            # Entry 39693 changed in the later version (YOUNG YONG renamed SAINT LIGHT and
            # reflagged), ANGARA's did not: the dates answered are the new ones, not those kept
            # from before.
            assert _vessel_dates(http, "YOUNG YONG", "9194127") == (EARLIER, LATER, LATER)
            assert _vessel_dates(http, "ANGARA", "9179842") == (EARLIER, LATER, EARLIER)


def test_each_worker_follows_the_store(earlier_store: Path) -> None:
    """`serve --workers 2`: the load (which saves the fresh index) is picked up by each
    worker process for itself; new connections reach either, and both come to serve the
    store's new generation."""
    for url in start_server(earlier_store, "--workers", "2"):
        first = _ready(url)
        _load_newer(earlier_store)
        with Store(earlier_store, create=False) as store:
            generation = store.generation()
        assert generation > first["generation"]
        seen: dict[int, int] = {}
        deadline = time.monotonic() + FOLLOW_SECONDS
        while len([w for w, g in seen.items() if g == generation]) < 2:
            assert time.monotonic() < deadline, f"workers' generations: {seen}"
            answer = _ready(url)
            seen[answer["worker"]] = answer["generation"]
            time.sleep(0.05)
        assert len(seen) == 2
        for _ in range(6):
            with httpx.Client(base_url=url, timeout=30) as http:
                assert _hit(_screen(http))

"""Resolution on the real lists: the issue's done-when checks.

One store per module with OFAC, the EU regulations 269/2014 and 833/2014, the UK ConList, GUR and
tak, resolved once (the scored step), shared by the tests that only read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.resolution.engine import explain, resolve
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import raw

LISTS = ("ofac_sdn_2024-05-03.csv", "eu_oj_consolidated_32014R0269.csv",
         "eu_oj_consolidated_32014R0833.csv", "uk_ofsi_conlist_2025-04-10.xlsx",
         "gur_shadowfleet_vessels_master.csv", "tak_shadowfleet_2026-08-22.json")


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("lists") / "lists.db"
    with Store(path) as store:
        for name in LISTS:
            load_file(store, raw(name))
        resolve(store)
        yield store


def _vessel(store: Store, imo: str) -> str:
    ids = store.by_key(f"imo-ship:{imo}")
    assert len(ids) == 1, (imo, ids)
    return ids[0]


def _sources(store: Store, canonical: str) -> set[str]:
    node = store.node(canonical)
    assert node is not None
    return {gid.split(":", 1)[0] for gid in node.members}


def test_m_leasing_from_ofac_eu_and_uk_is_one_entity(resolved: Store) -> None:
    canonical = resolved.canonical_of("us_ofac_sdn:37065")
    assert canonical is not None
    assert resolved.canonical_of("gb_ofsi:15911") == canonical
    assert {"us_ofac_sdn", "eu_oj_269_2014", "gb_ofsi"} <= _sources(resolved, canonical)
    # ...and it stays apart from its sister company MARINE TRANS SHIPPING LLC.
    assert resolved.canonical_of("us_ofac_sdn:37066") != canonical


def test_angara_from_ofac_eu_gur_and_tak_is_one_vessel(resolved: Store) -> None:
    angara = _vessel(resolved, "9179842")
    assert {"us_ofac_sdn", "eu_oj_833_2014", "ua_gur_shadowfleet",
            "tak_shadowfleet"} <= _sources(resolved, angara)
    node = resolved.node(angara)
    assert node is not None and node.schema == "Vessel"


def test_look_alikes_stay_separate(resolved: Store) -> None:
    ids = {
        "ANGARA": _vessel(resolved, "9179842"),
        "MARIA 8517839": _vessel(resolved, "8517839"),
        "MARIA 9198783": _vessel(resolved, "9198783"),
        "MARIA E": resolved.canonical_of("us_ofac_sdn:36716"),
        "LADY MARIIA": resolved.canonical_of("us_ofac_sdn:37089"),
        "SASCO ANGARA": resolved.canonical_of("us_ofac_sdn:44245"),
        "ARIA ex SCF Angara": _vessel(resolved, "9397559"),
    }
    assert None not in ids.values()
    assert len(set(ids.values())) == len(ids), ids


def test_no_cluster_holds_two_imo_ship_numbers_or_a_ship_and_a_company(resolved: Store) -> None:
    ships: dict[str, set[str]] = {}
    for canonical, key in resolved.conn.execute(
        "SELECT n.canonical, k.key FROM keys k JOIN nodes n ON n.load_id = k.load_id"
        " AND n.local_id = k.entity_id WHERE k.key LIKE 'imo-%'"
    ):
        ships.setdefault(canonical, set()).add(key)
    for canonical, keys in ships.items():
        assert len({k for k in keys if k.startswith("imo-ship:")}) <= 1, (canonical, keys)
        spaces = {k.split(":", 1)[0] for k in keys}
        assert spaces != {"imo-ship", "imo-company"}, (canonical, keys)


def test_explain_names_the_features_that_fired(resolved: Store) -> None:
    result = explain(resolved, "us_ofac_sdn:37065", "gb_ofsi:15911")
    names = {f.name for f in result.score.features}
    assert "inn_match" in names and "name" in names
    assert result.score.score >= 0.8 and result.same_cluster
    veto = explain(resolved, "us_ofac_sdn:37059", "us_ofac_sdn:44245")  # ANGARA, SASCO ANGARA
    assert veto.score.score == 0.0
    assert [f.name for f in veto.score.features] == ["imo_ship_conflict"]

"""A close call is not a merge (`graph.resolution.rivals`), on the real look-alikes: the two
ships named TAIMYR (GUR: IMO 8821797, general cargo ship, 1990; IMO 9105140, oil products
tanker, 1995; OFAC lists 8821797 as General Cargo; tak lists 9105140 without a type), and the
Hyundai Mipo yard numbers (OFAC: HYUNDAI MIPO 2655 is IMO 9820312, 2656 is 9820324, 2657 is
9820336; tak gives 9820324 both the names 2656 and 2655).

The record that must choose is a real record with its IMO number hidden (as the benchmark
hides it): it then carries no strong identifier, and only its name, flag and type speak."""

from __future__ import annotations

import pytest

from graph.resolution.decisions import Decision, decide
from graph.resolution.records import MatchRecord, load_records
from graph.resolution.rivals import CLOSE_CALL, NAMESAKE, apply_close_calls
from graph.resolution.scoring import NameStats, Score, score_pair
from graph.store import Store

TAIMYR_CARGO = "ua_gur_shadowfleet:8821797"
TAIMYR_TANKER = "ua_gur_shadowfleet:9105140"
MIPO = {"2655": "us_ofac_sdn:25319", "2656": "us_ofac_sdn:25320", "2657": "us_ofac_sdn:25322"}


def _without_imo(store: Store, gid: str) -> MatchRecord:
    (record,) = load_records(store.conn, gids=[gid], hide=frozenset({"imo_ship"}))
    assert not record.imo_ship
    return record


def _decided(chooser: MatchRecord, store: Store, gids: list[str], *,
             stats: bool = False) -> dict[str, Score]:
    """The chooser's pairs with the candidates, decided; with `stats`, scored as `resolve`
    does, knowing which names a list among these records gives twice (`ambiguous_name`)."""
    candidates = load_records(store.conn, gids=gids)
    assert len(candidates) == len(gids)
    names = NameStats([chooser, *candidates]) if stats else None
    scores = {}
    for other in candidates:
        pair = (chooser.gid, other.gid) if chooser.gid < other.gid else (other.gid, chooser.gid)
        a, b = (chooser, other) if pair[0] == chooser.gid else (other, chooser)
        scores[pair] = score_pair(a, b, names)
    held = apply_close_calls(scores, [chooser, *candidates])
    return {(b if a == chooser.gid else a): s for (a, b), s in held.items()}


def _close_call(score: Score) -> str:
    found = [f.detail for f in score.features if f.name == CLOSE_CALL]
    return found[0] if found else ""


def test_a_taimyr_without_imo_or_type_merges_with_neither_ship(ship_store: Store) -> None:
    # tak's TAIMYR 9105140 (flag Russia, no type) with its IMO hidden fits both GUR TAIMYRs.
    chooser = _without_imo(ship_store, "tak_shadowfleet:9105140")
    assert not chooser.kinds and not chooser.years
    got = _decided(chooser, ship_store, [TAIMYR_CARGO, TAIMYR_TANKER])
    for gid, rival in ((TAIMYR_CARGO, TAIMYR_TANKER), (TAIMYR_TANKER, TAIMYR_CARGO)):
        assert decide(got[gid].score) is Decision.REVIEW, got[gid].explanation()
        assert rival in _close_call(got[gid])


def test_a_taimyr_whose_type_tells_them_apart_merges_with_the_right_ship(
        ship_store: Store) -> None:
    # OFAC's TAIMYR (General Cargo, IMO 8821797) with its IMO hidden.
    chooser = _without_imo(ship_store, "us_ofac_sdn:37082")
    assert chooser.kinds == {"cargo"}
    got = _decided(chooser, ship_store, [TAIMYR_CARGO, TAIMYR_TANKER])
    assert decide(got[TAIMYR_CARGO].score) is Decision.MERGE, got[TAIMYR_CARGO].explanation()
    assert not _close_call(got[TAIMYR_CARGO])
    assert decide(got[TAIMYR_TANKER].score) is not Decision.MERGE
    assert "vessel_type_conflict" in {f.name for f in got[TAIMYR_TANKER].features}


def test_a_ship_named_for_two_yard_numbers_merges_with_neither(ship_store: Store) -> None:
    chooser = _without_imo(ship_store, "tak_shadowfleet:9820324")
    got = _decided(chooser, ship_store, list(MIPO.values()))
    for number, rival in (("2655", MIPO["2656"]), ("2656", MIPO["2655"])):
        assert decide(got[MIPO[number]].score) is Decision.REVIEW, got[MIPO[number]].explanation()
        assert rival in _close_call(got[MIPO[number]])
    # A yard number it does not bear is another ship, not a close call.
    assert decide(got[MIPO["2657"]].score) is Decision.REJECT


def test_a_ship_of_one_yard_number_merges_with_that_one_only(ship_store: Store) -> None:
    chooser = _without_imo(ship_store, "tak_shadowfleet:9820336")  # HYUNDAI MIPO 2657
    got = _decided(chooser, ship_store, list(MIPO.values()))
    assert decide(got[MIPO["2657"]].score) is Decision.MERGE
    assert not _close_call(got[MIPO["2657"]])
    assert all(decide(got[MIPO[n]].score) is Decision.REJECT for n in ("2655", "2656"))


#: tak lists two ships named TANGO (IMO 1010703, flag Cook Islands, MMSI 518100626; IMO
#: 9292058, Comoros); OFAC's TANGO is 1010703 (same flag and MMSI), GUR's is 9292058 (Russia).
TANGOS = ["us_ofac_sdn:35740", "tak_shadowfleet:1010703", "tak_shadowfleet:9292058"]


@pytest.mark.parametrize(("chooser", "candidates", "partner", "expected"), [
    # GUR's TANGO (IMO hidden) shares only the name with OFAC's, a name tak gives two ships.
    # tak's two score lower (tak's name is ambiguous), so this is no close call; but nothing
    # says which TANGO OFAC's is (the MMSIs differ), so no merge.
    ("ua_gur_shadowfleet:9292058", TANGOS, "us_ofac_sdn:35740", Decision.REVIEW),
    # OFAC's TANGO (IMO hidden) shares the MMSI and flag with tak's 1010703: the name is not
    # alone, and the pair merges.
    ("us_ofac_sdn:35740", TANGOS[1:], "tak_shadowfleet:1010703", Decision.MERGE),
    # A name no list gives twice (FLYING FOX) merges on the name, different MMSIs and all.
    ("ua_gur_shadowfleet:9829394", ["us_ofac_sdn:37223"], "us_ofac_sdn:37223", Decision.MERGE),
])
def test_a_name_one_list_gives_two_ships_does_not_merge_on_its_own(
        ship_store: Store, chooser: str, candidates: list[str], partner: str,
        expected: Decision) -> None:
    got = _decided(_without_imo(ship_store, chooser), ship_store, candidates, stats=True)
    assert decide(got[partner].score) is expected, got[partner].explanation()
    assert not _close_call(got[partner])
    namesake = [f.detail for f in got[partner].features if f.name == NAMESAKE]
    if expected is Decision.REVIEW:
        assert namesake and "tak_shadowfleet:1010703" in namesake[0]
        assert "tak_shadowfleet:9292058" in namesake[0]
    else:
        assert not namesake


def test_two_yard_numbers_of_one_list_are_rivals_without_any_imo(ship_store: Store) -> None:
    # Every IMO hidden (as the benchmark hides them): OFAC's 2655 and 2656 agree in flag and
    # type, and only their names, which share nothing, say they are two ships.
    chooser = _without_imo(ship_store, "tak_shadowfleet:9820324")
    hidden = load_records(ship_store.conn, gids=[MIPO["2655"], MIPO["2656"]],
                          hide=frozenset({"imo_ship"}))
    scores = {}
    for other in hidden:
        a, b = sorted((chooser, other), key=lambda r: r.gid)
        scores[(a.gid, b.gid)] = score_pair(a, b)
    held = apply_close_calls(scores, [chooser, *hidden])
    for (a, b), score in held.items():
        rival = MIPO["2656"] if MIPO["2655"] in (a, b) else MIPO["2655"]
        assert decide(score.score) is Decision.REVIEW, score.explanation()
        assert rival in _close_call(score) and "one list, names" in _close_call(score)

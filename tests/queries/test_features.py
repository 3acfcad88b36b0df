"""Screening's features, each as table-driven cases `(query row, listed entity, expected)` on
real list names: `True` or `False`, whether the feature fired when the row is compared with
that entity (`Matcher.compare`); a float, the score the comparison gives. A row feature (a
close call) is checked on the row's screen, its entity the best match. Every feature of every
algorithm must have a case that fires and one that does not: a feature registered without
cases fails `test_every_feature_has_cases`."""

from __future__ import annotations

from typing import Any

import pytest

from graph.store import Store
from queries.screen import algorithms, make_settings
from queries.screening.algorithms import ALGORITHMS, algorithm
from queries.screening.features import FEATURES, Feature, Kind, NameFeature, RowFeature
from queries.screening.index import ScreenIndex, ensure_index
from queries.screening.io import map_columns, parse_row
from queries.screening.matcher import Matcher, Query

Case = tuple[dict[str, str], str, bool | float]

CASES: dict[str, list[Case]] = {
    "name": [
        # Tokens sorted: word order and commas do not matter.
        ({"name": "Abid Ali KHAN"}, "us_ofac_sdn:30165", 1.0),
        ({"name": "KHAN Abid Ali"}, "us_ofac_sdn:30165", 1.0),
    ],
    "sound": [
        ({"name": "SHUGAJEV, Dmitrij"}, "us_ofac_sdn:35746", True),  # SHUGAYEV, Dmitry
        ({"name": "SHUGAYEV, Dmitry"}, "us_ofac_sdn:35746", False),  # equal
    ],
    "subset": [
        ({"name": "KHAN, Abid Ali"}, "us_ofac_sdn:30166", True),
        ({"name": "KHAN, Abid Ali"}, "us_ofac_sdn:30165", False),
    ],
    "one_word": [
        # LIMITED LIABILITY COMPANY CITADEL (its key: CITADEL) in a longer name: review at most.
        ({"name": "CITADEL TRADING GROUP"}, "us_ofac_sdn:41111", True),
        ({"name": "CITADEL HOLDING"}, "us_ofac_sdn:41111", False),  # its alias
    ],
    "acronym": [
        ({"name": "MPC"}, "us_ofac_sdn:12554", True),  # MACHINE PARDAZAN CO.
        ({"name": "FLANTZ TRADING"}, "gb_ofsi:15372", False),  # not OOO FT
    ],
    "abjad": [
        ({"name": "عباس عبدی اسجرد"}, "us_ofac_sdn:48731", True),  # ABDI ASJERD, Abbas
        ({"name": "ABDI ASJERD, Abbas"}, "us_ofac_sdn:48731", False),
    ],
    "soft": [
        # The alias Zvezda of the Shipbuilding Complex 'Zvezda', word by word.
        ({"name": "Zvezda Shipyard"}, "eu_oj_269_2014:I.ENTITIES#671", True),
        ({"name": "ZVEZDA"}, "eu_oj_269_2014:I.ENTITIES#671", False),
    ],
    "held": [
        # MAKAROV is not KOMAROV: alike letter by letter, not in the rare word.
        ({"name": "кирилл борисовицх макаров"}, "gb_ofsi:15763", True),
        ({"name": "Kirill Borisovich KOMAROV"}, "gb_ofsi:15763", False),
    ],
    "word_missing": [
        # Siblings: UDAY and QUSAY, sons of SADDAM HUSSEIN AL-TIKRITI.
        ({"name": "UDAY SADDAM HUSSEIN AL-TIKRITI"}, "gb_ofsi:7613", True),
        ({"name": "UDAY SADDAM HUSSEIN AL-TIKRITI"}, "gb_ofsi:7614", False),
    ],
    "name_chain": [
        # ALI SADDAM HUSSEIN AL-TIKRITI is the son of SADDAM HUSSEIN AL-TIKRITI.
        ({"name": "SADDAM HUSSEIN AL-TIKRITI"}, "gb_ofsi:8247", True),
        ({"name": "ALI SADDAM HUSSEIN AL-TIKRITI"}, "gb_ofsi:8247", False),
    ],
    "number": [
        # Sister ships of one yard, and two shipyards of one holding, told apart by number.
        ({"name": "HYUNDAI MIPO 2656"}, "us_ofac_sdn:25319", True),  # HYUNDAI MIPO 2655
        ({"name": "HYUNDAI MIPO 2655"}, "us_ofac_sdn:25319", False),
        ({"name": "AKTSIONERNOYE OBSHCHESTVO 179 SUDOREMONTNYY ZAVOD"}, "us_ofac_sdn:40584",
         True),
        # A person's initial is no Roman numeral.
        ({"name": "SHUGAEV, Dmitry V"}, "us_ofac_sdn:35746", False),
    ],
    "generic": [
        # KB INVESTMENTS LIMITED: INVESTMENTS alone agrees.
        ({"name": "Roura Investments SA"}, "us_ofac_sdn:23411", True),
        ({"name": "KB Investments Ltd"}, "us_ofac_sdn:23411", False),
    ],
    "short": [
        ({"name": "BEHTA"}, "ua_gur_shadowfleet:8878374", True),  # BETA
        ({"name": "BETA"}, "ua_gur_shadowfleet:8878374", False),
    ],
    "exact": [
        ({"name": "“Irz-Svyaz” Limited Company"}, "eu_oj_269_2014:I.ENTITIES#719", True),
        ({"name": "Irz-Svyaz Trading"}, "eu_oj_269_2014:I.ENTITIES#719", False),
    ],
    "imo_conflict": [
        ({"name": "OCEAN GUARDIAN", "imo": "9267948"}, "ua_gur_shadowfleet:9194995", True),
        ({"name": "OCEAN GUARDIAN", "imo": "9267948"}, "tak_shadowfleet:9267948", False),
    ],
    "identifier": [
        ({"name": "Maersk Barry", "imo": "9299458"}, "vessel:IMO9299458", True),
        ({"name": "Maersk Barry"}, "vessel:IMO9299458", False),
        # The IMO decides whatever the name.
        ({"name": "X", "imo": "9299458"}, "vessel:IMO9299458", 1.0),
    ],
    "country": [
        ({"name": "Dmitry Evgenyevich SHUGAYEV", "country": "ru"}, "gb_ofsi:14986", True),
        ({"name": "Dmitry Evgenyevich SHUGAYEV", "country": "ru"},
         "eu_oj_269_2014:I.PERSONS#1259", False),  # the EU record gives no country
        ({"name": "Dmitry Evgenyevich SHUGAYEV", "country": "ir"}, "gb_ofsi:14986", 0.92),
    ],
    "date": [
        ({"name": "KHAN, Abid Ali", "birth_date": "1981-03-13"}, "us_ofac_sdn:30165", True),
        ({"name": "KHAN, Abid Ali"}, "us_ofac_sdn:30165", False),
        ({"name": "KHAN, Abid Ali", "birth_date": "1961-02-03"}, "us_ofac_sdn:30165", 0.85),
    ],
    "mmsi_other": [
        ({"name": "Pacific", "mmsi": "273999999"}, "vessel:IMO9329667", True),
        ({"name": "Pacific", "mmsi": "613914700"}, "vessel:IMO9329667", False),  # its own
    ],
    "close_call": [
        # Two ships of one name, two IMO numbers, and nothing else in the row.
        ({"name": "TAIMYR"}, "vessel:IMO8821797", True),
        ({"name": "TAIMYR", "imo": "8821797"}, "vessel:IMO8821797", False),
    ],
}


@pytest.fixture(scope="module")
def index(full_store: Store) -> ScreenIndex:
    built, _ = ensure_index(full_store)
    return built


@pytest.fixture(scope="module")
def matcher(index: ScreenIndex) -> Matcher:
    return Matcher(index, make_settings(index))


def query(row: dict[str, str]) -> Query:
    return parse_row(row, 1, map_columns(list(row)))


def run(matcher: Matcher, feature: Feature, row: dict[str, str],
        entity: str) -> tuple[bool, float]:
    """Whether the feature fired on the row against the entity, and the score."""
    if isinstance(feature, RowFeature):
        result = matcher.screen(query(row))
        top = result.matches[0]
        assert top.entity_id == entity or feature.name in top.features, (
            f"{row} screens best as {top.entity_id}, not {entity}")
        return feature.name in top.features, top.score
    compared = matcher.compare(query(row), entity)
    return feature.name in compared.fired, compared.match.score


@pytest.mark.parametrize(("name", "row", "entity", "expected"), [
    (name, row, entity, expected) for name, cases in CASES.items()
    for row, entity, expected in cases])
def test_feature(matcher: Matcher, name: str, row: dict[str, str], entity: str,
                 expected: bool | float) -> None:
    fired, score = run(matcher, FEATURES[name], row, entity)
    if isinstance(expected, bool):
        assert fired is expected, f"{name} on {row} against {entity}: score {score}"
    else:
        assert score == pytest.approx(expected, abs=0.005), f"{name}: {row} against {entity}"


def test_every_feature_has_cases() -> None:
    """Each feature of each algorithm has a case where it fires and one where it does not."""
    used = {f.name for a in ALGORITHMS.values() for f in a.features}
    assert used <= set(FEATURES)
    for name in sorted(used):
        outcomes = {e for _, _, e in CASES.get(name, []) if isinstance(e, bool)}
        if name == "name":  # the base step is always there: its cases are scores
            assert CASES.get(name), "no case for the name step"
            continue
        assert outcomes == {True, False}, f"feature {name!r} needs a case that fires and one " \
                                          "that does not"


def test_explanation_is_made_from_what_fired(matcher: Matcher) -> None:
    """Each name feature that fired says what it found in the explanation, and none that did
    not: the notes are the features' own words, in the algorithm's order."""
    for name, cases in CASES.items():
        feature = FEATURES[name]
        if not isinstance(feature, NameFeature) or name in ("name", "exact"):
            continue
        for row, entity, _expected in cases:
            compared = matcher.compare(query(row), entity)
            tokens = row["name"]
            words = feature.note(feature, tuple(tokens.lower().split()), ())
            assert words is not None
            stem = words.split("(")[0].split(",")[0].strip()
            said = stem in compared.match.explanation
            assert said is (name in compared.fired), (name, row, compared.match.explanation)


def test_algorithms_are_found_by_name(index: ScreenIndex) -> None:
    assert algorithm("sg-screen").name == "sg-screen"
    with pytest.raises(ValueError, match="unknown algorithm 'nope'; one of sg-screen"):
        algorithm("nope")
    from graph.errors import QueryError

    with pytest.raises(QueryError, match="unknown algorithm"):
        make_settings(index, algorithm="nope")
    listed = {a["name"]: a for a in algorithms()}
    assert set(listed) == set(ALGORITHMS)
    kinds = {f["name"]: f["kind"] for f in listed["sg-screen"]["features"]}
    assert kinds["identifier"] == Kind.DECIDES and kinds["close_call"] == Kind.ROW


def test_name_based_ignores_country_and_date(index: ScreenIndex) -> None:
    """The `name-based` algorithm has no country or date features: a row's wrong birth date
    lowers nothing, its IMO still decides."""
    named = Matcher(index, make_settings(index, algorithm="name-based"))
    row: dict[str, Any] = {"name": "KHAN, Abid Ali", "birth_date": "1961-02-03"}
    assert named.compare(query(row), "us_ofac_sdn:30165").match.score == 1.0
    assert named.screen(query(row)).decision == "match"
    ship = {"name": "X", "imo": "9299458"}
    assert named.compare(query(ship), "vessel:IMO9299458").match.score == 1.0

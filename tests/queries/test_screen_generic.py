"""Generic words, initials and close calls in screening, on the real lists (every shared file
loaded: `full_store`). The listed side of every case is a real listing; the queries are names
typed by a user, some of firms that exist nowhere (ROURA INVESTMENTS), which is the point:
they must not be taken for the listed firm that shares only their generic words."""

from __future__ import annotations

import pytest

from graph.matching.text import distinctive, generic_word, query_acronyms
from graph.matching.words import distinctive_agree
from graph.store import Store
from queries.screen import explain, make_settings
from queries.screening.index import ScreenIndex, ensure_index
from queries.screening.matcher import MATCH_THRESHOLD, REVIEW_THRESHOLD, Matcher, Query
from queries.screening.names import GENERIC_CAP
from queries.screening.names import subset_note as _subset_note
from queries.screening.pairs import apart

KB_INVESTMENTS = "us_ofac_sdn:23411"  # KB INVESTMENTS LIMITED
EIGER = "eu_oj_269_2014:I.ENTITIES#575"  # Eiger Shipping DMCC
EKO = "us_ofac_sdn:48882"  # EKO SHIPPING LIMITED LIABILITY COMPANY
ROSE_GROUP = "us_ofac_cons:18289"  # ROSE GROUP LIMITED, formerly RGI INTERNATIONAL LIMITED
STROYTRANSGAZ = "us_ofac_sdn:16831"  # STROYTRANSGAZ GROUP, alias STG GROUP
ATLANTIC = "us_ofac_sdn:25844"  # ATLANTIC SHIPPING & TRANS
ISIS_YEMEN = "us_ofac_sdn:19892"  # ISIL-YEMEN, alias ISLAMIC STATE IN YEMEN
FORSS_UK = "gb_ofsi:15372"  # FORSS TECHNOLOGY LTD, alias OOO FT
TAIMYR_1 = "vessel:IMO8821797"
TAIMYR_2 = "vessel:IMO9105140"


@pytest.fixture(scope="module")
def index(full_store: Store) -> ScreenIndex:
    built, _ = ensure_index(full_store)
    return built


def score_of(store: Store, index: ScreenIndex, name: str, entity: str,
             **row: str) -> tuple[float, str]:
    """The score and explanation of one listed entity for a query (0 and "" when it is not a
    candidate at all)."""
    _, result = explain(store, name, index=index, **row)
    for match in result.matches:
        if match.entity_id == entity:
            return match.score, match.explanation
    return 0.0, ""


def compared(index: ScreenIndex, name: str, entity: str, schema: str) -> tuple[float, str]:
    """The score and explanation of one listed entity for a query, whether or not blocking
    would make it a candidate (`Matcher.compare`): among hundreds of names sharing a generic
    word, which few a query is compared with is not what these tests are about."""
    matcher = Matcher(index, make_settings(index))
    match = matcher.compare(Query(row=0, id="q", name=name, schema=schema), entity).match
    return match.score, match.explanation


# -- generic words do not make a match ---------------------------------------------------------

@pytest.mark.parametrize(("query", "entity"), [
    ("Roura Investments SA", KB_INVESTMENTS),  # INVESTMENTS alone agrees
    ("Gori Shipping Ltd", EIGER),  # GORI and EIGER share their skeleton GR, nothing more
    ("Nek Shipping AS", EKO),
    ("Rogge International FZE", ROSE_GROUP),  # ROGGE / RGI: skeleton RG
    ("Hamann Group Inc", STROYTRANSGAZ),  # against the alias STG GROUP
    ("Marine Trans Shipping", ATLANTIC),  # no ATLANTIC, no MARINE
    ("Islamic State in Egypt", ISIS_YEMEN),  # EGYPT is not YEMEN
])
def test_names_agreeing_only_in_generic_words_are_held_below_review(
        full_store: Store, index: ScreenIndex, query: str, entity: str) -> None:
    score, explanation = compared(index, query, entity, schema="Company")
    assert 0.0 < score <= GENERIC_CAP < REVIEW_THRESHOLD, explanation
    assert "only generic words agree" in explanation
    assert "holds the other's words" not in explanation


@pytest.mark.parametrize(("query", "entity"), [
    ("KB Investments Ltd", KB_INVESTMENTS),
    ("Eiger Shipping", EIGER),
    ("EKO Shipping LLC", EKO),
    ("Stroytransgaz Group", STROYTRANSGAZ),
    ("Atlantic Shipping and Trans", ATLANTIC),
])
def test_the_listed_firm_itself_still_matches(full_store: Store, index: ScreenIndex,
                                              query: str, entity: str) -> None:
    score, explanation = score_of(full_store, index, query, entity, schema="Company")
    assert score >= MATCH_THRESHOLD, explanation


@pytest.mark.parametrize(("word", "generic"), [
    ("shipping", True), ("trading", True), ("group", True), ("international", True),
    ("shipmanagement", True), ("tankers", True), ("trans", True), ("of", True),
    ("stroytransgaz", False), ("eiger", False), ("melli", False), ("huaxin", False),
])
def test_generic_words(word: str, generic: bool) -> None:
    assert generic_word(word) is generic


@pytest.mark.parametrize(("one", "other", "agree"), [
    ("roura investments", "kb investments", False),
    ("gori shipping", "eiger shipping", False),
    ("marine trans shipping", "victory shipping marine", False),  # VICTORY has no counterpart
    ("huaxin shipping", "hua xin shipping hongkong", True),  # written as one word
    ("shugayev trading", "shugaev trading", True),  # a spelling of one surname
    ("international management", "international management company", True),  # all generic
    ("stroytransgaz", "stroytransgaz group", True),
])
def test_distinctive_words_agree(one: str, other: str, agree: bool) -> None:
    assert distinctive_agree(one.split(), other.split()) is agree
    assert distinctive_agree(other.split(), one.split()) is agree


# -- initials -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("tokens", "forms"), [
    (("flantz", "trading"), ()),  # one surname and a generic word: not initials anyone uses
    (("moore", "group", "international"), ()),
    (("islamic", "movement", "of", "uzbekistan"), ("imou", "imu")),
    (("ministry", "of", "public", "security"), ("mops", "mps")),  # generic words only
    (("maei",), ("maei",)),  # initials typed by the user
])
def test_query_initials_come_from_distinctive_words(tokens: tuple[str, ...],
                                                    forms: tuple[str, ...]) -> None:
    assert query_acronyms(tokens) == forms


def test_a_firm_whose_initials_are_a_listed_alias_is_not_held_for_it(
        full_store: Store, index: ScreenIndex) -> None:
    """FORSS TECHNOLOGY has the alias OOO FT on the UK list; FLANTZ TRADING spells FT too."""
    score, explanation = score_of(full_store, index, "Flantz Trading BV", FORSS_UK,
                                  schema="Company")
    assert score < REVIEW_THRESHOLD, explanation
    assert distinctive(("flantz", "trading")) == ("flantz",)


# -- explanations say only what is so ----------------------------------------------------------

@pytest.mark.parametrize(("tokens", "words", "note"), [
    (("islamic", "state"), ("islamic", "state", "in", "egypt"),
     "one name holds the other's words"),
    (("marine", "trans", "shipping"), ("atlantic", "shipping", "trans"),
     "words in common: TRANS, SHIPPING"),
    (("kroker", "enterprises"), ("piruseti", "enterprises"), "words in common: ENTERPRISES"),
])
def test_a_subset_note_names_the_shared_words_unless_one_name_holds_the_other(
        tokens: tuple[str, ...], words: tuple[str, ...], note: str) -> None:
    assert _subset_note(tokens, words) == note


# -- close calls ---------------------------------------------------------------------------------

def test_two_ships_of_one_name_are_a_close_call_never_a_match(full_store: Store) -> None:
    """Two TAIMYRs are listed, IMO 8821797 and IMO 9105140: by name alone the row cannot say
    which, so it is review, naming both."""
    _, result = explain(full_store, "TAIMYR", schema="Vessel")
    assert result.decision == "review"
    top = result.matches[0]
    assert {top.entity_id, result.matches[1].entity_id} == {TAIMYR_1, TAIMYR_2}
    assert top.features["close_call"] == 1.0
    assert "close call" in top.explanation
    assert "8821797" in top.explanation and "9105140" in top.explanation


def test_an_imo_number_settles_the_close_call(full_store: Store) -> None:
    _, result = explain(full_store, "TAIMYR", schema="Vessel", imo="9105140")
    assert result.decision == "match"
    assert result.matches[0].entity_id == TAIMYR_2
    assert "close call" not in result.matches[0].explanation


def test_one_firm_on_several_lists_is_no_close_call(full_store: Store) -> None:
    """FORSS TECHNOLOGY is on the EU and the UK lists, two nodes in a store not resolved: nothing
    says they are two firms, so the row is a match."""
    _, result = explain(full_store, "Forss Technology", schema="Company")
    assert result.decision == "match"
    assert [m.score for m in result.matches[:2]] == [1.0, 1.0]
    assert "close_call" not in result.matches[0].features


def test_apart(index: ScreenIndex) -> None:
    by_id = {e.id: e for e in index.entities}
    assert apart(by_id[TAIMYR_1], by_id[TAIMYR_2]) == "IMO 8821797 against 9105140"
    assert apart(by_id[FORSS_UK], by_id["eu_oj_833_2014:IV#70"]) is None
    assert apart(by_id[KB_INVESTMENTS], by_id[EKO]) == "us_ofac_sdn lists both"

"""Name normalisation: transliteration, legal forms, vessel prefixes, name order; properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.normalize import (
    MAX_NAME_CHARS,
    MAX_NAME_WORDS,
    MAX_WORD_CHARS,
    name_is_bounded,
    normalize_name,
    normalize_org_name,
    normalize_person_name,
    normalize_vessel_name,
    split_legal_form,
    transliterate,
)
from graph.store import Store

ORG_CASES = [
    ("M LEASING LLC", "m leasing llc"),
    ('ООО "М Лизинг"', "m lizing llc"),
    ("OOO ‘M Lizing’", "m lizing llc"),
    ("Общество C Oграниченной Oтветственностью ‘М Лизинг’", "m lizing llc"),
    ("Limited Liability Company Marine Trans Shipping", "marine trans shipping llc"),
    ("ООО Марин Транс Шиппинг", "marin trans shipping llc"),
    ("PAO SOVCOMFLOT", "sovcomflot jsc"),
    ("Publichnoe aktsionernoe obshchestvo Sovcomflot", "sovcomflot jsc"),
    ("АО СОВФРАХТ", "sovfrakht jsc"),
    ("Joint Stock Company Sovfracht", "sovfracht jsc"),
    ("KOREA SAMJONG SHIPPING CO LTD", "korea samjong shipping ltd"),
    ("Ocean Maritime Management Company, Limited", "ocean maritime management company ltd"),
    ("中国远洋海运集团有限公司", "zhong guo yuan yang hai yun ji tuan ltd"),
]


@pytest.mark.parametrize(("raw", "expected"), ORG_CASES)
def test_org_names_reduce_legal_forms_to_one_token(raw: str, expected: str) -> None:
    assert normalize_org_name(raw) == expected


def test_legal_form_splits_off() -> None:
    assert split_legal_form(normalize_org_name("ООО М ЛИЗИНГ")) == ("m lizing", "llc")
    assert split_legal_form("angara") == ("angara", None)


@pytest.mark.parametrize(("raw", "expected"), [
    ("김정은", "gimjeong eun"),                      # Hangul through ICU
    ("شركة النفط", "shrkt alnft"),                   # Arabic through ICU
    ("Шиппинг", "shipping"),                         # Cyrillic the way English lists write it
    ("Светлана Владимировна САВЕЛЬЕВА", "svetlana vladimirovna saveleva"),
    ("«Quotes» & punctuation!", "quotes punctuation"),
])
def test_names_are_transliterated_and_cleaned(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("M/V ANGARA", "angara"), ("MV ANGARA", "angara"), ("MT Polar Rock", "polar rock"),
    ("M.V. MARIA", "maria"), ("ANGARA", "angara"),
])
def test_vessel_prefixes_are_dropped(raw: str, expected: str) -> None:
    assert normalize_vessel_name(raw) == expected


def test_person_name_order_does_not_matter() -> None:
    assert normalize_person_name("SAVELYEVA, Svetlana Vladimirovna") == normalize_person_name(
        "Svetlana Vladimirovna SAVELYEVA")


def test_transliterate_leaves_latin_alone() -> None:
    assert transliterate("M LEASING") == "M LEASING"


NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60) | (
    st.sampled_from([r for r, _ in ORG_CASES]
                    + ["M/V  ANGARA", "Co., Ltd.", "ООО", "LLC LLC", "mt mv ss ms"])
)
NORMALISERS = [normalize_name, normalize_org_name, normalize_vessel_name, normalize_person_name]


@pytest.mark.parametrize("normalise", NORMALISERS, ids=lambda f: f.__name__)
@settings(max_examples=300, deadline=None)
@given(text=NAMES)
def test_normalisers_are_idempotent_and_never_raise(normalise: object, text: str) -> None:
    assert callable(normalise)
    once = normalise(text)
    assert isinstance(once, str)
    assert normalise(once) == once


# -- overlong names ----------------------------------------------------------------------------
# Made-up values (no real name is this long: see `graph.normalize.MAX_NAME_CHARS`).
OVERLONG = {
    "one word of 100,000 letters": "EXAMPLE" * 14_286,
    "20,000 words": " ".join(f"W{i}" for i in range(20_000)),
    "Chinese characters, longer in pinyin": "中国远洋海运集团有限公司" * 300,
    "Cyrillic letters, longer in Latin": "Щ" * 3_000,
    "abbreviations, longer written out": "SHPG " * 450 + "LLC",
    "a listed name and then punctuation": "M LEASING" + "!" * 5_000,
}


@pytest.mark.parametrize("raw", OVERLONG.values(), ids=OVERLONG)
@pytest.mark.parametrize("normalise", NORMALISERS, ids=lambda f: f.__name__)
def test_an_overlong_name_normalises_to_a_bounded_form(normalise: object, raw: str) -> None:
    assert callable(normalise)
    norm = normalise(raw)
    words = norm.split()
    assert 0 < len(norm) <= MAX_NAME_CHARS and len(words) <= MAX_NAME_WORDS
    assert max(len(w) for w in words) <= MAX_WORD_CHARS
    assert normalise(norm) == norm
    assert name_is_bounded(raw)


def test_the_bounded_form_is_the_start_of_the_name() -> None:
    assert normalize_name("EXAMPLE" * 14_286) == "example" * 9 + "e"
    assert normalize_name(" ".join(f"W{i}" for i in range(20_000))).split() == [
        f"w{i}" for i in range(MAX_NAME_WORDS)]
    assert normalize_name("M LEASING" + "!" * 5_000) == "m leasing"


def test_no_name_of_the_shared_lists_is_bounded(full_store: Store) -> None:
    """The bounds are far beyond any real name (the longest has 324 characters, 56 words)."""
    names = {name for _, name in full_store.conn.execute(
        "SELECT DISTINCT prop, value FROM props WHERE prop IN ('name', 'alias', "
        "'previousName', 'weakAlias')")}
    assert len(names) > 50_000
    assert not [name for name in names if name_is_bounded(name)]

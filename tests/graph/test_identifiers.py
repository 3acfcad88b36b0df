"""IMO check digits, MMSI, countries: table cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.identifiers import (
    clean_imo_company,
    clean_imo_ship,
    clean_mmsi,
    country_code,
    imo_ship_check_digit,
    is_imo_ship_number,
)
from graph.normalize import normalize_name, normalize_vessel_name


@pytest.mark.parametrize(
    ("text", "ship", "company"),
    [
        ("9179842", "9179842", None),  # ANGARA
        ("IMO 9179842", "9179842", None),
        ("IMO9179842", "9179842", None),
        ("8517839", "8517839", None),  # MARIA
        ("6246853", None, "6246853"),  # M LEASING LLC's company number
        ("6183435", None, "6183435"),  # MARINE TRANS SHIPPING LLC
        ("9179843", None, None),
        ("917984", None, None),
        ("0000000", None, None),
        ("RS 150443", None, None),
    ],
)
def test_imo_numbers(text: str, ship: str | None, company: str | None) -> None:
    assert clean_imo_ship(text) == ship
    assert clean_imo_company(text) == company


@given(st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_every_six_digits_have_exactly_one_ship_check_digit(six: str) -> None:
    valid = [d for d in "0123456789" if is_imo_ship_number(six + d)]
    assert valid == ([] if six == "000000" else [str(imo_ship_check_digit(six))])


@given(st.text())
def test_cleaners_never_raise(text: str) -> None:
    clean_imo_ship(text)
    clean_imo_company(text)
    clean_mmsi(text)
    country_code(text)


@given(st.text())
def test_name_normalisation_is_idempotent(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once
    vessel = normalize_vessel_name(text)
    assert normalize_vessel_name(vessel) == vessel


@pytest.mark.parametrize(
    ("text", "code"),
    [("Russia", "ru"), ("russian federation", "ru"), ("Korea, North", "kp"), ("Togo", "tg"),
     ("St. Kitts and Nevis", "kn"), ("ru", "ru"), ("Unknown", None), ("", None)],
)
def test_countries(text: str, code: str | None) -> None:
    assert country_code(text) == code


def test_mmsi() -> None:
    assert clean_mmsi("273210440") == "273210440"
    assert clean_mmsi("MMSI 273210440") == "273210440"
    assert clean_mmsi("27321044") is None

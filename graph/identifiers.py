"""Identifiers: IMO ship and company numbers, MMSI, countries.

An IMO ship number and an IMO company number are both seven digits but carry different check
digits; they are different identifiers and never merge. Cleaners return None for a bad value and
never raise (as FtM's do): the caller decides whether a bad value is a problem to count or an error.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final

from rigour.territories import get_territories, get_territory

_IMO_TEXT: Final = re.compile(r"^\s*(?:IMO)?[\s.:#-]*(\d{7})\s*$", re.IGNORECASE)
_MMSI_TEXT: Final = re.compile(r"^\s*(?:MMSI)?[\s.:#-]*(\d{9})\s*$", re.IGNORECASE)


def imo_ship_check_digit(six_digits: str) -> int:
    """The check digit of an IMO ship number: the six digits weighted 7..2, summed, modulo 10."""
    return sum(int(d) * w for d, w in zip(six_digits, range(7, 1, -1), strict=True)) % 10


def is_imo_ship_number(digits: str) -> bool:
    """True for seven digits whose last is the IMO ship check digit of the first six."""
    return (
        len(digits) == 7
        and digits.isascii()
        and digits.isdigit()
        and digits != "0000000"
        and imo_ship_check_digit(digits[:6]) == int(digits[6])
    )


@lru_cache(maxsize=1)
def _imo() -> Any:
    """rigour's IMO scheme, imported when first needed: `rigour.ids` brings python-stdnum and
    every other identifier scheme, which most commands never use."""
    from rigour.ids import IMO

    return IMO


def is_imo_company_number(digits: str) -> bool:
    """True for seven digits valid under the IMO company (and registered owner) scheme."""
    return (
        len(digits) == 7
        and digits.isascii()
        and digits.isdigit()
        and bool(_imo().is_valid_company(digits))
    )


def clean_imo_ship(text: str) -> str | None:
    """`9179842`, `IMO 9179842`, `IMO9179842` -> `9179842`; None unless the check digit holds."""
    match = _IMO_TEXT.match(text)
    if match is None or not is_imo_ship_number(match.group(1)):
        return None
    return match.group(1)


def clean_imo_company(text: str) -> str | None:
    """A seven-digit IMO company number, or None."""
    match = _IMO_TEXT.match(text)
    if match is None or not is_imo_company_number(match.group(1)):
        return None
    return match.group(1)


def looks_like_imo(text: str) -> bool:
    """True when the text is shaped like an IMO number, whether or not its check digit holds."""
    return _IMO_TEXT.match(text) is not None


def clean_mmsi(text: str) -> str | None:
    """A nine-digit Maritime Mobile Service Identity, or None."""
    match = _MMSI_TEXT.match(text)
    return match.group(1) if match else None


#: Spellings lists use that are neither a territory's name nor its full name.
_COUNTRY_EXTRAS: Final = {
    "turkey": "tr", "burma": "mm", "macau": "mo", "hong kong": "hk", "palestinian": "ps",
    "west bank": "ps", "gaza": "ps", "cote d ivoire": "ci", "ivory coast": "ci",
    "russian federation": "ru", "korea north": "kp", "korea south": "kr", "iran": "ir",
    "syria": "sy", "vietnam": "vn", "laos": "la", "the gambia": "gm", "gambia the": "gm",
    "bahamas the": "bs", "the bahamas": "bs", "cabo verde": "cv", "cape verde": "cv",
    "czech republic": "cz", "united states": "us", "usa": "us", "uk": "gb",
    "united kingdom": "gb", "uae": "ae", "tanzania": "tz", "moldova": "md", "bolivia": "bo",
    "venezuela": "ve", "micronesia": "fm", "congo democratic republic of the": "cd",
    "congo republic of the": "cg", "taiwan": "tw", "sao tome and principe": "st",
    "republic of the congo": "cg", "the republic of north macedonia": "mk",
    "north macedonia": "mk", "northern mali": "ml", "crimea": "ua-cri",
}
_NOT_COUNTRIES: Final = frozenset(
    {"unknown", "none identified", "undetermined", "nan", "none", "0", "kafia kingi",
     "commonwealth of independent states"}
)


def _country_key(text: str) -> str:
    text = text.strip().casefold().replace("&", " and ")
    text = re.sub(r"^region:\s*", "", text)
    text = re.sub(r"\bst\.?(?=\s)", "saint", text)
    if text.count(",") == 1:  # "Korea, North" -> "north korea"
        head, tail = text.split(",")
        text = f"{tail} {head}"
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    """Codes and English names of every territory (from rigour), and the spellings lists use.

    rigour's own `lookup_territory` knows every language but costs seconds to build its index,
    more than a whole list load; lists write countries in English, so this index is enough."""
    index: dict[str, str] = {}
    for territory in get_territories():
        code = str(territory.code)
        for name in (territory.name, territory.full_name, territory.alpha3, code,
                     *(territory.other_codes or [])):
            if name:
                index.setdefault(_country_key(str(name)), code)
    for name, code in _COUNTRY_EXTRAS.items():
        index.setdefault(name, code)
    return index


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """ISO-style country code (FtM's `country` type) for a name or code, None when unknown."""
    key = _country_key(text)
    if not key or key in _NOT_COUNTRIES:
        return None
    return _country_index().get(key)


@lru_cache(maxsize=1024)
def country_name(code: str) -> str:
    """The display name of a country code; the code itself when unknown."""
    territory = get_territory(code)
    return str(territory.name) if territory is not None else code

"""Name normalisation for lookup and matching.

Names reach the graph in many scripts and spellings (ООО "М Лизинг", OOO M LIZING, M LEASING LLC).
`normalize_name` folds case, transliterates to Latin, drops punctuation and quotes and collapses
space, so an index keyed on it finds a name however a list wrote it. The matcher goes further:
`normalize_org_name` reduces every spelling of a legal form (LLC, OOO, ООО, LIMITED LIABILITY
COMPANY, OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU...) to one token, `normalize_vessel_name`
drops M/V, MV, MT prefixes, and `normalize_person_name` puts the parts of a person's name in one
order. Every function here never raises and is idempotent: normalising a normalised name changes
nothing (property tests in tests/graph/test_normalize.py).

Transliteration: Cyrillic goes through a BGN/PCGN-style table first, because that is how English
lists romanise Russian names (Шиппинг -> shipping, not ICU's `sipping`); every other script
(Hangul, Chinese, Arabic, Greek...) goes through ICU's Any-Latin via `normality`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from normality import normalize
from rigour.names import replace_org_types_compare

#: Prefixes lists put before a ship's name; they are not part of the name.
_VESSEL_PREFIX: Final = re.compile(r"^(?:m ?v|m ?t|mt|mv|ss|ms|mys)\s+(?=\S)")

#: Russian (and Ukrainian/Belarusian letters) to Latin as English-language lists write them.
_CYRILLIC: Final = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi",
    "є": "ye", "ґ": "g", "ў": "u",
}
_CYRILLIC_TABLE: Final = str.maketrans(_CYRILLIC)
_HAS_CYRILLIC: Final = re.compile(r"[\u0400-\u04ff]")
_FOLDED: Final = re.compile(r"^(?:[a-z0-9]+(?: [a-z0-9]+)*)?$")

#: Legal forms, after rigour has reduced their many spellings to its compare form, mapped to one
#: token per family. The token is kept as the name's last word so two names can still be told
#: apart by it (an LLC and a JSC of the same name are rarely the same firm).
_LEGAL_FAMILIES: Final = {
    "llc": ("llc", "ooo", "tov", "too", "limited liability company", "gmbh", "sarl", "srl",
            "spzoo", "sp z o o", "ltd liability co", "fllc"),
    "jsc": ("jsc", "ao", "oao", "zao", "pao", "pjsc", "ojsc", "cjsc", "pat", "at", "ag", "sa",
            "joint stock company", "aktsionernoe obshchestvo", "nao", "jscb", "pjscb", "akb",
            "pao akb", "ao akb", "oao akb", "zao akb"),
    "ltd": ("ltd", "coltd", "co ltd", "limited", "plc", "pte ltd", "pteltd", "pte", "bhd",
            "sdn bhd", "pty ltd", "company limited", "co limited"),
    "inc": ("inc", "corp", "corporation", "incorporated"),
    "fzco": ("fze", "fzco", "fzc", "fz llc", "fzllc", "dmcc"),
    # "Co" alone says only "company": kept apart from the families above.
    "co": ("co",),
}
_LEGAL_TOKEN: Final = {form: family for family, forms in _LEGAL_FAMILIES.items()
                       for form in forms}
#: Longest forms first so "co ltd" wins over "ltd".
_LEGAL_FORM_RE: Final = re.compile(
    r"(?<!\S)(?:" + "|".join(re.escape(f) for f in sorted(_LEGAL_TOKEN, key=len, reverse=True))
    + r")(?!\S)"
)
LEGAL_FORM_TOKENS: Final = frozenset(_LEGAL_FAMILIES)

#: Abbreviations lists use inside firm names, written out.
_ABBREVIATIONS: Final = {
    "shpg": "shipping", "intl": "international", "int l": "international", "mgmt": "management",
    "mgt": "management", "svcs": "services", "trdg": "trading",
}
_ABBREVIATION_RE: Final = re.compile(
    r"(?<!\S)(?:" + "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True))
    + r")(?!\S)"
)

#: Long legal forms rigour does not spell the way Russian and Chinese names are romanised here.
_LONG_FORMS: Final = (
    (re.compile(r"\bobshchestvo [sc] ogranichenn\w* otvetstvenn\w*"), "llc"),
    (re.compile(r"\b(?:(?:publichnoe|otkrytoe|zakrytoe|nepublichnoe) )?aktsionern\w* "
                r"obshchestv\w*"), "jsc"),
    (re.compile(r"\b(?:gu fen )?you xian (?:ze ren )?gong si\b"), "ltd"),
)


def transliterate(text: str) -> str:
    """Latin script for any name: Cyrillic by the English-list table, the rest by ICU."""
    if _HAS_CYRILLIC.search(text):
        text = text.lower().translate(_CYRILLIC_TABLE)
    return text


#: Bounds on the name a normaliser returns, so that every later cost per name and per word
#: (one-letter deletions for typos, which grow with the square of a word's length; trigrams;
#: rapidfuzz comparisons of two names; word-by-word grids) stays that of a normal name, however
#: long the value a file holds. Far beyond any real name: of the shared lists (OFAC, UN, UK,
#: EU, the ship tables) the longest name has 324 characters and 56 words, the longest word 31
#: letters (KONSTRUKTORSKOTEKHNOLOGICHESKIY, JOSEONLEUNGLADOMUYEOGCHONGHOESA). A longer value is
#: compared on its bounded form: its first MAX_NAME_CHARS characters (before and after
#: normalising), its first MAX_NAME_WORDS words, each cut to MAX_WORD_CHARS letters;
#: `name_is_bounded` says when that happened, so a match on such a name can say so.
MAX_NAME_CHARS: Final = 2000
MAX_NAME_WORDS: Final = 200
MAX_WORD_CHARS: Final = 64


@lru_cache(maxsize=65536)
def _bounded_normal(text: str) -> tuple[str, bool]:
    """`normalize_name` and whether the name was cut to its bounded form."""
    cut = len(text) > MAX_NAME_CHARS
    text = text[:MAX_NAME_CHARS]
    try:
        name = normalize(transliterate(text), lowercase=True, latinize=True) or ""
        # A few letters come out of ICU in another script (µ -> Greek μ): fold to a fixpoint.
        for _ in range(3):
            if _FOLDED.match(name):  # a-z, 0-9 and single spaces: already a fixpoint
                break
            again = normalize(transliterate(name), lowercase=True, latinize=True) or ""
            if again == name:
                break
            name = again
    except Exception:  # a cleaner never raises; an unreadable name is no name
        return "", False
    bounded = _bound(name)
    return bounded, cut or bounded != name


def _bound(name: str) -> str:
    """A normalised name cut to its first MAX_NAME_WORDS words, each of MAX_WORD_CHARS letters
    at most, and to MAX_NAME_CHARS characters."""
    words = name.split(" ")
    if (len(name) > MAX_NAME_CHARS or len(words) > MAX_NAME_WORDS
            or any(len(w) > MAX_WORD_CHARS for w in words)):
        name = " ".join(w[:MAX_WORD_CHARS] for w in words[:MAX_NAME_WORDS])
        name = name[:MAX_NAME_CHARS].rstrip()
    return name


def normalize_name(text: str) -> str:
    """Lower case, Latin script, letters and digits separated by single spaces; an overlong
    name bounded (`MAX_NAME_CHARS`, `MAX_NAME_WORDS`, `MAX_WORD_CHARS`)."""
    return _bounded_normal(text)[0]


def name_is_bounded(text: str) -> bool:
    """Whether `normalize_name` (and so every normaliser here) cut this name to its bounded
    form: a name longer than MAX_NAME_CHARS, of more than MAX_NAME_WORDS words, or with a word
    of more than MAX_WORD_CHARS letters."""
    return _bounded_normal(text)[1]


@lru_cache(maxsize=65536)
def normalize_org_name(text: str) -> str:
    """A party's name with every legal form reduced to one token (`llc`, `jsc`, `ltd`, `inc`,
    `fzco`) moved to the end: OOO "M Lizing" and M LEASING LLC become `m lizing llc` and
    `m leasing llc`."""
    name = normalize_name(text)
    if not name:
        return ""
    for pattern, token in _LONG_FORMS:
        name = pattern.sub(token, name)
    compared = replace_org_types_compare(name) or name
    compared = " ".join(compared.split())
    forms: list[str] = []

    def _take(match: re.Match[str]) -> str:
        forms.append(_LEGAL_TOKEN[match.group(0)])
        return " "

    core = " ".join(_LEGAL_FORM_RE.sub(_take, compared).split())
    core = _ABBREVIATION_RE.sub(lambda m: _ABBREVIATIONS[m.group(0)], core)
    if not core:  # the whole name is a legal form ("Co., Ltd."): keep it as written
        return name
    # Written-out abbreviations are longer: bounded again, so that this stays idempotent.
    return _bound(" ".join([core, *dict.fromkeys(forms)]))


def split_legal_form(norm: str) -> tuple[str, str | None]:
    """(`m lizing`, `llc`) from a `normalize_org_name` result."""
    head, _, last = norm.rpartition(" ")
    if head and last in LEGAL_FORM_TOKENS:
        inner, form = split_legal_form(head)
        return inner, form or last
    return norm, None


def normalize_vessel_name(text: str) -> str:
    """A ship's name without the M/V, MV, MT prefixes."""
    name = normalize_name(text)
    stripped = _VESSEL_PREFIX.sub("", name)
    while stripped != name:
        name, stripped = stripped, _VESSEL_PREFIX.sub("", stripped)
    return name


def normalize_person_name(text: str) -> str:
    """A person's name parts in one order (sorted), so `SAVELYEVA, Svetlana` and `Svetlana
    SAVELYEVA` compare equal; lists disagree on whether the family name comes first."""
    return " ".join(sorted(normalize_name(text).split()))

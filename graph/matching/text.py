"""The text keys a name is compared by, on top of `graph.normalize`: screening and resolution
alike.

A name is compared as its *match key*: normalised (Latin script, lower case, no punctuation, no
vessel prefix) by `graph.normalize`, with legal forms removed for organisations (rigour's table of
org types: LLC, OOO, Obshchestvo s ogranichennoi otvetstvennostyu, GmbH...), its tokens sorted so
that word order does not count. Blocking uses the tokens, their consonant skeletons (where
transliterations of one name meet) and, for words the index does not know, character trigrams;
for names in Arabic script, their consonants as that script writes them (`abjad_key`), where they
meet Latin spellings; for organisations, their forms as an acronym (`acronyms`).
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from typing import Final

from rigour.names import NameTypeTag, SymbolCategory, analyze_names
from rigour.names.org_types import remove_org_types
from rigour.text import is_stopword

from graph.normalize import MAX_WORD_CHARS, normalize_name, normalize_vessel_name

#: Schemata whose names carry legal forms worth dropping.
ORG_SCHEMATA: Final = frozenset({"Company", "Organization", "PublicBody", "LegalEntity"})


#: Legal forms, romanised, that rigour's table leaves whole or in part: the Russian LLC written
#: with a Latin C (ОБЩЕСТВО C ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ), Russian state and municipal
#: enterprises and institutions (ФЕДЕРАЛЬНОЕ ГОСУДАРСТВЕННОЕ УНИТАРНОЕ ПРЕДПРИЯТИЕ, FGUP, FSUE),
#: the Chinese limited company in pinyin (YOUXIAN GONGSI, GUFEN YOUXIAN GONGSI).
_LONG_LEGAL_FORMS: Final = re.compile(
    r"\bobshchestv\w* [sc] ogranichenn\w* otvetstvenn\w*"
    r"|\b(?:federaln\w* )?(?:gosudarstvenn\w*|munitsipaln\w*) "
    r"(?:(?:byudzhetn|kazenn|avtonomn|unitarn|obrazovateln|nauchn)\w* )*"
    r"(?:uchrezhdeni|predpriyati)\w*"
    r"|\b(?:fgup|fsue|fgbu|fgku|fgau|gup|mup)\b"
    r"|\b(?:gu ?fen ?)?you ?xian ?(?:ze ?ren ?)?gong ?si\b")


#: Chinese characters (a name written in them gets `_PINYIN_WORDS` in English).
_HAN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: Words of Chinese firm names as ICU spells them in pinyin (沈忠國際海運有限公司: shen zhong guo ji
#: hai yun you xian gong si), run together or not, in English as lists translate them (SHEN
#: ZHONG INTERNATIONAL SHIPPING), after the legal forms are gone (`_LONG_LEGAL_FORMS`).
#: Only for names written in Chinese characters: in a Latin name, HAI YUN may be a name.
_PINYIN_WORDS: Final = {
    "guo ji": "international", "mao yi": "trading", "hai yun": "shipping",
    "hang yun": "shipping", "chuan wu": "shipping", "wu liu": "logistics",
    "ke ji": "technology", "ji shu": "technology", "kong gu": "holding",
    "tou zi": "investment", "fa zhan": "development", "shi ye": "industrial",
    "gong ye": "industrial", "neng yuan": "energy", "dian zi": "electronics",
    "hua gong": "chemical", "shi you": "petroleum", "ji tuan": "group",
    "xiang gang": "hong kong", "jin chu kou": "import export",
    "zhi zao": "manufacturing", "gong cheng": "engineering", "ji xie": "machinery",
    "gong si": "",
}
_PINYIN: Final = re.compile(
    r"\b(?:" + "|".join(w.replace(" ", " ?") for w in sorted(_PINYIN_WORDS, key=len,
                                                             reverse=True)) + r")\b")
_PINYIN_JOINED: Final = {w.replace(" ", ""): english for w, english in _PINYIN_WORDS.items()}


def _pinyin_in_english(text: str) -> str:
    return _PINYIN.sub(lambda m: " " + _PINYIN_JOINED[m.group(0).replace(" ", "")] + " ", text)


@lru_cache(maxsize=200_000)
def match_tokens(name: str, schema: str | None) -> tuple[str, ...]:
    """The tokens of a name as screening compares them, in their written order."""
    norm = normalize_vessel_name(name) if schema == "Vessel" else normalize_name(name)
    if schema is None or schema in ORG_SCHEMATA:
        core = _LONG_LEGAL_FORMS.sub(" ", norm)
        if _HAN.search(name):
            core = _pinyin_in_english(core)
        stripped = remove_org_types(core)
        # A name that is nothing but a legal form ("Company LLC" -> "") keeps its words.
        if stripped.strip():
            norm = stripped
    return tuple(norm.split())


@lru_cache(maxsize=200_000)
def given_first(name: str, schema: str | None) -> str:
    """A name's words in written order, given names first: lists write people "SURNAME, Given
    Names", which becomes "given names surname"; a name without one comma stays as written."""
    surname, comma, given = name.partition(",")
    if not comma or "," in given:
        return " ".join(match_tokens(name, schema))
    return " ".join((*match_tokens(given, schema), *match_tokens(surname, schema)))


def sorted_key(tokens: tuple[str, ...]) -> str:
    """Tokens in alphabetical order, space-joined: word order no longer counts."""
    return " ".join(sorted(tokens))


def trigrams(token: str) -> list[str]:
    """Character trigrams of one token with boundary marks (`^an`, `ang`, ..., `ra$`), so a typo
    in a token still shares most of its grams with the right spelling."""
    padded = f"^{token}$"
    if len(padded) <= 3:
        return [padded]
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


#: Letter groups that transliteration systems spell differently (ШУГАЕВ: SHUGAEV, SUGAEV, SHUGAYEV;
#: ЩЕТИНИН: SHCHETININ, SETININ; محمد: MHMD, MUHAMMAD), each folded to one letter before vowels
#: are dropped. Longest first.
_FOLDS: Final = (("shch", "s"), ("sch", "s"), ("sh", "s"), ("ch", "c"), ("zh", "z"),
                 ("kh", "h"), ("ts", "c"), ("tz", "c"), ("ph", "f"), ("th", "t"), ("ck", "k"),
                 ("w", "v"), ("q", "k"), ("x", "ks"))
_VOWELS: Final = frozenset("aeiouyj")


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """A token's consonant skeleton: transliteration variants of one name share it
    (MATVIENKO/MATVIYENKO -> mtvnk, QADHAFI/GADDAFI differ only in their first letter). Letter
    groups folded, vowels, Y, J and every H but a first one dropped, doubled letters merged."""
    text = token
    for group, letter in _FOLDS:
        if group in text:
            text = text.replace(group, letter)
    out: list[str] = []
    for i, char in enumerate(text):
        if char in _VOWELS or (char == "h" and i > 0) or not char.isalnum():
            continue
        if out and out[-1] == char:
            continue
        out.append(char)
    return "".join(out)


#: Arabic-script letters (Arabic, Persian, Urdu, Pashto and their presentation forms).
_ABJAD_SCRIPT: Final = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
#: Letter groups Latin spellings of Arabic names write for one letter (ش SH/CH, خ KH, غ GH,
#: ث TH, ذ DH, ق Q/K), folded before vowels are dropped.
_ABJAD_FOLDS: Final = (("sh", "s"), ("ch", "s"), ("kh", "h"), ("gh", "g"), ("th", "t"),
                       ("dh", "d"), ("ph", "f"), ("q", "k"), ("x", "ks"))
#: Arabic script writes short vowels not at all and long ones as W and Y (ALEF as A): all are
#: dropped after the first letter.
_ABJAD_VOWELS: Final = frozenset("aeiouwy")
#: Words of a Latin name that Arabic script writes as part of the next word (the article AL-)
#: or that lists add or leave out at will (BIN, IBN, BEN, BINT).
_ABJAD_PARTICLES: Final = frozenset({"al", "el", "ul", "ad", "ar", "as", "at", "az", "an",
                                     "bin", "ibn", "ben", "bint"})
#: Marks a word's `abjad_token` among the index's skeleton features.
ABJAD_FEATURE: Final = "~"
_ABD_LINK: Final = re.compile(r"^abd(?:u|e|a|ou)l(?=\w{3}|$)")


def is_abjad(name: str) -> bool:
    """Whether a name is written (at least in part) in Arabic script."""
    return _ABJAD_SCRIPT.search(name) is not None


@lru_cache(maxsize=200_000)
def abjad_token(token: str) -> str:
    """A word as Arabic script writes it, in Latin consonants: the article AL- and the link of
    ABDUL-/ABDEL- taken off, letter groups folded, vowels (and W, Y) after the first letter
    dropped, doubled letters merged. TAHIR and ICU's `tahr` (طاهر) are both `thr`, HABBUSH and
    `hbwsh` (حبوش) both `hbs`, AL-TIKRITI's `tikriti` and `altkryty` both `tkrt`."""
    text = token
    if text.startswith("al") and len(text) > 4:
        text = text[2:]
    text = _ABD_LINK.sub("abd", text)
    for group, letter in _ABJAD_FOLDS:
        if group in text:
            text = text.replace(group, letter)
    out: list[str] = []
    for i, char in enumerate(text):
        if char in "aeiou" or (i and char in _ABJAD_VOWELS):
            continue
        if out and out[-1] == char:
            continue
        out.append(char)
    return "".join(out)


@lru_cache(maxsize=200_000)
def abjad_key(tokens: tuple[str, ...]) -> str:
    """A name's words in written order as `abjad_token` spells them, particles left out: how a
    Latin name and an Arabic-script name of one person meet (TAHIR JALIL HABBUSH AL-TIKRITI and
    طاهر جليل حبوش التكريتي are both `thr jl hbs tkrt`)."""
    return " ".join(s for t in tokens if t not in _ABJAD_PARTICLES and (s := abjad_token(t)))


#: Words that say what an organisation does or is, not who it is: many listed names share them
#: (TRADING, GROUP, SHIPPING, INTERNATIONAL, a legal form), so they cannot tell two firms
#: apart (Watchman #483, nomenklatura #193, rigour #87). rigour tags most of them (its
#: organisation symbols, domains and legal forms: `GENERIC_SYMBOLS`); these are the words of
#: shipping firms' names its tables lack.
SHIPPING_WORDS: Final = frozenset({
    "ship", "ships", "shipmanagement", "shipholding", "shipowning", "shipowners", "tanker",
    "tankers", "carrier", "carriers", "charter", "chartering", "bulk", "bulkers", "line",
    "lines", "freight", "navigation", "trans", "ocean", "oceanic", "sea", "seas", "seaways",
    "cargo", "vessel", "vessels", "fleet", "bunkering", "port", "ports", "terminal",
    "terminals", "towage", "salvage", "commodities", "fuel", "fuels", "metals", "express",
    "lng", "lpg", "products", "joint", "stock", "obshchestvo", "aktsionernoe",
    "ogranichennoy", "ogranichennoi", "otvetstvennostyu", "sherkat"})
GENERIC_SYMBOLS: Final = frozenset({SymbolCategory.SYMBOL, SymbolCategory.DOMAIN,
                                    SymbolCategory.ORG_CLASS})
#: An organisation's name's skeleton raises a score only when its distinctive words have this
#: many consonants (GORI SHIPPING is not EIGER SHIPPING for sharing GR and SHPNG).
DISTINCTIVE_LETTERS: Final = 4


@lru_cache(maxsize=100_000)
def generic_word(word: str) -> bool:
    """Whether a word of an organisation's name is generic (`SHIPPING_WORDS`, a stop word, or
    a word rigour tags as an organisation symbol, domain or legal form). The same for every
    index, so stored scores never follow a store's word counts."""
    if word in SHIPPING_WORDS or is_stopword(word):
        return True
    return any(span.symbol.category in GENERIC_SYMBOLS
               for name in analyze_names(NameTypeTag.ORG, [word], phonetics=False)
               for span in name.spans)


@lru_cache(maxsize=50_000)
def distinctive(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The words of an organisation's name that say who it is (not `generic_word`): a surname,
    a coined name, a place."""
    return tuple(t for t in tokens if not generic_word(t))


#: Mark acronym forms among the index's skeleton features: the initials of a name of several
#: words, and a name of one short word.
INITIALS_FEATURE: Final = "#"
SHORT_NAME_FEATURE: Final = "="
#: Words an acronym often leaves out (ISLAMIC MOVEMENT OF UZBEKISTAN: IMU).
_ACRONYM_SKIP: Final = frozenset({
    "of", "the", "and", "for", "in", "on", "at", "to", "de", "la", "le", "les", "et", "des",
    "du", "del", "della", "di", "al", "el", "y", "i", "wa", "a", "an", "und", "der", "die",
    "das", "fur"})


@lru_cache(maxsize=200_000)
def acronyms(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """A name's forms as an acronym: a name of one short word is one (IMU, INRA, AIO); a name of
    several words gives its initials, with and without the small words (ISLAMIC MOVEMENT OF
    UZBEKISTAN: IMOU and IMU). Two to eight letters."""
    if len(tokens) == 1:
        word = tokens[0]
        return (word,) if 2 <= len(word) <= 8 and word.isalpha() else ()
    forms = {"".join(w[0] for w in tokens),
             "".join(w[0] for w in tokens if w not in _ACRONYM_SKIP)}
    return tuple(sorted(f for f in forms if 2 <= len(f) <= 8))


def query_acronyms(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """A query's forms as an acronym (`acronyms`), none for a name of several words exactly one
    of which is distinctive: a firm known by one name is not known by initials that mix it with
    generic words (FLANTZ TRADING is not the FT of a list, which too many firms share). A query
    of one short word is initials the user typed (MAEI: MINISTRY OF ATOMIC ENERGY INDUSTRY),
    and a body named only in generic words is known by its initials (MINISTRY OF PUBLIC
    SECURITY: MPS)."""
    if len(tokens) > 1 and len(distinctive(tokens)) == 1:
        return ()
    return acronyms(tokens)


def acronym_feature(form: str, one_word: bool) -> str:
    """The blocking feature of one acronym form of a name of one word (`one_word`) or of
    several. A query looks up the other kind: IMU finds the initials of ISLAMIC MOVEMENT OF
    UZBEKISTAN, and that name finds the name IMU; two long names with the same initials do not
    meet this way."""
    return (SHORT_NAME_FEATURE if one_word else INITIALS_FEATURE) + form


#: Words shorter than this are not looked up by their spellings one letter apart: too many
#: short words are one letter from each other.
SPELLING_MIN: Final = 5


def deletions(word: str) -> list[str]:
    """A word and each spelling of it with one letter left out: two words one typo apart (a
    letter left out, added, changed, or two swapped) share one of these (SymSpell's way of
    finding them without comparing every pair). Their size grows with the square of the word's
    length: a word is taken at most MAX_WORD_CHARS letters long, as normalising bounds it."""
    word = word[:MAX_WORD_CHARS]
    return [word, *(word[:i] + word[i + 1 :] for i in range(len(word)))]


def spelling_hash(text: str) -> int:
    """A stable hash of a spelling (the same in every process, unlike `hash`)."""
    return zlib.crc32(text.encode("utf-8"))

"""Synthetic FtM JSON lines at OpenSanctions scale, for `benchmarks/scale.py`.

Fixed seed, streamed to disk (one entity written as soon as it is drawn; nothing but counters
and a small sample of names is kept), so 3.8 million entities need no more memory than 20,000.

What the data is like, and why:
- **Names collide about as real ones do.** Given names, surnames, firm words, vessel words and
  legal forms come from pools per naming culture whose frequencies fall off as Zipf's law
  (weight 1 / rank^s): a short head of very common names (Mohammed, Wang, Kim, Ivanov, Global,
  Ocean) and a long tail of rare pseudo-words made from syllables, so some names are shared by
  thousands of entities and most by few, as in the OpenSanctions default collection.
- **Several names per entity**: aliases in other transliterations (Aleksandr / Alexander /
  Oleksandr, Mohammed / Muhammad, Zhou / Chou, Jong Chol / Jong-Chol), Cyrillic spellings of
  Russian names and firms, legal forms written out or dropped, word order swapped, weak aliases,
  previous names of firms and ships.
- **Persons, companies, organisations and vessels** (about 1.2 %, so a few thousand at 250,000),
  every vessel with a valid IMO ship number (check digit) that occurs nowhere in the real lists
  in ../shared/data/raw, so no synthetic ship carries a real ship's number; MMSIs likewise.
- **About 0.8 relations per entity**: Ownership with percentages (owners drawn from a power law:
  a few holdings own thousands of firms and ships), Directorship, UnknownLink with ship roles
  (operator, managers), Family and Associate links; Sanction entities on about 5 % of them, under
  synthetic authorities and programmes (no real authority is said to list anyone here).

Every entity is in the dataset `synthetic_scale`; ids start with `syn-`. Only the schemata and
properties `loaders/ftm.py` keeps are written, so a load reports no problems.

    .venv/bin/python benchmarks/scale_data.py OUT.jsonl --size 20000 [--queries Q.csv]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import json
import random
import re
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

SEED: Final = 20240503
DATASET: Final = "synthetic_scale"
#: Zipf exponent of every pool: about 1 for names (surnames and given names follow it closely).
ZIPF_S: Final = 1.05
#: Share of nodes per schema (vessels: a few thousand at 250,000, as in OpenSanctions' ratio).
MIX: Final = (("Person", 0.46), ("Company", 0.40), ("Organization", 0.128), ("Vessel", 0.012))
RELATIONS_PER_ENTITY: Final = 0.8
#: Sanction rate per schema: about 5 % over the mix (ships and organisations more often listed).
SANCTION_RATE: Final = {"Person": 0.045, "Company": 0.05, "Organization": 0.06, "Vessel": 0.15}
#: Names kept per entity drawn into the screening sample (the sample is a few times the rows).
SAMPLE_FACTOR: Final = 3

ROOT: Final = Path(__file__).resolve().parents[1]
RAW: Final = ROOT.parent / "shared" / "data" / "raw"


# -- pools ----------------------------------------------------------------------------------

# Each entry: spellings of one name, the usual one first (aliases use the others).
GIVEN: Final[dict[str, list[tuple[str, ...]]]] = {
    "ru": [("Aleksandr", "Alexander", "Alexandr", "Oleksandr"), ("Sergey", "Sergei", "Serhiy"),
           ("Dmitry", "Dmitri", "Dmitriy", "Dmytro"), ("Andrey", "Andrei", "Andriy"),
           ("Alexey", "Aleksei", "Oleksiy"), ("Vladimir", "Wladimir", "Volodymyr"),
           ("Nikolai", "Nikolay", "Mykola"), ("Igor", "Ihor"), ("Yuri", "Yuriy", "Iurii"),
           ("Mikhail", "Mihail", "Mykhailo"), ("Ivan",), ("Oleg", "Oleh"), ("Viktor", "Victor"),
           ("Pavel", "Pavlo"), ("Evgeny", "Yevgeny", "Evgenii"), ("Anatoly", "Anatolii"),
           ("Roman",), ("Maxim", "Maksim", "Maksym"), ("Konstantin", "Kostiantyn"),
           ("Vitaly", "Vitalii"), ("Gennady", "Gennadiy"), ("Boris",), ("Artem", "Artyom"),
           ("Elena", "Yelena", "Olena"), ("Olga", "Olha"), ("Natalia", "Natalya", "Nataliya"),
           ("Tatiana", "Tatyana"), ("Svetlana",), ("Irina", "Iryna"), ("Anna",),
           ("Maria", "Mariya"), ("Ekaterina", "Yekaterina", "Kateryna"), ("Yulia", "Yuliya")],
    "ar": [("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed"), ("Ahmed", "Ahmad"),
           ("Ali",), ("Hassan", "Hasan"), ("Hussein", "Husain", "Hussain", "Husayn"),
           ("Abdullah", "Abdallah", "Abdulla"), ("Omar", "Umar"), ("Khalid", "Khaled"),
           ("Ibrahim", "Ebrahim"), ("Yousef", "Yusuf", "Youssef", "Yosef"),
           ("Mustafa", "Mostafa"), ("Abdul Rahman", "Abdulrahman", "Abd al-Rahman"),
           ("Saeed", "Said", "Sa'id"), ("Hamza", "Hamzah"), ("Tariq", "Tarek", "Tareq"),
           ("Salim", "Salem"), ("Nasser", "Nasir"), ("Walid", "Waleed"), ("Jamal", "Gamal"),
           ("Fatima", "Fatma", "Fatimah"), ("Aisha", "Aysha", "Aicha"), ("Maryam", "Mariam"),
           ("Zainab", "Zaynab")],
    "fa": [("Reza",), ("Hossein", "Hosein", "Hussein"), ("Mahmoud", "Mahmood"),
           ("Mehdi", "Mahdi"), ("Alireza", "Ali Reza", "Ali-Reza"), ("Hamid",), ("Majid",),
           ("Saeed", "Saied"), ("Mohsen",), ("Javad", "Jawad"), ("Amir",), ("Morteza",),
           ("Masoud", "Massoud"), ("Farhad",), ("Behrouz", "Behruz"), ("Zahra",),
           ("Maryam",), ("Fatemeh", "Fatima")],
    "zh": [("Wei",), ("Jun",), ("Ming",), ("Hua",), ("Jie",), ("Yong",), ("Lei",), ("Tao",),
           ("Xin", "Hsin"), ("Hong",), ("Ping",), ("Gang", "Kang"), ("Bin", "Pin"), ("Qiang",
           "Chiang"), ("Jian", "Chien"), ("Hui",), ("Yan",), ("Xiaoming", "Xiao-Ming",
           "Hsiao-Ming"), ("Zhiwei", "Zhi Wei", "Chih-Wei"), ("Jianguo", "Jian Guo"),
           ("Guoqiang", "Kuo-Chiang"), ("Li",), ("Fang",)],
    "ko": [("Jong Chol", "Jong-Chol", "Jongchol", "Chong Chol"), ("Yong Ho", "Yong-Ho"),
           ("Song Il", "Song-Il"), ("Kwang Nam", "Kwang-Nam"), ("Myong Hak", "Myong-Hak"),
           ("Chol Su", "Chol-Su", "Cheol Su"), ("Il Sung", "Il-Sung"), ("Hyok", "Hyeok"),
           ("Sun Hui", "Sun-Hui"), ("Ok Sun", "Ok-Sun"), ("Min Ho", "Min-Ho"),
           ("Jae Won", "Jae-Won"), ("Tong Il", "Tong-Il", "Dong Il")],
    "west": [("John", "Jon"), ("Michael", "Mikael"), ("David",), ("James",), ("Robert",),
             ("Jose", "José"), ("Juan",), ("Carlos",), ("Luis", "Luiz"), ("Ahmet",),
             ("Mehmet", "Mehmed"), ("Mustafa",), ("Peter", "Pieter", "Piotr"),
             ("Thomas", "Tomas"), ("Daniel",), ("Paul", "Paulo"), ("Marco", "Marko"),
             ("George", "Georg", "Jorge"), ("Maria",), ("Ana", "Anna"), ("Sarah", "Sara"),
             ("Elif",), ("Laura",), ("Sofia", "Sophia")],
}
SURNAMES: Final[dict[str, list[tuple[str, ...]]]] = {
    "ru": [("Ivanov",), ("Smirnov",), ("Kuznetsov", "Kuznetzov"), ("Popov",),
           ("Sokolov",), ("Lebedev", "Lebedyev"), ("Kozlov",), ("Novikov",),
           ("Morozov",), ("Petrov",), ("Volkov",), ("Solovyov", "Soloviev", "Solovyev"),
           ("Vasiliev", "Vasilyev", "Vassiliev"), ("Zaitsev", "Zaytsev"), ("Pavlov",),
           ("Semenov", "Semyonov"), ("Golubev",), ("Vinogradov",), ("Bogdanov",),
           ("Vorobyov", "Vorobiev"), ("Fedorov", "Fyodorov"), ("Mikhailov", "Mikhaylov"),
           ("Belyaev", "Belyayev"), ("Tarasov",), ("Belov",), ("Komarov",), ("Orlov",),
           ("Kiselev", "Kiselyov"), ("Makarov",), ("Andreev", "Andreyev"), ("Kovalenko",),
           ("Shevchenko",), ("Bondarenko",), ("Tkachenko",), ("Kravchenko",),
           ("Medvedev",), ("Yakovlev", "Iakovlev"), ("Zhukov", "Joukov"), ("Kharitonov",
           "Haritonov")],
    "ar": [("Al-Rashid", "Al Rashid", "Alrashid", "El-Rashid"), ("Al-Hashimi", "Al Hashemi"),
           ("Al-Masri", "El-Masry", "Al Masri"), ("Al-Tamimi", "Al Tamimi"),
           ("Al-Qahtani", "Al Kahtani"), ("Al-Shammari", "Al Shammari"),
           ("Al-Zahrani", "Al Zahrani"), ("Haddad", "Hadad"), ("Nasser", "Nasir"),
           ("Khalil", "Khaleel"), ("Mansour", "Mansur"), ("Saleh", "Salih"),
           ("Hamdan",), ("Abbas",), ("Karim", "Kareem"), ("Aziz",), ("Darwish", "Darwich"),
           ("Yassin", "Yasin"), ("Ismail", "Ismael")],
    "fa": [("Ahmadi",), ("Hosseini", "Husseini", "Hoseini"), ("Rezaei", "Rezai", "Rezaie"),
           ("Mohammadi", "Mohamadi"), ("Karimi",), ("Rahimi",), ("Moradi",), ("Jafari",
           "Jaafari"), ("Sadeghi", "Sadeqi"), ("Rostami",), ("Hashemi",), ("Ghasemi",
           "Qasemi"), ("Kazemi",), ("Zamani",), ("Ahmadzadeh", "Ahmad Zadeh"),
           ("Hosseinpour", "Hossein Pour"), ("Rezanejad", "Reza Nejad")],
    "zh": [("Wang",), ("Li", "Lee"), ("Zhang", "Chang", "Cheung"), ("Liu", "Lau"),
           ("Chen", "Chan"), ("Yang", "Yeung"), ("Huang", "Wong"), ("Zhao", "Chao"),
           ("Wu", "Ng"), ("Zhou", "Chou", "Chow"), ("Xu", "Hsu", "Tsui"), ("Sun", "Suen"),
           ("Ma",), ("Zhu", "Chu"), ("Hu", "Wu"), ("Guo", "Kuo", "Kwok"), ("He", "Ho"),
           ("Lin", "Lam"), ("Gao", "Kao"), ("Luo", "Lo")],
    "ko": [("Kim", "Gim"), ("Ri", "Lee", "Yi", "Rhee"), ("Pak", "Park", "Bak"),
           ("Choe", "Choi", "Chwe"), ("Jong", "Jung", "Chong"), ("Kang",), ("Jo", "Cho"),
           ("Yun", "Yoon"), ("Jang", "Chang"), ("Rim", "Lim", "Im"), ("Han",), ("O", "Oh")],
    "west": [("Smith",), ("Johnson",), ("Garcia", "García"), ("Martinez", "Martínez"),
             ("Rodriguez", "Rodríguez"), ("Lopez", "López"), ("Gonzalez", "González"),
             ("Hernandez",), ("Yilmaz", "Yılmaz"), ("Kaya",), ("Demir",), ("Sahin", "Şahin"),
             ("Celik", "Çelik"), ("Muller", "Müller", "Mueller"), ("Schmidt", "Schmitt"),
             ("Schneider",), ("Fischer",), ("Weber",), ("Rossi",), ("Papadopoulos",),
             ("Brown",), ("Williams",), ("Silva",), ("Santos",)],
}
#: Syllables of each culture's long tail of rare surnames, and the endings they take.
TAIL: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "ru": (("ka", "ra", "lo", "vin", "gor", "zh", "bel", "kur", "mal", "sto", "tre", "pol",
            "gri", "dub", "sha", "chu", "lev", "zol", "kra", "mir"), ("ov", "ev", "in", "sky",
                                                                       "enko", "chuk")),
    "ar": (("al", "ha", "ka", "ri", "za", "mu", "sa", "ja", "da", "ra", "bi", "ta"),
           ("i", "an", "ani", "awi", "oun", "ar")),
    "fa": (("ja", "fa", "ba", "ne", "za", "mo", "ra", "sha", "ka", "da", "gha", "te"),
           ("i", "zadeh", "pour", "nejad", "far", "ian")),
    "zh": (("Q", "X", "Zh", "C", "S", "T", "D", "F", "Y", "M"), ("iao", "ang", "eng", "ong",
                                                                   "uan", "in")),
    "ko": (("S", "M", "N", "T", "P", "H"), ("ong", "yon", "ok", "un", "ang")),
    "west": (("ber", "man", "ton", "son", "ler", "dor", "vic", "mar", "kel", "ras", "tel"),
             ("s", "er", "ez", "ini", "ski", "ford", "oglu")),
}
#: Share of persons per naming culture.
CULTURES: Final = (("ru", 0.30), ("ar", 0.18), ("fa", 0.10), ("zh", 0.12), ("ko", 0.05),
                   ("west", 0.25))
#: Firm and ship words, the common ones first (the Zipf head).
FIRM_WORDS: Final = (
    "Global", "International", "Trans", "Ocean", "Star", "Nord", "Baltic", "Sea", "Alpha",
    "Grand", "Golden", "United", "Asia", "Euro", "Petro", "Sun", "Royal", "New", "First",
    "Eastern", "Pacific", "Atlantic", "Oriental", "Prime", "Delta", "Omega", "Unity", "Vector",
    "Titan", "Phoenix", "Crystal", "Silver", "Green", "Blue", "Arctic", "Caspian", "Black Sea",
    "Volga", "Ural", "Siberian", "Gulf", "Red Sea", "Horizon", "Pioneer", "Fortune", "Victory",
    "Harmony", "Neptune", "Atlas", "Polar", "Eagle", "Falcon", "Lion", "Dragon", "Pearl",
    "Diamond", "Emerald", "Crown", "Empire", "Liberty", "Zenith", "Apex", "Nova", "Stellar",
    "Orion", "Sirius", "Aurora", "Meridian", "Vista", "Summit", "Bridge", "Gate", "Harbor",
    "Port", "Coast", "Bay", "Island", "Continental", "Inter", "Multi", "Mega", "Smart", "Tech",
)
SECTORS: Final = (
    "Shipping", "Trading", "Logistics", "Marine", "Maritime", "Energy", "Oil", "Gas",
    "Petroleum", "Invest", "Investment", "Holding", "Holdings", "Capital", "Finance",
    "Industries", "Technologies", "Engineering", "Construction", "Metals", "Mining",
    "Chemicals", "Electronics", "Services", "Management", "Group", "Agro", "Transport", "Fleet",
    "Tankers", "Navigation", "Consulting", "Import Export", "General Trading", "Development",
)
#: Jurisdictions with their legal forms (short form, long form), the usual ones first.
LEGAL_FORMS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "ru": (("LLC", "Limited Liability Company"), ("OOO", "Obshchestvo s Ogranichennoy "
           "Otvetstvennostyu"), ("JSC", "Joint Stock Company"), ("AO", "Aktsionernoe "
           "Obshchestvo"), ("PAO", "Public Joint Stock Company")),
    "ae": (("FZE", "Free Zone Establishment"), ("LLC", "Limited Liability Company"),
           ("FZCO", "Free Zone Company"), ("DMCC", "DMCC Company")),
    "hk": (("Limited", "Ltd"), ("Co., Ltd.", "Company Limited")),
    "cn": (("Co., Ltd.", "Company Limited"), ("Group Co., Ltd.", "Group Company Limited")),
    "de": (("GmbH", "Gesellschaft mit beschraenkter Haftung"), ("AG", "Aktiengesellschaft")),
    "gb": (("Ltd", "Limited"), ("LLP", "Limited Liability Partnership"), ("PLC",
           "Public Limited Company")),
    "us": (("Inc.", "Incorporated"), ("LLC", "Limited Liability Company"), ("Corp.",
           "Corporation")),
    "sg": (("Pte. Ltd.", "Private Limited"),),
    "tr": (("A.S.", "Anonim Sirketi"), ("Ltd. Sti.", "Limited Sirketi")),
    "mh": (("Inc.", "Incorporated"), ("Corp.", "Corporation"), ("S.A.", "Sociedad Anonima")),
    "ir": (("Co.", "Company"), ("PJSC", "Public Joint Stock Company")),
    "kp": (("Corporation", "Corp."), ("Trading Company", "Trading Co.")),
}
JURISDICTIONS: Final = (("ru", 0.28), ("ae", 0.14), ("hk", 0.12), ("cn", 0.10), ("gb", 0.07),
                        ("us", 0.06), ("sg", 0.05), ("tr", 0.05), ("mh", 0.06), ("de", 0.03),
                        ("ir", 0.03), ("kp", 0.01))
ORG_FORMS: Final = (
    "{w} Foundation", "{w} Association", "{w} Charitable Trust", "Committee for {w} Affairs",
    "{w} Brigade", "{w} Front", "{w} Movement", "{w} Institute", "{w} Research Centre",
    "{w} Union", "Council of {w}", "{w} Society", "{w} Network",
)
SHIP_WORDS: Final = (
    "Ocean", "Star", "Sea", "Princess", "Glory", "Pioneer", "Spirit", "Fortune", "Lucky",
    "Golden", "Victory", "Harmony", "Neptune", "Atlas", "Maria", "Elena", "Anna", "Polar",
    "Arctic", "Baltic", "Eagle", "Wind", "Wave", "Breeze", "Queen", "King", "Dragon", "Pearl",
    "Jade", "Lotus", "Hope", "Grace", "Liberty", "Express", "Trader", "Carrier", "Voyager",
    "Navigator", "Explorer", "Horizon", "Aurora", "Phoenix", "Titan", "Nova", "Sun", "Moon",
)
SHIP_TYPES: Final = ("Crude Oil Tanker", "Oil Products Tanker", "Chemical Tanker",
                     "Bulk Carrier", "General Cargo", "Container Ship", "LPG Tanker",
                     "Ro-Ro Cargo", "Refrigerated Cargo", "Tug")
#: Flags with the MMSI country digits (MID) of each.
FLAGS: Final = (("pa", "352"), ("lr", "636"), ("mh", "538"), ("ru", "273"), ("mt", "248"),
                ("km", "616"), ("cm", "613"), ("ga", "626"), ("hk", "477"), ("sg", "563"),
                ("kp", "445"), ("ir", "422"), ("tz", "677"), ("sl", "667"), ("pw", "511"))
AUTHORITIES: Final = tuple(f"Synthetic Sanctions Authority {c}" for c in "ABCDEFG")
PROGRAMS: Final = tuple(f"SYN-{n:02d}" for n in range(1, 31))
DIRECTOR_ROLES: Final = ("Director", "General Director", "Chief Executive Officer",
                         "Chairman", "Board Member", "Founder", "Shareholder")
SHIP_ROLES: Final = ("operator", "ship manager", "ISM manager", "technical manager",
                     "commercial manager")
FAMILY: Final = ("brother", "sister", "son", "daughter", "spouse", "father", "cousin")

_CYRILLIC: Final = (
    ("shch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"),
    ("ya", "я"), ("yu", "ю"), ("yo", "ё"), ("ye", "е"), ("iy", "ий"), ("y", "ы"),
    ("a", "а"), ("b", "б"), ("c", "к"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"),
    ("h", "х"), ("i", "и"), ("j", "дж"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"),
    ("o", "о"), ("p", "п"), ("q", "к"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"),
    ("v", "в"), ("w", "в"), ("x", "кс"), ("z", "з"),
)
_CYRILLIC_RE: Final = re.compile("|".join(re.escape(k) for k, _ in _CYRILLIC))
_CYRILLIC_MAP: Final = dict(_CYRILLIC)
#: Spelling changes that transliterations make (applied to one name to make a variant).
_RESPELL: Final = ((r"ks", "x"), (r"x", "ks"), (r"iy\b", "y"), (r"y\b", "i"), (r"ev\b", "yev"),
                   (r"ov\b", "off"), (r"ou", "u"), (r"kh", "h"), (r"ts", "tz"), (r"ph", "f"),
                   (r"ee", "i"), (r"oo", "u"), (r"ch", "tch"), (r"j", "dj"), (r"q", "k"),
                   (r"w", "v"), (r"([a-z])\1", r"\1"))


class Pool:
    """Values drawn with Zipf-like frequencies: the value of rank r with weight 1 / r^s."""

    __slots__ = ("cum", "values")

    def __init__(self, values: Sequence[Any], s: float = ZIPF_S) -> None:
        self.values = list(values)
        self.cum = list(itertools.accumulate(1.0 / (r ** s) for r in range(1, len(values) + 1)))

    def draw(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def _tail(rng: random.Random, culture: str, n: int) -> list[tuple[str, ...]]:
    """A culture's long tail of rare surnames: syllables and an ending, capitalised."""
    syllables, endings = TAIL[culture]
    if culture in ("zh", "ko"):  # one syllable: every combination, shuffled
        words = [s + e for s in syllables for e in endings]
        rng.shuffle(words)
        return [(w,) for w in words[:n]]
    out: dict[str, None] = {}
    while len(out) < n:
        k = rng.choice((2, 2, 3))
        word = "".join(rng.choice(syllables) for _ in range(k)) + rng.choice(endings)
        out[word.capitalize()] = None
    return [(w,) for w in out]


def _brand_words(rng: random.Random, n: int) -> list[str]:
    """A long tail of made-up firm words (brand-like: Rontex, Vialux, Marnova)."""
    parts = ("ron", "tex", "via", "lux", "mar", "nova", "tek", "sol", "ver", "al", "ex", "ion",
             "tra", "gem", "sta", "kor", "pro", "max", "net", "ika", "ura", "bel", "dan", "zen")
    out: dict[str, None] = {}
    while len(out) < n:
        out["".join(rng.choice(parts) for _ in range(rng.choice((2, 3, 3, 4)))).capitalize()] = None
    return list(out)


@dataclass
class Pools:
    """Every pool, built once from the seed."""

    given: dict[str, Pool]
    surname: dict[str, Pool]
    firm: Pool
    sector: Pool
    ship: Pool
    legal: dict[str, Pool]

    @classmethod
    def build(cls, rng: random.Random) -> Pools:
        given = {c: Pool(v) for c, v in GIVEN.items()}
        surname = {c: Pool(v + _tail(rng, c, 400 if c in ("zh", "ko") else 4000))
                   for c, v in SURNAMES.items()}
        firm = Pool(list(FIRM_WORDS) + _brand_words(rng, 20000))
        return cls(given, surname, firm, Pool(SECTORS), Pool(list(SHIP_WORDS) + _brand_words(
            rng, 3000)), {j: Pool(f) for j, f in LEGAL_FORMS.items()})


# -- variants -------------------------------------------------------------------------------

def cyrillic(text: str) -> str:
    """Latin letters to Cyrillic, as Russian names and firms are written in the other script."""
    return _CYRILLIC_RE.sub(lambda m: _CYRILLIC_MAP[m.group(0)], text.lower()).upper()


def respell(rng: random.Random, text: str) -> str:
    """One transliteration-like spelling change (Aleksei -> Alexei), or the text unchanged."""
    rules = list(_RESPELL)
    rng.shuffle(rules)
    for pattern, replacement in rules:
        changed = re.sub(pattern, replacement, text, count=1, flags=re.IGNORECASE)
        if changed != text:
            return changed
    return text


def typo(rng: random.Random, text: str) -> str:
    """One keyboard slip: a letter dropped, doubled, or two swapped."""
    if len(text) < 5:
        return text
    i = rng.randrange(1, len(text) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def _spell(rng: random.Random, spellings: tuple[str, ...]) -> str:
    """The usual spelling mostly, another one sometimes (lists disagree on spellings too)."""
    return spellings[0] if len(spellings) == 1 or rng.random() < 0.8 else rng.choice(spellings)


# -- IMO numbers ----------------------------------------------------------------------------

def imo_check_digit(six: str) -> int:
    return sum(int(d) * w for d, w in zip(six, range(7, 1, -1), strict=True)) % 10


def real_numbers(raw: Path, digits: int) -> set[str]:
    """Every run of exactly `digits` digits in the real files (xlsx read inside the zip): a
    superset of their IMO numbers and MMSIs, so no synthetic ship can take a real one's."""
    pattern = re.compile(rb"(?<!\d)\d{%d}(?!\d)" % digits)
    found: set[str] = set()
    for path in sorted(raw.iterdir()) if raw.is_dir() else []:
        if not path.is_file():
            continue
        blobs: list[bytes] = []
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                blobs = [archive.read(name) for name in archive.namelist()]
        else:
            blobs = [path.read_bytes()]
        for blob in blobs:
            found.update(m.decode() for m in pattern.findall(blob))
    return found


def imo_numbers(rng: random.Random, n: int, taken: set[str]) -> Iterator[str]:
    """`n` distinct valid IMO ship numbers (check digit), none of them in `taken`."""
    seen: set[str] = set()
    while len(seen) < n:
        six = str(rng.randrange(700000, 999999))
        number = six + str(imo_check_digit(six))
        if number in taken or number in seen:
            continue
        seen.add(number)
        yield number


# -- the generator --------------------------------------------------------------------------

@dataclass
class Sampled:
    """One entity drawn into the screening sample."""

    schema: str
    names: list[str]
    culture: str
    imo: str | None = None


@dataclass
class Generated:
    """What a generation wrote: counts, the probe entities the benchmark asks about, and a
    sample of entities to screen."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    probe_vessel: str = ""
    probe_imo: str = ""
    probe_owner: str = ""
    sample: list[Sampled] = field(default_factory=list)

    @property
    def entities(self) -> int:
        return sum(self.counts.get(s, 0) for s, _ in MIX)


def _shares(size: int) -> dict[str, int]:
    counts = {schema: int(size * share) for schema, share in MIX}
    counts["Person"] += size - sum(counts.values())
    return counts


def _id(schema: str, n: int) -> str:
    return f"syn-{schema[0].lower()}-{n:07d}"


class Writer:
    """FtM JSON lines, one entity a line, written as they come."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.counts: dict[str, int] = {}

    def write(self, entity_id: str, schema: str, props: dict[str, list[str]]) -> None:
        self.counts[schema] = self.counts.get(schema, 0) + 1
        line = {"id": entity_id, "schema": schema,
                "properties": {k: v for k, v in props.items() if v}, "datasets": [DATASET]}
        self.handle.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
        self.handle.write("\n")


class Generator:
    def __init__(self, size: int, *, seed: int = SEED, sample: int = 0,
                 raw: Path = RAW) -> None:
        self.rng = random.Random(seed)
        self.size = size
        self.counts = _shares(size)
        self.pools = Pools.build(self.rng)
        self.sample_p = min(1.0, sample * SAMPLE_FACTOR / max(size, 1))
        self.sample: list[Sampled] = []
        self.taken_imo = real_numbers(raw, 7)
        self.taken_mmsi = real_numbers(raw, 9)
        self.probe_imo = ""

    # names

    def person_names(self, culture: str) -> tuple[list[str], str, str]:
        """(names, first name, last name): the name first, then aliases."""
        rng, pools = self.rng, self.pools
        given = pools.given[culture].draw(rng)
        family = pools.surname[culture].draw(rng)
        first, last = _spell(rng, given), _spell(rng, family)
        middle = ""
        if culture == "ru" and rng.random() < 0.7:
            father = pools.given["ru"].draw(rng)[0]
            soft = father[-1] in "yi"  # Sergey -> Sergeevich, Ivan -> Ivanovich
            middle = (father[:-1] if soft else father) + ("e" if soft else "o") + (
                "vna" if first[-1] == "a" else "vich")
            if first[-1] == "a" and last.endswith(("ov", "ev", "in")):
                last += "a"
        elif culture == "ar" and rng.random() < 0.4:
            middle = "bin " + _spell(rng, pools.given["ar"].draw(rng))
        if culture in ("zh", "ko"):
            name = f"{last} {first}"
        else:
            name = " ".join(p for p in (first, middle, last) if p)
        names = [name]
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            kind = rng.randrange(4)
            if kind == 0 and len(given) + len(family) > 2:
                alias = " ".join(p for p in (rng.choice(given), middle, rng.choice(family)) if p)
            elif kind == 1 and culture == "ru":
                alias = cyrillic(name)
            elif kind == 2:
                alias = f"{last} {first}" if culture not in ("zh", "ko") else f"{first} {last}"
            else:
                alias = respell(rng, name)
            if alias not in names:
                names.append(alias)
        return names, first, last

    def company_names(self, jurisdiction: str) -> list[str]:
        rng, pools = self.rng, self.pools
        short, long = pools.legal[jurisdiction].draw(rng)
        pattern = rng.random()
        if pattern < 0.5:
            core = f"{pools.firm.draw(rng)} {pools.sector.draw(rng)}"
        elif pattern < 0.7:
            core = f"{pools.firm.draw(rng)} {pools.firm.draw(rng)}"
        elif pattern < 0.9:
            core = f"{pools.firm.draw(rng)} {pools.firm.draw(rng)} {pools.sector.draw(rng)}"
        else:
            culture = {"ru": "ru", "cn": "zh", "hk": "zh", "ir": "fa", "ae": "ar",
                       "kp": "ko"}.get(jurisdiction, "west")
            core = f"{pools.surname[culture].draw(rng)[0]} {pools.sector.draw(rng)}"
        if jurisdiction == "ru" and short in ("OOO", "AO", "PAO") and rng.random() < 0.5:
            name = f'{short} "{core}"'
        else:
            name = f"{core} {short}"
        names = [name.upper() if rng.random() < 0.3 else name]
        for _ in range(rng.choice((0, 1, 1, 2))):
            kind = rng.randrange(4)
            if kind == 0:
                alias = f"{core} {long}"
            elif kind == 1:
                alias = core
            elif kind == 2 and jurisdiction == "ru":
                alias = cyrillic(f"{short} {core}")
            else:
                alias = respell(rng, name)
            if alias not in names:
                names.append(alias)
        return names

    def vessel_names(self) -> list[str]:
        rng, pools = self.rng, self.pools
        pattern = rng.random()
        if pattern < 0.45:
            name = f"{pools.ship.draw(rng)} {pools.ship.draw(rng)}"
        elif pattern < 0.7:
            name = pools.ship.draw(rng)
        elif pattern < 0.85:
            name = f"{pools.ship.draw(rng)} {rng.randrange(1, 30)}"
        else:
            name = _spell(rng, pools.given[_weighted(rng, CULTURES)].draw(rng))
        names = [name.upper()]
        for _ in range(rng.choice((0, 1, 1, 2, 3))):  # former names
            names.append(f"{pools.ship.draw(rng)} {pools.ship.draw(rng)}".upper())
        return names

    # entities

    def _keep(self, schema: str, names: list[str], culture: str, imo: str | None = None) -> None:
        if self.rng.random() < self.sample_p:
            self.sample.append(Sampled(schema, names, culture, imo))

    def _date(self, start: int, end: int) -> str:
        year = self.rng.randrange(start, end)
        return f"{year}-{self.rng.randrange(1, 13):02d}-{self.rng.randrange(1, 29):02d}"

    def persons(self, out: Writer) -> None:
        rng = self.rng
        for n in range(self.counts["Person"]):
            culture = _weighted(rng, CULTURES)
            names, first, last = self.person_names(culture)
            props = {"name": names[:1], "alias": names[1:], "firstName": [first],
                     "lastName": [last], "birthDate": [self._date(1940, 2002)] if
                     rng.random() < 0.7 else [],
                     "nationality": [{"ru": "ru", "ar": rng.choice(("sy", "iq", "ae", "lb")),
                                      "fa": "ir", "zh": "cn", "ko": "kp"}.get(
                                          culture, rng.choice(("us", "tr", "de", "es")))],
                     "passportNumber": [f"P{rng.randrange(10**7, 10**8)}"]
                     if rng.random() < 0.1 else []}
            out.write(_id("Person", n), "Person", props)
            self._keep("Person", names, culture)

    def companies(self, out: Writer) -> None:
        rng = self.rng
        for n in range(self.counts["Company"]):
            jurisdiction = _weighted(rng, JURISDICTIONS)
            names = self.company_names(jurisdiction)
            props = {"name": names[:1], "alias": names[1:],
                     "previousName": self.company_names(jurisdiction)[:1]
                     if rng.random() < 0.08 else [],
                     "jurisdiction": [jurisdiction],
                     "registrationNumber": [f"{jurisdiction.upper()}{n:09d}"]
                     if rng.random() < 0.3 else [],
                     "incorporationDate": [self._date(1990, 2024)] if rng.random() < 0.4 else []}
            out.write(_id("Company", n), "Company", props)
            self._keep("Company", names, jurisdiction)

    def organizations(self, out: Writer) -> None:
        rng, pools = self.rng, self.pools
        for n in range(self.counts["Organization"]):
            form, word = rng.choice(ORG_FORMS), pools.firm.draw(rng)
            name = form.format(w=word)
            names = [name]
            if rng.random() < 0.4:
                names.append(form.format(w=respell(rng, word)))
            if rng.random() < 0.2:
                names.append("".join(w[0] for w in name.split() if w[0].isupper()))
            names = list(dict.fromkeys(names))
            props = {"name": names[:1], "alias": names[1:2], "weakAlias": names[2:],
                     "country": [rng.choice(("ru", "ir", "sy", "kp", "ye", "af", "lb"))]}
            out.write(_id("Organization", n), "Organization", props)
            self._keep("Organization", names, "org")

    def vessels(self, out: Writer) -> None:
        rng = self.rng
        numbers = imo_numbers(rng, self.counts["Vessel"], self.taken_imo)
        mmsis: set[str] = set()
        for n, imo in enumerate(numbers):
            names = self.vessel_names()
            flag, mid = rng.choice(FLAGS)
            mmsi = f"{mid}{rng.randrange(10**5, 10**6)}"
            keep_mmsi = rng.random() < 0.6 and mmsi not in self.taken_mmsi and mmsi not in mmsis
            mmsis.add(mmsi)
            props = {"name": names[:1], "previousName": names[1:], "imoNumber": [imo],
                     "mmsi": [mmsi] if keep_mmsi else [], "flag": [flag],
                     "type": [rng.choice(SHIP_TYPES)],
                     "buildDate": [str(rng.randrange(1975, 2022))]}
            out.write(_id("Vessel", n), "Vessel", props)
            self._keep("Vessel", names, "ship", imo)
            if n == 0:
                self.probe_imo = imo

    # relations

    def _pick(self, schema: str, concentrated: bool = False) -> str:
        """An entity of a schema: uniform, or concentrated on a few (power law: big holdings)."""
        u = self.rng.random()
        n = self.counts[schema]
        return _id(schema, int(n * (u ** 4 if concentrated else u)) % n)

    def relations(self, out: Writer) -> Generated:
        rng = self.rng
        total = int(self.size * RELATIONS_PER_ENTITY)
        made = 0
        # The probe: a vessel whose owner is owned by a firm a sanctioned person controls.
        probe = Generated(Path())
        probe.probe_vessel, probe.probe_owner = _id("Vessel", 0), _id("Person", 0)
        chain = [(_id("Company", 1), _id("Vessel", 0), "100"),
                 (_id("Company", 2), _id("Company", 1), "100"),
                 (_id("Person", 0), _id("Company", 2), "60")]
        for owner, asset, pct in chain:
            out.write(f"syn-own-{made:08d}", "Ownership",
                      {"owner": [owner], "asset": [asset], "percentage": [pct],
                       "role": ["registered owner" if asset.startswith("syn-v")
                                else "shareholder"]})
            made += 1
        # Every vessel: a registered owner, often an operator or a manager.
        for n in range(self.counts["Vessel"]):
            if n == 0 or made >= total:
                continue
            vessel = _id("Vessel", n)
            out.write(f"syn-own-{made:08d}", "Ownership",
                      {"owner": [self._pick("Company", True)], "asset": [vessel],
                       "percentage": ["100"], "role": ["registered owner"],
                       "startDate": [self._date(2000, 2025)] if rng.random() < 0.5 else []})
            made += 1
            if rng.random() < 0.6:
                out.write(f"syn-lnk-{made:08d}", "UnknownLink",
                          {"subject": [self._pick("Company", True)], "object": [vessel],
                           "role": [rng.choice(SHIP_ROLES)]})
                made += 1
        while made < total:
            kind = rng.random()
            if kind < 0.40:  # ownership of firms
                owner = self._pick("Company", True) if rng.random() < 0.7 else self._pick(
                    "Person")
                asset = self._pick("Company")
                if owner == asset:
                    continue
                pct = rng.choice(("100", "100", "50", "51", "25", "33.3", "75", "10")) if (
                    rng.random() < 0.8) else f"{rng.uniform(0.5, 99.5):.1f}"
                out.write(f"syn-own-{made:08d}", "Ownership",
                          {"owner": [owner], "asset": [asset], "percentage": [pct],
                           "role": ["shareholder"],
                           "startDate": [self._date(1995, 2025)] if rng.random() < 0.3 else []})
            elif kind < 0.70:  # directorships
                org = self._pick("Company") if rng.random() < 0.85 else self._pick(
                    "Organization")
                out.write(f"syn-dir-{made:08d}", "Directorship",
                          {"director": [self._pick("Person")], "organization": [org],
                           "role": [rng.choice(DIRECTOR_ROLES)],
                           "startDate": [self._date(1995, 2025)] if rng.random() < 0.3 else []})
            elif kind < 0.82:  # firm-to-firm links
                a, b = self._pick("Company"), self._pick("Company")
                if a == b:
                    continue
                out.write(f"syn-lnk-{made:08d}", "UnknownLink",
                          {"subject": [a], "object": [b], "role": ["linked"]})
            elif kind < 0.90:  # family
                a, b = self._pick("Person"), self._pick("Person")
                if a == b:
                    continue
                out.write(f"syn-fam-{made:08d}", "Family",
                          {"person": [a], "relative": [b], "relationship": [rng.choice(FAMILY)]})
            else:  # associates and members
                if rng.random() < 0.6:
                    a, b = self._pick("Person"), self._pick("Person")
                    if a == b:
                        continue
                    out.write(f"syn-ass-{made:08d}", "Associate",
                              {"person": [a], "associate": [b]})
                else:
                    out.write(f"syn-mem-{made:08d}", "Membership",
                              {"organization": [self._pick("Organization")],
                               "member": [self._pick("Person")]})
            made += 1
        return probe

    def sanctions(self, out: Writer) -> None:
        rng = self.rng
        made = 0
        for schema, _ in MIX:
            rate = SANCTION_RATE[schema]
            for n in range(self.counts[schema]):
                listed = (schema == "Person" and n == 0) or rng.random() < rate
                if not listed:
                    continue
                out.write(f"syn-san-{made:08d}", "Sanction",
                          {"entity": [_id(schema, n)], "authority": [rng.choice(AUTHORITIES)],
                           "program": [rng.choice(PROGRAMS)],
                           "listingDate": [self._date(2000, 2026)]})
                made += 1

    def write(self, path: Path) -> Generated:
        with path.open("w", encoding="utf-8") as handle:
            out = Writer(handle)
            self.persons(out)
            self.companies(out)
            self.organizations(out)
            self.vessels(out)
            probe = self.relations(out)
            self.sanctions(out)
        probe.path = path
        probe.counts = dict(out.counts)
        probe.sample = self.sample
        probe.probe_imo = self.probe_imo
        return probe


def generate(path: Path, size: int, *, seed: int = SEED, sample: int = 0,
             raw: Path = RAW) -> Generated:
    """Write `size` synthetic nodes (with their relations and sanctions) to `path` as FtM JSON
    lines; keep about `sample` * 3 of them (their names) for screening queries."""
    return Generator(size, seed=seed, sample=sample, raw=raw).write(path)


# -- screening queries ----------------------------------------------------------------------

def screening_rows(generated: Generated, n: int, *, seed: int = SEED) -> list[dict[str, str]]:
    """`n` rows to screen, drawn from the synthetic names with variants: some exact, most
    respelled, mistyped, reordered, in the other script or with the legal form dropped, and a
    fifth of names of no entity (fresh draws from the same pools: some still collide, as real
    customers' names do). Vessel rows give the IMO number half of the time."""
    rng = random.Random(seed + 1)
    pools = Pools.build(random.Random(seed + 2))
    rows: list[dict[str, str]] = []
    sample = generated.sample
    while len(rows) < n:
        if not sample or rng.random() < 0.2:
            culture = _weighted(rng, CULTURES)
            name = f"{_spell(rng, pools.given[culture].draw(rng))} " \
                   f"{_spell(rng, pools.surname[culture].draw(rng))}"
            rows.append({"name": name, "type": "Person", "imo": ""})
            continue
        item = rng.choice(sample)
        name = rng.choice(item.names)
        kind = rng.randrange(5)
        if kind == 1:
            name = respell(rng, name)
        elif kind == 2:
            name = typo(rng, name)
        elif kind == 3:
            words = name.split()
            name = " ".join(words[1:] + words[:1]) if item.schema == "Person" else \
                " ".join(words[:-1]) or name
        elif kind == 4:
            name = name.upper() if rng.random() < 0.5 else cyrillic(name)
        imo = item.imo if item.imo and rng.random() < 0.5 else ""
        rows.append({"name": name, "type": item.schema, "imo": imo})
    return rows


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["name", "type", "imo"])
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--queries", type=Path, help="also write 20,000 screening rows here")
    args = parser.parse_args()
    made = generate(args.output, args.size, seed=args.seed, sample=20_000 if args.queries else 0)
    print(json.dumps({"entities": made.entities, "counts": made.counts,
                      "probe_imo": made.probe_imo}))
    if args.queries:
        write_rows(args.queries, screening_rows(made, 20_000, seed=args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())

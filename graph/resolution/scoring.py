"""Scoring a candidate pair: named features with weights you can read, and the explanation.

The score is a sum of weighted features, clipped to [0, 1]: a name similarity carries a pair up
to the merge threshold on its own only when the names are equal and nothing speaks against it;
a shared strong identifier decides; conflicting evidence pulls the score down; two different IMO
ship numbers, or records of different kinds (a ship and a company), veto the pair outright.
Every feature that fired is returned with its value, weight and what it saw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Final

from rapidfuzz import fuzz

from graph.resolution.records import MatchRecord

#: The version of the scoring rules. Stored with every scored pair: a change re-scores all.
MATCHER_VERSION: Final = "sg-2"

# -- weights: each is how much one feature moves the score (0 = no match, 1 = certain) -----------

#: Equal names, nothing else known: 0.85, above the merge threshold.
NAME_WEIGHT: Final = 0.85
#: Name similarity below this contributes nothing (different names that share letters).
NAME_FLOOR: Final = 0.6
#: A match on a ship's former name counts for this share of a current-name match (ships are
#: renamed and names reused).
PREVIOUS_NAME_FACTOR: Final = 0.9
#: Equal phonetic forms (LEASING ~ LIZING) rate as this similarity when the spelling differs.
PHONETIC_SIMILARITY: Final = 0.92
#: Person names where one is a subset of the other (a patronymic left out) rate at most this.
SUBSET_SIMILARITY: Final = 0.9

IDENTIFIER_WEIGHTS: Final = {
    # A shared identifier of one entity and one entity only decides the pair.
    "imo_ship_match": 1.0,
    "imo_company_match": 1.0,
    "inn_match": 1.0,
    "ogrn_match": 1.0,
    "un_ref_match": 1.0,
    # Registry numbers in free-form fields (tax, registration) are strong but can be mistyped.
    "registry_match": 0.6,
    # MMSIs and call signs pass from ship to ship when one is scrapped or reflagged.
    "mmsi_match": 0.35,
    "call_sign_match": 0.25,
}
CONFLICT_WEIGHTS: Final = {
    "imo_company_conflict": -1.0,
    "inn_conflict": -0.7,
    "ogrn_conflict": -0.7,
    "un_ref_conflict": -0.9,
    # Shadow-fleet ships change flag, and with it MMSI, often: a weak signal on its own.
    "mmsi_conflict": -0.05,
    "build_year_conflict": -0.6,
    "birth_year_conflict": -0.6,
    "country_conflict": -0.15,
    "legal_form_conflict": -0.1,
    # The name is worn by several records in one list, so the name alone cannot pick one.
    "ambiguous_name": -0.1,
}
SUPPORT_WEIGHTS: Final = {
    "birth_date_match": 0.15,
    "birth_year_match": 0.05,
    "build_year_match": 0.1,
    "country_match": 0.05,
    # A ship's flag changes, so only a shared flag counts (for it), never a different one.
    "flag_match": 0.1,
}
#: Legal forms that say only "company" and conflict with none.
GENERIC_FORMS: Final = frozenset({"co"})
#: Vetoes: the pair is never the same entity, whatever else matches.
VETOES: Final = ("imo_ship_conflict", "schema_conflict")


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature that fired: its name, the weight it added and what it saw."""

    name: str
    weight: float
    detail: str


@dataclass(frozen=True, slots=True)
class Score:
    a: str
    b: str
    score: float
    features: tuple[Feature, ...]

    def explanation(self) -> str:
        return "; ".join(f"{f.name} {f.weight:+.2f} ({f.detail})" for f in self.features)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "score": self.score,
                "features": [asdict(f) for f in self.features]}


class NameStats:
    """How many records of each list wear each name: a name worn by two records of one list is
    ambiguous there, and cannot by itself pick one of them for a record of another list."""

    __slots__ = ("ambiguous",)

    def __init__(self, records: Iterable[MatchRecord]) -> None:
        counts: Counter[tuple[str, str, str]] = Counter()
        for record in records:
            for name in record.names:
                counts[(record.source, record.group, name)] += 1
        self.ambiguous = frozenset(key for key, count in counts.items() if count > 1)

    @classmethod
    def of(cls, ambiguous: Iterable[tuple[str, str, str]]) -> NameStats:
        """Stats from (source, group, name) triples already known to be ambiguous."""
        stats = cls(())
        stats.ambiguous = frozenset(ambiguous)
        return stats

    def is_ambiguous(self, source: str, group: str, name: str) -> bool:
        return (source, group, name) in self.ambiguous


def name_similarity(a: str, b: str, *, person: bool = False) -> float:
    """Similarity of two normalised names in [0, 1]."""
    if a == b:
        return 1.0
    sim = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100.0
    if person:
        ta, tb = set(a.split()), set(b.split())
        if min(len(ta), len(tb)) >= 2 and (ta <= tb or tb <= ta):
            sim = max(sim, SUBSET_SIMILARITY)
    return sim


def _best_name(a: MatchRecord, b: MatchRecord) -> tuple[float, str, str]:
    """The best-matching pair of names, with previous names discounted."""
    person = a.group == "person"
    best = (0.0, "", "")
    for names_a, prev_a in ((a.names, False), (a.previous, True)):
        for names_b, prev_b in ((b.names, False), (b.previous, True)):
            factor = PREVIOUS_NAME_FACTOR if (prev_a or prev_b) else 1.0
            for x in names_a:
                for y in names_b:
                    sim = name_similarity(x, y, person=person) * factor
                    if sim > best[0]:
                        best = (sim, x, y)
    if best[0] < PHONETIC_SIMILARITY:
        shared = set(a.phonetic) & set(b.phonetic)
        if shared:
            code = sorted(shared)[0]
            x = next(n for n, p in zip(a.names, a.phonetic, strict=False) if p == code)
            y = next(n for n, p in zip(b.names, b.phonetic, strict=False) if p == code)
            if min(len(x), len(y)) >= 4:
                best = (PHONETIC_SIMILARITY, x, y)
    return best


def _shared(kind: str, va: frozenset[str], vb: frozenset[str], features: list[Feature],
            weights: dict[str, float], *, conflict: str | None = None) -> bool:
    if not va or not vb:
        return False
    common = va & vb
    if common:
        features.append(Feature(f"{kind}_match", weights[f"{kind}_match"],
                                ", ".join(sorted(common))))
        return True
    if conflict:
        features.append(Feature(conflict, CONFLICT_WEIGHTS.get(conflict, 0.0),
                                f"{'/'.join(sorted(va))} vs {'/'.join(sorted(vb))}"))
    return False


def score_pair(a: MatchRecord, b: MatchRecord, stats: NameStats | None = None) -> Score:
    """Score two records and say why."""
    features: list[Feature] = []
    if a.group != b.group:
        features.append(Feature("schema_conflict", 0.0, f"{a.schema.value} vs {b.schema.value}"))
        return Score(a.gid, b.gid, 0.0, tuple(features))
    if a.imo_ship and b.imo_ship and not (a.imo_ship & b.imo_ship):
        features.append(Feature("imo_ship_conflict", 0.0,
                                f"IMO {'/'.join(sorted(a.imo_ship))} vs "
                                f"{'/'.join(sorted(b.imo_ship))}"))
        return Score(a.gid, b.gid, 0.0, tuple(features))

    sim, na, nb = _best_name(a, b)
    if sim > NAME_FLOOR:
        weight = NAME_WEIGHT * (sim - NAME_FLOOR) / (1.0 - NAME_FLOOR)
        features.append(Feature("name", round(weight, 4), f"{na!r} ~ {nb!r} {sim:.2f}"))
        if stats is not None and sim >= 0.999 and (
                stats.is_ambiguous(a.source, a.group, na)
                or stats.is_ambiguous(b.source, b.group, nb)):
            features.append(Feature("ambiguous_name", CONFLICT_WEIGHTS["ambiguous_name"],
                                    f"{na!r} names several records of one list"))

    w = IDENTIFIER_WEIGHTS
    _shared("imo_ship", a.imo_ship, b.imo_ship, features, w)
    _shared("imo_company", a.imo_company, b.imo_company, features, w,
            conflict="imo_company_conflict")
    inn = _shared("inn", a.inn, b.inn, features, w, conflict="inn_conflict")
    ogrn = _shared("ogrn", a.ogrn, b.ogrn, features, w, conflict="ogrn_conflict")
    if not (inn or ogrn):
        _shared("registry", a.registry, b.registry, features, w)
    _shared("un_ref", a.un_refs, b.un_refs, features, w, conflict="un_ref_conflict")
    _shared("mmsi", a.mmsi, b.mmsi, features, w, conflict="mmsi_conflict")
    _shared("call_sign", a.call_signs, b.call_signs, features, w)

    if a.years and b.years:
        kind = "build_year" if a.group == "vessel" else "birth_year"
        if a.group in ("vessel", "person"):
            common = a.years & b.years
            if not common:
                features.append(Feature(f"{kind}_conflict", CONFLICT_WEIGHTS[f"{kind}_conflict"],
                                        f"{'/'.join(sorted(a.years))} vs "
                                        f"{'/'.join(sorted(b.years))}"))
            elif a.group == "person" and a.dates & b.dates:
                features.append(Feature("birth_date_match", SUPPORT_WEIGHTS["birth_date_match"],
                                        ", ".join(sorted(a.dates & b.dates))))
            else:
                features.append(Feature(f"{kind}_match", SUPPORT_WEIGHTS[f"{kind}_match"],
                                        ", ".join(sorted(common))))
    if a.group == "vessel" and a.countries & b.countries:
        features.append(Feature("flag_match", SUPPORT_WEIGHTS["flag_match"],
                                ", ".join(sorted(a.countries & b.countries))))
    if a.countries and b.countries and a.group != "vessel":
        common = a.countries & b.countries
        if common:
            features.append(Feature("country_match", SUPPORT_WEIGHTS["country_match"],
                                    ", ".join(sorted(common))))
        else:
            features.append(Feature("country_conflict", CONFLICT_WEIGHTS["country_conflict"],
                                    f"{'/'.join(sorted(a.countries))} vs "
                                    f"{'/'.join(sorted(b.countries))}"))
    forms_a, forms_b = a.forms - GENERIC_FORMS, b.forms - GENERIC_FORMS
    if forms_a and forms_b and not (forms_a & forms_b):
        features.append(Feature("legal_form_conflict", CONFLICT_WEIGHTS["legal_form_conflict"],
                                f"{'/'.join(sorted(forms_a))} vs {'/'.join(sorted(forms_b))}"))
    total = sum(f.weight for f in features)
    return Score(a.gid, b.gid, round(min(1.0, max(0.0, total)), 4), tuple(features))

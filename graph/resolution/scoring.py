"""Scoring a candidate pair: named features with weights you can read, and the explanation.

The score is a sum of weighted features, clipped to [0, 1]: a name similarity carries a pair up
to the merge threshold on its own only when the names are equal and nothing speaks against it;
a shared strong identifier decides; conflicting evidence pulls the score down; two different IMO
ship numbers, or records of different kinds (a ship and a company), veto the pair outright.
Every feature that fired is returned with its value, weight and what it saw.

The name similarity is screening's (`graph.matching.compare.compare_names` on the keys of
`graph.matching.text`: one normalisation and one set of name keys serve both), and so is the
rest of the feature table where it can be. Where resolution's weights differ from screening's
(`queries.screening.matcher`), and why:

* `country_conflict`: screening -0.08, resolution -0.15. Both records are listed, their
  countries written by a list's clerks, not typed by a user: a different one says more; and a
  merge joins two entities for every later query, where a screen only ranks one answer.
* `build_year_conflict`, `birth_year_conflict`: screening -0.08, resolution -0.6. A listed
  build or birth year is a fact of the record, not a user's guess: two years are two ships or
  two people, and a merge on the name alone must never survive them.
* a different flag: screening -0.03, resolution 0 (only `flag_match` counts, +0.1). A ship's
  flag changes, and two lists of different dates disagree on it more often than not.
* word rarity in `soft_tokens`: screening counts the index's words, resolution a fixed table
  (`compare.word_weight`): a stored score must not change when another list is loaded.
* names that differ in a number: held at `compare.NUMBER_CAP` (under the name floor) for
  ships. A listed hull number (HYUNDAI MIPO 2655 / 2656) is never a typo.
* a record that fits two candidates equally: screening ranks both; resolution merges neither
  (`rivals`), since a merge cannot be ranked: a close call waits for a person.
* a name that one list gives to two records (two ships called TAIMYR): `ambiguous_name` here
  when it is one of the pair's own lists; when it is any other list, `rivals.namesakes` holds a
  pair that shares only that name (`name_alone`) in review, since it reads other pairs.
* an organisation matched on its initials alone (`acronym_name`): resolution only. A screen
  ranks such a hit for a person to look at; a merge joins two firms called OMZ for good.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Final

from graph.matching.compare import compare_names
from graph.resolution.records import MatchRecord

#: The version of the scoring rules. Stored with every scored pair: a change re-scores all.
MATCHER_VERSION: Final = "sg-7"

# -- weights: each is how much one feature moves the score (0 = no match, 1 = certain) -----------

#: Equal names, nothing else known: 0.85, above the merge threshold.
NAME_WEIGHT: Final = 0.85
#: Name similarity below this contributes nothing (different names that share letters).
NAME_FLOOR: Final = 0.6
#: A match on a ship's former name counts for this share of a current-name match. Whole: the
#: lists that track renames (GUR) give as former names the names under which the others (EU,
#: tak, OFAC) listed the ship; at 0.9 an exact former name with a flag stayed under the merge
#: threshold and 560 such pairs were lost. Reused names are caught by the build year and by
#: close calls (`rivals`), not by this discount.
PREVIOUS_NAME_FACTOR: Final = 1.0

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
    # Ships of disjoint kinds (a tanker, a general cargo ship): lists agree on a ship's kind,
    # but word it loosely (a products tanker may be listed as a tanker), so only disjoint
    # kinds count, and less than a build year.
    "vessel_type_conflict": -0.15,
    # The name is worn by several records in one list, so the name alone cannot pick one.
    "ambiguous_name": -0.1,
    # Two organisations matched on one short word (OMZ, RTI, VSK, MIPT: ACRONYM_LETTERS or
    # fewer): many firms bear such initials (OMZ is both Uralmash-Izhora and the Omutninsk
    # plant), so the name and a country (+0.05) stay in review; a registry number or a
    # longer name the two share must carry the pair.
    "acronym_name": -0.16,
}
#: An organisation's name of one word of at most this many letters is taken for an acronym.
ACRONYM_LETTERS: Final = 4
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
    """Similarity of two names in [0, 1] (`graph.matching.compare.compare_names` on their
    words as written; `person` applies the rules for people's names)."""
    return compare_names(tuple(a.split()), tuple(b.split()),
                         "person" if person else "org").similarity


def name_alone(features: Iterable[Feature]) -> bool:
    """Whether a pair stands on its name alone: a name feature, and nothing else for it (every
    other feature that fired speaks against the pair or is neutral)."""
    named = False
    for feature in features:
        if feature.name == "name":
            named = True
        elif feature.weight > 0:
            return False
    return named


def _acronym(name: str) -> bool:
    """Whether a name (its match key) is one short word: initials (`acronym_name`)."""
    return " " not in name and len(name) <= ACRONYM_LETTERS


def _best_name(a: MatchRecord, b: MatchRecord) -> tuple[float, str, str, str]:
    """The best-matching pair of names, with previous names discounted, and how they match."""
    best = (0.0, "", "", "")
    for names_a, words_a, prev_a in ((a.names, a.words, False),
                                     (a.previous, a.previous_words, True)):
        for names_b, words_b, prev_b in ((b.names, b.words, False),
                                         (b.previous, b.previous_words, True)):
            factor = PREVIOUS_NAME_FACTOR if (prev_a or prev_b) else 1.0
            for x, wx in zip(names_a, words_a, strict=True):
                for y, wy in zip(names_b, words_b, strict=True):
                    found = compare_names(wx, wy, a.group)
                    sim = found.similarity * factor
                    if sim > best[0]:
                        how = found.how + (", former name" if factor < 1.0 else "")
                        best = (sim, x, y, how)
                        if sim >= 1.0:
                            # Nothing scores above 1, and a tie keeps the first found.
                            return best
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

    sim, na, nb, how = _best_name(a, b)
    if sim > NAME_FLOOR:
        weight = NAME_WEIGHT * (sim - NAME_FLOOR) / (1.0 - NAME_FLOOR)
        features.append(Feature("name", round(weight, 4), f"{na!r} ~ {nb!r} {sim:.2f}, {how}"))
        if a.group == "org" and sim >= 0.999 and all(
                _acronym(n) for n in set(a.names).intersection(b.names) | {na}):
            features.append(Feature("acronym_name", CONFLICT_WEIGHTS["acronym_name"],
                                    f"{na!r} is initials many organisations share"))
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
    if a.kinds and b.kinds and not a.kinds & b.kinds:
        features.append(Feature("vessel_type_conflict", CONFLICT_WEIGHTS["vessel_type_conflict"],
                                f"{'/'.join(sorted(a.kinds))} vs {'/'.join(sorted(b.kinds))}"))
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

"""The features of a query and a node beyond their names (identifiers, IMO conflicts, country,
dates, MMSI), and of a row's ranked candidates (a close call)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from queries.screening.features import Kind, PairFeature, RowFeature, register
from queries.screening.index import IndexedEntity
from queries.screening.types import Match, Query, Scored

#: Score a node with a different IMO ship number can reach at most: under review, so a ship
#: whose IMO the user gave never "matches" a namesake.
IMO_CONFLICT_CAP: Final = 0.5
COUNTRY_AGREES: Final = 0.03
COUNTRY_DIFFERS: Final = -0.08
#: Ships change flag often: a different flag says less than a different nationality.
FLAG_DIFFERS: Final = -0.03
DATE_AGREES: Final = 0.05
YEAR_AGREES: Final = 0.02
DATE_DIFFERS: Final = -0.15
BUILD_YEAR_AGREES: Final = 0.03
BUILD_YEAR_DIFFERS: Final = -0.08
#: A row whose best match no identifier decides, with another listed entity within this of
#: its score, is a close call: review, never a match on one of them, with every rival named
#: (two ships of one name, and nothing in the row, no type, year, flag or country, tells
#: them apart: each of those would move one score by more than this).
CLOSE_CALL_MARGIN: Final = 0.02


# -- identifiers -----------------------------------------------------------------------------

def _identifier(query: Query, entity: IndexedEntity, _feature: PairFeature) -> float | None:
    if query.imo and query.imo in entity.imos:
        return 1.0
    if query.mmsi and query.mmsi in entity.mmsis:
        return 1.0
    if entity.identifiers and any(i in entity.identifiers for i in query.identifiers):
        return 1.0
    return None


def _identifier_words(query: Query, entity: IndexedEntity, _value: float,
                      _feature: PairFeature) -> str:
    if query.imo and query.imo in entity.imos:
        return f"IMO {query.imo} is this ship's"
    if query.mmsi and query.mmsi in entity.mmsis:
        return f"MMSI {query.mmsi} is this ship's"
    shared = [i for i in query.identifiers if i in entity.identifiers]
    return f"identifier {shared[0]} is this {entity.schema.lower()}'s"


IDENTIFIER = register(PairFeature(
    "identifier", Kind.DECIDES,
    "the query's IMO ship number, MMSI, or a tax, registration or passport number equal to one "
    "of the node's decides alone: score 1.0 whatever the names",
    {"score": 1.0}, ("by_identifier",), ("imo", "mmsi", "identifiers"),
    _identifier, _identifier_words))


def _imo_conflict(query: Query, entity: IndexedEntity, _feature: PairFeature) -> float | None:
    return 1.0 if query.imo and entity.imos and query.imo not in entity.imos else None


IMO_CONFLICT = register(PairFeature(
    "imo_conflict", Kind.CAP,
    "query and node both have IMO ship numbers and none is shared: two ships, held below "
    "review however alike the names",
    {"cap": IMO_CONFLICT_CAP}, (), ("imo",), _imo_conflict,
    lambda query, entity, _value, feature: (
        f"IMO {query.imo} conflicts with this ship's IMO {', '.join(entity.imos)} "
        f"(held at {feature.params['cap']:.2f})")))


# -- country ---------------------------------------------------------------------------------

def _country(query: Query, entity: IndexedEntity, feature: PairFeature) -> float | None:
    if not (query.countries and entity.countries):
        return None
    if any(c in entity.countries for c in query.countries):
        return feature.params["agrees"]
    return feature.params["flag_differs" if entity.schema == "Vessel" else "differs"]


def _country_words(query: Query, entity: IndexedEntity, value: float,
                   _feature: PairFeature) -> str:
    if value > 0:
        shared = sorted(set(query.countries).intersection(entity.countries))
        return f"country {shared[0]} agrees ({value:+.2f})"
    return (f"country {'/'.join(query.countries)} differs from "
            f"{'/'.join(entity.countries)} ({value:+.2f})")


COUNTRY = register(PairFeature(
    "country", Kind.ADJUST,
    "a shared country (nationality, jurisdiction, flag) raises the score a little; a different "
    "one lowers it more, a ship's different flag less (ships change flag often)",
    {"agrees": COUNTRY_AGREES, "differs": COUNTRY_DIFFERS, "flag_differs": FLAG_DIFFERS},
    ("countries",), ("countries",), _country, _country_words))


# -- dates -----------------------------------------------------------------------------------

def _year(date: str) -> str:
    return date[:4]


def _date_found(date: str, entity: IndexedEntity) -> tuple[str, str]:
    """Which of the date feature's values applies (a param name) and its words' start."""
    dates = entity.dates
    if entity.schema == "Vessel":
        years = sorted({_year(d) for d in dates})
        if _year(date) in years:
            return "build_year_agrees", f"build year {_year(date)} agrees"
        return "build_year_differs", f"build year {_year(date)} differs from {'/'.join(years)}"
    if len(date) >= 10 and date in dates:
        return "agrees", f"birth date {date} agrees"
    if _year(date) in {_year(d) for d in dates}:
        return "year_agrees", f"birth year {_year(date)} agrees"
    return "differs", f"birth date {date} differs from {'/'.join(dates[:3])}"


def _date(query: Query, entity: IndexedEntity, feature: PairFeature) -> float | None:
    if not (query.date and entity.dates):
        return None
    return feature.params[_date_found(query.date, entity)[0]]


def _date_words(query: Query, entity: IndexedEntity, value: float,
                _feature: PairFeature) -> str:
    assert query.date is not None
    return f"{_date_found(query.date, entity)[1]} ({value:+.2f})"


DATE = register(PairFeature(
    "date", Kind.ADJUST,
    "birth date of a person (the whole date, else the year), build year of a vessel: "
    "agreement raises the score a little, disagreement lowers it more",
    {"agrees": DATE_AGREES, "year_agrees": YEAR_AGREES, "differs": DATE_DIFFERS,
     "build_year_agrees": BUILD_YEAR_AGREES, "build_year_differs": BUILD_YEAR_DIFFERS},
    ("dates",), ("date",), _date, _date_words))


# -- MMSI ------------------------------------------------------------------------------------

def _mmsi_other(query: Query, entity: IndexedEntity, _feature: PairFeature) -> float | None:
    return 0.0 if (query.mmsi and entity.mmsis and entity.schema == "Vessel"
                   and query.mmsi not in entity.mmsis) else None


MMSI_OTHER = register(PairFeature(
    "mmsi_other", Kind.INFORMS,
    "the query's MMSI is not the ship's: said, never scored, since MMSIs are reassigned",
    {}, (), ("mmsi",), _mmsi_other,
    lambda query, entity, _value, _feature: (
        f"MMSI {query.mmsi} is not this ship's ({', '.join(entity.mmsis)}), but MMSIs are "
        "reassigned so this only informs")))


# -- close calls -----------------------------------------------------------------------------

def apart(one: IndexedEntity, other: IndexedEntity) -> str | None:
    """Why two listed entities cannot be one (their IMO numbers differ, one list lists both, or
    their dates share no year), or None: two nodes of one name from two lists may be one
    entity the resolution has not merged (ROSNEFT of the EU and OFAC lists)."""
    if one.imos and other.imos and not set(one.imos).intersection(other.imos):
        return f"IMO {'/'.join(one.imos)} against {'/'.join(other.imos)}"
    shared = sorted(set(one.sources).intersection(other.sources))
    if shared:
        return f"{shared[0]} lists both"
    years, others = {d[:4] for d in one.dates}, {d[:4] for d in other.dates}
    if years and others and not years & others:
        return f"dates {'/'.join(sorted(years))} against {'/'.join(sorted(others))}"
    return None


def _close_calls(scored: Sequence[Scored], threshold: float,
                 feature: RowFeature) -> list[tuple[int, str]]:
    """Positions of the candidates that fit a row as well as its best (within the margin) when
    the best would match (reaches `threshold`) and no identifier decides it, and that cannot
    be one entity with it (`apart`), each with why."""
    if len(scored) < 2 or scored[0].decisive or scored[0].score < threshold:
        return []
    best, floor = scored[0].entity, scored[0].score - feature.params["margin"]
    out = []
    for i, row in enumerate(scored[1:], start=1):
        if row.score < floor:
            break
        why = apart(best, row.entity)
        if why:
            out.append((i, why))
    return out


def _close_call_words(close: Sequence[tuple[Match, str]], _feature: RowFeature) -> str:
    named = "; ".join(f"{m.caption} ({m.entity_id}, {m.score:.2f}: {why})" for m, why in close)
    who = "another entity fits" if len(close) == 1 else "other entities fit"
    return (f"close call, review: {who} as well and nothing in the row tells them apart: "
            f"{named}")


CLOSE_CALL = register(RowFeature(
    "close_call", Kind.ROW,
    "a best match no identifier decides, with a rival within the margin that cannot be the "
    "same entity (`apart`), is review, never a match on one of them, every rival named",
    {"margin": CLOSE_CALL_MARGIN}, ("imos", "sources", "dates"), _close_calls,
    _close_call_words))

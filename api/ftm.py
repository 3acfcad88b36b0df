"""FollowTheMoney-shaped queries to screening queries, and screening results to yente's answer
shape.

A query's properties are read through the column table of file screening
(`queries.screening.io.COLUMNS`, which knows FtM's property names: `birthDate`, `imoNumber`,
`taxNumber`...), so a property means here what the column of that name means in a file. Each
name (`name`, `alias`, `previousName`) is screened as its own row with the query's other
properties; the query's results are the best score per node across them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from queries.screen import Match, Query, Result
from queries.screening.io import map_columns, parse_row

#: FtM properties holding names; each is screened apart, as yente compares every name.
NAME_PROPS: Final = ("name", "alias", "previousName")
#: FtM schemata a query may have: the screening's own (`queries.screen.make_settings` checks
#: the same list), and `Thing`, FtM's root, for a query of no particular type.
QUERY_SCHEMATA: Final = ("Thing", "LegalEntity", "Person", "Company", "Organization",
                         "PublicBody", "Vessel", "Airplane")
#: Fields a property never sets: a query's id is its key, its type its `schema`, its names the
#: name properties. (FtM's Vessel `type`, the ship type, is not a schema.)
_NOT_FROM_PROPERTIES: Final = frozenset({"id", "name", "schema"})
#: Fields that take several values (the reader splits them at `;`), the others the first.
_MANY: Final = frozenset({"country", "identifier"})
#: Decisions, least to most severe: a query of several names takes the most severe.
_SEVERITY: Final = {"clear": 0, "review": 1, "match": 2}


class BadQuery(ValueError):
    """A query that cannot be screened as given (an unknown schema)."""


def values_of(raw: Any) -> list[str]:
    """A property's values as text, empty ones left out."""
    items = raw if isinstance(raw, list) else [raw]
    return [text for item in items if item is not None and (text := str(item).strip())]


_FIELDS: dict[str, str | None] = {}


def _field_of(prop: str) -> str | None:
    """The screening field an FtM property fills (`imoNumber` -> imo), by the file columns'
    table; None for a property screening does not read (`address`). Cached: few names recur."""
    if prop not in _FIELDS:
        found = map_columns([prop])
        _FIELDS[prop] = next(iter(found)) if found else None
    return _FIELDS[prop]


def example_queries(key: str, schema: str, properties: Mapping[str, Any],
                    first_row: int) -> list[Query]:
    """The screening queries of one FtM example: one per name, numbered from `first_row`.
    Unknown schemata are a `BadQuery`; unreadable values become the query's `error` or
    `warnings`, as in a file."""
    if schema not in QUERY_SCHEMATA:
        raise BadQuery(f"query {key!r}: schema {schema!r} cannot be screened; one of "
                       f"{', '.join(QUERY_SCHEMATA)}")
    names: list[str] = []
    fields: dict[str, list[str]] = {}
    for prop, raw in properties.items():
        values = values_of(raw)
        if prop in NAME_PROPS:
            names.extend(values)
            continue
        field = _field_of(prop)
        if field is not None and field not in _NOT_FROM_PROPERTIES and values:
            fields.setdefault(field, []).extend(values)
    row: dict[str, str] = {"id": key}
    if schema != "Thing":
        row["schema"] = schema
    for field, values in fields.items():
        row[field] = "; ".join(dict.fromkeys(values)) if field in _MANY else values[0]
    columns = map_columns([*row, "name"])
    unique = list(dict.fromkeys(names)) or [""]
    return [parse_row({**row, "name": name}, first_row + i, columns)
            for i, name in enumerate(unique)]


def merged(results: Sequence[Result], limit: int) -> tuple[str, list[Match], str | None,
                                                            list[str]]:
    """One query's answer from its names' results: the most severe decision, each node once
    at its best score (best first, ties by id), the errors and warnings of every name."""
    best: dict[str, Match] = {}
    for result in results:
        for found in result.matches:
            held = best.get(found.entity_id)
            if held is None or found.score > held.score:
                best[found.entity_id] = found
    matches = sorted(best.values(), key=lambda m: (-m.score, m.entity_id))[:limit]
    decision = max((r.decision for r in results), key=_SEVERITY.__getitem__)
    errors = list(dict.fromkeys(r.error for r in results if r.error))
    warnings = list(dict.fromkeys(w for r in results for w in r.warnings))
    return decision, matches, "; ".join(errors) or None, warnings


def scored_entity(found: Match, entity: Mapping[str, Any], *, decision: str,
                  threshold: float) -> dict[str, Any]:
    """A match as yente's `ScoredEntityResponse`, with our explanation and programmes."""
    return {
        **entity,
        "score": found.score,
        "match": decision == "match" and found.score >= threshold,
        "features": found.features,
        "explanations": {name: {"score": value, "explanation": found.explanation}
                         for name, value in found.features.items()},
        "explanation": found.explanation,
        "matched_name": found.matched_name,
        "programs": list(found.programs),
    }


def echoed(schema: str, properties: Mapping[str, Any],
           example_id: str | None) -> dict[str, Any]:
    """The query as the answer repeats it: its properties as lists of text."""
    return {"id": example_id, "schema": schema,
            "properties": {prop: values_of(raw) for prop, raw in properties.items()}}


def grouped_values(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Property -> its distinct values, in the order first stated."""
    out: dict[str, dict[str, None]] = {}
    for prop, value in pairs:
        out.setdefault(prop, {})[value] = None
    return {prop: list(values) for prop, values in out.items()}


__all__ = ["NAME_PROPS", "QUERY_SCHEMATA", "BadQuery", "echoed", "example_queries",
           "grouped_values", "merged", "scored_entity", "values_of"]

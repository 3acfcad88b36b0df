"""A match's explanation, made from the features that fired: each name feature marked on the
best name says what it found, each fired pair feature gives its reason, in the algorithm's
order; nothing is said that no feature found."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from graph.matching.text import match_tokens
from graph.normalize import MAX_NAME_CHARS, MAX_NAME_WORDS, MAX_WORD_CHARS, name_is_bounded
from queries.screening.features import Algorithm, Kind, RowFeature
from queries.screening.types import CLASS_SCHEMA, Match, Query, Scored, schema_class

#: How an explanation calls each name property.
NAME_LABELS: Final = {"name": "name", "alias": "alias", "previousName": "former name",
                      "weakAlias": "weak alias"}
#: The name step whose bit alone says the keys are equal ("=", no notes).
EXACT: Final = "exact"


def quoted(name: str) -> str:
    """A name as an explanation quotes it: an overlong one (`name_is_bounded`) by the part
    compared, so that one row's explanation stays a line."""
    if len(name) <= MAX_NAME_CHARS:
        return repr(name)
    return repr(name[:MAX_NAME_CHARS] + "…")


def name_notes(algorithm: Algorithm, bits: dict[str, int], query: Query, schema: str,
               listed_key: str, how: int) -> list[str]:
    """What each name feature marked in `how` found, in the algorithm's order."""
    if not how or how == bits.get(EXACT):
        return []
    tokens = match_tokens(query.name, query.schema or CLASS_SCHEMA[schema_class(schema)])
    listed = listed_key.split()
    notes = []
    for feature in algorithm.names:
        if how & bits[feature.name]:
            note = feature.note(feature, tokens, listed)
            if note:
                notes.append(note)
    return notes


def make_match(algorithm: Algorithm, bits: dict[str, int], query: Query,
               scored: Scored) -> Match:
    """The match a ranked candidate makes, with its explanation."""
    entity, features, how = scored.entity, scored.features, scored.how
    best_i = scored.best_i
    prop = entity.name_props[best_i]
    label = NAME_LABELS.get(prop, prop)
    listed = entity.names[best_i]
    notes = name_notes(algorithm, bits, query, entity.schema, entity.keys[best_i], how)
    notes.extend(f"{whose} compared on its first {MAX_NAME_CHARS:,} characters and "
                 f"{MAX_NAME_WORDS} words, each of {MAX_WORD_CHARS} letters at most"
                 for whose, name in (("listed name", listed), ("query", query.name))
                 if name_is_bounded(name))
    equal = how == bits.get(EXACT)
    name_reason = (f"{label} {quoted(listed)} {'=' if equal else '~'} {quoted(query.name)} "
                   f"({features['name']:.2f}{''.join(', ' + n for n in notes)})")
    reasons = []
    for feature in algorithm.pairs:
        if feature.name not in features:
            if feature.kind is Kind.INFORMS and not scored.decisive:
                value = feature.score(query, entity, feature)
                if value is not None:
                    reasons.append(feature.explain(query, entity, value, feature))
            continue
        words = feature.explain(query, entity, features[feature.name], feature)
        reasons.append(words + " (decides)" if feature.kind is Kind.DECIDES else words)
    # The name's reason after what decides or caps, before what adjusts.
    at = sum(1 for f in algorithm.pairs
             if f.kind in (Kind.DECIDES, Kind.CAP) and f.name in features)
    reasons.insert(at, name_reason)
    return Match(
        entity_id=entity.id, caption=entity.caption, schema=entity.schema, score=scored.score,
        matched_name=listed, imo=", ".join(entity.imos) or None, sources=entity.sources,
        programs=entity.programs, explanation="; ".join(reasons), features=features)


def explain_row(feature: RowFeature, top: Match, found: Sequence[tuple[Match, str]]) -> None:
    """Mark a row feature on the best match: its count in `features`, its words appended."""
    top.features[feature.name] = float(len(found))
    top.explanation += "; " + feature.explain(found, feature)

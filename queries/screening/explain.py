"""A match's explanation, made from the features that fired: each name feature marked on the
best name says what it found, each fired pair feature gives its reason, in the algorithm's
order; nothing is said that no feature found."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from graph.matching.text import match_tokens
from graph.normalize import MAX_NAME_CHARS, MAX_NAME_WORDS, MAX_WORD_CHARS, name_is_bounded
from queries.screening.features import Algorithm, Kind, PairFeature, RowFeature
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


class Explainer:
    """Makes a ranked candidate's match and explanation for one algorithm (what it reads of the
    algorithm worked out once, not per match)."""

    def __init__(self, algorithm: Algorithm) -> None:
        self.algorithm = algorithm
        self.bits = algorithm.bits
        self.exact = algorithm.bits.get(EXACT, 0)
        self.notes = tuple((f, algorithm.bits[f.name]) for f in algorithm.names)
        self.pairs = algorithm.pairs
        #: Said before the name (what decides or caps the score), and after it.
        self.first = tuple(f for f in self.pairs if f.kind in (Kind.DECIDES, Kind.CAP))
        self.then = tuple(f for f in self.pairs if f.kind not in (Kind.DECIDES, Kind.CAP))
        #: The query fields features that inform (said, never scored) read.
        self.informs = tuple(sorted({r for f in self.pairs if f.kind is Kind.INFORMS
                                     for r in f.reads}))

    def name_notes(self, query: Query, schema: str, listed_key: str, how: int) -> list[str]:
        """What each name feature marked in `how` found, in the algorithm's order."""
        if not how or how == self.exact:
            return []
        tokens = match_tokens(query.name, query.schema or CLASS_SCHEMA[schema_class(schema)])
        listed = listed_key.split()
        notes = []
        for feature, bit in self.notes:
            if how & bit:
                note = feature.note(feature, tokens, listed)
                if note:
                    notes.append(note)
        return notes

    def _reasons(self, query: Query, scored: Scored,
                 features: Sequence[PairFeature]) -> list[str]:
        entity, found = scored.entity, scored.features
        reasons = []
        for feature in features:
            if feature.name in found:
                words = feature.explain(query, entity, found[feature.name], feature)
                reasons.append(words + " (decides)" if feature.kind is Kind.DECIDES else words)
            elif feature.kind is Kind.INFORMS and not scored.decisive:
                value = feature.score(query, entity, feature)
                if value is not None:
                    reasons.append(feature.explain(query, entity, value, feature))
        return reasons

    def match(self, query: Query, scored: Scored) -> Match:
        """The match a ranked candidate makes, with its explanation."""
        entity, features, how = scored.entity, scored.features, scored.how
        best_i = scored.best_i
        prop = entity.name_props[best_i]
        label = NAME_LABELS.get(prop, prop)
        listed = entity.names[best_i]
        notes = self.name_notes(query, entity.schema, entity.keys[best_i], how)
        notes.extend(f"{whose} compared on its first {MAX_NAME_CHARS:,} characters and "
                     f"{MAX_NAME_WORDS} words, each of {MAX_WORD_CHARS} letters at most"
                     for whose, name in (("listed name", listed), ("query", query.name))
                     if name_is_bounded(name))
        name_reason = (f"{label} {quoted(listed)} {'=' if how == self.exact else '~'} "
                       f"{quoted(query.name)} ({features['name']:.2f}"
                       f"{''.join(', ' + n for n in notes)})")
        reasons = [name_reason]
        # Pair features are said when one was recorded, or one that informs may fire.
        if len(features) > 1 or any(getattr(query, r) for r in self.informs):
            reasons = [*self._reasons(query, scored, self.first), name_reason,
                       *self._reasons(query, scored, self.then)]
        return Match(
            entity_id=entity.id, caption=entity.caption, schema=entity.schema,
            score=scored.score, matched_name=listed, imo=", ".join(entity.imos) or None,
            sources=entity.sources, programs=entity.programs, explanation="; ".join(reasons),
            features=features)


def explain_row(feature: RowFeature, top: Match, found: Sequence[tuple[Match, str]]) -> None:
    """Mark a row feature on the best match: its count in `features`, its words appended."""
    top.features[feature.name] = float(len(found))
    top.explanation += "; " + feature.explain(found, feature)

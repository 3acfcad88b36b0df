"""Scoring one query against the index: blocking, named features, a score and its explanation.

The score is the best name similarity between the query and any name of the node (0..1), moved
by the other features; a strong identifier decides on its own:

* `identifier`: the query's IMO ship number, MMSI, or a tax / registration / passport number equal
  to one of the node's: score 1.0 whatever the names.
* `imo conflict`: query and node both have IMO ship numbers and none is shared: the score is held
  at `IMO_CONFLICT_CAP`, below the review threshold, however alike the names (two ships).
* `name`: rapidfuzz similarity of the match keys (Latin script, no legal form or vessel prefix,
  tokens sorted; the written order is tried too); a name contained in the other (a person without
  the patronymic) counts `SUBSET_FACTOR` of a full match; a near-miss on a short name
  (MARIA~MARINA) loses `SHORT_NAME_PENALTY`, since one letter there is often another ship;
  names whose consonant skeletons agree (`text.skeleton`: SHUGAEV/SHUGAYEV, MHMD/MUHAMMAD) are
  transliteration variants, and rise by at most `SOUND_RAISE`.
* `country`, `date` (birth date of a person, build year of a vessel): agreement raises the score a
  little, disagreement lowers it more.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

import numpy as np
from rapidfuzz import fuzz

from queries.screening.index import IndexedEntity, ScreenIndex
from queries.screening.text import ORG_SCHEMATA, match_tokens, skeleton, sorted_key, trigrams

#: Default decision thresholds (calibrated with benchmarks/screening.py: at 0.90 precision on
#: the perturbed and cross-list sets stays above 0.98 while typos of long names still match).
MATCH_THRESHOLD: Final = 0.90
REVIEW_THRESHOLD: Final = 0.75
DEFAULT_LIMIT: Final = 5

#: Score a node with a different IMO ship number can reach at most: under review, so a ship
#: whose IMO the user gave never "matches" a namesake.
IMO_CONFLICT_CAP: Final = 0.5
#: A name whose tokens all occur in the other name (missing patronymic, extra word) counts
#: between SUBSET_FACTOR and SUBSET_FACTOR + SUBSET_COVER of a full match, by the share of the
#: longer name's rarity (idf) the shorter covers: SERGEY MATVIYENKO in MATVIYENKO SERGEY
#: VLADIMIROVICH matches; AL JIHAD in AL QAIDA OF JIHAD IN THE ARABIAN PENINSULA does not.
SUBSET_FACTOR: Final = 0.8
SUBSET_COVER: Final = 0.15
#: Word-by-word similarity (for spelling variants across transliterations: SERGEY/SERGEI) is
#: computed when the whole-name measures stay under this, and counts this much of a full match.
SOFT_TOKENS_BELOW: Final = 0.9
SOFT_FACTOR: Final = 0.95
#: ... but not for names this unlike (nothing word by word would rescue), and only for the
#: closest few names of a node.
SOFT_FLOOR: Final = 0.4
SOFT_NAMES: Final = 1
#: A name alike letter by letter scores at most this much above its word-by-word similarity.
RARE_SLACK: Final = 0.1
#: Words the index does not know weigh like a word this many names hold.
UNKNOWN_WORD_DF: Final = 30
#: Weight of a word of the longer name that has no counterpart in the shorter.
EXTRA_WORD_WEIGHT: Final = 0.3
#: Non-identical names both shorter than this many characters lose SHORT_NAME_PENALTY.
SHORT_NAME: Final = 8
SHORT_NAME_PENALTY: Final = 0.06
COUNTRY_AGREES: Final = 0.03
COUNTRY_DIFFERS: Final = -0.08
#: Ships change flag often: a different flag says less than a different nationality.
FLAG_DIFFERS: Final = -0.03
DATE_AGREES: Final = 0.05
YEAR_AGREES: Final = 0.02
DATE_DIFFERS: Final = -0.15
BUILD_YEAR_AGREES: Final = 0.03
BUILD_YEAR_DIFFERS: Final = -0.08

#: Blocking: names compared per query (after ranking entries by shared rare features) and the
#: postings read at most. Common features ("ltd", "^mo") are read last and only within budget.
MAX_ENTRIES: Final = 60
MAX_CANDIDATES: Final = 12
POSTINGS_BUDGET: Final = 2000
TOKEN_WEIGHT: Final = 2.0
#: Blocking weight of a shared token skeleton (a transliteration variant of a word).
SOUND_WEIGHT: Final = 1.5
#: Names whose consonant skeletons agree (SHUGAEV/SHUGAYEV, MHMD/MUHAMMAD) count this much of
#: their skeletons' similarity; a word whose skeleton is another's scores SOUND_WORD (of 100)
#: word by word.
SOUND_FACTOR: Final = 0.93
SOUND_WORD: Final = 90.0
#: ... for names already this alike as written (TRINITI and ITERANET share a skeleton, TRNT).
SOUND_FLOOR: Final = 0.6
#: ... and raise a name's similarity by this much at most: SABINE BOUTIN and BOUTHANIA SHAABAN
#: share skeletons (SBN BTN) but are two names.
SOUND_RAISE: Final = 0.15
#: Tokens whose blocking features are kept between queries (names repeat words a lot).
FEATURE_CACHE: Final = 100_000

#: Which node schemata a query schema can match.
COMPATIBLE: Final[dict[str, frozenset[str]]] = {
    "Person": frozenset({"Person"}),
    "Vessel": frozenset({"Vessel"}),
    "Airplane": frozenset({"Airplane"}),
    "Company": ORG_SCHEMATA,
    "Organization": ORG_SCHEMATA,
    "PublicBody": ORG_SCHEMATA,
    "LegalEntity": ORG_SCHEMATA | {"Person"},
}
SCHEMATA: Final = tuple(COMPATIBLE)


@dataclass(frozen=True, slots=True)
class Query:
    """One input row as the matcher reads it. `error` set: the row could not be read."""

    row: int
    id: str
    name: str
    schema: str | None = None
    countries: tuple[str, ...] = ()
    date: str | None = None
    imo: str | None = None
    mmsi: str | None = None
    identifiers: tuple[str, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """One node a query may be, with its score and the reasons."""

    entity_id: str
    caption: str
    schema: str
    score: float
    matched_name: str
    imo: str | None
    sources: tuple[str, ...]
    programs: tuple[str, ...]
    explanation: str
    features: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id, "caption": self.caption, "schema": self.schema,
            "score": self.score, "matched_name": self.matched_name, "imo": self.imo,
            "sources": list(self.sources), "programs": list(self.programs),
            "explanation": self.explanation, "features": self.features,
        }


@dataclass(slots=True)
class Result:
    """The answer for one input row."""

    row: int
    id: str
    decision: str
    matches: list[Match]
    error: str | None = None
    warnings: tuple[str, ...] = ()
    input: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "decision": self.decision,
                               "matches": [m.to_dict() for m in self.matches]}
        if self.error:
            out["error"] = self.error
        if self.warnings:
            out["warnings"] = list(self.warnings)
        for key, value in self.input.items():
            if key not in out:
                out[key] = value
            elif key != "id":
                out[f"input_{key}"] = value
        return out


@dataclass(frozen=True, slots=True)
class Settings:
    threshold: float = MATCH_THRESHOLD
    review_threshold: float = REVIEW_THRESHOLD
    limit: int = DEFAULT_LIMIT
    sources: frozenset[str] | None = None
    schema: str | None = None


def soft_tokens(tokens: Sequence[str], others: Sequence[str],
                weight: Callable[[str], float]) -> float:
    """Word-by-word similarity of two names: every word, of either name, is scored by its best
    rapidfuzz ratio against the other name's words, and the scores are averaged weighted by the
    word's rarity in the index (`weight`), so a rare word found (ITERANET, TSEKOV) counts far
    more than a common one (OBSHCHESTVO, SERGEY) and spelling variants (SERGEI) count nearly
    whole."""
    total = mass = 0.0
    ratio = fuzz.ratio
    longer = tokens if len(tokens) > len(others) else others
    sounds = {skeleton(t) for t in tokens if len(t) >= 3}
    other_sounds = {skeleton(t) for t in others if len(t) >= 3}
    for side, other, heard in ((tokens, others, other_sounds), (others, tokens, sounds)):
        for token in side:
            w = weight(token)
            # A word less than 40 % like every other word is not found at all.
            best = max([ratio(token, o) for o in other])
            if best < SOUND_WORD and len(token) >= 3 and skeleton(token) in heard:
                best = SOUND_WORD
            if best > 40.0:
                total += w * (best - 40.0) / 60.0
            elif side is longer:
                # The longer name's extra words (a patronymic, a second surname) cost less
                # than a word of the shorter name that is missing.
                w *= EXTRA_WORD_WEIGHT
            mass += w
    return total / mass if mass else 0.0


@lru_cache(maxsize=50_000)
def query_keys(tokens: tuple[str, ...]) -> tuple[str, str, str, bool]:
    """A query's sorted key, written-order key, skeleton key, and whether the skeleton is long
    enough to compare (four consonants or more), computed once per query name."""
    sound = " ".join(sorted(skeleton(t) for t in tokens))
    return sorted_key(tokens), " ".join(tokens), sound, len(sound.replace(" ", "")) >= 4


def _year(date: str) -> str:
    return date[:4]


class Matcher:
    """Screens queries against one index with one set of settings."""

    def __init__(self, index: ScreenIndex, settings: Settings | None = None) -> None:
        self.index = index
        self.settings = settings or Settings()
        self._entities = index.entities
        self._weights: dict[str, float] = {}
        #: Words the index does not hold (a misspelling, a word of no list) weigh like a word
        #: some dozens of names share: neither rare evidence nor noise.
        self._unknown_weight = index.idf(UNKNOWN_WORD_DF)
        self._codes: dict[str, Any] = {}
        self._features_of: dict[str, list[tuple[int, Any, float]]] = {}
        self._entry_allowed: Any = None
        if self.settings.sources is not None:
            screened = np.array([any(s in self.settings.sources for s in e.sources)
                                 for e in index.entities], dtype=bool)
            self._entry_allowed = screened[index.entry_entity]

    def weight(self, token: str) -> float:
        """How much a word says about identity: its inverse document frequency in the index."""
        w = self._weights.get(token)
        if w is None:
            postings = self.index.tokens.get(token)
            w = self.index.idf(len(postings)) if postings is not None else self._unknown_weight
            if len(self._weights) < 200_000:
                self._weights[token] = w
        return w

    def _cover(self, tokens: Sequence[str], others: Sequence[str]) -> float:
        """The share of the longer name's rarity (summed idf) held by words of the other."""
        longer, shorter = (tokens, others) if len(set(tokens)) >= len(set(others)) \
            else (others, tokens)
        words = set(shorter)
        total = held = 0.0
        for token in set(longer):
            w = self.weight(token)
            total += w
            if token in words:
                held += w
        return held / total if total else 0.0

    # -- candidates ----------------------------------------------------------------------------

    def _schema_codes(self, schema: str | None) -> Any:
        """A mask over entry schema codes: those a query schema may match (None: all)."""
        if schema is None:
            return None
        codes = self._codes.get(schema)
        if codes is None:
            allowed = COMPATIBLE.get(schema, frozenset())
            codes = np.zeros(256, dtype=bool)
            codes[[i for i, s in enumerate(self.index.schemata) if s in allowed]] = True
            self._codes[schema] = codes
        return codes

    def _token_features(self, token: str) -> list[tuple[int, Any, float]]:
        """(postings length, postings, weight) of a token and of its trigrams."""
        index = self.index
        out: list[tuple[int, Any, float]] = []
        postings = index.tokens.get(token)
        if postings is not None:
            out.append((len(postings), postings, TOKEN_WEIGHT * index.idf(len(postings))))
        # A word the index knows is found by itself and its skeleton (HASAN/HASSAN share
        # HSN); character trigrams are for words it does not know (a typo, a new spelling).
        grams = trigrams(token) if postings is None else []
        share = 1.0 / max(len(grams), 1)
        for gram in grams:
            postings = index.grams.get(gram)
            if postings is not None:
                out.append((len(postings), postings, share * index.idf(len(postings))))
        sound = skeleton(token)
        postings = index.sounds.get(sound) if len(sound) >= 2 else None
        if postings is not None:
            out.append((len(postings), postings, SOUND_WEIGHT * index.idf(len(postings))))
        return out

    def block(self, tokens: Sequence[str], schema: str | None = None,
              limit: int = MAX_CANDIDATES) -> dict[int, list[int]]:
        """Entity numbers of the nodes whose names share the most rare features with `tokens`
        (of a schema the query's may match, from the sources screened against)."""
        index = self.index
        features: list[tuple[int, Any, float]] = []
        cache = self._features_of
        for token in set(tokens):
            known = cache.get(token)
            if known is None:
                known = self._token_features(token)
                if len(cache) < FEATURE_CACHE:
                    cache[token] = known
            features.extend(known)
        if not features:
            return {}
        features.sort(key=lambda f: f[0])
        arrays, weights, lengths, read = [], [], [], 0
        for size, postings, weight in features:
            if read and read + size > POSTINGS_BUDGET:
                continue
            arrays.append(postings)
            weights.append(weight)
            lengths.append(size)
            read += size
        entries = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
        # Sum the weights per entry: sort, then add within runs (cheaper than a bincount over
        # every entry of the index, since a query reads a few thousand postings at most).
        order = np.argsort(entries)
        ranked = entries[order]
        change = np.empty(len(ranked), dtype=bool)
        change[0] = True
        np.not_equal(ranked[1:], ranked[:-1], out=change[1:])
        starts = np.flatnonzero(change)
        scores = np.add.reduceat(np.repeat(weights, lengths)[order], starts)
        hit = ranked[starts]
        keep = self._entry_allowed[hit] if self._entry_allowed is not None else None
        codes = self._schema_codes(schema)
        if codes is not None:
            in_schema = codes[index.entry_schema[hit]]
            keep = in_schema if keep is None else keep & in_schema
        if keep is not None:
            hit, scores = hit[keep], scores[keep]
        scores = scores / index.entry_norm[hit]
        if len(hit) > MAX_ENTRIES:
            best = np.argpartition(-scores, MAX_ENTRIES)[:MAX_ENTRIES]
            hit, scores = hit[best], scores[best]
        hit = hit[np.argsort(-scores, kind="stable")]
        out: dict[int, list[int]] = {}
        first = index.entity_first_entry
        for entry, entity in zip(hit.tolist(), index.entry_entity[hit].tolist(), strict=True):
            names = out.get(entity)
            if names is None:
                if len(out) >= limit:
                    continue
                names = out[entity] = []
            names.append(entry - int(first[entity]))
        return out

    def candidates(self, query: Query) -> dict[int, list[int] | None]:
        """Entity numbers to score, each with the positions of its names the blocking found
        (None: every name, for a node found by an identifier)."""
        by_identifier = self.index.by_identifier
        found: dict[int, list[int] | None] = {}
        keys = [f"imo:{query.imo}"] if query.imo else []
        if query.mmsi:
            keys.append(f"mmsi:{query.mmsi}")
        keys.extend(f"id:{i}" for i in query.identifiers)
        for key in keys:
            for number in by_identifier.get(key, ()):
                found[number] = None
        schema = query.schema or self.settings.schema
        for number, names in self.block(match_tokens(query.name, query.schema), schema).items():
            found.setdefault(number, names)
        return found

    # -- scoring -------------------------------------------------------------------------------

    def allowed(self, entity: IndexedEntity, schema: str | None) -> bool:
        if schema is not None and entity.schema not in COMPATIBLE.get(schema, ()):
            return False
        sources = self.settings.sources
        return sources is None or any(s in sources for s in entity.sources)

    def _name(self, tokens: tuple[str, ...], entity: IndexedEntity,
              which: Sequence[int] | None = None, soft: bool = True) -> tuple[float, int, str]:
        """Best similarity of the query's tokens to the names of the node (those at `which`,
        default all), which name, and how. `soft=False` skips the word-by-word measure (when
        another node already matched exactly, it cannot change the ranking)."""
        q_key, q_plain, q_sound, sound_ok = query_keys(tokens)
        many = len(tokens) >= 2
        ratio, token_set = fuzz.ratio, fuzz.token_set_ratio
        scored: list[tuple[float, int, str]] = []
        keys = entity.keys
        for i in range(len(keys)) if which is None else which:
            key = keys[i]
            if key == q_key:
                return 1.0, i, "="
            sim = max(ratio(q_key, key), ratio(q_plain, entity.plains[i])) / 100.0
            kind = "~"
            if sound_ok and SOUND_FLOOR <= sim < SOUND_FACTOR:
                sound = min(ratio(q_sound, entity.skeletons[i]) / 100.0 * SOUND_FACTOR,
                            sim + SOUND_RAISE)
                if sound > sim:
                    sim, kind = sound, "~ (sounds alike: transliteration variants)"
            if many and " " in key and sim < 0.97:
                subset = token_set(q_key, key) / 100.0
                if subset * (SUBSET_FACTOR + SUBSET_COVER) > sim:
                    subset *= SUBSET_FACTOR + SUBSET_COVER * self._cover(tokens, key.split())
                if subset > sim:
                    sim, kind = subset, "~ (one name holds the other's words)"
            scored.append((sim, i, kind))
        scored.sort(key=lambda s: -s[0])
        # Word by word only for the closest names, and only where it can change the answer:
        # it costs a rapidfuzz call per pair of words.
        if soft and SOFT_FLOOR <= scored[0][0] < SOFT_TOKENS_BELOW:
            for n, (sim, i, _kind) in enumerate(scored[:SOFT_NAMES]):
                words = entity.plains[i].split()
                if many or len(words) > 1:
                    by_word = soft_tokens(tokens, words, self.weight) * SOFT_FACTOR
                    if by_word > sim:
                        scored[n] = (by_word, i, "~ (word by word, rare words weigh more)")
                    elif by_word + RARE_SLACK < sim:
                        # Alike letter by letter but not in the rare words: PRODUCTION AND
                        # COMMERCIAL COMPANY VIVA is not ... COMMERCIAL FIRM TONAR.
                        scored[n] = (by_word + RARE_SLACK, i,
                                     "~ (rare words differ, held to word-by-word)")
        best, best_i, how = -1.0, 0, "~"
        for sim, i, kind in scored:
            if len(q_key) < SHORT_NAME and len(entity.keys[i]) < SHORT_NAME:
                sim -= SHORT_NAME_PENALTY
                kind += f" (short name {-SHORT_NAME_PENALTY:+.2f})"
            if sim > best:
                best, best_i, how = sim, i, kind
        return max(best, 0.0), best_i, how

    def _features(self, query: Query, entity: IndexedEntity,
                  name: float) -> tuple[float, dict[str, float], str | None]:
        """The score and the features that moved it, and what decided it if anything did."""
        features: dict[str, float] = {"name": round(name, 4)}
        score = name
        decisive = None
        if query.imo and query.imo in entity.imos:
            decisive = f"IMO {query.imo} is this ship's"
        elif query.mmsi and query.mmsi in entity.mmsis:
            decisive = f"MMSI {query.mmsi} is this ship's"
        elif query.identifiers and entity.identifiers:
            shared = [i for i in query.identifiers if i in entity.identifiers]
            if shared:
                decisive = f"identifier {shared[0]} is this {entity.schema.lower()}'s"
        if decisive:
            features["identifier"] = 1.0
            score = 1.0
        else:
            if query.countries and entity.countries:
                if not entity.countries.isdisjoint(query.countries):
                    features["country"] = COUNTRY_AGREES
                else:
                    features["country"] = (FLAG_DIFFERS if entity.schema == "Vessel"
                                           else COUNTRY_DIFFERS)
                score += features["country"]
            if query.date and entity.dates:
                features["date"] = self._date(query.date, entity)[0]
                score += features["date"]
        if query.imo and entity.imos and query.imo not in entity.imos:
            features["imo_conflict"] = 1.0
            score = min(score, IMO_CONFLICT_CAP)
        return round(min(max(score, 0.0), 1.0), 4), features, decisive

    def score(self, query: Query, entity: IndexedEntity) -> Match:
        """The scored match with its explanation."""
        tokens = match_tokens(query.name, query.schema or entity.schema)
        name, best_i, how = self._name(tokens, entity)
        score, features, decisive = self._features(query, entity, name)
        return self._match(query, entity, score, features, decisive, best_i, how)

    def _match(self, query: Query, entity: IndexedEntity, score: float,
               features: dict[str, float], decisive: str | None, best_i: int,
               how: str) -> Match:
        prop = entity.name_props[best_i]
        label = {"name": "name", "alias": "alias", "previousName": "former name",
                 "weakAlias": "weak alias"}.get(prop, prop)
        op, _, note = how.partition(" ")
        reasons = [f"{label} {entity.names[best_i]!r} {op} {query.name!r} "
                   f"({features['name']:.2f}{', ' + note.strip('()') if note else ''})"]
        if decisive:
            reasons.insert(0, decisive + " (decides)")
        if "country" in features:
            delta = features["country"]
            if delta > 0:
                shared = sorted(set(query.countries) & entity.countries)
                reasons.append(f"country {shared[0]} agrees ({delta:+.2f})")
            else:
                reasons.append(f"country {'/'.join(query.countries)} differs from "
                               f"{'/'.join(sorted(entity.countries))} ({delta:+.2f})")
        if "date" in features and query.date:
            reasons.append(self._date(query.date, entity)[1])
        if (not decisive and query.mmsi and entity.mmsis and entity.schema == "Vessel"):
            reasons.append(f"MMSI {query.mmsi} is not this ship's "
                           f"({', '.join(sorted(entity.mmsis))}), but MMSIs are reassigned "
                           "so this only informs")
        if "imo_conflict" in features:
            reasons.insert(0, f"IMO {query.imo} conflicts with this ship's IMO "
                              f"{', '.join(sorted(entity.imos))} (held at "
                              f"{IMO_CONFLICT_CAP:.2f})")
        return Match(
            entity_id=entity.id, caption=entity.caption, schema=entity.schema, score=score,
            matched_name=entity.names[best_i], imo=", ".join(sorted(entity.imos)) or None,
            sources=entity.sources, programs=entity.programs, explanation="; ".join(reasons),
            features=features,
        )

    @staticmethod
    def _date(date: str, entity: IndexedEntity) -> tuple[float, str]:
        dates = entity.dates
        if entity.schema == "Vessel":
            years = sorted({_year(d) for d in dates})
            if _year(date) in years:
                return BUILD_YEAR_AGREES, f"build year {_year(date)} agrees " \
                                          f"(+{BUILD_YEAR_AGREES:.2f})"
            return BUILD_YEAR_DIFFERS, f"build year {_year(date)} differs from " \
                                       f"{'/'.join(years)} ({BUILD_YEAR_DIFFERS:+.2f})"
        if len(date) >= 10 and date in dates:
            return DATE_AGREES, f"birth date {date} agrees (+{DATE_AGREES:.2f})"
        if _year(date) in {_year(d) for d in dates}:
            return YEAR_AGREES, f"birth year {_year(date)} agrees (+{YEAR_AGREES:.2f})"
        return DATE_DIFFERS, (f"birth date {date} differs from {'/'.join(dates[:3])} "
                              f"({DATE_DIFFERS:+.2f})")

    # -- screening -----------------------------------------------------------------------------

    def screen(self, query: Query, *, keep_all: bool = False) -> Result:
        """The result for one query: matches at or above the review threshold, best first (ties
        by id, so equal scores are all shown, never one silently picked). `keep_all` keeps every
        candidate considered, for `--explain`."""
        if query.error:
            return Result(query.row, query.id, "review", [], query.error, query.warnings)
        settings = self.settings
        schema = query.schema or settings.schema
        floor = 0.0 if keep_all else settings.review_threshold
        tokens_by_schema: dict[str, tuple[str, ...]] = {}
        scored: list[tuple[float, str, IndexedEntity, dict[str, float], str | None, int, str]]
        scored = []
        # Once a node matched exactly, word-by-word similarity (at most SOFT_FACTOR) cannot
        # lift another above it, unless country or date features could.
        exact = False
        may_move = bool(query.countries or query.date)
        for number, which in self.candidates(query).items():
            entity = self._entities[number]
            if not self.allowed(entity, schema):
                continue
            tokens = tokens_by_schema.get(entity.schema)
            if tokens is None:
                tokens = match_tokens(query.name, query.schema or entity.schema)
                tokens_by_schema[entity.schema] = tokens
            name, best_i, how = self._name(tokens, entity, which, soft=not exact or may_move)
            exact = exact or name >= 1.0
            score, features, decisive = self._features(query, entity, name)
            if score >= floor:
                scored.append((score, entity.id, entity, features, decisive, best_i, how))
        scored.sort(key=lambda m: (-m[0], m[1]))
        if not keep_all:
            scored = scored[: settings.limit]
        # Explanations only for the matches reported.
        matches = [self._match(query, entity, score, features, decisive, best_i, how)
                   for score, _id, entity, features, decisive, best_i, how in scored]
        top = matches[0].score if matches else 0.0
        decision = ("match" if top >= settings.threshold
                    else "review" if top >= settings.review_threshold else "clear")
        return Result(query.row, query.id, decision, matches, None, query.warnings)


def compatible_schemata(schema: str | None) -> Collection[str] | None:
    return None if schema is None else COMPATIBLE.get(schema)

"""A close call is not a merge: a record that fits two different candidates almost equally
merges with neither.

A pair is scored on its own two records, so a record without a strong identifier (IMO ship or
company number, INN, OGRN, UN reference) named TAIMYR scores the same against both ships of
that name (IMO 8821797 and 9105140) and would merge with whichever the clustering took first.
This step looks at each record's scored pairs together: when such a record's best pair merges
and another candidate that cannot be the same entity as that one (a record of the same list,
which names one entity once, or one with a different strong identifier of a kind both carry)
scores within CLOSE_MARGIN of it, every merging pair of the record whose partner has such a
rival is held at CLOSE_CALL_SCORE, in the review band, with the rival named in the pair's
`close_call` feature, so that `sanctions-graph review` puts it before a person. Anything that
tells the candidates apart (a build year, a flag, a birth date, a country, a name spelt closer)
moves the scores more than CLOSE_MARGIN and lets the right one merge.

Namesakes (`namesakes`, feature NAMESAKE): a name that one list gives to two records is worn by
two entities, since a list does not name one entity twice (TAIMYR: tak lists IMO 8821797 and
9105140; TANGO: tak lists 1010703 and 9292058). A pair of records of other lists that shares
only such a name, with nothing else for it (no flag, MMSI, call sign, year, country...), cannot
say which of the namesakes it is: it is held at CLOSE_CALL_SCORE too, the two namesakes named.
The pair's own list counts as well (it is seen from the other record). This is the list-wide
form of scoring's `ambiguous_name`, which only sees the two records' own lists; it is decided
here because it reads a record's other pairs, as close calls do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Final

from graph.resolution.decisions import KEEP_THRESHOLD, MERGE_THRESHOLD, REVIEW_THRESHOLD
from graph.resolution.records import MatchRecord
from graph.resolution.scoring import Feature, Score, name_alone

#: Candidates whose scores differ by less than this fit a record equally: the smallest
#: supporting feature that tells two apart (a shared country, 0.05) is more.
CLOSE_MARGIN: Final = 0.045
#: A close call's score: in the review band (REVIEW_THRESHOLD..MERGE_THRESHOLD).
CLOSE_CALL_SCORE: Final = 0.7
#: The feature that holds a close call.
CLOSE_CALL: Final = "close_call"
#: The feature that holds a pair that shares only a name two records of one list wear.
NAMESAKE: Final = "namesake"
#: Features this step adds (and takes away again before it decides anew).
HELD: Final = frozenset({CLOSE_CALL, NAMESAKE})

Pair = tuple[str, str]


def strong_keys(record: MatchRecord) -> frozenset[str]:
    """A record's strong identifiers (`kind:value`): IMO ship numbers and the identifiers an
    entity has one of (`MatchRecord.exclusive_keys`)."""
    return frozenset([f"imo-ship:{v}" for v in record.imo_ship] + record.exclusive_keys())


def _disjoint(va: frozenset[str], vb: frozenset[str]) -> bool:
    return bool(va and vb and not va & vb)


def rivals(a: MatchRecord, b: MatchRecord) -> str | None:
    """Why records `a` and `b` cannot be one entity, or None: a different strong identifier of
    a kind both carry, or, for two records of one list, anything that tells them apart (a
    list may name one entity twice, in two parts of an annex, but then as one): a year, a
    country, an MMSI, or names with nothing in common."""
    ka, kb = strong_keys(a), strong_keys(b)
    for kind in sorted({k.partition(":")[0] for k in ka} & {k.partition(":")[0] for k in kb}):
        va = frozenset(k for k in ka if k.startswith(kind + ":"))
        vb = frozenset(k for k in kb if k.startswith(kind + ":"))
        if not va & vb:
            return f"{'/'.join(sorted(va))} vs {'/'.join(sorted(vb))}"
    if a.source != b.source:
        return None
    for label, va, vb in (("years", a.years, b.years), ("countries", a.countries, b.countries),
                          ("MMSI", a.mmsi, b.mmsi)):
        if _disjoint(va, vb):
            return f"one list, {label} {'/'.join(sorted(va))} vs {'/'.join(sorted(vb))}"
    # A list that names one entity twice names it alike; two names with nothing in common
    # are two entities (OFAC's HYUNDAI MIPO 2655 and 2656, sister ships alike in all else).
    if _disjoint(frozenset(a.names), frozenset(b.names)):
        return f"one list, names {a.labels[0] if a.labels else a.names[0]!r} vs " \
               f"{b.labels[0] if b.labels else b.names[0]!r}"
    return None


def close_calls(scores: Mapping[Pair, float], records: Mapping[str, MatchRecord],
                only: Iterable[str] | None = None) -> dict[Pair, tuple[str, str, float, str]]:
    """The merging pairs that are close calls: pair -> (the record that fits both, the rival,
    the rival's score, why the rival is another entity). `scores`: every scored pair of the
    records concerned (raw scores, before this step); `records`: those records; `only`: look
    only at the pairs of these records (all, by default)."""
    by_record: dict[str, list[tuple[float, str, Pair]]] = defaultdict(list)
    for (a, b), score in scores.items():
        if score >= REVIEW_THRESHOLD:
            by_record[a].append((score, b, (a, b)))
            by_record[b].append((score, a, (a, b)))
    wanted = set(only) if only is not None else None
    found: dict[Pair, tuple[str, str, float, str]] = {}
    for x in sorted(by_record):
        if strong_keys(records[x]):
            continue
        entries = sorted(by_record[x], key=lambda e: (-e[0], e[1]))
        best = entries[0][0]
        if best < MERGE_THRESHOLD:
            continue
        for score, partner, pair in entries:
            if score < MERGE_THRESHOLD:
                break
            if wanted is not None and not wanted & set(pair):
                continue
            # A rival as good (a close call) or better (the partner is the lesser choice).
            for rival_score, rival, _ in entries:
                if score - rival_score >= CLOSE_MARGIN:
                    break
                if rival == partner:
                    continue
                why = rivals(records[partner], records[rival])
                if why is not None:
                    note = (x, rival, rival_score, why)
                    # Seen from both records: the first record in order names the rival.
                    found.setdefault(pair, note)
                    break
    return found


def hold(score: Score, note: tuple[str, str, float, str]) -> Score:
    """A pair's score held at CLOSE_CALL_SCORE with the rival named."""
    x, rival, rival_score, why = note
    held = min(score.score, CLOSE_CALL_SCORE)
    partner = score.b if x == score.a else score.a
    fits = "as well" if rival_score - score.score < CLOSE_MARGIN else "better"
    feature = Feature(CLOSE_CALL, round(held - score.score, 4),
                      f"{x} fits {rival} {fits} ({rival_score:.2f}), which is not "
                      f"{partner} ({why})")
    return Score(score.a, score.b, held, (*score.features, feature))


def namesakes(scores: Mapping[Pair, Score], records: Mapping[str, MatchRecord],
              only: Iterable[str] | None = None) -> dict[Pair, tuple[str, str, str, str]]:
    """The merging pairs that share only a name worn by two records of one list, with nothing
    else for them (`scoring.name_alone`): pair -> (the record seen, the two namesakes, the
    name). `scores`: every scored pair of the records concerned (raw, before this step);
    `only`: look only at the pairs of these records (all, by default)."""
    # Each record's candidates by the names they wear now (not former names: a name passes
    # from ship to ship over the years) that it shares with them exactly.
    wearers: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (a, b), score in scores.items():
        if score.score < KEEP_THRESHOLD:
            continue
        ra, rb = records[a], records[b]
        for name in _names(ra).intersection(rb.names):
            wearers[a][name].append(b)
        for name in _names(rb).intersection(ra.names):
            wearers[b][name].append(a)
    # The names two candidates of one list share with a record: (record, name) -> the two.
    worn_twice: dict[tuple[str, str], tuple[str, str]] = {}
    for gid in sorted(wearers):
        for name, others in wearers[gid].items():
            first: dict[str, str] = {}
            for other in sorted(others):
                seen = first.setdefault(records[other].source, other)
                if seen != other:
                    worn_twice[(gid, name)] = (seen, other)
                    break
    wanted = set(only) if only is not None else None
    found: dict[Pair, tuple[str, str, str, str]] = {}
    for pair, score in sorted(scores.items()):
        if score.score < MERGE_THRESHOLD or not name_alone(score.features):
            continue
        if wanted is not None and not wanted & set(pair):
            continue
        shared = _names(records[pair[0]]) & _names(records[pair[1]])
        if not shared:
            continue
        for gid in pair:
            twice = [worn_twice.get((gid, name)) for name in sorted(shared)]
            # Every name the pair shares is worn twice: a name worn once would tell.
            if all(twice):
                one, two = twice[0] or ("", "")
                found[pair] = (gid, one, two, sorted(shared)[0])
                break
    return found


def _names(record: MatchRecord) -> frozenset[str]:
    return frozenset((*record.names, *record.previous))


def hold_namesake(score: Score, note: tuple[str, str, str, str]) -> Score:
    """A pair's score held at CLOSE_CALL_SCORE with the namesakes named."""
    x, one, two, name = note
    held = min(score.score, CLOSE_CALL_SCORE)
    feature = Feature(NAMESAKE, round(held - score.score, 4),
                      f"{name!r}, all the pair shares, is worn by {one} and {two} of one list"
                      f" (seen from {x})")
    return Score(score.a, score.b, held, (*score.features, feature))


def held_scores(scores: Mapping[Pair, Score], records: Mapping[str, MatchRecord],
                only: Iterable[str] | None = None) -> dict[Pair, Score]:
    """The pairs this step holds (close calls, then namesakes), with their held scores.
    `scores`: raw scores (without this step's features) of every pair of the records
    concerned; `only`: decide only the pairs of these records."""
    wanted = None if only is None else set(only)
    notes = close_calls({p: s.score for p, s in scores.items()}, records, only=wanted)
    out = {p: hold(scores[p], note) for p, note in notes.items()}
    for pair, named in namesakes(scores, records, only=wanted).items():
        if pair not in out:
            out[pair] = hold_namesake(scores[pair], named)
    return out


def raw_score(score: float, features: Iterable[tuple[str, float, str]]) -> float:
    """A stored pair's score before a close call or namesake held it."""
    held = sum(w for name, w, _ in features if name in HELD)
    return round(score - held, 4) if held else score


def plain_features(features: Iterable[tuple[str, float, str]]) -> list[tuple[str, float, str]]:
    """A stored pair's features without a close call's or namesake's."""
    return [f for f in features if f[0] not in HELD]


def apply_close_calls(scores: dict[Pair, Score],
                      records: Iterable[MatchRecord]) -> dict[Pair, Score]:
    """Scores of pairs of in-memory records (as a benchmark or a reference holds them), with
    every close call and namesake held (a new dict)."""
    held = held_scores(scores, {r.gid: r for r in records})
    return {p: held.get(p, s) for p, s in scores.items()}

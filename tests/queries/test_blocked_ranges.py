"""The 50% rule over stated bands: stakes with open or closed ends ("more than 25%, at most
50%"), their sums, and a property test against a brute-force least fixpoint computed with exact
fractions over every subset of the graph's entities."""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.path_arrays import array_index
from graph.model import RelationKind
from graph.shares import Share, parse_share
from queries.blocked import THRESHOLD, blocked_entities, ownership_status
from queries.paths import KIND_CODE, PathIndex

OWN = KIND_CODE[RelationKind.OWNERSHIP]

Stakes = list[tuple[int, int, Share | None]]


def graph(n: int, listed: set[int], stakes: Stakes) -> PathIndex:
    """An index of `n` entities, `listed` blocked by a list, and (holder, entity, share)."""
    def bound(share: Share | None, attr: str) -> float:
        return math.nan if share is None else float(getattr(share, attr))

    sanctioned = np.zeros(n, dtype=np.bool_)
    sanctioned[list(listed)] = True
    return array_index(
        n, np.array([h for h, _, _ in stakes], dtype=np.int32),
        np.array([e for _, e, _ in stakes], dtype=np.int32),
        np.full(len(stakes), OWN, dtype=np.int8),
        np.array([bound(s, "low") for _, _, s in stakes], dtype=np.float32),
        pct_high=np.array([bound(s, "high") for _, _, s in stakes], dtype=np.float32),
        low_open=np.array([bool(s and s.low_open) for _, _, s in stakes], dtype=np.bool_),
        high_open=np.array([bool(s and s.high_open) for _, _, s in stakes], dtype=np.bool_),
        sanctioned=sanctioned, state=np.zeros(n, dtype=np.bool_))


def share(text: str) -> Share:
    parsed = parse_share(text)
    assert parsed is not None, text
    return parsed


X, Y, A, B = 0, 1, 2, 3


@pytest.mark.parametrize(("first", "second", "expected"), [
    # "more than 25%" twice is more than 50%: that is 50% or more.
    (">25,<=50", ">25,<=50", "blocked"),
    # exactly 25% and more than 25%: more than 50%.
    ("25", ">25,<=50", "blocked"),
    # at least 25% twice: at least 50%, which reaches 50%.
    (">=25,<50", ">=25,<50", "blocked"),
    # at most 25% twice: at most 50%, which may be 50%.
    ("<=25", "<=25", "possibly blocked"),
    # less than 25% and at most 25%: less than 50%, never 50%.
    ("<25", "<=25", None),
    # 10 to 20% twice: at most 40%.
    ("10-20", "10-20", None),
    # an unknown stake may be anything: possibly.
    ("10", None, "possibly blocked"),
    # 50% alone reaches.
    ("50", "0", "blocked"),
    # more than 50% alone.
    (">50", "0", "blocked"),
])
def test_two_listed_holders(first: str, second: str | None, expected: str | None) -> None:
    idx = graph(3, {X, Y}, [(X, A, share(first)),
                            (Y, A, None if second is None else share(second))])
    answer = ownership_status(idx, A)
    assert (answer.status if answer else None) == expected


def test_one_holder_of_a_band_up_to_half_is_possibly_blocked_and_says_why() -> None:
    idx = graph(2, {X}, [(X, A - 1, share(">25,<=50"))])
    answer = ownership_status(idx, 1)
    assert answer is not None and answer.status == "possibly blocked"
    assert answer.holdings[0].share == "more than 25%, at most 50%"
    assert answer.reasoning == (
        "the blocked holder (COMPANY 0: more than 25%, at most 50%) holds more than 25%, short "
        "of 50% for certain; the holder that is or may be blocked (COMPANY 0: more than 25%, "
        "at most 50%) holds at most 50%, which may reach 50%: possibly blocked")


def test_two_holders_of_bands_are_blocked_and_the_sum_is_shown() -> None:
    idx = graph(3, {X, Y}, [(X, A, share(">25,<=50")), (Y, A, share(">25,<=50"))])
    answer = ownership_status(idx, A)
    assert answer is not None and answer.status == "blocked"
    assert answer.reasoning.endswith("hold together more than 50%, which reaches 50%: blocked")


def test_a_band_spreads_down_a_chain() -> None:
    # X holds more than half of A, A at least half of B: both blocked.
    idx = graph(4, {X}, [(X, A, share(">50")), (A, B, share(">=50,<75"))])
    assert {b.id: b.status for b in blocked_entities(idx)} == {"n2": "blocked", "n3": "blocked"}


def test_two_sources_of_one_stake_give_the_widest_band() -> None:
    # One source says more than 25%, another at least 25% and at most 50%: the stake is at
    # least 25% (the closed end takes in more) and at most 50%.
    idx = graph(2, {X}, [(X, 1, share(">25,<50")), (X, 1, share("25-50"))])
    answer = ownership_status(idx, 1)
    assert answer is not None and answer.holdings[0].share == "at least 25%, at most 50%"


# -- property test: the worklist fixpoint against a brute force over every subset --------------

BOUNDS = (0, 10, 20, 25, 30, 40, 50, 60, 75, 100)


@st.composite
def bands(draw: st.DrawFn) -> Share | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    low, high = sorted(draw(st.lists(st.sampled_from(BOUNDS), min_size=2, max_size=2)))
    low_open = draw(st.booleans()) if low < high else False
    high_open = draw(st.booleans()) if low < high else False
    return Share(float(low), float(high), low_open, high_open)


Case = tuple[int, set[int], Stakes]


@st.composite
def ownership_graphs(draw: st.DrawFn) -> Case:
    n = draw(st.integers(2, 7))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          max_size=3 * n, unique=True))
    stakes = [(h, e, draw(bands())) for h, e in pairs if h != e]
    listed = draw(st.sets(st.integers(0, n - 1), max_size=3))
    return n, listed, stakes


def closed_under_rule(n: int, blocked: frozenset[int], stakes: Stakes, *, upper: bool) -> bool:
    """Whether no entity outside `blocked` is blocked by `blocked`'s stakes: the total, in exact
    fractions, reaches 50% for certain (lower bound >= 50) or possibly (upper bound > 50, or
    = 50 with a closed end)."""
    half = Fraction(int(THRESHOLD))
    for entity in set(range(n)) - blocked:
        held = [s if s is not None else Share.unknown()
                for h, e, s in stakes if e == entity and h in blocked]
        if not held:
            continue
        if upper:
            high = sum((Fraction(s.high) for s in held), Fraction(0))
            closed = not any(s.high_open for s in held)
            if high > half or (high == half and closed):
                return False
        elif sum((Fraction(s.low) for s in held), Fraction(0)) >= half:
            return False
    return True


def least_fixpoint(n: int, listed: set[int], stakes: Stakes, *, upper: bool) -> set[int]:
    """The intersection of every set that holds `listed` and is closed under the rule: the
    least fixpoint (Knaster-Tarski), enumerated over all 2^n subsets."""
    result = set(range(n))
    others = sorted(set(range(n)) - listed)
    for size in range(len(others) + 1):
        for extra in combinations(others, size):
            candidate = frozenset(listed) | frozenset(extra)
            if closed_under_rule(n, candidate, stakes, upper=upper):
                result &= candidate
    return result


@settings(max_examples=300, deadline=None)
@given(ownership_graphs())
def test_fixpoint_over_bands_matches_brute_force(case: Case) -> None:
    n, listed, stakes = case
    idx = graph(n, listed, stakes)
    sure = least_fixpoint(n, listed, stakes, upper=False)
    maybe = least_fixpoint(n, listed, stakes, upper=True)
    expected = {f"n{e}": "blocked" for e in sure - listed}
    expected.update({f"n{e}": "possibly blocked" for e in maybe - sure - listed})
    assert {b.id: b.status for b in blocked_entities(idx)} == expected
    for entity in range(n):
        one = ownership_status(idx, entity)
        assert (one.status if one else None) == expected.get(f"n{entity}")


@pytest.mark.parametrize(("text", "expected"), [
    ("25", Share(25, 25)),
    ("25%", Share(25, 25)),
    ("25-50", Share(25, 50)),
    (">50", Share(50, 100, low_open=True)),
    ("<=50", Share(0, 50)),
    (">25,<=50", Share(25, 50, low_open=True)),
    (">=25 <50", Share(25, 50, high_open=True)),
    ("50-25", None),
    (">50,<50", None),
    ("101", None),
    ("a quarter", None),
])
def test_parse_share(text: str, expected: Share | None) -> None:
    parsed = parse_share(text)
    assert parsed == expected
    if parsed is not None:
        assert parse_share(parsed.text) == parsed

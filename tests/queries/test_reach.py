"""What a change can reach (`queries.reach`): the walk over postings of unsure lengths, against
every length they can have. Hand-made postings (lengths and rows only): they stand for
themselves."""

from __future__ import annotations

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from queries.reach import _sure_walk
from queries.screening.blocking import POSTINGS_BUDGET


def walk(postings: list[tuple[int, int]]) -> set[int]:
    """The rows blocking reads (`Blocker._query_features`), lengths known."""
    read = 0
    rows: set[int] = set()
    for size, row in sorted(postings):
        if read and read + size > POSTINGS_BUDGET:
            continue
        rows.add(row)
        read += size
    return rows


postings = st.lists(
    st.tuples(st.integers(1, POSTINGS_BUDGET + 400), st.integers(0, 3)),
    min_size=1, max_size=7)


@settings(max_examples=400, deadline=None)
@given(postings, st.data())
def test_a_sure_walk_reads_what_every_length_reads(sizes: list[tuple[int, int]],
                                                   data: st.DataObject) -> None:
    # Rows are distinct; up to two postings have a length known only within a bound.
    items = [(size, row, bound) for row, (size, bound) in enumerate(sizes)]
    unsure = data.draw(st.sets(st.sampled_from(range(len(items))), max_size=2))
    bounded = [(max(s - b, 1), s + b, row) if row in unsure else (s, s, row)
               for s, row, b in items]
    got = _sure_walk(bounded)
    choices = [range(lo, hi + 1) for lo, hi, _ in bounded]
    outcomes = {frozenset(walk([(size, row) for size, (_, _, row) in zip(pick, bounded,
                                                                        strict=True)]))
                for pick in product(*choices)}
    if got is not None:
        assert outcomes == {frozenset(got)}
    else:
        # Unsure only when some lengths make it read other rows (never for known lengths).
        assert len(outcomes) > 1 or unsure


def test_known_lengths_walk_as_blocking_does() -> None:
    postings = [(1500, 1500, 1), (600, 600, 2), (100, 100, 3), (2500, 2500, 4)]
    assert _sure_walk(postings) == {3, 2}
    # The first posting is read whatever its length.
    assert _sure_walk([(5000, 5000, 7), (6000, 6000, 8)]) == {7}


def test_a_length_across_the_budget_is_unsure() -> None:
    # The shorter posting is read first; 700 + 1,300 fits the budget of 2,000 exactly, one
    # more and the longer one is left.
    assert POSTINGS_BUDGET == 2000
    assert _sure_walk([(1300, 1300, 1), (699, 701, 2)]) is None
    assert _sure_walk([(1300, 1300, 1), (600, 602, 2)]) == {1, 2}
    assert _sure_walk([(1300, 1300, 1), (750, 752, 2)]) == {2}

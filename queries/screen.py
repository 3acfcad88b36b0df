"""Batch sanctions screening: rows of names (with optional type, country, birth date or build
year, IMO, MMSI, other identifiers) against everything loaded, each answered with a decision,
the best matches, their scores and the reasons.

`screen(store, rows)` yields one `Result` per row, in input order; `screen_frame(store, df)` does
the same for a pandas DataFrame. The index comes from `<store>.screen-index`, rebuilt when the
store has changed since (see `queries.screening.index`). Large inputs are screened by one worker
process per core: the workers are forked once per call with the index already in memory, and rows
travel to them in chunks, so start-up and transfer cost little per row.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from typing import TYPE_CHECKING, Any, Final

from graph.errors import QueryError
from graph.store import Store
from queries.screening.index import ScreenIndex, ensure_index
from queries.screening.io import map_columns, parse_row
from queries.screening.matcher import (
    DEFAULT_LIMIT,
    MATCH_THRESHOLD,
    REVIEW_THRESHOLD,
    SCHEMATA,
    Match,
    Matcher,
    Query,
    Result,
    Settings,
    decide,
)

if TYPE_CHECKING:  # pandas only for the frame helper: it costs half a second to import
    import pandas as pd

#: Rows per task sent to a worker: enough to make pickling and scheduling negligible.
CHUNK_ROWS: Final = 400
#: Rows per batch in one process: small enough for a progress bar to move.
BATCH_ROWS: Final = 200
#: Below this many rows one process is faster than starting workers.
PARALLEL_MIN_ROWS: Final = 1500

#: Allocations between the garbage collector's youngest-generation passes while screening
#: (Python's default is 700): screening allocates many short-lived tuples and lists and makes
#: no reference cycles, and each pass costs time in proportion to what is alive.
GC_THRESHOLD: Final = 100_000

Row = Mapping[str, Any]

_MATCHER: Matcher | None = None


def default_workers() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def make_settings(
    index: ScreenIndex,
    *,
    threshold: float = MATCH_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    limit: int = DEFAULT_LIMIT,
    sources: Collection[str] | None = None,
    schema: str | None = None,
) -> Settings:
    """Checked settings: thresholds in order, known sources and schema."""
    if not 0.0 < threshold <= 1.0 or not 0.0 < review_threshold <= threshold:
        raise QueryError(f"thresholds must satisfy 0 < review ({review_threshold}) <= "
                         f"match ({threshold}) <= 1")
    if limit < 1:
        raise QueryError(f"limit must be at least 1 (got {limit})")
    if sources:
        unknown = sorted(set(sources) - set(index.sources))
        if unknown:
            raise QueryError(f"unknown source(s) {', '.join(unknown)}; loaded: "
                             f"{', '.join(index.sources) or 'none'}")
    if schema is not None and schema not in SCHEMATA:
        raise QueryError(f"unknown schema {schema!r}; one of {', '.join(SCHEMATA)}")
    return Settings(threshold, review_threshold, limit,
                    frozenset(sources) if sources else None, schema)


class _Parser:
    """Rows to queries, finding the columns once per distinct set of keys."""

    def __init__(self, schema: str | None) -> None:
        self.schema = schema
        self._columns: dict[tuple[str, ...], dict[str, str]] = {}

    def __call__(self, row: Row, number: int) -> Query:
        keys = tuple(row)
        columns = self._columns.get(keys)
        if columns is None:
            columns = self._columns[keys] = map_columns(keys)
        return parse_row(row, number, columns, self.schema)


def _screen_chunk(task: tuple[int, list[dict[str, Any]]],
                  matcher: Matcher | None = None) -> list[Result]:
    """One chunk of rows screened as one batch (in a worker: with the worker's matcher)."""
    start, rows = task
    matcher = matcher or _MATCHER
    assert matcher is not None, "worker started without an index"
    parse = _Parser(matcher.settings.schema)
    return matcher.screen_many([parse(row, start + i) for i, row in enumerate(rows)])


def _init_worker(matcher: Matcher) -> None:
    global _MATCHER
    _MATCHER = matcher
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


@contextmanager
def _few_collections() -> Iterator[None]:
    """Fewer garbage collections while screening: what is alive before (the index, the
    matcher) is frozen out of the collector's passes, also in workers forked meanwhile, whose
    passes would otherwise walk it and copy every page they touch; the youngest generation is
    collected every GC_THRESHOLD allocations. Both are restored after."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def screen(
    store: Store,
    rows: Iterable[Row],
    *,
    threshold: float = MATCH_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    limit: int = DEFAULT_LIMIT,
    sources: Collection[str] | None = None,
    schema: str | None = None,
    workers: int | None = None,
    index: ScreenIndex | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Result]:
    """Screen rows (mappings with a name column and optional schema, country, birth_date, imo,
    mmsi, identifier columns, found by name and synonyms) and yield one `Result` per row, in
    order. Every input value is kept in `Result.input` (unknown columns pass through)."""
    if index is None:
        index, _ = ensure_index(store)
    settings = make_settings(index, threshold=threshold, review_threshold=review_threshold,
                             limit=limit, sources=sources, schema=schema)
    yield from screen_with(Matcher(index, settings), rows, workers=workers, progress=progress)


def screen_with(
    matcher: Matcher,
    rows: Iterable[Row],
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Result]:
    """Screen with a ready matcher (the benchmark and the CLI reuse one index)."""
    with _few_collections():
        yield from _screen_with(matcher, rows, workers, progress)


def _screen_with(matcher: Matcher, rows: Iterable[Row], workers: int | None,
                 progress: Callable[[int], None] | None) -> Iterator[Result]:
    workers = default_workers() if workers is None else max(workers, 1)
    iterator = iter(rows)
    head = [dict(r) for r in islice(iterator, PARALLEL_MIN_ROWS)]
    done = 0
    if workers == 1 or len(head) < PARALLEL_MIN_ROWS:
        for start, chunk in _chunks(_chain(head, iterator), BATCH_ROWS):
            for result, row in zip(_screen_chunk((start, chunk), matcher), chunk, strict=True):
                result.input = row
                yield result
            done += len(chunk)
            if progress is not None:
                progress(done)
        return
    matcher.prepare()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init_worker, initargs=(matcher,)) as pool:
        chunks = _chunks(_chain(head, iterator))
        pending: dict[int, list[dict[str, Any]]] = {}

        def tasks() -> Iterator[tuple[int, list[dict[str, Any]]]]:
            for start, chunk in chunks:
                pending[start] = chunk
                yield start, chunk

        for results in pool.imap(_screen_chunk, tasks()):
            chunk = pending.pop(results[0].row) if results else []
            for result, row in zip(results, chunk, strict=True):
                result.input = row
                yield result
            done += len(results)
            if progress is not None:
                progress(done)


def _chain(head: list[dict[str, Any]], rest: Iterator[Row]) -> Iterator[dict[str, Any]]:
    yield from head
    for row in rest:
        yield dict(row)


def _chunks(rows: Iterator[dict[str, Any]],
            size: int = CHUNK_ROWS) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    start = 1
    while True:
        chunk = list(islice(rows, size))
        if not chunk:
            return
        yield start, chunk
        start += len(chunk)


def explain(
    store: Store,
    name: str,
    *,
    schema: str | None = None,
    country: str | None = None,
    birth_date: str | None = None,
    imo: str | None = None,
    mmsi: str | None = None,
    identifier: str | None = None,
    sources: Collection[str] | None = None,
    threshold: float = MATCH_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    index: ScreenIndex | None = None,
) -> tuple[Query, Result]:
    """One name screened with every candidate kept (also those under the review threshold), for
    a person to read why each scored as it did."""
    if index is None:
        index, _ = ensure_index(store)
    settings = make_settings(index, threshold=threshold, review_threshold=review_threshold,
                             sources=sources, schema=schema)
    row = {"name": name, "schema": schema, "country": country, "birth_date": birth_date,
           "imo": imo, "mmsi": mmsi, "identifier": identifier}
    row = {k: v for k, v in row.items() if v}
    query = parse_row(row, 1, map_columns(list(row)), schema)
    matcher = Matcher(index, settings)
    result = matcher.screen(query, keep_all=True)
    result.input = row
    # Every candidate is kept for reading; the decision is the one `screen` gives the row.
    result.decision = decide(result.matches, settings, read_in_part=bool(query.error))
    return query, result


def screen_frame(store: Store, frame: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """The frame with the screening beside each row: `decision`, `score`, `entity_id`,
    `caption` (of the best match), `matches` (every match, as dicts) and `error`."""
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in record.items()}
        for record in frame.astype(object).where(frame.notna(), None).to_dict("records")
    ]
    out: dict[str, list[Any]] = {"decision": [], "score": [], "entity_id": [], "caption": [],
                                 "matches": [], "error": []}
    for result in screen(store, records, **options):
        best: Match | None = result.matches[0] if result.matches else None
        out["decision"].append(result.decision)
        out["score"].append(best.score if best else None)
        out["entity_id"].append(best.entity_id if best else None)
        out["caption"].append(best.caption if best else None)
        out["matches"].append([m.to_dict() for m in result.matches])
        out["error"].append(result.error)
    answer = frame.copy()
    for column, values in out.items():
        name = column if column not in frame.columns else f"screen_{column}"
        answer[name] = values
    return answer


__all__ = ["Match", "Query", "Result", "explain", "screen", "screen_frame", "screen_with"]

"""Batch sanctions screening: rows of names (with optional type, country, birth date or build
year, IMO, MMSI, other identifiers) against everything loaded, each answered with a decision,
the best matches, their scores and the reasons.

`screen(store, rows)` yields one `Result` per row, in input order; `screen_frame(store, df)` does
the same for a pandas DataFrame; `screen_file(matcher, path, output)` from a file (CSV, XLSX,
JSON lines) to a file (chosen by its suffix) or a text stream, and counts the decisions. The
index comes from `<store>.screen-index`, rebuilt when the store has changed since (see
`queries.screening.index`). Large inputs are screened by one worker process per core: the
workers are forked once per call with the index already in memory, and rows travel to them in
chunks, so start-up and transfer cost little per row.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from graph.errors import QueryError
from graph.store import Store
from queries.container import MAC_BYTES, MAGIC
from queries.screening.algorithms import ALGORITHMS
from queries.screening.defaults import DEFAULT_ALGORITHM
from queries.screening.index import (
    INDEX_SUFFIX,
    ScreenIndex,
    ensure_index,
    index_path,
    read_index,
    save_index,
)
from queries.screening.io import (
    OUTPUT_SUFFIXES,
    Columns,
    TableWriter,
    map_columns,
    parse_row,
    read_rows,
    write_jsonl,
)
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

if TYPE_CHECKING:  # pandas only for the frame helpers: it costs half a second to import
    import pandas as pd
    from pyspark.sql import DataFrame as SparkFrame  # the optional `spark` extra

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
    algorithm: str = DEFAULT_ALGORITHM,
) -> Settings:
    """Checked settings: thresholds in order, known sources, schema and algorithm."""
    if not 0.0 <= review_threshold <= threshold <= 1.0:
        raise QueryError(f"thresholds must satisfy 0 <= review ({review_threshold}) <= "
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
    if algorithm not in ALGORITHMS:
        raise QueryError(f"unknown algorithm {algorithm!r}; one of {', '.join(ALGORITHMS)}")
    return Settings(threshold, review_threshold, limit,
                    frozenset(sources) if sources else None, schema, algorithm)


def algorithms() -> list[dict[str, Any]]:
    """Every screening algorithm with its features: kind, weights or steps, the index parts
    each reads, and why it exists (`screen --algorithms`)."""
    return [a.describe() for a in ALGORITHMS.values()]


class _Parser:
    """Rows to queries, finding the columns once per distinct set of keys."""

    def __init__(self, schema: str | None) -> None:
        self.schema = schema
        self._columns = Columns()

    def __call__(self, row: Row, number: int) -> Query:
        return parse_row(row, number, self._columns(row), self.schema)


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


@dataclass(frozen=True, slots=True)
class FileCounts:
    """What `screen_file` screened: rows, by decision, and the rows it could read only in part
    or not at all (each with its reason in the result's `error`)."""

    rows: int
    match: int
    review: int
    clear: int
    unreadable: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def screen_file(
    matcher: Matcher,
    source: Path,
    output: Path | IO[str],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FileCounts:
    """Screen every row of `source` (CSV, XLSX or JSON lines; columns found by name, see
    `queries.screening.io`) into `output`: a `.jsonl`, `.csv` or `.xlsx` file (CSV and XLSX
    flattened to one line per row and match, the input's columns kept), or a text stream of
    JSON lines. `progress(done, total)` is called as rows are screened. A row that cannot be
    read is a result with its reason, never a failure of the run; a source that cannot be read
    at all is a `SourceError`, an output of another suffix a `QueryError` (before any row)."""
    suffix = output.suffix.lower() if isinstance(output, Path) else ".jsonl"
    if suffix not in OUTPUT_SUFFIXES:
        raise QueryError(f"{output}: cannot tell the output format; use .jsonl, .csv or .xlsx")
    columns, rows = read_rows(source)
    counts = {"match": 0, "review": 0, "clear": 0, "unreadable": 0}
    total = len(rows)

    def counted(results: Iterator[Result]) -> Iterator[Result]:
        for result in results:
            counts[result.decision] += 1
            if result.error:
                counts["unreadable"] += 1
            yield result

    step = None if progress is None else functools.partial(_report, progress, total)
    results = counted(screen_with(matcher, rows, workers=workers, progress=step))
    if not isinstance(output, Path):
        for _ in write_jsonl(output, results):
            pass
    elif suffix in (".csv", ".xlsx"):
        writer = TableWriter(output, columns)
        for _ in writer.write(results):
            pass
        writer.close()
    else:
        with output.open("w", encoding="utf-8") as handle:
            for _ in write_jsonl(handle, results):
                pass
    return FileCounts(rows=counts["match"] + counts["review"] + counts["clear"], **counts)


def _report(progress: Callable[[int, int], None], total: int, done: int) -> None:
    progress(done, total)


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
    algorithm: str = DEFAULT_ALGORITHM,
) -> tuple[Query, Result]:
    """One name screened with every candidate kept (also those under the review threshold), for
    a person to read why each scored as it did."""
    if index is None:
        index, _ = ensure_index(store)
    settings = make_settings(index, threshold=threshold, review_threshold=review_threshold,
                             sources=sources, schema=schema, algorithm=algorithm)
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


#: The columns screening puts beside each input row (`screen_frame`, `screen_spark`), in order.
RESULT_COLUMNS: Final = ("decision", "score", "entity_id", "caption", "matches", "error")


def result_columns(result: Result) -> dict[str, Any]:
    """A row's screening as the columns `RESULT_COLUMNS` names: the decision; the best match's
    score, id and caption (None without a match); every match as a dict (`Match.to_dict`); and
    the reason a row could not be read. The one place both frame helpers take them from."""
    best: Match | None = result.matches[0] if result.matches else None
    return {
        "decision": result.decision,
        "score": best.score if best else None,
        "entity_id": best.entity_id if best else None,
        "caption": best.caption if best else None,
        "matches": [m.to_dict() for m in result.matches],
        "error": result.error,
    }


def result_names(columns: Collection[str]) -> dict[str, str]:
    """Each result column's name beside input `columns`: `screen_` in front where the input
    already has a column of that name, so no input value is overwritten."""
    return {c: c if c not in columns else f"screen_{c}" for c in RESULT_COLUMNS}


def _frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as plain dicts, missing values (NaN, NA, NaT) as None."""
    return [{str(k): v for k, v in record.items()}
            for record in frame.astype(object).where(frame.notna(), None).to_dict("records")]


def _beside(frame: pd.DataFrame, results: Iterable[Result]) -> pd.DataFrame:
    """A copy of the frame with each row's result columns added."""
    out: dict[str, list[Any]] = {c: [] for c in RESULT_COLUMNS}
    for result in results:
        for column, value in result_columns(result).items():
            out[column].append(value)
    answer = frame.copy()
    for column, name in result_names([str(c) for c in frame.columns]).items():
        answer[name] = out[column]
    return answer


def screen_frame(store: Store, frame: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """The frame with the screening beside each row: `decision`, `score`, `entity_id`,
    `caption` (of the best match), `matches` (every match, as dicts) and `error`
    (`result_columns`)."""
    return _beside(frame, screen(store, _frame_records(frame), **options))


# -- Spark ------------------------------------------------------------------------------------

#: Spark SQL types of the result columns. `matches` is an array of structs, not JSON text: Spark
#: users filter and explode it as typed columns (`exists(matches, m -> m.score > 0.8)`,
#: `explode(matches)`, `matches.entity_id`) and Parquet stores it column by column, where a JSON
#: string would need `from_json` with this very schema in every query.
SPARK_MATCH_TYPE: Final = (
    "struct<entity_id:string,caption:string,schema:string,score:double,matched_name:string,"
    "imo:string,sources:array<string>,programs:array<string>,explanation:string,"
    "features:map<string,double>>"
)
SPARK_RESULT_TYPES: Final = {"decision": "string", "score": "double", "entity_id": "string",
                             "caption": "string", "matches": f"array<{SPARK_MATCH_TYPE}>",
                             "error": "string"}

#: Each Python worker's matcher, built on the first batch from the index file Spark shipped to
#: it and kept while the job's index (file name and generation) and settings stay the same: a
#: worker serves many tasks and batches, and reads the index once.
_SPARK_MATCHER: dict[tuple[str, int, Settings], Matcher] = {}
#: Where the driver keeps the index files it hands to Spark, one per index version (removed
#: when the process exits).
_SPARK_STAGING: list[Any] = []


def screen_spark(
    store: Store,
    frame: SparkFrame,
    *,
    threshold: float = MATCH_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    limit: int = DEFAULT_LIMIT,
    sources: Collection[str] | None = None,
    schema: str | None = None,
) -> SparkFrame:
    """A Spark DataFrame screened on the cluster: the frame's columns with those of
    `screen_frame` beside them (`result_columns`; `matches` an array of structs,
    `SPARK_RESULT_TYPES`). Lazy like any Spark transformation: nothing is screened until the
    answer is written or collected.

    The store's screening index goes to the executors once, as the signed file it is
    (`SparkContext.addFile`), with the store's key as a broadcast; each Python worker reads and
    checks it on its first batch and keeps one `Matcher` for the rest. Rows are screened with
    `mapInPandas`, each Arrow batch in chunks of `CHUNK_ROWS` as one matcher batch. Needs the
    `spark` extra (PySpark with pyarrow) and a classic SparkSession (not Spark Connect)."""
    try:
        from pyspark.sql.types import DataType, StructField, StructType
    except ImportError as exc:  # the library stays importable without the extra
        raise QueryError("screen_spark needs PySpark: pip install 'sanctions-graph[spark]'") \
            from exc
    context = getattr(frame.sparkSession, "sparkContext", None)
    if context is None:
        raise QueryError("screen_spark needs a classic SparkSession (Spark Connect cannot ship "
                         "the index file to the executors)")
    index, staged, key = _shippable_index(store)
    settings = make_settings(index, threshold=threshold, review_threshold=review_threshold,
                             limit=limit, sources=sources, schema=schema)
    context.addFile(str(staged))
    names = result_names(frame.columns)
    out_schema = StructType([
        *frame.schema.fields,
        *(StructField(names[c], DataType.fromDDL(t), True)
          for c, t in SPARK_RESULT_TYPES.items()),
    ])
    screen_batches = functools.partial(
        _screen_spark_batches, file=staged.name, key=context.broadcast(key),
        generation=index.generation, settings=settings)
    return frame.mapInPandas(screen_batches, out_schema)


def _shippable_index(store: Store) -> tuple[ScreenIndex, Path, bytes]:
    """The store's fresh index, a staged file holding exactly it (`_stage`) and the key it is
    signed with. The file is checked after staging, so a load that replaced the index beside
    the store meanwhile is never shipped as this one. Where the index cannot be saved beside
    the store (a read-only store), a copy signed with a key of this run is shipped."""
    index, _ = ensure_index(store)
    key = store.index_key()
    if key is not None:
        staged = _stage(index_path(store))
        if staged is not None:
            shipped = read_index(staged, key)
            if shipped is not None and (shipped.generation, shipped.fingerprint) == (
                    index.generation, index.fingerprint):
                return shipped, staged, key
    key = secrets.token_bytes(32)
    unsaved = _staging_dir() / f"unsaved{INDEX_SUFFIX}"
    save_index(index, unsaved, key)
    staged = _stage(unsaved)
    unsaved.unlink()
    assert staged is not None, "a file just written"
    return index, staged, key


def _staging_dir() -> Path:
    if not _SPARK_STAGING:
        _SPARK_STAGING.append(tempfile.TemporaryDirectory(prefix="sanctions-graph-spark-"))
    return Path(_SPARK_STAGING[0].name)


def _stage(path: Path) -> Path | None:
    """The index file as it is now, under a name of its own content (its signature); None
    when there is none. Spark ships a file name once per context, so a later index needs a
    new name; and the staged file is a link to (or copy of) this version, which a rebuild
    beside the store cannot change while executors still fetch it."""
    pending = _staging_dir() / f"pending-{secrets.token_hex(8)}"
    try:
        os.link(path, pending)
    except FileNotFoundError:
        return None
    except OSError:  # another file system, or no hard links: a copy
        try:
            shutil.copyfile(path, pending)
        except FileNotFoundError:
            return None
    with pending.open("rb") as handle:
        signature = handle.read(len(MAGIC) + MAC_BYTES)[len(MAGIC):].hex()[:32]
    staged = pending.with_name(f"screen-{signature}{INDEX_SUFFIX}")
    os.replace(pending, staged)
    return staged


def _spark_matcher(file: str, key: bytes, generation: int, settings: Settings) -> Matcher:
    """This worker's matcher for the job's index, read once (`_SPARK_MATCHER`)."""
    cache_key = (file, generation, settings)
    matcher = _SPARK_MATCHER.get(cache_key)
    if matcher is None:
        from pyspark import SparkFiles

        path = Path(SparkFiles.get(file))
        index = read_index(path, key)
        if index is None or index.generation != generation:
            raise QueryError(f"{path}: the screening index shipped to this worker is missing, "
                             "altered or of another generation")
        _SPARK_MATCHER.clear()  # an earlier job's index is not needed again
        matcher = _SPARK_MATCHER[cache_key] = Matcher(index, settings)
        matcher.prepare()
    return matcher


def _screen_spark_batches(batches: Iterator[pd.DataFrame], *, file: str, key: Any,
                          generation: int, settings: Settings) -> Iterator[pd.DataFrame]:
    """`mapInPandas`: each Arrow batch of rows with its result columns, screened in chunks."""
    matcher = _spark_matcher(file, key.value, generation, settings)
    for batch in batches:
        records = _frame_records(batch)
        results: list[Result] = []
        with _few_collections():
            for start, chunk in _chunks(iter(records)):
                results.extend(_screen_chunk((start, chunk), matcher))
        yield _beside(batch, results)


__all__ = ["RESULT_COLUMNS", "FileCounts", "Match", "Query", "Result", "explain",
           "result_columns", "screen", "screen_file", "screen_frame", "screen_spark",
           "screen_with"]

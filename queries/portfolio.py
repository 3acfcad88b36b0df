"""Portfolios: the rows a compliance team screens again and again, kept in the store under a
name, each screening run recorded with the list versions in force, and the team's decisions on
each hit (a false positive cleared, a true hit confirmed) kept and applied to later runs.

A portfolio is the rows of a screening file (the columns `screen` reads, `queries.screening.io`),
keyed by their `id`: adding a file again under the same name adds, changes and removes rows by
id. Each row keeps its JSON and a checksum of it.

A decision is about one hit: a portfolio row and a listed entity (the screening index's id). It
records who, when, why, and what it was decided on: a fingerprint of the row's screened fields
(name, type, countries, date, identifiers) and of the listed entity's matching facts (what the
matcher compares: its names, identifiers, countries, dates, programmes, type; `entity_facts`).
A cleared hit stays cleared while both fingerprints are unchanged; when either changes, the hit
is raised again (status `raised`) with what changed. Decisions are never changed or deleted (the
store refuses it); a later decision on the same hit supersedes the earlier one.

Every `screen_portfolio` run is recorded (`screen_runs`, `run_results`): the input's checksum,
the list versions in force, the algorithm and thresholds, the tool's version, each row's result
with each hit's status and the decision applied. `queries.audit` reads them back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from graph.errors import NotFoundError, QueryError, SourceError
from graph.store import BATCH_ROWS, Store
from queries.reach import KEYS_VERSION, row_keys
from queries.screen import Match, Result, make_settings, screen_with
from queries.screening.defaults import (
    DEFAULT_ALGORITHM,
    DEFAULT_LIMIT,
    MATCH_THRESHOLD,
    REVIEW_THRESHOLD,
)
from queries.screening.index import IndexedEntity, ScreenIndex, ensure_index, store_fingerprint
from queries.screening.io import map_columns, parse_row, read_rows
from queries.screening.matcher import Matcher, Settings

#: The two verdicts a person can give on a hit.
FALSE_POSITIVE: Final = "false_positive"
CONFIRMED: Final = "confirmed"
VERDICTS: Final = (FALSE_POSITIVE, CONFIRMED)

#: A hit's status in a run: no decision on it; cleared as a false positive and nothing it was
#: decided on has changed; cleared once, but the listed entity's matching facts (or the row)
#: changed since, so it is back for review; confirmed as a true hit.
OPEN: Final = "open"
CLEARED: Final = "cleared"
RAISED: Final = "raised"
HIT_CONFIRMED: Final = "confirmed"

#: The matching facts of a listed entity (`IndexedEntity` fields), under the names reports use.
FACT_FIELDS: Final = (("schema", "schema"), ("names", "names"), ("imo", "imos"),
                      ("mmsi", "mmsis"), ("identifiers", "identifiers"),
                      ("countries", "countries"), ("dates", "dates"), ("programs", "programs"))
#: How many tries to read an index and the list versions of one snapshot when loads commit
#: meanwhile (each try rebuilds or patches the index).
STAMP_TRIES: Final = 3


_INSERT_KEYS: Final = ("INSERT OR IGNORE INTO portfolio_tokens (portfolio, token, row_id) "
                       "VALUES (?, ?, ?)")


def gone_label(delisted: bool, merged_into: str | None) -> str:
    """What a hit gone says of its entity: delisted, or now part of another node."""
    if merged_into:
        return f" (now part of {merged_into})"
    return " (delisted)" if delisted else ""


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def tool_version() -> str:
    """This installation's version of sanctions-graph."""
    try:
        return metadata.version("sanctions-graph")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- portfolios --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PortfolioUpdate:
    """What adding a file to a portfolio did, by row id."""

    portfolio: str
    created: bool
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "added": list(self.added), "changed": list(self.changed),
                "removed": list(self.removed)}


@dataclass(frozen=True, slots=True)
class PortfolioInfo:
    name: str
    rows: int
    created_at: str
    updated_at: str
    file_checksum: str
    runs: int
    last_run: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row_ids(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> list[str]:
    """Each row's id: a portfolio is updated by id, so every row needs one, once."""
    column = map_columns(columns).get("id")
    if column is None:
        raise SourceError(path, f"no id column (a portfolio updates its rows by id); found "
                                f"{', '.join(columns) or 'no columns'}")
    ids: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        value = row.get(column)
        row_id = "" if value is None else " ".join(str(value).split())
        if not row_id:
            raise SourceError(path, "a row without an id", where=f"row {number}")
        if row_id in seen:
            raise SourceError(path, f"id {row_id[:40]!r} is also row {seen[row_id]}",
                              where=f"row {number}")
        seen[row_id] = number
        ids.append(row_id)
    return ids


def add_portfolio(store: Store, name: str, path: Path) -> PortfolioUpdate:
    """Keep the rows of a screening file (CSV, XLSX or JSON lines) under `name`: a new
    portfolio, or the rows of an existing one updated by their `id` (rows of new ids added,
    rows whose content differs changed, rows whose id the file lacks removed). One
    transaction: a file that cannot be read leaves the store as it was."""
    name = name.strip()
    if not name:
        raise QueryError("a portfolio needs a name")
    ensure_row_keys(store)
    columns, rows = read_rows(path)
    ids = _row_ids(path, columns, rows)
    file_checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    now = _now()
    added: list[str] = []
    changed: list[str] = []
    tokens: list[tuple[str, str, str]] = []
    with store.transaction() as conn:
        created = conn.execute("SELECT 1 FROM portfolios WHERE name = ?",
                               (name,)).fetchone() is None
        held = dict(conn.execute(
            "SELECT row_id, checksum FROM portfolio_rows WHERE portfolio = ?", (name,)))
        batch: list[tuple[Any, ...]] = []
        for position, (row_id, row) in enumerate(zip(ids, rows, strict=True), start=1):
            checksum = row_checksum(row)
            old = held.pop(row_id, None)
            if old is None:
                added.append(row_id)
            elif old != checksum:
                changed.append(row_id)
            if old != checksum:
                tokens.extend((name, t, row_id) for t in row_tokens(row))
            data = json.dumps(row, ensure_ascii=False, default=str)
            batch.append((name, row_id, position, data, checksum, now, now, checksum))
            if len(batch) >= BATCH_ROWS:
                _upsert_rows(conn, batch)
                batch = []
        _upsert_rows(conn, batch)
        removed = sorted(held)
        conn.executemany("DELETE FROM portfolio_rows WHERE portfolio = ? AND row_id = ?",
                         [(name, row_id) for row_id in removed])
        conn.executemany("DELETE FROM portfolio_tokens WHERE portfolio = ? AND row_id = ?",
                         [(name, row_id) for row_id in (*changed, *removed)])
        conn.executemany(_INSERT_KEYS, tokens)
        conn.execute(
            "INSERT INTO portfolios (name, created_at, updated_at, file_checksum, columns) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "updated_at = excluded.updated_at, file_checksum = excluded.file_checksum, "
            "columns = excluded.columns",
            (name, now, now, file_checksum, json.dumps(columns, ensure_ascii=False)))
    return PortfolioUpdate(name, created, tuple(added), tuple(changed), tuple(removed),
                           len(ids) - len(added) - len(changed), len(ids))


def _upsert_rows(conn: Any, batch: list[tuple[Any, ...]]) -> None:
    # A row's `changed_at` moves only when its checksum does.
    conn.executemany(
        "INSERT INTO portfolio_rows (portfolio, row_id, position, data, checksum, added_at, "
        "changed_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (portfolio, row_id) DO UPDATE SET "
        "position = excluded.position, data = excluded.data, "
        "changed_at = CASE WHEN checksum = ? THEN changed_at ELSE excluded.changed_at END, "
        "checksum = excluded.checksum",
        batch)


def portfolios(store: Store) -> list[PortfolioInfo]:
    """Every portfolio with its row count and runs, by name."""
    found = store.conn.execute(
        "SELECT p.name, p.created_at, p.updated_at, p.file_checksum, "
        "(SELECT COUNT(*) FROM portfolio_rows r WHERE r.portfolio = p.name), "
        "(SELECT COUNT(*) FROM screen_runs s WHERE s.portfolio = p.name), "
        "(SELECT MAX(id) FROM screen_runs s WHERE s.portfolio = p.name) "
        "FROM portfolios p ORDER BY p.name").fetchall()
    return [PortfolioInfo(name, rows, created, updated, checksum, runs, last)
            for name, created, updated, checksum, rows, runs, last in found]


def require_portfolio(store: Store, name: str) -> None:
    """A `NotFoundError` naming the portfolios there are when there is no portfolio `name`."""
    if store.conn.execute("SELECT 1 FROM portfolios WHERE name = ?", (name,)).fetchone() is None:
        known = [p.name for p in portfolios(store)]
        raise NotFoundError(f"no portfolio {name!r}" + (
            f" (portfolios: {', '.join(known[:10])})" if known else " (add one first)"))


_require = require_portfolio  # the name the module used before


def portfolio_rows(store: Store, name: str) -> list[tuple[str, dict[str, Any]]]:
    """A portfolio's rows (id, row) in the order of the file last added."""
    require_portfolio(store, name)
    return [(row_id, json.loads(data)) for row_id, data in store.conn.execute(
        "SELECT row_id, data FROM portfolio_rows WHERE portfolio = ? ORDER BY position",
        (name,))]


def row_checksum(row: Mapping[str, Any]) -> str:
    """A row's checksum: SHA-256 of its JSON, keys sorted."""
    return _digest(row)


def input_checksum(rows: Iterable[tuple[str, str]]) -> str:
    """The checksum of a run's input: SHA-256 over each row's id and checksum (`row_checksum`),
    a line each, in order."""
    digest = hashlib.sha256()
    for row_id, checksum in rows:
        digest.update(f"{row_id}\t{checksum}\n".encode())
    return digest.hexdigest()


# -- fingerprints ------------------------------------------------------------------------------

def row_print(row: Mapping[str, Any]) -> str:
    """A fingerprint of what screening reads of a row (its name, type, countries, date and
    identifiers, as parsed): a column screening ignores can change without touching it."""
    query = parse_row(row, 0, map_columns(list(row)))
    return _digest([query.name, query.schema, query.countries, query.date, query.imo,
                    query.mmsi, query.identifiers])


def row_tokens(row: Mapping[str, Any]) -> set[str]:
    """A row's monitoring keys (`queries.reach.row_keys`)."""
    return row_keys(parse_row(row, 0, map_columns(list(row))))


def ensure_row_keys(store: Store) -> None:
    """Key every portfolio's rows again when the store's keys were made by a version of
    `queries.reach` whose keys differ (`KEYS_VERSION`, kept in the store's meta table)."""
    found = store.conn.execute("SELECT value FROM meta WHERE key = 'portfolio_keys'").fetchone()
    if found is not None and found[0] == str(KEYS_VERSION):
        return
    with store.transaction() as conn:
        conn.execute("DELETE FROM portfolio_tokens")
        batch: list[tuple[str, str, str]] = []
        for name, row_id, data in conn.execute(
                "SELECT portfolio, row_id, data FROM portfolio_rows").fetchall():
            batch.extend((name, t, row_id) for t in row_tokens(json.loads(data)))
            if len(batch) >= BATCH_ROWS:
                conn.executemany(_INSERT_KEYS, batch)
                batch = []
        conn.executemany(_INSERT_KEYS, batch)
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('portfolio_keys', ?)",
                     (str(KEYS_VERSION),))


def entity_facts(entity: IndexedEntity) -> dict[str, list[str]]:
    """A listed entity's matching facts: what the matcher compares, each field sorted."""
    facts: dict[str, list[str]] = {}
    for label, attribute in FACT_FIELDS:
        value = getattr(entity, attribute)
        facts[label] = [value] if isinstance(value, str) else sorted(set(value))
    return facts


def facts_print(facts: Mapping[str, list[str]]) -> str:
    return _digest(facts)


def facts_changed(old: Mapping[str, list[str]], new: Mapping[str, list[str]]) -> list[str]:
    """What changed between two sets of matching facts, one line per field
    (`names: added X; removed Y`)."""
    lines = []
    for label, _ in FACT_FIELDS:
        before, after = set(old.get(label, ())), set(new.get(label, ()))
        if before == after:
            continue
        parts = []
        if after - before:
            parts.append("added " + ", ".join(sorted(after - before)))
        if before - after:
            parts.append("removed " + ", ".join(sorted(before - after)))
        lines.append(f"{label}: {'; '.join(parts)}")
    return lines


class EntityLookup:
    """The listed entities of one index by id, looked up for the few ids a run needs."""

    def __init__(self, index: ScreenIndex) -> None:
        self.index = index
        self._numbers: dict[str, int] | None = None

    def get(self, entity_id: str) -> IndexedEntity | None:
        if self._numbers is None:
            self._numbers = {e: i for i, e in enumerate(self.index.entity_ids)}
        number = self._numbers.get(entity_id)
        return None if number is None else self.index.entities[number]


# -- decisions ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Decision:
    """A person's verdict on one hit, with who, when, why and what it was decided on."""

    id: int
    portfolio: str
    row_id: str
    entity_id: str
    verdict: str
    reason: str
    who: str
    at: str
    row_print: str
    entity_print: str
    entity_facts: dict[str, list[str]]
    supersedes: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_DECISION_COLUMNS: Final = ("id, portfolio, row_id, entity_id, verdict, reason, who, at, "
                            "row_print, entity_print, entity_facts, supersedes")


def _decision(row: tuple[Any, ...]) -> Decision:
    values = list(row)
    values[10] = json.loads(values[10])
    return Decision(*values)


def decide_hit(
    store: Store,
    name: str,
    row_id: str,
    entity_id: str,
    verdict: str,
    *,
    reason: str,
    by: str,
    index: ScreenIndex | None = None,
) -> Decision:
    """Record a verdict (`false_positive` or `confirmed`) on the hit of portfolio row `row_id`
    on listed entity `entity_id`, with why and by whom, on the row and the entity's matching
    facts as they are now. It supersedes the hit's earlier decision, which is kept."""
    if verdict not in VERDICTS:
        raise QueryError(f"unknown verdict {verdict!r}; one of {', '.join(VERDICTS)}")
    reason, by = " ".join(reason.split()), " ".join(by.split())
    if not reason:
        raise QueryError("a decision needs a reason")
    if not by:
        raise QueryError("a decision needs the name of who made it")
    _require(store, name)
    found = store.conn.execute(
        "SELECT data FROM portfolio_rows WHERE portfolio = ? AND row_id = ?",
        (name, row_id)).fetchone()
    if found is None:
        raise NotFoundError(f"portfolio {name!r} has no row {row_id!r}")
    if index is None:
        index, _ = ensure_index(store)
    entity = EntityLookup(index).get(entity_id)
    if entity is None:
        raise NotFoundError(f"no listed entity {entity_id!r} in the lists in force (the "
                            "entity ids are those a screen reports)")
    facts = entity_facts(entity)
    with store.transaction() as conn:
        previous = conn.execute(
            "SELECT MAX(id) FROM decisions WHERE portfolio = ? AND row_id = ? AND entity_id = ?",
            (name, row_id, entity_id)).fetchone()[0]
        cursor = conn.execute(
            f"INSERT INTO decisions ({_DECISION_COLUMNS}) "
            "VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, row_id, entity_id, verdict, reason, by, _now(),
             row_print(json.loads(found[0])), facts_print(facts),
             json.dumps(facts, ensure_ascii=False), previous))
        new_id = cursor.lastrowid
    [decision] = decisions(store, name, ids=[int(new_id or 0)])
    return decision


def decisions(store: Store, name: str, *, row_id: str | None = None,
              entity_id: str | None = None, ids: Collection[int] | None = None,
              upto: int | None = None) -> list[Decision]:
    """A portfolio's decisions, oldest first, superseded ones included; narrowed to one row,
    one entity, some ids, or those made up to decision id `upto`."""
    where = ["portfolio = ?"]
    params: list[Any] = [name]
    for column, value in (("row_id", row_id), ("entity_id", entity_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if upto is not None:
        where.append("id <= ?")
        params.append(upto)
    found = [_decision(r) for r in store.conn.execute(
        f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE {' AND '.join(where)} ORDER BY id",
        params)]
    if ids is not None:
        wanted = set(ids)
        found = [d for d in found if d.id in wanted]
    return found


def _in_force(store: Store, name: str) -> dict[tuple[str, str], Decision]:
    """Each hit's latest decision."""
    latest: dict[tuple[str, str], Decision] = {}
    for decision in decisions(store, name):
        latest[(decision.row_id, decision.entity_id)] = decision
    return latest


# -- screening runs ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one recorded run found: its id, when, the counts by row status, and its rows that
    need a person (a hit open, raised again or confirmed)."""

    run_id: int
    portfolio: str
    started_at: str
    input_checksum: str
    rows: int
    counts: dict[str, int]
    list_versions: list[dict[str, Any]]
    attention: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _versions_in_force(store: Store, index: ScreenIndex) -> list[dict[str, Any]] | None:
    """The current loads, when they are the ones the index was built from; else None."""
    with store.reading():
        if (store.generation(), store_fingerprint(store)) != (index.generation,
                                                             index.fingerprint):
            return None
        return [{"source": i.source, "load_id": i.id, "list_date": i.list_date,
                 "checksum": i.checksum, "loaded_at": i.loaded_at, "path": i.path,
                 "entities": i.entities}
                for i in sorted(store.loads(current_only=True), key=lambda i: i.source)]


def hit_status(match: Match, decision: Decision | None, facts: dict[str, list[str]] | None,
               current_row_print: str) -> dict[str, Any]:
    """One hit as a run records it: the match, its status, the decision applied (if any) and
    what changed since that decision."""
    out = match.to_dict()
    status, changed = OPEN, []
    if decision is not None:
        if facts is not None and facts_print(facts) != decision.entity_print:
            changed = facts_changed(decision.entity_facts, facts)
        if current_row_print != decision.row_print:
            changed.append("the portfolio row's screened fields changed")
        confirmed = decision.verdict == CONFIRMED
        status = HIT_CONFIRMED if confirmed else RAISED if changed else CLEARED
    out.update(status=status, changed=changed,
               decision=decision.to_dict() if decision is not None else None)
    return out


def row_status(decision: str, hits: list[dict[str, Any]], review_threshold: float) -> str:
    """A row's status after decisions: `confirmed` with a confirmed hit; `cleared` when every
    hit at or above the review threshold was cleared as a false positive and stands; else the
    screen's decision (`review` at least when a hit was raised again). Never `clear` for a row
    the screen did not answer `clear`."""
    live = [h for h in hits if h["score"] >= review_threshold]
    if any(h["status"] == HIT_CONFIRMED for h in live):
        return HIT_CONFIRMED
    if decision == "clear" or not live:
        return decision
    if all(h["status"] == CLEARED for h in live):
        return CLEARED
    if hits[0]["status"] == CLEARED:
        return "review"  # the best hit is cleared: the others still need a look
    return decision


def record_result(result: Result, row_id: str, row: Mapping[str, Any], position: int,
                  hits: list[dict[str, Any]], status: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row_id, "position": position, "decision": result.decision,
                           "status": status, "matches": hits, "input": dict(row)}
    if result.error:
        out["error"] = result.error
    if result.warnings:
        out["warnings"] = list(result.warnings)
    return out


class _Facts:
    """Listed entities' matching facts by id, each computed once per run."""

    def __init__(self, index: ScreenIndex) -> None:
        self.entities = EntityLookup(index)
        self._facts: dict[str, dict[str, list[str]] | None] = {}

    def __call__(self, entity_id: str) -> dict[str, list[str]] | None:
        if entity_id not in self._facts:
            entity = self.entities.get(entity_id)
            self._facts[entity_id] = None if entity is None else entity_facts(entity)
        return self._facts[entity_id]


def fresh_index(store: Store) -> tuple[ScreenIndex, list[dict[str, Any]]]:
    """The store's current screening index and the list versions it was built from, read in
    one snapshot (tried again when a load commits meanwhile)."""
    for _ in range(STAMP_TRIES):
        index, _ = ensure_index(store)
        versions = _versions_in_force(store, index)
        if versions is not None:
            return index, versions
    raise QueryError("the lists changed while the screening index was read "
                     f"({STAMP_TRIES} times); try again when the loads have finished")


def screen_rows(
    store: Store,
    name: str,
    index: ScreenIndex,
    settings: Settings,
    rows: list[tuple[int, str, dict[str, Any]]],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Rows (position, id, row) of a portfolio screened, each hit with its listed entity's
    matching facts, its status and the decision in force applied: the records a run keeps."""
    in_force = _in_force(store, name)
    facts_of = _Facts(index)
    total = len(rows)
    step = None if progress is None else (lambda done: progress(done, total))
    records: list[dict[str, Any]] = []
    results = screen_with(Matcher(index, settings), (row for _, _, row in rows),
                          workers=workers, progress=step)
    for result, (position, row_id, row) in zip(results, rows, strict=True):
        hits = []
        for match in result.matches:
            decision = in_force.get((row_id, match.entity_id))
            facts = facts_of(match.entity_id)
            hit = hit_status(match, decision, facts,
                             row_print(row) if decision is not None else "")
            hit["facts"] = facts
            hits.append(hit)
        status = row_status(result.decision, hits, settings.review_threshold)
        record = record_result(result, row_id, row, position, hits, status)
        record["checksum"] = row_checksum(row)
        records.append(record)
    return records


def screen_portfolio(
    store: Store,
    name: str,
    *,
    threshold: float = MATCH_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    limit: int = DEFAULT_LIMIT,
    sources: Collection[str] | None = None,
    schema: str | None = None,
    algorithm: str = DEFAULT_ALGORITHM,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """Screen every row of a portfolio against the lists in force, apply the decisions on its
    hits, and record the run (`queries.audit` reads it back)."""
    rows = portfolio_rows(store, name)
    started = _now()
    index, versions = fresh_index(store)
    settings = make_settings(index, threshold=threshold, review_threshold=review_threshold,
                             limit=limit, sources=sources, schema=schema, algorithm=algorithm)
    last_decision = last_decision_id(store, name)
    records = screen_rows(store, name, index, settings,
                          [(i, row_id, row) for i, (row_id, row) in enumerate(rows, 1)],
                          workers=workers, progress=progress)
    counts = count_statuses(records)
    checksum = input_checksum((r["id"], r["checksum"]) for r in records)
    run_id = record_run(store, name, RunHead(started, checksum, versions, index,
                                             settings_dict(settings), counts, last_decision),
                        records, whole=True)
    return RunSummary(run_id, name, started, checksum, len(rows), counts, versions,
                      needing_attention(records))


def last_decision_id(store: Store, name: str) -> int:
    found = store.conn.execute("SELECT MAX(id) FROM decisions WHERE portfolio = ?",
                               (name,)).fetchone()[0]
    return int(found or 0)


def count_statuses(records: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    return dict(sorted(counts.items()))


def needing_attention(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows a person has to look at: a hit not cleared, and a status other than clear."""
    return [r for r in records if any(h["status"] != CLEARED for h in r["matches"])
            and r["status"] not in ("clear", CLEARED)]


def settings_dict(settings: Any) -> dict[str, Any]:
    return {"threshold": settings.threshold, "review_threshold": settings.review_threshold,
            "limit": settings.limit,
            "sources": sorted(settings.sources) if settings.sources else None,
            "schema": settings.schema, "algorithm": settings.algorithm}


@dataclass(frozen=True, slots=True)
class RunHead:
    """What a run records besides its rows."""

    started: str
    input_checksum: str
    versions: list[dict[str, Any]]
    index: ScreenIndex
    settings: dict[str, Any]
    counts: dict[str, int]
    last_decision: int
    kind: str = "screen"
    base_run: int | None = None


def record_run(store: Store, name: str, head: RunHead, records: list[dict[str, Any]], *,
               whole: bool, removed: Collection[str] = ()) -> int:
    """Record a run and its rows in one transaction, and make its rows the portfolio's state
    (each row's checksum and hits, which monitoring compares with): all of it for a run of
    every row (`whole`), else the rows it screened, less the `removed` rows."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO screen_runs (portfolio, started_at, finished_at, input_checksum, rows, "
            "list_versions, index_generation, index_fingerprint, algorithm, settings, "
            "tool_version, counts, last_decision, kind, base_run, weights) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, head.started, _now(), head.input_checksum, len(records),
             json.dumps(head.versions, ensure_ascii=False), head.index.generation,
             head.index.fingerprint, head.settings["algorithm"], json.dumps(head.settings),
             tool_version(), json.dumps(head.counts, sort_keys=True), head.last_decision,
             head.kind, head.base_run, head.index.weights.epoch))
        run_id = int(cursor.lastrowid or 0)
        if whole:
            conn.execute("DELETE FROM portfolio_state WHERE portfolio = ?", (name,))
            conn.execute("DELETE FROM portfolio_hits WHERE portfolio = ?", (name,))
        else:
            gone = [(name, row_id) for row_id in (*removed, *(r["id"] for r in records))]
            conn.executemany("DELETE FROM portfolio_hits WHERE portfolio = ? AND row_id = ?",
                             gone)
            conn.executemany("DELETE FROM portfolio_state WHERE portfolio = ? AND row_id = ?",
                             gone)
        for batch in _batches(records):
            conn.executemany(
                "INSERT INTO run_results (run_id, position, row_id, decision, status, result) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, r["position"], r["id"], r["decision"], r["status"],
                  json.dumps(r, ensure_ascii=False, default=str)) for r in batch])
            conn.executemany(
                "INSERT INTO portfolio_state (portfolio, row_id, run_id, checksum, hits) "
                "VALUES (?, ?, ?, ?, ?)",
                [(name, r["id"], run_id, r["checksum"], json.dumps(
                    [state_hit(h) for h in r["matches"]], ensure_ascii=False))
                 for r in batch])
            conn.executemany(
                "INSERT OR IGNORE INTO portfolio_hits (portfolio, entity_id, row_id) "
                "VALUES (?, ?, ?)",
                [(name, h["entity_id"], r["id"]) for r in batch for h in r["matches"]])
    return run_id


def state_hit(hit: Mapping[str, Any]) -> dict[str, Any]:
    """What a row's state keeps of a hit: enough to tell a later run's hit new, changed or
    gone."""
    return {"entity_id": hit["entity_id"], "caption": hit["caption"], "score": hit["score"],
            "facts": hit["facts"]}


def _batches(records: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(records), BATCH_ROWS):
        yield records[start:start + BATCH_ROWS]


__all__ = ["CLEARED", "CONFIRMED", "FALSE_POSITIVE", "OPEN", "RAISED", "Decision",
           "PortfolioInfo", "PortfolioUpdate", "RunSummary", "add_portfolio", "decide_hit",
           "decisions", "entity_facts", "facts_changed", "input_checksum", "portfolio_rows",
           "portfolios", "require_portfolio", "row_print", "screen_portfolio", "tool_version"]

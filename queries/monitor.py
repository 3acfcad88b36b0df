"""Monitoring a portfolio by difference: after a list update, only what can have changed is
screened again, and the result is a list of alerts.

What can have changed since the portfolio's last run (`queries.portfolio` keeps each row's
checksum and hits as its state): the rows that hit a listed entity the loads since then added,
changed or removed (the store logs those per generation, `Store.changed_since`); the rows that
share an identifier with one; the rows the change reaches in blocking (`queries.reach`: found
word by word among the portfolio's keyed rows, then each row's blocking walked in worker
processes); and the rows added or changed in the portfolio since. Those rows are screened again
with the full matcher against the whole index and compared with their state: a hit that is
new, a hit whose listed entity's matching facts changed (a new programme, a new name), a hit
gone (the entity delisted, or no longer matching). So the alerts are those between two full
screens, the one of the last run and one now. Each alert names the list versions before and
after and the records of the list's `diff` behind it. Every row is screened again (the alerts
are the same, only slower) when the store's log no longer reaches back to the last run, or
when the word weights were set again since (a large change of the lists: `Weights`).
"""

from __future__ import annotations

import bisect
import json
import multiprocessing
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from graph.errors import NotFoundError, QueryError
from graph.store import Store
from graph.versions import diff_loads
from queries.audit import RunInfo, latest_run, run_info, run_results, runs
from queries.portfolio import (
    EntityLookup,
    RunHead,
    count_statuses,
    ensure_row_keys,
    facts_changed,
    fresh_index,
    input_checksum,
    last_decision_id,
    needing_attention,
    record_run,
    require_portfolio,
    screen_rows,
    settings_dict,
)
from queries.reach import WORD, Change, Moved, Reach, moved
from queries.screen import PARALLEL_MIN_ROWS, default_workers, make_settings
from queries.screening.blocking import Blocker
from queries.screening.index import ScreenIndex
from queries.screening.io import Columns, name_and_schema
from queries.screening.types import CLASS_SCHEMA, Query, Settings

NEW_HIT: Final = "new hit"
HIT_CHANGED: Final = "hit changed"
HIT_GONE: Final = "hit gone"

#: Values per SQL statement (SQLite allows 32,766 parameters; well below, for memory).
IN_BATCH: Final = 900


@dataclass(frozen=True, slots=True)
class Alert:
    """One change in what a row hits."""

    row_id: str
    kind: str
    entity_id: str
    caption: str
    score_before: float | None
    score_now: float | None
    #: What changed in the listed entity's matching facts (`names: added X`).
    changed: tuple[str, ...] = ()
    #: The entity is in no list in force any more.
    delisted: bool = False
    #: The records of the lists' diff behind the alert (filled by `monitor_portfolio`).
    diff: tuple[dict[str, Any], ...] = ()
    #: For a hit gone: the node the entity's record is now part of, when it is listed still
    #: (a record that joined another node: not delisted).
    merged_into: str | None = None

    def key(self) -> tuple[str, str, str, tuple[str, ...]]:
        return (self.row_id, self.kind, self.entity_id, self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "changed": list(self.changed), "diff": list(self.diff)}


def alerts_between(row_id: str, before: Iterable[Mapping[str, Any]],
                   now: Iterable[Mapping[str, Any]],
                   listed: Callable[[str], bool],
                   merged: Callable[[str], str | None] | None = None) -> list[Alert]:
    """The alerts of one row between two of its results (hits with `entity_id`, `caption`,
    `score`, `facts`): new hits, hits whose facts changed, hits gone (`listed` tells whether
    an entity is still in the lists, `merged` which node now holds its record if another).
    Scores that merely move are no alert."""
    old = {h["entity_id"]: h for h in before}
    new = {h["entity_id"]: h for h in now}
    alerts = []
    for entity_id in sorted(old.keys() | new.keys()):
        a, b = old.get(entity_id), new.get(entity_id)
        if a is None and b is not None:
            alerts.append(Alert(row_id, NEW_HIT, entity_id, b["caption"], None, b["score"]))
        elif b is None and a is not None:
            into = None if merged is None or listed(entity_id) else merged(entity_id)
            alerts.append(Alert(row_id, HIT_GONE, entity_id, a["caption"], a["score"], None,
                                delisted=into is None and not listed(entity_id),
                                merged_into=into))
        elif a is not None and b is not None:
            changed = facts_changed(a["facts"] or {}, b["facts"] or {})
            if changed:
                alerts.append(Alert(row_id, HIT_CHANGED, entity_id, b["caption"], a["score"],
                                    b["score"], tuple(changed)))
    return alerts


@dataclass(frozen=True, slots=True)
class MonitorRun:
    """What one monitoring pass did."""

    run_id: int
    base_run: int
    portfolio: str
    list_versions_before: list[dict[str, Any]]
    list_versions: list[dict[str, Any]]
    changed_entities: int | None
    rows: int
    rows_screened: int
    rows_changed: int
    rows_removed: int
    alerts: list[Alert]
    counts: dict[str, int]
    attention: list[dict[str, Any]]
    seconds: dict[str, float] = field(default_factory=dict)
    #: Why every row was screened again, when it was (else None).
    whole: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["alerts"] = [a.to_dict() for a in self.alerts]
        return out


def _in_batches(values: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), IN_BATCH):
        yield ordered[start:start + IN_BATCH]


def _rows_where(store: Store, sql: str, name: str, values: Collection[str]) -> set[str]:
    found: set[str] = set()
    for batch in _in_batches(values):
        marks = ", ".join("?" * len(batch))
        found.update(r[0] for r in store.conn.execute(sql.format(marks=marks), (name, *batch)))
    return found


def _reached(store: Store, name: str, index: ScreenIndex, settings: Settings,
             changed: Collection[str], entities: EntityLookup, lists: Moved,
             since: int, workers: int | None) -> set[str]:
    """The rows of portfolio `name` a change can reach (`queries.reach`): those sharing an
    identifier with it; and those keyed by a feature of a changed entity's names or of a name
    the lists put on or took off (or with a word the index does not know that meets one by a
    trigram or a typo), when blocking can read a posting the change touched or finds a
    changed entity's name (`Reach`)."""
    present = [e for entity_id in changed if (e := entities.get(entity_id)) is not None]
    # A node's postings count its distinct names: when records join or leave a node, a name
    # two of them share counts once or twice, with no name of a list changed. So the names of
    # the nodes regrouped since (records, schema or caption changed, not only facts) count in
    # the bound too.
    regrouped = store.regrouped_since(since)
    names = list(lists.names)
    for entity in present:
        if regrouped is None or entity.id in regrouped:
            names.extend((n, (entity.schema,)) for n in entity.names)
    change = Change(names, lists.identifiers, present, lists.removed)
    sql = ("SELECT DISTINCT row_id FROM portfolio_tokens WHERE portfolio = ? AND token IN "
           "({marks})")
    found = _rows_where(store, sql, name, change.identifiers)
    ids = index.entity_ids
    numbers = [n for e in present
               if (n := bisect.bisect_left(ids, e.id)) < len(ids) and ids[n] == e.id]
    reach = Reach(change, Blocker(index, settings), numbers)
    keys = change.feature_keys()
    keys.update(f"{tag}{WORD}{word}" for word in _portfolio_words(store, name)
                for tag in reach.word_reaches(word))
    maybe = _rows_where(store, sql, name, keys) - found

    def chunks() -> Iterator[list[tuple[str, str]]]:
        for batch in _in_batches(maybe):
            marks = ", ".join("?" * len(batch))
            yield store.conn.execute(
                f"SELECT row_id, data FROM portfolio_rows WHERE portfolio = ? AND row_id "
                f"IN ({marks})", (name, *batch)).fetchall()

    workers = default_workers() if workers is None else max(workers, 1)
    if workers == 1 or len(maybe) < PARALLEL_MIN_ROWS:
        for chunk in chunks():
            found.update(_reached_rows(chunk, reach))
        return found
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init_reach, initargs=(reach,)) as pool:
        # Read here (the store's connection is this thread's), checked there.
        pending = [pool.apply_async(_reached_rows, (chunk,)) for chunk in chunks()]
        for result in pending:
            found.update(result.get())
    return found


_REACH: Reach | None = None


def _init_reach(reach: Reach) -> None:
    global _REACH
    _REACH = reach


def _reached_rows(rows: list[tuple[str, str]], reach: Reach | None = None) -> list[str]:
    """The ids of the rows (id, data) the change reaches (in a worker: its `Reach`)."""
    reach = reach or _REACH
    assert reach is not None, "worker started without a change"
    out: list[str] = []
    columns = Columns()
    others: list[tuple[str, Query]] = []
    for row_id, data in rows:
        row = json.loads(data)
        name, schema = name_and_schema(row, columns(row))
        if not name:
            continue  # screened, it is an error whatever the lists say
        query = Query(row=0, id=row_id, name=name, schema=schema)
        reached = reach.reaches(query)
        if reached:
            out.append(row_id)
        elif reached is None:
            others.append((row_id, query))
    hits = reach.find_changed([query for _, query in others])
    out.extend(row_id for (row_id, _), hit in zip(others, hits, strict=True) if hit)
    return out


def _portfolio_words(store: Store, name: str) -> set[str]:
    """The portfolio's words (`reach.WORD` keys, of every class), read as ranges of the keys'
    index."""
    out: set[str] = set()
    for tag in range(len(CLASS_SCHEMA)):
        low, high = f"{tag}{WORD}", f"{tag}{chr(ord(WORD) + 1)}"
        out.update(t[2:] for (t,) in store.conn.execute(
            "SELECT DISTINCT token FROM portfolio_tokens WHERE portfolio = ? AND token >= ? "
            "AND token < ?", (name, low, high)))
    return out


def _last_run(store: Store, name: str) -> RunInfo:
    done = runs(store, name)
    if not done:
        raise QueryError(f"portfolio {name!r} has not been screened yet: run `portfolio "
                         "screen` once, then monitor it")
    return done[-1]


def monitor_portfolio(
    store: Store,
    name: str,
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MonitorRun:
    """Screen again only the rows of portfolio `name` that the list updates and the portfolio's
    own changes since its last run can have changed (see the module), with that run's settings;
    record the pass as a run (of kind `monitor`, holding the rows it screened and their alerts)
    and return its alerts."""
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    base = _last_run(store, name)
    index, versions = fresh_index(store)
    settings = make_settings(index, **base.settings)
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    changed = store.changed_since(base.index_generation)
    rows_changed = {r[0] for r in store.conn.execute(
        "SELECT r.row_id FROM portfolio_rows r LEFT JOIN portfolio_state s "
        "ON s.portfolio = r.portfolio AND s.row_id = r.row_id "
        "WHERE r.portfolio = ? AND (s.checksum IS NULL OR s.checksum != r.checksum)", (name,))}
    removed = {r[0] for r in store.conn.execute(
        "SELECT s.row_id FROM portfolio_state s WHERE s.portfolio = ? AND NOT EXISTS "
        "(SELECT 1 FROM portfolio_rows r WHERE r.portfolio = s.portfolio "
        "AND r.row_id = s.row_id)", (name,))}
    seconds["rows changed"] = time.perf_counter() - clock
    entities = EntityLookup(index)
    whole = None
    if changed is None:
        whole = "the store's log of changes does not reach back to the last run"
    elif base.weights != index.weights.epoch:
        whole = "the word weights were set again since the last run"
    if whole is not None:
        candidates = {r[0] for r in store.conn.execute(
            "SELECT row_id FROM portfolio_rows WHERE portfolio = ?", (name,))}
    else:
        assert changed is not None
        ensure_row_keys(store)
        candidates = set(rows_changed)
        candidates |= _rows_where(
            store, "SELECT row_id FROM portfolio_hits WHERE portfolio = ? AND entity_id IN "
                   "({marks})", name, changed)
        candidates |= _reached(store, name, index, settings, changed, entities,
                               moved(store, base.list_versions, versions),
                               base.index_generation, workers)
        candidates -= removed
    seconds["rows found"] = time.perf_counter() - clock
    rows: list[tuple[int, str, dict[str, Any]]] = []
    before: dict[str, list[dict[str, Any]]] = {}
    for batch in _in_batches(candidates):
        marks = ", ".join("?" * len(batch))
        rows.extend((position, row_id, json.loads(data)) for position, row_id, data in
                    store.conn.execute(
                        "SELECT position, row_id, data FROM portfolio_rows WHERE portfolio = ? "
                        f"AND row_id IN ({marks})", (name, *batch)))
        before.update((row_id, json.loads(hits)) for row_id, hits in store.conn.execute(
            f"SELECT row_id, hits FROM portfolio_state WHERE portfolio = ? AND row_id IN "
            f"({marks})", (name, *batch)))
    rows.sort()
    records = screen_rows(store, name, index, settings, rows, workers=workers,
                          progress=progress)
    seconds["screened"] = time.perf_counter() - clock

    def listed(entity_id: str) -> bool:
        return entities.get(entity_id) is not None

    def merged(entity_id: str) -> str | None:
        node = store.canonical_of(entity_id)
        return node if node is not None and entities.get(node) is not None else None

    raw: list[tuple[Alert, set[str]]] = []
    for record in records:
        old_hits = before.get(record["id"], [])
        for alert in alerts_between(record["id"], old_hits, record["matches"], listed, merged):
            names = {n for h in old_hits if h["entity_id"] == alert.entity_id
                     for n in (h.get("facts") or {}).get("names", [])}
            raw.append((alert, names))
    alerts = _Diffs(store, base.list_versions, versions).explain(raw)
    by_row: dict[str, list[dict[str, Any]]] = {}
    for alert in alerts:
        by_row.setdefault(alert.row_id, []).append(alert.to_dict())
    for record in records:
        record["alerts"] = by_row.get(record["id"], [])
    seconds["alerts and diffs"] = time.perf_counter() - clock
    counts = count_statuses(records)
    head = RunHead(started, input_checksum((r["id"], r["checksum"]) for r in records), versions,
                   index, settings_dict(settings), counts, last_decision_id(store, name),
                   kind="monitor", base_run=base.id)
    run_id = record_run(store, name, head, records, whole=whole is not None,
                        removed=removed)
    seconds["recorded"] = time.perf_counter() - clock
    total = store.conn.execute("SELECT COUNT(*) FROM portfolio_rows WHERE portfolio = ?",
                               (name,)).fetchone()[0]
    return MonitorRun(run_id, base.id, name, base.list_versions, versions,
                      None if changed is None else len(changed), int(total), len(records),
                      len(rows_changed), len(removed), alerts, counts,
                      needing_attention(records), {k: round(v, 3) for k, v in seconds.items()},
                      whole)


def run_alerts(store: Store, name: str, run_id: int | None = None) -> dict[str, Any]:
    """The alerts a recorded run of portfolio `name` raised (its last run when `run_id` is
    None), each with the records of the lists' diff behind it, and the list versions before
    (its base run's) and after. A run of every row (`screen`) raises none. A `NotFoundError`
    for an unknown portfolio, a portfolio never screened, or a run of another portfolio."""
    require_portfolio(store, name)
    info = run_info(store, latest_run(store, name) if run_id is None else run_id)
    if info.portfolio != name:
        raise NotFoundError(f"run {info.id} is a run of another portfolio, not of {name!r}")
    before = run_info(store, info.base_run).list_versions if info.base_run else None
    return {"run_id": info.id, "portfolio": name, "kind": info.kind,
            "base_run": info.base_run, "started_at": info.started_at,
            "finished_at": info.finished_at, "list_versions_before": before,
            "list_versions": info.list_versions, "rows_screened": info.rows,
            "alerts": [a for row in run_results(store, info.id) for a in row.get("alerts", [])]}


class _Diffs:
    """The records of the lists' diffs behind alerts: for each source whose version changed
    since the last run, the diff between its two versions of the records behind the alerts
    (an entity's records in the version in force, or, for an entity no list holds any more,
    the records of the earlier version that bore its names), read for those records only."""

    def __init__(self, store: Store, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
        before = {v["source"]: v for v in old}
        self.pairs = {v["source"]: (before[v["source"]]["load_id"], v["load_id"]) for v in new
                      if v["source"] in before and before[v["source"]]["load_id"] != v["load_id"]}
        self.store = store

    def _records_of(self, alert: Alert, names: set[str]) -> dict[str, set[str]]:
        """Each changed source's record ids behind one alert."""
        found: dict[str, set[str]] = {}
        for source, (old_load, new_load) in self.pairs.items():
            ids = {r for (r,) in self.store.conn.execute(
                "SELECT e.record_id FROM nodes n JOIN entities e ON e.load_id = n.load_id "
                "AND e.id = n.local_id WHERE n.canonical = ? AND n.load_id = ?",
                (alert.entity_id, new_load))}
            if alert.delisted and names:
                marks = ", ".join("?" * len(names))
                ids |= {r for (r,) in self.store.conn.execute(
                    "SELECT e.record_id FROM names m JOIN entities e ON e.load_id = m.load_id "
                    f"AND e.id = m.entity_id WHERE m.load_id = ? AND m.name IN ({marks})",
                    (old_load, *sorted(names)))}
            if ids:
                found[source] = ids
        return found

    def explain(self, alerts: list[tuple[Alert, set[str]]]) -> list[Alert]:
        """The alerts (each with its entity's former names) with the diff records behind
        them."""
        behind = [self._records_of(alert, names) for alert, names in alerts]
        entries: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for source, (old_load, new_load) in sorted(self.pairs.items()):
            wanted = set().union(*(b.get(source, set()) for b in behind))
            if not wanted:
                continue
            summary = diff_loads(self.store, source, self.store.load_info(old_load),
                                 self.store.load_info(new_load), wanted).to_dict()
            by_record: dict[str, list[dict[str, Any]]] = {}
            for kind in ("listed", "delisted", "changed"):
                for entry in summary[kind]:
                    by_record.setdefault(entry["record_id"], []).append(
                        {"source": source, "kind": kind, "from": summary["from"]["list_date"],
                         "to": summary["to"]["list_date"], **entry})
            entries[source] = by_record
        out = []
        for (alert, _), records in zip(alerts, behind, strict=True):
            found = [entry for source, ids in sorted(records.items())
                     for record_id in sorted(ids)
                     for entry in entries.get(source, {}).get(record_id, [])
                     if entry["kind"] != "delisted" or alert.delisted]
            out.append(Alert(alert.row_id, alert.kind, alert.entity_id, alert.caption,
                             alert.score_before, alert.score_now, alert.changed,
                             alert.delisted, tuple(found), alert.merged_into))
        return out


__all__ = ["HIT_CHANGED", "HIT_GONE", "NEW_HIT", "Alert", "MonitorRun", "alerts_between",
           "monitor_portfolio", "run_alerts"]

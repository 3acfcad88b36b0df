"""The embedded store: one SQLite file.

Every loaded version of every source is kept (`loads`, with its records in `entities`, `props`,
`relations`, `sanctions`). One version per source is current (`current`). Each version's names
(normalised) and identifier keys are indexed when it is written (`names`, `keys`). The merged view
the queries read (`nodes`, `canon`) is derived from the current versions (`graph.derive`: only
what a change can reach is derived again) inside the same transaction as the load that changed
them, so a reader never sees a half-made state, and a load that fails or is killed leaves the
file exactly as it was (SQLite's journal). The canonical ids a change may have touched are logged
per generation (`view_changes`, `changed_since`), for the derived indexes to patch themselves.
Screening portfolios, their recorded runs and the decisions on their hits (append-only) are
kept here too (`portfolios`, `portfolio_rows`, `screen_runs`, `run_results`, `decisions`; read
and written by `queries.portfolio`). Every value reaches SQL as a parameter.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from graph import derive
from graph.errors import ShrinkError, StoreError
from graph.model import (
    Entity,
    ListMeta,
    Problem,
    Record,
    Relation,
    Sanction,
    Schema,
)
from graph.normalize import normalize_name, normalize_vessel_name
from graph.resolve import MMSI_KEY, ResolverInput, identifier_keys
from graph.view import Edge, Fact, Listing, LoadInfo, Node, Provenance, by_canonical

LAYOUT_VERSION: Final = 7

#: How many generations of view changes are kept (`Store.changed_since`): an index older than
#: that is rebuilt, not patched.
CHANGE_LOG_GENERATIONS: Final = 64

#: The share of its current version's entities a new version of a source may lose and still
#: replace it without `allow_shrink`. Real lists lose a few delistings per release; a download
#: that stopped at a row boundary, or a file filtered on the way, loses far more and parses
#: cleanly (an OFAC sdn.csv cut at row 8,077 of 14,965 did).
MAX_SHRINK: Final = 0.10

#: Properties that hold a name of a node, indexed for lookup.
NAME_PROPERTIES: Final = ("name", "alias", "previousName", "weakAlias")

#: Rows written per executemany call: large enough to amortise the call, small enough for memory.
BATCH_ROWS: Final = 5000

#: How long a write waits for another command's write to finish before it gives up.
BUSY_SECONDS: Final = 30.0

#: How many sample messages of each problem kind a load keeps for its report.
PROBLEM_SAMPLES: Final = 5

_DDL: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS loads (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    path TEXT NOT NULL,
    checksum TEXT NOT NULL,
    list_date TEXT,
    list_date_origin TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    entities INTEGER NOT NULL,
    relations INTEGER NOT NULL,
    sanctions INTEGER NOT NULL,
    problems TEXT NOT NULL,
    shrink_accepted INTEGER
);
CREATE INDEX IF NOT EXISTS loads_source ON loads (source, checksum);
CREATE TABLE IF NOT EXISTS current (source TEXT PRIMARY KEY, load_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    load_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    schema TEXT NOT NULL,
    record_id TEXT NOT NULL,
    same_as TEXT,
    PRIMARY KEY (load_id, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entities_same_as ON entities (same_as) WHERE same_as IS NOT NULL;
CREATE TABLE IF NOT EXISTS props (
    load_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    prop TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS props_entity ON props (load_id, entity_id);
CREATE TABLE IF NOT EXISTS relations (
    load_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    object TEXT NOT NULL,
    role TEXT,
    start_date TEXT,
    end_date TEXT,
    percentage REAL,
    record_id TEXT NOT NULL,
    props TEXT NOT NULL,
    PRIMARY KEY (load_id, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS relations_object ON relations (load_id, object);
CREATE INDEX IF NOT EXISTS relations_subject ON relations (load_id, subject);
CREATE TABLE IF NOT EXISTS sanctions (
    load_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    entity TEXT NOT NULL,
    authority TEXT NOT NULL,
    program TEXT NOT NULL,
    listing_date TEXT,
    source_url TEXT,
    record_id TEXT NOT NULL,
    props TEXT NOT NULL,
    PRIMARY KEY (load_id, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sanctions_entity ON sanctions (load_id, entity);
CREATE TABLE IF NOT EXISTS nodes (
    gid TEXT PRIMARY KEY,
    load_id INTEGER NOT NULL,
    local_id TEXT NOT NULL,
    canonical TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nodes_canonical ON nodes (canonical);
CREATE UNIQUE INDEX IF NOT EXISTS nodes_local ON nodes (load_id, local_id);
CREATE TABLE IF NOT EXISTS canon (
    id TEXT PRIMARY KEY,
    schema TEXT NOT NULL,
    caption TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS names (
    load_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    schema TEXT NOT NULL,
    prop TEXT NOT NULL,
    name TEXT NOT NULL,
    norm TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS names_norm ON names (norm);
CREATE INDEX IF NOT EXISTS names_entity ON names (load_id, entity_id);
CREATE TABLE IF NOT EXISTS keys (
    load_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_key ON keys (key);
CREATE INDEX IF NOT EXISTS keys_entity ON keys (load_id, entity_id);
CREATE TABLE IF NOT EXISTS match_pairs (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    score REAL NOT NULL,
    decision TEXT NOT NULL,
    features TEXT NOT NULL,
    matcher TEXT NOT NULL,
    scored_at TEXT NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS match_pairs_decision ON match_pairs (decision, score);
CREATE INDEX IF NOT EXISTS match_pairs_b ON match_pairs (b);
CREATE TABLE IF NOT EXISTS match_prints (
    gid TEXT PRIMARY KEY,
    print TEXT NOT NULL,
    exclusive TEXT NOT NULL DEFAULT '',
    keys TEXT NOT NULL DEFAULT '',
    ambiguous TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS match_keys (
    key TEXT NOT NULL,
    gid TEXT NOT NULL,
    PRIMARY KEY (key, gid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS match_loads (
    source TEXT PRIMARY KEY,
    load_id INTEGER NOT NULL,
    tag TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS judgements (
    id INTEGER PRIMARY KEY,
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    verdict TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT
);
CREATE INDEX IF NOT EXISTS judgements_pair ON judgements (a, b, id);
CREATE TABLE IF NOT EXISTS view_changes (
    generation INTEGER NOT NULL,
    canonical TEXT NOT NULL,
    regrouped INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS view_changes_generation ON view_changes (generation);
CREATE TABLE IF NOT EXISTS portfolios (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    file_checksum TEXT NOT NULL,
    columns TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS portfolio_rows (
    portfolio TEXT NOT NULL,
    row_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    data TEXT NOT NULL,
    checksum TEXT NOT NULL,
    added_at TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (portfolio, row_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS screen_runs (
    id INTEGER PRIMARY KEY,
    portfolio TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    input_checksum TEXT NOT NULL,
    rows INTEGER NOT NULL,
    list_versions TEXT NOT NULL,
    index_generation INTEGER NOT NULL,
    index_fingerprint TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    settings TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    counts TEXT NOT NULL,
    last_decision INTEGER NOT NULL,
    kind TEXT NOT NULL DEFAULT 'screen',
    base_run INTEGER,
    weights TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS screen_runs_portfolio ON screen_runs (portfolio, id);
CREATE TABLE IF NOT EXISTS run_results (
    run_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    row_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (run_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS run_results_row ON run_results (run_id, row_id);
CREATE TABLE IF NOT EXISTS portfolio_state (
    portfolio TEXT NOT NULL,
    row_id TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    hits TEXT NOT NULL,
    PRIMARY KEY (portfolio, row_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS portfolio_hits (
    portfolio TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    row_id TEXT NOT NULL,
    PRIMARY KEY (portfolio, entity_id, row_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS portfolio_hits_row ON portfolio_hits (portfolio, row_id);
CREATE TABLE IF NOT EXISTS portfolio_tokens (
    portfolio TEXT NOT NULL,
    token TEXT NOT NULL,
    row_id TEXT NOT NULL,
    PRIMARY KEY (portfolio, token, row_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY,
    portfolio TEXT NOT NULL,
    row_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    row_print TEXT NOT NULL,
    entity_print TEXT NOT NULL,
    entity_facts TEXT NOT NULL,
    supersedes INTEGER
);
CREATE INDEX IF NOT EXISTS decisions_hit ON decisions (portfolio, row_id, entity_id, id);
"""

#: Layout 6: screening decisions are append-only, held by the file itself (a trigger each; kept
#: apart from `_DDL`, whose statements are split on semicolons).
_TRIGGERS: Final = (
    "CREATE TRIGGER IF NOT EXISTS decisions_never_updated BEFORE UPDATE ON decisions "
    "BEGIN SELECT RAISE(ABORT, 'decisions are never changed, only superseded'); END",
    "CREATE TRIGGER IF NOT EXISTS decisions_never_deleted BEFORE DELETE ON decisions "
    "BEGIN SELECT RAISE(ABORT, 'decisions are never deleted, only superseded'); END",
)


@dataclass(slots=True)
class LoadResult:
    """What one load did."""

    info: LoadInfo
    unchanged: bool
    note: str | None = None
    problem_samples: dict[str, list[str]] = field(default_factory=dict)


def default_db_path() -> Path:
    """`$SANCTIONS_GRAPH_DB`, else `sanctions-graph.db` in the user's data directory."""
    env = os.environ.get("SANCTIONS_GRAPH_DB")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sanctions-graph" / "sanctions-graph.db"


def _writable(path: Path) -> bool:
    """Whether this process can write a store file and create its journal beside it."""
    folder = path if path.is_dir() else path.parent
    return os.access(folder, os.W_OK) and (path.is_dir() or os.access(path, os.W_OK))


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that never writes. A store in write-ahead-log mode needs its shared-memory
    file to be read; where none exists and none can be made (no writer has it open and the
    directory is read-only), the file is read as immutable: nothing can be writing it then."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_SECONDS)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    return sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Store:
    """A sanctions graph in one SQLite file.

    The file is in write-ahead-log mode: a reader's transaction (`reading`) sees one snapshot
    while a load commits beside it, and never blocks it. A store the process cannot write (a
    read-only directory or mount) is opened read-only: every read works, every write ends with
    one `StoreError`. A file that is not a store of ours (another SQLite database, another
    layout) is refused before anything is written to it.
    """

    #: A change whose records are more than this share of the store is re-derived whole
    #: (`rebuild_view`); 1.0 re-derives every change in part (the tests' setting).
    partial_share: float = derive.PARTIAL_SHARE

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        self.path = Path(path)
        self._choices: dict[str, list[str]] = {}
        exists = self.path.exists()
        if not create and not exists:
            raise StoreError(f"{self.path}: no store here (load a source first)")
        if exists and not self.path.is_file():
            raise StoreError(f"{self.path}: not a sanctions-graph store (not a file)")
        self.readonly = exists and not _writable(self.path)
        try:
            if self.readonly:
                self.conn = _connect_readonly(self.path)
            else:
                if not exists:
                    self._make_room()
                self.conn = sqlite3.connect(self.path, isolation_level=None,
                                            timeout=BUSY_SECONDS)
            layout = self._check_layout()
            if not self.readonly:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
                self._init_layout(layout)
            self.conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self.conn.close()
            if not exists:
                raise StoreError(f"{self.path}: cannot create a store here ({exc})") from exc
            raise StoreError(f"{self.path}: not a sanctions-graph store ({exc})") from exc

    def _make_room(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot create a store here ({exc.strerror or exc})") from exc
        if not _writable(self.path.parent):
            raise StoreError(f"{self.path}: cannot create a store here (the directory "
                             f"{self.path.parent} is not writable)")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _layout(self) -> int | None:
        """The layout the file states; None for an empty file (a new store). Refuses, before
        any write, a database that is not ours or whose layout is not a number."""
        tables = {r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return None
        if "meta" not in tables:
            raise StoreError(f"{self.path}: not a sanctions-graph store (a SQLite database "
                             f"with other tables: {', '.join(sorted(tables)[:5])})")
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a sanctions-graph store ({exc})") from exc
        if row is None:
            raise StoreError(f"{self.path}: not a sanctions-graph store (no layout stated)")
        try:
            return int(row[0])
        except (TypeError, ValueError):
            raise StoreError(f"{self.path}: unknown store layout {str(row[0])[:40]!r} "
                             "(not a number); not a store this version can read") from None

    def _check_layout(self) -> int | None:
        """The file's layout, refused (before any write) when this version cannot use it."""
        layout = self._layout()
        if layout is not None and layout > LAYOUT_VERSION:
            raise StoreError(
                f"{self.path}: store layout {layout} is newer than this version knows "
                f"({LAYOUT_VERSION}); upgrade sanctions-graph"
            )
        if layout is not None and layout < 1:
            raise StoreError(f"{self.path}: unknown store layout {layout}")
        if self.readonly and layout is None:
            raise StoreError(f"{self.path}: not a sanctions-graph store (an empty file, and "
                             "read-only here)")
        if self.readonly and layout is not None and layout < LAYOUT_VERSION:
            raise StoreError(f"{self.path}: the store is read-only here and of an older "
                             f"layout ({layout}); open it once where it can be written")
        return layout

    def _init_layout(self, layout: int | None) -> None:
        # Every statement is CREATE ... IF NOT EXISTS: an older layout gains the new tables.
        if layout is None or layout < LAYOUT_VERSION:
            with self.transaction():
                for statement in _DDL.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                # Layout 6: portfolios, screening runs and decisions (new tables, above).
                for statement in _TRIGGERS:
                    self.conn.execute(statement)
                # Layout 3: `loads` records a shrink accepted with allow_shrink.
                if "shrink_accepted" not in {c[1] for c in self.conn.execute(
                        "PRAGMA table_info(loads)")}:
                    self.conn.execute("ALTER TABLE loads ADD COLUMN shrink_accepted INTEGER")
                # Layout 5: resolution keeps each record's block keys and ambiguous names.
                columns = {c[1] for c in self.conn.execute("PRAGMA table_info(match_prints)")}
                for column in ("keys", "ambiguous"):
                    if column not in columns:
                        self.conn.execute(f"ALTER TABLE match_prints ADD COLUMN {column} TEXT"
                                          " NOT NULL DEFAULT ''")
                # Layout 7: the log of view changes tells regrouped nodes from changed facts
                # (older rows count as regrouped), and a screening run records the word
                # weights it read (their epoch).
                if "regrouped" not in {c[1] for c in self.conn.execute(
                        "PRAGMA table_info(view_changes)")}:
                    self.conn.execute("ALTER TABLE view_changes ADD COLUMN regrouped INTEGER "
                                      "NOT NULL DEFAULT 1")
                if "weights" not in {c[1] for c in self.conn.execute(
                        "PRAGMA table_info(screen_runs)")}:
                    self.conn.execute("ALTER TABLE screen_runs ADD COLUMN weights TEXT NOT NULL"
                                      " DEFAULT ''")
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('layout', ?)",
                    (str(LAYOUT_VERSION),),
                )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything inside commits together or not at all."""
        if self.readonly:
            raise StoreError(f"{self.path}: the store is read-only here (the file or its "
                             "directory cannot be written); this command writes to it")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(f"{self.path}: another command is writing this store (waited "
                                 f"{BUSY_SECONDS:.0f} s); try again when it has finished"
                                 ) from exc
            raise StoreError(f"{self.path}: cannot write the store ({exc})") from exc
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """One read snapshot: every read inside sees the store as it was at the first one, while
        loads commit beside it. What is derived from the store (indexes, exports) is built
        inside one and stamped with the `generation()` read inside it. Inside a write
        transaction (or another snapshot) it adds nothing: that already is one."""
        if self.conn.in_transaction:
            yield self
            return
        self.conn.execute("BEGIN DEFERRED")
        try:
            # The snapshot starts at the first read, not at BEGIN.
            self.conn.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
            yield self
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    # -- writing -------------------------------------------------------------------------------

    def find_load(self, source: str, checksum: str) -> LoadInfo | None:
        row = self.conn.execute(
            "SELECT id FROM loads WHERE source = ? AND checksum = ? ORDER BY id DESC LIMIT 1",
            (source, checksum),
        ).fetchone()
        return self.load_info(int(row[0])) if row else None

    def write_load(
        self,
        *,
        source: str,
        format: str,
        path: str,
        checksum: str,
        records: Iterable[Record],
        list_date: str | None = None,
        list_date_origin: str = "given",
        progress: Callable[[int], None] | None = None,
        max_shrink: float = MAX_SHRINK,
        allow_shrink: bool = False,
    ) -> LoadResult:
        """Write one version of a source in one transaction and make it current if it is newest.

        The same file (same checksum) loaded again changes nothing. Any exception raised while
        the records are read (a parse error in the loader) rolls the whole load back.

        A version that would become current with more than `max_shrink` fewer entities than the
        current one is refused (`ShrinkError`, the load rolled back) unless `allow_shrink`; an
        accepted shrink is recorded on the load (`LoadInfo.shrink_accepted`). The first version
        of a source, and an older one kept as history, replace nothing and are never refused.
        The anchor is OpenSanctions' per-dataset `assertions` (zavod's dataset metadata:
        `min: schema_entities: ...`, minima set about 10 % below the expected count), which are
        hand-written per dataset and only warn on export. Here the baseline is the version being
        replaced, so no number is kept per source, and a breach refuses the load: a list that
        silently lost half its entries would clear the ones it lost.
        """
        existing = self.find_load(source, checksum)
        if existing is not None:
            return LoadResult(existing, unchanged=True, note="already loaded; nothing changed")
        problems: Counter[str] = Counter()
        samples: dict[str, list[str]] = defaultdict(list)
        counts: Counter[str] = Counter()
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO loads (source, format, path, checksum, list_date, list_date_origin,"
                " loaded_at, entities, relations, sanctions, problems)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, '{}')",
                (source, format, path, checksum, list_date, list_date_origin, _now()),
            )
            load_id = int(cur.lastrowid or 0)
            file_date: str | None = None
            batch: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
            seen = 0
            for record in records:
                seen += 1
                if isinstance(record, Entity):
                    counts["entities"] += 1
                    batch["entities"].append(
                        (load_id, record.id, record.schema.value, record.record_id, record.same_as)
                    )
                    for prop, values in record.properties.items():
                        for value in dict.fromkeys(values):
                            batch["props"].append((load_id, record.id, prop, value))
                    batch["names"].extend(_name_rows(load_id, record))
                    batch["keys"].extend(
                        (load_id, record.id, key) for key in _lookup_keys(record)
                    )
                elif isinstance(record, Relation):
                    counts["relations"] += 1
                    batch["relations"].append(
                        (
                            load_id, record.id, record.kind.value, record.subject, record.object,
                            record.role, record.start_date, record.end_date, record.percentage,
                            record.record_id, _props_json(record.properties),
                        )
                    )
                elif isinstance(record, Sanction):
                    counts["sanctions"] += 1
                    batch["sanctions"].append(
                        (
                            load_id, record.id, record.entity, record.authority, record.program,
                            record.listing_date, record.source_url, record.record_id,
                            _props_json(record.properties),
                        )
                    )
                elif isinstance(record, Problem):
                    problems[record.kind] += 1
                    if len(samples[record.kind]) < PROBLEM_SAMPLES:
                        where = f"record {record.record_id}: " if record.record_id else ""
                        samples[record.kind].append(where + record.message)
                elif isinstance(record, ListMeta):
                    file_date = record.list_date
                if len(batch["props"]) >= BATCH_ROWS:
                    self._flush(conn, batch)
                if progress is not None and seen % 1000 == 0:
                    progress(seen)
            self._flush(conn, batch)
            self._check_references(conn, load_id, problems, samples)
            if file_date and list_date_origin != "given":
                list_date, list_date_origin = file_date, "file"
            shrink = self._check_shrink(conn, path, source, counts["entities"], list_date,
                                        max_shrink=max_shrink, allow_shrink=allow_shrink)
            conn.execute(
                "UPDATE loads SET entities = ?, relations = ?, sanctions = ?, problems = ?,"
                " list_date = ?, list_date_origin = ?, shrink_accepted = ? WHERE id = ?",
                (
                    counts["entities"], counts["relations"], counts["sanctions"],
                    json.dumps({"counts": dict(problems), "samples": dict(samples)}),
                    list_date, list_date_origin, shrink, load_id,
                ),
            )
            replaced = conn.execute("SELECT load_id FROM current WHERE source = ?",
                                    (source,)).fetchone()
            note = self._make_current(conn, source, load_id, list_date)
            if shrink is not None:
                note = (f"{note}; " if note else "") + (
                    f"has {shrink:,} fewer entities (shrink accepted)")
            self._view_after_load(conn, source, replaced[0] if replaced else None, load_id)
        if progress is not None:
            progress(seen)
        return LoadResult(self.load_info(load_id), unchanged=False, note=note,
                          problem_samples=dict(samples))

    @staticmethod
    def _flush(conn: sqlite3.Connection, batch: dict[str, list[tuple[Any, ...]]]) -> None:
        statements = {
            "entities": "INSERT OR IGNORE INTO entities VALUES (?, ?, ?, ?, ?)",
            "props": "INSERT INTO props VALUES (?, ?, ?, ?)",
            "relations": "INSERT OR IGNORE INTO relations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "sanctions": "INSERT OR IGNORE INTO sanctions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "names": "INSERT INTO names VALUES (?, ?, ?, ?, ?, ?)",
            "keys": "INSERT INTO keys VALUES (?, ?, ?)",
        }
        for table, sql in statements.items():
            if batch[table]:
                conn.executemany(sql, batch[table])
                batch[table].clear()

    @staticmethod
    def _check_references(
        conn: sqlite3.Connection,
        load_id: int,
        problems: Counter[str],
        samples: dict[str, list[str]],
    ) -> None:
        """Drop relations and sanctions that point at no entity of the load, counting them."""
        dangling = conn.execute(
            "SELECT r.id FROM relations r WHERE r.load_id = ? AND ("
            " NOT EXISTS (SELECT 1 FROM entities e WHERE e.load_id = r.load_id"
            " AND e.id = r.subject) OR NOT EXISTS (SELECT 1 FROM entities e"
            " WHERE e.load_id = r.load_id AND e.id = r.object))",
            (load_id,),
        ).fetchall()
        for (rid,) in dangling:
            problems["dangling relation"] += 1
            if len(samples["dangling relation"]) < PROBLEM_SAMPLES:
                samples["dangling relation"].append(f"relation {rid} names a missing entity")
        conn.executemany(
            "DELETE FROM relations WHERE load_id = ? AND id = ?",
            [(load_id, rid) for (rid,) in dangling],
        )
        orphan = conn.execute(
            "DELETE FROM sanctions WHERE load_id = ? AND NOT EXISTS (SELECT 1 FROM entities e"
            " WHERE e.load_id = sanctions.load_id AND e.id = sanctions.entity)",
            (load_id,),
        ).rowcount
        if orphan:
            problems["dangling sanction"] += orphan

    @staticmethod
    def _check_shrink(
        conn: sqlite3.Connection, path: str, source: str, entities: int,
        list_date: str | None, *, max_shrink: float, allow_shrink: bool,
    ) -> int | None:
        """How many of the current version's entities a version that replaces it drops, when
        that is more than `max_shrink` of them: refused unless `allow_shrink`. None when it
        drops no more, or replaces nothing."""
        row = conn.execute(
            "SELECT l.list_date, l.entities FROM current c JOIN loads l ON l.id = c.load_id"
            " WHERE c.source = ?",
            (source,),
        ).fetchone()
        if row is None or _stays_history(row[0], list_date):
            return None
        current = int(row[1])
        if current - entities <= max_shrink * current:
            return None
        if not allow_shrink:
            raise ShrinkError(path, source, entities, current)
        return current - entities

    @staticmethod
    def _make_current(
        conn: sqlite3.Connection, source: str, load_id: int, list_date: str | None
    ) -> str | None:
        row = conn.execute(
            "SELECT l.id, l.list_date FROM current c JOIN loads l ON l.id = c.load_id"
            " WHERE c.source = ?",
            (source,),
        ).fetchone()
        if row is not None and _stays_history(row[1], list_date):
            return (
                f"list date {list_date} is older than the current version ({row[1]}): "
                "kept as history, the current version stays"
            )
        conn.execute(
            "INSERT INTO current (source, load_id) VALUES (?, ?)"
            " ON CONFLICT (source) DO UPDATE SET load_id = excluded.load_id",
            (source, load_id),
        )
        if row is not None:
            return f"replaces version {row[1] or 'of unknown date'} (load {row[0]})"
        return None

    def rebuild_view(self, conn: sqlite3.Connection | None = None, *,
                     changed: bool = False, seeds: Collection[str] | None = None,
                     facts: Collection[str] = ()) -> bool:
        """Re-derive the merged view (canonical nodes, their schema and caption) inside the
        caller's transaction: of the whole store, or, given `seeds` (gids whose records or links
        changed), of only what they can reach (`graph.derive.closure`), with the same result.
        `facts` are gids whose stated values changed without their links (a load's changed
        records): their nodes count as changed too. The generation goes up when the view
        differs from the one it replaces, or when the caller says the facts behind it changed
        (`changed`, a load): a resolve or judgement that changes nothing leaves caches built on
        the store valid. The canonical ids that may differ are logged under the new generation
        (`changed_since`). Returns whether the generation went up."""
        conn = conn or self.conn
        self._choices.clear()
        scope: set[str] | None = None
        total = int(conn.execute("SELECT COUNT(*) FROM nodes").fetchone()[0])
        limit = self.partial_share * max(total, 1)
        if seeds is not None and len(seeds) <= limit:
            scope = derive.closure(conn, seeds)
            if len(scope) > limit:
                scope = None
        before = derive.present_view(conn, scope)
        after = derive.derive(conn, scope)
        diff = derive.touched(before, after)
        regrouped = set(diff)
        for gid in facts:
            for view in (before, after):
                if gid in view.nodes:
                    diff.add(view.nodes[gid][2])
        gone = [(gid,) for gid in before.nodes if gid not in after.nodes]
        conn.executemany("DELETE FROM nodes WHERE gid = ?", gone)
        conn.executemany(
            "INSERT OR REPLACE INTO nodes (gid, load_id, local_id, canonical) VALUES (?, ?, ?, ?)",
            [(gid, *row) for gid, row in after.nodes.items() if before.nodes.get(gid) != row])
        conn.executemany("DELETE FROM canon WHERE id = ?",
                         [(cid,) for cid in before.canon if cid not in after.canon])
        conn.executemany(
            "INSERT OR REPLACE INTO canon (id, schema, caption) VALUES (?, ?, ?)",
            [(cid, *row) for cid, row in after.canon.items() if before.canon.get(cid) != row])
        if not changed and not diff:
            return False
        generation = self.generation() + 1
        if conn.execute("SELECT 1 FROM meta WHERE key = 'changes_from'").fetchone() is None:
            self._restart_log(conn, generation - 1)
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', ?)",
                     (str(generation),))
        nodes_now = int(conn.execute("SELECT COUNT(*) FROM canon").fetchone()[0])
        if (changed and seeds is None) or len(diff) > self.partial_share * max(nodes_now, 1):
            # A change of facts the caller did not name, or one too large to patch anything
            # derived from the store with: the log starts again here.
            self._restart_log(conn, generation)
        else:
            conn.executemany(
                "INSERT INTO view_changes (generation, canonical, regrouped) VALUES (?, ?, ?)",
                [(generation, cid, int(cid in regrouped)) for cid in sorted(diff)])
            conn.execute("DELETE FROM view_changes WHERE generation <= ?",
                         (generation - CHANGE_LOG_GENERATIONS,))
            if self.changes_from() < generation - CHANGE_LOG_GENERATIONS:
                self._restart_log(conn, generation - CHANGE_LOG_GENERATIONS)
        return True

    def _view_after_load(self, conn: sqlite3.Connection, source: str, replaced: int | None,
                         load_id: int) -> None:
        """Re-derive what a load changed: nothing when the version stays history; else the
        records that differ from the version it replaces (all of them for a new source) and
        what they reach. Unchanged records of the source now point at the new version."""
        now = conn.execute("SELECT load_id FROM current WHERE source = ?",
                           (source,)).fetchone()[0]
        if now != load_id:
            self.rebuild_view(conn, changed=True, seeds=())
            return
        if replaced is None:
            local = {r[0] for r in conn.execute("SELECT id FROM entities WHERE load_id = ?",
                                                (load_id,))}
        else:
            local = derive.changed_records(conn, replaced, load_id)
            conn.execute("UPDATE nodes SET load_id = ? WHERE load_id = ?", (load_id, replaced))
        seeds = {f"{source}:{entity_id}" for entity_id in local}
        self.rebuild_view(conn, changed=True, seeds=seeds, facts=seeds)

    @staticmethod
    def _restart_log(conn: sqlite3.Connection, generation: int) -> None:
        conn.execute("DELETE FROM view_changes WHERE generation <= ?", (generation,))
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('changes_from', ?)",
                     (str(generation),))

    def changes_from(self) -> int:
        """The generation from which every change of the view is logged (`changed_since`)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'changes_from'").fetchone()
        return int(row[0]) if row else self.generation()

    def changed_since(self, generation: int) -> set[str] | None:
        """Canonical ids whose node (members, schema, caption, facts, listings or relations)
        may differ from what it was at `generation`: a node gone, new or changed. None when the
        log does not reach back that far (a whole re-derivation, or too many generations ago):
        then everything may have changed."""
        if generation < self.changes_from() or generation > self.generation():
            return None
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT canonical FROM view_changes WHERE generation > ?", (generation,))}

    # -- reading -------------------------------------------------------------------------------

    def regrouped_since(self, generation: int) -> set[str] | None:
        """Of `changed_since(generation)`, the canonical ids whose records, schema or caption
        may differ (not only their facts); None as there."""
        if generation < self.changes_from() or generation > self.generation():
            return None
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT canonical FROM view_changes WHERE generation > ? AND regrouped",
            (generation,))}

    def index_key(self) -> bytes | None:
        """The store's own secret for signing the files derived from it (the screening index):
        made once, kept in the store, so a file signed by another store or altered beside this
        one is never used. None where it cannot be made (a read-only store without one)."""
        query = "SELECT value FROM meta WHERE key = 'index_key'"
        row = self.conn.execute(query).fetchone()
        if row is None and not self.readonly and not self.conn.in_transaction:
            with self.transaction() as conn:
                conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('index_key', ?)",
                             (secrets.token_hex(32),))
            row = self.conn.execute(query).fetchone()
        try:
            return bytes.fromhex(row[0]) if row else None
        except ValueError:
            return None

    def generation(self) -> int:
        """A number that changes whenever the merged view does (after each load or resolve):
        derived artefacts (indexes, exports) built from the store record it to know when they
        are stale."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def load_info(self, load_id: int) -> LoadInfo:
        row = self.conn.execute(
            "SELECT l.id, l.source, l.format, l.path, l.checksum, l.list_date, l.list_date_origin,"
            " l.loaded_at, l.entities, l.relations, l.sanctions, l.problems,"
            " EXISTS (SELECT 1 FROM current c WHERE c.load_id = l.id), l.shrink_accepted"
            " FROM loads l WHERE l.id = ?",
            (load_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no load {load_id}")
        problems = json.loads(row[11])
        return LoadInfo(
            id=row[0], source=row[1], format=row[2], path=row[3], checksum=row[4],
            list_date=row[5], list_date_origin=row[6], loaded_at=row[7], entities=row[8],
            relations=row[9], sanctions=row[10], problems=problems.get("counts", {}),
            problem_samples=problems.get("samples", {}), current=bool(row[12]),
            shrink_accepted=row[13],
        )

    def loads(self, *, current_only: bool = False) -> list[LoadInfo]:
        sql = "SELECT id FROM loads"
        if current_only:
            sql += " WHERE id IN (SELECT load_id FROM current)"
        ids = [r[0] for r in self.conn.execute(sql + " ORDER BY source, list_date, id")]
        return [self.load_info(i) for i in ids]

    def node(self, canonical: str) -> Node | None:
        row = self.conn.execute(
            "SELECT id, schema, caption FROM canon WHERE id = ?", (canonical,)
        ).fetchone()
        if row is None:
            return None
        members = tuple(
            r[0]
            for r in self.conn.execute(
                "SELECT gid FROM nodes WHERE canonical = ? ORDER BY gid", (canonical,)
            )
        )
        return Node(row[0], row[1], row[2], members)

    def canonical_of(self, gid: str) -> str | None:
        row = self.conn.execute("SELECT canonical FROM nodes WHERE gid = ?", (gid,)).fetchone()
        return str(row[0]) if row else None

    def by_key(self, key: str) -> list[str]:
        """Canonical ids carrying an identifier key (`imo-ship:9179842`, `imo-company:...`)."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT n.canonical FROM keys k"
                " JOIN nodes n ON n.load_id = k.load_id AND n.local_id = k.entity_id"
                " WHERE k.key = ? ORDER BY n.canonical",
                (key,),
            )
        ]

    def by_property(self, prop: str, value: str, schema: Schema | None = None) -> list[str]:
        """Canonical ids of nodes with a property value (exact), in current versions."""
        sql = (
            "SELECT DISTINCT n.canonical FROM props p"
            " JOIN nodes n ON n.load_id = p.load_id AND n.local_id = p.entity_id"
            " JOIN canon k ON k.id = n.canonical"
            " WHERE p.prop = ? AND p.value = ?"
        )
        params: list[str] = [prop, value]
        if schema is not None:
            sql += " AND k.schema = ?"
            params.append(schema.value)
        return [r[0] for r in self.conn.execute(sql + " ORDER BY n.canonical", params)]

    def by_norm_name(self, norm: str, schema: Schema | None = None) -> list[str]:
        """Canonical ids of nodes with a name or alias that normalises to `norm`."""
        sql = (
            "SELECT DISTINCT n.canonical FROM names m"
            " JOIN nodes n ON n.load_id = m.load_id AND n.local_id = m.entity_id"
            " JOIN canon k ON k.id = n.canonical WHERE m.norm = ?"
        )
        params: list[str] = [norm]
        if schema is not None:
            sql += " AND k.schema = ?"
            params.append(schema.value)
        return [r[0] for r in self.conn.execute(sql + " ORDER BY n.canonical", params)]

    def norm_names(self, schema: Schema | None = None) -> list[str]:
        """Every distinct normalised name (of one schema), for fuzzy lookup; cached per store
        object until the next write."""
        cache_key = schema.value if schema else ""
        if cache_key not in self._choices:
            sql = (
                "SELECT DISTINCT m.norm FROM names m JOIN current c ON c.load_id = m.load_id"
            )
            params = [schema.value] if schema else []
            if schema:
                sql += " WHERE m.schema = ?"
            self._choices[cache_key] = [r[0] for r in self.conn.execute(sql, params)]
        return self._choices[cache_key]

    def facts(self, canonical: str) -> list[Fact]:
        """Every property value of a node, each with the source version and record stating it."""
        rows = self.conn.execute(
            "SELECT p.prop, p.value, c.source, l.list_date, e.record_id FROM nodes n"
            " JOIN entities e ON e.load_id = n.load_id AND e.id = n.local_id"
            " JOIN props p ON p.load_id = n.load_id AND p.entity_id = n.local_id"
            " JOIN loads l ON l.id = n.load_id JOIN current c ON c.load_id = n.load_id"
            " WHERE n.canonical = ? ORDER BY c.source, p.rowid",
            (canonical,),
        )
        return [Fact(r[0], r[1], Provenance(r[2], r[3], r[4])) for r in rows]

    def listings(self, canonical: str) -> list[Listing]:
        rows = self.conn.execute(
            "SELECT s.authority, s.program, s.listing_date, s.source_url, c.source, l.list_date,"
            " s.record_id, s.props FROM nodes n"
            # Named, as in `edges`: the planner would otherwise read every sanction of the load.
            " JOIN sanctions s INDEXED BY sanctions_entity"
            " ON s.load_id = n.load_id AND s.entity = n.local_id"
            " JOIN loads l ON l.id = n.load_id JOIN current c ON c.load_id = n.load_id"
            " WHERE n.canonical = ? ORDER BY c.source, s.program",
            (canonical,),
        )
        return [
            Listing(canonical, r[0], r[1], r[2], r[3], Provenance(r[4], r[5], r[6]),
                    json.loads(r[7]))
            for r in rows
        ]

    def edges(self, canonical: str, *, direction: str) -> list[Edge]:
        """Relations on a node: `up` where it is the object (who is above it), `down` where it
        is the subject (what it holds)."""
        near, far = ("object", "subject") if direction == "up" else ("subject", "object")
        # The index is named: without statistics SQLite's planner may read every relation of
        # the load through the primary key (load_id, id) instead (seen for `down`).
        rows = self.conn.execute(
            "SELECT r.kind, r.role, nf.canonical, r.start_date, r.end_date, r.percentage,"
            f" c.source, l.list_date, r.record_id, r.props FROM nodes n"
            f" JOIN relations r INDEXED BY relations_{near}"
            f" ON r.load_id = n.load_id AND r.{near} = n.local_id"
            f" JOIN nodes nf ON nf.load_id = r.load_id AND nf.local_id = r.{far}"
            " JOIN loads l ON l.id = n.load_id JOIN current c ON c.load_id = n.load_id"
            " WHERE n.canonical = ? ORDER BY r.kind, c.source, r.id",
            (canonical,),
        )
        edges = []
        for r in rows:
            subject, obj = (r[2], canonical) if direction == "up" else (canonical, r[2])
            edges.append(
                Edge(r[0], r[1], subject, obj, r[3], r[4], r[5], Provenance(r[6], r[7], r[8]),
                     json.loads(r[9]))
            )
        return edges

    def iter_nodes(self, only: Collection[str] | None = None) -> Iterator[Node]:
        """Every canonical node (of the canonical ids `only`, when given), with its members (in
        id order), by id. Streamed: the members are read in the same order (the
        `nodes_canonical` index holds them so) and joined as they come, one node's at a time."""
        if only is not None:
            for cid in sorted(only):
                node = self.node(cid)
                if node is not None:
                    yield node
            return
        members = by_canonical(
            self.conn.execute("SELECT canonical, gid FROM nodes ORDER BY canonical, gid"))
        for cid, schema, caption in self.conn.execute(
            "SELECT id, schema, caption FROM canon ORDER BY id"
        ):
            yield Node(cid, schema, caption, tuple(members(cid)))

    def iter_edges(self) -> Iterator[Edge]:
        """Every current relation between canonical nodes, with its provenance."""
        rows = self.conn.execute(
            "SELECT r.kind, r.role, ns.canonical, no.canonical, r.start_date, r.end_date,"
            " r.percentage, c.source, l.list_date, r.record_id, r.props FROM relations r"
            " JOIN current c ON c.load_id = r.load_id JOIN loads l ON l.id = r.load_id"
            " JOIN nodes ns ON ns.load_id = r.load_id AND ns.local_id = r.subject"
            " JOIN nodes no ON no.load_id = r.load_id AND no.local_id = r.object"
            " ORDER BY c.source, r.id"
        )
        for r in rows:
            yield Edge(r[0], r[1], r[2], r[3], r[4], r[5], r[6], Provenance(r[7], r[8], r[9]),
                       json.loads(r[10]))

    def iter_listings(self, only: Collection[str] | None = None) -> Iterator[Listing]:
        """Every current sanction, on its canonical node (of the canonical ids `only`, when
        given), by node id."""
        select = (
            "SELECT n.canonical, s.authority, s.program, s.listing_date, s.source_url, c.source,"
            " l.list_date, s.record_id, s.props FROM sanctions s"
            " JOIN current c ON c.load_id = s.load_id JOIN loads l ON l.id = s.load_id"
            " JOIN nodes n ON n.load_id = s.load_id AND n.local_id = s.entity"
        )
        order = " ORDER BY n.canonical, c.source, s.program"
        for rows in self._scoped(select, order, only):
            for r in rows:
                yield Listing(r[0], r[1], r[2], r[3], r[4], Provenance(r[5], r[6], r[7]),
                              json.loads(r[8]))

    def _scoped(self, select: str, order: str, only: Collection[str] | None
                ) -> Iterator[Iterable[tuple[Any, ...]]]:
        """Rows of a query on nodes `n`: all of them, or those of each canonical id of `only`
        in turn (by id)."""
        if only is None:
            yield self.conn.execute(select + order)
            return
        for cid in sorted(only):
            yield self.conn.execute(select + " WHERE n.canonical = ?" + order, (cid,))

    def iter_facts(self, only: Collection[str] | None = None) -> Iterator[tuple[str, Fact]]:
        """Every current property value as (canonical id, fact), grouped by canonical id (of
        the canonical ids `only`, when given), by id; within a node by source, record and the
        order the record states them in (so the order of records in a file changes nothing)."""
        select = (
            "SELECT n.canonical, p.prop, p.value, c.source, l.list_date, e.record_id FROM nodes n"
            " JOIN entities e ON e.load_id = n.load_id AND e.id = n.local_id"
            " JOIN props p ON p.load_id = n.load_id AND p.entity_id = n.local_id"
            " JOIN loads l ON l.id = n.load_id JOIN current c ON c.load_id = n.load_id"
        )
        order = " ORDER BY n.canonical, c.source, p.entity_id, p.rowid"
        for rows in self._scoped(select, order, only):
            for r in rows:
                yield r[0], Fact(r[1], r[2], Provenance(r[3], r[4], r[5]))

    def counts(self) -> dict[str, int]:
        one: Callable[[str], int] = lambda sql: int(self.conn.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "records": one("SELECT COUNT(*) FROM nodes"),
            "nodes": one("SELECT COUNT(*) FROM canon"),
            "relations": one(
                "SELECT COUNT(*) FROM relations r JOIN current c ON c.load_id = r.load_id"
            ),
            "sanctions": one(
                "SELECT COUNT(*) FROM sanctions s JOIN current c ON c.load_id = s.load_id"
            ),
        }

    def snapshot(self) -> Sequence[tuple[Any, ...]]:
        """Everything the store holds, for tests that prove a failed load changed nothing."""
        tables = ["loads", "current", "entities", "props", "relations", "sanctions", "names",
                  "keys", "nodes", "canon", "match_pairs", "match_prints", "match_keys",
                  "match_loads", "judgements"]
        out: list[tuple[Any, ...]] = []
        for table in tables:
            out.extend(
                (table, *row)
                for row in self.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
            )
        return out


def _stays_history(current_date: str | None, list_date: str | None) -> bool:
    """A version older than the current one is kept as history and replaces nothing."""
    return bool(current_date and list_date and current_date > list_date)


def _props_json(properties: dict[str, tuple[str, ...]] | Any) -> str:
    return json.dumps({k: list(v) for k, v in properties.items()}, sort_keys=True)


def _lookup_keys(record: Entity) -> list[str]:
    """Identifier keys of a record: its validated IMO numbers (which merge records) and MMSIs
    (which only find them: an MMSI passes from ship to ship)."""
    keys = identifier_keys(
        ResolverInput(record.id, record.schema, record.properties.get("imoNumber", ()), None)
    )
    keys.extend(f"{MMSI_KEY}:{m}" for m in record.properties.get("mmsi", ()))
    return keys


def _name_rows(load_id: int, record: Entity) -> Iterator[tuple[int, str, str, str, str, str]]:
    """Index rows for every name of a record, normalised the way lookups normalise."""
    norm = normalize_vessel_name if record.schema is Schema.VESSEL else normalize_name
    for prop in NAME_PROPERTIES:
        for name in dict.fromkeys(record.properties.get(prop, ())):
            normed = norm(name)
            if normed:
                yield (load_id, record.id, record.schema.value, prop, name, normed)

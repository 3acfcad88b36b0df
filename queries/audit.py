"""The audit trail of portfolio screening: every recorded run (`queries.portfolio`) read back as
a self-contained report an examiner can read, and replayed against the same list versions.

A report (`run_report`) holds the run's header (when, the input's checksum, the list versions in
force with their checksums, the algorithm and thresholds, the tool's version), every row's result
(each hit with its score, explanation, status and the decision applied) and the history of every
decision on those hits made up to the run (who, when, why, and what each superseded). It is
written as JSON or as one HTML page with its CSS inline and every value escaped (list data and
portfolio rows are hostile text: markup, scripts, control and bidi characters are shown as
text, never run).
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from graph.errors import NotFoundError, QueryError
from graph.safe_text import terminal_text
from graph.store import Store
from queries.portfolio import decisions, gone_label, tool_version
from queries.screen import make_settings, screen_with
from queries.screening.index import ensure_index
from queries.screening.matcher import Matcher

#: The suffixes `export_run` writes.
EXPORT_SUFFIXES: Final = (".json", ".html", ".htm")


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One recorded run, without its rows."""

    id: int
    portfolio: str
    started_at: str
    finished_at: str
    input_checksum: str
    rows: int
    list_versions: list[dict[str, Any]]
    index_generation: int
    index_fingerprint: str
    algorithm: str
    settings: dict[str, Any]
    tool_version: str
    counts: dict[str, int]
    last_decision: int
    #: `screen` (every row) or `monitor` (only the rows a change can have reached; the others
    #: are as in `base_run` and the runs before it).
    kind: str
    base_run: int | None
    #: The epoch of the word weights the run read (`queries.screening.index.Weights`); ""
    #: for a run recorded before they were kept.
    weights: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_RUN_COLUMNS: Final = ("id, portfolio, started_at, finished_at, input_checksum, rows, "
                       "list_versions, index_generation, index_fingerprint, algorithm, "
                       "settings, tool_version, counts, last_decision, kind, base_run, weights")


def _run(row: tuple[Any, ...]) -> RunInfo:
    values = list(row)
    for i in (6, 10, 12):
        values[i] = json.loads(values[i])
    return RunInfo(*values)


def runs(store: Store, portfolio: str | None = None) -> list[RunInfo]:
    """The recorded runs, oldest first; of one portfolio if named."""
    if portfolio is None:
        found = store.conn.execute(f"SELECT {_RUN_COLUMNS} FROM screen_runs ORDER BY id")
    else:
        found = store.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM screen_runs WHERE portfolio = ? ORDER BY id",
            (portfolio,))
    return [_run(r) for r in found]


def run_info(store: Store, run_id: int) -> RunInfo:
    row = store.conn.execute(f"SELECT {_RUN_COLUMNS} FROM screen_runs WHERE id = ?",
                             (run_id,)).fetchone()
    if row is None:
        last = store.conn.execute("SELECT MAX(id) FROM screen_runs").fetchone()[0]
        raise NotFoundError(f"no screening run {run_id}" + (
            f" (runs 1 to {last})" if last else " (no run recorded yet)"))
    return _run(row)


def run_results(store: Store, run_id: int) -> list[dict[str, Any]]:
    """A run's rows as recorded, in input order."""
    run_info(store, run_id)
    return [json.loads(text) for (text,) in store.conn.execute(
        "SELECT result FROM run_results WHERE run_id = ? ORDER BY position", (run_id,))]


def run_report(store: Store, run_id: int) -> dict[str, Any]:
    """Everything about one run an examiner needs, self-contained (see the module)."""
    info = run_info(store, run_id)
    rows = run_results(store, run_id)
    hits = {(r["id"], m["entity_id"]) for r in rows for m in r["matches"]}
    history = [d.to_dict() for d in decisions(store, info.portfolio, upto=info.last_decision)
               if (d.row_id, d.entity_id) in hits]
    return {"report": "sanctions-graph screening run", "run": info.to_dict(), "rows": rows,
            "decisions": history, "exported_by": tool_version()}


def export_run(store: Store, run_id: int, path: Path) -> Path:
    """Write a run's report to `path`: `.json` or `.html` (one page, CSS inline)."""
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise QueryError(f"{path}: cannot tell the report format; use .json or .html")
    report = run_report(store, run_id)
    if suffix == ".json":
        text = json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
    else:
        text = report_html(report)
    path.write_text(text, encoding="utf-8")
    return path


# -- HTML --------------------------------------------------------------------------------------

_CSS: Final = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #111; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: .5em 0 1em; width: 100%; }
th, td { border: 1px solid #bbb; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #eee; } .mono { font-family: ui-monospace, monospace; font-size: .9em; }
.row { border: 1px solid #888; padding: .5em 1em; margin: 1em 0; page-break-inside: avoid; }
.match, .raised, .open, .confirmed { color: #a00; font-weight: bold; }
.review { color: #a60; font-weight: bold; } .cleared, .clear { color: #060; font-weight: bold; }
ul { margin: .25em 0; } .muted { color: #555; }
"""


def _e(value: Any) -> str:
    """A value as HTML text: control and bidi characters dropped, markup escaped."""
    return html.escape(terminal_text("" if value is None else str(value)), quote=True)


def _cls(word: str) -> str:
    return "".join(c for c in word if c.isalpha())


def report_html(report: dict[str, Any]) -> str:
    """A run's report as one self-contained HTML page (no script, no outside resource)."""
    run = report["run"]
    settings = run["settings"]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'">',
        f"<title>Screening run {_e(run['id'])}: {_e(run['portfolio'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Screening run {_e(run['id'])} of portfolio {_e(run['portfolio'])}</h1>",
        "<table>",
    ]
    header = [
        ("started", run["started_at"]), ("finished", run["finished_at"]),
        ("kind", run["kind"] if run["base_run"] is None else
         f"{run['kind']}: only the rows a change since run {run['base_run']} can have "
         "reached; the others as in that run"),
        ("rows", run["rows"]), ("input checksum (SHA-256)", run["input_checksum"]),
        ("algorithm", run["algorithm"]),
        ("thresholds", f"match from {settings['threshold']}, review from "
                       f"{settings['review_threshold']}; at most {settings['limit']} hits a row"),
        ("sources screened", ", ".join(settings["sources"]) if settings["sources"]
         else "all loaded"),
        ("tool version", f"sanctions-graph {run['tool_version']}"),
        ("screening index", f"generation {run['index_generation']}, word weights "
                            f"{run['weights'] or 'not recorded'}"),
        ("rows by status", ", ".join(f"{k} {v}" for k, v in sorted(run["counts"].items()))),
    ]
    parts += [f'<tr><th>{_e(k)}</th><td class="mono">{_e(v)}</td></tr>' for k, v in header]
    parts += ["</table>", "<h2>List versions in force</h2>", "<table>",
              "<tr><th>source</th><th>list date</th><th>load</th><th>entities</th>"
              "<th>loaded at</th><th>file checksum (SHA-256)</th></tr>"]
    parts += [f"<tr><td>{_e(v['source'])}</td><td>{_e(v['list_date'] or 'undated')}</td>"
              f"<td>{_e(v['load_id'])}</td><td>{_e(v['entities'])}</td>"
              f"<td>{_e(v['loaded_at'])}</td><td class=\"mono\">{_e(v['checksum'])}</td></tr>"
              for v in run["list_versions"]]
    parts.append("</table>")
    history: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for decision in report["decisions"]:
        history.setdefault((decision["row_id"], decision["entity_id"]), []).append(decision)
    with_hits = [r for r in report["rows"] if r["matches"] or r.get("error") or r.get("alerts")]
    quiet = [r for r in report["rows"]
             if not (r["matches"] or r.get("error") or r.get("alerts"))]
    parts.append(f"<h2>Rows with hits ({len(with_hits)})</h2>")
    for row in with_hits:
        parts.append(_row_html(row, history, settings["review_threshold"]))
    parts.append(f"<h2>Rows without hits ({len(quiet)})</h2>")
    if quiet:
        parts.append('<table><tr><th>row id</th><th>status</th><th>input</th></tr>')
        parts += [f"<tr><td>{_e(r['id'])}</td><td class=\"{_cls(r['status'])}\">"
                  f"{_e(r['status'])}</td><td>{_input(r)}</td></tr>" for r in quiet]
        parts.append("</table>")
    parts.append(f'<p class="muted">Exported by sanctions-graph {_e(report["exported_by"])}. '
                 "Scores run from 0 to 1; a hit's status is open (no decision), cleared (a "
                 "false positive whose row and listed facts are unchanged since the decision), "
                 "raised (cleared once, but what it was decided on changed) or confirmed.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _input(row: dict[str, Any]) -> str:
    return "; ".join(f"{_e(k)}: {_e(v)}" for k, v in row["input"].items()
                     if v not in (None, ""))


def _row_html(row: dict[str, Any], history: dict[tuple[str, str], list[dict[str, Any]]],
              review_threshold: float) -> str:
    out = [f'<div class="row"><h3>Row {_e(row["id"])}: '
           f'<span class="{_cls(row["status"])}">{_e(row["status"])}</span> '
           f'<span class="muted">(screen: {_e(row["decision"])})</span></h3>',
           f"<p>{_input(row)}</p>"]
    if row.get("error"):
        out.append(f"<p>Could not be screened in full: {_e(row['error'])}</p>")
    if row.get("alerts"):
        out.append("<p>Alerts since the run before:</p><ul>")
        for alert in row["alerts"]:
            lines = [*alert["changed"], *(
                f"{d['source']} {d['from']} to {d['to']}: {d['kind']} record {d['record_id']} "
                f"({d['name']})" for d in alert["diff"])]
            out.append(f'<li><span class="match">{_e(alert["kind"])}</span>'
                       f'{_e(gone_label(alert["delisted"], alert.get("merged_into")))}: '
                       f'{_e(alert["caption"])} '
                       f'<span class="mono">[{_e(alert["entity_id"])}]</span>'
                       + ("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in lines) + "</ul>"
                          if lines else "") + "</li>")
        out.append("</ul>")
    for match in row["matches"]:
        below = " (below review)" if match["score"] < review_threshold else ""
        out.append(
            f'<p><b>{_e(match["caption"])}</b> ({_e(match["schema"])}'
            f'{", IMO " + _e(match["imo"]) if match["imo"] else ""}) '
            f'<span class="mono">[{_e(match["entity_id"])}]</span>: score '
            f'{_e(format(match["score"], ".2f"))}{below}, hit '
            f'<span class="{_cls(match["status"])}">{_e(match["status"])}</span><br>'
            f'matched name {_e(match["matched_name"])}; lists {_e(", ".join(match["sources"]))}'
            f'; programmes {_e(", ".join(match["programs"]) or "-")}</p>')
        out.append("<ul>" + "".join(f"<li>{_e(reason)}</li>"
                                    for reason in match["explanation"].split("; ")) + "</ul>")
        if match["changed"]:
            out.append("<p>Changed since the decision:</p><ul>" + "".join(
                f"<li>{_e(c)}</li>" for c in match["changed"]) + "</ul>")
        decided = history.get((row["id"], match["entity_id"]), [])
        if decided:
            applied = (match.get("decision") or {}).get("id")
            out.append("<table><tr><th>decision</th><th>verdict</th><th>by</th><th>at</th>"
                       "<th>reason</th></tr>")
            for d in decided:
                mark = " (applied)" if d["id"] == applied else " (superseded)" \
                    if applied is not None and d["id"] < applied else ""
                out.append(f"<tr><td>{_e(d['id'])}{_e(mark)}</td><td>{_e(d['verdict'])}</td>"
                           f"<td>{_e(d['who'])}</td><td>{_e(d['at'])}</td>"
                           f"<td>{_e(d['reason'])}</td></tr>")
            out.append("</table>")
    out.append("</div>")
    return "\n".join(out)


# -- replay ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Replay:
    """A recorded run screened again: how many rows, and those whose result differs (row id,
    then the recorded and the new decision and hits)."""

    run_id: int
    rows: int
    differences: list[dict[str, Any]]

    @property
    def same(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "rows": self.rows, "same": self.same,
                "differences": self.differences}


def _versions_key(versions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((v["source"], v["checksum"]) for v in versions)


def _hits(result: dict[str, Any]) -> list[list[Any]]:
    return [[m["entity_id"], m["score"], m["explanation"]] for m in result["matches"]]


def replay_run(store: Store, run_id: int, *, workers: int | None = None) -> Replay:
    """Screen a recorded run's rows again, as recorded, with its algorithm and thresholds,
    against the lists in force, which must be the versions the run had, read with the same
    word weights (else a `QueryError` naming the difference), and compare each row's decision
    and hits (entity, score, explanation) with the recorded ones."""
    info = run_info(store, run_id)
    index, _ = ensure_index(store)
    with store.reading():
        current = [{"source": i.source, "checksum": i.checksum}
                   for i in store.loads(current_only=True)]
    if _versions_key(current) != _versions_key(info.list_versions):
        then, now = set(_versions_key(info.list_versions)), set(_versions_key(current))
        differ = sorted({s for s, _ in then ^ now})
        raise QueryError(f"run {run_id} was screened against other list versions than those "
                         f"in force now (differing: {', '.join(differ)}); a run replays only "
                         "against the list versions it was screened with")
    if info.weights and info.weights != index.weights.epoch:
        raise QueryError(f"run {run_id} was screened with other word weights ({info.weights}) "
                         f"than the index holds now ({index.weights.epoch}: set again since, "
                         "by a large change of the lists or a rebuild from another history); "
                         "a run replays only with the weights it was screened with")
    recorded = run_results(store, run_id)
    settings = make_settings(index, **{k: v for k, v in info.settings.items()})
    results = screen_with(Matcher(index, settings), (r["input"] for r in recorded),
                          workers=workers)
    differences = []
    for old, new in zip(recorded, results, strict=True):
        new_hits = [[m.entity_id, m.score, m.explanation] for m in new.matches]
        if old["decision"] != new.decision or _hits(old) != new_hits:
            differences.append({"id": old["id"], "recorded": {"decision": old["decision"],
                                                              "hits": _hits(old)},
                                "now": {"decision": new.decision, "hits": new_hits}})
    return Replay(run_id, len(recorded), differences)


def latest_run(store: Store, portfolio: str) -> int:
    """The id of a portfolio's last recorded run."""
    if store.conn.execute("SELECT 1 FROM portfolios WHERE name = ?",
                          (portfolio,)).fetchone() is None:
        raise NotFoundError(f"no portfolio {portfolio!r}")
    found = store.conn.execute("SELECT MAX(id) FROM screen_runs WHERE portfolio = ?",
                               (portfolio,)).fetchone()[0]
    if found is None:
        raise NotFoundError(f"portfolio {portfolio!r} has not been screened yet")
    return int(found)


__all__ = ["EXPORT_SUFFIXES", "Replay", "RunInfo", "export_run", "latest_run", "replay_run",
           "report_html", "run_info", "run_report", "run_results", "runs"]

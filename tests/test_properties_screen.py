"""Properties of screening hostile or unlucky input (issue 13, "never a wrong clear"):

* every row gets an answer, in order, or is named as one that could not be read (its `error`
  set, its decision `review`, never `clear`);
* a row carrying a listed vessel's IMO number (check digit valid, taken from the real lists in
  the store) is a `match`, whatever else the row says: an odd, long or empty name, a type that
  is not a vessel's, an unreadable MMSI, country or date.

The rows are built from real listed names and IMO numbers (OFAC SDN, the GUR and tak ship lists
in the shared session store) and damaged: odd and very long values, empty cells, duplicated
rows, missing columns. The library API screens most examples; the file path (CSV, XLSX, JSON
lines, truncated at a byte or a row boundary) is checked through `read_rows`, and the command
line once per file kind, as a user runs it.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Final, NamedTuple

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from graph.errors import SourceError
from graph.identifiers import clean_imo_ship
from graph.store import Store
from queries.screen import screen
from queries.screening.index import ScreenIndex, ensure_index
from queries.screening.io import map_columns, read_rows
from queries.screening.matcher import Result

EXAMPLES: Final = 60
FILE_EXAMPLES: Final = 40
#: Real list sources whose vessels the IMO property draws from.
LISTS: Final = ("us_ofac_sdn", "ua_gur_shadowfleet", "tak_shadowfleet")
#: Real names and IMO numbers drawn from (the first of each, by value: the same on every run).
DRAWN: Final = 400

PROPERTY_SETTINGS: Final = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FILE_SETTINGS: Final = settings(
    PROPERTY_SETTINGS, max_examples=FILE_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)


def _listed_vessels(store: Store) -> tuple[list[str], list[str]]:
    """IMO numbers (valid check digit) and names of the vessels the real lists hold."""
    marks = ",".join("?" * len(LISTS))
    rows = store.conn.execute(
        "SELECT DISTINCT p.prop, p.value FROM props p"
        " JOIN entities e ON e.load_id = p.load_id AND e.id = p.entity_id"
        " JOIN current c ON c.load_id = p.load_id"
        f" WHERE e.schema = 'Vessel' AND c.source IN ({marks})"
        " AND p.prop IN ('imoNumber', 'name') ORDER BY p.prop, p.value", LISTS,
    ).fetchall()
    imos = sorted({i for prop, v in rows if prop == "imoNumber" and (i := clean_imo_ship(v))})
    names = [v for prop, v in rows if prop == "name"]
    return imos, names


def _listed_names(store: Store) -> list[str]:
    marks = ",".join("?" * len(LISTS))
    return [r[0] for r in store.conn.execute(
        "SELECT DISTINCT n.name FROM names n JOIN current c ON c.load_id = n.load_id"
        f" WHERE c.source IN ({marks}) ORDER BY n.name LIMIT ?", (*LISTS, DRAWN))]


@pytest.fixture(scope="module")
def index(ship_store: Store) -> ScreenIndex:
    built, _ = ensure_index(ship_store)
    return built


class Listed:
    """Real names and IMO numbers the rows are built from, and every listed vessel's IMO (a
    plain class: a failure's report shows its short repr, not 5,000 values)."""

    def __init__(self, imos: list[str], names: list[str], every_imo: frozenset[str]) -> None:
        self.imos, self.names, self.every_imo = imos, names, every_imo

    def __repr__(self) -> str:
        return f"Listed({len(self.imos)} IMO numbers, {len(self.names)} names)"


@pytest.fixture(scope="module")
def listed(ship_store: Store) -> Listed:
    imos, vessel_names = _listed_vessels(ship_store)
    assert len(imos) > 1000, "the real ship lists hold more than a thousand IMO numbers"
    step = max(len(imos) // DRAWN, 1)
    return Listed(imos[::step][:DRAWN], vessel_names[:DRAWN] + _listed_names(ship_store),
                  frozenset(imos))


# -- rows --------------------------------------------------------------------------------------

#: Values a hostile or unlucky screening file holds.
ODD: Final = [
    "", " ", "\x00", "\x01\x1b[31m\x7f", "\ufeff", "\ufeffANGARA", '"', "'", '""', "=1+1",
    '=HYPERLINK("http://example.invalid","x")', "+7 495", "-0-", "@SUM(A1)", "🚢⚓", "🚢" * 50,
    "\u202eARAGNA\u202c", "\u200fMARIA\u200f", "\u200b", "\r\n", "\n", "\t", ";", "|", ",",
    "\u2028", "\x85", "\x0c", "\x1e", "N/A", "null", "None", "0", "-", "123456789", "12345678",
    "IMO", "IMO 1234567", "Ангара", "ＭＡＲＩＡ", "ANGARA " * 2000,
    # A 100,000-letter word took 45 s to screen before words were matched on a bounded form.
    "x" * 100_000,
]
_ODD: Final = st.one_of(st.sampled_from(ODD), st.text(max_size=30))
#: The column headers a user writes for each field (all read by `map_columns`).
HEADERS: Final = {
    "name": ["name", "Name", "Vessel Name", "counterparty", "FULL_NAME"],
    "imo": ["imo", "IMO Number", "imo_no", "Vessel IMO"],
    "schema": ["type", "Entity Type", "kind"],
    "country": ["country", "Flag"],
    "birth_date": ["dob", "build_year"],
    "mmsi": ["mmsi"],
    "identifier": ["tax_id", "identifier"],
}
SCHEMA_WORDS: Final = ["vessel", "ship", "Person", "company", "entity", "organisation",
                       "aircraft", "Vessel", "cat"]


class Pick(NamedTuple):
    """A real listed name or IMO number (by its place in the drawn lists) with text around it:
    examples stay readable and can be pinned with `@example` before the store exists."""

    kind: str  # "name" or "imo"
    index: int
    before: str = ""
    after: str = ""


#: A listed IMO number as users write it (each form read by `clean_imo_ship`).
IMO_FORMS: Final = [("", ""), ("IMO ", ""), ("IMO", ""), (" ", " "), ("imo: ", ""),
                    ("IMO-", ""), ("#", "")]

Cell = str | Pick
Case = tuple[dict[str, str], list[dict[str, Cell]]]


@st.composite
def screening_rows(draw: st.DrawFn) -> Case:
    """(header per field, rows): rows of real names and IMO numbers, damaged."""
    fields = ["name", *draw(st.lists(st.sampled_from(
        ["imo", "schema", "country", "birth_date", "mmsi", "identifier"]), unique=True))]
    header = {f: draw(st.sampled_from(HEADERS[f])) for f in fields}
    rows: list[dict[str, Cell]] = []
    picks = st.integers(0, DRAWN - 1)
    for number in range(draw(st.integers(1, 12))):
        row: dict[str, Cell] = {"ref": f"r{number}"}
        for field_name, column in header.items():
            if draw(st.integers(0, 9)) == 0:
                continue  # a missing cell
            value: Cell
            if field_name == "name":
                value = draw(st.one_of(
                    st.builds(Pick, st.just("name"), picks),
                    _ODD,
                    st.builds(Pick, st.just("name"), picks, st.just(""), _ODD),
                    st.builds(Pick, st.just("name"), picks, _ODD, st.just(""))))
            elif field_name == "imo":
                value = draw(st.one_of(
                    st.tuples(picks, st.sampled_from(IMO_FORMS)).map(
                        lambda t: Pick("imo", t[0], *t[1])),
                    _ODD))
            elif field_name == "schema":
                value = draw(st.one_of(st.sampled_from(SCHEMA_WORDS), _ODD))
            elif field_name == "mmsi":
                value = draw(st.one_of(st.from_regex(r"\A[0-9]{9}\Z"), _ODD))
            else:
                value = draw(_ODD)
            row[column] = value
        rows.append(row)
    if draw(st.booleans()):  # a duplicated row
        at = draw(st.integers(0, len(rows) - 1))
        rows.insert(at, dict(rows[at]))
    return header, rows


def materialise(rows: list[dict[str, Cell]], listed: Listed) -> list[dict[str, Any]]:
    """The rows with each pick replaced by its real name or IMO number."""

    def text(cell: Cell) -> str:
        if isinstance(cell, str):
            return cell
        values = listed.imos if cell.kind == "imo" else listed.names
        return cell.before + values[cell.index % len(values)] + cell.after

    return [{k: text(v) for k, v in row.items()} for row in rows]


def carries_listed_imo(row: dict[str, Any], header: dict[str, str],
                       imos: frozenset[str]) -> bool:
    column = header.get("imo")
    value = row.get(column) if column else None
    return isinstance(value, str) and clean_imo_ship(value) in imos


def check_results(results: list[Result], rows: list[dict[str, Any]], header: dict[str, str],
                  imos: frozenset[str]) -> None:
    """The properties: one answer per row in order, unreadable rows named, a listed IMO a
    match."""
    assert [r.row for r in results] == list(range(1, len(rows) + 1))
    for result, row in zip(results, rows, strict=True):
        assert result.decision in {"match", "review", "clear"}
        if result.error:
            assert result.decision != "clear", (row, result.error)
        if carries_listed_imo(row, header, imos):
            assert result.decision == "match", (
                f"a listed IMO is a match whatever else the row says: {row!r} -> "
                f"{result.decision} ({result.error or result.matches[:1]})")


# -- the library -------------------------------------------------------------------------------

@PROPERTY_SETTINGS
@given(case=screening_rows())
# Found by this property (IMO 9179842 is ANGARA, OFAC SDN 37059; 1006960 is OLYMPIA, GUR 176):
# a listed IMO and no name was sent to review ("no name") ...
@example(case=({"name": "name", "imo": "imo"}, [{"ref": "r0", "imo": "9179842"}]))
# ... a short name sharing no letter with the ship's one short name was clear (the name score
# fell below 0 and the node with it) ...
@example(case=({"name": "name", "imo": "imo"}, [{"ref": "r0", "name": "x", "imo": "1006960"}]))
# ... a row typed Person was clear (the type kept the ship out), one with a bad MMSI review.
@example(case=({"name": "name", "imo": "imo", "schema": "type"},
               [{"ref": "r0", "name": "ANGARA", "imo": "9179842", "type": "Person"}]))
@example(case=({"name": "name", "imo": "imo", "mmsi": "mmsi"},
               [{"ref": "r0", "name": "ANGARA", "imo": "9179842", "mmsi": "12"}]))
def test_every_row_is_answered_and_a_listed_imo_always_matches(
        ship_store: Store, index: ScreenIndex, listed: Listed, case: Case) -> None:
    header, template = case
    rows = materialise(template, listed)
    results = list(screen(ship_store, rows, index=index, workers=1))
    check_results(results, rows, header, listed.every_imo)


# -- files -------------------------------------------------------------------------------------

def _columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for row in rows for k in row))


def write_screening_file(path: Path, rows: list[dict[str, Any]], delimiter: str = ",") -> bytes:
    """The rows as the file a user sends: CSV (by `delimiter`), XLSX or JSON lines."""
    columns = _columns(rows)
    if path.suffix == ".jsonl":
        # Raw, as json.dumps writes them: line separators (U+2028, \x1c...) inside strings too.
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    if path.suffix == ".xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(columns)
        for row in rows:
            sheet.append([str(row.get(c, "")) for c in columns])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(columns)
    writer.writerows([[row.get(c, "") for c in columns] for row in rows])
    return buffer.getvalue().encode("utf-8")


def _readable(rows: list[dict[str, Any]], suffix: str) -> list[dict[str, Any]]:
    """The rows as the file can hold them: an XLSX cell holds no control character; a row of
    blank cells is no row in a table file (the reader skips it)."""
    if suffix == ".xlsx":
        rows = [{k: ILLEGAL_CHARACTERS_RE.sub("", v) for k, v in row.items()} for row in rows]
    if suffix != ".jsonl":
        rows = [row for row in rows
                if any(str(v).strip() for k, v in row.items() if k != "ref")]
    return rows


def _by_ref(results: list[Result]) -> dict[str, Result]:
    return {str(r.input.get("ref")): r for r in results}


def check_file(store: Store, index: ScreenIndex, listed: Listed, folder: Path, case: Case,
               suffix: str, cut: tuple[str, float] | None) -> None:
    """The properties through the file reader: a file (truncated at a row boundary or a byte,
    as `cut` says, at that fraction of its lines or bytes) is refused in one line or read, and
    each row read is answered; a file not truncated is read row for row."""
    header, template = case
    rows = _readable(materialise(template, listed), suffix)
    path = folder / f"input{suffix}"
    content = write_screening_file(path, rows, "\t" if suffix == ".tsv" else ",")
    if cut is not None:
        how, where = cut
        if how == "row":
            lines = content.splitlines(keepends=True)
            content = b"".join(lines[: round(where * len(lines))])
        else:
            content = content[: round(where * len(content))]
    path.write_bytes(content)
    try:
        columns, read = read_rows(path)
    except SourceError as exc:
        assert "\n" not in str(exc)
        assert cut is not None or "name" not in map_columns(_columns(rows)), (
            f"a whole file with a name column is readable: {exc}")
        return
    results = list(screen(store, read, index=index, workers=1))
    assert len(results) == len(read)
    if cut is None:
        # Each row written is read back as one row, in order.
        assert [r.input.get("ref") for r in results] == [row["ref"] for row in rows]
    answered = _by_ref(results)
    for row in rows:
        result = answered.get(row["ref"])
        if result is None:
            assert cut is not None, f"row {row['ref']} was dropped"
            continue
        if result.error:
            assert result.decision != "clear", (row, result.error)
        whole = cut is None or result.input in (row, {**dict.fromkeys(columns, ""), **row})
        if whole and carries_listed_imo(row, header, listed.every_imo):
            assert result.decision == "match", (row, result.decision, result.error)


_CUT: Final = st.one_of(st.none(), st.tuples(st.sampled_from(["row", "byte"]),
                                             st.floats(0.0, 1.0)))


@FILE_SETTINGS
@given(case=screening_rows(), suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".xlsx"]),
       cut=_CUT)
# Found by this property: a value holding U+0085 (or U+2028, \x0c, \x1c-\x1e) split its CSV row
# in two (the reader cut lines with str.splitlines); the second half was screened as a row.
@example(case=({"name": "name"}, [{"ref": "r0", "name": "ANGARA\x850"}]), suffix=".csv",
         cut=None)
@example(case=({"name": "name", "imo": "IMO Number"},
               [{"ref": "r0", "name": "MARIA\u2028", "IMO Number": "8517839"}]), suffix=".tsv",
         cut=None)
def test_a_screening_file_is_answered_row_by_row_or_refused_in_one_line(
        ship_store: Store, index: ScreenIndex, listed: Listed,
        tmp_path_factory: pytest.TempPathFactory, case: Case, suffix: str,
        cut: tuple[str, float] | None) -> None:
    if suffix == ".xlsx":
        cut = None  # a cut zip is no workbook: its refusal is tested in test_screen.py
    check_file(ship_store, index, listed, tmp_path_factory.mktemp("screen"), case, suffix, cut)


def test_a_json_lines_value_holding_a_line_separator_is_read(
        ship_store: Store, index: ScreenIndex, listed: Listed, tmp_path: Path) -> None:
    case: Case = ({"name": "name", "imo": "imo"},
                  [{"ref": "r0", "name": "ANGARA\u2028", "imo": "9179842"}])
    check_file(ship_store, index, listed, tmp_path, case, ".jsonl", None)


# -- the command line --------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".jsonl"])
def test_the_cli_answers_each_row_of_a_hostile_file(
        ship_store: Store, index: ScreenIndex, listed: Listed,
        tmp_path: Path, suffix: str) -> None:
    """One run as a user: a file of odd rows, each carrying a listed IMO, and odd rows without
    one; one output line per row, every IMO row a match."""
    imos, names = listed.imos, listed.names
    rows: list[dict[str, Any]] = []
    for number, odd in enumerate(ODD):
        rows.append({"ref": f"i{number}", "Vessel Name": names[number % len(names)] + odd,
                     "IMO Number": imos[number], "type": "vessel"})
        rows.append({"ref": f"n{number}", "Vessel Name": odd, "IMO Number": "", "type": ""})
    rows = _readable(rows, suffix)
    source = tmp_path / f"input{suffix}"
    source.write_bytes(write_screening_file(source, rows))
    out = tmp_path / "out.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "graph.cli", "screen", str(source), "-o", str(out),
         "--db", str(ship_store.path), "--workers", "1"],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    # JSON lines end at \n only (a value may hold U+2028, which str.splitlines would cut at).
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n")
               if line]
    assert [a["ref"] for a in answers] == [row["ref"] for row in rows]
    for answer in answers:
        if answer["ref"].startswith("i"):
            assert answer["decision"] == "match", answer
        if answer.get("error"):
            assert answer["decision"] != "clear", answer

"""Property: a load of a damaged list file either raises a `SanctionsGraphError` of one line and
leaves the store file exactly as it was, or it loads. Never another exception, never a half-made
store (issue 13, "never a wrong clear").

Each example takes a real list file from the shared data, cut to its first records so a load is
fast (the cut keeps what the format needs to be whole: the OFAC CSV's final 0x1A line and its
companions' rows for the kept entries; an XML cut is re-serialised with its `Record_Count`
set to the entries kept; a JSON cut keeps the first items), damages it (truncation at any byte or
at a record boundary, duplicated records, a value replaced by an odd or very long one, escaped
for the format or raw, a byte-order mark in front) and loads it through `pipeline.ingest.load_file`
into a copy of one base store that already holds every cut file, so most loads are a new version
of a source the store has (the path a daily update takes).

`tests/loaders/test_fuzz.py` fuzzes the loaders alone; this module goes through the store.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from graph.errors import SanctionsGraphError
from graph.store import Store
from pipeline.ingest import load_file
from tests.conftest import raw

#: Records kept of each real file: enough for every code path of a record, few enough that one
#: load takes milliseconds.
KEEP: Final = 60
#: Examples per format; with deadline=None and derandomize the run is the same on every machine.
EXAMPLES: Final = 40

PROPERTY_SETTINGS: Final = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)


@dataclass(frozen=True)
class Sample:
    """One real list file cut to its first records: the files of one load, by name, and what
    a record and a value look like in it."""

    format: str
    main: str
    files: dict[str, bytes]
    #: Byte spans of whole records in a file's text.
    records: Callable[[bytes], list[tuple[int, int]]]
    #: How a replaced value is written so that the parser hands it on.
    escape: Callable[[bytes], bytes]
    #: Spans of values inside a record.
    values: re.Pattern[bytes]


# -- cutting the real files --------------------------------------------------------------------

def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _line_records(skip: int) -> Callable[[bytes], list[tuple[int, int]]]:
    """Records of a line-per-row file: each line after `skip` header lines, but for a final
    0x1A line."""
    def records(data: bytes) -> list[tuple[int, int]]:
        spans, at = [], 0
        for number, line in enumerate(_lines(data)):
            if number >= skip and line.strip(b"\r\n") not in (b"\x1a", b""):
                spans.append((at, at + len(line.rstrip(b"\r\n"))))
            at += len(line)
        return spans
    return records


def _element_records(*tags: str) -> Callable[[bytes], list[tuple[int, int]]]:
    pattern = re.compile(rb"<(%s)>.*?</\1>" % b"|".join(t.encode() for t in tags), re.S)
    return lambda data: [m.span() for m in pattern.finditer(data)]


def _json_records(data: bytes) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(rb"\{[^{}]*\}", data)]


def _csv_escape(value: bytes) -> bytes:
    return b'"' + value.replace(b'"', b'""') + b'"'


def _xml_escape(value: bytes) -> bytes:
    return value.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")


def _json_escape(value: bytes) -> bytes:
    try:
        return json.dumps(value.decode("utf-8"))[1:-1].encode()
    except UnicodeDecodeError:  # no JSON string holds invalid UTF-8: written raw
        return value


#: A CSV value: a quoted field or a run between separators.
_CSV_VALUES: Final = re.compile(rb'"(?:[^"]|"")*"|[^,;"\r\n]+')
_XML_VALUES: Final = re.compile(rb"(?<=>)[^<>]+(?=<)")
_JSON_VALUES: Final = re.compile(rb'(?<=")[^"\\\n]*(?=")')


def _ofac_csv() -> Sample:
    sdn = _lines(raw("ofac_sdn_2024-05-03.csv").read_bytes())
    # The first entries, those with remarks continued in sdn_comments.csv, and ANGARA, MARIA
    # and the firms linked to them (the `Linked To:` path).
    wanted = {line.split(b",", 1)[0]
              for line in _lines(raw("ofac_sdn_comments_2025-01.csv").read_bytes())}
    wanted |= {b"37059", b"37065", b"37066", b"46768", b"46773"}
    kept = [line for n, line in enumerate(sdn[:-1])
            if n < KEEP or line.split(b",", 1)[0] in wanted]
    ents = {line.split(b",", 1)[0] for line in kept}
    files = {"ofac_sdn_2024-05-03.csv": b"".join([*kept, sdn[-1]])}
    for name in ("ofac_add_2025-01.csv", "ofac_alt_2025-01.csv", "ofac_sdn_comments_2025-01.csv"):
        lines = _lines(raw(name).read_bytes())
        rows = [line for line in lines[:-1] if line.split(b",", 1)[0] in ents]
        files[name] = b"".join([*rows, lines[-1]])
    return Sample("ofac_csv", "ofac_sdn_2024-05-03.csv", files, _line_records(0), _csv_escape,
                  _CSV_VALUES)


def _cut_xml(name: str, parents: dict[str, int], count_tag: str | None = None) -> bytes:
    """The XML file with only the first children of each named parent (`local name -> how
    many`), re-serialised; `count_tag` is set to the records kept."""
    root = etree.fromstring(raw(name).read_bytes(),
                            etree.XMLParser(resolve_entities=False, no_network=True))
    kept = 0
    for element in list(root.iter()):
        local = etree.QName(element).localname
        if local in parents:
            for child in list(element)[parents[local]:]:
                element.remove(child)
            kept += len(element)
    if count_tag:
        for element in root.iter():
            if etree.QName(element).localname == count_tag:
                element.text = str(kept)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def _ofac_xml() -> Sample:
    name = "ofac_consolidated_nonsdn_2025-03-28.xml"
    root = etree.fromstring(raw(name).read_bytes())
    entries = [e for e in root if etree.QName(e).localname == "sdnEntry"]
    for entry in entries[KEEP:]:
        root.remove(entry)
    for element in root.iter():
        if etree.QName(element).localname == "Record_Count":
            element.text = str(min(KEEP, len(entries)))
    data = bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    return Sample("ofac_sdn_xml", name, {name: data}, _element_records("sdnEntry"), _xml_escape,
                  _XML_VALUES)


def _un_xml() -> Sample:
    name = "un_consolidated_2026-02-27.xml"
    data = _cut_xml(name, {"INDIVIDUALS": KEEP // 2, "ENTITIES": KEEP // 2})
    return Sample("un_xml", name, {name: data}, _element_records("INDIVIDUAL", "ENTITY"),
                  _xml_escape, _XML_VALUES)


def _header_csv(format: str, name: str) -> Sample:
    lines = _lines(raw(name).read_bytes())
    return Sample(format, name, {name: b"".join(lines[: KEEP + 1])}, _line_records(1),
                  _csv_escape, _CSV_VALUES)


def _tak() -> Sample:
    name = "tak_shadowfleet_2026-08-22.json"
    items = json.loads(raw(name).read_bytes())[:KEEP]
    data = json.dumps(items, indent=2, ensure_ascii=False).encode()
    return Sample("tak_json", name, {name: data}, _json_records, _json_escape, _JSON_VALUES)


SAMPLES: Final[dict[str, Callable[[], Sample]]] = {
    "ofac_csv": _ofac_csv,
    "ofac_sdn_xml": _ofac_xml,
    "un_xml": _un_xml,
    "gur_csv": lambda: _header_csv("gur_csv", "gur_shadowfleet_vessels_master.csv"),
    "eu_vessels_csv": lambda: _header_csv("eu_vessels_csv",
                                          "eu_designated_vessels_annexXLII_2025-10-23.csv"),
    "tak_json": _tak,
}


# -- damage ------------------------------------------------------------------------------------

#: Values a hostile or unlucky file holds: control characters, NUL, invalid UTF-8, byte-order
#: marks, quotes, formula-leading text, emoji, right-to-left marks, lone-surrogate escapes,
#: XML that is not allowed, the OFAC null, an IMO number, very long text.
ODD_VALUES: Final = [
    b"", b"\x00", b"\x01\x02\x1b[31m\x7f", b"\x1a", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3\x28",
    b"\x80\x81\x8d", b'"', b"'", b'"",""', b'=HYPERLINK("http://example.invalid","x")',
    b"+SUM(1;2)", b"-0- ", b"@x", "🚢⚓".encode(), "\u202eRTL\u200f\u200b".encode(),
    b"\r\n", b"\t;,", b"\\ud800", b"\\u0000", b"&#0;", b"&#xD800;", b"&undefined;", b"]]>",
    b"<x>", b"9179842", b"IMO 9179842", "Ангара".encode(), "ＡＮＧＡＲＡ".encode(),
    b"A" * 200_000, "🚢".encode() * 30_000, b"x " * 100_000,
]
_VALUE: Final = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.binary(max_size=24),
    st.text(max_size=24).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
_BOMS: Final = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf\xef\xbb\xbf"]


def _damage(sample: Sample, data: bytes, draw: st.DataObject) -> bytes:
    for _ in range(draw.draw(st.integers(1, 3), label="mutations")):
        records = sample.records(data)
        kind = draw.draw(st.sampled_from(
            ["truncate_byte", "truncate_record", "duplicate", "value", "value_raw", "bom"]),
            label="kind")
        if kind == "truncate_byte" or not records:
            data = data[: draw.draw(st.integers(0, max(len(data) - 1, 0)), label="cut at")]
        elif kind == "truncate_record":
            start, end = records[draw.draw(st.integers(0, len(records) - 1), label="record")]
            data = data[: draw.draw(st.sampled_from([start, end]), label="before or after")]
        elif kind == "duplicate":
            start, end = records[draw.draw(st.integers(0, len(records) - 1), label="record")]
            sep = b"\n" if sample.values is not _JSON_VALUES else b",\n"
            data = data[:end] + sep + data[start:end] + data[end:]
        elif kind == "bom":
            data = draw.draw(st.sampled_from(_BOMS), label="bom") + data
        else:
            start, end = records[draw.draw(st.integers(0, len(records) - 1), label="record")]
            spans = [m.span() for m in sample.values.finditer(data, start, end)]
            if not spans:
                continue
            a, b = spans[draw.draw(st.integers(0, len(spans) - 1), label="value")]
            value = draw.draw(_VALUE, label="odd value")
            if kind == "value":  # escaped: a quoted CSV field is replaced whole
                value = sample.escape(value)
            data = data[:a] + value + data[b:]
    return data


# -- the store ---------------------------------------------------------------------------------

def _dump(path: Path) -> list[str]:
    """Every table, index and row of the store file, in SQL: the snapshot and the rest (the
    layout's `meta`, the screening and resolution tables)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return list(conn.iterdump())


def _write(folder: Path, sample: Sample, main: bytes | None = None,
           damaged: str | None = None) -> Path:
    for name, data in sample.files.items():
        (folder / name).write_bytes(main if main is not None and name == damaged else data)
    return folder / sample.main


@pytest.fixture(scope="module")
def samples() -> dict[str, Sample]:
    return {fmt: make() for fmt, make in SAMPLES.items()}


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory,
               samples: dict[str, Sample]) -> Path:
    """A store holding every cut sample, each under its own source; examples load into a
    copy."""
    folder = tmp_path_factory.mktemp("base")
    path = folder / "base.db"
    with Store(path) as store:
        for sample in samples.values():
            files = folder / sample.format
            files.mkdir()
            load_file(store, _write(files, sample))
    return path


def check_load(base: Path, sample: Sample, damaged: str, data: bytes, named: bool) -> None:
    """The property: one line and the store unchanged, or loaded."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "store.db"
        shutil.copyfile(base, db)
        files = folder / "files"
        files.mkdir()
        path = _write(files, sample, data, damaged)
        before = _dump(db)
        with Store(db) as store:
            snapshot = store.snapshot()
            try:
                load_file(store, path, format=sample.format if named else None)
            except SanctionsGraphError as exc:
                message = str(exc)
                assert message, "an error says what went wrong"
                assert "\n" not in message and "\r" not in message, message[:500]
                assert "Traceback" not in message, message[:500]
                assert store.snapshot() == snapshot, f"a failed load changed the store: {exc}"
            else:
                return
        assert _dump(db) == before, "a failed load changed the store file"


def _damaged_file(sample: Sample, draw: st.DataObject) -> tuple[str, bytes]:
    name = draw.draw(st.sampled_from(sorted(sample.files)), label="file")
    return name, _damage(sample, sample.files[name], draw)


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_the_cut_sample_loads(fmt: str, samples: dict[str, Sample], base_store: Path) -> None:
    """The undamaged cut files are good data: the base store holds records of each."""
    with Store(base_store) as store:
        sources = {info.format: info.entities for info in store.loads()}
    assert sources.get(fmt, 0) > 0, sources


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
@PROPERTY_SETTINGS
@given(data=st.data(), named=st.booleans())
def test_a_damaged_file_loads_or_fails_in_one_line_leaving_the_store(
        fmt: str, samples: dict[str, Sample], base_store: Path, data: st.DataObject,
        named: bool) -> None:
    sample = samples[fmt]
    damaged, content = _damaged_file(sample, data)
    check_load(base_store, sample, damaged, content, named)

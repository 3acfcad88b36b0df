"""The text guards of graph/safe_text.py: spreadsheet cells, terminal text, JSON escapes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.safe_text import FORMULA_LEADS, json_safe, spreadsheet_text, terminal_text


@pytest.mark.parametrize(("value", "cell"), [
    ('=HYPERLINK("http://example.invalid","x")', '\'=HYPERLINK("http://example.invalid","x")'),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("+1+1", "'+1+1"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("-5", "'-5"),  # a negative number passed through is quoted too (OWASP)
    (-5, "'-5"),
    (12, "12"),
    (0.5, "0.5"),
    (None, ""),
    ("", ""),
    ("M LEASING LLC", "M LEASING LLC"),
    ("a=b", "a=b"),  # only the first character counts
    ("'=already text", "'=already text"),
    ("ops\x1b[2J", "ops[2J"),  # XLSX cannot hold ESC; CSV says the same
    ("=\x00x", "'=x"),
    (["a", "=b"], '["a", "=b"]'),  # JSON-lines lists are written as JSON
    ({"k": "v"}, '{"k": "v"}'),
])
def test_spreadsheet_text(value: object, cell: str) -> None:
    assert spreadsheet_text(value) == cell


@given(st.text())
def test_no_spreadsheet_cell_starts_a_formula(value: str) -> None:
    assert not spreadsheet_text(value).startswith(FORMULA_LEADS)


@pytest.mark.parametrize(("text", "shown"), [
    ("ANGARA", "ANGARA"),
    ("ООО «М ЛИЗИНГ»", "ООО «М ЛИЗИНГ»"),
    ("NOWHERE\x1b[2J\x1b[H STAR", "NOWHERE[2J[H STAR"),
    ("a\x1b]0;title\x07b", "a]0;titleb"),
    ("8-bit\x9b31m CSI", "8-bit31m CSI"),
    ("DEL\x7f", "DEL"),
    ("NOWHERE \u202eRATS", "NOWHERE RATS"),
    ("iso\u2067late\u2069", "isolate"),
    ("line one\nline two", "line one line two"),
    ("tab\tand\r\nCRLF", "tab and  CRLF"),
    ("para\u2029graph\u2028line\x85next", "para graph line next"),
    ("two  spaces", "two  spaces"),  # ordinary spaces are kept as they are
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",) * 2,  # Persian: ZWNJ stays
    ("\u05d0\u200f(1)", "\u05d0\u200f(1)"),  # RLM stays: a mark, not an override
])
def test_terminal_text(text: str, shown: str) -> None:
    assert terminal_text(text) == shown


@given(st.text())
def test_terminal_text_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    shown = terminal_text(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert not any("\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069" for c in shown)
    assert "\u2028" not in shown and "\u2029" not in shown
    assert terminal_text(shown) == shown


@given(st.recursive(st.none() | st.text() | st.integers(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_json_safe_keeps_the_data_and_escapes_what_json_leaves_raw(data: object) -> None:
    text = json_safe(json.dumps(data, ensure_ascii=False, indent=2))
    assert json.loads(text) == data
    assert not any(0x7F <= ord(c) <= 0x9F or "\u202a" <= c <= "\u202e"
                   or "\u2066" <= c <= "\u2069" or c in "\u2028\u2029" for c in text)

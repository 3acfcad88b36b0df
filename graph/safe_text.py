"""Text from sources and screening files, made safe for where people read it.

Source data is hostile or unlucky input: a list entry can hold an ESC sequence that clears a
terminal, a bidi override that shows a name backwards, a line break that tears a table; a row of
a screening file can hold `=HYPERLINK(...)`, which a spreadsheet runs when the results are opened.
The stored value stays exact; only what is shown or written for people changes:

- `spreadsheet_text`: a cell of a CSV or XLSX file meant for a spreadsheet. A value beginning
  with a character that starts a formula (`=`, `+`, `-`, `@`, tab, carriage return: OWASP's
  CSV-injection list) gets a leading `'`, which spreadsheets take as "this is text".
- `terminal_text`: one value printed on a terminal. Control characters (C0, DEL, C1: ESC and
  CSI start terminal escape sequences), bidi embeddings, overrides and isolates go; line breaks,
  tabs and other line or paragraph separators become a space, so a value stays on its line.
- `json_safe`: JSON text with what JSON leaves raw (DEL, C1, bidi controls, line separators)
  written as `\\u` escapes: the same values for a program, nothing live for a terminal.

normality's `remove_unsafe_chars` is close to `terminal_text` but keeps the bidi overrides
(U+202A-U+202E, U+2066-U+2069) and deletes ZWNJ and ZWJ, which Persian and Indic names need.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_LEADS: Final = ("=", "+", "-", "@", "\t", "\r")

#: Bidi embeddings and overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI): they
#: reorder what follows, so a name can be shown as another. The marks LRM, RLM and ALM stay.
_BIDI_CONTROLS: Final = "\u202a-\u202e\u2066-\u2069"
#: Characters that end a line on a terminal or in rich's layout.
_BREAKS: Final = "\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029"
_BREAK_RE: Final = re.compile(f"[{_BREAKS}]")
_CONTROL_RE: Final = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
#: What `json.dumps(ensure_ascii=False)` writes raw but a terminal may act on.
_JSON_RAW_RE: Final = re.compile(f"[\x7f-\x9f{_BIDI_CONTROLS}\u2028\u2029]")
#: Characters an XLSX (XML 1.0) cell cannot hold; openpyxl refuses them.
_XML_ILLEGAL_RE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def spreadsheet_text(value: Any) -> str:
    """A cell value as text a spreadsheet shows and never evaluates.

    Every value is text here, a number passed through from the input too: `-5` becomes `'-5`,
    as OWASP's guidance has it (a negative number and `-2+3+cmd|...` start alike, and the
    screening output does not need to tell them apart). Lists and mappings (JSON-lines input)
    are written as JSON. Characters an XLSX file cannot hold are dropped, so CSV and XLSX of
    one screening say the same."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    elif isinstance(value, list | tuple | dict):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    text = _XML_ILLEGAL_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def terminal_text(text: str) -> str:
    """`text` without anything a terminal would act on rather than show (see the module)."""
    if not text.isprintable():  # the common case, a plain name, costs one scan
        text = _CONTROL_RE.sub("", _BREAK_RE.sub(" ", text))
    return text


def json_safe(text: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with the characters it leaves raw
    and a terminal may act on escaped; the data it stands for is unchanged. Safe on whole
    documents: those characters can only occur inside JSON strings."""
    return _JSON_RAW_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


__all__ = ["FORMULA_LEADS", "json_safe", "spreadsheet_text", "terminal_text"]

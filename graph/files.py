"""Reading the files users and lists give us, strictly: the whole file as text (UTF-8 unless
told, a bad byte an error that gives its offset), CSV rows with their line numbers, values
cleaned of the usual null spellings, and dates as ISO text. Every failure is a `SourceError`
naming the file and the place.

Shared by the loaders (`loaders`) and the screening files (`queries.screening.io`): the one
public place for both, so neither reaches into the other.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from graph.errors import SourceError

#: The longest field any source legitimately has is a few kilobytes of remarks; a field far beyond
#: that means a broken file (an unclosed quote swallowing the rest), not data.
MAX_FIELD_BYTES: Final = 1_000_000

csv.field_size_limit(MAX_FIELD_BYTES)


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """The whole file decoded strictly; a bad byte is an error that gives its offset."""
    data = read_bytes(path)
    if encoding.replace("-", "").lower() == "utf8" and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            path,
            f"not valid {encoding} (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            f"line {line}",
        ) from None


def read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except IsADirectoryError:
        raise SourceError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror}") from None
    if not data.strip(b" \t\r\n\x1a"):
        raise SourceError(path, "file is empty")
    return data


def csv_rows(
    path: Path, text: str, *, delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for each row; a malformed row is an error naming its line."""
    # Lines end at \n, \r or \r\n only, as the csv module expects (newline=""): str.splitlines
    # also ends them at U+2028, U+0085, \x0c, \x1c-\x1e..., which splits a row whose value holds
    # one into two rows.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        reason = str(exc)
        if "unexpected end of data" in reason:
            reason = "the file ends inside a quoted field (truncated?)"
        raise SourceError(path, f"malformed CSV: {reason}", f"line {reader.line_num}") from None


def clean(value: str | None) -> str | None:
    """Strip a value; empty and the usual null spellings become None."""
    if value is None:
        return None
    value = " ".join(value.replace("\u00a0", " ").split())
    if value in ("", "-0-", "nan", "NaN", "None", "null", "Unknown", "unknown"):
        return None
    return value


_DATE_FORMS: Final = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$"), (1, 2, 3)),
    (re.compile(r"^(\d{4})-(\d{2})$"), (1, 2, None)),
    (re.compile(r"^(\d{4})$"), (1, None, None)),
    (re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$"), (3, 2, 1)),
)


def iso_date(text: str | None) -> str | None:
    """`2024-06-25`, `2024-06`, `2024`, `25/06/2024` or `25.6.2024` -> ISO (as precise as given);
    None when the text is not a date."""
    text = clean(text)
    if text is None:
        return None
    for pattern, (y, m, d) in _DATE_FORMS:
        match = pattern.match(text)
        if match:
            parts = [match.group(y)]
            if m is not None:
                parts.append(match.group(m).zfill(2))
            if d is not None:
                parts.append(match.group(d).zfill(2))
            if len(parts) > 1 and not 1 <= int(parts[1]) <= 12:
                return None
            if len(parts) > 2 and not 1 <= int(parts[2]) <= 31:
                return None
            return "-".join(parts)
    return None


__all__ = ["MAX_FIELD_BYTES", "clean", "csv_rows", "iso_date", "read_bytes", "read_text"]

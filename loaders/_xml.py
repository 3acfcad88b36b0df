"""Reading XML sources strictly and in constant memory.

`iter_elements` streams the elements of interest with lxml's `iterparse` (entities unresolved,
no network), checks the root element is the one the loader expects, and turns every parser error
into a `SourceError` naming the file, line and column, so a truncated, mis-encoded or foreign file
stops the load with one line instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from graph.errors import SourceError
from loaders._io import read_bytes

#: Bytes read at a time when checking that a file is not empty.
_CHUNK = 1 << 16


def local(tag: object) -> str:
    """An element's name without its namespace."""
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def namespace(tag: object) -> str:
    text = str(tag)
    return text[1:].split("}", 1)[0] if text.startswith("{") else ""


def iter_elements(
    path: Path,
    *,
    root: str,
    tags: frozenset[str],
    namespaces: frozenset[str] | None = None,
    what: str,
) -> Iterator[etree._Element]:
    """Complete elements whose local name is in `tags`, in document order.

    Each element is cleared after the caller has used it (when the next one is requested), and
    so are the preceding siblings, which keeps memory flat on large files. The root element's
    local name must be `root` (and its namespace one of `namespaces` when given).
    """
    require_content(path)
    parser = etree.iterparse(
        str(path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    try:
        for event, element in parser:
            if event == "start":
                if depth == 0:
                    _check_root(path, element, root, namespaces, what)
                depth += 1
                continue
            depth -= 1
            if local(element.tag) in tags:
                yield element
                parent = element.getparent()
                element.clear(keep_tail=False)
                if parent is not None and depth <= 2:
                    while element.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(path, exc) from None
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"not valid text ({exc.reason})") from None


def require_content(path: Path) -> None:
    """Missing, unreadable, empty and whitespace-only files fail here with a clear message,
    reading no more of a large file than its first bytes."""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                if chunk.strip(b" \t\r\n\x1a"):
                    return
    except OSError:
        read_bytes(path)  # raises the SourceError naming what is wrong
        raise
    raise SourceError(path, "file is empty")


def head_bytes(path: Path, size: int = _CHUNK) -> bytes:
    """The first bytes of a file (for detection and for what a file says about itself)."""
    require_content(path)
    with path.open("rb") as handle:
        return handle.read(size)


def _check_root(
    path: Path, element: etree._Element, root: str, namespaces: frozenset[str] | None, what: str
) -> None:
    name, ns = local(element.tag), namespace(element.tag)
    if name != root or (namespaces is not None and ns not in namespaces):
        found = f"<{name}>" + (f" in namespace {ns}" if ns else "")
        raise SourceError(path, f"not {what}: the root element is {found}, expected <{root}>",
                          f"line {element.sourceline}")


def _syntax_error(path: Path, exc: etree.XMLSyntaxError) -> SourceError:
    line, column = exc.position if exc.position else (0, 0)
    message = str(exc.msg or exc).split(", line ")[0].strip()
    if "Document is empty" in message or ("Start tag expected" in message and line <= 1):
        message = "not XML (no root element)"
    elif "encoding" in message.lower() or "UTF-8" in message:
        message = f"not valid UTF-8 text, or not the encoding the file declares ({message})"
    elif "Premature end of data" in message or ("EndTag" in message and "not finished" in message):
        message = f"truncated XML ({message})"
    where = f"line {line} column {column}" if line else None
    prefix = "" if message.startswith("not valid") else "malformed XML: "
    return SourceError(path, prefix + message, where)


def text(element: etree._Element | None) -> str | None:
    """An element's stripped text, None when absent or blank."""
    if element is None or element.text is None:
        return None
    value = " ".join(element.text.split())
    return value or None


def head_text(head: bytes, tag: bytes) -> str | None:
    """The text of the first `<tag>...</tag>` in the first bytes of a file (for detection)."""
    start = head.find(b"<" + tag + b">")
    if start < 0:
        return None
    start += len(tag) + 2
    end = head.find(b"</" + tag + b">", start)
    if end < 0:
        return None
    return head[start:end].decode("utf-8", "replace").strip()

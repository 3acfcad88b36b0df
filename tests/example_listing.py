"""A test-only listing for example parties: the tests that need a listed holder list an example
party written by hand (never a real one) with this loader, in a JSON file whose `example` field
says it is an example. The listing states no share.

Register it for one test with ``monkeypatch.setitem(LOADERS, EXAMPLE_LISTING.format,
EXAMPLE_LISTING)``, then load the file with ``format=EXAMPLE_LISTING.format`` (in process, or
through the in-process CLI: ``load --format example_listing``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from graph.model import Entity, ListMeta, Record, Sanction, Schema
from loaders import LoaderSpec


def example_listing(path: Path) -> Iterator[Record]:
    """Records of a hand-written example listing: {"example": ..., "listed": ["source:id"]}."""
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["example"].startswith("EXAMPLE")
    yield ListMeta("2026-01-01")
    for n, ref in enumerate(data["listed"]):
        yield Entity(f"e{n}", Schema.LEGAL_ENTITY, {}, f"e{n}", same_as=ref)
        yield Sanction(f"s{n}", f"e{n}", "EXAMPLE", "TEST PROGRAMME", f"e{n}")


EXAMPLE_LISTING = LoaderSpec(
    format="example_listing", source="example_listing", title="test-only example listing",
    detect=lambda path, head: False, files=lambda path: [path], load=example_listing)


def write_example_listing(path: Path, example: str, listed: list[str]) -> Path:
    """Writes a listing of `listed` (source ids of example parties); `example` says why."""
    if not example.startswith("EXAMPLE"):
        raise ValueError("an example listing says that it is an example: start with EXAMPLE")
    path.write_text(json.dumps({"example": example, "listed": listed}), encoding="utf-8")
    return path

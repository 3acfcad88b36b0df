"""The loader registry: one module per source format, each a generator of records.

A loader module exposes `FORMAT` (its format name), `SOURCE` (the stable source name its records
are stored under unless the user names another), `TITLE`, `detect(path, head) -> bool`,
`files(path) -> list[Path]` (every file one load reads, for the version checksum) and
`load(path, **options) -> Iterator[Record]`. Loaders never touch the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from graph.errors import UnknownFormatError
from graph.model import Record
from loaders import (
    bods,
    eu_oj,
    eu_vessels,
    evidence,
    ftm,
    gur_csv,
    ofac_advanced_xml,
    ofac_csv,
    ofac_enhanced_xml,
    ofac_sdn_xml,
    registry_csv,
    tak_json,
    uk_ofsi,
    un_xml,
)
from loaders._io import read_bytes

#: How much of a file format detection reads.
HEAD_BYTES = 65536


@dataclass(frozen=True, slots=True)
class LoaderSpec:
    """A registered loader."""

    format: str
    source: str
    title: str
    detect: Callable[[Path, bytes], bool]
    files: Callable[[Path], list[Path]]
    load: Callable[..., Iterator[Record]]
    #: The source a file's records go under when the file itself says which list it is
    #: (optional in a loader module as `source_for(path)`; `source` otherwise).
    source_for: Callable[[Path], str] | None = None

    def source_of(self, path: Path) -> str:
        return self.source_for(path) if self.source_for else self.source


def _spec(module: ModuleType) -> LoaderSpec:
    return LoaderSpec(
        format=module.FORMAT,
        source=module.SOURCE,
        title=module.TITLE,
        detect=module.detect,
        files=module.files,
        load=module.load,
        source_for=getattr(module, "source_for", None),
    )


#: The UK ConList's csv form: the same module and header as its xlsx.
_UK_OFSI_CSV = LoaderSpec(
    format=uk_ofsi.CSV_FORMAT,
    source=uk_ofsi.SOURCE,
    title=uk_ofsi.CSV_TITLE,
    detect=uk_ofsi.detect_csv,
    files=uk_ofsi.files,
    load=uk_ofsi.load_csv,
)

#: Registered loaders, in detection order (most specific first).
LOADERS: dict[str, LoaderSpec] = {
    spec.format: spec
    for spec in (
        *map(_spec, (ofac_csv, ofac_sdn_xml, ofac_advanced_xml, ofac_enhanced_xml, gur_csv,
                     tak_json, bods, ftm, evidence, registry_csv, un_xml, uk_ofsi, eu_vessels,
                     eu_oj)),
        _UK_OFSI_CSV,
    )
}


def register(spec: LoaderSpec) -> None:
    """Add a loader (plugins and later formats register here)."""
    LOADERS[spec.format] = spec


def get_loader(name: str) -> LoaderSpec:
    """A loader by format name or by its default source name."""
    if name in LOADERS:
        return LOADERS[name]
    for spec in LOADERS.values():
        if spec.source == name:
            return spec
    known = ", ".join(sorted(LOADERS))
    raise UnknownFormatError(name, f"unknown format; known formats: {known}")


def detect_loader(path: Path) -> LoaderSpec:
    """The loader for a file, by its content (and name where content is not enough)."""
    head = read_bytes(path)[:HEAD_BYTES]
    for spec in LOADERS.values():
        if spec.detect(path, head):
            return spec
    known = ", ".join(sorted(LOADERS))
    raise UnknownFormatError(
        path, f"no loader recognises this file; name one with --format ({known})"
    )


def run_loader(spec: LoaderSpec, path: Path, **options: Any) -> Iterator[Record]:
    """The loader's records; options a loader does not take are an error, not ignored."""
    return spec.load(path, **options)


__all__ = ["LOADERS", "LoaderSpec", "detect_loader", "get_loader", "register", "run_loader"]

"""Fuzzing every registered loader with mutated real samples: each mutated file either yields
records or raises the project's `SourceError`, never anything else (no IndexError, KeyError,
lxml or csv exception escaping as a traceback).

The (loader, sample) pairs come from the registry: a format's sample is named below, or else is
the first shared real file the loader's own `detect` accepts, so loaders added later are fuzzed
as soon as they can recognise one of the shared files. Formats with no sample are skipped and say
so. To keep the run short, large text samples are cut to their first records (an XML sample is
cut and closed by lxml's recovering parser, with its stated Record_Count set to the entries kept;
a JSON array cut to its first items; OFAC's CSV keeps its end-of-file byte), which is still real
data; binary samples are used whole.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from graph.errors import SourceError
from loaders import HEAD_BYTES, LOADERS, LoaderSpec
from tests.conftest import DEMO, FIXTURES, RAW

#: Samples by format name, where detection over the shared files is not the way to find one.
SAMPLES: Final = {
    "ofac_csv": RAW / "ofac_sdn_2024-05-03.csv",
    "ofac_sdn_xml": RAW / "ofac_consolidated_nonsdn_2025-03-28.xml",
    "ofac_advanced_xml": RAW / "ofac_cons_advanced_2020-03-17.xml",
    "ofac_enhanced_xml": RAW / "ofac_enhanced_xml_program_IRGC_2024-08-28.xml",
    "ftm": FIXTURES / "ftm_edge_cases.jsonl",
    "registry_csv": DEMO / "registry.csv",
    "evidence": DEMO / "rusi_orient_express.yaml",
    "bods": FIXTURES / "bods" / "examples" / "joint-ownership.json",
}
#: Text samples are cut to about this many bytes before mutating.
BASE_BYTES: Final = 120_000
BASE_LINES: Final = 400
EXAMPLES: Final = 60
#: Binary samples (xlsx) cannot be cut, and each read unzips them whole: fewer examples.
BINARY_EXAMPLES: Final = 30


def _sample(spec: LoaderSpec) -> Path | None:
    if spec.format in SAMPLES:
        return SAMPLES[spec.format]
    for path in sorted(RAW.iterdir()):
        if path.is_file() and path.suffix != ".md":
            with path.open("rb") as handle:
                head = handle.read(HEAD_BYTES)
            try:
                if spec.detect(path, head):
                    return path
            except Exception:  # a detect that fails on a foreign file just does not match
                continue
    return None


def _base(path: Path) -> bytes:
    """The real sample, cut to its first records when it is a large text file."""
    data = path.read_bytes()
    if len(data) <= BASE_BYTES:
        return data
    start = data.lstrip()[:1]
    if start == b"<":
        parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
        root = etree.fromstring(data[:BASE_BYTES], parser)
        if root is not None:
            # A file that states its own entry count (OFAC's Record_Count) states the cut's.
            for count in root.iter("{*}Record_Count"):
                count.text = str(sum(1 for _ in root.iter("{*}sdnEntry")))
            return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    if start == b"[":
        try:
            items = json.loads(data)
        except ValueError:
            items = None
        if isinstance(items, list):
            return json.dumps(items[:200], indent=1).encode()
    if b"\0" not in data[:4096] and not data.startswith(b"PK"):
        # A file that ends with an end-of-file byte (OFAC's CSVs) keeps it, or the cut reads
        # as the interrupted download it would otherwise be.
        end = b"\x1a" if data.rstrip().endswith(b"\x1a") else b""
        return b"\n".join(data.split(b"\n")[:BASE_LINES]) + (b"\n" + end if end else b"")
    return data


def _pairs() -> list[tuple[str, Path | None]]:
    return [(fmt, _sample(spec)) for fmt, spec in sorted(LOADERS.items())]


_MUTATION = st.sampled_from(["truncate", "flip", "insert", "duplicate", "delete"])


def _mutate(data: bytes, draw: st.DataObject) -> bytes:
    for _ in range(draw.draw(st.integers(1, 3), label="mutations")):
        kind = draw.draw(_MUTATION, label="kind")
        at = draw.draw(st.integers(0, max(len(data) - 1, 0)), label="offset")
        if kind == "truncate":
            data = data[:at]
        elif kind == "flip" and data:
            data = data[:at] + bytes([data[at] ^ draw.draw(st.integers(1, 255))]) + data[at + 1:]
        elif kind == "insert":
            data = data[:at] + draw.draw(st.binary(min_size=1, max_size=16)) + data[at:]
        elif kind == "duplicate":
            lines = data.split(b"\n")
            n = draw.draw(st.integers(0, max(len(lines) - 1, 0)))
            lines.insert(n, lines[n] if lines else b"")
            data = b"\n".join(lines)
        elif kind == "delete":
            data = data[:at] + data[at + draw.draw(st.integers(1, 64)):]
    return data


@pytest.mark.parametrize(("fmt", "sample"), _pairs(), ids=[f for f, _ in _pairs()])
def test_loader_survives_mutated_samples(fmt: str, sample: Path | None) -> None:
    if sample is None:
        print(f"fuzz: no sample for format {fmt!r}; add one to SAMPLES")
        pytest.skip(f"no sample file for format {fmt!r}")
    spec = LOADERS[fmt]
    base = _base(sample)
    # The cut sample itself is good data: the loader must read it without error.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / sample.name
        path.write_bytes(base)
        assert any(True for _ in spec.load(path))

    binary = b"\0" in base[:4096] or base.startswith(b"PK")

    @settings(max_examples=BINARY_EXAMPLES if binary else EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def run(data: st.DataObject) -> None:
        mutated = _mutate(base, data)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / sample.name
            path.write_bytes(mutated)
            try:
                for _ in spec.load(path):
                    pass
            except SourceError as exc:
                assert "\n" not in str(exc), "a SourceError is one line"

    run()

"""The demo ships the UN and UK lists beside OFAC's, and loads them."""

from __future__ import annotations

import json

from loaders import get_loader
from tests.conftest import DEMO, raw


def test_demo_copies_are_the_shared_files() -> None:
    manifest = json.loads((DEMO / "manifest.json").read_text(encoding="utf-8"))
    files = {entry["source"]: entry["file"] for entry in manifest}
    assert files["un_sc"] == "un_consolidated.xml"
    assert files["gb_ofsi"] == "uk_ofsi_conlist.xlsx"
    assert (DEMO / "un_consolidated.xml").read_bytes() == raw(
        "un_consolidated_2026-02-27.xml").read_bytes()
    assert (DEMO / "uk_ofsi_conlist.xlsx").read_bytes() == raw(
        "uk_ofsi_conlist_2025-04-10.xlsx").read_bytes()


def test_demo_manifest_formats_are_registered() -> None:
    """`demo` itself runs in tests/test_smoke.py; here, that every entry has its loader."""
    manifest = json.loads((DEMO / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest:
        spec = get_loader(entry["format"])
        assert spec.detect(DEMO / entry["file"], (DEMO / entry["file"]).read_bytes()[:65536])

"""Arrows point one way: the loaders know nothing of the store, the queries nothing of file
formats or of the load path, and the library nothing of the CLI. Read from every module's
imports (top-level and inside functions), so a lazy import cannot slip past."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: Package (or module prefix) -> what none of its modules may import.
RULES: dict[str, tuple[str, ...]] = {
    "graph": ("loaders", "queries", "pipeline", "api", "graph.cli"),
    "loaders": ("graph.store", "graph.derive", "graph.resolution", "queries", "pipeline",
                "api", "graph.cli"),
    "queries": ("loaders", "pipeline", "api", "graph.cli"),
    "pipeline": ("queries", "api", "graph.cli"),
    # The HTTP API is a layer over the library, like the CLI, and reaches no loader.
    "api": ("loaders", "pipeline", "graph.cli"),
}
#: The CLI is the layer on top: it may import everything.
EXEMPT = ("graph/cli/",)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(package: str) -> list[Path]:
    found = sorted((ROOT / package).rglob("*.py"))
    return [p for p in found if not p.relative_to(ROOT).as_posix().startswith(EXEMPT)]


@pytest.mark.parametrize("package", sorted(RULES))
def test_no_import_against_the_arrows(package: str) -> None:
    files = modules(package)
    assert len(files) >= 3, f"{package}: too few modules found; is ROOT right?"
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in imported(path)
        if any(name == banned or name.startswith(banned + ".") for banned in RULES[package])
    )
    assert wrong == []


def test_the_rule_sees_a_lazy_import(tmp_path: Path) -> None:
    """The check itself: an import inside a function counts."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from loaders import detect_loader\n    return detect_loader\n")
    assert "loaders.detect_loader" in imported(module)

"""BODS statements of any shape: a value of the wrong type anywhere in the standard's example
is a counted problem or loads, never a crash."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.model import Problem
from loaders.bods import load

EXAMPLE = (Path(__file__).resolve().parents[1] / "fixtures" / "bods" / "examples"
           / "full-pep-declaration.json")
BASE = json.loads(EXAMPLE.read_text(encoding="utf-8"))

values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=5)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            out.extend(paths(value, (*prefix, n)))
    return out


PATHS = [p for p in paths(BASE) if p]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=3))
def test_any_value_anywhere_is_a_problem_or_loads(changes: list[tuple[Any, Any]]) -> None:
    data = copy.deepcopy(BASE)
    for path, value in changes:
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "package.json"
        file.write_text(json.dumps(data), encoding="utf-8")
        records = list(load(file))
    assert all(p.record_id for p in records if isinstance(p, Problem))

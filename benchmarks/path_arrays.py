"""A path index built straight from relation arrays, without a store: the synthetic graphs of
`benchmarks/paths.py` and the property tests of `tests/queries/test_paths.py` and
`test_blocked.py`. Not part of the library: `queries.paths` only builds indexes of stores; this
gives `queries.paths.build_index` details (`IndexDetails`) that name node `i` `n<i>`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from graph.model import Schema
from graph.view import Edge, Provenance
from queries.paths import KINDS, BoolArray, FloatArray, Int32Array, PathIndex, build_index


class ArrayDetails:
    """Details of an index built straight from arrays (tests, the benchmark's synthetic graph):
    node `i` is called `prefix + i`, and each edge is one statement of source `source`."""

    def __init__(self, idx_arrays: tuple[Int32Array, Int32Array, npt.NDArray[np.int8], FloatArray],
                 schemata: npt.NDArray[np.int8], *, prefix: str = "n", source: str = "synthetic",
                 sanctioned: BoolArray | None = None) -> None:
        self.subject, self.object, self.kind, self.pct = idx_arrays
        self.schemata = schemata
        self.prefix = prefix
        self.source = source
        self.sanctioned = sanctioned

    def node_id(self, node: int) -> str:
        return f"{self.prefix}{node}"

    def caption(self, node: int) -> str:
        return f"{self.schema(node).upper()} {node}"

    def schema(self, node: int) -> str:
        return ARRAY_SCHEMATA[int(self.schemata[node])].value

    def statements(self, edge: int) -> Sequence[Edge]:
        pct = float(self.pct[edge])
        kind = KINDS[int(self.kind[edge])]
        return [Edge(kind.value, None, self.node_id(int(self.subject[edge])),
                     self.node_id(int(self.object[edge])), None, None,
                     None if math.isnan(pct) else pct,
                     Provenance(self.source, None, str(edge)), {})]

    def programmes(self, node: int) -> list[str]:
        if self.sanctioned is not None and self.sanctioned[node]:
            return [f"{self.source.upper()} LIST"]
        return []

    def state_kind(self, node: int) -> str | None:
        return "state actor (synthetic)"


#: Schema codes of `ArrayDetails`.
ARRAY_SCHEMATA: Final = (Schema.COMPANY, Schema.VESSEL, Schema.PERSON, Schema.PUBLIC_BODY)


def array_index(n: int, subject: Int32Array, obj: Int32Array, kind: npt.NDArray[np.int8],
                pct: FloatArray, *, sanctioned: BoolArray, state: BoolArray,
                schemata: npt.NDArray[np.int8] | None = None,
                evidence: BoolArray | None = None, pct_high: FloatArray | None = None,
                low_open: BoolArray | None = None,
                high_open: BoolArray | None = None) -> PathIndex:
    """A path index straight from relation arrays, without a store (node ids `n0`, `n1` ...);
    `pct_high`, `low_open` and `high_open` make each stake a band (`graph.shares.Share`)."""
    schemata = schemata if schemata is not None else np.zeros(n, dtype=np.int8)
    details = ArrayDetails((subject, obj, kind, pct), schemata, sanctioned=sanctioned)
    return build_index(
        ids=None, n=n, subject=subject, obj=obj, kind=kind,
        evidence=evidence if evidence is not None else np.zeros(len(subject), dtype=np.bool_),
        pct=pct, sanctioned=sanctioned, state=state, details=details, index=_LazyIndex(n),
        pct_high=pct_high, low_open=low_open, high_open=high_open,
    )


class _LazyIndex(dict[str, int]):
    """`n123` -> 123 without a million-entry dict."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def __missing__(self, key: str) -> int:
        if key.startswith("n") and key[1:].isdigit() and int(key[1:]) < self.n:
            return int(key[1:])
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        try:
            self[str(key)]
        except KeyError:
            return False
        return True

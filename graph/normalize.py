"""Name normalisation for lookup and matching.

Names reach the graph in many scripts and spellings (ООО "М Лизинг", OOO M LIZING, M LEASING LLC).
`normalize_name` folds case, transliterates to Latin, drops punctuation and quotes and collapses
space, so an index keyed on it finds a name however a list wrote it. It never raises and is
idempotent: normalising a normalised name changes nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from normality import normalize

#: Prefixes lists put before a ship's name; they are not part of the name.
_VESSEL_PREFIX: Final = re.compile(r"^(?:m ?v|m ?t|mt|mv|ss|ms|mys)\s+(?=\S)")


@lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """Lower case, Latin script, letters and digits separated by single spaces.

    Transliteration can produce characters that transliterate again (rare scripts), so the
    result is normalised until it no longer changes: the output is always a fixed point."""
    result = normalize(text, lowercase=True, latinize=True) or ""
    for _ in range(4):
        again = normalize(result, lowercase=True, latinize=True) or ""
        if again == result:
            break
        result = again
    return result


def normalize_vessel_name(text: str) -> str:
    """A ship's name without the M/V, MV, MT prefixes."""
    name = normalize_name(text)
    stripped = _VESSEL_PREFIX.sub("", name)
    while stripped != name:
        name, stripped = stripped, _VESSEL_PREFIX.sub("", stripped)
    return name

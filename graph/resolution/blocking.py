"""Candidate pairs without comparing all pairs.

Records sharing a block key become candidates: an identifier (IMO ship or company number, MMSI,
call sign, registry id, UN reference), a whole name by its match key (`graph.matching.text`:
the tokens screening compares, sorted), a rare name token, or the consonant skeleton of a name
(`graph.matching.text.skeleton`, where transliterations meet). Only records of one schema
group and of different sources are paired: a list does not list one entity twice, and pairing
within a list would only add noise (FtM `same_as` handles the files that do point at each other).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from rigour.text import is_stopword

from graph.resolution.records import MatchRecord

#: A token key shared by more records than this is too common to block on (SHIPPING, TRADING,
#: KOREA...): its pairs would swamp the scorer and the rarer keys of the same names find them.
MAX_TOKEN_BLOCK: Final = 60
#: Whole-name and phonetic blocks may be larger (many ships are called MARIA) but not unbounded.
MAX_NAME_BLOCK: Final = 200
#: Tokens shorter than this are too unspecific to block on alone.
MIN_TOKEN_LENGTH: Final = 3


#: Bumped when `block_keys` changes: every list's stored keys are then written again.
KEYS_VERSION: Final = "2"
#: Identifier key kinds (no size limit).
_IDENTIFIER_KINDS: Final = ("imo-ship", "imo-co", "mmsi", "cs", "reg", "un")


def key_limit(key: str) -> int:
    """The size limit of a stored key (`group/kind:value`); 0 is none."""
    kind = key[key.index("/") + 1:key.index(":")]
    if kind in ("n", "p"):
        return MAX_NAME_BLOCK
    if kind == "t":
        return MAX_TOKEN_BLOCK
    return 0


def stored_keys(record: MatchRecord) -> list[str]:
    """The record's block keys as the store keeps them (`group/kind:value`), without repeats."""
    return list(dict.fromkeys(f"{record.group}/{key}" for key, _ in block_keys(record)))


@dataclass(frozen=True, slots=True)
class BlockingStats:
    records: int
    keys: int
    pairs: int


def block_keys(record: MatchRecord) -> Iterator[tuple[str, int]]:
    """(key, size limit) pairs of one record; identifier keys have no limit."""
    for kind, values in zip(_IDENTIFIER_KINDS, (
            record.imo_ship, record.imo_company, record.mmsi, record.call_signs,
            record.registry, record.un_refs), strict=True):
        for value in values:
            yield f"{kind}:{value}", 0
    for name in (*record.names, *record.previous):
        yield f"n:{name}", MAX_NAME_BLOCK
    for code in record.phonetic:
        yield f"p:{code}", MAX_NAME_BLOCK
    for token in record.tokens:
        if len(token) >= MIN_TOKEN_LENGTH and not token.isdigit() and not is_stopword(token):
            yield f"t:{token}", MAX_TOKEN_BLOCK


def candidate_pairs(records: Iterable[MatchRecord]) -> tuple[set[tuple[str, str]], BlockingStats]:
    """Pairs (a, b) with a < b of records that share a block key."""
    blocks: dict[str, list[MatchRecord]] = defaultdict(list)
    limits: dict[str, int] = {}
    count = 0
    for record in records:
        count += 1
        for key, limit in block_keys(record):
            blocks[f"{record.group}/{key}"].append(record)
            limits[f"{record.group}/{key}"] = limit
    pairs: set[tuple[str, str]] = set()
    for key, members in blocks.items():
        limit = limits[key]
        if len(members) < 2 or (limit and len(members) > limit):
            continue
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if a.source != b.source and a.gid != b.gid:
                    pairs.add((a.gid, b.gid) if a.gid < b.gid else (b.gid, a.gid))
    return pairs, BlockingStats(count, len(blocks), len(pairs))

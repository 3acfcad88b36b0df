"""The 50% rule: entities blocked because blocked persons own half or more of them.

OFAC's revised guidance on entities owned by blocked persons (August 2014) treats an entity owned
50% or more, in the aggregate, directly or indirectly, by one or more blocked persons as blocked
itself, whether or not a list names it. Read as a computation:

- the stakes of every blocked holder in an entity add up (two blocked persons with 25% each make
  50%);
- an entity blocked that way is a blocked person in turn, and its own stakes count in full toward
  the entities it holds, so blocking spreads down a chain (X owns 50% of A, A owns 50% of B: both
  A and B are blocked);
- the stake of a holder that is not blocked counts for nothing, even if a blocked person owns
  part of that holder (X owns 25% of A; A's stakes never count toward anything).

That is a least fixpoint: start from the listed entities and add every entity whose blocked
holders' stakes sum to 50% or more, until nothing changes.

Percentages are often unknown or stated as a band. They are never guessed: each ownership is a
range with open or closed ends (`graph.shares.Share`): the stated figure, the stated band
("more than 25%, at most 50%"; the widest when sources differ), or 0 to 100 when no source gives
one. A holder's total is the sum of its ranges (bounds add; an end is open when any summand's
is). The fixpoint is computed twice: once from the lower bounds (entities certainly blocked: the
lower bound of the total reaches 50%; "more than 25%" twice is more than 50%, which does) and
once from the upper bounds over the holders that may be blocked (entities possibly blocked: the
upper bound passes 50%, or meets it with a closed end; "at most 50%" may be 50%, "less than 50%"
never is). The answer says which holdings lack a figure, and shows the arithmetic in words.

Only ownership counts (the guidance is about ownership, not control): operators, managers and
directors never make an entity blocked. Which listings make a holder "blocked" is the caller's
choice (`authorities`); by default every listing in the store does.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np

from graph.shares import Share, certainly_reaches, possibly_reaches
from graph.shares import total as share_total
from graph.store import Store
from graph.view import Provenance
from queries.paths import (
    Int32Array,
    IntArray,
    PathIndex,
    find_node,
    is_evidence,
    store_index,
)

#: The share of ownership, in percent, at which blocked holders block the entity they own.
THRESHOLD: Final = 50.0
#: Slack for sums of stated decimal figures (33.3 + 16.7).
EPSILON: Final = 1e-9


@dataclass(frozen=True, slots=True)
class Stake:
    """One holder's stake in one entity, as a range of percent: `low` == `high` when a figure
    is stated, the band when one is, 0..100 (`stated` False) when none is."""

    holder: int
    entity: int
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    stated: bool = True

    @property
    def known(self) -> bool:
        return self.low == self.high

    @property
    def share(self) -> Share:
        return Share(self.low, self.high, self.low_open, self.high_open)


@dataclass(slots=True)
class Holding:
    """A holding that counts toward an entity's blocked total."""

    holder: str
    caption: str
    #: The exact figure, when one is stated.
    percentage: float | None
    #: The stake as stated, in words ("more than 25%, at most 50%"; "share unknown").
    share: str
    #: How the holder is blocked: "listed", "by ownership", or "possibly (by ownership)".
    holder_status: str
    evidence: bool
    sources: list[Provenance]
    #: The stake in `graph.shares` text form (`>=75,<100`), for programs; None when unknown.
    share_range: str | None = None


@dataclass(slots=True)
class BlockedEntity:
    id: str
    caption: str
    schema: str
    #: "blocked" (certainly, from stated figures) or "possibly blocked" (only if unknown
    #: percentages are large enough).
    status: str
    #: The sum of the stated stakes of certainly blocked holders (lower bounds of bands).
    total: float
    #: Holdings of (possibly) blocked holders whose percentage no source states.
    unknown: int
    holdings: list[Holding] = field(default_factory=list)
    #: The rule's arithmetic in words: the sums of the bounds and what they reach.
    reasoning: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stakes(idx: PathIndex, edges: IntArray | Int32Array) -> dict[tuple[int, int], Stake]:
    """Ownership edges folded into one stake per (holder, entity): several statements of one
    stake (two sources, two roles) are one stake, not two. The range runs from the lowest to
    the highest bound stated (at equal bounds, the closed end, which takes in more); with no
    figure at all it is 0 to 100."""
    if len(edges) == 0:
        return {}
    holder = idx.edge_subject[edges].astype(np.int64)
    entity = idx.edge_object[edges].astype(np.int64)
    pairs, inverse = np.unique(holder * idx.n + entity, return_inverse=True)
    lo = idx.edge_pct[edges].astype(np.float64)
    hi = idx.edge_pct_high[edges].astype(np.float64)
    lo_open = (idx.edge_low_open[edges] if idx.edge_low_open is not None
               else np.zeros(len(edges), dtype=np.bool_))
    hi_open = (idx.edge_high_open[edges] if idx.edge_high_open is not None
               else np.zeros(len(edges), dtype=np.bool_))
    low = np.full(len(pairs), np.inf)
    high = np.full(len(pairs), -np.inf)
    np.minimum.at(low, inverse, np.where(np.isnan(lo), np.inf, lo))
    np.maximum.at(high, inverse, np.where(np.isnan(hi), -np.inf, hi))
    # An end is open only when every statement that gives that bound leaves it open.
    low_closed = np.zeros(len(pairs), dtype=np.bool_)
    high_closed = np.zeros(len(pairs), dtype=np.bool_)
    np.logical_or.at(low_closed, inverse, (lo == low[inverse]) & ~lo_open)
    np.logical_or.at(high_closed, inverse, (hi == high[inverse]) & ~hi_open)
    unknown = np.isinf(low)
    low[unknown] = 0.0
    high[unknown] = 100.0
    low_closed[unknown] = high_closed[unknown] = True
    return {
        (h, e): Stake(h, e, a, b, not a_closed, not b_closed, stated=not u)
        for h, e, a, b, a_closed, b_closed, u in zip(
            (pairs // idx.n).tolist(), (pairs % idx.n).tolist(), low.tolist(), high.tolist(),
            low_closed.tolist(), high_closed.tolist(), unknown.tolist(), strict=True)
    }


def fixpoint(listed: set[int], all_stakes: Iterable[Stake], *, upper: bool) -> set[int]:
    """The least set containing `listed` and every entity whose blocked holders' stakes (lower
    bounds, or upper bounds with `upper`) reach `THRESHOLD`. A worklist: each entity that
    becomes blocked adds its stakes once."""
    down: dict[int, list[Stake]] = defaultdict(list)
    for stake in all_stakes:
        down[stake.holder].append(stake)
    blocked = set(listed)
    sums: dict[int, Share] = {}
    queue = deque(blocked)
    while queue:
        holder = queue.popleft()
        for stake in down.get(holder, ()):
            now = sums.get(stake.entity)
            sums[stake.entity] = now = stake.share if now is None else now + stake.share
            if stake.entity not in blocked and reaches(now, upper=upper):
                blocked.add(stake.entity)
                queue.append(stake.entity)
    return blocked


def reaches(value: Share, *, upper: bool) -> bool:
    """Whether a total reaches `THRESHOLD`: for certain (its lower bound does), or possibly
    (its upper bound passes it, or meets it with a closed end)."""
    if upper:
        return possibly_reaches(value, THRESHOLD, EPSILON)
    return certainly_reaches(value, THRESHOLD, EPSILON)


def _listed(idx: PathIndex, nodes: Iterable[int], authorities: set[str] | None) -> set[int]:
    if authorities is None:
        return {n for n in nodes if idx.sanctioned[n]}
    prefixes = tuple(a.casefold() + " " for a in authorities)
    return {
        n for n in nodes
        if idx.sanctioned[n]
        and any(p.casefold().startswith(prefixes) for p in idx.details.programmes(n))
    }


def _ancestors(idx: PathIndex, node: int) -> tuple[set[int], Int32Array]:
    """Every entity above `node` through ownership, and the ownership edges among them: a
    breadth-first climb a level at a time."""
    seen = np.zeros(idx.n, dtype=np.bool_)
    seen[node] = True
    frontier = np.array([node], dtype=np.int64)
    found: list[Int32Array] = []
    while len(frontier):
        starts = idx.own_up_ptr[frontier]
        counts = idx.own_up_ptr[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            break
        offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)
        edges = idx.own_up_edge[offsets]
        found.append(edges)
        holders = np.unique(idx.edge_subject[edges])
        holders = holders[~seen[holders]]
        seen[holders] = True
        frontier = holders.astype(np.int64)
    all_edges = np.concatenate(found) if found else np.empty(0, dtype=np.int32)
    return {int(x) for x in np.flatnonzero(seen)}, all_edges


def _answer(idx: PathIndex, node: int, all_stakes: dict[tuple[int, int], Stake],
            listed: set[int], sure: set[int], maybe: set[int]) -> BlockedEntity | None:
    if node in listed or node not in maybe:
        return None
    d = idx.details
    status = "blocked" if node in sure else "possibly blocked"
    holdings = []
    total_low = 0.0
    unknown = 0
    by_pair: dict[int, list[int]] = defaultdict(list)
    lo, hi = int(idx.own_up_ptr[node]), int(idx.own_up_ptr[node + 1])
    for e in idx.own_up_edge[lo:hi]:
        by_pair[int(idx.edge_subject[e])].append(int(e))
    certain: list[tuple[str, Stake]] = []
    possible: list[tuple[str, Stake]] = []
    for holder, edges in sorted(by_pair.items(), key=lambda kv: d.caption(kv[0])):
        if holder not in maybe:
            continue
        stake = all_stakes[(holder, node)]
        how = ("listed" if holder in listed else "by ownership" if holder in sure
               else "possibly (by ownership)")
        statements = [s for e in edges for s in d.statements(e)]
        if stake.stated:
            if holder in sure:
                total_low += stake.low
        else:
            unknown += 1
        if holder in sure:
            certain.append((d.caption(holder), stake))
        possible.append((d.caption(holder), stake))
        holdings.append(Holding(
            holder=d.node_id(holder), caption=d.caption(holder),
            percentage=stake.low if stake.known else None,
            share=stake.share.words if stake.stated else "share unknown", holder_status=how,
            evidence=all(is_evidence(s) for s in statements),
            sources=[s.provenance for s in statements],
            share_range=stake.share.text if stake.stated else None,
        ))
    return BlockedEntity(d.node_id(node), d.caption(node), d.schema(node), status, total_low,
                         unknown, holdings, reasoning=explain(status, certain, possible))


def _term(caption: str, stake: Stake) -> str:
    if not stake.stated:
        return f"{caption}: share unknown (0 to 100%)"
    return f"{caption}: {stake.share.words}"


def _bound_words(value: Share, *, upper: bool) -> str:
    if upper:
        return f"{'less than' if value.high_open else 'at most'} {value.high:g}%"
    if value.low == 0 and not value.low_open:
        return "0%"
    return f"{'more than' if value.low_open else 'at least'} {value.low:g}%"


def explain(status: str, certain: list[tuple[str, Stake]],
            possible: list[tuple[str, Stake]]) -> str:
    """The rule's arithmetic in words: what the certainly blocked holders hold at least, what
    the (possibly) blocked holders may hold at most, and which of them reaches 50%."""
    limit = f"{THRESHOLD:g}%"
    low = share_total(s.share for _, s in certain)
    high = share_total(s.share for _, s in possible)
    if len(certain) == 1:
        low_text = (f"the blocked holder ({_term(*certain[0])}) holds "
                    f"{_bound_words(low, upper=False)}")
    elif certain:
        terms = "; ".join(_term(c, s) for c, s in certain)
        low_text = (f"blocked holders ({terms}) hold together "
                    f"{_bound_words(low, upper=False)}")
    else:
        low_text = "no holder is blocked for certain"
    if status == "blocked":
        return f"{low_text}, which reaches {limit}: blocked"
    terms = "; ".join(_term(c, s) for c, s in possible)
    high_text = (f"the holders that are or may be blocked ({terms}) hold together "
                 f"{_bound_words(high, upper=True)}" if len(possible) > 1 else
                 f"the holder that is or may be blocked ({terms}) holds "
                 f"{_bound_words(high, upper=True)}")
    if status == "possibly blocked":
        return (f"{low_text}, short of {limit} for certain; {high_text}, which may reach "
                f"{limit}: possibly blocked")
    return f"{low_text}; {high_text}, which cannot reach {limit}: not blocked"


def ownership_status(idx: PathIndex, node: int, *,
                     authorities: set[str] | None = None) -> BlockedEntity | None:
    """Whether one entity is blocked by ownership, from the entities above it only (its status
    depends on nothing else); None when it is listed itself or cannot be blocked."""
    above, edges = _ancestors(idx, node)
    if len(above) == 1:
        return None
    all_stakes = stakes(idx, edges)
    listed = _listed(idx, above, authorities)
    if not listed:
        return None
    sure = fixpoint(listed, all_stakes.values(), upper=False)
    maybe = fixpoint(listed, all_stakes.values(), upper=True)
    return _answer(idx, node, all_stakes, listed, sure, maybe)


def blocked_entities(idx: PathIndex, *, authorities: set[str] | None = None,
                     possible: bool = True) -> list[BlockedEntity]:
    """Every entity blocked (and, with `possible`, possibly blocked) by ownership."""
    all_stakes = stakes(idx, idx.own_up_edge)
    nodes = {s.holder for s in all_stakes.values()} | {s.entity for s in all_stakes.values()}
    listed = _listed(idx, nodes, authorities)
    sure = fixpoint(listed, all_stakes.values(), upper=False)
    maybe = fixpoint(listed, all_stakes.values(), upper=True) if possible else sure
    out = []
    for node in sorted(maybe - listed, key=lambda n: (n not in sure, idx.details.caption(n))):
        answer = _answer(idx, node, all_stakes, listed, sure, maybe)
        if answer is not None:
            out.append(answer)
    return out


def blocked_by_ownership(store: Store, *, authorities: set[str] | None = None,
                         possible: bool = True) -> list[BlockedEntity]:
    return blocked_entities(store_index(store), authorities=authorities, possible=possible)


def entity_status(store: Store, text: str, *,
                  authorities: set[str] | None = None) -> BlockedEntity | None:
    idx = store_index(store)
    return ownership_status(idx, idx.index[find_node(store, text)], authorities=authorities)

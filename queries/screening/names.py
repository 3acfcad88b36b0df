"""The name features: the steps that make and move the similarity of (query, listed name)
pairs, a whole batch at a time, and what each says in an explanation.

The `name` step compares whole keys (rapidfuzz over the sorted and the written-order key);
each later step looks only at the pairs it can change, in a few vectorised calls or a short
loop over few pairs, and marks what it changed with its bit (`NameBatch.fire`). The default
order (`algorithms.NAME_STEPS`) is the order of this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from graph.matching import tuning
from graph.matching.compare import numbers
from graph.matching.text import abjad_key, given_first, query_acronyms
from graph.matching.words import (
    distinctive_agree,
    found_in,
    name_chain,
    soft_tokens,
    words_found,
)
from queries.screening.features import Kind, NameFeature, register
from queries.screening.types import Query, Variant

if TYPE_CHECKING:
    from queries.screening.matcher import Matcher

#: Names this alike as a whole are not looked at for a subset.
SUBSET_BELOW: Final = 0.97
#: A one-word name that is a word of a longer query (CITADEL for CITADEL HOLDING) counts
#: between ONE_WORD_FACTOR and ONE_WORD_MAX, by the share of the query's rarity it holds:
#: never a match on its own.
ONE_WORD_FACTOR: Final = 0.7
ONE_WORD_MAX: Final = ONE_WORD_FACTOR + tuning.SUBSET_COVER
#: An organisation's name of one short word that is the initials of the other (IMU, ISLAMIC
#: MOVEMENT OF UZBEKISTAN) scores this: review, never a match (initials are shared widely).
ACRONYM_SCORE: Final = 0.8
#: A name written in Arabic script and a Latin one (either the query's) count this much of
#: their consonants' similarity (`text.abjad_key`: vowels are not written there)...
ABJAD_FACTOR: Final = 0.95
#: ... held at `tuning.PERSON_WORD_CAP` (review) when the shorter has fewer consonants than
#: this: MHMD ALI is MOHAMMED ALI and MAHMOUD ALI alike.
ABJAD_LETTERS: Final = 8
#: Word by word (`tuning.SOFT_*`) runs in Python, a call per pair: only for each node's
#: closest name, and only for the SOFT_NODES nodes closest to the query as written and the
#: SOFT_FIRST the blocking ranked first (one first-ranked node measured as well as three on the
#: benchmark's sets, recall@1 0.915 against 0.914).
SOFT_NODES: Final = 3
SOFT_FIRST: Final = 1
#: Two names of ships or firms, both with a number, alike but for their numbers are held here
#: (review): sister ships of one yard, or one mistyped figure.
NUMBER_CAP: Final = 0.85
#: Two organisations' names whose generic words agree (TRADING, GROUP, SHIPPING: many firms
#: share them) but whose distinctive words do not (`words.distinctive_agree`: ROURA
#: INVESTMENTS, KB INVESTMENTS) are held here, below review: a generic word only adds when
#: the distinctive words agree.
GENERIC_CAP: Final = 0.7

SUBSET_NOTE: Final = "one name holds the other's words"


def first_per_group(groups: Any, values: Any) -> Any:
    """Positions of each group's largest value (the first one on ties), in group order."""
    order = np.lexsort((-values, groups))
    ordered = groups[order]
    head = np.empty(len(order), dtype=bool)
    head[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=head[1:])
    return order[head]


class NameBatch:
    """Every (query variant, listed name) pair of a batch, with the similarity each step makes
    (`sims`) and the bits of the steps that changed it (`how`). `matcher` gives the index's
    arrays and word weights."""

    def __init__(self, matcher: Matcher, queries: Sequence[Query], variants: Sequence[Variant],
                 pair_query: list[int], pair_entry: list[int], pair_variant: list[int],
                 floors: Sequence[float], bits: Mapping[str, int], settling: int) -> None:
        self.matcher = matcher
        self.index = matcher.index
        self.queries = queries
        self.variants = variants
        self.pair_query = pair_query
        self.pair_entry = pair_entry
        self.pair_variant = pair_variant
        self.floors = floors
        self.bits = bits
        self.settling = settling
        self.at = np.asarray(pair_entry, dtype=np.int64)
        self.which = np.asarray(pair_variant, dtype=np.int64)
        self.sims: Any = np.zeros(len(pair_entry), dtype=np.float64)
        self.how: Any = np.zeros(len(pair_entry), dtype=np.int64)
        self.exact: Any = np.zeros(len(pair_entry), dtype=bool)
        #: The `soft` step's word-by-word similarities, by pair (the `held` step reads them).
        self.by_word: dict[int, float] = {}
        self._across: Any = None
        self._groups: Any = None
        self._held: tuple[Any, Any, Any] | None = None
        # Each pair's strings by fancy indexing object arrays (per variant, per entry).
        self.q_keys = np.array([v.key for v in variants], dtype=object)[self.which]
        self.e_keys = self.index.entry_keys.take(self.at)

    def per_pair(self, flag: Callable[[Variant], bool]) -> Any:
        """A flag of each pair's query variant, as a boolean array over the pairs."""
        variants = self.variants
        return np.fromiter((flag(v) for v in variants), dtype=bool,
                           count=len(variants))[self.which]

    def fire(self, positions: Any, values: Any, feature: NameFeature) -> None:
        """Set these pairs' similarities and mark them as this feature's (its bit alone)."""
        self.sims[positions] = values
        self.how[positions] = self.bits[feature.name]

    def set_to(self, positions: list[int], value: float, feature: NameFeature) -> None:
        """Set these pairs' similarities to one value (a score or a cap), marking them."""
        if positions:
            self.fire(np.asarray(positions, dtype=np.int64), value, feature)

    def raise_to(self, positions: Any, values: Any, feature: NameFeature) -> None:
        """Raise these pairs' similarities to `values` where that is higher, marking those."""
        up = values > self.sims[positions]
        self.fire(positions[up], values[up], feature)

    def settled(self) -> Any:
        """Pairs a spelling-blind step must leave alone (`NameFeature.settles`)."""
        return (self.how & self.settling) != 0

    def held_words(self) -> tuple[Any, Any, Any]:
        if self._held is None:
            self._held = self.matcher.variant_words(self.variants)
        return self._held

    def covers(self, positions: Any) -> Any:
        """For these pairs, the share of the longer name's rarity the other's words hold."""
        return self.matcher.covers(self.held_words(), self.which[positions], self.at[positions])

    @property
    def groups(self) -> Any:
        """Each pair's (query, node) group number."""
        if self._groups is None:
            nodes = self.matcher.entry_entity_np[self.at]
            self._groups = (np.asarray(self.pair_query, dtype=np.int64)
                            * len(self.index.entities) + nodes)
        return self._groups

    @property
    def across(self) -> Any:
        """Pairs one side of which is written in Arabic script (and not equal)."""
        if self._across is None:
            arabic = self.per_pair(lambda v: v.abjad)
            self._across = (arabic | self.index.entry_abjad_script[self.at]) & ~self.exact
        return self._across

    def orders(self, p: int) -> tuple[tuple[str, str], tuple[str, str]]:
        """The query's and the name's consonants, as written and given names first."""
        query, entry = self.queries[self.pair_query[p]], self.pair_entry[p]
        first = given_first(query.name, query.schema or "Person")
        given = self.index.entry_given_first
        return ((abjad_key(self.variants[self.pair_variant[p]].tokens),
                 abjad_key(tuple(first.split()))),
                (self.index.entry_abjad[entry], abjad_key(tuple(given[entry].split()))))

    def tokens(self, p: int) -> tuple[str, ...]:
        return self.variants[self.pair_variant[p]].tokens


def _says(text: str) -> Callable[[NameFeature, Sequence[str], Sequence[str]], str]:
    """A note that is always the same words."""
    return lambda _feature, _tokens, _listed: text


def _silent(_feature: NameFeature, _tokens: Sequence[str], _listed: Sequence[str]) -> None:
    return None


def _held_note(text: str) -> Callable[[NameFeature, Sequence[str], Sequence[str]], str]:
    return lambda feature, _tokens, _listed: f"{text}, held at {feature.params['cap']:.2f}"


# -- name ------------------------------------------------------------------------------------

def _name(batch: NameBatch, feature: NameFeature) -> None:
    index, which = batch.index, batch.which
    plains = np.array([v.plain for v in batch.variants], dtype=object)
    ratio = fuzz.ratio
    key_ratio = cpdist(batch.q_keys, batch.e_keys, scorer=ratio)
    sims = np.maximum(key_ratio, cpdist(plains[which], index.entry_plains.take(batch.at),
                                        scorer=ratio))
    batch.sims = sims.astype(np.float64) / 100.0
    batch.exact = key_ratio >= 100.0


NAME = register(NameFeature(
    "name", Kind.NAME,
    "whole-name similarity (rapidfuzz ratio) of the match keys: Latin script, no legal form or "
    "vessel prefix, tokens sorted; the written order is tried too",
    {}, ("entry_keys", "entry_plains"), _name, _silent))


# -- sound -----------------------------------------------------------------------------------

def _sound(batch: NameBatch, feature: NameFeature) -> None:
    factor, floor, most = (feature.params[k] for k in ("factor", "floor", "raise"))
    sims = batch.sims
    near = np.flatnonzero(batch.per_pair(lambda v: v.sound_ok) & (sims >= floor)
                          & (sims < factor))
    if not len(near):
        return
    sounds = np.array([v.sound for v in batch.variants], dtype=object)
    heard = cpdist(sounds[batch.which[near]], batch.index.entry_skeletons.take(batch.at[near]),
                   scorer=fuzz.ratio)
    batch.raise_to(near, np.minimum(heard / 100.0 * factor, sims[near] + most), feature)


SOUND = register(NameFeature(
    "sound", Kind.NAME,
    "names whose consonant skeletons agree are transliteration variants (SHUGAEV/SHUGAYEV); "
    "an organisation's skeleton counts by its distinctive words alone",
    {"factor": tuning.SOUND_FACTOR, "floor": tuning.SOUND_FLOOR, "raise": tuning.SOUND_RAISE},
    ("entry_skeletons",), _sound, _says("sounds alike: transliteration variants")))


# -- subset and one word ---------------------------------------------------------------------

def subset_note(tokens: Sequence[str], words: Sequence[str]) -> str:
    """What a subset similarity rests on: that one name holds the other's words (each with a
    counterpart, `words.found_in`), or else the words they share."""
    shorter, longer = (words, tokens) if len(words) < len(tokens) else (tokens, words)
    found = [w for w in shorter if found_in(w, longer)]
    if len(found) == len(shorter):
        return SUBSET_NOTE
    return f"words in common: {', '.join(found).upper() or 'none'}"


def _subset_words(_feature: NameFeature, tokens: Sequence[str], listed: Sequence[str]) -> str:
    return subset_note(tokens, listed)


def _many(v: Variant) -> bool:
    return len(v.tokens) >= 2


def _subset(batch: NameBatch, feature: NameFeature) -> None:
    factor, cover, below = (feature.params[k] for k in ("factor", "cover", "below"))
    sims = batch.sims
    near = np.flatnonzero(batch.per_pair(_many) & batch.matcher.entry_spaced[batch.at]
                          & (sims < below))
    if not len(near):
        return
    subset = cpdist(batch.q_keys[near], batch.e_keys[near],
                    scorer=fuzz.token_set_ratio).astype(np.float64) / 100.0
    need = np.flatnonzero(subset * (factor + cover) > sims[near])
    if len(need):
        subset[need] *= factor + cover * batch.covers(near[need])
    batch.raise_to(near, subset, feature)


SUBSET = register(NameFeature(
    "subset", Kind.NAME,
    "a name holding the other's words (a person without the patronymic) counts by the share "
    "of the longer name's rarity the shorter covers",
    {"factor": tuning.SUBSET_FACTOR, "cover": tuning.SUBSET_COVER, "below": SUBSET_BELOW},
    ("entry_keys", "tokens"), _subset, _subset_words))


def _one_word(batch: NameBatch, feature: NameFeature) -> None:
    factor, cover, most = (feature.params[k] for k in ("factor", "cover", "max"))
    sims = batch.sims
    near = np.flatnonzero(batch.per_pair(_many) & ~batch.matcher.entry_spaced[batch.at]
                          & (sims < most))
    if not len(near):
        return
    covered = batch.covers(near)
    batch.raise_to(near, np.where(covered > 0.0, factor + cover * covered, 0.0), feature)


ONE_WORD = register(NameFeature(
    "one_word", Kind.NAME,
    "a listed name of one word that is a word of the query (CITADEL in CITADEL HOLDING): at "
    "most review, by the share of the query's rarity it holds",
    {"factor": ONE_WORD_FACTOR, "cover": tuning.SUBSET_COVER, "max": ONE_WORD_MAX},
    ("tokens",), _one_word, _subset_words))


# -- initials --------------------------------------------------------------------------------

def _acronym(batch: NameBatch, feature: NameFeature) -> None:
    score = feature.params["score"]
    single = batch.per_pair(lambda v: len(v.tokens) == 1)
    matcher = batch.matcher
    near = np.flatnonzero(matcher.entry_acronym[batch.at]
                          & (single == matcher.entry_spaced[batch.at]) & (batch.sims < score))
    forms = batch.index.entry_acronyms
    hits = [p for p in near.tolist()
            if set(query_acronyms(batch.tokens(p))).intersection(
                forms[batch.pair_entry[p]].split())]
    batch.set_to(hits, score, feature)


ACRONYM = register(NameFeature(
    "acronym", Kind.NAME,
    "an organisation's name of one short word that is the other's initials (IMU, ISLAMIC "
    "MOVEMENT OF UZBEKISTAN): review, never a match, since initials are shared widely",
    {"score": ACRONYM_SCORE}, ("entry_acronyms",), _acronym,
    _says("one name is the other's initials"), settles=True))


# -- Arabic script ---------------------------------------------------------------------------

def abjad_relative(ones: Sequence[str], others: Sequence[str]) -> str | None:
    """`word_missing` when a word of the shorter name (in consonants, `text.abjad_key`) is not
    in the other's, `name_chain` when the longer is the shorter after one word in front, else
    None. `ones` and `others`: each name's consonants in its written orders (as written first,
    then given names first)."""
    one, other = ones[0].split(), others[0].split()
    shorter, longer = (one, other) if len(one) <= len(other) else (other, one)
    if "".join(shorter) == "".join(longer):
        return None
    words, joined = set(longer), "".join(longer)
    if any(w not in words and (len(w) < 3 or w not in joined) for w in shorter):
        return WORD_MISSING_NAME
    if len(longer) == len(shorter) + 1:
        for a in ones:
            for b in others:
                x, y = a.split(), b.split()
                short, long = (x, y) if len(x) < len(y) else (y, x)
                if long[1:] == short:
                    return NAME_CHAIN_NAME
    return None


def _abjad(batch: NameBatch, feature: NameFeature) -> None:
    """Raise the similarity of pairs one of which is written in Arabic script to their
    consonants' (`text.abjad_key`): written order, sorted, and run together (ABDULLAH /
    عبد الله). A short one (MHMD ALI) is held at review; for people, so is a name missing a
    word of the other's (UDAY / QUSAY SADDAM HUSSEIN AL-TIKRITI) or one given name longer (a
    name chain): the relatives' features are marked beside this one."""
    across = batch.across
    if not across.any():
        return
    factor, letters, cap = (feature.params[k] for k in ("factor", "letters", "cap"))
    pairs = np.flatnonzero(across)
    person = batch.matcher.entry_person[batch.at[pairs]].tolist()
    picks = pairs.tolist()
    written = [batch.orders(p) for p in picks]
    ones = [one[0] for one, _other in written]
    others = [other[0] for _one, other in written]
    best = np.maximum.reduce([
        cpdist(ones, others, scorer=fuzz.ratio),
        cpdist([" ".join(sorted(a.split())) for a in ones],
               [" ".join(sorted(b.split())) for b in others], scorer=fuzz.ratio),
        cpdist([a.replace(" ", "") for a in ones], [b.replace(" ", "") for b in others],
               scorer=fuzz.ratio)]).astype(np.float64) / 100.0 * factor
    sims, how, bits = batch.sims, batch.how, batch.bits
    for j, (p, one, other) in enumerate(zip(picks, ones, others, strict=True)):
        sim = float(best[j])
        if sim <= sims[p] or not one or not other:
            continue
        code = bits[feature.name]
        if sim > cap:
            if min(len(one.replace(" ", "")), len(other.replace(" ", ""))) < letters:
                sim = cap
            elif person[j]:
                relative = abjad_relative(*written[j])
                if relative:
                    code |= bits.get(relative, 0)
                    sim = cap
        if sim > sims[p]:
            sims[p], how[p] = sim, code


ABJAD = register(NameFeature(
    "abjad", Kind.NAME,
    "a name in Arabic script and a Latin one compare by their consonants (that script writes "
    "no short vowels)",
    {"factor": ABJAD_FACTOR, "letters": ABJAD_LETTERS, "cap": tuning.PERSON_WORD_CAP},
    ("entry_abjad", "entry_given_first"), _abjad,
    _says("same consonants across scripts (Arabic script writes no short vowels)"),
    settles=True))


# -- word by word ----------------------------------------------------------------------------

def _soft(batch: NameBatch, feature: NameFeature) -> None:
    """Word by word (`soft_tokens`) for the closest name of the nodes nearest each query as
    written and of those the blocking ranked first (the rarest words shared: TUPIKIN, NIKOLAY
    finds TUPIKIN, NIKOLAI ALEKSANDROVICH there, far down as written), and only where it can
    change the answer: not once another node matched the query exactly, unless country or
    date could still move the scores."""
    params = feature.params
    floor, below, factor = params["floor"], params["below"], params["factor"]
    nodes, firsts = int(params["nodes"]), int(params["first"])
    sims, groups = batch.sims, batch.groups
    pair_query = batch.pair_query
    sim_list = sims.tolist()
    exact_queries = {pair_query[p] for p in np.flatnonzero(batch.exact).tolist()}
    softs: dict[int, list[tuple[int, int]]] = {}
    winners = first_per_group(groups, sims).tolist()
    ranks = first_per_group(groups, -np.arange(len(groups))).tolist()
    settled = batch.settled().tolist()
    for p, rank in zip(winners, ranks, strict=True):
        if floor <= sim_list[p] < below and not settled[p]:
            softs.setdefault(pair_query[p], []).append((p, rank))
    plains, weight = batch.index.entry_plains, batch.matcher.weight
    bit = batch.bits[feature.name]
    for q, found in softs.items():
        query = batch.queries[q]
        if q in exact_queries and not (query.countries or query.date):
            continue
        nearest = sorted(found, key=lambda f: -sim_list[f[0]])[:nodes]
        earliest = sorted(found, key=lambda f: f[1])[:firsts]
        for p in dict.fromkeys(f[0] for f in (*nearest, *earliest)):
            tokens = batch.tokens(p)
            written = plains[batch.pair_entry[p]].split()
            if len(tokens) < 2 and len(written) < 2:
                continue
            by_word = batch.by_word[p] = soft_tokens(tokens, written, weight) * factor
            if by_word > sim_list[p]:
                sims[p], batch.how[p] = by_word, bit


SOFT = register(NameFeature(
    "soft", Kind.NAME,
    "word by word, each word's best counterpart in any spelling, rare words weighing more "
    "(spelling variants across transliterations: SERGEY/SERGEI)",
    {"floor": tuning.SOFT_FLOOR, "below": tuning.SOFT_TOKENS_BELOW,
     "factor": tuning.SOFT_FACTOR,
     "nodes": SOFT_NODES, "first": SOFT_FIRST}, ("entry_plains", "tokens"), _soft,
    _says("word by word, rare words weigh more")))


def _held(batch: NameBatch, feature: NameFeature) -> None:
    slack = feature.params["slack"]
    sims = batch.sims
    held = [(p, by_word + slack) for p, by_word in batch.by_word.items()
            if by_word + slack < sims[p]]
    if held:
        batch.fire(np.asarray([p for p, _ in held], dtype=np.int64),
                   np.asarray([s for _, s in held]), feature)


HELD = register(NameFeature(
    "held", Kind.NAME,
    "names alike letter by letter but not in their rare words (PRODUCTION AND COMMERCIAL "
    "COMPANY VIVA is not ... COMMERCIAL FIRM TONAR) are held a little above word by word",
    {"slack": tuning.RARE_SLACK}, ("entry_plains", "tokens"), _held,
    _says("rare words differ, held to word-by-word")))


# -- relatives -------------------------------------------------------------------------------

def _persons(batch: NameBatch, feature: NameFeature) -> list[int]:
    """Pairs of two people's names of two words or more, alike enough to check for a relative
    and above the cap."""
    check, cap = feature.params["from"], feature.params["cap"]
    sims = batch.sims
    keys = batch.index.entry_keys
    found = np.flatnonzero(batch.matcher.entry_person[batch.at] & ~batch.exact
                           & ~batch.settled() & (sims >= check)).tolist()
    return [p for p in found if sims[p] > cap and len(batch.tokens(p)) >= 2
            and len(keys[batch.pair_entry[p]].split()) >= 2]


def _word_missing(batch: NameBatch, feature: NameFeature) -> None:
    keys, across = batch.index.entry_keys, batch.across
    hits = []
    for p in _persons(batch, feature):
        if across[p]:
            # As ICU spells Arabic script, given names are often two letters (علي: LY,
            # عدي: DY), which count as particles: compare the consonants instead.
            if abjad_relative(*batch.orders(p)) == feature.name:
                hits.append(p)
        elif not words_found(batch.tokens(p), keys[batch.pair_entry[p]].split()):
            hits.append(p)
    batch.set_to(hits, feature.params["cap"], feature)


WORD_MISSING = register(NameFeature(
    "word_missing", Kind.NAME,
    "two people whose names differ in a whole word (ALI / UDAY SADDAM HUSSEIN AL-TIKRITI, "
    "ALEKSANDR / ALEKSEI ALEKSANDROVICH ZHURAVLEV) are relatives, not one person: review",
    {"cap": tuning.PERSON_WORD_CAP, "from": tuning.PERSON_CHECK_FROM}, ("entry_keys",),
    _word_missing,
    _held_note("a given name or surname differs")))
WORD_MISSING_NAME: Final = WORD_MISSING.name


def _name_chain(batch: NameBatch, feature: NameFeature) -> None:
    keys, plains, across = batch.index.entry_keys, batch.index.entry_plains, batch.across
    given = batch.index.entry_given_first
    hits = []
    for p in _persons(batch, feature):
        entry = batch.pair_entry[p]
        if across[p]:
            if abjad_relative(*batch.orders(p)) == feature.name:
                hits.append(p)
            continue
        tokens, query = batch.tokens(p), batch.queries[batch.pair_query[p]]
        if abs(len(tokens) - len(keys[entry].split())) == 1 and name_chain(
                {" ".join(tokens), given_first(query.name, query.schema or "Person")},
                {plains[entry], given[entry]}):
            hits.append(p)
    batch.set_to(hits, feature.params["cap"], feature)


NAME_CHAIN = register(NameFeature(
    "name_chain", Kind.NAME,
    "a name that is the other's but for a given name before it is a name chain (ALI SADDAM "
    "HUSSEIN AL-TIKRITI, son of SADDAM HUSSEIN AL-TIKRITI): another person, or at best one a "
    "person must look at",
    {"cap": tuning.PERSON_WORD_CAP, "from": tuning.PERSON_CHECK_FROM},
    ("entry_plains", "entry_given_first"),
    _name_chain,
    _held_note("one name is the other's after a given name (a parent or child in a name "
               "chain)")))
NAME_CHAIN_NAME: Final = NAME_CHAIN.name


# -- numbers ---------------------------------------------------------------------------------

def _number(batch: NameBatch, feature: NameFeature) -> None:
    """Only queries whose name holds a number are looked at, and only their pairs above the
    cap with a listed name that is no person's (a person's initial V is no Roman five)."""
    cap = feature.params["cap"]
    counted = batch.per_pair(lambda v: bool(numbers(v.tokens)))
    if not counted.any():
        return
    keys = batch.index.entry_keys
    near = np.flatnonzero(counted & ~batch.exact & (batch.sims > cap)
                          & ~batch.matcher.entry_person[batch.at]).tolist()
    hits = []
    for p in near:
        listed = numbers(tuple(keys[batch.pair_entry[p]].split()))
        if listed and listed != numbers(batch.tokens(p)):
            hits.append(p)
    batch.set_to(hits, cap, feature)


def _number_words(feature: NameFeature, tokens: Sequence[str], listed: Sequence[str]) -> str:
    ours, theirs = numbers(tuple(tokens)), numbers(tuple(listed))
    return (f"numbers differ ({'/'.join(sorted(ours)).upper()} against "
            f"{'/'.join(sorted(theirs)).upper()}: a sister ship or firm of the same name, or a "
            f"mistyped number), held at {feature.params['cap']:.2f}")


NUMBER = register(NameFeature(
    "number", Kind.NAME,
    "names alike but for a number (HYUNDAI MIPO 2655 / 2656, yard or hull numbers; ZAVOD 1 / "
    "2) are sister ships or sister firms, or the number is mistyped: review, never a match",
    {"cap": NUMBER_CAP}, ("entry_keys",), _number, _number_words))


# -- generic words ---------------------------------------------------------------------------

def _generic(batch: NameBatch, feature: NameFeature) -> None:
    """Only pairs the cap can change the answer for: above it, and reaching their query's
    floor (below which they are dropped anyway)."""
    cap = feature.params["cap"]
    sims, matcher = batch.sims, batch.matcher
    reach = sims >= np.asarray(batch.floors)[np.asarray(batch.pair_query)]
    orgs = batch.per_pair(lambda v: v.org)
    plains = batch.index.entry_plains
    hits = [p for p in np.flatnonzero(orgs & matcher.entry_org[batch.at] & ~batch.exact
                                      & ~batch.settled() & (sims > cap) & reach).tolist()
            if not distinctive_agree(batch.tokens(p), plains[batch.pair_entry[p]].split())]
    batch.set_to(hits, cap, feature)


GENERIC = register(NameFeature(
    "generic", Kind.NAME,
    "generic words do not make a match: two organisations' names whose distinctive words have "
    "no counterpart (ROURA INVESTMENTS, KB INVESTMENTS) are held below review, whatever "
    "TRADING, GROUP or SHIPPING they share",
    {"cap": GENERIC_CAP}, ("entry_plains",), _generic,
    _held_note("only generic words agree")))


# -- short names, exact names ----------------------------------------------------------------

def _short(batch: NameBatch, feature: NameFeature) -> None:
    """Never below 0: a node found by its IMO number whose one short name shares nothing
    with the query's (OLYMPIA, queried as X) stays a candidate at the floor of 0."""
    size, penalty = feature.params["chars"], feature.params["penalty"]
    penalised = (batch.per_pair(lambda v: len(v.key) < size)
                 & batch.matcher.entry_short[batch.at] & ~batch.exact)
    sims = batch.sims
    sims[penalised] = np.maximum(sims[penalised] - penalty, 0.0)
    batch.how[penalised] |= batch.bits[feature.name]


SHORT = register(NameFeature(
    "short", Kind.NAME,
    "a near-miss on a short name (MARIA~MARINA) is often another ship: both names shorter "
    "than `chars` and not equal lose `penalty`",
    {"chars": tuning.SHORT_NAME, "penalty": tuning.SHORT_NAME_PENALTY}, ("entry_short",),
    _short,
    lambda feature, _tokens, _listed: f"short name {-feature.params['penalty']:+.2f}"))


def _exact(batch: NameBatch, feature: NameFeature) -> None:
    batch.how[batch.exact] = batch.bits[feature.name]


EXACT = register(NameFeature(
    "exact", Kind.NAME, "the match keys are equal: nothing else is said of the names",
    {}, ("entry_keys",), _exact, _silent))

"""Word-level measures between two names, shared by screening and resolution: word-by-word
similarity weighted by rarity (`soft_tokens`), whether every word of one name has a
counterpart in the other (`words_found`, `found_in`), whether one name is the other's after one
more given name (`name_chain`, a parent or child in a name chain), and whether two
organisations' names agree in the words that say who they are (`distinctive_agree`, over
`text.distinctive`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from itertools import pairwise
from typing import Final

from rapidfuzz import fuzz
from rigour.names import remove_person_prefixes

from graph.matching.text import distinctive, skeleton

#: Weight of a word of the longer name that has no counterpart in the shorter.
EXTRA_WORD_WEIGHT: Final = 0.3
#: Words before a person's name that are a title, not a given name (rigour's person prefixes,
#: Mr, Dr..., are checked besides): SHEIKH HASSAN DAHIR AWEYS is HASSAN DAHIR AWEYS.
HONORIFICS: Final = frozenset({
    "sheikh", "shaykh", "sheik", "shaikh", "haji", "hajji", "hadji", "mullah", "mulla",
    "maulana", "mawlana", "maulvi", "mawlawi", "moulavi", "sayyid", "sayed", "syed", "imam",
    "qari", "hafiz", "ustadh", "ustad", "emir", "amir", "general", "colonel", "major"})
#: Words of a person's name are counterparts when this alike (SERGEY/SERGEI; words of four
#: letters or less: SHORT_WORD_FOUND, ABU/ABOU)...
WORD_FOUND: Final = 80.0
SHORT_WORD_FOUND: Final = 85.0
#: A word whose consonant skeleton is one of the other name's scores this (of 100) word by word.
SOUND_WORD: Final = 90.0


def soft_tokens(tokens: Sequence[str], others: Sequence[str],
                weight: Callable[[str], float]) -> float:
    """Word-by-word similarity of two names: every word, of either name, is scored by its best
    rapidfuzz ratio against the other name's words, and the scores are averaged weighted by the
    word's rarity in the index (`weight`), so a rare word found (ITERANET, TSEKOV) counts far
    more than a common one (OBSHCHESTVO, SERGEY) and spelling variants (SERGEI) count nearly
    whole. A word whose skeleton is one of the other name's counts SOUND_WORD at least."""
    ratio = fuzz.ratio
    # One ratio per pair of words: rows are `tokens`, columns `others`.
    grid = [[ratio(t, o) for o in others] for t in tokens]
    sounds = [skeleton(t) if len(t) >= 3 else "" for t in tokens]
    other_sounds = [skeleton(o) if len(o) >= 3 else "" for o in others]
    heard, other_heard = set(sounds), set(other_sounds)
    heard.discard("")
    other_heard.discard("")
    first_longer = len(tokens) > len(others)
    total = mass = 0.0
    for side_longer, words, bests, skeletons, known in (
            (first_longer, tokens, [max(row) for row in grid], sounds, other_heard),
            (not first_longer, others,
             [max(col) for col in zip(*grid, strict=True)], other_sounds, heard)):
        for word, best, sound in zip(words, bests, skeletons, strict=True):
            w = weight(word)
            if best < SOUND_WORD and sound and sound in known:
                best = SOUND_WORD
            # A word less than 40 % like every other word is not found at all.
            if best > 40.0:
                total += w * (best - 40.0) / 60.0
            elif side_longer:
                # The longer name's extra words (a patronymic, a second surname) cost less
                # than a word of the shorter name that is missing.
                w *= EXTRA_WORD_WEIGHT
            mass += w
    return total / mass if mass else 0.0


def words_found(tokens: Sequence[str], words: Sequence[str]) -> bool:
    """Whether every word of the shorter name (the query's on a tie) has a counterpart in the
    other (`found_in`), an initial or a particle of two letters or less counting as found."""
    shorter, longer = (words, tokens) if len(words) < len(tokens) else (tokens, words)
    return all(len(word) <= 2 or found_in(word, longer) for word in shorter)


def found_in(word: str, words: Sequence[str], sound_letters: int = 0) -> bool:
    """Whether a word has a counterpart among `words`: itself, a word WORD_FOUND alike (short
    words SHORT_WORD_FOUND: ALI is not AL, ABU is ABOU), one of the same consonant skeleton of
    at least `sound_letters` consonants (YEVGENIY/EVGENY), or two adjacent words written as one
    (ABDELRAHMAN / ABD AL RAHMAN)."""
    if word in words:
        return True
    ratio = fuzz.ratio
    needed = WORD_FOUND if len(word) > 4 else SHORT_WORD_FOUND
    if any(ratio(word, other) >= needed for other in words):
        return True
    if len(word) >= 3:
        sound = skeleton(word)
        if len(sound) >= sound_letters and any(
                len(other) >= 3 and skeleton(other) == sound for other in words):
            return True
    return any(ratio(word, a + b) >= WORD_FOUND for a, b in pairwise(words))


def name_chain(ones: Collection[str], others: Collection[str]) -> bool:
    """Whether a name, in one of its written orders, is another's with one more given name in
    front (`ones` and `others`: each name's words in written order, as written and given
    names first)."""
    for longer, shorter in ((ones, others), (others, ones)):
        for name in longer:
            first, _, rest = name.partition(" ")
            if rest and rest in shorter and first not in HONORIFICS \
                    and remove_person_prefixes(name) == name:
                return True
    return False


def distinctive_agree(tokens: Sequence[str], words: Sequence[str]) -> bool:
    """Whether two organisations' names can be one firm's by their words: a distinctive word
    of either has a counterpart among the other's words (`found_in`, skeletons of three
    consonants or more: HUA XIN is HUAXIN), or neither has a distinctive word. ROURA
    INVESTMENTS is not KB INVESTMENTS, nor MARINE TRANS SHIPPING VICTORY SHIPPING & MARINE,
    whatever their generic words add."""
    own, theirs = distinctive(tuple(tokens)), distinctive(tuple(words))
    # A word both hold settles it before any spelling is compared (found_in's first test).
    if any(word in words for word in own) or any(word in tokens for word in theirs):
        return True
    return (not own and not theirs) \
        or any(found_in(word, words, sound_letters=3) for word in own) \
        or any(found_in(word, tokens, sound_letters=3) for word in theirs)

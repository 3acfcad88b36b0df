"""The steps of the name measures that screening (`queries.screening.names`) and resolution
(`graph.matching.compare`) share: one figure in one place, each with why. Where the two must
differ (a record compared with a record, not a query with an index), the difference is named
where it is set (`compare`'s docstring)."""

from __future__ import annotations

from typing import Final

#: Names whose consonant skeletons agree (SHUGAEV/SHUGAYEV, MHMD/MUHAMMAD) count this much of
#: their skeletons' similarity (a word whose skeleton is another's: `words.SOUND_WORD`)...
SOUND_FACTOR: Final = 0.93
#: ... for names already this alike as written (TRINITI and ITERANET share a skeleton, TRNT).
SOUND_FLOOR: Final = 0.6
#: ... and raise a name's similarity by this much at most: SABINE BOUTIN and BOUTHANIA SHAABAN
#: share skeletons (SBN BTN) but are two names.
SOUND_RAISE: Final = 0.15
#: Skeletons of fewer consonants than this are too common to raise anything (DENA, DOWNY: both
#: DN).
SOUND_LETTERS: Final = 4
#: A name whose words all occur in the other name (missing patronymic, extra word) counts
#: between SUBSET_FACTOR and SUBSET_FACTOR + SUBSET_COVER of a full match, by the share of the
#: longer name's weight the shorter covers: SERGEY MATVIYENKO in MATVIYENKO SERGEY
#: VLADIMIROVICH matches; AL JIHAD in AL QAIDA OF JIHAD IN THE ARABIAN PENINSULA does not.
SUBSET_FACTOR: Final = 0.8
SUBSET_COVER: Final = 0.15
#: Word-by-word similarity (for spelling variants across transliterations: SERGEY/SERGEI) is
#: computed when the whole-name measures stay under SOFT_TOKENS_BELOW and at least SOFT_FLOOR
#: (nothing word by word would rescue names less alike), and counts SOFT_FACTOR of a full
#: match.
SOFT_TOKENS_BELOW: Final = 0.9
SOFT_FACTOR: Final = 0.95
SOFT_FLOOR: Final = 0.4
#: A name alike letter by letter scores at most this much above its word-by-word similarity
#: (PRODUCTION AND COMMERCIAL COMPANY VIVA is not ... COMMERCIAL FIRM TONAR).
RARE_SLACK: Final = 0.1
#: A person's name one of whose words has no counterpart in the other's (ALI / UDAY SADDAM
#: HUSSEIN AL-TIKRITI), or that is the other's after one more given name (a name chain), is
#: held at this: relatives share all but a given name. Checked for names this alike or more.
PERSON_WORD_CAP: Final = 0.85
PERSON_CHECK_FROM: Final = 0.8
#: Non-identical names both shorter than SHORT_NAME characters (their match keys) lose
#: SHORT_NAME_PENALTY: a near-miss on a short name (MARIA~MARINA) is often another ship.
SHORT_NAME: Final = 8
SHORT_NAME_PENALTY: Final = 0.06

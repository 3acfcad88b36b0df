"""Shares as stated: an exact figure or a range with open or closed ends, in percent.

Registers state stakes as bands ("more than 25% but not more than 50%"), the Beneficial
Ownership Data Standard as `minimum`/`maximum` with exclusive variants, analysts' files as a
figure. Every layer speaks one form of it, `Share`: the lower and upper bound and whether each
end is open. A relation keeps a stated exact figure in its `percentage`, as before, and a range
as the text of its `share` property (`SHARE_PROPERTY`, e.g. ">25,<=50"), so the store's layout
does not change; `stated_share` reads either back into a `Share`.

The text form (`Share.text`, read by `parse_share`) is `25` for an exact figure and
`>25,<=50`, `>=25,<50`, `25-50` (both ends closed) for a range; `>50` and `<25` leave the other
end at 100 or 0, closed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

#: The relation property that holds a stated range, as `Share.text`.
SHARE_PROPERTY: Final = "share"

_BOUND = re.compile(r"^(>=|<=|>|<|≥|≤)?\s*(\d+(?:\.\d+)?)\s*%?$")
_RANGE = re.compile(r"^(\d+(?:\.\d+)?)\s*%?\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)\s*%?$")


def _figure(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class Share:
    """A share in percent: every value v with low <(=) v <(=) high, `low_open` and `high_open`
    saying whether the end itself is excluded."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    @property
    def valid(self) -> bool:
        """Whether this is a share one holder can hold: within 0..100 and not empty."""
        if math.isnan(self.low) or math.isnan(self.high):
            return False
        if not 0 <= self.low <= self.high <= 100:
            return False
        return not (self.low == self.high and (self.low_open or self.high_open))

    @classmethod
    def exact(cls, value: float) -> Share:
        return cls(value, value)

    @classmethod
    def unknown(cls) -> Share:
        return cls(0.0, 100.0)

    @property
    def is_exact(self) -> bool:
        return self.low == self.high

    @property
    def text(self) -> str:
        """The stored form: `25`, `25-50`, `>25,<=50`."""
        if self.is_exact:
            return _figure(self.low)
        if not self.low_open and not self.high_open:
            return f"{_figure(self.low)}-{_figure(self.high)}"
        return (f"{'>' if self.low_open else '>='}{_figure(self.low)},"
                f"{'<' if self.high_open else '<='}{_figure(self.high)}")

    @property
    def words(self) -> str:
        """The share as a register states it: "more than 25%, at most 50%"."""
        if self.is_exact:
            return f"{_figure(self.low)}%"
        if self.low == 0 and self.high == 100 and not self.low_open and not self.high_open:
            return "share unknown"
        parts = []
        if self.low > 0 or self.low_open:
            parts.append(f"{'more than' if self.low_open else 'at least'} {_figure(self.low)}%")
        if self.high < 100 or self.high_open:
            parts.append(f"{'less than' if self.high_open else 'at most'} {_figure(self.high)}%")
        return ", ".join(parts)

    def __add__(self, other: Share) -> Share:
        """The sum of two stakes: bounds add, an end is open when either summand's is. The
        upper bound may exceed 100 (holders' stated bands overlap); it is kept as stated."""
        return Share(self.low + other.low, self.high + other.high,
                     self.low_open or other.low_open, self.high_open or other.high_open)


def total(shares: Iterable[Share]) -> Share:
    """The sum of stakes (0 when there are none)."""
    result = Share(0.0, 0.0)
    for share in shares:
        result = result + share
    return result


def certainly_reaches(value: Share, threshold: float, epsilon: float = 0.0) -> bool:
    """Whether every value of the range is at least `threshold`: the lower bound reaches it
    (an open lower bound at the threshold, "more than 50%", reaches it too)."""
    return value.low >= threshold - epsilon


def possibly_reaches(value: Share, threshold: float, epsilon: float = 0.0) -> bool:
    """Whether some value of the range is at least `threshold`: the upper bound passes it, or
    meets it with a closed end ("at most 50%" may be 50%; "less than 50%" never is)."""
    if value.high > threshold + epsilon:
        return True
    return abs(value.high - threshold) <= epsilon and not value.high_open


def exact_total(shares: Sequence[Share]) -> tuple[Fraction, bool, Fraction, bool]:
    """The sum as exact fractions (for tests and oracles): low, low_open, high, high_open."""
    return (sum((Fraction(s.low) for s in shares), Fraction(0)), any(s.low_open for s in shares),
            sum((Fraction(s.high) for s in shares), Fraction(0)),
            any(s.high_open for s in shares))


def parse_share(text: str) -> Share | None:
    """A share from its text: `25`, `25%`, `25-50`, `>50`, `<=50`, `>25,<=50`, `>25 <=50`;
    None when the text is none of these or out of 0..100 (cleaners never raise)."""
    raw = text.strip().replace("%", "").strip()
    if not raw:
        return None
    try:
        if (whole := _RANGE.match(raw)) is not None:
            low, high = float(whole.group(1)), float(whole.group(2))
            share = Share(low, high)
            return share if share.valid else None
        parts = [p for p in re.split(r"[,\s]+(?=[<>≤≥])|,", raw) if p.strip()]
        if not 1 <= len(parts) <= 2:
            return None
        low, high, low_open, high_open = 0.0, 100.0, False, False
        seen_low = seen_high = False
        for part in parts:
            bound = _BOUND.match(part.strip())
            if bound is None:
                return None
            op, value = bound.group(1) or "", float(bound.group(2))
            if not op:
                if len(parts) == 1:
                    share = Share.exact(value)
                    return share if share.valid else None
                return None
            if op in (">", ">=", "≥"):
                if seen_low:
                    return None
                low, low_open, seen_low = value, op == ">", True
            else:
                if seen_high:
                    return None
                high, high_open, seen_high = value, op == "<", True
        share = Share(low, high, low_open, high_open)
        return share if share.valid else None
    except ValueError:
        return None


def stated_share(percentage: float | None,
                 properties: Mapping[str, Sequence[str]]) -> Share | None:
    """The share a relation states: its range (the `share` property) or its exact figure;
    None when it states neither."""
    for text in properties.get(SHARE_PROPERTY, ()):
        share = parse_share(text)
        if share is not None:
            return share
    if percentage is not None and Share.exact(percentage).valid:
        return Share.exact(percentage)
    return None


def share_fields(share: Share | None) -> tuple[float | None, dict[str, tuple[str, ...]]]:
    """How a loader writes a share on a relation: the exact figure as `percentage`, a range
    as the `share` property."""
    if share is None:
        return None, {}
    if share.is_exact:
        return share.low, {}
    return None, {SHARE_PROPERTY: (share.text,)}


__all__ = ["SHARE_PROPERTY", "Share", "certainly_reaches", "exact_total", "parse_share",
           "possibly_reaches", "share_fields", "stated_share", "total"]

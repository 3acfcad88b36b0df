"""Screening's default settings, apart from the matcher so the CLI can show them in its help
without importing the screening stack."""

from __future__ import annotations

from typing import Final

#: Default decision thresholds (calibrated with benchmarks/screening.py: at 0.90 precision on
#: the perturbed and cross-list sets stays above 0.98 while typos of long names still match).
MATCH_THRESHOLD: Final = 0.90
REVIEW_THRESHOLD: Final = 0.75
DEFAULT_LIMIT: Final = 5
#: The algorithm (a named list of features, `algorithms.ALGORITHMS`) used when none is named.
DEFAULT_ALGORITHM: Final = "sg-screen"

__all__ = ["DEFAULT_ALGORITHM", "DEFAULT_LIMIT", "MATCH_THRESHOLD", "REVIEW_THRESHOLD"]

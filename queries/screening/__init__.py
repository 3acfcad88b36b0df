"""Screening internals: the index (`index`), the scoring (`matcher`), files (`io`), text keys
(`text`). The public API is `queries.screen`."""

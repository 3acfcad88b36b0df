"""Entity resolution across lists: blocking, explained scores, human judgements, clusters.

- `records`: what the matcher sees of one record (names normalised, identifiers, countries,
  dates) and its fingerprint;
- `blocking`: candidate pairs from shared keys, never all pairs;
- `scoring`: named, weighted features and the explanation of every score;
- `decisions`: thresholds, the review band, and human judgements that win over scores;
- `rivals`: a close call is not a merge (a record fitting two different candidates equally);
- `clusters`: connected components with cannot-link constraints and stable canonical ids;
- `engine`: `resolve` (incremental), `explain`, `judge`, the review queue, over a store.

The store applies stored merges and judgements on every load (`graph.resolve`); this package
never imports the store at module level except in `engine`.
"""

"""The load path: files read by a loader (`loaders`), written into the store (`graph.store`) as
one list version in one transaction (`pipeline.ingest.load_file`), or downloaded from a list's
official address first (`pipeline.fetch.fetch`).

Loaders know nothing of the store and the store nothing of file formats; this package is where
the two meet, so neither `graph` nor `queries` imports `loaders`."""

"""Name comparison shared by screening (`queries.screening`) and resolution
(`graph.resolution`): the text keys a name is compared by (`text`) and the word-level
measures between two names (`words`)."""

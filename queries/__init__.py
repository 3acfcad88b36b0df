"""Queries over the embedded store: pure functions that take a store and return plain results."""

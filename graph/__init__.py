"""sanctions-graph: sanctions lists and shipping registries merged into one graph."""

__version__ = "0.1.0"

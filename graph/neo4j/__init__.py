"""The graph in Neo4j: its shape (labels, relationship types, properties), the live sync over the
official driver, the bulk-import export, and the named Cypher query library.

Everything Neo4j sees is built once, by `graph.neo4j.shape.build_graph`, from the store's merged
view: the live sync and the bulk export write the same rows, so a graph imported in bulk and
then pushed reports no change.
"""

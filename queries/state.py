"""State actors in a store: the nodes that are one, and why (the definition is `graph.state`'s,
shared with the Neo4j graph's `:StateActor` label)."""

from __future__ import annotations

from graph.model import Schema
from graph.state import STATE_SCHEMATA, STATE_TOPICS, StateActor, state_actor_from
from graph.store import Store

__all__ = ["STATE_SCHEMATA", "STATE_TOPICS", "StateActor", "state_actor", "state_actor_from",
           "state_actor_ids"]


def state_actor(store: Store, node_id: str) -> StateActor | None:
    node = store.node(node_id)
    if node is None:
        return None
    return state_actor_from(node.schema, store.facts(node_id))


def state_actor_ids(store: Store) -> set[str]:
    """Every node that is a state actor (for building the path index)."""
    found: set[str] = set()
    for topic in STATE_TOPICS:
        found.update(store.by_property("topics", topic))
    found.update(n.id for n in store.iter_nodes() if n.schema == Schema.PUBLIC_BODY.value)
    schemata = {s.value for s in STATE_SCHEMATA}
    return {
        node_id for node_id in found
        if (node := store.node(node_id)) is not None and node.schema in schemata
    }

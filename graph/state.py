"""What makes a node a state actor: governments, ministries, armed forces, state-owned enterprises.

Only the sources' own words count, never a guess from a name:

- the FtM schema `PublicBody` (a list or an evidence file says the entity is a public body);
- the FtM topics `gov*` and `mil` on a party, which loaders set from what a list states: OFAC's
  remark "Target Type Government Entity" becomes `gov` and "Target Type State-Owned Enterprise"
  `gov.soe` (loaders/ofac_csv.py); the UN loader tags the DPRK bodies the Security Council lists
  as organs of the state (the Munitions Industry Department ...) with `gov`; an evidence file can
  state the topic for an entity it describes or points at (`same_as`).

No list of names is matched here: a name list would mark an entity as a state actor on no
source's word, and the lists that matter already state it.

Countries are state actors too. A claim such as "supplied by the North Korean state" ends at a
node for that state: an evidence entity of schema `PublicBody`, named for the government
("Government of the Democratic People's Republic of Korea"), with the country (`kp`) and the
topic `gov`, as the bundled RUSI example file does. A flag or a jurisdiction stays a property
(`flag`, `country`): a ship registered in Russia is not thereby linked to the Russian state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from graph.model import Schema
from graph.view import Fact, Provenance

#: FtM topics that mark a state actor, with what each means. `gov.igo` (an intergovernmental
#: organisation) is left out: the UN is not a state.
STATE_TOPICS: Final = {
    "gov": "government body",
    "gov.national": "national government",
    "gov.state": "state or regional government",
    "gov.muni": "municipal government",
    "gov.soe": "state-owned enterprise",
    "gov.head": "head of state or government",
    "gov.admin": "government administration",
    "gov.executive": "executive branch",
    "gov.legislative": "legislature",
    "gov.judicial": "judiciary",
    "gov.security": "security services",
    "gov.financial": "state financial body",
    "mil": "armed forces",
}

#: Schemata that can be a state actor (a person is not the state, even an official).
STATE_SCHEMATA: Final = frozenset(
    {Schema.PUBLIC_BODY, Schema.ORGANIZATION, Schema.COMPANY, Schema.LEGAL_ENTITY}
)


@dataclass(frozen=True, slots=True)
class StateActor:
    """Why a node is a state actor, and who says so."""

    kind: str
    reason: str
    stated_by: tuple[Provenance, ...]


def state_actor_from(schema: str, facts: Iterable[Fact]) -> StateActor | None:
    """A node's state-actor status from its schema and its facts (topics)."""
    try:
        parsed = Schema(schema)
    except ValueError:
        return None
    if parsed not in STATE_SCHEMATA:
        return None
    topics: dict[str, list[Provenance]] = {}
    for fact in facts:
        if fact.prop == "topics" and fact.value in STATE_TOPICS:
            topics.setdefault(fact.value, []).append(fact.provenance)
    if topics:
        # The most specific topic names the kind (a state-owned enterprise over "government").
        topic = max(topics, key=lambda t: (t != "gov", t))
        return StateActor(STATE_TOPICS[topic], f"topic {topic}", tuple(topics[topic]))
    if parsed is Schema.PUBLIC_BODY:
        return StateActor("public body", "schema PublicBody", ())
    return None

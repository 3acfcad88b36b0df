"""Relations a list states by name only (OFAC's `Linked To: NAME`, a vessel's owner, an aircraft's
operator), resolved to the one entry of that name in the same file. A name that fits no entry or
several is reported as a problem, never guessed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from graph.model import SHIP_ROLE_KINDS, Problem, Record, Relation, Schema, ShipRole
from graph.normalize import normalize_name

#: Names an entry is known by, for matching a name another entry gives.
_NAME_PROPERTIES = ("name", "alias", "previousName")


@dataclass(frozen=True, slots=True)
class Named:
    """An entry of a list and the other entries it names by text, with the role each has."""

    id: str
    schema: Schema
    props: Mapping[str, Sequence[str]]
    named: Sequence[tuple[ShipRole, str]]


def named_relations(entries: Sequence[Named]) -> Iterator[Record]:
    by_name: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        for prop in _NAME_PROPERTIES:
            for name in entry.props.get(prop, ()):
                key = normalize_name(name)
                if key:
                    by_name[key].add(entry.id)
    for entry in entries:
        for n, (role, text) in enumerate(entry.named):
            candidates = sorted(by_name.get(normalize_name(text), set()) - {entry.id})
            label = "Linked To" if role is ShipRole.LINKED else role.value
            if len(candidates) != 1:
                kind = "ambiguous link" if candidates else "unresolved link"
                detail = f" (candidates {', '.join(candidates)})" if candidates else ""
                yield Problem(kind, f"{label} {text!r} matches {len(candidates)} entries{detail}",
                              entry.id)
                continue
            on_craft = entry.schema in (Schema.VESSEL, Schema.AIRPLANE)
            yield Relation(
                id=f"{entry.id}:link:{n}",
                kind=SHIP_ROLE_KINDS[role],
                subject=candidates[0],
                object=entry.id,
                record_id=entry.id,
                role=role.value if on_craft or role is not ShipRole.LINKED else "linked to",
                properties={"description": (f"{label}: {text}",)},
            )

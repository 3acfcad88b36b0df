"""FollowTheMoney (FtM) entities as JSON lines: `{"id", "schema", "properties", "datasets",
"referents"}` per line, as FtM, OpenSanctions and `sanctions-graph export --format ftm` write them.

The `followthemoney` package's model says what each schema and property is:
- node schemata the graph holds (Vessel, Company, Person...) become entities; their values are
  cleaned by the property's FtM type (IMO numbers back to seven digits for the graph's keys);
- Address and Identification-like entities are folded into the entity that uses them (address
  text, passport and id numbers);
- edge schemata become relations (Ownership, Directorship, UnknownLink with a ship role, and
  Family, Associate, Representation, Employment, Membership as links), entity-valued properties
  such as a vessel's `owner`/`operator` too;
- Sanction entities become sanctions.
Unknown schemata and properties, and schemata the graph has no place for, are counted and
reported as problems, never fatal. Each entity keeps its id as record id, and the `datasets` and
`referents` it arrives with are kept beside its properties, so its provenance survives a round
trip. The file is read twice (folds first), so memory stays flat on large exports.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from graph.errors import SourceError
from graph.identifiers import clean_imo_company, clean_imo_ship
from graph.model import (
    RELATION_SHAPES,
    SHIP_ROLE_KINDS,
    Entity,
    Problem,
    Record,
    Relation,
    RelationKind,
    Sanction,
    Schema,
    ShipRole,
)
from graph.shares import parse_share, share_fields
from loaders._xml import require_content

if TYPE_CHECKING:  # the model is imported when a file is read: it costs half a second
    from followthemoney.schema import Schema as FtmSchema

FORMAT: Final = "ftm"
SOURCE: Final = "ftm"
TITLE: Final = "FollowTheMoney entities, JSON lines (OpenSanctions exports, sanctions-graph export)"

#: Provenance fields kept beside the properties under these names (no FtM property has them).
DATASETS: Final = "datasets"
REFERENTS: Final = "referents"

_NODE_SCHEMATA: Final = {s.value: s for s in Schema}

#: Edge schemata -> (kind, subject property, object property). The subject is the party above.
_EDGES: Final[dict[str, tuple[RelationKind | None, str, str]]] = {
    "Ownership": (RelationKind.OWNERSHIP, "owner", "asset"),
    "Directorship": (RelationKind.DIRECTORSHIP, "director", "organization"),
    "UnknownLink": (None, "subject", "object"),
    "Family": (RelationKind.LINK, "person", "relative"),
    "Associate": (RelationKind.LINK, "person", "associate"),
    "Representation": (RelationKind.LINK, "client", "agent"),
    "Employment": (RelationKind.LINK, "employer", "employee"),
    "Membership": (RelationKind.LINK, "organization", "member"),
}
#: Entity-valued properties of a node that state a relation: (kind, role, node is the subject).
_NODE_LINKS: Final[dict[str, tuple[RelationKind, str, bool]]] = {
    "owner": (RelationKind.OWNERSHIP, "owner", False),
    "operator": (RelationKind.OPERATION, ShipRole.OPERATOR.value, False),
    "parent": (RelationKind.OWNERSHIP, "parent", False),
}
#: Folded schemata: their values join the entity they point at (property -> target property).
_FOLDS: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "Identification": ("holder", {"number": "idNumber"}),
    "Passport": ("holder", {"number": "passportNumber"}),
}
_FOLDED_SCHEMATA: Final = frozenset({"Address", *_FOLDS})


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    first = head.lstrip().split(b"\n", 1)[0]
    if not first.startswith(b"{"):
        return False
    try:
        data = json.loads(first)
    except ValueError:
        return False
    return isinstance(data, dict) and "schema" in data and "id" in data


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    require_content(path)  # missing, unreadable and empty files fail here
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SourceError(path, f"not valid utf-8 (byte 0x{raw[exc.start]:02x})",
                                  f"line {number} column {exc.start + 1}") from None
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SourceError(path, f"invalid JSON: {exc.msg}",
                                  f"line {number} column {exc.colno}") from None
            if not isinstance(data, dict) or not isinstance(data.get("schema"), str):
                raise SourceError(path, "not an FtM entity (no 'schema')", f"line {number}")
            yield number, data


def _values(data: dict[str, Any], key: str) -> list[str]:
    raw = data.get(key) or []
    if isinstance(raw, str):
        raw = [raw]
    return [str(v) for v in raw if isinstance(v, str | int | float) and str(v).strip()]


def _props(data: dict[str, Any]) -> dict[str, list[str]]:
    props = data.get("properties") or {}
    if not isinstance(props, dict):
        return {}
    out: dict[str, list[str]] = {}
    for key, raw in props.items():
        values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        out[str(key)] = [str(v) for v in values if isinstance(v, str | int | float)]
    return out


def _first(props: dict[str, list[str]], key: str) -> str | None:
    values = props.get(key) or []
    return values[0] if values else None


def _folds(path: Path) -> tuple[dict[str, list[str]], dict[str, dict[str, list[str]]]]:
    """First pass: address texts by Address id, and folded identification values by holder."""
    addresses: dict[str, list[str]] = {}
    held: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for _, data in _lines(path):
        schema = data["schema"]
        props = _props(data)
        if schema == "Address":
            full = props.get("full") or [", ".join(
                v for k in ("street", "city", "postalCode", "region", "country")
                for v in props.get(k, []))]
            addresses[str(data.get("id"))] = [a for a in full if a]
        elif schema in _FOLDS:
            holder_prop, mapping = _FOLDS[schema]
            for holder in props.get(holder_prop, []):
                for source_prop, target in mapping.items():
                    held[holder][target].extend(props.get(source_prop, []))
    return addresses, held


def _clean(schema: FtmSchema, prop: str, values: list[str]) -> list[str]:
    """Values cleaned by their FtM type; IMO numbers as the graph keeps them (digits)."""
    ftm_prop = schema.get(prop)
    if ftm_prop is None:
        return []
    out: list[str] = []
    vessel = schema.is_a("Vessel")
    for value in values:
        cleaned = _clean_value(ftm_prop.type.name, ftm_prop.format, value)
        if cleaned is None:
            continue
        if prop == "imoNumber":
            digits = clean_imo_ship(cleaned) if vessel else (
                clean_imo_company(cleaned) or clean_imo_ship(cleaned))
            cleaned = digits or cleaned
        if cleaned not in out:
            out.append(cleaned)
    return out


@lru_cache(maxsize=200_000)
def _clean_value(type_name: str, format: str | None, value: str) -> str | None:
    """One value cleaned by its FtM type (cached: exports repeat values across entities)."""
    from followthemoney.types import registry

    return registry[type_name].clean(value, format=format)


def load(path: Path) -> Iterator[Record]:
    """Records of one FtM JSON lines file."""
    from followthemoney import model

    addresses, held = _folds(path)
    seen = 0
    for number, data in _lines(path):
        seen += 1
        entity_id = str(data.get("id") or "").strip()
        schema_name = data["schema"]
        if not entity_id:
            yield Problem("entity without id", f"line {number}: {schema_name} without id")
            continue
        schema = model.get(schema_name)
        if schema is None:
            yield Problem("unknown schema", f"{schema_name!r} is not an FtM schema", entity_id)
            continue
        props = _props(data)
        for prop in props:
            if schema.get(prop) is None:
                yield Problem("unknown property",
                              f"{schema_name} has no property {prop!r}", entity_id)
        provenance = {DATASETS: tuple(_values(data, "datasets")),
                      REFERENTS: tuple(_values(data, "referents"))}
        provenance = {k: v for k, v in provenance.items() if v}
        if schema_name in _NODE_SCHEMATA:
            yield from _node(entity_id, schema, props, provenance, addresses, held)
        elif schema_name in _EDGES:
            yield from _edge(entity_id, schema, props, provenance)
        elif schema_name == "Sanction":
            yield from _sanction(entity_id, schema, props, provenance)
        elif schema_name in _FOLDED_SCHEMATA:
            continue
        else:
            yield Problem("unsupported schema", f"{schema_name} entities are not kept",
                          entity_id)
    if seen == 0:
        raise SourceError(path, "no FtM entity in the file")


def _node(entity_id: str, schema: FtmSchema, props: dict[str, list[str]],
          provenance: dict[str, tuple[str, ...]], addresses: dict[str, list[str]],
          held: dict[str, dict[str, list[str]]]) -> Iterator[Record]:
    out: dict[str, list[str]] = {}
    links: list[tuple[str, str]] = []
    for prop, values in props.items():
        ftm_prop = schema.get(prop)
        if ftm_prop is None:
            continue
        if prop == "addressEntity":
            for ref in values:
                out.setdefault("address", []).extend(addresses.get(ref, []))
            continue
        if ftm_prop.type.name == "entity":
            links.extend((prop, v) for v in values)
            continue
        cleaned = _clean(schema, prop, values)
        if cleaned:
            out.setdefault(prop, []).extend(cleaned)
    for prop, values in held.get(entity_id, {}).items():
        out.setdefault(prop, []).extend(_clean(schema, prop, values))
    properties = {k: tuple(dict.fromkeys(v)) for k, v in out.items() if v}
    properties.update(provenance)
    yield Entity(entity_id, _NODE_SCHEMATA[schema.name], properties, entity_id)
    for n, (prop, other) in enumerate(links):
        if prop not in _NODE_LINKS:
            yield Problem("entity reference not kept", f"{schema.name}.{prop} -> {other}",
                          entity_id)
            continue
        kind, role, node_above = _NODE_LINKS[prop]
        subject, obj = (entity_id, other) if node_above else (other, entity_id)
        yield Relation(f"{entity_id}:{prop}:{n}", kind, subject, obj, entity_id, role=role)


def _edge(entity_id: str, schema: FtmSchema, props: dict[str, list[str]],
          provenance: dict[str, tuple[str, ...]]) -> Iterator[Record]:
    kind, subject_prop, object_prop = _EDGES[schema.name]
    subject, obj = _first(props, subject_prop), _first(props, object_prop)
    if subject is None or obj is None:
        yield Problem("incomplete relation",
                      f"{schema.name} without {subject_prop if subject is None else object_prop}",
                      entity_id)
        return
    role = _first(props, "role") or _first(props, "relationship")
    if kind is None:  # UnknownLink: a ship role says which kind, else a plain link
        ship_role = ShipRole.parse(role) if role else None
        kind = SHIP_ROLE_KINDS[ship_role] if ship_role else RelationKind.LINK
    elif kind is RelationKind.LINK and role is None:
        role = schema.edge_label or schema.name
    percentage = None
    share_props: dict[str, tuple[str, ...]] = {}
    for raw in props.get("percentage", []):
        # A figure, or a band as sanctions-graph's own FtM export writes it (`>25,<=50`).
        share = parse_share(raw)
        if share is not None:
            percentage, share_props = share_fields(share)
            break
    shape = RELATION_SHAPES[kind]
    used = {subject_prop, object_prop, shape.subject_property, shape.object_property, "role",
            "relationship", "percentage", "startDate", "endDate"}
    extra: dict[str, tuple[str, ...]] = {}
    for prop, values in props.items():
        ftm_prop = schema.get(prop)
        if prop in used or ftm_prop is None or ftm_prop.type.name == "entity":
            continue
        cleaned = _clean(schema, prop, values)
        if cleaned:
            extra[prop] = tuple(cleaned)
    extra.update(provenance)
    extra.update(share_props)
    yield Relation(
        entity_id, kind, subject, obj, entity_id, role=role,
        start_date=_first(_cleaned(schema, props, "startDate"), "startDate"),
        end_date=_first(_cleaned(schema, props, "endDate"), "endDate"),
        percentage=percentage, properties=extra,
    )


def _cleaned(schema: FtmSchema, props: dict[str, list[str]], prop: str) -> dict[str, list[str]]:
    return {prop: _clean(schema, prop, props.get(prop, []))}


def _sanction(entity_id: str, schema: FtmSchema, props: dict[str, list[str]],
              provenance: dict[str, tuple[str, ...]]) -> Iterator[Record]:
    target = _first(props, "entity")
    if target is None:
        yield Problem("incomplete sanction", "Sanction without entity", entity_id)
        return
    used = {"entity", "authority", "program", "listingDate", "sourceUrl"}
    extra: dict[str, tuple[str, ...]] = {}
    for prop, values in props.items():
        if prop in used:
            continue
        cleaned = _clean(schema, prop, values)
        if cleaned:
            extra[prop] = tuple(cleaned)
    extra.update(provenance)
    from followthemoney.exc import InvalidData

    try:
        listed = _first(_cleaned(schema, props, "listingDate"), "listingDate")
    except InvalidData:
        listed = None
    yield Sanction(
        id=entity_id,
        entity=target,
        authority=_first(props, "authority") or _first(props, "publisher") or "unknown",
        program=_first(props, "program") or _first(props, "programId") or "",
        record_id=entity_id,
        listing_date=listed,
        source_url=_first(props, "sourceUrl"),
        properties=extra,
    )

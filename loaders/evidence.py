"""Analysts' evidence: claims from a report, each with its citation, as a YAML or a CSV file.

A claim says that a subject stands in a relation to an object (`M LEASING LLC` owns `ANGARA`,
the North Korean state shipped munitions on `ANGARA`), with a percentage for ownership, the dates
it held, the analyst's confidence and the citation: title, publisher, URL and date of the report.

Subjects and objects are references, written the way people write them:

| reference               | means                                                             |
|-------------------------|-------------------------------------------------------------------|
| `IMO 9179842`, `9179842`| the node with that IMO ship (or company) number in the store      |
| `us_ofac_sdn:37065`     | the entity with that id in a loaded source (or a canonical id)     |
| `#rajin`                | an entity this file itself describes (YAML `entities`)            |
| `M LEASING LLC`         | the node with that exact name or alias (after normalisation)      |

The loader never touches the store: a reference becomes a stub `Entity` whose `same_as` carries
the reference behind `REFERENCE_PREFIX`, and the ingest step resolves it against the store before
anything is written, stopping the load with the row named when a reference is unknown or fits
several nodes. In CSV, where there is no `entities` block, a reference with a `subject_schema`
(or `object_schema`) is a new entity the file describes, named by the reference.

Every relation carries `EVIDENCE_PROPERTY` (the citation as one line) so that queries, renderers
and exports show it apart from official listings.

YAML layout::

    citation: {title: ..., publisher: ..., url: ..., date: 2023-10-16}
    entities:
      - {id: dprk, schema: PublicBody, name: Government of the DPRK, country: kp, topics: [gov]}
    claims:
      - {subject: "#dprk", relation: shipment, object: IMO 9179842, role: ..., start: 2023-08,
         end: 2023-10, confidence: medium, description: ...}

CSV columns: `subject`, `relation`, `object` (required), `role`, `percentage`, `start`, `end`,
`confidence`, `description`, `citation_title`, `citation_publisher`, `citation_url`,
`citation_date` (the citation is required on every row; `percentage` is a figure or a band such
as `25-50`, `>50`, `>25,<=50`), `record_id`, and optionally
`subject_schema`, `subject_country`, `subject_topics`, `object_schema`, `object_country`,
`object_topics` to describe new entities.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from graph.errors import SourceError
from graph.identifiers import country_code
from graph.model import (
    EVIDENCE_PROPERTY,
    REFERENCE_PREFIX,
    Entity,
    ListMeta,
    Record,
    Relation,
    RelationKind,
    Schema,
    ShipRole,
)
from graph.normalize import normalize_name
from graph.shares import parse_share, share_fields
from loaders._io import clean, csv_rows, iso_date, read_text, require_columns, table_rows

FORMAT: Final = "evidence"
SOURCE: Final = "evidence"


def source_for(path: Path) -> str:
    """Each evidence file is its own source, so a second report never replaces the first."""
    stem = re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_")
    return f"evidence_{stem}" if stem else SOURCE
TITLE: Final = "Analysts' evidence: claims with citations (YAML or CSV)"

#: Confidence words an analyst may use; anything else is a typo worth stopping for.
CONFIDENCE: Final = ("high", "medium", "low")

#: Relation words accepted besides the kind names, so a file can say what people say.
_RELATION_WORDS: Final[Mapping[str, RelationKind]] = {
    **{kind.value: kind for kind in RelationKind},
    "owns": RelationKind.OWNERSHIP,
    "owner": RelationKind.OWNERSHIP,
    "operates": RelationKind.OPERATION,
    "manages": RelationKind.MANAGEMENT,
    "directs": RelationKind.DIRECTORSHIP,
    "linked to": RelationKind.LINK,
    "shipped via": RelationKind.SHIPMENT,
    "carried cargo for": RelationKind.SHIPMENT,
    "transported": RelationKind.TRANSPORT,
    "transported to": RelationKind.TRANSPORT,
    "supplied": RelationKind.SUPPLY,
}

#: Entity properties a file may state, besides `name`.
ENTITY_PROPERTIES: Final = ("alias", "country", "topics", "notes", "imoNumber", "address",
                            "sourceUrl", "description")

REQUIRED_CSV: Final = ("subject", "relation", "object")
CITATION_FIELDS: Final = ("title", "publisher", "url", "date")
_LOCAL: Final = re.compile(r"^#([A-Za-z0-9_.-]+)$")


@dataclass(frozen=True, slots=True)
class Citation:
    title: str
    publisher: str | None
    url: str | None
    date: str | None

    def line(self) -> str:
        """The citation as one line: `Publisher, "Title", date, URL`."""
        parts = [p for p in (self.publisher, f'"{self.title}"', self.date, self.url) if p]
        return ", ".join(parts)

    def properties(self) -> dict[str, tuple[str, ...]]:
        props: dict[str, tuple[str, ...]] = {EVIDENCE_PROPERTY: (self.line(),),
                                             "citationTitle": (self.title,)}
        if self.publisher:
            props["publisher"] = (self.publisher,)
        if self.url:
            props["sourceUrl"] = (self.url,)
        if self.date:
            props["publishedAt"] = (self.date,)
        return props


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    """A YAML file with a top-level `claims:` key, or a CSV whose header names subject,
    relation, object and a citation column."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return re.search(rb"(?m)^claims\s*:", head) is not None
    if suffix == ".csv":
        first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].lower()
        return all(w in first for w in (b"subject", b"relation", b"object", b"citation_"))
    return False


def load(path: Path) -> Iterator[Record]:
    if path.suffix.lower() in (".yaml", ".yml"):
        yield from _load_yaml(path)
    else:
        yield from _load_csv(path)


class _Builder:
    """Turns references into stub or described entities (once each) and claims into relations."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.local: dict[str, str] = {}
        self.emitted: set[str] = set()

    def describe(self, where: str, key: str | None, item: Mapping[str, Any]) -> Iterator[Entity]:
        """An entity the file describes (YAML `entities`, or a CSV reference with a schema)."""
        name = _text(item.get("name"))
        same_as = _text(item.get("same_as"))
        if not name and not same_as:
            raise SourceError(self.path, "an entity needs a name (or same_as)", where)
        schema_text = _text(item.get("schema"))
        schema = Schema.LEGAL_ENTITY
        if schema_text:
            try:
                schema = Schema(schema_text)
            except ValueError:
                known = ", ".join(s.value for s in Schema)
                raise SourceError(self.path, f"unknown schema {schema_text!r}; known: {known}",
                                  where) from None
        elif not same_as:
            raise SourceError(self.path, f"entity {name!r} needs a schema", where)
        props: dict[str, tuple[str, ...]] = {}
        if name:
            props["name"] = (name,)
        for prop in ENTITY_PROPERTIES:
            values = _values(item.get(prop))
            if prop == "country":
                codes = []
                for value in values:
                    code = country_code(value)
                    if code is None:
                        raise SourceError(self.path, f"unknown country {value!r}", where)
                    codes.append(code)
                values = codes
            if values:
                props[prop] = tuple(values)
        unknown = sorted(set(item) - {"id", "name", "schema", "same_as", *ENTITY_PROPERTIES})
        if unknown:
            raise SourceError(self.path, f"unknown entity field(s) {', '.join(unknown)}", where)
        entity_id = f"entity:{key or normalize_name(name or same_as or '')}"
        if key is not None:
            if key in self.local:
                raise SourceError(self.path, f"entity id {key!r} is described twice", where)
            self.local[key] = entity_id
        if entity_id in self.emitted:
            return
        self.emitted.add(entity_id)
        yield Entity(entity_id, schema, props, where,
                     same_as=REFERENCE_PREFIX + same_as if same_as else None)

    def reference(self, where: str, text: str) -> tuple[str, list[Entity]]:
        """The local id a claim's subject or object refers to, and the stub to write for it."""
        local = _LOCAL.match(text)
        if local:
            entity_id = self.local.get(local.group(1))
            if entity_id is None:
                raise SourceError(self.path, f"{text!r} names no entity of this file", where)
            return entity_id, []
        entity_id = f"ref:{normalize_name(text) or text}"
        if entity_id in self.emitted:
            return entity_id, []
        self.emitted.add(entity_id)
        stub = Entity(entity_id, Schema.LEGAL_ENTITY, {}, where, same_as=REFERENCE_PREFIX + text)
        return entity_id, [stub]

    def claim(
        self,
        where: str,
        claim_id: str,
        fields: Mapping[str, Any],
        citation: Citation,
        subject: str,
        obj: str,
    ) -> Relation:
        relation_text = (_text(fields.get("relation")) or "").lower()
        kind = _RELATION_WORDS.get(" ".join(relation_text.replace("_", " ").split()))
        if kind is None:
            known = ", ".join(k.value for k in RelationKind)
            raise SourceError(self.path, f"unknown relation {relation_text!r}; known: {known}",
                              where)
        role = _text(fields.get("role"))
        ship_role = ShipRole.parse(role) if role else None
        if ship_role is not None:
            role = ship_role.value
        dates: dict[str, str | None] = {}
        for key in ("start", "end"):
            raw = _text(fields.get(key))
            dates[key] = iso_date(raw)
            if raw and dates[key] is None:
                raise SourceError(self.path, f"{key} {raw!r} is not a date", where)
        percentage = None
        share_props: dict[str, tuple[str, ...]] = {}
        raw_pct = _text(fields.get("percentage"))
        if raw_pct:
            share = parse_share(raw_pct)
            if share is None:
                raise SourceError(self.path, f"percentage {raw_pct!r} is not a figure or a band "
                                  "between 0 and 100 (25, 25-50, >50, >25,<=50)", where)
            percentage, share_props = share_fields(share)
        props = {**citation.properties(), **share_props}
        confidence = (_text(fields.get("confidence")) or "").lower()
        if confidence:
            if confidence not in CONFIDENCE:
                raise SourceError(self.path, f"confidence {confidence!r} is not one of "
                                  f"{', '.join(CONFIDENCE)}", where)
            props["confidence"] = (confidence,)
        if description := _text(fields.get("description")):
            props["description"] = (description,)
        return Relation(
            id=f"claim:{claim_id}", kind=kind, subject=subject, object=obj, record_id=claim_id,
            role=role, start_date=dates["start"], end_date=dates["end"], percentage=percentage,
            properties=props,
        )


def _citation(path: Path, where: str, data: Any) -> Citation:
    if not isinstance(data, Mapping):
        raise SourceError(path, "a claim needs a citation (title, publisher, url, date)", where)
    title = _text(data.get("title"))
    if not title:
        raise SourceError(path, "the citation needs a title", where)
    raw_date = _text(data.get("date"))
    date = iso_date(raw_date)
    if raw_date and date is None:
        raise SourceError(path, f"citation date {raw_date!r} is not a date", where)
    url = _text(data.get("url"))
    if url and not url.startswith(("http://", "https://")):
        raise SourceError(path, f"citation url {url!r} is not a web address", where)
    return Citation(title, _text(data.get("publisher")), url, date)


def _load_yaml(path: Path) -> Iterator[Record]:
    try:
        data = yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise SourceError(path, f"not valid YAML: {getattr(exc, 'problem', exc)}", where) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("claims"), list):
        raise SourceError(path, "an evidence file needs a list of claims under `claims:`")
    default = _citation(path, "citation", data["citation"]) if "citation" in data else None
    if default is not None and default.date:
        # The version of a report's claims is the report's date.
        yield ListMeta(default.date)
    builder = _Builder(path)
    for n, item in enumerate(data.get("entities") or []):
        where = f"entities[{n}]"
        if not isinstance(item, Mapping) or not _text(item.get("id")):
            raise SourceError(path, "an entity needs an id", where)
        yield from builder.describe(where, _text(item.get("id")), item)
    for n, item in enumerate(data["claims"]):
        where = f"claims[{n}]"
        if not isinstance(item, Mapping):
            raise SourceError(path, "a claim is a mapping of fields", where)
        unknown = sorted(set(item) - {"id", "subject", "relation", "object", "role",
                                      "percentage", "start", "end", "confidence",
                                      "description", "citation"})
        if unknown:
            raise SourceError(path, f"unknown claim field(s) {', '.join(unknown)}", where)
        citation = _citation(path, where, item["citation"]) if "citation" in item else default
        if citation is None:
            raise SourceError(path, "the claim has no citation and the file none either", where)
        ends = []
        for end in ("subject", "object"):
            text = _text(item.get(end))
            if not text:
                raise SourceError(path, f"the claim has no {end}", where)
            entity_id, stubs = builder.reference(where, text)
            yield from stubs
            ends.append(entity_id)
        claim_id = _text(item.get("id")) or where
        yield builder.claim(where, claim_id, item, citation, ends[0], ends[1])


def _load_csv(path: Path) -> Iterator[Record]:
    rows = csv_rows(path, read_text(path))
    try:
        _, header = next(rows)
    except StopIteration:
        return
    index = require_columns(path, header, (*REQUIRED_CSV, "citation_title"))
    builder = _Builder(path)
    for line, fields in table_rows(path, rows, len(header)):
        where = f"line {line}"
        row = {key: clean(fields[pos]) for key, pos in index.items()}
        citation = _citation(path, where, {f: row.get(f"citation_{f}") for f in CITATION_FIELDS})
        ends = []
        for end in ("subject", "object"):
            text = row.get(end)
            if not text:
                raise SourceError(path, f"the claim has no {end}", where)
            if row.get(f"{end}_schema"):
                item = {"name": text, "schema": row[f"{end}_schema"],
                        "country": row.get(f"{end}_country"),
                        "topics": (row.get(f"{end}_topics") or "").split(";")}
                yield from builder.describe(where, None, item)
                ends.append(f"entity:{normalize_name(text)}")
                continue
            entity_id, stubs = builder.reference(where, text)
            yield from stubs
            ends.append(entity_id)
        yield builder.claim(where, row.get("record_id") or where, row, citation, ends[0], ends[1])


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return clean(str(value))


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [t for t in (_text(v) for v in items) if t]

"""What the matcher sees of one record: its names (normalised three ways), identifiers, countries
and dates, read from the store's current versions.

A `MatchRecord` is a lean slotted object: the matcher builds tens of thousands of them per run and
compares hundreds of thousands of pairs. Its `fingerprint` is a hash of everything the matcher
reads, so `resolve` re-scores a pair only when one of its two records changed.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Final

from graph.identifiers import clean_imo_company, clean_imo_ship, clean_mmsi, country_code
from graph.matching.text import match_tokens, skeleton
from graph.model import Schema
from graph.normalize import normalize_org_name, split_legal_form

#: Properties holding a name the matcher compares. `previousName` counts for less (ships are
#: renamed and their old names reused), `weakAlias` not at all.
NAME_PROPS: Final = ("name", "alias", "previousName")
#: Properties holding a registry identifier of a party (tax id, INN, OGRN, company number).
REGISTRY_PROPS: Final = ("taxNumber", "innCode", "ogrnCode", "registrationNumber", "idNumber",
                         "vatCode", "leiCode")
COUNTRY_PROPS: Final = ("country", "jurisdiction", "nationality", "citizenship", "flag",
                        "mainCountry")
DATE_PROPS: Final = ("birthDate", "buildDate", "incorporationDate")
#: Where a UN Security Council reference number can sit: its own property, or an "(UN Ref):"
#: note as the UK list writes it.
UN_PROPS: Final = ("unscId", "programId", "notes", "description", "summary")
OTHER_PROPS: Final = ("imoNumber", "mmsi", "callSign", "type")
#: A ship's kind as lists write it ("Oil Products Tanker", "General Cargo", "Bulk Carrier"),
#: by the words that name a kind: two ships of disjoint kinds are two ships.
VESSEL_KINDS: Final = (("tanker", "tanker"), ("cargo", "cargo"), ("bulk", "bulk"),
                       ("container", "container"), ("ro-ro", "roro"), ("roro", "roro"),
                       ("vehicle", "roro"), ("lng", "gas"), ("lpg", "gas"), ("gas", "gas"),
                       ("passenger", "passenger"), ("fishing", "fishing"), ("tug", "tug"))
MATCH_PROPS: Final = (*NAME_PROPS, *REGISTRY_PROPS, *COUNTRY_PROPS, *DATE_PROPS, *UN_PROPS,
                      *OTHER_PROPS)

#: UN reference numbers: two letters of the regime, i (individual) or e (entity), a number.
UN_REF: Final = re.compile(r"\b([A-Z]{2}[ie]\.\d{3})\b")
_UN_NOTE: Final = re.compile(r"UN Ref\W{0,4}([A-Z]{2}[ie]\.\d{3})", re.IGNORECASE)
_YEAR: Final = re.compile(r"\b(1[6-9]\d\d|20\d\d)\b")
_ISO_DATE: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")

#: Kinds of identifier a benchmark can hide from the matcher (the ground truth's identifiers).
IDENTIFIER_KINDS: Final = frozenset({"imo_ship", "imo_company", "inn", "ogrn", "registry",
                                     "un_ref"})


def schema_group(schema: Schema) -> str:
    """Records are compared only within a group: ships with ships, people with people,
    organisations (Company, Organization, PublicBody, LegalEntity) with organisations."""
    if schema is Schema.VESSEL:
        return "vessel"
    if schema is Schema.AIRPLANE:
        return "airplane"
    if schema is Schema.PERSON:
        return "person"
    return "org"


class MatchRecord:
    """One current record as the matcher sees it."""

    __slots__ = (
        "call_signs", "countries", "dates", "fingerprint", "forms", "gid", "group", "imo_company",
        "imo_ship", "inn", "kinds", "labels", "load_id", "mmsi", "names", "ogrn", "phonetic",
        "previous", "previous_words", "registry", "schema", "source", "tokens", "un_refs",
        "words", "years",
    )

    def __init__(self, gid: str, source: str, load_id: int, schema: Schema,
                 props: Mapping[str, list[str]], hide: frozenset[str] = frozenset()) -> None:
        self.gid = gid
        self.source = source
        self.load_id = load_id
        self.schema = schema
        self.group = schema_group(schema)
        self.labels: tuple[str, ...] = tuple(dict.fromkeys(props.get("name", [])))
        # Each name by its match key (`graph.matching.text.match_tokens`, sorted), with its
        # tokens in written order (the first spelling of that key).
        names: dict[str, tuple[str, ...]] = {}
        previous: dict[str, tuple[str, ...]] = {}
        forms: set[str] = set()
        for prop in NAME_PROPS:
            for raw in props.get(prop, []):
                tokens = match_tokens(raw, schema.value)
                if not tokens:
                    continue
                if self.group == "org":
                    form = split_legal_form(normalize_org_name(raw))[1]
                    if form:
                        forms.add(form)
                (previous if prop == "previousName" else names).setdefault(
                    " ".join(sorted(tokens)), tokens)
        for norm in names:
            previous.pop(norm, None)
        self.names: tuple[str, ...] = tuple(names)
        self.words: tuple[tuple[str, ...], ...] = tuple(names.values())
        self.previous: tuple[str, ...] = tuple(previous)
        self.previous_words: tuple[tuple[str, ...], ...] = tuple(previous.values())
        self.forms = frozenset(forms)
        self.tokens = frozenset(t for n in (*self.names, *self.previous) for t in n.split())
        # Consonant skeletons of the names (where transliterations meet: SHUGAEV/SHUGAYEV),
        # those of SOUND_LETTERS consonants or more.
        self.phonetic: tuple[str, ...] = tuple(dict.fromkeys(
            key for key in (" ".join(sorted(skeleton(t) for t in n.split())) for n in self.names)
            if len(key.replace(" ", "")) >= 4))
        imo_ship: set[str] = set()
        imo_company: set[str] = set()
        for raw in props.get("imoNumber", []):
            if self.group == "vessel":
                ship = clean_imo_ship(raw)
                if ship:
                    imo_ship.add(ship)
            else:
                company = clean_imo_company(raw)
                if company:
                    imo_company.add(company)
        self.imo_ship = frozenset(imo_ship) if "imo_ship" not in hide else frozenset()
        self.imo_company = frozenset(imo_company) if "imo_company" not in hide else frozenset()
        self.mmsi = frozenset(m for m in (clean_mmsi(v) for v in props.get("mmsi", [])) if m)
        self.call_signs = frozenset(
            c for c in (re.sub(r"\W", "", v).upper() for v in props.get("callSign", []))
            if len(c) >= 3
        )
        inn: set[str] = set()
        ogrn: set[str] = set()
        registry: set[str] = set()
        for prop in REGISTRY_PROPS:
            for raw in props.get(prop, []):
                value = re.sub(r"[\W_]", "", raw).upper()
                if len(value) < 5 or not any(c.isdigit() for c in value):
                    continue
                registry.add(value)
                if value.isdigit() and len(value) in (10, 12) and prop in (
                        "taxNumber", "innCode"):
                    inn.add(value)
                elif value.isdigit() and len(value) in (13, 15) and prop in (
                        "ogrnCode", "registrationNumber"):
                    ogrn.add(value)
        self.inn = frozenset(inn) if "inn" not in hide else frozenset()
        self.ogrn = frozenset(ogrn) if "ogrn" not in hide else frozenset()
        self.registry = frozenset(registry) if "registry" not in hide else frozenset()
        # A record's own UN reference is the first of its kind (i for people, e otherwise):
        # lists quote the references of associated entities beside it. The UN lists no ships;
        # a ship's "UN Ref" is its owner's.
        letter = "i" if self.group == "person" else "e"
        un_refs: set[str] = set()
        for prop in UN_PROPS if self.group != "vessel" else ():
            for raw in props.get(prop, []):
                found = (UN_REF.findall(raw) if prop in ("unscId", "programId")
                         else _UN_NOTE.findall(raw))
                own = [ref for ref in found if ref[2] == letter]
                if own and not un_refs:
                    un_refs.add(own[0])
        self.un_refs = frozenset(un_refs) if "un_ref" not in hide else frozenset()
        countries: set[str] = set()
        for prop in COUNTRY_PROPS:
            for raw in props.get(prop, []):
                code = raw.lower() if len(raw) == 2 and raw.isalpha() else country_code(raw)
                if code:
                    countries.add(code.split("-")[0])
        self.countries = frozenset(countries)
        dates: set[str] = set()
        years: set[str] = set()
        for prop in DATE_PROPS:
            for raw in props.get(prop, []):
                if m := _ISO_DATE.match(raw):
                    dates.add(m.group(0))
                years.update(_YEAR.findall(raw))
        self.dates = frozenset(dates)
        self.years = frozenset(years)
        kinds: set[str] = set()
        if self.group == "vessel":
            for raw in props.get("type", []):
                low = raw.lower()
                kinds.update(kind for word, kind in VESSEL_KINDS if word in low)
        self.kinds = frozenset(kinds)
        self.fingerprint = self._fingerprint()

    def _fingerprint(self) -> str:
        parts = [self.schema.value, *sorted(self.names), "|", *sorted(self.previous), "|",
                 *sorted(" ".join(w) for w in (*self.words, *self.previous_words)), "|",
                 *sorted(self.forms)]
        for values in (self.imo_ship, self.imo_company, self.mmsi, self.call_signs, self.inn,
                       self.ogrn, self.registry, self.un_refs, self.countries, self.dates,
                       self.years, self.kinds):
            parts.append("|")
            parts.extend(sorted(values))
        return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:20]

    def exclusive_keys(self) -> list[str]:
        """Identifiers an entity has only one of (`kind:value`): two clusters that carry
        different values of one kind never merge on a score."""
        return sorted(
            [f"imo-company:{v}" for v in self.imo_company] + [f"inn:{v}" for v in self.inn]
            + [f"ogrn:{v}" for v in self.ogrn] + [f"un:{v}" for v in self.un_refs]
        )

    def identifiers(self) -> dict[str, list[str]]:
        """The identifiers the matcher uses, by kind (for explanations and the review screen)."""
        out = {
            "imo_ship": self.imo_ship, "imo_company": self.imo_company, "mmsi": self.mmsi,
            "call_sign": self.call_signs, "inn": self.inn, "ogrn": self.ogrn,
            "registry": self.registry, "un_ref": self.un_refs,
        }
        return {k: sorted(v) for k, v in out.items() if v}


#: Records built per batch when a whole list is read (memory stays flat at any size).
RECORD_BATCH: Final = 2000


def _build(conn: sqlite3.Connection, load_id: int, source: str,
           rows: list[tuple[str, str]], hide: frozenset[str]) -> list[MatchRecord]:
    """The records of (entity id, schema) rows of one load, their match properties read
    through the (load_id, entity_id) index in stated order."""
    props: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for start in range(0, len(rows), 500):
        ids = [entity_id for entity_id, _ in rows[start:start + 500]]
        for entity_id, prop, value in conn.execute(
            "SELECT entity_id, prop, value FROM props WHERE load_id = ? AND entity_id IN ("
            + ", ".join("?" for _ in ids) + f") AND prop IN ({_PROP_MARKS}) ORDER BY rowid",
            [load_id, *ids, *MATCH_PROPS],
        ):
            props[entity_id][prop].append(value)
    return [MatchRecord(f"{source}:{entity_id}", source, load_id, Schema(schema),
                        props.get(entity_id, {}), hide) for entity_id, schema in rows]


_PROP_MARKS: Final = ", ".join("?" for _ in MATCH_PROPS)


def iter_records(conn: sqlite3.Connection, source: str, load_id: int, *,
                 hide: frozenset[str] = frozenset()) -> Iterator[list[MatchRecord]]:
    """Every record of one load (those pointing at another with `same_as` left out), in id
    order, a batch at a time."""
    last = ""
    while True:
        rows = conn.execute(
            "SELECT id, schema, same_as FROM entities WHERE load_id = ? AND id > ?"
            " ORDER BY id LIMIT ?", (load_id, last, RECORD_BATCH)).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        batch = [(entity_id, schema) for entity_id, schema, same_as in rows if not same_as]
        if batch:
            yield _build(conn, load_id, source, batch, hide)


def load_records(
    conn: sqlite3.Connection,
    *,
    gids: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
    hide: frozenset[str] = frozenset(),
) -> list[MatchRecord]:
    """Every current record (or only `gids`, or only those of `sources`) as a `MatchRecord`, in
    gid order.

    Records that point at another (`same_as`) are joined to it by the exact step and skipped.
    Given gids, only those records are read (through the indexes): the cost follows the gids,
    not the store.
    """
    current = dict(conn.execute("SELECT source, load_id FROM current").fetchall())
    out: list[MatchRecord] = []
    if gids is not None:
        wanted: dict[str, set[str]] = defaultdict(set)
        for gid in gids:
            source, _, entity_id = gid.partition(":")
            wanted[source].add(entity_id)
        for source in sorted(wanted):
            if source not in current:
                continue
            if sources is not None and source not in set(sources):
                continue
            ids = sorted(wanted[source])
            for start in range(0, len(ids), RECORD_BATCH):
                part = ids[start:start + RECORD_BATCH]
                rows = [
                    (entity_id, schema) for entity_id, schema, same_as in conn.execute(
                        "SELECT id, schema, same_as FROM entities WHERE load_id = ? AND id IN ("
                        + ", ".join("?" for _ in part) + ") ORDER BY id",
                        [current[source], *part])
                    if not same_as
                ]
                out.extend(_build(conn, current[source], source, rows, hide))
    else:
        picked = sorted(set(sources) & set(current)) if sources is not None else sorted(current)
        for source in picked:
            for batch in iter_records(conn, source, current[source], hide=hide):
                out.extend(batch)
    out.sort(key=lambda r: r.gid)
    return out

"""tak_shadowfleet JSON: an aggregation of OpenSanctions and the UK FCDO list's ships.

A JSON array of vessels: imo, mmsi[], names[] (aliases and former names, often repeated in other
case), type, operator ("Unknown" when not known), flag (a name or a code), sanctions_origin[].
The operator becomes a company with an `operator` role on the vessel.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from graph.errors import SourceError
from graph.identifiers import clean_imo_ship, clean_mmsi, country_code
from graph.model import Entity, ListMeta, Problem, Record, Relation, RelationKind, Schema, ShipRole
from graph.normalize import normalize_name
from loaders._io import clean, iso_date, read_text

FORMAT: Final = "tak_json"
SOURCE: Final = "tak_shadowfleet"
TITLE: Final = "tak_shadowfleet vessel JSON (OpenSanctions + UK FCDO ships)"


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    start = head.lstrip()[:200]
    return start.startswith(b"[") and b'"imo"' in start and b'"names"' in head[:2000]


def _parse(path: Path) -> list[Any]:
    text = read_text(path, "utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(path, f"invalid JSON: {exc.msg}",
                          f"line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, list):
        raise SourceError(path, "expected a JSON array of vessels")
    return data


def load(path: Path) -> Iterator[Record]:
    data = _parse(path)
    stamps = [str(item.get("last_updated") or "")[:10] for item in data if isinstance(item, dict)]
    yield ListMeta(max((s for s in stamps if iso_date(s)), default=None))
    operators: dict[str, str] = {}
    for n, item in enumerate(data):
        if not isinstance(item, dict) or "imo" not in item or "names" not in item:
            raise SourceError(path, "vessel without 'imo' and 'names'", f"item {n}")
        raw_imo = str(item.get("imo") or "")
        imo = clean_imo_ship(raw_imo)
        if imo is None:
            yield Problem("invalid IMO ship number", f"{raw_imo!r} fails the ship check digit",
                          f"item {n}")
            continue
        names: dict[str, str] = {}
        for name in item.get("names") or []:
            text = clean(str(name))
            if text:
                names.setdefault(text.casefold(), text)
        listed = list(names.values())
        flag = clean(str(item.get("flag") or ""))
        vessel_type = clean(str(item.get("type") or ""))
        origins = [str(o) for o in item.get("sanctions_origin") or []]
        props = {
            "name": tuple(listed[:1]),
            "alias": tuple(listed[1:]),
            "imoNumber": (imo,),
            "mmsi": tuple(m for m in (clean_mmsi(str(x)) for x in item.get("mmsi") or []) if m),
            "flag": tuple(c for c in (country_code(f) for f in (flag or "").split(",")) if c),
            "type": (vessel_type,) if vessel_type and vessel_type != "Vessel" else (),
            "notes": (f"listed per {', '.join(origins)}",) if origins else (),
            "topics": ("sanction",) if origins else (),
        }
        yield Entity(imo, Schema.VESSEL, {k: v for k, v in props.items() if v}, imo)
        operator = clean(str(item.get("operator") or ""))
        if operator:
            key = normalize_name(operator)
            if key and key not in operators:
                operators[key] = f"operator:{key}"
                yield Entity(operators[key], Schema.COMPANY, {"name": (operator,)},
                             f"{imo}#operator")
            if key:
                yield Relation(f"{imo}:operator", RelationKind.OPERATION, operators[key], imo,
                               record_id=imo, role=ShipRole.OPERATOR.value)

"""UN Security Council consolidated list, XML (`<CONSOLIDATED_LIST dateGenerated=...>`).

Individuals become `Person`, entities `Company`, `Organization` or, for the bodies of a state the
list is aimed at (the DPRK's Munitions Industry Department, Iran's Defence Industries
Organisation), `PublicBody` with FtM topic `gov`. Each record keeps its UN reference number
(`KPe.020`) as `unscId`, on the entity and on its sanction; the list type (DPRK, Al-Qaida...) is the
sanction's programme. The record id is the UN's DATAID. Alias quality follows the list: "Good"
and "a.k.a." are aliases, "Low" weak aliases, "f.k.a." previous names. The UN list holds no
vessels; IMO company numbers quoted in the remarks are kept as `imoNumber`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from lxml import etree

from graph.errors import SourceError
from graph.identifiers import clean_imo_company, country_code
from graph.model import Entity, ListMeta, Record, Sanction, Schema
from loaders._io import clean, iso_date, read_bytes
from loaders._parties import party_schema, state_topic

FORMAT: Final = "un_xml"
SOURCE: Final = "un_sc"
TITLE: Final = "UN Security Council consolidated list (XML)"
AUTHORITY: Final = "UN Security Council"
ROOT_TAG: Final = "CONSOLIDATED_LIST"

#: UN lists aimed at a state: there a "department" or "bureau" is that state's.
STATE_LISTS: Final = frozenset({"DPRK", "Iran", "Iraq", "Libya"})

_ALIAS_PROPS: Final = {
    "good": "alias",
    "a.k.a.": "alias",
    "low": "weakAlias",
    "f.k.a.": "previousName",
}
_IMO_REMARK: Final = re.compile(r"\bIMO\)?\s*(?:Number|No\.?)?\s*:?\s*(\d{7})\b", re.IGNORECASE)
_SWIFT_REMARK: Final = re.compile(
    r"\bSWIFT(?:/BIC)?\s*:?\s*([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)\b"
)


def files(path: Path) -> list[Path]:
    return [path]


def detect(path: Path, head: bytes) -> bool:
    return b"<" + ROOT_TAG.encode() in head[:4096]


def _parse(path: Path) -> etree._Element:
    data = read_bytes(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        message = re.sub(r"(,? line \d+(, column \d+)?)+$", "", exc.msg or "parse error")
        message = message.replace(", try XML_PARSE_HUGE", " (over 10 MB)")
        raise SourceError(path, f"malformed XML: {message}",
                          f"line {line} column {column}") from None
    if root.tag != ROOT_TAG:
        tag = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise SourceError(path, f"not a UN consolidated list: root element is <{tag}>, "
                                f"expected <{ROOT_TAG}>", f"line {root.sourceline}")
    return root


def _text(el: etree._Element, path: str) -> str | None:
    return clean(el.findtext(path))


def _values(el: etree._Element, path: str) -> list[str]:
    return [v for v in (clean(x.text) for x in el.iterfind(path)) if v]


def _place(el: etree._Element, parts: tuple[str, ...]) -> str | None:
    found = [v for v in (clean(el.findtext(p)) for p in parts) if v]
    return ", ".join(dict.fromkeys(found)) or None


def _country(text: str) -> str:
    return country_code(text) or text


_ADDRESS_PARTS: Final = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")


def _common(el: etree._Element, kind: str, props: dict[str, list[str]]) -> None:
    """Aliases, addresses and remarks, which individuals and entities share."""
    for alias in el.iterfind(f"{kind}_ALIAS"):
        name = _text(alias, "ALIAS_NAME")
        if name is None:
            continue
        quality = (_text(alias, "QUALITY") or "good").lower()
        props[_ALIAS_PROPS.get(quality, "alias")].append(name)
    props["alias"].extend(_values(el, "NAME_ORIGINAL_SCRIPT"))
    for address in el.iterfind(f"{kind}_ADDRESS"):
        text = _place(address, _ADDRESS_PARTS)
        if text:
            props["address"].append(text)
        if country := _text(address, "COUNTRY"):
            props["country"].append(_country(country))
        if note := _text(address, "NOTE"):
            props["notes"].append(f"address: {note}")
    comments = _text(el, "COMMENTS1")
    if comments:
        props["notes"].append(comments)


def _individual(el: etree._Element, props: dict[str, list[str]]) -> None:
    names = [_text(el, p) for p in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    props["name"].append(" ".join(n for n in names if n))
    for prop, tag in (("firstName", "FIRST_NAME"), ("secondName", "SECOND_NAME"),
                      ("middleName", "THIRD_NAME"), ("lastName", "FOURTH_NAME")):
        if value := _text(el, tag):
            props[prop].append(value)
    props["title"].extend(_values(el, "TITLE/VALUE"))
    props["position"].extend(_values(el, "DESIGNATION/VALUE"))
    props["nationality"].extend(_country(v) for v in _values(el, "NATIONALITY/VALUE"))
    if gender := _text(el, "GENDER"):
        props["gender"].append(gender.lower())
    for dob in el.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        for tag in ("DATE", "YEAR", "FROM_YEAR", "TO_YEAR"):
            if value := iso_date(dob.findtext(tag)):
                props["birthDate"].append(value)
    for pob in el.iterfind("INDIVIDUAL_PLACE_OF_BIRTH"):
        if text := _place(pob, ("CITY", "STATE_PROVINCE", "COUNTRY")):
            props["birthPlace"].append(text)
    for doc in el.iterfind("INDIVIDUAL_DOCUMENT"):
        number = _text(doc, "NUMBER")
        if number is None:
            continue
        kind = (_text(doc, "TYPE_OF_DOCUMENT") or "").lower()
        props["passportNumber" if "passport" in kind else "idNumber"].append(number)


def _entity(el: etree._Element, props: dict[str, list[str]], list_type: str) -> Schema:
    name = _text(el, "FIRST_NAME") or ""
    props["name"].append(name)
    remarks = _text(el, "COMMENTS1") or ""
    for match in _IMO_REMARK.finditer(remarks):
        if company := clean_imo_company(match.group(1)):
            props["imoNumber"].append(company)
    props["swiftBic"].extend(m.group(1) for m in _SWIFT_REMARK.finditer(remarks))
    topic = state_topic(name, remarks, state_list=list_type in STATE_LISTS)
    if topic:
        props["topics"].append(topic)
    return party_schema(name, topic)


def load(path: Path) -> Iterator[Record]:
    """Records of one UN consolidated list."""
    root = _parse(path)
    yield ListMeta(iso_date((root.get("dateGenerated") or "")[:10]))
    seen: set[str] = set()
    for group, kind in (("INDIVIDUALS", "INDIVIDUAL"), ("ENTITIES", "ENTITY")):
        for el in root.iterfind(f"{group}/{kind}"):
            data_id = _text(el, "DATAID")
            if data_id is None:
                raise SourceError(path, f"<{kind}> without DATAID", f"line {el.sourceline}")
            if data_id in seen:
                raise SourceError(path, f"DATAID {data_id} appears twice",
                                  f"line {el.sourceline}")
            seen.add(data_id)
            list_type = _text(el, "UN_LIST_TYPE") or "UN"
            reference = _text(el, "REFERENCE_NUMBER")
            props: dict[str, list[str]] = defaultdict(list)
            if kind == "INDIVIDUAL":
                _individual(el, props)
                schema = Schema.PERSON
            else:
                schema = _entity(el, props, list_type)
            _common(el, kind, props)
            if reference:
                props["unscId"].append(reference)
            props["program"].append(list_type)
            props["topics"].append("sanction")
            properties = {k: tuple(dict.fromkeys(v)) for k, v in props.items() if v}
            yield Entity(data_id, schema, properties, data_id)
            sanction_props: dict[str, tuple[str, ...]] = {}
            if reference:
                sanction_props["unscId"] = (reference,)
            if updated := _values(el, "LAST_DAY_UPDATED/VALUE"):
                sanction_props["modifiedAt"] = tuple(sorted(updated)[-1:])
            yield Sanction(
                id=f"{data_id}:{list_type}",
                entity=data_id,
                authority=AUTHORITY,
                program=list_type,
                record_id=data_id,
                listing_date=iso_date(_text(el, "LISTED_ON")),
                properties=sanction_props,
            )

"""Terminal rendering of query answers: tables and trees for people (`--json` is for programs)."""

from __future__ import annotations

from collections import defaultdict
from typing import Final

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from graph.identifiers import country_name
from graph.view import Provenance
from queries.owner import OwnerAnswer, Party, SanctionOut, Sourced, VesselAnswer

_LABELS: Final = {
    "name": "Name",
    "alias": "Also known as",
    "previousName": "Former names",
    "imoNumber": "IMO",
    "mmsi": "MMSI",
    "callSign": "Call sign",
    "flag": "Flag",
    "pastFlags": "Former flags",
    "type": "Type",
    "buildDate": "Built",
    "grossRegisteredTonnage": "GRT",
    "tonnage": "Tonnage",
}
_PARTY_LABELS: Final = {
    "imoNumber": "IMO company no.",
    "taxNumber": "tax id",
    "registrationNumber": "reg. no.",
    "ogrnCode": "OGRN",
    "country": "country",
}
_COUNTRY_PROPS: Final = frozenset({"flag", "pastFlags", "country"})


def source_label(prov: Provenance) -> str:
    date = f" {prov.list_date}" if prov.list_date else ""
    return f"{prov.source}{date} #{prov.record_id}"


def _sources(provs: list[Provenance]) -> str:
    """Sources of a value, with record ids of the same source version folded together."""
    by_version: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for prov in provs:
        ids = by_version[(prov.source, prov.list_date)]
        if prov.record_id not in ids:
            ids.append(prov.record_id)
    parts = []
    for (source, date), ids in by_version.items():
        when = f" {date}" if date else ""
        parts.append(f"{source}{when} #{', #'.join(ids)}")
    return "; ".join(parts)


def _value(prop: str, value: str) -> str:
    return country_name(value) if prop in _COUNTRY_PROPS else value


def _sanction_line(s: SanctionOut) -> Text:
    text = Text()
    text.append("SANCTIONED ", style="bold red")
    text.append(f"{s.authority} {s.program}")
    if s.listing_date:
        text.append(f" listed {s.listing_date}")
    text.append(f"  [{source_label(s.source)}]", style="dim")
    return text


def _identity_table(vessel: VesselAnswer) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("value")
    table.add_column("stated by", style="dim")
    for prop, values in vessel.identity.items():
        label = _LABELS.get(prop, prop)
        for n, sourced in enumerate(values):
            table.add_row(label if n == 0 else "", escape(_value(prop, sourced.value)),
                          escape(_sources(sourced.sources)))
    return table


def _party_text(party: Party) -> Text:
    text = Text()
    role = party.role or party.kind
    text.append(f"{role}: ", style="bold cyan")
    text.append(party.caption, style="bold")
    text.append(f"  ({party.schema}, {party.id})", style="dim")
    extra = []
    if party.percentage is not None:
        extra.append(f"{party.percentage:g}%")
    if party.start_date or party.end_date:
        extra.append(f"{party.start_date or '?'} to {party.end_date or 'now'}")
    if extra:
        text.append("  " + ", ".join(extra))
    text.append(f"\n  stated by {_sources(party.stated_by)}", style="dim")
    return text


def _party_facts(facts: dict[str, list[Sourced]]) -> list[Text]:
    """Identifiers on one line, then each address on its own."""
    parts = []
    for prop, label in _PARTY_LABELS.items():
        for sourced in facts.get(prop, []):
            parts.append(f"{label} {_value(prop, sourced.value)}")
    lines = [Text("  " + " · ".join(parts))] if parts else []
    lines.extend(Text(f"  address: {a.value}") for a in facts.get("address", []))
    return lines


def _add_party(tree: Tree, party: Party) -> None:
    lines: list[Text] = [_party_text(party)]
    if party.repeated:
        lines.append(Text("  (shown above)", style="dim italic"))
    else:
        lines.extend(_party_facts(party.facts))
        if not party.sanctions:
            lines.append(Text("  no sanction in the loaded lists", style="green"))
        lines.extend(Text("  ") + _sanction_line(s) for s in party.sanctions)
    branch = tree.add(Group(*lines))
    for above in party.above:
        _add_party(branch, above)


def render_vessel(console: Console, vessel: VesselAnswer) -> None:
    title = f"{vessel.caption}  IMO {vessel.imo or '?'}  ({vessel.id})"
    body: list[Table | Text | Tree] = [_identity_table(vessel)]
    if vessel.sanctions:
        body.append(Text())
        body.extend(_sanction_line(s) for s in vessel.sanctions)
    else:
        body.append(Text("vessel itself: no sanction in the loaded lists", style="green"))
    tree = Tree(Text("Parties with a role on the vessel, and the chain above each", style="bold"))
    for party in vessel.parties:
        _add_party(tree, party)
    if not vessel.parties:
        tree.add(Text("no owner, operator or manager on record", style="yellow"))
    body.extend([Text(), tree])
    console.print(Panel(Group(*body), title=escape(title), title_align="left", expand=False))


def render_owner(console: Console, answer: OwnerAnswer) -> None:
    count = len(answer.vessels) + len(answer.more)
    if count > 1:
        console.print(
            f"{count} vessels match {answer.query!r} (by {answer.matched_by}); "
            "give an IMO number to pick one:", markup=False)
        table = Table(box=None, pad_edge=False)
        for column in ("IMO", "name", "flag", "sanctioned", "id"):
            table.add_column(column)
        for vessel in answer.vessels:
            flags = {country_name(s.value) for s in vessel.identity.get("flag", [])}
            table.add_row(vessel.imo or "?", escape(vessel.caption), ", ".join(sorted(flags)),
                          "yes" if vessel.sanctions else "no", vessel.id)
        for more in answer.more:
            table.add_row(more["imo"] or "?", escape(more["caption"] or ""), "", "", more["id"])
        console.print(table)
        console.print()
    elif answer.matched_by == "similar name":
        console.print(f"no ship is named {answer.query!r}; the closest is:", markup=False)
    for vessel in answer.vessels:
        render_vessel(console, vessel)

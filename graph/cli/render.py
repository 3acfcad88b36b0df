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
from queries.blocked import BlockedEntity
from queries.owner import Claim, OwnerAnswer, Party, SanctionOut, Sourced, VesselAnswer
from queries.paths import NodeRef, PathOut, Step, StepRelation

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
EVIDENCE_STYLE: Final = "yellow"


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


def _qualifiers(percentage: float | None, start: str | None, end: str | None,
                confidence: str | None = None, share: str | None = None) -> str:
    """`  50%, 2023-08-15 to 2023-10-05, confidence medium`: what qualifies a relation (a band,
    "more than 25%, at most 50%", stands where no exact figure is stated)."""
    extra = []
    if percentage is not None:
        extra.append(f"{percentage:g}%")
    elif share:
        extra.append(share)
    if start or end:
        extra.append(f"{start or '?'} to {end or '?'}")
    if confidence:
        extra.append(f"confidence {confidence}")
    return "  " + ", ".join(extra) if extra else ""


def _sanction_line(s: SanctionOut) -> Text:
    text = Text()
    text.append("SANCTIONED ", style="bold red")
    # "EU" + "EU 833/2014 Annex XLII" reads as one name, not "EU EU 833/2014 ...".
    named = s.program if s.program.startswith(s.authority) else f"{s.authority} {s.program}"
    text.append(named)
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
    open_end = "now" if party.start_date and not party.end_date else party.end_date
    # An ownership with no stated share says so: a share is never guessed.
    share = party.share or ("share unknown" if party.kind == "ownership" else None)
    text.append(_qualifiers(party.percentage, party.start_date, open_end, share=share))
    if party.evidence:
        text.append("\n  EVIDENCE: an analyst's claim (citation under Analysts' evidence)",
                    style=EVIDENCE_STYLE)
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
        if party.state_actor:
            lines.append(Text(f"  STATE ACTOR: {party.state_actor} (the chain ends here)",
                              style="bold magenta"))
        if not party.sanctions and not party.blocked:
            lines.append(Text("  no sanction in the loaded lists", style="green"))
        lines.extend(Text("  ") + _sanction_line(s) for s in party.sanctions)
        if party.blocked:
            lines.extend(Text("  ") + line for line in blocked_lines(party.blocked))
    branch = tree.add(Group(*lines))
    for above in party.above:
        _add_party(branch, above)


def render_vessel(console: Console, vessel: VesselAnswer) -> None:
    ship = vessel.schema == "Vessel"
    title = (f"{vessel.caption}  IMO {vessel.imo or '?'}  ({vessel.id})" if ship
             else f"{vessel.caption}  {vessel.schema}  ({vessel.id})")
    body: list[Table | Text | Tree | Group] = [_identity_table(vessel)]
    if vessel.sanctions:
        body.append(Text())
        body.extend(_sanction_line(s) for s in vessel.sanctions)
    else:
        body.append(Text(f"{'vessel' if ship else vessel.schema} itself: no sanction in the "
                         "loaded lists", style="green"))
    if vessel.blocked:
        body.extend(blocked_lines(vessel.blocked))
    tree = Tree(Text(f"Parties with a role on the {'vessel' if ship else vessel.schema}, and the "
                     "chain above each (official sources)", style="bold"))
    for party in vessel.parties:
        _add_party(tree, party)
    if not vessel.parties:
        tree.add(Text("no owner, operator or manager on record", style="yellow"))
    body.extend([Text(), tree])
    if vessel.evidence_parties:
        claimed = Tree(Text("Parties that analysts' claims put on the vessel (evidence, not "
                            "official listings)", style=f"bold {EVIDENCE_STYLE}"))
        for party in vessel.evidence_parties:
            _add_party(claimed, party)
        body.extend([Text(), claimed])
    if vessel.to_state:
        body.append(Text())
        body.append(Text("Nearest state actor", style="bold"))
        for path in vessel.to_state:
            body.append(path_text(path, indent="  ", cite=not vessel.evidence))
    if vessel.evidence:
        body.append(Text())
        body.append(evidence_table(vessel.evidence))
    console.print(Panel(Group(*body), title=escape(title), title_align="left", expand=False))



def evidence_table(claims: list[Claim]) -> Group:
    """Analysts' claims, apart from the official listings, grouped by citation."""
    lines: list[Text] = [Text("Analysts' evidence (claims from reports, not official listings)",
                              style=f"bold {EVIDENCE_STYLE}")]
    by_citation: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_citation[claim.citation].append(claim)
    for citation, group in by_citation.items():
        lines.append(Text(f"  EVIDENCE {citation}", style=EVIDENCE_STYLE))
        for claim in group:
            text = Text("    ")
            text.append(claim.subject_caption, style="bold")
            text.append(f" —{claim.role or claim.kind}→ ")
            text.append(claim.object_caption, style="bold")
            text.append(_qualifiers(claim.percentage, claim.start_date, claim.end_date,
                                    claim.confidence))
            text.append(f"  [{source_label(claim.source)}]", style="dim")
            lines.append(text)
            if claim.description:
                lines.append(Text(f"      “{claim.description}”", style="italic dim"))
    return Group(*lines)


def blocked_lines(blocked: BlockedEntity) -> list[Text]:
    """The 50% rule's verdict on a node and the holdings that make its total."""
    sure = blocked.status == "blocked"
    head = Text()
    head.append("BLOCKED BY OWNERSHIP" if sure else "POSSIBLY BLOCKED BY OWNERSHIP",
                style="bold red" if sure else "bold yellow")
    banded = any(h.percentage is None and h.share != "share unknown" for h in blocked.holdings)
    figure = f"{'at least ' if banded else ''}{blocked.total:g}% held by blocked persons"
    if blocked.unknown:
        figure += f"; {blocked.unknown} holding(s) of unknown size"
    head.append(f" (50% rule: {figure})")
    lines = [head]
    if blocked.reasoning:
        lines.append(Text(f"    why: {blocked.reasoning}"))
    for holding in blocked.holdings:
        text = Text(f"    {holding.share} by {holding.caption} ({holding.holder_status})")
        if holding.evidence:
            text.append(" EVIDENCE", style=EVIDENCE_STYLE)
        text.append(f"  [{_sources(holding.sources)}]", style="dim")
        lines.append(text)
    return lines


def node_text(node: NodeRef) -> Text:
    text = Text()
    text.append(node.caption, style="bold")
    text.append(f" ({node.schema}, {node.id})", style="dim")
    if node.sanctioned:
        text.append(" SANCTIONED", style="bold red")
    if node.state_actor:
        text.append(f" STATE ACTOR: {node.state_actor}", style="bold magenta")
    return text


def relation_text(step: Step, rel: StepRelation, indent: str, notes: list[str] | None
                  ) -> list[Text]:
    """One relation of a step. With `notes`, an evidence citation becomes a numbered note
    (printed once under the path) instead of being repeated on every step."""
    forward = rel.subject == step.source
    arrow = "→" if forward else "←"
    text = Text(f"{indent}  {arrow} ")
    text.append(rel.kind, style="cyan")
    if rel.role and rel.role != rel.kind:
        text.append(f" ({rel.role})")
    text.append(_qualifiers(rel.percentage, rel.start_date, rel.end_date, rel.confidence,
                            share=rel.share))
    lines = [text]
    if rel.evidence:
        if notes is None:
            citation = "an analyst's claim (citation below)"
        else:
            if rel.evidence not in notes:
                notes.append(rel.evidence)
            citation = f"an analyst's claim [{notes.index(rel.evidence) + 1}]"
        lines.append(Text(f"{indent}      EVIDENCE {citation}", style=EVIDENCE_STYLE))
    lines.append(Text(f"{indent}      stated by {_sources(rel.sources)}", style="dim"))
    return lines


def path_text(path: PathOut, *, indent: str = "", cite: bool = True) -> Group:
    """A path as lines: each node, and between two nodes every relation joining them (its
    direction, role, dates, sources, and the citation when it is evidence, as a note under the
    path; with `cite` False the caller prints the citations elsewhere)."""
    notes: list[str] | None = [] if cite else None
    lines: list[Text] = [Text(indent) + node_text(path.nodes[0])]
    for step, node in zip(path.steps, path.nodes[1:], strict=True):
        for rel in step.relations:
            lines.extend(relation_text(step, rel, indent, notes))
        lines.append(Text(indent) + node_text(node))
    for n, citation in enumerate(notes or [], 1):
        lines.append(Text(f"{indent}  [{n}] EVIDENCE {citation}", style=EVIDENCE_STYLE))
    return Group(*lines)


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

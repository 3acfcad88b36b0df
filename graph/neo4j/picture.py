"""A picture of one node's neighbourhood as Neo4j holds it: the same labels, relationship types
and programme and country nodes as the sync writes, drawn with networkx and matplotlib.

Programme and country nodes are shown but never walked through: one programme joins thousands
of listed entities, and a picture of all of them says nothing.

The neighbourhood is built from the rows the sync pushes (`neighbourhood`), or from what Neo4j
returns for the library query `neighbourhood` (`neighbourhood_from_records`); both give the same
graph, and `draw` draws either. Analysts' claims (evidence) are drawn dashed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import networkx as nx

from graph.model import EVIDENCE_PROPERTY
from graph.neo4j.shape import COUNTRY, ENTITY, PROGRAM, STATE_ACTOR, GraphRows

#: Fill colour per kind of node (the most specific label wins).
COLOURS: Final = {
    "Vessel": "#4e79a7", "Company": "#f28e2b", "Organization": "#edc948",
    "LegalEntity": "#b07aa1", "Person": "#76b7b2", "PublicBody": "#e15759",
    STATE_ACTOR: "#e15759", PROGRAM: "#bab0ac", COUNTRY: "#59a14f", "Airplane": "#9c755f",
}


def neighbourhood(graph: GraphRows, center: str, hops: int = 2) -> Any:
    """The nodes within `hops` relationships of `center` (walking between entities only), with
    every relationship among them, as a networkx MultiDiGraph whose nodes carry `caption`,
    `kind`, `space` and `depth`, and whose edges carry `type`, `role` and `evidence`."""
    nodes = {n.id: n for n in graph.nodes}
    if center not in nodes:
        raise KeyError(center)
    around: dict[str, list[tuple[str, str]]] = {}
    for rel in graph.rels:
        around.setdefault(rel.start, []).append((rel.end, rel.id))
        around.setdefault(rel.end, []).append((rel.start, rel.id))
    depth = {center: 0}
    queue = deque([center])
    while queue:
        current = queue.popleft()
        if depth[current] >= hops or nodes[current].space != ENTITY:
            continue
        for other, _ in around.get(current, []):
            if other not in depth:
                depth[other] = depth[current] + 1
                queue.append(other)
    picture = nx.MultiDiGraph()
    for node_id in depth:
        row = nodes[node_id]
        caption = str(row.props.get("caption") or row.props.get("name") or node_id)
        picture.add_node(node_id, caption=caption, kind=_kind(row.labels, row.space),
                         space=row.space, depth=depth[node_id])
    for rel in graph.rels:
        if rel.start in depth and rel.end in depth:
            picture.add_edge(rel.start, rel.end, type=rel.type, role=rel.props.get("role"),
                             evidence=bool(rel.props.get(EVIDENCE_PROPERTY)))
    return picture


def neighbourhood_from_records(records: Iterable[Mapping[str, Any]]) -> Any:
    """The same MultiDiGraph as `neighbourhood`, built from the records Neo4j returns for the
    library query `neighbourhood` (queries/cypher/neighbourhood.cypher): one record per node,
    with `id`, `caption`, `space`, `labels`, `depth` and `relationships` (each relationship to
    another node of the neighbourhood: `type`, `role`, `evidence`, `target`).

    `records` may be `run_query`'s rows or the `%%cypher` magic's DataFrame
    (`frame.to_dict("records")`). No records (an id Neo4j does not hold) is a `KeyError`, as
    `neighbourhood` raises for an unknown centre."""
    rows = list(records)
    if not rows:
        raise KeyError("no records: Neo4j holds no entity with that id")
    picture = nx.MultiDiGraph()
    for row in rows:
        node_id = str(row["id"])
        space = str(row["space"])
        labels = tuple(str(label) for label in row["labels"] if label != space)
        picture.add_node(node_id, caption=str(row["caption"] or node_id),
                         kind=_kind(labels, space), space=space, depth=int(row["depth"]))
    for row in rows:
        for rel in row["relationships"]:
            target = str(rel["target"])
            if target not in picture:
                raise ValueError(f"relationship {row['id']} -[{rel['type']}]-> {target}: "
                                 "the target is not among the records")
            picture.add_edge(str(row["id"]), target, type=str(rel["type"]), role=rel["role"],
                             evidence=bool(rel["evidence"]))
    return picture


def _kind(labels: tuple[str, ...], space: str) -> str:
    """The kind a node is coloured by: `StateActor`, else its schema label, else its id space
    (a programme, a country)."""
    if STATE_ACTOR in labels:
        return STATE_ACTOR
    return labels[0] if labels else space


def draw(picture: Any, path: Path | str, *, title: str | None = None) -> Path:
    """Draw a neighbourhood to a PNG file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    path = Path(path)
    fig, ax = plt.subplots(figsize=(11, 7.5), dpi=110)
    layout = nx.spring_layout(nx.Graph(picture), seed=7, k=1.6 / max(1, len(picture)) ** 0.5,
                              iterations=200)
    colours = [COLOURS.get(picture.nodes[n]["kind"], "#cccccc") for n in picture.nodes]
    nx.draw_networkx_nodes(picture, layout, ax=ax, node_color=colours, node_size=900,
                           edgecolors="#333333", linewidths=0.8)
    labels = {n: _wrap(picture.nodes[n]["caption"]) for n in picture.nodes}
    nx.draw_networkx_labels(picture, layout, labels=labels, ax=ax, font_size=7)
    edges = list(picture.edges(data=True))
    nx.draw_networkx_edges(picture, layout, edgelist=[(u, v) for u, v, _ in edges], ax=ax,
                           arrows=True, arrowsize=12, edge_color="#555555", node_size=900,
                           style=["--" if d.get("evidence") else "-" for _, _, d in edges],
                           connectionstyle="arc3,rad=0.06")
    # parallel relationships between two nodes share one label
    types: dict[tuple[str, str], list[str]] = {}
    for u, v, d in edges:
        types.setdefault((u, v), [])
        if d["type"] not in types[(u, v)]:
            types[(u, v)].append(d["type"])
    edge_labels = {pair: " / ".join(sorted(found)) for pair, found in types.items()}
    nx.draw_networkx_edge_labels(picture, layout, edge_labels=edge_labels, ax=ax, font_size=6,
                                 font_color="#7a1f1f")
    kinds = sorted({picture.nodes[n]["kind"] for n in picture.nodes})
    handles = [Line2D([], [], marker="o", linestyle="", markersize=9,
                          markerfacecolor=COLOURS.get(k, "#cccccc"), markeredgecolor="#333333",
                          label=f":{k}") for k in kinds]
    if any(d.get("evidence") for _, _, d in edges):
        handles.append(Line2D([], [], color="#555555", linestyle="--",
                              label="evidence (an analyst's claim)"))
    ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    ax.axis("off")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _wrap(text: str, width: int = 16) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines[:3])

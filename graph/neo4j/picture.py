"""A picture of one node's neighbourhood as Neo4j holds it: the same labels, relationship types
and programme and country nodes as the sync writes, drawn with networkx and matplotlib.

Programme and country nodes are shown but never walked through: one programme joins thousands
of listed entities, and a picture of all of them says nothing.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, Final

import networkx as nx

from graph.neo4j.shape import COUNTRY, ENTITY, PROGRAM, STATE_ACTOR, GraphRows

#: Fill colour per kind of node (the most specific label wins).
COLOURS: Final = {
    "Vessel": "#4e79a7", "Company": "#f28e2b", "Organization": "#edc948",
    "LegalEntity": "#b07aa1", "Person": "#76b7b2", "PublicBody": "#e15759",
    STATE_ACTOR: "#e15759", PROGRAM: "#bab0ac", COUNTRY: "#59a14f", "Airplane": "#9c755f",
}


def neighbourhood(graph: GraphRows, center: str, hops: int = 2) -> Any:
    """The nodes within `hops` relationships of `center` (walking between entities only), with
    every relationship among them, as a networkx MultiDiGraph whose nodes carry `label`,
    `caption` and `kind`, and whose edges carry `type` and `role`."""
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
        kind = (STATE_ACTOR if STATE_ACTOR in row.labels
                else row.labels[0] if row.labels else row.space)
        caption = str(row.props.get("caption") or row.props.get("name") or node_id)
        picture.add_node(node_id, caption=caption, kind=kind, space=row.space,
                         depth=depth[node_id])
    for rel in graph.rels:
        if rel.start in depth and rel.end in depth:
            picture.add_edge(rel.start, rel.end, type=rel.type, role=rel.props.get("role"))
    return picture


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
    nx.draw_networkx_edges(picture, layout, ax=ax, arrows=True, arrowsize=12,
                           edge_color="#555555", node_size=900,
                           connectionstyle="arc3,rad=0.06")
    edge_labels = {(u, v): d["type"] for u, v, d in picture.edges(data=True)}
    nx.draw_networkx_edge_labels(picture, layout, edge_labels=edge_labels, ax=ax, font_size=6,
                                 font_color="#7a1f1f")
    kinds = sorted({picture.nodes[n]["kind"] for n in picture.nodes})
    handles = [Line2D([], [], marker="o", linestyle="", markersize=9,
                          markerfacecolor=COLOURS.get(k, "#cccccc"), markeredgecolor="#333333",
                          label=f":{k}") for k in kinds]
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

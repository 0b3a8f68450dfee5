"""The lineage page: raw prefixes → staging tables (and quarantine) → the star schema, generated from
the one pipeline definition (`sparkify.pipeline`: `SOURCES`, `CURATED_TABLES[].built_from`, `STEPS`),
never drawn by hand. Drawn as inline SVG (no script), with the same edges as a table below it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sparkify.docs_site.page import LINEAGE, escape, link, page, table
from sparkify.docs_site.tables import table_page
from sparkify.layout import LAKE_LAYOUT
from sparkify.pipeline import CURATED_TABLES, SOURCES, STEPS, JobStep, Location

RAW, STAGING, QUARANTINE, CURATED = "raw", "staging", "quarantine", "curated"


@dataclass(frozen=True)
class Node:
    layer: str
    name: str

    @property
    def label(self) -> str:
        if self.layer == RAW:
            return f"{self.name}/"
        return f"{self.layer}.{self.name}"


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    step: str


def step_between(reads: Location, writes: Location) -> str:
    """The first job, in pipeline order, that receives both locations: the one that moves data across."""
    for step in STEPS:
        if isinstance(step, JobStep) and reads in step.locations and writes in step.locations:
            return step.name
    raise KeyError(f"no job receives both {reads.value} and {writes.value}")


def edges() -> list[Edge]:
    stage = step_between(Location.RAW, Location.STAGING)
    model = step_between(Location.STAGING, Location.CURATED)
    found = []
    for source, prefix in SOURCES.items():
        found.append(Edge(Node(RAW, prefix), Node(STAGING, source), stage))
        found.append(Edge(Node(RAW, prefix), Node(QUARANTINE, source), stage))
    for spec in CURATED_TABLES:
        found.extend(Edge(Node(STAGING, s), Node(CURATED, spec.name), model) for s in spec.built_from)
    return found


_BOX_W, _BOX_H, _ROW, _COLUMNS = 190, 34, 48, {RAW: 20, STAGING: 330, QUARANTINE: 330, CURATED: 640}


def _positions(found: list[Edge]) -> dict[Node, tuple[int, int]]:
    columns: dict[int, list[Node]] = {}
    for edge in found:
        for node in (edge.source, edge.target):
            column = columns.setdefault(_COLUMNS[node.layer], [])
            if node not in column:
                column.append(node)
    return {node: (x, 40 + i * _ROW) for x, nodes in columns.items() for i, node in enumerate(nodes)}


def svg(found: list[Edge]) -> str:
    at = _positions(found)
    height = max(y for _, y in at.values()) + _BOX_H + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="lineage" width="{640 + _BOX_W + 20}" height="{height}" '
        'font-family="system-ui, sans-serif" font-size="13">',
        *(
            f'<text x="{x}" y="22" font-weight="bold" fill="currentColor">{title}</text>'
            for x, title in (
                (20, "raw prefixes"),
                (330, "staging (Iceberg) and quarantine"),
                (640, "star schema (Iceberg)"),
            )
        ),
    ]
    for edge in found:
        (x1, y1), (x2, y2) = at[edge.source], at[edge.target]
        a, b = (x1 + _BOX_W, y1 + _BOX_H // 2), (x2, y2 + _BOX_H // 2)
        middle = (a[0] + b[0]) // 2
        dash = ' stroke-dasharray="4 3"' if edge.target.layer == QUARANTINE else ""
        parts.append(
            f'<path d="M{a[0]},{a[1]} C{middle},{a[1]} {middle},{b[1]} {b[0]},{b[1]}" fill="none" '
            f'stroke="#6b7280"{dash}><title>{escape(edge.step)}: {escape(edge.source.label)} → '
            f"{escape(edge.target.label)}</title></path>"
        )
    for node, (x, y) in at.items():
        fill = {RAW: "#fde68a", STAGING: "#bfdbfe", QUARANTINE: "#fecaca", CURATED: "#bbf7d0"}[node.layer]
        box = (
            f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="{fill}" stroke="#374151"/>'
            f'<text x="{x + 10}" y="{y + 22}" fill="#111827">{escape(node.label)}</text>'
        )
        if node.layer == CURATED:
            box = f'<a href="{table_page(node.name)}">{box}</a>'
        parts.append(f'<g class="node" data-node="{escape(node.label)}">{box}</g>')
    parts.append("</svg>")
    return "".join(parts)


def render_lineage() -> str:
    found = edges()
    lake = ", ".join(
        f"<code>{escape(LAKE_LAYOUT[loc])}/</code>" for loc in (Location.STAGING, Location.QUARANTINE, Location.CURATED)
    )
    body = (
        "<p>How raw files become the star schema, as the pipeline definition (<code>sparkify/pipeline.py</code>) "
        f"wires it; the lake's folders are {lake}. Dashed: records set aside with their reason. "
        "The validate job then judges the star schema's <code>audit</code> branches and publishes them.</p>"
        + svg(found)
        + "<h2>Edges</h2>"
        + table(
            ["from", "to", "job"],
            [
                [
                    e.source.label,
                    link(table_page(e.target.name), e.target.label) if e.target.layer == CURATED else e.target.label,
                    e.step,
                ]
                for e in found
            ],
        )
    )
    return page("Lineage", body, here=LINEAGE)

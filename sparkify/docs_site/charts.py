"""The charts page: what a person would rather see than read, over the last runs, from the run reports:
each job step's duration, rows per curated table, records quarantined per source, and what each table
costs to plan and keep (its data files and metadata files, as its last upkeep left them).

Vega-Lite specs, rendered in the browser by the vendored vega, vega-lite and vega-embed
(`sparkify/docs_site/vendor/vega/`, copied to the site's `static/vendor/vega/`): no network needed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sparkify.docs_site.page import CHARTS, escape, page

LAST_RUNS = 100  # runs on the charts, the newest last: three months of daily runs
VEGA_SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
VEGA_DIR = "static/vendor/vega"

Report = Mapping[str, Any]


def _run(order: int, report: Report) -> dict[str, Any]:
    started = str(report["started_at"])
    return {"order": order, "run": started[:16].replace("T", " "), "run_id": report["run_id"]}


def chart_data(reports: Sequence[Report]) -> dict[str, list[dict[str, Any]]]:
    """The charts' rows from reports given newest first; the charts show the last `LAST_RUNS`,
    oldest on the left."""
    shown = list(reversed(reports[:LAST_RUNS]))
    data: dict[str, list[dict[str, Any]]] = {"duration": [], "rows": [], "quarantined": [], "lake": []}
    for order, report in enumerate(shown):
        run = _run(order, report)
        for step in report.get("steps") or []:
            if step.get("kind", "job") == "job" and step.get("status") not in ("not run", "skipped"):
                data["duration"].append({**run, "step": step["name"], "seconds": float(step["seconds"])})
        for table, info in (report.get("tables") or {}).items():
            data["rows"].append({**run, "table": table, "rows": int(info["rows"])})
        for source, records in (report.get("quarantined") or {}).items():
            data["quarantined"].append({**run, "source": source, "records": int(records)})
        for table, health in (report.get("lake") or {}).items():
            data["lake"].append({**run, "table": table, **health})
    return data


def _x() -> dict[str, Any]:
    return {
        "field": "run",
        "type": "ordinal",
        "title": "run (start, UTC)",
        "sort": {"field": "order", "op": "min", "order": "ascending"},
        "axis": {"labelAngle": -40},
    }


def specs(data: Mapping[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Vega-Lite specs, one per chart, with their data inline."""
    base = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "width": 640, "height": 260}

    def tooltip(*fields: str) -> list[dict[str, str]]:
        return [{"field": "run_id", "title": "run"}, *({"field": f} for f in fields)]

    return {
        "duration": {
            **base,
            "title": "Duration per step (seconds)",
            "data": {"values": data["duration"]},
            "mark": "bar",
            "encoding": {
                "x": _x(),
                "y": {"field": "seconds", "type": "quantitative", "aggregate": "sum", "title": "seconds"},
                "color": {"field": "step", "type": "nominal"},
                "tooltip": tooltip("step", "seconds"),
            },
        },
        "rows": {
            **base,
            "title": "Rows per table",
            "data": {"values": data["rows"]},
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": _x(),
                "y": {"field": "rows", "type": "quantitative", "title": "rows"},
                "color": {"field": "table", "type": "nominal"},
                "tooltip": tooltip("table", "rows"),
            },
        },
        "quarantined": {
            **base,
            "title": "Records quarantined per run",
            "data": {"values": data["quarantined"]},
            "mark": "bar",
            "encoding": {
                "x": _x(),
                "y": {"field": "records", "type": "quantitative", "aggregate": "sum", "title": "records"},
                "color": {"field": "source", "type": "nominal"},
                "tooltip": tooltip("source", "records"),
            },
        },
        "data_files": _lake_line(base, data["lake"], "data_files", "Data files per table (main)"),
        "metadata_files": _lake_line(
            base, data["lake"], "metadata_files", "Metadata files per table (table metadata, manifest lists, manifests)"
        ),
    }


def _lake_line(base: Mapping[str, Any], rows: list[dict[str, Any]], field: str, title: str) -> dict[str, Any]:
    return {
        **base,
        "title": title,
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": _x(),
            "y": {"field": field, "type": "quantitative", "title": field.replace("_", " ")},
            "color": {"field": "table", "type": "nominal"},
            "tooltip": [{"field": "run_id", "title": "run"}, {"field": "table"}, {"field": field}],
        },
    }


def _json_in_script(value: Any) -> str:
    """JSON that cannot end the script element it sits in."""
    return json.dumps(value, sort_keys=True).replace("</", "<\\/")


def render_charts(reports: Sequence[Report]) -> str:
    """The charts page for reports given newest first."""
    shown = min(len(reports), LAST_RUNS)
    head = "".join(f'<script src="{VEGA_DIR}/{name}"></script>' for name in VEGA_SCRIPTS)
    charts = specs(chart_data(reports))
    body = [f"<p>The last {shown} runs, oldest on the left; hover a mark for its run id.</p>"]
    for name in charts:
        body.append(f'<div class="chart" id="chart-{escape(name)}"></div>')
    calls = "".join(
        f'vegaEmbed("#chart-{name}", {_json_in_script(spec)}, {{"actions": false, "renderer": "svg"}});'
        for name, spec in charts.items()
    )
    body.append(f"<script>{calls}</script>")
    return page("Charts", "".join(body), here=CHARTS, head=head)

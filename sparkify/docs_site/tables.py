"""A page per curated table, named after it (`tables/<table>.html`), as dbt docs have a page per model:
what the table holds, its key and partitions, each column with its type and description, the rules of its
suite with the reason for each, what it is built from, and its row counts over the kept runs.

Columns and types come from `sparkify.schemas`, descriptions from the suite's `meta.columns` (the
contract and its descriptions sit together in `expectations/<table>.json`), rows from the run reports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sparkify.docs_site.page import INDEX, LINEAGE, TABLES_DIR, escape, link, page, table
from sparkify.pipeline import SOURCES, Table
from sparkify.quality.suites import expectation_column

Column = tuple[str, str, bool]  # name, type, nullable


def curated_columns(name: str) -> list[Column]:
    """A curated table's columns as its schema declares them (types as Spark SQL writes them)."""
    from sparkify.schemas import CURATED

    return [(f.name, f.dataType.simpleString(), bool(f.nullable)) for f in CURATED[name].fields]


def table_page(name: str) -> str:
    """Where a table's page is, from the site's root."""
    return f"{TABLES_DIR}/{name}.html"


def _arguments(kwargs: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in kwargs.items() if k not in ("column", "column_list", "column_A", "column_B")}
    return "; ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in shown.items())


def render_table(
    spec: Table, columns: Sequence[Column], suite: Mapping[str, Any], rows_by_run: Sequence[tuple[str, int]]
) -> str:
    """The page of one table. `rows_by_run`: (run id, rows) of the runs that counted it, newest first."""
    meta = suite.get("meta") or {}
    descriptions = meta.get("columns") or {}
    rules = suite["expectations"]
    per_column: dict[str, int] = {}
    for rule in rules:
        for column in (expectation_column(rule) or "").split(","):
            per_column[column] = per_column.get(column, 0) + 1
    latest = (
        f"{rows_by_run[0][1]:,} rows published in the latest run ({rows_by_run[0][0]})"
        if rows_by_run
        else "not counted yet"
    )
    parts = [
        f"<p>{escape(spec.description)} {escape(meta.get('notes', ''))}</p>",
        f"<p><strong>{escape(latest)}</strong>. Key: <code>{escape(', '.join(spec.key))}</code>. "
        + (
            f"Partitioned by <code>{escape(', '.join(spec.partition_by))}</code>. "
            if spec.partition_by
            else "Not partitioned. "
        )
        + "Built by the model job from staging "
        + ", ".join(
            f"<code>{escape(s)}</code> (raw <code>{escape(SOURCES.get(s, '?'))}/</code>)" for s in spec.built_from
        )
        + f" (see the {link('../' + LINEAGE, 'lineage')}).</p>",
        "<h2>Columns</h2>",
        table(
            ["column", "type", "nullable", "description", "rules"],
            [[c, t, "yes" if n else "no", descriptions.get(c, ""), per_column.get(c, 0)] for c, t, n in columns],
            numeric=frozenset({4}),
        ),
        f"<h2>Rules ({len(rules)}, suite <code>{escape(suite['name'])}</code>)</h2>",
        table(
            ["rule", "column", "arguments", "why"],
            [
                [
                    r["type"],
                    expectation_column(r) or "",
                    _arguments(r.get("kwargs") or {}),
                    (r.get("meta") or {}).get("notes", ""),
                ]
                for r in rules
            ],
        ),
        "<h2>Published rows per run</h2>",
        table(["run", "rows (main)"], [[run_id, f"{rows:,}"] for run_id, rows in rows_by_run], numeric=frozenset({1}))
        if rows_by_run
        else "<p>No run has counted this table yet.</p>",
    ]
    return page(spec.name, "".join(parts), root="../", here=f"{TABLES_DIR}/{INDEX}")


def render_table_list(
    specs: Sequence[Table], latest_rows: Mapping[str, int], latest: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    """`tables/index.html`: every curated table with its description and its published row count in the
    latest run that counted it; apart, what the latest run left on `audit` unpublished (`latest`: that
    run's report `tables`), waiting for validation or rejected by it."""
    unpublished = {name: info["audit"] for name, info in (latest or {}).items() if "audit" in info}
    rows = [
        [
            link(f"{s.name}.html", s.name),
            s.description,
            f"{latest_rows[s.name]:,}" if s.name in latest_rows else "—",
            f"{unpublished[s.name]['rows']:,} {unpublished[s.name]['state']}" if s.name in unpublished else "—",
        ]
        for s in specs
    ]
    body = (
        "<p>The star schema's tables: rows as published on <code>main</code> after validation (what readers "
        "see); apart, rows the latest run left on the <code>audit</code> branch that are not published.</p>"
        + table(
            ["table", "what it holds", "rows (main, published)", "audit (not published)"], rows, numeric=frozenset({2})
        )
    )
    return page("Tables", body, root="../", here=f"{TABLES_DIR}/{INDEX}")

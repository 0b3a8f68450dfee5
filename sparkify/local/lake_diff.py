"""`sparkify diff` over a local lake: each curated table's `audit` branch against its `main`
(`sparkify.lake.branch_diff`), with no Spark: pyiceberg scans both branches into Arrow, as `sparkify query`
does, and DuckDB runs the diff's SQL over them, in about a second on the sample. Beside it, the rows the
latest run's failed suites named, with the raw file and line of each (from its run report), and the
examples among them carry the same.

A table whose `audit` is its `main` is not scanned at all: nothing waits on it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sparkify.lake import branch_diff
from sparkify.layout import LAKE_LAYOUT, LATEST_REPORT
from sparkify.ops import OpsError
from sparkify.pipeline import CURATED_TABLES, Location

KEYS = {t.name: t.key for t in CURATED_TABLES}


def diff_lake(lake: Path, names: Sequence[str] | None = None) -> dict[str, Any]:
    """The `sparkify.diff` document of a lake: per table (all curated tables, or `names`) the rows its
    `audit` adds, changes and removes against `main`, with examples, and the totals."""
    import duckdb

    from sparkify.ops.query import _plain, branch_heads, scan_branch

    unknown = [n for n in names or () if n not in KEYS]
    if unknown:
        raise OpsError(f"no curated table {', '.join(unknown)}; the tables are {', '.join(KEYS)}")
    curated = lake / LAKE_LAYOUT[Location.CURATED]
    chosen = list(names or KEYS)
    missing = [n for n in chosen if not (curated / n / "metadata").is_dir()]
    if missing:
        raise OpsError(
            f"no curated table {', '.join(missing)} under {curated}: run the pipeline first (`sparkify run "
            f"--lake {lake}`)"
        )
    found = {}
    with duckdb.connect() as db:
        db.execute("SET TimeZone = 'UTC'")
        for name in chosen:
            refs = branch_heads(curated / name)
            if refs.get(branch_diff.AUDIT_BRANCH) in (None, refs.get(branch_diff.MAIN_BRANCH)):
                found[name] = branch_diff.unchanged(name, KEYS[name])
                continue
            audit = scan_branch(curated / name, branch_diff.AUDIT_BRANCH)
            main = scan_branch(curated / name, branch_diff.MAIN_BRANCH)
            db.register("audit_rows", audit)
            db.register("main_rows", main)
            relation = db.sql(branch_diff.diff_sql("audit_rows", "main_rows", KEYS[name], audit.column_names))
            rows = [dict(zip(relation.columns, (_plain(v) for v in row), strict=True)) for row in relation.fetchall()]
            found[name] = branch_diff.summarize(name, KEYS[name], audit.column_names, rows)
            db.unregister("audit_rows")
            db.unregister("main_rows")
    rejected = rejected_rows(lake, chosen)
    _locate_examples(found, rejected)
    return {"lake": str(lake), "tables": found, "total": branch_diff.total(found.values()), "rejected": rejected}


def rejected_rows(lake: Path, names: Sequence[str]) -> list[dict[str, Any]]:
    """The rows the latest run's failed suites named (of the tables `names`), each with its raw file and
    line, from its run report: what a failed audit left on `audit`, and where to fix it."""
    latest = lake / LAKE_LAYOUT[Location.REPORTS] / LATEST_REPORT
    try:
        report = json.loads(latest.read_text())
    except (OSError, ValueError):
        return []
    found = []
    for name, suite in (report.get("suites") or {}).items():
        for failure in suite.get("failed_expectations") or [] if name in names else []:
            if isinstance(failure, dict) and failure.get("rows"):
                rule = str(failure["type"]) + (f"({failure['column']})" if failure.get("column") else "")
                found.append({"table": name, "rule": rule, "run_id": report["run_id"], "rows": failure["rows"]})
    return found


def _locate_examples(diffs: dict[str, dict[str, Any]], rejected: list[dict[str, Any]]) -> None:
    """Give each example a failing row names by its key that row's raw file and line."""
    where = {
        (r["table"], tuple(str(row.get(k)) for k in KEYS[r["table"]])): (row.get("source_file"), row.get("line"))
        for r in rejected
        for row in r["rows"]
        if row.get("source_file")
    }
    for name, diff in diffs.items():
        for example in diff["examples"]:
            found = where.get((name, tuple(str(example["key"].get(k)) for k in KEYS[name])))
            if found:
                example["source_file"], example["line"] = found

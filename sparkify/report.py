"""The run report: one JSON document per workflow run, assembled from the steps' metrics.

Shape (every key always present, so scripts can rely on it; JSON Schema: docs/schemas/run-report.schema.json):
{
  "schema_version": "sparkify.run-report/1",
  "run_id": str, "status": "succeeded" | "failed" | "interrupted" | "running", "started_at": ISO time,
  "kind": "run" | "backfill" | "rollback",   # + "backfill": {"from", "to"} (days); a rollback: "rolled_back"
  "seconds": float,
  "error": str | null,              # why the run broke off, the one line it ended with (`sparkify.lake.run_errors`);
                                    #   null when it ran to its end (a failed suite is its step's to say)
  "steps":   [{"name", "kind", "status", "seconds", "error"}],   # in pipeline order
  "sources": {source: {"read", "staged", "quarantined",          # rows in = staged + quarantined
              "files", "files_seen", "file_classes": {new, changed, unchanged, deleted, unsupported},
              "deleted_files", "rows_removed", "judged_again_files", "unsupported_files", "top_reasons",
              "unknown_fields"}},                                 # files seen = sum of file_classes;
                                  # judged_again_files: unchanged files read again, as they held copies of
                                  #   rows that left staging
  "quarantined": {source: int},
  "tables":  {table: {"rows": int,                               # published: what readers of `main` see
                      "audit": {"rows": int, "state": "waiting" | "rejected"}}},
                                  # "audit" only when the run left rows on `audit` that are not published:
                                  #   "rejected" by a failed suite, or "waiting" for validation
  "suites":  {table: {"success": bool, "evaluated": int, "failed": int, "failed_expectations": [...]}},
                                  # + "unchanged_since_snapshot": id, when neither the table nor a table
                                  #   its rules join to changed, so the suite was not judged again
  "model":   {"mode": "full" | "incremental" | "none", "users": how the user tables were brought up to date},
  "data_docs_index": str | null,
  "diff": {table: {"added", "changed", "removed", "examples"}} | null,
  "published": {table: snapshot id},  # what the run moved `main` to ({} when it published nothing)
  "main_before": {table: snapshot id | null} | null,   # what `main` held before (a rollback goes back to it)
                                  # a failed audit: what waits on `audit` against `main` (`sparkify diff`)
  "selected_steps": [str] | null,   # `sparkify run --step`: the steps asked for (the others are skipped)
  "nothing_new": bool | null        # the stage step ran and found no new, changed or deleted raw file
}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sparkify.documents import schema_version

# A deployed run's report also shows steps still waiting or running, and steps a person stopped; a local
# run's step is `interrupted` when SIGINT or SIGTERM stopped it.
StepStatus = Literal["succeeded", "failed", "skipped", "not run", "waiting", "running", "stopped", "interrupted"]
# `running` is what a local run's report says until it ends (written at its start, see `sparkify.local.run_record`).
RunStatus = Literal["succeeded", "failed", "interrupted", "running"]


@dataclass
class StepResult:
    name: str
    kind: str
    status: StepStatus
    seconds: float = 0.0
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


# The file classes that mean the stage step had something to do.
CHANGED_FILE_CLASSES = ("new", "changed", "deleted")


def build_report(
    run_id: str,
    started_at: str,
    seconds: float,
    steps: list[StepResult],
    selected: Sequence[str] | None = None,
    error: str | None = None,
    status: RunStatus | None = None,
) -> dict[str, Any]:
    """The report of a run's `steps`; its status is `status` when given, else `succeeded` when every step
    and suite passed and no `error` stopped the run."""
    merged: dict[str, Any] = {}
    for result in steps:
        merged.update(result.metrics)
    sources = merged.get("sources", {})
    suites = merged.get("suites", {})
    ok = all(s.status in ("succeeded", "skipped") for s in steps) and all(
        suite.get("success") for suite in suites.values()
    )
    stage = next((s for s in steps if s.name == "stage" and s.status == "succeeded"), None)
    nothing_new = None
    if stage is not None and sources:
        nothing_new = not any(
            (counts.get("file_classes") or {}).get(c, 0) for counts in sources.values() for c in CHANGED_FILE_CLASSES
        )
    return {
        "schema_version": schema_version("run-report"),
        "run_id": run_id,
        "kind": "run",
        "status": status or ("succeeded" if ok and error is None else "failed"),
        "started_at": started_at,
        "seconds": round(seconds, 2),
        "steps": [
            {k: v for k, v in asdict(s).items() if k != "metrics"} | {"seconds": round(s.seconds, 2)} for s in steps
        ],
        "sources": sources,
        "quarantined": {name: counts["quarantined"] for name, counts in sources.items()},
        "tables": table_rows(merged, steps),
        "suites": suites,
        "model": merged.get("model"),
        "lake": merged.get("lake"),
        "data_docs_index": merged.get("data_docs_index"),
        "diff": merged.get("diff"),
        "published": merged.get("published") or {},
        "main_before": merged.get("main_before"),
        "selected_steps": list(selected) if selected is not None else None,
        "nothing_new": nothing_new,
        "error": error,
    }


def table_rows(merged: dict[str, Any], steps: Sequence[StepResult]) -> dict[str, dict[str, Any]]:
    """Each curated table's published rows and, apart, the rows its `audit` branch holds that are not
    published (the model's counts are `audit`'s; `published_rows`, from the last step that counted,
    `main`'s)."""
    audit: dict[str, int] = merged.get("rows", {})
    published: dict[str, int] = merged.get("published_rows", audit)
    validate = next((s for s in steps if s.name == "validate"), None)
    judged = validate is not None and validate.status in ("succeeded", "failed") and bool(validate.metrics)
    waiting = set(merged.get("audited") or []) - set(merged.get("published") or {}) if judged else None
    suites = merged.get("suites", {})
    rows: dict[str, dict[str, Any]] = {}
    for name, count in audit.items():
        rows[name] = {"rows": published.get(name, count)}
        unpublished = name in waiting if waiting is not None else count != published.get(name, count)
        if unpublished:
            rejected = judged and not (suites.get(name) or {}).get("success", True)
            rows[name]["audit"] = {"rows": count, "state": "rejected" if rejected else "waiting"}
    return rows


def failed_expectation_lines(report: dict[str, Any]) -> list[str]:
    """One line per failed expectation: `songs: expect_column_values_to_be_between(duration): 1 of 2 rows
    unexpected (e.g. -5.0); rows: song_id=SO…`."""
    lines = []
    for name, suite in (report.get("suites") or {}).items():
        for failed in suite.get("failed_expectations") or []:
            if not isinstance(failed, dict):
                lines.append(f"{name}: {failed}")
                continue
            rule = str(failed.get("type") or "expectation") + (f"({failed['column']})" if failed.get("column") else "")
            lines.append(f"{name}: {rule}" + (f": {failed['details']}" if failed.get("details") else ""))
    return lines

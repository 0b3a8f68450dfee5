"""A local lake's run history, newest first: the runs the Data Docs index lists (`sparkify.docs_site.history`),
from the same run reports (`reports/runs/<run_id>/report.json`), one plain row per run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sparkify.docs_site.history import started
from sparkify.docs_site.site import local_reports
from sparkify.layout import LAKE_LAYOUT
from sparkify.pipeline import Location

# What a report's `kind` says (a run of the workflow when it says nothing).
RUN, BACKFILL, ROLLBACK = "run", "backfill", "rollback"


def history(lake: Path) -> list[dict[str, Any]]:
    """Every kept run of `lake`: id, kind, start, status, seconds, and the rows readers of `main` saw after
    it (over every curated table; None when the run counted none), newest first. Raises
    `FileNotFoundError` naming the folder when `lake` holds no reports."""
    reports = lake / LAKE_LAYOUT[Location.REPORTS]
    if not reports.is_dir():
        raise FileNotFoundError(f"{lake} holds no run reports: is it a lake (`sparkify run --lake {lake}`)?")
    found = [r for r in local_reports(reports) if r.get("started_at")]
    return [row(r) for r in sorted(found, key=started, reverse=True)]


def row(report: dict[str, Any]) -> dict[str, Any]:
    tables = report.get("tables") or {}
    return {
        "run_id": str(report["run_id"]),
        "kind": str(report.get("kind") or RUN),
        "started_at": str(report["started_at"]),
        "status": str(report["status"]),
        "seconds": float(report.get("seconds") or 0.0),
        "rows_published": sum(int(t["rows"]) for t in tables.values()) if tables else None,
    }

"""`sparkify rollback` on a local lake: plan from the run reports (`sparkify.lake.rollback.plan`), then move
the tables back on local Spark under the lake's lock, and record the rollback as a run of its own (its
report beside the others, `"kind": "rollback"`, and the Data Docs index rebuilt), so it shows in
`sparkify runs` and can itself be rolled back."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sparkify.docs_site.site import local_reports
from sparkify.lake import rollback as lake_rollback
from sparkify.layout import LAKE_LAYOUT, RUN_REPORT, run_dir
from sparkify.pipeline import CURATED_TABLES, Location
from sparkify.report import StepResult, build_report

STEP = "rollback"


def rollback(lake: Path, run_id: str, also_later: bool = False) -> dict[str, Any]:
    """Roll `run_id`'s publish back (and every later one with `also_later`); returns the rollback's run
    report. Raises `RollbackRefused` (nothing moved) or `LakeLocked`."""
    from sparkify.lake import tables
    from sparkify.local.runner import build_site, lake_locations, lake_lock, new_run_id
    from sparkify.local.session import local_session, register_local_catalog

    reports_dir = lake / LAKE_LAYOUT[Location.REPORTS]
    with lake_lock(lake):
        planned = lake_rollback.plan(local_reports(reports_dir), run_id, also_later)
        started_at, start = datetime.now(UTC).isoformat(timespec="seconds"), time.perf_counter()
        spark = local_session("sparkify-rollback")
        catalog = register_local_catalog(spark, lake.resolve())
        curated = {t.name: tables.ident(f"{catalog}.{LAKE_LAYOUT[Location.CURATED]}", t.name) for t in CURATED_TABLES}
        metrics = lake_rollback.apply(
            spark, curated, str(lake.resolve() / LAKE_LAYOUT[Location.CURATED]), planned.targets
        )
        metrics["published_rows"] = tables.row_counts(spark, curated, tables.MAIN)
        metrics["rows"] = tables.row_counts(spark, curated, tables.AUDIT)
        seconds = time.perf_counter() - start
        step = StepResult(STEP, STEP, "succeeded", seconds, None, metrics)
        report = build_report(new_run_id(), started_at, seconds, [step])
        report["kind"] = STEP
        report["rolled_back"] = {"run_id": planned.run_id, "later": list(planned.later)}
        # Beside the runs' reports; `latest.json` stays the latest run of the workflow (its quarantine, its pages).
        folder = reports_dir / run_dir(report["run_id"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / RUN_REPORT).write_text(json.dumps(report, indent=2))
        build_site(lake_locations(lake.resolve(), lake.resolve()))
    return report

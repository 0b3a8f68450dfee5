"""The site's index: every kept run, newest first, from the run reports.

Great Expectations 1.x keeps no history of its own here (its stores are in memory, and it has no S3
site store), so the index is built from the run reports: status, start, duration, rows, quarantined
records and suites per run, each linked to its own pages under `runs/<run_id>/` when it built them (a
run that changed no table validates nothing and builds none).

One retention rule covers run reports, quarantined records and each run's pages: `kept` drops what is
older than `history_days` (stack config `sparkify:historyExpirationDays`; locally `DEFAULT_HISTORY_DAYS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sparkify import job_args
from sparkify.docs_site.page import INDEX, Raw, escape, link, page, table
from sparkify.layout import RUNS_DIR

DEFAULT_HISTORY_DAYS = job_args.DEFAULT_HISTORY_DAYS

Report = Mapping[str, Any]


def started(report: Report) -> datetime:
    return datetime.fromisoformat(str(report["started_at"]))


def kept(reports: Iterable[Report], now: datetime, history_days: int) -> list[Report]:
    """The reports of runs that started within `history_days` before `now`, newest first (a report
    without a start time, of a run whose jobs recorded none, is left out)."""
    oldest = now - timedelta(days=history_days)
    return sorted((r for r in reports if r.get("started_at") and started(r) >= oldest), key=started, reverse=True)


def report_from_metrics(run_id: str, metrics: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A deployed run's report, from the metrics its jobs wrote (`<reports>/runs/<run_id>/<step>.json`,
    with `step_started_at` and `step_seconds` from `glue_main`); steps that wrote none are left out."""
    from sparkify.pipeline import job_steps
    from sparkify.report import StepResult, build_report

    steps = [
        StepResult(
            step.name,
            "job",
            "failed" if metrics[step.name].get("status") == "failed" else "succeeded",
            float(metrics[step.name].get("step_seconds") or 0.0),
            None,
            dict(metrics[step.name]),
        )
        for step in job_steps()
        if step.name in metrics
    ]
    starts = sorted(str(m["step_started_at"]) for m in metrics.values() if m.get("step_started_at"))
    return build_report(run_id, starts[0] if starts else "", sum(s.seconds for s in steps), steps)


def run_pages(run_id: str) -> str:
    """Where a run's Great Expectations pages are, from the site's root."""
    return f"{RUNS_DIR}/{run_id}/{INDEX}"


def _suites(report: Report) -> str:
    suites = report.get("suites") or {}
    judged = {name: s for name, s in suites.items() if "unchanged_since_snapshot" not in s}
    if not judged:
        return "none judged" if suites or report.get("status") == "succeeded" else "not run"
    failed = sorted(name for name, s in judged.items() if not s.get("success"))
    return f"{len(judged) - len(failed)} of {len(judged)} passed" + (
        f" (failed: {', '.join(failed)})" if failed else ""
    )


def _no_pages(report: Report) -> str:
    """What a run that built no pages shows instead: why it broke off (a signal, a damaged table, the JVM
    gone, a full disk), when it did."""
    error = report.get("error")
    return f"no new pages: {error}" if error else "no new pages"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(float(seconds)), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{float(seconds):.1f} s"


def render_index(reports: Iterable[Report], with_pages: Iterable[str], history_days: int) -> str:
    """The index page: one row per run (give them newest first), linked to its pages when it has them."""
    pages = set(with_pages)
    rows = []
    for report in reports:
        run_id = str(report["run_id"])
        status = str(report["status"])
        rows.append(
            [
                link(run_pages(run_id), run_id) if run_id in pages else run_id,
                Raw(f'<span class="{escape(status)}">{escape(status)}</span>'),
                started(report).strftime("%Y-%m-%d %H:%M:%S"),
                _duration(report["seconds"]),
                f"{sum(int(t['rows']) for t in (report.get('tables') or {}).values()):,}",
                f"{sum(int(n) for n in (report.get('quarantined') or {}).values()):,}",
                _suites(report),
                link(f"{RUNS_DIR}/{run_id}/run.html", "failing rows, quarantine")
                if run_id in pages
                else _no_pages(report),
            ]
        )
    body = (
        f"<p>Every run of the last {history_days} days, newest first ({len(rows)} runs). Reports, "
        "quarantined records and each run's pages are kept that long.</p>"
        + table(
            ["run", "status", "started (UTC)", "duration", "curated rows", "quarantined", "suites", "this run"],
            rows,
            numeric=frozenset({3, 4, 5}),
        )
    )
    return page("Runs", body, here=INDEX)

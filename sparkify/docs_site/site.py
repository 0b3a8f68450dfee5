"""The Data Docs site around Great Expectations' pages: one index of every kept run, a page per table,
the lineage and the charts, written from the pipeline definition, the suites and the run reports.

    <site>/index.html               every kept run, newest first (sparkify.docs_site.history)
    <site>/tables/<table>.html      one page per curated table (sparkify.docs_site.tables)
    <site>/lineage.html             raw → staging → star schema (sparkify.docs_site.lineage)
    <site>/charts.html              durations, rows, quarantine over the last runs (sparkify.docs_site.charts)
    <site>/runs/<run_id>/           that run's Great Expectations pages and run page

A local lake's site is `<lake>/data_docs/`; a stack's is its docs bucket (`runs/<run_id>/` and
`latest/` are uploaded by the validate job, these pages next to them). `prune_local` applies the
history rule to a local lake as the bucket lifecycle rules do on S3.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from sparkify.docs_site import charts as site_charts
from sparkify.docs_site import history as site_history
from sparkify.docs_site import lineage as site_lineage
from sparkify.docs_site import tables as site_tables
from sparkify.docs_site.page import CHARTS, INDEX, LINEAGE, TABLES_DIR
from sparkify.layout import BATCH_GLOB, RUN_REPORT, RUNS_DIR
from sparkify.pipeline import CURATED_TABLES


def pages(
    reports: Iterable[Mapping[str, Any]],
    suites: Mapping[str, Mapping[str, Any]],
    with_pages: Iterable[str],
    now: datetime,
    history_days: int,
) -> dict[str, str]:
    """Every page of the site's own part, by path from the site's root."""
    kept = site_history.kept(reports, now, history_days)
    rows_by_table: dict[str, list[tuple[str, int]]] = {t.name: [] for t in CURATED_TABLES}
    for report in kept:
        for name, info in (report.get("tables") or {}).items():
            rows_by_table.setdefault(name, []).append((str(report["run_id"]), int(info["rows"])))
    out = {
        INDEX: site_history.render_index(kept, with_pages, history_days),
        LINEAGE: site_lineage.render_lineage(),
        CHARTS: site_charts.render_charts(kept),
        f"{TABLES_DIR}/{INDEX}": site_tables.render_table_list(
            CURATED_TABLES,
            {name: rows[0][1] for name, rows in rows_by_table.items() if rows},
            dict((kept[0].get("tables") or {}) if kept else {}),
        ),
    }
    for spec in CURATED_TABLES:
        out[site_tables.table_page(spec.name)] = site_tables.render_table(
            spec, site_tables.curated_columns(spec.name), suites[spec.name], rows_by_table[spec.name]
        )
    return out


def write(site: Path, written: Mapping[str, str]) -> None:
    """Write the pages and the chart library they load into a site folder."""
    for relative, text in written.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text, encoding="utf-8")
    vega = resources.files("sparkify.docs_site") / "vendor" / "vega"
    target = site / site_charts.VEGA_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name in site_charts.VEGA_SCRIPTS:
        (target / name).write_bytes((vega / name).read_bytes())


def local_reports(reports_dir: Path) -> list[dict[str, Any]]:
    """The run reports of a local lake (`reports/runs/<run_id>/report.json`)."""
    found = []
    for path in sorted(reports_dir.glob(f"{RUNS_DIR}/*/{RUN_REPORT}")):
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a report being written, or damaged: the run is left off the index
    return found


def prune_local(site: Path, reports_dir: Path, quarantine_dir: Path, now: datetime, history_days: int) -> list[Path]:
    """Remove what the history rule no longer keeps: run reports and run pages of runs started before
    the cutoff, and quarantine batches whose files are all older than it (on S3 the bucket's lifecycle
    rules expire the same prefixes by age). Returns what was removed."""
    cutoff = now - timedelta(days=history_days)
    removed: list[Path] = []
    old_runs = {str(r["run_id"]) for r in local_reports(reports_dir) if site_history.started(r) < cutoff}
    for run_id in sorted(old_runs):
        for folder in (reports_dir / RUNS_DIR / run_id, site / RUNS_DIR / run_id):
            if folder.is_dir():
                shutil.rmtree(folder)
                removed.append(folder)
    for batch in sorted(quarantine_dir.glob(f"*/{BATCH_GLOB}")):
        times = [p.stat().st_mtime for p in batch.rglob("*") if p.is_file()]
        if times and max(times) < cutoff.timestamp():
            shutil.rmtree(batch)
            removed.append(batch)
    return removed


def build_local(
    site: Path,
    reports_dir: Path,
    quarantine_dir: Path,
    suites: Mapping[str, Mapping[str, Any]],
    now: datetime,
    history_days: int = site_history.DEFAULT_HISTORY_DAYS,
) -> Path:
    """Prune a local lake's history, then write its site's pages; returns the site's index."""
    prune_local(site, reports_dir, quarantine_dir, now, history_days)
    with_pages = {p.parent.name for p in site.glob(f"{RUNS_DIR}/*/{INDEX}")}
    write(site, pages(local_reports(reports_dir), suites, with_pages, now, history_days))
    return site / INDEX

"""Glue job `validate`: audit the curated tables' `audit` branches with Great Expectations, then publish.

Write-audit-publish: when any table's `audit` branch differs from its `main`, every suite runs on the
branches. A table never published is judged whole. Otherwise the rules that judge one row at a time
(values, formats, foreign keys into the whole branch tables) judge only the rows that differ from
`main` (Iceberg's changelog between the two snapshots, so everything an earlier rejected run left on
the branch too), and the table-wide rules (keys unique, row counts, columns) the whole branch table.
Only when every suite passes are the tables published, one after another, by fast-forwarding `main`
to `audit`; their new snapshot ids go into the metrics. The Data Docs get a run page
(`sparkify.docs_site.run_page`): the records the run's stage batch quarantined, the failing rows by key. A
failed suite publishes nothing and leaves the branches for a person to query
(`sparkify query --branch audit`). After a publish, each owned table is compacted and its old
snapshots and orphan files (from crashed runs) removed, unless the stack leaves that to the Glue Data
Catalog's table optimizers (`--table_upkeep catalog-optimizers`): then only each table's health is measured.

Runs unchanged on AWS Glue 5.1 (`glue_main`) and locally (`sparkify run` calls `run`). Data Docs go to
`data_docs_uri`: built there when it is a folder, uploaded to its `latest/` and `runs/<run_id>/` on S3.
"""

from __future__ import annotations

import functools
import json
import tempfile
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkify import schemas
from sparkify.docs_site import history as site_history
from sparkify.docs_site import publish as docs_publish
from sparkify.docs_site import run_page, site
from sparkify.job_args import UPKEEP_BY_JOBS, JobArgs
from sparkify.lake import branch_diff, integrity, lake_state, tables
from sparkify.lake.glue_entry import StepFailed, glue_main, step_metrics_uri, timing
from sparkify.lake.io import exists, join_uri, list_names, read_small_text, read_text, write_text
from sparkify.lake.uninterrupted import uninterrupted
from sparkify.layout import RUNS_DIR, batch_partition
from sparkify.pipeline import (
    CURATED_TABLES,
    SOURCES,
    Location,
    Namespace,
    job_steps,
    owned_tables,
)
from sparkify.quality import validation as quality
from sparkify.quality.suites import load_suites, referenced_tables, suite_parameters
from sparkify.transforms import origins, staging

STEP = "validate"
KEYS = {t.name: t.key for t in CURATED_TABLES}

# The songplays suite reconciles its row count with this many staging events (its `$PARAMETER`).
STAGING_NEXT_SONG_EVENTS = "staging_next_song_events"
# The songplays and time suites reject a start later than this (the run's date and a day).
LATEST_START_TIME = "latest_start_time"


def run(spark: SparkSession, args: JobArgs) -> dict[str, Any]:
    started_at, start = datetime.now(UTC), time.perf_counter()
    suites = load_suites(args[Location.EXPECTATIONS])
    missing = sorted({t.name for t in CURATED_TABLES} - set(suites))
    if missing:
        raise FileNotFoundError(f"no suite for curated table(s) {', '.join(missing)} in {args[Location.EXPECTATIONS]}")
    curated = {t.name: tables.ident(args[Namespace.CURATED], t.name) for t in CURATED_TABLES}
    refs = {name: _main_and_audit(tables.refs(spark, t)) for name, t in curated.items()}
    pending = waiting(spark, curated, refs)
    if not pending:
        record_published(spark, args, curated)
        nothing: dict[str, Any] = {
            "status": "succeeded",
            "audited": [],
            "published": {},
            "suites": {},
            "data_docs_index": None,
        }
        nothing["upkeep"], nothing["lake"] = table_upkeep(spark, args)
        nothing["data_docs_site"] = publish_site(spark, args, suites, {**nothing, **timing(started_at, start)})
        return nothing
    # A suite is judged when its table, or a table its rules join to, differs from what is published.
    judged = {
        name: suite for name, suite in suites.items() if name in pending or referenced_tables(suite) & set(pending)
    }
    # Read as committed, without a schema: a column the model dropped or added must show up in the columns expectation.
    branches = {name: tables.read(spark, table, tables.AUDIT) for name, table in curated.items()}
    parameters: dict[str, Any] = {}
    if any(STAGING_NEXT_SONG_EVENTS in suite_parameters(suite) for suite in judged.values()):
        events = spark.table(tables.ident(args[Namespace.STAGING], "events"))
        parameters[STAGING_NEXT_SONG_EVENTS] = events.filter(F.col("page") == schemas.NEXT_SONG).count()
    if any(LATEST_START_TIME in suite_parameters(suite) for suite in judged.values()):
        parameters[LATEST_START_TIME] = quality.latest_start_time(args.moment())

    # Once a table is published, its row-local rules judge only the rows that differ from `main`.
    changed = {
        name: tables.changes(spark, curated[name], main, audit).came_in
        for name, (main, audit) in refs.items()
        if name in judged and main is not None and audit is not None
    }
    # What a failed audit leaves on `audit`, worked out once and only then (for the run page and the report).
    would_publish = functools.cache(lambda: branch_diff.in_spark(spark, curated, KEYS, pending))
    summaries, docs_index = quality.validate_and_publish(
        branches,
        judged,
        parameters,
        args[Location.DATA_DOCS],
        args.run_id,
        changed=changed,
        quarantine=run_quarantine(spark, args),
        origins=lambda: staged_origins(spark, args, judged),
        would_publish=would_publish,
    )
    # A suite not judged again keeps its verdict of the publish that made its table what it is.
    summaries.update({name: quality.unchanged(refs[name][0]) for name in sorted(set(suites) - set(judged))})
    failed = {name: s for name, s in summaries.items() if not s["success"]}
    metrics: dict[str, Any] = {
        "suites": summaries,
        "parameters": parameters,
        "data_docs_index": docs_index,
        "audited": pending,
        "audit_snapshots": {name: refs[name][1] for name in pending},
        "status": "failed" if failed else "succeeded",
    }
    if failed:
        metrics["diff"] = would_publish()
        metrics["published"] = {}
        metrics["published_rows"] = tables.row_counts(spark, curated, tables.MAIN)
        metrics["data_docs_site"] = publish_site(spark, args, suites, {**metrics, **timing(started_at, start)})
        raise StepFailed(_failure_message(failed), metrics)
    # Nothing is published over a curated table that cannot be read whole.
    integrity.check(spark, args.places, (Namespace.CURATED,))
    # What readers saw before: a rollback of this run (`sparkify rollback`) moves `main` back to it.
    metrics["main_before"] = {name: refs[name][0] for name in pending}
    try:
        with uninterrupted():  # every table's main moves, or none: a stop waits for the last commit
            published = tables.publish_all(spark, {curated[name]: cast(int, refs[name][1]) for name in pending})
            record_published(spark, args, curated)
    except tables.PublishRefused as refused:
        metrics.update(status="failed", published={})
        metrics["data_docs_site"] = publish_site(spark, args, suites, {**metrics, **timing(started_at, start)})
        raise StepFailed(str(refused), metrics) from None
    metrics["published"] = {name: published[curated[name]] for name in pending}
    metrics["published_rows"] = tables.row_counts(spark, curated, tables.MAIN)
    metrics["upkeep"], metrics["lake"] = table_upkeep(spark, args)
    metrics["data_docs_site"] = publish_site(spark, args, suites, {**metrics, **timing(started_at, start)})
    return metrics


def staged_origins(spark: SparkSession, args: JobArgs, names: Iterable[str]) -> dict[str, DataFrame]:
    """Per curated table of `names`, the staged records' keys with their raw file and line
    (`origins.origins`), to name a failing row's line; none when staging lacks a table (rows are then
    named by key only)."""
    staged = {s: tables.ident(args[Namespace.STAGING], s) for s in SOURCES}
    if not all(tables.exists(spark, t) for t in staged.values()):
        return {}
    songs, events = spark.table(staged["songs"]), spark.table(staged["events"])
    return {name: origins.origins(name, songs, events) for name in names}


def _main_and_audit(refs: Mapping[str, int]) -> tuple[int | None, int | None]:
    return refs.get(tables.MAIN), refs.get(tables.AUDIT)


def waiting(
    spark: SparkSession, curated: Mapping[str, str], refs: Mapping[str, tuple[int | None, int | None]]
) -> list[str]:
    """The tables whose `audit` holds rows `main` lacks: never published, or `audit` ahead of `main`.
    An `audit` behind `main` (a compaction after the last publish) waits for nothing. An `audit` off
    `main`'s line cannot be judged against it: the model step starts it again from `main`."""
    pending, off_line = [], []
    for name, (main, audit) in sorted(refs.items()):
        if audit is None or audit == main:
            continue
        if main is None or tables.descends_from(spark, curated[name], main, audit):
            pending.append(name)
        elif not tables.descends_from(spark, curated[name], audit, main):
            off_line.append(name)
    if off_line:
        raise StepFailed(
            f"audit of {', '.join(off_line)} no longer descends from main (a commit reached main after the "
            "model step ran); nothing was judged or published: run the workflow again, and its model step "
            "rebuilds audit on top of main",
            {"status": "failed", "audited": [], "published": {}, "suites": {}},
        )
    return pending


def record_published(spark: SparkSession, args: JobArgs, curated: Mapping[str, str]) -> None:
    """After a publish (or when nothing waits), what `main` was built from is what the model step last
    built, provided `audit` still holds the heads it left (`sparkify.lake.lake_state`)."""
    built = lake_state.read_built_from(spark, args[Location.CURATED], lake_state.MODEL)
    if built is None:
        return
    heads = {name: tables.refs(spark, table) for name, table in curated.items()}
    if built.audit and any(built.audit.get(name) != refs.get(tables.AUDIT) for name, refs in heads.items()):
        return  # `audit` moved since the model step wrote its state: keep the published state as it was
    lake_state.write_built_from(spark, args[Location.CURATED], lake_state.PUBLISHED, built)


def publish_site(
    spark: SparkSession, args: JobArgs, suites: Mapping[str, Any], metrics: Mapping[str, Any]
) -> str | None:
    """On S3, the site's own pages (`sparkify.docs_site.site`: every kept run, tables, lineage, charts) at the
    docs location's root, from every run's step metrics (no run report is written on AWS) and this
    step's `metrics`. A local run's site is written by the runner, from the whole run report."""
    docs = args[Location.DATA_DOCS]
    if not docs_publish.is_s3(docs):
        return None
    reports_uri = args[Location.REPORTS]
    run_ids = set(list_names(spark, join_uri(reports_uri, RUNS_DIR))) | {args.run_id}
    reports = []
    for run_id in sorted(run_ids):
        found = {}
        for step in job_steps():
            text = read_small_text(spark, step_metrics_uri(reports_uri, run_id, step.name))
            if text:
                found[step.name] = json.loads(text)
        if run_id == args.run_id:
            found[STEP] = dict(metrics)
        if found:
            reports.append(site_history.report_from_metrics(run_id, found))
    history_days = args.history_days
    with_pages = {str(r["run_id"]) for r in reports if r.get("data_docs_index")}
    pages = site.pages(reports, suites, with_pages, datetime.now(UTC), history_days)
    with tempfile.TemporaryDirectory(prefix="data_docs_site_") as folder:
        site.write(Path(folder), pages)
        return docs_publish.upload_pages(folder, docs)


def owned_table_idents(args: JobArgs) -> dict[str, str]:
    """Every Iceberg table the workflow owns (`pipeline.owned_tables`), by `<layer>.<name>`."""
    return {key: tables.ident(args[namespace], name) for key, (namespace, name) in owned_tables().items()}


def table_upkeep(spark: SparkSession, args: JobArgs) -> tuple[dict[str, Any], dict[str, Any]]:
    """Upkeep (`tables.maintain`) of every owned table whose `main` moved since its last upkeep; called
    only when nothing waits on an `audit` branch. Returns what upkeep did, and every owned table's
    health after it (`tables.health`, measured when its upkeep ran). Kept per table in
    `<curated>/_state/upkeep.json`: the head upkeep last saw, its health, and when its orphan files were
    last swept. When the catalog's optimizers keep the tables (`--table_upkeep catalog-optimizers`), the
    run maintains nothing and only measures the health of the tables whose `main` moved.

    A table's first upkeep gives it every `tables.TABLE_PROPERTIES` (old metadata files are then
    deleted at each commit) and starts its orphan clock instead of sweeping: a sweep takes only files
    older than `orphan_age_days`, and the sweep due that long after takes those too."""
    upkeep = tables.Upkeep(snapshot_retention_days=args.snapshot_retention_days)
    # The optimizers commit to `main` on their own schedule; a second keeper would only redo their work.
    by_jobs = args.table_upkeep == UPKEEP_BY_JOBS
    now = args.moment()
    state_uri = lake_state.state_uri(args[Location.CURATED], lake_state.UPKEEP)
    seen: dict[str, dict[str, Any]] = {}
    for key, value in json.loads(read_text(spark, state_uri) or "{}").items():
        # The first format: curated table name → when its orphans were last swept.
        seen[key if "." in key else f"curated.{key}"] = value if isinstance(value, dict) else {"swept_at": value}
    heads = {key: (table, tables.snapshot_id(spark, table)) for key, table in owned_table_idents(args).items()}
    due = {
        key: table
        for key, (table, head) in heads.items()
        if head is not None and (seen.get(key) or {}).get("head") != head
    }
    counts = tables.file_counts(spark, due)  # one query for every table due
    done = {}
    for key, table in due.items():
        mine = seen.get(key)
        if mine is None or "head" not in mine:
            tables.set_properties(spark, table)
            mine = {"swept_at": (mine or {}).get("swept_at", now.isoformat(timespec="seconds"))}
        if by_jobs:
            done[key] = tables.maintain(
                spark, table, upkeep, now, datetime.fromisoformat(mine["swept_at"]), counts[key]
            )
            if done[key].pop("orphans_swept", False):
                mine["swept_at"] = now.isoformat(timespec="seconds")
        mine["head"] = tables.snapshot_id(spark, table)
        # Counted again only where upkeep committed (a compaction changes the files).
        moved = mine["head"] != heads[key][1]
        mine["health"] = tables.health(spark, table, None if moved else counts[key])
        seen[key] = mine
    write_text(spark, state_uri, json.dumps(seen, indent=2, sort_keys=True))
    return done, {key: mine["health"] for key, mine in sorted(seen.items()) if "health" in mine}


def run_quarantine(spark: SparkSession, args: JobArgs) -> run_page.Quarantine:
    """What this run's stage batch quarantined (from the stage step's metrics), for the run page."""
    metrics = read_text(spark, step_metrics_uri(args[Location.REPORTS], args.run_id, "stage"))
    batch = json.loads(metrics).get("batch_id") if metrics else None
    if batch is None:
        return run_page.Quarantine(None)
    folders = [join_uri(args[Location.QUARANTINE], s, batch_partition(batch)) for s in SOURCES]
    present = [f for f in folders if exists(spark, f)]
    if not present:
        return run_page.Quarantine(int(batch))
    records = spark.read.parquet(*present).cache()
    kinds = (
        records.groupBy("source", staging.reason_kind(F.col("reason")).alias("reason"))
        .count()
        .orderBy(F.desc("count"), "source", "reason")
        .collect()
    )
    shown = records.orderBy("source", "source_file", "line").limit(run_page.SHOWN).collect()
    records.unpersist()
    return run_page.Quarantine(
        int(batch),
        total=sum(int(k["count"]) for k in kinds),
        reasons=[{"source": k["source"], "reason": k["reason"], "count": int(k["count"])} for k in kinds],
        records=[r.asDict() for r in shown],
    )


def _failure_message(failed: Mapping[str, Mapping[str, Any]]) -> str:
    """One line naming each failed suite, how many of its expectations failed and which (the Glue
    console and the alert show only this); the run report, the command line and the Data Docs give each
    expectation's details."""
    suites = []
    for name, summary in failed.items():
        rules = ", ".join(
            f"{e['type']}({e['column']})" if e["column"] else e["type"] for e in summary["failed_expectations"]
        )
        suites.append(f"{name} ({summary['failed']} of {summary['evaluated']} expectations: {rules})")
    return f"data quality failed: {'; '.join(suites)}"


if __name__ == "__main__":
    glue_main(STEP, run)

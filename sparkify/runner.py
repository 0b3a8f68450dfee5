"""The local run: walks `pipeline.STEPS` in order and runs each job script on one local SparkSession,
with the same arguments Glue would pass. Crawlers exist only in the cloud and are reported as skipped."""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

from filelock import FileLock, Timeout
from pyspark.sql import SparkSession

from sparkify import jit_choice, pipeline, quality, site, site_history, suites
from sparkify.job_args import JobArgs
from sparkify.layout import LAKE_LAYOUT
from sparkify.pipeline import Location, Namespace, Place
from sparkify.report import StepResult, StepStatus, build_report
from sparkify.runtime import StepFailed, write_metrics

# Called before and after each step, so a front end can show progress.
StepHook = Callable[[pipeline.Step, StepResult | None], None]


def lake_locations(raw: Path, lake: Path) -> dict[Place, str]:
    """Every place of a local run: raw where it is, the rest under the lake folder, and the table
    namespaces of the lake's own Iceberg catalog (`register_local_catalog`), whose folders are the
    staging and curated locations."""
    from sparkify.spark import local_catalog_name

    locations: dict[Place, str] = {loc: str(lake / sub) for loc, sub in LAKE_LAYOUT.items()}
    locations[Location.RAW] = str(raw)
    locations[Location.EXPECTATIONS] = str(pipeline.EXPECTATIONS_DIR)
    catalog = local_catalog_name(lake)
    locations[Namespace.STAGING] = f"{catalog}.{LAKE_LAYOUT[Location.STAGING]}"
    locations[Namespace.CURATED] = f"{catalog}.{LAKE_LAYOUT[Location.CURATED]}"
    return locations


def lake_table(spark: Any, lake: Path, name: str, branch: str = "main", layer: Location = Location.CURATED) -> Any:
    """A table of a local lake as one branch has it: `main` is what is published, `audit` what the last
    run wrote and the suites judged."""
    from sparkify import tables
    from sparkify.spark import register_local_catalog

    catalog = register_local_catalog(spark, lake)
    return tables.read(spark, tables.ident(f"{catalog}.{LAKE_LAYOUT[layer]}", name), branch)


def load_job(job: pipeline.JobStep) -> ModuleType:
    """Import a job script from glue_jobs/ by path, exactly the file Glue runs."""
    path = pipeline.REPO_ROOT / job.script
    spec = importlib.util.spec_from_file_location(f"glue_jobs.{job.name}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"job script {path} for step {job.name!r} not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LakeLocked(RuntimeError):
    """Another run is writing to the same lake."""


LOCK_FILE = ".sparkify.lock"
HOLDER_FILE = ".sparkify.lock.holder"


@contextmanager
def lake_lock(lake: Path) -> Iterator[None]:
    """One run per lake at a time. The OS releases the lock (filelock's `flock`) when its process ends,
    even by a crash, so a killed run never leaves a stale lock behind. Who holds it is written beside the
    lock file, for the message a second run prints."""
    lake.mkdir(parents=True, exist_ok=True)
    holder = lake / HOLDER_FILE
    lock = FileLock(lake / LOCK_FILE, blocking=False, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        text = holder.read_text().strip() if holder.is_file() else ""
        raise LakeLocked(
            f"{lake} is in use by a run that is still going ({text or 'another process'}); "
            "wait for it to finish, or use another --lake"
        ) from None
    try:
        holder.write_text(f"pid {os.getpid()}, started {datetime.now(timezone.utc).isoformat(timespec='seconds')}")
        yield
    finally:
        lock.release()


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("local-%Y%m%dT%H%M%S%fZ")


def run_pipeline(
    raw: Path,
    lake: Path,
    on_step: StepHook | None = None,
    full_refresh: bool = False,
    steps: Sequence[str] | None = None,
    run_date: datetime | None = None,
) -> dict[str, Any]:
    """Run every step (or only `steps`, in pipeline order; the others are reported `skipped`); a failed
    step stops the run (later steps are `not run`). Returns the run report, also written to
    `<lake>/reports/runs/<run_id>/report.json` and `<lake>/reports/latest.json`. Only raw files no
    earlier run staged are read, unless `full_refresh`. `run_date` is the run's logical date (the clock
    of table upkeep), as a scheduler gives it; default now. Raises `LakeLocked` when another run holds the
    lake, `KeyError` for a step `pipeline.STEPS` does not have.

    A run of some steps is as safe as a whole run: it holds the lake, its jobs get the same arguments,
    and only `validate` publishes (`model` alone writes to the `audit` branches)."""
    if steps is not None:
        for name in steps:
            pipeline.step(name)
    with lake_lock(lake):
        return _run_locked(raw, lake, on_step, full_refresh, steps, run_date)


def _run_locked(
    raw: Path,
    lake: Path,
    on_step: StepHook | None,
    full_refresh: bool,
    selected: Sequence[str] | None,
    run_date: datetime | None,
) -> dict[str, Any]:
    from sparkify.spark import local_session, register_local_catalog

    hook = on_step or (lambda step, result: None)
    run_id = new_run_id()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    start = time.perf_counter()
    locations = lake_locations(raw.resolve(), lake.resolve())
    # Python imports GX while the JVM works on the first steps (import locks make a concurrent import safe).
    threading.Thread(target=quality.preload, name="preload-great-expectations", daemon=True).start()
    # C1 alone when the run reads little (a new day, the sample): a short run ends before C2 pays.
    spark = local_session("sparkify-local-run", quick_jit=jit_choice.choose(raw, lake, full_refresh) == "quick")
    register_local_catalog(spark, lake.resolve())
    results: list[StepResult] = []
    failed = False
    for step in pipeline.STEPS:
        hook(step, None)
        if selected is not None and step.name not in selected:
            result = StepResult(step.name, step.kind, "skipped", error="not selected (--step)")
        elif failed:
            result = StepResult(step.name, step.kind, "not run", error="an upstream step failed")
        elif isinstance(step, pipeline.CrawlerStep):
            result = StepResult(step.name, step.kind, "skipped", error="Glue crawlers run only on AWS")
        else:
            result = _run_job(spark, step, JobArgs(step, locations, run_id, full_refresh=full_refresh, run_date=run_date))
            failed = result.status == "failed"
        results.append(result)
        hook(step, result)
    report = build_report(run_id, started_at, time.perf_counter() - start, results, selected)
    _save_report(Path(locations[Location.REPORTS]), run_id, report)
    build_site(locations)
    return report


def build_site(locations: dict[Place, str], history_days: int = site_history.DEFAULT_HISTORY_DAYS) -> Path:
    """The lake's Data Docs site (`sparkify.site`) from every kept run report, after pruning what the
    history rule no longer keeps; returns its index."""
    return site.build_local(
        Path(locations[Location.DATA_DOCS]),
        Path(locations[Location.REPORTS]),
        Path(locations[Location.QUARANTINE]),
        suites.load_suites(locations[Location.EXPECTATIONS]),
        datetime.now(timezone.utc),
        history_days,
    )


def _run_job(spark: SparkSession, job: pipeline.JobStep, job_args: JobArgs) -> StepResult:
    args = job_args.as_mapping()
    status: StepStatus
    start = time.perf_counter()
    try:
        metrics = load_job(job).run(spark, args)
        status, error = "succeeded", None
    except StepFailed as failure:
        metrics, status, error = failure.metrics, "failed", str(failure)
    except Exception as exc:  # any other failure ends the run with the error, like a failed Glue job
        metrics, status, error = {}, "failed", _one_line(exc)
        trace = Path(args[Location.REPORTS]) / "runs" / job_args.run_id / f"{job.name}.error.txt"
        trace.parent.mkdir(parents=True, exist_ok=True)
        trace.write_text(traceback.format_exc())
        error += f" (traceback: {trace})"
    seconds = time.perf_counter() - start
    if metrics:
        write_metrics(spark, args, job.name, metrics)
    return StepResult(job.name, job.kind, status, seconds, error, metrics)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _save_report(reports: Path, run_id: str, report: dict[str, Any]) -> None:
    text = json.dumps(report, indent=2, sort_keys=False)
    run_dir = reports / "runs" / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "report.json").write_text(text)
    (reports / "latest.json").write_text(text)

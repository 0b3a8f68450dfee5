"""The local run: walks `pipeline.STEPS` in order and runs each job script on one local SparkSession,
with the same arguments Glue would pass. Crawlers exist only in the cloud and are reported as skipped."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from filelock import FileLock, Timeout
from pyspark.sql import SparkSession

from sparkify import pipeline
from sparkify.docs_site import history as site_history
from sparkify.docs_site import site
from sparkify.job_args import JobArgs
from sparkify.lake import run_errors
from sparkify.lake.glue_entry import StepFailed, write_metrics
from sparkify.layout import LAKE_LAYOUT
from sparkify.local import jit_choice
from sparkify.local.run_record import RunRecord
from sparkify.local.run_stop import StopSignals
from sparkify.local.session import CRASH_LOG_GLOB, JVM_LOG
from sparkify.pipeline import Location, Namespace, Place
from sparkify.quality import suites
from sparkify.quality import validation as quality
from sparkify.report import RunStatus, StepResult, StepStatus, build_report

# Called before and after each step, so a front end can show progress.
StepHook = Callable[[pipeline.Step, StepResult | None], None]


def lake_locations(raw: Path, lake: Path) -> dict[Place, str]:
    """Every place of a local run: raw where it is, the rest under the lake folder, and the table
    namespaces of the lake's own Iceberg catalog (`register_local_catalog`), whose folders are the
    staging and curated locations."""
    from sparkify.local.session import local_catalog_name

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
    from sparkify.lake import tables
    from sparkify.local.session import register_local_catalog

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
        # Only a second run's message reads it; a full disk is the run report's to say.
        with contextlib.suppress(OSError):
            holder.write_text(f"pid {os.getpid()}, started {datetime.now(UTC).isoformat(timespec='seconds')}")
        yield
    finally:
        lock.release()


def exit_code(report: dict[str, Any]) -> int:
    """`sparkify run`'s exit code for a run report: 0 succeeded, 1 failed, 128 + the signal for a run a
    signal interrupted (130 SIGINT, 143 SIGTERM), as a shell reports a process a signal ended."""
    if report["status"] == "succeeded":
        return 0
    found = re.match(r"interrupted by (SIG[A-Z]+)", report.get("error") or "")
    return 128 + int(signal.Signals[found.group(1)]) if report["status"] == "interrupted" and found else 1


def new_run_id() -> str:
    return datetime.now(UTC).strftime("local-%Y%m%dT%H%M%S%fZ")


def run_pipeline(
    raw: Path,
    lake: Path,
    on_step: StepHook | None = None,
    full_refresh: bool = False,
    steps: Sequence[str] | None = None,
    run_date: datetime | None = None,
    backfill: tuple[date, date] | None = None,
) -> dict[str, Any]:
    """Run every step (or only `steps`, in pipeline order; the others are reported `skipped`); a failed
    step stops the run (later steps are `not run`). Returns the run report, also written to
    `<lake>/reports/runs/<run_id>/report.json` and `<lake>/reports/latest.json`. Only raw files no
    earlier run staged are read, unless `full_refresh`. `run_date` is the run's logical date (the clock
    of table upkeep), as a scheduler gives it; default now. Raises `LakeLocked` when another run holds the
    lake, `KeyError` for a step `pipeline.STEPS` does not have. `backfill`: the first and last day whose raw
    files the stage step reads again (`sparkify backfill`); the run is otherwise any run, judged and
    published alike, and its report says `"kind": "backfill"`.

    A run of some steps is as safe as a whole run: it holds the lake, its jobs get the same arguments,
    and only `validate` publishes (`model` alone writes to the `audit` branches)."""
    if steps is not None:
        for name in steps:
            pipeline.step(name)
    with lake_lock(lake):
        return _run_locked(raw, lake, on_step, full_refresh, steps, run_date, backfill)


class RunNotStarted(RuntimeError):
    """The run could not record its start (its report files): nothing was run."""


@dataclass
class _Run:
    """One local run: what it was asked, where its report goes, what its steps did so far."""

    lake: Path
    locations: dict[Place, str]
    full_refresh: bool
    selected: Sequence[str] | None
    run_date: datetime | None
    backfill: tuple[date, date] | None = None
    run_id: str = field(default_factory=new_run_id)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    start: float = field(default_factory=time.perf_counter)
    results: list[StepResult] = field(default_factory=list)

    @property
    def record(self) -> RunRecord:
        return RunRecord(Path(self.locations[Location.REPORTS]), self.run_id)

    def report(
        self, status: RunStatus | None = None, error: str | None = None, running: StepResult | None = None
    ) -> dict[str, Any]:
        steps = [*self.results, running] if running else self.results
        report = build_report(
            self.run_id, self.started_at, time.perf_counter() - self.start, steps, self.selected, error, status
        )
        if self.backfill is not None:
            report["kind"] = "backfill"
            report["backfill"] = {"from": self.backfill[0].isoformat(), "to": self.backfill[1].isoformat()}
        return report


def _run_locked(
    raw: Path,
    lake: Path,
    on_step: StepHook | None,
    full_refresh: bool,
    selected: Sequence[str] | None,
    run_date: datetime | None,
    backfill: tuple[date, date] | None = None,
) -> dict[str, Any]:
    run = _Run(lake, lake_locations(raw.resolve(), lake.resolve()), full_refresh, selected, run_date, backfill)
    # C1 alone when the run reads little (a new day, the sample): a short run ends before C2 pays. Chosen
    # before this run's report takes the place of the last one.
    quick = jit_choice.choose(raw, lake, full_refresh) == "quick"
    try:
        run.record.start(run.report("running"))
    except OSError as exc:
        raise RunNotStarted(
            f"cannot start a run on {lake}: {exc.strerror} writing {exc.filename}: free space there and run again "
            "(reports/latest.json still describes the previous run)"
        ) from None
    # Python imports GX while the JVM works on the first steps (import locks make a concurrent import safe).
    threading.Thread(target=quality.preload, name="preload-great-expectations", daemon=True).start()
    with StopSignals() as stop:
        spark, broke = _start_spark(run, quick, stop)
        broke = _run_steps(run, spark, broke, stop, on_step or (lambda step, result: None))
    if stop.received:
        ran = next((r.name for r in run.results if r.status == "interrupted"), None)
        broke = f"interrupted by {stop.received.name} " + (f"during step {ran}" if ran else "before any step ran")
    return _finish(run, "interrupted" if stop.received else None, broke)


def _start_spark(run: _Run, quick: bool, stop: StopSignals) -> tuple[SparkSession | None, str | None]:
    """The run's Spark session, and why the run cannot go on when it cannot (no JVM)."""
    from sparkify.local.session import local_session, register_local_catalog

    spark: SparkSession | None = None
    try:
        spark = local_session("sparkify-local-run", quick_jit=quick, log_dir=run.record.folder)
        stop.attach(spark)
        _quiet_accumulator_server(spark)
        register_local_catalog(spark, run.lake.resolve())
    except Exception as exc:
        return spark, f"before the first step: {_broken(spark, exc, None, run.record.folder, 'start')}"
    return spark, None


def _run_steps(
    run: _Run, spark: SparkSession | None, broke: str | None, stop: StopSignals, hook: StepHook
) -> str | None:
    """Run the steps in order into `run.results`; returns why the run broke off (`broke` already, an
    error, a signal), or None when it ran to its end (a failed suite included)."""
    upstream = "the run stopped before this step" if broke else "an upstream step failed"
    for step in pipeline.STEPS:
        hook(step, None)
        if run.selected is not None and step.name not in run.selected:
            result = StepResult(step.name, step.kind, "skipped", error="not selected (--step)")
        elif stop.received:
            result = StepResult(step.name, step.kind, "not run", error="the run was interrupted")
        elif broke or any(r.status == "failed" for r in run.results):
            result = StepResult(step.name, step.kind, "not run", error=upstream)
        elif isinstance(step, pipeline.CrawlerStep):
            result = StepResult(step.name, step.kind, "skipped", error="Glue crawlers run only on AWS")
        else:
            assert spark is not None
            run.record.progress(run.report("running", running=StepResult(step.name, step.kind, "running")))
            job_args = JobArgs(
                step,
                run.locations,
                run.run_id,
                full_refresh=run.full_refresh,
                run_date=run.run_date,
                backfill=run.backfill,
            )
            result, line = _run_job(spark, step, job_args, stop, run.record.folder)
            broke = f"step {step.name}: {line}" if line else None
        run.results.append(result)
        hook(step, result)
    return broke


def _finish(run: _Run, status: RunStatus | None, error: str | None) -> dict[str, Any]:
    """Write the run's report, then the site (which lists it); returns the report, its `error` also
    saying what could not be written."""
    final = run.report(status, error)
    problem = run.record.write(final)
    try:
        build_site(run.locations)
    except Exception as exc:  # the run's outcome stands; the site's failure is said beside it
        error = (f"{error}; " if error else "") + f"the Data Docs site: {run_errors.explain(exc)}"
        final = run.report(status or "failed", error)
        problem = run.record.write(final) or problem
    run.record.release()
    if problem:
        final["error"] = f"{final['error']}; {problem}" if final["error"] else problem
    return final


def _quiet_accumulator_server(spark: SparkSession) -> None:
    """PySpark's accumulator server prints a traceback when the JVM's connection to it ends without a
    word (the JVM died, or a signal to the process group ended it): the run says so in one line."""
    server = getattr(spark.sparkContext, "_accumulatorServer", None)
    if server is not None:
        server.handle_error = lambda request, client_address: None


def build_site(locations: dict[Place, str], history_days: int = site_history.DEFAULT_HISTORY_DAYS) -> Path:
    """The lake's Data Docs site (`sparkify.docs_site.site`) from every kept run report, after pruning what the
    history rule no longer keeps; returns its index."""
    return site.build_local(
        Path(locations[Location.DATA_DOCS]),
        Path(locations[Location.REPORTS]),
        Path(locations[Location.QUARANTINE]),
        suites.load_suites(locations[Location.EXPECTATIONS]),
        datetime.now(UTC),
        history_days,
    )


def _run_job(
    spark: SparkSession, job: pipeline.JobStep, args: JobArgs, stop: StopSignals, run_folder: Path
) -> tuple[StepResult, str | None]:
    """Run one job; returns its result and, when it broke off (an error, a signal), why in one line."""
    status: StepStatus
    start = time.perf_counter()
    try:
        metrics = load_job(job).run(spark, args)
        status, error = "succeeded", None
    except StepFailed as failure:  # it judged the data bad: its metrics count
        metrics, status, error = failure.metrics, "failed", str(failure)
    except (Exception, KeyboardInterrupt) as exc:  # any other failure ends the run, like a failed Glue job
        line = _broken(spark, exc, stop, run_folder, job.name)
        return StepResult(
            job.name, job.kind, "interrupted" if stop.received else "failed", time.perf_counter() - start, line
        ), line
    seconds = time.perf_counter() - start
    if stop.received:  # what it committed stays; its metrics would need the stopped session
        line = f"interrupted by {stop.received.name}"
        return StepResult(job.name, job.kind, "interrupted", seconds, line), line
    try:
        if metrics:
            write_metrics(spark, args, job.name, metrics)
    except Exception as exc:
        line = _broken(spark, exc, stop, run_folder, job.name)
        return StepResult(job.name, job.kind, "failed", seconds, line, metrics), line
    return StepResult(job.name, job.kind, status, seconds, error, metrics), None


def _broken(
    spark: SparkSession | None, exc: BaseException, stop: StopSignals | None, run_folder: Path, name: str
) -> str:
    """Why a step (or the run's start) broke off, in one line: a signal, the JVM gone, or the error's
    cause, its traceback kept beside the run's report (`<name>.error.txt`) when the disk takes it."""
    if stop is not None and (stop.received or isinstance(exc, KeyboardInterrupt)):
        stop.received = stop.received or signal.SIGINT
        return f"interrupted by {stop.received.name}"
    code = jvm_exit_code(spark, wait=_lost_the_jvm(exc))
    if code is not None:
        crash_logs = sorted(run_folder.glob(CRASH_LOG_GLOB))
        return run_errors.jvm_exited(code, crash_logs[-1] if crash_logs else None, run_folder / JVM_LOG)
    line = run_errors.explain(exc)
    if not run_errors.disk_full(exc):
        trace = run_folder / f"{name}.error.txt"
        try:
            trace.write_text(traceback.format_exc())
            line += f" (traceback: {trace})"
        except OSError:
            pass
    return line


def jvm_exit_code(spark: SparkSession | None, wait: bool = False) -> int | None:
    """The exit code of the session's JVM when it has exited (negative: the signal that ended it);
    `wait` gives a dying JVM a moment to be gone."""
    proc = getattr(getattr(spark.sparkContext, "_gateway", None), "proc", None) if spark is not None else None
    if proc is None:
        return None
    try:
        code = proc.wait(timeout=3) if wait else proc.poll()
    except subprocess.TimeoutExpired:
        return None
    return None if code is None else int(code)


def _lost_the_jvm(exc: BaseException) -> bool:
    """Whether the error is Py4J's connection to the JVM failing, rather than an error the JVM raised."""
    from py4j.protocol import Py4JError, Py4JJavaError  # type: ignore[import-untyped]

    return isinstance(exc, (ConnectionError, EOFError)) or (
        isinstance(exc, Py4JError) and not isinstance(exc, Py4JJavaError)
    )

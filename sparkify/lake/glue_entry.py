"""How a job script starts: on AWS Glue (GlueContext, Job.init/commit) or locally (plain SparkSession).

Every script in `glue_jobs/` defines `run(spark, args) -> dict` and ends with
`if __name__ == "__main__": glue_main(STEP, run)`. `args` is the step's `JobArgs` (its places, `run_id`,
`full_refresh`, its settings, typed: see `sparkify.job_args`); `run` returns the step's
metrics (or raises `StepFailed` carrying them when the data is bad), which are
written as JSON to `<reports_uri>/runs/<run_id>/<step>.json` by whoever started the job.
On Glue, an input error (`InputError`: no raw files yet, a run-level `--conf` that dropped the Iceberg
catalog) stops the job's own run instead of failing it, so Glue does not retry what would fail again
(`sparkify.lake.no_retry`).
This module is the only place that imports `awsglue`.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import SparkSession

from sparkify import pipeline
from sparkify.job_args import JOB_RUN_ID, JobArgs
from sparkify.lake.io import InputError, write_text
from sparkify.layout import step_metrics_path

JobFn = Callable[[SparkSession, JobArgs], dict[str, Any]]


class StepFailed(Exception):
    """A job finished its work but judged the result bad (a failed suite): its metrics still count."""

    def __init__(self, message: str, metrics: dict[str, Any]):
        super().__init__(message)
        self.metrics = metrics


def step_metrics_uri(reports_uri: str, run_id: str, step_name: str) -> str:
    return f"{reports_uri.rstrip('/')}/{step_metrics_path(run_id, step_name)}"


def write_metrics(spark: SparkSession, args: JobArgs, step_name: str, metrics: dict[str, Any]) -> None:
    uri = step_metrics_uri(args[pipeline.Location.REPORTS], args.run_id, step_name)
    write_text(spark, uri, json.dumps(metrics, indent=2, sort_keys=True, default=str))


def resolve_glue_arguments(step: pipeline.JobStep, argv: list[str]) -> tuple[dict[str, Any], JobArgs]:
    """Glue's resolved options of a job run (for `Job.init`) and the job's arguments, from its `argv`."""
    from awsglue.utils import getResolvedOptions

    resolved: dict[str, Any] = getResolvedOptions(argv, ["JOB_NAME", *JobArgs.glue_names(step, argv)])
    return resolved, JobArgs.from_glue(step, resolved)


def glue_main(step_name: str, run: JobFn, argv: list[str] | None = None) -> None:
    """Entry point on AWS Glue 5.1: resolve `--` arguments, init the job, run it, record metrics, commit."""
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from pyspark.context import SparkContext

    from sparkify.lake.spark_conf import apply_sql_conf, missing_catalog_conf

    argv = sys.argv if argv is None else argv
    job_step = pipeline.step(step_name)
    assert isinstance(job_step, pipeline.JobStep)
    resolved, job_args = resolve_glue_arguments(job_step, argv)
    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
    apply_sql_conf(spark)  # the same SQL settings as a local run
    job = Job(glue_context)
    job.init(resolved["JOB_NAME"], resolved)
    import boto3  # type: ignore[import-untyped]

    from sparkify.lake.no_retry import stop_own_run

    stop = functools.partial(stop_own_run, boto3.client("glue"), resolved["JOB_NAME"], resolved[JOB_RUN_ID])

    def with_catalog(spark: SparkSession, args: JobArgs) -> dict[str, Any]:
        # A run-level --conf drops the catalog: a run that cannot work, and that no retry would mend.
        problem = missing_catalog_conf(dict(spark.sparkContext.getConf().getAll()))
        if problem:
            raise InputError(problem)
        return run(spark, args)

    run_step(spark, job_args, step_name, with_catalog, stop_run=stop)
    job.commit()


def run_step(
    spark: SparkSession, args: JobArgs, step_name: str, run: JobFn, stop_run: Callable[[str], None]
) -> dict[str, Any]:
    """Run a step and record its metrics. A failed suite (`StepFailed`) fails the run, which stops the
    workflow and raises the alert; an input error stops the run (`stop_run`) so that Glue does not retry
    it, and fails it only should the stop not happen; any other error fails the run, for Glue to retry."""
    started_at, start = datetime.now(UTC), time.perf_counter()
    try:
        metrics = run(spark, args)
    except StepFailed as failed:
        write_metrics(spark, args, step_name, {**failed.metrics, **timing(started_at, start)})
        raise  # the Glue job run ends FAILED, which stops the workflow and raises the alert
    except InputError as exc:
        failure = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "retried": False}
        write_metrics(spark, args, step_name, {**failure, **timing(started_at, start)})
        stop_run(str(exc))
        raise
    write_metrics(spark, args, step_name, {**metrics, **timing(started_at, start)})
    return metrics


def timing(started_at: datetime, start: float) -> dict[str, Any]:
    """When a step started and how long it ran, kept in its metrics: the Data Docs' run index and
    charts are built from them on AWS, where no run report is written."""
    return {
        "step_started_at": started_at.isoformat(timespec="seconds"),
        "step_seconds": round(time.perf_counter() - start, 2),
    }

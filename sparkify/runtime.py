"""How a job script starts: on AWS Glue (GlueContext, Job.init/commit) or locally (plain SparkSession).

Every script in `glue_jobs/` defines `run(spark, args) -> dict` and ends with
`if __name__ == "__main__": glue_main(STEP, run)`. `args` maps each location name of the step
(see `pipeline.Location`) plus `run_id` to a value; `run` returns the step's metrics (or raises
`StepFailed` carrying them when the data is bad), which are
written as JSON to `<reports_uri>/runs/<run_id>/<step>.json` by whoever started the job.
This module is the only place that imports `awsglue`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

from pyspark.sql import SparkSession

from sparkify import pipeline
from sparkify.io import write_text

JobFn = Callable[[SparkSession, Mapping[str, str]], dict[str, Any]]


class StepFailed(Exception):
    """A job finished its work but judged the result bad (a failed suite): its metrics still count."""

    def __init__(self, message: str, metrics: dict[str, Any]):
        super().__init__(message)
        self.metrics = metrics


def step_metrics_uri(reports_uri: str, run_id: str, step_name: str) -> str:
    return f"{reports_uri.rstrip('/')}/runs/{run_id}/{step_name}.json"


def write_metrics(spark: SparkSession, args: Mapping[str, str], step_name: str, metrics: dict[str, Any]) -> None:
    uri = step_metrics_uri(args[pipeline.Location.REPORTS.value], args["run_id"], step_name)
    write_text(spark, uri, json.dumps(metrics, indent=2, sort_keys=True, default=str))


def glue_main(step_name: str, run: JobFn, argv: list[str] | None = None) -> None:
    """Entry point on AWS Glue 5.1: resolve `--` arguments, init the job, run it, record metrics, commit."""
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    from sparkify.spark import apply_sql_conf

    argv = sys.argv if argv is None else argv
    job_step = pipeline.step(step_name)
    assert isinstance(job_step, pipeline.JobStep)
    names = ["JOB_NAME", "JOB_RUN_ID", *(loc.value for loc in job_step.locations)]
    # Started by the workflow, every job of one run shares its WORKFLOW_RUN_ID; a manual job run has none.
    if "--WORKFLOW_RUN_ID" in argv:
        names.append("WORKFLOW_RUN_ID")
    # `--full_refresh true` on a manual job run rebuilds from all raw files (see `sparkify run --full-refresh`).
    if "--full_refresh" in argv:
        names.append("full_refresh")
    names += [option for option in job_step.options if f"--{option}" in argv]
    resolved = getResolvedOptions(argv, names)
    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
    apply_sql_conf(spark)  # the same SQL settings as a local run
    job = Job(glue_context)
    job.init(resolved["JOB_NAME"], resolved)
    args = {loc.value: resolved[loc.value] for loc in job_step.locations}
    args["run_id"] = resolved.get("WORKFLOW_RUN_ID") or resolved["JOB_RUN_ID"]
    args["full_refresh"] = resolved.get("full_refresh", "false").lower()
    args.update({option: resolved[option] for option in job_step.options if option in resolved})
    try:
        metrics = run(spark, args)
    except StepFailed as failed:
        write_metrics(spark, args, step_name, failed.metrics)
        raise  # the Glue job run ends FAILED, which stops the workflow and raises the alert
    write_metrics(spark, args, step_name, metrics)
    job.commit()

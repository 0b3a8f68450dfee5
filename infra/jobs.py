"""One `aws.glue.Job` per `JobStep` of the pipeline definition, on Glue 5.1.

The job's own arguments (its places, locations and Iceberg namespaces, and its stack settings) come from
`sparkify.job_args.glue_defaults`, the contract the local runner and `glue_entry.glue_main` share, so a job
gets exactly the `--<place>` arguments its step lists; Glue's own switches ride alongside. The Iceberg
settings come from `sparkify.lake.spark_conf.glue_catalog_conf`, the one definition of them. Job parameters:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.artifacts import Artifacts
from infra.config import StackConfig
from sparkify import pipeline
from sparkify.job_args import glue_defaults
from sparkify.lake.spark_conf import glue_catalog_conf, glue_conf_argument
from sparkify.layout import Names
from sparkify.pipeline import JobStep, Location, Place


@dataclass(frozen=True)
class RuntimeUris:
    """Resolved values a job's Glue switches point at."""

    temp_dir: str
    spark_ui_logs: str
    shared_code: str
    warehouse: str  # the curated location: the Iceberg catalog's default warehouse
    log_group_prefix: str
    wheels: tuple[str, ...] = ()  # s3:// URIs of the validate job's wheels


def needs_validation_libraries(step: JobStep) -> bool:
    """Only the step that runs the suites imports Great Expectations."""
    return Location.EXPECTATIONS in step.locations


def glue_switches(step: JobStep, uris: RuntimeUris) -> dict[str, str]:
    """Glue's own job parameters of one job."""
    switches = {
        "--job-language": "python",
        "--TempDir": uris.temp_dir,
        "--enable-observability-metrics": "true",
        # Glue 5.x always logs in real time (the ≤ 4.0 continuous-logging switches are gone); the groups are
        # the stack's own, with retention and the stack key: <prefix>/output and <prefix>/error.
        # https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html
        "--custom-logGroup-prefix": uris.log_group_prefix,
        "--enable-spark-ui": "true",
        "--spark-event-logs-path": uris.spark_ui_logs,
        # Iceberg tables in the Glue Data Catalog. Iceberg's GlueCatalog calls Glue itself, so Spark's
        # Hive session catalog stays local (no --enable-glue-datacatalog: no job reads a Hive table).
        # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-format-iceberg.html
        "--datalake-formats": "iceberg",
        "--conf": glue_conf_argument(glue_catalog_conf(uris.warehouse)),
        # Jobs read and write whole paths (the same code runs locally), so bookmarks stay off.
        "--job-bookmark-option": "job-bookmark-disable",
        "--extra-py-files": uris.shared_code,
    }
    if needs_validation_libraries(step) and uris.wheels:
        # Wheels built for Glue 5.1 from the artifacts bucket; pip never asks PyPI (works without a NAT).
        # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html
        switches["--additional-python-modules"] = ",".join(uris.wheels)
        switches["--python-modules-installer-option"] = "--no-index"
    return switches


def stack_options(cfg: StackConfig, names: Names) -> dict[str, str]:
    """The values of the jobs' stack settings (`JobStep.options`)."""
    return {
        pipeline.SNAPSHOT_RETENTION_DAYS: str(cfg.snapshot_retention_days),
        pipeline.HISTORY_DAYS: str(cfg.history_expiration_days),
        pipeline.QUARANTINE_DATABASE: names.staging_database,
        pipeline.TABLE_UPKEEP: cfg.table_upkeep,
    }


def default_arguments(
    step: JobStep, places: Mapping[Place, str], uris: RuntimeUris, options: Mapping[str, str] | None = None
) -> dict[str, str]:
    arguments = glue_defaults(step, places, options)
    switches = glue_switches(step, uris)
    clash = sorted(set(arguments) & set(switches))
    if clash:
        raise ValueError(f"job {step.name!r}: place arguments {clash} clash with Glue's own parameters")
    return {**arguments, **switches}


def _arguments(step: JobStep, options: Mapping[str, str], resolved: list[Any]) -> dict[str, str]:
    places, uris = resolved
    return default_arguments(step, places, uris, options)


class GlueJobs(pulumi.ComponentResource):
    """The Glue Spark jobs of the workflow, keyed by step name."""

    jobs: dict[str, aws.glue.Job]

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        names: Names,
        artifacts: Artifacts,
        places: pulumi.Output[dict[Place, str]],
        temp_bucket: pulumi.Input[str],
        role_arn: pulumi.Input[str],
        security_configuration: pulumi.Input[str],
        depends_on: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:jobs:GlueJobs", name, None, opts)
        uris = pulumi.Output.all(temp_bucket, artifacts.shared_code_uri, places, *artifacts.wheel_uris).apply(
            lambda v: RuntimeUris(
                temp_dir=f"s3://{v[0]}/glue-temp/",
                spark_ui_logs=f"s3://{v[0]}/spark-ui/",
                shared_code=v[1],
                warehouse=v[2][Location.CURATED],
                log_group_prefix=names.log_group_prefix,
                wheels=tuple(v[3:]),
            )
        )
        self.jobs = {}
        for step in pipeline.job_steps():
            settings = cfg.jobs[step.name]
            arguments = pulumi.Output.all(places, uris).apply(
                functools.partial(_arguments, step, stack_options(cfg, names))
            )
            # Worker type and count, timeout, retries and execution class come from stack config.
            # Worker types: https://docs.aws.amazon.com/glue/latest/dg/add-job.html
            self.jobs[step.name] = aws.glue.Job(
                f"{name}-{step.name}",
                name=names.job(step.name),
                description=step.description,
                role_arn=role_arn,
                glue_version=cfg.glue_version,
                command=aws.glue.JobCommandArgs(
                    name="glueetl", script_location=artifacts.script_uris[step.name], python_version="3"
                ),
                default_arguments=arguments,
                worker_type=settings.worker_type,
                number_of_workers=settings.number_of_workers,
                timeout=settings.timeout_minutes,
                max_retries=settings.max_retries,
                execution_class=settings.execution_class,
                # One run at a time: two runs would overwrite each other's tables.
                execution_property=aws.glue.JobExecutionPropertyArgs(max_concurrent_runs=1),
                security_configuration=security_configuration,
                # The role's policy, the log groups and the uploaded code must exist before the first run.
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
            )
        self.register_outputs({"jobs": {k: j.name for k, j in self.jobs.items()}})

"""One `aws.glue.Job` per `JobStep` of the pipeline definition, on Glue 5.1.

The location arguments come from `pipeline.job_arguments` (the same call the local runner makes), so a
job gets exactly the `--<location>` arguments its step lists; Glue's own switches ride alongside.
Job parameters: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.artifacts import Artifacts
from infra.config import StackConfig
from infra.naming import Names
from sparkify import pipeline
from sparkify.pipeline import JobStep, Location

GLUE_VERSION = "5.1"


@dataclass(frozen=True)
class RuntimeUris:
    """Resolved S3 URIs a job's Glue switches point at."""

    temp_dir: str
    spark_ui_logs: str
    shared_code: str
    requirements: str


def glue_switches(uris: RuntimeUris) -> dict[str, str]:
    """Glue's own job parameters, the same for every job of the stack."""
    return {
        "--job-language": "python",
        "--TempDir": uris.temp_dir,
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-continuous-log-filter": "true",
        "--enable-spark-ui": "true",
        "--spark-event-logs-path": uris.spark_ui_logs,
        "--enable-glue-datacatalog": "true",
        # Jobs read and write whole paths (the same code runs locally), so bookmarks stay off.
        "--job-bookmark-option": "job-bookmark-disable",
        "--extra-py-files": uris.shared_code,
        # Glue 5.x installs a requirements file with pip -r: exactly the versions uv.lock pins.
        # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html
        "--additional-python-modules": uris.requirements,
        "--python-modules-installer-option": "-r",
    }


def default_arguments(step: JobStep, locations: Mapping[Location, str], uris: RuntimeUris) -> dict[str, str]:
    arguments = pipeline.job_arguments(step, dict(locations))
    switches = glue_switches(uris)
    clash = sorted(set(arguments) & set(switches))
    if clash:
        raise ValueError(f"job {step.name!r}: location arguments {clash} clash with Glue's own parameters")
    return {**arguments, **switches}


def _arguments(step: JobStep, resolved: list[Any]) -> dict[str, str]:
    locations, uris = resolved
    return default_arguments(step, locations, uris)


class GlueJobs(pulumi.ComponentResource):
    """The Glue Spark jobs of the workflow, keyed by step name."""

    jobs: dict[str, aws.glue.Job]

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        names: Names,
        artifacts: Artifacts,
        locations: pulumi.Output[dict[Location, str]],
        temp_bucket: pulumi.Input[str],
        role_arn: pulumi.Input[str],
        security_configuration: pulumi.Input[str],
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:jobs:GlueJobs", name, None, opts)
        uris = pulumi.Output.all(temp_bucket, artifacts.shared_code_uri, artifacts.requirements_uri).apply(
            lambda v: RuntimeUris(
                temp_dir=f"s3://{v[0]}/glue-temp/",
                spark_ui_logs=f"s3://{v[0]}/spark-ui/",
                shared_code=v[1],
                requirements=v[2],
            )
        )
        self.jobs = {}
        for step in pipeline.job_steps():
            settings = cfg.jobs[step.name]
            arguments = pulumi.Output.all(locations, uris).apply(functools.partial(_arguments, step))
            # Worker type and count, timeout, retries and execution class come from stack config.
            # Worker types: https://docs.aws.amazon.com/glue/latest/dg/add-job.html
            self.jobs[step.name] = aws.glue.Job(
                f"{name}-{step.name}",
                name=names.job(step.name),
                description=step.description,
                role_arn=role_arn,
                glue_version=GLUE_VERSION,
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
                # The role's policy and the uploaded code must exist before the first run can start.
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
            )
        self.register_outputs({"jobs": {k: j.name for k, j in self.jobs.items()}})

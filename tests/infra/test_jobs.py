"""One Glue 5.1 job per job step, with its script in the artifacts bucket and exactly its locations."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sparkify import pipeline
from tests.infra.conftest import ACCOUNT, Rendered

JOB = "aws:glue/job:Job"


def bucket(stack: str, purpose: str) -> str:
    return f"sparkify-{stack}-{purpose}-{ACCOUNT}-us-east-1"


def expected_location_arguments(stack: str) -> dict[str, dict[str, str]]:
    curated = f"s3://{bucket(stack, 'curated')}"
    return {
        "stage": {
            "--raw_uri": f"s3://{bucket(stack, 'raw')}/",
            "--staging_uri": f"{curated}/staging/",
            "--quarantine_uri": f"{curated}/quarantine/",
            "--reports_uri": f"{curated}/reports/",
        },
        "model": {
            "--staging_uri": f"{curated}/staging/",
            "--curated_uri": f"{curated}/curated/",
            "--reports_uri": f"{curated}/reports/",
        },
        "validate": {
            "--staging_uri": f"{curated}/staging/",
            "--curated_uri": f"{curated}/curated/",
            "--quarantine_uri": f"{curated}/quarantine/",  # for the run page of the Data Docs
            "--expectations_uri": f"s3://{bucket(stack, 'artifacts')}/expectations/",
            "--data_docs_uri": f"s3://{bucket(stack, 'docs')}/",
            "--reports_uri": f"{curated}/reports/",
        },
    }


def test_one_job_per_job_step(stack: Rendered) -> None:
    jobs = stack.by_physical_name(JOB)
    assert sorted(jobs) == sorted(f"sparkify-{stack.stack}-{s}" for s in ("stage", "model", "validate"))
    assert sorted(jobs) == sorted(f"sparkify-{stack.stack}-{s.name}" for s in pipeline.job_steps())


@pytest.mark.parametrize("step", ["stage", "model", "validate"])
def test_job_runs_its_script_from_the_artifacts_bucket_on_glue_5_1(stack: Rendered, step: str) -> None:
    job = stack.by_physical_name(JOB)[f"sparkify-{stack.stack}-{step}"].inputs
    assert job["glueVersion"] == "5.1"
    assert job["command"] == {
        "name": "glueetl",
        "pythonVersion": "3",
        "scriptLocation": f"s3://{bucket(stack.stack, 'artifacts')}/glue_jobs/{step}.py",
    }
    assert job["roleArn"].endswith(f":sparkify-{stack.stack}-glue")
    assert job["securityConfiguration"] == f"sparkify-{stack.stack}"
    assert job["executionProperty"] == {"maxConcurrentRuns": 1}


@pytest.mark.parametrize("step", ["stage", "model", "validate"])
def test_job_arguments_name_exactly_its_locations(stack: Rendered, step: str) -> None:
    arguments = stack.by_physical_name(JOB)[f"sparkify-{stack.stack}-{step}"].inputs["defaultArguments"]
    locations = {k: v for k, v in arguments.items() if k.endswith("_uri")}
    assert locations == expected_location_arguments(stack.stack)[step], f"job {step}: wrong location arguments"


@pytest.mark.parametrize("step", ["stage", "model", "validate"])
def test_job_receives_its_iceberg_namespaces(stack: Rendered, step: str) -> None:
    arguments = stack.by_physical_name(JOB)[f"sparkify-{stack.stack}-{step}"].inputs["defaultArguments"]
    namespaces = {k: v for k, v in arguments.items() if k.endswith("_namespace")}
    staging = {"--staging_namespace": f"glue_catalog.sparkify_{stack.stack}_staging"}
    curated = {"--curated_namespace": f"glue_catalog.sparkify_{stack.stack}"}
    expected = {"stage": staging, "model": {**staging, **curated}, "validate": {**staging, **curated}}[step]
    assert namespaces == expected, f"job {step}: wrong namespace arguments"


def glue_switches(stack: str, step: str) -> dict[str, str]:
    artifacts, temp, curated = bucket(stack, "artifacts"), bucket(stack, "temp"), bucket(stack, "curated")
    switches = {
        "--job-language": "python",
        "--TempDir": f"s3://{temp}/glue-temp/",
        "--enable-observability-metrics": "true",
        "--custom-logGroup-prefix": f"/aws-glue/sparkify-{stack}",
        "--enable-spark-ui": "true",
        "--spark-event-logs-path": f"s3://{temp}/spark-ui/",
        "--datalake-formats": "iceberg",
        "--conf": (
            "spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"
            " --conf spark.sql.catalog.glue_catalog=org.apache.iceberg.spark.SparkCatalog"
            " --conf spark.sql.catalog.glue_catalog.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog"
            " --conf spark.sql.catalog.glue_catalog.io-impl=org.apache.iceberg.aws.s3.S3FileIO"
            f" --conf spark.sql.catalog.glue_catalog.warehouse=s3://{curated}/curated/"
            " --conf spark.sql.catalog.glue_catalog.cache-enabled=false"
        ),
        "--job-bookmark-option": "job-bookmark-disable",
        "--extra-py-files": f"s3://{artifacts}/lib/sparkify.zip",
    }
    return switches


@pytest.mark.parametrize("step", ["stage", "model"])
def test_jobs_that_do_not_validate_install_nothing(stack: Rendered, step: str) -> None:
    arguments = stack.by_physical_name(JOB)[f"sparkify-{stack.stack}-{step}"].inputs["defaultArguments"]
    others = {k: v for k, v in arguments.items() if not k.endswith(("_uri", "_namespace"))}
    if step == "stage":  # where it registers each batch's quarantine partition for Athena
        assert others.pop("--quarantine_database") == f"sparkify_{stack.stack}_staging"
        # and how long the lifecycle keeps a batch's files: older partitions are forgotten
        assert others.pop("--history_days") == {"dev": "30", "prod": "90"}[stack.stack]
    assert others == glue_switches(stack.stack, step), f"job {step}: Glue switches"


def test_validation_installs_the_uploaded_wheels_without_pypi(stack: Rendered) -> None:
    arguments = stack.by_physical_name(JOB)[f"sparkify-{stack.stack}-validate"].inputs["defaultArguments"]
    others = {k: v for k, v in arguments.items() if not k.endswith(("_uri", "_namespace"))}
    modules = others.pop("--additional-python-modules").split(",")
    # dev keeps the default; Pulumi.prod.yaml sets sparkify:snapshotRetentionDays: 30.
    assert others.pop("--snapshot_retention_days") == {"dev": "7", "prod": "30"}[stack.stack], "snapshot retention"
    # The Data Docs' run index keeps the runs the buckets' lifecycle keeps (sparkify:historyExpirationDays).
    assert others.pop("--history_days") == {"dev": "30", "prod": "90"}[stack.stack], "history of runs"
    # Both stacks keep the default: the validate job keeps the tables (tests/infra/test_optimizers.py).
    assert others.pop("--table_upkeep") == "jobs", "who keeps the tables"
    assert others == {**glue_switches(stack.stack, "validate"), "--python-modules-installer-option": "--no-index"}
    prefix = f"s3://{bucket(stack.stack, 'artifacts')}/lib/wheels/"
    assert all(m.startswith(prefix) and m.endswith(".whl") for m in modules), modules
    assert f"{prefix}great_expectations-1.24.1-py3-none-any.whl" in modules
    names = {m.removeprefix(prefix).split("-")[0] for m in modules}
    # Glue 5.1 ships these: installing them again would replace its own builds. It lists no scipy.
    assert names.isdisjoint({"boto3", "botocore", "numpy", "pandas", "pyarrow", "pyspark", "requests"})
    assert f"{prefix}scipy-1.17.1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl" in modules


def test_workers_come_from_the_stack_config(rendered_stack: Callable[[str], Rendered]) -> None:
    def sizing(stack: str) -> dict[str, tuple[str, int, int, int, str]]:
        return {
            r.inputs["name"]: (
                r.inputs["workerType"],
                r.inputs["numberOfWorkers"],
                r.inputs["timeout"],
                r.inputs["maxRetries"],
                r.inputs["executionClass"],
            )
            for r in rendered_stack(stack).of_type(JOB)
        }

    assert sizing("dev") == {
        "sparkify-dev-stage": ("G.1X", 2, 30, 0, "FLEX"),
        "sparkify-dev-model": ("G.1X", 2, 30, 0, "FLEX"),
        "sparkify-dev-validate": ("G.1X", 2, 30, 0, "FLEX"),
    }
    assert sizing("prod") == {
        "sparkify-prod-stage": ("G.1X", 4, 60, 1, "STANDARD"),
        "sparkify-prod-model": ("G.1X", 6, 60, 1, "STANDARD"),
        "sparkify-prod-validate": ("G.1X", 4, 60, 0, "STANDARD"),
    }


def test_glue_security_configuration_encrypts_s3_logs_and_bookmarks(stack: Rendered, hardened: Rendered) -> None:
    config = stack.one("aws:glue/securityConfiguration:SecurityConfiguration", "encryption-glue").inputs
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert config["name"] == f"sparkify-{stack.stack}"
    assert config["encryptionConfiguration"] == {
        "cloudwatchEncryption": {"cloudwatchEncryptionMode": "SSE-KMS", "kmsKeyArn": key_arn},
        "jobBookmarksEncryption": {"jobBookmarksEncryptionMode": "CSE-KMS", "kmsKeyArn": key_arn},
        "s3Encryption": {"s3EncryptionMode": "SSE-S3"},
    }
    hardened_s3 = hardened.one("aws:glue/securityConfiguration:SecurityConfiguration", "encryption-glue").inputs[
        "encryptionConfiguration"
    ]["s3Encryption"]
    assert hardened_s3["s3EncryptionMode"] == "SSE-KMS"
    assert hardened_s3["kmsKeyArn"].endswith(":key/0b5e9c3a-1111-4222-8333-444455556666")


def test_stack_key_admits_only_the_stacks_log_groups_and_alarms(stack: Rendered) -> None:
    import json

    key = stack.one("aws:kms/key:Key", "encryption-key").inputs
    assert key["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    assert sorted(statements) == [
        "AccountAdministersThroughIam",
        "CloudWatchLogsEncryptsStackLogGroups",
        "StackAlarmsPublishToEncryptedTopic",
    ]
    logs = "arn:aws:logs:us-east-1:123456789012:log-group:"
    s = stack.stack
    assert statements["CloudWatchLogsEncryptsStackLogGroups"]["Principal"] == {
        "Service": "logs.us-east-1.amazonaws.com"
    }
    assert statements["CloudWatchLogsEncryptsStackLogGroups"]["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": [
                f"{logs}/aws-glue/sparkify-{s}/sparkify-{s}-role/sparkify-{s}-glue/output",
                f"{logs}/aws-glue/sparkify-{s}/sparkify-{s}-role/sparkify-{s}-glue/error",
                f"{logs}/aws-glue/crawlers-role/sparkify-{s}-crawler-sparkify-{s}",
                f"{logs}/aws/lambda/sparkify-{s}-alert-router",
            ]
        }
    }
    alarms = statements["StackAlarmsPublishToEncryptedTopic"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert alarms["Condition"] == {
        "StringEqualsIfExists": {"aws:SourceAccount": "123456789012"},
        # The stack's alarms by name: `alarm:sparkify-prod-*` would admit a stack named prod-eu's too.
        "ArnEqualsIfExists": {
            "aws:SourceArn": [
                f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:sparkify-{s}-{a}"
                for a in ("no-successful-run", "undelivered-alerts")
            ]
        },
    }
    assert statements["AccountAdministersThroughIam"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


def test_stack_log_groups_expire_and_use_the_stack_key(stack: Rendered) -> None:
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    groups = {g.inputs["name"]: g.inputs for g in stack.of_type("aws:cloudwatch/logGroup:LogGroup")}
    s = stack.stack
    assert sorted(groups) == sorted(
        [
            f"/aws-glue/sparkify-{s}/sparkify-{s}-role/sparkify-{s}-glue/output",
            f"/aws-glue/sparkify-{s}/sparkify-{s}-role/sparkify-{s}-glue/error",
            f"/aws-glue/crawlers-role/sparkify-{s}-crawler-sparkify-{s}",
            f"/aws/lambda/sparkify-{s}-alert-router",
        ]
    )
    retention = {"dev": 14, "prod": 90}[s]
    for name, group in groups.items():
        assert (group["retentionInDays"], group["kmsKeyId"]) == (retention, key_arn), f"log group {name}"


def test_one_metrics_switch_per_job(stack: Rendered) -> None:
    # Both switches publish CloudWatch custom metrics on every run, billed per metric-hour (infra/cost.py);
    # the observability metrics (Glue 4.0+: errors by class, skew, throughput, memory and disk) serve.
    for job in stack.of_type(JOB):
        arguments = job.inputs["defaultArguments"]
        assert arguments["--enable-observability-metrics"] == "true", job.inputs["name"]
        assert "--enable-metrics" not in arguments, job.inputs["name"]

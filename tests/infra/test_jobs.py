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
def test_job_loads_the_shared_code_and_the_locked_requirements(stack: Rendered, step: str) -> None:
    arguments = stack.by_physical_name(JOB)[f"sparkify-{stack.stack}-{step}"].inputs["defaultArguments"]
    artifacts, temp = bucket(stack.stack, "artifacts"), bucket(stack.stack, "temp")
    assert {k: v for k, v in arguments.items() if not k.endswith("_uri")} == {
        "--job-language": "python",
        "--TempDir": f"s3://{temp}/glue-temp/",
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-continuous-log-filter": "true",
        "--enable-spark-ui": "true",
        "--spark-event-logs-path": f"s3://{temp}/spark-ui/",
        "--enable-glue-datacatalog": "true",
        "--job-bookmark-option": "job-bookmark-disable",
        "--extra-py-files": f"s3://{artifacts}/lib/sparkify.zip",
        "--additional-python-modules": f"s3://{artifacts}/lib/glue_requirements.txt",
        "--python-modules-installer-option": "-r",
    }


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
        "sparkify-prod-validate": ("G.1X", 4, 60, 1, "STANDARD"),
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


def test_stack_key_rotates_and_admits_only_logs_for_glue_and_eventbridge(stack: Rendered) -> None:
    import json

    key = stack.one("aws:kms/key:Key", "encryption-key").inputs
    assert key["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    assert statements["CloudWatchLogsEncryptsGlueLogGroups"]["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert statements["CloudWatchLogsEncryptsGlueLogGroups"]["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/*"}
    }
    assert statements["EventBridgePublishesToEncryptedTopic"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert statements["AccountAdministersThroughIam"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}

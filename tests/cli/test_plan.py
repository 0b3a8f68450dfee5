"""`sparkify plan --stack NAME`: an offline preview of `pulumi up` from the render the infrastructure tests
read (`infra/render.py`), through the real command line: every AWS resource with the settings a reviewer
checks, the counts, and the cost of a month and of a run; `--json` is the `sparkify.plan/1` document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from sparkify.cli.main import app
from tests.documents import assert_document


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    result = CliRunner().invoke(app, ["plan", "--stack", "prod", "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def rows(document: dict[str, Any], typ: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r["settings"] for r in document["resources"] if r["type"] == typ}


def test_the_plan_is_a_versioned_document(prod: dict[str, Any]) -> None:
    assert prod["schema_version"] == "sparkify.plan/1"
    assert_document("plan", prod)


def test_the_plan_counts_what_pulumi_up_registers(prod: dict[str, Any]) -> None:
    # 116 AWS resources (37 of them the uploaded code and wheels), 16 components, and the AWS provider.
    assert prod["counts"] == {"registered": 133, "aws_resources": 116, "components": 16}
    assert len(prod["resources"]) == 116


def test_the_plan_shows_what_a_reviewer_checks(prod: dict[str, Any]) -> None:
    buckets = [f"sparkify-prod-{p}-123456789012-us-east-1" for p in ("artifacts", "curated", "docs", "raw", "temp")]
    access = rows(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert access == {b: {"public_access": "blocked"} for b in buckets}
    encryption = rows(prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert encryption == {b: {"encryption": "SSE-S3"} for b in buckets}
    assert rows(prod, "aws:glue/trigger:Trigger")["sparkify-prod-start"] == {
        "type": "SCHEDULED",
        "enabled": True,
        "schedule": "cron(0 3 * * ? *)",
    }
    assert rows(prod, "aws:glue/job:Job")["sparkify-prod-model"] == {
        "workers": "6 × G.1X",
        "execution_class": "STANDARD",
        "timeout_minutes": 60,
        "max_retries": 1,
        "glue_version": "5.1",
        "security_configuration": "sparkify-prod",
    }
    logs = rows(prod, "aws:cloudwatch/logGroup:LogGroup")
    assert logs["/aws-glue/sparkify-prod/sparkify-prod-role/sparkify-prod-glue/error"] == {
        "retention_days": 90,
        "encrypted": True,
    }
    assert rows(prod, "aws:cloudwatch/metricAlarm:MetricAlarm")["sparkify-prod-no-successful-run"] == {
        "metric": "Sparkify/SuccessfulRuns",
        "window": "26 × 3600 s",
        "actions_enabled": False,
    }


def test_the_plan_prices_a_month_and_a_run(prod: dict[str, Any]) -> None:
    # $1 key + 2 alarms × $0.10 + 1350 MB of kept logs × $0.03 per GB (tests/infra/test_cost.py).
    assert prod["cost"]["fixed_per_month_usd"]["total"] == 1.24
    sample = prod["cost"]["per_run_usd"]["sample"]
    # 3 jobs × 72 metric-hours × $0.30 / 730; 3 jobs × 5 MB × $0.50 per GB.
    assert sample["metrics"] == round(3 * 72 * 0.30 / 730, 4)
    assert sample["logs"] == round(3 * 5 / 1024 * 0.50, 4)


def test_the_plan_for_people_is_a_table_and_two_cost_lines() -> None:
    result = CliRunner().invoke(app, ["plan", "--stack", "dev"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "glue/job" in out and "sparkify-dev-stage" in out and "2 × G.1X" in out and "FLEX" in out
    # dev runs on demand: no "no successful run" alarm, one AWS resource fewer than prod.
    assert (
        "Plan of stack dev (us-east-1, account 123456789012 stands for yours): 115 AWS resources; 132 registered "
        "with 16 components and the provider. Schedule: on demand. Alert mail: none."
    ) in out
    assert "Fixed a month: $1.10 (KMS key $1.00, alarms $0.10, log storage $0.00)" in out
    assert "Per run: sample $" in out


def test_an_unknown_stack_is_one_line_naming_the_stacks() -> None:
    result = CliRunner().invoke(app, ["plan", "--stack", "staging"])
    assert result.exit_code == 2
    assert "error: no Pulumi.staging.yaml in the repository; stacks here: dev, prod" in result.stderr

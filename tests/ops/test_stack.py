"""Resolving a stack's names: derived from sparkify/layout.py, taken from `pulumi stack output`, overridden by
flags; and the one-line errors for an unknown stack, a stack that is not deployed, and no credentials."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import boto3
import pytest

from sparkify.cli.main import app
from sparkify.ops import OpsError
from sparkify.ops import aws as ops_aws
from sparkify.ops import stack as ops_stack
from tests.ops.fake_aws import ACCOUNT, Deployed


def test_dev_names_follow_the_naming_scheme_with_the_account_from_sts(dev: Deployed) -> None:
    names, _ = ops_stack.resolve(ops_aws.connect(), "dev", require_workflow=True)

    assert names.workflow == "sparkify-dev"
    assert names.jobs == {
        "stage": "sparkify-dev-stage",
        "model": "sparkify-dev-model",
        "validate": "sparkify-dev-validate",
    }
    assert names.crawlers == {"raw": "sparkify-dev-raw"}
    assert names.staging_database == "sparkify_dev_staging"
    jobs_logs = "/aws-glue/sparkify-dev/sparkify-dev-role/sparkify-dev-glue"
    assert names.job_log_groups == {"output": f"{jobs_logs}/output", "error": f"{jobs_logs}/error"}
    assert names.buckets["raw"] == f"sparkify-dev-raw-{ACCOUNT}-us-east-1"
    assert names.buckets["docs"] == f"sparkify-dev-docs-{ACCOUNT}-us-east-1"
    assert names.database == "sparkify_dev"
    assert names.workgroup == "sparkify-dev"
    assert (names.account, names.region) == (ACCOUNT, "us-east-1")
    assert names.has_stack_file and names.source == "derived from sparkify/layout.py"


def test_the_stack_file_region_wins_over_the_session_region(dev: Deployed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # where the user's shell points; dev lives in us-east-1

    names, aws = ops_stack.resolve(ops_aws.connect(), "dev", require_workflow=True)

    assert names.region == "us-east-1"
    assert aws.region == "us-east-1"


def test_flags_override_the_stack_names(dev: Deployed) -> None:
    overrides = ops_stack.Overrides(workflow="sparkify-dev", docs_bucket="my-docs", database="analytics")

    names, _ = ops_stack.resolve(ops_aws.connect(), "dev", overrides)

    assert names.buckets["docs"] == "my-docs"
    assert names.database == "analytics"
    assert names.buckets["raw"] == dev.buckets["raw"]


def test_a_stack_without_a_file_is_known_by_its_workflow_in_aws(aws: str) -> None:
    boto3.client("glue").create_workflow(Name="sparkify-alice")

    names, _ = ops_stack.resolve(ops_aws.connect(region="us-east-1"), "alice")

    assert names.workflow == "sparkify-alice"
    assert not names.has_stack_file


def test_an_unknown_stack_is_one_line_naming_the_known_ones(aws: str, cli) -> None:
    result = cli.invoke(app, ["status", "--stack", "nope", "--region", "us-east-1"])

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "unknown stack 'nope'" in result.stderr
    assert "no Pulumi.nope.yaml" in result.stderr
    assert "no Glue workflow sparkify-nope" in result.stderr
    assert "stacks here: dev, prod" in result.stderr
    assert "Traceback" not in result.output


def test_a_stack_that_is_not_deployed_says_to_deploy_it(aws: str, cli) -> None:
    result = cli.invoke(app, ["trigger", "--stack", "prod"])

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Glue workflow sparkify-prod does not exist in account 123456789012 (us-east-1)" in result.stderr
    assert "pulumi up --stack prod" in result.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["trigger", "--stack", "dev"],
        ["status", "--stack", "dev"],
        ["docs", "--stack", "dev"],
        ["query", "top_songs", "--stack", "dev"],
    ],
)
def test_no_credentials_is_one_line_saying_how_to_get_them(no_aws: None, cli, argv: list[str], tmp_path: Path) -> None:
    (tmp_path / "raw" / "song_data").mkdir(parents=True)

    result = cli.invoke(app, argv)

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: no AWS credentials found while looking up the AWS account of stack dev")
    assert "aws sso login" in result.stderr
    assert "Traceback" not in result.output


def test_upload_without_credentials_is_one_line_too(no_aws: None, cli, tmp_path: Path) -> None:
    (tmp_path / "raw" / "song_data").mkdir(parents=True)

    result = cli.invoke(app, ["upload", "--raw", str(tmp_path / "raw"), "--stack", "dev"])

    assert result.exit_code == 2
    assert "no AWS credentials found" in result.stderr
    assert result.stderr.count("\n") == 1


def test_no_region_anywhere_is_one_line(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    with pytest.raises(OpsError, match=r"no AWS region for stack alice: pass --region, set AWS_REGION"):
        ops_stack.resolve(ops_aws.connect(), "alice")


def test_names_come_from_pulumi_stack_output_when_the_cli_answers(
    dev: Deployed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outputs = {
        "workflow_name": "sparkify-dev",
        "job_names": {
            "stage": "sparkify-dev-stage",
            "model": "sparkify-dev-model",
            "validate": "sparkify-dev-validate",
        },
        "crawler_names": {"raw": "sparkify-dev-raw"},
        "buckets": {**dev.buckets, "docs": "docs-from-pulumi"},
        # no database_name: an older deployment's outputs; the naming scheme fills it in
        "athena_workgroup": "workgroup-from-pulumi",
        "docs_url": "https://d111111abcdef8.cloudfront.net/latest/index.html",
    }
    binary = tmp_path / "bin" / "pulumi"
    binary.parent.mkdir()
    # A stand-in for the Pulumi CLI that checks it was asked the right question.
    binary.write_text(
        "#!/bin/sh\n"
        '[ "$1 $2 $3 $4 $5" = "stack output --json --stack dev" ] || exit 3\n'
        f"cat <<'EOF'\n{json.dumps(outputs)}\nEOF\n"
    )
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr("sparkify.ops.stack.pulumi_outputs", _real_pulumi_outputs)

    names, _ = ops_stack.resolve(ops_aws.connect(), "dev")

    assert names.source == "pulumi stack output"
    assert names.buckets["docs"] == "docs-from-pulumi"
    assert names.workgroup == "workgroup-from-pulumi"
    assert names.database == "sparkify_dev"
    assert names.docs_url == "https://d111111abcdef8.cloudfront.net/latest/index.html"
    assert names.docs_cloudfront


def test_a_pulumi_cli_that_fails_falls_back_to_the_naming_scheme(
    dev: Deployed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    binary = tmp_path / "bin" / "pulumi"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\necho 'error: no stack named dev found' >&2\nexit 255\n")
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr("sparkify.ops.stack.pulumi_outputs", _real_pulumi_outputs)

    names, _ = ops_stack.resolve(ops_aws.connect(), "dev")

    assert names.source == "derived from sparkify/layout.py"
    assert names.buckets["docs"] == dev.buckets["docs"]


_real_pulumi_outputs = ops_stack.pulumi_outputs

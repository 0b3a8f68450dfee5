"""`sparkify trigger`: starts the stack's workflow, and with --follow shows every step until the run ends;
a run that fails in validation exits non-zero naming the step, its error and where its logs are."""

from __future__ import annotations

import json
import re

import boto3

from sparkify.cli.main import app
from tests.documents import assert_document
from tests.ops.fake_aws import ACCOUNT, Deployed, GlueSim


def _runs(dev: Deployed) -> list[dict]:
    return boto3.client("glue").get_workflow_runs(Name=dev.names.workflow)["Runs"]


def test_trigger_starts_a_run_of_the_stack_workflow(dev: Deployed, cli) -> None:
    result = cli.invoke(app, ["trigger", "--stack", "dev"])

    assert result.exit_code == 0, result.output
    runs = _runs(dev)
    assert len(runs) == 1
    run_id = runs[0]["WorkflowRunId"]
    assert f"started run {run_id} of workflow sparkify-dev" in result.stdout
    assert f"sparkify status --stack dev --run {run_id}" in result.stdout


def test_trigger_json_gives_the_run_id(dev: Deployed, cli) -> None:
    result = cli.invoke(app, ["trigger", "--stack", "dev", "--json"])

    assert result.exit_code == 0, result.output
    started = json.loads(result.stdout)
    assert_document("run-started", started)
    assert started == {
        "schema_version": "sparkify.run-started/1",
        "stack": "dev",
        "workflow": "sparkify-dev",
        "run_id": _runs(dev)[0]["WorkflowRunId"],
        "status": "running",
    }


def test_follow_shows_each_step_until_the_run_succeeds(glue: GlueSim, cli) -> None:
    result = cli.invoke(app, ["trigger", "--stack", "dev", "--follow", "--interval", "0"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # One line per change of a step's status, in the order they happened.
    changes = [" ".join(line.split()[:4]) for line in lines if line.startswith(("  job", "  crawler"))]
    assert changes == [
        "job stage ▶ running",
        "job model · waiting",
        "job validate · waiting",
        "job stage ✓ succeeded",
        "job model ▶ running",
        "job model ✓ succeeded",
        "job validate ▶ running",
        "job validate ✓ succeeded",
    ]
    # Elapsed time of each finished step (the simulated durations: 95 s, 130 s, 80 s).
    assert "stage      ✓ succeeded    1m35s" in result.stdout
    assert "validate   ✓ succeeded    1m20s" in result.stdout
    # Polled once per state change and not after the end: 3 per job (starting, running, end).
    assert glue.reads == 9
    summary = lines[-2]
    assert "succeeded in 5m20s: 861 curated rows, 6/6 suites passed" in summary
    assert "≈ $0.05 (610 DPU-s)" in summary


def test_follow_of_a_run_failing_in_validation_exits_1_with_the_step_error_and_logs(glue: GlueSim, cli) -> None:
    glue.plan(fail_at="validate")

    result = cli.invoke(app, ["trigger", "--stack", "dev", "--follow", "--interval", "0"])

    assert result.exit_code == 1, result.output
    out = result.stdout
    job_run = boto3.client("glue").get_job_runs(JobName="sparkify-dev-validate")["JobRuns"][0]
    job_run_id = job_run["Id"]
    assert job_run["Arguments"]["--WORKFLOW_NAME"] == "sparkify-dev"
    assert "validate   ✗ failed" in out
    assert f"failed at step validate (job sparkify-dev-validate, run {job_run_id})" in out
    assert (
        "error:   StepFailed: data quality failed: songplays (1 of 9 expectations: "
        "expect_column_values_to_not_be_null(user_id))\n"
    ) in out
    assert (
        "logs:    aws logs tail /aws-glue/sparkify-dev/sparkify-dev-role/sparkify-dev-glue/error "
        f"--log-stream-names {job_run_id} --region us-east-1" in out
    )
    assert (
        "console: https://us-east-1.console.aws.amazon.com/gluestudio/home?region=us-east-1"
        f"#/job/sparkify-dev-validate/run/{job_run_id}" in out
    )
    assert "✗ songplays: expect_column_values_to_not_be_null(user_id): 3 unexpected values" in out
    # Once, the run's own site (the step error no longer repeats it).
    assert out.count("Data Docs:") == 1
    assert f"Data Docs: s3://sparkify-dev-docs-{ACCOUNT}-us-east-1/runs/wr_" in out


def test_follow_json_reports_the_failed_run_in_the_run_report_shape(glue: GlueSim, cli) -> None:
    glue.plan(fail_at="validate")

    result = cli.invoke(app, ["trigger", "--stack", "dev", "--follow", "--interval", "0", "--json"])

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert_document("run-report", report)
    assert report["status"] == "failed"
    assert report["failed_step"] == "validate"
    assert [(s["name"], s["status"]) for s in report["steps"]] == [
        ("stage", "succeeded"),
        ("model", "succeeded"),
        ("validate", "failed"),
    ]
    assert report["tables"]["songplays"] == {"rows": 401}
    assert report["suites"]["songplays"]["success"] is False
    assert report["quarantined"] == {"songs": 0, "events": 2}
    # Flex, 2 × G.1X: (95 + 130 + 80) s × 2 DPU.
    assert report["dpu_seconds"] == 610
    assert report["steps"][2]["job_run_id"].startswith("jr_")


def test_follow_gives_up_after_its_timeout_and_says_the_run_goes_on(glue: GlueSim, cli) -> None:
    result = cli.invoke(app, ["trigger", "--stack", "dev", "--follow", "--interval", "0", "--timeout", "0"])

    assert result.exit_code == 2
    assert "is still running after 0 s; it goes on in AWS: `sparkify status --stack dev --run wr_" in result.stderr


def test_trigger_with_an_explicit_workflow_that_does_not_exist(dev: Deployed, cli) -> None:
    result = cli.invoke(app, ["trigger", "--stack", "dev", "--workflow", "no-such-workflow"])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: Glue workflow no-such-workflow does not exist in account")
    assert result.stderr.count("\n") == 1


def test_follow_on_a_terminal_redraws_one_table(glue: GlueSim, cli, monkeypatch) -> None:
    import io

    from rich.console import Console

    from sparkify.cli import stack as ops_cli

    screen = io.StringIO()
    monkeypatch.setattr(ops_cli, "console", Console(file=screen, force_terminal=True, width=120, color_system=None))

    result = cli.invoke(app, ["trigger", "--stack", "dev", "--follow", "--interval", "0"])

    assert result.exit_code == 0, result.output
    drawn = screen.getvalue()
    assert "\x1b[" in drawn  # cursor movements: the table is redrawn in place, not appended line by line
    frames = re.split(r"(?=run wr_\w{9}…)", drawn.rsplit("\x1b[?25h", 1)[0])[1:]  # cursor shown again at the end
    assert len(frames) == 9 + 1, "one frame per poll, and the last one again when the run ended"
    final = frames[-1]
    assert "✓ succeeded  5m20s" in final
    assert [line.split()[0] for line in final.splitlines() if "job" in line or "crawler" in line] == [
        "stage",
        "model",
        "validate",
    ]
    assert final.count("✓ succeeded") == 4  # the run and its three steps

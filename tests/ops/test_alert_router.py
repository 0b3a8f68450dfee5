"""The alert router (the stack's Lambda) against moto: one alert per run that ended badly, whatever its final
state (a failure on the last attempt, a timeout, an error, a stop nobody asked for), none for an attempt
Glue will retry or a run a person stopped; the validation alert names the Data Docs, success is recorded
as a metric, and the end of the first run turns on the "no successful run" alarm's actions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdas import alert_router

REGION = "us-east-1"
DOCS = "s3://sparkify-prod-docs-123456789012-us-east-1/"
SILENCE_ALARM = "sparkify-prod-no-successful-run"


@pytest.fixture
def glue_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        glue, sns, sqs, cloudwatch = (boto3.client(n, region_name=REGION) for n in ("glue", "sns", "sqs", "cloudwatch"))
        topic = sns.create_topic(Name="sparkify-prod-alerts")["TopicArn"]
        # A queue subscribed to the topic shows what was published.
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
        for step, retries in (("stage", 1), ("model", 1), ("validate", 0)):
            glue.create_job(
                Name=f"sparkify-prod-{step}",
                Role="arn:aws:iam::123456789012:role/r",
                MaxRetries=retries,
                Command={"Name": "glueetl", "ScriptLocation": "s3://a/b.py"},
            )
        monkeypatch.setenv("STACK", "prod")
        monkeypatch.setenv("TOPIC_ARN", topic)
        monkeypatch.setenv("DOCS_LOCATION", DOCS)
        monkeypatch.setenv("JOB_STEPS", json.dumps({f"sparkify-prod-{s}": s for s in ("stage", "model", "validate")}))
        monkeypatch.setenv("VALIDATION_JOBS", json.dumps(["sparkify-prod-validate"]))
        monkeypatch.setenv("FINAL_JOB", "sparkify-prod-validate")
        glue.create_workflow(Name="sparkify-prod")
        # As the stack creates it: actions off until a run has ended (infra/alerting.py).
        cloudwatch.put_metric_alarm(
            AlarmName=SILENCE_ALARM,
            Namespace="Sparkify",
            MetricName="SuccessfulRuns",
            Statistic="Sum",
            Period=3600,
            EvaluationPeriods=26,
            Threshold=1,
            ComparisonOperator="LessThanThreshold",
            ActionsEnabled=False,
            AlarmActions=[topic],
        )
        monkeypatch.setenv("SILENCE_ALARM", SILENCE_ALARM)
        yield {"glue": glue, "sqs": sqs, "queue": queue, "cloudwatch": cloudwatch}


def failed_run(
    env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    attempt: int,
    error: str,
    workflow_run: str = "wr_42",
) -> str:
    """A failed job run of `step` (moto reports every run as attempt 0: the attempt is set here)."""
    from moto.glue import models

    arguments = {"--WORKFLOW_NAME": "sparkify-prod", "--WORKFLOW_RUN_ID": workflow_run}
    run_id = env["glue"].start_job_run(JobName=f"sparkify-prod-{step}", Arguments=arguments)["JobRunId"]
    as_dict = models.FakeJobRun.as_dict
    monkeypatch.setattr(
        models.FakeJobRun, "as_dict", lambda self: {**as_dict(self), "Attempt": attempt, "ErrorMessage": error}
    )
    return str(run_id)


def event(step: str, state: str, run_id: str = "jr_1") -> dict[str, Any]:
    return {
        "source": "aws.glue",
        "detail-type": "Glue Job State Change",
        "detail": {"jobName": f"sparkify-prod-{step}", "state": state, "jobRunId": run_id, "message": "boom"},
    }


def inbox(env: dict[str, Any]) -> list[str]:
    messages = env["sqs"].receive_message(QueueUrl=env["queue"], MaxNumberOfMessages=10).get("Messages", [])
    return [m["Body"] for m in messages]


def test_a_failure_glue_will_retry_stays_quiet(glue_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = failed_run(glue_env, monkeypatch, "model", attempt=0, error="Connection reset")
    assert alert_router.handler(event("model", "FAILED", run_id)) == {
        "action": "retrying",
        "attempt": 0,
        "max_retries": 1,
    }
    assert inbox(glue_env) == []


def test_the_final_attempt_alerts_once_with_step_reason_and_next_step(
    glue_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = failed_run(glue_env, monkeypatch, "model", attempt=1, error="Connection reset")
    assert alert_router.handler(event("model", "FAILED", run_id))["action"] == "alerted"
    assert inbox(glue_env) == [
        f"Sparkify prod: step model FAILED (job sparkify-prod-model, run {run_id}, attempt 2 of 2)\n"
        "Reason: Connection reset\n"
        "Workflow run: wr_42\n"
        "Next: `sparkify status --stack prod --run wr_42` shows every step, its logs and the run's report"
    ]


def test_a_timeout_alerts_on_the_first_attempt_glue_does_not_restart_it(
    glue_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # model may be retried once, but Glue does not restart a run that reached its timeout (add-job.html).
    run_id = failed_run(glue_env, monkeypatch, "model", attempt=0, error="")
    assert alert_router.handler(event("model", "TIMEOUT", run_id))["action"] == "alerted"
    (message,) = inbox(glue_env)
    assert message.splitlines()[:2] == [
        f"Sparkify prod: step model TIMEOUT (job sparkify-prod-model, run {run_id}, attempt 1 of 2)",
        "Reason: the run reached its timeout; Glue does not restart it",
    ]


def test_an_error_alerts_even_when_glue_no_longer_knows_the_run(glue_env: dict[str, Any]) -> None:
    # ERROR: a trigger tried to run a deleted job (job-run-statuses.html); GetJobRun has nothing to say.
    assert alert_router.handler(event("stage", "ERROR", "jr_gone"))["action"] == "alerted"
    (message,) = inbox(glue_env)
    assert message.splitlines()[:2] == [
        "Sparkify prod: step stage ERROR (job sparkify-prod-stage, run jr_gone)",
        "Reason: boom",
    ]


def test_a_run_stopped_without_anyone_stopping_the_workflow_alerts(
    glue_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Glue stopped it, or the job ended its own run on an input error (sparkify/lake/glue_entry.py).
    workflow_run = glue_env["glue"].start_workflow_run(Name="sparkify-prod")["RunId"]
    run_id = failed_run(glue_env, monkeypatch, "stage", attempt=0, error="", workflow_run=workflow_run)
    assert alert_router.handler(event("stage", "STOPPED", run_id))["action"] == "alerted"
    (message,) = inbox(glue_env)
    assert message.splitlines()[:3] == [
        f"Sparkify prod: step stage STOPPED (job sparkify-prod-stage, run {run_id}, attempt 1 of 2)",
        "Reason: boom",
        f"Workflow run: {workflow_run}",
    ]


def test_a_run_a_person_stopped_stays_quiet(glue_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.glue import models

    # moto accepts StopWorkflowRun but leaves the run RUNNING; Glue moves it to STOPPING, then STOPPED.
    def stop_run(self: models.FakeWorkflow, run_id: str) -> None:
        self.get_run(run_id).status = "STOPPED"

    monkeypatch.setattr(models.FakeWorkflow, "stop_run", stop_run)
    workflow_run = glue_env["glue"].start_workflow_run(Name="sparkify-prod")["RunId"]
    glue_env["glue"].stop_workflow_run(Name="sparkify-prod", RunId=workflow_run)
    run_id = failed_run(glue_env, monkeypatch, "model", attempt=0, error="", workflow_run=workflow_run)
    assert alert_router.handler(event("model", "STOPPED", run_id)) == {
        "action": "ignored",
        "why": "stopped by a person",
    }
    assert inbox(glue_env) == []


def alarm_actions_enabled(env: dict[str, Any]) -> bool:
    (alarm,) = env["cloudwatch"].describe_alarms(AlarmNames=[SILENCE_ALARM])["MetricAlarms"]
    return bool(alarm["ActionsEnabled"])


def test_the_silence_alarm_waits_for_the_end_of_the_first_run(
    glue_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    alert_router.handler(event("stage", "SUCCEEDED"))
    assert not alarm_actions_enabled(glue_env), "a step's success is not the end of a run"
    run_id = failed_run(glue_env, monkeypatch, "model", attempt=0, error="Connection reset")
    alert_router.handler(event("model", "FAILED", run_id))
    assert not alarm_actions_enabled(glue_env), "an attempt Glue retries is not the end of a run"
    alert_router.handler(event("validate", "SUCCEEDED"))
    assert alarm_actions_enabled(glue_env)


def test_a_final_failure_also_ends_the_first_run(glue_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = failed_run(glue_env, monkeypatch, "validate", attempt=0, error="StepFailed: songplays failed")
    alert_router.handler(event("validate", "FAILED", run_id))
    assert alarm_actions_enabled(glue_env)


def test_a_failed_validation_alerts_at_once_and_links_the_data_docs(
    glue_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = failed_run(glue_env, monkeypatch, "validate", attempt=0, error="StepFailed: songplays failed")
    alert_router.handler(event("validate", "FAILED", run_id))
    (message,) = inbox(glue_env)
    assert message.splitlines()[:4] == [
        f"Sparkify prod: step validate FAILED (job sparkify-prod-validate, run {run_id}, attempt 1 of 1)",
        "Reason: StepFailed: songplays failed",
        "Workflow run: wr_42",
        f"Data Docs: {DOCS}latest/index.html (history under {DOCS}runs/)",
    ]


def test_a_successful_run_is_recorded_and_earlier_steps_are_not(glue_env: dict[str, Any]) -> None:
    assert alert_router.handler(event("stage", "SUCCEEDED")) == {"action": "ignored"}
    assert alert_router.handler(event("validate", "SUCCEEDED")) == {"action": "recorded"}
    metrics = boto3.client("cloudwatch", region_name=REGION).list_metrics(Namespace="Sparkify")["Metrics"]
    assert [(m["MetricName"], m["Dimensions"]) for m in metrics] == [
        ("SuccessfulRuns", [{"Name": "Stack", "Value": "prod"}])
    ]
    assert inbox(glue_env) == []


def test_a_failed_crawl_alerts(glue_env: dict[str, Any]) -> None:
    crawl = {
        "source": "aws.glue",
        "detail-type": "Glue Crawler State Change",
        "detail": {"crawlerName": "sparkify-prod-raw", "state": "Failed", "errorMessage": "Access denied"},
    }
    alert_router.handler(crawl)
    (message,) = inbox(glue_env)
    assert message.splitlines()[:2] == ["Sparkify prod: crawler sparkify-prod-raw failed", "Reason: Access denied"]

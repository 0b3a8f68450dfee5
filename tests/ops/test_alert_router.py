"""The alert router (the stack's Lambda) against moto: one alert per failed run, none for an attempt
Glue will retry, the validation alert names the Data Docs, success is recorded as a metric."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sparkify.ops import alert_router

REGION = "us-east-1"
DOCS = "s3://sparkify-prod-docs-123456789012-us-east-1/"


@pytest.fixture
def glue_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        glue, sns, sqs = (boto3.client(n, region_name=REGION) for n in ("glue", "sns", "sqs"))
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
        yield {"glue": glue, "sqs": sqs, "queue": queue}


def failed_run(env: dict[str, Any], monkeypatch: pytest.MonkeyPatch, step: str, attempt: int, error: str) -> str:
    """A failed job run of `step` (moto reports every run as attempt 0: the attempt is set here)."""
    from moto.glue import models

    run_id = env["glue"].start_job_run(JobName=f"sparkify-prod-{step}", Arguments={"--WORKFLOW_RUN_ID": "wr_42"})[
        "JobRunId"
    ]
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

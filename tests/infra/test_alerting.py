"""Alerting: every state change of this stack's jobs and every raw-crawler failure reaches the alert router,
delivery is retried with a dead-letter queue, and silence (no successful run for a day and a bit) alarms,
once the stack has run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sparkify.pipeline import REPO_ROOT
from tests.infra.conftest import ACCOUNT, Rendered, policy_of, render, stack_config

RULE = "aws:cloudwatch/eventRule:EventRule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def matches(pattern: Any, event: Any) -> bool:
    """EventBridge's exact-value matching: every pattern key must be present with one of the listed values."""
    if isinstance(pattern, list):
        return event in pattern
    return isinstance(event, dict) and all(k in event and matches(v, event[k]) for k, v in pattern.items())


def job_event(job: str, state: str) -> dict[str, Any]:
    return {
        "source": "aws.glue",
        "detail-type": "Glue Job State Change",
        "detail": {"jobName": job, "state": state, "jobRunId": "jr_1", "message": "boom"},
    }


def crawler_event(crawler: str, state: str) -> dict[str, Any]:
    return {
        "source": "aws.glue",
        "detail-type": "Glue Crawler State Change",
        "detail": {"crawlerName": crawler, "state": state, "message": "Crawler Failed"},
    }


def rules_matching(stack: Rendered, event: dict[str, Any]) -> list[str]:
    return sorted(r.inputs["name"] for r in stack.of_type(RULE) if matches(json.loads(r.inputs["eventPattern"]), event))


@pytest.mark.parametrize("state", ["FAILED", "TIMEOUT", "ERROR", "STOPPED", "SUCCEEDED"])
@pytest.mark.parametrize("step", ["stage", "model", "validate"])
def test_job_outcomes_reach_the_router(stack: Rendered, step: str, state: str) -> None:
    event = job_event(f"sparkify-{stack.stack}-{step}", state)
    assert rules_matching(stack, event) == [f"sparkify-{stack.stack}-glue-jobs"]


def test_a_failed_raw_crawl_reaches_the_router(stack: Rendered) -> None:
    event = crawler_event(f"sparkify-{stack.stack}-raw", "Failed")
    assert rules_matching(stack, event) == [f"sparkify-{stack.stack}-crawler-failed"]


@pytest.mark.parametrize(
    "event",
    [
        job_event("sparkify-{stack}-stage", "RUNNING"),
        job_event("someone-elses-job", "FAILED"),
        job_event("sparkify-{stack}-eu-stage", "FAILED"),
        crawler_event("sparkify-{stack}-raw", "Succeeded"),
    ],
    ids=["running", "other-job", "a-stack-whose-name-starts-alike", "crawler-succeeded"],
)
def test_other_events_stay_out(stack: Rendered, event: dict[str, Any]) -> None:
    event = json.loads(json.dumps(event).replace("{stack}", stack.stack))
    assert rules_matching(stack, event) == []


def test_every_rule_delivers_to_the_router_with_retries_and_a_dead_letter_queue(stack: Rendered) -> None:
    s = stack.stack
    router = f"arn:aws:lambda:us-east-1:{ACCOUNT}:sparkify-{s}-alert-router"
    dlq = f"arn:aws:sqs:us-east-1:{ACCOUNT}:sparkify-{s}-alerts-dlq"
    targets = {t.inputs["rule"]: t.inputs for t in stack.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    assert sorted(targets) == [f"sparkify-{s}-crawler-failed", f"sparkify-{s}-glue-jobs"]
    for rule, target in targets.items():
        assert target["arn"] == router, rule
        assert target["retryPolicy"] == {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 10}, rule
        assert target["deadLetterConfig"] == {"arn": dlq}, rule
    invoke = stack.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "alerts-router-invoke").inputs
    assert invoke["maximumRetryAttempts"] == 2
    assert invoke["destinationConfig"] == {"onFailure": {"destination": dlq}}
    permissions = {p.inputs["sourceArn"] for p in stack.of_type("aws:lambda/permission:Permission")}
    assert permissions == {
        f"arn:aws:events:us-east-1:{ACCOUNT}:rule/sparkify-{s}-{r}" for r in ("glue-jobs", "crawler-failed")
    }
    (statement,) = policy_of(stack, "aws:sqs/queuePolicy:QueuePolicy", "alerts-dlq-policy")["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert sorted(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(permissions)


def test_the_router_ships_as_its_one_file(stack: Rendered) -> None:
    router = stack.one("aws:lambda/function:Function", "alerts-router").inputs
    assert router["handler"] == "alert_router.handler"
    assets = router["code"].assets
    assert list(assets) == ["alert_router.py"]
    assert Path(assets["alert_router.py"].path) == REPO_ROOT / "lambdas" / "alert_router.py"


def test_the_router_knows_the_steps_and_where_the_data_docs_are(stack: Rendered) -> None:
    s = stack.stack
    router = stack.one("aws:lambda/function:Function", "alerts-router").inputs
    variables = router["environment"]["variables"]
    assert json.loads(variables["JOB_STEPS"]) == {f"sparkify-{s}-{j}": j for j in ("stage", "model", "validate")}
    assert json.loads(variables["VALIDATION_JOBS"]) == [f"sparkify-{s}-validate"]
    assert variables["FINAL_JOB"] == f"sparkify-{s}-validate"
    assert variables["DOCS_LOCATION"] == f"s3://sparkify-{s}-docs-{ACCOUNT}-us-east-1/"
    assert variables["TOPIC_ARN"] == f"arn:aws:sns:us-east-1:{ACCOUNT}:sparkify-{s}-alerts"
    grants = {
        st["Sid"]: st for st in policy_of(stack, "aws:iam/rolePolicy:RolePolicy", "alerts-router-policy")["Statement"]
    }
    assert grants["ReadJobRuns"]["Resource"] == [
        f"arn:aws:glue:us-east-1:{ACCOUNT}:job/sparkify-{s}-{j}" for j in ("model", "stage", "validate")
    ]
    assert grants["RecordSuccessfulRuns"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Sparkify"}}


def test_a_scheduled_stack_alarms_after_a_day_and_a_bit_without_a_successful_run(
    rendered_stack: Callable[[str], Rendered],
) -> None:
    prod_stack = rendered_stack("prod")
    prod = prod_stack.by_physical_name(ALARM)
    silent = prod["sparkify-prod-no-successful-run"].inputs
    assert (silent["namespace"], silent["metricName"], silent["dimensions"]) == (
        "Sparkify",
        "SuccessfulRuns",
        {"Stack": "prod"},
    )
    # 26 hourly sums, every one without a success: the daily run may end a little later than yesterday's
    # (a 24-hour window would flap around it), and one late or failed run is the router's alert already.
    assert (silent["statistic"], silent["period"], silent["evaluationPeriods"], silent["datapointsToAlarm"]) == (
        "Sum",
        3600,
        26,
        26,
    )
    assert (silent["threshold"], silent["comparisonOperator"]) == (1, "LessThanThreshold")
    assert silent["treatMissingData"] == "breaching", "no data at all is the silence this alarm is for"
    assert silent["alarmActions"] == [f"arn:aws:sns:us-east-1:{ACCOUNT}:sparkify-prod-alerts"]
    # A new stack has no run yet: the router turns the actions on when the first run ends, and Pulumi
    # leaves them as the router set them.
    assert silent["actionsEnabled"] is False
    assert "actionsEnabled" in prod_stack.ignored_changes[(ALARM, "alerts-no-successful-run")]
    router = prod_stack.one("aws:lambda/function:Function", "alerts-router").inputs
    assert router["environment"]["variables"]["SILENCE_ALARM"] == "sparkify-prod-no-successful-run"
    grants = {
        st["Sid"]: st
        for st in policy_of(prod_stack, "aws:iam/rolePolicy:RolePolicy", "alerts-router-policy")["Statement"]
    }
    assert grants["TurnOnTheSilenceAlarm"]["Action"] == "cloudwatch:EnableAlarmActions"
    assert grants["TurnOnTheSilenceAlarm"]["Resource"] == (
        f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:sparkify-prod-no-successful-run"
    )
    # dev runs on demand: a quiet day is normal there.
    dev = rendered_stack("dev")
    assert sorted(dev.by_physical_name(ALARM)) == ["sparkify-dev-undelivered-alerts"]
    assert (
        "SILENCE_ALARM"
        not in dev.one("aws:lambda/function:Function", "alerts-router").inputs["environment"]["variables"]
    )


def test_the_router_tells_a_person_s_stop_from_glue_s(stack: Rendered) -> None:
    s = stack.stack
    grants = {
        st["Sid"]: st for st in policy_of(stack, "aws:iam/rolePolicy:RolePolicy", "alerts-router-policy")["Statement"]
    }
    assert grants["ReadWorkflowRuns"]["Action"] == "glue:GetWorkflowRun"
    assert grants["ReadWorkflowRuns"]["Resource"] == f"arn:aws:glue:us-east-1:{ACCOUNT}:workflow/sparkify-{s}"


def test_only_this_stacks_alarms_may_publish_to_the_encrypted_topic(stack: Rendered) -> None:
    topic = stack.one("aws:sns/topic:Topic", "alerts-topic").inputs
    assert topic["kmsMasterKeyId"].startswith("arn:aws:kms:")
    (statement,) = policy_of(stack, "aws:sns/topicPolicy:TopicPolicy", "alerts-topic-policy")["Statement"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == sorted(
        f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:{a}" for a in stack.by_physical_name(ALARM)
    )


def test_alert_mail_is_subscribed_where_configured(stack: Rendered) -> None:
    # Neither stack file names an address (each deployment sets its own); the dev variant below does.
    assert stack.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_a_configured_address_is_subscribed() -> None:
    mailed = render("dev", {**stack_config("dev"), "sparkify:alertEmail": "data@sparkify.fm"})
    subscriptions = mailed.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert [(s.inputs["protocol"], s.inputs["endpoint"]) for s in subscriptions] == [("email", "data@sparkify.fm")]

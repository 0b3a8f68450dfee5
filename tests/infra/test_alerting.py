"""The alert rules match failures (and only failures) of this stack's jobs, validation and crawlers."""

from __future__ import annotations

from collections.abc import Callable
import json
from typing import Any

import pytest

from tests.infra.conftest import Rendered, policy_of

RULE = "aws:cloudwatch/eventRule:EventRule"


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
    return sorted(
        r.inputs["name"] for r in stack.of_type(RULE) if matches(json.loads(r.inputs["eventPattern"]), event)
    )


@pytest.mark.parametrize("state", ["FAILED", "TIMEOUT"])
@pytest.mark.parametrize("step", ["stage", "model"])
def test_a_failed_job_raises_one_job_alert(stack: Rendered, step: str, state: str) -> None:
    event = job_event(f"sparkify-{stack.stack}-{step}", state)
    assert rules_matching(stack, event) == [f"sparkify-{stack.stack}-job-failed"]


@pytest.mark.parametrize("state", ["FAILED", "TIMEOUT"])
def test_a_failed_validation_raises_the_validation_alert(stack: Rendered, state: str) -> None:
    event = job_event(f"sparkify-{stack.stack}-validate", state)
    assert rules_matching(stack, event) == [f"sparkify-{stack.stack}-validation-failed"]


@pytest.mark.parametrize("step", ["catalog", "raw"])
def test_a_failed_crawler_raises_the_crawler_alert(stack: Rendered, step: str) -> None:
    event = crawler_event(f"sparkify-{stack.stack}-{step}", "Failed")
    assert rules_matching(stack, event) == [f"sparkify-{stack.stack}-crawler-failed"]


@pytest.mark.parametrize(
    "event",
    [
        job_event("sparkify-{stack}-stage", "SUCCEEDED"),
        job_event("sparkify-{stack}-validate", "STOPPED"),
        job_event("someone-elses-job", "FAILED"),
        crawler_event("sparkify-{stack}-catalog", "Succeeded"),
    ],
    ids=["succeeded", "stopped-by-a-person", "other-job", "crawler-succeeded"],
)
def test_success_and_other_resources_stay_quiet(stack: Rendered, event: dict[str, Any]) -> None:
    event = json.loads(json.dumps(event).replace("{stack}", stack.stack))
    assert rules_matching(stack, event) == []


def test_every_rule_publishes_a_readable_message_to_the_topic(stack: Rendered) -> None:
    topic_arn = f"arn:aws:sns:us-east-1:123456789012:sparkify-{stack.stack}-alerts"
    targets = {t.inputs["rule"]: t.inputs for t in stack.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    assert sorted(targets) == sorted(r.inputs["name"] for r in stack.of_type(RULE))
    for rule, target in targets.items():
        assert target["arn"] == topic_arn, rule
        template = json.loads(target["inputTransformer"]["inputTemplate"])
        assert isinstance(template, str) and template.startswith("Sparkify: "), rule
    validation = json.loads(targets[f"sparkify-{stack.stack}-validation-failed"]["inputTransformer"]["inputTemplate"])
    assert f"s3://sparkify-{stack.stack}-docs-123456789012-us-east-1/latest/index.html" in validation


def test_only_this_stacks_rules_may_publish_to_the_encrypted_topic(stack: Rendered) -> None:
    topic = stack.one("aws:sns/topic:Topic", "alerts-topic").inputs
    assert topic["kmsMasterKeyId"].startswith("arn:aws:kms:")
    (statement,) = policy_of(stack, "aws:sns/topicPolicy:TopicPolicy", "alerts-topic-policy")["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert sorted(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(
        f"arn:aws:events:us-east-1:123456789012:rule/sparkify-{stack.stack}-{r}"
        for r in ("job-failed", "validation-failed", "crawler-failed")
    )


def test_alert_mail_is_subscribed_where_configured(rendered_stack: Callable[[str], Rendered]) -> None:
    prod = rendered_stack("prod").of_type("aws:sns/topicSubscription:TopicSubscription")
    assert [(s.inputs["protocol"], s.inputs["endpoint"]) for s in prod] == [("email", "data-alerts@example.com")]
    assert rendered_stack("dev").of_type("aws:sns/topicSubscription:TopicSubscription") == []

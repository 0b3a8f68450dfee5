"""Alerts: an encrypted SNS topic (optionally mailed) and EventBridge rules for every way a run goes wrong:
a job failing or timing out, the validation job failing (a suite failed: read the Data Docs), a crawler
failing. Glue's events: https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

# Glue Job State Change events are sent for SUCCEEDED, FAILED, TIMEOUT and STOPPED (STOPPED is a person).
JOB_FAILURE_STATES = ["FAILED", "TIMEOUT", "ERROR"]
CRAWLER_FAILURE_STATES = ["Failed"]


def job_failure_pattern(job_names: Sequence[str]) -> dict[str, Any]:
    return {
        "source": ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        "detail": {"jobName": sorted(job_names), "state": JOB_FAILURE_STATES},
    }


def crawler_failure_pattern(crawler_names: Sequence[str]) -> dict[str, Any]:
    return {
        "source": ["aws.glue"],
        "detail-type": ["Glue Crawler State Change"],
        "detail": {"crawlerName": sorted(crawler_names), "state": CRAWLER_FAILURE_STATES},
    }


def topic_policy(topic_arn: str, rule_arns: Sequence[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeRulesOfThisStack",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
            }
        ],
    }


class Alerting(pulumi.ComponentResource):
    """The alert topic and the rules that feed it."""

    topic: aws.sns.Topic
    rules: dict[str, aws.cloudwatch.EventRule]

    def __init__(
        self,
        name: str,
        prefix: str,
        kms_key_id: pulumi.Input[str],
        job_names: Sequence[str],
        validation_job_names: Sequence[str],
        crawler_names: Sequence[str],
        docs_location: pulumi.Input[str],
        alert_email: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:alerting:Alerting", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Encrypted with the stack key, whose policy lets EventBridge publish.
        self.topic = aws.sns.Topic(f"{name}-topic", name=f"{prefix}-alerts", kms_master_key_id=kms_key_id, opts=child)
        if alert_email:
            # AWS mails a confirmation link first; alerts arrive once it is clicked.
            aws.sns.TopicSubscription(
                f"{name}-email", topic=self.topic.arn, protocol="email", endpoint=alert_email, opts=child
            )

        job_paths = {"job": "$.detail.jobName", "state": "$.detail.state", "run": "$.detail.jobRunId"}
        validation_message = pulumi.Output.from_input(docs_location).apply(
            lambda docs: json.dumps(
                "Sparkify: validation job <job> ended <state> (run <run>): a suite failed or the job broke. "
                f"Data Docs: {docs}latest/index.html, history under {docs}runs/"
            )
        )
        other_jobs = [j for j in job_names if j not in validation_job_names]
        # name: (event pattern, description, input paths, message template); EventBridge rejects empty lists.
        rules: dict[str, tuple[dict[str, Any], str, dict[str, str], pulumi.Input[str]]] = {}
        if other_jobs:
            rules["job-failed"] = (
                job_failure_pattern(other_jobs),
                "A Sparkify Glue job failed or timed out",
                job_paths,
                '"Sparkify: Glue job <job> ended <state> (run <run>). See its CloudWatch logs."',
            )
        if validation_job_names:
            rules["validation-failed"] = (
                job_failure_pattern(validation_job_names),
                "Sparkify data failed validation (or the validation job failed)",
                job_paths,
                validation_message,
            )
        if crawler_names:
            rules["crawler-failed"] = (
                crawler_failure_pattern(crawler_names),
                "A Sparkify Glue crawler failed",
                {"crawler": "$.detail.crawlerName", "state": "$.detail.state"},
                '"Sparkify: Glue crawler <crawler> ended <state>. See /aws-glue/crawlers in CloudWatch Logs."',
            )
        self.rules = {}
        for rule_name, (pattern, description, paths, template) in rules.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{rule_name}",
                name=f"{prefix}-{rule_name}",
                description=description,
                event_pattern=json.dumps(pattern),
                opts=child,
            )
            # Human-readable mail instead of the raw event JSON.
            aws.cloudwatch.EventTarget(
                f"{name}-{rule_name}-sns",
                rule=rule.name,
                arn=self.topic.arn,
                input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                    input_paths=paths, input_template=template
                ),
                opts=child,
            )
            self.rules[rule_name] = rule
        # Only this stack's rules may publish.
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, *(r.arn for r in self.rules.values())).apply(
                lambda v: json.dumps(topic_policy(v[0], v[1:]))
            ),
            opts=child,
        )
        self.register_outputs({"topic_arn": self.topic.arn})

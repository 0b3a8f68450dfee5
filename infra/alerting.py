"""Alerts: one message a person can act on per failed workflow run, and alarms for silence.

EventBridge sends every state change of the stack's Glue jobs and every raw-crawler failure to the alert
router (a small Lambda, `lambdas/alert_router.py`), which alerts once per run that ended badly (an
attempt Glue will retry and a run a person stopped stay quiet), names the step, the reason and the Data
Docs, and records each successful run as a metric. Alarms on that metric ("no successful run" for 26 hours,
scheduled stacks only, armed by the router when the first run ends) and on the dead-letter queue (an event
that could not be delivered) publish to the same encrypted topic.
Glue's events: https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from lambdas import alert_router
from sparkify.layout import Names

ROUTER_SOURCE = Path(alert_router.__file__)
ROUTER_RUNTIME = "python3.12"
# Job states the router reads: the ends of a run that may call for an alert, and success (to record the run).
JOB_STATES = [*alert_router.JOB_FAILURE_STATES, "SUCCEEDED"]
CRAWLER_FAILURE_STATES = list(alert_router.CRAWLER_FAILURE_STATES)
# EventBridge keeps retrying a failed delivery for up to an hour, then parks the event in the queue.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
DELIVERY_MAX_AGE_SECONDS = 3600
DELIVERY_MAX_ATTEMPTS = 10
# "No successful run": every one of the last 26 hourly sums without a success. A little more than a day, so
# a daily run that ends later than yesterday's does not page; hourly, so the window slides instead of
# resetting at a period boundary. (An alarm may look back 7 days when its period is an hour or more:
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html)
SUCCESS_PERIOD_SECONDS = 3600
SUCCESS_WINDOW_PERIODS = 26


def job_events_pattern(job_names: Sequence[str]) -> dict[str, Any]:
    return {
        "source": ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        "detail": {"jobName": sorted(job_names), "state": JOB_STATES},
    }


def crawler_failure_pattern(crawler_names: Sequence[str]) -> dict[str, Any]:
    return {
        "source": ["aws.glue"],
        "detail-type": ["Glue Crawler State Change"],
        "detail": {"crawlerName": sorted(crawler_names), "state": CRAWLER_FAILURE_STATES},
    }


def topic_policy(topic_arn: str, alarm_arns: Sequence[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StackAlarms",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(alarm_arns)}},
            }
        ],
    }


def queue_policy(queue_arn: str, rule_arns: Sequence[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "UndeliveredEventsOfThisStack",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
            }
        ],
    }


def router_policy(
    partition: str,
    region: str,
    account: str,
    job_names: Sequence[str],
    topic: str,
    key: str,
    queue: str,
    log_group: str,
    workflow: str,
    silence_alarm: str | None = None,
) -> dict[str, Any]:
    glue = f"arn:{partition}:glue:{region}:{account}"
    logs = f"arn:{partition}:logs:{region}:{account}:log-group:{log_group}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadJobRuns",
            "Effect": "Allow",
            "Action": ["glue:GetJob", "glue:GetJobRun"],
            "Resource": [f"{glue}:job/{j}" for j in sorted(job_names)],
        },
        {
            # Was a stopped job run's workflow run stopped by a person?
            "Sid": "ReadWorkflowRuns",
            "Effect": "Allow",
            "Action": "glue:GetWorkflowRun",
            "Resource": f"{glue}:workflow/{workflow}",
        },
        {"Sid": "Alert", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic},
        {
            "Sid": "EncryptedTopic",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": key,
        },
        {
            "Sid": "RecordSuccessfulRuns",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": alert_router.METRIC_NAMESPACE}},
        },
        {"Sid": "FailedInvocations", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue},
        {
            "Sid": "OwnLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [logs, f"{logs}:log-stream:*"],
        },
    ]
    if silence_alarm:
        statements.append(
            {
                "Sid": "TurnOnTheSilenceAlarm",
                "Effect": "Allow",
                "Action": "cloudwatch:EnableAlarmActions",
                "Resource": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{silence_alarm}",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class AlertingArgs:
    """What the alerting watches and where it reports, as the stack gives them."""

    names: Names
    stack: str
    kms_key_id: pulumi.Input[str]
    job_steps: Mapping[str, str]  # Glue job name → pipeline step, in pipeline order
    validation_job_names: Sequence[str]
    crawler_names: Sequence[str]
    docs_location: pulumi.Input[str]
    alert_email: str | None
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    region: str
    router_log_group: aws.cloudwatch.LogGroup
    watch_daily_success: bool


class Alerting(pulumi.ComponentResource):
    """The alert topic, the router and its rules, the dead-letter queue and the alarms."""

    topic: aws.sns.Topic
    rules: dict[str, aws.cloudwatch.EventRule]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(self, name: str, args: AlertingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("sparkify:alerting:Alerting", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self.topic = self._topic()
        # Events EventBridge could not deliver, and router invocations that kept failing (SSE-SQS).
        dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=args.names.alert_dlq,
            sqs_managed_sse_enabled=True,
            message_retention_seconds=14 * 24 * 3600,
            opts=self._child,
        )
        router = self._router(dlq)
        self.rules = self._rules(router, dlq)
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=dlq.url,
            policy=pulumi.Output.all(dlq.arn, *(r.arn for r in self.rules.values())).apply(
                lambda v: json.dumps(queue_policy(v[0], v[1:]))
            ),
            opts=self._child,
        )
        self.alarms = self._alarms(dlq)
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, *(a.arn for a in self.alarms.values())).apply(
                lambda v: json.dumps(topic_policy(v[0], v[1:]))
            ),
            opts=self._child,
        )
        self.register_outputs({"topic_arn": self.topic.arn})

    def _topic(self) -> aws.sns.Topic:
        name, args = self._name, self._args
        # Encrypted with the stack key, whose policy lets this stack's alarms publish.
        topic = aws.sns.Topic(
            f"{name}-topic", name=args.names.alert_topic, kms_master_key_id=args.kms_key_id, opts=self._child
        )
        if args.alert_email:
            # AWS mails a confirmation link first; alerts arrive once it is clicked.
            aws.sns.TopicSubscription(
                f"{name}-email", topic=topic.arn, protocol="email", endpoint=args.alert_email, opts=self._child
            )
        return topic

    def _router(self, dlq: aws.sqs.Queue) -> aws.lambda_.Function:
        """The Lambda function that turns job events into one alert per failed run, with its role."""
        name, args = self._name, self._args
        job_names = list(args.job_steps)
        silence_alarm = args.names.no_successful_run_alarm if args.watch_daily_success else None
        router_role = aws.iam.Role(
            f"{name}-router-role",
            name=args.names.alert_router,
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(
                lambda account: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": account}},
                            }
                        ],
                    }
                )
            ),
            opts=self._child,
        )
        router_grants = aws.iam.RolePolicy(
            f"{name}-router-policy",
            role=router_role.id,
            policy=pulumi.Output.all(
                args.partition, args.account_id, self.topic.arn, args.kms_key_id, dlq.arn, args.router_log_group.name
            ).apply(
                lambda v: json.dumps(
                    router_policy(
                        v[0], args.region, v[1], job_names, v[2], v[3], v[4], v[5], args.names.workflow, silence_alarm
                    )
                )
            ),
            opts=self._child,
        )
        router = aws.lambda_.Function(
            f"{name}-router",
            name=args.names.alert_router,
            description="Sparkify: one alert per failed workflow run; records successful runs",
            runtime=ROUTER_RUNTIME,
            handler="alert_router.handler",
            code=pulumi.AssetArchive({"alert_router.py": pulumi.FileAsset(str(ROUTER_SOURCE))}),
            role=router_role.arn,
            timeout=30,
            memory_size=128,
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    "STACK": args.stack,
                    "TOPIC_ARN": self.topic.arn,
                    "DOCS_LOCATION": args.docs_location,
                    "JOB_STEPS": json.dumps(dict(args.job_steps)),
                    "VALIDATION_JOBS": json.dumps(sorted(args.validation_job_names)),
                    "FINAL_JOB": job_names[-1],
                    **({"SILENCE_ALARM": silence_alarm} if silence_alarm else {}),
                }
            ),
            # Its log group (with retention and the stack key) and its grants exist before it runs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.router_log_group, router_grants]),
        )
        # A failing invocation is retried twice, then parked in the queue (which alarms).
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-router-invoke",
            function_name=router.name,
            maximum_retry_attempts=2,
            maximum_event_age_in_seconds=DELIVERY_MAX_AGE_SECONDS,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(destination=dlq.arn)
            ),
            opts=self._child,
        )
        return router

    def _rules(self, router: aws.lambda_.Function, dlq: aws.sqs.Queue) -> dict[str, aws.cloudwatch.EventRule]:
        """The EventBridge rules that send the jobs' and crawlers' events to the router."""
        name, args = self._name, self._args
        patterns: dict[str, tuple[dict[str, Any], str]] = {
            "glue-jobs": (job_events_pattern(list(args.job_steps)), "Sparkify Glue job state changes")
        }
        if args.crawler_names:  # EventBridge rejects empty lists
            patterns["crawler-failed"] = (crawler_failure_pattern(args.crawler_names), "A Sparkify Glue crawler failed")
        rules = {}
        for rule_name, (pattern, description) in patterns.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{rule_name}",
                name=args.names.alert_rule(rule_name),
                description=description,
                event_pattern=json.dumps(pattern),
                opts=self._child,
            )
            aws.lambda_.Permission(
                f"{name}-{rule_name}-invoke",
                action="lambda:InvokeFunction",
                function=router.name,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                opts=self._child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{rule_name}-router",
                rule=rule.name,
                arn=router.arn,
                retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                    maximum_event_age_in_seconds=DELIVERY_MAX_AGE_SECONDS, maximum_retry_attempts=DELIVERY_MAX_ATTEMPTS
                ),
                dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn),
                opts=self._child,
            )
            rules[rule_name] = rule
        return rules

    def _alarms(self, dlq: aws.sqs.Queue) -> dict[str, aws.cloudwatch.MetricAlarm]:
        name, args = self._name, self._args
        alarms = {}
        alarms["undelivered-alerts"] = aws.cloudwatch.MetricAlarm(
            f"{name}-undelivered",
            name=args.names.undelivered_alarm,
            alarm_description="Sparkify: an event or alert could not be delivered; read the queue "
            + args.names.alert_dlq,
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dlq.name},
            statistic="Maximum",
            period=300,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            opts=self._child,
        )
        if args.watch_daily_success:
            # A scheduled stack runs daily: a day without a successful run means it failed, hung or never started.
            # Created with its actions off: a new stack has not run yet, and no data would be silence. The
            # router turns them on when the first run ends; Pulumi then leaves them as they are.
            alarms["no-successful-run"] = aws.cloudwatch.MetricAlarm(
                f"{name}-no-successful-run",
                name=args.names.no_successful_run_alarm,
                alarm_description=(
                    f"Sparkify: no workflow run succeeded in the last {SUCCESS_WINDOW_PERIODS} hours "
                    "(`sparkify status`)"
                ),
                namespace=alert_router.METRIC_NAMESPACE,
                metric_name=alert_router.METRIC_NAME,
                dimensions={"Stack": args.stack},
                statistic="Sum",
                period=SUCCESS_PERIOD_SECONDS,
                evaluation_periods=SUCCESS_WINDOW_PERIODS,
                datapoints_to_alarm=SUCCESS_WINDOW_PERIODS,
                threshold=1,
                comparison_operator="LessThanThreshold",
                treat_missing_data="breaching",
                actions_enabled=False,
                alarm_actions=[self.topic.arn],
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["actionsEnabled"]),
            )
        return alarms

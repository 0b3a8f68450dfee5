"""What `pulumi up` creates, created in the emulated AWS from the stack's render (buckets, catalog
databases and tables, uploaded objects, jobs, workflow, triggers, log groups, the alert topic and rule),
and the raw data `sparkify upload` sends, sent by `sparkify.ops.upload` itself."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sparkify.rehearsal.emulator import Emulator
from sparkify.rehearsal.stack_render import StackRender

ALERT_INBOX = "rehearsal-alert-inbox"  # subscribed to the alert topic: the alerts a person would receive
ROUTER_INBOX = "rehearsal-router-inbox"  # the event rule's target in place of the router Lambda


def _pascal(key: str) -> str:
    special = {"serDeInfo": "SerdeInfo"}
    return special.get(key, key[:1].upper() + key[1:])


def table_input(inputs: dict[str, Any]) -> dict[str, Any]:
    """A `aws.glue.CatalogTable`'s inputs as the Glue API's TableInput (camelCase → PascalCase)."""

    def convert(value: Any, key: str = "") -> Any:
        if isinstance(value, dict) and key not in ("parameters",):
            return {_pascal(k): convert(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return {k: v for k, v in convert(inputs).items() if k not in ("DatabaseName", "CatalogId")}


def create_stack(aws: Emulator, stack: StackRender) -> dict[str, str]:
    """Everything the jobs and the alerts meet on AWS; returns the ARNs of the two inboxes by name."""
    s3, glue = aws.client("s3"), aws.client("glue")
    for bucket in stack.buckets.values():
        s3.create_bucket(Bucket=bucket)
    for database in stack.databases:
        glue.create_database(DatabaseInput={"Name": database.name, "LocationUri": database.location_uri})
    for table in stack.catalog_tables:
        glue.create_table(DatabaseName=table["databaseName"], TableInput=table_input(table))
    for upload in stack.uploads:
        s3.put_object(Bucket=upload.bucket, Key=upload.key, Body=Path(upload.source).read_bytes())
    role = f"arn:aws:iam::{stack.account}:role/{stack.stack}-glue"
    for job in stack.jobs.values():
        glue.create_job(
            Name=job.name,
            Role=role,
            Command={"Name": "glueetl", "ScriptLocation": job.script_uri, "PythonVersion": "3"},
            DefaultArguments=job.default_arguments,
            GlueVersion=job.glue_version,
            WorkerType=job.worker_type,
            NumberOfWorkers=job.number_of_workers,
            MaxRetries=job.max_retries,
            Timeout=job.timeout_minutes,
            ExecutionClass=job.execution_class,
        )
    glue.create_workflow(Name=stack.workflow)
    for trigger in stack.triggers:
        fields: dict[str, Any] = {
            "Name": trigger.name,
            "WorkflowName": stack.workflow,
            "Type": trigger.type,
            "Actions": [{"JobName": name} for name in trigger.actions],
        }
        if trigger.schedule:
            fields["Schedule"] = trigger.schedule
        if trigger.waits_for:
            fields["Predicate"] = {
                "Logical": "AND",
                "Conditions": [
                    {"LogicalOperator": "EQUALS", "JobName": name, "State": "SUCCEEDED"} for name in trigger.waits_for
                ],
            }
        glue.create_trigger(**fields)
    logs = aws.client("logs")
    for group in stack.exports.get("job_log_groups", []):
        logs.create_log_group(logGroupName=group)
    return _alert_path(aws, stack)


def _alert_path(aws: Emulator, stack: StackRender) -> dict[str, str]:
    """The alert topic with a queue subscribed (what a subscriber would read), and each rendered event
    rule with a queue as its target where the router Lambda is (moto runs no Python Lambda without
    Docker; the rehearsal runs the router's handler on what the rule delivers there)."""
    sqs, sns, events = aws.client("sqs"), aws.client("sns"), aws.client("events")
    inboxes = {}
    for name in (ALERT_INBOX, ROUTER_INBOX):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        inboxes[name] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=stack.alert_topic.rsplit(":", 1)[-1])["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=inboxes[ALERT_INBOX], Attributes={"RawMessageDelivery": "false"}
    )
    for rule in stack.alert_rules:
        events.put_rule(Name=rule.name, EventPattern=json.dumps(rule.pattern), State="ENABLED")
        events.put_targets(Rule=rule.name, Targets=[{"Id": "router", "Arn": inboxes[ROUTER_INBOX]}])
    return inboxes


def bucket_and_key(uri: str) -> tuple[str, str]:
    found = re.fullmatch(r"s3a?://([^/]+)/?(.*)", uri)
    if not found:
        raise ValueError(f"{uri!r} is not an s3:// URI")
    return found.group(1), found.group(2)

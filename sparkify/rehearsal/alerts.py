"""A job run's end as AWS reports it, through the stack's rendered alert rule, to the router's handler.

Glue sends EventBridge a "Glue Job State Change" event when a job run ends (fields as AWS documents them:
https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html). The rehearsal
puts that event on the emulated event bus, where the rendered rule's pattern decides whether it reaches
the router (a queue stands in for the Lambda target); the router's own handler
(`lambdas/alert_router.py`) then runs on the delivered event with the rendered environment, and the
alert is read back from a queue subscribed to the alert topic, as a subscriber would receive it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from lambdas import alert_router
from sparkify.rehearsal.emulator import Emulator, environment
from sparkify.rehearsal.provision import ALERT_INBOX, ROUTER_INBOX


def job_state_event(job: str, run_id: str, state: str, message: str) -> dict[str, Any]:
    severity = "INFO" if state == "SUCCEEDED" else "ERROR"
    return {
        "Source": "aws.glue",
        "DetailType": "Glue Job State Change",
        "Detail": json.dumps(
            {"jobName": job, "severity": severity, "state": state, "jobRunId": run_id, "message": message}
        ),
        "Resources": [],
        "Time": datetime.now(UTC),
    }


def _drain(aws: Emulator, queue: str) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    messages: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        batch = got.get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            messages.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def route(aws: Emulator, event: dict[str, Any], router_environment: dict[str, str]) -> list[dict[str, Any]]:
    """Put `event` on the bus; run the router on whatever the rule delivers; return what each call did."""
    aws.client("events").put_events(Entries=[event])
    outcomes = []
    clients = {name: aws.client(name) for name in ("glue", "sns", "cloudwatch")}
    with environment(router_environment):
        for delivered in _drain(aws, ROUTER_INBOX):
            outcomes.append(alert_router.handler(delivered, clients=clients))
    return outcomes


def received_alerts(aws: Emulator) -> list[str]:
    """The alerts on the topic, as a subscriber reads them: subject, a blank line, the message."""
    alerts = []
    for note in _drain(aws, ALERT_INBOX):
        alerts.append(f"{note.get('Subject', '')}\n\n{note.get('Message', '')}".strip())
    return alerts

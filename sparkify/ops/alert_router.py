"""The stack's alert router, an AWS Lambda handler (Python standard library and boto3 only).

EventBridge hands it every state change of the stack's Glue jobs and of the raw crawler. It sends one
alert a person can act on per failed workflow run, naming the step, the reason and where to look; an
attempt that Glue will retry stays quiet (the retry's own outcome decides). When the last job of the
workflow succeeds it records a `SuccessfulRuns` metric, which the "no successful run in 24 h" alarm
watches. Configuration arrives in environment variables set by `infra/alerting.py`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3  # type: ignore[import-untyped]

JOB_FAILURE_STATES = ("FAILED", "TIMEOUT", "ERROR")
CRAWLER_FAILURE_STATES = ("Failed",)
METRIC_NAMESPACE = "Sparkify"
METRIC_NAME = "SuccessfulRuns"


def _config() -> dict[str, Any]:
    return {
        "stack": os.environ["STACK"],
        "topic_arn": os.environ["TOPIC_ARN"],
        "docs_location": os.environ.get("DOCS_LOCATION", ""),
        "job_steps": json.loads(os.environ["JOB_STEPS"]),  # Glue job name → pipeline step
        "validation_jobs": set(json.loads(os.environ.get("VALIDATION_JOBS", "[]"))),
        "final_job": os.environ["FINAL_JOB"],
    }


def handler(event: dict[str, Any], context: Any = None, clients: dict[str, Any] | None = None) -> dict[str, Any]:
    """Returns what it did ({"action": "alerted" | "retrying" | "recorded" | "ignored", ...}), for the logs."""
    cfg = _config()
    clients = clients or {name: boto3.client(name) for name in ("glue", "sns", "cloudwatch")}
    detail = event.get("detail") or {}
    kind = event.get("detail-type")
    if kind == "Glue Job State Change" and detail.get("jobName") in cfg["job_steps"]:
        return _job_event(cfg, clients, detail)
    if kind == "Glue Crawler State Change" and detail.get("state") in CRAWLER_FAILURE_STATES:
        crawler = str(detail.get("crawlerName"))
        subject = f"Sparkify {cfg['stack']}: crawler {crawler} failed"
        body = "\n".join(
            [
                subject,
                f"Reason: {detail.get('errorMessage') or detail.get('message') or 'not given'}",
                f"Logs: the crawler's log group in CloudWatch Logs; `aws glue get-crawler --name {crawler}`",
            ]
        )
        _publish(clients, cfg, subject, body)
        return {"action": "alerted", "subject": subject}
    return {"action": "ignored"}


def _job_event(cfg: dict[str, Any], clients: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any]:
    job, state, run_id = str(detail["jobName"]), str(detail.get("state")), str(detail.get("jobRunId"))
    step = cfg["job_steps"][job]
    if state == "SUCCEEDED":
        if job != cfg["final_job"]:
            return {"action": "ignored"}
        clients["cloudwatch"].put_metric_data(
            Namespace=METRIC_NAMESPACE,
            MetricData=[
                {"MetricName": METRIC_NAME, "Dimensions": [{"Name": "Stack", "Value": cfg["stack"]}], "Value": 1}
            ],
        )
        return {"action": "recorded"}
    if state not in JOB_FAILURE_STATES:
        return {"action": "ignored"}
    glue = clients["glue"]
    run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
    max_retries = int(glue.get_job(JobName=job)["Job"].get("MaxRetries") or 0)
    attempt = int(run.get("Attempt") or 0)
    if attempt < max_retries:
        return {"action": "retrying", "attempt": attempt, "max_retries": max_retries}
    workflow_run = (run.get("Arguments") or {}).get("--WORKFLOW_RUN_ID")
    subject = f"Sparkify {cfg['stack']}: step {step} {state}"
    lines = [
        f"{subject} (job {job}, run {run_id}, attempt {attempt + 1} of {max_retries + 1})",
        f"Reason: {run.get('ErrorMessage') or detail.get('message') or 'not given'}",
    ]
    if workflow_run:
        lines.append(f"Workflow run: {workflow_run}")
    if job in cfg["validation_jobs"] and cfg["docs_location"]:
        lines.append(f"Data Docs: {cfg['docs_location']}latest/index.html (history under {cfg['docs_location']}runs/)")
    status = f"sparkify status --stack {cfg['stack']}" + (f" --run {workflow_run}" if workflow_run else "")
    lines.append(f"Next: `{status}` shows every step, its logs and the run's report")
    _publish(clients, cfg, subject, "\n".join(lines))
    return {"action": "alerted", "subject": subject}


def _publish(clients: dict[str, Any], cfg: dict[str, Any], subject: str, body: str) -> None:
    clients["sns"].publish(TopicArn=cfg["topic_arn"], Subject=subject[:100], Message=body)

"""The stack's alert router, an AWS Lambda handler (Python standard library and boto3 only).

EventBridge hands it every state change Glue reports for the stack's jobs (SUCCEEDED, FAILED, TIMEOUT,
STOPPED; ERROR too, should Glue send it) and every raw-crawler failure. It sends one alert a person can act
on per run that ended badly, naming the step, the reason and where to look. Which job states end a run
(https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html,
https://docs.aws.amazon.com/glue/latest/dg/add-job.html "Number of retries"):

- FAILED: Glue retries it up to the job's MaxRetries; only the last attempt alerts (the retry's own
  outcome decides the others);
- TIMEOUT: final. Glue does not restart a run that reached its timeout, whatever its MaxRetries;
- ERROR: final. A trigger tried to run a job that no longer exists, so there is no job run to read;
- STOPPED: final and not retried. A person who stops the workflow run (StopWorkflowRun) gets no alert; any
  other stop does: Glue's own, or a job ending its run on an input error that a retry would only repeat
  (`sparkify.lake.glue_entry`).

When the last job of the workflow succeeds it records a `SuccessfulRuns` metric, which the "no successful
run" alarm watches. That alarm is created with its actions off (a new stack has no runs yet); the end of the
first run, good or bad, turns them on. Configuration arrives in environment variables set by
`infra/alerting.py`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3  # type: ignore[import-untyped]

RETRIED_STATE = "FAILED"  # Glue restarts a failed run, up to the job's MaxRetries
FINAL_STATES = ("TIMEOUT", "ERROR", "STOPPED")  # Glue restarts none of these
JOB_FAILURE_STATES = (RETRIED_STATE, *FINAL_STATES)
CRAWLER_FAILURE_STATES = ("Failed",)
# A workflow run in one of these states was stopped by a person (StopWorkflowRun).
STOPPED_WORKFLOW_STATES = ("STOPPING", "STOPPED")
METRIC_NAMESPACE = "Sparkify"
METRIC_NAME = "SuccessfulRuns"
TIMEOUT_REASON = "the run reached its timeout; Glue does not restart it"


def _config() -> dict[str, Any]:
    return {
        "stack": os.environ["STACK"],
        "topic_arn": os.environ["TOPIC_ARN"],
        "docs_location": os.environ.get("DOCS_LOCATION", ""),
        "job_steps": json.loads(os.environ["JOB_STEPS"]),  # Glue job name → pipeline step
        "validation_jobs": set(json.loads(os.environ.get("VALIDATION_JOBS", "[]"))),
        "final_job": os.environ["FINAL_JOB"],
        "silence_alarm": os.environ.get("SILENCE_ALARM", ""),  # only on scheduled stacks
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
        _run_ended(cfg, clients)
        return {"action": "recorded"}
    if state not in JOB_FAILURE_STATES:
        return {"action": "ignored"}
    glue = clients["glue"]
    run = _job_run(glue, job, run_id)
    max_retries = _max_retries(glue, job)
    attempt = int(run.get("Attempt") or 0)
    if state == RETRIED_STATE and attempt < max_retries:
        return {"action": "retrying", "attempt": attempt, "max_retries": max_retries}
    arguments = run.get("Arguments") or {}
    workflow_run = arguments.get("--WORKFLOW_RUN_ID")
    if state == "STOPPED" and _stopped_by_a_person(glue, arguments.get("--WORKFLOW_NAME"), workflow_run):
        return {"action": "ignored", "why": "stopped by a person"}
    subject = f"Sparkify {cfg['stack']}: step {step} {state}"
    where = f"job {job}, run {run_id}" + (f", attempt {attempt + 1} of {max_retries + 1}" if run else "")
    reason = run.get("ErrorMessage") or (TIMEOUT_REASON if state == "TIMEOUT" else None) or detail.get("message")
    lines = [f"{subject} ({where})", f"Reason: {reason or 'not given'}"]
    if workflow_run:
        lines.append(f"Workflow run: {workflow_run}")
    if job in cfg["validation_jobs"] and cfg["docs_location"]:
        lines.append(f"Data Docs: {cfg['docs_location']}latest/index.html (history under {cfg['docs_location']}runs/)")
    status = f"sparkify status --stack {cfg['stack']}" + (f" --run {workflow_run}" if workflow_run else "")
    lines.append(f"Next: `{status}` shows every step, its logs and the run's report")
    _publish(clients, cfg, subject, "\n".join(lines))
    _run_ended(cfg, clients)
    return {"action": "alerted", "subject": subject}


def _job_run(glue: Any, job: str, run_id: str) -> dict[str, Any]:
    """The job run, or {} when Glue has none (an ERROR: the job was deleted)."""
    try:
        return dict(glue.get_job_run(JobName=job, RunId=run_id)["JobRun"])
    except glue.exceptions.EntityNotFoundException:
        return {}


def _max_retries(glue: Any, job: str) -> int:
    try:
        return int(glue.get_job(JobName=job)["Job"].get("MaxRetries") or 0)
    except glue.exceptions.EntityNotFoundException:
        return 0


def _stopped_by_a_person(glue: Any, workflow: str | None, workflow_run: str | None) -> bool:
    """A stopped job run whose workflow run is stopping or stopped: someone called StopWorkflowRun."""
    if not workflow or not workflow_run:
        return False
    try:
        status = glue.get_workflow_run(Name=workflow, RunId=workflow_run, IncludeGraph=False)["Run"].get("Status")
    except glue.exceptions.EntityNotFoundException:
        return False
    return status in STOPPED_WORKFLOW_STATES


def _run_ended(cfg: dict[str, Any], clients: dict[str, Any]) -> None:
    """A run has ended: from now on a day without a successful run is news (idempotent)."""
    if cfg["silence_alarm"]:
        clients["cloudwatch"].enable_alarm_actions(AlarmNames=[cfg["silence_alarm"]])


def _publish(clients: dict[str, Any], cfg: dict[str, Any], subject: str, body: str) -> None:
    clients["sns"].publish(TopicArn=cfg["topic_arn"], Subject=subject[:100], Message=body)

"""Workflow runs of a deployed stack: start one, follow it step by step, summarise past ones.

Everything comes from two places: Glue's run graph (`GetWorkflowRun(IncludeGraph=True)`: one node per
job and crawler, with its runs of this workflow run) and the metrics each job writes to
`<reports_uri>/runs/<run_id>/<step>.json` (rows, quarantine, suites). Together they make the same run
report (`sparkify.report`) a local run writes, plus Glue's states, log locations and the run's cost.

Glue ends a workflow run COMPLETED even when a job failed; the run failed if any step failed or never ran.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from sparkify import pipeline
from sparkify.glue_pricing import (
    CRAWLER_DPU_HOUR_USD,
    CRAWLER_DPUS,
    CRAWLER_MINIMUM_MINUTES,
    DPU_HOUR_USD,
    JOB_MINIMUM_MINUTES,
    WORKER_DPU,
)
from sparkify.layout import step_metrics_path
from sparkify.ops.aws import Aws, OpsError, error_code, explain, translated
from sparkify.ops.stack import StackNames
from sparkify.pipeline import Location
from sparkify.report import StepResult, StepStatus, build_report

# How the ops commands name a step's state (Glue's own state is kept alongside as `state`).
WAITING: Final = "waiting"
RUNNING: Final = "running"
SUCCEEDED: Final = "succeeded"
FAILED: Final = "failed"
STOPPED: Final = "stopped"
NOT_RUN: Final = "not run"

JOB_STATES: dict[str, StepStatus] = {
    "STARTING": RUNNING,
    "WAITING": RUNNING,
    "RUNNING": RUNNING,
    "STOPPING": RUNNING,
    "SUCCEEDED": SUCCEEDED,
    "FAILED": FAILED,
    "ERROR": FAILED,
    "TIMEOUT": FAILED,
    "EXPIRED": FAILED,
    "STOPPED": STOPPED,
}
CRAWL_STATES: dict[str, StepStatus] = {
    "RUNNING": RUNNING,
    "CANCELLING": RUNNING,
    "SUCCEEDED": SUCCEEDED,
    "FAILED": FAILED,
    "ERROR": FAILED,
    "CANCELLED": STOPPED,
}
ENDED_WORKFLOW_STATES = ("COMPLETED", "STOPPED", "ERROR")
DEFAULT_JOB_ERROR_LOG_GROUP = "/aws-glue/jobs/error"  # Glue 5 without a prefix or a security configuration


@dataclass
class StepView:
    """One pipeline step within one workflow run."""

    name: str
    kind: str
    glue_name: str
    status: StepStatus
    state: str | None = None  # Glue's JobRunState / crawl State
    started_at: datetime | None = None
    completed_at: datetime | None = None
    seconds: float | None = None
    error: str | None = None
    job_run_id: str | None = None
    attempts: int = 0
    dpu_seconds: float = 0.0
    usd: float = 0.0
    logs: str | None = None  # a command that prints the step's error log
    console_url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "completed_at"):
            data[key] = _iso(data[key])
        data["seconds"] = None if self.seconds is None else round(self.seconds, 2)
        data["dpu_seconds"] = round(self.dpu_seconds, 2)
        data["usd"] = round(self.usd, 4)
        return data


@dataclass
class RunView:
    """One workflow run: Glue's view of it, its steps in pipeline order, and the steps' metrics."""

    stack: str
    workflow: str
    run_id: str
    glue_status: str
    started_at: datetime | None
    completed_at: datetime | None
    steps: list[StepView]
    error: str | None = None
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # step → its metrics JSON
    metrics_note: str | None = None  # why metrics are missing, when they could not be read

    @property
    def ended(self) -> bool:
        return self.glue_status in ENDED_WORKFLOW_STATES

    @property
    def status(self) -> str:
        statuses = [s.status for s in self.steps]
        if not self.ended:
            return "stopping" if self.glue_status == "STOPPING" else RUNNING
        if self.glue_status == "ERROR" or FAILED in statuses:
            return FAILED
        if self.glue_status == "STOPPED" or STOPPED in statuses:
            return STOPPED
        return SUCCEEDED if all(s == SUCCEEDED for s in statuses) else FAILED

    @property
    def failed_step(self) -> StepView | None:
        """The step that ended the run: the first failed or stopped one, else the first that never ran."""
        for wanted in ((FAILED, STOPPED), (NOT_RUN,)):
            for step in self.steps:
                if step.status in wanted:
                    return step
        return None

    def seconds(self, now: datetime | None = None) -> float | None:
        if self.started_at is None:
            return None
        end = self.completed_at or now or datetime.now(UTC)
        return max((end - self.started_at).total_seconds(), 0.0)

    @property
    def dpu_seconds(self) -> float:
        return sum(s.dpu_seconds for s in self.steps)

    @property
    def usd(self) -> float:
        return sum(s.usd for s in self.steps)

    def report(self) -> dict[str, Any]:
        """The run report of `sparkify.report` (the shape `sparkify run` writes), plus Glue's details."""
        results = [
            StepResult(s.name, s.kind, s.status, s.seconds or 0.0, s.error, self.metrics.get(s.name, {}))
            for s in self.steps
        ]
        report = build_report(self.run_id, _iso(self.started_at) or "", self.seconds() or 0.0, results)
        report["status"] = self.status
        report["steps"] = [s.as_dict() for s in self.steps]
        failed = self.failed_step if self.status in (FAILED, STOPPED) else None
        report.update(
            stack=self.stack,
            workflow=self.workflow,
            glue_status=self.glue_status,
            completed_at=_iso(self.completed_at),
            error=self.error,
            failed_step=failed.name if failed else None,
            dpu_seconds=round(self.dpu_seconds, 2),
            estimated_usd=round(self.usd, 4),
            metrics_note=self.metrics_note,
        )
        return report


# ---------------------------------------------------------------------------------------------------------
# Cost: the same prices and minimums as the stack's estimate (infra/cost.py).


def job_run_cost(job_run: dict[str, Any]) -> tuple[float, float]:
    """(DPU-seconds used, estimated USD) of one job run. Flex runs report `DPUSeconds`; otherwise it is
    execution time × the run's DPUs. Billing has a 1-minute minimum per run."""

    execution_class = str(job_run.get("ExecutionClass") or "STANDARD")
    seconds = float(job_run.get("ExecutionTime") or 0)
    worker_type, workers = job_run.get("WorkerType"), job_run.get("NumberOfWorkers")
    if worker_type in WORKER_DPU and workers:
        dpus = WORKER_DPU[str(worker_type)] * float(workers)
    else:
        dpus = float(job_run.get("MaxCapacity") or 0)
    if execution_class == "FLEX" and job_run.get("DPUSeconds") is not None:
        used = float(job_run["DPUSeconds"])
    else:
        used = seconds * dpus
    if used <= 0:
        return 0.0, 0.0
    billed = max(used, dpus * JOB_MINIMUM_MINUTES * 60)
    rate = DPU_HOUR_USD.get(execution_class, DPU_HOUR_USD["STANDARD"])
    return used, billed / 3600 * rate


def crawl_cost(seconds: float) -> tuple[float, float]:
    """(DPU-seconds, USD) of a crawl: Glue sizes crawls itself, so cost.py's assumed DPUs, 10-minute minimum."""

    if seconds <= 0:
        return 0.0, 0.0
    used = CRAWLER_DPUS * seconds
    billed = CRAWLER_DPUS * max(seconds, CRAWLER_MINIMUM_MINUTES * 60)
    return used, billed / 3600 * CRAWLER_DPU_HOUR_USD


# ---------------------------------------------------------------------------------------------------------
# Reading Glue's run graph.


def run_view(names: StackNames, run: dict[str, Any], now: datetime | None = None) -> RunView:
    """Turn one `WorkflowRun` (with its graph) into steps in pipeline order."""
    now = now or datetime.now(UTC)
    nodes = {node.get("Name"): node for node in (run.get("Graph") or {}).get("Nodes", [])}
    ended = run.get("Status") in ENDED_WORKFLOW_STATES
    steps = []
    for step in pipeline.STEPS:
        glue_name = names.glue_name(step)
        node = nodes.get(glue_name, {})
        if isinstance(step, pipeline.JobStep):
            error_log = names.job_log_groups.get("error", DEFAULT_JOB_ERROR_LOG_GROUP)
            view = _job_step(step, glue_name, node, names.region, now, error_log)
        else:
            view = _crawler_step(step, glue_name, node, names.region, now)
        if view.state is None:
            view.status = NOT_RUN if ended else WAITING
        steps.append(view)
    return RunView(
        stack=names.stack,
        workflow=str(run.get("Name") or names.workflow),
        run_id=str(run["WorkflowRunId"]),
        glue_status=str(run.get("Status") or "RUNNING"),
        started_at=_utc(run.get("StartedOn")),
        completed_at=_utc(run.get("CompletedOn")),
        steps=steps,
        error=run.get("ErrorMessage"),
    )


def _job_step(
    step: pipeline.Step, glue_name: str, node: dict[str, Any], region: str, now: datetime, error_log: str
) -> StepView:
    runs = sorted(
        (node.get("JobDetails") or {}).get("JobRuns") or [],
        key=lambda r: (_utc(r.get("StartedOn")) or now, r.get("Attempt") or 0),
    )
    view = StepView(step.name, step.kind, glue_name, WAITING, attempts=len(runs))
    if not runs:
        return view
    latest = runs[-1]
    state = str(latest.get("JobRunState") or "STARTING")
    view.state = state
    view.status = JOB_STATES.get(state, RUNNING)
    view.started_at = _utc(latest.get("StartedOn"))
    view.completed_at = _utc(latest.get("CompletedOn")) if view.status != RUNNING else None
    view.seconds = _elapsed(view.started_at, view.completed_at, now)
    view.job_run_id = latest.get("Id")
    view.error = latest.get("ErrorMessage") or (
        f"the job run timed out after {latest.get('Timeout')} minutes" if state == "TIMEOUT" else None
    )
    for job_run in runs:
        used, usd = job_run_cost(job_run)
        view.dpu_seconds += used
        view.usd += usd
    if view.job_run_id:
        # The stack's own error group: Glue reports only the `--custom-logGroup-prefix` as LogGroupName,
        # while it writes under the security configuration's and the role's names (layout.Names).
        view.logs = f"aws logs tail {error_log} --log-stream-names {view.job_run_id} --region {region}"
        view.console_url = (
            f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}"
            f"#/job/{quote(glue_name, safe='')}/run/{view.job_run_id}"
        )
    return view


def _crawler_step(step: pipeline.Step, glue_name: str, node: dict[str, Any], region: str, now: datetime) -> StepView:
    crawls = sorted(
        (node.get("CrawlerDetails") or {}).get("Crawls") or [], key=lambda c: _utc(c.get("StartedOn")) or now
    )
    view = StepView(step.name, step.kind, glue_name, WAITING, attempts=len(crawls))
    if not crawls:
        return view
    latest = crawls[-1]
    state = str(latest.get("State") or "RUNNING")
    view.state = state
    view.status = CRAWL_STATES.get(state, RUNNING)
    view.started_at = _utc(latest.get("StartedOn"))
    view.completed_at = _utc(latest.get("CompletedOn")) if view.status != RUNNING else None
    view.seconds = _elapsed(view.started_at, view.completed_at, now)
    view.error = latest.get("ErrorMessage")
    for crawl in crawls:
        used, usd = crawl_cost(_elapsed(_utc(crawl.get("StartedOn")), _utc(crawl.get("CompletedOn")), now) or 0.0)
        view.dpu_seconds += used
        view.usd += usd
    group, stream = latest.get("LogGroup") or "/aws-glue/crawlers", latest.get("LogStream") or glue_name
    view.logs = f"aws logs tail {group} --log-stream-names {stream} --region {region}"
    view.console_url = (
        f"https://{region}.console.aws.amazon.com/glue/home?region={region}"
        f"#/v2/data-catalog/crawlers/view/{quote(glue_name, safe='')}"
    )
    return view


# ---------------------------------------------------------------------------------------------------------
# The AWS calls.


def start_run(aws: Aws, names: StackNames) -> str:
    with translated(f"starting workflow {names.workflow}"):
        return str(aws.client("glue").start_workflow_run(Name=names.workflow)["RunId"])


def _missing_run(names: StackNames, run_id: str) -> str:
    return (
        f"no run {run_id} of workflow {names.workflow} in {names.describe()}: "
        f"`sparkify status --stack {names.stack}` lists the recent runs"
    )


def get_run(aws: Aws, names: StackNames, run_id: str, *, with_metrics: bool = True) -> RunView:
    with translated(f"reading run {run_id} of workflow {names.workflow}", not_found=_missing_run(names, run_id)):
        run = aws.client("glue").get_workflow_run(Name=names.workflow, RunId=run_id, IncludeGraph=True)["Run"]
    view = run_view(names, run)
    if with_metrics:
        load_metrics(aws, names, view)
    return view


def resolve_run_id(aws: Aws, names: StackNames, run_id: str) -> str:
    """The full id of a run given its id or a unique prefix of it (`status` shows the first 12 characters)."""
    run_id = run_id.strip().rstrip("…")
    try:
        aws.client("glue").get_workflow_run(Name=names.workflow, RunId=run_id, IncludeGraph=False)
        return run_id
    except ClientError as exc:
        if error_code(exc) not in ("EntityNotFoundException", "InvalidInputException"):
            raise explain(exc, f"reading run {run_id} of workflow {names.workflow}") from None
    matches = [str(r["WorkflowRunId"]) for r in _list_runs(aws, names, include_graph=False)]
    matches = [m for m in matches if m.startswith(run_id)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise OpsError(_missing_run(names, run_id))
    raise OpsError(f"{run_id} is the start of {len(matches)} run ids of {names.workflow}: give more of it")


def _list_runs(aws: Aws, names: StackNames, *, include_graph: bool) -> list[dict[str, Any]]:
    glue = aws.client("glue")
    runs: list[dict[str, Any]] = []
    token: str | None = None
    with translated(f"listing the runs of workflow {names.workflow}"):
        while True:
            page = glue.get_workflow_runs(
                Name=names.workflow,
                IncludeGraph=include_graph,
                MaxResults=100,
                **({"NextToken": token} if token else {}),
            )
            runs.extend(page.get("Runs") or [])
            token = page.get("NextToken")
            if not token:
                return runs


def recent_runs(aws: Aws, names: StackNames, limit: int = 5) -> list[RunView]:
    """The latest `limit` runs, newest first (Glue keeps 90 days of run history)."""
    runs = _list_runs(aws, names, include_graph=True)
    oldest = datetime.min.replace(tzinfo=UTC)
    runs.sort(key=lambda r: _utc(r.get("StartedOn")) or oldest, reverse=True)
    views = [run_view(names, run) for run in runs[:limit]]
    for view in views:
        load_metrics(aws, names, view)
    return views


def load_metrics(aws: Aws, names: StackNames, view: RunView) -> None:
    """Read the step metrics the run's jobs wrote (absent for steps that did not get that far)."""
    bucket, prefix = names.location(Location.REPORTS)
    s3 = aws.client("s3")
    for step in pipeline.job_steps():
        key = f"{prefix.rstrip('/')}/{step_metrics_path(view.run_id, step.name)}".lstrip("/")
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                continue
            view.metrics_note = f"run metrics in s3://{bucket}/{prefix}/ unreadable ({error_code(exc)})"
            return
        except BotoCoreError as exc:  # a network or credentials failure here should not hide the run itself
            view.metrics_note = f"run metrics in s3://{bucket}/{prefix}/ unreadable ({type(exc).__name__})"
            return
        try:
            view.metrics[step.name] = json.loads(body)
        except json.JSONDecodeError:
            view.metrics_note = f"s3://{bucket}/{key} is not JSON"


def follow(
    aws: Aws,
    names: StackNames,
    run_id: str,
    on_update: Callable[[RunView], None],
    *,
    interval: float = 10.0,
    timeout: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RunView:
    """Poll the run until it ends, calling `on_update` with every view; returns the final view with metrics."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        view = get_run(aws, names, run_id, with_metrics=False)
        if view.ended:
            load_metrics(aws, names, view)
            on_update(view)
            return view
        on_update(view)
        if deadline is not None and time.monotonic() >= deadline:
            raise OpsError(
                f"run {run_id} is still {view.status} after {timeout:.0f} s; it goes on in AWS: "
                f"`sparkify status --stack {names.stack} --run {run_id}`"
            )
        sleep(interval)


def _utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _elapsed(start: datetime | None, end: datetime | None, now: datetime) -> float | None:
    if start is None:
        return None
    return max(((end or now) - start).total_seconds(), 0.0)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None

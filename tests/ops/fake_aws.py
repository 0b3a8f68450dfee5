"""An offline AWS for the ops tests: a moto server on loopback, a stack "deployed" into it the way the
Pulumi program would (names from sparkify/layout.py, job settings from Pulumi.<stack>.yaml), and a Glue
workflow engine (`GlueSim`) for what moto leaves out.

moto 5.2 keeps Glue workflows, runs, jobs and crawlers, but a workflow run never starts its jobs: no run
graph, no statistics, no state changes. `GlueSim` plays that part inside the moto server's process: a
workflow run started through the API runs its steps in pipeline order, one state change each time the run
is read (so `--follow` sees STARTING → RUNNING → SUCCEEDED), starting real moto job runs and crawls,
writing each job's metrics JSON to the reports location and the Data Docs site to the docs bucket (with the
validate job's own uploader), and answering `GetWorkflowRun` with the graph and statistics Glue would.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from infra.catalog import crawler_target_paths, namespaces
from infra.config import StackConfig, from_mapping
from infra.storage import location_uris
from sparkify import pipeline
from sparkify.layout import BUCKET_PURPOSES, Names
from sparkify.pipeline import Location

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"  # Pulumi.dev.yaml's and Pulumi.prod.yaml's aws:region
REPO_ROOT = pipeline.REPO_ROOT

# Seconds each step of a simulated run takes (virtual time; the tests compute costs from these by hand).
DURATIONS: dict[str, int] = {"stage": 95, "model": 130, "validate": 80}
GAP_SECONDS = 5  # between one step's end and the next step's start (trigger latency)

# The metrics each job of a simulated run writes, in the shapes the real jobs write.
STAGE_METRICS = {
    "status": "succeeded",
    "sources": {
        "songs": {"read": 30, "staged": 30, "quarantined": 0},
        "events": {"read": 500, "staged": 498, "quarantined": 2},
    },
}
MODEL_ROWS = {"songplays": 401, "users": 6, "users_history": 7, "songs": 30, "artists": 16, "time": 401}
FAILED_EXPECTATION = {
    "type": "expect_column_values_to_not_be_null",
    "column": "user_id",
    "details": "3 unexpected values",
}
VALIDATE_ERROR = (
    "StepFailed: data quality failed: songplays (1 of 9 expectations: expect_column_values_to_not_be_null(user_id))"
)


def stack_config(stack: str) -> StackConfig:
    """`Pulumi.<stack>.yaml` as the program reads it (text values, structures as JSON), validated."""
    document = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in document.items()}
    return from_mapping(values, stack)


@dataclass(frozen=True)
class Deployed:
    stack: str
    cfg: StackConfig
    names: Names
    buckets: dict[str, str]
    locations: dict[Location, str]

    @property
    def docs_bucket(self) -> str:
        return self.buckets["docs"]

    def glue_name(self, step: pipeline.Step) -> str:
        return self.names.job(step.name) if isinstance(step, pipeline.JobStep) else self.names.crawler(step.name)


def deploy(stack: str = "dev", *, with_buckets: bool = True) -> Deployed:
    """Create what `pulumi up` creates for the ops commands to find: buckets, databases, jobs, the raw crawler,
    the workflow and its triggers (as infra/workflow.py builds them), and the Athena workgroup."""
    cfg = stack_config(stack)
    names = Names(cfg.prefix)
    buckets = {purpose: names.bucket(purpose, ACCOUNT, cfg.region) for purpose in BUCKET_PURPOSES}
    locations = location_uris(buckets)
    s3 = boto3.client("s3", region_name=cfg.region)
    glue = boto3.client("glue", region_name=cfg.region)
    if with_buckets:
        for bucket in buckets.values():
            s3.create_bucket(Bucket=bucket)
    glue.create_database(DatabaseInput={"Name": names.database})
    glue.create_database(DatabaseInput={"Name": names.staging_database})
    role = f"arn:aws:iam::{ACCOUNT}:role/{names.role}"
    for step in pipeline.job_steps():
        settings = cfg.jobs[step.name]
        glue.create_job(
            Name=names.job(step.name),
            Role=role,
            Command={
                "Name": "glueetl",
                "ScriptLocation": f"s3://{buckets['artifacts']}/{step.script}",
                "PythonVersion": "3",
            },
            DefaultArguments=pipeline.job_arguments(step, {**locations, **namespaces(names)}),
            GlueVersion="5.1",
            WorkerType=settings.worker_type,
            NumberOfWorkers=settings.number_of_workers,
            Timeout=settings.timeout_minutes,
            MaxRetries=settings.max_retries,
            ExecutionClass=settings.execution_class,
            ExecutionProperty={"MaxConcurrentRuns": 1},
        )
    for crawler in [pipeline.RAW_CRAWLER]:
        glue.create_crawler(
            Name=names.crawler(crawler.name),
            Role=f"arn:aws:iam::{ACCOUNT}:role/{names.crawler_role}",
            DatabaseName=names.database,
            Targets={"S3Targets": [{"Path": p} for p in crawler_target_paths(crawler, locations)]},
        )
    glue.create_workflow(Name=names.workflow, MaxConcurrentRuns=1)
    deployed = Deployed(stack, cfg, names, buckets, locations)
    first = [s for s in pipeline.STEPS if not s.upstream]
    start: dict[str, Any] = (
        {"Type": "SCHEDULED", "Schedule": cfg.schedule, "StartOnCreation": True}
        if cfg.schedule_enabled
        else {"Type": "ON_DEMAND"}
    )
    glue.create_trigger(
        Name=names.start_trigger, WorkflowName=names.workflow, Actions=[_action(deployed, s) for s in first], **start
    )
    by_name = {s.name: s for s in pipeline.STEPS}
    for step in pipeline.STEPS:
        if not step.upstream:
            continue
        conditions = []
        for upstream in (by_name[u] for u in step.upstream):
            if isinstance(upstream, pipeline.CrawlerStep):
                conditions.append(
                    {
                        "CrawlerName": names.crawler(upstream.name),
                        "CrawlState": "SUCCEEDED",
                        "LogicalOperator": "EQUALS",
                    }
                )
            else:
                conditions.append(
                    {"JobName": names.job(upstream.name), "State": "SUCCEEDED", "LogicalOperator": "EQUALS"}
                )
        glue.create_trigger(
            Name=names.trigger(step.name),
            WorkflowName=names.workflow,
            Type="CONDITIONAL",
            StartOnCreation=True,
            Predicate={"Logical": "AND", "Conditions": conditions},
            Actions=[_action(deployed, step)],
        )
    boto3.client("athena", region_name=cfg.region).create_work_group(
        Name=names.prefix,
        Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{buckets['temp']}/athena-results/"}},
    )
    return deployed


def _action(deployed: Deployed, step: pipeline.Step) -> dict[str, str]:
    key = "JobName" if isinstance(step, pipeline.JobStep) else "CrawlerName"
    return {key: deployed.glue_name(step)}


# ---------------------------------------------------------------------------------------------------------
# The workflow engine moto lacks.


@dataclass
class Plan:
    """How the next workflow run goes: every step succeeds unless `fail_at` names one."""

    fail_at: str | None = None
    error: str | None = None
    durations: dict[str, int] = field(default_factory=lambda: dict(DURATIONS))
    docs_marker: str = ""  # written into the run's Data Docs index.html, to tell sites apart


@dataclass
class StepState:
    step: pipeline.Step
    glue_name: str
    state: str | None = None  # Glue's state; None until started
    started_on: datetime | None = None
    completed_on: datetime | None = None
    job_run: Any = None  # moto's FakeJobRun
    crawl: Any = None  # moto's FakeCrawl

    @property
    def done(self) -> bool:
        return self.state in ("SUCCEEDED", "FAILED")


@dataclass
class RunState:
    workflow_run: Any  # moto's FakeWorkflowRun
    plan: Plan
    steps: list[StepState]


class GlueSim:
    def __init__(self, deployed: Deployed, monkeypatch: pytest.MonkeyPatch):
        from moto.glue import models
        from moto.moto_api import state_manager

        self.deployed = deployed
        self.next_plan = Plan()
        self.runs: dict[str, RunState] = {}
        self.reads = 0
        self._models = models
        # Job runs and crawls keep the states this engine gives them (moto would jump to SUCCEEDED).
        for model in ("glue::job_run", "glue::crawl"):
            state_manager.set_transition(model, {"progression": "manual", "times": 10**9})
        self._state_manager = state_manager
        sim = self
        start_run = models.FakeWorkflow.start_run
        get_workflow_run = models.GlueBackend.get_workflow_run
        as_dict = models.FakeWorkflowRun.as_dict

        def patched_start_run(workflow: Any, properties: Any) -> str:
            run_id = start_run(workflow, properties)
            if workflow.name == deployed.names.workflow:
                sim._register(workflow.runs[run_id])
            return str(run_id)

        def patched_get_workflow_run(backend: Any, workflow_name: str, run_id: str) -> Any:
            state = sim.runs.get(run_id)
            if state is not None:
                sim.reads += 1
                sim._tick(backend, state)
            return get_workflow_run(backend, workflow_name, run_id)

        def patched_as_dict(run: Any) -> Any:
            data = as_dict(run)
            state = sim.runs.get(run.run_id)
            if state is not None:
                data.update(sim._graph_and_statistics(state))
            return data

        monkeypatch.setattr(models.FakeWorkflow, "start_run", patched_start_run)
        monkeypatch.setattr(models.GlueBackend, "get_workflow_run", patched_get_workflow_run)
        monkeypatch.setattr(models.FakeWorkflowRun, "as_dict", patched_as_dict)

    def close(self) -> None:
        for model in ("glue::job_run", "glue::crawl"):
            self._state_manager.unset_transition(model)

    # -- driving runs ------------------------------------------------------------------------------------

    def plan(self, **kwargs: Any) -> Plan:
        """Set how the next started run goes."""
        self.next_plan = Plan(**kwargs)
        return self.next_plan

    def run_to_end(self, started_on: datetime | None = None, **plan: Any) -> str:
        """Start a run through the API and play it to its end at once (for `status` and `docs`)."""
        self.plan(**plan)
        glue = boto3.client("glue", region_name=REGION)
        run_id = str(glue.start_workflow_run(Name=self.deployed.names.workflow)["RunId"])
        state = self.runs[run_id]
        if started_on is not None:
            state.workflow_run.started_on = started_on
        backend = self._models.glue_backends[ACCOUNT][REGION]
        while state.workflow_run.status == "RUNNING":
            self._tick(backend, state)
        return run_id

    def _register(self, workflow_run: Any) -> None:
        workflow_run.started_on = datetime.now(UTC)
        steps = [StepState(s, self.deployed.glue_name(s)) for s in pipeline.STEPS]
        self.runs[workflow_run.run_id] = RunState(workflow_run, self.next_plan, steps)
        self.next_plan = Plan()

    def _tick(self, backend: Any, run: RunState) -> None:
        """One state change of the current step, as one poll of a real run would observe."""
        if run.workflow_run.status != "RUNNING":
            return
        current = next((s for s in run.steps if not s.done), None)
        if current is None:
            return
        previous_end = max((s.completed_on for s in run.steps if s.completed_on), default=None)
        if current.state is None:
            current.started_on = (previous_end or run.workflow_run.started_on) + timedelta(seconds=GAP_SECONDS)
            self._start(backend, run, current)
        elif current.state == "STARTING":
            self._set_state(current, "RUNNING")
        else:  # RUNNING → its outcome
            failed = run.plan.fail_at == current.step.name
            assert current.started_on is not None
            current.completed_on = current.started_on + timedelta(seconds=run.plan.durations[current.step.name])
            self._set_state(current, "FAILED" if failed else "SUCCEEDED")
            if isinstance(current.step, pipeline.JobStep):
                self._write_outputs(run, current.step, failed)
            if failed or current is run.steps[-1]:
                run.workflow_run.status = "COMPLETED"
                run.workflow_run.completed_on = current.completed_on

    def _start(self, backend: Any, run: RunState, step: StepState) -> None:
        if isinstance(step.step, pipeline.JobStep):
            job_run_id = backend.start_job_run(
                step.glue_name,
                {"--WORKFLOW_NAME": self.deployed.names.workflow, "--WORKFLOW_RUN_ID": run.workflow_run.run_id},
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )
            step.job_run = backend.get_job(step.glue_name).get_job_run(job_run_id)
            self._set_state(step, "STARTING")
        else:
            backend.start_crawler(step.glue_name)
            step.crawl = backend.get_crawler(step.glue_name).crawls[-1]
            self._set_state(step, "RUNNING")

    def _set_state(self, step: StepState, state: str) -> None:
        step.state = state
        if step.job_run is not None:
            step.job_run.status = state
        if step.crawl is not None:
            step.crawl.status = {"SUCCEEDED": "COMPLETED"}.get(state, state)

    # -- what the jobs write -----------------------------------------------------------------------------

    def _write_outputs(self, run: RunState, step: pipeline.JobStep, failed: bool) -> None:
        from sparkify.docs_site.publish import split_s3_uri, upload_site
        from sparkify.lake.glue_entry import step_metrics_uri

        run_id = run.workflow_run.run_id
        docs_uri = self.deployed.locations[Location.DATA_DOCS]
        metrics: dict[str, Any]
        if step.name == "stage":
            metrics = STAGE_METRICS
        elif step.name == "model":
            metrics = {"status": "succeeded", "rows": MODEL_ROWS}
        else:
            suites = {
                t.name: {"success": True, "evaluated": 7, "failed": 0, "failed_expectations": []}
                for t in pipeline.CURATED_TABLES
            }
            if failed:
                suites["songplays"] = {
                    "success": False,
                    "evaluated": 9,
                    "failed": 1,
                    "failed_expectations": [FAILED_EXPECTATION],
                }
            with tempfile.TemporaryDirectory() as site:
                index = Path(site) / "index.html"
                index.write_text(f"<html><body><h1>Data Docs</h1><p>{run.plan.docs_marker or run_id}</p></body></html>")
                (Path(site) / "static").mkdir()
                (Path(site) / "static" / "style.css").write_text("body { font-family: sans-serif }")
                docs_index = upload_site(site, docs_uri, run_id, boto3.client("s3", region_name=REGION))
            metrics = {"status": "failed" if failed else "succeeded", "suites": suites, "data_docs_index": docs_index}
        uri = step_metrics_uri(self.deployed.locations[Location.REPORTS], run_id, step.name)
        bucket, key = split_s3_uri(uri)
        boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=json.dumps(metrics).encode())

    # -- what GetWorkflowRun answers ---------------------------------------------------------------------

    def _graph_and_statistics(self, run: RunState) -> dict[str, Any]:
        nodes: list[dict[str, Any]] = [
            {"Type": "TRIGGER", "Name": name, "UniqueId": f"trigger-{name}"}
            for name in [self.deployed.names.start_trigger]
            + [self.deployed.names.trigger(s.name) for s in pipeline.STEPS if s.upstream]
        ]
        for step in run.steps:
            node: dict[str, Any] = {"Name": step.glue_name, "UniqueId": f"node-{step.glue_name}"}
            if isinstance(step.step, pipeline.JobStep):
                node["Type"] = "JOB"
                node["JobDetails"] = {"JobRuns": [self._job_run(run, step)]} if step.job_run is not None else {}
            else:
                node["Type"] = "CRAWLER"
                node["CrawlerDetails"] = {"Crawls": [self._crawl(step)]} if step.crawl is not None else {}
            nodes.append(node)
        states = [s.state for s in run.steps]
        statistics = {
            "TotalActions": len(states),
            "SucceededActions": states.count("SUCCEEDED"),
            "FailedActions": states.count("FAILED"),
            "RunningActions": sum(1 for s in states if s in ("STARTING", "RUNNING")),
            "WaitingActions": states.count(None) if run.workflow_run.status == "RUNNING" else 0,
            "TimeoutActions": 0,
            "StoppedActions": 0,
            "ErroredActions": 0,
        }
        return {"Graph": {"Nodes": nodes, "Edges": []}, "Statistics": statistics}

    def _job_run(self, run: RunState, step: StepState) -> dict[str, Any]:
        settings = self.deployed.cfg.jobs[step.step.name]
        data = dict(step.job_run.as_dict())
        seconds = run.plan.durations[step.step.name] if step.done else 0
        data.update(
            JobRunState=step.state,
            StartedOn=step.started_on,
            ExecutionTime=seconds,
            WorkerType=settings.worker_type,
            NumberOfWorkers=settings.number_of_workers,
            MaxCapacity=float(settings.dpus),
            ExecutionClass=settings.execution_class,
            GlueVersion="5.1",
            LogGroupName=self.deployed.names.log_group_prefix,
            TriggerName=self.deployed.names.trigger(step.step.name)
            if step.step.upstream
            else self.deployed.names.start_trigger,
        )
        data.pop("CompletedOn", None)
        if step.done:
            data["CompletedOn"] = step.completed_on
            if settings.execution_class == "FLEX":
                data["DPUSeconds"] = float(seconds * settings.dpus)
        if step.state == "FAILED":
            error = run.plan.error or VALIDATE_ERROR.format(docs=self.deployed.docs_bucket)
            data["ErrorMessage"] = error
        return data

    def _crawl(self, step: StepState) -> dict[str, Any]:
        crawl: dict[str, Any] = {
            "State": step.state,
            "StartedOn": step.started_on,
            "LogGroup": "/aws-glue/crawlers",
            "LogStream": step.glue_name,
        }
        if step.done:
            crawl["CompletedOn"] = step.completed_on
        return crawl


def reset(endpoint: str) -> None:
    """Empty every moto backend (between tests)."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def all_keys(bucket: str, prefix: str = "") -> Iterator[str]:
    s3 = boto3.client("s3", region_name=REGION)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield obj["Key"]

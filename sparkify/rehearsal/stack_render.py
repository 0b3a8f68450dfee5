"""The stack as `pulumi up` would create it, read from Pulumi's mocks: `python -m infra.render_document --stack S`
(the Pulumi program's own render, run in a process of its own: this package never imports Pulumi) gives
every resource with its inputs; the facts a rehearsal needs are taken from it exactly as rendered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparkify import pipeline

RENDER_SCHEMA = "sparkify.render/1"


class RenderError(Exception):
    """The stack could not be rendered; the message says why in one line."""


@dataclass(frozen=True)
class Job:
    name: str
    step: str
    script_uri: str
    glue_version: str
    default_arguments: dict[str, str]
    worker_type: str
    number_of_workers: int
    execution_class: str
    max_retries: int
    timeout_minutes: int


@dataclass(frozen=True)
class Trigger:
    name: str
    type: str  # SCHEDULED, ON_DEMAND, CONDITIONAL
    schedule: str | None
    enabled: bool
    actions: tuple[str, ...]  # job names
    waits_for: tuple[str, ...]  # job names that must have SUCCEEDED (CONDITIONAL)


@dataclass(frozen=True)
class Uploaded:
    bucket: str
    key: str
    source: Path


@dataclass(frozen=True)
class Database:
    name: str
    location_uri: str


@dataclass(frozen=True)
class EventRule:
    name: str
    pattern: dict[str, Any]
    targets: tuple[str, ...]  # target ARNs


@dataclass(frozen=True)
class StackRender:
    stack: str
    region: str
    account: str
    buckets: dict[str, str]  # purpose → name
    workflow: str
    jobs: dict[str, Job]  # job name → job
    triggers: tuple[Trigger, ...]
    databases: tuple[Database, ...]
    catalog_tables: tuple[dict[str, Any], ...]  # (database, TableInput) as pulumi up creates them
    uploads: tuple[Uploaded, ...]
    glue_role_policy: dict[str, Any]
    alert_rules: tuple[EventRule, ...]
    alert_topic: str
    router_environment: dict[str, str]
    exports: dict[str, Any]

    def job_of_step(self, step: str) -> Job:
        return next(job for job in self.jobs.values() if job.step == step)


def run_render(stack: str, repo_root: Path = pipeline.REPO_ROOT) -> dict[str, Any]:
    """The render document of `stack`; raises RenderError with the program's own last line."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo_root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "infra.render_document", "--stack", stack],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()] or ["(no output)"]
        raise RenderError(f"rendering stack {stack} under Pulumi's mocks failed: {lines[-1]}")
    document: dict[str, Any] = json.loads(done.stdout)
    if document.get("schema_version") != RENDER_SCHEMA:
        raise RenderError(f"infra.render_document printed {document.get('schema_version')!r}, not {RENDER_SCHEMA}")
    return document


def _of_type(document: dict[str, Any], typ: str) -> list[dict[str, Any]]:
    return [r["inputs"] for r in document["resources"] if r["type"] == typ]


def _named(document: dict[str, Any], typ: str, name: str) -> dict[str, Any]:
    found = [r["inputs"] for r in document["resources"] if r["type"] == typ and r["name"] == name]
    if len(found) != 1:
        raise RenderError(f"the render of stack {document['stack']} holds {len(found)} {typ} named {name!r}")
    inputs: dict[str, Any] = found[0]
    return inputs


def _job(inputs: dict[str, Any], steps: dict[str, str]) -> Job:
    return Job(
        name=inputs["name"],
        step=steps[inputs["name"]],
        script_uri=inputs["command"]["scriptLocation"],
        glue_version=inputs["glueVersion"],
        default_arguments=dict(inputs["defaultArguments"]),
        worker_type=inputs["workerType"],
        number_of_workers=int(inputs["numberOfWorkers"]),
        execution_class=inputs.get("executionClass") or "STANDARD",
        max_retries=int(inputs.get("maxRetries") or 0),
        timeout_minutes=int(inputs.get("timeout") or 2880),
    )


def _trigger(inputs: dict[str, Any]) -> Trigger:
    conditions = (inputs.get("predicate") or {}).get("conditions", [])
    return Trigger(
        name=inputs["name"],
        type=inputs["type"],
        schedule=inputs.get("schedule"),
        enabled=bool(inputs.get("enabled", True)),
        actions=tuple(a["jobName"] for a in inputs["actions"]),
        waits_for=tuple(c["jobName"] for c in conditions if c.get("state") == "SUCCEEDED"),
    )


def read(document: dict[str, Any]) -> StackRender:
    """The facts of a render document."""
    exports = document["exports"]
    steps = {name: step for step, name in exports["job_names"].items()}
    provider = next(r["inputs"] for r in document["resources"] if r["type"] == "pulumi:providers:aws")
    uploads = tuple(
        Uploaded(i["bucket"], i["key"], Path(i["source"]["file_asset"]))
        for i in _of_type(document, "aws:s3/bucketObjectv2:BucketObjectv2")
        if isinstance(i.get("source"), dict) and "file_asset" in i["source"]
    )
    router = _of_type(document, "aws:lambda/function:Function")
    targets = _of_type(document, "aws:cloudwatch/eventTarget:EventTarget")
    rules = tuple(
        EventRule(
            r["name"],
            json.loads(r["eventPattern"]),
            tuple(t["arn"] for t in targets if t["rule"] == r["name"]),
        )
        for r in _of_type(document, "aws:cloudwatch/eventRule:EventRule")
    )
    return StackRender(
        stack=document["stack"],
        region=provider.get("region", "us-east-1"),
        account=document["account"],
        buckets=dict(exports["buckets"]),
        workflow=exports["workflow_name"],
        jobs={j["name"]: _job(j, steps) for j in _of_type(document, "aws:glue/job:Job")},
        triggers=tuple(_trigger(t) for t in _of_type(document, "aws:glue/trigger:Trigger")),
        databases=tuple(
            Database(d["name"], d.get("locationUri", ""))
            for d in _of_type(document, "aws:glue/catalogDatabase:CatalogDatabase")
        ),
        catalog_tables=tuple(_of_type(document, "aws:glue/catalogTable:CatalogTable")),
        uploads=uploads,
        glue_role_policy=json.loads(_named(document, "aws:iam/rolePolicy:RolePolicy", "glue-role-policy")["policy"]),
        alert_rules=rules,
        alert_topic=exports["alerts_topic_arn"],
        router_environment=dict(router[0]["environment"]["variables"]) if router else {},
        exports=exports,
    )


def render_stack(stack: str, repo_root: Path = pipeline.REPO_ROOT) -> StackRender:
    return read(run_render(stack, repo_root))

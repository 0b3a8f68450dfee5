"""`sparkify rehearse`: render the stack, create it in an emulated AWS, upload a generated sample with
`sparkify upload`'s own code, walk the workflow with every job run as Glue runs it under the job role's
policy, and read back what the runs left. With `bad_song`, a second workflow run delivers a song the
`songs` suite rejects: that run must fail in validate, publish nothing, and raise one alert.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]

from sparkify.ops.aws import Aws
from sparkify.ops.stack import StackNames
from sparkify.ops.upload import plan_upload, upload
from sparkify.rehearsal import alerts, emulator, findings, provision
from sparkify.rehearsal.job_run import RunResult, check_setup, run_document, run_job
from sparkify.rehearsal.stack_render import StackRender, render_stack
from sparkify.rehearsal.workflow import Fired, walk
from sparkify.synthetic.generate import generate

SCHEMA = "sparkify.rehearsal/1"
# Well-formed and of the right types, so staging keeps it; the songs suite rejects a negative duration.
BAD_SONG_KEY = "song_data/Z/Z/Z/TRZZZREHEARSAL001.json"
BAD_SONG = (
    '{"num_songs": 1, "artist_id": "ARZZZREHEARSAL0001", "artist_latitude": null, "artist_longitude": null, '
    '"artist_location": "", "artist_name": "Rehearsal", "song_id": "SOZZZREHEARSAL0001", "title": "Bad Song", '
    '"duration": -5.0, "year": 2019}'
)


@dataclass
class WorkflowRun:
    label: str
    run_id: str
    fired: list[Fired] = field(default_factory=list)
    runs: list[RunResult] = field(default_factory=list)
    written: list[dict[str, Any]] = field(default_factory=list)
    published_before: dict[str, int] = field(default_factory=dict)  # curated table → main snapshot
    published_after: dict[str, int] = field(default_factory=dict)
    routed: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "SUCCEEDED" if self.runs and all(r.status == "SUCCEEDED" for r in self.runs) else "FAILED"

    def document(self, stack: StackRender) -> dict[str, Any]:
        ran = {r.job for r in self.runs}
        return {
            "label": self.label,
            "workflow_run_id": self.run_id,
            "status": self.status,
            "triggers": [{"name": f.trigger, "type": f.type, "how": f.how} for f in self.fired],
            "jobs": [run_document(r) for r in self.runs]
            + [{"job": j.name, "step": j.step, "status": "NOT RUN"} for j in stack.jobs.values() if j.name not in ran],
            "written": self.written,
            "published_before": self.published_before,
            "published_after": self.published_after,
            "router": self.routed,
            "alerts": self.alerts,
        }


@dataclass
class Rehearsal:
    stack: StackRender
    workdir: Path
    runs: list[WorkflowRun] = field(default_factory=list)
    tables: list[findings.Table] = field(default_factory=list)
    data_docs: dict[str, Any] = field(default_factory=dict)
    denials: list[str] = field(default_factory=list)
    dropped_statements: tuple[str, ...] = ()

    @property
    def as_expected(self) -> bool:
        """The good run succeeded; a bad-song run failed in validate, published nothing, alerted once."""
        if not self.runs or self.runs[0].status != "SUCCEEDED":
            return False
        for bad in self.runs[1:]:
            failed = [r for r in bad.runs if r.status != "SUCCEEDED"]
            if [r.step for r in failed] != ["validate"] or bad.published_after != bad.published_before:
                return False
            if len(bad.alerts) != 1:
                return False
        return True

    def document(self) -> dict[str, Any]:
        every = [r for run in self.runs for r in run.runs]
        return {
            "schema_version": SCHEMA,
            "stack": self.stack.stack,
            "as_expected": self.as_expected,
            "workdir": str(self.workdir),
            "dropped_statements": list(self.dropped_statements),
            "workflow_runs": [run.document(self.stack) for run in self.runs],
            "tables": [t.document() for t in self.tables],
            "data_docs": self.data_docs,
            "denied": self.denials,
            "cost": findings.cost(self.stack, every),
        }


@contextmanager
def _aimed_at(aws: emulator.Emulator) -> Iterator[None]:
    """The ops code's own boto3 sessions, aimed at the emulator (as AWS_ENDPOINT_URL does for the AWS CLI)."""
    variables = {
        "AWS_ENDPOINT_URL": aws.endpoint,
        "AWS_ACCESS_KEY_ID": aws.admin.access_key,
        "AWS_SECRET_ACCESS_KEY": aws.admin.secret_key,
        "AWS_REGION": aws.region,
    }
    with emulator.environment(variables, remove=("AWS_PROFILE", "AWS_SESSION_TOKEN")):
        yield


def stack_names(stack: StackRender) -> StackNames:
    """The names `sparkify upload` resolves for a deployed stack, from the render's exports."""
    exports = stack.exports
    return StackNames(
        stack=stack.stack,
        region=stack.region,
        account=stack.account,
        workflow=exports["workflow_name"],
        jobs=dict(exports["job_names"]),
        crawlers=dict(exports["crawler_names"]),
        buckets=dict(exports["buckets"]),
        database=exports["database_name"],
        staging_database=exports["staging_database_name"],
        workgroup=exports["athena_workgroup"],
        source="the stack's render",
    )


def upload_raw(stack: StackRender, raw: Path) -> int:
    ops = Aws(boto3.Session(region_name=stack.region))
    names = stack_names(stack)
    return upload(ops, plan_upload(ops, names, raw))


def published(found: list[findings.Table], database: str) -> dict[str, int]:
    return {t.name: t.branches["main"] for t in found if t.database == database and "main" in t.branches}


def drop(policy: dict[str, Any], statements: tuple[str, ...]) -> dict[str, Any]:
    kept = [s for s in policy["Statement"] if s.get("Sid") not in statements]
    unknown = sorted(set(statements) - {s.get("Sid") for s in policy["Statement"]})
    if unknown:
        sids = ", ".join(str(s.get("Sid")) for s in policy["Statement"])
        raise ValueError(f"the Glue role policy has no statement {', '.join(unknown)} (it has: {sids})")
    return {**policy, "Statement": kept}


def _workflow_run(
    aws: emulator.Emulator, stack: StackRender, job_credentials: emulator.Credentials, label: str, workdir: Path
) -> WorkflowRun:
    glue = aws.client("glue")
    before = findings.snapshot_keys(aws, stack)
    curated_db = stack.exports["database_name"]
    run = WorkflowRun(label, glue.start_workflow_run(Name=stack.workflow)["RunId"])
    run.published_before = published(findings.tables(aws, stack), curated_db)
    arguments = {"--WORKFLOW_NAME": stack.workflow, "--WORKFLOW_RUN_ID": run.run_id}

    def run_one(job_name: str) -> str:
        job = stack.jobs[job_name]
        job_run_id = glue.start_job_run(JobName=job.name, Arguments=arguments)["JobRunId"]
        denied_before = len(aws.denials.denials)
        result = run_job(aws, job, job_run_id, arguments, job_credentials, workdir / label / job.step)
        refused = [d.line() for d in aws.denials.denials[denied_before:]]
        if result.status != "SUCCEEDED" and refused:
            # The SDKs report a refusal as a bare 403; the emulator knows the action the policy lacks.
            result = replace(result, error=f"{result.error}; refused by the role policy: {', '.join(refused)}")
        run.runs.append(result)
        event = alerts.job_state_event(job.name, job_run_id, result.status, result.error or "")
        run.routed.extend(alerts.route(aws, event, stack.router_environment))
        return result.status

    run.fired = walk(stack, run_one)
    run.written = findings.written(before, findings.snapshot_keys(aws, stack))
    run.published_after = published(findings.tables(aws, stack), curated_db)
    run.alerts = alerts.received_alerts(aws)
    return run


def rehearse(
    stack_name: str,
    workdir: Path | None = None,
    *,
    bad_song: bool = False,
    drop_statements: tuple[str, ...] = (),
) -> Rehearsal:
    """One rehearsal of `stack_name`; `drop_statements`: Sids of the Glue role policy to leave out."""
    check_setup()
    stack = render_stack(stack_name)
    workdir = Path(workdir or tempfile.mkdtemp(prefix=f"sparkify-rehearse-{stack_name}-"))
    shutil.rmtree(workdir / "raw", ignore_errors=True)
    generate(workdir / "raw", songs=20, events=300, seed=7, days=3)  # a small sample: seconds per step
    policy = drop(stack.glue_role_policy, drop_statements)
    rehearsal = Rehearsal(stack, workdir, dropped_statements=drop_statements)
    with emulator.running(stack.region) as aws, _aimed_at(aws):
        provision.create_stack(aws, stack)
        upload_raw(stack, workdir / "raw")
        job_credentials = aws.user_with_policy(emulator.JOB_USER, emulator.enforceable(policy))
        aws.enforce_policies()
        rehearsal.runs.append(_workflow_run(aws, stack, job_credentials, "good", workdir))
        if bad_song and rehearsal.runs[0].status == "SUCCEEDED":
            (workdir / "raw" / BAD_SONG_KEY).parent.mkdir(parents=True, exist_ok=True)
            (workdir / "raw" / BAD_SONG_KEY).write_text(BAD_SONG)
            upload_raw(stack, workdir / "raw")
            rehearsal.runs.append(_workflow_run(aws, stack, job_credentials, "bad-song", workdir))
        after = findings.snapshot_keys(aws, stack)
        rehearsal.tables = findings.tables(aws, stack)
        rehearsal.data_docs = findings.data_docs(after, stack)
        rehearsal.denials = [d.line() for d in aws.denials.denials]
    (workdir / "rehearsal.json").write_text(json.dumps(rehearsal.document(), indent=2, default=str))
    return rehearsal

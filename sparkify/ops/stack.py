"""A deployed stack's physical names (workflow, jobs, crawlers, buckets, database, workgroup), resolved
without needing the Pulumi CLI.

In order: the stack's outputs (`pulumi stack output --json`) when a `pulumi` binary is on PATH and
answers; otherwise the names `sparkify/layout.py` gives every stack, with the account from STS and the
region from the stack file (`aws:region`, where Pulumi deployed it) or else the boto3 session. Explicit
flags (`--workflow`, `--docs-bucket`, ...) override either. A stack with neither a `Pulumi.<stack>.yaml`
here nor a workflow in AWS is unknown, and says so.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkify import pipeline
from sparkify.layout import BUCKET_PURPOSES, LOCATION_BUCKETS, Names
from sparkify.ops.aws import Aws, OpsError, translated
from sparkify.pipeline import Location

PULUMI_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Overrides:
    """Names given explicitly on the command line; each wins over the stack's."""

    region: str | None = None
    workflow: str | None = None
    raw_bucket: str | None = None
    curated_bucket: str | None = None
    docs_bucket: str | None = None
    database: str | None = None
    workgroup: str | None = None

    def any(self) -> bool:
        return any(v is not None for k, v in vars(self).items() if k != "region")


@dataclass(frozen=True)
class StackNames:
    stack: str
    region: str
    account: str
    workflow: str
    jobs: Mapping[str, str]  # pipeline step → Glue job name
    crawlers: Mapping[str, str]  # pipeline step → Glue crawler name
    buckets: Mapping[str, str]  # purpose (raw, curated, artifacts, temp, docs) → bucket name
    database: str
    workgroup: str
    staging_database: str = ""
    # The jobs' log groups by kind (`output`, `error`): `sparkify.layout.Names.job_log_groups`.
    job_log_groups: Mapping[str, str] = field(default_factory=dict)
    docs_url: str | None = None  # the CloudFront URL of latest/index.html, when the stack has one
    docs_cloudfront: bool = False
    source: str = "derived from sparkify/layout.py"
    has_stack_file: bool = False

    def glue_name(self, step: pipeline.Step) -> str:
        return (self.jobs if isinstance(step, pipeline.JobStep) else self.crawlers)[step.name]

    def location(self, location: Location) -> tuple[str, str]:
        """(bucket, key prefix without a trailing slash) of a pipeline location in this stack."""

        purpose, prefix = LOCATION_BUCKETS[location]
        return self.buckets[purpose], prefix.strip("/")

    def describe(self) -> str:
        return f"stack {self.stack} in account {self.account}, {self.region}"


def stack_file(stack: str, repo_root: Path = pipeline.REPO_ROOT) -> Path:
    return repo_root / f"Pulumi.{stack}.yaml"


def known_stacks(repo_root: Path = pipeline.REPO_ROOT) -> list[str]:
    return sorted(p.name.split(".")[1] for p in repo_root.glob("Pulumi.*.yaml"))


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a stack file ({} when it has none)."""
    import yaml

    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise OpsError(f"{path} is not valid YAML ({exc.__class__.__name__}): fix it or pass --region") from None
    config = document.get("config") or {}
    return config if isinstance(config, dict) else {}


def pulumi_outputs(stack: str, repo_root: Path = pipeline.REPO_ROOT) -> dict[str, Any] | None:
    """`pulumi stack output --json`, or None when there is no CLI or it cannot answer (not logged in, ...)."""
    binary = shutil.which("pulumi")
    if binary is None:
        return None
    try:
        done = subprocess.run(
            [binary, "stack", "output", "--json", "--stack", stack],
            cwd=repo_root,
            stdin=subprocess.DEVNULL,  # never wait on a passphrase prompt
            capture_output=True,
            text=True,
            timeout=PULUMI_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        outputs = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        return None
    return outputs if isinstance(outputs, dict) and outputs.get("workflow_name") else None


def derived_names(stack: str, region: str, account: str) -> dict[str, Any]:
    """The names `sparkify.layout.Names` gives a stack's resources (the same shape as the stack outputs)."""
    names = Names.of_stack(stack)
    # The raw crawler runs on demand; Iceberg tables need none (a workflow step could still be one).
    crawler_steps = [s for s in pipeline.STEPS if isinstance(s, pipeline.CrawlerStep)] + [pipeline.RAW_CRAWLER]
    return {
        "workflow_name": names.workflow,
        "job_names": {s.name: names.job(s.name) for s in pipeline.job_steps()},
        "crawler_names": {s.name: names.crawler(s.name) for s in crawler_steps},
        "buckets": {purpose: names.bucket(purpose, account, region) for purpose in BUCKET_PURPOSES},
        "database_name": names.database,
        "staging_database_name": names.staging_database,
        "job_log_groups": list(names.job_log_groups.values()),
        "athena_workgroup": names.athena_workgroup,
    }


def resolve(
    aws: Aws,
    stack: str,
    overrides: Overrides = Overrides(),
    *,
    require_workflow: bool = False,
    repo_root: Path = pipeline.REPO_ROOT,
) -> tuple[StackNames, Aws]:
    """The stack's names, and an `Aws` in the stack's region. Raises `OpsError` for an unknown stack,
    missing credentials, or (with `require_workflow`) a workflow that does not exist."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", stack):
        raise OpsError(f"{stack!r} is not a stack name; stacks here: {', '.join(known_stacks(repo_root)) or 'none'}")
    path = stack_file(stack, repo_root)
    config = read_stack_file(path) if path.is_file() else {}
    region = overrides.region or _text(config.get("aws:region")) or aws.region
    if not region:
        raise OpsError(
            f"no AWS region for stack {stack}: pass --region, set AWS_REGION, or set aws:region in {path.name}"
        )
    aws = aws.with_region(region)
    with translated(f"looking up the AWS account of stack {stack}"):
        account = str(aws.client("sts").get_caller_identity()["Account"])

    # The stack's outputs win; the naming scheme fills in whatever an older deployment does not export.
    derived = derived_names(stack, region, account)
    exported = pulumi_outputs(stack, repo_root) or {}
    source = "pulumi stack output" if exported else "derived from sparkify/layout.py"
    outputs: dict[str, Any] = {**derived, **exported}
    for key in ("job_names", "crawler_names", "buckets"):
        outputs[key] = {**derived[key], **(exported.get(key) or {})}
    buckets = dict(outputs["buckets"])
    for purpose, override in (
        ("raw", overrides.raw_bucket),
        ("curated", overrides.curated_bucket),
        ("docs", overrides.docs_bucket),
    ):
        if override:
            buckets[purpose] = override
    names = StackNames(
        stack=stack,
        region=region,
        account=account,
        workflow=overrides.workflow or str(outputs["workflow_name"]),
        jobs=dict(outputs["job_names"]),
        crawlers=dict(outputs["crawler_names"]),
        buckets=buckets,
        database=overrides.database or str(outputs["database_name"]),
        staging_database=str(outputs["staging_database_name"]),
        job_log_groups=_by_kind(outputs["job_log_groups"]),
        workgroup=overrides.workgroup or str(outputs["athena_workgroup"]),
        docs_url=outputs.get("docs_url"),
        docs_cloudfront=_text(config.get("sparkify:docsCloudFront")) == "true" or bool(outputs.get("docs_url")),
        source=source,
        has_stack_file=path.is_file(),
    )
    # A stack this repository does not know of is only real if its workflow is there in AWS.
    known = names.has_stack_file or source == "pulumi stack output" or overrides.any()
    if require_workflow or not known:
        _check_workflow(aws, names, stack_known=known, repo_root=repo_root)
    return names, aws


def _check_workflow(aws: Aws, names: StackNames, *, stack_known: bool, repo_root: Path) -> None:
    glue = aws.client("glue")
    if stack_known:
        missing = (
            f"Glue workflow {names.workflow} does not exist in account {names.account} ({names.region}): "
            f"deploy the stack first (`pulumi up --stack {names.stack}`, see docs/deploy.md) or pass --workflow NAME"
        )
    else:
        stacks = ", ".join(known_stacks(repo_root)) or "none"
        missing = (
            f"unknown stack {names.stack!r}: no {stack_file(names.stack, repo_root).name} in {repo_root} and no "
            f"Glue workflow {names.workflow} in account {names.account} ({names.region}); stacks here: {stacks}"
        )
    with translated(f"looking up workflow {names.workflow}", not_found=missing):
        glue.get_workflow(Name=names.workflow, IncludeGraph=False)


def _by_kind(groups: Any) -> dict[str, str]:
    """The exported list of the jobs' log groups, by the kind each name ends with (`.../error`)."""
    return {str(g).rsplit("/", 1)[-1]: str(g) for g in groups}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

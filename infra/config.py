"""A stack's configuration, read once from `Pulumi.<stack>.yaml` into a frozen, validated object.

Every problem is reported before any resource is created, in one `ConfigError` whose lines each name the
key at fault (`sparkify:workerType: ...`), so `pulumi up` fails fast with a message a person can act on.
Tests build `StackConfig` directly through `from_mapping`, with the same validation.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from sparkify import pipeline
from sparkify.glue_pricing import WORKER_DPU
from sparkify.layout import stack_prefix

NAMESPACE = "sparkify"

# Flex runs only on these worker types (Glue 3.0+): https://docs.aws.amazon.com/glue/latest/dg/add-job.html
FLEX_WORKER_TYPES = ("G.1X", "G.2X")
EXECUTION_CLASSES = ("STANDARD", "FLEX")
ExecutionClass = Literal["STANDARD", "FLEX"]

# Glue versions this program knows the runtime of (infra/wheels.py); 5.1 is the one the project locks for.
GLUE_VERSIONS = ("5.1", "6.0")

# CloudWatch Logs accepts only these retention periods (days).
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

# Glue job timeouts are whole minutes, at most 7 days for batch jobs.
MAX_TIMEOUT_MINUTES = 10080
MAX_RETRIES = 10

# Jobs whose failure is a verdict, not a fault: the validate step (it runs the suites and publishes).
NO_RETRY_STEPS: tuple[str, ...] = tuple(
    s.name for s in pipeline.job_steps() if pipeline.Location.EXPECTATIONS in s.locations
)

REQUIRED_KEYS = ("aws:region", "sparkify:schedule", "sparkify:workerType", "sparkify:numberOfWorkers")


class ConfigError(ValueError):
    """Bad stack config: one line per problem, each naming the key."""

    def __init__(self, problems: list[str]):
        super().__init__("invalid stack configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class JobSettings:
    """How one Glue job runs: its workers, limits and execution class."""

    worker_type: str
    number_of_workers: int
    timeout_minutes: int
    max_retries: int
    execution_class: ExecutionClass

    @property
    def dpus(self) -> float:
        return WORKER_DPU[self.worker_type] * self.number_of_workers


@dataclass(frozen=True)
class StackConfig:
    """Everything that differs between two stacks of this project; the code never does."""

    stack: str
    region: str
    # Glue cron expression of the workflow's start trigger; `schedule_enabled=False` makes the start on demand.
    schedule: str
    schedule_enabled: bool
    # One entry per job step of `sparkify.pipeline`, keyed by step name.
    jobs: Mapping[str, JobSettings] = field(hash=False)
    kms_key_arn: str | None = None
    alert_email: str | None = None
    docs_cloudfront: bool = False
    docs_allowed_cidrs: tuple[str, ...] = ()
    temp_expiration_days: int = 7
    noncurrent_version_days: int = 90
    force_destroy: bool = False
    # Run reports, quarantined records and Data Docs of past runs expire after this many days.
    history_expiration_days: int = 90
    log_retention_days: int = 30
    # Published Iceberg snapshots older than this are expired by table upkeep after each publish.
    snapshot_retention_days: int = 7
    # `pulumi destroy` refuses to delete the raw bucket, the stack key and the catalog databases.
    protect_data: bool = False
    owner: str = "data-platform"
    cost_centre: str | None = None
    # The Glue version of every job; "6.0" is accepted so that `pulumi preview` says what still blocks it.
    glue_version: str = "5.1"

    @property
    def tags(self) -> dict[str, str]:
        """Tags on every taggable resource of the stack (the provider's default tags)."""
        tags = {"project": "sparkify", "stack": self.stack, "owner": self.owner}
        if self.cost_centre:
            tags["cost-centre"] = self.cost_centre
        return tags

    @property
    def prefix(self) -> str:
        """Prefix of every named resource of the stack: `sparkify-<stack>`."""
        return stack_prefix(self.stack)


# ---------------------------------------------------------------------------------------------------------
# Glue cron expressions: cron(Minutes Hours Day-of-month Month Day-of-week Year)
# https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html

_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split(), start=1)}
_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
)


def _cron_value(text: str, low: int, high: int, names: dict[str, int]) -> int:
    value = names.get(text.upper()) if text.upper() in names else int(text) if text.isdigit() else None
    if value is None or not low <= value <= high:
        raise ValueError(f"{text!r} is not in {low}-{high}")
    return value


def _check_cron_field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> None:
    for part in text.split(","):
        if part == "*":
            continue
        if name == "day-of-month" and part in ("L", "LW"):
            continue
        if name == "day-of-month" and re.fullmatch(r"\d{1,2}W", part):
            _cron_value(part.rstrip("W"), low, high, names)
            continue
        if name == "day-of-week" and (re.fullmatch(r"\w{1,3}L", part) or re.fullmatch(r"\w{1,3}#[1-5]", part)):
            _cron_value(re.split(r"[L#]", part)[0], low, high, names)
            continue
        base, _, step = part.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            raise ValueError(f"step {step!r} is not a positive number")
        if base == "*" and step:
            continue
        first, _, last = base.partition("-")
        start = _cron_value(first, low, high, names)
        if last and _cron_value(last, low, high, names) < start and name not in ("day-of-week", "month"):
            raise ValueError(f"range {base!r} runs backwards")


def validate_cron(expression: str) -> None:
    """Raise ValueError saying what is wrong when `expression` is not a Glue cron expression."""
    match = re.fullmatch(r"cron\((.*)\)", expression.strip())
    if not match:
        raise ValueError("must look like cron(Minutes Hours Day-of-month Month Day-of-week Year)")
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ValueError(f"has {len(fields)} fields inside cron(...), Glue needs 6")
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError("exactly one of day-of-month and day-of-week must be '?'")
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        if text == "?":
            if name not in ("day-of-month", "day-of-week"):
                raise ValueError(f"'?' is only allowed in day-of-month or day-of-week, not {name}")
            continue
        try:
            _check_cron_field(text, name, low, high, names)
        except ValueError as exc:
            raise ValueError(f"{name} field {text!r}: {exc}") from None


# ---------------------------------------------------------------------------------------------------------
# Reading values: everything arrives as text (that is how the Pulumi CLI hands config to a program).


class _Reader:
    def __init__(self, values: Mapping[str, str]):
        self.values = values
        self.problems: list[str] = []

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.values.get(key)
        if value is None or value == "":
            if default is None and key in REQUIRED_KEYS:
                self.problems.append(f"{key}: required but not set (pulumi config set {key} ...)")
            return default
        return value

    def integer(self, key: str, default: int | None, low: int, high: int) -> int | None:
        raw = self.text(key, None if default is None else str(default))
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{key}: {raw!r} is not a whole number")
            return None
        if not low <= value <= high:
            self.problems.append(f"{key}: {value} is outside {low}..{high}")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        raw = self.text(key, "true" if default else "false")
        if raw is not None and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        self.problems.append(f"{key}: {raw!r} is not true or false")
        return default

    def json(self, key: str) -> Any:
        raw = self.text(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            self.problems.append(f"{key}: not valid JSON/YAML structure ({exc.msg})")
            return None


# Stack-wide config key of each job setting; `sparkify:jobs.<step>.<setting>` overrides it for one job.
JOB_SETTING_KEYS: dict[str, str] = {
    "workerType": f"{NAMESPACE}:workerType",
    "numberOfWorkers": f"{NAMESPACE}:numberOfWorkers",
    "timeoutMinutes": f"{NAMESPACE}:jobTimeoutMinutes",
    "maxRetries": f"{NAMESPACE}:jobMaxRetries",
    "executionClass": f"{NAMESPACE}:executionClass",
}


def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _job_settings(values: Mapping[str, Any], keys: Mapping[str, str]) -> tuple[JobSettings | None, list[str]]:
    """Validate one job's settings; `keys` names the config key each value came from, for the messages."""
    worker_type = values["workerType"]
    workers = values["numberOfWorkers"]
    timeout = values["timeoutMinutes"]
    retries = values["maxRetries"]
    execution_class = values["executionClass"]
    problems: list[str] = []
    if worker_type is not None and worker_type not in WORKER_DPU:
        problems.append(
            f"{keys['workerType']}: {worker_type!r} is not a Glue 5.1 Spark worker type; "
            f"use one of {', '.join(WORKER_DPU)}"
        )
    if workers is not None and not _is_int(workers, 2, 1000):
        problems.append(f"{keys['numberOfWorkers']}: {workers!r} must be a whole number from 2 to 1000")
    if not _is_int(timeout, 1, MAX_TIMEOUT_MINUTES):
        problems.append(f"{keys['timeoutMinutes']}: {timeout!r} must be whole minutes from 1 to {MAX_TIMEOUT_MINUTES}")
    if not _is_int(retries, 0, MAX_RETRIES):
        problems.append(f"{keys['maxRetries']}: {retries!r} must be a whole number from 0 to {MAX_RETRIES}")
    if execution_class not in EXECUTION_CLASSES:
        problems.append(f"{keys['executionClass']}: {execution_class!r} must be STANDARD or FLEX")
    elif execution_class == "FLEX" and worker_type in WORKER_DPU and worker_type not in FLEX_WORKER_TYPES:
        problems.append(
            f"{keys['executionClass']}: FLEX runs only on {' or '.join(FLEX_WORKER_TYPES)} workers, "
            f"not {worker_type} ({keys['workerType']})"
        )
    if problems or worker_type is None or workers is None:
        return None, problems
    settings = JobSettings(
        worker_type=cast(str, worker_type),
        number_of_workers=cast(int, workers),
        timeout_minutes=cast(int, timeout),
        max_retries=cast(int, retries),
        execution_class=cast(ExecutionClass, execution_class),
    )
    return settings, []


def _coerce_int(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else value


def from_mapping(values: Mapping[str, str], stack: str) -> StackConfig:
    """Validate flat `namespace:key` → text config (as `pulumi config` holds it) into a StackConfig."""
    reader = _Reader(values)
    ns = f"{NAMESPACE}:"
    problems = reader.problems

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,15}", stack):
        problems.append(
            f"stack name {stack!r}: use 1-16 lowercase letters, digits or hyphens (it is part of bucket names)"
        )

    region = reader.text("aws:region")
    if region is not None and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        problems.append(f"aws:region: {region!r} is not an AWS region name such as us-east-1")

    schedule = reader.text(ns + "schedule")
    if schedule is not None:
        try:
            validate_cron(schedule)
        except ValueError as exc:
            problems.append(f"{ns}schedule: {schedule!r} {exc}")
    schedule_enabled = reader.boolean(ns + "scheduleEnabled", True)

    defaults: dict[str, Any] = {
        "workerType": reader.text(ns + "workerType"),
        "numberOfWorkers": _coerce_int(reader.text(ns + "numberOfWorkers")),
        "timeoutMinutes": _coerce_int(reader.text(ns + "jobTimeoutMinutes", "60")),
        "maxRetries": _coerce_int(reader.text(ns + "jobMaxRetries", "0")),
        "executionClass": reader.text(ns + "executionClass", "STANDARD"),
    }
    overrides = reader.json(ns + "jobs") or {}
    job_names = [s.name for s in pipeline.job_steps()]
    if not isinstance(overrides, dict):
        problems.append(f"{ns}jobs: must map job step names to settings, got {type(overrides).__name__}")
        overrides = {}
    for name in overrides:
        if name not in job_names:
            problems.append(f"{ns}jobs.{name}: no job step named {name!r}; job steps are {', '.join(job_names)}")
    jobs: dict[str, JobSettings] = {}
    job_problems: dict[str, None] = {}  # ordered set: a bad stack-wide value is reported once, not per job
    for name in job_names:
        override = overrides.get(name) or {}
        if not isinstance(override, dict):
            problems.append(f"{ns}jobs.{name}: must be a mapping of job settings")
            continue
        for key in sorted(set(override) - set(defaults)):
            problems.append(f"{ns}jobs.{name}.{key}: unknown setting; settings are {', '.join(defaults)}")
        merged = {**defaults, **{k: v for k, v in override.items() if k in defaults}}
        keys = {k: (f"{ns}jobs.{name}.{k}" if k in override else JOB_SETTING_KEYS[k]) for k in defaults}
        settings, bad = _job_settings(merged, keys)
        job_problems.update(dict.fromkeys(bad))
        if settings is not None:
            jobs[name] = settings
    problems.extend(job_problems)
    # A failed suite is a verdict on the data, not a transient fault: a retry would only validate (and
    # publish Data Docs) again and send a second alert.
    for name in NO_RETRY_STEPS:
        if name in jobs and jobs[name].max_retries:
            key = f"{ns}jobs.{name}.maxRetries" if "maxRetries" in (overrides.get(name) or {}) else None
            if key:
                problems.append(f"{key}: the {name} job never retries (a failed suite is not transient); use 0")
            jobs[name] = replace(jobs[name], max_retries=0)

    kms_key_arn = reader.text(ns + "kmsKeyArn")
    if kms_key_arn is not None and not re.fullmatch(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}", kms_key_arn):
        problems.append(f"{ns}kmsKeyArn: {kms_key_arn!r} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")

    alert_email = reader.text(ns + "alertEmail")
    if alert_email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", alert_email):
        problems.append(f"{ns}alertEmail: {alert_email!r} is not an email address")

    docs_cloudfront = reader.boolean(ns + "docsCloudFront", False)
    cidrs_value = reader.json(ns + "docsAllowedCidrs") or []
    cidrs: list[str] = []
    if not isinstance(cidrs_value, list):
        problems.append(f"{ns}docsAllowedCidrs: must be a list of CIDR blocks")
    else:
        for cidr in cidrs_value:
            try:
                network = ipaddress.ip_network(str(cidr))
            except ValueError:
                problems.append(f"{ns}docsAllowedCidrs: {cidr!r} is not a CIDR block such as 203.0.113.0/24")
                continue
            if network.version != 4:
                problems.append(f"{ns}docsAllowedCidrs: {cidr!r}: only IPv4 blocks are supported")
            cidrs.append(str(network))
    if docs_cloudfront and not cidrs_value:
        problems.append(
            f"{ns}docsAllowedCidrs: required when {ns}docsCloudFront is true, so Data Docs (which show "
            "sample rows) are not open to the whole internet"
        )

    temp_days = reader.integer(ns + "tempExpirationDays", 7, 1, 365)
    noncurrent_days = reader.integer(ns + "noncurrentVersionDays", 90, 1, 3650)
    force_destroy = reader.boolean(ns + "forceDestroy", False)
    history_days = reader.integer(ns + "historyExpirationDays", 90, 1, 3650)
    retention = reader.integer(ns + "logRetentionDays", 30, 1, 3653)
    snapshot_days = reader.integer(ns + "snapshotRetentionDays", 7, 1, 3650)
    if retention is not None and retention not in LOG_RETENTION_DAYS:
        problems.append(
            f"{ns}logRetentionDays: {retention} is not a CloudWatch Logs retention; use one of "
            + ", ".join(map(str, LOG_RETENTION_DAYS))
        )
    glue_version = reader.text(ns + "glueVersion", "5.1") or "5.1"
    if glue_version not in GLUE_VERSIONS:
        problems.append(f"{ns}glueVersion: {glue_version!r} must be one of {', '.join(GLUE_VERSIONS)}")
    protect_data = reader.boolean(ns + "protectData", False)
    if protect_data and force_destroy:
        problems.append(f"{ns}forceDestroy: must be false when {ns}protectData is true (the data is kept)")
    owner = reader.text(ns + "owner", "data-platform") or "data-platform"
    cost_centre = reader.text(ns + "costCentre")
    for key, value in ((f"{ns}owner", owner), (f"{ns}costCentre", cost_centre)):
        # AWS tag values: up to 256 Unicode letters, digits, spaces and _ . : / = + - @
        if value is not None and not re.fullmatch(r"[\w .:/=+\-@]{1,256}", value):
            problems.append(f"{key}: {value!r} is not a valid AWS tag value")

    if problems:
        raise ConfigError(problems)
    assert region is not None and schedule is not None and temp_days is not None and noncurrent_days is not None
    return StackConfig(
        stack=stack,
        region=region,
        schedule=schedule,
        schedule_enabled=schedule_enabled,
        jobs=jobs,
        kms_key_arn=kms_key_arn,
        alert_email=alert_email,
        docs_cloudfront=docs_cloudfront,
        docs_allowed_cidrs=tuple(cidrs),
        temp_expiration_days=temp_days,
        noncurrent_version_days=noncurrent_days,
        force_destroy=force_destroy,
        history_expiration_days=history_days if history_days is not None else 90,
        log_retention_days=retention if retention is not None else 30,
        snapshot_retention_days=snapshot_days if snapshot_days is not None else 7,
        protect_data=protect_data,
        owner=owner,
        cost_centre=cost_centre,
        glue_version=glue_version,
    )


# Keys this program reads; `load` asks Pulumi for exactly these.
KEYS: tuple[str, ...] = (
    "aws:region",
    *(
        f"{NAMESPACE}:{k}"
        for k in (
            "schedule",
            "scheduleEnabled",
            "workerType",
            "numberOfWorkers",
            "executionClass",
            "jobTimeoutMinutes",
            "jobMaxRetries",
            "jobs",
            "kmsKeyArn",
            "alertEmail",
            "docsCloudFront",
            "docsAllowedCidrs",
            "tempExpirationDays",
            "noncurrentVersionDays",
            "forceDestroy",
            "historyExpirationDays",
            "logRetentionDays",
            "snapshotRetentionDays",
            "protectData",
            "owner",
            "costCentre",
            "glueVersion",
        )
    ),
)


def load() -> StackConfig:
    """Read the current stack's config from Pulumi and validate it (raises ConfigError)."""
    import pulumi

    values: dict[str, str] = {}
    for key in KEYS:
        namespace, name = key.split(":")
        value = pulumi.Config(namespace).get(name)
        if value is not None:
            values[key] = value
    return from_mapping(values, pulumi.get_stack())

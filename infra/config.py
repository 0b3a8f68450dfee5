"""A stack's configuration, read once from `Pulumi.<stack>.yaml` into a frozen, validated object.

`StackConfig` is a pydantic model of the keys this program reads: `aws:region` and the `sparkify:*` keys,
each field named after its key by its alias. Values arrive as text, as the Pulumi CLI hands config to a
program. A `sparkify:*` key no field reads is refused, with the nearest known key when it looks like a typo
(`sparkify:forceDestory: unknown key (set to 'true'); did you mean sparkify:forceDestroy?`).

Every problem is reported before any resource is created, in one `ConfigError` whose lines each name the
key at fault and its value (`sparkify:workerType: 'G.3X' is not ...`), so `pulumi up` fails fast with a
message a person can act on. Rules between two keys (Flex worker types, CloudFront's allowed networks,
protected data) are checked once each key is valid on its own. Tests build `StackConfig` through
`from_mapping`, with the same validation.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from infra.config_values import (
    FLEX_WORKER_TYPES,
    JOB_STEPS,
    Cidrs,
    Days,
    Email,
    Execution,
    ExecutionClass,
    Flag,
    GlueVersion,
    JobStep,
    KmsKeyArn,
    LogRetention,
    Region,
    Retries,
    Schedule,
    TableUpkeep,
    TagValue,
    TimeoutMinutes,
    Workers,
    WorkerType,
    structure,
    within,
)
from sparkify import pipeline
from sparkify.glue_pricing import WORKER_DPU
from sparkify.job_args import DEFAULT_HISTORY_DAYS, DEFAULT_SNAPSHOT_RETENTION_DAYS, UPKEEP_BY_JOBS
from sparkify.layout import stack_prefix

NAMESPACE = "sparkify"

# Jobs whose failure is a verdict, not a fault: the validate step (it runs the suites and publishes).
NO_RETRY_STEPS: tuple[str, ...] = tuple(
    s.name for s in pipeline.job_steps() if pipeline.Location.EXPECTATIONS in s.locations
)


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


class JobOverride(BaseModel):
    """`sparkify:jobs.<step>`: the settings one job runs with instead of the stack-wide ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    worker_type: WorkerType | None = Field(default=None, alias="workerType")
    number_of_workers: Workers | None = Field(default=None, alias="numberOfWorkers")
    timeout_minutes: TimeoutMinutes | None = Field(default=None, alias="timeoutMinutes")
    max_retries: Retries | None = Field(default=None, alias="maxRetries")
    execution_class: Execution | None = Field(default=None, alias="executionClass")


# Stack-wide config key of each job setting; `sparkify:jobs.<step>.<setting>` overrides it for one job.
JOB_SETTING_KEYS: dict[str, str] = {
    "workerType": f"{NAMESPACE}:workerType",
    "numberOfWorkers": f"{NAMESPACE}:numberOfWorkers",
    "timeoutMinutes": f"{NAMESPACE}:jobTimeoutMinutes",
    "maxRetries": f"{NAMESPACE}:jobMaxRetries",
    "executionClass": f"{NAMESPACE}:executionClass",
}


class _Problems(ValueError):
    """Problems of rules between keys, each line already naming its key."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


class StackConfig(BaseModel):
    """Everything that differs between two stacks of this project; the code never does.

    Each field's alias is the config key it is read from; a key no field reads is refused.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack: str
    region: Region = Field(alias="aws:region")
    # Glue cron expression of the workflow's start trigger; `schedule_enabled=False` makes the start on demand.
    schedule: Schedule = Field(alias="sparkify:schedule")
    schedule_enabled: Flag = Field(default=True, alias="sparkify:scheduleEnabled")
    # The stack-wide job settings; `jobs` resolves them, with `job_overrides`, per job step.
    worker_type: WorkerType = Field(alias="sparkify:workerType")
    number_of_workers: Workers = Field(alias="sparkify:numberOfWorkers")
    execution_class: Execution = Field(default="STANDARD", alias="sparkify:executionClass")
    job_timeout_minutes: TimeoutMinutes = Field(default=60, alias="sparkify:jobTimeoutMinutes")
    job_max_retries: Retries = Field(default=0, alias="sparkify:jobMaxRetries")
    job_overrides: Annotated[dict[JobStep, JobOverride], BeforeValidator(structure)] = Field(
        default_factory=dict, alias="sparkify:jobs"
    )
    kms_key_arn: KmsKeyArn | None = Field(default=None, alias="sparkify:kmsKeyArn")
    alert_email: Email | None = Field(default=None, alias="sparkify:alertEmail")
    docs_cloudfront: Flag = Field(default=False, alias="sparkify:docsCloudFront")
    docs_allowed_cidrs: Cidrs = Field(default=(), alias="sparkify:docsAllowedCidrs")
    temp_expiration_days: Annotated[int, BeforeValidator(within(1, 365))] = Field(
        default=7, alias="sparkify:tempExpirationDays"
    )
    noncurrent_version_days: Days = Field(default=90, alias="sparkify:noncurrentVersionDays")
    force_destroy: Flag = Field(default=False, alias="sparkify:forceDestroy")
    # Run reports, quarantined records and Data Docs of past runs expire after this many days.
    history_expiration_days: Days = Field(default=DEFAULT_HISTORY_DAYS, alias="sparkify:historyExpirationDays")
    log_retention_days: LogRetention = Field(default=30, alias="sparkify:logRetentionDays")
    # Published Iceberg snapshots older than this are expired by table upkeep after each publish.
    snapshot_retention_days: Days = Field(
        default=DEFAULT_SNAPSHOT_RETENTION_DAYS, alias="sparkify:snapshotRetentionDays"
    )
    # Who keeps the owned Iceberg tables: the validate job, or the Glue Data Catalog's table optimizers. The
    # default is the one that costs less a month at 1M events a day (docs/deploy.md, "Who keeps the tables").
    table_upkeep: TableUpkeep = Field(default=UPKEEP_BY_JOBS, alias="sparkify:tableUpkeep")
    # `pulumi destroy` refuses to delete the raw bucket, the stack key and the catalog databases.
    protect_data: Flag = Field(default=False, alias="sparkify:protectData")
    owner: TagValue = Field(default="data-platform", alias="sparkify:owner")
    cost_centre: TagValue | None = Field(default=None, alias="sparkify:costCentre")
    # The Glue version of every job; "6.0" is accepted so that `pulumi preview` says what still blocks it.
    glue_version: GlueVersion = Field(default="5.1", alias="sparkify:glueVersion")

    @model_validator(mode="after")
    def _rules_between_keys(self) -> StackConfig:
        problems: dict[str, None] = {}  # ordered set: a bad stack-wide value is reported once, not per job
        for name in JOB_STEPS:
            override = self._override(name)
            settings = self._job(name)
            if settings.execution_class == "FLEX" and settings.worker_type not in FLEX_WORKER_TYPES:
                keys = self._job_keys(name, override)
                problems[
                    f"{keys['executionClass']}: FLEX runs only on {' or '.join(FLEX_WORKER_TYPES)} workers, "
                    f"not {settings.worker_type} ({keys['workerType']})"
                ] = None
            # A failed suite is a verdict on the data, not a transient fault: a retry would only validate (and
            # publish Data Docs) again and send a second alert.
            if name in NO_RETRY_STEPS and "max_retries" in override.model_fields_set and override.max_retries:
                problems[
                    f"{_key('jobs')}.{name}.maxRetries: the {name} job never retries (a failed suite is not "
                    "transient); use 0"
                ] = None
        if self.docs_cloudfront and not self.docs_allowed_cidrs:
            problems[
                f"{_key('docsAllowedCidrs')}: required when {_key('docsCloudFront')} is true, so Data Docs (which "
                "show sample rows) are not open to the whole internet"
            ] = None
        placeholder = _placeholder_domain(self.alert_email)
        if placeholder and self.schedule_enabled:
            problems[
                f"{_key('alertEmail')}: {self.alert_email!r} is a placeholder ({placeholder} is reserved and receives "
                "no mail) on a scheduled stack: set a real address, or leave it unset and subscribe to the alerts "
                "topic yourself"
            ] = None
        if self.protect_data and self.force_destroy:
            problems[f"{_key('forceDestroy')}: must be false when {_key('protectData')} is true (the data is kept)"] = (
                None
            )
        if problems:
            raise _Problems(list(problems))
        return self

    def _override(self, name: str) -> JobOverride:
        return self.job_overrides.get(name) or JobOverride()

    @staticmethod
    def _job_keys(name: str, override: JobOverride) -> dict[str, str]:
        """The config key each of a job's settings comes from, for the messages."""
        given = {JobOverride.model_fields[f].alias for f in override.model_fields_set}
        return {
            k: (f"{_key('jobs')}.{name}.{k}" if k in given else stack_key) for k, stack_key in JOB_SETTING_KEYS.items()
        }

    def _job(self, name: str) -> JobSettings:
        override = self._override(name)
        retries = override.max_retries if override.max_retries is not None else self.job_max_retries
        return JobSettings(
            worker_type=override.worker_type or self.worker_type,
            number_of_workers=override.number_of_workers or self.number_of_workers,
            timeout_minutes=override.timeout_minutes or self.job_timeout_minutes,
            max_retries=0 if name in NO_RETRY_STEPS else retries,
            execution_class=override.execution_class or self.execution_class,
        )

    @property
    def jobs(self) -> Mapping[str, JobSettings]:
        """One entry per job step of `sparkify.pipeline`, keyed by step name: the stack-wide settings with the
        step's overrides (`sparkify:jobs.<step>`); the validate job never retries."""
        return MappingProxyType({name: self._job(name) for name in JOB_STEPS})

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


# Domains reserved for examples and tests, which no mail reaches (RFC 2606, RFC 6761).
RESERVED_DOMAINS = ("example.com", "example.net", "example.org", "example", "invalid", "test", "localhost")


def _placeholder_domain(address: str | None) -> str | None:
    """The reserved domain of a placeholder address (`data-alerts@example.com`), else None."""
    domain = (address or "").rpartition("@")[2].lower()
    reserved = any(domain == d or domain.endswith(f".{d}") for d in RESERVED_DOMAINS)
    return domain if address and reserved else None


# The config keys this program reads, in the order of the model; the required ones have no default.
KEYS: tuple[str, ...] = tuple(f.alias for f in StackConfig.model_fields.values() if f.alias)
REQUIRED_KEYS: tuple[str, ...] = tuple(
    f.alias for f in StackConfig.model_fields.values() if f.alias and f.is_required()
)


def _unknown(key: str, value: object, known: Mapping[str, str], listed: str) -> str:
    """A key nothing reads, with the nearest known key (`known`: name → key) when it looks like a typo."""
    name = (key.rpartition(".")[2].partition(":")[2] or key.rpartition(".")[2]).lower()
    lowered = {k.lower(): k for k in known}
    # A known name that contains the one given, or is contained in it (`workers` → numberOfWorkers), before
    # the nearest by spelling (`forceDestory` → forceDestroy).
    within = [k for k in lowered if len(name) >= 4 and (name in k or k in name)]
    close = difflib.get_close_matches(name, within or lowered, n=1, cutoff=0.0 if within else 0.6)
    hint = f"did you mean {known[lowered[close[0]]]}?" if close else listed
    return f"{key}: unknown key (set to {value!r}); {hint}"


# Name → key of what `_unknown` suggests: the config keys, and the settings of `sparkify:jobs.<step>`.
_CONFIG_KEYS = {k.partition(":")[2]: k for k in KEYS}
_JOB_SETTINGS = {k: k for k in JOB_SETTING_KEYS}


def _path(loc: tuple[str | int, ...]) -> str:
    # ('sparkify:jobs', 'model', 'workerType') → sparkify:jobs.model.workerType; a dict key's own errors
    # carry a '[key]' element.
    return ".".join(str(part) for part in loc if part != "[key]")


def _problems(error: ValidationError) -> list[str]:
    """One line per problem, each naming the key; keys not set come first, then bad values, then rules."""
    missing: list[str] = []
    bad: list[str] = []
    for detail in error.errors():
        loc, kind, value = detail["loc"], detail["type"], detail["input"]
        key = _path(loc)
        cause = (detail.get("ctx") or {}).get("error")
        if kind == "missing":
            missing.append(f"{key}: required but not set (pulumi config set {key} ...)")
        elif kind == "extra_forbidden" and len(loc) == 1:
            bad.append(_unknown(key, value, _CONFIG_KEYS, "the keys are listed in docs/deploy.md"))
        elif kind == "extra_forbidden":
            bad.append(_unknown(key, value, _JOB_SETTINGS, f"settings are {', '.join(_JOB_SETTINGS)}"))
        elif isinstance(cause, _Problems):
            bad.extend(cause.problems)
        elif kind == "value_error":
            bad.append(f"{key}: {cause}")
        elif kind in ("dict_type", "model_type"):
            bad.append(f"{key}: {value!r} must be a mapping")
        else:
            bad.append(f"{key}: {value!r}: {detail['msg']}")
    return missing + bad


def from_mapping(values: Mapping[str, str], stack: str, project: str | None = None) -> StackConfig:
    """Validate flat `namespace:key` → text config (as `pulumi config` holds it) into a StackConfig.

    The model sees `aws:region` and every `sparkify:*` key; the rest of the `aws` namespace belongs to the
    provider. A key in the project's own namespace (`pulumi config set forceDestroy true` without
    `sparkify:`) is refused too: this program reads none, so it would be ignored.
    """
    problems: list[str] = []
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,15}", stack):
        problems.append(
            f"stack name {stack!r}: use 1-16 lowercase letters, digits or hyphens (it is part of bucket names)"
        )
    document: dict[str, Any] = {"stack": stack}
    for key, value in values.items():
        if value is None or value == "":
            continue  # `pulumi config set <key> ""` leaves the default
        namespace = key.partition(":")[0]
        if namespace == NAMESPACE or key == "aws:region":
            document[key] = value
        elif namespace == project:
            problems.append(_unknown(key, value, _CONFIG_KEYS, "the keys are listed in docs/deploy.md"))
    try:
        cfg = StackConfig.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(problems + _problems(exc)) from None
    if problems:
        raise ConfigError(problems)
    return cfg


def load() -> StackConfig:
    """Read the current stack's config from Pulumi and validate it (raises ConfigError).

    Every key set on the stack is read (the Pulumi CLI hands them to the program as one JSON map, tests
    through `set_all_config`), so a key this program does not know is refused instead of ignored.
    """
    import pulumi
    import pulumi.runtime.config as runtime_config

    names = dict.fromkeys([*runtime_config.get_config_env(), *runtime_config.CONFIG.get(), *KEYS])
    values: dict[str, str] = {}
    for key in names:
        value = runtime_config.get_config(key)
        if value is not None:
            values[key] = value if isinstance(value, str) else json.dumps(value)
    return from_mapping(values, pulumi.get_stack(), project=pulumi.get_project())

"""Where everything lives and what it is called, on both sides, in one place.

- A local lake: one folder per location (`LAKE_LAYOUT`), under `sparkify run --lake DIR`.
- A run's history, the same under a lake's folders and a stack's prefixes: `runs/<run_id>/` of the
  reports (each step's metrics, a local run's report) and of the Data Docs (each run's pages), the newest
  beside it (`latest.json` of a local lake's reports, `latest/` of the docs), and each stage batch's
  quarantine in its `batch_id=<n>` partition.
- A deployed stack: the same locations as (bucket purpose, prefix) pairs (`LOCATION_BUCKETS`), and the
  physical names of the stack's resources (`Names`): `sparkify-<stack>` for what people type (jobs,
  workflow, crawler, Athena workgroup), the account and region added for buckets, whose names are global.

No Pulumi here: the Pulumi program (`infra/`), the operations verbs (`sparkify.ops`) and the local runner
read the same facts, and the verbs work wherever the `sparkify` package is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sparkify.pipeline import Location

PROJECT = "sparkify"

# The lake `sparkify run` (and `make run`, in the checkout) writes when given no `--lake`.
DEFAULT_LAKE = "lake"

# Each location as a folder of a local lake (raw and expectations are given, not inside the lake).
LAKE_LAYOUT: dict[Location, str] = {
    Location.STAGING: "staging",
    Location.CURATED: "curated",
    Location.QUARANTINE: "quarantine",
    Location.REPORTS: "reports",
    Location.DATA_DOCS: "data_docs",
}

# One folder per run, under the reports and the Data Docs alike; the newest run beside them.
RUNS_DIR = "runs"
LATEST_REPORT = "latest.json"  # a local lake's newest run report, in its reports folder
LATEST_DOCS = "latest"  # the Data Docs of the newest run, a folder of the docs bucket
RUN_REPORT = "report.json"  # a local run's report, in its run folder
# The quarantine's partition column: each stage batch's rejected records under `<source>/batch_id=<n>/`.
BATCH_COLUMN = "batch_id"
BATCH_GLOB = f"{BATCH_COLUMN}=*"


def run_dir(run_id: str) -> str:
    """`runs/<run_id>`: one run's folder (or prefix, without the trailing `/`)."""
    return f"{RUNS_DIR}/{run_id}"


def step_metrics_path(run_id: str, step: str) -> str:
    """Where a job step's metrics go, under the reports location: `runs/<run_id>/<step>.json`."""
    return f"{run_dir(run_id)}/{step}.json"


def batch_partition(batch_id: object) -> str:
    """`batch_id=<n>`: the quarantine partition of one stage batch."""
    return f"{BATCH_COLUMN}={batch_id}"


def local_uri(folder: Path) -> str:
    """A local folder as Iceberg takes it (Hadoop's file system, pyiceberg): `file:` and the path as it
    is. Both read what follows `file:` as the path without unquoting it, so `Path.as_uri()`'s `%20` and
    `%C3%BC` would name another folder (`lake%20sp%20%C3%BC` beside `lake sp ü`)."""
    return "file:" + folder.resolve().as_posix()


BUCKET_PURPOSES = ("raw", "curated", "artifacts", "temp", "docs")
# A Glue 5 job's two log groups: its stdout, and Spark's and the job's own log lines.
JOB_LOG_KINDS = ("output", "error")
EXPECTATIONS_PREFIX = "expectations/"  # the suites, in the artifacts bucket

# Each location on AWS: (bucket purpose, prefix inside the bucket); the lake's folders become prefixes.
LOCATION_BUCKETS: dict[Location, tuple[str, str]] = {
    Location.RAW: ("raw", ""),
    Location.STAGING: ("curated", LAKE_LAYOUT[Location.STAGING] + "/"),
    Location.CURATED: ("curated", LAKE_LAYOUT[Location.CURATED] + "/"),
    Location.QUARANTINE: ("curated", LAKE_LAYOUT[Location.QUARANTINE] + "/"),
    Location.REPORTS: ("curated", LAKE_LAYOUT[Location.REPORTS] + "/"),
    Location.EXPECTATIONS: ("artifacts", EXPECTATIONS_PREFIX),
    Location.DATA_DOCS: ("docs", ""),
}


def stack_prefix(stack: str) -> str:
    """Prefix of every named resource of a stack."""
    return f"{PROJECT}-{stack}"


@dataclass(frozen=True)
class Names:
    """The physical names of one stack's resources; two stacks in one account never collide."""

    prefix: str  # sparkify-<stack>

    @staticmethod
    def of_stack(stack: str) -> Names:
        return Names(stack_prefix(stack))

    def job(self, step: str) -> str:
        return f"{self.prefix}-{step}"

    def crawler(self, step: str) -> str:
        return f"{self.prefix}-{step}"

    @property
    def start_trigger(self) -> str:
        return f"{self.prefix}-start"

    def trigger(self, step: str) -> str:
        """The conditional trigger that starts `step` once its upstream steps succeeded."""
        return f"{self.prefix}-run-{step}"

    @property
    def workflow(self) -> str:
        return self.prefix

    @property
    def athena_workgroup(self) -> str:
        return self.prefix

    @property
    def database(self) -> str:
        # Athena wants lowercase letters, digits and underscores in database names.
        return self.prefix.replace("-", "_")

    @property
    def staging_database(self) -> str:
        """The Glue database of the staging Iceberg tables (and the raw-file ledger)."""
        return f"{self.database}_staging"

    @property
    def role(self) -> str:
        return f"{self.prefix}-glue"

    @property
    def crawler_role(self) -> str:
        return f"{self.prefix}-crawler"

    @property
    def optimizer_role(self) -> str:
        """The role the Glue Data Catalog's table optimizers assume (`sparkify:tableUpkeep: catalog-optimizers`)."""
        return f"{self.prefix}-table-optimizer"

    @property
    def log_group_prefix(self) -> str:
        """The jobs' `--custom-logGroup-prefix`: the folder every log group of the stack's jobs lies in."""
        return f"/aws-glue/{self.prefix}"

    @property
    def job_log_groups(self) -> dict[str, str]:
        """Where Glue 5 writes the jobs' logs (`output`: stdout; `error`: Spark's and the job's own log
        lines). The stack's security configuration encrypts CloudWatch Logs, and then Glue adds the
        configuration and the role to the group's name: `<prefix>/<configuration>-role/<role>/output`.
        https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html (Glue 5 groups and
        `--custom-logGroup-prefix`) and https://docs.aws.amazon.com/glue/latest/dg/reduced-start-times-spark-etl-jobs.html
        ("When a security configuration is provided, the log group names change to
        `.../<security configuration>-role/<Role Name>/output`")."""
        base = f"{self.log_group_prefix}/{self.security_configuration}-role/{self.role}"
        return {kind: f"{base}/{kind}" for kind in JOB_LOG_KINDS}

    @property
    def crawler_log_prefix(self) -> str:
        return f"/aws-glue/crawlers-role/{self.crawler_role}"

    @property
    def crawler_log_group(self) -> str:
        """Where a crawler with a security configuration logs: `/aws-glue/crawlers-role/<role>-<configuration>`.
        https://docs.aws.amazon.com/glue/latest/dg/console-security-configurations.html"""
        return f"{self.crawler_log_prefix}-{self.security_configuration}"

    @property
    def alert_router_log_group(self) -> str:
        return f"/aws/lambda/{self.alert_router}"

    @property
    def log_groups(self) -> list[str]:
        """Every log group the stack owns (each with its retention and the stack key)."""
        return [*self.job_log_groups.values(), self.crawler_log_group, self.alert_router_log_group]

    @property
    def security_configuration(self) -> str:
        return self.prefix

    @property
    def alert_topic(self) -> str:
        return f"{self.prefix}-alerts"

    @property
    def alert_dlq(self) -> str:
        """The queue of events and alerts that could not be delivered."""
        return f"{self.prefix}-alerts-dlq"

    @property
    def alert_router(self) -> str:
        """The alert router's Lambda function and its role."""
        return f"{self.prefix}-alert-router"

    def alert_rule(self, rule: str) -> str:
        """An EventBridge rule that sends events to the router (`glue-jobs`, `crawler-failed`)."""
        return f"{self.prefix}-{rule}"

    @property
    def undelivered_alarm(self) -> str:
        return f"{self.prefix}-undelivered-alerts"

    @property
    def no_successful_run_alarm(self) -> str:
        return f"{self.prefix}-no-successful-run"

    @property
    def alarms(self) -> list[str]:
        """Every alarm a stack may have (the "no successful run" one only when it runs on a schedule)."""
        return [self.no_successful_run_alarm, self.undelivered_alarm]

    def bucket(self, purpose: str, account_id: str, region: str) -> str:
        if purpose not in BUCKET_PURPOSES:
            raise ValueError(f"unknown bucket purpose {purpose!r}")
        return f"{self.prefix}-{purpose}-{account_id}-{region}"

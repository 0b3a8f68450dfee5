"""The one definition of the Sparkify workflow: its steps, their order, arguments and outputs.

The Pulumi program turns it into Glue jobs, crawlers, a workflow and its triggers; the local runner
(`sparkify run`) walks the same steps in order and runs the same job scripts on local Spark. Adding a
job here adds it to both places; `tests/contracts/test_consistency.py` keeps scripts, suites and triggers in line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parent.parent
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


class Location(StrEnum):
    """Locations a job receives as `--<value>` arguments: `s3://bucket/prefix` on Glue, a folder locally.

    Job code never names a bucket; every place it reads or writes arrives as one of these.
    """

    RAW = "raw_uri"  # holds song_data/ and log_data/
    STAGING = "staging_uri"
    CURATED = "curated_uri"
    QUARANTINE = "quarantine_uri"
    REPORTS = "reports_uri"  # per-run step metrics and run reports
    EXPECTATIONS = "expectations_uri"  # the suites of expectations/
    DATA_DOCS = "data_docs_uri"


class Namespace(StrEnum):
    """Iceberg namespaces (`<catalog>.<database>`) a job receives as `--<value>` arguments: the stack's
    Glue databases on Glue (`glue_catalog.<db>`), a file-based catalog over the lake folder locally."""

    STAGING = "staging_namespace"  # staged records and the raw-file ledger
    CURATED = "curated_namespace"  # the star schema


# A job's arguments name places: locations (URIs) and table namespaces.
Place = Location | Namespace

# The two raw sources and the prefixes they land under in the raw location.
SOURCES: dict[str, str] = {"songs": "song_data", "events": "log_data"}
# The staging namespace's tables: one per source (its typed records) and the raw-file ledger.
LEDGER_TABLE = "raw_files"
STAGING_TABLES: tuple[str, ...] = (*SOURCES, LEDGER_TABLE)


# The star schema. `partition_by` is empty for dimensions: they are small and read whole.
@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    partition_by: tuple[str, ...] = ()
    description: str = ""
    # The staging tables (named after their `SOURCES`) the model job builds this table from.
    built_from: tuple[str, ...] = ()


CURATED_TABLES: tuple[Table, ...] = (
    Table("songplays", ("songplay_id",), ("year", "month"), "One row per NextSong event (fact).", ("events", "songs")),
    Table("users", ("user_id",), (), "One current row per user, with the latest level.", ("events",)),
    Table(
        "users_history",
        ("user_id", "valid_from"),
        (),
        "Level history per user (SCD type 2): one row per run of the same level.",
        ("events",),
    ),
    Table("songs", ("song_id",), (), "One row per song of the song metadata.", ("songs",)),
    Table("artists", ("artist_id",), (), "One row per artist id, name chosen deterministically.", ("songs",)),
    Table("time", ("start_time",), ("year", "month"), "One row per distinct songplay start time.", ("events",)),
)


@dataclass(frozen=True)
class JobStep:
    """A Glue Spark job: `script` runs on Glue as is and locally through `run(spark, args)`."""

    name: str
    script: str  # relative to the repository root
    description: str
    upstream: tuple[str, ...]
    locations: tuple[Place, ...]
    # Settings from stack config the job accepts as `--<name> value` (defaults in the job script).
    options: tuple[str, ...] = ()
    kind: Literal["job"] = field(default="job", init=False)


@dataclass(frozen=True)
class CrawlerStep:
    """A Glue crawler over one location; it only exists in the cloud (locally it is reported as skipped)."""

    name: str
    description: str
    upstream: tuple[str, ...]
    target: Location
    tables: tuple[str, ...]
    kind: Literal["crawler"] = field(default="crawler", init=False)


Step = JobStep | CrawlerStep

# How long published Iceberg snapshots stay readable (time travel) before table upkeep expires them.
SNAPSHOT_RETENTION_DAYS = "snapshot_retention_days"
# How many days run reports, quarantined records and each run's Data Docs are kept (stack config
# `sparkify:historyExpirationDays`, which also sets the buckets' lifecycle rules).
HISTORY_DAYS = "history_days"
# The Glue database of the quarantine's Athena tables (`sparkify.lake.quarantine_catalog`); none locally.
QUARANTINE_DATABASE = "quarantine_database"
# Who keeps the owned tables (stack config `sparkify:tableUpkeep`; values in `sparkify.job_args`).
TABLE_UPKEEP = "table_upkeep"

# Write-audit-publish: `model` commits its changes to each curated Iceberg table's `audit` branch;
# `validate` runs the suites on the branches and publishes (fast-forwards `main`) only when all pass.
# Iceberg tables register themselves in the catalog, so no crawler runs over curated data.
STEPS: tuple[Step, ...] = (
    JobStep(
        name="stage",
        script="glue_jobs/stage.py",
        description="Raw JSON → typed staging Iceberg tables; bad records to quarantine with their reason.",
        upstream=(),
        locations=(Location.RAW, Location.STAGING, Location.QUARANTINE, Location.REPORTS, Namespace.STAGING),
        options=(QUARANTINE_DATABASE, HISTORY_DAYS),
    ),
    JobStep(
        name="model",
        script="glue_jobs/model.py",
        description="Staging → star schema changes, merged into each curated table's audit branch.",
        upstream=("stage",),
        locations=(Location.STAGING, Location.CURATED, Location.REPORTS, Namespace.STAGING, Namespace.CURATED),
    ),
    JobStep(
        name="validate",
        script="glue_jobs/validate.py",
        description="Great Expectations suites on the audit branches; publishes them when all pass, fails on bad data.",
        upstream=("model",),
        locations=(
            Location.STAGING,
            Location.CURATED,
            Location.QUARANTINE,
            Location.EXPECTATIONS,
            Location.DATA_DOCS,
            Location.REPORTS,
            Namespace.STAGING,
            Namespace.CURATED,
        ),
        options=(SNAPSHOT_RETENTION_DAYS, HISTORY_DAYS, TABLE_UPKEEP),
    ),
)

# Outside the workflow: catalogs the raw JSON for exploration in Athena (run on demand).
RAW_CRAWLER = CrawlerStep(
    name="raw",
    description="Catalogs the raw song and log JSON for exploration in Athena.",
    upstream=(),
    target=Location.RAW,
    tables=tuple(SOURCES.values()),
)


def owned_tables() -> dict[str, tuple[Namespace, str]]:
    """Every Iceberg table the workflow owns and keeps, by `<layer>.<name>`: the curated star schema, the
    staging tables and the raw-file ledger, each with its namespace and table name."""
    curated = {f"curated.{t.name}": (Namespace.CURATED, t.name) for t in CURATED_TABLES}
    return curated | {f"staging.{name}": (Namespace.STAGING, name) for name in STAGING_TABLES}


def job_steps() -> tuple[JobStep, ...]:
    return tuple(s for s in STEPS if isinstance(s, JobStep))


def step(name: str) -> Step:
    for s in STEPS:
        if s.name == name:
            return s
    raise KeyError(f"no step named {name!r}; steps are {', '.join(s.name for s in STEPS)}")


def job_arguments(job: JobStep, locations: Mapping[Place, str]) -> dict[str, str]:
    """The `--name value` arguments a job receives, the same on Glue (default arguments) and locally."""
    missing = [loc.value for loc in job.locations if loc not in locations]
    if missing:
        raise KeyError(f"job {job.name!r} needs locations {', '.join(missing)}")
    return {f"--{loc.value}": locations[loc] for loc in job.locations}

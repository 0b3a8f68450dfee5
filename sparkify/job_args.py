"""What a job run receives: the one contract between the job scripts and whoever starts them.

A job's `run(spark, args)` receives a `JobArgs`, typed:

- `args[place]`: each place of its step (`pipeline.Place`): `args[Location.RAW]`, `args[Namespace.CURATED]`, …;
- `run_id`: the workflow run's id on Glue (every job of one run shares it), the local run's id locally;
- `full_refresh`: forget what earlier runs staged and rebuild from every raw file;
- `run_date` (or None): the run's logical date and time, as a scheduler's logical date: the clock of table
  upkeep (snapshot expiry, orphan sweeps) and of date rules (`moment()`); else the wall clock;
- `backfill` (or None): the first and last day whose raw files the stage job reads again, unchanged ones
  included, replacing their staged rows (`sparkify.lake.ledger.of_days`);
- the stack settings its step accepts (`JobStep.options`), each read through a property with the job's
  default when the stack gives none: `history_days`, `snapshot_retention_days`, `quarantine_database`,
  `table_upkeep`.

On Glue they arrive as `--name value` arguments: places and settings are the job's default arguments
(`glue_defaults`, which infra/jobs.py deploys), the run id is Glue's own, and a manual job run may add
`--full_refresh true`; `sparkify.lake.glue_entry.glue_main` reads them back with `JobArgs.from_glue`. The local
runner builds a `JobArgs` directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sparkify.pipeline import (
    HISTORY_DAYS,
    QUARANTINE_DATABASE,
    SNAPSHOT_RETENTION_DAYS,
    TABLE_UPKEEP,
    JobStep,
    Place,
    job_arguments,
)

RUN_ID = "run_id"
FULL_REFRESH = "full_refresh"
RUN_DATE = "run_date"
BACKFILL_FROM, BACKFILL_TO = "backfill_from", "backfill_to"
# Glue's own arguments of a job run: every run has a JOB_RUN_ID; a run the workflow started also has
# the WORKFLOW_RUN_ID all jobs of that workflow run share.
JOB_RUN_ID = "JOB_RUN_ID"
WORKFLOW_RUN_ID = "WORKFLOW_RUN_ID"
# Who keeps the owned Iceberg tables (`--table_upkeep`, stack config `sparkify:tableUpkeep`): the validate job
# after each publish, or the Glue Data Catalog's table optimizers between runs (AWS only).
UPKEEP_BY_JOBS = "jobs"
UPKEEP_BY_CATALOG = "catalog-optimizers"
TABLE_UPKEEP_CHOICES = (UPKEEP_BY_JOBS, UPKEEP_BY_CATALOG)
# The settings' defaults, for a run the stack gives none (a local run), and the stack config's own.
DEFAULT_SNAPSHOT_RETENTION_DAYS = 7  # `--snapshot_retention_days`, `sparkify:snapshotRetentionDays`
DEFAULT_HISTORY_DAYS = 90  # `--history_days`, `sparkify:historyExpirationDays`


@dataclass(frozen=True)
class JobArgs:
    """The arguments of one run of one job. `places` may hold more than the step's; only the step's are
    kept. Raises `KeyError` for a place the step needs and `places` lacks, or a setting it does not take."""

    step: JobStep
    places: Mapping[Place, str]
    run_id: str
    full_refresh: bool = False
    options: Mapping[str, str] = field(default_factory=dict)
    run_date: datetime | None = None
    backfill: tuple[date, date] | None = None  # the first and last day whose raw files are read again

    def __post_init__(self) -> None:
        missing = [place.value for place in self.step.locations if place not in self.places]
        if missing:
            raise KeyError(f"job {self.step.name!r} needs locations {', '.join(missing)}")
        unknown = sorted(set(self.options) - set(self.step.options))
        if unknown:
            takes = ", ".join(self.step.options) or "none"
            raise KeyError(f"job {self.step.name!r} takes no setting {', '.join(unknown)} (it takes: {takes})")
        if not self.run_id:
            raise ValueError(f"a run of job {self.step.name!r} needs a run id")
        object.__setattr__(self, "places", {place: self.places[place] for place in self.step.locations})
        object.__setattr__(self, "options", {o: self.options[o] for o in self.step.options if o in self.options})
        # A bad setting is named when the arguments are read, before the job reads or writes anything.
        _ = (self.history_days, self.snapshot_retention_days, self.table_upkeep)

    def __getitem__(self, place: Place) -> str:
        """Where one of the step's places is: `args[Location.RAW]`."""
        return self.places[place]

    @property
    def history_days(self) -> int:
        """How many days of runs the Data Docs and the quarantine keep (`--history_days`, else the default)."""
        return _days(self.options, HISTORY_DAYS, DEFAULT_HISTORY_DAYS)

    @property
    def snapshot_retention_days(self) -> int:
        """How many days of snapshots the upkeep keeps (`--snapshot_retention_days`, else the default)."""
        return _days(self.options, SNAPSHOT_RETENTION_DAYS, DEFAULT_SNAPSHOT_RETENTION_DAYS)

    @property
    def quarantine_database(self) -> str | None:
        """The Glue database of the quarantine's Athena tables; None locally."""
        return self.options.get(QUARANTINE_DATABASE) or None

    @property
    def table_upkeep(self) -> str:
        """Who keeps the tables this run: `--table_upkeep` as given (default: the jobs, as locally). Raises
        `ValueError` naming the value for anything else."""
        keeper = self.options.get(TABLE_UPKEEP) or UPKEEP_BY_JOBS
        if keeper not in TABLE_UPKEEP_CHOICES:
            raise ValueError(f"--{TABLE_UPKEEP} {keeper!r}: use one of {', '.join(TABLE_UPKEEP_CHOICES)}")
        return keeper

    def moment(self) -> datetime:
        """The run's clock: its `run_date` when given, else now (UTC)."""
        return self.run_date or datetime.now(UTC)

    def to_glue(self) -> dict[str, str]:
        """The `--name value` arguments that carry these on Glue, but the run id (Glue's own `--JOB_RUN_ID`
        or `--WORKFLOW_RUN_ID`): the job's default arguments, and `--full_refresh true` when set."""
        arguments = glue_defaults(self.step, self.places, self.options)
        if self.full_refresh:
            arguments[f"--{FULL_REFRESH}"] = "true"
        if self.run_date is not None:
            arguments[f"--{RUN_DATE}"] = self.run_date.isoformat()
        if self.backfill is not None:
            arguments[f"--{BACKFILL_FROM}"], arguments[f"--{BACKFILL_TO}"] = (d.isoformat() for d in self.backfill)
        return arguments

    @staticmethod
    def glue_names(step: JobStep, argv: list[str]) -> list[str]:
        """The arguments awsglue's `getResolvedOptions` must be asked for in a Glue job run's `argv`: the
        step's places (required), and the workflow run id, `full_refresh` and the step's settings when
        the run has them. Not JOB_RUN_ID: awsglue reads it unasked (asking again is an argparse conflict)."""
        names = [place.value for place in step.locations]
        given = (WORKFLOW_RUN_ID, FULL_REFRESH, RUN_DATE, BACKFILL_FROM, BACKFILL_TO, *step.options)
        names += [name for name in given if f"--{name}" in argv]
        return names

    @classmethod
    def from_glue(cls, step: JobStep, resolved: Mapping[str, str | None]) -> JobArgs:
        """The arguments of a Glue job run, from `getResolvedOptions(argv, glue_names(step, argv))`."""
        run_id = resolved.get(WORKFLOW_RUN_ID) or resolved.get(JOB_RUN_ID)
        if not run_id:
            raise ValueError(f"job {step.name!r} started without --{JOB_RUN_ID}: is this a Glue job run?")
        return cls(
            step=step,
            places={place: str(resolved[place.value]) for place in step.locations},
            run_id=run_id,
            full_refresh=(resolved.get(FULL_REFRESH) or "false").lower() == "true",
            run_date=parse_run_date(resolved.get(RUN_DATE)),
            backfill=backfill_days(resolved),
            options={name: value for name in step.options if (value := resolved.get(name)) is not None},
        )


def glue_defaults(
    step: JobStep, places: Mapping[Place, str], options: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A job's default arguments on Glue: `--<place>` for each place of its step, and `--<setting>` for
    each setting the step takes that `options` gives."""
    arguments = job_arguments(step, places)
    given = options or {}
    arguments.update({f"--{name}": given[name] for name in step.options if name in given})
    return arguments


def parse_run_date(text: str | None) -> datetime | None:
    """A run date as given (`2026-12-24` or `2026-12-24T03:00:00+00:00`), in UTC; a date alone is its
    midnight. Raises `ValueError` naming the value for anything else."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"run date {text!r} is not an ISO 8601 date or date and time (e.g. 2026-12-24)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_day(text: str, option: str) -> date:
    """A day as given (`2018-11-01`); raises `ValueError` naming the option and the value otherwise."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option} {text!r} is not a date: give it as YYYY-MM-DD (e.g. 2018-11-01)") from None


def backfill_days(args: Mapping[str, str | None]) -> tuple[date, date] | None:
    """The first and last day a backfill reads again (`backfill_from`, `backfill_to`), or None for a
    plain run. Raises `ValueError` when only one is given, a value is not a date, or the range is empty."""
    first, last = args.get(BACKFILL_FROM), args.get(BACKFILL_TO)
    if not first and not last:
        return None
    if not first or not last:
        raise ValueError(f"a backfill needs both --{BACKFILL_FROM} and --{BACKFILL_TO}")
    days = (parse_day(first, "--from"), parse_day(last, "--to"))
    if days[0] > days[1]:
        raise ValueError(f"--from {first} is after --to {last}: give the earlier day first")
    return days


def _days(options: Mapping[str, str], name: str, default: int) -> int:
    text = options.get(name)
    if text is None:
        return default
    try:
        days = int(text)
    except ValueError:
        days = 0
    if days < 1:
        raise ValueError(f"--{name} {text!r} is not a whole number of days (1 or more)")
    return days

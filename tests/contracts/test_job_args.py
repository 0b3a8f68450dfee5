"""The job-argument contract (`sparkify.job_args`): what the local runner hands a job, what infra deploys as
a Glue job's default arguments, and what `glue_entry.glue_main` reads back from a Glue job run's argv with
awsglue's own `getResolvedOptions`: the same `args` either way."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sparkify import pipeline
from sparkify.job_args import JobArgs, glue_defaults
from sparkify.lake.glue_entry import resolve_glue_arguments
from sparkify.local.runner import lake_locations

STAGE, MODEL, VALIDATE = (pipeline.step(name) for name in ("stage", "model", "validate"))
PLACES = lake_locations(Path("/data/raw"), Path("/data/lake"))


def glue_argv(job_args: JobArgs, *extra: str) -> list[str]:
    """A Glue 5.1 job run's argv: Glue's own arguments around the job's."""
    ours = [token for name, value in job_args.to_glue().items() for token in (name, value)]
    return [
        "/tmp/stage.py", "--JOB_ID", "j_0a1b", "--JOB_RUN_ID", "jr_77", "--JOB_NAME", "sparkify-dev-stage",
        "--job-bookmark-option", "job-bookmark-disable", "--TempDir", "s3://temp/glue-temp/",
        *ours, "--enable-metrics", "true", "--job-language", "python", *extra,
    ]  # fmt: skip


@pytest.mark.parametrize("step", pipeline.job_steps(), ids=lambda s: s.name)
def test_a_job_receives_its_places_the_run_id_and_full_refresh(step: pipeline.JobStep) -> None:
    args = JobArgs(step, PLACES, "local-1")

    assert args.places == {place: PLACES[place] for place in step.locations}
    assert [args[place] for place in step.locations] == [PLACES[place] for place in step.locations]
    assert (args.run_id, args.full_refresh, args.run_date, args.backfill) == ("local-1", False, None, None)
    assert JobArgs(step, PLACES, "local-1", full_refresh=True).full_refresh is True
    with pytest.raises(KeyError):
        args[next(p for p in PLACES if p not in step.locations)]  # only the step's places ride along


def test_settings_ride_along_when_given_and_only_those_the_step_takes() -> None:
    args = JobArgs(VALIDATE, PLACES, "r", options={"snapshot_retention_days": "7"})

    assert args.snapshot_retention_days == 7
    assert args.to_glue()["--snapshot_retention_days"] == "7"
    with pytest.raises(KeyError, match="takes no setting quarantine_database"):
        JobArgs(VALIDATE, PLACES, "r", options={"quarantine_database": "db"})


def test_a_missing_place_is_named() -> None:
    places = {place: value for place, value in PLACES.items() if place != pipeline.Location.QUARANTINE}
    with pytest.raises(KeyError, match="job 'stage' needs locations quarantine_uri"):
        JobArgs(STAGE, places, "r")


def test_glue_defaults_are_the_places_and_given_settings() -> None:
    assert glue_defaults(STAGE, PLACES, {"quarantine_database": "sparkify_dev_staging"}) == {
        **{f"--{place.value}": PLACES[place] for place in STAGE.locations},
        "--quarantine_database": "sparkify_dev_staging",
    }
    assert "--quarantine_database" not in glue_defaults(STAGE, PLACES)


@pytest.mark.parametrize("step", pipeline.job_steps(), ids=lambda s: s.name)
def test_a_manual_glue_job_run_reads_back_what_was_sent(step: pipeline.JobStep) -> None:
    given = {"quarantine_database": "db", "history_days": "30", "snapshot_retention_days": "5", "table_upkeep": "jobs"}
    sent = JobArgs(step, PLACES, "unused", full_refresh=True, options={o: given[o] for o in step.options})

    resolved, received = resolve_glue_arguments(step, glue_argv(sent))

    assert resolved["JOB_NAME"] == "sparkify-dev-stage"
    assert received == replace(sent, run_id="jr_77")


def test_a_workflow_job_run_takes_the_workflow_run_id_and_defaults_to_an_incremental_run() -> None:
    sent = JobArgs(MODEL, PLACES, "unused")

    _, received = resolve_glue_arguments(
        MODEL, glue_argv(sent, "--WORKFLOW_NAME", "sparkify-dev", "--WORKFLOW_RUN_ID", "wr_5")
    )

    assert (received.run_id, received.full_refresh) == ("wr_5", False)


def test_full_refresh_is_read_whatever_its_case() -> None:
    argv = glue_argv(JobArgs(STAGE, PLACES, "unused"), "--full_refresh", "TRUE")

    assert resolve_glue_arguments(STAGE, argv)[1].full_refresh is True


def test_who_keeps_the_tables_reaches_validate_from_a_glue_run_and_defaults_to_the_jobs() -> None:
    sent = JobArgs(VALIDATE, PLACES, "unused", options={"table_upkeep": "catalog-optimizers"})

    _, received = resolve_glue_arguments(VALIDATE, glue_argv(sent))

    assert received.table_upkeep == "catalog-optimizers"
    assert JobArgs(VALIDATE, PLACES, "local-1").table_upkeep == "jobs"  # a local run keeps its own tables


def test_a_bad_setting_is_named_when_the_arguments_are_read() -> None:
    with pytest.raises(ValueError, match=r"--table_upkeep 'glue': use one of jobs, catalog-optimizers"):
        JobArgs(VALIDATE, PLACES, "r", options={"table_upkeep": "glue"})
    with pytest.raises(ValueError, match=r"--history_days 'ninety' is not a whole number of days \(1 or more\)"):
        JobArgs(VALIDATE, PLACES, "r", options={"history_days": "ninety"})
    with pytest.raises(ValueError, match=r"--snapshot_retention_days '0' is not a whole number of days"):
        JobArgs(VALIDATE, PLACES, "r", options={"snapshot_retention_days": "0"})


def test_a_job_reads_its_settings_typed_with_the_defaults_of_a_run_given_none() -> None:
    given = JobArgs(VALIDATE, PLACES, "r-9", full_refresh=True, options={"history_days": "3"})
    assert (given.history_days, given.snapshot_retention_days, given.table_upkeep) == (3, 7, "jobs")
    stage = JobArgs(STAGE, PLACES, "r-10", options={"quarantine_database": "sparkify_dev_staging"})
    assert (stage.history_days, stage.quarantine_database) == (90, "sparkify_dev_staging")
    assert JobArgs(STAGE, PLACES, "r-11").quarantine_database is None  # a local run registers no Athena tables


def test_the_runs_clock_is_its_run_date_or_now() -> None:
    from datetime import UTC, datetime

    dated = JobArgs(VALIDATE, PLACES, "r", run_date=datetime(2026, 12, 24, 3, tzinfo=UTC))
    assert dated.moment() == datetime(2026, 12, 24, 3, tzinfo=UTC)
    before = datetime.now(UTC)
    assert before <= JobArgs(VALIDATE, PLACES, "r").moment() <= datetime.now(UTC)


def test_a_backfill_travels_as_two_days_and_is_read_back() -> None:
    from datetime import date

    from sparkify.job_args import backfill_days

    args = JobArgs(STAGE, PLACES, "r", backfill=(date(2018, 11, 1), date(2018, 11, 3))).to_glue()
    assert (args["--backfill_from"], args["--backfill_to"]) == ("2018-11-01", "2018-11-03")
    assert backfill_days({"backfill_from": "2018-11-01", "backfill_to": "2018-11-03"}) == (
        date(2018, 11, 1),
        date(2018, 11, 3),
    )
    assert backfill_days({}) is None
    with pytest.raises(ValueError, match=r"--from 2018-11-05 is after --to 2018-11-03: give the earlier day first"):
        backfill_days({"backfill_from": "2018-11-05", "backfill_to": "2018-11-03"})
    with pytest.raises(ValueError, match=r"--to 'Nov 3' is not a date: give it as YYYY-MM-DD"):
        backfill_days({"backfill_from": "2018-11-01", "backfill_to": "Nov 3"})

"""The job-argument contract (`sparkify.job_args`): what the local runner hands a job, what infra deploys as
a Glue job's default arguments, and what `glue_entry.glue_main` reads back from a Glue job run's argv with
awsglue's own `getResolvedOptions`: the same `args` either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkify import pipeline
from sparkify.job_args import (
    JobArgs,
    glue_defaults,
    history_days_of,
    is_full_refresh,
    run_id_of,
    snapshot_retention_days_of,
    upkeep_by,
)
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
    args = JobArgs(step, PLACES, "local-1").as_mapping()

    assert args == {place.value: PLACES[place] for place in step.locations} | {
        "run_id": "local-1",
        "full_refresh": "false",
    }
    assert JobArgs(step, PLACES, "local-1", full_refresh=True).as_mapping()["full_refresh"] == "true"


def test_settings_ride_along_when_given_and_only_those_the_step_takes() -> None:
    args = JobArgs(VALIDATE, PLACES, "r", options={"snapshot_retention_days": "7"})

    assert args.as_mapping()["snapshot_retention_days"] == "7"
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
    sent = JobArgs(step, PLACES, "unused", full_refresh=True, options=dict.fromkeys(step.options, "x"))

    resolved, received = resolve_glue_arguments(step, glue_argv(sent))

    assert resolved["JOB_NAME"] == "sparkify-dev-stage"
    assert received.as_mapping() == sent.as_mapping() | {"run_id": "jr_77"}


def test_a_workflow_job_run_takes_the_workflow_run_id_and_defaults_to_an_incremental_run() -> None:
    sent = JobArgs(MODEL, PLACES, "unused")

    _, received = resolve_glue_arguments(
        MODEL, glue_argv(sent, "--WORKFLOW_NAME", "sparkify-dev", "--WORKFLOW_RUN_ID", "wr_5")
    )

    assert (received.run_id, received.full_refresh) == ("wr_5", False)
    assert received.as_mapping()["full_refresh"] == "false"


def test_full_refresh_is_read_whatever_its_case() -> None:
    argv = glue_argv(JobArgs(STAGE, PLACES, "unused"), "--full_refresh", "TRUE")

    assert resolve_glue_arguments(STAGE, argv)[1].as_mapping()["full_refresh"] == "true"


def test_who_keeps_the_tables_reaches_validate_from_a_glue_run_and_defaults_to_the_jobs() -> None:
    sent = JobArgs(VALIDATE, PLACES, "unused", options={"table_upkeep": "catalog-optimizers"})

    _, received = resolve_glue_arguments(VALIDATE, glue_argv(sent))

    assert upkeep_by(received.as_mapping()) == "catalog-optimizers"
    assert upkeep_by(JobArgs(VALIDATE, PLACES, "local-1").as_mapping()) == "jobs"  # a local run keeps its own tables


def test_an_unknown_table_keeper_is_named_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"--table_upkeep 'glue': use one of jobs, catalog-optimizers"):
        upkeep_by({"table_upkeep": "glue"})


def test_a_job_reads_its_arguments_typed_with_the_defaults_of_a_run_given_none() -> None:
    given = JobArgs(VALIDATE, PLACES, "r-9", full_refresh=True, options={"history_days": "3"}).as_mapping()
    assert (run_id_of(given), is_full_refresh(given), history_days_of(given), snapshot_retention_days_of(given)) == (
        "r-9",
        True,
        3,
        7,
    )
    plain = JobArgs(STAGE, PLACES, "r-10").as_mapping()
    assert (is_full_refresh(plain), history_days_of(plain)) == (False, 90)
    assert is_full_refresh({}) is False  # a mapping a test builds by hand may leave it out


def test_a_backfill_travels_as_two_days_and_is_read_back() -> None:
    from datetime import date

    from sparkify.job_args import backfill_days

    args = JobArgs(STAGE, PLACES, "r", backfill=(date(2018, 11, 1), date(2018, 11, 3))).as_mapping()
    assert (args["backfill_from"], args["backfill_to"]) == ("2018-11-01", "2018-11-03")
    assert backfill_days(args) == (date(2018, 11, 1), date(2018, 11, 3))
    assert backfill_days({}) is None
    with pytest.raises(ValueError, match=r"--from 2018-11-05 is after --to 2018-11-03: give the earlier day first"):
        backfill_days({"backfill_from": "2018-11-05", "backfill_to": "2018-11-03"})
    with pytest.raises(ValueError, match=r"--to 'Nov 3' is not a date: give it as YYYY-MM-DD"):
        backfill_days({"backfill_from": "2018-11-01", "backfill_to": "Nov 3"})

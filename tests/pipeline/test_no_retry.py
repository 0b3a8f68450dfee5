"""An input error ends the Glue job run without a retry: the job records its metrics and stops its own run
(BatchStopJobRun), which Glue does not retry; any other error fails the run as before, for Glue to retry.

`run_step` runs on the shared local SparkSession (its metrics are written with Spark's file API, as on
Glue). `stop_own_run` calls the real AWS SDK: moto 5 has no BatchStopJobRun, so botocore's Stubber answers
the one call, with the request checked field by field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

from sparkify import pipeline
from sparkify.job_args import JobArgs
from sparkify.lake import no_retry
from sparkify.lake.glue_entry import StepFailed, run_step
from sparkify.lake.io import InputError, RawInputError
from sparkify.lake.spark_conf import glue_catalog_conf, missing_catalog_conf


def _args(tmp_path: Path) -> JobArgs:
    """A stage run's arguments whose reports go to `tmp_path`; its other places are never read here."""
    places = {place: f"s3://{place.value}" for place in pipeline.step("stage").locations}
    places[pipeline.Location.REPORTS] = (tmp_path / "reports").as_uri()
    return JobArgs(pipeline.step("stage"), places, "wr_7")


def _metrics(tmp_path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((tmp_path / "reports" / "runs" / "wr_7" / "stage.json").read_text())
    return result


def test_an_input_error_records_the_step_and_stops_the_run_instead_of_failing_it(spark, tmp_path: Path) -> None:
    stops: list[str] = []

    def no_raw_files(spark: Any, args: Any) -> dict[str, Any]:
        raise RawInputError("no raw songs at s3://raw/song_data: put the song_data/ files there first")

    with pytest.raises(RawInputError):  # only if Glue did not stop the run (then it fails, as before)
        run_step(spark, _args(tmp_path), "stage", no_raw_files, stop_run=stops.append)

    assert stops == ["no raw songs at s3://raw/song_data: put the song_data/ files there first"]
    metrics = _metrics(tmp_path)
    assert (metrics["status"], metrics["retried"]) == ("failed", False)
    assert metrics["error"] == (
        "RawInputError: no raw songs at s3://raw/song_data: put the song_data/ files there first"
    )


def test_other_errors_fail_the_run_for_glue_to_retry(spark, tmp_path: Path) -> None:
    stops: list[str] = []

    def flaky(spark: Any, args: Any) -> dict[str, Any]:
        raise ConnectionResetError("S3 reset the connection")

    with pytest.raises(ConnectionResetError):
        run_step(spark, _args(tmp_path), "stage", flaky, stop_run=stops.append)
    assert stops == []


def test_a_failed_suite_still_fails_the_run_with_its_metrics(spark, tmp_path: Path) -> None:
    stops: list[str] = []

    def bad_data(spark: Any, args: Any) -> dict[str, Any]:
        raise StepFailed("data quality failed: songplays", {"status": "failed", "suites": {"songplays": False}})

    with pytest.raises(StepFailed):
        run_step(spark, _args(tmp_path), "stage", bad_data, stop_run=stops.append)
    assert stops == []
    assert _metrics(tmp_path)["suites"] == {"songplays": False}


@pytest.fixture
def glue() -> Any:
    return boto3.client("glue", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")


def test_stopping_its_own_run_asks_glue_then_waits_to_be_ended(glue: Any) -> None:
    slept: list[float] = []
    with Stubber(glue) as stub:
        stub.add_response(
            "batch_stop_job_run",
            {"SuccessfulSubmissions": [{"JobName": "sparkify-prod-stage", "JobRunId": "jr_1"}], "Errors": []},
            {"JobName": "sparkify-prod-stage", "JobRunIds": ["jr_1"]},
        )
        no_retry.stop_own_run(glue, "sparkify-prod-stage", "jr_1", "no raw songs", sleep=slept.append)
        stub.assert_no_pending_responses()
    assert slept == [300.0]  # Glue ends the process well before; past that the run fails instead


def test_a_refused_stop_returns_at_once_so_the_run_fails(glue: Any) -> None:
    slept: list[float] = []
    refused = {
        "SuccessfulSubmissions": [],
        "Errors": [
            {
                "JobName": "sparkify-prod-stage",
                "JobRunId": "jr_1",
                "ErrorDetail": {"ErrorCode": "AccessDeniedException", "ErrorMessage": "not allowed"},
            }
        ],
    }
    with Stubber(glue) as stub:
        stub.add_response("batch_stop_job_run", refused)
        no_retry.stop_own_run(glue, "sparkify-prod-stage", "jr_1", "no raw songs", sleep=slept.append)
    assert slept == []


def test_a_run_level_conf_that_dropped_the_iceberg_catalog_is_an_input_error() -> None:
    job_conf = glue_catalog_conf("s3://curated/curated/")
    assert missing_catalog_conf(job_conf) is None
    # `aws glue start-job-run --arguments '{"--conf": "spark.sql.shuffle.partitions=8"}'` replaces the job's.
    problem = missing_catalog_conf({"spark.sql.shuffle.partitions": "8"})
    assert problem is not None
    assert problem.startswith(
        "the Spark session has no spark.sql.catalog.glue_catalog, spark.sql.catalog.glue_catalog.catalog-impl, "
        "spark.sql.catalog.glue_catalog.io-impl, spark.sql.catalog.glue_catalog.warehouse, "
        "spark.sql.catalog.glue_catalog.cache-enabled: this run's --conf replaced the job's"
    )
    assert issubclass(RawInputError, InputError)

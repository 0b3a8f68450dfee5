"""The `validate` Glue job end to end on a tiny lake in tmp_path: metrics when the data is good, StepFailed
(carrying the same metrics) when it is not, Data Docs locally or uploaded to S3."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sparkify import pipeline, schemas
from sparkify.io import join_uri, save_table
from sparkify.runner import lake_locations, load_job
from sparkify.runtime import StepFailed
from tests.test_quality import MONDAY, SUNDAY, curated_frames, curated_rows


def staging_event(page: str, start_time: dt.datetime) -> tuple[Any, ...]:
    values = {"ts": int(start_time.replace(tzinfo=dt.timezone.utc).timestamp() * 1000), "start_time": start_time,
              "user_id": 8, "page": page, "source_file": "log_data/2018/11/2018-11-04-events.json"}
    return tuple(values.get(name) for name in schemas.STAGING_EVENTS.fieldNames())


@pytest.fixture(scope="module")
def validate_job():
    return load_job(pipeline.step("validate"))  # exactly as the local runner imports it


def write_lake(spark, lake, next_song_events: int) -> dict[str, str]:
    """The curated tables of `curated_rows()` (3 songplays) and staging events with `next_song_events` plays."""
    locations = lake_locations(lake / "raw", lake)
    args = {loc.value: value for loc, value in locations.items()} | {"run_id": "run-1"}
    for table in pipeline.CURATED_TABLES:
        frame = curated_frames(spark, {table.name: curated_rows()[table.name]})[table.name]
        save_table(spark, frame, join_uri(args["curated_uri"], table.name), table.partition_by)
    events = [staging_event("Home", SUNDAY)] + [staging_event("NextSong", MONDAY)] * next_song_events
    spark.createDataFrame(events, schemas.STAGING_EVENTS).write.parquet(join_uri(args["staging_uri"], "events"))
    return args


def test_good_lake_returns_metrics_and_uploads_data_docs_to_s3(spark, validate_job, tmp_path, monkeypatch):
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    args = write_lake(spark, tmp_path, next_song_events=3)
    with mock_aws():
        import boto3

        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="docs-bucket")
        metrics = validate_job.run(spark, args | {"data_docs_uri": "s3://docs-bucket/data_docs"})
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="docs-bucket")["Contents"]}

    assert metrics["status"] == "succeeded"
    assert metrics["data_docs_index"] == "s3://docs-bucket/data_docs/latest/index.html"
    assert metrics["parameters"] == {"staging_next_song_events": 3}
    assert sorted(metrics["suites"]) == sorted(t.name for t in pipeline.CURATED_TABLES)
    for name, suite in metrics["suites"].items():
        assert suite["success"] is True and suite["failed"] == 0 and suite["failed_expectations"] == [], name
        assert suite["evaluated"] > 5, name
    assert {"data_docs/latest/index.html", "data_docs/runs/run-1/index.html"} <= keys
    assert any(k.startswith("data_docs/latest/validations/songplays/run-1/") for k in keys)


def test_bad_lake_raises_step_failed_with_the_metrics(spark, validate_job, tmp_path):
    args = write_lake(spark, tmp_path, next_song_events=4)  # one play lost between staging and the fact

    with pytest.raises(StepFailed) as failure:
        validate_job.run(spark, args)

    metrics = failure.value.metrics
    assert metrics["status"] == "failed"
    assert metrics["data_docs_index"] == str(tmp_path / "data_docs" / "index.html")
    assert (tmp_path / "data_docs" / "index.html").is_file(), "Data Docs are built for a failing run too"
    songplays = metrics["suites"]["songplays"]
    assert songplays["success"] is False
    assert songplays["failed_expectations"] == [
        {"type": "expect_table_row_count_to_equal", "column": None, "details": "observed 3, expected 4"}
    ]
    assert all(s["success"] for name, s in metrics["suites"].items() if name != "songplays")
    assert "songplays" in str(failure.value) and "expect_table_row_count_to_equal" in str(failure.value)

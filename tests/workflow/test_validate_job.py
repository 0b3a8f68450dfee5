"""The `validate` Glue job end to end on a tiny lake in tmp_path: metrics when the data is good, StepFailed
(carrying the same metrics) when it is not, Data Docs locally or uploaded to S3."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import replace

import pytest

from sparkify import pipeline, schemas
from sparkify.lake import tables
from sparkify.lake.glue_entry import StepFailed
from sparkify.lake.io import write_text
from sparkify.local.runner import load_job
from sparkify.pipeline import Location
from tests.star_rows import curated_table, write_lake


@pytest.fixture(scope="module")
def validate_job():
    return load_job(pipeline.step("validate"))  # exactly as the local runner imports it


def test_good_lake_returns_metrics_and_uploads_data_docs_to_s3(spark, validate_job, tmp_path, monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    args = write_lake(spark, tmp_path, next_song_events=3)
    # Earlier runs' step metrics, as their Glue jobs wrote them: one from yesterday, one beyond the history.
    yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat(timespec="seconds")
    for run_id, started_at in (("run-0", yesterday), ("run-old", "2020-01-01T00:00:00+00:00")):
        folder = tmp_path / "reports" / "runs" / run_id
        folder.mkdir(parents=True)
        (folder / "stage.json").write_text(
            json.dumps(
                {
                    "status": "succeeded",
                    "step_started_at": started_at,
                    "step_seconds": 61.0,
                    "sources": {"events": {"read": 9, "staged": 7, "quarantined": 2}},
                }
            )
        )
        (folder / "validate.json").write_text(json.dumps({
            "status": "failed", "step_started_at": started_at, "step_seconds": 20.0,
            "suites": {"songs": {"success": False}}, "data_docs_index": "s3://docs-bucket/data_docs/latest/index.html",
        }))  # fmt: skip
    with mock_aws():
        import boto3

        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="docs-bucket")
        metrics = validate_job.run(
            spark,
            replace(
                args,
                places={**args.places, Location.DATA_DOCS: "s3://docs-bucket/data_docs"},
                options={"history_days": "3"},
            ),
        )
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="docs-bucket")["Contents"]}
        index = s3.get_object(Bucket="docs-bucket", Key="data_docs/index.html")["Body"].read().decode()
        charts = s3.get_object(Bucket="docs-bucket", Key="data_docs/charts.html")["Body"].read().decode()

    assert metrics["status"] == "succeeded"
    assert metrics["data_docs_index"] == "s3://docs-bucket/data_docs/latest/index.html"
    assert sorted(metrics["parameters"]) == ["latest_start_time", "staging_next_song_events"]
    assert metrics["parameters"]["staging_next_song_events"] == 3
    # No run date given: the run's clock is now, and a play may start up to a day later.
    ahead = dt.datetime.fromisoformat(metrics["parameters"]["latest_start_time"]) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=23) < ahead <= dt.timedelta(days=1)
    assert sorted(metrics["suites"]) == sorted(t.name for t in pipeline.CURATED_TABLES)
    for name, suite in metrics["suites"].items():
        assert suite["success"] is True and suite["failed"] == 0 and suite["failed_expectations"] == [], name
        assert suite["evaluated"] > 5, name
    assert {"data_docs/latest/index.html", "data_docs/runs/run-1/index.html"} <= keys
    # The site's own pages sit at the docs location's root, with the chart library they load.
    assert metrics["data_docs_site"] == "s3://docs-bucket/data_docs/index.html"
    assert {
        "data_docs/index.html",
        "data_docs/lineage.html",
        "data_docs/charts.html",
        "data_docs/tables/index.html",
        "data_docs/tables/songplays.html",
        "data_docs/static/vendor/vega/vega-embed.min.js",
    } <= keys
    assert "(2 runs)" in index and "run-old" not in index, "kept: this run and yesterday's, within 3 days"
    assert index.index("run-1") < index.index("run-0"), "newest first"
    assert '<a href="runs/run-1/index.html">run-1</a>' in index
    assert '<span class="failed">failed</span>' in index and "0 of 1 passed (failed: songs)" in index
    assert "<td class=num>1 min 21 s</td>" in index  # run-0: stage 61.0 s + validate 20.0 s
    assert '"run_id": "run-0", "source": "events"' in charts.replace('"records": 2, ', "")
    assert any(k.startswith("data_docs/latest/validations/songplays/run-1/") for k in keys)


def test_bad_lake_raises_step_failed_with_the_metrics(spark, validate_job, tmp_path):
    args = write_lake(spark, tmp_path, next_song_events=4)  # one play lost between staging and the fact

    with pytest.raises(StepFailed) as failure:
        validate_job.run(spark, args)

    metrics = failure.value.metrics
    assert metrics["status"] == "failed"
    assert metrics["data_docs_index"] == str(tmp_path / "data_docs" / "runs" / "run-1" / "index.html")
    assert (tmp_path / "data_docs" / "runs" / "run-1" / "index.html").is_file(), (
        "Data Docs are built for a failing run too"
    )
    songplays = metrics["suites"]["songplays"]
    assert songplays["success"] is False
    assert songplays["failed_expectations"] == [
        {"type": "expect_table_row_count_to_equal", "column": None, "details": "observed 3, expected 4"}
    ]
    assert all(s["success"] for name, s in metrics["suites"].items() if name != "songplays")
    assert "songplays" in str(failure.value) and "expect_table_row_count_to_equal" in str(failure.value)
    # Nothing is published; the rejected rows stay readable on the audit branch.
    assert metrics["published"] == {}
    for table in pipeline.CURATED_TABLES:
        assert tables.snapshot_id(spark, curated_table(args, table.name)) is None, table.name
    assert tables.read(spark, curated_table(args, "songplays"), tables.AUDIT).count() == 3


def test_a_passing_audit_publishes_every_table_at_its_branch_snapshot(spark, validate_job, tmp_path):
    args = write_lake(spark, tmp_path, next_song_events=3)
    audit = {
        t.name: tables.snapshot_id(spark, curated_table(args, t.name), tables.AUDIT) for t in pipeline.CURATED_TABLES
    }

    metrics = validate_job.run(spark, args)

    assert metrics["published"] == audit
    for table in pipeline.CURATED_TABLES:
        assert tables.snapshot_id(spark, curated_table(args, table.name)) == audit[table.name], table.name
    assert tables.read(spark, curated_table(args, "songplays")).count() == 3
    # Judged and published: a second validation has nothing to audit.
    again = validate_job.run(spark, args)
    assert (again["audited"], again["published"]) == ([], {})


def test_only_suites_whose_tables_changed_are_judged_again(spark, validate_job, tmp_path):
    args = write_lake(spark, tmp_path, next_song_events=3)
    published = validate_job.run(spark, args)["published"]
    # One artist's location is corrected on the branch: only `artists` differs from what is published.
    artists = curated_table(args, "artists")
    fixed = (
        tables.read(spark, artists, tables.AUDIT)
        .filter("name = 'Casual'")
        .selectExpr("artist_id", "name", "'Los Angeles, CA' AS location", "latitude", "longitude")
    )
    tables.merge(spark, fixed, artists, tables.AUDIT, ("artist_id",))

    metrics = validate_job.run(spark, args)

    assert metrics["audited"] == ["artists"]
    # artists, and the two suites whose rules join to it (songplays' and songs' foreign keys), run again.
    assert {name for name, s in metrics["suites"].items() if s["evaluated"] > 0} == {"artists", "songplays", "songs"}
    for name in ("users", "users_history", "time"):
        assert metrics["suites"][name] == {
            "success": True,
            "evaluated": 0,
            "failed": 0,
            "failed_expectations": [],
            "unchanged_since_snapshot": published[name],
        }, name
    assert tables.read(spark, artists).filter("name = 'Casual'").first()["location"] == "Los Angeles, CA"


def test_upkeep_runs_when_due_and_orphan_files_are_swept_once_per_their_age(spark, validate_job, tmp_path):
    args = write_lake(spark, tmp_path, next_song_events=3)
    first = validate_job.run(spark, args)["upkeep"]
    # One commit each and nothing old: no compaction, no expiry, and no sweep before the clock runs out.
    assert first["curated.songplays"] == {
        "files_compacted": 0,
        "manifests_rewritten": 0,
        "data_files_expired": 0,
        "orphan_files_removed": 0,
    }
    state = tmp_path / "curated" / "_state" / "upkeep.json"
    assert {f"curated.{t.name}" for t in pipeline.CURATED_TABLES} <= set(json.loads(state.read_text()))
    artists = curated_table(args, "artists")
    for n in range(5):  # five appends: the table now holds six small files
        new = spark.createDataFrame([(f"ARNEW{n:013d}", f"New {n}", None, None, None)], schemas.ARTISTS)
        new.writeTo(tables.on_branch(artists, tables.AUDIT)).append()

    swept = {key: table["swept_at"] for key, table in json.loads(state.read_text()).items()}

    second = validate_job.run(spark, args)["upkeep"]

    assert set(second) == {"curated.artists"}, "upkeep runs only where main moved since the last upkeep"
    assert second["curated.artists"]["files_compacted"] == 6
    assert second["curated.artists"]["orphan_files_removed"] == 0
    assert tables.read(spark, artists).count() == 7
    # Swept less than `orphan_age_days` ago: not swept again, so the state keeps the first sweep's times.
    assert {key: table["swept_at"] for key, table in json.loads(state.read_text()).items()} == swept


def test_when_the_catalog_keeps_the_tables_validate_maintains_nothing_and_measures_health(
    spark, validate_job, tmp_path
):
    args = replace(write_lake(spark, tmp_path, next_song_events=3), options={"table_upkeep": "catalog-optimizers"})
    validate_job.run(spark, args)
    artists = curated_table(args, "artists")
    for n in range(5):  # five appends: six small files, which our upkeep would compact
        new = spark.createDataFrame([(f"ARNEW{n:013d}", f"New {n}", None, None, None)], schemas.ARTISTS)
        new.writeTo(tables.on_branch(artists, tables.AUDIT)).append()

    second = validate_job.run(spark, args)

    assert second["upkeep"] == {}, "the catalog's optimizers keep the tables, not the validate job"
    assert second["lake"]["curated.artists"]["data_files"] == 6
    assert tables.read(spark, artists).count() == 7


def test_a_first_publish_starts_the_orphan_clock_and_the_sweep_due_after_it_takes_a_crash_leftover(
    spark, validate_job, tmp_path
):
    args = write_lake(spark, tmp_path, next_song_events=3)
    # A data file no snapshot references, left by a run that crashed four days ago.
    leftover = tmp_path / "curated" / "artists" / "data" / "00000-crashed.parquet"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"PAR1 written by a run that never committed")
    four_days_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=4)).timestamp()
    os.utime(leftover, (four_days_ago, four_days_ago))

    first = validate_job.run(spark, args)["upkeep"]

    # No sweep at a first publish: the only files it could take are older than `orphan_age_days`,
    # and the sweep due that long after takes them as well.
    assert first["curated.artists"]["orphan_files_removed"] == 0
    assert leftover.exists()
    state = tmp_path / "curated" / "_state" / "upkeep.json"
    started = json.loads(state.read_text())
    assert {f"curated.{t.name}" for t in pipeline.CURATED_TABLES} <= set(started)

    # `orphan_age_days` (3) later, the sweep is due, and a new commit gives validate work to do.
    earlier = {
        key: {
            **table,
            "swept_at": (dt.datetime.fromisoformat(table["swept_at"]) - dt.timedelta(days=3, minutes=1)).isoformat(),
        }
        for key, table in started.items()
    }
    write_text(spark, state.as_uri(), json.dumps(earlier))
    artists = curated_table(args, "artists")
    new = spark.createDataFrame([("ARNEW0000000000001", "New", None, None, None)], schemas.ARTISTS)
    new.writeTo(tables.on_branch(artists, tables.AUDIT)).append()

    second = validate_job.run(spark, args)["upkeep"]

    assert second["curated.artists"]["orphan_files_removed"] == 1
    assert not leftover.exists()
    assert tables.read(spark, artists).count() == 3  # the two of `curated_rows()` and the new one


def test_a_run_dated_ahead_of_the_clock_sweeps_only_files_old_on_the_clock(spark, validate_job, tmp_path):
    """Files are written on the wall clock, so orphan age is measured on it: a run date days ahead of
    now (a clock set wrong, a test of months of runs) must neither fail nor take a file a running job
    may still commit."""
    args = write_lake(spark, tmp_path, next_song_events=3)
    first_day = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    validate_job.run(spark, replace(args, run_date=first_day))
    # Written an hour ago by a job that has not committed yet, and one a crash left four days ago.
    in_flight = tmp_path / "curated" / "artists" / "data" / "00000-in-flight.parquet"
    crashed = tmp_path / "curated" / "artists" / "data" / "00000-crashed.parquet"
    for path, age in ((in_flight, dt.timedelta(hours=1)), (crashed, dt.timedelta(days=4))):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"PAR1 not committed")
        moment = (dt.datetime.now(dt.UTC) - age).timestamp()
        os.utime(path, (moment, moment))
    artists = curated_table(args, "artists")
    new = spark.createDataFrame([("ARNEW0000000000001", "New", None, None, None)], schemas.ARTISTS)
    new.writeTo(tables.on_branch(artists, tables.AUDIT)).append()

    # Six days later on the run's clock the sweep is due; on the wall clock the in-flight file is an hour old.
    later = validate_job.run(spark, replace(args, run_date=first_day + dt.timedelta(days=6)))

    assert later["status"] == "succeeded"
    assert later["upkeep"]["curated.artists"]["orphan_files_removed"] == 1
    assert in_flight.exists() and not crashed.exists()

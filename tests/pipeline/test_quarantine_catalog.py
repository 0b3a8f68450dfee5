"""The quarantine in Athena: the stage job registers each batch's folder as a partition of the Glue
table `quarantine_<source>` (AWS SDK against moto), forgets the partitions whose files the bucket's
lifecycle has expired, and the saved queries read what it wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sparkify import pipeline
from sparkify.job_args import JobArgs
from sparkify.lake import quarantine_catalog
from sparkify.local.runner import lake_locations, load_job
from sparkify.local.session import register_local_catalog
from sparkify.pipeline import HISTORY_DAYS, QUARANTINE_DATABASE
from tests.helpers import event, song, write_log, write_song

DATABASE = "sparkify_test_staging"


@pytest.fixture()
def aws(monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        import boto3

        glue = boto3.client("glue")
        glue.create_database(DatabaseInput={"Name": DATABASE})
        for source in pipeline.SOURCES:
            # As the Pulumi program defines them (infra/catalog.py).
            glue.create_table(
                DatabaseName=DATABASE,
                TableInput={
                    "Name": quarantine_catalog.table_name(source),
                    "TableType": "EXTERNAL_TABLE",
                    "PartitionKeys": [{"Name": "batch_id", "Type": "bigint"}],
                    "StorageDescriptor": {
                        "Location": f"s3://lake/quarantine/{source}/",
                        "Columns": [{"Name": n, "Type": t} for n, t in quarantine_catalog.columns()],
                        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                        "SerdeInfo": {
                            "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                        },
                    },
                },
            )
        yield glue


def partitions(glue, source: str) -> dict[str, str]:
    found = glue.get_partitions(DatabaseName=DATABASE, TableName=quarantine_catalog.table_name(source))["Partitions"]
    return {p["Values"][0]: p["StorageDescriptor"]["Location"] for p in found}


def test_the_columns_are_the_quarantine_files_columns() -> None:
    assert quarantine_catalog.columns() == [
        ("source", "string"),
        ("source_file", "string"),
        ("line", "int"),
        ("record", "string"),
        ("reason", "string"),
    ]


def test_registering_a_batch_twice_adds_one_partition(aws) -> None:
    location = quarantine_catalog.partition_location("s3://lake/quarantine/", "events", 7)
    assert location == "s3://lake/quarantine/events/batch_id=7/"
    assert quarantine_catalog.register_batch(DATABASE, "events", 7, location, aws) is True
    assert quarantine_catalog.register_batch(DATABASE, "events", 7, location, aws) is False
    assert partitions(aws, "events") == {"7": location}
    stored = aws.get_partition(DatabaseName=DATABASE, TableName="quarantine_events", PartitionValues=["7"])["Partition"]
    assert [c["Name"] for c in stored["StorageDescriptor"]["Columns"]] == [
        "source",
        "source_file",
        "line",
        "record",
        "reason",
    ]


def register_days_ago(glue, source: str, batch_id: int, days: int) -> None:
    """A partition registered `days` ago (moto stamps CreationTime with its clock; Glue with its own)."""
    from moto.glue import models

    with pytest.MonkeyPatch.context() as clock:
        clock.setattr(models, "utcnow", lambda: datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days))
        location = quarantine_catalog.partition_location("s3://lake/quarantine/", source, batch_id)
        quarantine_catalog.register_batch(DATABASE, source, batch_id, location, glue)


def test_partitions_older_than_the_kept_history_are_forgotten(aws) -> None:
    # The bucket's lifecycle expires quarantine/ objects after sparkify:historyExpirationDays (30 here):
    # a partition registered before that points at a folder that is gone.
    for batch_id, days in ((3, 40), (9, 10), (12, 0)):
        register_days_ago(aws, "events", batch_id, days)
    register_days_ago(aws, "songs", 3, 40)

    assert quarantine_catalog.forget_expired(DATABASE, "events", 30, aws) == ["3"]
    assert sorted(partitions(aws, "events")) == ["12", "9"]
    assert sorted(partitions(aws, "songs")) == ["3"], "one table at a time"
    assert quarantine_catalog.forget_expired(DATABASE, "events", 30, aws) == []


def test_more_expired_partitions_than_one_call_deletes(aws) -> None:
    for batch_id in range(30):  # BatchDeletePartition takes at most 25
        register_days_ago(aws, "events", batch_id, 100)
    assert len(quarantine_catalog.forget_expired(DATABASE, "events", 90, aws)) == 30
    assert partitions(aws, "events") == {}


@pytest.mark.slow  # the stage job over a tiny raw folder
def test_the_stage_job_registers_the_batches_that_quarantined_records(spark, aws, tmp_path: Path) -> None:
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    register_local_catalog(spark, lake)
    write_song(raw, "TRAAAAW128F429D538", song())
    write_log(raw, "2018-11-01", [event(), "{not json"])
    options = {QUARANTINE_DATABASE: DATABASE, HISTORY_DAYS: "30"}
    args = JobArgs(pipeline.step("stage"), lake_locations(raw, lake), "t", options=options)
    register_days_ago(aws, "songs", 999, 31)  # its folder expired yesterday

    first = load_job(pipeline.step("stage")).run(spark, args)

    batch = first["batch_id"]
    assert first["sources"]["events"]["quarantined"] == 1 and first["sources"]["songs"]["quarantined"] == 0
    assert partitions(aws, "events") == {str(batch): f"{lake / 'quarantine'}/events/batch_id={batch}/"}
    assert partitions(aws, "songs") == {}, "nothing quarantined adds no partition, and the expired one is gone"
    written = lake / "quarantine" / "events" / f"batch_id={batch}"
    assert list(written.glob("*.parquet")), "the partition's folder holds the batch's records"


@pytest.mark.slow  # the stage job over a tiny raw folder
def test_the_saved_quarantine_queries_read_the_stage_jobs_files(spark, tmp_path: Path) -> None:
    import duckdb

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    register_local_catalog(spark, lake)
    write_song(raw, "TRAAAAW128F429D538", "[1, 2]")
    write_log(raw, "2018-11-01", [event(), "{not json", event(ts="soon")])
    args = JobArgs(pipeline.step("stage"), lake_locations(raw, lake), "t")
    load_job(pipeline.step("stage")).run(spark, args)

    db = duckdb.connect()
    for source in pipeline.SOURCES:  # what Athena reads: the table's folder, partitioned by batch_id=
        db.execute(
            f"CREATE VIEW {quarantine_catalog.table_name(source)} AS SELECT * FROM read_parquet("
            f"'{lake}/quarantine/{source}/*/*.parquet', hive_partitioning = true)"
        )
    recent = db.execute(quarantine_catalog.QUERIES["quarantine_recent"]).fetchall()
    by_batch = db.execute(quarantine_catalog.QUERIES["quarantine_by_batch"]).fetchall()

    assert [(r[1], Path(r[3]).name, r[4]) for r in recent] == [
        ("events", "2018-11-01-events.json", 2),
        ("events", "2018-11-01-events.json", 3),
        ("songs", "TRAAAAW128F429D538.json", 1),
    ]
    assert all(r[2] for r in recent), "every record says why"
    assert by_batch == [(0, "events", 2, 1), (0, "songs", 1, 1)]
    assert set(quarantine_catalog.QUERIES) == set(quarantine_catalog.DESCRIPTIONS)

"""The quarantine in Athena: one Glue table per source, `quarantine_<source>` in the staging database.

The stage job writes each batch's rejected records as Parquet under `<quarantine>/<source>/batch_id=N/`
(a plain folder, so `sparkify quarantine` reads it with DuckDB and the bucket's lifecycle rule expires
it). The Pulumi program defines the two tables (Parquet, partitioned by `batch_id`); after writing a
batch, the stage job registers its folder as the table's partition. Registering is idempotent: a
replayed batch finds its partition there already. Partition projection would spare the registration,
but a query without a `batch_id` filter would then list every projected batch folder.

The bucket's lifecycle expires a batch's files after `sparkify:historyExpirationDays`; every stage run
then forgets the partitions registered longer ago than that (`forget_expired`), so the catalog does not
keep a partition per batch forever, each pointing at a folder that is gone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sparkify import schemas
from sparkify.layout import BATCH_COLUMN, batch_partition

PARTITION_KEY = (BATCH_COLUMN, "bigint")

# Spark SQL type names → Hive's, for the Glue table's columns.
_HIVE_TYPES = {"string": "string", "int": "int", "bigint": "bigint"}


def table_name(source: str) -> str:
    return f"quarantine_{source}"


def columns() -> list[tuple[str, str]]:
    """The Parquet files' columns as (name, Hive type): the quarantine schema, without the partition key."""
    return [(f.name, _HIVE_TYPES[f.dataType.simpleString()]) for f in schemas.QUARANTINE.fields]


def partition_location(quarantine_uri: str, source: str, batch_id: int) -> str:
    return f"{quarantine_uri.rstrip('/')}/{source}/{batch_partition(batch_id)}/"


def register_batch(database: str, source: str, batch_id: int, location: str, glue: Any = None) -> bool:
    """Make `location` the partition `batch_id` of `quarantine_<source>`; False when it was there already."""
    if glue is None:
        import boto3  # type: ignore[import-untyped]

        glue = boto3.client("glue")
    table = glue.get_table(DatabaseName=database, Name=table_name(source))["Table"]
    storage = {**table["StorageDescriptor"], "Location": location}
    try:
        glue.create_partition(
            DatabaseName=database,
            TableName=table_name(source),
            PartitionInput={"Values": [str(batch_id)], "StorageDescriptor": storage},
        )
    except glue.exceptions.AlreadyExistsException:
        return False
    return True


# BatchDeletePartition takes at most 25 partitions a call.
# https://docs.aws.amazon.com/glue/latest/webapi/API_BatchDeletePartition.html
DELETE_BATCH = 25


def forget_expired(database: str, source: str, days: int, glue: Any = None, now: datetime | None = None) -> list[str]:
    """Drop the partitions of `quarantine_<source>` registered more than `days` ago, whose files the
    lifecycle rule has expired by now (it counts from when they were written, just before the
    registration). Returns the batch ids forgotten."""
    if glue is None:
        import boto3

        glue = boto3.client("glue")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table_name(source))
    expired = [p["Values"] for page in pages for p in page["Partitions"] if p["CreationTime"] < cutoff]
    for start in range(0, len(expired), DELETE_BATCH):
        glue.batch_delete_partition(
            DatabaseName=database,
            TableName=table_name(source),
            PartitionsToDelete=[{"Values": values} for values in expired[start : start + DELETE_BATCH]],
        )
    return [values[0] for values in expired]


_BOTH_SOURCES = """(
    SELECT batch_id, source, reason, source_file, line, record FROM quarantine_events
    UNION ALL
    SELECT batch_id, source, reason, source_file, line, record FROM quarantine_songs
) AS q"""

# Saved in the stack's Athena workgroup against the staging database (infra/athena.py).
QUERIES: dict[str, str] = {
    "quarantine_recent": f"""
SELECT q.batch_id, q.source, q.reason, q.source_file, q.line, q.record
FROM {_BOTH_SOURCES}
ORDER BY q.batch_id DESC, q.source, q.source_file, q.line
LIMIT 200
""".strip(),
    "quarantine_by_batch": f"""
SELECT q.batch_id, q.source, COUNT(*) AS records, COUNT(DISTINCT q.source_file) AS files
FROM {_BOTH_SOURCES}
GROUP BY q.batch_id, q.source
ORDER BY q.batch_id DESC, q.source
LIMIT 100
""".strip(),
}

DESCRIPTIONS: dict[str, str] = {
    "quarantine_recent": "The latest rejected raw records: batch, source, reason, file, line and the raw text (200).",
    "quarantine_by_batch": "Rejected records and the files they came from, per stage batch and source.",
}

"""Glue job `stage`: new raw song and log files → typed staging Iceberg tables; bad records → quarantine.

Incremental: Spark's file stream source with `availableNow` and a checkpoint (under
`<staging_uri>/_checkpoints/`) hands each raw file to exactly one run, the same on Glue and locally.
Each micro-batch replaces its own `batch_id` partition of `<staging_namespace>.<source>` in one Iceberg
commit, so a batch replayed after a crash replaces its own output instead of duplicating it.
`full_refresh=true` drops the staging tables, forgets the checkpoints and stages every raw file again.

Runs unchanged on AWS Glue 5.1 (`glue_main`) and locally (`sparkify run` calls `run`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkify import schemas, tables
from sparkify.io import RawInputError, delete, join_uri, stream_raw_files
from sparkify.pipeline import SOURCES, Location, Namespace
from sparkify.runtime import glue_main
from sparkify.transforms import staging

STEP = "stage"
BATCH = "batch_id"
# Staging files of a batch hold about this many rows (tens of MB): few files, and a big batch is still
# written by more than one task.
ROWS_PER_FILE = 500_000

_TAG = {"songs": staging.tag_songs, "events": staging.tag_events}
_STAGE = {"songs": staging.staged_songs, "events": staging.staged_events}


def run(spark: SparkSession, args: Mapping[str, str]) -> dict[str, Any]:
    if args.get("full_refresh") == "true":
        for source in SOURCES:
            tables.drop(spark, staging_table(args, source))
        for location in (Location.STAGING, Location.QUARANTINE):
            delete(spark, args[location])
    return {"status": "succeeded", "sources": {source: ingest(spark, args, source) for source in SOURCES}}


def staging_table(args: Mapping[str, str], source: str) -> str:
    return tables.ident(args[Namespace.STAGING], source)


def ingest(spark: SparkSession, args: Mapping[str, str], source: str) -> dict[str, Any]:
    """Stage every raw file of `source` that no earlier run staged; return what this run read."""
    staged = staging_table(args, source)
    tables.ensure_table(
        spark, staged, schemas.with_batch(schemas.STAGING[source]), (BATCH,), join_uri(args[Location.STAGING], source)
    )
    ever_staged = tables.snapshot_id(spark, staged) is not None
    quarantine_uri = join_uri(args[Location.QUARANTINE], source)
    totals: dict[str, Any] = {
        "read": 0, "staged": 0, "quarantined": 0, "files": 0, "unknown_fields": {},
    }

    def stage_batch(files_df: DataFrame, batch_id: int) -> None:
        # Spark's file listing skips empty files: they hold no record to stage or quarantine.
        previous = spark.table(staged).filter(F.col(BATCH) != batch_id)
        records = staging.records(files_df.select("path", "content"), source)
        # Cached once, read by every action below; the raw files are read and parsed once.
        tagged = staging.drop_text_of_good(staging.tag_already_staged(_TAG[source](records), previous, source)).persist()
        counts = tagged.agg(F.count("*").alias("read"), F.count(staging.REASON).alias("quarantined")).first()
        assert counts is not None
        staged_rows = counts["read"] - counts["quarantined"]
        good = _STAGE[source](tagged).withColumn(BATCH, F.lit(batch_id).cast("long"))
        # Its own partition, replaced in one commit: replaying the batch rewrites exactly this output.
        good.coalesce(max(1, -(-staged_rows // ROWS_PER_FILE))).writeTo(staged).overwritePartitions()
        _write_batch(staging.quarantined(tagged, source), quarantine_uri, batch_id)
        for field, n in staging.unknown_fields(tagged).items():
            totals["unknown_fields"][field] = totals["unknown_fields"].get(field, 0) + n
        totals["read"] += counts["read"]
        totals["quarantined"] += counts["quarantined"]
        totals["staged"] += staged_rows
        totals["files"] += files_df.select("path").count()  # without `content`, binaryFile reads no bytes
        tagged.unpersist()

    query = (
        stream_raw_files(spark, args[Location.RAW], source)
        .writeStream.foreachBatch(stage_batch)
        .option("checkpointLocation", join_uri(args[Location.STAGING], "_checkpoints", source))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    if not ever_staged and totals["files"] == 0:
        raise RawInputError(
            f"no *.json files under {join_uri(args[Location.RAW], SOURCES[source])}: nothing to stage for "
            f"{source}; put the {SOURCES[source]}/ files there first"
        )
    return totals


def _write_batch(df: DataFrame, uri: str, batch_id: int, files: int = 1) -> None:
    # Its own partition, overwritten dynamically: replaying the batch rewrites exactly this output.
    df.withColumn(BATCH, F.lit(batch_id)).coalesce(max(1, files)).write.partitionBy(BATCH).mode("overwrite").option(
        "partitionOverwriteMode", "dynamic"
    ).parquet(uri)


if __name__ == "__main__":
    glue_main(STEP, run)

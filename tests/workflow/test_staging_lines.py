"""Staging keeps each row's raw line; a lake staged before lines were kept gets the column (its old rows
read null) and the next run stages new rows with their lines."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import types as T

from sparkify import pipeline, schemas
from sparkify.job_args import JobArgs
from sparkify.lake import tables
from sparkify.local.runner import lake_locations, lake_table, load_job
from sparkify.local.session import register_local_catalog
from sparkify.pipeline import Location
from tests.helpers import event, song, write_log, write_song


def test_a_staging_table_without_lines_gains_the_column_and_new_rows_carry_theirs(spark, tmp_path: Path) -> None:
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write_song(raw, "TRAAAAA128F4287B01", song())
    write_log(raw, "2018-11-01", [event(itemInSession=1), event(itemInSession=2, ts=1541106206796)])
    register_local_catalog(spark, lake.resolve())
    locations = lake_locations(raw.resolve(), lake.resolve())
    args = JobArgs(pipeline.step("stage"), locations, "r1")
    # The staging table as an earlier version made it: no `line`, and one row staged then.
    old_schema = T.StructType([f for f in schemas.with_batch(schemas.STAGING_EVENTS).fields if f.name != "line"])
    events = tables.ident(args[pipeline.Namespace.STAGING], "events")
    tables.ensure_table(spark, events, old_schema, ("batch_id",))
    staged_before = spark.createDataFrame([], old_schema).unionByName(
        spark.sql(
            "SELECT 1541000000000 AS ts, timestamp'2018-10-31 15:33:20' AS start_time, 8 AS user_id, "
            "'Home' AS page, 'log_data/old.json' AS source_file, 7L AS batch_id"
        ),
        allowMissingColumns=True,
    )
    staged_before.writeTo(events).append()

    load_job(pipeline.step("stage")).run(spark, args)  # type: ignore[union-attr]

    rows = lake_table(spark, lake, "events", layer=Location.STAGING).select("source_file", "line").collect()
    assert sorted((Path(r["source_file"]).name, r["line"]) for r in rows) == [
        ("2018-11-01-events.json", 1),
        ("2018-11-01-events.json", 2),
        ("old.json", None),
    ]
    songs = lake_table(spark, lake, "songs", layer=Location.STAGING).select("line").collect()
    assert [r["line"] for r in songs] == [1]

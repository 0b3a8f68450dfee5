"""Glue job `model`: staging Parquet → the star schema (songplays, users, users_history, songs, artists, time).

Runs unchanged on AWS Glue 5.1 (`glue_main`) and locally (`sparkify run` calls `run`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import SparkSession

from sparkify import schemas
from sparkify.io import join_uri, read_table, write_table
from sparkify.pipeline import CURATED_TABLES, Location
from sparkify.runtime import glue_main
from sparkify.transforms import star

STEP = "model"


def run(spark: SparkSession, args: Mapping[str, str]) -> dict[str, Any]:
    staging_uri = args[Location.STAGING]
    # Both are read by several tables: read the Parquet once.
    events = read_table(spark, join_uri(staging_uri, "events"), schemas.STAGING_EVENTS).cache()
    songs = read_table(spark, join_uri(staging_uri, "songs"), schemas.STAGING_SONGS).cache()
    songplays = star.songplays(events, songs).cache()
    tables = {
        "songplays": songplays,
        "users": star.users(events),
        "users_history": star.users_history(events),
        "songs": star.songs(songs),
        "artists": star.artists(songs),
        "time": star.time(songplays),
    }
    rows: dict[str, int] = {}
    for table in CURATED_TABLES:
        df = tables[table.name].select(*schemas.CURATED[table.name].fieldNames()).cache()
        write_table(df, join_uri(args[Location.CURATED], table.name), table.partition_by)
        rows[table.name] = df.count()
        df.unpersist()
    for df in (songplays, songs, events):
        df.unpersist()
    return {"status": "succeeded", "rows": rows}


if __name__ == "__main__":
    glue_main(STEP, run)

"""Glue job `model`: staging Parquet → the star schema (songplays, users, users_history, songs, artists, time).

Incremental and idempotent: the facts (songplays, time) are rewritten only for the months that the
staging batches new since the last model run touch (dynamic partition overwrite; every month when new
songs arrived, since a new song can match old plays). The dimensions are rebuilt from the whole staging
history and swapped in whole, so a later run that brings more level changes still gives the right
`users_history`. The last staging batches modelled are kept in `<curated_uri>/_state/model.json`, written
only after every table is in place: a crashed run is simply redone by the next one.

Runs unchanged on AWS Glue 5.1 (`glue_main`) and locally (`sparkify run` calls `run`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkify import schemas
from sparkify.io import (
    delete,
    exists,
    join_uri,
    read_table,
    read_text,
    recover_table,
    save_table,
    write_text,
)
from sparkify.pipeline import CURATED_TABLES, Location
from sparkify.runtime import glue_main
from sparkify.transforms import star

STEP = "model"
BATCH = "batch_id"
FACTS = ("songplays", "time")


def run(spark: SparkSession, args: Mapping[str, str]) -> dict[str, Any]:
    staging_uri, curated_uri = args[Location.STAGING], args[Location.CURATED]
    state_uri = join_uri(curated_uri, "_state", "model.json")
    if args.get("full_refresh") == "true":
        delete(spark, curated_uri)
    for table in CURATED_TABLES:
        if not table.partition_by:
            recover_table(spark, join_uri(curated_uri, table.name))

    # Not cached: each table reads only the Parquet columns it needs, which is faster than caching every
    # column of every staged event (4 s of a 24 s model step at 1M events).
    events = read_table(spark, join_uri(staging_uri, "events"))
    songs = read_table(spark, join_uri(staging_uri, "songs")).cache()
    done = json.loads(read_text(spark, state_uri) or "{}")
    latest = {"events": _max_batch(events), "songs": _max_batch(songs)}

    months = _months_to_rewrite(events, songs, done, curated_exists=exists(spark, join_uri(curated_uri, "songplays")))
    plays_input = events
    if months is not None:
        in_month = (F.year(events["start_time"]) == months["year"]) & (F.month(events["start_time"]) == months["month"])
        plays_input = events.join(F.broadcast(months), in_month, "left_semi")
    songplays = star.songplays(plays_input, songs).cache()
    tables: dict[str, DataFrame] = {
        "songplays": songplays,
        "time": star.time(songplays),
        "users": star.users(events),
        "users_history": star.users_history(events),
        "songs": star.songs(songs),
        "artists": star.artists(songs),
    }
    for table in CURATED_TABLES:
        df = tables[table.name].select(*schemas.CURATED[table.name].fieldNames())
        save_table(spark, df, join_uri(curated_uri, table.name), table.partition_by)
    rows = {t.name: read_table(spark, join_uri(curated_uri, t.name)).count() for t in CURATED_TABLES}
    rewritten = (
        "all" if months is None else sorted(f"{r['year']:04d}-{r['month']:02d}" for r in months.collect())
    )
    write_text(spark, state_uri, json.dumps(latest))
    for df in (songplays, songs):
        df.unpersist()
    return {"status": "succeeded", "rows": rows, "fact_months_rewritten": rewritten}


def _max_batch(df: DataFrame) -> int:
    row = df.agg(F.max(BATCH).alias("m")).first()
    return -1 if row is None or row["m"] is None else int(row["m"])


def _months_to_rewrite(
    events: DataFrame, songs: DataFrame, done: Mapping[str, int], curated_exists: bool
) -> DataFrame | None:
    """(year, month) of the plays to rebuild, or None for every month (first run, or new songs)."""
    if not curated_exists or "events" not in done or songs.filter(F.col(BATCH) > done["songs"]).limit(1).count():
        return None
    return (
        events.filter(F.col(BATCH) > done["events"])
        .select(F.year("start_time").alias("year"), F.month("start_time").alias("month"))
        .distinct()
        .cache()
    )


if __name__ == "__main__":
    glue_main(STEP, run)

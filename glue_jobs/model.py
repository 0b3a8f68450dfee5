"""Glue job `model`: staging → the star schema, merged into the `audit` branch of each curated Iceberg table.

Incremental by merge. The job remembers the staging snapshots it last modelled; Iceberg's changelog
between that snapshot and the current one gives exactly the staged rows that came in and went out since
(new raw files, and the replaced rows of raw files that changed or were removed), reading only the
files those commits touched. From them:

- songplays and time: the plays of the rows that came in are upserted, those that went out deleted
  (keyed by `songplay_id` / `start_time`, so a replayed batch changes nothing); a song that came in or
  went out re-matches only the plays of events with its title, artist and duration;
- users and users_history: the users those rows touch are recomputed from their whole staged history
  and merged per user, so late or out-of-order events give the same history as one full run;
- songs and artists: upserted or deleted per song id, the artists of touched songs recomputed.

The first run (or `full_refresh=true`) builds every table whole. Nothing is published here: the
validate job judges the branches and publishes them. The state is written after every merge has
committed, so a crashed run is redone by the next one, and redoing a merge changes nothing.

Runs unchanged on AWS Glue 5.1 (`glue_main`) and locally (`sparkify run` calls `run`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkify import schemas, tables
from sparkify.io import delete, join_uri, read_text, write_text
from sparkify.pipeline import CURATED_TABLES, Location, Namespace
from sparkify.runtime import glue_main
from sparkify.transforms import star

STEP = "model"
SOURCES = ("events", "songs")


class Changes(NamedTuple):
    """Staged rows that came in and went out since the last model run, per source."""

    came_in: dict[str, DataFrame]
    went_out: dict[str, DataFrame]


def run(spark: SparkSession, args: Mapping[str, str]) -> dict[str, Any]:
    curated = {t.name: tables.ident(args[Namespace.CURATED], t.name) for t in CURATED_TABLES}
    staged = {s: tables.ident(args[Namespace.STAGING], s) for s in SOURCES}
    state_uri = join_uri(args[Location.CURATED], "_state", "model.json")
    if args.get("full_refresh") == "true":
        for table in curated.values():
            tables.drop(spark, table)
        delete(spark, state_uri)
    for t in CURATED_TABLES:
        tables.ensure_table(
            spark, curated[t.name], schemas.CURATED[t.name], t.partition_by, join_uri(args[Location.CURATED], t.name)
        )
        tables.ensure_branch(spark, curated[t.name], tables.AUDIT)

    done = json.loads(read_text(spark, state_uri) or "{}")
    now = {s: tables.snapshot_id(spark, staged[s]) for s in SOURCES}
    if now == done:
        return _metrics(spark, curated, "none")
    events, songs = spark.table(staged["events"]), spark.table(staged["songs"]).cache()
    changes = _changes_since(spark, staged, done, now)
    if changes is None:
        mode = "full"
        _build_whole(curated, events, songs)
    else:
        mode = "incremental"
        _merge_changes(spark, curated, events, songs, changes)
    write_text(spark, state_uri, json.dumps(now))
    songs.unpersist()
    return _metrics(spark, curated, mode)


def _metrics(spark: SparkSession, curated: Mapping[str, str], mode: str) -> dict[str, Any]:
    # Counts come from Iceberg's metadata (aggregate push-down), not from a scan.
    rows = {name: tables.read(spark, table, tables.AUDIT).count() for name, table in curated.items()}
    return {"status": "succeeded", "rows": rows, "model": mode}


def _changes_since(
    spark: SparkSession, staged: Mapping[str, str], done: Mapping[str, int | None], now: Mapping[str, int | None]
) -> Changes | None:
    """What changed in staging since the snapshots `done`; None when the tables must be built whole
    (first run, or staging was rebuilt so the old snapshot is gone)."""
    came_in: dict[str, DataFrame] = {}
    went_out: dict[str, DataFrame] = {}
    for source, table in staged.items():
        start, end = done.get(source), now[source]
        if start is None or end is None or not tables.has_snapshot(spark, table, start):
            return None
        # Cached: each change set is small and read by several tables below.
        came_in[source], went_out[source] = (df.cache() for df in tables.changes(spark, table, start, end))
    return Changes(came_in, went_out)


def _build_whole(curated: Mapping[str, str], events: DataFrame, songs: DataFrame) -> None:
    songplays = star.songplays(events, songs).cache()
    built = {
        "songplays": songplays,
        "time": star.time(songplays),
        "users": star.users(events),
        "users_history": star.users_history(events),
        "songs": star.songs(songs),
        "artists": star.artists(songs),
    }
    for t in CURATED_TABLES:
        df = _conform(built[t.name], t.name)
        tables.replace(df.repartition(*t.partition_by) if t.partition_by else df.coalesce(1), curated[t.name], tables.AUDIT)
    songplays.unpersist()


def _conform(df: DataFrame, table: str) -> DataFrame:
    return df.select(*schemas.CURATED[table].fieldNames())


def _merge_changes(
    spark: SparkSession, curated: Mapping[str, str], events: DataFrame, songs: DataFrame, changes: Changes
) -> None:
    ev_in, ev_out = changes.came_in["events"], changes.went_out["events"]
    songs_in, songs_out = changes.came_in["songs"], changes.went_out["songs"]
    keys = {t.name: (*t.key, *(c for c in t.partition_by if c not in t.key)) for t in CURATED_TABLES}

    # Plays: of the events that came in, and of every event whose song match may have changed.
    song_keys = songs_in.unionByName(songs_out).select(
        F.col("title").alias("song"), F.col("artist_name").alias("artist"), F.col("duration").alias("length")
    ).distinct()
    plays_events = ev_in
    if not songs_in.isEmpty() or not songs_out.isEmpty():  # else no old play can match differently
        rematched = events.join(F.broadcast(song_keys), ["song", "artist", "length"], "left_semi")
        plays_events = ev_in.unionByName(rematched).distinct()
    plays_in = _conform(star.songplays(plays_events, songs), "songplays").cache()
    plays_out = _conform(star.songplays(ev_out, songs), "songplays")
    tables.merge(spark, plays_in, curated["songplays"], tables.AUDIT, keys["songplays"], deletes=plays_out)

    # Time: new start times; a start time goes when no play is left at it.
    published_plays = tables.read(spark, curated["songplays"], tables.AUDIT)
    times_out = plays_out.select("start_time", "year", "month").distinct().join(
        published_plays.select("start_time", "year", "month"), ["start_time", "year", "month"], "left_anti"
    )
    tables.merge(spark, _conform(star.time(plays_in), "time"), curated["time"], tables.AUDIT, keys["time"], deletes=times_out)

    # Users: every user the changed plays touch, recomputed from all their staged events.
    touched_users = star.filter_song_plays(ev_in.unionByName(ev_out)).select("user_id").distinct()
    # Read by both user tables: one scan of staging, not four.
    their_events = events.join(F.broadcast(touched_users), "user_id", "left_semi").cache()
    tables.merge(
        spark, _conform(star.users(their_events), "users"), curated["users"], tables.AUDIT, keys["users"],
        deletes=touched_users,
    )
    old_history = tables.read(spark, curated["users_history"], tables.AUDIT).join(
        F.broadcast(touched_users), "user_id", "left_semi"
    )
    tables.merge(
        spark, _conform(star.users_history(their_events), "users_history"), curated["users_history"], tables.AUDIT,
        keys["users_history"], deletes=old_history,
    )
    their_events.unpersist()

    # Songs and artists: per song id; the artists of touched songs recomputed from all staged songs.
    tables.merge(
        spark, _conform(star.songs(songs_in), "songs"), curated["songs"], tables.AUDIT, keys["songs"],
        deletes=songs_out.select("song_id"),
    )
    touched_artists = songs_in.unionByName(songs_out).select("artist_id").distinct()
    tables.merge(
        spark, _conform(star.artists(songs.join(F.broadcast(touched_artists), "artist_id", "left_semi")), "artists"),
        curated["artists"], tables.AUDIT, keys["artists"], deletes=touched_artists,
    )
    plays_in.unpersist()


if __name__ == "__main__":
    glue_main(STEP, run)

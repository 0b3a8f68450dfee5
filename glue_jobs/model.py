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

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, cast

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkify import schemas
from sparkify.job_args import JobArgs
from sparkify.lake import integrity, lake_state, tables
from sparkify.lake.glue_entry import glue_main
from sparkify.lake.io import delete, join_uri
from sparkify.pipeline import CURATED_TABLES, Location, Namespace
from sparkify.transforms import star

STEP = "model"
SOURCES = ("events", "songs")


class Changes(NamedTuple):
    """Staged rows that came in and went out since the last model run, per source."""

    came_in: dict[str, DataFrame]
    went_out: dict[str, DataFrame]
    moved: dict[str, bool]  # the source's snapshot moved since the last run
    only_added: dict[str, bool]  # and every commit since only added rows (nothing went out)
    later_plays: bool  # every play that came in is later than every event staged before


def run(spark: SparkSession, args: JobArgs) -> dict[str, Any]:
    curated = {t.name: tables.ident(args[Namespace.CURATED], t.name) for t in CURATED_TABLES}
    staged = {s: tables.ident(args[Namespace.STAGING], s) for s in SOURCES}
    curated_uri = args[Location.CURATED]
    if args.full_refresh:
        for t in CURATED_TABLES:
            integrity.forget(spark, curated[t.name], join_uri(curated_uri, t.name))
        for name in (lake_state.MODEL, lake_state.PUBLISHED):
            delete(spark, lake_state.state_uri(curated_uri, name))
    else:
        integrity.check(spark, args.places, (Namespace.CURATED,))
    for t in CURATED_TABLES:
        tables.ensure_table(
            spark, curated[t.name], schemas.CURATED[t.name], t.partition_by, join_uri(curated_uri, t.name)
        )
        tables.ensure_branch(spark, curated[t.name], tables.AUDIT)

    built = lake_state.read_built_from(spark, curated_uri, lake_state.MODEL)
    rebased = rebase_audit(spark, curated)
    if rebased:
        # `audit` is `main` again: merge every staging change since what `main` was built from.
        built = lake_state.read_built_from(spark, curated_uri, lake_state.PUBLISHED)
    done = dict(built.staging) if built else {}
    now = {s: tables.snapshot_id(spark, staged[s]) for s in SOURCES}
    if now == done:
        if rebased:
            _save_built_from(spark, curated_uri, curated, now)
        return _metrics(spark, curated, "none", "unchanged", rebased)
    events, songs = spark.table(staged["events"]), spark.table(staged["songs"]).cache()
    changes = _changes_since(spark, staged, done, now)
    users = "built whole"
    if changes is None:
        mode = "full"
        _build_whole(curated, events, songs)
    else:
        mode = "incremental"
        users = _merge_changes(spark, curated, events, songs, changes)
    _save_built_from(spark, curated_uri, curated, now)
    songs.unpersist()
    return _metrics(spark, curated, mode, users, rebased)


def rebase_audit(spark: SparkSession, curated: Mapping[str, str]) -> list[str]:
    """When any table's `main` holds a commit its `audit` lacks (our compaction after a publish, a
    catalog optimizer, a person's fix), start every `audit` again from its `main`; returns the tables
    whose `audit` no longer descended. Every table at once: they were all built from one staging state,
    which the caller then merges forward from. A table whose `audit` descends from `main` (nothing
    moved, or a rejected change waits) costs one read of its refs."""
    heads = {name: tables.refs(spark, table) for name, table in curated.items()}
    off_line = [
        name
        for name, refs in heads.items()
        if (main := refs.get(tables.MAIN)) is not None
        and (audit := refs.get(tables.AUDIT)) is not None
        and main != audit
        and not tables.descends_from(spark, curated[name], main, audit)
    ]
    if off_line:
        for name, refs in heads.items():
            if (main := refs.get(tables.MAIN)) is not None and refs.get(tables.AUDIT) != main:
                tables.move_branch(spark, curated[name], tables.AUDIT, main)
    return off_line


def _save_built_from(
    spark: SparkSession, curated_uri: str, curated: Mapping[str, str], staging: Mapping[str, int | None]
) -> None:
    """Written after every merge has committed: a crashed run is redone from the previous state."""
    heads = {name: tables.snapshot_id(spark, table, tables.AUDIT) for name, table in curated.items()}
    state = lake_state.BuiltFrom(staging, {name: head for name, head in heads.items() if head is not None})
    lake_state.write_built_from(spark, curated_uri, lake_state.MODEL, state)


def _metrics(
    spark: SparkSession, curated: Mapping[str, str], mode: str, users: str, rebased: list[str]
) -> dict[str, Any]:
    # Counts come from Iceberg's metadata (aggregate push-down), not from a scan: what the model left
    # on `audit`, and what readers see on `main` until validation publishes it.
    rows = tables.row_counts(spark, curated, tables.AUDIT)
    published = tables.row_counts(spark, curated, tables.MAIN)
    return {
        "status": "succeeded",
        "rows": rows,
        "published_rows": published,
        "model": {"mode": mode, "users": users, "rebased": rebased},
    }


def _changes_since(
    spark: SparkSession, staged: Mapping[str, str], done: Mapping[str, int | None], now: Mapping[str, int | None]
) -> Changes | None:
    """What changed in staging since the snapshots `done`; None when the tables must be built whole
    (first run, or staging was rebuilt so the old snapshot is gone)."""
    came_in: dict[str, DataFrame] = {}
    went_out: dict[str, DataFrame] = {}
    added: dict[str, bool] = {}
    for source, table in staged.items():
        start, end = done.get(source), now[source]
        if start is None or end is None or not tables.has_snapshot(spark, table, start):
            return None
        changed = tables.changes(spark, table, start, end)
        # Cached: each change set is small and read by several tables below.
        came_in[source], went_out[source] = changed.came_in.cache(), changed.went_out.cache()
        added[source] = changed.only_added
    moved = {source: done.get(source) != now[source] for source in staged}
    before = done["events"]
    later = (
        added["events"]
        and before is not None
        and _later_than_history(spark, staged["events"], before, came_in["events"])
    )
    return Changes(came_in, went_out, moved, added, later)


def _later_than_history(spark: SparkSession, events_table: str, before: int, came_in: DataFrame) -> bool:
    """Whether every play in `came_in` is later than every event of the snapshot `before` (the usual
    daily case: a new day's log file). Iceberg answers the old maximum from its file statistics."""
    old = tables.read_snapshot(spark, events_table, before).agg(F.max("ts").alias("ts")).first()
    new = star.filter_song_plays(came_in).agg(F.min("ts").alias("ts")).first()
    if old is None or new is None or old["ts"] is None or new["ts"] is None:
        return True
    return int(new["ts"]) > int(old["ts"])


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
        # A partitioned table is clustered by Iceberg's own write distribution (hash on the partition
        # columns; a partition larger than its advisory size is written by several tasks). A dimension is
        # one file through a shuffle: `coalesce(1)` would run the window or aggregate before it (users over
        # every event) in one task.
        tables.replace(df if t.partition_by else df.repartition(1), curated[t.name], tables.AUDIT)
    songplays.unpersist()


def _conform(df: DataFrame, table: str) -> DataFrame:
    return df.select(*schemas.CURATED[table].fieldNames())


def _merge_changes(
    spark: SparkSession, curated: Mapping[str, str], events: DataFrame, songs: DataFrame, changes: Changes
) -> str:
    """Merge the changes into every table; returns how the user tables were brought up to date."""
    ev_in, ev_out = changes.came_in["events"], changes.went_out["events"]
    songs_in, songs_out = changes.came_in["songs"], changes.went_out["songs"]
    events_went_out = not changes.only_added["events"]
    songs_changed = changes.moved["songs"] and not (songs_in.isEmpty() and songs_out.isEmpty())
    keys = {t.name: (*t.key, *(c for c in t.partition_by if c not in t.key)) for t in CURATED_TABLES}

    # Three independent groups of tables, merged at once: each merge is a chain of small Spark jobs
    # and commits, and one group's waits leave the cores to another's work. Each merge is one commit
    # to its own table; the run's state is written only after all of them.
    def plays_and_time() -> None:
        # Plays: of the events that came in, and of every event whose song match may have changed.
        plays_events = ev_in
        if songs_changed:  # else no old play can match differently
            song_keys = (
                songs_in.unionByName(songs_out)
                .select(
                    F.col("title").alias("song"),
                    F.col("artist_name").alias("artist"),
                    F.col("duration").alias("length"),
                )
                .distinct()
            )
            rematched = events.join(F.broadcast(song_keys), ["song", "artist", "length"], "left_semi")
            plays_events = ev_in.unionByName(rematched).distinct()
        plays_in = _conform(star.songplays(plays_events, songs), "songplays").cache()
        plays_out = _conform(star.songplays(ev_out, songs), "songplays") if events_went_out else None
        tables.merge(spark, plays_in, curated["songplays"], tables.AUDIT, keys["songplays"], deletes=plays_out)

        # Time: new start times; a start time goes when no play is left at it.
        times_out = None
        if plays_out is not None:
            published_plays = tables.read(spark, curated["songplays"], tables.AUDIT)
            times_out = (
                plays_out.select("start_time", "year", "month")
                .distinct()
                .join(
                    published_plays.select("start_time", "year", "month"), ["start_time", "year", "month"], "left_anti"
                )
            )
        tables.merge(
            spark, _conform(star.time(plays_in), "time"), curated["time"], tables.AUDIT, keys["time"], deletes=times_out
        )
        plays_in.unpersist()

    def user_tables() -> str:
        if changes.later_plays:
            _continue_users(spark, curated, ev_in, keys)
            return "continued from the current rows"
        _recompute_users(spark, curated, events, ev_in, ev_out, keys)
        return "recomputed from the touched users' history"

    def songs_and_artists() -> None:
        # Per song id; the artists of touched songs recomputed from all staged songs.
        if not songs_changed:
            return
        tables.merge(
            spark,
            _conform(star.songs(songs_in), "songs"),
            curated["songs"],
            tables.AUDIT,
            keys["songs"],
            deletes=songs_out.select("song_id"),
        )
        touched_artists = songs_in.unionByName(songs_out).select("artist_id").distinct()
        tables.merge(
            spark,
            _conform(star.artists(songs.join(F.broadcast(touched_artists), "artist_id", "left_semi")), "artists"),
            curated["artists"],
            tables.AUDIT,
            keys["artists"],
            deletes=touched_artists,
        )

    _, users, _ = _concurrently(plays_and_time, user_tables, songs_and_artists)
    return cast(str, users)  # what user_tables returned


def _concurrently(*tasks: Callable[[], Any]) -> list[Any]:
    """Run the tasks in threads of this process, one Spark session for all (Spark runs jobs from
    several threads side by side); their results in order. The first failure is raised once all end."""
    with ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="model") as pool:
        futures = [pool.submit(task) for task in tasks]
    return [future.result() for future in futures]


def _continue_users(
    spark: SparkSession, curated: Mapping[str, str], ev_in: DataFrame, keys: Mapping[str, tuple[str, ...]]
) -> None:
    """Users when every new play is later than all staged before (a new day): each touched user's
    latest play is among the new ones, and their history goes on from its current row. Reads the new
    events and the touched users' current rows, not the staged history."""
    tables.merge(spark, _conform(star.users(ev_in), "users"), curated["users"], tables.AUDIT, keys["users"])
    touched_users = star.filter_song_plays(ev_in).select("user_id").distinct()
    current = tables.read(spark, curated["users_history"], tables.AUDIT).join(
        F.broadcast(touched_users), "user_id", "left_semi"
    )
    tables.merge(
        spark,
        _conform(star.continue_users_history(current, ev_in), "users_history"),
        curated["users_history"],
        tables.AUDIT,
        keys["users_history"],
    )


def _recompute_users(
    spark: SparkSession,
    curated: Mapping[str, str],
    events: DataFrame,
    ev_in: DataFrame,
    ev_out: DataFrame,
    keys: Mapping[str, tuple[str, ...]],
) -> None:
    """Users when plays came in out of order or went out: every user the changed plays touch,
    recomputed from all their staged events, so the history equals one full run's."""
    touched_users = star.filter_song_plays(ev_in.unionByName(ev_out)).select("user_id").distinct()
    # Read by both user tables: one scan of staging, not four.
    their_events = events.join(F.broadcast(touched_users), "user_id", "left_semi").cache()
    tables.merge(
        spark,
        _conform(star.users(their_events), "users"),
        curated["users"],
        tables.AUDIT,
        keys["users"],
        deletes=touched_users,
    )
    old_history = tables.read(spark, curated["users_history"], tables.AUDIT).join(
        F.broadcast(touched_users), "user_id", "left_semi"
    )
    tables.merge(
        spark,
        _conform(star.users_history(their_events), "users_history"),
        curated["users_history"],
        tables.AUDIT,
        keys["users_history"],
        deletes=old_history,
    )
    their_events.unpersist()


if __name__ == "__main__":
    glue_main(STEP, run)

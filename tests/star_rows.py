"""A tiny hand-made star schema that passes every suite, and a lake holding it on the audit branch: shared
by the suite tests (`tests/pipeline/test_quality.py`) and the validate job's (`tests/workflow/`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sparkify import pipeline, schemas
from sparkify.job_args import JobArgs
from sparkify.lake import tables
from sparkify.local.runner import lake_locations
from sparkify.local.session import register_local_catalog
from sparkify.pipeline import Namespace

SONG_A, SONG_B = "SOMZWCG12A8C13C480", "SOGVQGJ12AB017F169"
ARTIST_A, ARTIST_B = "ARD7TVE1187B99BFB1", "AR62SOJ1187FB47BB5"
PLAY_1, PLAY_2, PLAY_3 = "0" * 31 + "1", "9e107d9d372bb6826bd81d3542a419d6", "a" * 32
# What the validate job would pass for these rows: 3 NextSong events staged, a run on 2018-11-06 (the
# latest play is on the 5th at 23:59).
SUITE_PARAMETERS = {"staging_next_song_events": 3, "latest_start_time": "2018-11-07T00:00:00+00:00"}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2018, 11, day, hour, minute)


SUNDAY, MONDAY = at(4, 10), at(5, 23, 59)  # 2018-11-04 is a Sunday (ISO week 44), the 5th a Monday (week 45)


def curated_rows() -> dict[str, list[tuple[Any, ...]]]:
    """A tiny star schema that passes every suite, with a null wherever the schema allows one.

    User 8 played free on Sunday and paid on Monday (two users_history versions); user 39 has no name
    or gender. The second play matched no song (null song_id and artist_id); song A's year is unknown.
    """
    return {
        "songplays": [
            (PLAY_1, SUNDAY, 8, "free", SONG_A, ARTIST_A, 139, "Phoenix-Mesa-Scottsdale, AZ", "Mozilla/5.0", 2018, 11),
            (PLAY_2, MONDAY, 8, "paid", None, None, 140, None, None, 2018, 11),
            (PLAY_3, MONDAY, 39, "free", SONG_B, ARTIST_B, 38, "San Francisco, CA", "Mozilla/5.0", 2018, 11),
        ],
        "users": [(8, "Kaylee", "Summers", "F", "paid"), (39, None, None, None, "free")],
        "users_history": [
            (8, "free", SUNDAY, MONDAY, False),
            (8, "paid", MONDAY, None, True),
            (39, "free", MONDAY, None, True),
        ],
        "songs": [
            (SONG_A, "I Didn't Mean To", ARTIST_A, None, 218.93179),
            (SONG_B, "Ten Tonne", ARTIST_B, 2005, 337.68444),
        ],
        "artists": [
            (ARTIST_A, "Casual", "California - LA", None, None),
            (ARTIST_B, "Chase & Status", "", 51.50632, -0.12714),
        ],
        "time": [(SUNDAY, 10, 4, 44, 11, 2018, 7), (MONDAY, 23, 5, 45, 11, 2018, 1)],
    }


def curated_frames(spark, rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    return {name: spark.createDataFrame(table_rows, schemas.CURATED[name]) for name, table_rows in rows.items()}


def staging_event(page: str, start_time: dt.datetime) -> tuple[Any, ...]:
    values = {
        "ts": int(start_time.replace(tzinfo=dt.UTC).timestamp() * 1000),
        "start_time": start_time,
        "user_id": 8,
        "page": page,
        "source_file": "log_data/2018/11/2018-11-04-events.json",
    }
    return tuple(values.get(name) for name in schemas.STAGING_EVENTS.fieldNames())


def write_lake(spark, lake, next_song_events: int) -> JobArgs:
    """The curated tables of `curated_rows()` (3 songplays) and staging events with `next_song_events` plays;
    returns the arguments of the validate job's run `run-1` on that lake."""
    register_local_catalog(spark, lake)
    args = JobArgs(pipeline.step("validate"), lake_locations(lake / "raw", lake), "run-1")
    for table in pipeline.CURATED_TABLES:
        frame = curated_frames(spark, {table.name: curated_rows()[table.name]})[table.name]
        identifier = curated_table(args, table.name)
        tables.ensure_table(spark, identifier, schemas.CURATED[table.name], table.partition_by)
        tables.ensure_branch(spark, identifier)
        tables.replace(frame, identifier, tables.AUDIT)
    events = [staging_event("Home", SUNDAY)] + [staging_event("NextSong", MONDAY)] * next_song_events
    staged = tables.ident(args[Namespace.STAGING], "events")
    tables.ensure_table(spark, staged, schemas.STAGING_EVENTS)
    spark.createDataFrame(events, schemas.STAGING_EVENTS).writeTo(staged).append()
    return args


def curated_table(args: JobArgs, name: str) -> str:
    return tables.ident(args[Namespace.CURATED], name)

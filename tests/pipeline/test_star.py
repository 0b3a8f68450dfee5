"""The star schema from hand-written staging rows; expected rows are written out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

from sparkify import schemas
from sparkify.transforms import star
from sparkify.transforms.common import MissingColumnsError

EVENT_COLUMNS = [
    "ts",
    "start_time",
    "user_id",
    "first_name",
    "last_name",
    "gender",
    "level",
    "location",
    "user_agent",
    "session_id",
    "item_in_session",
    "page",
    "song",
    "artist",
    "length",
]
EVENT_SCHEMA = T.StructType([schemas.STAGING_EVENTS[c] for c in EVENT_COLUMNS])
SONG_SCHEMA = T.StructType(schemas.STAGING_SONGS.fields[:-2])  # without source_file and line


def at(ms: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)


def ev(
    ts,
    user,
    level,
    session,
    item,
    page="NextSong",
    song=None,
    artist=None,
    length=None,
    first="Lily",
    last="Koch",
    gender="F",
):
    return (
        ts,
        at(ts),
        user,
        first,
        last,
        gender,
        level,
        "Chicago, IL",
        "Mozilla/5.0",
        session,
        item,
        page,
        song,
        artist,
        length,
    )


@pytest.fixture
def songs_df(spark):
    return spark.createDataFrame(
        [
            (
                "SOZCTXZ12AB0182364",
                "Setanta matins",
                "AR5KOSW1187FB35FF4",
                "Elena",
                "Dubai UAE",
                49.80388,
                15.47491,
                None,
                269.58322,
            ),
            # the same song twice under two ids: a play must still count once, for the smaller id
            ("SOBBBBBBBBBBBBBBB2", "Twice", "ARBBBBBBBBBBBBBBB2", "Duo", None, None, None, 1999, 200.0),
            ("SOBBBBBBBBBBBBBBB1", "Twice", "ARBBBBBBBBBBBBBBB2", "Duo", None, None, None, 1999, 200.0),
        ],
        SONG_SCHEMA,
    )


def test_songplays_one_row_per_next_song_matched_on_title_artist_and_duration(spark, songs_df):
    events = spark.createDataFrame(
        [
            ev(1542837407796, 15, "paid", 818, 11, song="Setanta matins", artist="Elena", length=269.58322),
            ev(1542837607796, 15, "paid", 818, 12, song="Setanta matins", artist="Elena", length=269.0),  # other cut
            ev(1542837807796, 15, "paid", 818, 13, song="Twice", artist="Duo", length=200.0),
            ev(1542837907796, 15, "paid", 818, 14, page="Home"),
            ev(1542838007796, 26, "free", 900, 0, song="Unknown", artist=None, length=100.0),
        ],
        EVENT_SCHEMA,
    )
    actual = star.songplays(events, songs_df)
    # Each id is the md5 of the event's "ts|user|session|item", from coreutils' md5sum, e.g.
    # `printf %s '1542837407796|15|818|11' | md5sum`.
    key = {
        (1542837407796, 15, 818, 11): "c978a75defb6225c4d32609c7d00acf5",
        (1542837607796, 15, 818, 12): "2737bdde75b662828da56f9fcffdc6b0",
        (1542837807796, 15, 818, 13): "9c4dbec3fb126489771a79e563a9e667",
        (1542838007796, 26, 900, 0): "5edd2407bbaef79e3a8b7092ba73409a",
    }
    expected = spark.createDataFrame(
        [
            (
                key[1542837407796, 15, 818, 11],
                at(1542837407796),
                15,
                "paid",
                "SOZCTXZ12AB0182364",
                "AR5KOSW1187FB35FF4",
                818,
                "Chicago, IL",
                "Mozilla/5.0",
                2018,
                11,
            ),
            (
                key[1542837607796, 15, 818, 12],
                at(1542837607796),
                15,
                "paid",
                None,
                None,
                818,
                "Chicago, IL",
                "Mozilla/5.0",
                2018,
                11,
            ),
            (
                key[1542837807796, 15, 818, 13],
                at(1542837807796),
                15,
                "paid",
                "SOBBBBBBBBBBBBBBB1",
                "ARBBBBBBBBBBBBBBB2",
                818,
                "Chicago, IL",
                "Mozilla/5.0",
                2018,
                11,
            ),
            (
                key[1542838007796, 26, 900, 0],
                at(1542838007796),
                26,
                "free",
                None,
                None,
                900,
                "Chicago, IL",
                "Mozilla/5.0",
                2018,
                11,
            ),
        ],
        schemas.SONGPLAYS,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_users_take_the_latest_play_and_history_tracks_each_level_change(spark):
    events = spark.createDataFrame(
        [
            ev(1541100000000, 15, "paid", 1, 0),
            ev(1542000000000, 15, "free", 2, 0),
            ev(1542000100000, 15, "free", 2, 1),
            ev(1542100000000, 15, "paid", 3, 0),
            ev(1541200000000, 16, "free", 4, 0, first="Rylan", last="George", gender="M"),
            ev(1541300000000, 16, "free", 5, 0, first="Rylan", last="George", gender="M"),
            ev(1541400000000, 16, "paid", 5, 1, page="Submit Upgrade", first="Rylan", last="George", gender="M"),
        ],
        EVENT_SCHEMA,
    )
    assert_df_equality(
        star.users(events),
        spark.createDataFrame([(15, "Lily", "Koch", "F", "paid"), (16, "Rylan", "George", "M", "free")], schemas.USERS),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    assert_df_equality(
        star.users_history(events),
        spark.createDataFrame(
            [
                (15, "paid", at(1541100000000), at(1542000000000), False),
                (15, "free", at(1542000000000), at(1542100000000), False),
                (15, "paid", at(1542100000000), None, True),
                (16, "free", at(1541200000000), None, True),
            ],
            schemas.USERS_HISTORY,
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_users_history_continues_from_current_rows_when_new_plays_come_after_all_earlier_ones(spark):
    # Earlier history, as published: user 15 paid → free (current), user 16 free (current).
    current = spark.createDataFrame(
        [
            (15, "free", at(1542000000000), None, True),
            (16, "free", at(1541200000000), None, True),
        ],
        schemas.USERS_HISTORY,
    )
    new_events = spark.createDataFrame(
        [
            ev(1542200000000, 15, "free", 7, 0),  # same level: the current row goes on
            ev(1542300000000, 15, "paid", 7, 1),  # upgrade: the current row closes here
            ev(1542400000000, 15, "paid", 8, 0),
            ev(1542250000000, 16, "paid", 9, 0, first="Rylan", last="George", gender="M"),
            ev(1542260000000, 16, "paid", 9, 1, page="Home", first="Rylan", last="George", gender="M"),
            ev(1542270000000, 17, "free", 10, 0, first="Ada", last="Byron", gender="F"),  # a new user
        ],
        EVENT_SCHEMA,
    )
    assert_df_equality(
        star.continue_users_history(current, new_events),
        spark.createDataFrame(
            [
                (15, "free", at(1542000000000), at(1542300000000), False),
                (15, "paid", at(1542300000000), None, True),
                (16, "free", at(1541200000000), at(1542250000000), False),
                (16, "paid", at(1542250000000), None, True),
                (17, "free", at(1542270000000), None, True),
            ],
            schemas.USERS_HISTORY,
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_artists_one_row_per_id_with_the_most_used_spelling(spark):
    songs = spark.createDataFrame(
        [
            ("SO1", "a", "AR1", "Elena", None, None, None, None, 1.0),
            ("SO2", "b", "AR1", "Elena Fantasy", "Dubai UAE", 25.0, 55.0, None, 1.0),
            ("SO3", "c", "AR1", "Elena", "Prague", 49.8, 15.4, None, 1.0),
            ("SO4", "d", "AR2", "Zed", None, None, None, None, 1.0),
            ("SO5", "e", "AR2", "Abe", None, None, None, None, 1.0),  # tie: alphabetical first
        ],
        SONG_SCHEMA,
    )
    assert_df_equality(
        star.artists(songs),
        spark.createDataFrame(
            [("AR1", "Elena", "Prague", 49.8, 15.4), ("AR2", "Abe", None, None, None)], schemas.ARTISTS
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_time_breaks_start_times_into_calendar_units(spark):
    plays = spark.createDataFrame(
        [(at(1541289600000),), (at(1541289600000),), (at(1543622399000),)], "start_time timestamp"
    )
    # 2018-11-04 00:00 UTC is a Sunday (ISO weekday 7, ISO week 44); 2018-11-30 23:59:59 a Friday, week 48.
    expected = spark.createDataFrame(
        [
            (at(1541289600000), 0, 4, 44, 11, 2018, 7),
            (at(1543622399000), 23, 30, 48, 11, 2018, 5),
        ],
        schemas.TIME,
    )
    assert_df_equality(star.time(plays), expected, ignore_row_order=True, ignore_nullable=True)


def test_songs_dimension_keeps_unknown_year_as_null(spark, songs_df):
    rows = {r["song_id"]: r["year"] for r in star.songs(songs_df).collect()}
    assert rows == {"SOZCTXZ12AB0182364": None, "SOBBBBBBBBBBBBBBB2": 1999, "SOBBBBBBBBBBBBBBB1": 1999}


def test_a_transform_names_the_columns_it_misses(spark):
    with pytest.raises(MissingColumnsError, match=r"users needs columns .*first_name"):
        star.users(spark.createDataFrame([(1, "free")], "user_id int, level string"))

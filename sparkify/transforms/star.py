"""The star schema, built from staging: songplays (fact), users, users_history, songs, artists, time."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window, WindowSpec
from pyspark.sql import functions as F

from sparkify.schemas import NEXT_SONG
from sparkify.transforms.common import require_columns


def filter_song_plays(events_df: DataFrame) -> DataFrame:
    """Only NextSong events are plays of a song; the other pages are navigation."""
    require_columns(events_df, ["page"], "filter_song_plays")
    return events_df.filter(F.col("page") == NEXT_SONG)


def song_lookup(songs_df: DataFrame) -> DataFrame:
    """One song per (title, artist name, duration): the smallest song_id, so a repeated song cannot fan out plays."""
    require_columns(songs_df, ["song_id", "title", "artist_id", "artist_name", "duration"], "song_lookup")
    w = Window.partitionBy("title", "artist_name", "duration").orderBy("song_id")
    return (
        songs_df.withColumn("_rank", F.row_number().over(w))
        .filter(F.col("_rank") == 1)
        .select(
            F.col("title").alias("_title"),
            F.col("artist_name").alias("_artist_name"),
            F.col("duration").alias("_duration"),
            "song_id",
            "artist_id",
        )
    )


def songplays(events_df: DataFrame, songs_df: DataFrame) -> DataFrame:
    """One row per NextSong event, matched to a song on title + artist name + duration when one exists.

    `songplay_id` is the md5 of the event's natural key (ts, user, session, item), so it is the same
    on every rerun and identical events cannot get two ids.
    """
    require_columns(
        events_df,
        [
            "ts",
            "start_time",
            "user_id",
            "level",
            "session_id",
            "item_in_session",
            "song",
            "artist",
            "length",
            "location",
            "user_agent",
            "page",
        ],
        "songplays",
    )
    plays = filter_song_plays(events_df)
    # Broadcast: the song catalogue is small beside the plays (150,000 songs are about 15 MB; the whole
    # Million Song Dataset under 100 MB), and a sort-merge join shuffled and sorted every play
    # (L's 8.25 million: 24 s of the model step on 2 cores).
    lookup = F.broadcast(song_lookup(songs_df))
    matched = plays.join(
        lookup,
        (plays["song"] == lookup["_title"])
        & (plays["artist"] == lookup["_artist_name"])
        & (plays["length"] == lookup["_duration"]),
        "left",
    )
    return matched.select(
        songplay_id().alias("songplay_id"),
        "start_time",
        "user_id",
        "level",
        "song_id",
        "artist_id",
        "session_id",
        "location",
        "user_agent",
        F.year("start_time").alias("year"),
        F.month("start_time").alias("month"),
    )


def songplay_id() -> Column:
    """The md5 of a play's natural key (ts, user, session, item): the same on every rerun."""
    return F.md5(F.concat_ws("|", "ts", "user_id", "session_id", "item_in_session"))


def _latest_first() -> WindowSpec:
    return Window.partitionBy("user_id").orderBy(
        F.col("ts").desc(), F.col("session_id").desc(), F.col("item_in_session").desc()
    )


def users(events_df: DataFrame) -> DataFrame:
    """One row per user who played a song, with the name, gender and level of their latest play."""
    require_columns(
        events_df,
        ["user_id", "first_name", "last_name", "gender", "level", "ts", "session_id", "item_in_session", "page"],
        "users",
    )
    return (
        filter_song_plays(events_df)
        .withColumn("_rank", F.row_number().over(_latest_first()))
        .filter(F.col("_rank") == 1)
        .select("user_id", "first_name", "last_name", "gender", "level")
    )


def users_history(events_df: DataFrame) -> DataFrame:
    """SCD type 2 of each user's level: one row per run of plays at the same level.

    `valid_from` is the first play at that level, `valid_to` the first play at the next level
    (null for the current row), so the rows of one user tile time without gaps or overlaps.
    """
    require_columns(events_df, _HISTORY_COLUMNS, "users_history")
    return _level_runs(_plays_in_order(events_df))


def continue_users_history(current_df: DataFrame, events_df: DataFrame) -> DataFrame:
    """The rows of `users_history` that change when plays come in that are later than every play the
    history was built from: each user's current row (from `current_df`; closed when the level changes)
    and the rows the new plays open. The current row stands for its whole run of plays, all at its
    level and all earlier than the new ones, so this equals `users_history` over all plays, restricted
    to those rows. Earlier closed rows cannot change and are not returned."""
    require_columns(current_df, ["user_id", "level", "valid_from", "is_current"], "continue_users_history")
    require_columns(events_df, _HISTORY_COLUMNS, "continue_users_history")
    runs_so_far = current_df.filter(F.col("is_current")).select(
        "user_id",
        "level",
        F.col("valid_from").alias("start_time"),
        F.lit(0).alias("_after_history"),
        F.lit(None).cast("long").alias("ts"),
        F.lit(None).cast("long").alias("session_id"),
        F.lit(None).cast("int").alias("item_in_session"),
    )
    return _level_runs(runs_so_far.unionByName(_plays_in_order(events_df)))


_HISTORY_COLUMNS = ["user_id", "level", "start_time", "ts", "session_id", "item_in_session", "page"]


def _plays_in_order(events_df: DataFrame) -> DataFrame:
    """Plays, ordered after any run already in the history (`_after_history` 1; the runs carry 0)."""
    return filter_song_plays(events_df).select(
        "user_id", "level", "start_time", F.lit(1).alias("_after_history"), "ts", "session_id", "item_in_session"
    )


def _level_runs(plays_df: DataFrame) -> DataFrame:
    """One row per run of consecutive plays at the same level, per user, in play order."""
    in_order = Window.partitionBy("user_id").orderBy("_after_history", "ts", "session_id", "item_in_session")
    changes = plays_df.withColumn("_previous_level", F.lag("level").over(in_order)).filter(
        F.col("_previous_level").isNull() | (F.col("_previous_level") != F.col("level"))
    )
    return changes.select(
        "user_id",
        "level",
        F.col("start_time").alias("valid_from"),
        F.lead("start_time").over(in_order).alias("valid_to"),
    ).withColumn("is_current", F.col("valid_to").isNull())


def songs(staged_songs_df: DataFrame) -> DataFrame:
    """The song dimension; staging already removed duplicate song ids and turned year 0 into null."""
    require_columns(staged_songs_df, ["song_id", "title", "artist_id", "year", "duration"], "songs")
    return staged_songs_df.select("song_id", "title", "artist_id", "year", "duration")


def artists(staged_songs_df: DataFrame) -> DataFrame:
    """One row per artist id. Song files may spell an artist's name differently: take the spelling most
    files use (ties: alphabetical first), preferring the record that knows the artist's location."""
    require_columns(
        staged_songs_df,
        ["artist_id", "artist_name", "artist_location", "artist_latitude", "artist_longitude", "song_id"],
        "artists",
    )
    name_count = F.count("*").over(Window.partitionBy("artist_id", "artist_name"))
    best_first = Window.partitionBy("artist_id").orderBy(
        F.col("_name_count").desc(),
        F.col("artist_name"),
        F.col("artist_latitude").isNull(),
        F.col("artist_location").isNull(),
        F.col("song_id"),
    )
    return (
        staged_songs_df.withColumn("_name_count", name_count)
        .withColumn("_rank", F.row_number().over(best_first))
        .filter(F.col("_rank") == 1)
        .select(
            "artist_id",
            F.col("artist_name").alias("name"),
            F.col("artist_location").alias("location"),
            F.col("artist_latitude").alias("latitude"),
            F.col("artist_longitude").alias("longitude"),
        )
    )


def time(songplays_df: DataFrame) -> DataFrame:
    """One row per distinct play start time, broken into calendar units (weekday is ISO: 1 = Monday)."""
    require_columns(songplays_df, ["start_time"], "time")
    return (
        songplays_df.select("start_time")
        .distinct()
        .select(
            "start_time",
            F.hour("start_time").alias("hour"),
            F.dayofmonth("start_time").alias("day"),
            F.weekofyear("start_time").alias("week"),
            F.month("start_time").alias("month"),
            F.year("start_time").alias("year"),
            (F.weekday("start_time") + 1).alias("weekday"),
        )
    )

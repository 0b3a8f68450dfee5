"""Explicit Spark schemas for every dataset: raw sources, staging and the curated star schema.

Reading with a declared schema skips inference (the slowest part of reading thousands of tiny JSON
files) and makes type errors visible: a value that does not fit its declared type sends the record
to quarantine instead of silently changing the column's type.
"""

from __future__ import annotations

from pyspark.sql import types as T

# Raw song metadata as the Million Song Dataset subset writes it: one JSON object per file.
RAW_SONG = T.StructType(
    [
        T.StructField("num_songs", T.LongType()),
        T.StructField("artist_id", T.StringType()),
        T.StructField("artist_latitude", T.DoubleType()),
        T.StructField("artist_longitude", T.DoubleType()),
        T.StructField("artist_location", T.StringType()),
        T.StructField("artist_name", T.StringType()),
        T.StructField("song_id", T.StringType()),
        T.StructField("title", T.StringType()),
        T.StructField("duration", T.DoubleType()),
        T.StructField("year", T.LongType()),
    ]
)

# The page of an event that is a song play: the events the fact table and the user tables are built from.
NEXT_SONG = "NextSong"

# Raw app events as eventsim writes them: JSON lines. `userId` is a string ("" when logged out),
# `registration` a float, `ts` epoch milliseconds.
RAW_EVENT = T.StructType(
    [
        T.StructField("artist", T.StringType()),
        T.StructField("auth", T.StringType()),
        T.StructField("firstName", T.StringType()),
        T.StructField("gender", T.StringType()),
        T.StructField("itemInSession", T.LongType()),
        T.StructField("lastName", T.StringType()),
        T.StructField("length", T.DoubleType()),
        T.StructField("level", T.StringType()),
        T.StructField("location", T.StringType()),
        T.StructField("method", T.StringType()),
        T.StructField("page", T.StringType()),
        T.StructField("registration", T.DoubleType()),
        T.StructField("sessionId", T.LongType()),
        T.StructField("song", T.StringType()),
        T.StructField("status", T.LongType()),
        T.StructField("ts", T.LongType()),
        T.StructField("userAgent", T.StringType()),
        T.StructField("userId", T.StringType()),
    ]
)

RAW = {"songs": RAW_SONG, "events": RAW_EVENT}

# Staging: renamed to snake_case and cast; "" and the 0 year become null; lineage kept (the raw file and
# line each row came from, so a row a suite rejects downstream can be traced to the line to fix).
STAGING_SONGS = T.StructType(
    [
        T.StructField("song_id", T.StringType(), False),
        T.StructField("title", T.StringType(), False),
        T.StructField("artist_id", T.StringType(), False),
        T.StructField("artist_name", T.StringType(), False),
        T.StructField("artist_location", T.StringType()),
        T.StructField("artist_latitude", T.DoubleType()),
        T.StructField("artist_longitude", T.DoubleType()),
        T.StructField("year", T.IntegerType()),
        T.StructField("duration", T.DoubleType(), False),
        T.StructField("source_file", T.StringType(), False),
        T.StructField("line", T.IntegerType()),  # 1-based; null in rows staged before lines were kept
    ]
)

STAGING_EVENTS = T.StructType(
    [
        T.StructField("ts", T.LongType(), False),
        T.StructField("start_time", T.TimestampType(), False),
        T.StructField("user_id", T.IntegerType()),
        T.StructField("first_name", T.StringType()),
        T.StructField("last_name", T.StringType()),
        T.StructField("gender", T.StringType()),
        T.StructField("level", T.StringType()),
        T.StructField("location", T.StringType()),
        T.StructField("user_agent", T.StringType()),
        T.StructField("session_id", T.LongType()),
        T.StructField("item_in_session", T.IntegerType()),
        T.StructField("page", T.StringType(), False),
        T.StructField("auth", T.StringType()),
        T.StructField("method", T.StringType()),
        T.StructField("status", T.IntegerType()),
        T.StructField("song", T.StringType()),
        T.StructField("artist", T.StringType()),
        T.StructField("length", T.DoubleType()),
        T.StructField("registration", T.TimestampType()),
        T.StructField("source_file", T.StringType(), False),
        T.StructField("line", T.IntegerType()),  # 1-based; null in rows staged before lines were kept
    ]
)

STAGING = {"songs": STAGING_SONGS, "events": STAGING_EVENTS}


def with_batch(schema: T.StructType) -> T.StructType:
    """A staging table's schema: the staged columns plus the `batch_id` of the run batch that wrote them."""
    return T.StructType([*schema.fields, T.StructField("batch_id", T.LongType(), False)])


# Quarantine: the raw record as text, where it came from and why it was set aside.
QUARANTINE = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("source_file", T.StringType(), False),
        T.StructField("line", T.IntegerType(), False),
        T.StructField("record", T.StringType()),
        T.StructField("reason", T.StringType(), False),
    ]
)

# The star schema. Partition columns (year, month) are part of the table as Spark reads it back.
SONGPLAYS = T.StructType(
    [
        T.StructField("songplay_id", T.StringType(), False),
        T.StructField("start_time", T.TimestampType(), False),
        T.StructField("user_id", T.IntegerType(), False),
        T.StructField("level", T.StringType(), False),
        T.StructField("song_id", T.StringType()),
        T.StructField("artist_id", T.StringType()),
        T.StructField("session_id", T.LongType(), False),
        T.StructField("location", T.StringType()),
        T.StructField("user_agent", T.StringType()),
        T.StructField("year", T.IntegerType(), False),
        T.StructField("month", T.IntegerType(), False),
    ]
)

USERS = T.StructType(
    [
        T.StructField("user_id", T.IntegerType(), False),
        T.StructField("first_name", T.StringType()),
        T.StructField("last_name", T.StringType()),
        T.StructField("gender", T.StringType()),
        T.StructField("level", T.StringType(), False),
    ]
)

USERS_HISTORY = T.StructType(
    [
        T.StructField("user_id", T.IntegerType(), False),
        T.StructField("level", T.StringType(), False),
        T.StructField("valid_from", T.TimestampType(), False),
        T.StructField("valid_to", T.TimestampType()),  # null for the current row
        T.StructField("is_current", T.BooleanType(), False),
    ]
)

SONGS = T.StructType(
    [
        T.StructField("song_id", T.StringType(), False),
        T.StructField("title", T.StringType(), False),
        T.StructField("artist_id", T.StringType(), False),
        T.StructField("year", T.IntegerType()),  # null when unknown (0 in the raw data)
        T.StructField("duration", T.DoubleType(), False),
    ]
)

ARTISTS = T.StructType(
    [
        T.StructField("artist_id", T.StringType(), False),
        T.StructField("name", T.StringType(), False),
        T.StructField("location", T.StringType()),
        T.StructField("latitude", T.DoubleType()),
        T.StructField("longitude", T.DoubleType()),
    ]
)

TIME = T.StructType(
    [
        T.StructField("start_time", T.TimestampType(), False),
        T.StructField("hour", T.IntegerType(), False),
        T.StructField("day", T.IntegerType(), False),
        T.StructField("week", T.IntegerType(), False),
        T.StructField("month", T.IntegerType(), False),
        T.StructField("year", T.IntegerType(), False),
        T.StructField("weekday", T.IntegerType(), False),  # ISO: 1 = Monday … 7 = Sunday
    ]
)

CURATED = {
    "songplays": SONGPLAYS,
    "users": USERS,
    "users_history": USERS_HISTORY,
    "songs": SONGS,
    "artists": ARTISTS,
    "time": TIME,
}

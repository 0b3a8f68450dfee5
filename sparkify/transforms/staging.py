"""Staging: raw JSON records → typed, renamed rows, each bad record tagged with why it is bad.

The input is what `sparkify.io.read_raw` returns: the raw fields as declared in `schemas.RAW_*`,
`_corrupt_record` (the line's text when it is not valid JSON or a value does not fit its type) and
`source_file`. Each `tag_*` function adds `quarantine_reason` (null for good records), so one pass
decides every record's fate and rows in = rows staged + rows quarantined by construction.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkify import schemas
from sparkify.transforms.common import blank_to_null, first_reason, require_columns

CORRUPT = "_corrupt_record"
SOURCE_FILE = "source_file"
REASON = "quarantine_reason"

# Events must fall in a plausible window: Sparkify did not exist before 2000, and a far-future
# timestamp is a unit error (seconds or microseconds instead of milliseconds).
MIN_TS_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_TS_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z

SONG_REQUIRED = ("song_id", "title", "artist_id", "artist_name", "duration")
EVENT_REQUIRED = ("ts", "page")
NEXT_SONG_REQUIRED = ("userId", "sessionId", "itemInSession", "level", "song", "artist", "length")


def _missing(fields: tuple[str, ...]) -> list[Column]:
    return [
        F.when(F.col(f).isNull(), F.lit(f"missing required field {f}")) for f in fields
    ]


def _unparseable(raw_schema: T.StructType) -> Column:
    """Why a corrupt record was rejected: not JSON at all, or which field has a value of the wrong type."""
    as_text = F.from_json(F.col(CORRUPT), T.MapType(T.StringType(), T.StringType()))
    wrong_type = [
        F.when(
            as_text[f.name].isNotNull() & F.col(f.name).isNull(),
            F.concat(
                F.lit(f"field {f.name}: expected {f.dataType.simpleString()}, got "),
                F.substring(as_text[f.name], 1, 80),
            ),
        )
        for f in raw_schema.fields
        if not isinstance(f.dataType, T.StringType)
    ]
    return F.when(
        F.col(CORRUPT).isNotNull(),
        F.coalesce(
            F.when(as_text.isNull(), F.lit("malformed JSON: not a JSON object")),
            *wrong_type,
            F.lit("malformed JSON: trailing or invalid content"),
        ),
    )


def tag_songs(raw_df: DataFrame) -> DataFrame:
    """Add `quarantine_reason` to raw song records: unparseable, missing a required field, or a duplicate song_id."""
    require_columns(raw_df, [*schemas.RAW_SONG.fieldNames(), CORRUPT, SOURCE_FILE], "tag_songs")
    reason = first_reason(_unparseable(schemas.RAW_SONG), *_missing(SONG_REQUIRED))
    tagged = raw_df.withColumn(REASON, reason)
    # Duplicates are judged among the records that are otherwise good.
    good = F.col(REASON).isNull()
    return tagged.withColumn(
        REASON,
        F.when(good, _duplicate_among_good(["song_id"], "song_id")).otherwise(F.col(REASON)),
    )


def _duplicate_among_good(keys: list[str], what: str) -> Column:
    """Tag every good copy of a key but the first (by source file, then position in it)."""
    w = Window.partitionBy(F.col(REASON).isNull(), *keys).orderBy(
        F.col(SOURCE_FILE), F.monotonically_increasing_id()
    )
    return F.when(
        F.row_number().over(w) > 1,
        F.concat(F.lit(f"duplicate {what} (first seen in "), F.first(SOURCE_FILE).over(w), F.lit(")")),
    )


def tag_events(raw_df: DataFrame) -> DataFrame:
    """Add `quarantine_reason` to raw events: unparseable, missing fields, bad userId/ts, or a duplicate event."""
    require_columns(raw_df, [*schemas.RAW_EVENT.fieldNames(), CORRUPT, SOURCE_FILE], "tag_events")
    user_id = blank_to_null("userId")
    is_next_song = F.col("page") == "NextSong"
    reason = first_reason(
        _unparseable(schemas.RAW_EVENT),
        *_missing(EVENT_REQUIRED),
        F.when(
            user_id.isNotNull() & user_id.cast("int").isNull(),
            F.concat(F.lit("userId is not an integer: "), F.substring("userId", 1, 40)),
        ),
        F.when(
            (F.col("ts") < MIN_TS_MS) | (F.col("ts") >= MAX_TS_MS),
            F.concat(F.lit("ts out of range (epoch ms, 2000–2100): "), F.col("ts").cast("string")),
        ),
        *[F.when(is_next_song, c) for c in _missing(NEXT_SONG_REQUIRED)],
        F.when(is_next_song & user_id.isNull(), F.lit("NextSong event without a userId")),
    )
    tagged = raw_df.withColumn(REASON, reason)
    key = ["ts", "userId", "sessionId", "itemInSession"]
    return tagged.withColumn(
        REASON,
        F.when(F.col(REASON).isNull(), _duplicate_among_good(key, "event")).otherwise(F.col(REASON)),
    )


def quarantined(tagged_df: DataFrame, source: str, raw_schema: T.StructType) -> DataFrame:
    """The tagged records that failed, as the quarantine table: source, file, the record's text, reason."""
    record = F.coalesce(F.col(CORRUPT), F.to_json(F.struct(*raw_schema.fieldNames())))
    return tagged_df.filter(F.col(REASON).isNotNull()).select(
        F.lit(source).alias("source"),
        F.col(SOURCE_FILE).alias("source_file"),
        record.alias("record"),
        F.col(REASON).alias("reason"),
    )


def staged_songs(tagged_df: DataFrame) -> DataFrame:
    """Good song records renamed and cast to `schemas.STAGING_SONGS`; year 0 and "" locations become null."""
    return tagged_df.filter(F.col(REASON).isNull()).select(
        "song_id",
        "title",
        "artist_id",
        "artist_name",
        blank_to_null("artist_location").alias("artist_location"),
        "artist_latitude",
        "artist_longitude",
        F.when(F.col("year") > 0, F.col("year").cast("int")).alias("year"),
        "duration",
        SOURCE_FILE,
    )


def staged_events(tagged_df: DataFrame) -> DataFrame:
    """Good events renamed to snake_case and cast to `schemas.STAGING_EVENTS` (epoch ms → UTC timestamps)."""
    return tagged_df.filter(F.col(REASON).isNull()).select(
        "ts",
        F.timestamp_millis("ts").alias("start_time"),
        blank_to_null("userId").cast("int").alias("user_id"),
        F.col("firstName").alias("first_name"),
        F.col("lastName").alias("last_name"),
        "gender",
        "level",
        "location",
        F.col("userAgent").alias("user_agent"),
        F.col("sessionId").alias("session_id"),
        F.col("itemInSession").cast("int").alias("item_in_session"),
        "page",
        "auth",
        "method",
        F.col("status").cast("int").alias("status"),
        "song",
        "artist",
        "length",
        F.timestamp_millis(F.col("registration").cast("long")).alias("registration"),
        SOURCE_FILE,
    )

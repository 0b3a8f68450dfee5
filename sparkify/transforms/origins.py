"""Where a curated row came from: each key of a curated table with the raw file and line (kept in staging)
of a record it was built from, so a row a suite rejects is named by the line to fix, not only by its key.

A row built from several records (an artist of many songs, a user of many plays) names the first of them
in file and line order (`locate`).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from sparkify.transforms import star
from sparkify.transforms.common import require_columns

SOURCE_FILE, LINE = "source_file", "line"


def origins(table: str, songs_df: DataFrame, events_df: DataFrame) -> DataFrame:
    """The curated `table`'s key columns, one row per staged record a row of that key was built from,
    with the record's `source_file` and `line`."""
    require_columns(songs_df, ["song_id", "artist_id", SOURCE_FILE], "origins")
    require_columns(
        events_df, ["ts", "user_id", "session_id", "item_in_session", "start_time", "page", SOURCE_FILE], "origins"
    )
    plays = star.filter_song_plays(events_df)

    def lineage(df: DataFrame) -> tuple[Column, Column]:
        # A staging table of a lake not staged since lines were kept has no `line` yet.
        line = F.col(LINE) if LINE in df.columns else F.lit(None).cast("int")
        return F.col(SOURCE_FILE), line.alias(LINE)

    by_table = {
        "songs": lambda: songs_df.select("song_id", *lineage(songs_df)),
        "artists": lambda: songs_df.select("artist_id", *lineage(songs_df)),
        "songplays": lambda: plays.select(star.songplay_id().alias("songplay_id"), *lineage(plays)),
        "time": lambda: plays.select("start_time", *lineage(plays)),
        "users": lambda: plays.select("user_id", *lineage(plays)),
        # A history row starts at the play that changed the level.
        "users_history": lambda: plays.select("user_id", F.col("start_time").alias("valid_from"), *lineage(plays)),
    }
    if table not in by_table:
        raise KeyError(f"no origins for table {table!r}; tables: {', '.join(by_table)}")
    return by_table[table]()


def locate(keys_df: DataFrame, origins_df: DataFrame, key: Sequence[str]) -> DataFrame:
    """Each row of `keys_df` (the key columns) with the first `source_file` and `line` of its key in
    `origins_df`; null for a key no staged record has."""
    first = Window.partitionBy(*key).orderBy(F.col(SOURCE_FILE), F.col(LINE).asc_nulls_last())
    earliest = origins_df.withColumn("_rank", F.row_number().over(first)).filter(F.col("_rank") == 1).drop("_rank")
    return keys_df.join(earliest, list(key), "left")

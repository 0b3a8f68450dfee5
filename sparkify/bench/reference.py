"""The reference: the same raw → staging → star-schema transform in DuckDB SQL, on one node.

The benchmark runs it on the same generated data as our Spark jobs and divides our time by its time.
It follows the rules of `sparkify.transforms` (staging.py, star.py) so the row counts of every table
must equal ours; the harness fails when they do not. Quarantine is simplified: a line that is not JSON
or a value of the wrong type reads as nulls (`ignore_errors`), so it is caught as a missing required
field; a wrong type in an optional field is kept here but quarantined by Spark (generated data has none).
It writes what our workflow writes, as Parquet: staging, quarantine, and the curated tables with the
fact and time partitioned by year and month (no validation: that is ours to pay for).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkify.pipeline import CURATED_TABLES, SOURCES

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

# Raw columns read, with explicit types (no inference), as in `schemas.RAW_SONG` / `schemas.RAW_EVENT`.
RAW_SONG_COLUMNS = {
    "num_songs": "BIGINT", "artist_id": "VARCHAR", "artist_latitude": "DOUBLE", "artist_longitude": "DOUBLE",
    "artist_location": "VARCHAR", "artist_name": "VARCHAR", "song_id": "VARCHAR", "title": "VARCHAR",
    "duration": "DOUBLE", "year": "BIGINT",
}  # fmt: skip
RAW_EVENT_COLUMNS = {
    "artist": "VARCHAR", "auth": "VARCHAR", "firstName": "VARCHAR", "gender": "VARCHAR",
    "itemInSession": "BIGINT", "lastName": "VARCHAR", "length": "DOUBLE", "level": "VARCHAR",
    "location": "VARCHAR", "method": "VARCHAR", "page": "VARCHAR", "registration": "DOUBLE",
    "sessionId": "BIGINT", "song": "VARCHAR", "status": "BIGINT", "ts": "BIGINT", "userAgent": "VARCHAR",
    "userId": "VARCHAR",
}  # fmt: skip

MIN_TS_MS, MAX_TS_MS = 946_684_800_000, 4_102_444_800_000  # as staging.MIN_TS_MS / MAX_TS_MS


def _missing(fields: tuple[str, ...], when: str = "TRUE") -> str:
    return "\n".join(f"WHEN ({when}) AND {f} IS NULL THEN 'missing required field {f}'" for f in fields)


def _read_json(path: Path, columns: dict[str, str]) -> str:
    spec = "{" + ", ".join(f"{name}: '{kind}'" for name, kind in columns.items()) + "}"
    return (
        f"read_json('{_sql_path(path)}/**/*.json', columns={spec}, format='newline_delimited', "
        "filename=true, ignore_errors=true)"
    )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _stage_sql(raw: Path) -> list[str]:
    songs = _read_json(raw / SOURCES["songs"], RAW_SONG_COLUMNS)
    events = _read_json(raw / SOURCES["events"], RAW_EVENT_COLUMNS)
    user_id = "NULLIF(TRIM(userId), '')"
    return [
        f"""
        CREATE TABLE tagged_songs AS
        WITH raw AS (SELECT * EXCLUDE (filename), filename AS source_file FROM {songs}),
        tagged AS (
            SELECT *, CASE {_missing(("song_id", "title", "artist_id", "artist_name", "duration"))} END AS reason
            FROM raw
        )
        SELECT * EXCLUDE (reason),
            CASE WHEN reason IS NULL AND row_number() OVER (
                     PARTITION BY reason IS NULL, song_id ORDER BY source_file) > 1
                 THEN 'duplicate song_id' ELSE reason END AS reason
        FROM tagged
        """,
        f"""
        CREATE TABLE tagged_events AS
        WITH raw AS (SELECT * EXCLUDE (filename), filename AS source_file FROM {events}),
        tagged AS (
            SELECT *, CASE
                {_missing(("ts", "page"))}
                WHEN {user_id} IS NOT NULL AND TRY_CAST({user_id} AS INTEGER) IS NULL
                    THEN 'userId is not an integer'
                WHEN ts < {MIN_TS_MS} OR ts >= {MAX_TS_MS} THEN 'ts out of range'
                {
            _missing(("userId", "sessionId", "itemInSession", "level", "song", "artist", "length"), "page = 'NextSong'")
        }
                WHEN page = 'NextSong' AND {user_id} IS NULL THEN 'NextSong event without a userId'
            END AS reason
            FROM raw
        )
        SELECT * EXCLUDE (reason),
            CASE WHEN reason IS NULL AND row_number() OVER (
                     PARTITION BY reason IS NULL, ts, userId, sessionId, itemInSession ORDER BY source_file) > 1
                 THEN 'duplicate event' ELSE reason END AS reason
        FROM tagged
        """,
        """
        CREATE TABLE staged_songs AS
        SELECT song_id, title, artist_id, artist_name, NULLIF(TRIM(artist_location), '') AS artist_location,
               artist_latitude, artist_longitude, CASE WHEN year > 0 THEN CAST(year AS INTEGER) END AS year,
               duration, source_file
        FROM tagged_songs WHERE reason IS NULL
        """,
        f"""
        CREATE TABLE staged_events AS
        SELECT ts, make_timestamp(ts * 1000) AS start_time, CAST({user_id} AS INTEGER) AS user_id,
               firstName AS first_name, lastName AS last_name, gender, level, location,
               userAgent AS user_agent, sessionId AS session_id, CAST(itemInSession AS INTEGER) AS item_in_session,
               page, auth, method, CAST(status AS INTEGER) AS status, song, artist, length,
               make_timestamp(CAST(registration AS BIGINT) * 1000) AS registration, source_file
        FROM tagged_events WHERE reason IS NULL
        """,
    ]


# The star schema, rule for rule as in transforms/star.py.
_MODEL_SQL = [
    """
    CREATE TABLE songplays AS
    WITH lookup AS (  -- one song per (title, artist name, duration): the smallest song_id
        SELECT title, artist_name, duration, song_id, artist_id FROM staged_songs
        QUALIFY row_number() OVER (PARTITION BY title, artist_name, duration ORDER BY song_id) = 1
    )
    SELECT md5(concat_ws('|', e.ts, e.user_id, e.session_id, e.item_in_session)) AS songplay_id,
           e.start_time, e.user_id, e.level, l.song_id, l.artist_id, e.session_id, e.location, e.user_agent,
           CAST(year(e.start_time) AS INTEGER) AS year, CAST(month(e.start_time) AS INTEGER) AS month
    FROM staged_events e
    LEFT JOIN lookup l ON e.song = l.title AND e.artist = l.artist_name AND e.length = l.duration
    WHERE e.page = 'NextSong'
    """,
    """
    CREATE TABLE users AS
    SELECT user_id, first_name, last_name, gender, level FROM staged_events WHERE page = 'NextSong'
    QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY ts DESC, session_id DESC, item_in_session DESC) = 1
    """,
    """
    CREATE TABLE users_history AS
    WITH plays AS (
        SELECT user_id, level, start_time, ts, session_id, item_in_session,
               lag(level) OVER (PARTITION BY user_id ORDER BY ts, session_id, item_in_session) AS previous_level
        FROM staged_events WHERE page = 'NextSong'
    ),
    changes AS (SELECT * FROM plays WHERE previous_level IS NULL OR previous_level <> level)
    SELECT user_id, level, start_time AS valid_from,
           lead(start_time) OVER (PARTITION BY user_id ORDER BY ts, session_id, item_in_session) AS valid_to,
           valid_to IS NULL AS is_current
    FROM changes
    """,
    "CREATE TABLE songs AS SELECT song_id, title, artist_id, year, duration FROM staged_songs",
    """
    CREATE TABLE artists AS
    WITH counted AS (
        SELECT *, count(*) OVER (PARTITION BY artist_id, artist_name) AS name_count FROM staged_songs
    )
    SELECT artist_id, artist_name AS name, artist_location AS location,
           artist_latitude AS latitude, artist_longitude AS longitude
    FROM counted
    QUALIFY row_number() OVER (
        PARTITION BY artist_id
        ORDER BY name_count DESC, artist_name, artist_latitude IS NULL, artist_location IS NULL, song_id) = 1
    """,
    """
    CREATE TABLE time AS
    SELECT start_time, CAST(hour(start_time) AS INTEGER) AS hour, CAST(day(start_time) AS INTEGER) AS day,
           CAST(weekofyear(start_time) AS INTEGER) AS week, CAST(month(start_time) AS INTEGER) AS month,
           CAST(year(start_time) AS INTEGER) AS year, CAST(isodow(start_time) AS INTEGER) AS weekday
    FROM (SELECT DISTINCT start_time FROM songplays)
    """,
]


def _one_row(con: DuckDBPyConnection, query: str) -> tuple[Any, ...]:
    row = con.execute(query).fetchone()
    if row is None:
        raise RuntimeError(f"no row from {query}")
    return row


def _copy(con: DuckDBPyConnection, query: str, target: Path, partition_by: tuple[str, ...] = ()) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if partition_by:
        options = f"FORMAT parquet, COMPRESSION snappy, PARTITION_BY ({', '.join(partition_by)}), OVERWRITE_OR_IGNORE"
        con.execute(f"COPY ({query}) TO '{_sql_path(target)}' ({options})")
    else:
        con.execute(f"COPY ({query}) TO '{_sql_path(target / 'part-0.parquet')}' (FORMAT parquet, COMPRESSION snappy)")


def run_reference(raw: Path, out: Path, threads: int | None = None) -> dict[str, Any]:
    """Stage and model `raw` into `out` (staging/, quarantine/, curated/) with DuckDB.

    Returns {"seconds", "steps": {"stage", "model"}, "sources": {source: {read, staged, quarantined}},
    "rows": {table: rows}}, counted the way our run report counts them.
    """
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for statement in _stage_sql(Path(raw).resolve()):
        con.execute(statement)
    out = Path(out)
    staged_columns = {"songs": "* EXCLUDE (source_file), source_file", "events": "*"}
    sources: dict[str, dict[str, int]] = {}
    for source in SOURCES:
        _copy(con, f"SELECT {staged_columns[source]} FROM staged_{source}", out / "staging" / source)
        _copy(
            con,
            f"SELECT '{source}' AS source, source_file, reason FROM tagged_{source} WHERE reason IS NOT NULL",
            out / "quarantine" / source,
        )
        read, quarantined = _one_row(con, f"SELECT count(*), count(reason) FROM tagged_{source}")
        sources[source] = {"read": read, "staged": read - quarantined, "quarantined": quarantined}
    staged = time.perf_counter()

    for statement in _MODEL_SQL:
        con.execute(statement)
    rows: dict[str, int] = {}
    for table in CURATED_TABLES:
        _copy(con, f'SELECT * FROM "{table.name}"', out / "curated" / table.name, table.partition_by)
        rows[table.name] = _one_row(con, f'SELECT count(*) FROM "{table.name}"')[0]
    con.close()
    end = time.perf_counter()
    return {
        "seconds": end - start,
        "steps": {"stage": staged - start, "model": end - staged},
        "sources": sources,
        "rows": rows,
    }

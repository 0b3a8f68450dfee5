"""Spark's floor: the least a run of ours could cost on this machine, for the benchmark's ratios.

The same transform as the workflow, written as plainly as Spark allows, with the project's own star
transforms: Spark's JSON reader with the raw schemas, no raw-file ledger, no quarantine reasons, no
duplicate checks, no audit branch, no Great Expectations. What the workflow spends above it is the
price of what it does besides; what the floor spends is Spark's (JVM start, per-row JSON parsing,
query planning) and no change of ours can take it away.

- `full_run`: raw → staging → star schema, as Parquet (compare with the whole run and with the DuckDB
  reference, `sparkify.bench.reference`).
- `new_day`: one new log file into a lake our workflow built: append its events to staging, merge its
  plays, their times and the users it touches into the published tables, one aggregate check per table
  (compare with a new day's `sparkify run`).

    python -m sparkify.bench.floor full RAW OUT
    python -m sparkify.bench.floor new-day LAKE LOG_FILE
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkify import schemas
from sparkify.pipeline import SOURCES
from sparkify.transforms import staging, star

# Keys of the tables the new-day floor merges into.
MERGED = {"songplays": "songplay_id", "time": "start_time", "users": "user_id"}


def _read(spark: SparkSession, path: Path, schema: T.StructType) -> DataFrame:
    reader = spark.read.schema(schema).option("recursiveFileLookup", "true")
    # One file is named as it is: MERGE refuses the nondeterministic `input_file_name()`.
    source = F.lit(path.as_uri()) if path.is_file() else F.input_file_name()
    # Every record is taken as good and its line is not kept: the floor judges nothing, traces nothing.
    return (
        reader.json(str(path))
        .withColumn(staging.SOURCE_FILE, source)
        .withColumn(staging.LINE, F.lit(None).cast("int"))
        .withColumn(staging.REASON, F.lit(None).cast("string"))
    )


def full_run(spark: SparkSession, raw: Path, out: Path) -> dict[str, float]:
    """Seconds of each phase of the plain full run; the tables are Parquet folders under `out`."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    staged = {
        "events": staging.staged_events(_read(spark, raw / SOURCES["events"], schemas.RAW_EVENT)),
        "songs": staging.staged_songs(_read(spark, raw / SOURCES["songs"], schemas.RAW_SONG)),
    }
    for source, frame in staged.items():
        frame.write.parquet(str(out / "staging" / source))
    staged_at = time.perf_counter()
    events, songs = (spark.read.parquet(str(out / "staging" / s)) for s in ("events", "songs"))
    star.songplays(events, songs).write.partitionBy("year", "month").parquet(str(out / "songplays"))
    star.time(spark.read.parquet(str(out / "songplays"))).write.parquet(str(out / "time"))
    star.users(events).write.parquet(str(out / "users"))
    star.users_history(events).write.parquet(str(out / "users_history"))
    star.songs(songs).write.parquet(str(out / "songs"))
    star.artists(songs).write.parquet(str(out / "artists"))
    return {"stage": staged_at - start, "model": time.perf_counter() - staged_at}


def new_day(spark: SparkSession, catalog: str, log_file: Path) -> dict[str, float]:
    """Seconds of each phase of the plain new-day run on the lake of Iceberg catalog `catalog`."""
    start = time.perf_counter()
    day = staging.staged_events(_read(spark, log_file, schemas.RAW_EVENT))
    # The same batch id for every row; the floor keeps no ledger that would hand out the next one.
    day = day.withColumn("batch_id", F.lit(2**62).cast("long")).cache()
    day.writeTo(f"{catalog}.staging.events").append()
    staged_at = time.perf_counter()
    plays = star.songplays(day, spark.table(f"{catalog}.staging.songs"))
    touched = spark.table(f"{catalog}.staging.events").join(day.select("user_id").distinct(), "user_id", "left_semi")
    for name, rows, update in (
        ("songplays", plays, False),
        ("time", star.time(plays), False),
        ("users", star.users(touched), True),
    ):
        rows.createOrReplaceTempView("_floor_rows")
        spark.sql(
            f"MERGE INTO {catalog}.curated.{name} t USING _floor_rows s ON t.{MERGED[name]} = s.{MERGED[name]} "
            + ("WHEN MATCHED THEN UPDATE SET * " if update else "")
            + "WHEN NOT MATCHED THEN INSERT *"
        )
    modelled_at = time.perf_counter()
    for name, key in MERGED.items():
        spark.sql(f"SELECT count(*), count(DISTINCT {key}), count({key}) FROM {catalog}.curated.{name}").collect()
    return {"stage": staged_at - start, "model": modelled_at - staged_at, "check": time.perf_counter() - modelled_at}


def main(argv: list[str]) -> None:
    """Times one floor run in a fresh process, start-up included, as `sparkify bench` times ours."""
    began = time.perf_counter()
    from sparkify.local.session import local_session, register_local_catalog

    if len(argv) != 3 or argv[0] not in ("full", "new-day"):
        sys.exit("usage: python -m sparkify.bench.floor full RAW OUT | new-day LAKE LOG_FILE")
    kind, first, second = argv[0], Path(argv[1]), Path(argv[2])
    # The JIT a run of ours would choose for the same input (`sparkify.local.jit_choice`).
    spark = local_session(quick_jit=kind == "new-day")
    started = time.perf_counter() - began
    if kind == "full":
        phases = full_run(spark, first, second)
    else:
        phases = new_day(spark, register_local_catalog(spark, first), second)
    spark.stop()
    figures = {"start": started, **phases, "total": time.perf_counter() - began}
    print(" ".join(f"{name} {seconds:.1f}" for name, seconds in figures.items()))


if __name__ == "__main__":
    main(sys.argv[1:])

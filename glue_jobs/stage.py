"""Glue job `stage`: raw song and log files → typed staging Iceberg tables; bad records → quarantine.

Incremental by our own raw-file ledger, `<staging_namespace>.raw_files` (one row per raw file: path,
size, modification time, content hash, status, the batch in which its state last changed, reason).
Each run lists the raw prefixes and classes every file (`sparkify.lake.ledger`): new files are staged
whatever their age, unchanged ones are not read, a changed file's staged rows are replaced by its new
ones, a deleted file's rows are removed, unsupported names are listed as skipped. When rows leave
staging (a changed or deleted file), the unchanged files whose records were quarantined as duplicates
of those rows are read again in the batch, so their records are staged unless another copy stays
(`ledger.to_judge_again`). Per source, in this order, so a crash at any point is redone by the next
run with the same result:

1. quarantine: the batch's rejected records, as Parquet in the batch's own `batch_id=` partition
   (dynamic overwrite: a replayed batch replaces it), registered on AWS as that batch's partition of
   the Glue table `quarantine_<source>` for Athena (`sparkify.lake.quarantine_catalog`);
2. staging: ONE Iceberg commit (MERGE) removes every earlier row of the files this batch read or lost
   and inserts the batch's good rows;
3. the ledger: one MERGE of the rows whose state changed. Until it commits the files count as not yet
   staged, so the next run reads them again and step 2 replaces what the crashed one wrote.

A run's `batch_id` is greater than any before; the model job finds what a run touched as
`raw_files where batch_id > <last batch modelled>` (or by the staging tables' changelog).
`full_refresh=true` drops staging, ledger and quarantine and stages every raw file again. A backfill
(`backfill_from`, `backfill_to`) reads the unchanged files of those days again in the batch, as the
duplicates' files above are read: their staged rows are replaced by their records, never added twice.

Runs unchanged on AWS Glue 5.1 (`glue_main`) and locally (`sparkify run` calls `run`); every file
operation goes through Spark's and Hadoop's file APIs, so S3 and a folder behave the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkify import schemas
from sparkify.job_args import JobArgs
from sparkify.lake import integrity, ledger, quarantine_catalog, tables
from sparkify.lake.glue_entry import glue_main
from sparkify.lake.io import (
    RawInputError,
    clean_crash_leftovers,
    delete,
    exists,
    join_uri,
    list_raw_files,
    read_raw_files,
    read_raw_lines,
    read_whole,
    stream_hashes,
)
from sparkify.layout import batch_partition
from sparkify.pipeline import LEDGER_TABLE, SOURCES, Location, Namespace
from sparkify.transforms import staging

STEP = "stage"
BATCH = "batch_id"
LEDGER = LEDGER_TABLE
# Staging files of a batch hold about this many rows (tens of MB): few files, and a big batch is still
# written by more than one task.
ROWS_PER_FILE = 500_000
# How many file names and reasons a report lists (the ledger and quarantine hold them all).
LISTED = 20

LEDGER_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("path", T.StringType(), False),
        T.StructField("size", T.LongType(), False),
        T.StructField("modification_time", T.TimestampType(), False),
        T.StructField("content_hash", T.StringType()),
        T.StructField("status", T.StringType(), False),
        T.StructField(BATCH, T.LongType(), False),
        T.StructField("reason", T.StringType()),
    ]
)

_TAG = {"songs": staging.tag_songs, "events": staging.tag_events}
_STAGE = {"songs": staging.staged_songs, "events": staging.staged_events}


def run(spark: SparkSession, args: JobArgs) -> dict[str, Any]:
    if args.full_refresh:
        for table, location in integrity.owned(args.places, (Namespace.STAGING,)).values():
            integrity.forget(spark, table, location)
        for location in (Location.STAGING, Location.QUARANTINE):
            delete(spark, args[location])
    else:
        # A table broken or out of place is named before anything reads or writes it.
        integrity.check(spark, args.places, (Namespace.STAGING,))
    ensure_tables(spark, args)
    days = args.backfill
    previous = previous_entries(spark, args)
    plans = {source: plan_source(spark, args, source, previous.get(source, [])) for source in SOURCES}
    # A run with nothing to read, remove or record takes no batch id and commits nothing (the usual
    # "nothing new" run pays for a listing and one read of the ledger).
    batch_id = None if all(_idle(p, days) for p in plans.values()) else next_batch_id(spark, args)
    sources = {source: ingest(spark, args, plans[source], batch_id, days) for source in SOURCES}
    if args.quarantine_database:  # the lifecycle has expired these batches' files
        for source in SOURCES:
            quarantine_catalog.forget_expired(args.quarantine_database, source, args.history_days)
    return {"status": "succeeded", "batch_id": batch_id, "sources": sources}


def _idle(plan: ledger.Plan, days: tuple[date, date] | None = None) -> bool:
    """Nothing for this run to read (a backfill's days included), and no ledger row to change."""
    decided = ledger.resolve(plan, {}, -1)
    return not plan.to_read() and not decided.updates and not ledger.of_days(plan, decided, days)


def staging_table(args: JobArgs, source: str) -> str:
    return tables.ident(args[Namespace.STAGING], source)


def ledger_table(args: JobArgs) -> str:
    return tables.ident(args[Namespace.STAGING], LEDGER)


def ensure_tables(spark: SparkSession, args: JobArgs) -> None:
    for source in SOURCES:
        schema = schemas.with_batch(schemas.STAGING[source])
        tables.ensure_table(
            spark, staging_table(args, source), schema, (BATCH,), join_uri(args[Location.STAGING], source)
        )
        # A lake staged before a column joined the schema (`line`) gets it; its old rows read null.
        tables.add_missing_columns(spark, staging_table(args, source), schema)
    tables.ensure_table(spark, ledger_table(args), LEDGER_SCHEMA, (), join_uri(args[Location.STAGING], LEDGER))


def next_batch_id(spark: SparkSession, args: JobArgs) -> int:
    """One more than any batch the ledger or a staging table has seen (Iceberg answers max from metadata)."""
    names = [ledger_table(args), *(staging_table(args, s) for s in SOURCES)]
    union = " UNION ALL ".join(f"SELECT max({BATCH}) AS b FROM {name}" for name in names)
    row = spark.sql(f"SELECT max(b) AS b FROM ({union})").first()
    return 0 if row is None or row["b"] is None else int(row["b"]) + 1


def previous_entries(spark: SparkSession, args: JobArgs) -> dict[str, list[ledger.Entry]]:
    """The ledger's rows by source, in one read."""
    rows = spark.table(ledger_table(args)).withColumn("modification_time", F.unix_millis("modification_time")).collect()
    entries: dict[str, list[ledger.Entry]] = {}
    for r in rows:
        entries.setdefault(r["source"], []).append(
            ledger.Entry(
                r["source"],
                r["path"],
                int(r["size"]),
                int(r["modification_time"]),
                r["content_hash"],
                ledger.Status(r["status"]),
                int(r[BATCH]),
                r["reason"],
            )
        )
    return entries


def plan_source(spark: SparkSession, args: JobArgs, source: str, previous: list[ledger.Entry]) -> ledger.Plan:
    """Each raw file of `source` against the ledger (`ledger.plan`); an error when there is nothing to stage."""
    plan = ledger.plan(source, list_raw_files(spark, args[Location.RAW], source), previous)
    if not previous and not [p for p, c in plan.classes.items() if c == ledger.FileClass.NEW]:
        raise RawInputError(
            f"no readable files ({', '.join(ledger.READABLE)}) under "
            f"{join_uri(args[Location.RAW], SOURCES[source])}: nothing to stage for {source}; "
            f"put the {SOURCES[source]}/ files there first"
        )
    return plan


def ingest(
    spark: SparkSession,
    args: JobArgs,
    plan: ledger.Plan,
    batch_id: int | None,
    days: tuple[date, date] | None = None,
) -> dict[str, Any]:
    """Bring the staging table of the plan's source in line with its raw files; return what this run
    did. `batch_id` is None only when no source has anything to do. `days`: a backfill's first and last
    day, whose unchanged files are read again too (`ledger.of_days`)."""
    source = plan.source
    staged = staging_table(args, source)
    quarantine_uri = join_uri(args[Location.QUARANTINE], source)
    leftovers = clean_crash_leftovers(spark, quarantine_uri)
    if batch_id is None:
        decided = ledger.resolve(plan, {}, -1)
        return _report(plan, _Batch.reading_nothing(decided), leftovers, [])

    hashes = _hashes_of_suspects(spark, args, plan)
    decided = ledger.resolve(plan, hashes, batch_id)
    # Rows leaving staging may be the kept copies of records quarantined as their duplicates.
    leaving = decided.paths(ledger.FileClass.CHANGED, ledger.FileClass.DELETED)
    duplicates_of_leaving = ledger.to_judge_again(_duplicates(spark, quarantine_uri), plan, decided) if leaving else []
    backfilled = ledger.of_days(plan, decided, days)
    again = sorted(set(duplicates_of_leaving) | set(backfilled))
    read_now = sorted(decided.paths(ledger.FileClass.NEW, ledger.FileClass.CHANGED) + again)
    replace = read_now + decided.paths(ledger.FileClass.DELETED)

    if read_now:
        batch = _stage_batch(spark, args, plan, batch_id, read_now, replace, again, hashes)
    else:
        batch = _Batch.reading_nothing(decided)
        if replace:  # only deletions
            rows_removed = _count_rows_of(spark, staged, replace)
            _replace_rows_of_files(spark, staged, None, replace, rows_removed)
            batch = _Batch.reading_nothing(decided, rows_removed)
    _update_ledger(spark, ledger_table(args), batch.decided.updates)
    report = _report(plan, batch, leftovers, duplicates_of_leaving)
    if days is not None:
        report["files"] += len(set(backfilled) - set(duplicates_of_leaving))
        report["backfilled_files"] = backfilled[:LISTED]
    return report


class _Batch(NamedTuple):
    """What a batch did to one source's staging table. (Not a dataclass: Glue and the local runner load a
    job script as a module that `sys.modules` does not hold, and dataclasses look their module up there.)"""

    decided: ledger.Outcome
    counts: dict[str, int]
    unknown: dict[str, int]
    top: list[dict[str, Any]]
    rows_removed: int

    @classmethod
    def reading_nothing(cls, decided: ledger.Outcome, rows_removed: int = 0) -> _Batch:
        return cls(decided, {"read": 0, "staged": 0, "quarantined": 0}, {}, [], rows_removed)


def _records(
    spark: SparkSession, args: JobArgs, plan: ledger.Plan, read_now: list[str], whole: list[str], hashes: dict[str, str]
) -> tuple[DataFrame | None, DataFrame]:
    """The batch's raw files (`whole` read at once, with an `unreadable` column; None when none is) and the
    records of every file of `read_now`, one row per record with its file and line."""
    source = plan.source
    in_blocks = sorted(set(read_now) - set(whole))
    # Hashed before their lines are read (unless hashed above as a suspect): a file rewritten in
    # between then has a new time and an older hash in the ledger, so the next run reads it again.
    hashes.update(stream_hashes(spark, [p for p in in_blocks if p not in hashes]))
    readable_listed = [p for p, c in plan.classes.items() if c != ledger.FileClass.UNSUPPORTED and p in plan.listed]
    batch_files = (
        read_raw_files(spark, args[Location.RAW], source, whole, whole_prefix=len(whole) == len(readable_listed))
        if whole
        else None
    )
    cores = spark.sparkContext.defaultParallelism
    spread = cores if len(read_now) < cores else 0  # few files: parse their lines on every core
    readable = None if batch_files is None else batch_files.filter(F.col("unreadable").isNull())
    rows = staging.records(
        None if readable is None else readable.select("path", "content", "content_hash"),
        source,
        spread,
        read_raw_lines(spark, in_blocks) if in_blocks else None,
    )
    return batch_files, rows


def _keep_quarantine(
    spark: SparkSession, args: JobArgs, source: str, batch_id: int, quarantine: DataFrame | None
) -> None:
    """The batch's rejected records in its own partition (registered for Athena on AWS), or none."""
    quarantine_uri = join_uri(args[Location.QUARANTINE], source)
    if quarantine is None:  # a batch replayed after a crash may have left a partition: this batch rejects nothing
        delete(spark, join_uri(quarantine_uri, batch_partition(batch_id)))
        return
    _write_quarantine(quarantine, quarantine_uri, batch_id)
    if args.quarantine_database:
        quarantine_catalog.register_batch(
            args.quarantine_database,
            source,
            batch_id,
            quarantine_catalog.partition_location(args[Location.QUARANTINE], source, batch_id),
        )


def _hashes_of_suspects(spark: SparkSession, args: JobArgs, plan: ledger.Plan) -> dict[str, str]:
    """The content hash of each file with its old size and a new time: only its bytes tell whether it changed.
    Only these files are read for it; a large one as a stream."""
    if not plan.to_hash:
        return {}
    streamed = [p for p in plan.to_hash if not read_whole(p, plan.listed[p].size)]
    hashes = dict(stream_hashes(spark, streamed))
    if len(streamed) < len(plan.to_hash):
        rest = sorted(set(plan.to_hash) - set(streamed))
        suspects = read_raw_files(spark, args[Location.RAW], plan.source, rest).select("path", "content_hash")
        hashes.update({r["path"]: r["content_hash"] for r in suspects.collect()})
    return hashes


def _stage_batch(
    spark: SparkSession,
    args: JobArgs,
    plan: ledger.Plan,
    batch_id: int,
    read_now: list[str],
    replace: list[str],
    again: list[str],
    hashes: dict[str, str],
) -> _Batch:
    """Read `read_now`, quarantine its rejected records, and replace the staged rows of `replace` with its
    good ones in one commit. `hashes` gains the hash of every file read."""
    source = plan.source
    staged = staging_table(args, source)
    whole = [p for p in read_now if read_whole(p, plan.listed[p].size, staging.is_json_lines(source, p))]
    batch_files, rows = _records(spark, args, plan, read_now, whole, hashes)
    targets = spark.createDataFrame([(p,) for p in replace], "source_file string")
    earlier = _staged_rows(spark, staged, targets)
    # Tagged without the window that finds a key twice in the batch (it sorts whole rows); only a
    # batch that holds a key twice is tagged again with it.
    tagged, total = _tag(rows, source, earlier, repeats=False)
    if staging.has_repeated_key(tagged, source):
        tagged.unpersist()
        tagged, total = _tag(rows, source, earlier, repeats=True)
    # Hashes ride on each file's first record (see `staging.split_records`); a file with no
    # record keeps none, so a later touch makes it be read again (it holds nothing to replace).
    hashes.update(
        {
            r[staging.SOURCE_FILE]: r["content_hash"]
            for r in tagged.filter(F.col("content_hash").isNotNull())
            .select(staging.SOURCE_FILE, "content_hash")
            .collect()
        }
    )
    unreadable: dict[str, str] = {}
    if batch_files is not None and any(p.endswith(ledger.COMPRESSED) for p in whole):
        # only compressed files can be unreadable
        bad = batch_files.filter(F.col("unreadable").isNotNull()).select("path", "unreadable", "content_hash").collect()
        unreadable = {r["path"]: r["unreadable"] for r in bad}
        hashes.update({r["path"]: r["content_hash"] for r in bad})
    decided = ledger.resolve(plan, hashes, batch_id, unreadable, reread=again)
    staged_rows = total["read"] - total["quarantined"]
    quarantine = staging.quarantined(tagged, source).unionByName(_unreadable_records(spark, unreadable, source))
    rejected = total["quarantined"] + len(unreadable)
    _keep_quarantine(spark, args, source, batch_id, quarantine if rejected else None)
    # Everything read from `tagged` is read before staging changes: `tagged` is built on the
    # staging table (for duplicates), and Spark drops a cached plan when a table under it changes
    # (measured: 17 s to recompute it for `unknown_fields` at 15k song files).
    unknown = staging.unknown_fields(tagged)
    top = top_reasons(quarantine) if rejected else []
    good = _STAGE[source](tagged).withColumn(BATCH, F.lit(batch_id).cast("long"))
    rows_removed = _count_rows_of(spark, staged, replace)
    _replace_rows_of_files(
        spark, staged, good.coalesce(max(1, -(-staged_rows // ROWS_PER_FILE))), replace, rows_removed
    )
    tagged.unpersist()
    counts = {
        "read": total["read"] + len(unreadable),
        "staged": staged_rows,
        "quarantined": total["quarantined"] + len(unreadable),
    }
    return _Batch(decided, counts, unknown, top, rows_removed)


def _report(plan: ledger.Plan, batch: _Batch, leftovers: list[str], judged_again: list[str]) -> dict[str, Any]:
    """What the run did for one source, once every file is accounted for."""
    decided = batch.decided
    seen = ledger.check_accounted(plan, decided)
    counts = dict(batch.counts)
    assert counts["read"] == counts["staged"] + counts["quarantined"]
    return {
        **counts,
        "files": len(decided.paths(ledger.FileClass.NEW, ledger.FileClass.CHANGED)) + len(judged_again),
        "files_seen": seen,
        "file_classes": decided.counts(),
        "deleted_files": decided.paths(ledger.FileClass.DELETED)[:LISTED],
        "rows_removed": batch.rows_removed,
        "judged_again_files": judged_again[:LISTED],
        "unsupported_files": [
            {"path": p, "reason": ledger.unsupported_reason(p)}
            for p in decided.paths(ledger.FileClass.UNSUPPORTED)[:LISTED]
        ],
        "top_reasons": list(batch.top),
        "unknown_fields": dict(batch.unknown),
        "crash_leftovers_removed": len(leftovers),
    }


def _duplicates(spark: SparkSession, quarantine_uri: str) -> list[ledger.Duplicate]:
    """Every file's records the quarantine holds as duplicates, per batch and kept copy's file: a few
    rows per file, read only in a run where staged rows leave."""
    if not exists(spark, quarantine_uri):
        return []
    schema = T.StructType([*schemas.QUARANTINE.fields, T.StructField(BATCH, T.LongType())])
    rows = (
        spark.read.schema(schema)
        .parquet(quarantine_uri)
        .select("source_file", BATCH, staging.duplicate_of(F.col("reason")).alias("of"))
        .filter(F.col("of").isNotNull())
        .distinct()
        .collect()
    )
    return [ledger.Duplicate(r["source_file"], int(r[BATCH]), r["of"]) for r in rows]


def _staged_rows(spark: SparkSession, table: str, replaced: DataFrame) -> DataFrame | None:
    """The staged rows a batch's records may repeat: all but those of the files the batch replaces;
    None when the table has no snapshot (nothing to repeat, no join at all)."""
    if tables.snapshot_id(spark, table) is None:
        return None
    return spark.table(table).join(replaced, "source_file", "left_anti")


def _tag(rows: DataFrame, source: str, earlier: DataFrame | None, repeats: bool) -> tuple[DataFrame, Row]:
    """The batch's records tagged (`staging.tag_*`, then against `earlier`), cached once for every
    action the job runs on them, with their count and how many are quarantined. Events are compared
    only with staged events of the batch's time range: the records are parsed once for that range and
    for the tagging."""
    records = _TAG[source](rows, repeats)
    near = source == "events" and earlier is not None
    if near:
        records = records.persist()
    compared = _in_time_range(earlier, records) if near and earlier is not None else earlier
    tagged = staging.drop_text_of_good(staging.tag_already_staged(records, compared, source)).persist()
    total = tagged.agg(F.count("*").alias("read"), F.count(staging.REASON).alias("quarantined")).first()
    assert total is not None
    if near:
        records.unpersist()
    return tagged, total


def _in_time_range(staged: DataFrame, records: DataFrame) -> DataFrame:
    """The staged events that could share a key with `records`. An event's key holds its `ts`, so only
    staged events within the batch's time range can repeat one; Iceberg skips every data file whose
    `ts` range lies outside it (a new day's file reads none of the history's)."""
    bounds = records.agg(F.min("ts").alias("low"), F.max("ts").alias("high")).first()
    if bounds is None or bounds["low"] is None:
        return staged.limit(0)
    return staged.filter(F.col("ts").between(int(bounds["low"]), int(bounds["high"])))


def _unreadable_records(spark: SparkSession, unreadable: Mapping[str, str], source: str) -> DataFrame:
    """A file whose bytes cannot be decompressed is one quarantined record at line 0, saying why."""
    return spark.createDataFrame(
        [(source, path, 0, None, reason) for path, reason in sorted(unreadable.items())], schemas.QUARANTINE
    )


def top_reasons(quarantine: DataFrame, limit: int = 5) -> list[dict[str, Any]]:
    """The most frequent kinds of rejection, each with its count and one example (file and line)."""
    rows = (
        quarantine.withColumn("kind", staging.reason_kind(F.col("reason")))
        .groupBy("kind")
        .agg(F.count("*").alias("count"), F.min(F.struct("source_file", "line")).alias("example"))
        .orderBy(F.desc("count"), "kind")
        .limit(limit)
        .collect()
    )
    return [
        {
            "reason": r["kind"],
            "count": int(r["count"]),
            "example": f"{r['example']['source_file']} line {r['example']['line']}",
        }
        for r in rows
    ]


def _count_rows_of(spark: SparkSession, table: str, files: list[str]) -> int:
    if tables.snapshot_id(spark, table) is None:  # a first run: nothing staged yet (and 15k names cost 2 s to plan)
        return 0
    # A literal list, not a join: Iceberg skips every data file whose `source_file` range excludes the
    # names (a new day's log file sorts after every staged one, so no data file is read).
    return spark.table(table).filter(tables.in_values("source_file", files)).count()


def _replace_rows_of_files(
    spark: SparkSession, table: str, rows: DataFrame | None, files: list[str], rows_of_files: int
) -> None:
    """One Iceberg commit: every row of `table` from one of `files` goes, `rows` come in. Replaying it
    with the same input gives the same table (the rows it inserted are among those it removes).
    When the table holds none of their rows (`rows_of_files` is 0: new files, the usual case) it is a
    plain append, as a MERGE reads the whole table to find the rows to remove."""
    if rows is not None and rows_of_files == 0:
        # The batch is one partition (its batch id): Iceberg's default distribution would shuffle every
        # row again onto that partition's one task. The rows are already spread as they should be written
        # (`ROWS_PER_FILE` a task), so each task writes its own file.
        rows.writeTo(table).option("distribution-mode", "none").append()
        return
    markers = spark.createDataFrame([(f,) for f in files], "source_file string").withColumn("_delete", F.lit(True))
    if rows is None:  # only deletions: no rows come in, but the source still has the table's columns
        rows = spark.table(table).limit(0)
    elif not _deterministic(rows):
        # A MERGE refuses a source Spark calls nondeterministic, as the lines of a file read in blocks
        # are (numbered with `monotonically_increasing_id`): the rows are worked out once, kept, and read.
        rows = rows.localCheckpoint()
    source = rows.withColumn("_delete", F.lit(False)).unionByName(markers, allowMissingColumns=True)
    columns = [f.name for f in spark.table(table).schema.fields]
    # Matching on the file alone lets Iceberg rewrite only the data files that hold those files' rows.
    tables.merge_into(
        spark,
        source,
        table,
        "t.source_file = s.source_file AND s._delete",
        f"WHEN MATCHED THEN DELETE WHEN NOT MATCHED AND NOT s._delete THEN {tables.insert_values(columns)}",
    )


def _deterministic(df: DataFrame) -> bool:
    return bool(df._jdf.queryExecution().analyzed().deterministic())


def _update_ledger(spark: SparkSession, table: str, updates: list[ledger.Entry]) -> None:
    """One commit: the ledger rows whose state changed replace their earlier versions."""
    if not updates:
        return
    empty = tables.snapshot_id(spark, table) is None
    rows = spark.createDataFrame(
        [
            (e.source, e.path, e.size, e.modification_time, e.content_hash, e.status.value, e.batch_id, e.reason)
            for e in updates
        ],
        "source string, path string, size long, mtime long, content_hash string, status string, batch_id "
        "long, reason string",
    ).select(
        "source",
        "path",
        "size",
        F.timestamp_millis("mtime").alias("modification_time"),
        "content_hash",
        "status",
        BATCH,
        "reason",
    )
    if empty:
        rows.writeTo(table).append()
        return
    tables.merge_into(
        spark,
        rows,
        table,
        "t.source = s.source AND t.path = s.path",
        "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *",
    )


def _write_quarantine(df: DataFrame, uri: str, batch_id: int) -> None:
    # Its own partition, overwritten dynamically: replaying the batch rewrites exactly this output.
    df.withColumn(BATCH, F.lit(batch_id)).coalesce(1).write.partitionBy(BATCH).mode("overwrite").option(
        "partitionOverwriteMode", "dynamic"
    ).parquet(uri)


if __name__ == "__main__":
    glue_main(STEP, run)

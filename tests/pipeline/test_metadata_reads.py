"""What a run asks of table metadata is read through Iceberg's API or in one query, not one Spark job per
question: each job is planned and run (0.1-0.3 s warm, more cold), and every run asks at each step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sparkify.lake import integrity, tables
from sparkify.pipeline import Namespace
from tests.star_rows import curated_table, write_lake


def spark_jobs(spark, action: Callable[[], object]) -> int:
    """How many Spark jobs `action` started."""
    context = spark.sparkContext
    group = f"counted-{datetime.now(UTC).timestamp()}"
    context.setJobGroup(group, "metadata reads")
    try:
        action()
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
    return len(context.statusTracker().getJobIdsForGroup(group))


def test_the_integrity_check_of_six_tables_reads_their_files_in_one_job(spark, tmp_path):
    args = write_lake(spark, tmp_path / "lake", next_song_events=2)
    check = lambda: integrity.check(spark, args.places, (Namespace.CURATED,))  # noqa: E731
    check()  # nothing is broken: no error

    # One `all_files` query for the six tables; one per table was six jobs.
    assert spark_jobs(spark, check) == 1


def test_lineage_snapshot_counts_and_the_metadata_folder_take_no_spark_job(spark, tmp_path):
    args = write_lake(spark, tmp_path / "lake", next_song_events=2)
    songplays = curated_table(args, "songplays")
    audit = tables.snapshot_id(spark, songplays, tables.AUDIT)
    # Read here from Iceberg's own metadata table: the first snapshot (the empty table's) and the head.
    first = spark.sql(f"SELECT snapshot_id FROM {songplays}.snapshots ORDER BY committed_at").first()[0]
    assert audit is not None and first != audit
    assert tables.descends_from(spark, songplays, first, audit)
    assert not tables.descends_from(spark, songplays, audit, first)
    assert tables.only_added(spark, songplays, first, audit)

    assert spark_jobs(spark, lambda: tables.descends_from(spark, songplays, first, audit)) == 0
    assert spark_jobs(spark, lambda: tables.only_added(spark, songplays, first, audit)) == 0
    # Health: the partitions' file counts are one query; snapshots and metadata files come from the API
    # (three jobs before).
    assert spark_jobs(spark, lambda: tables.health(spark, songplays)) == 1


def test_health_and_a_due_expiry_read_the_snapshots_the_table_keeps(spark, tmp_path):
    args = write_lake(spark, tmp_path / "lake", next_song_events=2)
    users = curated_table(args, "users")
    tables.move_branch(spark, users, tables.MAIN, tables.snapshot_id(spark, users, tables.AUDIT))
    health = tables.health(spark, users)
    # The table's creation (an empty snapshot, where `audit` was branched) and one replace of `audit`;
    # the data files and metadata files are those in its folders.
    folder = tmp_path / "lake" / "curated" / "users"
    assert health["snapshots"] == 2
    assert health["data_files"] == len(list((folder / "data").rglob("*.parquet"))) > 0
    assert health["metadata_files"] == len([p for p in (folder / "metadata").iterdir() if not p.name.startswith(".")])

    # Nothing is old enough to expire on today's clock; 400 days later everything but the newest
    # `min_snapshots` is, and with `min_snapshots` 1 the older of the two goes.
    upkeep = tables.Upkeep(snapshot_retention_days=7, min_snapshots=1)
    now = datetime.now(UTC)
    kept = tables.maintain(spark, users, upkeep, now, orphans_swept_at=now)
    assert kept["data_files_expired"] == 0 and tables.health(spark, users)["snapshots"] == 2
    later = now.replace(year=now.year + 1)
    tables.maintain(spark, users, upkeep, later, orphans_swept_at=later)
    assert tables.health(spark, users)["snapshots"] == 1


def test_upkeep_counts_every_tables_files_in_one_job_and_a_table_made_with_the_properties_gets_no_commit(
    spark, tmp_path
):
    args = write_lake(spark, tmp_path / "lake", next_song_events=2)
    named = {name: curated_table(args, name) for name in ("songs", "artists", "users")}
    for table in named.values():
        tables.move_branch(spark, table, tables.MAIN, tables.snapshot_id(spark, table, tables.AUDIT))

    counts = {}
    assert spark_jobs(spark, lambda: counts.update(tables.file_counts(spark, named))) == 1
    for name, found in counts.items():
        data = tmp_path / "lake" / "curated" / name / "data"
        assert found.files == len(list(data.rglob("*.parquet"))) > 0
        assert 0 < found.most <= found.files

    # Made by `ensure_table` with every property: upkeep's first visit writes no metadata file.
    metadata = tmp_path / "lake" / "curated" / "songs" / "metadata"
    before = sorted(p.name for p in metadata.glob("*.metadata.json"))
    tables.set_properties(spark, named["songs"])
    assert sorted(p.name for p in metadata.glob("*.metadata.json")) == before
    # A property changed by hand is set back.
    songs = named["songs"]
    spark.sql(f"ALTER TABLE {songs} SET TBLPROPERTIES ('write.metadata.previous-versions-max'='3')")
    tables.set_properties(spark, songs)
    properties = dict(spark.sql(f"SHOW TBLPROPERTIES {songs}").collect())
    assert properties["write.metadata.previous-versions-max"] == "20"

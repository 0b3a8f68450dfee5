"""The stage job and its raw-file ledger: every raw file is accounted for, run after run.

Each test runs the stage job itself (not the whole workflow) on a lake of its own, with files written
by hand, and checks the staging table, the ledger and the report against values written here.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from sparkify import pipeline
from sparkify.job_args import JobArgs
from sparkify.lake import tables
from sparkify.local.runner import lake_locations, load_job
from sparkify.local.session import register_local_catalog
from tests.helpers import event, song, write_log, write_song

OLD = 946_684_800  # 2000-01-01: as `tar -x`, `cp -p` and `rsync -a` leave an old file's time


@pytest.fixture()
def lake(spark, tmp_path):
    register_local_catalog(spark, tmp_path / "lake")
    return tmp_path / "lake"


@pytest.fixture()
def raw(tmp_path):
    raw = tmp_path / "raw"
    write_song(raw, "TRAAAAW128F429D538", song())
    return raw


def stage(spark, raw: Path, lake: Path) -> dict:
    args = JobArgs(pipeline.step("stage"), lake_locations(raw, lake), "t")
    return load_job(pipeline.step("stage")).run(spark, args)


def staged_rows(spark, lake: Path, source: str = "events") -> list[tuple]:
    table = tables.ident(lake_locations(Path("."), lake)[pipeline.Namespace.STAGING], source)
    key = "item_in_session" if source == "events" else "song_id"
    return sorted((r["source_file"].rsplit("/", 1)[1], r[key], r["batch_id"]) for r in spark.table(table).collect())


def ledger_rows(spark, lake: Path) -> list[tuple]:
    table = tables.ident(lake_locations(Path("."), lake)[pipeline.Namespace.STAGING], "raw_files")
    return sorted(
        (r["source"], r["path"].rsplit("/", 1)[1], r["size"], r["status"], r["batch_id"], r["reason"])
        for r in spark.table(table).collect()
    )


def classes(report: dict, source: str = "events") -> dict[str, int]:
    return {k: v for k, v in report["sources"][source]["file_classes"].items() if v}


def test_a_new_file_with_an_old_modification_time_is_staged(spark, raw, lake):
    write_log(raw, "2018-11-01", [event(itemInSession=1)])
    first = stage(spark, raw, lake)
    late = write_log(
        raw, "2018-11-02", [event(itemInSession=2, ts=1541190000000), event(itemInSession=3, ts=1541190000001)]
    )
    os.utime(late, (OLD, OLD))
    second = stage(spark, raw, lake)
    assert (first["batch_id"], second["batch_id"]) == (0, 1)
    assert classes(second) == {"new": 1, "unchanged": 1}
    assert second["sources"]["events"]["read"] == 2
    assert staged_rows(spark, lake) == [
        ("2018-11-01-events.json", 1, 0),
        ("2018-11-02-events.json", 2, 1),
        ("2018-11-02-events.json", 3, 1),
    ]


def test_compressed_and_jsonl_files_are_read_and_other_names_are_listed_as_skipped(spark, raw, lake):
    day = raw / "log_data" / "2018" / "11"
    day.mkdir(parents=True)
    (day / "a.jsonl").write_text(json.dumps(event(itemInSession=1)) + "\n" + json.dumps(event(itemInSession=2)) + "\n")
    (day / "b.json.gz").write_bytes(gzip.compress(json.dumps(event(itemInSession=3)).encode()))
    (day / "c.jsonl.bz2").write_bytes(bz2.compress(json.dumps(event(itemInSession=4)).encode()))
    (day / "d.json.gz").write_bytes(b"not gzip at all")
    (day / "notes.csv").write_text("a,b\n")
    (day / "e.json").write_text("")  # empty: seen, holds no record
    report = stage(spark, raw, lake)
    events = report["sources"]["events"]
    assert classes(report) == {"new": 5, "unsupported": 1}
    assert events["files_seen"] == 6
    assert (events["read"], events["staged"], events["quarantined"]) == (5, 4, 1)
    assert events["unsupported_files"] == [
        {
            "path": (day / "notes.csv").as_uri().replace("file:///", "file:/"),
            "reason": "not a readable name (.csv): only .json, .jsonl, .json.gz, .jsonl.gz, .json.bz2, "
            ".jsonl.bz2 are read",
        }
    ]
    assert events["top_reasons"] == [
        {
            "reason": "unreadable gzip data: Not a gzipped file (b'no')",
            "count": 1,
            "example": (day / "d.json.gz").as_uri().replace("file:///", "file:/") + " line 0",
        }
    ]
    assert staged_rows(spark, lake) == [
        ("a.jsonl", 1, 0),
        ("a.jsonl", 2, 0),
        ("b.json.gz", 3, 0),
        ("c.jsonl.bz2", 4, 0),
    ]
    ledger = [r for r in ledger_rows(spark, lake) if r[0] == "events"]
    assert [(name, status) for _, name, _, status, _, _ in ledger] == [
        ("a.jsonl", "staged"),
        ("b.json.gz", "staged"),
        ("c.jsonl.bz2", "staged"),
        ("d.json.gz", "unreadable"),
        ("e.json", "staged"),
        ("notes.csv", "unsupported"),
    ]


def test_a_changed_file_replaces_its_rows_a_touched_one_is_not_read_and_a_deleted_one_takes_its_rows(spark, raw, lake):
    day1 = write_log(raw, "2018-11-01", [event(itemInSession=1), event(itemInSession=2, ts=1541106106797)])
    day2 = write_log(raw, "2018-11-02", [event(itemInSession=7, ts=1541190000000)])
    stage(spark, raw, lake)
    # An event appended in place (size changes), and a file touched (same bytes, new time).
    with day1.open("a") as handle:
        handle.write(json.dumps(event(itemInSession=3, ts=1541106106798)) + "\n")
    os.utime(day2, (OLD, OLD))
    second = stage(spark, raw, lake)
    assert classes(second) == {"changed": 1, "unchanged": 1}
    assert (second["sources"]["events"]["read"], second["sources"]["events"]["rows_removed"]) == (3, 2)
    assert staged_rows(spark, lake) == [
        ("2018-11-01-events.json", 1, 1),
        ("2018-11-01-events.json", 2, 1),
        ("2018-11-01-events.json", 3, 1),
        ("2018-11-02-events.json", 7, 0),
    ]
    # Nothing new: nothing read, no commit to staging.
    table = tables.ident(lake_locations(raw, lake)[pipeline.Namespace.STAGING], "events")
    snapshot = tables.snapshot_id(spark, table)
    third = stage(spark, raw, lake)
    assert classes(third) == {"unchanged": 2} and third["sources"]["events"]["read"] == 0
    assert tables.snapshot_id(spark, table) == snapshot
    # Deleted: its rows go, and the report names it.
    day2.unlink()
    fourth = stage(spark, raw, lake)
    assert classes(fourth) == {"unchanged": 1, "deleted": 1}
    assert fourth["sources"]["events"]["deleted_files"] == [day2.as_uri().replace("file:///", "file:/")]
    assert fourth["sources"]["events"]["rows_removed"] == 1
    assert [r[:2] for r in staged_rows(spark, lake)] == [("2018-11-01-events.json", i) for i in (1, 2, 3)]
    assert [r for r in ledger_rows(spark, lake) if r[0] == "events"] == [
        ("events", "2018-11-01-events.json", day1.stat().st_size, "staged", 1, None),
        (
            "events",
            "2018-11-02-events.json",
            len(json.dumps(event(itemInSession=7, ts=1541190000000))) + 1,
            "deleted",
            2,
            "gone from the raw prefix",
        ),
    ]


def test_a_replayed_batch_gives_the_same_staging_table(spark, raw, lake):
    """A crash after the staging commit but before the ledger's: the next run reads the files again
    and the one MERGE replaces what the crashed run wrote."""
    write_log(raw, "2018-11-01", [event(itemInSession=1), event(itemInSession=2, ts=1541106106797)])
    stage(spark, raw, lake)
    ledger = tables.ident(lake_locations(raw, lake)[pipeline.Namespace.STAGING], "raw_files")
    spark.sql(f"DELETE FROM {ledger} WHERE source = 'events'")  # as if the ledger commit never happened
    again = stage(spark, raw, lake)
    assert classes(again) == {"new": 1}
    assert again["sources"]["events"]["quarantined"] == 0  # not judged duplicates of their own earlier rows
    assert staged_rows(spark, lake) == [("2018-11-01-events.json", 1, 1), ("2018-11-01-events.json", 2, 1)]


def test_crash_leftovers_in_the_quarantine_are_removed(spark, raw, lake):
    write_log(raw, "2018-11-01", [event()])
    leftover = lake / "quarantine" / "events" / ".spark-staging-0a1b2c"
    leftover.mkdir(parents=True)
    report = stage(spark, raw, lake)
    assert not leftover.exists()
    assert report["sources"]["events"]["crash_leftovers_removed"] == 1


@pytest.mark.slow
def test_the_star_schema_follows_changed_and_deleted_raw_files(spark, tmp_path):
    """Through the whole workflow: after an append in place and a deletion, songplays hold exactly the
    plays of the raw files as they are now."""
    from sparkify.local.runner import lake_table, run_pipeline

    raw, lake = tmp_path / "raw", tmp_path / "lake-wf"
    write_song(raw, "TRAAAAW128F429D538", song())
    day1 = write_log(raw, "2018-11-01", [event(itemInSession=1), event(itemInSession=2, ts=1541106106797)])
    day2 = write_log(raw, "2018-11-02", [event(itemInSession=7, ts=1541190000000)])
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    with day1.open("a") as handle:
        handle.write(json.dumps(event(itemInSession=3, ts=1541106106798)) + "\n")
    day2.unlink()
    report = run_pipeline(raw, lake)
    assert report["status"] == "succeeded", report["steps"]
    assert report["sources"]["events"]["file_classes"] == {
        "new": 0,
        "changed": 1,
        "unchanged": 0,
        "deleted": 1,
        "unsupported": 0,
    }
    plays = sorted(r["start_time"].isoformat() for r in lake_table(spark, lake, "songplays").collect())
    # 1541106106796/797/798 ms: the three plays of day 1; day 2's play went with its file.
    assert plays == ["2018-11-01T21:01:46.796000", "2018-11-01T21:01:46.797000", "2018-11-01T21:01:46.798000"]


def test_names_with_spaces_and_glob_characters_are_listed_and_read_once(spark, raw, lake):
    day = raw / "log_data" / "2018" / "11"
    day.mkdir(parents=True)
    (day / "day one [copy].json").write_text(json.dumps(event(itemInSession=1)) + "\n")
    (day / "empty {x}.json").write_text("")
    report = stage(spark, raw, lake)
    assert classes(report) == {"new": 2} and report["sources"]["events"]["files_seen"] == 2
    # A later run reads new files by their paths, which Spark would expand as globs unless escaped.
    (day / "late *[2]?.json").write_text(json.dumps(event(itemInSession=2, ts=1541106106797)) + "\n")
    again = stage(spark, raw, lake)
    assert classes(again) == {"new": 1, "unchanged": 2}
    assert staged_rows(spark, lake) == [("day one [copy].json", 1, 0), ("late *[2]?.json", 2, 1)]


def test_a_run_with_nothing_new_takes_no_batch_and_commits_nothing(spark, raw, lake):
    """The daily "nothing new" run: no file to read, none gone, no ledger row to change. It takes no
    batch id (so no quarantine partition, no staging or ledger commit) and says every file is unchanged."""
    write_log(raw, "2018-11-01", [event(itemInSession=1)])
    first = stage(spark, raw, lake)
    namespace = lake_locations(raw, lake)[pipeline.Namespace.STAGING]
    before = {
        name: tables.snapshot_id(spark, tables.ident(namespace, name)) for name in ("events", "songs", "raw_files")
    }
    again = stage(spark, raw, lake)
    assert first["batch_id"] == 0 and again["batch_id"] is None
    assert classes(again) == {"unchanged": 1} and classes(again, "songs") == {"unchanged": 1}
    assert (again["sources"]["events"]["read"], again["sources"]["events"]["files"]) == (0, 0)
    assert {name: tables.snapshot_id(spark, tables.ident(namespace, name)) for name in before} == before
    assert not list(lake.glob("quarantine/*/batch_id=1"))


def quarantined(spark, lake: Path, batch_id: int, source: str = "events") -> list[tuple]:
    folder = Path(lake_locations(Path("."), lake)[pipeline.Location.QUARANTINE]) / source / f"batch_id={batch_id}"
    return sorted(
        (r["source_file"].rsplit("/", 1)[1], r["line"], r["record"], re.sub(r"(from |in )\S*/", r"\1", r["reason"]))
        for r in spark.read.parquet(str(folder)).collect()
    )


def test_a_key_twice_in_a_batch_and_a_key_staged_before_are_told_apart(spark, raw, lake):
    # The batch is tagged first without looking for a key twice in it; a batch that holds one is tagged
    # again. Either way each copy gets the reason of a whole tagging: the first copy of a key staged by
    # an earlier batch was "already staged", the copies after it in the batch are "first seen in" it.
    one, two, three = (
        event(itemInSession=1),
        event(itemInSession=2, ts=1541106106797),
        event(itemInSession=3, ts=1541106106798),
    )
    write_log(raw, "2018-11-01", [one])
    stage(spark, raw, lake)
    write_log(raw, "2018-11-02", [one, one, two, two, three])

    report = stage(spark, raw, lake)

    assert report["sources"]["events"]["staged"] == 2 and report["sources"]["events"]["quarantined"] == 3
    assert staged_rows(spark, lake) == [
        ("2018-11-01-events.json", 1, 0),
        ("2018-11-02-events.json", 2, 1),
        ("2018-11-02-events.json", 3, 1),
    ]
    assert quarantined(spark, lake, 1) == [
        ("2018-11-02-events.json", 1, json.dumps(one), "duplicate event (already staged from 2018-11-01-events.json)"),
        ("2018-11-02-events.json", 2, json.dumps(one), "duplicate event (first seen in 2018-11-02-events.json line 1)"),
        ("2018-11-02-events.json", 4, json.dumps(two), "duplicate event (first seen in 2018-11-02-events.json line 3)"),
    ]


@pytest.fixture()
def small_reads(spark, monkeypatch):
    """Log files over 1 KiB are read line by line, in blocks of 1 KiB, and Spark refuses to read any
    file over 4 KiB whole: a test file of a few KiB stands for a log file of hundreds of MB."""
    from sparkify.lake import io

    monkeypatch.setattr(io, "WHOLE_FILE_MAX_BYTES", 1024)
    settings = {"spark.sql.sources.binaryFile.maxLength": "4096", "spark.sql.files.maxPartitionBytes": "1024"}
    before = {key: spark.conf.get(key) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    yield
    for key, value in before.items():
        spark.conf.set(key, value)


def test_a_log_file_too_large_to_read_whole_is_read_in_blocks_and_keeps_its_line_numbers(spark, raw, lake, small_reads):
    # Read whole, a log file of hundreds of MB is decoded and split by one task: two at once ran a 4 GB
    # heap out. Read in blocks, every record still gets its line in the file, counting blank lines.
    one = event(itemInSession=1)
    lines = [json.dumps(one).encode(), b"", json.dumps(event(itemInSession=2)).encode() + b"\r"]
    lines.append("\ufeff".encode() + json.dumps(event(itemInSession=3)).encode())
    lines += [json.dumps(event(itemInSession=i)).encode() for i in range(4, 34)]  # lines 5-34
    lines.append(b'{"ts": 15')  # line 35
    lines.append(json.dumps(event(itemInSession=99, song="caf\u00e9")).encode().replace(b"\\u00e9", b"\xff"))  # line 36
    lines.append(json.dumps(one).encode())  # line 37
    lines.append(json.dumps(event(itemInSession=34)).encode())  # line 38, no final newline
    log = raw / "log_data" / "2018" / "11" / "2018-11-01-events.json"
    log.parent.mkdir(parents=True)
    log.write_bytes(b"\n".join(lines))
    assert log.stat().st_size > 3 * 4096
    small = write_log(raw, "2018-11-02", [event(itemInSession=50, ts=1541190000000)])  # read whole, in the same batch

    report = stage(spark, raw, lake)

    assert report["sources"]["events"]["staged"] == 35 and report["sources"]["events"]["quarantined"] == 3
    assert staged_rows(spark, lake) == [
        *[("2018-11-01-events.json", i, 0) for i in range(1, 35)],
        ("2018-11-02-events.json", 50, 0),
    ]
    found = [(name, line, reason) for name, line, _, reason in quarantined(spark, lake, 0)]
    assert found == [
        ("2018-11-01-events.json", 35, "malformed JSON: incomplete or invalid syntax (cut short?)"),
        ("2018-11-01-events.json", 36, "not valid UTF-8 text (unreadable encoding)"),
        ("2018-11-01-events.json", 37, "duplicate event (first seen in 2018-11-01-events.json line 1)"),
    ]
    table = tables.ident(lake_locations(Path("."), lake)[pipeline.Namespace.STAGING], "raw_files")
    hashes = {r["path"].rsplit("/", 1)[1]: r["content_hash"] for r in spark.table(table).collect()}
    assert hashes["2018-11-01-events.json"] == hashlib.sha256(log.read_bytes()).hexdigest()
    assert hashes["2018-11-02-events.json"] == hashlib.sha256(small.read_bytes()).hexdigest()


def test_a_valid_json_line_of_50_mb_is_staged_not_called_malformed(spark, raw, lake):
    # Jackson refuses a string value over 20 MB by default, which read as invalid syntax: a valid
    # record of any size a task can hold is staged. The file is over 32 MB, so it is read in blocks.
    agent = "Mozilla/5.0 " + "x" * (50 * 1024 * 1024)
    log = write_log(
        raw, "2018-11-01", [event(itemInSession=1, userAgent=agent), event(itemInSession=2, ts=1541106106797)]
    )
    assert log.stat().st_size > 50 * 1024 * 1024

    report = stage(spark, raw, lake)

    assert (report["sources"]["events"]["staged"], report["sources"]["events"]["quarantined"]) == (2, 0)
    table = tables.ident(lake_locations(Path("."), lake)[pipeline.Namespace.STAGING], "events")
    lengths = spark.table(table).selectExpr("item_in_session", "length(user_agent) AS n").collect()
    assert sorted((r["item_in_session"], r["n"]) for r in lengths) == [(1, len(agent)), (2, len("Mozilla/5.0"))]


@pytest.mark.slow
def test_a_log_file_over_32_mb_is_staged_in_a_run_that_also_removes_rows(spark, raw, lake):
    # Read in blocks, its lines are numbered with a nondeterministic expression, which Spark refuses in
    # the MERGE that removes rows of a deleted file in the same commit.
    gone = write_log(raw, "2018-11-01", [event(itemInSession=1)])
    stage(spark, raw, lake)
    gone.unlink()
    pad = "x" * (1024 * 1024)
    big = write_log(raw, "2018-11-02", [event(itemInSession=i, ts=1541190000000 + i, userAgent=pad) for i in range(33)])
    assert big.stat().st_size > 32 * 1024 * 1024

    report = stage(spark, raw, lake)

    assert classes(report) == {"new": 1, "deleted": 1}
    assert (report["sources"]["events"]["staged"], report["sources"]["events"]["rows_removed"]) == (33, 1)
    assert [r[:2] for r in staged_rows(spark, lake)] == [("2018-11-02-events.json", i) for i in range(33)]


@pytest.mark.slow
def test_duplicates_of_rows_that_leave_staging_are_judged_again_and_staged(spark, tmp_path):
    """An S3 "move" is a copy, then a delete: a run between the two quarantines the copy's records as
    duplicates of the original's. When the original goes (or changes and no longer holds an event), the
    records that were only duplicates of its rows are staged, as a full refresh over the same raw files
    stages them; nothing is lost in silence."""
    from sparkify.local.runner import lake_table, run_pipeline
    from tests.helpers import assert_same_tables

    raw, lake, fresh = tmp_path / "raw", tmp_path / "lake", tmp_path / "fresh"
    write_song(raw, "TRAAAAW128F429D538", song())
    one, two, three = (
        event(itemInSession=1),
        event(itemInSession=2, ts=1541106106797),
        event(itemInSession=3, ts=1541106106798),
    )
    original = write_log(raw, "2018-11-01", [one, two])
    later = write_log(raw, "2018-11-02", [two, three])  # same batch: its copy of `two` is "first seen in" the original
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    moved = raw / "log_data" / "moved" / original.name  # copied: every record "already staged from" the original
    moved.parent.mkdir()
    moved.write_bytes(original.read_bytes())
    second = run_pipeline(raw, lake)
    assert (second["sources"]["events"]["staged"], second["sources"]["events"]["quarantined"]) == (0, 2)

    original.unlink()  # the move's delete
    third = run_pipeline(raw, lake)
    assert third["status"] == "succeeded", third["steps"]
    assert third["sources"]["events"]["file_classes"]["deleted"] == 1
    uri = lambda path: path.as_uri().replace("file:///", "file:/")  # noqa: E731
    assert third["sources"]["events"]["judged_again_files"] == [uri(later), uri(moved)]
    # Both holders are read again: `two` is staged from the first of them by path, as a full refresh does.
    assert [r[:2] for r in staged_rows(spark, lake)] == [
        ("2018-11-01-events.json", 1),
        ("2018-11-02-events.json", 2),
        ("2018-11-02-events.json", 3),
    ]
    assert lake_table(spark, lake, "songplays").count() == 3
    assert run_pipeline(raw, fresh, full_refresh=True)["status"] == "succeeded"
    assert_same_tables(spark, lake, fresh)

    # Changed in place: the later file loses `two`, which the moved file still holds.
    later.write_text(json.dumps(three) + "\n")
    fourth = run_pipeline(raw, lake)
    assert fourth["status"] == "succeeded", fourth["steps"]
    assert fourth["sources"]["events"]["file_classes"]["changed"] == 1
    assert fourth["sources"]["events"]["judged_again_files"] == [uri(moved)]
    assert [r[:2] for r in staged_rows(spark, lake)] == [
        ("2018-11-01-events.json", 1),
        ("2018-11-01-events.json", 2),
        ("2018-11-02-events.json", 3),
    ]
    assert run_pipeline(raw, fresh, full_refresh=True)["status"] == "succeeded"
    assert_same_tables(spark, lake, fresh)


def test_a_batch_is_appended_by_the_tasks_that_hold_its_rows(spark, lake):
    """A batch's new rows go to staging from the tasks that hold them (a file each), not shuffled again
    by Iceberg's write distribution onto the one task of the batch's partition: one file written by one
    core, after every row went through a shuffle (34 s of a 4-million-event stage)."""
    job = load_job(pipeline.step("stage"))
    args = JobArgs(pipeline.step("stage"), lake_locations(lake, lake), "t")
    job.ensure_tables(spark, args)
    table = job.staging_table(args, "songs")
    rows = (
        spark.table(table)
        .limit(0)
        .unionByName(
            spark.range(30).selectExpr("concat('SO', id) AS song_id", "'f.json' AS source_file", "7L AS batch_id"),
            allowMissingColumns=True,
        )
    )

    job._replace_rows_of_files(spark, table, rows.repartition(3), ["f.json"], 0)

    files = spark.sql(f"SELECT record_count FROM {table}.files").collect()
    assert (len(files), sum(r["record_count"] for r in files)) == (3, 30), files

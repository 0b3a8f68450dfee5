"""The raw-file ledger's classification: every file in exactly one class, hashes only where needed."""

from __future__ import annotations

from datetime import date

import pytest

from sparkify.lake import ledger
from sparkify.lake.ledger import (
    Duplicate,
    Entry,
    FileClass,
    LedgerMismatch,
    Listed,
    Outcome,
    Status,
    check_accounted,
    plan,
    resolve,
    to_judge_again,
    unsupported_reason,
)

DAY = "s3://raw/log_data/2018/11/2018-11-01-events.json"
DAY2 = "s3://raw/log_data/2018/11/2018-11-02-events.json"
DAY3 = "s3://raw/log_data/2018/11/2018-11-03-events.json"


def staged(path: str, size: int, mtime: int, digest: str | None, batch: int = 0) -> Entry:
    return Entry("events", path, size, mtime, digest, Status.STAGED, batch)


def test_readable_names_and_the_reason_for_the_others():
    for name in ("a.json", "a.jsonl", "a.json.gz", "a.jsonl.gz", "a.json.bz2", "a.jsonl.bz2"):
        assert unsupported_reason(f"s3://raw/log_data/{name}") is None, name
    reads = ".json, .jsonl, .json.gz, .jsonl.gz, .json.bz2, .jsonl.bz2"
    assert unsupported_reason("s3://raw/log_data/a.csv") == f"not a readable name (.csv): only {reads} are read"
    assert (
        unsupported_reason("s3://raw/log_data/a.json.zip") == f"not a readable name (.json.zip): only {reads} are read"
    )
    assert (
        unsupported_reason("s3://raw/log_data/README") == f"not a readable name (no extension): only {reads} are read"
    )
    assert unsupported_reason("s3://raw/log_data/A.JSON") == f"not a readable name (.JSON): only {reads} are read"


def test_a_first_run_reads_every_readable_file_whatever_its_age():
    listed = [Listed(DAY, 100, 0), Listed(DAY2, 50, 1_000), Listed("s3://raw/log_data/notes.txt", 9, 5)]
    p = plan("events", listed, [])
    assert p.to_read() == [DAY, DAY2]  # an epoch-0 modification time is no reason to skip a file
    outcome = resolve(p, {DAY: "h1", DAY2: "h2"}, batch_id=0)
    assert outcome.counts() == {"new": 2, "unchanged": 0, "changed": 0, "deleted": 0, "unsupported": 1}
    assert outcome.updates == [
        Entry("events", DAY, 100, 0, "h1", Status.STAGED, 0),
        Entry("events", DAY2, 50, 1_000, "h2", Status.STAGED, 0),
        Entry(
            "events",
            "s3://raw/log_data/notes.txt",
            9,
            5,
            None,
            Status.UNSUPPORTED,
            0,
            "not a readable name (.txt): only .json, .jsonl, .json.gz, .jsonl.gz, .json.bz2, .jsonl.bz2 are read",
        ),
    ]
    assert check_accounted(p, outcome) == 3


def test_size_and_time_decide_first_and_the_hash_only_when_time_moved_alone():
    previous = [staged(DAY, 100, 10, "h1"), staged(DAY2, 50, 20, "h2"), staged(DAY3, 70, 30, "h3")]
    listed = [
        Listed(DAY, 100, 10),  # untouched
        Listed(DAY2, 51, 20),  # one byte appended, same time (a clock that did not move): changed by size
        Listed(DAY3, 70, 99),  # touched: same size, new time
    ]
    p = plan("events", listed, previous)
    assert p.classes == {DAY: FileClass.UNCHANGED, DAY2: FileClass.CHANGED}
    assert p.to_hash == [DAY3]
    assert p.to_read() == [DAY2, DAY3]  # the untouched file is never read

    same_bytes = resolve(p, {DAY2: "h2b", DAY3: "h3"}, batch_id=4)
    assert same_bytes.classes[DAY3] == FileClass.UNCHANGED
    assert same_bytes.updates == [
        Entry("events", DAY2, 51, 20, "h2b", Status.STAGED, 4),
        Entry("events", DAY3, 70, 99, "h3", Status.STAGED, 0),  # new time remembered, batch unchanged
    ]
    other_bytes = resolve(p, {DAY2: "h2b", DAY3: "h3b"}, batch_id=4)
    assert other_bytes.classes[DAY3] == FileClass.CHANGED
    assert other_bytes.updates[-1] == Entry("events", DAY3, 70, 99, "h3b", Status.STAGED, 4)


def test_a_deleted_file_is_reported_once_and_a_returning_one_is_new():
    p = plan("events", [Listed(DAY, 100, 10)], [staged(DAY, 100, 10, "h1"), staged(DAY2, 50, 20, "h2")])
    outcome = resolve(p, {}, batch_id=3)
    assert outcome.classes == {DAY: FileClass.UNCHANGED, DAY2: FileClass.DELETED}
    assert outcome.updates == [Entry("events", DAY2, 50, 20, "h2", Status.DELETED, 3, "gone from the raw prefix")]
    # The next run: the deleted file is no longer seen, so it is in no class.
    gone = Entry("events", DAY2, 50, 20, "h2", Status.DELETED, 3, "gone from the raw prefix")
    p2 = plan("events", [Listed(DAY, 100, 10)], [staged(DAY, 100, 10, "h1"), gone])
    assert resolve(p2, {}, batch_id=4).counts() == {
        "new": 0,
        "unchanged": 1,
        "changed": 0,
        "deleted": 0,
        "unsupported": 0,
    }
    # It comes back: new again.
    p3 = plan("events", [Listed(DAY, 100, 10), Listed(DAY2, 50, 20)], [staged(DAY, 100, 10, "h1"), gone])
    assert p3.classes[DAY2] == FileClass.NEW


def test_unreadable_bytes_make_an_unreadable_row_and_unsupported_files_are_recorded_once():
    notes = "s3://raw/log_data/notes.txt"
    reason = "not a readable name (.txt): only .json, .jsonl, .json.gz, .jsonl.gz, .json.bz2, .jsonl.bz2 are read"
    previous = [Entry("events", notes, 9, 5, None, Status.UNSUPPORTED, 0, reason)]
    gz = "s3://raw/log_data/2018-11-05-events.json.gz"
    p = plan("events", [Listed(notes, 9, 5), Listed(gz, 30, 7)], previous)
    outcome = resolve(p, {gz: "hz"}, batch_id=2, unreadable={gz: "unreadable gzip data: Not a gzipped file"})
    assert outcome.classes == {notes: FileClass.UNSUPPORTED, gz: FileClass.NEW}
    assert outcome.updates == [
        Entry("events", gz, 30, 7, "hz", Status.UNREADABLE, 2, "unreadable gzip data: Not a gzipped file")
    ]


def test_a_file_that_falls_through_the_classification_fails_the_check():
    p = plan("events", [Listed(DAY, 100, 10), Listed(DAY2, 5, 1)], [])
    outcome = resolve(p, {DAY: "h", DAY2: "h2"}, batch_id=0)
    broken = Outcome({DAY: FileClass.NEW}, outcome.updates)
    with pytest.raises(
        LedgerMismatch,
        match=r"events: 2 files seen but 1 accounted for \(not classed: \['s3://raw/log_data/2018/11/2018-11-02-events.json'\]",
    ):
        check_accounted(p, broken)


def test_files_holding_duplicates_of_rows_that_leave_staging_are_read_again_in_the_batch():
    moved, later, other = "s3://raw/log_data/moved/a.json", DAY2, DAY3
    previous = [
        staged(DAY, 100, 10, "h1", batch=0),
        staged(moved, 100, 11, "h1", batch=1),  # a copy of DAY: every record "already staged from" it
        staged(later, 40, 12, "h2", batch=0),  # one record "first seen in" DAY, in the same batch
        staged(other, 30, 13, "h3", batch=2),  # read again in batch 2: its batch-0 verdicts are gone
    ]
    duplicates = [
        Duplicate(moved, 1, DAY),
        Duplicate(later, 0, DAY),
        Duplicate(other, 0, DAY),
        Duplicate(other, 2, later),
    ]
    listed = [Listed(moved, 100, 11), Listed(later, 40, 12), Listed(other, 30, 13)]  # DAY deleted
    p = plan("events", listed, previous)
    outcome = resolve(p, {}, batch_id=3)
    again = to_judge_again(duplicates, p, outcome)
    assert again == [later, moved]
    assert resolve(p, {moved: "h1"}, batch_id=3, reread=again).updates == [
        Entry("events", DAY, 100, 10, "h1", Status.DELETED, 3, "gone from the raw prefix"),
        staged(later, 40, 12, "h2", batch=3),
        staged(moved, 100, 11, "h1", batch=3),
    ]
    # Nothing leaves staging: nothing is judged again, whatever the quarantine holds.
    quiet = plan("events", [Listed(DAY, 100, 10), *listed], previous)
    assert to_judge_again(duplicates, quiet, resolve(quiet, {}, batch_id=3)) == []


# ---------------------------------------------------------------------------------------------------------
# A backfill's days


def test_a_files_day_is_the_date_in_its_name() -> None:
    assert ledger.day_of("s3://raw/log_data/2018/11/2018-11-07-events.json") == date(2018, 11, 7)
    assert ledger.day_of("log_data/2018/11/2018-11-07-events.jsonl.gz") == date(2018, 11, 7)
    assert ledger.day_of("song_data/A/B/C/TRABCXX128F4286E6C.json") is None
    assert ledger.day_of("log_data/2018/13/2018-13-45-events.json") is None  # digits, not a day


def test_a_backfill_reads_again_the_unchanged_files_of_its_days_only() -> None:
    day = "log_data/2018/11/2018-11-0{}-events.json"
    before = [ledger.Entry("events", day.format(d), 10, 1, "h", ledger.Status.STAGED, 0) for d in (1, 2, 3)]
    listed = [ledger.Listed(day.format(d), 10, 1) for d in (1, 2, 3)] + [ledger.Listed(day.format(4), 5, 1)]
    p = ledger.plan("events", listed, before)
    decided = ledger.resolve(p, {}, 1)

    assert ledger.of_days(p, decided, (date(2018, 11, 2), date(2018, 11, 4))) == [day.format(2), day.format(3)]
    assert ledger.of_days(p, decided, None) == []

"""The raw-file ledger: which raw files exist, which were staged, and what each run must do about them.

Each run lists the raw prefixes and compares every file with the ledger (`<staging_ns>.raw_files`, one
row per file ever seen). Every file falls in exactly one class:

- `new`: not in the ledger (or deleted before and back): staged, whatever its age;
- `unchanged`: same size and modification time, or a new modification time over the same bytes (a
  `touch`, a copy without `-p`): not read again;
- `changed`: another size, or the same size with other bytes: its staged rows are replaced by its new ones;
- `deleted`: in the ledger, gone from the listing: its staged rows are removed, and the run says so;
- `unsupported`: a name the stage job cannot read (`.csv`, `.zip`, …): listed as skipped, with the reason.

A file whose records were quarantined as duplicates of rows that leave staging now (their file changed
or was deleted) is read again, though unchanged (`to_judge_again`): its copies are then staged.

Size and modification time decide first; a content hash is needed only for a file whose modification
time moved while its size did not, so a run with nothing new reads no file at all. The hash of every
file that is read is kept, so that comparison is always possible later.

This module is pure Python over plain values: the stage job lists the files and reads the bytes, and
hands the results here. Nothing in it knows about Spark, S3 or folders.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum


class FileClass(StrEnum):
    NEW = "new"
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    DELETED = "deleted"
    UNSUPPORTED = "unsupported"


class Status(StrEnum):
    """A ledger row's state: what the lake holds of the file now."""

    STAGED = "staged"  # its records are in staging (good ones) and quarantine (bad ones)
    UNREADABLE = "unreadable"  # its bytes could not be decompressed: one quarantine record says why
    DELETED = "deleted"  # gone from the raw prefix; its staged rows were removed
    UNSUPPORTED = "unsupported"  # never read: not a name the stage job reads


# What the stage job reads: JSON (one value per song file, JSON lines in log files) and JSON lines,
# plain or compressed with gzip or bzip2.
READABLE = (".json", ".jsonl", ".json.gz", ".jsonl.gz", ".json.bz2", ".jsonl.bz2")
COMPRESSED = (".json.gz", ".jsonl.gz", ".json.bz2", ".jsonl.bz2")


def unsupported_reason(path: str) -> str | None:
    """Why the stage job does not read a file, or None when it does."""
    name = path.rsplit("/", 1)[-1]
    if name.endswith(READABLE):  # as written: `A.JSON` is not read, as Spark's and S3's names are case-sensitive
        return None
    suffix = "." + name.split(".", 1)[1] if "." in name else "no extension"
    return f"not a readable name ({suffix}): only {', '.join(READABLE)} are read"


@dataclass(frozen=True)
class Listed:
    """A raw file as the listing sees it. `modification_time` is epoch milliseconds."""

    path: str
    size: int
    modification_time: int


@dataclass(frozen=True)
class Entry:
    """A ledger row. `batch_id` is the batch in which the file's state last changed."""

    source: str
    path: str
    size: int
    modification_time: int
    content_hash: str | None
    status: Status
    batch_id: int
    reason: str | None = None


@dataclass
class Plan:
    """The first pass: each listed or known file's class where size and time decide it, and the files
    whose bytes must be hashed to decide (`to_hash`: same size, another modification time)."""

    source: str
    listed: dict[str, Listed]
    previous: dict[str, Entry]
    classes: dict[str, FileClass] = field(default_factory=dict)
    to_hash: list[str] = field(default_factory=list)

    def to_read(self) -> list[str]:
        """Files whose bytes the run needs: new, changed, and those to hash."""
        return sorted([p for p, c in self.classes.items() if c in (FileClass.NEW, FileClass.CHANGED)] + self.to_hash)


def plan(source: str, listed: Iterable[Listed], previous: Iterable[Entry]) -> Plan:
    """Classify by name, size and modification time; leave the ambiguous ones to `resolve`."""
    result = Plan(source, {f.path: f for f in listed}, {e.path: e for e in previous})
    for path, now in result.listed.items():
        before = result.previous.get(path)
        if unsupported_reason(path) is not None:
            result.classes[path] = FileClass.UNSUPPORTED
        elif before is None or before.status in (Status.DELETED, Status.UNSUPPORTED):
            result.classes[path] = FileClass.NEW
        elif now.size != before.size:
            result.classes[path] = FileClass.CHANGED
        elif now.modification_time == before.modification_time:
            result.classes[path] = FileClass.UNCHANGED
        elif before.content_hash is None:
            # Nothing to compare the bytes with: read the file again, as a changed one.
            result.classes[path] = FileClass.CHANGED
        else:
            result.to_hash.append(path)
    for path, before in result.previous.items():
        if path not in result.listed and before.status != Status.DELETED:
            result.classes[path] = FileClass.DELETED
    result.to_hash.sort()
    return result


@dataclass
class Outcome:
    """The second pass: every file's class, the ledger rows that change, and the counts per class."""

    classes: dict[str, FileClass]
    updates: list[Entry]

    def paths(self, *classes: FileClass) -> list[str]:
        return sorted(p for p, c in self.classes.items() if c in classes)

    def counts(self) -> dict[str, int]:
        counted = Counter(self.classes.values())
        return {c.value: counted.get(c, 0) for c in FileClass}


def resolve(
    p: Plan,
    hashes: Mapping[str, str],
    batch_id: int,
    unreadable: Mapping[str, str] | None = None,
    reread: Collection[str] = (),
) -> Outcome:
    """Decide the files `plan` left open by their content hash, and build the ledger rows that change.

    `hashes` holds the hash of every file that was read (`Plan.to_read`); `unreadable` the reason for
    each read file whose bytes could not be decoded. `batch_id` is this run's batch, greater than any
    before: it goes on every row whose state changes here, so a reader of the ledger finds what a run
    touched as `batch_id > <last batch it saw>`. `reread` are unchanged files read again in this batch
    (`to_judge_again`): their rows take the batch, as their records were judged in it.
    """
    unreadable = unreadable or {}
    classes = dict(p.classes)
    for path in p.to_hash:
        known = p.previous[path]
        classes[path] = FileClass.UNCHANGED if hashes.get(path) == known.content_hash else FileClass.CHANGED
    updates: list[Entry] = []
    for path, cls in sorted(classes.items()):
        before = p.previous.get(path)
        now = p.listed.get(path)
        if cls in (FileClass.NEW, FileClass.CHANGED):
            assert now is not None
            status = Status.UNREADABLE if path in unreadable else Status.STAGED
            updates.append(
                Entry(
                    p.source,
                    path,
                    now.size,
                    now.modification_time,
                    hashes.get(path),
                    status,
                    batch_id,
                    unreadable.get(path),
                )
            )
        elif cls == FileClass.UNCHANGED:
            assert now is not None and before is not None
            if path in reread:
                digest = hashes.get(path, before.content_hash)
                updates.append(
                    replace(before, modification_time=now.modification_time, content_hash=digest, batch_id=batch_id)
                )
            elif now.modification_time != before.modification_time:
                # Touched, not changed: remember the new time so the next run need not hash it again.
                updates.append(replace(before, modification_time=now.modification_time))
        elif cls == FileClass.DELETED:
            assert before is not None
            updates.append(replace(before, status=Status.DELETED, batch_id=batch_id, reason="gone from the raw prefix"))
        elif cls == FileClass.UNSUPPORTED:
            assert now is not None
            if before is None or before.status != Status.UNSUPPORTED or before.size != now.size:
                updates.append(
                    Entry(
                        p.source,
                        path,
                        now.size,
                        now.modification_time,
                        None,
                        Status.UNSUPPORTED,
                        batch_id,
                        unsupported_reason(path),
                    )
                )
    return Outcome(classes, updates)


@dataclass(frozen=True)
class Duplicate:
    """A file's records quarantined in one batch as duplicates of rows staged from another file."""

    path: str
    batch_id: int
    of: str  # the file the kept copy was staged from


def to_judge_again(duplicates: Iterable[Duplicate], p: Plan, outcome: Outcome) -> list[str]:
    """The unchanged files that hold a record quarantined only as a duplicate of a row that leaves
    staging now (its file changed or deleted): read again, such a record is staged unless another copy
    stays, as a full refresh over the same files would do. Without this, a file that went away took
    its copies' events with it. Only a file's duplicates of the batch it was last read in count: an
    older batch's verdicts on it were replaced then."""
    leaving = set(outcome.paths(FileClass.CHANGED, FileClass.DELETED))
    found = set()
    for d in duplicates:
        before = p.previous.get(d.path)
        current = before is not None and before.status == Status.STAGED and before.batch_id == d.batch_id
        if current and d.of in leaving and outcome.classes.get(d.path) == FileClass.UNCHANGED:
            found.add(d.path)
    return sorted(found)


_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def day_of(path: str) -> date | None:
    """The day a raw file holds, from the date in its name (`log_data/2018/11/2018-11-01-events.json`);
    None for a name without one (song files carry no day)."""
    found = _DAY.search(path.rsplit("/", 1)[-1])
    if found is None:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:  # 2018-13-45: digits, not a day
        return None


def of_days(p: Plan, outcome: Outcome, days: tuple[date, date] | None) -> list[str]:
    """A backfill's files to read again: the unchanged files listed now whose day lies within `days`
    (first and last included). New and changed files of those days are read anyway; a deleted one has
    nothing to read. Read again in the batch, each file's staged rows are replaced by its records, as a
    changed file's are, so nothing is counted twice."""
    if days is None:
        return []
    first, last = days
    return sorted(
        path
        for path in outcome.paths(FileClass.UNCHANGED)
        if path in p.listed and (day := day_of(path)) is not None and first <= day <= last
    )


class LedgerMismatch(RuntimeError):
    """Files seen and files accounted for differ: a file fell through the classification."""


def check_accounted(p: Plan, outcome: Outcome) -> int:
    """Files seen (listed now, or present in the ledger before) = files accounted for (one class each).
    Returns the number of files seen; raises `LedgerMismatch` naming the files that differ."""
    seen = set(p.listed) | {path for path, e in p.previous.items() if e.status != Status.DELETED}
    accounted = set(outcome.classes)
    if seen != accounted or sum(outcome.counts().values()) != len(seen):
        missing, extra = sorted(seen - accounted)[:5], sorted(accounted - seen)[:5]
        raise LedgerMismatch(
            f"{p.source}: {len(seen)} files seen but {len(accounted)} accounted for "
            f"(not classed: {missing or 'none'}; classed but not seen: {extra or 'none'})"
        )
    return len(seen)

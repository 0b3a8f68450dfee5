"""One line for an error a local run meets: what broke, where (the table or file), and what to do.

A Py4J error's own first line names only the JVM call that failed (`An error occurred while calling
o53.sql`); the cause is in its Java exception chain. The known causes get their own words (a full disk,
a file gone from a table, a metadata file that cannot be read); any other error is its innermost Java
(or Python) exception.
"""

from __future__ import annotations

import errno
import re
import signal
from collections.abc import Iterator
from pathlib import Path

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
FULL_REFRESH = "`sparkify run --full-refresh`"
RESTORE_OR_REBUILD = f"restore it from a backup, or rebuild every table from the raw files with {FULL_REFRESH}"
CARRIES_ON = "what the run committed stays, and the next run carries on from there"


def explain(exc: BaseException) -> str:
    """`exc` as one line."""
    text = java_text(exc)
    for rule in (_disk_full, _unreadable_file, _missing_file):
        line = rule(exc, text)
        if line is not None:
            return line
    java = "Caused by: " in text or "\n: " in text
    return root_cause(text) if java else _python_words(exc)


def _python_words(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def disk_full(exc: BaseException) -> bool:
    return any(isinstance(e, OSError) and e.errno in DISK_FULL for e in _chain(exc)) or (
        "No space left on device" in java_text(exc) or "Disk quota exceeded" in java_text(exc)
    )


def _disk_full(exc: BaseException, text: str) -> str | None:
    if not disk_full(exc):
        return None
    named = next((e.filename for e in _chain(exc) if isinstance(e, OSError) and e.filename), None)
    where = f" writing {named}" if named else _java_path(text, " writing {}")
    return (
        f"no space left on the device{where}: free space there (the lake's disk, or Spark's scratch folder in "
        f"/tmp) or use a --lake on a larger disk, and run again; {CARRIES_ON}"
    )


def _java_path(text: str, form: str) -> str:
    found = re.search(r"(?:file:|s3a?://)\S+", text)
    return form.format(found.group(0).rstrip(".,;:)")) if found else ""


def _unreadable_file(exc: BaseException, text: str) -> str | None:
    found = re.search(r"Failed to read file: (\S+\.metadata\.json)", text)
    if found is None:
        return None
    return (
        f"{table_of(found.group(1))}: its metadata file {found.group(1)} cannot be read ({root_cause(text)}): "
        f"{RESTORE_OR_REBUILD}"
    )


def _missing_file(exc: BaseException, text: str) -> str | None:
    found = re.search(r"File (?:does not exist: )?(\S+?)(?: does not exist)?$", text, re.MULTILINE)
    if found is None or "does not exist" not in found.group(0):
        return None
    return f"{table_of(found.group(1))}: {found.group(1)} is missing: {RESTORE_OR_REBUILD}"


def table_of(path: str) -> str:
    """`curated.songplays` for a file under `…/curated/songplays/data/…` or `…/metadata/…`."""
    found = re.search(r"([^/]+)/([^/]+)/(?:data|metadata)/", path)
    return f"{found.group(1)}.{found.group(2)}" if found else "a table"


def jvm_exited(code: int, crash_log: Path | None, jvm_log: Path) -> str:
    """The JVM died under a step: how it ended, and what it last said: its crash log (HotSpot's hs_err
    file) when it wrote one, else the last line of its output."""
    how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    if crash_log is not None:
        said = f"its crash log {crash_log} says: {crash_headline(crash_log)}"
    else:
        said = f"no crash log; its output ends: {last_words(jvm_log)} ({jvm_log})"
        if code == -signal.SIGKILL:
            said += "; SIGKILL came from outside it: a person, or the kernel when memory ran out (see dmesg)"
    return f"the Spark JVM exited ({how}): {said}; run again ({CARRIES_ON})"


def last_words(log: Path) -> str:
    """The last line of a JVM's output that is not part of a stack trace."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(nothing)"
    said = [
        line.strip()
        for line in lines
        if line.strip() and not line.startswith(("\t", " ")) and not line.startswith("Caused by")
    ]
    return said[-1] if said else "(nothing)"


def crash_headline(crash_log: Path) -> str:
    """The first line of an hs_err file that says what happened (its `#` header, without the boilerplate)."""
    skip = ("A fatal error has been detected", "JRE version", "Java VM:", "Problematic frame", "Core dump",
            "If you would like to submit", "An error report file", "The crash happened",
            "See problematic frame")  # fmt: skip
    try:
        lines = crash_log.read_text(errors="replace").splitlines()[:40]
    except OSError:
        return "(unreadable)"
    for line in lines:
        said = line.lstrip("#").strip()
        if line.startswith("#") and said and not said.startswith(skip):
            return said
    return "(no headline)"


def java_text(exc: BaseException) -> str:
    """An exception's text with its Java cause chain when it has one (Py4J fetches it from the JVM; when
    the JVM is gone, Python's own words)."""
    try:
        return str(exc)
    except Exception:
        return repr(exc)


def root_cause(text: str) -> str:
    """The innermost Java exception of a Py4J error's text (`Caused by: x.y.Z: message` → `Z: message`),
    else its first line."""
    causes = [line for line in text.splitlines() if line.startswith(("Caused by: ", ": "))]
    line = (causes[-1] if causes else text.strip().splitlines()[0] if text.strip() else "").split(": ", 1)[-1]
    name, _, message = line.partition(": ")
    short = name.rsplit(".", 1)[-1] if " " not in name else name
    return f"{short}: {message}" if message else short

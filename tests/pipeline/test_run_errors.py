"""The one line a local run ends with when something breaks: a full disk, a damaged table file, a JVM
that died, a signal; from the texts Python and Py4J give (no JVM here: Py4J's text is written by hand)."""

from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

import pytest

from sparkify.lake import run_errors
from sparkify.local.runner import exit_code


class JavaError(Exception):
    """What a Py4JJavaError's text looks like: the call, then the Java exception and its causes."""


MERGE_FULL = JavaError(
    "An error occurred while calling o53.sql.\n"
    ": org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 9.0 failed 1 times\n"
    "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2856)\n"
    "Caused by: org.apache.hadoop.fs.FSError: java.io.IOException: No space left on device\n"
    "\tat org.apache.hadoop.fs.RawLocalFileSystem$LocalFSFileOutputStream.write(RawLocalFileSystem.java:283)\n"
)


def test_a_full_disk_met_in_the_jvm_says_so_and_what_to_do():
    line = run_errors.explain(MERGE_FULL)
    assert line.startswith("no space left on the device: free space there")
    assert "o53.sql" not in line and "\n" not in line


def test_a_full_disk_met_in_python_names_the_file():
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/lake/reports/runs/r1/model.json")
    assert run_errors.explain(full).startswith("no space left on the device writing /lake/reports/runs/r1/model.json: ")


def test_a_metadata_file_that_cannot_be_read_is_named_with_its_table():
    cut = JavaError(
        "An error occurred while calling o55.tableExists.\n"
        ": org.apache.iceberg.exceptions.RuntimeIOException: Failed to read file: "
        "file:/lake/curated/songplays/metadata/v4.metadata.json\n"
        "Caused by: com.fasterxml.jackson.core.io.JsonEOFException: Unexpected end-of-input\n"
    )
    assert run_errors.explain(cut) == (
        "curated.songplays: its metadata file file:/lake/curated/songplays/metadata/v4.metadata.json cannot be read "
        "(JsonEOFException: Unexpected end-of-input): restore it from a backup, or rebuild every table from the raw "
        "files with `sparkify run --full-refresh`"
    )


def test_a_missing_data_file_is_named_with_its_table():
    gone = JavaError(
        "An error occurred while calling o53.sql.\n"
        ": org.apache.iceberg.exceptions.NotFoundException: File does not exist: "
        "file:/lake/curated/time/data/year=2018/month=11/00000-1.parquet\n"
    )
    line = run_errors.explain(gone)
    assert line.startswith(
        "curated.time: file:/lake/curated/time/data/year=2018/month=11/00000-1.parquet is missing: restore"
    )


def test_any_other_java_error_is_its_innermost_cause():
    other = JavaError(
        "An error occurred while calling o12.sql.\n"
        ": org.apache.spark.SparkException: Job aborted\n"
        "Caused by: java.lang.ArithmeticException: / by zero\n"
    )
    assert run_errors.explain(other) == "ArithmeticException: / by zero"
    assert run_errors.explain(KeyError("songs")) == "KeyError: 'songs'"


def test_a_jvm_that_crashed_is_named_with_its_crash_log(tmp_path: Path):
    crash = tmp_path / "jvm-crash-41.log"
    crash.write_text(
        "#\n# A fatal error has been detected by the Java Runtime Environment:\n#\n"
        "#  Internal Error (codeBlob.cpp:409), pid=41, tid=77\n#  fatal error: CodeCache: no room for "
        "vtable chunks\n#\n"
        "# JRE version: OpenJDK Runtime Environment (17.0.15+6)\n"
    )
    line = run_errors.jvm_exited(134, crash, tmp_path / "jvm.log")
    assert line.startswith(
        f"the Spark JVM exited (exit code 134): its crash log {crash} says: Internal Error (codeBlob.cpp:409)"
    )


def test_a_jvm_killed_from_outside_says_what_it_last_logged(tmp_path: Path):
    log = tmp_path / "jvm.log"
    log.write_text(
        "26/12/06 20:00:01 ERROR Executor: Exception in task 0.0\njava.lang.OutOfMemoryError: Java heap "
        "space\n\tat x.y(Z.java:1)\n"
    )
    line = run_errors.jvm_exited(-signal.SIGKILL, None, log)
    assert line.startswith(
        "the Spark JVM exited (killed by SIGKILL): no crash log; its output ends: "
        "java.lang.OutOfMemoryError: Java heap space"
    )
    assert "the kernel when memory ran out" in line


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        ("succeeded", None, 0),
        ("failed", None, 1),
        ("failed", "step model: no space left on the device", 1),
        ("interrupted", "interrupted by SIGINT during step model", 130),
        ("interrupted", "interrupted by SIGTERM before any step ran", 143),
    ],
)
def test_the_exit_code_of_a_run(status: str, error: str | None, code: int):
    assert exit_code({"status": status, "error": error}) == code


def test_the_root_cause_of_a_py4j_text_is_its_innermost_java_exception():
    assert run_errors.root_cause(MERGE_FULL.args[0]) == "FSError: java.io.IOException: No space left on device"

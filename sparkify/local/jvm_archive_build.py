"""Builds the local Spark driver's class-data-sharing archive (`sparkify.local.jvm_archive`):
`python -m sparkify.local.jvm_archive_build [--if-missing]`, run by `make setup`."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from pyspark import SparkContext
from pyspark.sql import SparkSession

from sparkify.local.jvm_archive import ARCHIVE_DIR, TRAINING, archive_path
from sparkify.local.runner import run_pipeline
from sparkify.local.session import ICEBERG_JAR
from sparkify.synthetic.generate import generate


def _train(work: Path) -> None:
    """The classes of a whole run and of an incremental one: a small lake, run twice."""
    raw, lake = work / "raw", work / "lake"
    generate(raw, songs=50, events=600, seed=7, start=date(2018, 11, 1), days=3)
    days = sorted((raw / "log_data").rglob("*.json"))
    held = days[-1].read_bytes()
    days[-1].unlink()
    run_pipeline(raw, lake)
    days[-1].write_bytes(held)
    run_pipeline(raw, lake)
    _stop_jvm()


def _stop_jvm() -> None:
    """Stop Spark and wait for its JVM to exit, which is when it writes the archive (PySpark's JVM
    exits when its standard input closes)."""
    gateway = SparkContext._gateway
    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()
    if gateway is not None and getattr(gateway, "proc", None) is not None:
        gateway.proc.stdin.close()
        gateway.proc.wait(timeout=600)


def build(iceberg_jar: Path) -> Path:
    """Build the archive for this Java and class path (in a child process, whose JVM writes it on
    exit); returns its path. Older archives in `.jvm/` are removed."""
    target = archive_path(iceberg_jar)
    if target is None:
        raise RuntimeError("no `java` found (JAVA_HOME or PATH): install Java 17 first")
    ARCHIVE_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="training-", dir=ARCHIVE_DIR) as folder:
        partial = Path(folder) / "spark.jsa"
        env = {**os.environ, TRAINING: str(partial), "GX_ANALYTICS_ENABLED": "false"}
        code = subprocess.call(
            [
                sys.executable,
                "-c",
                "from pathlib import Path; from sparkify.local.jvm_archive_build import _train; "
                f"_train(Path({folder!r}))",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        if code != 0 or not partial.is_file():
            raise RuntimeError(f"the training run exited with {code} and wrote no archive")
        for old in ARCHIVE_DIR.glob("spark-*.jsa"):
            old.unlink()
        os.replace(partial, target)  # never a half-written archive under the name a session looks for
    return target


def main(argv: list[str] | None = None) -> None:
    """`python -m sparkify.local.jvm_archive_build [--if-missing]`: build the archive (only when this Java and class
    path have none yet, with `--if-missing`)."""
    args = sys.argv[1:] if argv is None else argv
    path = archive_path(ICEBERG_JAR)
    if "--if-missing" in args and path is not None and path.is_file():
        return
    # The one long silent step of a fresh machine's setup: say what it is and how long before it starts.
    print(
        "Building the JVM class archive (.jvm/): a short Spark run whose loaded classes later runs and tests map "
        "at start. About 2-3 minutes, once per Java and class path.",
        flush=True,
    )
    started = time.monotonic()
    path = build(ICEBERG_JAR)
    print(f"JVM class archive: {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()

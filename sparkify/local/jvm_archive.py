"""A class-data-sharing archive of the local Spark driver (Java's AppCDS), so a local run starts warm.

A local run spends much of its time loading classes: Spark, Iceberg and Great Expectations' Spark
paths load some 20,000, each read from a jar, verified and linked, in every new JVM. Java 17 can
write the classes a run loaded to an archive when the JVM exits (`-XX:ArchiveClassesAtExit`) and
map that archive at the next start (`-XX:SharedArchiveFile`). Measured on a 2-core machine
(docs/performance-notes.md): a run with nothing new 13.4 s → 9.7 s, the Spark session 4.1 s → 2.4 s.

`make setup` builds the archive (`python -m sparkify.local.jvm_archive_build`): one small generated lake, run
once whole and once incrementally, in a JVM that writes the archive as it exits. An archive is only
valid for the Java binary and class path it was made with, so its name carries a digest of both; a
session uses it only when that digest matches (else Spark starts as it would without it). It is
local-only: Glue starts its own JVMs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ARCHIVE_DIR = REPO_ROOT / ".jvm"
# CDS reports an archive it cannot map as a warning on the console; the digest in the archive's name
# already keeps a stale one out, so any other mismatch just means a slower start, said nowhere.
QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"
# `SPARKIFY_JVM_ARCHIVE=off` starts Spark without the archive (to compare, or to rule it out).
SWITCH = "SPARKIFY_JVM_ARCHIVE"
# Set by `sparkify.local.jvm_archive_build` for its training run: where the JVM writes the archive at exit.
TRAINING = "SPARKIFY_JVM_ARCHIVE_OUT"


def _java() -> Path | None:
    """The `java` Spark's launcher runs: `$JAVA_HOME/bin/java`, else the one on the PATH."""
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    return Path(found).resolve() if found and Path(found).exists() else None


def digest(iceberg_jar: Path) -> str | None:
    """What an archive depends on: the Java binary (path and build time), Spark's jars, the Iceberg jar."""
    import pyspark

    java = _java()
    if java is None:
        return None
    jars = Path(pyspark.__file__).resolve().parent / "jars"
    parts = [str(java), str(java.stat().st_mtime_ns), str(jars), str(iceberg_jar.resolve())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def archive_path(iceberg_jar: Path) -> Path | None:
    key = digest(iceberg_jar)
    return ARCHIVE_DIR / f"spark-{key}.jsa" if key else None


def java_options(iceberg_jar: Path) -> str:
    """The driver's JVM options for CDS: write the archive at exit while `build` trains, else map the
    archive when one was built for this Java and class path, else nothing."""
    if os.environ.get(SWITCH) == "off":
        return ""
    training = os.environ.get(TRAINING)
    if training:
        return f"-XX:ArchiveClassesAtExit={training} {QUIET}"
    path = archive_path(iceberg_jar)
    return f"-XX:SharedArchiveFile={path} {QUIET}" if path is not None and path.is_file() else ""

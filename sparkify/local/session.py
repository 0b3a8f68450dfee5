"""The local SparkSession that mirrors a Glue 5.1 driver, and the lake's own Iceberg catalog on it. Only a
laptop run uses this; the settings it shares with Glue are `sparkify.lake.spark_conf`'s."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyspark.sql import SparkSession

from sparkify.lake.spark_conf import ICEBERG_EXTENSIONS, SPARK_CONF
from sparkify.layout import local_uri
from sparkify.local import jvm_archive
from sparkify.pipeline import REPO_ROOT

LOG4J_CONF = Path(__file__).with_name("log4j2.properties")

# Apache Iceberg, as AWS Glue 5.1 ships it (`--datalake-formats iceberg`): the runtime jar is fetched by
# `make jars` into .jars/ (pinned in jars.lock); on Glue the same version is on the classpath already.
ICEBERG_JAR = REPO_ROOT / ".jars" / "iceberg-spark-runtime-3.5_2.12-1.10.0.jar"
# C1 alone, for short local runs (`sparkify.local.jit_choice`). With C1 alone the JVM's code cache defaults to
# 48 MB, not the tiered JIT's 240 MB: a run of the 30-song sample filled 41 MB of it, and a JVM once ran
# out of it. The tiered JIT's size costs nothing until it is used.
QUICK_JIT = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m"
# Where a local run's JVM writes its output and its crash log (HotSpot's hs_err file, `%p` its pid):
# beside the run's report.
JVM_LOG = "jvm.log"
CRASH_LOG = "jvm-crash-%p.log"
CRASH_LOG_GLOB = "jvm-crash-*.log"

LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Local data is small: a few shuffle partitions per core instead of Spark's default 200.
    "spark.sql.shuffle.partitions": "4",
    # Log files over 32 MB are read in blocks (`sparkify.lake.io.read_raw_lines`): read whole, two of L's
    # 240 MB files decoded and split at once ran this heap out.
    "spark.driver.memory": "4g",
    "spark.sql.adaptive.enabled": "true",
}


def local_catalog_name(lake: Path) -> str:
    """The Spark catalog of one local lake. One name per lake folder: Spark keeps a catalog once it has
    loaded it, so one session (tests) can use several lakes side by side."""
    return "lake_" + hashlib.sha1(str(lake.resolve()).encode()).hexdigest()[:10]


def register_local_catalog(spark: SparkSession, lake: Path) -> str:
    """A file-based Iceberg catalog (Hadoop catalog) whose warehouse is the lake folder, so the table
    `<name>.curated.songs` lives in `<lake>/curated/songs`. Returns the catalog name."""
    name = local_catalog_name(lake)
    spark.conf.set(f"spark.sql.catalog.{name}", "org.apache.iceberg.spark.SparkCatalog")
    spark.conf.set(f"spark.sql.catalog.{name}.type", "hadoop")
    spark.conf.set(f"spark.sql.catalog.{name}.warehouse", local_uri(lake))
    spark.conf.set(f"spark.sql.catalog.{name}.cache-enabled", "false")
    return name


def driver_java_options(quick_jit: bool = False, log_dir: Path | None = None) -> str:
    """The local driver's JVM options: the log configuration, the class archive, C1 alone if asked
    (`sparkify.local.jit_choice`), where a crash log goes if given (else the working folder)."""
    options = [f"-Dlog4j2.configurationFile={LOG4J_CONF}", jvm_archive.java_options(ICEBERG_JAR)]
    if quick_jit:
        options.append(QUICK_JIT)
    if log_dir is not None:
        options.append(f"-XX:ErrorFile={log_dir.resolve() / CRASH_LOG}")
    return " ".join(o for o in options if o)


def local_session(
    app_name: str = "sparkify",
    master: str = "local[*]",
    quick_jit: bool = False,
    log_dir: Path | None = None,
    **extra: str,
) -> SparkSession:
    """A local SparkSession with the pipeline's settings (no AWS, no Hive metastore). The JVM options
    apply when this starts the JVM (a session already running is returned as it is). `log_dir`: where
    that JVM writes its output (`jvm.log`) and its crash log (`jvm-crash-<pid>.log`); else the terminal
    and the working folder."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local runs never leave loopback
    if not ICEBERG_JAR.is_file():
        raise FileNotFoundError(f"the Iceberg runtime jar {ICEBERG_JAR} is missing: run `make jars` (or `make setup`)")
    builder = (
        SparkSession.builder.appName(app_name)
        .master(master)
        .config("spark.driver.extraJavaOptions", driver_java_options(quick_jit, log_dir))
        .config("spark.jars", str(ICEBERG_JAR))
        .config("spark.sql.extensions", ICEBERG_EXTENSIONS)
    )
    for key, value in {**SPARK_CONF, **LOCAL_CONF, **extra}.items():
        builder = builder.config(key, value)
    with _output_to(log_dir / JVM_LOG if log_dir is not None else None):
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextmanager
def _output_to(path: Path | None) -> Iterator[None]:
    """Point this process's stdout and stderr at `path` while the JVM starts, which inherits both: its
    log lines and a crash's banner then stay out of the run's own output (a run says in one line what
    went wrong, and names this file)."""
    if path is None:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    try:
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        yield
    finally:
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)

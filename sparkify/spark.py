"""The Spark settings of the pipeline, and the local SparkSession that mirrors a Glue 5.1 driver."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

LOG4J_CONF = Path(__file__).with_name("log4j2.properties")

# Settings that matter for correctness or for the many-tiny-files workload; Glue gets the same
# values as job arguments. Timestamps are UTC everywhere, like Glue's default.
SPARK_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    # One song per file: opening a file must not count as 4 MB of work, or every file gets a task.
    "spark.sql.files.openCostInBytes": "8192",
    "spark.sql.files.maxPartitionBytes": str(64 * 1024 * 1024),
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.parquet.compression.codec": "snappy",
}

LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Local data is small: a few shuffle partitions per core instead of Spark's default 200.
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.memory": "4g",
    "spark.sql.adaptive.enabled": "true",
}


def local_session(app_name: str = "sparkify", master: str = "local[*]", **extra: str) -> SparkSession:
    """A local SparkSession with the pipeline's settings (no AWS, no Hive metastore)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local runs never leave loopback
    builder = (
        SparkSession.builder.appName(app_name)
        .master(master)
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG4J_CONF}")
    )
    for key, value in {**SPARK_CONF, **LOCAL_CONF, **extra}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark

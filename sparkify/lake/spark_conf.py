"""The pipeline's Spark settings, shared by a Glue job and a local run: the SQL settings every session
gets, and the Iceberg catalog a Glue job uses (the local session and its catalog: `sparkify.local.session`)."""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import SparkSession

ICEBERG_EXTENSIONS = "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"
# The Spark catalog name of the stack's Glue Data Catalog on Glue (the name AWS's examples use).
GLUE_CATALOG = "glue_catalog"

# Settings that matter for correctness or for the many-tiny-files workload; on Glue, `glue_main` sets
# the same values on the job's session (all are runtime SQL settings). Timestamps are UTC everywhere.
SPARK_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    # One song per file: opening a file must not count as 4 MB of work, or every file gets a task.
    "spark.sql.files.openCostInBytes": "8192",
    "spark.sql.files.maxPartitionBytes": str(64 * 1024 * 1024),
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.parquet.compression.codec": "snappy",
    # The stage job reads a batch's changed files as explicit paths; Spark lists
    # more than 32 paths with a distributed job of min(paths, 10000) tasks. 10,000 one-file tasks cost
    # 25 s of a 62 s local run on 15k song files; 32 tasks list them in about 2 s here, and on S3 the
    # listing stays spread over the cluster.
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "32",
}


def glue_catalog_conf(warehouse_uri: str) -> dict[str, str]:
    """Iceberg on Glue: the Glue Data Catalog is the catalog, S3FileIO writes the files.

    The catalog does not cache tables: a cached table keeps the snapshot it was loaded at, so a session
    would not see commits made through another session or process (measured: the model step read an
    empty staging table that the stage step's streaming session had just filled).

    These must be set before the session starts, so the Pulumi program passes them as the job's `--conf`.
    https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-format-iceberg.html
    """
    prefix = f"spark.sql.catalog.{GLUE_CATALOG}"
    return {
        "spark.sql.extensions": ICEBERG_EXTENSIONS,
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.catalog-impl": "org.apache.iceberg.aws.glue.GlueCatalog",
        f"{prefix}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        f"{prefix}.warehouse": warehouse_uri,
        f"{prefix}.cache-enabled": "false",
    }


def missing_catalog_conf(conf: Mapping[str, str | None]) -> str | None:
    """Why a Glue job's session has no Iceberg catalog, or None when it has one. Glue takes one `--conf`
    argument: a job run started with its own `--conf` (`start-job-run --arguments`) replaces the job's,
    and every setting of `glue_catalog_conf` with it."""
    keys = [k for k in glue_catalog_conf("s3://unused/") if k != "spark.sql.extensions"]
    missing = [k for k in keys if not conf.get(k)]
    if not missing:
        return None
    return (
        f"the Spark session has no {', '.join(missing)}: this run's --conf replaced the job's, which carries "
        "the Iceberg catalog; pass the job's --conf value with your settings appended ` --conf key=value` "
        '(docs/operations.md, "One run with other Spark settings")'
    )


def glue_conf_argument(conf: dict[str, str]) -> str:
    """Glue takes one `--conf` job parameter; more settings ride in its value as ` --conf k=v`."""
    return " --conf ".join(f"{key}={value}" for key, value in conf.items())


def apply_sql_conf(spark: SparkSession) -> None:
    """Set the pipeline's SQL settings on a running session (Glue's, whose session exists before the job)."""
    for key, value in SPARK_CONF.items():
        spark.conf.set(key, value)

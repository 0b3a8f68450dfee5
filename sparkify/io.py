"""Reading raw files and reading/writing lake tables. Paths are URIs: `s3://…` on Glue, folders locally.

File operations go through Hadoop's FileSystem API, the one Spark itself uses, so the same code
works on S3 in Glue and on a local folder.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from sparkify.pipeline import SOURCES


class RawInputError(RuntimeError):
    """A raw source is missing or holds no files: nothing to stage."""


def join_uri(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])


# --- Hadoop FileSystem ----------------------------------------------------------------------------------


def _fs_path(spark: SparkSession, uri: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path  # type: ignore[attr-defined]


def exists(spark: SparkSession, uri: str) -> bool:
    fs, path = _fs_path(spark, uri)
    return bool(fs.exists(path))


def delete(spark: SparkSession, uri: str) -> None:
    fs, path = _fs_path(spark, uri)
    fs.delete(path, True)


def rename(spark: SparkSession, source: str, target: str) -> None:
    fs, path = _fs_path(spark, source)
    if not fs.rename(path, _fs_path(spark, target)[1]):
        raise OSError(f"could not rename {source} to {target}")


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    """Write one small text file (metrics, state)."""
    fs, path = _fs_path(spark, uri)
    out = fs.create(path, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def read_text(spark: SparkSession, uri: str) -> str | None:
    """A small text file's content, or None when it does not exist."""
    if not exists(spark, uri):
        return None
    return "\n".join(r.value for r in spark.read.text(uri, wholetext=True).collect())


# --- Raw files ------------------------------------------------------------------------------------------


def raw_path(spark: SparkSession, raw_uri: str, source: str) -> str:
    """`<raw_uri>/<prefix>`, after checking it exists (a clear error beats an empty run)."""
    path = join_uri(raw_uri, SOURCES[source])
    if not exists(spark, path):
        raise RawInputError(
            f"no raw {source} at {path}: expected {SOURCES[source]}/ under the raw folder "
            f"(generate some with `sparkify generate --out DIR`, or upload the Sparkify data there)"
        )
    return path


# What Spark's binaryFile source yields per file (a streaming source must be told its schema).
BINARY_FILE = T.StructType(
    [
        T.StructField("path", T.StringType(), False),
        T.StructField("modificationTime", T.TimestampType(), False),
        T.StructField("length", T.LongType(), False),
        T.StructField("content", T.BinaryType()),
    ]
)


def _binary_files(reader: Any) -> Any:
    # Listing the root recursively is much faster than globbing `*/*/*/*.json` over thousands of files.
    return (
        reader.format("binaryFile")
        .schema(BINARY_FILE)
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", "*.json")
    )


def read_raw_files(spark: SparkSession, raw_uri: str, source: str) -> DataFrame:
    """Every raw file of a source as (`path`, `modificationTime`, `length`, `content`) — a batch read."""
    return _binary_files(spark.read).load(raw_path(spark, raw_uri, source))


def stream_raw_files(spark: SparkSession, raw_uri: str, source: str) -> DataFrame:
    """The same files as a streaming source: with a checkpoint, each file is read by exactly one run."""
    return _binary_files(spark.readStream).load(raw_path(spark, raw_uri, source))


# --- Tables ---------------------------------------------------------------------------------------------


def save_table(spark: SparkSession, df: DataFrame, uri: str, partition_by: tuple[str, ...] = ()) -> None:
    """Write a curated table without ever exposing a half-written one: the partitions `df` holds for a
    partitioned table, the whole table otherwise."""
    if partition_by:
        _overwrite_partitions(df, uri, partition_by)
    else:
        _publish_whole(spark, df, uri)


def _overwrite_partitions(df: DataFrame, uri: str, partition_by: tuple[str, ...]) -> None:
    """Dynamic partition overwrite: other partitions stay, and until Spark commits the job the old files
    stay readable; one file per partition value (all rows of a partition meet in one task)."""
    df.repartition(*partition_by).write.partitionBy(*partition_by).mode("overwrite").option(
        "partitionOverwriteMode", "dynamic"
    ).parquet(uri)


def _publish_whole(spark: SparkSession, df: DataFrame, uri: str) -> None:
    """Replace an unpartitioned table as a whole: write the new version beside it, then swap folders.

    Readers see the old version until the swap; a crash leaves either version in place or the old one
    parked in `.<name>.prev`, which `recover_table` puts back. On S3 a rename is a copy, so the swap is
    not instantaneous there, but it only ever moves complete versions.
    """
    parent, name = uri.rstrip("/").rsplit("/", 1)
    next_uri, prev_uri = join_uri(parent, f".{name}.next"), join_uri(parent, f".{name}.prev")
    delete(spark, next_uri)
    df.coalesce(1).write.mode("overwrite").parquet(next_uri)
    if exists(spark, uri):
        delete(spark, prev_uri)
        rename(spark, uri, prev_uri)
    rename(spark, next_uri, uri)
    delete(spark, prev_uri)


def recover_table(spark: SparkSession, uri: str) -> None:
    """Undo a swap a crash interrupted: restore the parked version, drop an unfinished new one."""
    parent, name = uri.rstrip("/").rsplit("/", 1)
    next_uri, prev_uri = join_uri(parent, f".{name}.next"), join_uri(parent, f".{name}.prev")
    if not exists(spark, uri) and exists(spark, prev_uri):
        rename(spark, prev_uri, uri)
    delete(spark, prev_uri)
    delete(spark, next_uri)


def read_table(spark: SparkSession, uri: str, schema: T.StructType | None = None) -> DataFrame:
    reader = spark.read.schema(schema) if schema is not None else spark.read
    return reader.parquet(uri)

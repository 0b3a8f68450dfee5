"""Reading raw sources and reading/writing lake tables. Paths are URIs: `s3://…` on Glue, folders locally."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkify import schemas
from sparkify.pipeline import SOURCES
from sparkify.transforms.staging import CORRUPT, SOURCE_FILE


class RawInputError(RuntimeError):
    """A raw source is missing or holds no files: nothing to stage."""


def join_uri(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])


def read_raw(spark: SparkSession, raw_uri: str, source: str) -> DataFrame:
    """Read every JSON file under `<raw_uri>/<prefix>/` with the declared schema.

    Malformed lines and values of the wrong type are kept (in `_corrupt_record`) rather than
    dropped, so staging can quarantine them with a reason. The root is listed recursively instead
    of globbing `*/*/*/*.json`, which is much faster over thousands of tiny song files.
    """
    path = join_uri(raw_uri, SOURCES[source])
    schema = T.StructType([*schemas.RAW[source].fields, T.StructField(CORRUPT, T.StringType())])
    try:
        df = (
            spark.read.schema(schema)
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", CORRUPT)
            .option("recursiveFileLookup", "true")
            .option("pathGlobFilter", "*.json")
            .json(path)
        )
    except Exception as error:  # Spark raises AnalysisException for a path that does not exist
        if "PATH_NOT_FOUND" in str(error) or "Path does not exist" in str(error):
            raise RawInputError(
                f"no raw {source} at {path}: expected {SOURCES[source]}/ under the raw folder "
                f"(generate some with `sparkify generate --out DIR`, or upload the Sparkify data there)"
            ) from None
        raise
    if not df.inputFiles():
        raise RawInputError(f"no *.json files under {path}: nothing to stage for {source}")
    return df.withColumn(SOURCE_FILE, F.input_file_name())


def write_table(df: DataFrame, uri: str, partition_by: tuple[str, ...] = ()) -> None:
    """Overwrite a Parquet table without a tiny-file explosion: one file per partition value for
    partitioned tables (all rows of a partition meet in one task), one file for the others."""
    if partition_by:
        writer = df.repartition(*partition_by).write.partitionBy(*partition_by)
    else:
        writer = df.coalesce(1).write
    writer.mode("overwrite").parquet(uri)


def read_table(spark: SparkSession, uri: str, schema: T.StructType | None = None) -> DataFrame:
    reader = spark.read.schema(schema) if schema is not None else spark.read
    return reader.parquet(uri)

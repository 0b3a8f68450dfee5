"""The lake check and a full refresh's `forget` on the Glue Data Catalog (emulated: a moto server, Iceberg's
GlueCatalog and S3FileIO, as `sparkify rehearse` runs the jobs): a table location spelled `s3a://` is the
same place as `s3://`, and a table whose metadata file cannot be read loses its folder *and* its catalog
entry, so the refresh can create it again. Its own process: the tests' shared session uses a local catalog."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sparkify.pipeline import REPO_ROOT
from sparkify.rehearsal.job_run import last_error_line

pytestmark = [pytest.mark.slow, pytest.mark.spark]

SCRIPT = """
import json, os
from pyspark.sql import SparkSession
from sparkify.lake import integrity
from sparkify.lake.spark_conf import glue_catalog_conf
from sparkify.rehearsal import emulator
from sparkify.rehearsal.job_run import emulation_conf

with emulator.running("us-east-1") as aws:
    s3, glue = aws.client("s3"), aws.client("glue")
    s3.create_bucket(Bucket="lake")
    glue.create_database(DatabaseInput={"Name": "db", "LocationUri": "s3://lake/curated"})
    os.environ.update(aws.admin.env(), AWS_REGION="us-east-1")
    builder = SparkSession.builder.master("local[1]")
    for key, value in {**glue_catalog_conf("s3://lake/curated/"), **emulation_conf(aws.endpoint, aws.region)}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    table, location = "glue_catalog.db.t", "s3://lake/curated/t"
    spark.sql(f"CREATE TABLE {table} (id bigint) USING iceberg LOCATION '{location}'")
    spark.sql(f"INSERT INTO {table} VALUES (1)")
    found = {"whole_in_s3a_spelling": integrity.problem_of(spark, "curated.t", table, "s3a://lake/curated/t/")}
    metadata = glue.get_table(DatabaseName="db", Name="t")["Table"]["Parameters"]["metadata_location"]
    s3.put_object(Bucket="lake", Key=metadata.split("/", 3)[3], Body=b"{")
    found["cut_short"] = integrity.problem_of(spark, "curated.t", table, location)
    integrity.forget(spark, table, location)
    found["files_left"] = s3.list_objects_v2(Bucket="lake", Prefix="curated/t").get("KeyCount", 0)
    found["entries_left"] = [t["Name"] for t in glue.get_tables(DatabaseName="db")["TableList"]]
    spark.sql(f"CREATE TABLE {table} (id bigint) USING iceberg LOCATION '{location}'")
    found["rows_after_refresh"] = spark.table(table).count()
    spark.stop()
print("RESULT " + json.dumps(found))
"""


def test_forget_removes_an_unreadable_table_s_catalog_entry_so_a_full_refresh_can_recreate_it() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "SPARK_LOCAL_IP": "127.0.0.1"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, last_error_line(done.stderr)
    found = json.loads(lines[-1].removeprefix("RESULT "))
    assert found["whole_in_s3a_spelling"] is None
    assert found["cut_short"].startswith("curated.t: its metadata file s3://lake/curated/t/metadata/")
    assert "cannot be read (JsonEOFException" in found["cut_short"]
    assert found["files_left"] == 0
    assert found["entries_left"] == []
    assert found["rows_after_refresh"] == 0

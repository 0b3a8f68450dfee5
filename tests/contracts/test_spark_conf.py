"""The pipeline's SQL settings reach a session that already exists, as Glue's does before the job starts."""

from __future__ import annotations

from sparkify.lake.spark_conf import SPARK_CONF, apply_sql_conf


def test_apply_sql_conf_sets_the_settings_glue_jobs_rely_on(spark):
    before = {key: spark.conf.get(key) for key in SPARK_CONF}
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")  # as a non-UTC driver would have it
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "static")  # Spark's default
    try:
        apply_sql_conf(spark)
        assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
        assert spark.conf.get("spark.sql.sources.partitionOverwriteMode") == "dynamic"
        assert spark.conf.get("spark.sql.files.openCostInBytes") == "8192"
        assert spark.conf.get("spark.sql.sources.parallelPartitionDiscovery.parallelism") == "32"
    finally:
        for key, value in before.items():
            spark.conf.set(key, value)

"""Helpers of `sparkify.lake.tables` that the jobs build their Spark plans with."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sparkify import pipeline
from sparkify.lake import tables
from sparkify.layout import local_uri
from sparkify.local.runner import load_job
from sparkify.local.session import local_catalog_name


@pytest.fixture
def catalog(spark, tmp_path: Path) -> Iterator[str]:
    """A Hadoop catalog of this test's own, named after its folder (the session is shared, and Spark keeps a
    catalog it has loaded under its name); its settings are taken off the session afterwards."""
    name = local_catalog_name(tmp_path / "wh")
    settings = {
        f"spark.sql.catalog.{name}": "org.apache.iceberg.spark.SparkCatalog",
        f"spark.sql.catalog.{name}.type": "hadoop",
        f"spark.sql.catalog.{name}.warehouse": local_uri(tmp_path / "wh"),
    }
    for key, value in settings.items():
        spark.conf.set(key, value)
    yield name
    for key in settings:
        spark.conf.unset(key)


def test_counting_the_staged_rows_of_many_raw_files_takes_a_few_jvm_calls_not_one_per_file(spark, catalog, jvm_calls):
    # A first run over the bench's S size replaces the rows of 14,896 song files: PySpark's `isin` sent
    # one JVM call per name (9.3 s of a 31 s stage step on this 2-core machine).
    table = f"{catalog}.t.staged"
    spark.createDataFrame([("a.json",), ("b.json",), ("b.json",)], "source_file string").writeTo(table).create()
    count_rows_of = load_job(pipeline.step("stage"))._count_rows_of
    # The session's first count may load what the session had not used yet: count once before measuring.
    assert count_rows_of(spark, table, ["a.json"]) == 1
    calls = {}
    for many in (10, 3000):
        files = [f"song_data/A/{n:05d}.json" for n in range(many)] + ["b.json"]
        jvm_calls.clear()
        assert count_rows_of(spark, table, files) == 2
        calls[many] = len(jvm_calls)

    # No more calls for 3,001 names than for 11 (the table's snapshot, the plan, the count); with one
    # call per name it was 12,050.
    assert calls[3000] <= calls[10] < 100, calls


def test_a_value_list_matches_names_with_quotes_backslashes_and_other_scripts_exactly(spark):
    names = ["it's.json", "back\\slash.json", "dir/ünï cödé 曲.json", "plain.json", "a'b\\'c.json"]
    df = spark.createDataFrame(
        [(n,) for n in [*names, "its.json", "backslash.json", "other.json"]], "source_file string"
    )

    matched = {r["source_file"] for r in df.filter(tables.in_values("source_file", names)).collect()}

    assert matched == set(names)
    assert df.filter(tables.in_values("source_file", [])).count() == 0


def _manifests(spark, table: str) -> int:
    return spark.sql(f"SELECT count(*) AS n FROM {table}.manifests").first()["n"]


@pytest.mark.parametrize(("appends", "rewritten"), [(3, 0), (12, 12)])
def test_upkeep_folds_a_snapshots_many_manifests_into_few(spark, catalog, appends, rewritten):
    # One append per day into a partition of its own: no partition gathers files to compact, but each
    # append adds a manifest that every later query plan reads, and the table's metadata grows for ever.
    table = f"{catalog}.t.plays"
    spark.sql(f"CREATE TABLE {table} (day int, plays int) USING iceberg PARTITIONED BY (day)")
    for day in range(appends):
        spark.createDataFrame([(day, 10 * day)], "day int, plays int").writeTo(table).append()
    assert _manifests(spark, table) == appends

    done = tables.maintain(spark, table, tables.Upkeep(), datetime.now(UTC), orphans_swept_at=datetime.now(UTC))

    assert done["manifests_rewritten"] == rewritten
    assert _manifests(spark, table) == (1 if rewritten else appends)
    assert sorted(tuple(r) for r in spark.table(table).collect()) == [(d, 10 * d) for d in range(appends)]

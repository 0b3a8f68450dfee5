"""The Sparkify questions run on local Spark SQL and on an ANSI engine, and are saved in Athena."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from sparkify import schemas
from sparkify.lake import quarantine_catalog
from sparkify.queries import DESCRIPTIONS, QUERIES
from tests.infra.conftest import ACCOUNT, Rendered

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}
STAR = ("songplays", "users", "songs", "artists", "time")


def test_every_query_has_a_description() -> None:
    assert sorted(QUERIES) == sorted(DESCRIPTIONS)
    assert {"songs_played_by_hour", "top_user_agents", "songplays_star_join"} <= set(QUERIES)


@pytest.fixture(scope="module")
def star_views(spark: Any) -> Any:
    """A two-play star schema as temp views named like the catalog's tables."""
    t1, t2 = datetime(2018, 11, 1, 21, 1, 46), datetime(2018, 11, 1, 21, 5, 52)
    rows = {
        "songplays": [
            ("p1", t1, 8, "free", "S1", "A1", 139, "Phoenix", "Mozilla/5.0", 2018, 11),
            ("p2", t2, 8, "free", None, None, 139, "Phoenix", None, 2018, 11),
        ],
        "users": [(8, "Kaylee", "Summers", "F", "free")],
        "songs": [("S1", "Setanta matins", "A1", 2001, 269.6)],
        "artists": [("A1", "Elena", "Dubai", None, None)],
        "time": [(t1, 21, 1, 44, 11, 2018, 4), (t2, 21, 1, 44, 11, 2018, 4)],
    }
    for table in STAR:
        spark.createDataFrame(rows[table], schemas.CURATED[table]).createOrReplaceTempView(table)
    return spark


@pytest.fixture(scope="module")
def spark_results(star_views: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every query run once on local Spark SQL (a syntax Spark rejects fails here)."""
    return {name: [tuple(r) for r in star_views.sql(sql).collect()] for name, sql in QUERIES.items()}


def test_songs_played_by_hour_counts_each_play(spark_results: dict[str, list[tuple[Any, ...]]]) -> None:
    assert spark_results["songs_played_by_hour"] == [(21, 2)]


def test_top_user_agents_ignores_unknown_agents(spark_results: dict[str, list[tuple[Any, ...]]]) -> None:
    assert spark_results["top_user_agents"] == [("Mozilla/5.0", 1)]


def test_top_songs_counts_only_matched_plays(spark_results: dict[str, list[tuple[Any, ...]]]) -> None:
    assert spark_results["top_songs"] == [("Setanta matins", "Elena", 1)]


def test_plays_by_level_counts_plays_and_users(spark_results: dict[str, list[tuple[Any, ...]]]) -> None:
    assert spark_results["plays_by_level"] == [("free", 2, 1)]


def test_star_join_keeps_plays_without_a_matched_song(spark_results: dict[str, list[tuple[Any, ...]]]) -> None:
    rows = spark_results["songplays_star_join"]
    # songplay_id, …, first_name (7), …, song_title (10), …, artist_name (12)
    assert [(r[0], r[7], r[10], r[12]) for r in rows] == [
        ("p1", "Kaylee", "Setanta matins", "Elena"),
        ("p2", "Kaylee", None, None),
    ]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_is_plain_ansi_sql(name: str) -> None:
    """DuckDB stands in for Athena's Trino here: both reject Spark-only syntax such as backticks."""
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    for table in STAR:
        columns = ", ".join(
            f"{f.name} {DUCKDB_TYPES[f.dataType.simpleString()]}" for f in schemas.CURATED[table].fields
        )
        con.execute(f"CREATE TABLE {table} ({columns})")
    con.execute(QUERIES[name]).fetchall()


def test_queries_are_saved_in_the_stacks_workgroup(stack: Rendered) -> None:
    saved = {q.inputs["name"]: q.inputs for q in stack.of_type("aws:athena/namedQuery:NamedQuery")}
    assert sorted(saved) == sorted([*QUERIES, *quarantine_catalog.QUERIES])
    for name, query in saved.items():
        star = name in QUERIES
        assert query["query"] == (QUERIES if star else quarantine_catalog.QUERIES)[name]
        assert query["database"] == f"sparkify_{stack.stack}" + ("" if star else "_staging"), name
        assert query["workgroup"].startswith(f"sparkify-{stack.stack}")


def test_the_quarantine_is_a_parquet_table_per_source_partitioned_by_batch(stack: Rendered) -> None:
    curated = f"sparkify-{stack.stack}-curated-{ACCOUNT}-us-east-1"
    found = {t.inputs["name"]: t.inputs for t in stack.of_type("aws:glue/catalogTable:CatalogTable")}
    assert sorted(found) == ["quarantine_events", "quarantine_songs"]
    for source in ("events", "songs"):
        table = found[f"quarantine_{source}"]
        assert table["databaseName"] == f"sparkify_{stack.stack}_staging"
        assert table["partitionKeys"] == [{"name": "batch_id", "type": "bigint"}]
        storage = table["storageDescriptor"]
        assert storage["location"] == f"s3://{curated}/quarantine/{source}/"
        assert storage["serDeInfo"]["serializationLibrary"].endswith("ParquetHiveSerDe")
        assert [(c["name"], c["type"]) for c in storage["columns"]] == [
            ("source", "string"),
            ("source_file", "string"),
            ("line", "int"),
            ("record", "string"),
            ("reason", "string"),
        ]


def test_the_workgroup_reads_iceberg_with_athena_engine_3(stack: Rendered) -> None:
    workgroup = stack.one("aws:athena/workgroup:Workgroup", "athena").inputs["configuration"]
    assert workgroup["engineVersion"] == {"selectedEngineVersion": "Athena engine version 3"}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_queries_assume_no_hive_partition_upkeep(name: str) -> None:
    """Iceberg tables keep their own partitions: a query must not repair, add or project them."""
    sql = QUERIES[name].upper()
    for hive_only in ("MSCK", "REPAIR TABLE", "ADD PARTITION", "PROJECTION", "$PARTITIONS", "ALTER TABLE"):
        assert hive_only not in sql, f"query {name} uses {hive_only}"


def test_athena_results_are_encrypted_and_limited(stack: Rendered, hardened: Rendered) -> None:
    workgroup = stack.one("aws:athena/workgroup:Workgroup", "athena").inputs["configuration"]
    assert workgroup["enforceWorkgroupConfiguration"] is True
    assert workgroup["bytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert workgroup["resultConfiguration"] == {
        "outputLocation": f"s3://sparkify-{stack.stack}-temp-123456789012-us-east-1/athena-results/",
        "encryptionConfiguration": {"encryptionOption": "SSE_S3"},
    }
    hardened_encryption = hardened.one("aws:athena/workgroup:Workgroup", "athena").inputs["configuration"][
        "resultConfiguration"
    ]["encryptionConfiguration"]
    assert hardened_encryption["encryptionOption"] == "SSE_KMS"

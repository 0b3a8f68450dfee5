"""`sparkify query`: the named queries of sparkify/queries.py, locally on Spark over a lake's curated tables,
or in the stack's Athena workgroup and database (moto answers with canned rows: the plumbing is tested,
not Athena's SQL)."""

from __future__ import annotations

from sparkify.spark import register_local_catalog

import json
import urllib.request
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from sparkify.cli import app
from sparkify.queries import QUERIES
from tests.ops.fake_aws import Deployed


def _queue_athena_result(endpoint: str, columns: list[str], rows: list[list[str]]) -> None:
    """The next Athena query in moto returns these rows, after the header row Athena puts first."""
    payload = {
        "results": [
            {
                "rows": [{"Data": [{"VarCharValue": v} for v in row]} for row in [columns, *rows]],
                "column_info": [
                    {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": c, "Label": c, "Type": "varchar",
                     "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": True}
                    for c in columns
                ],
            }
        ]
    }
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def test_query_in_athena_runs_the_named_sql_in_the_stack_workgroup(dev: Deployed, aws: str, cli) -> None:
    _queue_athena_result(aws, ["level", "plays", "users"], [["free", "1203", "71"], ["paid", "5617", "22"]])

    result = cli.invoke(app, ["query", "plays_by_level", "--stack", "dev"])

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["level", "plays", "users"] in rows
    assert ["free", "1203", "71"] in rows
    assert ["paid", "5617", "22"] in rows
    assert ["level", "plays", "users"] == rows[[r[:1] for r in rows].index(["level"])]  # the header row is not data
    assert "2 rows from athena:sparkify-dev/sparkify_dev" in result.stdout
    athena = boto3.client("athena")
    [execution_id] = athena.list_query_executions(WorkGroup="sparkify-dev")["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["Query"] == QUERIES["plays_by_level"]
    assert execution["QueryExecutionContext"]["Database"] == "sparkify_dev"
    assert execution["WorkGroup"] == "sparkify-dev"


def test_query_json_from_athena(dev: Deployed, aws: str, cli) -> None:
    _queue_athena_result(aws, ["hour", "plays"], [["0", "12"], ["1", "7"]])

    result = cli.invoke(app, ["query", "songs_played_by_hour", "--stack", "dev", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["query"] == "songs_played_by_hour"
    assert data["columns"] == ["hour", "plays"]
    assert data["rows"] == [["0", "12"], ["1", "7"]]
    assert data["source"] == "athena:sparkify-dev/sparkify_dev"
    assert data["query_execution_id"]


def test_an_unknown_query_lists_the_known_ones(cli) -> None:
    result = cli.invoke(app, ["query", "top_artists", "--lake", "lake"])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: no query named 'top_artists'; queries: songs_played_by_hour, top_user_agents")


def test_query_without_a_name_lists_the_queries(cli) -> None:
    result = cli.invoke(app, ["query", "--json"])

    assert [q["name"] for q in json.loads(result.stdout)] == list(QUERIES)


def test_query_on_a_lake_without_curated_tables(cli, tmp_path: Path) -> None:
    result = cli.invoke(app, ["query", "top_songs", "--lake", str(tmp_path)])

    assert result.exit_code == 2
    assert f"no curated table artists, songplays, songs under {tmp_path}/curated" in result.stderr


@pytest.fixture
def tiny_lake(spark, tmp_path: Path) -> Path:
    """A lake whose songplays table holds three plays written by hand: one free, two paid by one user."""
    lake = tmp_path / "lake"
    rows = [
        (1, datetime(2018, 11, 1, 21, 1), "8", "free", "SOA", "ARA", 139, "Phoenix, AZ", "Mozilla/5.0", 2018, 11),
        (2, datetime(2018, 11, 1, 21, 5), "15", "paid", None, None, 140, "Chicago, IL", "Mozilla/5.0", 2018, 11),
        (3, datetime(2018, 11, 2, 9, 30), "15", "paid", "SOB", "ARB", 141, "Chicago, IL", None, 2018, 11),
    ]
    columns = "songplay_id start_time user_id level song_id artist_id session_id location user_agent year month"
    plays = spark.createDataFrame(rows, columns.split())
    table = f"{register_local_catalog(spark, lake.resolve())}.curated.songplays"
    plays.writeTo(table).partitionedBy("year", "month").create()
    # The audit branch holds one more play that no suite has passed: only `--branch audit` shows it.
    spark.sql(f"ALTER TABLE {table} CREATE BRANCH audit")
    plays.limit(1).writeTo(f"{table}.branch_audit").append()
    return lake


def test_query_on_a_lake_runs_on_local_spark(tiny_lake: Path, cli) -> None:
    result = cli.invoke(app, ["query", "plays_by_level", "--lake", str(tiny_lake), "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["columns"] == ["level", "plays", "users"]
    assert data["rows"] == [["free", 1, 1], ["paid", 2, 1]]
    assert data["source"] == str(tiny_lake)


def test_query_on_a_lake_reads_the_audit_branch_when_asked(tiny_lake: Path, cli) -> None:
    result = cli.invoke(app, ["query", "plays_by_level", "--lake", str(tiny_lake), "--branch", "audit", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rows"] == [["free", 2, 1], ["paid", 2, 1]]
    assert data["source"] == f"{tiny_lake} (branch audit)"


def test_query_on_a_lake_prints_a_table(tiny_lake: Path, cli) -> None:
    result = cli.invoke(app, ["query", "top_user_agents", "--lake", str(tiny_lake)])

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["user_agent", "plays"] in rows
    assert ["Mozilla/5.0", "2"] in rows
    assert f"1 row from {tiny_lake}" in result.stdout

"""`sparkify sql`: any SELECT over the curated tables, locally (pyiceberg and DuckDB over a branch, no
Spark) or in the stack's Athena workgroup (moto answers with canned rows: the plumbing is tested)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from sparkify.cli.main import app
from sparkify.local.session import register_local_catalog
from tests.documents import assert_document
from tests.ops.fake_aws import Deployed
from tests.ops.test_query import _queue_athena_result

SQL = "SELECT level, count(*) AS plays FROM songplays GROUP BY level ORDER BY level"


@pytest.fixture
def plays_lake(spark, tmp_path: Path) -> Path:
    """Three plays published on `main` (one free, two paid), and one more free play on `audit` only."""
    lake = tmp_path / "lake"
    rows = [
        ("1", datetime(2018, 11, 1, 21, 1), 8, "free", 2018, 11),
        ("2", datetime(2018, 11, 1, 21, 5), 15, "paid", 2018, 11),
        ("3", datetime(2018, 11, 2, 9, 30), 15, "paid", 2018, 11),
    ]
    plays = spark.createDataFrame(
        rows, "songplay_id string, start_time timestamp, user_id int, level string, year int, month int"
    )
    table = f"{register_local_catalog(spark, lake.resolve())}.curated.songplays"
    plays.writeTo(table).create()
    spark.sql(f"ALTER TABLE {table} CREATE BRANCH audit")
    plays.limit(1).writeTo(f"{table}.branch_audit").append()
    return lake


def test_sql_over_a_lake_answers_from_main_and_from_audit_when_asked(plays_lake: Path, cli) -> None:
    main = cli.invoke(app, ["sql", SQL, "--lake", str(plays_lake), "--json"])
    audit = cli.invoke(app, ["sql", SQL, "--lake", str(plays_lake), "--branch", "audit", "--json"])

    assert (main.exit_code, audit.exit_code) == (0, 0), main.output + audit.output
    document = json.loads(main.stdout)
    assert_document("sql-result", document)
    assert (document["sql"], document["columns"], document["rows"]) == (
        SQL,
        ["level", "plays"],
        [["free", 1], ["paid", 2]],
    )
    assert json.loads(audit.stdout)["rows"] == [["free", 2], ["paid", 2]]


def test_sql_that_fails_is_one_line_naming_the_lake(plays_lake: Path, cli) -> None:
    result = cli.invoke(app, ["sql", "SELECT nope FROM songplays", "--lake", str(plays_lake)])

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: the SQL failed on {plays_lake}: Binder Error: ")
    assert len(result.stderr.splitlines()) == 1


def test_sql_in_athena_runs_the_text_in_the_stack_workgroup(dev: Deployed, aws: str, cli) -> None:
    _queue_athena_result(aws, ["level", "plays"], [["free", "1203"], ["paid", "5617"]], ["varchar", "bigint"])

    result = cli.invoke(app, ["sql", SQL, "--stack", "dev"])

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["free", "1,203"] in rows and ["paid", "5,617"] in rows
    athena = boto3.client("athena")
    [execution_id] = athena.list_query_executions(WorkGroup="sparkify-dev")["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert (execution["Query"], execution["QueryExecutionContext"]["Database"]) == (SQL, "sparkify_dev")


def test_the_audit_branch_is_not_asked_of_athena(cli) -> None:
    result = cli.invoke(app, ["sql", SQL, "--stack", "dev", "--branch", "audit"])

    assert result.exit_code == 2
    assert result.stderr == "error: --branch audit reads a local lake only: Athena sees what is published (main)\n"

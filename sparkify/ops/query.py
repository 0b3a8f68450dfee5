"""The named analytics queries of `sparkify.queries`, run locally on Spark over a lake's curated tables or
in Athena against a stack's catalog (the same SQL as the stack's Athena named queries)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkify.ops.aws import Aws, OpsError, translated
from sparkify.ops.stack import StackNames
from sparkify.layout import LAKE_LAYOUT
from sparkify.pipeline import CURATED_TABLES, Location
from sparkify.queries import DESCRIPTIONS, QUERIES

ATHENA_DONE = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass
class QueryResult:
    name: str
    columns: list[str]
    rows: list[list[Any]]
    source: str  # the lake folder, or athena:<workgroup>/<database>
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.name,
            "source": self.source,
            "columns": self.columns,
            "rows": self.rows,
            "seconds": round(self.seconds, 2),
            **self.details,
        }


def sql_for(name: str) -> str:
    if name not in QUERIES:
        raise OpsError(f"no query named {name!r}; queries: {', '.join(QUERIES)} (`sparkify query` lists them)")
    return QUERIES[name]


def catalog() -> list[tuple[str, str]]:
    return [(name, DESCRIPTIONS.get(name, "")) for name in QUERIES]


def tables_used(sql: str) -> list[str]:
    curated = {t.name for t in CURATED_TABLES}
    found = re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)", sql, flags=re.IGNORECASE)
    return sorted({t for t in found if t in curated})


def run_local(lake: Path, name: str, branch: str = "main") -> QueryResult:
    """Run on local Spark: a temporary view per curated Iceberg table as `branch` has it (`main`, the
    published state, or `audit`, what the last run wrote), then the query text as it is."""
    from sparkify.runner import lake_table
    from sparkify.spark import local_session

    if branch not in ("main", "audit"):
        raise OpsError(f"no branch {branch!r}: the curated tables have `main` (published) and `audit`")
    sql = sql_for(name)
    curated = lake / LAKE_LAYOUT[Location.CURATED]
    missing = [t for t in tables_used(sql) if not (curated / t / "metadata").is_dir()]
    if missing:
        raise OpsError(
            f"no curated table {', '.join(missing)} under {curated}: run the pipeline first (`sparkify run --lake {lake}`)"
        )
    start = time.perf_counter()
    spark = local_session("sparkify-query")
    for table in tables_used(sql):
        lake_table(spark, lake.resolve(), table, branch).createOrReplaceTempView(table)
    df = spark.sql(sql)
    rows = [[_plain(v) for v in row] for row in df.collect()]
    source = str(lake) if branch == "main" else f"{lake} (branch {branch})"
    return QueryResult(name, list(df.columns), rows, source, time.perf_counter() - start)


def run_athena(
    aws: Aws,
    names: StackNames,
    name: str,
    *,
    interval: float = 1.0,
    timeout: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> QueryResult:
    """Run in the stack's Athena workgroup (which sets the result location, encryption and scan limit)."""
    sql = sql_for(name)
    athena = aws.client("athena")
    start = time.perf_counter()
    where = f"Athena workgroup {names.workgroup} ({names.describe()})"
    with translated(f"starting query {name} in {where}"):
        execution_id = athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": names.database, "Catalog": "AwsDataCatalog"},
            WorkGroup=names.workgroup,
        )["QueryExecutionId"]
    deadline = time.monotonic() + timeout
    while True:
        with translated(f"waiting for query {execution_id}"):
            execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        status = execution.get("Status", {})
        state = status.get("State", "QUEUED")
        if state in ATHENA_DONE:
            break
        if time.monotonic() >= deadline:
            raise OpsError(f"query {name} ({execution_id}) still {state} after {timeout:.0f} s in {where}")
        sleep(interval)
    if state != "SUCCEEDED":
        reason = str(status.get("StateChangeReason") or "no reason given").splitlines()[0]
        hint = (
            " (the model job creates the curated tables on its first run: `sparkify status` shows the runs)"
            if "does not exist" in reason or "not found" in reason.lower()
            else ""
        )
        raise OpsError(f"query {name} {state.lower()} in {where}: {reason}{hint}")

    columns: list[str] = []
    rows: list[list[Any]] = []
    with translated(f"reading the results of query {execution_id}"):
        for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
            result_set = page.get("ResultSet", {})
            if not columns:
                info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [str(c.get("Label") or c.get("Name")) for c in info]
            for row in result_set.get("Rows", []):
                rows.append([cell.get("VarCharValue") for cell in row.get("Data", [])])
    # Athena repeats the column names as the first row of a SELECT's results.
    if rows and columns and rows[0] == columns:
        rows = rows[1:]
    stats = execution.get("Statistics", {})
    details = {
        "query_execution_id": execution_id,
        "data_scanned_bytes": stats.get("DataScannedInBytes"),
        "output_location": execution.get("ResultConfiguration", {}).get("OutputLocation"),
    }
    source = f"athena:{names.workgroup}/{names.database}"
    return QueryResult(name, columns, rows, source, time.perf_counter() - start, details)


def _plain(value: Any) -> Any:
    """JSON-friendly cell values (timestamps and decimals as text)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)

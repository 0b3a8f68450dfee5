"""The named analytics queries of `sparkify.queries`, run locally over a lake's curated Iceberg tables or
in Athena against a stack's catalog (the same SQL as the stack's Athena named queries).

Locally no Spark starts: pyiceberg reads each table the query names straight from its metadata (the lake's
file-based catalog keeps `curated/<table>/metadata/vN.metadata.json` and a `version-hint.text`), scans the
branch asked for into Arrow, and DuckDB runs the query text over those Arrow tables, in a second or two
where a Spark session took 11-16 s on the sample. In Athena, PyAthena runs it and types the answer by
Athena's column types, so both give the same values for the same rows.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from sparkify.layout import LAKE_LAYOUT, local_uri
from sparkify.ops.aws import Aws, OpsError, client_config, explain, translated
from sparkify.ops.stack import StackNames
from sparkify.pipeline import CURATED_TABLES, Location
from sparkify.queries import DESCRIPTIONS, QUERIES

if TYPE_CHECKING:
    import pyarrow as pa

BRANCHES = ("main", "audit")


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
    """Run over the lake's curated Iceberg tables as `branch` has them (`main`, the published state, or
    `audit`, what the last run wrote): each table the query names is scanned into Arrow with pyiceberg, and
    DuckDB runs the query text as it is. Values come back as local Spark gave them: numbers as numbers,
    timestamps (UTC) and decimals as text."""
    sql = sql_for(name)
    return run_sql_local(lake, sql, branch, name, tables_used(sql))


def tables_named(sql: str) -> list[str]:
    """The curated tables whose names appear in `sql` as words (a comma join, a subquery, a CTE named
    alike: scanning one table too many costs a scan, missing one fails the query)."""
    return sorted(t.name for t in CURATED_TABLES if re.search(rf"\b{t.name}\b", sql, flags=re.IGNORECASE))


def run_sql_local(
    lake: Path, sql: str, branch: str = "main", label: str = "sql", used: list[str] | None = None
) -> QueryResult:
    """Any SQL (DuckDB's dialect) over the lake's curated tables as `branch` has them, by their bare names;
    `used`: the tables to scan (default: every curated table the text names). A table never published
    has no `main` to read: that is an error naming it, not an empty answer."""
    import duckdb

    if branch not in BRANCHES:
        raise OpsError(f"no branch {branch!r}: the curated tables have `main` (published) and `audit`")
    curated = lake / LAKE_LAYOUT[Location.CURATED]
    used = tables_named(sql) if used is None else used
    missing = [t for t in used if not (curated / t / "metadata").is_dir()]
    if missing:
        raise OpsError(
            f"no curated table {', '.join(missing)} under {curated}: run the pipeline first (`sparkify run "
            f"--lake {lake}`)"
        )
    never = [t for t in used if branch == "main" and "main" not in branch_heads(curated / t)]
    if never:
        raise OpsError(
            f"{lake} has never published {', '.join(never)}: no run has passed its audit yet; "
            f"`sparkify diff --lake {lake}` shows what waits on the audit branch"
        )
    start = time.perf_counter()
    with duckdb.connect() as db:
        # Spark's (and the pipeline's) conventions: UTC, and NULLs first in ascending order, last in descending.
        db.execute("SET TimeZone = 'UTC'")
        db.execute("SET default_null_order = 'nulls_first_on_asc_last_on_desc'")
        for table in used:
            db.register(table, scan_branch(curated / table, branch))
        try:
            result = db.sql(sql)
            if result is None:
                raise OpsError("the SQL ran but returned no rows to show: give a SELECT (or WITH … SELECT)")
            columns = list(result.columns)
            rows = [[_plain(v) for v in row] for row in result.fetchall()]
        except duckdb.Error as exc:
            reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            raise OpsError(f"the SQL failed on {lake}: {reason}") from None
    source = str(lake) if branch == "main" else f"{lake} (branch {branch})"
    return QueryResult(label, columns, rows, source, time.perf_counter() - start)


def branch_heads(table_dir: Path) -> dict[str, int]:
    """Each branch of the Iceberg table in `table_dir` with the snapshot it points at (no `main` before
    the table's first publish)."""
    from pyiceberg.table import StaticTable

    try:
        table = StaticTable.from_metadata(local_uri(table_dir))
    except (OSError, ValueError) as exc:
        raise OpsError(f"cannot read the Iceberg table in {table_dir}: {exc}") from None
    return {name: ref.snapshot_id for name, ref in table.metadata.refs.items()}


def scan_branch(table_dir: Path, branch: str = "main") -> pa.Table:
    """Every row of the Iceberg table in `table_dir` as `branch` has it, as an Arrow table. A table whose
    `main` was never published reads empty, as on Spark."""
    from pyiceberg.table import StaticTable

    try:
        table = StaticTable.from_metadata(local_uri(table_dir))
    except (OSError, ValueError) as exc:
        raise OpsError(f"cannot read the Iceberg table in {table_dir}: {exc}") from None
    snapshot = table.snapshot_by_name(branch)
    if snapshot is None and branch != "main":
        raise OpsError(f"table {table_dir.name} has no branch {branch!r} (no run has written to it yet)")
    if snapshot is None:
        return table.scan().to_arrow().slice(0, 0)
    return table.scan(snapshot_id=snapshot.snapshot_id).to_arrow()


def run_athena(aws: Aws, names: StackNames, name: str, *, poll_interval: float = 1.0) -> QueryResult:
    """Run the named query `name` in the stack's Athena workgroup (`run_sql_athena`)."""
    return run_sql_athena(aws, names, sql_for(name), name, poll_interval=poll_interval)


def run_sql_athena(
    aws: Aws, names: StackNames, sql: str, name: str = "sql", *, poll_interval: float = 1.0
) -> QueryResult:
    """Run in the stack's Athena workgroup (which sets the result location, encryption and scan limit).

    PyAthena starts the query, polls it to its end (Ctrl-C cancels it in Athena) and reads the results
    typed by Athena's column types (`ResultSetMetadata.ColumnInfo`), dropping the header row Athena puts
    first; values then become what a local query gives: numbers as numbers, timestamps (UTC) and decimals
    as text. Its client comes from our session, with our client settings (`client_config`)."""
    from pyathena import connect
    from pyathena.error import Error as AthenaError

    where = f"Athena workgroup {names.workgroup} ({names.describe()})"
    start = time.perf_counter()
    with translated(f"running query {name} in {where}"):
        connection = connect(
            session=aws.session,
            region_name=aws.region,
            work_group=names.workgroup,
            schema_name=names.database,
            catalog_name="AwsDataCatalog",
            poll_interval=poll_interval,
            config=client_config(),
        )
    with connection, connection.cursor() as cursor:
        try:
            cursor.execute(sql)
            rows = [[_plain(v) for v in row] for row in cursor.fetchall()]
        except AthenaError as exc:
            cause = exc.__cause__
            if isinstance(cause, (BotoCoreError, ClientError)):
                raise explain(cause, f"running query {name} in {where}") from None
            reason = (str(exc).strip() or "no reason given").splitlines()[0]
            hint = (
                " (the model job creates the curated tables on its first run: `sparkify status` shows the runs)"
                if "does not exist" in reason or "not found" in reason.lower()
                else ""
            )
            raise OpsError(f"query {name} failed in {where}: {reason}{hint}") from None
        columns = [str(column[0]) for column in cursor.description or []]
        details = {
            "query_execution_id": cursor.query_id,
            "data_scanned_bytes": cursor.data_scanned_in_bytes,
            "output_location": cursor.output_location,
        }
    source = f"athena:{names.workgroup}/{names.database}"
    return QueryResult(name, columns, rows, source, time.perf_counter() - start, details)


def _plain(value: Any) -> Any:
    """JSON-friendly cell values (timestamps and decimals as text), as Spark's rows gave them: a timestamp
    reads as its UTC wall time without a zone, `2018-11-01 21:01:46.796000`."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)

"""What a run would publish: each curated table's `audit` branch against its `main`, row by row on the
table's key: the rows `audit` adds, the rows whose values it changes, the rows it removes, with the first
few of each (in key order) as examples.

One SQL text, which Spark SQL (the validate job, when an audit fails) and DuckDB (`sparkify diff`, over
the branches pyiceberg scans) read alike but for the name of the row constructor, as `sparkify.queries`
does: a full outer join of the two branches on the key, the rows' values compared whole with `IS
DISTINCT FROM` (a null equals a null), and window functions for the counts and the examples, so one
pass gives both. Each side carries a marker column: a row with a null key is
still told apart from a missing one.

Nothing here imports Spark: the validate job hands in its session, the command line its DuckDB connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# `sparkify.lake.tables`' AUDIT and MAIN, named here too so the command line diffs without importing Spark.
AUDIT_BRANCH, MAIN_BRANCH = "audit", "main"
ADDED, CHANGED, REMOVED = "added", "changed", "removed"
CHANGES = (ADDED, CHANGED, REMOVED)
# Example rows per kind of change and table: enough to recognise the change, short enough for a page.
EXAMPLES = 5

_CHANGE, _COUNT, _RANK, _PRESENT = "_change", "_count", "_rank", "_present"


def _side(prefix: str, column: str) -> str:
    return f"{prefix}__{column}"


# How each engine builds a row value to compare whole: Spark's `struct(…)`, DuckDB's `row(…)`. Compared as
# one value, not column by column: Spark's optimizer spends minutes on an OR of one `IS DISTINCT FROM` per
# column over a full outer join (constraint inference), where one comparison of two structs plans at once.
SPARK_ROW, DUCKDB_ROW = "struct", "row"
CONSTRAINTS = "spark.sql.constraintPropagation.enabled"


def diff_sql(
    audit: str,
    main: str,
    key: Sequence[str],
    columns: Sequence[str],
    examples: int = EXAMPLES,
    row: str = DUCKDB_ROW,
) -> str:
    """The rows `audit` adds, changes or removes against `main` (both relations with `columns`), the
    first `examples` of each kind in key order, each with the count of its kind (`_count`) and both
    sides' values (`a__<column>`, `m__<column>`). `row`: the engine's row constructor."""
    on = " AND ".join(f"a.{k} = m.{k}" for k in key)
    values = [c for c in columns if c not in key]
    differs = (
        f"{row}({', '.join(f'a.{c}' for c in values)}) IS DISTINCT FROM {row}({', '.join(f'm.{c}' for c in values)})"
        if values
        else "FALSE"
    )
    change = (
        f"CASE WHEN m.{_PRESENT} IS NULL THEN '{ADDED}' WHEN a.{_PRESENT} IS NULL THEN '{REMOVED}' ELSE '{CHANGED}' END"
    )
    sides = ", ".join(f"a.{c} AS {_side('a', c)}, m.{c} AS {_side('m', c)}" for c in columns)
    order = ", ".join(f"coalesce({_side('a', k)}, {_side('m', k)})" for k in key)
    joined = (
        f"SELECT {change} AS {_CHANGE}, {sides} "
        f"FROM (SELECT *, 1 AS {_PRESENT} FROM {audit}) a "
        f"FULL OUTER JOIN (SELECT *, 1 AS {_PRESENT} FROM {main}) m ON {on} "
        f"WHERE m.{_PRESENT} IS NULL OR a.{_PRESENT} IS NULL OR {differs}"
    )
    ranked = (
        f"SELECT j.*, count(*) OVER (PARTITION BY {_CHANGE}) AS {_COUNT}, "
        f"row_number() OVER (PARTITION BY {_CHANGE} ORDER BY {order}) AS {_RANK} FROM ({joined}) j"
    )
    return f"SELECT * FROM ({ranked}) d WHERE {_RANK} <= {int(examples)} ORDER BY {_CHANGE}, {_RANK}"


def summarize(
    table: str, key: Sequence[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """One table's diff from the rows `diff_sql` returned (`rows`: column name → plain value): the
    count of each kind of change and its examples. An added or removed row shows its values; a changed
    one the columns that differ, as `{"main": old, "audit": new}`."""
    counts = dict.fromkeys(CHANGES, 0)
    examples = []
    for row in rows:
        change = str(row[_CHANGE])
        counts[change] = int(row[_COUNT])
        side = "m" if change == REMOVED else "a"
        example: dict[str, Any] = {"change": change, "key": {k: row[_side(side, k)] for k in key}}
        if change == CHANGED:
            example["columns"] = {
                c: {"main": row[_side("m", c)], "audit": row[_side("a", c)]}
                for c in columns
                if c not in key and row[_side("m", c)] != row[_side("a", c)]
            }
        else:
            example["row"] = {c: row[_side(side, c)] for c in columns}
        examples.append(example)
    return {"table": table, "key": list(key), **counts, "examples": examples}


def unchanged(table: str, key: Sequence[str]) -> dict[str, Any]:
    """The diff of a table whose `audit` is its `main`."""
    return {"table": table, "key": list(key), **dict.fromkeys(CHANGES, 0), "examples": []}


def total(diffs: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Rows added, changed and removed over every table."""
    found = list(diffs)
    return {change: sum(int(d[change]) for d in found) for change in CHANGES}


def in_spark(
    spark: SparkSession, curated: Mapping[str, str], keys: Mapping[str, Sequence[str]], names: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """The diff of each table of `names` (curated: name → identifier) on Spark, as the validate job
    sees it: `main` reads empty when the table was never published."""
    from sparkify.lake import tables

    found = {}
    for name in names:
        refs = tables.refs(spark, curated[name])
        if refs.get(tables.AUDIT) in (None, refs.get(tables.MAIN)):
            found[name] = unchanged(name, keys[name])
            continue
        audit = tables.read(spark, curated[name], tables.AUDIT)
        main = tables.read(spark, curated[name], tables.MAIN)
        views = {"a": f"_sparkify_diff_audit_{name}", "m": f"_sparkify_diff_main_{name}"}
        audit.createOrReplaceTempView(views["a"])
        main.createOrReplaceTempView(views["m"])
        # Constraint inference rewrites the filter for every alias of every column (two per column here):
        # songplays' 11 columns planned for over two minutes with it, in 2.4 s without (warm, an empty table).
        inferring = spark.conf.get(CONSTRAINTS, "true")
        spark.conf.set(CONSTRAINTS, "false")
        try:
            columns = audit.columns
            rows = spark.sql(diff_sql(views["a"], views["m"], keys[name], columns, row=SPARK_ROW)).collect()
            plain = ({k: _plain(v) for k, v in r.asDict().items()} for r in rows)
            found[name] = summarize(name, keys[name], columns, plain)
        finally:
            spark.conf.set(CONSTRAINTS, inferring or "true")
            for view in views.values():
                spark.catalog.dropTempView(view)
    return found


def _plain(value: Any) -> Any:
    """A value as JSON holds it: numbers, text, booleans and nulls as they are, anything else (a
    timestamp, a decimal) as its text."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)

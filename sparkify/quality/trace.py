"""The raw file and line of each failing row a suite names: the rows come from `explain_failures` by the
table's key, and each key is looked up in staging (`sparkify.transforms.origins`), so the report, the
command line and the run page say which line of which raw file to fix.

Worked out only for a failed expectation that names rows: a passing run pays nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkify.pipeline import CURATED_TABLES
from sparkify.transforms.origins import LINE, SOURCE_FILE, locate

KEYS = {t.name: t.key for t in CURATED_TABLES}
ROWS_MARK = "; rows: "


def trace_failing_rows(summaries: Mapping[str, Mapping[str, Any]], origins: Mapping[str, DataFrame]) -> None:
    """Give each failing row of `summaries` (in place) its `source_file` and `line`, and its expectation's
    details the same after each row's key. `origins`: per table, `origins.origins` of the staged rows."""
    for name, summary in summaries.items():
        key = KEYS.get(name.split(".")[0])
        for failure in summary.get("failed_expectations") or []:
            rows = failure.get("rows") or []
            if not rows or key is None or name not in origins:
                continue
            found = _lookup(rows, origins[name], key)
            for row in rows:
                where = found.get(_key_text(row, key), (None, None))
                row[SOURCE_FILE], row[LINE] = where
            head = str(failure["details"]).split(ROWS_MARK)[0]
            failure["details"] = head + ROWS_MARK + "; ".join(row_text(row, key) for row in rows[:5])


def row_text(row: Mapping[str, Any], key: Sequence[str]) -> str:
    """`song_id=SO… (song_data/A/B/C/TR….json line 1)`: a failing row's key and where it came from."""
    text = " ".join(f"{k}={row.get(k)}" for k in key)
    if row.get(SOURCE_FILE):
        text += f" ({row[SOURCE_FILE]}" + (f" line {row[LINE]})" if row.get(LINE) is not None else ")")
    return text


def _key_text(row: Mapping[str, Any], key: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(row.get(k)) for k in key)


def _lookup(
    rows: Sequence[Mapping[str, Any]], origins_df: DataFrame, key: Sequence[str]
) -> dict[tuple[str, ...], tuple[str | None, int | None]]:
    """Each row's key (as text) → the first staged record's file and line. Keys arrive as JSON values (a
    timestamp as its text), so they are cast to the staged column's type to match it."""
    spark = origins_df.sparkSession
    wanted = [r for r in rows if all(r.get(k) is not None for k in key)]
    if not wanted:
        return {}
    schema = T.StructType([T.StructField(f"_{i}", T.StringType()) for i in range(len(key))])
    texts = spark.createDataFrame([_key_text(r, key) for r in wanted], schema)
    keys_df = texts.select(
        *[F.col(f"_{i}").cast(origins_df.schema[k].dataType).alias(k) for i, k in enumerate(key)],
        *[F.col(f"_{i}") for i in range(len(key))],
    )
    located = locate(keys_df, origins_df, key).collect()
    return {tuple(r[f"_{i}"] for i in range(len(key))): (r[SOURCE_FILE], r[LINE]) for r in located}

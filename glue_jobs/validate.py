"""Glue job `validate`: Great Expectations suites on every curated table, Data Docs, and a failed run on bad data.

Runs unchanged on AWS Glue 5.1 (`glue_main`) and locally (`sparkify run` calls `run`). Data Docs go to
`data_docs_uri`: built there when it is a folder, uploaded to its `latest/` and `runs/<run_id>/` on S3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from sparkify import quality
from sparkify.io import join_uri, read_table
from sparkify.pipeline import CURATED_TABLES, Location
from sparkify.runtime import StepFailed, glue_main

STEP = "validate"

# The songplays suite reconciles its row count with this many staging events (its `$PARAMETER`).
STAGING_NEXT_SONG_EVENTS = "staging_next_song_events"


def run(spark: SparkSession, args: Mapping[str, str]) -> dict[str, Any]:
    suites = quality.load_suites(args[Location.EXPECTATIONS])
    missing = sorted({t.name for t in CURATED_TABLES} - set(suites))
    if missing:
        raise FileNotFoundError(f"no suite for curated table(s) {', '.join(missing)} in {args[Location.EXPECTATIONS]}")
    # Read without a schema: a column the model dropped or added must show up in the columns expectation.
    tables = {t.name: read_table(spark, join_uri(args[Location.CURATED], t.name)) for t in CURATED_TABLES}
    events = read_table(spark, join_uri(args[Location.STAGING], "events"))
    parameters = {STAGING_NEXT_SONG_EVENTS: events.filter(F.col("page") == "NextSong").count()}

    summaries, docs_index = quality.validate_and_publish(
        tables, suites, parameters, args[Location.DATA_DOCS], args["run_id"]
    )
    failed = {name: s for name, s in summaries.items() if not s["success"]}
    metrics: dict[str, Any] = {
        "suites": summaries,
        "parameters": parameters,
        "data_docs_index": docs_index,
        "status": "failed" if failed else "succeeded",
    }
    if failed:
        raise StepFailed(_failure_message(failed, docs_index), metrics)
    return metrics


def _failure_message(failed: Mapping[str, Mapping[str, Any]], docs_index: str) -> str:
    parts = []
    for name, summary in failed.items():
        rules = ", ".join(
            f"{e['type']}({e['column']})" if e["column"] else e["type"] for e in summary["failed_expectations"]
        )
        parts.append(f"{name} [{summary['failed']} of {summary['evaluated']} failed: {rules}]")
    return f"data quality failed for suite(s) {', '.join(failed)}: {'; '.join(parts)}. Data Docs: {docs_index}"


if __name__ == "__main__":
    glue_main(STEP, run)

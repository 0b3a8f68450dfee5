"""Glue job `stage`: raw song and log JSON → typed staging Parquet, bad records → quarantine with reasons.

Runs unchanged on AWS Glue 5.1 (`glue_main`) and locally (`sparkify run` calls `run`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkify import schemas
from sparkify.io import join_uri, read_raw, write_table
from sparkify.pipeline import SOURCES, Location
from sparkify.runtime import glue_main
from sparkify.transforms import staging

STEP = "stage"

_TAG = {"songs": staging.tag_songs, "events": staging.tag_events}
_STAGE = {"songs": staging.staged_songs, "events": staging.staged_events}


def _counts(tagged: DataFrame) -> tuple[int, int]:
    """(records read, records quarantined) in one pass over the tagged records."""
    row = tagged.agg(
        F.count("*").alias("read"),
        F.count(staging.REASON).alias("quarantined"),
    ).first()
    assert row is not None
    return int(row["read"]), int(row["quarantined"])


def run(spark: SparkSession, args: Mapping[str, str]) -> dict[str, Any]:
    sources: dict[str, Any] = {}
    for source in SOURCES:
        tagged = _TAG[source](read_raw(spark, args[Location.RAW], source)).cache()
        read, quarantined = _counts(tagged)
        write_table(_STAGE[source](tagged), join_uri(args[Location.STAGING], source))
        write_table(
            staging.quarantined(tagged, source, schemas.RAW[source]),
            join_uri(args[Location.QUARANTINE], source),
        )
        tagged.unpersist()
        sources[source] = {"read": read, "staged": read - quarantined, "quarantined": quarantined}
    return {"status": "succeeded", "sources": sources}


if __name__ == "__main__":
    glue_main(STEP, run)

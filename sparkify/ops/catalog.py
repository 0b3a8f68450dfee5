"""Moving an existing stack's catalog to Iceberg: the curated crawler of earlier versions registered the
star schema as Hive tables (Parquet) under the names the Iceberg tables now take. The model job's
`CREATE TABLE IF NOT EXISTS` would meet those entries and fail, so they go first.

Only entries that are not Iceberg tables and bear a curated table's name are touched; the Parquet files
under `curated/<table>/` stay (Iceberg's orphan-file upkeep removes them once they are older than its
safety margin) and the raw crawler's `song_data`/`log_data` stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sparkify import pipeline
from sparkify.ops.aws import Aws, translated
from sparkify.ops.stack import StackNames


@dataclass(frozen=True)
class LegacyTable:
    name: str
    location: str
    kind: str  # what the catalog says it is (classification or table type)


def is_iceberg(table: dict[str, Any]) -> bool:
    return str((table.get("Parameters") or {}).get("table_type", "")).upper() == "ICEBERG"


def legacy_tables(aws: Aws, names: StackNames) -> list[LegacyTable]:
    """Hive entries in the curated database that block an Iceberg table of the same name."""
    curated = {t.name for t in pipeline.CURATED_TABLES}
    found: list[LegacyTable] = []
    glue = aws.client("glue")
    with translated(f"listing the tables of Glue database {names.database}"):
        for page in glue.get_paginator("get_tables").paginate(DatabaseName=names.database):
            for table in page.get("TableList", []):
                if table["Name"] in curated and not is_iceberg(table):
                    parameters = table.get("Parameters") or {}
                    found.append(
                        LegacyTable(
                            name=table["Name"],
                            location=str((table.get("StorageDescriptor") or {}).get("Location", "")),
                            kind=str(parameters.get("classification") or table.get("TableType") or "hive"),
                        )
                    )
    return sorted(found, key=lambda t: t.name)


def drop_legacy_tables(aws: Aws, names: StackNames, tables: list[LegacyTable]) -> None:
    glue = aws.client("glue")
    for table in tables:
        with translated(f"dropping the Hive table {names.database}.{table.name}"):
            glue.delete_table(DatabaseName=names.database, Name=table.name)

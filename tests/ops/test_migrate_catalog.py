"""`sparkify migrate-catalog`: the Hive tables an earlier version's curated crawler registered are listed,
then dropped with --yes; Iceberg tables and the raw crawler's tables are left alone."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from sparkify.cli.main import app
from tests.documents import assert_document
from tests.ops.fake_aws import REGION, Deployed


def _table(name: str, parameters: dict[str, str], location: str) -> dict[str, Any]:
    return {"Name": name, "Parameters": parameters, "StorageDescriptor": {"Location": location}}


@pytest.fixture
def old_catalog(dev: Deployed) -> Deployed:
    glue = boto3.client("glue", region_name=REGION)
    curated = dev.buckets["curated"]
    for name in ("songplays", "users"):
        glue.create_table(
            DatabaseName=dev.names.database,
            TableInput=_table(name, {"classification": "parquet"}, f"s3://{curated}/curated/{name}/"),
        )
    # Already moved: an Iceberg table of the same kind; and a raw crawler table.
    glue.create_table(
        DatabaseName=dev.names.database,
        TableInput=_table("songs", {"table_type": "ICEBERG"}, f"s3://{curated}/curated/songs"),
    )
    glue.create_table(
        DatabaseName=dev.names.database,
        TableInput=_table("song_data", {"classification": "json"}, f"s3://{dev.buckets['raw']}/song_data/"),
    )
    return dev


def tables(dev: Deployed) -> list[str]:
    glue = boto3.client("glue", region_name=REGION)
    return sorted(t["Name"] for t in glue.get_tables(DatabaseName=dev.names.database)["TableList"])


def test_without_yes_it_only_lists_what_it_would_drop(old_catalog: Deployed, cli: Any) -> None:
    result = cli.invoke(app, ["migrate-catalog", "--stack", "dev"])
    assert result.exit_code == 0, result.output
    curated = old_catalog.buckets["curated"]
    assert result.stdout.splitlines() == [
        f"would drop (run again with --yes): sparkify_dev.songplays  (parquet, s3://{curated}/curated/songplays/)",
        f"would drop (run again with --yes): sparkify_dev.users  (parquet, s3://{curated}/curated/users/)",
    ]
    assert tables(old_catalog) == ["song_data", "songplays", "songs", "users"]


def test_with_yes_it_drops_only_the_hive_curated_tables(old_catalog: Deployed, cli: Any) -> None:
    result = cli.invoke(app, ["migrate-catalog", "--stack", "dev", "--yes", "--json"])
    assert result.exit_code == 0, result.output
    assert_document("migrate-catalog", json.loads(result.stdout))
    assert [t["name"] for t in json.loads(result.stdout)["dropped"]] == ["songplays", "users"]
    assert tables(old_catalog) == ["song_data", "songs"]
    again = cli.invoke(app, ["migrate-catalog", "--stack", "dev", "--yes"])
    assert again.stdout.strip() == "sparkify_dev: no Hive table stands in the way of the Iceberg tables"

"""`sparkify quarantine --stack`: a run's quarantined records read from the deployed stack's curated
bucket, found by the stack's names like every other stack verb."""

from __future__ import annotations

import json

import boto3
import duckdb

from sparkify.cli.main import app
from sparkify.pipeline import Location
from tests.documents import assert_document
from tests.ops.fake_aws import REGION, Deployed

RECORD = ("events", "s3://raw/log_data/2018/11/2018-11-03-events.json", 7, '{"ts": 15431', "malformed JSON: cut short")


def test_quarantine_of_a_stack_run_lists_its_records(dev: Deployed, cli, tmp_path) -> None:
    parquet = tmp_path / "part-0.parquet"
    values = ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in RECORD)
    duckdb.sql(f"SELECT * FROM (VALUES ({values})) AS t(source, source_file, line, record, reason)").write_parquet(
        str(parquet)
    )
    s3 = boto3.client("s3", region_name=REGION)
    bucket, reports = dev.locations[Location.REPORTS].removeprefix("s3://").split("/", 1)
    quarantine = dev.locations[Location.QUARANTINE].removeprefix("s3://").split("/", 1)[1]
    s3.put_object(Bucket=bucket, Key=f"{reports.rstrip('/')}/runs/wr_1/stage.json", Body=json.dumps({"batch_id": 4}))
    s3.upload_file(str(parquet), bucket, f"{quarantine.rstrip('/')}/events/batch_id=4/part-0.parquet")

    result = cli.invoke(app, ["quarantine", "--stack", "dev", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert_document("quarantine", data)
    assert (data["run_id"], data["batch_id"]) == ("wr_1", 4)
    assert [(r["source_file"], r["line"], r["record"]) for r in data["records"]] == [(RECORD[1], RECORD[2], RECORD[3])]

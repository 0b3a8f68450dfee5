"""`sparkify upload`: a local raw folder lands in the raw bucket under the prefixes the stage job reads
(song_data/, log_data/), and files already there are skipped."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from sparkify.cli.main import app
from tests.documents import assert_document
from tests.helpers import event, song, write_log, write_song
from tests.ops.fake_aws import Deployed, all_keys


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    write_song(raw, "TRAAAAW128F429D538", song())
    write_song(raw, "TRAAABD128F429CF47", song(song_id="SOB", title="Second"))
    write_log(raw, "2018-11-01", [event(), event(ts=1541106106797)])
    (raw / "song_data" / ".DS_Store").write_text("finder junk")
    (raw / "README.txt").write_text("not under a source prefix")
    return raw


def test_upload_copies_the_raw_folder_under_the_source_prefixes(dev: Deployed, raw: Path, cli) -> None:
    result = cli.invoke(app, ["upload", "--raw", str(raw), "--stack", "dev"])

    assert result.exit_code == 0, result.output
    assert sorted(all_keys(dev.buckets["raw"])) == [
        "log_data/2018/11/2018-11-01-events.json",
        "song_data/A/A/A/TRAAAAW128F429D538.json",
        "song_data/A/A/A/TRAAABD128F429CF47.json",
    ]
    body = boto3.client("s3").get_object(Bucket=dev.buckets["raw"], Key="song_data/A/A/A/TRAAAAW128F429D538.json")
    assert body["Body"].read() == (raw / "song_data/A/A/A/TRAAAAW128F429D538.json").read_bytes()
    assert body["ContentType"] == "application/json"
    assert "uploaded 3 files" in result.stdout
    assert f"to s3://{dev.buckets['raw']}/; skipped 0 already there" in result.stdout


def test_a_second_upload_skips_what_is_already_there(dev: Deployed, raw: Path, cli) -> None:
    cli.invoke(app, ["upload", "--raw", str(raw), "--stack", "dev"])
    write_log(raw, "2018-11-02", [event(ts=1541190000000)])  # a new day of events

    result = cli.invoke(app, ["upload", "--raw", str(raw), "--stack", "dev", "--json"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert_document("upload", summary)
    assert summary["uploaded"] == 1
    assert summary["skipped"] == 3
    assert summary["target"] == f"s3://{dev.buckets['raw']}/"
    assert "log_data/2018/11/2018-11-02-events.json" in set(all_keys(dev.buckets["raw"]))


def test_a_file_whose_size_changed_is_uploaded_again(dev: Deployed, raw: Path, cli) -> None:
    cli.invoke(app, ["upload", "--raw", str(raw), "--stack", "dev"])
    write_song(raw, "TRAAAAW128F429D538", song(title="A longer title than before"))

    summary = json.loads(cli.invoke(app, ["upload", "--raw", str(raw), "--stack", "dev", "--json"]).stdout)

    assert (summary["uploaded"], summary["skipped"]) == (1, 2)


def test_dry_run_uploads_nothing(dev: Deployed, raw: Path, cli) -> None:
    result = cli.invoke(app, ["upload", "--raw", str(raw), "--stack", "dev", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "would upload 3 files" in result.stdout
    assert list(all_keys(dev.buckets["raw"])) == []


def test_a_folder_without_raw_sources_is_one_line(dev: Deployed, tmp_path: Path, cli) -> None:
    result = cli.invoke(app, ["upload", "--raw", str(tmp_path), "--stack", "dev"])

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"{tmp_path} has neither song_data/ nor log_data/" in result.stderr


def test_a_raw_bucket_that_does_not_exist(aws: str, raw: Path, cli) -> None:
    from tests.ops.fake_aws import deploy

    deploy("dev", with_buckets=False)

    result = cli.invoke(app, ["upload", "--raw", str(raw), "--stack", "dev"])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: the raw bucket sparkify-dev-raw-123456789012-us-east-1 does not exist")
    assert "pulumi up --stack dev" in result.stderr


def test_upload_shows_a_progress_bar_on_stderr(dev: Deployed, raw: Path, cli) -> None:
    result = cli.invoke(app, ["upload", "--raw", str(raw), "--stack", "dev"])

    assert result.exit_code == 0, result.output
    bar = result.stderr.strip()
    assert bar.startswith("upload ━")
    assert "3/3 files" in bar

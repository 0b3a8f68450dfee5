"""Rejections can be seen: `sparkify quarantine`, the run summary's top reasons and raw-file classes;
and an unusable `--lake` is one line and exit code 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import duckdb
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from sparkify.cli import quarantine
from sparkify.cli.main import _print_raw, app
from sparkify.pipeline import Location
from tests.documents import assert_document

runner = CliRunner()
EVENTS_FILE = "file:/raw/log_data/2018/11/2018-11-03-events.json"
RECORDS = [
    ("events", EVENTS_FILE, 1, '{"ts": 15431', "malformed JSON: incomplete or invalid syntax (cut short?)"),
    ("events", EVENTS_FILE, 4, '{"ts": 1541107000, "page": "Home"}',
     "ts out of range (epoch ms, 2000–2100): 1541107000"),
    ("events", EVENTS_FILE, 5, '{"ts": 1541107000001, "page": "Home"}[x]',
     "trailing characters after the first JSON value (records run together, or a stray tail)"),
    ("events", EVENTS_FILE, 6, '{"ts": 1541107000, "page": "Home", "userId": "1"}',
     "ts out of range (epoch ms, 2000–2100): 1541107000"),
]  # fmt: skip


def write_parquet(folder: Path, rows: list[tuple]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    duckdb.sql(
        "SELECT * FROM (VALUES "
        + ", ".join(
            "(" + ", ".join("'" + str(v).replace("'", "''") + "'" if isinstance(v, str) else str(v) for v in r) + ")"
            for r in rows
        )
        + ") AS t(source, source_file, line, record, reason)"
    ).write_parquet(str(folder / "part-0.parquet"))


@pytest.fixture()
def lake(tmp_path):
    lake = tmp_path / "lake"
    (lake / "reports" / "runs" / "local-1").mkdir(parents=True)
    (lake / "reports" / "runs" / "local-2").mkdir(parents=True)
    (lake / "reports" / "runs" / "local-1" / "stage.json").write_text(json.dumps({"batch_id": 3}))
    (lake / "reports" / "runs" / "local-2" / "stage.json").write_text(json.dumps({"batch_id": None}))
    (lake / "reports" / "latest.json").write_text(json.dumps({"run_id": "local-1"}))
    write_parquet(lake / "quarantine" / "events" / "batch_id=3", RECORDS)
    write_parquet(lake / "quarantine" / "events" / "batch_id=2", [("events", "file:/old.json", 1, "x", "older batch")])
    return lake


def test_quarantine_lists_reasons_with_counts_and_every_record_of_the_run(lake):
    result = runner.invoke(app, ["quarantine", "--lake", str(lake), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert_document("quarantine", data)
    assert data["run_id"] == "local-1" and data["batch_id"] == 3
    assert data["reasons"] == [
        {"source": "events", "reason": "ts out of range (epoch ms, 2000–2100)", "count": 2},
        {"source": "events", "reason": "malformed JSON: incomplete or invalid syntax (cut short?)", "count": 1},
        {
            "source": "events",
            "reason": "trailing characters after the first JSON value (records run together, or a stray tail)",
            "count": 1,
        },
    ]
    assert [(r["line"], r["record"]) for r in data["records"]] == [(r[2], r[3]) for r in RECORDS]
    assert {r["source_file"] for r in data["records"]} == {EVENTS_FILE}


def test_quarantine_tables_show_the_raw_text_and_a_run_without_rejections_says_so(lake):
    result = runner.invoke(app, ["quarantine", "--lake", str(lake)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Run local-1: 4 records quarantined (batch 3)" in result.output
    # Brackets are text, not markup (the table may wrap the long record, so look for the short tail).
    assert '"Home"}[x]' in result.output.replace("\n", "").replace("│", "").replace(" ", "")
    quiet = runner.invoke(app, ["quarantine", "--lake", str(lake), "--run", "local-2"])
    assert quiet.exit_code == 0 and "Run local-2: 0 records quarantined" in quiet.output


def test_an_unknown_run_is_one_line_and_exit_code_2(lake):
    result = runner.invoke(app, ["quarantine", "--lake", str(lake), "--run", "local-9"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: run local-9 has no stage metrics at {lake}/reports/runs/local-9/stage.json (is the run id right? "
        "`sparkify status` lists runs)"
    ]


@mock_aws
def test_the_same_listing_from_a_stack_bucket(lake, tmp_path):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="curated")
    for path in lake.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), "curated", path.relative_to(lake).as_posix())
    store = quarantine.S3Lake(
        s3, {Location.REPORTS: ("curated", "reports"), Location.QUARANTINE: ("curated", "quarantine")}
    )
    result = quarantine.load(store, "local-1")
    assert (result.batch_id, [r["line"] for r in result.records]) == (3, [1, 4, 5, 6])
    assert store.latest_run() in ("local-1", "local-2")


def test_the_run_summary_shows_files_per_class_and_top_reasons(monkeypatch):
    from rich.console import Console

    from sparkify.cli import main as cli

    wide = Console(width=250, highlight=False)
    monkeypatch.setattr(cli, "console", wide)
    report = {"sources": {"events": {
        "read": 501, "staged": 500, "quarantined": 1, "files_seen": 4,
        "file_classes": {"new": 1, "changed": 1, "unchanged": 0, "deleted": 1, "unsupported": 1},
        "top_reasons": [{"reason": "malformed JSON: incomplete or invalid syntax (cut short?)", "count": 1,
                         "example": "file:/raw/log_data/a.json line 7"}],
        "unsupported_files": [{"path": "file:/raw/log_data/notes.csv", "reason": "not a readable name (.csv): only …"}],
        "deleted_files": ["file:/raw/log_data/b.json"],
    }}}  # fmt: skip
    with wide.capture() as captured:
        _print_raw(report)
    text = captured.get()
    assert "│ events │    4 │   1 │       1 │         0 │       1 │           1 │" in text
    assert "│ events │  501 │    500 │           1 │" in text
    assert "malformed JSON: incomplete or invalid syntax (cut short?)" in text and "a.json line 7" in text
    assert "skipped events file file:/raw/log_data/notes.csv: not a readable name (.csv): only …" in text
    assert "deleted events file file:/raw/log_data/b.json: its staged rows were removed" in text


def one_line_error(args: list[str]) -> tuple[int, list[str]]:
    result = runner.invoke(app, args)
    return result.exit_code, result.output.strip().splitlines()


def test_a_lake_that_is_a_file_is_one_line_and_exit_code_2(tmp_path):
    raw = tmp_path / "raw"
    (raw / "song_data").mkdir(parents=True)
    (raw / "log_data").mkdir()
    lake = tmp_path / "lake.txt"
    lake.write_text("")
    assert one_line_error(["run", "--raw", str(raw), "--lake", str(lake)]) == (
        2,
        [f"error: --lake {lake} is a file, not a folder: give a folder (it is created when missing)"],
    )
    under_a_file = lake / "lake"
    assert one_line_error(["run", "--raw", str(raw), "--lake", str(under_a_file)]) == (
        2,
        [f"error: --lake {under_a_file} is not a writable folder (Not a directory): give a folder you can write to"],
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders: run as a user to check this")
def test_a_read_only_lake_is_one_line_and_exit_code_2(tmp_path):
    raw = tmp_path / "raw"
    (raw / "song_data").mkdir(parents=True)
    (raw / "log_data").mkdir()
    lake = tmp_path / "lake"
    lake.mkdir()
    lake.chmod(0o500)
    try:
        assert one_line_error(["run", "--raw", str(raw), "--lake", str(lake)]) == (
            2,
            [f"error: --lake {lake} is not a writable folder (Permission denied): give a folder you can write to"],
        )
    finally:
        lake.chmod(0o700)

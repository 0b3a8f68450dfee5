"""`sparkify run` end to end on generated data: exit codes, the run report, the lake it leaves."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sparkify.cli.main import app
from sparkify.local.runner import lake_table
from sparkify.synthetic.generate import generate
from tests.helpers import song, write_song

runner = CliRunner()


@pytest.fixture(scope="module")
def generated_raw(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    summary = generate(raw, songs=40, events=800, seed=7)
    return raw, summary


def test_run_succeeds_and_reports_every_step_table_source_and_suite(spark, generated_raw, tmp_path):
    raw, summary = generated_raw
    lake, report_file = tmp_path / "lake", tmp_path / "out" / "report.json"
    result = runner.invoke(app, ["run", "--raw", str(raw), "--lake", str(lake), "--report", str(report_file)])
    assert result.exit_code == 0, result.output
    report = json.loads(report_file.read_text())
    assert report["status"] == "succeeded"
    assert [(s["name"], s["status"]) for s in report["steps"]] == [
        ("stage", "succeeded"),
        ("model", "succeeded"),
        ("validate", "succeeded"),
    ]
    assert all(isinstance(s["seconds"], float) for s in report["steps"])
    # Rows in = rows staged + rows quarantined, per source, against what the generator wrote.
    songs, events = report["sources"]["songs"], report["sources"]["events"]
    assert (songs["files"], songs["read"], songs["staged"], songs["quarantined"]) == (summary.song_files,) * 3 + (0,)
    assert (events["files"], events["read"], events["staged"], events["quarantined"]) == (
        summary.log_files,
        summary.events,
        summary.events,
        0,
    )
    assert report["tables"]["songplays"]["rows"] == summary.next_song_events
    assert report["tables"]["artists"]["rows"] == summary.artists
    assert report["tables"]["songs"]["rows"] == summary.song_files
    for table, info in report["tables"].items():
        assert lake_table(spark, lake, table).count() == info["rows"], table
    assert all(s["success"] for s in report["suites"].values())
    # The songplays fact is partitioned by year and month, nothing else.
    data = lake / "curated" / "songplays" / "data"  # Iceberg's data folder of the table
    partitions = sorted(p.relative_to(data).as_posix() for p in data.glob("*/*") if p.is_dir())
    assert partitions and all(p.startswith("year=") and "/month=" in p for p in partitions)
    assert (lake / "data_docs" / "index.html").is_file()
    assert str(lake / "data_docs") in result.output.replace("\n", "")
    assert json.loads((lake / "reports" / "latest.json").read_text())["run_id"] == report["run_id"]


def test_run_fails_with_exit_1_when_a_suite_fails(spark, generated_raw, tmp_path):
    raw, _ = generated_raw
    bad_raw = tmp_path / "raw"
    import shutil

    shutil.copytree(raw, bad_raw)
    # A song with a negative duration is well-formed JSON of the right types: staging keeps it,
    # and the songs suite must reject it.
    write_song(
        bad_raw, "TRZZZZZ128F4287B47", song(song_id="SOZZZZZZZZZZZZZZZ1", artist_id="ARZZZZZZZZZZZZZZZ1", duration=-5.0)
    )
    lake = tmp_path / "lake"
    result = runner.invoke(app, ["run", "--raw", str(bad_raw), "--lake", str(lake)])
    assert result.exit_code == 1, result.output
    report = json.loads((lake / "reports" / "latest.json").read_text())
    assert report["status"] == "failed"
    assert [(s["name"], s["status"]) for s in report["steps"]] == [
        ("stage", "succeeded"),
        ("model", "succeeded"),
        ("validate", "failed"),
    ]
    assert report["suites"]["songs"]["success"] is False
    assert report["suites"]["songplays"]["success"] is True
    assert (lake / "data_docs" / "index.html").is_file()
    assert (lake / "data_docs" / "runs" / report["run_id"] / "index.html").is_file(), (
        "Data Docs are built for a failing run too"
    )


def test_run_refuses_a_raw_folder_without_the_sources(tmp_path):
    (tmp_path / "song_data").mkdir()
    result = runner.invoke(app, ["run", "--raw", str(tmp_path), "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 2
    assert "log_data does not exist" in result.output


def test_a_lake_whose_path_holds_a_space_and_non_ascii_keeps_its_tables_inside_it(spark, generated_raw, tmp_path):
    # Iceberg's Hadoop catalog takes its warehouse as a URI and quotes it again: given `…/lake%20sp%20%C3%BC`
    # it wrote every table to a sibling folder of that name.
    raw, summary = generated_raw
    lake = tmp_path / "lake sp ü"
    for _ in range(2):  # a first run, then one with nothing new
        result = runner.invoke(app, ["run", "--raw", str(raw), "--lake", str(lake)])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake sp ü"]
    assert (lake / "curated" / "songplays" / "metadata").is_dir() and (
        lake / "staging" / "events" / "metadata"
    ).is_dir()
    assert lake_table(spark, lake, "songplays").count() == summary.next_song_events
    answer = runner.invoke(app, ["query", "plays_by_level", "--lake", str(lake), "--json"])
    assert answer.exit_code == 0, answer.output
    assert sum(row[1] for row in json.loads(answer.stdout)["rows"]) == summary.next_song_events

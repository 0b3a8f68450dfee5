"""`--json` on every verb: one document on stdout with its `schema_version`, valid against its published
schema (docs/schemas/), and errors as the error document with the exit codes of the text mode; the run's
text output (failed expectations, Data Docs, nothing new) from hand-written reports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from sparkify.cli import main as cli
from sparkify.cli.console import console
from sparkify.cli.main import app
from sparkify.documents import VERSIONS, schema_file
from sparkify.local.runner import lake_lock
from sparkify.report import StepResult, build_report, failed_expectation_lines
from sparkify.synthetic.generate import GenerateSummary
from tests.documents import assert_document

runner = CliRunner()


def test_every_document_has_a_valid_schema_naming_its_version() -> None:
    assert sorted(p.name for p in schema_file("error").parent.glob("*.schema.json")) == sorted(
        f"{d}.schema.json" for d in VERSIONS
    )
    for document in VERSIONS:
        schema = json.loads(schema_file(document).read_text())
        Draft202012Validator.check_schema(schema)
        assert schema["properties"]["schema_version"] == {
            "const": f"sparkify.{document}/1",
            "description": "document name and major version",
        }, document
        assert "schema_version" in schema["required"], document


def _json(args: list[str]) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, args)
    return result.exit_code, json.loads(result.stdout)


def test_an_unknown_step_is_exit_code_2_naming_the_steps() -> None:
    result = runner.invoke(app, ["run", "--step", "publish", "--lake", "/nonexistent/never-made"])
    assert result.exit_code == 2
    assert result.stderr == "error: --step publish: no such step; the steps are stage, model, validate\n"
    assert _json(["run", "--step", "publish", "--step", "model", "--json"]) == (
        2,
        {
            "schema_version": "sparkify.error/1",
            "error": {"message": "--step publish: no such step; the steps are stage, model, validate", "exit_code": 2},
        },
    )


def test_errors_under_json_are_the_error_document_with_the_same_exit_codes(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    code, document = _json(["generate", "--out", str(a_file), "--json"])
    assert (code, document["error"]["exit_code"]) == (2, 2)
    assert document["error"]["message"] == (
        f"--out {a_file} is a file, not a folder: give a folder (it is created when missing)"
    )
    assert_document("error", document)
    # Click's own usage errors too.
    assert _json(["run", "--no-such-option", "--json"]) == (
        2,
        {
            "schema_version": "sparkify.error/1",
            "error": {"message": "No such option: --no-such-option", "exit_code": 2},
        },
    )


def test_a_lake_held_by_another_run_is_exit_code_3_under_json_too(tmp_path: Path) -> None:
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    for prefix in ("song_data", "log_data"):
        (raw / prefix).mkdir(parents=True)
    with lake_lock(lake):
        result = runner.invoke(app, ["run", "--raw", str(raw), "--lake", str(lake), "--json"])
    assert result.exit_code == 3
    document = json.loads(result.stdout)  # the whole of stdout is the document
    assert document["error"]["exit_code"] == 3
    assert document["error"]["message"].startswith(f"{lake} is in use by a run that is still going (pid ")
    assert_document("error", document)


def test_generate_json_counts_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    code, document = _json(["generate", "--out", str(out), "--songs", "3", "--events", "20", "--seed", "7", "--json"])
    assert code == 0
    assert_document("generate", document)
    assert (document["schema_version"], document["out"], document["seed"]) == ("sparkify.generate/1", str(out), 7)
    assert (document["song_files"], document["events"]) == (3, 20)
    assert len(list((out / "song_data").rglob("*.json"))) == 3


def test_generate_prints_a_summary_not_an_object() -> None:
    summary = GenerateSummary(
        out=Path("sample_raw"), song_files=200, artists=180, log_files=30, events=5000, next_song_events=4021,
        matched_events=1190, users=96, level_changed_users=12,
    )  # fmt: skip
    assert cli.generate_lines(summary, 42) == [
        "Wrote a sample into sample_raw (seed 42)",
        "  song_data/  200 song files, 180 artists",
        "  log_data/   30 log files, 5,000 events, 4,021 of them NextSong (1,190 matching a generated song)",
        "  users       96, 12 of them changing level",
    ]


def test_query_list_json_is_a_versioned_document() -> None:
    code, document = _json(["query", "--json"])
    assert code == 0
    assert_document("query-list", document)


# ---------------------------------------------------------------------------------------------------------
# The run report and what a run prints, from hand-written step results.

STAGED_NOTHING = {"sources": {
    "songs": {"read": 0, "staged": 0, "quarantined": 0, "files_seen": 2,
              "file_classes": {"new": 0, "changed": 0, "unchanged": 2, "deleted": 0, "unsupported": 0}},
    "events": {"read": 0, "staged": 0, "quarantined": 0, "files_seen": 1,
               "file_classes": {"new": 0, "changed": 0, "unchanged": 1, "deleted": 0, "unsupported": 0}},
}}  # fmt: skip
SONGS_FAILED = {
    "suites": {"songs": {"success": False, "evaluated": 11, "failed": 2, "failed_expectations": [
        {"type": "expect_column_values_to_be_between", "column": "duration",
         "details": "1 of 2 rows unexpected (e.g. -5.0); rows: song_id=SOCCCCCCCCCCCCCCC3",
         "rows": [{"song_id": "SOCCCCCCCCCCCCCCC3", "duration": -5.0}]},
        {"type": "expect_table_row_count_to_be_between", "column": None, "details": "observed 2"},
    ]}},
    "data_docs_index": "/lake/data_docs/index.html",
}  # fmt: skip


def test_a_run_that_staged_nothing_new_says_so_in_its_report() -> None:
    steps = [
        StepResult("stage", "job", "succeeded", 3.0, None, STAGED_NOTHING),
        StepResult("model", "job", "skipped", error="not selected (--step)"),
        StepResult("validate", "job", "skipped", error="not selected (--step)"),
    ]
    report = build_report("local-1", "2026-12-03T10:00:00+00:00", 3.5, steps, ["stage"])
    assert_document("run-report", report)
    assert (report["schema_version"], report["status"]) == ("sparkify.run-report/1", "succeeded")
    assert (report["nothing_new"], report["selected_steps"]) == (True, ["stage"])
    staged_one = {"sources": {"songs": {**STAGED_NOTHING["sources"]["songs"], "file_classes": {"new": 1}}}}
    assert (
        build_report("local-2", "", 1.0, [StepResult("stage", "job", "succeeded", 1.0, None, staged_one)])[
            "nothing_new"
        ]
        is False
    )
    assert build_report("local-3", "", 1.0, [StepResult("validate", "job", "succeeded")])["nothing_new"] is None
    with console.capture() as captured:
        cli._print_summary(report, Path("/lake"), None)
    lines = captured.get().splitlines()
    assert "Curated tables" not in lines  # the model did not run: no empty table
    assert lines[-3:] == [
        "Nothing new to stage: every raw file was staged by an earlier run.",
        "Run report: /lake/reports/latest.json",
        "Run local-1 succeeded in 3.5 s",
    ]


def test_each_failed_expectation_is_one_readable_line() -> None:
    assert failed_expectation_lines(SONGS_FAILED) == [
        "songs: expect_column_values_to_be_between(duration): 1 of 2 rows unexpected (e.g. -5.0); rows: "
        "song_id=SOCCCCCCCCCCCCCCC3",
        "songs: expect_table_row_count_to_be_between: observed 2",
    ]


def test_a_failed_run_prints_each_expectation_once_and_data_docs_once_unwrapped() -> None:
    steps = [
        StepResult("stage", "job", "succeeded", 3.0, None, STAGED_NOTHING),
        StepResult("model", "job", "succeeded", 2.0, None, {"rows": {"songs": 2}}),
        StepResult(
            "validate", "job", "failed", 4.0, "data quality failed: songs (2 of 11 expectations: …)", SONGS_FAILED
        ),
    ]
    report = build_report("local-9", "2026-12-03T10:00:00+00:00", 9.0, steps)
    assert_document("run-report", report)
    with console.capture() as captured:
        cli._print_summary(report, Path("/lake"), None)
    lines = captured.get().splitlines()
    assert [line for line in lines if "✗" in line or "Data Docs" in line] == [
        "✗ songs: expect_column_values_to_be_between(duration): 1 of 2 rows unexpected (e.g. -5.0); rows: "
        "song_id=SOCCCCCCCCCCCCCCC3",
        "✗ songs: expect_table_row_count_to_be_between: observed 2",
        "Data Docs: /lake/data_docs/index.html",
    ]
    assert "Nothing new to stage: every raw file was staged by an earlier run." in lines
    assert lines[-1] == "Run local-9 failed in 9.0 s"


def test_a_step_line_keeps_brackets_of_its_error() -> None:
    with console.capture() as captured:
        console.print(cli.step_line("[3/3] job validate", "failed", 4.04, "KeyError: [songs] missing"))
    assert captured.get() == "✗ [3/3] job validate       failed        4.0 s  KeyError: [songs] missing\n"


@pytest.mark.spark  # starts a JVM of its own, in a child process
def test_a_local_spark_session_prints_no_jvm_chatter() -> None:
    """What a run's JVM says at start ("Setting default log level", NativeCodeLoader's warning) stays unsaid."""
    import subprocess
    import sys

    code = (
        "from sparkify.local.session import local_session; "
        "local_session('quiet', master='local[1]').stop(); print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")


# ---------------------------------------------------------------------------------------------------------
# The real thing, in its own processes with stdout a pipe: a failing run, then one step at a time.


@pytest.mark.slow
def test_a_real_run_in_a_pipe_then_single_steps(tmp_path: Path) -> None:
    """Day one holds a song with a negative duration: the songs suite fails (1 of its 11 expectations).
    Printed: the failed expectation on one line, Data Docs once, no JVM chatter. Then `--step stage`
    finds nothing new, and `--step validate` alone judges the audit branch again and still publishes
    nothing."""
    import subprocess
    import sys

    from tests.helpers import event, song, write_log, write_song

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write_song(
        raw,
        "TRAAAAA128F4287B01",
        song(
            song_id="SOAAAAAAAAAAAAAAA1",
            title="Alpha",
            artist_id="ARAAAAAAAAAAAAAAA1",
            artist_name="Ann",
            duration=200.0,
        ),
    )
    write_song(
        raw,
        "TRCCCCC128F4287B03",
        song(
            song_id="SOCCCCCCCCCCCCCCC3",
            title="Gamma",
            artist_id="ARCCCCCCCCCCCCCCC3",
            artist_name="Cat",
            duration=-5.0,
        ),
    )
    write_log(raw, "2018-11-01", [event(song="Alpha", artist="Ann", length=200.0, ts=1541106106796, itemInSession=1)])
    sparkify = str(Path(sys.executable).with_name("sparkify"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sparkify, "run", "--raw", str(raw), "--lake", str(lake), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=900)

    failed = run()
    assert failed.returncode == 1, failed.stderr
    lines = failed.stdout.splitlines()
    assert [re.sub(r" +\d+\.\d s ", " N s ", line) for line in lines if line.startswith("✗")] == [
        "✗ [3/3] job validate       failed N s  data quality failed: songs (1 of 11 expectations: "
        "expect_column_values_to_be_between(duration))",
        "✗ songs: expect_column_values_to_be_between(duration): 1 of 2 rows unexpected (e.g. -5.0); rows: "
        f"song_id=SOCCCCCCCCCCCCCCC3 (file:{raw.resolve()}/song_data/C/C/C/TRCCCCC128F4287B03.json line 1)",
    ]
    assert [line for line in lines if "Data Docs" in line] == [f"Data Docs: {lake}/data_docs/index.html"]
    assert "Setting default log level" not in failed.stderr and "NativeCodeLoader" not in failed.stderr

    staged = run("--step", "stage", "--json")
    assert staged.returncode == 0, staged.stderr
    report = json.loads(staged.stdout)  # stdout holds the document and nothing else
    assert_document("run-report", report)
    assert [(s["name"], s["status"]) for s in report["steps"]] == [
        ("stage", "succeeded"),
        ("model", "skipped"),
        ("validate", "skipped"),
    ]
    assert (report["selected_steps"], report["nothing_new"], report["status"]) == (["stage"], True, "succeeded")
    assert json.loads((lake / "reports" / "latest.json").read_text())["schema_version"] == "sparkify.run-report/1"

    validated = run("--step", "validate", "--json")
    assert validated.returncode == 1, validated.stderr
    report = json.loads(validated.stdout)
    assert_document("run-report", report)
    assert [(s["name"], s["status"]) for s in report["steps"]] == [
        ("stage", "skipped"),
        ("model", "skipped"),
        ("validate", "failed"),
    ]
    assert report["steps"][2]["error"] == (
        "data quality failed: songs (1 of 11 expectations: expect_column_values_to_be_between(duration))"
    )
    assert report["nothing_new"] is None

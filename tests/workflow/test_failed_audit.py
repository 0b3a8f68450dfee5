"""After a failed audit: what waits on `audit` (`sparkify diff`), each failing row's raw file and line, the
run page and the one next-step line, on a lake written by two real runs from raw lines written by hand.
Every count below is counted from these lines, not read back from the tables.

Run 1 publishes three songs (Alpha, Beta, Gamma, one artist each) and two plays of Alpha. Run 2 (dated
2018-11-02) adds the song Delta with a negative duration, retitles Beta in place, deletes Gamma's file,
and brings a log file whose second line is a play dated 2018-11-05, after the run's date and a day:

- songs:     1 added (Delta), 1 changed (Beta's title), 1 removed (Gamma)
- artists:   1 added (Delta's), 0 changed, 1 removed (Gamma's)
- songplays: 2 added (the two plays of 2018-11-0x), time: 2 added; users and users_history unchanged
  (the same user at the same level)
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sparkify.cli.main import app
from sparkify.local.runner import run_pipeline
from tests.documents import assert_document
from tests.helpers import event, song, write_log, write_song

runner = CliRunner()

ALPHA = song(
    song_id="SOAAAAAAAAAAAAAAA1", title="Alpha", artist_id="ARAAAAAAAAAAAAAAA1", artist_name="Ann", duration=200.0
)
BETA = song(
    song_id="SOBBBBBBBBBBBBBBB2", title="Beta", artist_id="ARBBBBBBBBBBBBBBB2", artist_name="Bob", duration=180.5
)
GAMMA = song(
    song_id="SOCCCCCCCCCCCCCCC3", title="Gamma", artist_id="ARCCCCCCCCCCCCCCC3", artist_name="Cat", duration=90.0
)
DELTA = song(
    song_id="SODDDDDDDDDDDDDDD4", title="Delta", artist_id="ARDDDDDDDDDDDDDDD4", artist_name="Dan", duration=-5.0
)
KAYLEE = {"userId": "8", "firstName": "Kaylee", "lastName": "Summers", "level": "free", "sessionId": 139}
DELTA_FILE = "song_data/D/D/D/TRDDDDD128F4287B04.json"
DAY_TWO = "log_data/2018/11/2018-11-02-events.json"


@pytest.fixture(scope="module")
def failed(spark, tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("failed-audit")
    raw, lake = base / "raw", base / "lake"
    write_song(raw, "TRAAAAA128F4287B01", ALPHA)
    write_song(raw, "TRBBBBB128F4287B02", BETA)
    gamma = write_song(raw, "TRCCCCC128F4287B03", GAMMA)
    write_log(
        raw,
        "2018-11-01",
        [
            event(**KAYLEE, song="Alpha", artist="Ann", length=200.0, ts=1541106106796, itemInSession=1),
            event(**KAYLEE, song="Alpha", artist="Ann", length=200.0, ts=1541106406796, itemInSession=2),
        ],
    )
    first = run_pipeline(raw, lake)
    assert first["status"] == "succeeded", first

    write_song(raw, "TRDDDDD128F4287B04", DELTA)
    write_song(raw, "TRBBBBB128F4287B02", {**BETA, "title": "Beta (Live)"})
    gamma.unlink()
    write_log(
        raw,
        "2018-11-02",
        [
            event(**KAYLEE, song="Alpha", artist="Ann", length=200.0, ts=1541152800000, itemInSession=3),  # 11-02 10:00
            event(**KAYLEE, song="Alpha", artist="Ann", length=200.0, ts=1541412000000, itemInSession=4),  # 11-05 10:00
        ],
    )
    result = runner.invoke(app, ["run", "--raw", str(raw), "--lake", str(lake), "--run-date", "2018-11-02"])
    report = json.loads((lake / "reports" / "latest.json").read_text())
    return {"lake": lake, "raw": raw, "exit_code": result.exit_code, "stdout": result.stdout, "report": report}


def test_the_run_fails_and_ends_in_one_line_naming_the_suites_and_the_command(failed) -> None:
    lake = failed["lake"]
    assert failed["exit_code"] == 1
    assert failed["report"]["status"] == "failed"
    lines = [line for line in failed["stdout"].splitlines() if line.startswith("Nothing was published")]
    assert lines == [
        "Nothing was published: the songplays, songs, time suites failed; see the rejected rows with "
        f"`sparkify diff --lake {lake} --table songplays --table songs --table time`"
    ]


# What the failed run left waiting on each table's `audit`: (added, changed, removed) rows against `main`,
# counted by hand from the day-two files (users' branches moved with a merge that changed no row).
WAITING = {
    "songplays": (2, 0, 0),
    "users": (0, 0, 0),
    "users_history": (0, 0, 0),
    "songs": (1, 1, 1),
    "artists": (1, 0, 1),
    "time": (2, 0, 0),
}


def test_diff_counts_what_waits_on_audit_per_table(failed) -> None:
    result = runner.invoke(app, ["diff", "--lake", str(failed["lake"]), "--json"])

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert_document("diff", document)
    counts = {name: (d["added"], d["changed"], d["removed"]) for name, d in document["tables"].items()}
    assert counts == WAITING
    assert document["total"] == {"added": 6, "changed": 1, "removed": 2}
    examples = document["tables"]["songs"]["examples"]
    # The added song is the row the songs suite rejected: it names its raw file and line.
    assert examples[0].pop("source_file").endswith(DELTA_FILE)
    assert examples[0].pop("line") == 1
    assert examples == [
        {
            "change": "added",
            "key": {"song_id": "SODDDDDDDDDDDDDDD4"},
            "row": {
                "song_id": "SODDDDDDDDDDDDDDD4",
                "title": "Delta",
                "artist_id": "ARDDDDDDDDDDDDDDD4",
                "year": None,
                "duration": -5.0,
            },
        },
        {
            "change": "changed",
            "key": {"song_id": "SOBBBBBBBBBBBBBBB2"},
            "columns": {"title": {"main": "Beta", "audit": "Beta (Live)"}},
        },
        {
            "change": "removed",
            "key": {"song_id": "SOCCCCCCCCCCCCCCC3"},
            "row": {
                "song_id": "SOCCCCCCCCCCCCCCC3",
                "title": "Gamma",
                "artist_id": "ARCCCCCCCCCCCCCCC3",
                "year": None,
                "duration": 90.0,
            },
        },
    ]


def test_diff_for_a_person_names_the_rejected_song_and_one_table_when_asked(failed) -> None:
    result = runner.invoke(app, ["diff", "--lake", str(failed["lake"]), "--table", "songs"])

    assert result.exit_code == 0, result.output
    assert (
        "songs added: song_id=SODDDDDDDDDDDDDDD4: title 'Delta', artist_id 'ARDDDDDDDDDDDDDDD4', year None, "
        "duration -5.0" in result.stdout
    )
    assert "songs changed: song_id=SOBBBBBBBBBBBBBBB2: title 'Beta' → 'Beta (Live)'" in result.stdout
    assert "artists" not in result.stdout
    rejected = [line for line in result.stdout.splitlines() if line.startswith("rejected songs")]
    assert len(rejected) == 1
    assert rejected[0].startswith("rejected songs by expect_column_values_to_be_between(duration): ")
    assert rejected[0].endswith(f"{DELTA_FILE} line 1")


def test_the_run_report_carries_the_diff_and_each_failing_row_its_raw_file_and_line(failed) -> None:
    report = failed["report"]
    # Every table the run left on `audit`.
    assert {name: (d["added"], d["changed"], d["removed"]) for name, d in report["diff"].items()} == WAITING
    duration = next(f for f in report["suites"]["songs"]["failed_expectations"] if f["column"] == "duration")
    assert [(r["song_id"], r["source_file"].endswith(DELTA_FILE), r["line"]) for r in duration["rows"]] == [
        ("SODDDDDDDDDDDDDDD4", True, 1)
    ]
    assert duration["details"].endswith(f"{DELTA_FILE} line 1)")
    late = [f for f in report["suites"]["songplays"]["failed_expectations"] if f.get("rows")]
    assert [(r["source_file"].endswith(DAY_TWO), r["line"]) for f in late for r in f["rows"]] == [(True, 2)]
    assert f"{DELTA_FILE} line 1)" in failed["stdout"], "the command line shows the failing row's file and line"


def test_the_run_page_says_nothing_was_published_first_then_the_rule_then_what_waits(failed) -> None:
    page = (failed["lake"] / "data_docs" / "runs" / failed["report"]["run_id"] / "run.html").read_text()
    verdict = page.index("Nothing was published")
    rule = page.index("expect_column_values_to_be_between (duration)")
    waits = page.index("What waits on audit")
    assert verdict < rule < waits
    assert f"{DELTA_FILE}</td><td>1</td>" in page
    assert "<td>songs</td><td>1</td><td>1</td><td>1</td>" in page

"""`sparkify backfill`: the raw files of some days read again through the ledger, staged rows replaced and
never counted twice, then judged and published like any run. Raw lines written by hand: day one holds two
plays and a Home event, day two one play."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparkify.cli.main import app
from sparkify.local.runner import lake_table, run_pipeline
from sparkify.pipeline import Location
from tests.documents import assert_document
from tests.helpers import event, song, write_log, write_song

runner = CliRunner()
ALPHA = song(
    song_id="SOAAAAAAAAAAAAAAA1", title="Alpha", artist_id="ARAAAAAAAAAAAAAAA1", artist_name="Ann", duration=200.0
)
KAYLEE = {"userId": "8", "firstName": "Kaylee", "lastName": "Summers", "level": "free", "sessionId": 139}
PLAY = {"song": "Alpha", "artist": "Ann", "length": 200.0}


def _counts(spark, lake: Path) -> tuple[int, int, int]:
    """Staged events, staged songs, published songplays."""
    return (
        lake_table(spark, lake, "events", layer=Location.STAGING).count(),
        lake_table(spark, lake, "songs", layer=Location.STAGING).count(),
        lake_table(spark, lake, "songplays").count(),
    )


def test_a_backfill_reads_its_days_again_and_counts_nothing_twice(spark, tmp_path: Path) -> None:
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write_song(raw, "TRAAAAA128F4287B01", ALPHA)
    day_one = write_log(
        raw,
        "2018-11-01",
        [
            event(**KAYLEE, **PLAY, ts=1541106106796, itemInSession=1),
            event(**KAYLEE, page="Home", song=None, artist=None, length=None, ts=1541106200000, itemInSession=2),
            event(**KAYLEE, **PLAY, ts=1541106406796, itemInSession=3),
        ],
    )
    write_log(raw, "2018-11-02", [event(**KAYLEE, **PLAY, ts=1541152800000, itemInSession=4)])
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    assert _counts(spark, lake) == (4, 1, 3)

    result = runner.invoke(
        app,
        ["backfill", "--from", "2018-11-01", "--to", "2018-11-01", "--raw", str(raw), "--lake", str(lake), "--json"],
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert_document("run-report", report)
    assert (report["kind"], report["backfill"], report["status"]) == (
        "backfill",
        {"from": "2018-11-01", "to": "2018-11-01"},
        "succeeded",
    )
    events = report["sources"]["events"]
    # Day one's three lines read again and staged in place of the three rows it had staged.
    assert (events["files"], events["read"], events["staged"], events["rows_removed"]) == (1, 3, 3, 3)
    assert [Path(p).name for p in events["backfilled_files"]] == [day_one.name]
    assert report["sources"]["songs"]["files"] == 0, "song files carry no day"
    assert _counts(spark, lake) == (4, 1, 3), "nothing is counted twice"
    lines = {r["line"] for r in lake_table(spark, lake, "events", layer=Location.STAGING).collect()}
    assert lines == {1, 2, 3}, "day one's rows carry their lines; day two's its one"

    runs = json.loads(runner.invoke(app, ["runs", "--lake", str(lake), "--json"]).stdout)
    assert_document("runs", runs)
    assert [(r["kind"], r["status"], r["rows_published"]) for r in runs["runs"]] == [
        # songplays 3, users 1, users_history 1, songs 1, artists 1, time 3
        ("backfill", "succeeded", 10),
        ("run", "succeeded", 10),
    ]


@pytest.mark.parametrize(
    "days, message",
    [
        (
            ["2018-12-01", "2018-12-02"],
            "no raw file of 2018-12-01 … 2018-12-02 under {raw} (their names hold the date): nothing to backfill",
        ),
        (["2018-11-02", "2018-11-01"], "--from 2018-11-02 is after --to 2018-11-01: give the earlier day first"),
    ],
)
def test_a_backfill_of_no_day_is_one_line_before_anything_runs(tmp_path: Path, days: list[str], message: str) -> None:
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write_song(raw, "TRAAAAA128F4287B01", ALPHA)
    write_log(raw, "2018-11-01", [event(**KAYLEE, **PLAY)])
    (lake / "reports").mkdir(parents=True)

    result = runner.invoke(
        app, ["backfill", "--from", days[0], "--to", days[1], "--raw", str(raw), "--lake", str(lake)]
    )

    assert result.exit_code == 2
    assert result.stderr == f"error: {message.format(raw=raw)}\n"

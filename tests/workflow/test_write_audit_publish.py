"""Write-audit-publish across runs: a failed suite publishes nothing, keeps the rejected rows on the
`audit` branch, and every later run judges them again until they are gone."""

from __future__ import annotations

import pytest

from sparkify.lake import tables
from sparkify.local.runner import lake_table, run_pipeline
from sparkify.local.session import register_local_catalog
from sparkify.pipeline import CURATED_TABLES
from sparkify.synthetic.generate import generate
from tests.helpers import copy_raw, song, write_song

BAD_SONG = "SOZZZZZZZZZZZZZZZ1"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    base = tmp_path_factory.mktemp("wap-generated")
    generate(base, songs=20, events=300, seed=8, days=2)
    return base


def main_snapshots(spark, lake) -> dict[str, int | None]:
    catalog = register_local_catalog(spark, lake)
    return {t.name: tables.snapshot_id(spark, f"{catalog}.curated.{t.name}") for t in CURATED_TABLES}


@pytest.mark.slow
def test_a_failed_audit_leaves_main_as_it_was_and_later_runs_judge_the_rejected_rows_again(spark, generated, tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    copy_raw(generated, raw, lambda p: p.parts[0] == "song_data" or p.name == "2018-11-01-events.json")
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    published = main_snapshots(spark, lake)
    songs_before = lake_table(spark, lake, "songs").count()
    assert songs_before == 20 and None not in published.values()

    # Well-formed, right types, so staging keeps it; the songs suite must reject a negative duration.
    bad_file = write_song(
        raw, "TRZZZZZ128F4287B47", song(song_id=BAD_SONG, artist_id="ARZZZZZZZZZZZZZZZ1", duration=-5.0)
    )
    failed = run_pipeline(raw, lake)

    assert failed["status"] == "failed"
    assert failed["suites"]["songs"]["success"] is False
    assert main_snapshots(spark, lake) == published, "a failed audit must not move any table's main"
    assert lake_table(spark, lake, "songs").filter(f"song_id = '{BAD_SONG}'").count() == 0
    rejected = lake_table(spark, lake, "songs", branch="audit").filter(f"song_id = '{BAD_SONG}'").collect()
    assert [r["duration"] for r in rejected] == [-5.0], "the rejected row stays readable on the audit branch"

    # A later run with only good new data still judges what differs from main: the bad song is there.
    copy_raw(generated, raw, lambda p: p.name == "2018-11-02-events.json")
    later = run_pipeline(raw, lake)
    assert later["sources"]["events"]["files"] == 1, later["steps"]
    assert later["status"] == "failed" and later["suites"]["songs"]["success"] is False
    assert main_snapshots(spark, lake) == published

    # The way out: remove the raw file. The ledger deletes its staged rows, the model merges the
    # deletion into `audit`, the audit passes, and the new day is published without the bad song.
    bad_file.unlink()
    fixed = run_pipeline(raw, lake)
    assert fixed["status"] == "succeeded", fixed["steps"]
    assert lake_table(spark, lake, "songs").count() == songs_before
    assert lake_table(spark, lake, "songs").filter(f"song_id = '{BAD_SONG}'").count() == 0
    moved = main_snapshots(spark, lake)
    assert all(moved[name] != published[name] for name in ("songs", "songplays")), "published after the fix"


@pytest.mark.slow
def test_a_raw_file_changed_in_place_replaces_its_plays(spark, generated, tmp_path):
    """An event appended to a staged log file reaches the published fact once, with the earlier plays kept."""
    import json

    from tests.helpers import event

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    copy_raw(generated, raw)
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    plays_before = lake_table(spark, lake, "songplays").count()
    day = raw / "log_data" / "2018" / "11" / "2018-11-02-events.json"
    with day.open("a") as log:
        log.write("\n" + json.dumps(event(ts=1541203200000, userId="91", sessionId=9001, itemInSession=0)) + "\n")

    changed = run_pipeline(raw, lake)

    assert changed["status"] == "succeeded", changed["steps"]
    assert lake_table(spark, lake, "songplays").count() == plays_before + 1
    assert lake_table(spark, lake, "users").filter("user_id = 91").count() == 1


@pytest.mark.slow
def test_a_play_dated_after_the_run_date_fails_the_audit_and_is_not_published(spark, tmp_path):
    # 2099 is inside the range staging accepts (2000-2100), and a far-future play passed every suite.
    import datetime as dt

    from tests.helpers import event, write_log

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write_song(raw, "TRAAAAW128F429D538", song())
    write_log(raw, "2018-11-01", [event(itemInSession=1), event(itemInSession=2, ts=4_070_908_800_000)])  # 2099-01-01
    report = run_pipeline(raw, lake, run_date=dt.datetime(2018, 11, 2, tzinfo=dt.UTC))

    assert report["status"] == "failed"
    failed = {
        name: [(f["type"], f["column"], f["details"]) for f in s["failed_expectations"]]
        for name, s in report["suites"].items()
        if not s["success"]
    }
    assert sorted(failed) == ["songplays", "time"]
    ((rule, column, details),) = failed["songplays"]
    assert (rule, column) == ("expect_column_values_to_be_between", "start_time")
    assert details.startswith("1 of 2 rows unexpected (e.g. 2099-01-01 00:00:00); rows: songplay_id=")
    ((rule, column, details),) = failed["time"]
    assert (rule, column) == ("expect_column_values_to_be_between", "start_time")
    # The failing row names the raw file and line it came from (the log file's second line).
    assert details.startswith(
        "1 of 2 rows unexpected (e.g. 2099-01-01 00:00:00); rows: start_time=2099-01-01 00:00:00 ("
    )
    assert details.endswith("log_data/2018/11/2018-11-01-events.json line 2)")
    assert lake_table(spark, lake, "songplays").count() == 0, "nothing is published"

"""Acceptance: the local run on the public Sparkify sample reproduces its published figures.

The figures come from ../shared/data/README.md (published for this sample for years), not from
this code. Skips when the sample is not beside the repo.
"""

from __future__ import annotations

import pytest

from sparkify.local.runner import lake_table, run_pipeline

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def sample_run(spark, shared_sample, tmp_path_factory):
    lake = tmp_path_factory.mktemp("sample-lake")
    return run_pipeline(shared_sample, lake), lake


def test_published_figures(spark, sample_run):
    report, lake = sample_run
    count = {t: lake_table(spark, lake, t).count() for t in ("songplays", "users", "songs", "artists", "time")}
    assert count == {"songplays": 6820, "users": 96, "songs": 71, "artists": 69, "time": 6813}
    assert {t: report["tables"][t]["rows"] for t in count} == count
    counts = {
        s: {k: report["sources"][s][k] for k in ("files", "read", "staged", "quarantined")} for s in ("songs", "events")
    }
    assert counts == {
        "songs": {"files": 71, "read": 71, "staged": 71, "quarantined": 0},
        "events": {"files": 30, "read": 8056, "staged": 8056, "quarantined": 0},
    }


def test_exactly_one_play_matches_a_song(spark, sample_run):
    _, lake = sample_run
    plays = lake_table(spark, lake, "songplays")
    songs = lake_table(spark, lake, "songs")
    matched = plays.filter("song_id is not null").join(songs, "song_id").select("title").collect()
    assert [r["title"] for r in matched] == ["Setanta matins"]


def test_levels_change_within_the_month(spark, sample_run):
    _, lake = sample_run
    history = lake_table(spark, lake, "users_history")
    assert history.filter("is_current").count() == 96
    # Counted from the raw JSON in plain Python, not by this code: ordering each user's NextSong events
    # by (ts, sessionId, itemInSession), 88 users keep one level all month, 7 change once, 1 twice.
    assert history.groupBy("user_id").count().filter("count > 1").count() == 8
    assert history.count() == 105


def test_every_suite_passes_and_the_run_succeeds(sample_run):
    report, lake = sample_run
    assert report["status"] == "succeeded", report["steps"]
    assert [(s["name"], s["status"]) for s in report["steps"]] == [
        ("stage", "succeeded"),
        ("model", "succeeded"),
        ("validate", "succeeded"),
    ]
    assert sorted(report["suites"]) == ["artists", "songplays", "songs", "time", "users", "users_history"]
    assert all(s["success"] for s in report["suites"].values())
    assert (lake / "data_docs" / "index.html").is_file()

"""A lake's life: a day's log file per run, as a schedule delivers them, with table upkeep due on its
own schedule; commits reaching `main` between runs (our compaction, a catalog optimizer, a person);
and a publish that refuses what was not judged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sparkify.lake import tables
from sparkify.local.runner import run_pipeline
from sparkify.local.session import register_local_catalog
from sparkify.pipeline import CURATED_TABLES
from sparkify.synthetic.generate import generate
from tests.helpers import assert_same_tables, copy_raw

DAYS = 8
FIRST_RUN = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    base = tmp_path_factory.mktemp("life-generated")
    generate(base, songs=20, events=400, seed=28, days=DAYS)
    return base


def day_file(day: int) -> str:
    return f"2018-11-{day:02d}-events.json"


def heads(spark, lake, branch: str = tables.MAIN) -> dict[str, int | None]:
    catalog = register_local_catalog(spark, lake)
    return {t.name: tables.snapshot_id(spark, f"{catalog}.curated.{t.name}", branch) for t in CURATED_TABLES}


def step_metrics(lake, report, step: str) -> dict:
    return json.loads((lake / "reports" / "runs" / report["run_id"] / f"{step}.json").read_text())


def curated(spark, lake, name: str) -> str:
    return f"{register_local_catalog(spark, lake)}.curated.{name}"


@pytest.mark.slow
def test_a_day_per_run_publishes_every_day_through_upkeep_and_ends_as_one_full_run(spark, generated, tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    copy_raw(generated, raw, lambda p: p.parts[0] == "song_data")
    compacted_on = []
    for day in range(1, DAYS + 1):
        copy_raw(generated, raw, lambda p, day=day: p.name == day_file(day))
        before = heads(spark, lake) if lake.exists() else {}
        report = run_pipeline(raw, lake, run_date=FIRST_RUN + timedelta(days=day - 1))
        assert report["status"] == "succeeded", (day, report["steps"])
        after = heads(spark, lake)
        assert after["songplays"] != before.get("songplays"), f"day {day}: the day's plays were not published"
        upkeep = step_metrics(lake, report, "validate")["upkeep"]
        if upkeep.get("curated.songplays", {}).get("files_compacted"):
            compacted_on.append(day)
    # Five publishes leave five small files in the month's partition: upkeep compacts `main` after the
    # fifth, and every run after it still judges and publishes.
    assert compacted_on and compacted_on[0] == 5, compacted_on
    full = tmp_path / "full"
    assert run_pipeline(raw, full)["status"] == "succeeded"
    assert_same_tables(spark, lake, full)


@pytest.mark.slow
def test_a_commit_to_main_between_runs_is_kept_and_the_next_change_still_judged_and_published(
    spark, generated, tmp_path
):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    copy_raw(generated, raw, lambda p: p.parts[0] == "song_data" or p.name == day_file(1))
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    # As a catalog optimizer would: compact `songplays` on `main` (a new snapshot `audit` lacks).
    songplays = curated(spark, lake, "songplays")
    catalog, path = songplays.split(".", 1)
    spark.sql(f"CALL {catalog}.system.rewrite_data_files(table => '{path}', options => map('rewrite-all', 'true'))")
    optimized = tables.snapshot_id(spark, songplays)
    assert optimized != tables.snapshot_id(spark, songplays, tables.AUDIT)

    copy_raw(generated, raw, lambda p: p.name == day_file(2))
    report = run_pipeline(raw, lake)

    assert report["status"] == "succeeded", report["steps"]
    assert step_metrics(lake, report, "model")["model"]["rebased"] == ["songplays"]
    published = heads(spark, lake)
    assert tables.descends_from(spark, songplays, optimized, published["songplays"]), "the optimizer's commit is kept"
    assert published == heads(spark, lake, tables.AUDIT)
    full = tmp_path / "full"
    assert run_pipeline(raw, full)["status"] == "succeeded"
    assert_same_tables(spark, lake, full)


@pytest.mark.slow
def test_a_rejected_change_is_judged_again_after_main_moves_and_published_once_fixed(spark, generated, tmp_path):
    from tests.helpers import song, write_song

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    copy_raw(generated, raw, lambda p: p.parts[0] == "song_data" or p.name == day_file(1))
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    bad = write_song(
        raw, "TRZZZZZ128F4287B47", song(song_id="SOZZZZZZZZZZZZZZZ1", artist_id="ARZZZZZZZZZZZZZZZ1", duration=-5.0)
    )
    assert run_pipeline(raw, lake)["status"] == "failed"
    # A person's fix on `main` of another table while the rejected song waits on `songs`' audit branch
    # (an artist no later change touches: a derived row is rebuilt from staging when its inputs change).
    artists = curated(spark, lake, "artists")
    spark.sql(f"UPDATE {artists} SET name = 'Fixed' WHERE artist_id = (SELECT min(artist_id) FROM {artists})")

    copy_raw(generated, raw, lambda p: p.name == day_file(2))
    again = run_pipeline(raw, lake)
    assert again["status"] == "failed" and again["suites"]["songs"]["success"] is False, "still judged, still rejected"
    songs = curated(spark, lake, "songs")
    assert tables.read(spark, songs).filter("song_id = 'SOZZZZZZZZZZZZZZZ1'").count() == 0

    bad.unlink()
    fixed = run_pipeline(raw, lake)
    assert fixed["status"] == "succeeded", fixed["steps"]
    assert tables.read(spark, artists).filter("name = 'Fixed'").count() == 1, "the person's fix is kept"
    assert tables.read(spark, songs).count() == 20


@pytest.mark.slow
def test_publish_refuses_when_audit_moved_after_judgement(spark, generated, tmp_path, monkeypatch):
    """A model run between judgement and publish (a second workflow run, `--step model`) must not get
    its rows published unjudged."""
    from sparkify.quality import validation as quality

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    copy_raw(generated, raw, lambda p: p.parts[0] == "song_data" or p.name == day_file(1))
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    published = heads(spark, lake)
    copy_raw(generated, raw, lambda p: p.name == day_file(2))
    assert run_pipeline(raw, lake, steps=["stage", "model"])["status"] == "succeeded"
    songplays = tables.on_branch(curated(spark, lake, "songplays"), tables.AUDIT)
    judge = quality.validate_and_publish
    unjudged = tables.read(spark, curated(spark, lake, "songplays"), tables.AUDIT).count() + 1

    def judge_then_model_writes(*args, **kwargs):
        verdict = judge(*args, **kwargs)
        # After the suites judged `audit`, another writer commits an unjudged row to it (a copy: any
        # commit moves the branch).
        spark.sql(f"INSERT INTO {songplays} SELECT * FROM {songplays} LIMIT 1")
        return verdict

    monkeypatch.setattr(quality, "validate_and_publish", judge_then_model_writes)
    report = run_pipeline(raw, lake, steps=["validate"])

    assert report["status"] == "failed"
    assert "moved from the judged snapshot" in report["steps"][-1]["error"]
    assert heads(spark, lake) == published, "nothing is published when one table's audit moved"
    assert tables.read(spark, curated(spark, lake, "songplays"), tables.AUDIT).count() == unjudged
    again = run_pipeline(raw, lake, steps=["validate"])
    assert again["status"] == "failed", "the copied row is judged (a duplicate songplay_id) and not published"
    assert heads(spark, lake) == published

"""Runs are incremental and idempotent, and a run killed mid-write leaves readable tables that the next
run completes: day N then day N+1 equals one run over both; a rerun changes nothing."""

from __future__ import annotations

from sparkify.runner import lake_table

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sparkify.generate import generate
from sparkify.pipeline import CURATED_TABLES
from sparkify.runner import LakeLocked, lake_lock, run_pipeline
from tests.helpers import assert_same_tables, copy_raw


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    base = tmp_path_factory.mktemp("generated")
    generate(base, songs=30, events=500, seed=5, days=2)
    return base


def first_day(relative: Path) -> bool:
    return relative.parts[0] == "song_data" or relative.name == "2018-11-01-events.json"


@pytest.fixture(scope="module")
def single_run_lake(spark, generated, tmp_path_factory):
    lake = tmp_path_factory.mktemp("single")
    assert run_pipeline(generated, lake)["status"] == "succeeded"
    return lake


def test_day_by_day_equals_one_run_over_both_days(spark, generated, single_run_lake, tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    copy_raw(generated, raw, first_day)
    first = run_pipeline(raw, lake)
    assert first["sources"]["events"]["files"] == 1
    copy_raw(generated, raw, lambda p: not first_day(p))
    second = run_pipeline(raw, lake)
    # Only the new day's file was read: the checkpoint remembers what earlier runs staged.
    assert (second["sources"]["events"]["files"], second["sources"]["songs"]["files"]) == (1, 0)
    assert second["status"] == "succeeded", second["steps"]
    assert_same_tables(spark, lake, single_run_lake)


def test_a_rerun_on_the_same_input_changes_nothing(spark, generated, single_run_lake, tmp_path):
    before = {t.name: lake_table(spark, single_run_lake, t.name).collect() for t in CURATED_TABLES}
    again = run_pipeline(generated, single_run_lake)
    assert again["sources"]["events"]["read"] == 0 and again["sources"]["songs"]["read"] == 0
    for table in CURATED_TABLES:
        after = lake_table(spark, single_run_lake, table.name).collect()
        assert sorted(map(tuple, after)) == sorted(map(tuple, before[table.name])), table.name
    # A full refresh re-reads every file and rebuilds the same tables, ids included.
    refreshed = run_pipeline(generated, single_run_lake, full_refresh=True)
    assert refreshed["sources"]["events"]["files"] == 2
    for table in CURATED_TABLES:
        after = lake_table(spark, single_run_lake, table.name).collect()
        assert sorted(map(tuple, after)) == sorted(map(tuple, before[table.name])), table.name


def test_a_second_run_on_the_same_lake_is_refused(tmp_path):
    with lake_lock(tmp_path):
        with pytest.raises(LakeLocked, match=rf"{tmp_path} is in use by a run that is still going \(pid {os.getpid()}"):
            with lake_lock(tmp_path):
                pass


def test_a_run_killed_mid_write_leaves_readable_tables_and_the_next_run_finishes_the_job(
    spark, generated, single_run_lake, tmp_path
):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    copy_raw(generated, raw, first_day)
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    day_one = {t.name: lake_table(spark, lake, t.name).count() for t in CURATED_TABLES}
    copy_raw(generated, raw, lambda p: not first_day(p))

    # A separate process, killed without warning once it is writing the star schema.
    run = subprocess.Popen(
        [sys.executable, "-m", "sparkify", "run", "--raw", str(raw), "--lake", str(lake)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while not list((lake / "reports" / "runs").glob("*/stage.json")) or len(
        list((lake / "reports" / "runs").glob("*/stage.json"))
    ) < 2:
        assert run.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the run never finished its stage step"
        time.sleep(0.2)
    time.sleep(1.0)  # into the model step
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()

    # Whatever the moment of the kill, every table is readable: the old version or the new one.
    for table in CURATED_TABLES:
        rows = lake_table(spark, lake, table.name).count()
        assert rows >= day_one[table.name], table.name
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    assert_same_tables(spark, lake, single_run_lake)
    assert json.loads((lake / "reports" / "latest.json").read_text())["status"] == "succeeded"

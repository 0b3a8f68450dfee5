"""Runs are incremental and idempotent, and a run killed mid-write leaves readable tables that the next
run completes: day N then day N+1 equals one run over both; a rerun changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from chispa import assert_df_equality

from sparkify.bench import floor
from sparkify.local.runner import LakeLocked, lake_lock, lake_table, run_pipeline
from sparkify.local.session import register_local_catalog
from sparkify.pipeline import CURATED_TABLES
from sparkify.synthetic.generate import generate
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


class DayOne(NamedTuple):
    folder: Path
    report: dict[str, Any]  # of the run that staged and published it


@pytest.fixture(scope="module")
def day_one(spark, generated, tmp_path_factory) -> DayOne:
    """Day one staged and published once, kept aside for the tests that start from it. Each restores it
    to the one path it was written at: Iceberg's file catalog keeps absolute paths in its metadata."""
    base = tmp_path_factory.mktemp("day-one")
    copy_raw(generated, base / "raw", first_day)
    report = run_pipeline(base / "raw", base / "lake")
    assert report["status"] == "succeeded"
    for name in ("raw", "lake"):
        shutil.copytree(base / name, base / f"{name}.kept", symlinks=True)
    return DayOne(base, report)


def _restore(day_one: DayOne) -> tuple[Path, Path]:
    """Day one's raw folder and lake, as the fixture left them, at their own paths."""
    for name in ("raw", "lake"):
        shutil.rmtree(day_one.folder / name, ignore_errors=True)
        shutil.copytree(day_one.folder / f"{name}.kept", day_one.folder / name, symlinks=True)
    return day_one.folder / "raw", day_one.folder / "lake"


@pytest.mark.slow
def test_day_by_day_equals_one_run_over_both_days(spark, generated, single_run_lake, day_one):
    raw, lake = _restore(day_one)
    assert day_one.report["sources"]["events"]["files"] == 1
    copy_raw(generated, raw, lambda p: not first_day(p))
    second = run_pipeline(raw, lake)
    # Only the new day's file was read: the checkpoint remembers what earlier runs staged.
    assert (second["sources"]["events"]["files"], second["sources"]["songs"]["files"]) == (1, 0)
    assert second["status"] == "succeeded", second["steps"]
    # The new day's plays all come after the first day's: the user tables go on from their current rows.
    assert _model_metrics(second)["users"] == "continued from the current rows"
    assert_same_tables(spark, lake, single_run_lake)


def test_the_floor_builds_the_same_star_schema_as_the_workflow(spark, generated, single_run_lake, tmp_path):
    # The benchmark's floor is only a floor if it does the same transform (generated data has no bad records).
    floor.full_run(spark, generated, tmp_path / "floor")
    for table in CURATED_TABLES:
        ours = lake_table(spark, single_run_lake, table.name)
        plain = spark.read.parquet(str(tmp_path / "floor" / table.name)).select(*ours.columns)
        assert_df_equality(plain, ours, ignore_row_order=True, ignore_nullable=True, ignore_column_order=True)


def test_the_new_day_floor_merges_what_the_workflow_publishes(spark, generated, single_run_lake, day_one):
    _, lake = _restore(day_one)
    day_two = next(p for p in generated.rglob("*-events.json") if not first_day(p.relative_to(generated)))
    floor.new_day(spark, register_local_catalog(spark, lake), day_two)
    for name in floor.MERGED:
        ours = lake_table(spark, single_run_lake, name)
        assert_df_equality(
            lake_table(spark, lake, name).select(*ours.columns), ours, ignore_row_order=True, ignore_nullable=True
        )


@pytest.mark.slow
def test_days_arriving_out_of_order_equal_one_run_over_both_days(spark, generated, single_run_lake, tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    copy_raw(generated, raw, lambda p: not first_day(p) or p.parts[0] == "song_data")
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    copy_raw(generated, raw, first_day)
    late = run_pipeline(raw, lake)
    assert late["status"] == "succeeded", late["steps"]
    # The first day lands after the second: users' latest plays and level history are recomputed.
    assert _model_metrics(late)["users"] == "recomputed from the touched users' history"
    assert_same_tables(spark, lake, single_run_lake)


def _model_metrics(report):
    return report["model"]


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
    with (
        lake_lock(tmp_path),
        pytest.raises(LakeLocked, match=rf"{tmp_path} is in use by a run that is still going \(pid {os.getpid()}"),
        lake_lock(tmp_path),
    ):
        pass


def _run_dirs(lake: Path) -> list[Path]:
    return sorted((lake / "reports" / "runs").glob("*/"))


# When to kill the second run: while it stages, models, validates, and once publishing has begun
# (the first table's `main` moved). Each moment is observed from outside, as an operator would see it.
KILL_MOMENTS = {
    "stage": lambda lake, seen: len(list((lake / "staging").glob("*/metadata/*.metadata.json"))) > seen["staging"],
    "model": lambda lake, seen: (_run_dirs(lake)[-1] / "stage.json").is_file() and len(_run_dirs(lake)) > seen["runs"],
    "validate": lambda lake, seen: (
        (_run_dirs(lake)[-1] / "model.json").is_file() and len(_run_dirs(lake)) > seen["runs"]
    ),
    "publish": lambda lake, seen: _main_snapshot(lake, "songplays") not in (None, seen["songplays_main"]),
}


def _main_snapshot(lake: Path, table: str) -> int | None:
    """The snapshot `main` points at, read from the table's current metadata file as a reader would."""

    metadata = lake / "curated" / table / "metadata"
    try:
        version = (metadata / "version-hint.text").read_text().strip()
        refs = json.loads((metadata / f"v{version}.metadata.json").read_text()).get("refs", {})
    except (OSError, ValueError):
        return None  # between the commit's two files: look again
    return refs.get("main", {}).get("snapshot-id")


@pytest.mark.slow
@pytest.mark.parametrize("moment", list(KILL_MOMENTS))
def test_a_run_killed_at_any_moment_leaves_committed_tables_and_the_next_run_equals_a_clean_run(
    spark, generated, single_run_lake, day_one, moment
):
    from sparkify.lake import tables
    from sparkify.local.session import register_local_catalog

    raw, lake = _restore(day_one)
    catalog = register_local_catalog(spark, lake)
    published = {t.name: tables.snapshot_id(spark, f"{catalog}.curated.{t.name}") for t in CURATED_TABLES}
    day_one_rows = {t.name: lake_table(spark, lake, t.name).count() for t in CURATED_TABLES}
    copy_raw(generated, raw, lambda p: not first_day(p))
    seen = {
        "runs": len(_run_dirs(lake)),
        "songplays_main": published["songplays"],
        "staging": len(list((lake / "staging").glob("*/metadata/*.metadata.json"))),
    }

    # A separate process, killed without warning at the chosen moment.
    run = subprocess.Popen(
        [sys.executable, "-m", "sparkify", "run", "--raw", str(raw), "--lake", str(lake)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not KILL_MOMENTS[moment](lake, seen):
        assert run.poll() is None, f"the run ended before the {moment} moment"
        assert time.monotonic() < deadline, f"the run never reached the {moment} moment"
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()

    # Every table is at a committed snapshot: the published day one, or (once publishing began) the
    # audited new state; never a half-written one.
    for table in CURATED_TABLES:
        now = tables.snapshot_id(spark, f"{catalog}.curated.{table.name}")
        rows = lake_table(spark, lake, table.name).count()
        if moment != "publish":
            assert now == published[table.name], f"{table.name}: main moved before the audit passed"
            assert rows == day_one_rows[table.name], table.name
    rerun = run_pipeline(raw, lake)
    assert rerun["status"] == "succeeded", rerun["steps"]
    assert_same_tables(spark, lake, single_run_lake)

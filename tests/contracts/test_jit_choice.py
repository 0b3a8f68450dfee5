"""A local run's JVM compiles with C1 alone when the run has little raw data to read, with the full
tiered JIT otherwise (`sparkify.local.jit_choice`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sparkify.local import jit_choice

LIMIT = 1000  # bytes, for these tests


@pytest.fixture(autouse=True)
def no_setting(monkeypatch):
    monkeypatch.delenv("SPARKIFY_JIT", raising=False)


def write(path: Path, size: int, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (mtime, mtime))


def report(lake: Path, started_at: str, stage: str = "succeeded") -> None:
    (lake / "reports").mkdir(parents=True)
    (lake / "reports" / "latest.json").write_text(
        json.dumps({"started_at": started_at, "steps": [{"name": "stage", "status": stage}]})
    )


def test_a_first_run_counts_every_raw_byte(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw / "song_data" / "a.json", 600, 1_000)
    assert jit_choice.choose(raw, lake, limit=LIMIT) == "quick"
    write(raw / "log_data" / "b.json", 600, 1_000)
    assert jit_choice.choose(raw, lake, limit=LIMIT) == "full"


def test_after_a_staged_run_only_files_touched_since_it_started_count(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw / "song_data" / "old.json", 5_000, 1_700_000_000)  # 2023-11-14, before the last run
    report(lake, "2026-12-01T00:00:00+00:00")
    write(raw / "log_data" / "late.json", 600, 1_764_633_600)  # 2025-12-02: before it too
    assert jit_choice.choose(raw, lake, limit=LIMIT) == "quick"
    write(raw / "log_data" / "day.json", 1_500, 1_796_169_600)  # 2026-12-02, after it
    assert jit_choice.choose(raw, lake, limit=LIMIT) == "full"


def test_a_last_run_whose_stage_failed_or_a_full_refresh_counts_every_raw_byte(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw / "song_data" / "old.json", 5_000, 1_700_000_000)
    report(lake, "2026-12-01T00:00:00+00:00", stage="failed")
    assert jit_choice.choose(raw, lake, limit=LIMIT) == "full"
    (lake / "reports" / "latest.json").unlink()
    (lake / "reports").rmdir()
    report(lake, "2026-12-01T00:00:00+00:00")
    assert jit_choice.choose(raw, lake, limit=LIMIT) == "quick"
    assert jit_choice.choose(raw, lake, full_refresh=True, limit=LIMIT) == "full"


def test_the_setting_overrides_the_choice_and_a_wrong_value_is_named(tmp_path, monkeypatch):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw / "song_data" / "a.json", 10, 1_000)
    monkeypatch.setenv("SPARKIFY_JIT", "full")
    assert jit_choice.choose(raw, lake, limit=LIMIT) == "full"
    monkeypatch.setenv("SPARKIFY_JIT", "c1")
    with pytest.raises(ValueError, match=r"SPARKIFY_JIT='c1'.*quick, full or auto"):
        jit_choice.choose(raw, lake, limit=LIMIT)


def test_the_quick_jit_is_a_driver_option_of_the_local_session():
    from sparkify.local.session import driver_java_options

    assert "-XX:TieredStopAtLevel=1" in driver_java_options(quick_jit=True).split()
    assert "-XX:TieredStopAtLevel=1" not in driver_java_options(quick_jit=False).split()

"""A local run's report files are reserved when the run starts and rewritten in place, so a disk that
fills during the run still leaves a report saying the run failed and why."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from sparkify.local.run_record import RESERVE, RunRecord


def _report(status: str, error: str | None = None, **extra: object) -> dict[str, object]:
    return {"run_id": "r1", "status": status, "error": error, "sources": {"events": {"read": 3}}, **extra}


def _no_new_space(monkeypatch) -> None:
    """A full disk: nothing new can be written; rewriting bytes a file holds still can."""

    def refuse(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    for name in ("write_text", "write_bytes", "mkdir"):
        monkeypatch.setattr(Path, name, refuse)


def test_the_reports_are_reserved_at_the_start_and_readable_meanwhile(tmp_path: Path):
    record = RunRecord(tmp_path, "r1")
    record.start(_report("running"))
    for path in record.paths:
        assert path.stat().st_size == RESERVE
        assert json.loads(path.read_text())["status"] == "running"  # the padding is JSON whitespace


def test_a_full_disk_still_takes_the_final_report_which_then_gives_its_space_back(tmp_path: Path, monkeypatch):
    record = RunRecord(tmp_path, "r1")
    record.start(_report("running"))
    _no_new_space(monkeypatch)
    assert record.write(_report("failed", "step model: no space left on the device")) is None
    record.release()
    for path in record.paths:
        assert json.loads(path.read_text())["error"] == "step model: no space left on the device"
        assert path.stat().st_size < RESERVE


def test_a_report_too_large_for_the_space_left_is_cut_down_to_its_status_and_error(tmp_path: Path, monkeypatch):
    record = RunRecord(tmp_path, "r1")
    record.start(_report("running"))
    real_open = open

    def no_growth(path, mode="r", *args, **kwargs):  # writing past the reserved bytes needs new space
        handle = real_open(path, mode, *args, **kwargs)
        if "+" in mode:
            write = handle.write

            def bounded(data):
                if handle.tell() + len(data) > RESERVE:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return write(data)

            handle.write = bounded
        return handle

    monkeypatch.setattr("builtins.open", no_growth)
    huge = _report("failed", "step stage: no space left", sources={"events": {"deleted_files": ["x" * 100] * 5000}})
    problem = record.write(huge)
    assert problem is not None and "cut short" in problem
    cut = json.loads(record.paths[1].read_text())
    assert (cut["status"], cut["sources"]) == ("failed", {})
    assert cut["error"].startswith("step stage: no space left (report cut short")


@pytest.mark.parametrize("folder_exists", [True, False])
def test_a_run_that_cannot_reserve_its_report_is_refused_before_it_starts(tmp_path: Path, monkeypatch, folder_exists):
    if folder_exists:
        (tmp_path / "runs" / "r1").mkdir(parents=True)
    _no_new_space(monkeypatch)
    with pytest.raises(OSError):
        RunRecord(tmp_path, "r1").start(_report("running"))

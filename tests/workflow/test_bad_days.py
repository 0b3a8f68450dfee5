"""The run's bad days: a run interrupted by a signal, a full disk, a JVM that dies. Each ends in one line that
names what broke and what to do, an exit code, and a run report that says so; the next run recovers."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparkify.cli.main import app
from sparkify.local.runner import run_pipeline
from sparkify.pipeline import Location
from sparkify.synthetic.generate import generate
from tests.documents import assert_document
from tests.helpers import assert_same_tables, copy_raw


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("raw")
    generate(base, songs=30, events=500, seed=5, days=2)
    return base


@pytest.fixture(scope="module")
def clean_lake(spark, raw, tmp_path_factory) -> Path:
    """One clean run over the raw folder: what every recovered lake must equal."""
    lake = tmp_path_factory.mktemp("clean")
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    return lake


def _start_run(raw: Path, lake: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`sparkify run` in a process group of its own (its JVM included), as a terminal or a service runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "sparkify", "run", "--raw", str(raw), "--lake", str(lake), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )


def _wait_for(reached: Callable[[], bool], run: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 300
    while not reached():
        assert run.poll() is None, f"the run ended before {what}: {run.communicate()}"
        assert time.monotonic() < deadline, f"the run never reached {what}"
        time.sleep(0.05)


def _running(lake: Path, step: str) -> Callable[[], bool]:
    """Whether the run's progress (its report, rewritten as each step begins) says `step` is running."""

    def reached() -> bool:
        try:
            steps = _latest(lake)["steps"]
        except (OSError, ValueError, KeyError):
            return False
        return any(s["name"] == step and s["status"] == "running" for s in steps)

    return reached


def _one_line(out: str, err: str) -> str:
    """The one line a run ended with on stderr (the assertion shows both streams when it is not one)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"stderr is not one line:\n{err}\nstdout:\n{out}"
    return lines[0]


def _latest(lake: Path) -> dict:
    return json.loads((lake / "reports" / "latest.json").read_text())


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_ends_in_one_line_and_the_next_run_publishes(spark, raw, clean_lake, tmp_path, sig, code):
    lake = tmp_path / "lake"
    run = _start_run(raw, lake)
    _wait_for(_running(lake, "model"), run, "the model step")
    # To the whole group, as Ctrl-C in a terminal and a service manager's stop send it: the JVM gets it too.
    os.killpg(run.pid, sig)
    out, err = run.communicate(timeout=180)

    assert run.returncode == code, err
    line = _one_line(out, err)
    assert "interrupted" in line and sig.name in line, line
    assert "Traceback" not in out + err and "py4j" not in (out + err).lower()
    report = _latest(lake)
    assert_document("run-report", report)
    assert report["status"] == "interrupted"
    assert [(s["name"], s["status"]) for s in report["steps"]] == [
        ("stage", "succeeded"),
        ("model", "interrupted"),
        ("validate", "not run"),
    ]
    assert '<span class="interrupted">interrupted</span>' in (lake / "data_docs" / "index.html").read_text()

    again = run_pipeline(raw, lake)
    assert again["status"] == "succeeded", again["steps"]
    assert_same_tables(spark, lake, clean_lake)


# --- A lake published once (day one), restored in place for each test that damages it -----------------------


def _first_day(relative: Path) -> bool:
    return relative.parts[0] == "song_data" or relative.name == "2018-11-01-events.json"


@pytest.fixture(scope="module")
def day_one(spark, raw, tmp_path_factory) -> Path:
    """Day one staged and published once, kept aside. Each test restores it at the one path it was
    written at: Iceberg's metadata holds absolute paths."""
    base = tmp_path_factory.mktemp("day-one")
    copy_raw(raw, base / "raw", _first_day)
    assert run_pipeline(base / "raw", base / "lake")["status"] == "succeeded"
    for name in ("raw", "lake"):
        shutil.copytree(base / name, base / f"{name}.kept", symlinks=True)
    return base


def _restore(day_one: Path, with_day_two: Path | None = None) -> tuple[Path, Path]:
    """Day one's raw folder and lake at their own paths; the second day's log file added when given."""
    for name in ("raw", "lake"):
        shutil.rmtree(day_one / name, ignore_errors=True)
        shutil.copytree(day_one / f"{name}.kept", day_one / name, symlinks=True)
    if with_day_two is not None:
        copy_raw(with_day_two, day_one / "raw", lambda p: not _first_day(p))
    return day_one / "raw", day_one / "lake"


def _cli(*args: str) -> tuple[int, str, str]:
    """`sparkify ARGS` in this process (the tests' Spark session): exit code, stdout, stderr."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


class DiskFull:
    """From `fill()` on, a write that needs new space fails as on a full disk (ENOSPC); rewriting bytes a
    file already holds (`open(path, "r+b")`) still works, as on a real disk."""

    def __init__(self) -> None:
        self.full = False

    def fill(self, path: object) -> None:
        self.full = True
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    def guard(self, write: Callable[..., object]) -> Callable[..., object]:
        def guarded(path, *args, **kwargs):
            if self.full:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            return write(path, *args, **kwargs)

        return guarded


@pytest.fixture()
def disk(monkeypatch) -> DiskFull:
    """A disk that fills as the model step writes its metrics: mid-run, after its tables committed."""
    from sparkify.local import runner

    full = DiskFull()
    metrics = runner.write_metrics

    def write_metrics(spark, args, step, data):
        if step == "model":
            full.fill(f"{args[Location.REPORTS]}/runs/{args.run_id}/model.json")
        metrics(spark, args, step, data)

    monkeypatch.setattr(runner, "write_metrics", write_metrics)
    for name in ("write_text", "write_bytes", "mkdir", "touch"):
        monkeypatch.setattr(Path, name, full.guard(getattr(Path, name)))
    return full


def test_a_disk_that_fills_mid_run_ends_in_one_line_and_a_report_saying_why(spark, raw, day_one, disk):
    raw_both, lake = _restore(day_one, with_day_two=raw)
    before = _latest(lake)

    code, out, err = _cli("run", "--raw", str(raw_both), "--lake", str(lake))
    assert disk.full
    assert code == 1, out + err
    line = _one_line(out, err)
    assert "model" in line and "no space left" in line and "model.json" in line, line
    assert "Traceback" not in out + err
    report = _latest(lake)
    assert_document("run-report", report)
    assert report["run_id"] != before["run_id"], "latest.json still describes the previous run"
    assert report["status"] == "failed" and "no space left" in report["error"]
    assert [s["status"] for s in report["steps"]] == ["succeeded", "failed", "not run"]


def test_when_not_even_the_report_fits_the_line_says_so(spark, raw, day_one, disk, monkeypatch):
    from sparkify.local.run_record import RunRecord

    raw_both, lake = _restore(day_one, with_day_two=raw)
    before = _latest(lake)
    monkeypatch.setattr(RunRecord, "_rewrite", disk.guard(RunRecord._rewrite))

    code, out, err = _cli("run", "--raw", str(raw_both), "--lake", str(lake))
    assert code == 1, out + err
    line = _one_line(out, err)
    assert "no space left" in line and "run report could not be written" in line, line
    # It was reserved at the start: it says this run is running, not that the previous one succeeded.
    report = _latest(lake)
    assert (report["run_id"], report["status"]) != (before["run_id"], "succeeded")


def _jvm_of(run: subprocess.Popen[str]) -> int:
    """The pid of the run's JVM: the Java child of the Python process."""
    children = Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text().split()
    return next(int(pid) for pid in children if "java" in Path(f"/proc/{pid}/cmdline").read_text())


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV], ids=["killed", "crashed"])
def test_a_jvm_that_dies_mid_run_is_one_line_and_the_next_run_publishes(spark, raw, clean_lake, tmp_path, sig):
    lake = tmp_path / "lake"
    run = _start_run(raw, lake)
    _wait_for(_running(lake, "model"), run, "the model step")
    os.kill(_jvm_of(run), sig)  # SIGSEGV from outside: HotSpot writes its crash log as for a crash of its own
    out, err = run.communicate(timeout=180)

    assert run.returncode == 1, err
    line = _one_line(out, err)
    assert "the Spark JVM exited" in line, line
    assert "ConnectionRefusedError" not in out + err and "Traceback" not in out + err
    if sig == signal.SIGSEGV:
        assert "crash log" in err and "jvm-crash-" in err and "SIGSEGV" in err, err
    else:
        assert "killed by SIGKILL" in err, err
    report = _latest(lake)
    assert report["status"] == "failed" and "the Spark JVM exited" in report["error"]
    assert [s["status"] for s in report["steps"]] == ["succeeded", "failed", "not run"]

    again = run_pipeline(raw, lake)
    assert again["status"] == "succeeded", again["steps"]
    assert_same_tables(spark, lake, clean_lake)

"""`sparkify bench --incremental`: what a daily run costs once the lake has history.

Generates seeded data (1M events over 30 days by default), then, each in a fresh `sparkify run`
process on one lake: a full run on the first 29 days, a run after the 30th day's log file lands, and
a run with nothing new. Wall time per run includes interpreter and Spark start-up, as a scheduled
run pays it. Between the history and the new day, Spark's new-day floor (`sparkify.bench.floor
new-day`: the day's events appended and merged as plainly as Spark allows) runs on the same lake, which
is then put back as the history left it, so both take the same day into the same lake. The published
row counts after the last run must equal those of one full run over all 30 days (checked from the run
reports), so the incremental path is measured only when it is right.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sparkify.bench.harness import BenchError, Size, dataset

DEFAULT_SIZE = Size("1M-30d", 2_000, 1_000_000)
RUNS = ("history (29 days)", "one new day", "nothing new")


def _days(raw: Path) -> list[Path]:
    return sorted((raw / "log_data").rglob("*-events.json"))


def _sparkify_run(raw: Path, lake: Path, report: Path, log: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "sparkify", "run", "--raw", str(raw), "--lake", str(lake), "--report", str(report)]
    with open(log, "ab") as out:
        start = time.perf_counter()
        code = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - start
    if code != 0:
        raise BenchError(f"`{' '.join(command)}` exited with {code}; see {log}")
    result: dict[str, Any] = json.loads(report.read_text())
    result["wall"] = wall
    return result


def floor_figures(printed: str) -> dict[str, float]:
    """The seconds `sparkify.bench.floor` prints (`start 2.4 stage 5.3 model 10.7 check 4.7 total 23.3`)."""
    words = printed.split()
    try:  # an odd number of words, or a word where seconds go, is a ValueError
        figures = {name: float(seconds) for name, seconds in zip(words[::2], words[1::2], strict=True)}
    except ValueError:
        figures = {}
    if not figures:
        raise BenchError(f"the floor printed {printed!r}, not its phases and seconds")
    return figures


def _floor_new_day(lake: Path, day: Path, log: Path) -> dict[str, Any]:
    """Spark's new-day floor on `lake` with the log file `day`; the lake is left as it was found (a copy
    put back at the same path: Iceberg's metadata holds absolute paths)."""
    kept = lake.with_name(f"{lake.name}.before-floor")
    shutil.copytree(lake, kept, symlinks=True)
    command = [sys.executable, "-m", "sparkify.bench.floor", "new-day", str(lake), str(day)]
    try:
        with open(log, "ab") as errors:
            start = time.perf_counter()
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=errors, check=False)
            wall = time.perf_counter() - start
    finally:
        shutil.rmtree(lake)
        kept.rename(lake)
    if done.returncode != 0:
        raise BenchError(f"`{' '.join(command)}` exited with {done.returncode}; see {log}")
    figures = floor_figures(done.stdout.decode().strip().splitlines()[-1])
    steps = {"start-up": figures["start"], **{k: figures[k] for k in ("stage", "model", "check")}}
    return {"run": "new-day floor (plain Spark)", "wall": round(wall, 1), "steps": steps}


def run_incremental(data_dir: Path, size: Size = DEFAULT_SIZE, seed: int = 11) -> dict[str, Any]:
    """The three runs' wall and step seconds, and the final row counts against a full run's."""
    source, info = dataset(data_dir, size, seed)
    work = Path(data_dir) / f"incremental-{size.name}-seed{seed}"
    shutil.rmtree(work, ignore_errors=True)
    raw, lake, full_lake = work / "raw", work / "lake", work / "full-lake"
    shutil.copytree(source / "song_data", raw / "song_data")
    days = _days(source)
    last = days[-1]
    for day in days[:-1]:
        target = raw / day.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(day, target)
    log = work / "runs.log"
    runs = []
    floor: dict[str, Any] = {}
    for index, name in enumerate(RUNS):
        if index == 1:  # the 30th day lands: first into the floor, then into our run
            floor = _floor_new_day(lake, last, log)
            target = raw / last.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(last, target)
        report = _sparkify_run(raw, lake, work / f"report-{index}.json", log)
        runs.append(
            {
                "run": name,
                "wall": round(report["wall"], 1),
                "steps": {s["name"]: s["seconds"] for s in report["steps"]},
                "rows": {t: v["rows"] for t, v in report["tables"].items()},
            }
        )
    full = _sparkify_run(raw, full_lake, work / "report-full.json", log)
    full_rows = {t: v["rows"] for t, v in full["tables"].items()}
    incremental_rows = runs[1]["rows"]
    if incremental_rows != full_rows:
        raise BenchError(f"after the new day the tables hold {incremental_rows}, a full run gives {full_rows}")
    new_day_events = sum(1 for line in last.read_bytes().splitlines() if line.strip())
    return {
        "size": {"songs": size.songs, "events": size.events, "seed": seed, **info},
        "new_day_events": new_day_events,
        "runs": runs,
        "full_run_30_days": {"wall": round(full["wall"], 1), "steps": {s["name"]: s["seconds"] for s in full["steps"]}},
        "new_day_floor": floor,
        "new_day_to_floor": round(runs[1]["wall"] / floor["wall"], 2),
        "rows": full_rows,
    }

"""Live a lake's life on generated data: one run per calendar day (`calendar.build`), and after each
run the published tables compared with an independent recompute of the raw files delivered so far
(the bench's DuckDB reference, `sparkify.bench.reference`), and what each table costs to keep.

Runs share the soak's JVM (one Spark session, as the tests do) to keep 90 days practical; the days
the calendar marks, and every signalled run, start a fresh process as cron would, and their seconds
are recorded apart.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sparkify.documents import schema_version
from sparkify.layout import LAKE_LAYOUT, LATEST_REPORT
from sparkify.pipeline import CURATED_TABLES, Location
from sparkify.soak import calendar as cal
from sparkify.synthetic.generate import generate

EVENTS_PER_DAY = 300
SONGS = 60
BAD_SONG = "song_data/Z/Z/Z/TRZZZSOAK0000000001.json"
BIG_FILE_BYTES = 32 * 1024 * 1024

# The bounds the soak holds every table to after every run (docs/architecture.md, "A lake's life").
MOST_FILES_IN_A_PARTITION = 8
MOST_METADATA_FILES = 120
COST_GROWTH = 1.2  # the late ordinary days' median seconds over the early ones'


@dataclass
class DayResult:
    day: int
    run_date: str
    how: str
    expect: str
    status: str
    ok: bool
    seconds: float
    cpu_seconds: float | None = None  # the driver's Python and JVM, in-process days only
    steps: dict[str, float] = field(default_factory=dict)
    equal_to_recompute: bool | None = None
    problems: list[str] = field(default_factory=list)
    lake: dict[str, dict[str, int]] = field(default_factory=dict)


def soak(
    workdir: Path,
    days: int,
    seed: int = 90,
    events_per_day: int = EVENTS_PER_DAY,
    on_day: Callable[[DayResult], None] | None = None,
) -> dict[str, Any]:
    """Run the calendar in `workdir` (emptied first); returns the summary also written to
    `workdir/soak.json`: one row per day and the checks over all of them."""
    if workdir.exists():
        shutil.rmtree(workdir)
    pool, raw, lake = workdir / "pool", workdir / "raw", workdir / "lake"
    calendar = cal.build(days, seed, datetime.now(UTC).replace(minute=0, second=0, microsecond=0))
    generate(
        pool,
        songs=SONGS,
        events=events_per_day * cal.pool_days(calendar),
        seed=seed,
        start=cal.POOL_START,
        days=cal.pool_days(calendar),
    )
    _copy(pool, raw, "song_data")
    # The shared JVM starts here, with both JIT compilers: the C1-only setting a short run chooses
    # (`jit_choice`) keeps a code cache that months of runs in one JVM would fill.
    from sparkify.local.session import local_session

    local_session("sparkify-soak", quick_jit=False)
    results: list[DayResult] = []
    fresh_seconds = 60.0  # a fresh run's length until one is measured: when signals land
    for day in calendar:
        _deliver(day, pool, raw, workdir, seed)
        result = _run_day(day, raw, lake, pool, fresh_seconds)
        if day.how == cal.FRESH_PROCESS and result.ok:
            fresh_seconds = result.seconds
        if result.status == "succeeded":
            result.equal_to_recompute = _equal_to_recompute(raw, lake, workdir / "reference", result.problems)
            result.ok = result.ok and result.equal_to_recompute
        result.lake = _latest_health(lake, results)
        result.problems += _over_bounds(result.lake)
        result.ok = result.ok and not result.problems
        results.append(result)
        if on_day:
            on_day(result)
    summary = {
        "schema_version": schema_version("soak"),
        "days": days,
        "seed": seed,
        "events_per_day": events_per_day,
        "checks": _checks(results),
        "runs": [asdict(r) for r in results],
    }
    (workdir / "soak.json").write_text(json.dumps(summary, indent=2))
    return summary


def _copy(pool: Path, raw: Path, relative: str, as_name: str | None = None) -> None:
    source, target = pool / relative, raw / (as_name or relative)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def _deliver(day: cal.Day, pool: Path, raw: Path, workdir: Path, seed: int) -> None:
    for name in day.deliver:
        _copy(pool, raw, name)
    if day.replay[0]:
        _copy(raw, raw, day.replay[0], day.replay[1])
    for name in day.remove:
        (raw / name).unlink()
    if day.change:
        lines = (raw / day.change).read_text().splitlines()
        (raw / day.change).write_text("\n".join(lines[: max(1, len(lines) - 5)]))
    if day.bad_song or day.fix_song:
        _write_song(raw / BAD_SONG, duration=-5.0 if day.bad_song else 201.5)
    if day.big_file:
        _write_big_file(raw / day.big_file, workdir / "big", seed)


def _write_song(path: Path, duration: float) -> None:
    record = {
        "num_songs": 1, "artist_id": "ARZZZSOAK000000001", "artist_latitude": None, "artist_longitude": None,
        "artist_location": "", "artist_name": "Soak Test", "song_id": "SOZZZSOAK000000001", "title": "Late Fix",
        "duration": duration, "year": 2019,
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def _write_big_file(path: Path, scratch: Path, seed: int) -> None:
    """One day's log of more than 32 MB, on a day no other file holds (its events are new)."""
    events = 130_000
    while True:
        shutil.rmtree(scratch, ignore_errors=True)
        generate(scratch, songs=SONGS, events=events, seed=seed, start=cal.POOL_START.replace(year=2019), days=1)
        (made,) = (scratch / "log_data").rglob("*.json")
        if made.stat().st_size > BIG_FILE_BYTES:
            break
        events = int(events * 1.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(made, path)
    shutil.rmtree(scratch)


def _run_day(day: cal.Day, raw: Path, lake: Path, pool: Path, fresh_seconds: float) -> DayResult:
    before = _published_heads(lake)
    cpu_before = _cpu_seconds() if day.how == cal.IN_PROCESS else None
    start = time.perf_counter()
    report: dict[str, Any] | None
    if day.how in (cal.IN_PROCESS, cal.MODEL_BETWEEN):
        from sparkify.local.runner import run_pipeline

        with _model_between_judgement_and_publish(day, pool, raw, lake) if day.how == cal.MODEL_BETWEEN else _nothing():
            report = run_pipeline(raw, lake, run_date=day.run_date)
        code = 0 if report["status"] == "succeeded" else 1
    else:
        code = _run_process(day, raw, lake, fresh_seconds)
        report = _latest_report(lake)
    seconds = time.perf_counter() - start
    status = _status(code, report)
    result = DayResult(
        day.number, day.run_date.date().isoformat(), day.how, day.expect, status, True, round(seconds, 2)
    )
    if cpu_before is not None:
        result.cpu_seconds = round(_cpu_seconds() - cpu_before, 2)
    if report is not None and status not in ("killed",):
        result.steps = {s["name"]: s["seconds"] for s in report["steps"] if s["status"] in ("succeeded", "failed")}
    ended_early = day.expect in ("killed", "interrupted") and status == "succeeded"  # the run beat its signal
    if status != day.expect and not ended_early:
        why = _why(report) if status == "failed" else ""
        result.problems.append(f"expected {day.expect}, got {status} (exit {code}){why}")
    moved = _published_heads(lake) != before
    if status == "failed" and moved:
        result.problems.append("a failed run moved a published table")
    if status == "interrupted" and moved and (left := _waiting(lake)):
        # A stop waits for a publish to end: all of it or none of it.
        result.problems.append(f"an interrupted run published some tables and left {', '.join(left)} waiting")
    result.ok = not result.problems
    return result


def _why(report: dict[str, Any] | None) -> str:
    """The failed step and its error, from the run's report."""
    if report is None:
        return ": no run report"
    failed = [f"{s['name']}: {s.get('error') or 'failed'}" for s in report["steps"] if s["status"] == "failed"]
    return ": " + ("; ".join(failed) or report.get("error") or "no step failed")


def _status(code: int, report: dict[str, Any] | None) -> str:
    if code == -signal.SIGKILL:
        return "killed"
    if code in (130, 143) or (report is not None and report.get("status") == "interrupted"):
        return "interrupted"
    return "succeeded" if code == 0 else "failed"


def _run_process(day: cal.Day, raw: Path, lake: Path, fresh_seconds: float) -> int:
    """`sparkify run` in its own process (and process group, as a terminal or cron starts it); a
    signalled day gets its signal at its seeded share of a fresh run's seconds."""
    command = [sys.executable, "-m", "sparkify", "run", "--raw", str(raw), "--lake", str(lake),
               "--run-date", day.run_date.isoformat()]  # fmt: skip
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    if day.how in (cal.SIGKILL, cal.SIGINT):
        try:
            return run.wait(timeout=day.kill_at * fresh_seconds)
        except subprocess.TimeoutExpired:
            # Ctrl-C reaches the whole foreground group (the JVM too); a SIGKILL of the driver's
            # group is what an out-of-memory killer or a lost machine looks like.
            os.killpg(run.pid, signal.SIGKILL if day.how == cal.SIGKILL else signal.SIGINT)
    return run.wait()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


@contextmanager
def _model_between_judgement_and_publish(day: cal.Day, pool: Path, raw: Path, lake: Path) -> Iterator[None]:
    """A second writer between the suites' verdict and the publish: the next day's file arrives and
    its stage and model jobs run, as an overlapping workflow run would on AWS (a local run holds the
    lake's lock, so the soak calls the two jobs itself)."""
    from sparkify import pipeline
    from sparkify.job_args import JobArgs
    from sparkify.local.runner import lake_locations, load_job, new_run_id
    from sparkify.local.session import local_session
    from sparkify.quality import validation as quality

    judge = quality.validate_and_publish

    def judge_then_model(*args: Any, **kwargs: Any) -> Any:
        verdict = judge(*args, **kwargs)
        for name in day.mid_run:
            _copy(pool, raw, name)
        spark, locations, run_id = local_session(), lake_locations(raw.resolve(), lake.resolve()), new_run_id()
        for step in (pipeline.step("stage"), pipeline.step("model")):
            assert isinstance(step, pipeline.JobStep)
            load_job(step).run(spark, JobArgs(step, locations, run_id, run_date=day.run_date))
        return verdict

    quality.validate_and_publish = judge_then_model
    try:
        yield
    finally:
        quality.validate_and_publish = judge


def _latest_report(lake: Path) -> dict[str, Any] | None:
    latest = lake / LAKE_LAYOUT[Location.REPORTS] / LATEST_REPORT
    return json.loads(latest.read_text()) if latest.exists() else None


def _current_metadata(lake: Path) -> dict[str, dict[str, Any]]:
    """Each curated table's current metadata file, read as JSON (no Spark)."""
    found = {}
    for table in CURATED_TABLES:
        metadata = lake / "curated" / table.name / "metadata"
        hint = metadata / "version-hint.text"
        if hint.exists():
            found[table.name] = json.loads((metadata / f"v{hint.read_text().strip()}.metadata.json").read_text())
    return found


def _published_heads(lake: Path) -> dict[str, Any]:
    """Each curated table's published snapshot."""
    return {name: m.get("refs", {}).get("main", {}).get("snapshot-id") for name, m in _current_metadata(lake).items()}


def _waiting(lake: Path) -> list[str]:
    """The curated tables whose `audit` holds a snapshot `main` has not reached (its head is not `main`'s
    head nor one of its ancestors)."""
    left = []
    for name, metadata in sorted(_current_metadata(lake).items()):
        refs = {ref: r["snapshot-id"] for ref, r in metadata.get("refs", {}).items()}
        parents = {s["snapshot-id"]: s.get("parent-snapshot-id") for s in metadata.get("snapshots", [])}
        line, head = set(), refs.get("main")
        while head is not None and head not in line:
            line.add(head)
            head = parents.get(head)
        if refs.get("audit") is not None and refs["audit"] not in line:
            left.append(name)
    return left


def _equal_to_recompute(raw: Path, lake: Path, reference: Path, problems: list[str]) -> bool:
    """Every published curated table holds exactly the rows the DuckDB reference computes from the raw
    folder as it is now (order aside)."""
    from sparkify.bench.reference import run_reference
    from sparkify.lake import tables
    from sparkify.local.session import local_session, register_local_catalog

    run_reference(raw, reference)
    found = len(problems)
    spark = local_session()
    catalog = register_local_catalog(spark, lake.resolve())
    for table in CURATED_TABLES:
        ours = tables.read(spark, f"{catalog}.curated.{table.name}")
        theirs = spark.read.parquet(str(reference / "curated" / table.name))
        theirs = theirs.select([theirs[c].cast(ours.schema[c].dataType) for c in ours.columns])
        extra, missing = ours.exceptAll(theirs).count(), theirs.exceptAll(ours).count()
        if extra or missing:
            problems.append(f"{table.name}: {extra} rows the recompute lacks, {missing} rows missing")
    return len(problems) == found


def _latest_health(lake: Path, earlier: list[DayResult]) -> dict[str, dict[str, int]]:
    """Each owned table's health as the last run's upkeep measured it (a run that did not reach upkeep
    leaves the tables as they were)."""
    report = _latest_report(lake)
    if report and report.get("lake"):
        return dict(report["lake"])
    return dict(earlier[-1].lake) if earlier else {}


def _over_bounds(health: dict[str, dict[str, int]]) -> list[str]:
    problems = []
    for table, h in sorted(health.items()):
        if h["most_files_in_a_partition"] > MOST_FILES_IN_A_PARTITION:
            problems.append(
                f"{table}: {h['most_files_in_a_partition']} files in one partition (bound {MOST_FILES_IN_A_PARTITION})"
            )
        if h["metadata_files"] > MOST_METADATA_FILES:
            problems.append(f"{table}: {h['metadata_files']} metadata files (bound {MOST_METADATA_FILES})")
    return problems


def _cpu_seconds() -> float:
    """CPU seconds spent so far by this process and the Spark driver's JVM (Linux's /proc): what a run
    costs, whatever else the machine runs at the time (its wall-clock seconds stretch with the load)."""
    from sparkify.local.session import local_session

    jvm = local_session()._jvm
    assert jvm is not None
    fields = Path(f"/proc/{jvm.java.lang.ProcessHandle.current().pid()}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return time.process_time() + (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def _checks(results: list[DayResult]) -> dict[str, Any]:
    """Over the whole soak: every day as expected and equal to the recompute, and the cost of an
    ordinary day late in the soak against one early, in CPU seconds (medians of five in-process days,
    so one slow day is not the verdict)."""
    ordinary = [r for r in results if r.how == cal.IN_PROCESS and r.status == "succeeded"]
    early, late = ordinary[5:10], ordinary[-5:]
    growth = None
    if len(ordinary) >= 20:
        growth = round(_median_cpu(late) / _median_cpu(early), 3)
    return {
        "every_day_as_expected": all(r.ok for r in results),
        "failed_days": [r.day for r in results if not r.ok],
        "published_states_compared": sum(r.equal_to_recompute is not None for r in results),
        "early_median_seconds": round(statistics.median(r.seconds for r in early), 2) if early else None,
        "late_median_seconds": round(statistics.median(r.seconds for r in late), 2) if late else None,
        "early_median_cpu_seconds": round(_median_cpu(early), 2) if early else None,
        "late_median_cpu_seconds": round(_median_cpu(late), 2) if late else None,
        "cost_growth": growth,
        "cost_growth_bound": COST_GROWTH,
        "cost_within_bound": growth is None or growth <= COST_GROWTH,
        "fresh_process_seconds": [r.seconds for r in results if r.how == cal.FRESH_PROCESS],
    }


def _median_cpu(days: list[DayResult]) -> float:
    return statistics.median(r.cpu_seconds or 0.0 for r in days)

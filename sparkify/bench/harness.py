"""The benchmark: our local workflow against the DuckDB reference, at several data sizes.

For each size: generate raw data once (seeded, cached under the data folder, so reruns skip it), then
`repeat` times run our workflow, the reference and Spark's floor (`sparkify.bench.floor`: the same
transform as plain Spark), in turn, each in a fresh process (`sparkify.bench.worker`), so interpreter
and Spark start-up count and each run's peak memory is its own.
Every run's row counts per table and per source must equal the reference's: a mismatch stops the
benchmark (`CountMismatch`). Medians of the repeats go into a JSON document (see `RESULT_KEYS`).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sparkify import pipeline

SEED = 42
DEFAULT_DATA = pipeline.REPO_ROOT / "bench" / "data"
DEFAULT_RESULTS = pipeline.REPO_ROOT / "bench" / "results"
# Steps of our workflow timed separately; `start-up` is the rest of the process's wall time
# (interpreter, imports, Spark session and JVM start and stop, writing the run report).
STEPS = tuple(s.name for s in pipeline.job_steps())
# What both sides count per raw source (our report also has `files` and `unknown_fields`).
SOURCE_COUNTS = ("read", "staged", "quarantined")
RESULT_KEYS = ("schema", "started_at", "finished_at", "command", "machine", "code", "repeat", "seed", "sizes")
SIZE_KEYS = (
    "name", "songs", "events", "input_records", "generate", "rows", "sources", "ours", "reference",
    "ratio", "ge_share", "rows_per_second", "output_files", "floor", "floor_ratio", "ratio_to_floor",
)  # fmt: skip


@dataclass(frozen=True)
class Size:
    name: str
    songs: int  # song files
    events: int  # log events


# S is the real production size; L is run on demand only (tens of minutes, about 15 GB of raw JSON).
SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size("XS", 300, 3_000),  # the CI smoke size
        Size("S", 14_896, 8_056),
        Size("M", 14_896, 1_000_000),
        Size("L", 150_000, 10_000_000),
    )
}


class BenchError(RuntimeError):
    """A run failed, or its output does not agree with the reference."""


class CountMismatch(BenchError):
    """Our row counts differ from the reference's on the same data."""


def parse_size(text: str) -> Size:
    """A named size (XS, S, M, L) or `SONGSxEVENTS`, e.g. `300x3000`."""
    key = text.strip()
    if key.upper() in SIZES:
        return SIZES[key.upper()]
    songs, sep, events = key.lower().replace("_", "").partition("x")
    if sep and songs.isdigit() and events.isdigit():
        return Size(key, int(songs), int(events))
    raise ValueError(f"unknown size {text!r}: use one of {', '.join(SIZES)} or SONGSxEVENTS (e.g. 300x3000)")


# --- Data ------------------------------------------------------------------------------------------------


def dataset(data_dir: Path, size: Size, seed: int = SEED) -> tuple[Path, dict[str, Any]]:
    """The raw folder of a size, generated on first use. `generated.json` marks a complete generation."""
    from sparkify.synthetic.generate import generate

    folder = Path(data_dir) / f"songs{size.songs}-events{size.events}-seed{seed}"
    raw, marker = folder / "raw", folder / "generated.json"
    if marker.is_file():
        return raw, json.loads(marker.read_text())
    start = time.perf_counter()
    summary = generate(raw, songs=size.songs, events=size.events, seed=seed, force=True)
    info = {k: v for k, v in asdict(summary).items() if k != "out"}
    info["seconds"] = round(time.perf_counter() - start, 2)
    marker.write_text(json.dumps(info, indent=2))
    return raw, info


# --- One measured run ----------------------------------------------------------------------------------


def measure(kind: str, raw: Path, out: Path, log: Path) -> dict[str, Any]:
    """Run the worker once in a fresh process; its result plus `wall` seconds and `peak_rss_mb`.

    Peak memory is the largest resident set of the worker or any process it waited for (the JVM),
    from `wait4`'s resource usage of that one child.
    """
    result_file = out.with_name(out.name + ".result.json")
    for stale in (out, result_file):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    command = [sys.executable, "-m", "sparkify.bench.worker", kind, str(raw), str(out), str(result_file)]
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as log_file:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not result_file.is_file():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise BenchError(f"{kind} run on {raw} exited with {proc.returncode}; log {log}:\n{tail}")
    result: dict[str, Any] = json.loads(result_file.read_text())
    result["wall"] = wall
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return result


def _summary(measured: dict[str, Any], steps: dict[str, float], rows: dict[str, int]) -> dict[str, Any]:
    """One run, the same shape for both sides; `start-up` is the wall time outside the timed steps."""
    return {
        "wall": measured["wall"],
        "steps": {"start-up": measured["wall"] - sum(steps.values()), **steps},
        "peak_rss_mb": measured["peak_rss_mb"],
        "rows": rows,
        "sources": measured["sources"],
    }


def _ours_summary(report: dict[str, Any]) -> dict[str, Any]:
    if report.get("status") != "succeeded":
        failed = [f"{s['name']}: {s['error']}" for s in report["steps"] if s["status"] == "failed"]
        raise BenchError(f"our workflow failed: {'; '.join(failed) or report.get('status')}")
    steps = {s["name"]: s["seconds"] for s in report["steps"] if s["name"] in STEPS}
    return _summary(report, steps, {name: info["rows"] for name, info in report["tables"].items()})


def _reference_summary(result: dict[str, Any]) -> dict[str, Any]:
    return _summary(result, result["steps"], result["rows"])


def _floor_summary(measured: dict[str, Any]) -> dict[str, Any]:
    steps = measured["steps"]
    return {
        "wall": measured["wall"],
        "steps": {"start-up": measured["wall"] - sum(steps.values()), **steps},
        "peak_rss_mb": measured["peak_rss_mb"],
    }


def check_counts(ours: dict[str, Any], reference: dict[str, Any], where: str) -> None:
    """Rows per curated table and (read, staged, quarantined) per source must be equal."""
    problems = [
        f"{table}: ours {ours['rows'].get(table)} vs DuckDB {reference['rows'].get(table)}"
        for table in sorted(set(ours["rows"]) | set(reference["rows"]))
        if ours["rows"].get(table) != reference["rows"].get(table)
    ]

    def counted(sources: dict[str, Any], source: str) -> dict[str, Any] | None:
        counts = sources.get(source)
        return None if counts is None else {k: counts.get(k) for k in SOURCE_COUNTS}

    problems += [
        f"source {source}: ours {counted(ours['sources'], source)} vs DuckDB {counted(reference['sources'], source)}"
        for source in sorted(set(ours["sources"]) | set(reference["sources"]))
        if counted(ours["sources"], source) != counted(reference["sources"], source)
    ]
    if problems:
        raise CountMismatch(f"row counts differ from the DuckDB reference on {where}: " + "; ".join(problems))


def output_files(root: Path) -> dict[str, dict[str, int]]:
    """Data files and partitions (folders holding data files) per table folder under `root`.

    Folders starting with `_` or `.` are bookkeeping (`_state`, `_checkpoints`, a parked `.prev`), not tables."""
    counts: dict[str, dict[str, int]] = {}
    tables = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))] if root.is_dir() else []
    for table in sorted(tables):
        files = [p for p in table.rglob("*.parquet") if p.is_file()]
        counts[table.name] = {"files": len(files), "partitions": len({p.parent for p in files})}
    return counts


# --- The benchmark ------------------------------------------------------------------------------------


def _median(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    steps = runs[0]["steps"]
    return {
        "wall": round(statistics.median(r["wall"] for r in runs), 2),
        "steps": {name: round(statistics.median(r["steps"][name] for r in runs), 2) for name in steps},
        "peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
    }


def _rounded(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "wall": round(run["wall"], 2),
        "steps": {k: round(v, 2) for k, v in run["steps"].items()},
        "peak_rss_mb": run["peak_rss_mb"],
    }


Progress = Callable[[str], None]


def bench_size(size: Size, repeat: int, data_dir: Path, seed: int, progress: Progress) -> dict[str, Any]:
    progress(f"{size.name}: data ({size.songs:,} song files, {size.events:,} events)")
    raw, generated = dataset(data_dir, size, seed)
    work = Path(data_dir) / "runs" / size.name
    ours_runs: list[dict[str, Any]] = []
    reference_runs: list[dict[str, Any]] = []
    floor_runs: list[dict[str, Any]] = []
    files: dict[str, Any] = {}
    for i in range(1, repeat + 1):
        progress(f"{size.name}: our workflow, run {i}/{repeat}")
        lake = work / "lake"
        ours = _ours_summary(measure("ours", raw, lake, work / f"ours-{i}.log"))
        files = {"curated": output_files(lake / "curated"), "staging": output_files(lake / "staging")}
        shutil.rmtree(lake)
        progress(f"{size.name}: DuckDB reference, run {i}/{repeat}")
        reference = _reference_summary(measure("reference", raw, work / "reference", work / f"reference-{i}.log"))
        shutil.rmtree(work / "reference")
        progress(f"{size.name}: Spark's floor, run {i}/{repeat}")
        floor_runs.append(_floor_summary(measure("floor", raw, work / "floor", work / f"floor-{i}.log")))
        shutil.rmtree(work / "floor")
        check_counts(ours, reference, f"size {size.name} run {i}")
        ours_runs.append(ours)
        reference_runs.append(reference)
    ours_median, reference_median, floor_median = _median(ours_runs), _median(reference_runs), _median(floor_runs)
    validate = ours_median["steps"].get("validate", 0.0)
    return {
        "name": size.name,
        "songs": size.songs,
        "events": size.events,
        "input_records": size.songs + size.events,
        "generate": generated,
        "rows": ours_runs[0]["rows"],
        "sources": ours_runs[0]["sources"],
        "ours": {"median": ours_median, "runs": [_rounded(r) for r in ours_runs]},
        "reference": {"median": reference_median, "runs": [_rounded(r) for r in reference_runs]},
        "floor": {"median": floor_median, "runs": [_rounded(r) for r in floor_runs]},
        "ratio": round(ours_median["wall"] / reference_median["wall"], 2),
        # Spark's own distance from the reference, and ours from Spark's (`sparkify.bench.floor`).
        "floor_ratio": round(floor_median["wall"] / reference_median["wall"], 2),
        "ratio_to_floor": round(ours_median["wall"] / floor_median["wall"], 2),
        "ge_share": round(validate / ours_median["wall"], 3),
        "rows_per_second": {
            "ours": round((size.songs + size.events) / ours_median["wall"]),
            "reference": round((size.songs + size.events) / reference_median["wall"]),
        },
        "output_files": files,
    }


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "load_average": [round(x, 2) for x in load],
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def code_version() -> dict[str, Any]:
    """The commit benchmarked and whether the tree had local changes (read-only git commands)."""
    import duckdb
    import pyspark

    info: dict[str, Any] = {"pyspark": pyspark.__version__, "duckdb": duckdb.__version__}
    try:

        def git(*args: str) -> str:
            return subprocess.run(
                ["git", *args], cwd=pipeline.REPO_ROOT, capture_output=True, text=True, check=True, timeout=30
            ).stdout.strip()

        info["commit"] = git("rev-parse", "HEAD")
        info["dirty"] = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        info["commit"], info["dirty"] = None, None
    return info


def run_benchmark(
    sizes: Sequence[Size],
    repeat: int = 3,
    data_dir: Path = DEFAULT_DATA,
    seed: int = SEED,
    progress: Progress | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Benchmark every size; the result document (not yet written anywhere)."""
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    say = progress or (lambda message: None)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    machine_before = machine()
    results = [bench_size(size, repeat, Path(data_dir), seed, say) for size in sizes]
    machine_info = machine_before | {"load_average_after": machine()["load_average"]}
    return {
        "schema": 1,
        "started_at": started,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command or " ".join(sys.argv),
        "machine": machine_info,
        "code": code_version(),
        "repeat": repeat,
        "seed": seed,
        "sizes": results,
    }


def write_results(result: dict[str, Any], out: Path | None = None, results_dir: Path = DEFAULT_RESULTS) -> list[Path]:
    """`out` when given; otherwise `<results_dir>/<timestamp>.json` and `<results_dir>/latest.json`."""
    text = json.dumps(result, indent=2)
    if out is not None:
        targets = [Path(out)]
    else:
        stamp = result["started_at"].replace(":", "").replace("-", "").replace("+0000", "Z")
        targets = [Path(results_dir) / f"{stamp}.json", Path(results_dir) / "latest.json"]
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return targets

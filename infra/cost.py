"""What one workflow run costs, derived from measured throughput and the stack's workers (us-east-1 list prices).

    seconds of a job  = Glue start-up (+ wheel install for validate) + fixed work
                        + records × core-seconds per record ÷ executor cores
    cost of a job     = DPUs × max(seconds, 60) / 3600 × $ per DPU-hour (STANDARD $0.44, FLEX $0.29)

Fixed work and core-seconds per record come from `sparkify bench` (bench/results/latest.json): a straight
line through each step's median seconds at the benchmark's sizes, times the benchmark machine's cores.
Executor cores: every worker but the driver's, 4 vCPU per DPU. Glue bills per second with a 1-minute
minimum (https://aws.amazon.com/glue/pricing/). The raw crawler runs on demand, outside the workflow, so a
run pays for no crawler. S3, CloudWatch, KMS, Lambda and Athena charges are extra: cents a month here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infra.config import StackConfig
from sparkify import pipeline
from sparkify.glue_pricing import DPU_HOUR_USD, JOB_MINIMUM_MINUTES, WORKER_DPU

VCPUS_PER_DPU = 4
# Glue 5.x start-up before the script runs (AWS quotes "under 10 s" to tens of seconds; Flex may wait for
# capacity first, which is not billed). Not measurable here: an assumption, stated, to check with
# `sparkify status` after the first runs.
GLUE_STARTUP_SECONDS = 30.0
# Installing the validate job's 26 wheels (16.6 MB) with pip, bytecode compiled, measured here:
# `pip install --no-deps --no-index --target DIR .wheels/*.whl` took 4.3 s (1.8 s without bytecode).
VALIDATION_INSTALL_SECONDS = 4.3
BENCH_RESULTS = pipeline.REPO_ROOT / "bench" / "results" / "latest.json"

# Records (song files + events) of the sizes docs/deploy.md prices.
SIZES: dict[str, int] = {"sample": 71 + 8_056, "1M events": 14_896 + 1_000_000, "10M events": 150_000 + 10_000_000}


@dataclass(frozen=True)
class Throughput:
    """One step's measured cost: seconds it takes regardless of size, and core-seconds per input record."""

    fixed_seconds: float
    core_seconds_per_record: float


def throughput_from_bench(path: Path = BENCH_RESULTS) -> dict[str, Throughput]:
    """A least-squares line through each job step's median seconds over the benchmark's sizes."""
    results = json.loads(path.read_text())
    cores = int(results["machine"]["cpus"])
    points = [(size["input_records"], size["ours"]["median"]["steps"]) for size in results["sizes"]]
    if len(points) < 2:
        raise ValueError(f"{path}: need two benchmark sizes to tell fixed from per-record time, found {len(points)}")
    fitted: dict[str, Throughput] = {}
    for step in pipeline.job_steps():
        xs = [float(records) for records, _ in points]
        ys = [float(steps[step.name]) for _, steps in points]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mean_x) ** 2 for x in xs
        )
        slope = max(slope, 0.0)
        fitted[step.name] = Throughput(max(mean_y - slope * mean_x, 0.0), slope * cores)
    return fitted


@dataclass(frozen=True)
class StepCost:
    step: str
    dpus: float
    minutes: float
    usd: float


@dataclass(frozen=True)
class RunCost:
    steps: tuple[StepCost, ...]

    @property
    def usd(self) -> float:
        return sum(s.usd for s in self.steps)


def executor_cores(worker_type: str, workers: int) -> float:
    return (workers - 1) * WORKER_DPU[worker_type] * VCPUS_PER_DPU


def estimate_run_cost(cfg: StackConfig, records: int, throughput: Mapping[str, Throughput] | None = None) -> RunCost:
    """Cost of one workflow run that brings `records` new raw records."""
    throughput = throughput_from_bench() if throughput is None else throughput
    steps: list[StepCost] = []
    for step in pipeline.job_steps():
        settings = cfg.jobs[step.name]
        measured = throughput[step.name]
        cores = executor_cores(settings.worker_type, settings.number_of_workers)
        install = VALIDATION_INSTALL_SECONDS if pipeline.Location.EXPECTATIONS in step.locations else 0.0
        seconds = (
            GLUE_STARTUP_SECONDS + install + measured.fixed_seconds + records * measured.core_seconds_per_record / cores
        )
        minutes = max(seconds / 60, JOB_MINIMUM_MINUTES)
        usd = settings.dpus * minutes / 60 * DPU_HOUR_USD[settings.execution_class]
        steps.append(StepCost(step.name, settings.dpus, minutes, usd))
    return RunCost(tuple(steps))

"""What a stack costs: each workflow run, from measured throughput and the stack's workers, and each month
before any run. us-east-1 list prices.

Per run, for each job:

    seconds     = Glue start-up (+ wheel install for validate) + fixed work
                  + records × core-seconds per record ÷ executor cores
    DPUs        = DPUs × max(seconds, 60) / 3600 × $ per DPU-hour (STANDARD $0.44, FLEX $0.29)
    metrics     = 72 metric series × the hours the run spans × $0.30 / 730 (CloudWatch custom metrics)
    logs        = 5 MB of log lines × $0.50 per GB ingested

Fixed work and core-seconds per record come from `sparkify bench` (bench/results/latest.json): a straight
line through each step's median seconds at the benchmark's sizes, times the benchmark machine's cores.
Executor cores: every worker but the driver's, 4 vCPU per DPU. Glue bills per second with a 1-minute
minimum (https://aws.amazon.com/glue/pricing/). The raw crawler runs on demand, outside the workflow, so a
run pays for no crawler.

Per month, before any run: the stack's KMS key, its alarms, the Data Docs' WAF web ACL (with CloudFront),
and the logs kept (`sparkify:logRetentionDays`) of a daily run on a scheduled stack. Left out, each cents
or less here: S3 storage and requests, Lambda and EventBridge (a few invocations a run), the router's one
metric-hour a successful run, Athena scans ($5 per TB) and CloudFront requests.
"""

from __future__ import annotations

import json
import math
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
# Installing the validate job's 27 wheels (51.9 MB, scipy among them) as Glue does, bytecode compiled:
# `pip install --no-deps --no-index --target DIR .wheels/*.whl` took 14.1, 10.2 + 3.9 and 12.3 + 6.1 s of
# CPU (user + sys; median 17.0 s) on this machine; its wall time, 34-45 s, was measured at a load of 17 on
# 2 cores, so the CPU time stands for an idle worker's wall time (pip installs on one core).
VALIDATION_INSTALL_SECONDS = 17.0
BENCH_RESULTS = pipeline.REPO_ROOT / "bench" / "results" / "latest.json"

# CloudWatch custom metrics: $0.30 a metric-month for the first 10,000, prorated by the hour; alarms $0.10
# a month each (standard resolution); Logs $0.50 per GB ingested, $0.03 per GB-month stored.
# https://aws.amazon.com/cloudwatch/pricing/
METRIC_MONTH_USD = 0.30
HOURS_PER_MONTH = 730
ALARM_MONTH_USD = 0.10
LOG_INGESTED_GB_USD = 0.50
LOG_STORED_GB_MONTH_USD = 0.03
# A customer-managed KMS key: $1 a month. https://aws.amazon.com/kms/pricing/
KMS_KEY_MONTH_USD = 1.00
# WAF: $5 a web ACL and $1 a rule, a month. https://aws.amazon.com/waf/pricing/
WAF_WEB_ACL_MONTH_USD = 5.00
WAF_RULE_MONTH_USD = 1.00
DOCS_WAF_RULES = 1  # allow the listed networks (infra/docs_site.py)
# `--enable-observability-metrics`: 36 metrics (2 reliability, 2 skewness, 25 memory, disk and worker
# utilization, 7 throughput: https://docs.aws.amazon.com/glue/latest/dg/monitor-observability.html),
# published for the job run's id and for ALL. An assumption from AWS's list, to check in CloudWatch.
METRIC_SERIES_PER_JOB_RUN = 36 * 2
# Log lines a job run writes (driver and executors, Spark at INFO): not measurable here, an assumption.
LOG_MB_PER_JOB_RUN = 5.0
# A scheduled stack's runs a month, for the stored logs: both stack files run daily.
SCHEDULED_RUNS_PER_MONTH = 30

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
    minutes: float  # billed: at least the 1-minute minimum
    usd: float  # the DPUs
    metrics_usd: float
    logs_usd: float


@dataclass(frozen=True)
class RunCost:
    steps: tuple[StepCost, ...]

    @property
    def dpu_usd(self) -> float:
        return sum(s.usd for s in self.steps)

    @property
    def metrics_usd(self) -> float:
        return sum(s.metrics_usd for s in self.steps)

    @property
    def logs_usd(self) -> float:
        return sum(s.logs_usd for s in self.steps)

    @property
    def usd(self) -> float:
        return self.dpu_usd + self.metrics_usd + self.logs_usd


def executor_cores(worker_type: str, workers: int) -> float:
    return (workers - 1) * WORKER_DPU[worker_type] * VCPUS_PER_DPU


def job_run_metrics_usd(seconds: float) -> float:
    """The job's observability metrics: each series is billed for every hour it receives data in (a run
    that crosses an hour boundary pays two; the estimate counts whole hours from the run's length)."""
    hours = max(math.ceil(seconds / 3600), 1)
    return METRIC_SERIES_PER_JOB_RUN * hours * METRIC_MONTH_USD / HOURS_PER_MONTH


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
        logs = LOG_MB_PER_JOB_RUN / 1024 * LOG_INGESTED_GB_USD
        steps.append(StepCost(step.name, settings.dpus, minutes, usd, job_run_metrics_usd(seconds), logs))
    return RunCost(tuple(steps))


def alarm_count(cfg: StackConfig) -> int:
    """The stack's alarms (infra/alerting.py): undelivered alerts, and on a scheduled stack no successful run."""
    return 2 if cfg.schedule_enabled else 1


def monthly_fixed_cost(cfg: StackConfig) -> dict[str, float]:
    """What the stack costs a month whether or not it runs, by item; a scheduled stack's stored logs too."""
    runs = SCHEDULED_RUNS_PER_MONTH if cfg.schedule_enabled else 0
    # Kept `log_retention_days`, a run a day: runs a day × jobs × MB × days.
    stored_mb = runs / 30 * len(pipeline.job_steps()) * LOG_MB_PER_JOB_RUN * cfg.log_retention_days
    items = {
        "KMS key": KMS_KEY_MONTH_USD,
        "alarms": alarm_count(cfg) * ALARM_MONTH_USD,
        "log storage": stored_mb / 1024 * LOG_STORED_GB_MONTH_USD,
    }
    if cfg.docs_cloudfront:
        items["WAF web ACL"] = WAF_WEB_ACL_MONTH_USD + DOCS_WAF_RULES * WAF_RULE_MONTH_USD
    return items

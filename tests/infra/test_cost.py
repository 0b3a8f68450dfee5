"""The cost estimate: measured throughput → job minutes → dollars per run, with what else each run turns on
(the jobs' CloudWatch metrics, their log lines), and what a stack costs a month before any run (the key,
the alarms, the docs' web ACL, stored logs), checked against figures worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.config import from_mapping
from infra.cost import Throughput, estimate_run_cost, executor_cores, monthly_fixed_cost, throughput_from_bench
from tests.infra.conftest import HARDENED_OVERRIDES, Rendered, stack_config

# What every job run adds besides its DPUs, worked out by hand from AWS's list prices:
# 36 observability metrics (monitor-observability.html), for the run's id and for ALL, each billed
# $0.30 a metric-month prorated by the hour (730 hours): 72 metric-hours a job run under an hour.
METRICS_PER_JOB_RUN = 72 * 0.30 / 730
# 5 MB of log lines a job run (an assumption), ingested at $0.50 a GB.
LOGS_PER_JOB_RUN = 5 / 1024 * 0.50

# Round figures, so the arithmetic below can be followed by hand.
MEASURED = {
    "stage": Throughput(fixed_seconds=20, core_seconds_per_record=0.0001),
    "model": Throughput(fixed_seconds=10, core_seconds_per_record=0.00002),
    "validate": Throughput(fixed_seconds=10, core_seconds_per_record=0.00002),
}


def test_throughput_is_a_line_through_the_benchmark_sizes(tmp_path: Path) -> None:
    bench = {
        "machine": {"cpus": 2},
        "sizes": [
            {"input_records": 10_000, "ours": {"median": {"steps": {"stage": 11.0, "model": 5.0, "validate": 8.0}}}},
            {
                "input_records": 1_010_000,
                "ours": {"median": {"steps": {"stage": 31.0, "model": 15.0, "validate": 8.0}}},
            },
        ],
    }
    path = tmp_path / "latest.json"
    path.write_text(json.dumps(bench))
    fitted = throughput_from_bench(path)
    # stage: 20 s per 1M records on 2 cores = 4e-5 core-seconds a record; 11 - 10,000 × 2e-5 = 10.8 s fixed.
    assert fitted["stage"].fixed_seconds == pytest.approx(10.8)
    assert fitted["stage"].core_seconds_per_record == pytest.approx(4e-5)
    assert fitted["model"].core_seconds_per_record == pytest.approx(2e-5)
    assert fitted["validate"] == Throughput(8.0, 0.0)


def test_executor_cores_leave_out_the_driver() -> None:
    assert executor_cores("G.1X", 2) == 4
    assert executor_cores("G.2X", 5) == 32


def test_dev_run_of_a_million_records_on_flex_workers() -> None:
    cost = estimate_run_cost(from_mapping(stack_config("dev"), "dev"), 1_000_000, MEASURED)
    # 2 × G.1X: 4 executor cores. stage: 30 + 20 + 1M × 1e-4 / 4 = 75 s; model: 30 + 10 + 5 = 45 s, billed as
    # the 1-minute minimum; validate: 30 + 17 (installing its wheels) + 10 + 5 = 62 s.
    assert [(s.step, s.dpus, round(s.minutes, 4)) for s in cost.steps] == [
        ("stage", 2, 1.25),
        ("model", 2, 1.0),
        ("validate", 2, round(62 / 60, 4)),
    ]
    # 2 DPU × (1.25 + 1 + 62/60) min / 60 × $0.29
    dpu = 2 * (2.25 + 62 / 60) / 60 * 0.29
    assert cost.dpu_usd == pytest.approx(dpu)
    assert cost.metrics_usd == pytest.approx(3 * METRICS_PER_JOB_RUN)
    assert cost.logs_usd == pytest.approx(3 * LOGS_PER_JOB_RUN)
    assert cost.usd == pytest.approx(dpu + 3 * (METRICS_PER_JOB_RUN + LOGS_PER_JOB_RUN))
    # The metrics cost more than the DPUs of a small Flex run: one metrics switch, not two.
    assert cost.metrics_usd > cost.dpu_usd


def test_prod_run_of_ten_million_records_on_standard_workers() -> None:
    cost = estimate_run_cost(from_mapping(stack_config("prod"), "prod"), 10_000_000, MEASURED)
    # stage 4 × G.1X (12 cores): 30 + 20 + 1000/12 s; model 6 × G.1X (20 cores): 30 + 10 + 200/20 s;
    # validate 4 × G.1X: 30 + 17 (installing its wheels) + 10 + 200/12 = 73.7 s.
    stage, model, validate = (50 + 1000 / 12) / 60, 1.0, (57 + 200 / 12) / 60
    assert [round(s.minutes, 6) for s in cost.steps] == [round(stage, 6), model, round(validate, 6)]
    assert cost.dpu_usd == pytest.approx((4 * stage + 6 * model + 4 * validate) / 60 * 0.44)
    assert cost.usd == pytest.approx(cost.dpu_usd + 3 * (METRICS_PER_JOB_RUN + LOGS_PER_JOB_RUN))


def test_a_job_run_across_an_hour_pays_two_metric_hours() -> None:
    slow = {**MEASURED, "stage": Throughput(fixed_seconds=3600, core_seconds_per_record=0.0)}
    cost = estimate_run_cost(from_mapping(stack_config("prod"), "prod"), 100, slow)
    assert cost.metrics_usd == pytest.approx(4 * METRICS_PER_JOB_RUN)  # stage: 30 + 3600 s → 2 hours


def test_a_month_before_any_run() -> None:
    # prod: the stack key $1, two alarms at $0.10, and the logs of a daily run kept 90 days: 3 job runs
    # × 5 MB × 90 days = 1350 MB stored at $0.03 a GB-month.
    prod = monthly_fixed_cost(from_mapping(stack_config("prod"), "prod"))
    assert prod == pytest.approx({"KMS key": 1.00, "alarms": 0.20, "log storage": 1350 / 1024 * 0.03})
    # dev: one alarm, no schedule (no run assumed); with CloudFront, a WAF web ACL with one rule ($5 + $1).
    dev = monthly_fixed_cost(from_mapping(stack_config("dev"), "dev"))
    assert dev == pytest.approx({"KMS key": 1.00, "alarms": 0.10, "log storage": 0.0})
    hardened = monthly_fixed_cost(from_mapping({**stack_config("dev"), **HARDENED_OVERRIDES}, "dev"))
    assert hardened["WAF web ACL"] == pytest.approx(6.00)


def test_a_run_pays_for_no_crawler() -> None:
    cost = estimate_run_cost(from_mapping(stack_config("prod"), "prod"), 100, MEASURED)
    assert [s.step for s in cost.steps] == ["stage", "model", "validate"]


def test_the_estimates_from_the_committed_benchmark_are_stack_outputs(stack: Rendered) -> None:
    cfg = from_mapping(stack_config(stack.stack), stack.stack)
    exported = stack.exports["estimated_usd_per_run"]
    assert sorted(exported) == ["10M events", "1M events", "sample"]
    # Small runs cost every job's 1-minute minimum: 3 × DPUs / 60 × rate, and what every job run adds.
    minimum = (
        sum(s.dpus for s in estimate_run_cost(cfg, 0, MEASURED).steps) / 60 * (0.29 if stack.stack == "dev" else 0.44)
    )
    assert exported["sample"] == round(minimum + 3 * (METRICS_PER_JOB_RUN + LOGS_PER_JOB_RUN), 3)
    assert exported["sample"] <= exported["1M events"] <= exported["10M events"]
    # Before any run: the key and the alarms; prod's daily logs kept 90 days.
    assert stack.exports["estimated_usd_fixed_per_month"] == {"dev": 1.10, "prod": 1.24}[stack.stack]

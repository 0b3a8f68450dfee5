"""The cost-per-run estimate, checked against figures worked out by hand."""

from __future__ import annotations

import pytest

from infra.config import from_mapping
from infra.cost import estimate_run_cost
from tests.infra.conftest import Rendered, stack_config


def test_dev_run_costs_flex_workers_plus_one_crawler_minimum() -> None:
    cost = estimate_run_cost(from_mapping(stack_config("dev"), "dev"))
    # 3 jobs x 2 G.1X DPU x 5/60 h x $0.29 = $0.145; crawler 2 DPU x 10/60 h x $0.44 = $0.14667
    assert [(s.step, s.dpus, s.minutes) for s in cost.steps] == [
        ("stage", 2, 5),
        ("model", 2, 5),
        ("validate", 2, 5),
        ("catalog", 2, 10),
    ]
    assert cost.usd == pytest.approx(0.145 + 0.146667, abs=1e-5)


def test_prod_run_costs_standard_workers() -> None:
    cost = estimate_run_cost(from_mapping(stack_config("prod"), "prod"))
    # (4 + 6 + 4) DPU x 5/60 h x $0.44 = $0.51333; crawler $0.14667
    assert cost.usd == pytest.approx(0.513333 + 0.146667, abs=1e-5)


def test_short_jobs_are_billed_their_one_minute_minimum() -> None:
    cost = estimate_run_cost(from_mapping(stack_config("prod"), "prod"), job_minutes=0.25)
    stage = cost.steps[0]
    assert stage.minutes == 1
    assert stage.usd == pytest.approx(4 * 1 / 60 * 0.44)


def test_the_estimate_is_a_stack_output(stack: Rendered) -> None:
    assert stack.exports["estimated_usd_per_run"] == {"dev": 0.29, "prod": 0.66}[stack.stack]

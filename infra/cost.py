"""What one workflow run costs, estimated from the stack's configured workers (us-east-1 list prices).

Glue Spark jobs: $0.44 per DPU-hour (Flex: $0.29), billed per second with a 1-minute minimum.
Crawlers: $0.44 per DPU-hour with a 10-minute minimum per run. https://aws.amazon.com/glue/pricing/
S3, CloudWatch, KMS and Athena charges are extra and, at Sparkify's size, cents a month.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.config import StackConfig
from sparkify import pipeline

DPU_HOUR_USD = {"STANDARD": 0.44, "FLEX": 0.29}
CRAWLER_DPU_HOUR_USD = 0.44
JOB_MINIMUM_MINUTES = 1.0
CRAWLER_MINIMUM_MINUTES = 10.0
# AWS sizes crawler runs itself; its pricing example bills a crawler at 2 DPUs. An assumption, stated.
CRAWLER_DPUS = 2.0
# A run of each job on the Sparkify sample, start-up included: an assumption to replace with measured times.
DEFAULT_JOB_MINUTES = 5.0


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


def estimate_run_cost(cfg: StackConfig, job_minutes: float = DEFAULT_JOB_MINUTES) -> RunCost:
    """Cost of one workflow run: every job step at `job_minutes`, every crawler step at its minimum."""
    steps: list[StepCost] = []
    for step in pipeline.STEPS:
        if isinstance(step, pipeline.JobStep):
            settings = cfg.jobs[step.name]
            minutes = max(job_minutes, JOB_MINIMUM_MINUTES)
            rate = DPU_HOUR_USD[settings.execution_class]
            steps.append(StepCost(step.name, settings.dpus, minutes, settings.dpus * minutes / 60 * rate))
        else:
            minutes = CRAWLER_MINIMUM_MINUTES
            steps.append(StepCost(step.name, CRAWLER_DPUS, minutes, CRAWLER_DPUS * minutes / 60 * CRAWLER_DPU_HOUR_USD))
    return RunCost(tuple(steps))

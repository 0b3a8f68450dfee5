"""What AWS Glue bills, as the stack's cost estimate (`infra/cost.py`) and `sparkify status` (the cost of
each past run) both price it. us-east-1 list prices; https://aws.amazon.com/glue/pricing/."""

from __future__ import annotations

# Data Processing Units per worker of the Glue 5.1 Spark worker types a batch job may use.
# https://docs.aws.amazon.com/glue/latest/dg/add-job.html (G.025X is for streaming jobs only.)
WORKER_DPU: dict[str, float] = {"G.1X": 1, "G.2X": 2, "G.4X": 4, "G.8X": 8, "G.12X": 12, "G.16X": 16}

DPU_HOUR_USD = {"STANDARD": 0.44, "FLEX": 0.29}
CRAWLER_DPU_HOUR_USD = 0.44
JOB_MINIMUM_MINUTES = 1.0
CRAWLER_MINIMUM_MINUTES = 10.0
# AWS sizes crawler runs itself; its pricing example bills a crawler at 2 DPUs. An assumption, stated.
CRAWLER_DPUS = 2.0

"""Sparkify on AWS Glue: the pipeline, in rooms by where each part runs.

- The top level: the facts both sides read (`pipeline`, `layout`, `job_args`, `schemas`, `report`,
  `documents`, `queries`, `glue_pricing`); they import no subpackage.
- The Glue side, shipped in the jobs' zip: `transforms/` (pure DataFrame → DataFrame), `lake/` (what a job
  does to storage, and how it starts on Glue), `quality/` (the suites and their verdict), `docs_site/` (the
  pages a person reads, and publishing them).
- The laptop side, never shipped: `local/` (a local run), `cli/` (the `sparkify` command), `ops/`
  (operating a deployed stack without Spark), `synthetic/`, `bench/`, `soak/`.

The Glue side never imports the laptop side (`tests/contracts/test_layers.py`).
"""

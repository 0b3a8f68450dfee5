"""Ending a Glue job run that a retry could not help, without Glue retrying it.

Glue retries a run that fails, up to the job's MaxRetries ("Number of retries",
https://docs.aws.amazon.com/glue/latest/dg/add-job.html), and documents no exit code by which a script
opts out. It does not retry a run that is stopped: STOPPED is not one of the failure states
(https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html). An input error is the same on every
attempt (no raw files yet), so the job stops its own run with BatchStopJobRun: one attempt and one bill,
the workflow goes no further (the next step waits for SUCCEEDED), and the alert router alerts on a stop
nobody asked for (`lambdas/alert_router.py`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

# Glue ends the process seconds after the stop request; should it not, the run fails after this long.
STOP_WAIT_SECONDS = 300.0


def stop_own_run(
    glue: Any,
    job_name: str,
    job_run_id: str,
    reason: str,
    *,
    wait_seconds: float = STOP_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Ask Glue to stop this job run, then wait for it to end the process. Returns only when Glue refused,
    or did not stop the run in time: the caller then fails the run (which Glue may retry)."""
    print(f"input error, not retried: {reason}; stopping job run {job_run_id}", file=sys.stderr, flush=True)
    answer = glue.batch_stop_job_run(JobName=job_name, JobRunIds=[job_run_id])
    refused = answer.get("Errors") or []
    if refused:
        detail = refused[0].get("ErrorDetail") or {}
        print(f"Glue did not stop job run {job_run_id}: {detail.get('ErrorMessage')}", file=sys.stderr, flush=True)
        return
    sleep(wait_seconds)

"""`sparkify status`: recent runs (or one) with each step's status, duration, rows written, validation and
the estimated cost from DPU-seconds at the prices infra/cost.py uses; and a run id that does not exist."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from sparkify.cli.main import app
from sparkify.ops.glue_runs import crawl_cost, job_run_cost
from tests.documents import assert_document
from tests.ops.fake_aws import Deployed, GlueSim

MORNING = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2025, 3, 4, 6, 0, tzinfo=UTC)


@pytest.fixture
def two_runs(glue: GlueSim) -> tuple[str, str]:
    ok = glue.run_to_end(started_on=MORNING)
    bad = glue.run_to_end(started_on=NEXT_MORNING, fail_at="validate")
    return ok, bad


def test_status_lists_the_latest_runs_newest_first(two_runs: tuple[str, str], cli) -> None:
    ok, bad = two_runs

    result = cli.invoke(app, ["status", "--stack", "dev"])

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines() if line.strip().startswith("wr_")]
    assert [r[0] for r in rows] == [bad[:12] + "…", ok[:12] + "…"]
    # run, date, time, took, status, stage, model, validate, rows, suites, cost
    assert rows[0][1:] == ["2025-03-04", "06:00", "5m20s", "✗", "failed", "✓", "✓", "✗", "861", "1", "failed", "$0.05"]
    assert rows[1][1:] == ["2025-03-03", "06:00", "5m20s", "✓", "succeeded", "✓", "✓", "✓", "861", "6", "ok", "$0.05"]


def test_status_json_has_costs_rows_and_suites_per_run(two_runs: tuple[str, str], cli) -> None:
    ok, bad = two_runs

    result = cli.invoke(app, ["status", "--stack", "dev", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert_document("run-list", data)
    assert data["workflow"] == "sparkify-dev"
    by_id = {run["run_id"]: run for run in data["runs"]}
    good = by_id[ok]
    assert good["status"] == "succeeded"
    assert good["started_at"] == "2025-03-03T06:00:00+00:00"
    assert good["seconds"] == 320  # 5 + 95 + 5 + 130 + 5 + 80: the run ends at validate, no crawl after it
    # dev runs Flex on 2 × G.1X: DPUSeconds 190 + 260 + 160 at $0.29/DPU-hour: 610/3600 × 0.29 = 0.04914.
    assert good["dpu_seconds"] == 610
    assert good["estimated_usd"] == pytest.approx(0.0491, abs=1e-4)
    assert [s["usd"] for s in good["steps"]] == pytest.approx([0.0153, 0.0209, 0.0129], abs=1e-4)
    assert good["tables"]["users"] == {"rows": 6}
    assert all(suite["success"] for suite in good["suites"].values())
    failed = by_id[bad]
    assert failed["status"] == "failed" and failed["failed_step"] == "validate"
    assert failed["suites"]["songplays"]["failed_expectations"][0]["column"] == "user_id"
    assert failed["estimated_usd"] == pytest.approx(0.0491, abs=1e-4)


def test_status_of_one_run_shows_steps_tables_and_the_failure(two_runs: tuple[str, str], cli) -> None:
    _, bad = two_runs

    result = cli.invoke(app, ["status", "--stack", "dev", "--run", bad])

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Run {bad} of sparkify-dev" in out
    assert "started 2025-03-04 06:00:00 UTC, took 5m20s" in out
    step_rows = {
        line.split()[0]: line.split()[1:]
        for line in out.splitlines()
        if line.strip().startswith(("stage ", "model ", "validate "))
    }
    assert step_rows["stage"][:5] == ["job", "✓", "succeeded", "1m35s", "190"]
    assert "songplays        401   1 of 9 failed" in out
    assert "raw events: 500 read, 498 staged, 2 quarantined" in out
    assert "estimated cost: $0.049 (610 DPU-seconds)" in out
    assert "failed at step validate" in out
    assert (
        "aws logs tail /aws-glue/sparkify-dev/sparkify-dev-role/sparkify-dev-glue/error --log-stream-names jr_" in out
    )


def test_a_run_can_be_named_by_the_prefix_the_table_shows(two_runs: tuple[str, str], cli) -> None:
    ok, _ = two_runs

    result = cli.invoke(app, ["status", "--stack", "dev", "--run", ok[:12] + "…", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run_id"] == ok


def test_a_run_id_that_does_not_exist_is_one_line(two_runs: tuple[str, str], cli) -> None:
    result = cli.invoke(
        app,
        ["status", "--stack", "dev", "--run", "wr_0000000000000000000000000000000000000000000000000000000000000000"],
    )

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(
        "error: no run wr_0000000000000000000000000000000000000000000000000000000000000000 of workflow sparkify-dev "
        "in stack dev in account 123456789012, us-east-1: `sparkify status --stack dev` lists the recent runs"
    )


def test_status_before_the_first_run(dev: Deployed, cli) -> None:
    result = cli.invoke(app, ["status", "--stack", "dev"])

    assert result.exit_code == 0, result.output
    assert "no runs of sparkify-dev yet: start one with `sparkify trigger --stack dev --follow`" in result.stdout


def test_a_running_run_shows_running_and_waiting_steps(glue: GlueSim, cli) -> None:
    cli.invoke(app, ["trigger", "--stack", "dev"])  # started; nobody has polled it yet

    result = cli.invoke(app, ["status", "--stack", "dev", "--json"])

    run = json.loads(result.stdout)["runs"][0]
    assert run["status"] == "running"
    assert [s["status"] for s in run["steps"]] == ["waiting", "waiting", "waiting"]


# ---------------------------------------------------------------------------------------------------------
# The cost of one job run or crawl, computed by hand from the prices in infra/cost.py.


def test_standard_job_cost_is_execution_time_times_worker_dpus() -> None:
    run = {"ExecutionClass": "STANDARD", "ExecutionTime": 300, "WorkerType": "G.1X", "NumberOfWorkers": 4}

    used, usd = job_run_cost(run)

    assert used == 1200  # 300 s × 4 DPUs
    assert usd == pytest.approx(1200 / 3600 * 0.44)


def test_job_runs_under_a_minute_are_billed_a_minute() -> None:
    used, usd = job_run_cost({"ExecutionTime": 20, "WorkerType": "G.2X", "NumberOfWorkers": 2})

    assert used == 80  # 20 s × 2 workers × 2 DPUs
    assert usd == pytest.approx(240 / 3600 * 0.44)  # 60 s × 4 DPUs


def test_flex_job_cost_uses_the_reported_dpu_seconds() -> None:
    run = {
        "ExecutionClass": "FLEX",
        "ExecutionTime": 100,
        "WorkerType": "G.1X",
        "NumberOfWorkers": 10,
        "DPUSeconds": 450.0,
    }

    used, usd = job_run_cost(run)

    assert used == 450  # auto-scaled: fewer than 10 workers most of the time
    assert usd == pytest.approx(600 / 3600 * 0.29)  # at least one minute of the 10 DPUs


def test_job_without_worker_type_uses_max_capacity() -> None:
    used, usd = job_run_cost({"ExecutionTime": 600, "MaxCapacity": 10.0})

    assert used == 6000
    assert usd == pytest.approx(6000 / 3600 * 0.44)


def test_a_job_run_that_never_ran_costs_nothing() -> None:
    assert job_run_cost(
        {"JobRunState": "STARTING", "ExecutionTime": 0, "WorkerType": "G.1X", "NumberOfWorkers": 2}
    ) == (0, 0)


def test_crawls_are_billed_ten_minutes_at_least() -> None:
    assert crawl_cost(90) == (180, pytest.approx(1200 / 3600 * 0.44))
    assert crawl_cost(900) == (1800, pytest.approx(1800 / 3600 * 0.44))

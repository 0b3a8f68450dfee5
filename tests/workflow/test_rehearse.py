"""`sparkify rehearse`: each stack's workflow run end to end on an emulated AWS (a moto server), every job
as Glue runs it under the job role's policy; then a bad song fails validate, publishes nothing and alerts
once; and a role policy without one grant fails with the refused action named.

Slow (each job is a fresh JVM): a few minutes per stack on a quiet 2-core machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparkify.cli.main import app
from sparkify.rehearsal.rehearse import rehearse

pytestmark = [pytest.mark.slow, pytest.mark.spark]

CURATED = ["artists", "songplays", "songs", "time", "users", "users_history"]
STAGING = ["events", "raw_files", "songs"]


def _jobs(run: dict[str, object]) -> list[tuple[str, str]]:
    return [(j["step"], j["status"]) for j in run["jobs"]]  # type: ignore[index,union-attr]


def test_dev_runs_end_to_end_then_a_bad_song_fails_validate_and_alerts(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["rehearse", "--stack", "dev", "--bad-song", "--workdir", str(tmp_path), "--json"])
    document = json.loads(result.stdout)
    good, bad = document["workflow_runs"]
    assert _jobs(good) == [("stage", "SUCCEEDED"), ("model", "SUCCEEDED"), ("validate", "SUCCEEDED")], good
    assert [t["name"] for t in good["triggers"]] == [
        "sparkify-dev-start",
        "sparkify-dev-run-model",
        "sparkify-dev-run-validate",
    ]
    assert good["triggers"][0]["how"] == "started by hand"  # dev's schedule is off: an ON_DEMAND start
    # Every curated table published by the good run, each with main and audit branches in the Glue catalog.
    curated = {t["name"]: t for t in document["tables"] if t["database"] == "sparkify_dev"}
    assert sorted(n for n, t in curated.items() if t["kind"].upper() == "ICEBERG") == CURATED
    assert all(set(curated[n]["branches"]) == {"main", "audit"} for n in CURATED)
    assert sorted(good["published_after"]) == CURATED
    staging = {t["name"] for t in document["tables"] if t["database"] == "sparkify_dev_staging"}
    assert set(STAGING) <= staging
    where = {w["uri"] for w in good["written"]}
    assert "s3://sparkify-dev-curated-123456789012-us-east-1/curated/songplays/" in where
    assert "s3://sparkify-dev-curated-123456789012-us-east-1/reports/runs/" in where
    assert any(u.startswith("s3://sparkify-dev-docs-123456789012-us-east-1/runs/") for u in where)
    assert document["data_docs"]["latest_index"] is True
    # The bad song: validate fails, main does not move, one alert names the step and the Data Docs.
    assert _jobs(bad) == [("stage", "SUCCEEDED"), ("model", "SUCCEEDED"), ("validate", "FAILED")], bad
    assert bad["published_after"] == bad["published_before"] == good["published_after"]
    (alert,) = bad["alerts"]
    assert alert.startswith("Sparkify dev: step validate FAILED")
    assert f"Workflow run: {bad['workflow_run_id']}" in alert
    assert "Data Docs: s3://sparkify-dev-docs-123456789012-us-east-1/latest/index.html" in alert
    assert good["alerts"] == []
    assert document["denied"] == []
    assert document["as_expected"] is True and result.exit_code == 0
    # Six runs of 2 x G.1X Flex, each billed at least a minute: at least 6 x 2 DPU-minutes at $0.29/DPU-hour.
    assert document["cost"]["usd"] >= round(6 * 2 / 60 * 0.29, 4)


def test_prod_runs_end_to_end_from_its_cron_trigger_fired_by_hand(tmp_path: Path) -> None:
    document = rehearse("prod", tmp_path).document()
    (good,) = document["workflow_runs"]
    assert _jobs(good) == [("stage", "SUCCEEDED"), ("model", "SUCCEEDED"), ("validate", "SUCCEEDED")], good
    assert good["triggers"][0]["how"].startswith("cron cron(") and good["triggers"][0]["type"] == "SCHEDULED"
    assert document["as_expected"] is True


def test_a_role_policy_without_its_catalog_grants_fails_stage_naming_the_refused_action(tmp_path: Path) -> None:
    document = rehearse("dev", tmp_path, drop_statements=("IcebergCatalog",)).document()
    (run,) = document["workflow_runs"]
    assert _jobs(run) == [("stage", "FAILED"), ("model", "NOT RUN"), ("validate", "NOT RUN")], run
    assert any(d.startswith(("glue:GetDatabase on ", "glue:GetTable on ")) for d in document["denied"])
    assert "GlueException: Service returned HTTP status code 403" in run["jobs"][0]["error"]
    assert "; refused by the role policy: glue:" in run["jobs"][0]["error"]
    assert document["as_expected"] is False

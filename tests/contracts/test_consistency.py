"""The pipeline definition, the job scripts, the schemas and the suites agree with each other."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from sparkify import pipeline, schemas
from sparkify.local.runner import lake_locations, load_job


def test_steps_are_in_dependency_order_with_one_start():
    seen: set[str] = set()
    for step in pipeline.STEPS:
        assert step.name not in seen, f"step {step.name} defined twice"
        unknown = set(step.upstream) - seen
        assert not unknown, f"step {step.name} runs before its upstream {sorted(unknown)}"
        seen.add(step.name)
    starts = [s.name for s in pipeline.STEPS if not s.upstream]
    assert starts == ["stage"]


@pytest.mark.parametrize("job", pipeline.job_steps(), ids=lambda j: j.name)
def test_every_job_step_has_a_script_that_runs_on_glue_and_locally(job):
    path = pipeline.REPO_ROOT / job.script
    assert path.is_file(), f"{job.script} missing for step {job.name}"
    module = load_job(job)
    assert job.name == module.STEP, f"{job.script} declares STEP={module.STEP!r}"
    assert callable(module.run)
    tree = ast.parse(path.read_text())
    main_calls = [
        node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "glue_main"
    ]
    assert len(main_calls) == 1, f"{job.script} must end with glue_main(STEP, run)"


@pytest.mark.parametrize("job", pipeline.job_steps(), ids=lambda j: j.name)
def test_job_code_never_names_a_bucket(job):
    text = (pipeline.REPO_ROOT / job.script).read_text()
    assert "s3://" not in text, f"{job.script} hard-codes an S3 location; pass it as an argument"


def test_local_run_provides_every_location_a_job_needs():
    # Written out by hand: the lake's folders, and its catalog named after the lake folder's path
    # ("lake_" and the first 10 hex digits of sha1("/data/lake")).
    catalog = "lake_8646027e16"
    lake = {
        "--raw_uri": "/data/raw",
        "--staging_uri": "/data/lake/staging",
        "--curated_uri": "/data/lake/curated",
        "--quarantine_uri": "/data/lake/quarantine",
        "--reports_uri": "/data/lake/reports",
        "--data_docs_uri": "/data/lake/data_docs",
        "--expectations_uri": str(pipeline.REPO_ROOT / "expectations"),
        "--staging_namespace": f"{catalog}.staging",
        "--curated_namespace": f"{catalog}.curated",
    }
    wanted = {
        "stage": ["--raw_uri", "--staging_uri", "--quarantine_uri", "--reports_uri", "--staging_namespace"],
        "model": ["--staging_uri", "--curated_uri", "--reports_uri", "--staging_namespace", "--curated_namespace"],
        "validate": [
            "--staging_uri",
            "--curated_uri",
            "--quarantine_uri",
            "--expectations_uri",
            "--data_docs_uri",
            "--reports_uri",
            "--staging_namespace",
            "--curated_namespace",
        ],
    }
    locations = lake_locations(Path("/data/raw"), Path("/data/lake"))
    got = {job.name: pipeline.job_arguments(job, locations) for job in pipeline.job_steps()}
    assert got == {name: {arg: lake[arg] for arg in args} for name, args in wanted.items()}


def test_every_curated_table_has_a_schema_and_a_suite():
    names = [t.name for t in pipeline.CURATED_TABLES]
    assert sorted(schemas.CURATED) == sorted(names)
    for table in pipeline.CURATED_TABLES:
        columns = schemas.CURATED[table.name].fieldNames()
        assert set(table.key) <= set(columns), f"{table.name} key not in its schema"
        assert set(table.partition_by) <= set(columns), f"{table.name} partition columns not in its schema"
        suite = json.loads((pipeline.EXPECTATIONS_DIR / f"{table.name}.json").read_text())
        assert suite["name"] == table.name
    suites = sorted(p.stem for p in pipeline.EXPECTATIONS_DIR.glob("*.json"))
    assert suites == sorted(names), "a suite without a table, or a table without a suite"


def test_no_crawler_runs_over_tables_that_register_themselves():
    """Curated and staging tables are Iceberg tables in the catalog; only the raw JSON needs a crawler."""
    crawled = {s.target for s in pipeline.STEPS if isinstance(s, pipeline.CrawlerStep)} | {pipeline.RAW_CRAWLER.target}
    assert crawled == {pipeline.Location.RAW}
    for job in pipeline.job_steps():
        if pipeline.Location.CURATED in job.locations:
            assert pipeline.Namespace.CURATED in job.locations, f"{job.name} reads curated tables by identifier"

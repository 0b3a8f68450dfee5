"""How a job run's driver process reads what Glue passes: the `--conf` value split as spark-submit splits
it, an argument's value, and Glue's `sys.argv`."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkify.rehearsal.glue_process import argument, split_glue_conf
from sparkify.rehearsal.job_run import glue_argv, last_error_line
from sparkify.rehearsal.stack_render import Job

# The dev stack's rendered --conf (tests/infra/test_jobs.py checks the render itself).
RENDERED_CONF = (
    "spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"
    " --conf spark.sql.catalog.glue_catalog=org.apache.iceberg.spark.SparkCatalog"
    " --conf spark.sql.catalog.glue_catalog.warehouse=s3://curated-bucket/curated/"
    " --conf spark.sql.catalog.glue_catalog.cache-enabled=false"
)


def test_the_conf_value_splits_into_one_setting_per_conf_flag() -> None:
    assert split_glue_conf(RENDERED_CONF) == {
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        "spark.sql.catalog.glue_catalog": "org.apache.iceberg.spark.SparkCatalog",
        "spark.sql.catalog.glue_catalog.warehouse": "s3://curated-bucket/curated/",
        "spark.sql.catalog.glue_catalog.cache-enabled": "false",
    }


def test_a_value_with_an_equals_sign_keeps_it() -> None:
    assert split_glue_conf("spark.driver.extraJavaOptions=-Da=b") == {"spark.driver.extraJavaOptions": "-Da=b"}


@pytest.mark.parametrize(
    "value, named",
    [("a=1 --conf", "the last '--conf' has no value"), ("a=1 b=2", "found 'b=2'"), ("a=1 --conf x", "found 'x'")],
)
def test_a_conf_value_spark_submit_would_misread_is_one_line_naming_it(value: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        split_glue_conf(value)


def test_argv_is_glue_s_identifiers_then_the_defaults_with_the_run_s_arguments_over_them() -> None:
    job = Job(
        name="sparkify-dev-stage",
        step="stage",
        script_uri="s3://a/glue_jobs/stage.py",
        glue_version="5.1",
        default_arguments={"--raw_uri": "s3://raw/", "--full_refresh": "false"},
        worker_type="G.1X",
        number_of_workers=2,
        execution_class="FLEX",
        max_retries=0,
        timeout_minutes=30,
    )
    argv = glue_argv(Path("/w/stage.py"), job, "jr_1", {"--full_refresh": "true", "--WORKFLOW_RUN_ID": "wr_1"})
    assert argv[0] == "/w/stage.py"
    assert argv[3:7] == ["--JOB_RUN_ID", "jr_1", "--JOB_NAME", "sparkify-dev-stage"]
    assert argv[7:] == ["--raw_uri", "s3://raw/", "--full_refresh", "true", "--WORKFLOW_RUN_ID", "wr_1"]
    assert argument(argv, "--full_refresh") == "true"
    assert argument(argv, "--missing") is None


def test_a_failed_run_s_error_is_the_exception_line_not_the_java_frames() -> None:
    output = (
        "Traceback (most recent call last):\n"
        '  File "/w/validate.py", line 3, in <module>\n'
        "sparkify.lake.glue_entry.StepFailed: suites failed: songs\n"
        "26/12/07 03:15:29 INFO ShutdownHookManager: Shutdown hook called\n"
    )
    assert last_error_line(output) == "sparkify.lake.glue_entry.StepFailed: suites failed: songs"


def test_a_py4j_error_is_named_by_the_java_exception_it_carries() -> None:
    output = (
        "py4j.protocol.Py4JJavaError: An error occurred while calling o67.sql.\n"
        ": software.amazon.awssdk.services.glue.model.GlueException: Service returned HTTP status code 403\n"
        "\tat software.amazon.awssdk.core.internal.http.CombinedResponseHandler.handleErrorResponse\n"
    )
    expected = "software.amazon.awssdk.services.glue.model.GlueException: Service returned HTTP status code 403"
    assert last_error_line(output) == expected

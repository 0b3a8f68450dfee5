"""One Glue job run's driver process, as `sparkify rehearse` starts it: run as a file, in the Glue 5.1 venv.

What Glue does at a job run's start, done here the same way:
- `sys.argv` is the script's path, Glue's own `--JOB_ID`, `--JOB_RUN_ID`, `--JOB_NAME` (and a workflow
  run's `--WORKFLOW_NAME`, `--WORKFLOW_RUN_ID`), then every job argument as `--name value`: the job's
  default arguments with the run's own arguments over them;
- the Spark settings of the `--conf` argument reach the session, split as spark-submit splits its command
  line (`k1=v1 --conf k2=v2 ...`, each `--conf` followed by one `key=value`);
- the zips of `--extra-py-files` go first on the Python path. This repository's own folder leaves it: the
  job runs the `sparkify` code that was uploaded, nothing else of ours (this file imports none of it).

What stands in for Glue, and only for the session's creation: Glue's `GlueContext(sc)` needs Glue's own
JVM classes, which no registry serves, so `awsglue.context.GlueContext` is replaced by a class whose
`spark_session` is the session built here from the `--conf` settings plus the emulation's (the jars Glue
5.1 puts on the class path for `--datalake-formats iceberg`, the endpoints of the emulated AWS, S3A for
`s3://`, a laptop's cores); `awsglue.job.Job`'s `init` and `commit` (job bookmarks, disabled by the job's
`--job-bookmark-option`) are recorded, not run. awsglue's `getResolvedOptions` is the real one.

Usage: python glue_process.py SPEC.json  (the spec: argv, script, py_files, emulation_conf, master).
"""

from __future__ import annotations

import json
import os
import runpy
import shlex
import sys
from pathlib import Path
from typing import Any

CONF_FLAG = "--conf"


def split_glue_conf(value: str) -> dict[str, str]:
    """The Spark settings of a Glue `--conf` argument: `k1=v1 --conf k2=v2 ...` is what spark-submit
    receives after `--conf`; raises ValueError naming the token that is not `key=value`."""
    tokens = shlex.split(f"{CONF_FLAG} {value}")
    settings: dict[str, str] = {}
    for i in range(0, len(tokens), 2):
        flag = tokens[i]
        if flag != CONF_FLAG:
            raise ValueError(f"--conf {value!r}: expected '--conf key=value' pairs, found {flag!r}")
        if i + 1 == len(tokens):
            raise ValueError(f"--conf {value!r}: the last '--conf' has no value")
        key, equals, setting = tokens[i + 1].partition("=")
        if not equals:
            raise ValueError(f"--conf {value!r}: expected key=value after '--conf', found {tokens[i + 1]!r}")
        settings[key] = setting
    return settings


def argument(argv: list[str], name: str) -> str | None:
    """The value after `name` in an argv (the last one, as argparse keeps it)."""
    found = None
    for i, token in enumerate(argv[:-1]):
        if token == name:
            found = argv[i + 1]
    return found


def _holds_our_package(entry: str) -> bool:
    return entry != "" and (Path(entry) / "sparkify" / "__init__.py").is_file()


# What the stand-ins saw, written to the spec's `record` file for the rehearsal to read.
STAND_IN_CALLS: list[str] = []


def _install_stand_ins(spark: Any) -> None:
    import awsglue.context
    import awsglue.job

    class GlueContextStandIn:
        def __init__(self, spark_context: Any, **options: Any):
            self.spark_session = spark
            self.sparkSession = spark

    class JobStandIn:
        def __init__(self, glue_context: Any):
            self.glue_context = glue_context

        def init(self, job_name: str, args: dict[str, Any] | None = None) -> None:
            STAND_IN_CALLS.append(f"Job.init {job_name}")

        def commit(self) -> None:
            STAND_IN_CALLS.append("Job.commit")

    awsglue.context.GlueContext = GlueContextStandIn
    awsglue.job.Job = JobStandIn


def main(spec_path: str) -> int:
    spec: dict[str, Any] = json.loads(Path(spec_path).read_text())
    argv: list[str] = spec["argv"]
    sys.path[:] = [entry for entry in sys.path if not _holds_our_package(entry)]
    for py_file in reversed(spec["py_files"]):
        sys.path.insert(0, py_file)
    os.environ["PYTHONPATH"] = os.pathsep.join([*spec["py_files"], os.environ.get("PYTHONPATH", "")])

    from pyspark.sql import SparkSession

    conf = split_glue_conf(argument(argv, CONF_FLAG) or "")
    builder = SparkSession.builder.master(spec["master"]).appName(argument(argv, "--JOB_NAME") or "glue-job")
    for key, value in {**conf, **spec["emulation_conf"]}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    _install_stand_ins(spark)
    sys.argv = argv
    try:
        runpy.run_path(spec["script"], run_name="__main__")
    finally:
        Path(spec["record"]).write_text(json.dumps({"calls": STAND_IN_CALLS, "conf": conf}))
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

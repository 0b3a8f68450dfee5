"""One Glue job run, as Glue starts it, in a process of its own: the script and the `--extra-py-files` zip
fetched from the emulated S3, the validate job's `--additional-python-modules` installed with pip and the
rendered `--python-modules-installer-option` into a copy of the Glue 5.1 venv, `sys.argv` built as Glue
builds it, and `glue_process.py` started in that venv with the job role's credentials.

The emulation's own Spark settings (`emulation_conf`) are the only ones a job does not get from its
`--conf`: the jars Glue 5.1 puts on the class path, the endpoints of the emulated AWS, S3A for `s3://`
(Glue uses its own S3 connector there), and a laptop's cores.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparkify import pipeline
from sparkify.rehearsal.emulator import Credentials, Emulator
from sparkify.rehearsal.provision import bucket_and_key
from sparkify.rehearsal.stack_render import Job

GLUE_VENV = pipeline.REPO_ROOT / ".glue-venv"
JARS = pipeline.REPO_ROOT / ".jars"
# What `--datalake-formats iceberg` puts on a Glue 5.1 job's class path, and Hadoop's S3A with its SDK.
JAR_FILES = (
    "iceberg-spark-runtime-3.5_2.12-1.10.0.jar",
    "iceberg-aws-bundle-1.10.0.jar",
    "hadoop-aws-3.3.4.jar",
    "aws-java-sdk-bundle-1.12.262.jar",
)
PROCESS = Path(__file__).with_name("glue_process.py")
CATALOG_PREFIX = "spark.sql.catalog.glue_catalog"
MODULES_ARGUMENT = "--additional-python-modules"
INSTALLER_ARGUMENT = "--python-modules-installer-option"


# `package.module.SomeError: message`, as Python and Java end a traceback.
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.$]*: \S")
PY4J_ERROR = "py4j.protocol.Py4JJavaError: An error occurred while calling"


class SetupMissing(Exception):
    """Something `make setup` builds is not there; the message names it and the make target."""


@dataclass(frozen=True)
class RunResult:
    job: str
    step: str
    run_id: str
    status: str  # SUCCEEDED or FAILED
    seconds: float
    error: str | None
    log: Path
    installed: tuple[str, ...] = ()  # the wheels pip installed (validate)
    stand_in_calls: tuple[str, ...] = ()


def check_setup() -> None:
    if not (GLUE_VENV / ".built").is_file():
        raise SetupMissing(f"the Glue 5.1 venv {GLUE_VENV} is missing: run `make glue-venv` (or `make setup`)")
    missing = [jar for jar in JAR_FILES if not (JARS / jar).is_file()]
    if missing:
        raise SetupMissing(f"{', '.join(missing)} missing from {JARS}: run `make jars` (or `make setup`)")


def emulation_conf(endpoint: str, region: str) -> dict[str, str]:
    return {
        "spark.jars": ",".join(str(JARS / jar) for jar in JAR_FILES),
        f"{CATALOG_PREFIX}.glue.endpoint": endpoint,
        f"{CATALOG_PREFIX}.s3.endpoint": endpoint,
        f"{CATALOG_PREFIX}.s3.path-style-access": "true",
        f"{CATALOG_PREFIX}.client.region": region,
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.endpoint.region": region,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
        "spark.hadoop.fs.s3a.aws.credentials.provider": "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.driver.memory": "2g",
    }


def glue_argv(script: Path, job: Job, run_id: str, run_arguments: dict[str, str]) -> list[str]:
    """`sys.argv` of a Glue job run: Glue's own identifiers, then every argument, the run's over the job's."""
    argv = [str(script), "--JOB_ID", f"j_{uuid.uuid5(uuid.NAMESPACE_URL, job.name).hex}", "--JOB_RUN_ID", run_id]
    argv += ["--JOB_NAME", job.name]
    for name, value in {**job.default_arguments, **run_arguments}.items():
        argv += [name, value]
    return argv


def _fetch(aws: Emulator, uri: str, folder: Path) -> Path:
    bucket, key = bucket_and_key(uri)
    target = folder / key.rsplit("/", 1)[-1]
    aws.client("s3").download_file(bucket, key, str(target))
    return target


def _python_env(venv: Path) -> tuple[Path, dict[str, str]]:
    """The venv's interpreter, with PySpark from Spark's own folder on the path (as Glue provides it)."""
    import pyspark

    spark_home = Path(pyspark.__file__).resolve().parent
    lib = spark_home / "python" / "lib"
    path = [str(lib / "pyspark.zip"), *(str(p) for p in sorted(lib.glob("py4j-*-src.zip")))]
    python = venv / "bin" / "python"
    env = {
        "SPARK_HOME": str(spark_home),
        "PYTHONPATH": os.pathsep.join(path),
        "PYSPARK_PYTHON": str(python),
        "PYSPARK_DRIVER_PYTHON": str(python),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "GX_ANALYTICS_ENABLED": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return python, env


def install_modules(job: Job, arguments: dict[str, str], aws: Emulator, folder: Path) -> tuple[Path, list[str]]:
    """A venv for this run: the Glue 5.1 venv, plus `--additional-python-modules` installed with pip and
    the installer options, as Glue does at start. Raises RuntimeError with pip's last line on failure."""
    modules = [m for m in arguments.get(MODULES_ARGUMENT, "").split(",") if m]
    if not modules:
        return GLUE_VENV, []
    venv = folder / "venv"
    # Hard links: a fresh copy in a second, and pip replaces files (never writes into one in place).
    subprocess.run(["cp", "-al", str(GLUE_VENV), str(venv)], check=True)
    wheels = folder / "wheels"
    wheels.mkdir()
    local = [str(_fetch(aws, m, wheels)) if m.startswith("s3://") else m for m in modules]
    options = shlex.split(arguments.get(INSTALLER_ARGUMENT, ""))
    python, env = _python_env(venv)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", *options, *local],
        env={**_base_env(), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    (folder / "pip.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        last = [line for line in done.stderr.splitlines() if line.strip()] or ["(no output)"]
        raise RuntimeError(f"pip install {' '.join(options)} of {MODULES_ARGUMENT}: {last[-1].strip()}")
    return venv, [Path(w).name for w in local]


def _base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "JAVA_HOME", "LANG", "TMPDIR")
    return {k: os.environ[k] for k in keep if k in os.environ}


def last_error_line(text: str) -> str:
    """The line a failed job's output ends with (the exception Glue would show as the run's error); for a
    Py4J error, the Java exception it carries (`: java...Exception: message`, the line after)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if EXCEPTION_LINE.match(lines[i]):
            carried = lines[i + 1] if i + 1 < len(lines) else ""
            if lines[i].startswith(PY4J_ERROR) and carried.startswith(": "):
                return carried[2:]
            return lines[i]
    return lines[-1] if lines else "the process ended without output"


def run_job(
    aws: Emulator,
    job: Job,
    run_id: str,
    run_arguments: dict[str, str],
    credentials: Credentials,
    folder: Path,
) -> RunResult:
    """Run one job run to its end; never raises for the job's own failure (it is the result)."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "driver.log"
    started = time.perf_counter()
    arguments = {**job.default_arguments, **run_arguments}
    try:
        script = _fetch(aws, job.script_uri, folder)
        py_files = [str(_fetch(aws, uri, folder)) for uri in arguments.get("--extra-py-files", "").split(",") if uri]
        venv, installed = install_modules(job, arguments, aws, folder)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        return RunResult(job.name, job.step, run_id, "FAILED", time.perf_counter() - started, str(exc), log)
    spec = {
        "argv": glue_argv(script, job, run_id, run_arguments),
        "script": str(script),
        "py_files": py_files,
        "emulation_conf": emulation_conf(aws.endpoint, aws.region),
        "master": "local[2]",
        "record": str(folder / "stand_ins.json"),
    }
    (folder / "spec.json").write_text(json.dumps(spec, indent=2))
    python, env = _python_env(venv)
    env.update(
        {
            **credentials.env(),
            "AWS_REGION": aws.region,
            "AWS_DEFAULT_REGION": aws.region,
            "AWS_ENDPOINT_URL": aws.endpoint,
        }
    )
    with log.open("w") as out:
        done = subprocess.run(
            [str(python), str(PROCESS), str(folder / "spec.json")],
            env={**_base_env(), **env},
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.perf_counter() - started
    calls: tuple[str, ...] = ()
    if (folder / "stand_ins.json").is_file():
        calls = tuple(json.loads((folder / "stand_ins.json").read_text())["calls"])
    if done.returncode == 0:
        return RunResult(job.name, job.step, run_id, "SUCCEEDED", seconds, None, log, tuple(installed), calls)
    error = last_error_line(log.read_text(errors="replace"))
    return RunResult(job.name, job.step, run_id, "FAILED", seconds, error, log, tuple(installed), calls)


def run_document(result: RunResult) -> dict[str, Any]:
    return {
        "job": result.job,
        "step": result.step,
        "run_id": result.run_id,
        "status": result.status,
        "seconds": round(result.seconds, 1),
        "error": result.error,
        "log": str(result.log),
        "installed": list(result.installed),
    }


def clean(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)

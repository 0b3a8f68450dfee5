"""glue_requirements.txt pins exactly what uv.lock locks for the runtime, less what Glue 5.1 provides."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "glue_requirements.txt"
# Glue 5.1 ships Spark (with py4j) and its own awsglue; installing them again would shadow the runtime's.
GLUE_PROVIDED = ("pyspark", "py4j", "awsgluedataplanepython")
EXPORT = [
    "uv", "export", "--frozen", "--no-hashes", "--no-dev", "--no-default-groups", "--no-emit-project",
    *(arg for name in GLUE_PROVIDED for arg in ("--no-emit-package", name)),
    "-o", "glue_requirements.txt",
]
REGENERATE = " ".join(EXPORT)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in REQUIREMENTS.read_text().splitlines():
        requirement = line.split(";")[0].strip()
        if not requirement or requirement.startswith("#"):
            continue
        name, _, version = requirement.partition("==")
        assert version, f"glue_requirements.txt: {line!r} is not pinned with =="
        pins[normalize(name)] = version.strip()
    return pins


def locked_runtime_closure() -> dict[str, str]:
    """Every package the project's runtime dependencies pull in, with its locked version."""
    lock: dict[str, Any] = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    packages = {normalize(p["name"]): p for p in lock["package"]}
    project = packages["sparkify-glue"]
    seen: dict[str, str] = {}
    todo: list[dict[str, Any]] = list(project["dependencies"])
    while todo:
        dep = todo.pop()
        name = normalize(dep["name"])
        package = packages[name]
        for extra in dep.get("extra", []):
            todo.extend(package.get("optional-dependencies", {}).get(extra, []))
        if name in seen:
            continue
        seen[name] = package["version"]
        todo.extend(package.get("dependencies", []))
    return {n: v for n, v in seen.items() if n not in GLUE_PROVIDED}


def test_requirements_pin_exactly_the_locked_runtime_versions() -> None:
    expected, actual = locked_runtime_closure(), pinned()
    assert "great-expectations" in actual
    drift = {n: (actual.get(n), expected.get(n)) for n in set(actual) | set(expected) if actual.get(n) != expected.get(n)}
    assert not drift, f"glue_requirements.txt drifted from uv.lock (file, lock): {drift}; regenerate: {REGENERATE}"


def test_requirements_leave_glues_own_spark_alone() -> None:
    assert set(GLUE_PROVIDED).isdisjoint(pinned())


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")
def test_requirements_file_is_what_uv_export_writes(tmp_path: Path) -> None:
    out = tmp_path / "glue_requirements.txt"
    command = [*EXPORT[:-1], str(out)]
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True, env=env)
    expected = out.read_text().replace(str(out), "glue_requirements.txt")
    assert REQUIREMENTS.read_text() == expected, f"glue_requirements.txt is stale; regenerate: {REGENERATE}"


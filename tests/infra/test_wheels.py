"""The validate job's wheels: built for Glue 5.1, pinned by uv.lock, and complete (every dependency a
wheel declares is another wheel of the set or a module Glue 5.1 provides), with nothing Glue has."""

from __future__ import annotations

import hashlib
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from infra.wheels import (
    GLUE_PROVIDED,
    LOCK_FILE,
    MARKER_ENVIRONMENT,
    closure,
    pick_wheel,
    target_tags,
    validation_wheels,
)

WHEELS = validation_wheels()


def test_the_set_is_great_expectations_and_what_glue_lacks() -> None:
    names = {w.package for w in WHEELS}
    assert "great-expectations" in names
    assert names.isdisjoint(GLUE_PROVIDED), names & GLUE_PROVIDED
    # Nothing for the jobs that never validate, nothing of the local tooling.
    assert names.isdisjoint({"pyspark", "typer", "rich", "pulumi", "duckdb", "boto3", "numpy", "pandas"})
    # Glue 5.1 lists no scipy, which Great Expectations imports at start: its x86_64 wheel ships too
    # (uv.lock: scipy-1.17.1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl, 35,349,300 bytes).
    assert "scipy" in names
    assert len(WHEELS) == 27 and round(sum(w.size for w in WHEELS) / 1e6, 1) == 16.6 + 35.3


@pytest.mark.parametrize("wheel", WHEELS, ids=[w.filename for w in WHEELS])
def test_each_wheel_runs_on_a_glue_5_1_worker(wheel: object) -> None:
    from infra.wheels import Wheel

    assert isinstance(wheel, Wheel)
    tag = wheel.filename.removesuffix(".whl").split("-", 2)[2]
    python, abi, platform = tag.split("-")
    assert python in ("py3", "cp311") or python.startswith("py2.py3"), wheel.filename
    assert abi in ("none", "abi3", "cp311"), wheel.filename
    assert platform == "any" or ("manylinux" in platform and platform.endswith("x86_64")), wheel.filename


def test_no_locked_wheel_is_picked_for_another_platform() -> None:
    package = {
        "name": "demo",
        "version": "1.0",
        "wheels": [
            {"url": "https://x/demo-1.0-cp311-cp311-macosx_11_0_arm64.whl", "hash": "sha256:aa", "size": 1},
            {"url": "https://x/demo-1.0-cp311-cp311-musllinux_1_2_x86_64.whl", "hash": "sha256:bb", "size": 2},
            {
                "url": "https://x/demo-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                "hash": "sha256:cc",
                "size": 3,
            },
            {"url": "https://x/demo-1.0-cp311-cp311-manylinux_2_39_x86_64.whl", "hash": "sha256:dd", "size": 4},
        ],
    }
    # glibc 2.39 is newer than Amazon Linux 2023's 2.34; musl and macOS never run there.
    assert pick_wheel(package, target_tags()).sha256 == "cc"
    with pytest.raises(LookupError, match=r"no wheel of demo==1.0 for Glue 5.1"):
        pick_wheel({**package, "wheels": package["wheels"][:2]}, target_tags())


def test_dependencies_declared_inside_the_wheels_are_all_met() -> None:
    """Reads each fetched wheel's own METADATA: what pip --no-index will ask for on the worker."""
    missing = [w.filename for w in WHEELS if not w.path.is_file()]
    assert not missing, f"run `make wheels`: {missing}"
    versions = {w.package: w.version for w in WHEELS}
    unmet: list[str] = []
    for wheel in WHEELS:
        assert hashlib.sha256(wheel.path.read_bytes()).hexdigest() == wheel.sha256, (
            f"{wheel.filename}: not the locked file"
        )
        with zipfile.ZipFile(wheel.path) as archive:
            metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            message = Parser().parsestr(archive.read(metadata).decode())
        for line in message.get_all("Requires-Dist") or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate(MARKER_ENVIRONMENT):
                continue
            name = canonicalize_name(requirement.name)
            if name in GLUE_PROVIDED:
                continue
            if name not in versions or not requirement.specifier.contains(versions[name], prereleases=True):
                unmet.append(f"{wheel.filename} needs {line} (have {versions.get(name)})")
    assert unmet == []


def test_the_closure_follows_only_what_applies_on_linux() -> None:
    lock = tomllib.loads(LOCK_FILE.read_text())
    packages = closure(lock, ("great-expectations",))
    assert "colorama" not in packages, "colorama is a Windows-only dependency"
    assert packages["great-expectations"] == "1.24.1"


def _imports(path: Path) -> set[str]:
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def imported_by(script: str) -> set[str]:
    """Every module a job script imports, following the project's own modules (imports inside functions too)."""

    from tests.infra.conftest import REPO_ROOT

    seen: set[str] = set()
    todo = [REPO_ROOT / script]
    while todo:
        for name in _imports(todo.pop()):
            if name in seen:
                continue
            seen.add(name)
            if name.split(".")[0] == "sparkify":
                candidates = [
                    REPO_ROOT / Path(*name.split(".")).with_suffix(".py"),
                    REPO_ROOT / Path(*name.split(".")) / "__init__.py",
                ]
                todo.extend(c for c in candidates if c.is_file())
    return seen


@pytest.mark.parametrize("script", ["glue_jobs/stage.py", "glue_jobs/model.py"])
def test_jobs_that_install_nothing_never_import_great_expectations(script: str) -> None:
    modules = imported_by(script)
    assert not any(m.split(".")[0] == "great_expectations" for m in modules), f"{script} imports Great Expectations"
    assert not any(m.startswith("sparkify.quality") for m in modules), f"{script} imports sparkify.quality"


def test_the_validate_job_does_import_it() -> None:
    assert any(m.split(".")[0] == "great_expectations" for m in imported_by("glue_jobs/validate.py"))

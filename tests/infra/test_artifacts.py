"""The shared-code zip is reproducible and holds the Glue side alone, and every uploaded object redeploys
when its content changes."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from infra.artifacts import build_shared_zip, glue_side_files, sha256
from sparkify import pipeline
from tests.infra.conftest import REPO_ROOT, Rendered
from tests.infra.test_wheels import imported_by

OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


def make_package(root: Path) -> Path:
    package = root / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__pycache__").mkdir()
    (package / "__init__.py").write_text('"""pkg"""\n')
    (package / "sub" / "b.py").write_text("B = 2\n")
    (package / "a.py").write_text("A = 1\n")
    (package / "log4j2.properties").write_text("rootLogger.level = error\n")
    (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\x00junk")
    return package


def test_zip_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    package = make_package(tmp_path)
    first = build_shared_zip(package, tmp_path / "one" / "pkg.zip").read_bytes()
    (package / "a.py").touch()  # a newer mtime alone must not change the archive
    second = build_shared_zip(package, tmp_path / "two" / "pkg.zip").read_bytes()
    assert first == second


def test_zip_holds_the_package_sorted_without_caches(tmp_path: Path) -> None:
    out = build_shared_zip(make_package(tmp_path), tmp_path / "pkg.zip")
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["pkg/__init__.py", "pkg/a.py", "pkg/log4j2.properties", "pkg/sub/b.py"]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.read("pkg/sub/b.py") == b"B = 2\n"


def test_zip_changes_when_code_changes(tmp_path: Path) -> None:
    package = make_package(tmp_path)
    before = sha256(build_shared_zip(package, tmp_path / "pkg.zip"))
    (package / "a.py").write_text("A = 3\n")
    assert sha256(build_shared_zip(package, tmp_path / "pkg.zip")) != before


def test_only_what_the_scripts_import_is_chosen_with_its_packages_data(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    for folder in ("sub/data", "laptop"):
        (package / folder).mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg.sub import b\n")  # an import inside a function
    (package / "unused.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("import json\n")
    (package / "sub" / "data" / "x.css").write_text("")
    (package / "laptop" / "__init__.py").write_text("")
    (package / "laptop" / "c.py").write_text("from pkg import a\n")
    (package / "laptop" / "c.txt").write_text("")
    script = tmp_path / "job.py"
    script.write_text("from pkg import a\n")
    chosen = [p.relative_to(package).as_posix() for p in glue_side_files(package, [script])]
    assert chosen == ["__init__.py", "a.py", "sub/__init__.py", "sub/b.py", "sub/data/x.css"]


def test_uploads_carry_the_hash_of_their_content(stack: Rendered) -> None:
    objects = {o.inputs["key"]: o.inputs for o in stack.of_type(OBJECT)}
    local = {step.script: REPO_ROOT / step.script for step in pipeline.job_steps()}
    local["lib/sparkify.zip"] = REPO_ROOT / "build" / "glue" / "sparkify.zip"
    for suite in (REPO_ROOT / "expectations").glob("*.json"):
        local[f"expectations/{suite.name}"] = suite
    for wheel in (REPO_ROOT / ".wheels").glob("*.whl"):
        local[f"lib/wheels/{wheel.name}"] = wheel
    assert sorted(objects) == sorted(local)
    for key, path in local.items():
        assert objects[key]["sourceHash"] == sha256(path), f"object {key}: source_hash is not its content's hash"
        assert objects[key]["bucket"] == f"sparkify-{stack.stack}-artifacts-123456789012-us-east-1", key


def test_every_job_script_and_suite_is_uploaded(stack: Rendered) -> None:
    keys = {o.inputs["key"] for o in stack.of_type(OBJECT)}
    assert {"glue_jobs/stage.py", "glue_jobs/model.py", "glue_jobs/validate.py"} <= keys
    assert {f"expectations/{t.name}.json" for t in pipeline.CURATED_TABLES} <= keys


def test_the_uploaded_zip_imports_the_pipeline(stack: Rendered) -> None:
    with zipfile.ZipFile(REPO_ROOT / "build" / "glue" / "sparkify.zip") as archive:
        names = set(archive.namelist())
    assert {"sparkify/__init__.py", "sparkify/pipeline.py", "sparkify/lake/glue_entry.py"} <= names
    assert not any("__pycache__" in n for n in names)


def _zip_names() -> set[str]:
    with zipfile.ZipFile(REPO_ROOT / "build" / "glue" / "sparkify.zip") as archive:
        return set(archive.namelist())


def test_the_zip_holds_the_glue_side_and_nothing_of_the_laptop_side(stack: Rendered) -> None:
    names = _zip_names()
    laptop = sorted(n for n in names if n.split("/")[1] in ("local", "cli", "ops", "bench", "soak", "synthetic"))
    assert laptop == [], "the Glue zip ships laptop-side code"
    assert {"sparkify/quality/validation.py", "sparkify/docs_site/site.py", "sparkify/lake/tables.py"} <= names
    assert "sparkify/docs_site/vendor/vega/vega.min.js" in names  # the site's chart library, read on Glue
    # Every project module a job imports (found by the wheels test's own walk of the imports) is in it.
    needed = set()
    for step in pipeline.job_steps():
        for module in imported_by(step.script):
            path = Path(*module.split("."))
            for candidate in (path.with_suffix(".py"), path / "__init__.py"):
                if module.startswith("sparkify") and (REPO_ROOT / candidate).is_file():
                    needed.add(candidate.as_posix())
    assert needed - names == set()


def test_each_job_script_imports_with_the_zip_alone(stack: Rendered, tmp_path: Path) -> None:
    """On Glue the scripts find `sparkify` in the zip only; here the source tree is not on the path either."""
    archive = REPO_ROOT / "build" / "glue" / "sparkify.zip"
    code = (
        "import importlib.util, sys\n"
        "for path in sys.argv[1:]:\n"
        "    spec = importlib.util.spec_from_file_location('job', path)\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "import sparkify\n"
        f"assert sparkify.__file__.startswith({str(archive)!r}), sparkify.__file__\n"
    )
    scripts = [str(REPO_ROOT / step.script) for step in pipeline.job_steps()]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(archive)}
    subprocess.run([sys.executable, "-c", code, *scripts], check=True, cwd=tmp_path, env=env)

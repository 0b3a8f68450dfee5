"""What Glue runs, uploaded to the artifacts bucket: entry scripts, the Glue side of the `sparkify` package
as a zip (`--extra-py-files`), the validate job's wheels (`--additional-python-modules`, see `infra.wheels`)
and the suites.

The zip holds what the entry scripts import, followed module by module (imports inside functions too),
with the data files of the packages it holds (the Data Docs' vendored assets): the laptop side (the local
runner, the command line, `ops/`, `bench/`, `soak/`, the generator) stays out.

Each object carries the SHA-256 of its content as `source_hash`, and the zip is built byte-for-byte
reproducibly, so `pulumi up` re-uploads exactly the objects whose content changed.
"""

from __future__ import annotations

import ast
import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra.wheels import Wheel, validation_wheels
from sparkify import pipeline
from sparkify.layout import EXPECTATIONS_PREFIX

REPO_ROOT = pipeline.REPO_ROOT
PACKAGE = "sparkify"

# Keys in the artifacts bucket.
SHARED_CODE_KEY = "lib/sparkify.zip"
WHEELS_PREFIX = "lib/wheels/"

# A fixed timestamp (the earliest a zip can hold) so the archive's bytes depend on content alone.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_files(package_dir: Path) -> list[Path]:
    """The files of the package that belong in the zip, in a stable order (no caches, no hidden files)."""
    files = [
        p
        for p in package_dir.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not any(part.startswith(".") for part in p.relative_to(package_dir).parts)
        and p.suffix not in (".pyc", ".pyo")
    ]
    return sorted(files, key=lambda p: p.relative_to(package_dir).as_posix())


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name a file imports (`from a import b` yields `a` and `a.b`, one of which is a
    module), also inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise ValueError(f"{path}: a relative import (line {node.lineno}) is not followed into the Glue zip")
            if node.module:
                names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


def _owning_package(path: Path) -> Path:
    """The nearest folder above `path` that is a Python package."""
    folder = path.parent
    while not (folder / "__init__.py").is_file():
        folder = folder.parent
    return folder


def glue_side_files(package_dir: Path, scripts: list[Path]) -> list[Path]:
    """The files of `package_dir` that `scripts` need: every module they import, transitively, with the
    packages above it, and the data files of each package held (not those of a subpackage left out)."""
    name, root = package_dir.name, package_dir.parent
    modules: set[Path] = set()
    todo = list(scripts)
    while todo:
        for module in imported_modules(todo.pop()):
            parts = module.split(".")
            if parts[0] != name:
                continue
            for depth in range(1, len(parts) + 1):
                base = root.joinpath(*parts[:depth])
                for candidate in (base / "__init__.py", base.with_suffix(".py")):
                    if candidate.is_file() and candidate not in modules:
                        modules.add(candidate)
                        todo.append(candidate)
    packages = {m.parent for m in modules if m.name == "__init__.py"}
    data = {p for p in package_files(package_dir) if p.suffix != ".py" and _owning_package(p) in packages}
    return sorted(modules | data, key=lambda p: p.relative_to(package_dir).as_posix())


def build_shared_zip(package_dir: Path, out: Path, files: list[Path] | None = None) -> Path:
    """Zip `package_dir` (or only `files` of it) as `<name>/...` with sorted entries, fixed timestamps and
    permissions."""
    out.parent.mkdir(parents=True, exist_ok=True)
    # A name of this process's own: two processes building at once (parallel tests) never share one.
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for path in package_files(package_dir) if files is None else files:
            info = zipfile.ZipInfo(f"{package_dir.name}/{path.relative_to(package_dir).as_posix()}", _ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    tmp.replace(out)
    return out


@dataclass(frozen=True)
class Artifacts:
    script_uris: dict[str, pulumi.Output[str]]  # job step name → s3:// URI of its entry script
    shared_code_uri: pulumi.Output[str]
    wheel_uris: list[pulumi.Output[str]]  # the validate job's wheels, in `infra.wheels` order
    objects: list[aws.s3.BucketObjectv2]


class ArtifactUpload(pulumi.ComponentResource):
    """Uploads everything the Glue jobs load at start-up to the artifacts bucket."""

    artifacts: Artifacts

    def __init__(
        self,
        name: str,
        bucket: aws.s3.Bucket,
        repo_root: Path = REPO_ROOT,
        build_dir: Path | None = None,
        wheels: list[Wheel] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:artifacts:ArtifactUpload", name, None, opts)
        objects: list[aws.s3.BucketObjectv2] = []

        def upload(key: str, path: Path, content_type: str, known_hash: str | None = None) -> pulumi.Output[str]:
            if not path.is_file():
                hint = " (run `make wheels`)" if known_hash else ""
                raise FileNotFoundError(f"{path} is missing{hint}; it is uploaded to the artifacts bucket as {key}")
            # source_hash makes a content change an update of this object on the next `pulumi up`.
            obj = aws.s3.BucketObjectv2(
                f"{name}-{key}",
                bucket=bucket.id,
                key=key,
                source=pulumi.FileAsset(str(path)),
                source_hash=known_hash or sha256(path),
                content_type=content_type,
                opts=pulumi.ResourceOptions(parent=self),
            )
            objects.append(obj)
            return pulumi.Output.concat("s3://", bucket.bucket, "/", key)

        script_uris: dict[str, pulumi.Output[str]] = {}
        scripts: list[Path] = []
        for step in pipeline.job_steps():
            script = repo_root / step.script
            if not script.is_file():
                raise FileNotFoundError(f"pipeline step {step.name!r} names script {step.script}, which does not exist")
            script_uris[step.name] = upload(step.script, script, "text/x-python")
            scripts.append(script)

        package = repo_root / PACKAGE
        zip_path = build_shared_zip(
            package,
            (build_dir or repo_root / "build" / "glue") / "sparkify.zip",
            files=glue_side_files(package, scripts),
        )
        shared_code_uri = upload(SHARED_CODE_KEY, zip_path, "application/zip")
        # Wheels are pinned by uv.lock's hash (checked when `make wheels` fetched them).
        wheel_uris = [
            upload(WHEELS_PREFIX + w.filename, w.path, "application/zip", known_hash=w.sha256)
            for w in (validation_wheels() if wheels is None else wheels)
        ]
        for suite in sorted((repo_root / "expectations").glob("*.json")):
            upload(EXPECTATIONS_PREFIX + suite.name, suite, "application/json")

        self.artifacts = Artifacts(
            script_uris=script_uris,
            shared_code_uri=shared_code_uri,
            wheel_uris=wheel_uris,
            objects=objects,
        )
        self.register_outputs({"shared_code_uri": shared_code_uri})

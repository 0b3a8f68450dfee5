"""The Python packages the validate job installs at start: Great Expectations and whatever of its
dependencies AWS Glue 5.1 does not ship, as wheels built for Glue 5.1's workers (Amazon Linux 2023,
glibc 2.34, x86_64, CPython 3.11), uploaded by `pulumi up` and installed with `pip --no-index`: no job
reaches PyPI at run time, so jobs also run in a VPC without a NAT gateway.

Versions and files come from uv.lock (the same versions the local environment locks, each wheel pinned by
the SHA-256 uv recorded); `make wheels` downloads them into `.wheels/`, checking each hash.
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import parse_wheel_filename

from sparkify import pipeline

LOCK_FILE = pipeline.REPO_ROOT / "uv.lock"
WHEEL_DIR = pipeline.REPO_ROOT / ".wheels"
# What the validate job imports beyond the standard library and Glue's own runtime.
VALIDATION_REQUIREMENTS = ("great-expectations",)

# Python modules AWS Glue 5.1 already provides to Spark jobs (the docs' "Python modules already provided
# in AWS Glue" table, https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html),
# by distribution name. scipy is not among them for 5.1 (4.0 had 1.9.3), and Great Expectations imports
# scipy.stats at import: it ships with the wheels. Installing them again would replace Glue's builds
# (and its boto3) for nothing; pip --no-index checks that Glue's versions satisfy what the wheels need.
# Only the heavy, compiled or AWS-specific ones are left to Glue; small pure-Python packages Glue may
# also have (attrs, packaging, tqdm, tzdata, ...) ship anyway, so a gap in this list cannot stop a run.
GLUE_PROVIDED: frozenset[str] = frozenset(
    {
        "pyspark",
        "py4j",
        "awsgluedataplanepython",
        "boto3",
        "botocore",
        "s3transfer",
        "jmespath",
        "numpy",
        "pandas",
        "pyarrow",
        "requests",
        "urllib3",
        "idna",
        "certifi",
        "charset-normalizer",
        "python-dateutil",
        "six",
        "pytz",
        "setuptools",
        "pip",
    }
)


@dataclass(frozen=True)
class GlueRuntime:
    """What a Glue version's Spark workers run (x86_64 workers; Graviton only from Glue 6.1)."""

    version: str
    python: tuple[int, int]
    glibc: tuple[int, int]

    @property
    def interpreter(self) -> str:
        return f"cp{self.python[0]}{self.python[1]}"

    def describe(self) -> str:
        return f"Glue {self.version} (CPython {self.python[0]}.{self.python[1]}, manylinux x86_64)"

    def marker_environment(self) -> dict[str, str]:
        python = f"{self.python[0]}.{self.python[1]}"
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{python}.0",
            "os_name": "posix",
            "platform_machine": "x86_64",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": f"{python}.0",
            "python_version": python,
            "sys_platform": "linux",
            "extra": "",
        }


# https://docs.aws.amazon.com/glue/latest/dg/release-notes.html: both run on Amazon Linux 2023 (glibc 2.34).
RUNTIMES: dict[str, GlueRuntime] = {
    "5.1": GlueRuntime("5.1", (3, 11), (2, 34)),
    "6.0": GlueRuntime("6.0", (3, 13), (2, 34)),
}
GLUE_5_1 = RUNTIMES["5.1"]
MARKER_ENVIRONMENT = GLUE_5_1.marker_environment()


def target_tags(runtime: GlueRuntime = GLUE_5_1) -> list[Tag]:
    """Wheel tags a worker of `runtime` installs, most specific first."""
    platforms = [f"manylinux_{runtime.glibc[0]}_{minor}_x86_64" for minor in range(runtime.glibc[1], 4, -1)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    interpreter = runtime.interpreter
    return [
        *cpython_tags(runtime.python, abis=[interpreter, "abi3", "none"], platforms=platforms),
        *compatible_tags(runtime.python, interpreter=interpreter, platforms=platforms),
    ]


@dataclass(frozen=True)
class Wheel:
    package: str
    version: str
    filename: str
    url: str
    sha256: str
    size: int

    @property
    def path(self) -> Path:
        return WHEEL_DIR / self.filename


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _applies(dependency: dict[str, Any], environment: dict[str, str]) -> bool:
    marker = dependency.get("marker")
    return marker is None or Marker(marker).evaluate(environment)


def closure(lock: dict[str, Any], roots: tuple[str, ...], runtime: GlueRuntime = GLUE_5_1) -> dict[str, str]:
    """Every package `roots` pull in on a Glue worker (markers evaluated for it), name → locked version."""
    environment = runtime.marker_environment()
    packages = {normalize(p["name"]): p for p in lock["package"]}
    seen: dict[str, str] = {}
    todo = [{"name": root} for root in roots]
    while todo:
        dependency = todo.pop()
        if not _applies(dependency, environment):
            continue
        name = normalize(dependency["name"])
        package = packages[name]
        for extra in dependency.get("extra", []):
            todo.extend(package.get("optional-dependencies", {}).get(extra, []))
        if name in seen:
            continue
        seen[name] = package["version"]
        todo.extend(package.get("dependencies", []))
    return seen


def pick_wheel(package: dict[str, Any], tags: list[Tag], runtime: GlueRuntime = GLUE_5_1) -> Wheel:
    """The locked wheel of `package` a Glue worker installs; raises naming the package when there is none."""
    rank = {tag: i for i, tag in enumerate(tags)}
    best: tuple[int, dict[str, Any]] | None = None
    for wheel in package.get("wheels", []):
        filename = wheel["url"].rsplit("/", 1)[-1]
        _, _, _, wheel_tags = parse_wheel_filename(filename)
        score = min((rank[t] for t in wheel_tags if t in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, wheel)
    if best is None:
        raise LookupError(
            f"uv.lock has no wheel of {package['name']}=={package['version']} for {runtime.describe()}: "
            "Glue cannot compile it at job start"
        )
    wheel = best[1]
    return Wheel(
        package=normalize(package["name"]),
        version=package["version"],
        filename=wheel["url"].rsplit("/", 1)[-1],
        url=wheel["url"],
        sha256=wheel["hash"].removeprefix("sha256:"),
        size=int(wheel["size"]),
    )


def validation_wheels(lock_file: Path = LOCK_FILE, runtime: GlueRuntime = GLUE_5_1) -> list[Wheel]:
    """The wheels the validate job installs on `runtime`, sorted by package name. Raises LookupError naming
    every package uv.lock holds no wheel of for that runtime (say, CPython 3.13 builds before the project
    locks for Python 3.13)."""
    lock: dict[str, Any] = tomllib.loads(lock_file.read_text())
    packages = {normalize(p["name"]): p for p in lock["package"]}
    needed = sorted(n for n in closure(lock, VALIDATION_REQUIREMENTS, runtime) if n not in GLUE_PROVIDED)
    tags = target_tags(runtime)
    wheels: list[Wheel] = []
    lacking: list[str] = []
    for name in needed:
        try:
            wheels.append(pick_wheel(packages[name], tags, runtime))
        except LookupError:
            lacking.append(f"{name}=={packages[name]['version']}")
    if lacking:
        raise LookupError(
            f"uv.lock has no wheels for {runtime.describe()} of {', '.join(lacking)}: "
            f"lock the project for Python {runtime.python[0]}.{runtime.python[1]} first (requires-python, `make lock`)"
        )
    return wheels

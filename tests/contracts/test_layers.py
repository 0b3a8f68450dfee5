"""The arrows between the package's rooms run one way.

- The Glue side (the job scripts and what they import: the top level, `transforms/`, `lake/`, `quality/`,
  `docs_site/`) never imports the laptop side (`local/`, `cli/`, `ops/`, `bench/`, `soak/`, `synthetic/`, `rehearsal/`),
  which is not in the Glue zip.
- `lambdas/` (what runs in AWS Lambda) ships each module as its one file: it imports nothing else of ours,
  only the standard library and boto3 (which the Lambda runtime provides).
- The top level holds the facts both sides read and imports no subpackage (`__main__`, the command's
  entry, excepted).
- `transforms/` are pure: they read the top-level facts and nothing else of ours.
- `lake/` is storage: it reads no suite and writes no page.

The graph is the one `test_imports.py` reads from the source, imports inside functions included.
"""

from __future__ import annotations

import sys

from sparkify.pipeline import REPO_ROOT
from tests.contracts.test_imports import import_graph, imported_names, project_modules

GLUE_SIDE = ("glue_jobs", "sparkify.transforms", "sparkify.lake", "sparkify.quality", "sparkify.docs_site")
LAMBDA_SIDE = ("lambdas",)
LAPTOP_SIDE = (
    "sparkify.local",
    "sparkify.cli",
    "sparkify.ops",
    "sparkify.bench",
    "sparkify.soak",
    "sparkify.synthetic",
    "sparkify.rehearsal",
)
ENTRY_POINTS = {"sparkify.__main__"}


def _in(module: str, rooms: tuple[str, ...]) -> bool:
    return any(module == room or module.startswith(room + ".") for room in rooms)


def _fact(module: str, packages: set[str]) -> bool:
    """A module directly in `sparkify/`, not a subpackage (nor the command's entry)."""
    return module.startswith("sparkify.") and module.count(".") == 1 and module not in packages | ENTRY_POINTS


def wrong_arrows(graph: dict[str, set[str]], packages: set[str]) -> list[str]:
    """Each import that runs against the rooms' order, as `importer -> imported: rule`. `packages`: the
    modules that are packages (`sparkify.lake` is a room, not a top-level fact)."""
    found = []
    for module, imported in sorted(graph.items()):
        if _in(module, LAMBDA_SIDE):
            found += [f"{module} -> {target}: a Lambda imports a module of ours" for target in sorted(imported)]
            continue
        for target in sorted(t for t in imported if t.startswith("sparkify.")):
            if (_in(module, GLUE_SIDE) or _fact(module, packages)) and _in(target, LAPTOP_SIDE):
                found.append(f"{module} -> {target}: the Glue side imports the laptop side")
            if _fact(module, packages) and not _fact(target, packages):
                found.append(f"{module} -> {target}: a top-level fact imports a subpackage")
            if _in(module, ("sparkify.transforms",)) and not (
                _in(target, ("sparkify.transforms",)) or _fact(target, packages)
            ):
                found.append(f"{module} -> {target}: a transform imports more than the top-level facts")
            if _in(module, ("sparkify.lake",)) and _in(target, ("sparkify.quality", "sparkify.docs_site")):
                found.append(f"{module} -> {target}: storage imports the suites or the site")
    return found


def _packages() -> set[str]:
    return {name for name, path in project_modules().items() if path.name == "__init__.py"}


def test_the_rule_finds_each_wrong_arrow() -> None:
    graph = {
        "glue_jobs.stage": {"sparkify.lake.io", "sparkify.local.runner"},
        "sparkify.lake.io": {"sparkify.pipeline", "sparkify.docs_site.site"},
        "sparkify.pipeline": {"sparkify.lake"},
        "sparkify.layout": {"sparkify.pipeline", "sparkify.lake.io"},
        "sparkify.transforms.star": {"sparkify.schemas", "sparkify.transforms.common", "sparkify.lake.tables"},
        "sparkify.local.runner": {"sparkify.lake.io", "sparkify.cli.console"},
        "sparkify.__main__": {"sparkify.cli.main"},
        "sparkify.lake": set(),
        "lambdas.router": {"sparkify.pipeline", "sparkify.ops.aws"},
    }
    assert wrong_arrows(graph, packages={"sparkify.lake"}) == [
        "glue_jobs.stage -> sparkify.local.runner: the Glue side imports the laptop side",
        "lambdas.router -> sparkify.ops.aws: a Lambda imports a module of ours",
        "lambdas.router -> sparkify.pipeline: a Lambda imports a module of ours",
        "sparkify.lake.io -> sparkify.docs_site.site: storage imports the suites or the site",
        "sparkify.layout -> sparkify.lake.io: a top-level fact imports a subpackage",
        "sparkify.pipeline -> sparkify.lake: a top-level fact imports a subpackage",
        "sparkify.transforms.star -> sparkify.lake.tables: a transform imports more than the top-level facts",
    ]


def test_every_arrow_runs_the_rooms_way() -> None:
    graph = import_graph()
    assert wrong_arrows(graph, _packages()) == []


def test_the_rooms_named_here_exist() -> None:
    # A renamed room would make the rules above pass by matching nothing.
    modules = set(import_graph())
    for room in (*GLUE_SIDE, *LAMBDA_SIDE, *LAPTOP_SIDE):
        assert any(_in(m, (room,)) for m in modules), f"{room} holds no module"


def test_a_lambda_imports_only_the_standard_library_and_boto3() -> None:
    # What the Lambda runtime holds besides the one file it is given.
    provided = set(sys.stdlib_module_names) | {"boto3", "botocore"}
    for module, path in project_modules().items():
        if _in(module, LAMBDA_SIDE):
            extra = {n.split(".")[0] for n in imported_names(path)} - provided
            assert not extra, f"{path.relative_to(REPO_ROOT)} imports {sorted(extra)}, which a Lambda does not hold"

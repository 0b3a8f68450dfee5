"""The project's import graph: no loop anywhere, and the `sparkify` package stands alone (the wheel
and the Glue jobs' zip hold only it), so no verb needs the Pulumi program or its SDK.

The graph is read from the source (every `import`, also those inside functions, which run later but
still tie the modules together)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from sparkify.pipeline import REPO_ROOT

PACKAGES = ("sparkify", "infra", "glue_jobs", "lambdas")


def project_modules(root: Path = REPO_ROOT) -> dict[str, Path]:
    modules = {"__main__": root / "__main__.py"}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def imported_names(path: Path) -> set[str]:
    """Every absolute module name a file imports (`from a import b` yields `a` and `a.b`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    return {
        module: {o for o in (owner(n) for n in imported_names(path)) if o and o != module}
        for module, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_loop() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back() -> None:
    assert cycles(import_graph()) == []


def test_the_sparkify_package_imports_neither_the_pulumi_program_nor_its_sdk() -> None:
    offending = {
        str(path.relative_to(REPO_ROOT)): sorted(
            n for n in imported_names(path) if n.split(".")[0] in {"infra", "pulumi", "pulumi_aws"}
        )
        for module, path in project_modules().items()
        if module.startswith("sparkify")
    }
    assert {f: names for f, names in offending.items() if names} == {}


def test_naming_a_stacks_resources_loads_no_pulumi() -> None:
    # What `sparkify status --stack dev` does first when there is no Pulumi CLI to ask.
    code = (
        "import sys, sparkify.cli.main; from sparkify.ops.stack import derived_names; "
        "assert derived_names('dev', 'us-east-1', '123456789012')['workflow_name'] == 'sparkify-dev'; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'infra')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"

"""`sparkify plan --stack NAME`: what `pulumi up` would create for a stack of this repository, offline.

The Pulumi program is rendered under Pulumi's own mocks (`infra/plan.py`, the render the infrastructure
tests read) in a child process, so the `sparkify` package never imports Pulumi; no Pulumi CLI and no AWS
account are needed. It prints every AWS resource with the settings a reviewer checks, how many there are,
and what the stack costs a month and a run; `--json` prints the `sparkify.plan/1` document.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from sparkify import pipeline
from sparkify.cli.console import JsonOption, console, emit, fail, progress
from sparkify.cli.stack import StackOption, _stack_name

PLAN_MODULE = "infra.plan"


def plan(
    stack: StackOption = None,
    json_output: JsonOption = False,
    settings: Annotated[
        bool, typer.Option(help="Show each resource's settings (--no-settings: types and names).")
    ] = True,
) -> None:
    """Preview offline what `pulumi up` creates for a stack: resources, their settings, and the cost."""
    name = _stack_name(stack)
    if not (pipeline.REPO_ROOT / "infra" / "plan.py").is_file():
        raise fail(
            f"the Pulumi program is not next to this sparkify ({pipeline.REPO_ROOT}): run plan in the repository"
        )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(pipeline.REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    with progress().status(f"rendering stack {name} under Pulumi's mocks …"):
        done = subprocess.run(
            [sys.executable, "-m", PLAN_MODULE, name],
            cwd=pipeline.REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()]
        raise fail(said[-1] if said else f"rendering stack {name} failed (exit {done.returncode})")
    document: dict[str, Any] = json.loads(done.stdout)
    if json_output:
        emit("plan", document)
        return
    _show(document, settings)


def _settings_text(found: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in found.items() if v not in (None, {}, ""))


def _show(document: dict[str, Any], settings: bool) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("type")
    table.add_column("name")
    if settings:
        table.add_column("settings")
    for row in document["resources"]:
        cells = [escape(row["type"].split(":")[1]), escape(row["name"])]  # aws:s3/bucket:Bucket → s3/bucket
        if settings:
            cells.append(escape(_settings_text(row["settings"])))
        table.add_row(*cells)
    console.print(table)
    counts, cost = document["counts"], document["cost"]
    schedule = document["schedule"] or "on demand"
    console.print(
        f"Plan of stack {document['stack']} ({document['region']}, account {document['account']} stands for yours): "
        f"{counts['aws_resources']} AWS resources; {counts['registered']} registered with {counts['components']} "
        f"components and the provider. Schedule: {escape(schedule)}. Alert mail: {document['alert_email'] or 'none'}.",
        soft_wrap=True,
    )
    fixed = cost["fixed_per_month_usd"]
    items = ", ".join(f"{k} ${v:.2f}" for k, v in fixed.items() if k != "total")
    console.print(f"Fixed a month: ${fixed['total']:.2f} ({items})", soft_wrap=True)
    runs = "; ".join(
        f"{size} ${c['total']:.3f} (DPUs ${c['dpus']:.3f}, metrics ${c['metrics']:.3f}, logs ${c['logs']:.3f})"
        for size, c in cost["per_run_usd"].items()
    )
    console.print(f"Per run: {runs}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(plan)

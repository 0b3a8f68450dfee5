"""`sparkify rollback --run ID`: every curated table's `main` back to what it held before that run
published (`sparkify.local.rollback`), recorded as a run of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sparkify.cli.console import JsonOption, console, emit, fail
from sparkify.cli.target import LOCAL_RULE, local_only


def rollback(
    run_id: Annotated[str, typer.Option("--run", help="The run whose publish to undo (`sparkify runs` lists them).")],
    lake: Annotated[Path | None, typer.Option(help=f"A local lake folder. {LOCAL_RULE}")] = None,
    also_later: Annotated[
        bool, typer.Option("--also-later", help="Also undo every publish made after that run (refused without it).")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Undo a publish: each table the run published goes back to the snapshot its `main` held before,
    and its `audit` with it. Refused, with nothing moved, when the run is unknown, published nothing, or
    a later run has published over it (roll back the latest instead, or give --also-later). Recorded as
    a run (`sparkify runs`, the Data Docs index). The next run rebuilds the tables from staging and
    judges them: fix or remove the raw files behind the bad rows first, or it publishes them again.
    Local lake only."""
    from sparkify.lake.rollback import RollbackRefused
    from sparkify.local.rollback import rollback as roll_back
    from sparkify.local.runner import LakeLocked

    lake = local_only(lake)

    if not (lake / "reports").is_dir():
        raise fail(f"{lake} holds no run reports: is it a lake (`sparkify run --lake {lake}`)?")
    try:
        report = roll_back(lake, run_id, also_later)
    except RollbackRefused as exc:
        raise fail(str(exc)) from None
    except LakeLocked as exc:
        raise fail(str(exc), code=3) from None
    if json_output:
        emit("run-report", report)
        return
    undone = ", ".join([run_id, *report["rolled_back"]["later"]])
    for name, snapshot in sorted(report["published"].items()):
        rows = report["tables"].get(name, {}).get("rows", 0)
        console.print(escape(f"{name}: main back to snapshot {snapshot} ({rows:,} rows)"), soft_wrap=True)
    console.print(
        f"[bold green]Rollback {escape(report['run_id'])}[/] undid the publish of {escape(undone)}; the next run "
        "rebuilds the tables from staging and judges them",
        soft_wrap=True,
    )

"""`sparkify runs`: the local run history the Data Docs index shows (`sparkify.local.run_history`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from sparkify.cli.console import JsonOption, console, emit, fail
from sparkify.cli.render import status_text
from sparkify.cli.target import LOCAL_RULE, local_only


def runs(
    lake: Annotated[Path | None, typer.Option(help=f"A local lake folder. {LOCAL_RULE}")] = None,
    json_output: JsonOption = False,
) -> None:
    """List a local lake's runs, newest first: id, kind (run, backfill, rollback), start, status, seconds
    and the rows published after it. Local lake only (a stack's runs: `sparkify status --stack NAME`)."""
    from sparkify.local.run_history import history

    lake = local_only(lake)

    try:
        found = history(lake)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    if json_output:
        emit("runs", {"lake": str(lake), "runs": found})
        return
    if not found:
        console.print(f"no runs in {lake} yet: `sparkify run --lake {lake}` starts one")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("run", "kind", "started (UTC)", "status", "seconds", "rows published"):
        table.add_column(column, justify="right" if column in ("seconds", "rows published") else "left", no_wrap=True)
    for r in found:
        table.add_row(
            r["run_id"],
            r["kind"],
            r["started_at"].replace("T", " ")[:19],
            status_text(r["status"]),
            f"{r['seconds']:.1f}",
            "—" if r["rows_published"] is None else f"{r['rows_published']:,}",
        )
    console.print(table)

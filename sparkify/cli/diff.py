"""`sparkify diff`: what a run would publish, each curated table's `audit` branch against its `main`
(`sparkify.local.lake_diff`): rows added, changed and removed, and the first few of each by the table's key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from sparkify.cli.console import JsonOption, console, emit, fail
from sparkify.cli.target import LOCAL_RULE, local_only
from sparkify.ops import OpsError


def diff(
    table: Annotated[
        list[str] | None, typer.Option("--table", help="Only this curated table; repeat for several.")
    ] = None,
    lake: Annotated[Path | None, typer.Option(help=f"A local lake folder. {LOCAL_RULE}")] = None,
    json_output: JsonOption = False,
) -> None:
    """Show what waits on the `audit` branches: per table, the rows a publish would add, change and
    remove on `main`, with examples by the table's key (a failed audit's rejected rows among them).
    Local lake only; no Spark starts."""
    from sparkify.local.lake_diff import diff_lake

    lake = local_only(lake)

    try:
        document = diff_lake(lake, table)
    except OpsError as exc:
        raise fail(str(exc)) from None
    if json_output:
        emit("diff", document)
        return
    for line in diff_lines(document):
        console.print(line, soft_wrap=True)


def diff_lines(document: dict[str, Any]) -> list[Any]:
    """The diff for a person: a table of counts, then each example on a line (rich renderables)."""
    waiting = {name: d for name, d in document["tables"].items() if d["added"] or d["changed"] or d["removed"]}
    if not waiting:
        return [escape(f"audit is main in {len(document['tables'])} table(s) of {document['lake']}: nothing waits")]
    counts = Table(title=f"audit against main in {escape(document['lake'])}", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("table", "added", "changed", "removed"):
        counts.add_column(column, justify="left" if column == "table" else "right")
    for name, d in document["tables"].items():
        counts.add_row(name, f"{d['added']:,}", f"{d['changed']:,}", f"{d['removed']:,}")
    lines: list[Any] = [counts]
    for name, d in waiting.items():
        for example in d["examples"]:
            lines.append(f"{name} {example['change']}: {escape(example_text(example))}")
    for rejected in document.get("rejected") or []:
        for row in rejected["rows"]:
            key = " ".join(f"{k}={v}" for k, v in row.items() if k not in ("source_file", "line"))
            at = f" at {row['source_file']} line {row['line']}" if row.get("source_file") else ""
            lines.append(
                f"[red]rejected[/] {escape(rejected['table'])} by {escape(rejected['rule'])}: {escape(key + at)}"
            )
    return lines


def example_text(example: dict[str, Any]) -> str:
    """`song_id=SO…: duration -5.0` (added, removed: the row's other values; changed: old → new)."""
    key = " ".join(f"{k}={v}" for k, v in example["key"].items())
    if "columns" in example:
        values = ", ".join(f"{c} {v['main']!r} → {v['audit']!r}" for c, v in example["columns"].items())
    else:
        values = ", ".join(f"{c} {v!r}" for c, v in example["row"].items() if c not in example["key"])
    return f"{key}: {values}"

"""`sparkify sql "SELECT …"`: ad-hoc SQL over the lake's curated tables by their bare names, as `sparkify
query` runs its named queries: DuckDB over the branch pyiceberg scans (no Spark), or Athena with --stack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from sparkify.cli.console import JsonOption, console, emit, fail
from sparkify.cli.target import RULE
from sparkify.ops import OpsError


def sql(
    text: Annotated[
        str, typer.Argument(metavar="SQL", help="A SELECT over songplays, users, users_history, songs, artists, time.")
    ],
    branch: Annotated[
        str, typer.Option(help="`main` (published) or `audit` (what the last run wrote, rejected or not). Local only.")
    ] = "main",
    lake: Annotated[Path | None, typer.Option(help="A local lake folder.")] = None,
    stack: Annotated[
        str | None, typer.Option(help=f"Run in the stack's Athena workgroup instead (main only). {RULE}")
    ] = None,
    region: Annotated[str | None, typer.Option(help="With --stack: the AWS region.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Run SQL over the curated tables: locally with DuckDB (DuckDB's dialect), or in Athena with --stack."""
    from sparkify.cli import target
    from sparkify.cli.stack import _guard, _resolve, choose_target
    from sparkify.ops import query as ops_query
    from sparkify.ops.stack import Overrides

    if not text.strip():
        raise fail('give the SQL to run, e.g. sparkify sql "SELECT count(*) FROM songplays"')
    where = choose_target(lake, stack)
    try:
        if isinstance(where, target.Local):
            result = ops_query.run_sql_local(where.lake, text, branch)
        else:
            if branch != "main":
                raise fail("--branch audit reads a local lake only: Athena sees what is published (main)")
            names, aws = _guard(lambda: _resolve(where.name, Overrides(region=region)))
            result = ops_query.run_sql_athena(aws, names, text)
    except OpsError as exc:
        raise fail(str(exc)) from None
    if json_output:
        document = result.as_dict()
        document.pop("query", None)
        emit("sql-result", {"sql": text, **document})
        return
    console.print(result_table(result.columns, result.rows))
    count = len(result.rows)
    console.print(f"[dim]{count} row{'' if count == 1 else 's'} from {result.source} in {result.seconds:.1f} s[/]")


def result_table(columns: list[str], rows: list[list[Any]]) -> Table:
    """The rows for a person as `sparkify query` prints them (its cell and alignment rules)."""
    from sparkify.cli.stack import _cell, _numeric

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, column in enumerate(columns):
        table.add_column(column, justify="right" if _numeric(row[i] for row in rows) else "left")
    for row in rows:
        table.add_row(*(_cell(v, column) for v, column in zip(row, columns, strict=True)))
    return table

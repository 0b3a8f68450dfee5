"""The `sparkify` verbs that operate a deployed stack: trigger, status, docs, upload, query, migrate-catalog.

Each is a thin typer command over `sparkify.ops`: it resolves the stack's names, calls one ops function,
and prints the result: a rich table or summary (`sparkify.cli.render`), or JSON with `--json`. Every
failure an `OpsError` describes ends the command with one `error:` line and exit code 2; a workflow run
that failed exits with 1.
"""

from __future__ import annotations

import re
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from sparkify import layout
from sparkify.cli import render, target
from sparkify.cli.console import JsonOption, console, emit, err, fail
from sparkify.ops import OpsError

if TYPE_CHECKING:
    from sparkify.ops.aws import Aws
    from sparkify.ops.stack import Overrides, StackNames

T = TypeVar("T")

StackOption = Annotated[str | None, typer.Option("--stack", help=target.STACK_RULE)]
# For the verbs that read a local lake or a stack alike (docs, query, quarantine): the one rule of `target`.
EitherStackOption = Annotated[str | None, typer.Option("--stack", help=f"A deployed stack. {target.RULE}")]
RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="AWS region. Default: aws:region of Pulumi.<stack>.yaml, else AWS_REGION."),
]
WorkflowOption = Annotated[str | None, typer.Option("--workflow", help="Glue workflow name (overrides the stack's).")]


def _guard(action: Callable[[], T]) -> T:
    """Run `action`; an `OpsError` becomes one error line and exit code 2."""
    try:
        return action()
    except OpsError as exc:
        raise fail(str(exc)) from None


def _stack_name(stack: str | None) -> str:
    try:
        return target.stack_only(stack)
    except target.NoTarget as exc:
        raise fail(str(exc)) from None


def choose_target(lake: Path | None, stack: str | None) -> target.Local | target.Stack:
    """The lake or stack of a verb that reads either (`target`'s rule); one error line when there is none."""
    try:
        return target.choose(lake, stack)
    except target.NoTarget as exc:
        raise fail(str(exc)) from None


def _resolve(stack: str | None, overrides: Overrides, *, require_workflow: bool = False) -> tuple[StackNames, Aws]:
    from sparkify.ops import aws as ops_aws
    from sparkify.ops import stack as ops_stack

    session = ops_aws.connect(region=overrides.region)
    return ops_stack.resolve(session, _stack_name(stack), overrides, require_workflow=require_workflow)


# ---------------------------------------------------------------------------------------------------------
# trigger


def trigger(
    stack: StackOption = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Show every step's progress until the run ends.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls with --follow.", min=0.0)] = 10.0,
    timeout: Annotated[
        float | None, typer.Option(help="Stop following after this many seconds (the run goes on).", min=0.0)
    ] = None,
    workflow: WorkflowOption = None,
    region: RegionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Start a run of the stack's Glue workflow; with --follow, watch it to the end (exit 1 if it fails)."""
    from sparkify.ops import glue_runs
    from sparkify.ops.stack import Overrides

    names, aws = _guard(lambda: _resolve(stack, Overrides(region=region, workflow=workflow), require_workflow=True))
    run_id = _guard(lambda: glue_runs.start_run(aws, names))
    if not follow:
        if json_output:
            emit(
                "run-started", {"stack": names.stack, "workflow": names.workflow, "run_id": run_id, "status": "running"}
            )
        else:
            render.started(names, run_id, hint=True)
        return
    if not json_output:
        render.started(names, run_id, hint=False)
    display = render.FollowDisplay(console, enabled=not json_output)
    try:
        view = _guard(lambda: glue_runs.follow(aws, names, run_id, display.update, interval=interval, timeout=timeout))
    except KeyboardInterrupt:
        display.stop()
        render.stopped_following(names, run_id)
        raise typer.Exit(130) from None
    finally:
        display.stop()
    if json_output:
        emit("run-report", view.report())
    elif view.status == "succeeded":
        render.success(view, names)
    else:
        render.failure(view, names)
    if view.status != "succeeded":
        raise typer.Exit(1)


# ---------------------------------------------------------------------------------------------------------
# status


def status(
    stack: StackOption = None,
    run: Annotated[str | None, typer.Option("--run", help="One run (its id, or a unique prefix of it).")] = None,
    limit: Annotated[int, typer.Option(help="How many recent runs to show.", min=1)] = 5,
    workflow: WorkflowOption = None,
    curated_bucket: Annotated[
        str | None, typer.Option(help="Bucket holding reports/ (overrides the stack's curated bucket).")
    ] = None,
    region: RegionOption = None,
    json_output: JsonOption = False,
) -> None:
    """The latest runs (or one run): steps, duration, rows written, validation and estimated cost."""
    from sparkify.ops import glue_runs
    from sparkify.ops.stack import Overrides

    overrides = Overrides(region=region, workflow=workflow, curated_bucket=curated_bucket)
    names, aws = _guard(lambda: _resolve(stack, overrides, require_workflow=True))
    if run is not None:
        view = _guard(lambda: glue_runs.get_run(aws, names, glue_runs.resolve_run_id(aws, names, run)))
        if json_output:
            emit("run-report", view.report())
        else:
            render.run_detail(view, names)
        return
    views = _guard(lambda: glue_runs.recent_runs(aws, names, limit))
    if json_output:
        emit("run-list", {"stack": names.stack, "workflow": names.workflow, "runs": [v.report() for v in views]})
    elif not views:
        render.no_runs(names)
    else:
        render.runs(views, names)


# ---------------------------------------------------------------------------------------------------------
# docs


def docs(
    stack: EitherStackOption = None,
    lake: Annotated[Path | None, typer.Option(help="A local lake's Data Docs.")] = None,
    run: Annotated[str | None, typer.Option("--run", help="A run's Data Docs instead of the latest.")] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open index.html in the web browser.")] = False,
    out: Annotated[
        Path | None, typer.Option(help="Folder to fetch the site into. Default: build/data_docs/<stack>/<run|latest>.")
    ] = None,
    docs_bucket: Annotated[str | None, typer.Option(help="Docs bucket (overrides the stack's).")] = None,
    region: RegionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print the path of a lake's Data Docs, or fetch a stack's, of the latest (or one) run."""
    from sparkify.ops import docs as ops_docs
    from sparkify.ops.stack import Overrides

    url = None
    where = choose_target(lake, stack)
    if isinstance(where, target.Local):
        site = _guard(lambda: ops_docs.local_site(where.lake, run))
    else:
        names, aws = _guard(lambda: _resolve(where.name, Overrides(region=region, docs_bucket=docs_bucket)))
        if run is not None:
            given = run
            run = _guard(lambda: ops_docs.resolve_run_id(aws, names, given))
        dest = out or Path("build") / "data_docs" / names.stack / (
            layout.LATEST_DOCS if run is None else layout.run_dir(run)
        )
        site = _guard(lambda: ops_docs.fetch_site(aws, names, dest, run))
        url = _guard(lambda: ops_docs.cloudfront_url(aws, names, run))
    index = site.index.resolve()
    if json_output:
        emit(
            "docs", {"index": str(index), "source": site.source, "files": site.files, "run_id": site.run_id, "url": url}
        )
    else:
        render.data_docs(site, index, url)
    if open_browser and not webbrowser.open(index.as_uri()):
        err.print(f"could not start a web browser; open {index.as_uri()} yourself")


# ---------------------------------------------------------------------------------------------------------
# upload


def upload(
    raw: Annotated[Path, typer.Option("--raw", help="Local raw folder with song_data/ and log_data/.")],
    stack: StackOption = None,
    raw_bucket: Annotated[str | None, typer.Option(help="Raw bucket (overrides the stack's).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Only say what would be uploaded.")] = False,
    region: RegionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Copy a local raw folder to the stack's raw bucket, skipping files already there."""
    from sparkify.ops import upload as ops_upload
    from sparkify.ops.stack import Overrides

    names, aws = _guard(lambda: _resolve(stack, Overrides(region=region, raw_bucket=raw_bucket)))
    plan = _guard(lambda: ops_upload.plan_upload(aws, names, raw))
    target = f"s3://{plan.bucket}/{plan.prefix}"
    uploaded = 0
    if not dry_run and plan.to_upload:
        with render.upload_progress(plan, enabled=not json_output) as advance:
            uploaded = _guard(lambda: ops_upload.upload(aws, plan, advance))
    summary = {
        "stack": names.stack,
        "target": target,
        "uploaded": uploaded,
        "uploaded_bytes": plan.bytes_to_upload if uploaded else 0,
        "skipped": len(plan.skipped),
        "would_upload": len(plan.to_upload) if dry_run else 0,
    }
    if json_output:
        emit("upload", summary)
    else:
        render.uploaded(plan, target, len(plan.to_upload) if dry_run else uploaded, dry_run=dry_run)


# ---------------------------------------------------------------------------------------------------------
# query


def query(
    name: Annotated[str | None, typer.Argument(help="A named query; leave out to list them.")] = None,
    lake: Annotated[Path | None, typer.Option(help="Run locally over this lake's curated tables (no Spark).")] = None,
    branch: Annotated[
        str,
        typer.Option(help="On a lake: `main` (published) or `audit` (what the last run wrote, rejected or not)."),
    ] = "main",
    stack: EitherStackOption = None,
    database: Annotated[str | None, typer.Option(help="Glue database (overrides the stack's).")] = None,
    workgroup: Annotated[str | None, typer.Option(help="Athena workgroup (overrides the stack's).")] = None,
    region: RegionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Run a named analytics query over a local lake (no Spark) or in a stack's Athena, and print the result."""
    from sparkify.ops import query as ops_query
    from sparkify.ops.stack import Overrides

    if name is None:
        catalog = ops_query.catalog()
        if json_output:
            emit("query-list", {"queries": [{"name": n, "description": d} for n, d in catalog]})
            return
        table = Table(title="Named queries", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("name")
        table.add_column("description")
        for query_name, description in catalog:
            table.add_row(query_name, description)
        console.print(table)
        return
    _guard(lambda: ops_query.sql_for(name))
    where = choose_target(lake, stack)
    if isinstance(where, target.Local):
        result = _guard(lambda: ops_query.run_local(where.lake, name, branch))
    else:
        overrides = Overrides(region=region, database=database, workgroup=workgroup)
        names, aws = _guard(lambda: _resolve(where.name, overrides))
        result = _guard(lambda: ops_query.run_athena(aws, names, name))
    if json_output:
        emit("query-result", result.as_dict())
        return
    description = dict(ops_query.catalog()).get(name, "")
    console.print(f"[bold]{name}[/]: {description}", soft_wrap=True)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, column in enumerate(result.columns):
        table.add_column(column, justify="right" if _numeric(row[i] for row in result.rows) else "left")
    for row in result.rows:
        table.add_row(*(_cell(v, column) for v, column in zip(row, result.columns, strict=True)))
    console.print(table)
    count = len(result.rows)
    console.print(f"[dim]{count} row{'' if count == 1 else 's'} from {result.source} in {result.seconds:.1f} s[/]")


def _numeric(values: Any) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        (isinstance(v, (int, float)) and not isinstance(v, bool))
        or (isinstance(v, str) and re.fullmatch(r"-?\d+(\.\d+)?", v))
        for v in present
    )


# Counts read better grouped (1,234 plays); years and ids are names, not amounts (2018, not 2,018).
CALENDAR_COLUMNS = frozenset({"year", "month", "week", "day", "weekday", "hour"})


def groups_thousands(column: str) -> bool:
    name = column.lower()
    return not (name in CALENDAR_COLUMNS or name == "id" or name.endswith("_id"))


def _cell(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and groups_thousands(column):
        return f"{value:,}"
    return escape(str(value))


# ---------------------------------------------------------------------------------------------------------
# migrate-catalog


def migrate_catalog(
    stack: StackOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Drop the entries (without it, only list them).")] = False,
    region: RegionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Before the first Iceberg run of a stack deployed by an earlier version: drop the Hive tables its
    curated crawler registered under the curated tables' names (files stay; Iceberg's upkeep removes them)."""
    from sparkify.ops import catalog as ops_catalog
    from sparkify.ops.stack import Overrides

    names, aws = _guard(lambda: _resolve(stack, Overrides(region=region)))
    tables = _guard(lambda: ops_catalog.legacy_tables(aws, names))
    if yes:
        _guard(lambda: ops_catalog.drop_legacy_tables(aws, names, tables))
    if json_output:
        emit(
            "migrate-catalog",
            {"database": names.database, "dropped" if yes else "would_drop": [vars(t) for t in tables]},
        )
    else:
        render.legacy_tables(names, tables, dropped=yes)


def register(app: typer.Typer) -> None:
    """Add the ops verbs to the `sparkify` command."""
    for command in (upload, trigger, status, docs, query):
        app.command()(command)
    app.command("migrate-catalog")(migrate_catalog)

"""The `sparkify` verbs that operate a deployed stack: trigger, status, docs, upload, query, migrate-catalog.

Each is a thin typer command over `sparkify.ops`: it resolves the stack's names, calls one ops function,
and prints a rich table (or JSON with `--json`). Every failure an `OpsError` describes ends the command
with one `error:` line and exit code 2; a workflow run that failed exits with 1.
"""

from __future__ import annotations

import json
import os
import re
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich import box
from rich.live import Live
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from sparkify import pipeline
from sparkify.console import console, err, fail
from sparkify.ops import OpsError

if TYPE_CHECKING:
    from sparkify.ops.aws import Aws
    from sparkify.ops.stack import Overrides, StackNames

DEFAULT_STACK = "dev"
STACK_ENV = "SPARKIFY_STACK"

T = TypeVar("T")

StackOption = Annotated[
    str | None,
    typer.Option("--stack", help=f"Pulumi stack of the deployment. Default: ${STACK_ENV}, else {DEFAULT_STACK}."),
]
RegionOption = Annotated[
    str | None, typer.Option("--region", help="AWS region. Default: aws:region of Pulumi.<stack>.yaml, else AWS_REGION.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]
WorkflowOption = Annotated[str | None, typer.Option("--workflow", help="Glue workflow name (overrides the stack's).")]

STATUS_STYLE = {
    "succeeded": ("✓", "green"),
    "failed": ("✗", "red"),
    "running": ("▶", "yellow"),
    "stopping": ("▶", "yellow"),
    "waiting": ("·", "dim"),
    "stopped": ("■", "magenta"),
    "not run": ("–", "dim"),
}




def _emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _guard(action: Callable[[], T]) -> T:
    """Run `action`; an `OpsError` becomes one error line and exit code 2."""
    try:
        return action()
    except OpsError as exc:
        raise fail(str(exc)) from None


def _stack_name(stack: str | None) -> str:
    return stack or os.environ.get(STACK_ENV) or DEFAULT_STACK


def _resolve(stack: str | None, overrides: Overrides, *, require_workflow: bool = False) -> tuple[StackNames, Aws]:
    from sparkify.ops import aws as ops_aws
    from sparkify.ops import stack as ops_stack

    session = ops_aws.connect(region=overrides.region)
    return ops_stack.resolve(session, _stack_name(stack), overrides, require_workflow=require_workflow)


def _status_text(status: str) -> str:
    mark, color = STATUS_STYLE.get(status, ("?", "white"))
    return f"[{color}]{mark} {status}[/]"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _short(text: str | None, width: int = 70) -> str:
    if not text:
        return ""
    line = text.strip().splitlines()[0]
    return line if len(line) <= width else line[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------------------
# trigger


def _steps_table(view: Any) -> Table:
    table = Table(
        title=f"run {view.run_id[:12]}…  {_status_text(view.status)}  {_duration(view.seconds())}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for column in ("step", "kind", "status", "elapsed", "detail"):
        table.add_column(column, justify="right" if column == "elapsed" else "left")
    for step in view.steps:
        detail = escape(_short(step.error, 60)) if step.error else (step.state or "")
        if step.attempts > 1:
            detail = f"attempt {step.attempts} {detail}".strip()
        table.add_row(step.name, step.kind, _status_text(step.status), _duration(step.seconds), detail)
    return table


class _FollowDisplay:
    """Live table on a terminal; one line per change of a step's status otherwise (CI logs, pipes)."""

    def __init__(self, console: Any, enabled: bool):
        self.console = console
        self.enabled = enabled
        self.live: Live | None = None
        self.seen: dict[str, str] = {}

    def update(self, view: Any) -> None:
        if not self.enabled:
            return
        if self.console.is_terminal:
            # Redrawn once per poll: nothing changes in between, so no refresh thread.
            if self.live is None:
                self.live = Live(console=self.console, auto_refresh=False)
                self.live.start()
            self.live.update(_steps_table(view), refresh=True)
            return
        for step in view.steps:
            if self.seen.get(step.name) != step.status:
                self.seen[step.name] = step.status
                detail = f"  {escape(_short(step.error, 90))}" if step.error else ""
                self.console.print(
                    f"  {step.kind:<7} {step.name:<10} {_status_text(step.status):<22} {_duration(step.seconds):>7}{detail}",
                    soft_wrap=True,
                )

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def _print_failure(view: Any, names: Any) -> None:
    step = view.failed_step
    if step is not None:
        glue = f"{step.kind} {step.glue_name}" + (f", run {step.job_run_id}" if step.job_run_id else "")
        console.print(f"[bold red]✗ run {view.run_id} {view.status} at step {step.name}[/] ({glue})", soft_wrap=True)
        console.print(f"  error:   {escape(step.error or view.error or f'the step {step.status}')}", soft_wrap=True)
        if step.logs:
            console.print(f"  logs:    {escape(step.logs)}", soft_wrap=True)
        if step.console_url:
            console.print(f"  console: {escape(step.console_url)}", soft_wrap=True)
    else:
        console.print(
            f"[bold red]✗ run {view.run_id} {view.status}[/]: {escape(view.error or 'see the steps above')}", soft_wrap=True
        )
    _print_suites(view.report(), only_failed=True)
    if any("data_docs_index" in metrics for metrics in view.metrics.values()):
        from sparkify.ops.docs import site_prefix

        bucket, prefix = site_prefix(names, view.run_id)
        console.print(
            f"  Data Docs: s3://{bucket}/{prefix}index.html  (sparkify docs --stack {names.stack} --run {view.run_id} --open)",
            soft_wrap=True,
        )


def _print_suites(report: dict[str, Any], only_failed: bool = False) -> None:
    for name, suite in report.get("suites", {}).items():
        for failed in suite.get("failed_expectations", []):
            what = failed.get("type", failed) if isinstance(failed, dict) else failed
            column = f"({failed['column']})" if isinstance(failed, dict) and failed.get("column") else ""
            details = f": {failed['details']}" if isinstance(failed, dict) and failed.get("details") else ""
            console.print(f"  [red]✗ {name}:[/] {escape(f'{what}{column}{details}')}", soft_wrap=True)
    if not only_failed and report.get("metrics_note"):
        console.print(f"[dim]{report['metrics_note']}[/]")


def _print_success(view: Any, names: Any) -> None:
    report = view.report()
    rows = sum(t["rows"] for t in report["tables"].values())
    suites = report["suites"]
    passed = sum(1 for s in suites.values() if s.get("success"))
    console.print(
        f"[bold green]✓ run {view.run_id} succeeded[/] in {_duration(view.seconds())}: "
        f"{rows:,} curated rows, {passed}/{len(suites)} suites passed, "
        f"≈ ${view.usd:.2f} ({view.dpu_seconds:,.0f} DPU-s)",
        soft_wrap=True,
    )
    console.print(f"  Data Docs: sparkify docs --stack {names.stack} --run {view.run_id} --open", soft_wrap=True)


def trigger(
    stack: StackOption = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Show every step's progress until the run ends.")] = False,
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
            _emit_json({"stack": names.stack, "workflow": names.workflow, "run_id": run_id, "status": "running"})
        else:
            console.print(f"started run {run_id} of workflow {names.workflow} ({names.describe()})", soft_wrap=True)
            console.print(f"follow it: sparkify status --stack {names.stack} --run {run_id}", soft_wrap=True)
        return
    if not json_output:
        console.print(f"started run {run_id} of workflow {names.workflow} ({names.describe()})", soft_wrap=True)
    display = _FollowDisplay(console, enabled=not json_output)
    try:
        view = _guard(lambda: glue_runs.follow(aws, names, run_id, display.update, interval=interval, timeout=timeout))
    except KeyboardInterrupt:
        display.stop()
        console.print(f"stopped following; the run goes on: sparkify status --stack {names.stack} --run {run_id}")
        raise typer.Exit(130) from None
    finally:
        display.stop()
    if json_output:
        _emit_json(view.report())
    elif view.status == "succeeded":
        _print_success(view, names)
    else:
        _print_failure(view, names)
    if view.status != "succeeded":
        raise typer.Exit(1)


# ---------------------------------------------------------------------------------------------------------
# status


def _runs_table(views: list[Any], names: Any) -> Table:
    steps = " ".join(step.name for step in pipeline.STEPS)
    table = Table(box=box.SIMPLE_HEAD, caption=f"steps: {steps}", caption_justify="left", pad_edge=False)
    table.add_column("run", no_wrap=True)
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("took", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("steps", no_wrap=True)
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("suites", justify="right", no_wrap=True)
    table.add_column("cost", justify="right", no_wrap=True)
    for view in views:
        report = view.report()
        rows = sum(t["rows"] for t in report["tables"].values()) if report["tables"] else None
        suites = report["suites"]
        if suites:
            failed = sum(1 for s in suites.values() if not s.get("success"))
            verdict = f"[red]{failed} failed[/]" if failed else f"[green]{len(suites)} ok[/]"
        else:
            verdict = "—"
        marks = []
        for step in view.steps:
            mark, color = STATUS_STYLE.get(step.status, ("?", "white"))
            marks.append(f"[{color}]{mark}[/]")
        table.add_row(
            view.run_id[:12] + ("…" if len(view.run_id) > 12 else ""),
            view.started_at.strftime("%Y-%m-%d %H:%M") if view.started_at else "—",
            _duration(view.seconds()),
            _status_text(view.status),
            " ".join(marks),
            "—" if rows is None else f"{rows:,}",
            verdict,
            f"${view.usd:.2f}",
        )
    return table


def _run_detail(view: Any, names: Any) -> None:
    report = view.report()
    console.print(f"[bold]Run {view.run_id}[/] of {names.workflow} ({names.describe()})", soft_wrap=True)
    started = f"started {view.started_at:%Y-%m-%d %H:%M:%S} UTC, " if view.started_at else ""
    title = f"{_status_text(view.status)}, {started}took {_duration(view.seconds())}"
    steps = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("step", "kind", "status", "took", "DPU-s", "cost", "detail"):
        steps.add_column(column, justify="right" if column in ("took", "DPU-s", "cost") else "left")
    for step in view.steps:
        steps.add_row(
            step.name,
            step.kind,
            _status_text(step.status),
            _duration(step.seconds),
            f"{step.dpu_seconds:,.0f}",
            f"${step.usd:.3f}",
            escape(_short(step.error, 60)),
        )
    console.print(steps)
    if report["tables"]:
        tables = Table(title="Curated tables", title_justify="left", box=box.SIMPLE_HEAD)
        tables.add_column("table")
        tables.add_column("rows", justify="right")
        tables.add_column("suite")
        for name, info in report["tables"].items():
            suite = report["suites"].get(name)
            verdict = "—" if suite is None else (
                "[green]passed[/]" if suite["success"] else f"[red]{suite['failed']} of {suite['evaluated']} failed[/]"
            )
            tables.add_row(name, f"{info['rows']:,}", verdict)
        console.print(tables)
    for source, counts in report["sources"].items():
        console.print(
            f"raw {source}: {counts['read']:,} read, {counts['staged']:,} staged, {counts['quarantined']:,} quarantined"
        )
    console.print(f"estimated cost: ${view.usd:.3f} ({view.dpu_seconds:,.0f} DPU-seconds)")
    if view.status in ("failed", "stopped"):
        _print_failure(view, names)
    elif report.get("metrics_note"):
        console.print(f"[dim]{report['metrics_note']}[/]")


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
            _emit_json(view.report())
        else:
            _run_detail(view, names)
        return
    views = _guard(lambda: glue_runs.recent_runs(aws, names, limit))
    if json_output:
        _emit_json({"stack": names.stack, "workflow": names.workflow, "runs": [v.report() for v in views]})
        return
    if not views:
        console.print(f"no runs of {names.workflow} yet: start one with `sparkify trigger --stack {names.stack} --follow`")
        return
    console.print(f"[bold]Runs of {names.workflow}[/] ({names.describe()})", soft_wrap=True)
    console.print(_runs_table(views, names))


# ---------------------------------------------------------------------------------------------------------
# docs


def docs(
    stack: StackOption = None,
    lake: Annotated[Path | None, typer.Option(help="Use the Data Docs of a local lake instead of a stack.")] = None,
    run: Annotated[str | None, typer.Option("--run", help="A run's Data Docs instead of the latest.")] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open index.html in the web browser.")] = False,
    out: Annotated[
        Path | None, typer.Option(help="Folder to fetch the site into. Default: build/data_docs/<stack>/<run|latest>.")
    ] = None,
    docs_bucket: Annotated[str | None, typer.Option(help="Docs bucket (overrides the stack's).")] = None,
    region: RegionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Fetch the Data Docs of the latest (or one) run and print the path of index.html."""
    from sparkify.ops import docs as ops_docs
    from sparkify.ops.stack import Overrides

    if lake is not None and stack is not None:
        raise fail("pass --lake DIR or --stack NAME, not both")
    url = None
    if lake is not None:
        site = _guard(lambda: ops_docs.local_site(lake, run))
    else:
        names, aws = _guard(lambda: _resolve(stack, Overrides(region=region, docs_bucket=docs_bucket)))
        if run is not None:
            given = run
            run = _guard(lambda: ops_docs.resolve_run_id(aws, names, given))
        dest = out or Path("build") / "data_docs" / names.stack / ("latest" if run is None else f"runs/{run}")
        site = _guard(lambda: ops_docs.fetch_site(aws, names, dest, run))
        url = _guard(lambda: ops_docs.cloudfront_url(aws, names, run))
    index = site.index.resolve()
    if json_output:
        _emit_json({"index": str(index), "source": site.source, "files": site.files, "run_id": site.run_id, "url": url})
    else:
        console.print(f"Data Docs ({site.files} files from {site.source}):", soft_wrap=True)
        console.print(str(index), soft_wrap=True)
        if url:
            console.print(f"CloudFront: {url}", soft_wrap=True)
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
        progress = Progress(
            TextColumn("[bold]upload[/]"),
            BarColumn(),
            TextColumn("{task.fields[files]}"),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=json_output,
        )
        total_files = len(plan.to_upload)
        with progress:
            task = progress.add_task("upload", total=plan.bytes_to_upload, files=f"0/{total_files} files")
            files_done = 0

            def advance(raw_file: Any) -> None:
                nonlocal files_done
                files_done += 1
                progress.update(task, advance=raw_file.size, files=f"{files_done}/{total_files} files")

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
        _emit_json(summary)
        return
    if not plan.to_upload:
        console.print(f"nothing to upload: all {len(plan.skipped)} files are already in {target}", soft_wrap=True)
        return
    verb = "would upload" if dry_run else "uploaded"
    count = len(plan.to_upload) if dry_run else uploaded
    console.print(
        f"{verb} {count} files ({plan.bytes_to_upload / 1024:,.1f} KiB) to {target}; "
        f"skipped {len(plan.skipped)} already there",
        soft_wrap=True,
    )


# ---------------------------------------------------------------------------------------------------------
# query


def query(
    name: Annotated[str | None, typer.Argument(help="A named query; leave out to list them.")] = None,
    lake: Annotated[Path | None, typer.Option(help="Run locally over this lake's curated tables (no Spark).")] = None,
    branch: Annotated[
        str,
        typer.Option(help="With --lake: `main` (published) or `audit` (what the last run wrote, rejected or not)."),
    ] = "main",
    stack: StackOption = None,
    database: Annotated[str | None, typer.Option(help="Glue database (overrides the stack's).")] = None,
    workgroup: Annotated[str | None, typer.Option(help="Athena workgroup (overrides the stack's).")] = None,
    region: RegionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Run a named analytics query locally (--lake) or in Athena (--stack) and print the result."""
    from sparkify.ops import query as ops_query
    from sparkify.ops.stack import Overrides

    if name is None:
        catalog = ops_query.catalog()
        if json_output:
            _emit_json([{"name": n, "description": d} for n, d in catalog])
            return
        table = Table(title="Named queries", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("name")
        table.add_column("description")
        for query_name, description in catalog:
            table.add_row(query_name, description)
        console.print(table)
        return
    if lake is not None and stack is not None:
        raise fail("pass --lake DIR or --stack NAME, not both")
    _guard(lambda: ops_query.sql_for(name))
    if lake is not None:
        result = _guard(lambda: ops_query.run_local(lake, name, branch))
    else:
        overrides = Overrides(region=region, database=database, workgroup=workgroup)
        names, aws = _guard(lambda: _resolve(stack, overrides))
        result = _guard(lambda: ops_query.run_athena(aws, names, name))
    if json_output:
        _emit_json(result.as_dict())
        return
    description = dict(ops_query.catalog()).get(name, "")
    console.print(f"[bold]{name}[/]: {description}", soft_wrap=True)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, column in enumerate(result.columns):
        table.add_column(column, justify="right" if _numeric(row[i] for row in result.rows) else "left")
    for row in result.rows:
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    count = len(result.rows)
    console.print(f"[dim]{count} row{'' if count == 1 else 's'} from {result.source} in {result.seconds:.1f} s[/]")


def _numeric(values: Any) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) or isinstance(v, str) and re.fullmatch(r"-?\d+(\.\d+)?", v)
        for v in present
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
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
        _emit_json({"database": names.database, "dropped" if yes else "would_drop": [vars(t) for t in tables]})
        return
    if not tables:
        console.print(f"{names.database}: no Hive table stands in the way of the Iceberg tables", soft_wrap=True)
        return
    verb = "dropped" if yes else "would drop (run again with --yes)"
    for table in tables:
        console.print(f"{verb}: {names.database}.{table.name}  ({table.kind}, {table.location})", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ops verbs to the `sparkify` command."""
    for command in (upload, trigger, status, docs, query):
        app.command()(command)
    app.command("migrate-catalog")(migrate_catalog)

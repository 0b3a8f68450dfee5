"""What the stack verbs show a person: tables of runs and steps, the account of a failed or finished run,
the live display of `trigger --follow`, and the summaries of `upload`, `docs` and `migrate-catalog`.

The verbs in `sparkify.cli.stack` fetch and decide; everything here only prints (to `sparkify.cli.console`),
from the values `sparkify.ops` returns. `--json` output is not here: it is those values' own dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
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
from sparkify.cli.console import console, err
from sparkify.report import failed_expectation_lines

if TYPE_CHECKING:
    from pathlib import Path

    from sparkify.ops.catalog import LegacyTable
    from sparkify.ops.docs import Site
    from sparkify.ops.glue_runs import RunView
    from sparkify.ops.stack import StackNames
    from sparkify.ops.upload import RawFile, UploadPlan

STATUS_STYLE = {
    "succeeded": ("✓", "green"),
    "failed": ("✗", "red"),
    "running": ("▶", "yellow"),
    "stopping": ("▶", "yellow"),
    "waiting": ("·", "dim"),
    "stopped": ("■", "magenta"),
    "not run": ("–", "dim"),
}


def status_text(status: str) -> str:
    mark, color = STATUS_STYLE.get(status, ("?", "white"))
    return f"[{color}]{mark} {status}[/]"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def short(text: str | None, width: int = 70) -> str:
    if not text:
        return ""
    line = text.strip().splitlines()[0]
    return line if len(line) <= width else line[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------------------
# trigger


def started(names: StackNames, run_id: str, *, hint: bool) -> None:
    console.print(f"started run {run_id} of workflow {names.workflow} ({names.describe()})", soft_wrap=True)
    if hint:
        console.print(f"follow it: sparkify status --stack {names.stack} --run {run_id}", soft_wrap=True)


def steps_table(view: RunView) -> Table:
    table = Table(
        title=f"run {view.run_id[:12]}…  {status_text(view.status)}  {duration(view.seconds())}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for column in ("step", "kind", "status", "elapsed", "detail"):
        table.add_column(column, justify="right" if column == "elapsed" else "left")
    for step in view.steps:
        detail = escape(short(step.error, 60)) if step.error else (step.state or "")
        if step.attempts > 1:
            detail = f"attempt {step.attempts} {detail}".strip()
        table.add_row(step.name, step.kind, status_text(step.status), duration(step.seconds), detail)
    return table


class FollowDisplay:
    """Live table on a terminal; one line per change of a step's status otherwise (CI logs, pipes)."""

    def __init__(self, console: Console, enabled: bool):
        self.console = console
        self.enabled = enabled
        self.live: Live | None = None
        self.seen: dict[str, str] = {}

    def update(self, view: RunView) -> None:
        if not self.enabled:
            return
        if self.console.is_terminal:
            # Redrawn once per poll: nothing changes in between, so no refresh thread.
            if self.live is None:
                self.live = Live(console=self.console, auto_refresh=False)
                self.live.start()
            self.live.update(steps_table(view), refresh=True)
            return
        for step in view.steps:
            if self.seen.get(step.name) != step.status:
                self.seen[step.name] = step.status
                detail = f"  {escape(short(step.error, 90))}" if step.error else ""
                self.console.print(
                    f"  {step.kind:<7} {step.name:<10} {status_text(step.status):<22} "
                    f"{duration(step.seconds):>7}{detail}",
                    soft_wrap=True,
                )

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def stopped_following(names: StackNames, run_id: str) -> None:
    console.print(f"stopped following; the run goes on: sparkify status --stack {names.stack} --run {run_id}")


def failure(view: RunView, names: StackNames) -> None:
    """Which step ended the run, why, where its logs are, the failed expectations and the Data Docs."""
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
            f"[bold red]✗ run {view.run_id} {view.status}[/]: {escape(view.error or 'see the steps above')}",
            soft_wrap=True,
        )
    failed_expectations(view.report())
    if any("data_docs_index" in metrics for metrics in view.metrics.values()):
        from sparkify.ops.docs import site_prefix

        bucket, prefix = site_prefix(names, view.run_id)
        console.print(
            f"  Data Docs: s3://{bucket}/{prefix}index.html  (sparkify docs --stack {names.stack} --run "
            f"{view.run_id} --open)",
            soft_wrap=True,
        )


def failed_expectations(report: dict[str, Any]) -> None:
    for line in failed_expectation_lines(report):
        name, rest = line.split(": ", 1)
        console.print(f"  [red]✗ {escape(name)}:[/] {escape(rest)}", soft_wrap=True)


def success(view: RunView, names: StackNames) -> None:
    report = view.report()
    rows = sum(t["rows"] for t in report["tables"].values())
    suites = report["suites"]
    passed = sum(1 for s in suites.values() if s.get("success"))
    console.print(
        f"[bold green]✓ run {view.run_id} succeeded[/] in {duration(view.seconds())}: "
        f"{rows:,} curated rows, {passed}/{len(suites)} suites passed, "
        f"≈ ${view.usd:.2f} ({view.dpu_seconds:,.0f} DPU-s)",
        soft_wrap=True,
    )
    console.print(f"  Data Docs: sparkify docs --stack {names.stack} --run {view.run_id} --open", soft_wrap=True)


# ---------------------------------------------------------------------------------------------------------
# status


def no_runs(names: StackNames) -> None:
    console.print(f"no runs of {names.workflow} yet: start one with `sparkify trigger --stack {names.stack} --follow`")


def runs(views: list[RunView], names: StackNames) -> None:
    console.print(f"[bold]Runs of {names.workflow}[/] ({names.describe()})", soft_wrap=True)
    console.print(runs_table(views))


def runs_table(views: list[RunView]) -> Table:
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
            duration(view.seconds()),
            status_text(view.status),
            " ".join(marks),
            "—" if rows is None else f"{rows:,}",
            verdict,
            f"${view.usd:.2f}",
        )
    return table


def run_detail(view: RunView, names: StackNames) -> None:
    report = view.report()
    console.print(f"[bold]Run {view.run_id}[/] of {names.workflow} ({names.describe()})", soft_wrap=True)
    started = f"started {view.started_at:%Y-%m-%d %H:%M:%S} UTC, " if view.started_at else ""
    title = f"{status_text(view.status)}, {started}took {duration(view.seconds())}"
    steps = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("step", "kind", "status", "took", "DPU-s", "cost", "detail"):
        steps.add_column(column, justify="right" if column in ("took", "DPU-s", "cost") else "left")
    for step in view.steps:
        steps.add_row(
            step.name,
            step.kind,
            status_text(step.status),
            duration(step.seconds),
            f"{step.dpu_seconds:,.0f}",
            f"${step.usd:.3f}",
            escape(short(step.error, 60)),
        )
    console.print(steps)
    if report["tables"]:
        tables = Table(title="Curated tables", title_justify="left", box=box.SIMPLE_HEAD)
        tables.add_column("table")
        tables.add_column("rows", justify="right")
        tables.add_column("suite")
        for name, info in report["tables"].items():
            suite = report["suites"].get(name)
            verdict = (
                "—"
                if suite is None
                else (
                    "[green]passed[/]"
                    if suite["success"]
                    else f"[red]{suite['failed']} of {suite['evaluated']} failed[/]"
                )
            )
            tables.add_row(name, f"{info['rows']:,}", verdict)
        console.print(tables)
    for source, counts in report["sources"].items():
        console.print(
            f"raw {source}: {counts['read']:,} read, {counts['staged']:,} staged, {counts['quarantined']:,} quarantined"
        )
    console.print(f"estimated cost: ${view.usd:.3f} ({view.dpu_seconds:,.0f} DPU-seconds)")
    if view.status in ("failed", "stopped"):
        failure(view, names)
    elif report.get("metrics_note"):
        console.print(f"[dim]{report['metrics_note']}[/]")


# ---------------------------------------------------------------------------------------------------------
# docs, upload, migrate-catalog


def data_docs(site: Site, index: Path, url: str | None) -> None:
    console.print(f"Data Docs ({site.files} files from {site.source}):", soft_wrap=True)
    console.print(str(index), soft_wrap=True)
    if url:
        console.print(f"CloudFront: {url}", soft_wrap=True)


@contextmanager
def upload_progress(plan: UploadPlan, *, enabled: bool) -> Iterator[Callable[[RawFile], None]]:
    """A progress bar on stderr over the plan's bytes and files; yields what to call after each file."""
    progress = Progress(
        TextColumn("[bold]upload[/]"),
        BarColumn(),
        TextColumn("{task.fields[files]}"),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not enabled,
    )
    total_files = len(plan.to_upload)
    with progress:
        task = progress.add_task("upload", total=plan.bytes_to_upload, files=f"0/{total_files} files")
        files_done = 0

        def advance(raw_file: RawFile) -> None:
            nonlocal files_done
            files_done += 1
            progress.update(task, advance=raw_file.size, files=f"{files_done}/{total_files} files")

        yield advance


def uploaded(plan: UploadPlan, target: str, count: int, *, dry_run: bool) -> None:
    if not plan.to_upload:
        console.print(f"nothing to upload: all {len(plan.skipped)} files are already in {target}", soft_wrap=True)
        return
    verb = "would upload" if dry_run else "uploaded"
    console.print(
        f"{verb} {count} files ({plan.bytes_to_upload / 1024:,.1f} KiB) to {target}; "
        f"skipped {len(plan.skipped)} already there",
        soft_wrap=True,
    )


def legacy_tables(names: StackNames, tables: list[LegacyTable], *, dropped: bool) -> None:
    if not tables:
        console.print(f"{names.database}: no Hive table stands in the way of the Iceberg tables", soft_wrap=True)
        return
    verb = "dropped" if dropped else "would drop (run again with --yes)"
    for table in tables:
        console.print(f"{verb}: {names.database}.{table.name}  ({table.kind}, {table.location})", soft_wrap=True)

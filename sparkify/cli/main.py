"""`sparkify`: generate sample data and run the Glue workflow locally, end to end."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer._click import ClickException, Context  # Typer's own vendored Click
from typer.core import TyperGroup, TyperOption

from sparkify import layout, pipeline
from sparkify.cli import target
from sparkify.cli.console import JsonOption, console, emit, err, error_document, fail, json_mode, progress
from sparkify.cli.next_step import failed_audit_line
from sparkify.cli.step_progress import StepProgress
from sparkify.job_args import parse_run_date
from sparkify.local import jit_choice
from sparkify.report import failed_expectation_lines

if TYPE_CHECKING:
    from sparkify.synthetic.generate import GenerateSummary


class _Verbs(TyperGroup):
    """Under `--json`, a usage error (an unknown option, a missing or bad value) is the error document on
    stdout too, with Click's exit code 2, instead of Click's usage text on stderr."""

    def invoke(self, ctx: Context) -> Any:
        asked_json = "--json" in (*ctx._protected_args, *ctx.args)
        try:
            return super().invoke(ctx)
        except ClickException as exc:
            if not (asked_json or json_mode()):
                raise
            typer.echo(json.dumps(error_document(exc.format_message(), exc.exit_code), indent=2))
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Verbs,
    help="Sparkify on AWS Glue: run the star-schema workflow locally, with Great Expectations validation.\n\n"
    f"Local first: verbs that read a lake or a stack (query, docs, quarantine) take --lake DIR or --stack NAME. "
    f"{target.RULE} Verbs that only work a stack (upload, trigger, status, migrate-catalog) need --stack NAME "
    f"or ${target.STACK_ENV}.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _flags_show_no_type() -> None:
    """Typer's rich help prints a value type after every option, `<bool>` after flags too, which take no
    value (its plain help leaves it out). Here flags show none, on every verb, `--help` included."""
    shows_type = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:  # Typer's own vendored click Context
        return None if self.is_flag and not self.count else shows_type(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_show_no_type()


def version() -> str:
    """`sparkify <version>`: the installed package's version (pyproject.toml's)."""
    return f"sparkify {metadata.version('sparkify-glue')}"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version())
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    pass


DEFAULT_RAW = Path("sample_raw")
DEFAULT_LAKE = Path(layout.DEFAULT_LAKE)
# The default sample: large enough to exercise every join and level change, small enough for a minute's run.
DEFAULT_SONGS, DEFAULT_EVENTS, DEFAULT_SEED = 200, 5000, 42


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write song_data/ and log_data/ into.")],
    songs: Annotated[int, typer.Option(help="Number of song files.")] = DEFAULT_SONGS,
    events: Annotated[int, typer.Option(help="Number of log events.")] = DEFAULT_EVENTS,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same bytes.")] = DEFAULT_SEED,
    force: Annotated[bool, typer.Option(help="Replace song_data/ and log_data/ if OUT already has data.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Write synthetic raw data laid out exactly like the Sparkify S3 prefixes."""
    from sparkify.synthetic.generate import generate as write_sample

    _check_folder(out, "--out")
    try:
        summary = write_sample(out, songs=songs, events=events, seed=seed, force=force)
    except (FileExistsError, ValueError) as exc:
        raise fail(f"{exc}") from None
    except OSError as exc:
        raise fail(f"cannot write the sample to {out} ({exc.strerror or type(exc).__name__})") from None
    if json_output:
        emit("generate", generate_document(summary, seed))
    else:
        for line in generate_lines(summary, seed):
            console.print(escape(line))


def generate_document(summary: GenerateSummary, seed: int) -> dict[str, Any]:
    return {
        "out": str(summary.out),
        "seed": seed,
        "song_files": summary.song_files,
        "artists": summary.artists,
        "log_files": summary.log_files,
        "events": summary.events,
        "next_song_events": summary.next_song_events,
        "matched_events": summary.matched_events,
        "users": summary.users,
        "level_changed_users": summary.level_changed_users,
    }


def generate_lines(summary: GenerateSummary, seed: int) -> list[str]:
    """What `generate` wrote, for a person: where, then the songs, the events and the users."""
    return [
        f"Wrote a sample into {summary.out} (seed {seed})",
        f"  song_data/  {summary.song_files:,} song files, {summary.artists:,} artists",
        f"  log_data/   {summary.log_files:,} log files, {summary.events:,} events, "
        f"{summary.next_song_events:,} of them NextSong ({summary.matched_events:,} matching a generated song)",
        f"  users       {summary.users:,}, {summary.level_changed_users:,} of them changing level",
    ]


STEP_NAMES = tuple(s.name for s in pipeline.STEPS)


@app.command()
def run(
    raw: Annotated[
        Path | None,
        typer.Option(help=f"Raw folder with song_data/ and log_data/. Default: a generated sample in ./{DEFAULT_RAW}."),
    ] = None,
    lake: Annotated[
        Path, typer.Option(help="Output folder for staging, curated tables, quarantine, Data Docs.")
    ] = DEFAULT_LAKE,
    report: Annotated[Path | None, typer.Option(help="Also write the run report (JSON) here.")] = None,
    full_refresh: Annotated[
        bool, typer.Option(help="Forget what earlier runs staged and rebuild every table from all raw files.")
    ] = False,
    step: Annotated[
        list[str] | None,
        typer.Option(
            "--step",
            help=f"Run only this step ({', '.join(STEP_NAMES)}); repeat for several. Default: every step.",
            show_default=False,
        ),
    ] = None,
    run_date: Annotated[
        str | None,
        typer.Option(
            "--run-date",
            help="The run's logical date (2026-12-24 or an ISO date and time), as a scheduler gives it: the "
            "clock of table upkeep. Default: now.",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Run the whole workflow locally (stage → model → validate), in pipeline order, on local Spark.

    Each run stages only the raw files earlier runs into the same lake have not seen. With --step only
    the steps named run, under the same lake lock and with the same job arguments; only validate
    publishes."""
    unknown = [name for name in step or [] if name not in STEP_NAMES]
    if unknown:
        raise fail(f"--step {', '.join(unknown)}: no such step; the steps are {', '.join(STEP_NAMES)}")
    selected = [s.name for s in pipeline.STEPS if s.name in step] if step else None
    stages = selected is None or "stage" in selected
    if raw is None:
        raw = _default_sample() if stages else DEFAULT_RAW
    if stages:
        for prefix in pipeline.SOURCES.values():
            if not (raw / prefix).is_dir():
                raise fail(
                    f"{raw / prefix} does not exist: the raw folder needs song_data/ and log_data/ "
                    f"(try `sparkify generate --out {raw}`)"
                )
    try:
        jit_choice.setting()
        logical_date = parse_run_date(run_date)
    except ValueError as exc:
        raise fail(str(exc)) from None
    _check_lake(lake)
    run_and_report(raw, lake, report, full_refresh, selected, logical_date, json_output)


def run_and_report(
    raw: Path,
    lake: Path,
    report: Path | None,
    full_refresh: bool,
    selected: list[str] | None,
    logical_date: datetime | None,
    json_output: bool,
    backfill: tuple[date, date] | None = None,
) -> None:
    """Run the workflow with its progress on screen, then its summary (or the run report under --json);
    exits with the run's exit code. Shared by `run` and `backfill` (which gives the days to read again)."""
    from sparkify.local.runner import LakeLocked, RunNotStarted, exit_code, run_pipeline

    out = progress()
    out.print(
        escape(f"Sparkify local {'backfill' if backfill else 'run'}  raw={raw}  lake={lake}")
        + (f"  steps={','.join(selected)}" if selected else "")
        + (f"  days={backfill[0]}..{backfill[1]}" if backfill else "")
    )
    steps = pipeline.STEPS
    shown = StepProgress(out)
    position = {s.name: i for i, s in enumerate(steps, start=1)}

    def on_step(step: pipeline.Step, result: Any) -> None:
        label = f"[{position[step.name]}/{len(steps)}] {step.kind} {step.name}"
        if result is None:
            if selected is None or step.name in selected:
                shown.start(label, step.description)
            return
        shown.end(step_line(label, result.status, result.seconds, result.error))

    try:
        report_data = run_pipeline(
            raw,
            lake,
            on_step=on_step,
            full_refresh=full_refresh,
            steps=selected,
            run_date=logical_date,
            backfill=backfill,
        )
    except LakeLocked as locked:
        raise fail(str(locked), code=3) from None
    except RunNotStarted as exc:
        raise fail(str(exc), code=1) from None
    except KeyboardInterrupt:  # before the run took the lake: nothing was written
        raise fail("interrupted by SIGINT before the run started: nothing was written", code=130) from None
    finally:
        shown.stop()
    copy_problem = _write_copy(report, report_data)
    interrupted = report_data["status"] == "interrupted"
    if json_output:
        emit("run-report", report_data)
    elif not interrupted:  # stopped on purpose: the one line below is all a person needs
        _print_summary(report_data, lake, report)
    latest = Path(lake) / layout.LAKE_LAYOUT[pipeline.Location.REPORTS] / layout.LATEST_REPORT
    if interrupted:
        err.print(
            escape(
                f"{report_data['error']}: what it committed stays, and the next run carries on from there "
                f"(run report: {latest})"
            ),
            soft_wrap=True,
        )
    elif report_data["error"]:  # the run broke off (not a failed suite, which the summary shows)
        err.print(f"[bold red]error:[/] {escape(report_data['error'])}", soft_wrap=True)
    if copy_problem:
        err.print(f"[bold red]error:[/] {escape(copy_problem)}", soft_wrap=True)
    code = exit_code(report_data)
    if code or copy_problem:
        raise typer.Exit(code or 1)


def _write_copy(target: Path | None, report: dict[str, Any]) -> str | None:
    """`--report FILE`: a copy of the run report; what went wrong when it could not be written."""
    if target is None:
        return None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(report, indent=2))
    except OSError as exc:
        return (
            f"the run report's copy could not be written to {target} ({exc.strerror}); "
            "the lake's reports/latest.json has it"
        )
    return None


def step_line(label: str, status: str, seconds: float, error: str | None) -> str:
    """One step's line in rich markup: mark, step, status, seconds and its error (escaped)."""
    mark = {"succeeded": "[green]✓[/]", "failed": "[red]✗[/]"}.get(status, "[dim]–[/]")
    detail = f"  [dim]{escape(error)}[/]" if error else ""
    return f"{mark} {escape(f'{label:<24}')} {status:<10} {seconds:6.1f} s{detail}"


def _check_lake(lake: Path) -> None:
    """A lake must be a folder this process can write: one clear line (exit 2) instead of a Spark
    traceback deep inside the first step."""
    _check_folder(lake, "--lake")


def _check_folder(folder: Path, option: str) -> None:
    """`folder` (given as `option`) must be a folder this process can write, created when missing; if not,
    one clear line and exit code 2 instead of a traceback."""
    if folder.exists() and not folder.is_dir():
        raise fail(f"{option} {folder} is a file, not a folder: give a folder (it is created when missing)")
    probe = folder / f".sparkify-write-test-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise fail(f"{option} {folder} is not a writable folder ({reason}): give a folder you can write to") from None


def _default_sample() -> Path:
    from sparkify.synthetic.generate import generate as write_sample

    if not DEFAULT_RAW.exists():
        progress().print(f"generating a sample into ./{DEFAULT_RAW} (seed {DEFAULT_SEED}) …")
        write_sample(DEFAULT_RAW, songs=DEFAULT_SONGS, events=DEFAULT_EVENTS, seed=DEFAULT_SEED)
    return DEFAULT_RAW


def _print_summary(report: dict[str, Any], lake: Path, report_file: Path | None) -> None:
    """The run for a person: rows and verdict per table, raw files and records, what failed and where
    to look."""
    tables = Table(title="Curated tables", title_justify="left")
    tables.add_column("table")
    tables.add_column("rows (published)", justify="right")
    tables.add_column("suite")
    unpublished = {name: info["audit"] for name, info in report["tables"].items() if "audit" in info}
    if unpublished:
        tables.add_column("audit branch (not published)", justify="right")
    for name, info in report["tables"].items():
        suite = report["suites"].get(name)
        if suite is None:
            verdict = "—"
        elif "unchanged_since_snapshot" in suite:  # not judged again: nothing it reads has changed
            verdict = "[green]unchanged[/]"
        else:
            verdict = "[green]passed[/]" if suite["success"] else f"[red]{suite['failed']} failed[/]"
        waiting = unpublished.get(name)
        shown = [f"{waiting['rows']:,} {waiting['state']}" if waiting else ""] if unpublished else []
        tables.add_row(name, f"{info['rows']:,}", verdict, *shown)
    if report["tables"]:  # none when the model step did not run (`--step stage`)
        console.print(tables)
    if report["sources"]:  # none when the stage step did not run
        _print_raw(report)
    if report.get("nothing_new"):
        console.print("Nothing new to stage: every raw file was staged by an earlier run.")
    for line in failed_expectation_lines(report):
        name, rest = line.split(": ", 1)
        console.print(f"[red]✗ {escape(name)}:[/] {escape(rest)}")
    site_index = Path(lake).resolve() / layout.LAKE_LAYOUT[pipeline.Location.DATA_DOCS] / "index.html"  # every kept run
    docs = str(site_index) if site_index.is_file() else report["data_docs_index"]
    if docs:
        console.print(f"Data Docs: {escape(docs)}")
    latest = Path(lake) / layout.LAKE_LAYOUT[pipeline.Location.REPORTS] / layout.LATEST_REPORT
    console.print(escape(f"Run report: {report_file or latest}"))
    next_step = failed_audit_line(report, lake)
    if next_step:
        console.print(f"[bold red]{escape(next_step)}[/]", soft_wrap=True)
    color = "green" if report["status"] == "succeeded" else "red"
    console.print(f"[bold {color}]Run {report['run_id']} {report['status']}[/] in {report['seconds']:.1f} s")


FILE_CLASSES = ("new", "changed", "unchanged", "deleted", "unsupported")


def _print_raw(report: dict[str, Any]) -> None:
    """Raw files per class (files seen = files accounted for), records (read = staged + quarantined),
    and the most frequent reasons for rejection with an example of each."""
    files = Table(title="Raw files", title_justify="left")
    for column in ("source", "seen", *FILE_CLASSES):
        files.add_column(column, justify="left" if column == "source" else "right")
    for name, counts in report["sources"].items():
        classes = counts.get("file_classes") or {}
        files.add_row(name, f"{counts.get('files_seen', 0):,}", *(f"{classes.get(c, 0):,}" for c in FILE_CLASSES))
    console.print(files)
    sources = Table(title="Raw records", title_justify="left")
    for column in ("source", "read", "staged", "quarantined"):
        sources.add_column(column, justify="left" if column == "source" else "right")
    for name, counts in report["sources"].items():
        sources.add_row(name, f"{counts['read']:,}", f"{counts['staged']:,}", f"{counts['quarantined']:,}")
    console.print(sources)
    top = [(name, r) for name, counts in report["sources"].items() for r in counts.get("top_reasons", [])]
    if top:
        reasons = Table(title="Top quarantine reasons (sparkify quarantine lists every record)", title_justify="left")
        for column in ("source", "count", "reason", "e.g."):
            reasons.add_column(column, justify="right" if column == "count" else "left", overflow="fold")
        for name, r in sorted(top, key=lambda item: -item[1]["count"])[:5]:
            reasons.add_row(name, f"{r['count']:,}", Text(r["reason"]), Text(r["example"]))
        console.print(reasons)
    for name, counts in report["sources"].items():
        for f in counts.get("unsupported_files", []):
            console.print(f"[yellow]skipped {name} file[/] {f['path']}: {f['reason']}", soft_wrap=True)
        for path in counts.get("deleted_files", []):
            console.print(f"[yellow]deleted {name} file[/] {path}: its staged rows were removed", soft_wrap=True)
        for path in counts.get("judged_again_files", []):
            console.print(
                f"[yellow]read again {name} file[/] {path}: it held copies of rows that left staging", soft_wrap=True
            )


@app.command("quarantine")
def quarantine_command(
    run_id: Annotated[str | None, typer.Option("--run", help="The run to show. Default: the latest.")] = None,
    lake: Annotated[Path | None, typer.Option(help="A local lake folder.")] = None,
    stack: Annotated[str | None, typer.Option(help=f"A deployed stack. {target.RULE}")] = None,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(help="Records to print (tables only; --json prints all).")] = 50,
) -> None:
    """List what a run quarantined: reasons with counts, then each record's file, line, reason and raw text."""
    from sparkify.cli import quarantine
    from sparkify.cli.stack import choose_target

    where = choose_target(lake, stack)
    store: quarantine.Store
    if isinstance(where, target.Stack):
        from sparkify.cli.stack import _guard, _resolve
        from sparkify.ops.stack import Overrides

        names, aws = _guard(lambda: _resolve(where.name, Overrides()))
        locations = {loc: names.location(loc) for loc in (pipeline.Location.REPORTS, pipeline.Location.QUARANTINE)}
        store = quarantine.S3Lake(aws.client("s3"), locations)
    else:
        if not (where.lake / layout.LAKE_LAYOUT[pipeline.Location.REPORTS]).is_dir():
            raise fail(f"{where.lake} holds no run reports: is it a lake (`sparkify run --lake {where.lake}`)?")
        store = quarantine.LocalLake(where.lake)
    try:
        result = quarantine.load(store, run_id)
    except quarantine.QuarantineError as exc:
        raise fail(str(exc)) from None
    if as_json:
        emit("quarantine", result.as_json())
        return
    console.print(
        f"Run {result.run_id}: {len(result.records):,} records quarantined"
        + ("" if result.batch_id is None else f" (batch {result.batch_id})")
    )
    if not result.records:
        return
    reasons = Table(title="Reasons", title_justify="left")
    for column in ("source", "count", "reason"):
        reasons.add_column(column, justify="right" if column == "count" else "left")
    for r in result.reasons():
        reasons.add_row(r["source"], f"{r['count']:,}", Text(r["reason"]))
    console.print(reasons)
    records = Table(title="Records", title_justify="left")
    for column in ("source", "file", "line", "reason", "record"):
        records.add_column(column, overflow="fold", justify="right" if column == "line" else "left")
    for r in result.records[:limit]:
        records.add_row(
            *(Text(str(v)) for v in (r["source"], r["source_file"], r["line"], r["reason"], r["record"] or ""))
        )
    console.print(records)
    if len(result.records) > limit:
        console.print(f"… {len(result.records) - limit:,} more (--limit N, or --json for all)")


# The everyday verbs over a lake, each in its own module.
from sparkify.cli import backfill as backfill_verb  # noqa: E402
from sparkify.cli import diff as diff_verb  # noqa: E402
from sparkify.cli import rollback as rollback_verb  # noqa: E402
from sparkify.cli import runs as runs_verb  # noqa: E402
from sparkify.cli import sql as sql_verb  # noqa: E402

app.command("diff")(diff_verb.diff)
app.command("sql")(sql_verb.sql)
app.command("runs")(runs_verb.runs)
backfill_verb.register(app, run_and_report, _check_lake)
app.command("rollback")(rollback_verb.rollback)

# The verbs that operate a deployed stack, and the benchmark; each module registers its commands.
from sparkify.bench.cli import register as register_bench  # noqa: E402
from sparkify.cli.plan import register as register_plan  # noqa: E402
from sparkify.cli.stack import register as register_ops  # noqa: E402
from sparkify.rehearsal.cli import register as register_rehearsal  # noqa: E402
from sparkify.soak.cli import register as register_soak  # noqa: E402

register_ops(app)
register_plan(app)
register_bench(app)
register_soak(app)
register_rehearsal(app)


def main() -> None:  # pragma: no cover - console script shim
    app(prog_name="sparkify")


if __name__ == "__main__":  # pragma: no cover
    main()

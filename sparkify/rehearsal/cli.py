"""`sparkify rehearse`: the prints of a rehearsal (each job's status and seconds, what was written where,
the catalog's tables, the Data Docs, the alert, the cost), or its JSON document."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from sparkify.cli.console import JsonOption, console, emit, fail


def rehearse(
    stack: Annotated[str, typer.Option(help="The stack to rehearse: a Pulumi.<stack>.yaml of this repository.")],
    bad_song: Annotated[
        bool,
        typer.Option(help="Then a second workflow run with a song the gate rejects: it must fail and alert."),
    ] = False,
    workdir: Annotated[
        Path | None, typer.Option(help="Where the sample, the job runs' logs and venvs go (default: a temp folder).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Rehearse the deploy before `pulumi up`: render the stack under Pulumi's mocks, create it in a local
    moto server, and run its workflow with every job as Glue runs it (awsglue's argument parsing, the
    rendered --conf, Iceberg's GlueCatalog and S3FileIO, s3:// through S3A, the validate job's wheels
    installed into Glue 5.1's Python modules), under the job role's policy. Exit 1 when a run did not go
    as expected, 2 for a bad argument or a missing `make setup` part."""
    from sparkify.rehearsal.job_run import SetupMissing
    from sparkify.rehearsal.rehearse import rehearse as run_rehearsal
    from sparkify.rehearsal.stack_render import RenderError

    try:
        done = run_rehearsal(stack, workdir, bad_song=bad_song)
    except (SetupMissing, RenderError, ValueError) as exc:
        raise fail(str(exc)) from None
    document = done.document()
    if json_output:
        emit("rehearsal", document)
    else:
        print_rehearsal(document)
    if not document["as_expected"]:
        raise typer.Exit(1)


def print_rehearsal(document: dict[str, Any]) -> None:
    console.print(f"Rehearsal of stack {document['stack']} on an emulated AWS  (work: {document['workdir']})")
    for run in document["workflow_runs"]:
        how = "; ".join(f"{t['name']} ({t['type']}, {t['how']})" for t in run["triggers"])
        console.print(f"\nWorkflow run {run['label']} {run['workflow_run_id']}: {run['status']}  triggers: {how}")
        jobs = Table(title_justify="left")
        for column in ("job", "status", "seconds", "error"):
            jobs.add_column(column, justify="right" if column == "seconds" else "left", overflow="fold")
        for job in run["jobs"]:
            seconds = f"{job['seconds']:.1f}" if "seconds" in job else ""
            jobs.add_row(job["job"], job["status"], seconds, Text(job.get("error") or ""))
        console.print(jobs)
        written = Table(title="Written", title_justify="left")
        for column in ("where", "objects", "bytes"):
            written.add_column(column, justify="left" if column == "where" else "right")
        for row in run["written"]:
            written.add_row(row["uri"], f"{row['objects']:,}", f"{row['bytes']:,}")
        console.print(written)
        moved = run["published_before"] != run["published_after"]
        console.print(f"published (main moved): {'yes' if moved else 'no'}")
        for alert in run["alerts"]:
            console.print(Text(f"Alert sent:\n{alert}"))
    tables = Table(title="Catalog tables", title_justify="left")
    for column in ("table", "kind", "snapshots", "branches"):
        tables.add_column(column, justify="right" if column == "snapshots" else "left")
    for t in document["tables"]:
        branches = ", ".join(f"{name} {snapshot}" for name, snapshot in t["branches"].items())
        tables.add_row(f"{t['database']}.{t['name']}", t["kind"], str(t["snapshots"]), branches)
    console.print(tables)
    docs = document["data_docs"]
    console.print(f"Data Docs: {docs['objects']} objects in s3://{docs['bucket']}/ (runs: {', '.join(docs['runs'])})")
    if document["denied"]:
        console.print(Text("Denied by the role policy: " + "; ".join(document["denied"])))
    console.print(f"Cost at Glue's prices for the measured seconds: ${document['cost']['usd']:.4f}")
    verdict = "as expected" if document["as_expected"] else "NOT as expected"
    console.print(f"Rehearsal {verdict}.")


def register(app: typer.Typer) -> None:
    app.command()(rehearse)

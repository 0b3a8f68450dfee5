"""`sparkify soak`: a lake's life in one command; prints a row per day and the checks, writes JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sparkify.cli.console import JsonOption, console, emit


def soak(
    days: Annotated[int, typer.Option(min=1, help="Daily runs to live through (the bad days come every 15).")] = 90,
    workdir: Annotated[
        Path, typer.Option(help="Scratch folder for the pool, raw folder and lake (emptied first).")
    ] = Path("soak"),
    seed: Annotated[int, typer.Option(help="Seed of the generated data and of the signals' moments.")] = 90,
    events_per_day: Annotated[int, typer.Option(min=10, help="Generated events per daily log file.")] = 300,
    json_output: JsonOption = False,
) -> None:
    """Run the workflow once per calendar day on generated data (late, replayed, changed, deleted and bad
    files; runs killed and interrupted), compare every published state with an independent recompute,
    and record each run's seconds and each table's files, snapshots and metadata. Exit 1 when a check fails."""
    from sparkify.soak.run import DayResult
    from sparkify.soak.run import soak as live

    def line(r: DayResult) -> None:
        if not json_output:
            mark = "[green]ok[/]" if r.ok else f"[red]✗ {'; '.join(r.problems)}[/]"
            console.print(f"day {r.day:>3} {r.run_date} {r.how:<13} {r.status:<11} {r.seconds:>7.1f} s  {mark}")

    summary = live(workdir, days, seed, events_per_day, on_day=line)
    if json_output:
        emit("soak", summary)
    else:
        print_summary(summary)
        console.print(f"wrote {workdir / 'soak.json'}")
    if not summary["checks"]["every_day_as_expected"] or not summary["checks"]["cost_within_bound"]:
        raise typer.Exit(1)


def print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"A lake's life · {summary['days']} daily runs · seconds, and the lake after each run")
    for column in ("day", "how", "status", "seconds", "stage", "model", "validate", "= recompute",
                   "data files", "most/partition", "snapshots", "metadata files (max/table)",
                   "metadata MB"):  # fmt: skip
        table.add_column(column, justify="right")
    for r in summary["runs"]:
        lake = r["lake"].values()
        table.add_row(
            str(r["day"]),
            r["how"],
            r["status"],
            f"{r['seconds']:.1f}",
            *(f"{r['steps'][s]:.1f}" if s in r["steps"] else "" for s in ("stage", "model", "validate")),
            {True: "yes", False: "NO", None: ""}[r["equal_to_recompute"]],
            str(sum(h["data_files"] for h in lake)),
            str(max((h["most_files_in_a_partition"] for h in lake), default=0)),
            str(sum(h["snapshots"] for h in lake)),
            str(max((h["metadata_files"] for h in lake), default=0)),
            f"{sum(h['metadata_bytes'] for h in lake) / 1e6:.2f}",
        )
    console.print(table)
    checks = summary["checks"]
    console.print(
        f"every day as expected: {checks['every_day_as_expected']} (failed days: {checks['failed_days'] or 'none'}); "
        f"published states compared with the recompute: {checks['published_states_compared']}; "
        f"ordinary day early {checks['early_median_seconds']} s ({checks['early_median_cpu_seconds']} CPU s), "
        f"late {checks['late_median_seconds']} s ({checks['late_median_cpu_seconds']} CPU s) "
        f"(CPU x{checks['cost_growth']}, bound x{checks['cost_growth_bound']}); "
        f"fresh-process runs: {', '.join(f'{s:.1f} s' for s in checks['fresh_process_seconds'])}"
    )


def register(app: typer.Typer) -> None:
    app.command()(soak)

"""`sparkify bench`: time our local workflow against the DuckDB reference and print/write the results."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sparkify import pipeline
from sparkify.bench import harness
from sparkify.cli.console import JsonOption, console, emit, fail, progress


def bench(
    sizes: Annotated[
        str,
        typer.Option(help="Comma-separated sizes: XS (CI smoke), S, M, L (on demand) or SONGSxEVENTS, e.g. 300x3000."),
    ] = "S,M",
    repeat: Annotated[int, typer.Option(min=1, help="Runs per size; the table shows medians.")] = 3,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write the JSON here instead of bench/results/<timestamp>.json and bench/results/latest.json."
        ),
    ] = None,
    data: Annotated[
        Path, typer.Option(help="Folder for generated data (reused between runs) and scratch lakes.")
    ] = harness.DEFAULT_DATA,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = harness.SEED,
    incremental: Annotated[
        bool,
        typer.Option("--incremental", help="Instead: daily-run cost on a lake with 29 days of history (1M events)."),
    ] = False,
    history: Annotated[
        bool,
        typer.Option("--history", help="Instead: write docs/performance.md and its chart from bench/results/*.json."),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Generate seeded data at each size, run our workflow and the DuckDB reference in fresh processes, compare."""
    if history:
        from sparkify.bench import history as perf_history

        try:
            written = perf_history.write()
        except ValueError as exc:
            raise fail(str(exc)) from None
        for path in written:
            console.print(f"wrote {path}")
        return
    if incremental:
        _bench_incremental(data, out, json_output)
        return
    try:
        chosen = [harness.parse_size(s) for s in sizes.split(",") if s.strip()]
    except ValueError as exc:
        raise fail(str(exc)) from None
    status = progress().status("")
    status.start()
    try:
        result = harness.run_benchmark(
            chosen, repeat, data, seed, progress=status.update, command="sparkify bench " + " ".join(sys.argv[2:])
        )
    except harness.BenchError as exc:
        raise fail(f"benchmark failed: {exc}", code=1) from None
    finally:
        status.stop()
    written = harness.write_results(result, out)
    if json_output:
        emit("bench", {**result, "written": [str(p) for p in written]})
        return
    print_result(result)
    for path in written:
        console.print(f"wrote {path}")


def _bench_incremental(data: Path, out: Path | None, json_output: bool) -> None:
    import json

    from sparkify.bench.history import daily_runs
    from sparkify.bench.incremental import run_incremental

    with progress().status("generating data and running history, one new day, nothing new …"):
        try:
            result = run_incremental(data)
        except harness.BenchError as exc:
            raise fail(f"benchmark failed: {exc}", code=1) from None
    target = out or harness.DEFAULT_RESULTS / "incremental-latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2))
    if json_output:
        emit("bench-incremental", {**result, "written": [str(target)]})
        return
    table = Table(
        title=f"Daily runs on one lake · {result['size']['events']:,} events, {result['size']['songs']:,} songs, "
        f"new day {result['new_day_events']:,} events · seconds",
        title_justify="left",
    )
    for column in ("run", *harness.STEPS, "wall"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for run in daily_runs(result):
        table.add_row(run["run"], *(f"{run['steps'].get(s, 0):.1f}" for s in harness.STEPS), f"{run['wall']:.1f}")
    console.print(table)
    console.print(f"One new day ÷ the new-day floor: {result['new_day_to_floor']:.2f}× (its check under validate).")
    console.print("Published row counts after the new day equal a full run's over all 30 days.")
    console.print(f"wrote {target}")


def print_result(result: dict[str, Any]) -> None:
    m = result["machine"]
    steps = harness.STEPS
    table = Table(
        title=(
            f"Medians of {result['repeat']} run(s), seconds · {m['cpus']} CPUs, {m['memory_gib']} GiB · "
            f"load {' '.join(map(str, m['load_average']))} → {' '.join(map(str, m['load_average_after']))}"
        ),
        title_justify="left",
    )
    for column in ("size", "song files", "events", "start-up", *steps, "total", "DuckDB", "ratio", "GE share",
                   "rows/s", "peak MiB", "floor", "floor ratio", "÷ floor"):  # fmt: skip
        table.add_column(column, justify="left" if column == "size" else "right")
    for size in result["sizes"]:
        ours = size["ours"]["median"]
        table.add_row(
            size["name"],
            f"{size['songs']:,}",
            f"{size['events']:,}",
            *(f"{ours['steps'][name]:.1f}" for name in ("start-up", *steps)),
            f"{ours['wall']:.1f}",
            f"{size['reference']['median']['wall']:.1f}",
            f"{size['ratio']:.1f}×",
            f"{size['ge_share']:.0%}",
            f"{size['rows_per_second']['ours']:,}",
            f"{ours['peak_rss_mb']:,.0f}",
            f"{size['floor']['median']['wall']:.1f}",
            f"{size['floor_ratio']:.1f}×",
            f"{size['ratio_to_floor']:.1f}×",
        )
    console.print(table)
    files = Table(title="Output files per curated table (files / partitions)", title_justify="left")
    files.add_column("size")
    tables = [t.name for t in pipeline.CURATED_TABLES]
    for name in tables:
        files.add_column(name, justify="right")
    for size in result["sizes"]:
        curated = size["output_files"]["curated"]
        files.add_row(
            size["name"],
            *(f"{curated[t]['files']} / {curated[t]['partitions']}" if t in curated else "—" for t in tables),
        )
    console.print(files)
    console.print("Row counts per table equal the DuckDB reference's in every run.")
    console.print(
        "floor: the same transform as plain Spark (JSON reader, star transforms, Parquet; no ledger, quarantine, "
        "Iceberg or validation): floor ratio = floor ÷ DuckDB, ÷ floor = ours ÷ floor."
    )


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)

"""`sparkify backfill --from DATE --to DATE`: a run of the workflow that also reads again the raw files of
those days (their names hold the date: `log_data/YYYY/MM/YYYY-MM-DD-events.json`), through the raw-file
ledger: each file's staged rows are replaced by its records, never added twice, and the run is judged and
published like any other (the same write-audit-publish, the same report, `"kind": "backfill"`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from sparkify.cli.console import JsonOption, fail
from sparkify.cli.target import LOCAL_RULE, local_only
from sparkify.job_args import backfill_days, parse_run_date
from sparkify.lake.ledger import day_of
from sparkify.pipeline import SOURCES

DEFAULT_RAW = Path("sample_raw")


def register(app: typer.Typer, run_and_report: Callable[..., None], check_lake: Callable[[Path], None]) -> None:
    """Add `backfill` to the command, running through `run`'s own display (`run_and_report`, given by the
    command's module, which imports this one)."""

    def backfill(
        first: Annotated[
            str, typer.Option("--from", help="The first day to read again (YYYY-MM-DD).", show_default=False)
        ],
        last: Annotated[
            str, typer.Option("--to", help="The last day to read again (YYYY-MM-DD), included.", show_default=False)
        ],
        raw: Annotated[Path, typer.Option(help="Raw folder with song_data/ and log_data/.")] = DEFAULT_RAW,
        lake: Annotated[Path | None, typer.Option(help=f"The lake to backfill. {LOCAL_RULE}")] = None,
        run_date: Annotated[
            str | None, typer.Option("--run-date", help="The run's logical date, as for `run`. Default: now.")
        ] = None,
        report: Annotated[Path | None, typer.Option(help="Also write the run report (JSON) here.")] = None,
        json_output: JsonOption = False,
    ) -> None:
        """Reprocess the raw files of a range of days (after a parsing fix, or to re-judge them): a run that
        reads those days' files again, unchanged ones included, and replaces their staged rows; then model,
        validate and publish as any run. Song files carry no day: they are read when new or changed. Local lake only."""
        lake = local_only(lake)
        try:
            days = backfill_days({"backfill_from": first, "backfill_to": last})
            logical_date = parse_run_date(run_date)
        except ValueError as exc:
            raise fail(str(exc)) from None
        assert days is not None
        for prefix in SOURCES.values():
            if not (raw / prefix).is_dir():
                raise fail(f"{raw / prefix} does not exist: give the raw folder the lake was run from (--raw)")
        if not (lake / "reports").is_dir():
            raise fail(f"{lake} holds no run yet: a backfill reprocesses days of a lake (`sparkify run --lake {lake}`)")
        in_range = [p for p in raw.rglob("*") if p.is_file() and (d := day_of(p.name)) and days[0] <= d <= days[1]]
        if not in_range:
            raise fail(
                f"no raw file of {days[0]} … {days[1]} under {raw} (their names hold the date): nothing to backfill"
            )
        check_lake(lake)
        run_and_report(raw, lake, report, False, None, logical_date, json_output, backfill=days)

    app.command("backfill")(backfill)

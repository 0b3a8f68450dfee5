"""Undoing a publish: every curated table's `main` back to the snapshot it had before a run published.

What each run published, and what `main` held before, is in its report (`published`, `main_before`:
table → snapshot, from the validate step). A rollback moves `main` back with the same branch refs the
publish moved forward (`tables.move_branch`), and `audit` with it, so `audit` descends from `main` and
nothing unjudged waits on it. The model's bookkeeping is cleared, so the next run builds `audit` whole
from staging and judges it like a first run: fix or remove the raw files that brought the bad rows
before it, or it publishes the same rows again.

The planning (`plan`) is pure: which run, which tables, which snapshots, or why not. It refuses a run
that is unknown, that published nothing, that a later run has published over (unless asked to roll
those back too), or that was the first to publish a table (there is no earlier `main` to go back to).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class RollbackRefused(ValueError):
    """The rollback cannot be done as asked: one line saying why and what to do."""


@dataclass(frozen=True)
class Plan:
    run_id: str  # the run whose publish is undone
    later: tuple[str, ...]  # later runs whose publishes are undone with it (`also_later`)
    targets: dict[str, int]  # table → the snapshot `main` goes back to


def _published(report: Mapping[str, Any]) -> dict[str, int]:
    return {name: int(s) for name, s in (report.get("published") or {}).items() if s is not None}


def plan(reports: Iterable[Mapping[str, Any]], run_id: str, also_later: bool = False) -> Plan:
    """What rolling back `run_id` moves, from the lake's run reports; raises `RollbackRefused`."""
    runs = sorted((r for r in reports if r.get("started_at")), key=lambda r: datetime.fromisoformat(r["started_at"]))
    ids = [str(r["run_id"]) for r in runs]
    if run_id not in ids:
        raise RollbackRefused(f"no run {run_id} in this lake (`sparkify runs` lists them)")
    at = ids.index(run_id)
    target = runs[at]
    if not _published(target):
        raise RollbackRefused(f"run {run_id} published nothing ({target.get('status')}): there is nothing to roll back")
    later = [r for r in runs[at + 1 :] if _published(r)]
    if later and not also_later:
        raise RollbackRefused(
            f"run {later[0]['run_id']} published after {run_id}: rolling {run_id} back would undo it too; "
            f"roll back {later[-1]['run_id']} instead, or give --also-later to undo every publish since {run_id}"
        )
    targets: dict[str, int] = {}
    for report in [target, *later]:  # each table goes back to what it held before the first of them
        before = report.get("main_before")
        if before is None:
            raise RollbackRefused(
                f"run {report['run_id']}'s report does not record what main held before it published "
                "(it ran before rollbacks were recorded): it cannot be rolled back"
            )
        for name in _published(report):
            if name in targets:
                continue
            if before.get(name) is None:
                raise RollbackRefused(
                    f"run {report['run_id']} was the first to publish {name}: there is no earlier main to go "
                    "back to (`sparkify run --full-refresh` rebuilds every table from the raw files)"
                )
            targets[name] = int(before[name])
    return Plan(run_id, tuple(str(r["run_id"]) for r in later), targets)


def apply(
    spark: SparkSession, curated: Mapping[str, str], curated_uri: str, targets: Mapping[str, int]
) -> dict[str, Any]:
    """Move each table's `main` and `audit` to its target (checked first, all of them: a snapshot expired
    since refuses the whole rollback, before any table moves), and clear the model's bookkeeping.
    Returns the metrics of the rollback: `published` (the new heads) and `main_before`."""
    from sparkify.lake import lake_state, tables
    from sparkify.lake.io import delete

    for name, snapshot in targets.items():
        if not tables.has_snapshot(spark, curated[name], snapshot):
            raise RollbackRefused(
                f"{name}: snapshot {snapshot} is expired (table upkeep keeps snapshots for a few days): it cannot "
                "be rolled back to"
            )
    before = {name: tables.snapshot_id(spark, curated[name], tables.MAIN) for name in targets}
    for name, snapshot in targets.items():
        tables.move_branch(spark, curated[name], tables.MAIN, snapshot)
        tables.move_branch(spark, curated[name], tables.AUDIT, snapshot)
    # The next model run builds `audit` whole from staging: what it was built from no longer holds.
    for state in (lake_state.MODEL, lake_state.PUBLISHED):
        delete(spark, lake_state.state_uri(curated_uri, state))
    return {"published": dict(targets), "main_before": before}

"""The workflow walked as Glue walks it: the start trigger (a SCHEDULED trigger's cron fired by hand, or an
ON_DEMAND one started), then each CONDITIONAL trigger once every job it waits for SUCCEEDED in this
workflow run; a job that fails stops its branch, and every job no trigger reached is `not run`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sparkify.rehearsal.stack_render import StackRender, Trigger

START_TYPES = ("SCHEDULED", "ON_DEMAND")


@dataclass(frozen=True)
class Fired:
    trigger: str
    type: str
    how: str  # "cron <expr> fired by hand", "started by hand", "its jobs SUCCEEDED"


def start_trigger(stack: StackRender) -> Trigger:
    starts = [t for t in stack.triggers if t.type in START_TYPES]
    if len(starts) != 1:
        raise ValueError(f"stack {stack.stack} renders {len(starts)} start triggers, not one")
    return starts[0]


def walk(stack: StackRender, run_job: Callable[[str], str]) -> list[Fired]:
    """Fire the triggers in graph order; `run_job(job_name)` runs one job and returns its final state."""
    start = start_trigger(stack)
    how = f"cron {start.schedule} fired by hand" if start.type == "SCHEDULED" else "started by hand"
    fired = [Fired(start.name, start.type, how)]
    states: dict[str, str] = {}
    for name in start.actions:
        states[name] = run_job(name)
    pending = [t for t in stack.triggers if t.type == "CONDITIONAL"]
    while True:
        ready = [t for t in pending if t.waits_for and all(states.get(j) == "SUCCEEDED" for j in t.waits_for)]
        if not ready:
            return fired
        for trigger in ready:
            pending.remove(trigger)
            fired.append(Fired(trigger.name, trigger.type, "its jobs SUCCEEDED"))
            for name in trigger.actions:
                states[name] = run_job(name)

"""The soak's calendar: what reaches the raw folder before each daily run, and how the run is started.

Pure: the same days and seed always give the same calendar. Day `d` delivers the pool's log file of
day `d` (a scheduler's daily drop). Every `CYCLE` days the bad days come round again, at these days of
the cycle:

 3  the day's file is late: it arrives with day 6's
 4  a delivered file is replayed under another name (its records are duplicates)
 5  the replayed file's original is removed: the copy-then-delete "move" seen between its two halves
 6  the run is killed with SIGKILL at a seeded moment (the next run recovers)
 7  a delivered file is changed in place (its last lines dropped)
 8  a delivered file is deleted (its plays leave)
 9  a bad song arrives (negative duration): the gate rejects it, nothing is published
10  the song is fixed in place: the run publishes
11  the run is interrupted with SIGINT (Ctrl-C) at a seeded moment
12  a model run lands between judgement and publish (the next day's file arrives mid-run): publish
    refuses; the next run judges and publishes both days
14  a fresh process, as cron starts one (also day 2)

and once, on day 28 of a soak of 30 days or more, a log file over 32 MB arrives in a run that also
deletes a staged file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

CYCLE = 15
BIG_FILE_DAY = 28
FIRST_RUN = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)  # run 1's logical date unless one is given
POOL_START = date(2018, 11, 1)  # the first day of the generated logs

# How a run is started.
IN_PROCESS, FRESH_PROCESS, SIGKILL, SIGINT, MODEL_BETWEEN = (
    "in-process",
    "fresh-process",
    "sigkill",
    "sigint",
    "model-between",
)


@dataclass(frozen=True)
class Day:
    number: int
    run_date: datetime
    how: str = IN_PROCESS
    expect: str = "succeeded"  # succeeded | failed | killed | interrupted
    deliver: tuple[str, ...] = ()  # pool log files copied in before the run
    mid_run: tuple[str, ...] = ()  # pool log files that arrive between judgement and publish
    replay: tuple[str, str] = ("", "")  # (delivered file, the name of its copy)
    remove: tuple[str, ...] = ()  # delivered log files deleted before the run
    change: str = ""  # a delivered log file whose last lines are dropped
    bad_song: bool = False
    fix_song: bool = False
    big_file: str = ""  # a log file over 32 MB, generated for the day
    kill_at: float = 0.0  # when a signalled run gets its signal, as a share of a fresh run's seconds
    notes: tuple[str, ...] = field(default=())


def log_file(day: int) -> str:
    """The pool's log file of day `day` (1-based), by its relative path under the raw folder."""
    d = POOL_START + timedelta(days=day - 1)
    return f"log_data/{d:%Y}/{d:%m}/{d:%Y-%m-%d}-events.json"


def replayed_name(name: str) -> str:
    return name.replace("-events.json", "-events-resent.json")


def build(days: int, seed: int = 90, first_run: datetime = FIRST_RUN) -> list[Day]:
    """The calendar of `days` daily runs, the first on `first_run` (a soak starts it now: upkeep
    compares the run date with when snapshots and files were written, which is the real clock)."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    rng = random.Random(seed)
    calendar: list[Day] = []
    for number in range(1, days + 1):
        c = (number - 1) % CYCLE + 1
        run_date = first_run + timedelta(days=number - 1)
        files = [log_file(number)] if c not in (3, 13) else []
        if c == 6:
            files.append(log_file(number - 3))  # the late file of day 3 of the cycle
        kwargs: dict[str, Any] = {"run_date": run_date, "deliver": tuple(files)}
        if c == 4:
            kwargs["replay"] = (log_file(number - 2), replayed_name(log_file(number - 2)))
        elif c == 5:
            kwargs["remove"] = (log_file(number - 3),)
        elif c == 6:
            kwargs.update(how=SIGKILL, expect="killed", kill_at=rng.uniform(0.2, 0.9))
        elif c == 7:
            kwargs["change"] = log_file(number - 2)
        elif c == 8:
            kwargs["remove"] = (log_file(number - 7),)
        elif c == 9:
            kwargs.update(bad_song=True, expect="failed")
        elif c == 10:
            kwargs["fix_song"] = True
        elif c == 11:
            kwargs.update(how=SIGINT, expect="interrupted", kill_at=rng.uniform(0.2, 0.9))
        elif c == 12 and number < days:
            kwargs.update(how=MODEL_BETWEEN, expect="failed", mid_run=(log_file(number + 1),))
        elif c == 13 and not calendar[-1].mid_run:
            kwargs["deliver"] = (log_file(number),)
        elif c in (2, 14):
            kwargs["how"] = FRESH_PROCESS
        if number == BIG_FILE_DAY and days >= 30:
            kwargs.update(big_file=f"log_data/big/{number:03d}-big-events.json", remove=(log_file(number - 10),))
        calendar.append(Day(number, **kwargs))
    return calendar


def pool_days(calendar: list[Day]) -> int:
    """How many days of logs the pool must hold."""
    return max([1] + [int(_day_of(name)) for day in calendar for name in day.deliver + day.mid_run])


def _day_of(name: str) -> int:
    stamp = date.fromisoformat(name.rsplit("/", 1)[1][:10])
    return (stamp - POOL_START).days + 1

"""Which JIT compiler a local run's JVM uses: C1 alone when the run has little raw data to read, Java's
full tiered JIT (C1, then C2 for hot code) otherwise.

A short run spends its time in code the JVM has just met: under the tiered JIT that code runs as C1
code that also profiles itself for C2, which the run ends before using. C1 alone
(`-XX:TieredStopAtLevel=1`) compiles without the profiling. Measured on a 2-core machine
(docs/performance-notes.md): the public sample's first run 36.6 s → 28.9 s, a new day on a 29-day lake 39 s → 32 s;
but a full run over 29 days of 1M events 82-88 s → 125 s, where C2's code pays for itself. So the
choice is made per run, before the JVM starts, from what the run will read: the bytes of the raw files
changed since the last run that staged (all raw files on a first run, after a failed stage, or on a
full refresh).

It is an estimate from file times: files copied in with their old times (`cp -p`, `rsync -a`) are not
seen as new, and such a run gets C1 however much it reads (slower, never wrong). `SPARKIFY_JIT=full`
(or `quick`) sets the choice; the default is `auto`. Local-only: Glue starts its own JVMs.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from sparkify.layout import LAKE_LAYOUT, LATEST_REPORT
from sparkify.pipeline import Location

SWITCH = "SPARKIFY_JIT"
# Up to here a run gains from C1 (a new day, 6 MB of a 250 MB raw folder; the public sample, 3.5 MB);
# a full run of 1M events (220 MB) loses.
LIMIT_BYTES = 64 * 1024 * 1024

Jit = Literal["quick", "full"]


def choose(raw: Path, lake: Path, full_refresh: bool = False, limit: int = LIMIT_BYTES) -> Jit:
    """`quick` (C1 alone) when at most `limit` bytes of raw files changed since the last run that
    staged, else `full`; `SPARKIFY_JIT` overrides."""
    chosen = setting()
    if chosen != "auto":
        return chosen
    since = None if full_refresh else last_staged_run_start(lake)
    return "quick" if changed_bytes(raw, since, limit) <= limit else "full"


def setting() -> Jit | Literal["auto"]:
    """`SPARKIFY_JIT`, checked: `quick`, `full` or `auto` (unset)."""
    value = os.environ.get(SWITCH, "auto")
    for known in ("quick", "full", "auto"):
        if value == known:
            return known
    raise ValueError(f"{SWITCH}={value!r}: use quick, full or auto (the default)")


def last_staged_run_start(lake: Path) -> float | None:
    """When the lake's latest run started (a POSIX time), if its stage step succeeded."""
    latest = lake / LAKE_LAYOUT[Location.REPORTS] / LATEST_REPORT
    try:
        report = json.loads(latest.read_text())
        staged = any(s.get("name") == "stage" and s.get("status") == "succeeded" for s in report.get("steps", []))
        return datetime.fromisoformat(report["started_at"]).timestamp() if staged else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no report, or not one we can read: count every raw file


def changed_bytes(raw: Path, since: float | None, limit: int) -> int:
    """The bytes of the files under `raw` modified at or after `since` (every file when None), counted
    until they pass `limit`."""
    total = 0
    for folder, _, names in os.walk(raw):
        for name in names:
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:
                continue  # gone while we looked: the stage job's listing will say so
            if since is None or stat.st_mtime >= since:
                total += stat.st_size
                if total > limit:
                    return total
    return total

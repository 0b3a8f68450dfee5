"""Moments a stop must wait for. Publishing moves each curated table's `main` in a commit of its own
(Iceberg has no commit across tables), so a stop between two of them would leave readers a fact table
published without its dimensions. Inside `uninterrupted()`, whoever stops the run (`sparkify.local.run_stop`
on a laptop) hands its stop to `after_hold`, which acts at once outside a hold and when the hold ends
inside one.

On Glue nothing here intercepts a stop: a job run's timeout or a person's `StopJobRun` ends the
process, and the next run publishes what the interrupted one left waiting (its `audit` still descends
from `main`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holds = 0
_deferred: list[Callable[[], None]] = []


@contextmanager
def uninterrupted() -> Iterator[None]:
    """A stop asked for within runs when the block ends (however it ends)."""
    global _holds
    with _lock:
        _holds += 1
    try:
        yield
    finally:
        with _lock:
            _holds -= 1
            due = list(_deferred) if _holds == 0 else []
            if _holds == 0:
                _deferred.clear()
        for stop in due:
            stop()


def after_hold(stop: Callable[[], None]) -> bool:
    """Run `stop` now, or when the hold in progress ends; True when it waits."""
    with _lock:
        if _holds:
            _deferred.append(stop)
            return True
    stop()
    return False

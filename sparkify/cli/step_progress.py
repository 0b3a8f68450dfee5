"""What `sparkify run` shows while a step runs.

In a terminal: one live line, the step, what it does and the seconds it has run so far, redrawn as it
goes. Anywhere else (a pipe, a file, a CI log) no live line is drawn, so a line is printed when a step
starts: a log then shows what is running instead of nothing until the step ends. Either way the step
ends in its own line (`step_line` of `sparkify.cli.main`), with its status and seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.status import Status
from rich.text import Text


def start_line(label: str, description: str) -> str:
    """A step's start, in rich markup, in the columns of its end line: mark, step, `started`, what it does."""
    return f"[dim]→[/] {escape(f'{label:<24}')} {'started':<10}          [dim]{escape(description)}[/]"


class _Running:
    """The live line's text, worked out at each redraw so its seconds move."""

    def __init__(self, label: str, description: str, clock: Callable[[], float]) -> None:
        self.label, self.description, self.clock = label, description, clock
        self.started = clock()

    def __rich__(self) -> Text:
        seconds = self.clock() - self.started
        return Text.assemble(f"{self.label}  {seconds:5.0f} s  ", (self.description, "dim"))


class StepProgress:
    """A run's progress on `out`: `start` when a step begins, `end` with its finished line, `stop` always."""

    def __init__(self, out: Console, clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.clock = out, clock
        self.live: Status | None = None

    def start(self, label: str, description: str) -> None:
        self.stop()
        if not self.out.is_terminal:
            self.out.print(start_line(label, description))
            return
        self.live = self.out.status(_Running(label, description, self.clock))
        self.live.start()

    def end(self, line: str) -> None:
        self.stop()
        self.out.print(line)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

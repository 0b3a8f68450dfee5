"""What a run shows while its steps run: in a pipe or a log, a line when each step starts and when it ends;
in a terminal, a live line whose seconds move."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from sparkify import pipeline
from sparkify.cli.main import app
from sparkify.cli.step_progress import StepProgress, _Running
from sparkify.report import StepResult, build_report


def test_in_a_pipe_a_step_prints_a_line_when_it_starts_and_when_it_ends() -> None:
    page = io.StringIO()
    shown = StepProgress(Console(file=page, width=300))

    shown.start("[1/3] job stage", "Raw JSON → typed staging tables.")
    assert page.getvalue() == "→ [1/3] job stage          started             Raw JSON → typed staging tables.\n"
    shown.end("✓ [1/3] job stage          succeeded    12.0 s")
    shown.stop()

    assert page.getvalue().splitlines()[1] == "✓ [1/3] job stage          succeeded    12.0 s"


def test_in_a_terminal_the_live_line_shows_the_seconds_the_step_has_run() -> None:
    ticks = iter([100.0, 112.4, 175.0])
    running = _Running("[2/3] job model", "Staging → star schema.", lambda: next(ticks))
    page = Console(file=io.StringIO(), width=200)

    page.print(running)
    page.print(running)

    assert page.file.getvalue().splitlines() == [  # type: ignore[attr-defined]
        "[2/3] job model     12 s  Staging → star schema.",
        "[2/3] job model     75 s  Staging → star schema.",
    ]


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    for prefix in pipeline.SOURCES.values():
        (tmp_path / "raw" / prefix).mkdir(parents=True)
    return tmp_path / "raw"


def test_a_run_in_a_pipe_says_when_each_step_starts(raw: Path, tmp_path: Path, monkeypatch) -> None:
    """`sparkify run | tee log`: each step's start is in the log before its end (a fake run, seconds by hand)."""

    def fake_run(raw: Path, lake: Path, on_step: Any, **options: Any) -> dict[str, Any]:
        results = []
        for step, seconds in zip(pipeline.STEPS, (3.0, 2.0, 4.0), strict=True):
            on_step(step, None)
            results.append(StepResult(step.name, step.kind, "succeeded", seconds))
            on_step(step, results[-1])
        return build_report("local-1", "2026-12-03T10:00:00+00:00", 9.0, results)

    monkeypatch.setattr("sparkify.local.runner.run_pipeline", fake_run)
    result = CliRunner().invoke(app, ["run", "--raw", str(raw), "--lake", str(tmp_path / "lake")])

    assert result.exit_code == 0, result.output
    lines = [line.split("  ")[0] for line in result.stdout.splitlines() if line[:1] in "→✓"]
    assert lines == [
        "→ [1/3] job stage",
        "✓ [1/3] job stage",
        "→ [2/3] job model",
        "✓ [2/3] job model",
        "→ [3/3] job validate",
        "✓ [3/3] job validate",
    ]
    assert "→ [1/3] job stage          started             Raw JSON → typed staging Iceberg tables" in result.stdout

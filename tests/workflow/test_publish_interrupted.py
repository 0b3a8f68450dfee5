"""A Ctrl-C that lands between two of a publish's commits: the publish ends first, so every curated
table's `main` moves to what the suites judged, none is left behind, and the run still ends
`interrupted` (exit 130)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sparkify.pipeline import CURATED_TABLES

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# The real runner in a process of its own (the signal stops its Spark session). The only thing added:
# the first branch move of the publish sends the process a SIGINT, as a person's Ctrl-C would.
_RUN = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path
    from sparkify.lake import tables
    from sparkify.local.runner import exit_code, run_pipeline
    from tests.helpers import event, song, write_log, write_song

    raw, lake = Path(sys.argv[1]), Path(sys.argv[2])
    write_song(raw, "TRAAAAW128F429D538", song())
    write_log(raw, "2018-11-01", [event(), event(ts=1541106406796, itemInSession=2)])
    move = tables.move_branch
    moved = []

    def move_then_signal(spark, table, branch, snapshot):
        move(spark, table, branch, snapshot)
        moved.append(table)
        if len(moved) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    tables.move_branch = move_then_signal
    report = run_pipeline(raw, lake)
    print(json.dumps({"code": exit_code(report), "report": report, "moved": moved}))
    """
)


def _branch_heads(lake: Path, table: str) -> dict[str, int]:
    """A curated table's branch heads, read from its current metadata file (no Spark)."""
    metadata = lake / "curated" / table / "metadata"
    version = (metadata / "version-hint.text").read_text().strip()
    current = json.loads((metadata / f"v{version}.metadata.json").read_text())
    return {name: ref["snapshot-id"] for name, ref in current.get("refs", {}).items()}


def test_an_interrupt_between_two_publish_commits_waits_for_the_last_one(tmp_path: Path) -> None:
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(raw), str(lake)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["code"] == 130
    assert result["report"]["status"] == "interrupted"
    assert [(s["name"], s["status"]) for s in result["report"]["steps"]] == [
        ("stage", "succeeded"),
        ("model", "succeeded"),
        ("validate", "interrupted"),
    ]
    assert len(result["moved"]) == len(CURATED_TABLES), result["moved"]
    for table in CURATED_TABLES:
        heads = _branch_heads(lake, table.name)
        assert heads["main"] == heads["audit"], f"{table.name} was left unpublished: {heads}"

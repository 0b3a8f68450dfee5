"""Where a local run's report goes: `reports/runs/<run_id>/report.json` and `reports/latest.json`.

Both are written as the run starts, as a `running` report padded with spaces to `RESERVE` bytes (JSON
allows trailing whitespace), then rewritten in place as each step begins and when the run ends.
Rewriting bytes a file already holds needs no new space on the disk, so a run that fills the disk still
records that it failed and why; the report was written only at the end before, and a full disk left
`latest.json` saying that the previous run had succeeded. When even that fails, a report cut down to a
few hundred bytes is tried, and the caller says on stderr what could not be written.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from sparkify.layout import LATEST_REPORT, RUN_REPORT, run_dir

# A report is a few KB; one that lists many unsupported or deleted raw files is longer (and just writes past it).
RESERVE = 256 * 1024
# What a cut-down report leaves out: the parts that grow with the data.
GROWING: dict[str, Any] = {"sources": {}, "quarantined": {}, "tables": {}, "suites": {}}


class RunRecord:
    def __init__(self, reports: Path, run_id: str) -> None:
        self.folder = reports / run_dir(run_id)
        self.paths = (self.folder / RUN_REPORT, reports / LATEST_REPORT)

    def start(self, report: dict[str, Any]) -> None:
        """Reserve both files, holding `report`; raises OSError when the disk cannot take them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in self.paths:
            path.write_bytes(_padded(report))

    def progress(self, report: dict[str, Any]) -> None:
        """Rewrite both files as a step begins: readers see which; a failure here is not the run's."""
        with contextlib.suppress(OSError):
            self._rewrite(_padded(report))

    def write(self, report: dict[str, Any]) -> str | None:
        """Rewrite both files with `report`, still reserved; when that fails, with the report cut down.
        Returns what could not be written, for the caller to say, or None."""
        try:
            self._rewrite(_padded(report))
            return None
        except OSError as full:
            cut = {
                **report,
                **GROWING,
                "error": f"{report.get('error') or 'the run failed'} (report cut short: {full.strerror})",
            }
            try:
                self._rewrite(_padded(cut))
                return (
                    f"the run report was cut short ({full.strerror}): "
                    f"{self.paths[1]} has the run's status and error only"
                )
            except OSError as fuller:
                return (
                    f"the run report could not be written ({fuller.strerror}): "
                    f"{self.paths[1]} does not describe this run"
                )

    def release(self) -> None:
        """Give back the padding once nothing more will be written."""
        for path in self.paths:
            try:
                text = path.read_bytes()
                with open(path, "r+b") as out:
                    out.truncate(len(text.rstrip(b" ")))
            except OSError:
                pass

    def _rewrite(self, data: bytes) -> None:
        for path in self.paths:
            try:
                out = open(path, "r+b")  # noqa: SIM115 (closed by the `with` below) in place: the bytes it overwrites need no new space
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                continue
            with out:
                out.write(data)
                out.truncate()


def _padded(report: dict[str, Any]) -> bytes:
    data = json.dumps(report, indent=2).encode()
    return data + b" " * max(0, RESERVE - len(data))

"""docs/performance.md and its chart, written from the benchmark's result files (bench/results/*.json).

The page is generated, never edited by hand: the latest figures of each size first, the daily runs on a
lake with history, then every recorded measurement as a table and a chart of each size's total seconds.
`sparkify bench --history` (or `make perf-page`) writes both files; a test keeps the committed page
equal to what this module makes of the committed results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sparkify import pipeline

RESULTS = pipeline.REPO_ROOT / "bench" / "results"
PAGE = pipeline.REPO_ROOT / "docs" / "performance.md"
CHART = PAGE.with_name("performance-history.svg")
SIZE_ORDER = ("XS", "S", "M", "L")


@dataclass(frozen=True)
class Row:
    """One size of one measurement: medians, in seconds unless named otherwise."""

    when: str  # the run's start as recorded (ISO), or a date alone
    size: str
    songs: int
    events: int
    steps: tuple[float | None, float | None, float | None, float | None]  # start-up, stage, model, validate
    total: float
    reference: float
    ratio: float
    ge_share: float
    peak_mib: float | None
    floor: float | None
    to_floor: float | None
    source: str  # the result file's name

    @property
    def day(self) -> str:
        return self.when[:16].replace("T", " ")


def _size_row(when: str, size: dict[str, Any], source: str) -> Row:
    ours = size["ours"]["median"]
    floor = size.get("floor", {}).get("median", {}).get("wall")
    return Row(
        when=when,
        size=size["name"],
        songs=size["songs"],
        events=size["events"],
        steps=tuple(ours["steps"].get(s) for s in ("start-up", "stage", "model", "validate")),
        total=ours["wall"],
        reference=size["reference"]["median"]["wall"],
        ratio=size["ratio"],
        ge_share=size["ge_share"],
        peak_mib=ours.get("peak_rss_mb"),
        floor=floor,
        to_floor=size.get("ratio_to_floor"),
        source=source,
    )


def load(results: Path = RESULTS) -> tuple[list[Row], list[dict[str, Any]]]:
    """Every measured size of every full benchmark (oldest first; a `latest` copy of a timestamped file
    counted once), and the daily-run benchmarks (`sparkify bench --incremental`)."""
    rows: dict[tuple[str, str], Row] = {}
    daily = []
    for path in sorted(results.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"{path}: not a readable benchmark result ({exc}); remove it or run the benchmark again"
            ) from None
        if "runs" in data and "full_run_30_days" in data:
            daily.append(data)
            continue
        if "sizes" not in data or "started_at" not in data:
            raise ValueError(f"{path}: neither a benchmark result (sizes, started_at) nor a daily-run result")
        for size in data["sizes"]:
            row = _size_row(data["started_at"], size, path.name)
            rows.setdefault((row.when, row.size), row)
    ordered = sorted(rows.values(), key=lambda r: (r.when, _size_rank(r.size)))
    return ordered, daily


def _size_rank(name: str) -> int:
    return SIZE_ORDER.index(name) if name in SIZE_ORDER else len(SIZE_ORDER)


def latest(rows: list[Row]) -> list[Row]:
    """The newest measurement of each size, smallest size first."""
    newest: dict[str, Row] = {}
    for row in rows:
        newest[row.size] = row
    return sorted(newest.values(), key=lambda r: _size_rank(r.size))


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}×"


HEADER = (
    "| {first} | song files | events | start-up | stage | model | validate | total | DuckDB | ratio | GE share "
    "| peak MiB | floor | ÷ floor |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def table_line(row: Row, first: str) -> str:
    """One row of the page's tables, in the units and roundings the column notes describe."""
    cells = [
        first,
        f"{row.songs:,}",
        f"{row.events:,}",
        *(_num(s) for s in row.steps),
        _num(row.total),
        _num(row.reference),
        _times(row.ratio),
        f"{row.ge_share:.0%}",
        _num(row.peak_mib, 0),
        _num(row.floor),
        _times(row.to_floor),
    ]
    return "| " + " | ".join(cells) + " |"


def daily_runs(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a daily-run result: its runs, the full run, and the new-day floor when measured (its
    aggregate check in the validate column)."""
    runs = [*result["runs"], {"run": "full run, 30 days", **result["full_run_30_days"]}]
    if result.get("new_day_floor"):
        floor = result["new_day_floor"]
        runs.append({**floor, "steps": {**floor["steps"], "validate": floor["steps"].get("check")}})
    return runs


def daily_table(result: dict[str, Any]) -> str:
    lines = ["| run | stage | model | validate | wall |", "| --- | ---: | ---: | ---: | ---: |"]
    for run in daily_runs(result):
        steps = run["steps"]
        lines.append(
            f"| {run['run']} | "
            + " | ".join(_num(steps.get(s)) for s in ("stage", "model", "validate"))
            + f" | {_num(run['wall'])} |"
        )
    if result.get("new_day_to_floor"):
        lines.append(f"\nOne new day ÷ the new-day floor: **{result['new_day_to_floor']:.2f}×**.")
    return "\n".join(lines)


INTRO = """# Performance

<!-- Written by `sparkify bench --history` (make perf-page) from bench/results/*.json: edit
sparkify/bench/history.py or add a result, never this page. -->

```bash
make bench                      # sizes S and M, 3 runs each (12-16 minutes on 2 cores, data generation included)
.venv/bin/sparkify bench --sizes L --repeat 1 --out bench/results/L-latest.json
                                # 150,000 song files + 10,000,000 events, on demand (about 25 minutes)
.venv/bin/sparkify bench --sizes XS --repeat 1   # the CI-sized smoke run
.venv/bin/sparkify bench --incremental           # daily runs on a lake with 29 days of history
.venv/bin/sparkify bench --history               # this page and its chart, from bench/results/
```

`sparkify bench` generates seeded data at each size (cached under `bench/data/`), then runs, each in a
fresh process so that interpreter, JVM and Spark start-up count: our whole local workflow
(`sparkify run`: stage, model, validate with Data Docs) and a reference implementation of the same
raw → staging → star-schema transform in DuckDB SQL (`sparkify/bench/reference.py`, no validation),
and Spark's floor, the same transform as plain Spark (`sparkify/bench/floor.py`). Every run's row counts
per table and per source must equal the reference's, or the benchmark stops. It prints medians and
writes every run to `bench/results/<timestamp>.json` and `bench/results/latest.json` (kept in the
repository, to compare against; the stack's cost estimates are computed from `latest.json`,
[deploy.md](deploy.md#cost-from-measurement)). All figures are from one shared 2-core, 24 GiB machine,
whose speed drifts by the hour: compare rows of one hour, and shares rather than seconds.
"""

COLUMNS = """What the columns mean (seconds, medians of the runs of one measurement): **start-up** is interpreter,
JVM and Spark session start; **stage**, **model**, **validate** the workflow's steps; **total** the whole
`sparkify run` process; **DuckDB** the reference's whole process; **ratio** = total ÷ DuckDB; **GE share** the
validate step's share of the total (the suites, the audit's reads, the publish and the upkeep); **peak MiB** the
largest resident set of the run's processes; **floor** the same transform as plain Spark (JSON reader, the star
transforms, Parquet; no ledger, quarantine, Iceberg or validation) and **÷ floor** = total ÷ floor, the part of the
gap that is ours to shrink. A dash: not measured then.
"""

FINDINGS = """## Key findings

- **Fixed costs rule the small sizes.** At S the run is JVM and session start-up, Great Expectations' import and
  some 200 small Spark jobs; 3× the DuckDB reference (about 7 s) is less than Spark's own floor on this machine.
  The plainest Spark program is already 4.8-6.6× the reference at S and M, so the column to watch is `÷ floor`:
  about 2× at S and M, 2.4× at L.
- **L runs within the 6 GB goal** since log files over 32 MB are read in blocks (4.7 GB at its peak, where a
  whole-file read ran out of a 4 GB heap); L ≤ 3× the reference is not met: our stage step alone takes longer.
- **Validation is at most 15 % of a run at M** (14 %), down from 21-27 % with `BOOLEAN_ONLY` results, reruns of
  only what failed, no caching of whole tables and SQL rules that run their query once.
- **A new day costs about 45 % of a full run** (31.8 s against 70.1 s) and a run with nothing new 7.6 s (goal
  ≤ 15 s, met); the 20 s goal for a new day is not: the new day's own Spark floor is 18-19 s in a JVM that
  starts cold.

How each figure was reached, what was tried and not kept, the profiling method, the JVM class archive and the
JIT choice: [performance-notes.md](performance-notes.md).
"""


def page(rows: list[Row], daily: list[dict[str, Any]]) -> str:
    """The whole of docs/performance.md."""
    newest = latest(rows)
    parts = [INTRO]
    if newest:
        parts.append("## Latest\n")
        parts.append(HEADER.format(first="size · measured"))
        parts.extend(table_line(r, f"{r.size} · {r.day}") for r in newest)
        parts.append("")
        parts.append(COLUMNS)
    for result in daily:
        size = result["size"]
        parts.append("## Daily runs on a lake with history\n")
        parts.append(
            f"`sparkify bench --incremental`: {size['events']:,} generated events over 30 days and "
            f"{size['songs']:,} songs (seed {size['seed']}); a full run on 29 days, then the 30th day's log file "
            f"({result['new_day_events']:,} events), then a run with nothing new, each a fresh `sparkify run` on one "
            "lake; then a full run over all 30 days on a new lake, whose published row counts the incremental lake "
            "must equal. Before the new day, Spark's new-day floor (`python -m sparkify.bench.floor new-day`: the "
            "day's events appended to staging and merged into songplays, time and users as plainly as Spark allows, "
            "one aggregate check per table, shown under validate) takes the same day into the same lake, which is "
            "then put back as the history left it. Seconds.\n"
        )
        parts.append(daily_table(result))
        parts.append("")
    if rows:
        parts.append("## History\n")
        parts.append(f"![Total seconds per size, per measurement]({CHART.name})\n")
        parts.append(HEADER.format(first="measured · size"))
        parts.extend(table_line(r, f"{r.day} · {r.size}") for r in rows)
        parts.append("")
        parts.append(
            "Each row is one result file in `bench/results/`; the rows before 2026-12-05 12:00 keep only the medians "
            "the notes recorded (their own files were not kept).\n"
        )
    parts.append(FINDINGS)
    return "\n".join(parts)


def chart(rows: list[Row]) -> str:
    """An SVG with one small panel per size: its total seconds at each measurement, oldest on the left.
    Each panel has its own scale (S is tens of seconds, L hundreds)."""
    sizes = sorted({r.size for r in rows}, key=_size_rank)
    moments = sorted({r.when for r in rows})
    width, panel_h, left, top = 720, 150, 60, 30
    inner_w, inner_h = width - left - 20, panel_h - 50
    height = top + panel_h * len(sizes) + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="18" font-size="13">Total seconds per size (medians), by measurement</text>',
    ]

    def x_of(when: str) -> float:
        return left + (inner_w * moments.index(when) / max(len(moments) - 1, 1))

    for i, size in enumerate(sizes):
        y0 = top + i * panel_h
        points = [r for r in rows if r.size == size]
        high = max(r.total for r in points) * 1.15
        out.append(f'<text x="10" y="{y0 + 14}" font-weight="bold">{escape(size)}</text>')
        out.append(
            f'<line x1="{left}" y1="{y0 + 20 + inner_h}" x2="{left + inner_w}" y2="{y0 + 20 + inner_h}" stroke="#999"/>'
        )
        out.append(f'<line x1="{left}" y1="{y0 + 20}" x2="{left}" y2="{y0 + 20 + inner_h}" stroke="#999"/>')
        out.append(f'<text x="{left - 6}" y="{y0 + 24}" text-anchor="end">{high:.0f} s</text>')
        out.append(f'<text x="{left - 6}" y="{y0 + 20 + inner_h}" text-anchor="end">0</text>')

        def y_of(seconds: float, base: float = y0, high: float = high) -> float:
            return base + 20 + inner_h * (1 - seconds / high)

        path = " ".join(f"{x_of(r.when):.1f},{y_of(r.total):.1f}" for r in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
        for r in points:
            x, y = x_of(r.when), y_of(r.total)
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f77b4"/>')
            out.append(f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle">{r.total:.1f}</text>')
    axis_y = top + panel_h * len(sizes) + 10
    for when in moments:
        label = escape(when[:16].replace("T", " ")[5:])
        out.append(f'<text x="{x_of(when):.1f}" y="{axis_y}" text-anchor="middle" font-size="9">{label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write(results: Path = RESULTS, page_path: Path = PAGE, chart_path: Path = CHART) -> list[Path]:
    """Write the page and its chart from the result files; returns what was written."""
    rows, daily = load(results)
    page_path.write_text(page(rows, daily))
    chart_path.write_text(chart(rows))
    return [page_path, chart_path]

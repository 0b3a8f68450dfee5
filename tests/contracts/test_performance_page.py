"""docs/performance.md and its chart are what `sparkify bench --history` makes of bench/results/*.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparkify.bench import history


def test_the_committed_page_and_chart_are_generated_from_the_committed_results() -> None:
    rows, daily = history.load()
    assert history.PAGE.read_text() == history.page(rows, daily), "run `make perf-page` and commit the page"
    assert history.CHART.read_text() == history.chart(rows), "run `make perf-page` and commit the chart"


def _result(started_at: str, total: float, name: str = "S") -> dict:
    return {
        "started_at": started_at,
        "sizes": [
            {
                "name": name,
                "songs": 14896,
                "events": 8056,
                "ours": {
                    "median": {
                        "wall": total,
                        "steps": {"start-up": 5.06, "stage": 13.59, "model": 3.8, "validate": 5.17},
                        "peak_rss_mb": 1559.1,
                    }
                },
                "reference": {"median": {"wall": 2.42}},
                "floor": {"median": {"wall": 13.55}},
                "ratio": 11.5,
                "ratio_to_floor": 2.05,
                "ge_share": 0.186,
            }
        ],
    }


def test_a_row_reads_as_the_column_notes_say(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(_result("2026-12-05T12:29:11+00:00", 27.83)))
    [row], daily = history.load(tmp_path)
    assert daily == []
    assert history.table_line(row, "S") == (
        "| S | 14,896 | 8,056 | 5.1 | 13.6 | 3.8 | 5.2 | 27.8 | 2.4 | 11.5× | 19% | 1,559 | 13.6 | 2.0× |"
    )


def test_latest_is_the_newest_of_each_size_and_a_latest_copy_counts_once(tmp_path: Path) -> None:
    (tmp_path / "20261204T1531Z.json").write_text(json.dumps(_result("2026-12-04T15:31:00+00:00", 44.5)))
    (tmp_path / "20261205T1229Z.json").write_text(json.dumps(_result("2026-12-05T12:29:11+00:00", 27.8)))
    (tmp_path / "latest.json").write_text(json.dumps(_result("2026-12-05T12:29:11+00:00", 27.8)))
    (tmp_path / "L-latest.json").write_text(json.dumps(_result("2026-12-05T12:20:51+00:00", 305.1, "L")))
    rows, _ = history.load(tmp_path)
    assert [(r.day, r.size, r.total) for r in rows] == [
        ("2026-12-04 15:31", "S", 44.5),
        ("2026-12-05 12:20", "L", 305.1),
        ("2026-12-05 12:29", "S", 27.8),
    ]
    assert [(r.size, r.total) for r in history.latest(rows)] == [("S", 27.8), ("L", 305.1)]


def test_the_chart_draws_one_point_per_measurement(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(_result("2026-12-04T15:31:00+00:00", 44.5)))
    (tmp_path / "b.json").write_text(json.dumps(_result("2026-12-05T12:29:11+00:00", 27.8)))
    svg = history.chart(history.load(tmp_path)[0])
    assert svg.startswith("<svg ") and svg.count("<circle ") == 2
    assert ">44.5</text>" in svg and ">27.8</text>" in svg


def test_a_file_that_is_no_result_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text('{"hello": 1}')
    with pytest.raises(ValueError, match=r"notes\.json: neither a benchmark result"):
        history.load(tmp_path)
    (tmp_path / "notes.json").write_text("{cut")
    with pytest.raises(ValueError, match=r"notes\.json: not a readable benchmark result"):
        history.load(tmp_path)

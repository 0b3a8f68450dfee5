"""The daily-run benchmark reads the new-day floor's figures and shows it beside our new day."""

from __future__ import annotations

import pytest

from sparkify.bench import history
from sparkify.bench.harness import BenchError
from sparkify.bench.incremental import floor_figures


def test_the_floors_printed_phases_are_read_as_seconds():
    assert floor_figures("start 2.4 stage 5.3 model 10.7 check 4.7 total 23.3") == {
        "start": 2.4,
        "stage": 5.3,
        "model": 10.7,
        "check": 4.7,
        "total": 23.3,
    }


@pytest.mark.parametrize("printed", ["", "start 2.4 stage", "usage: python -m sparkify.bench.floor"])
def test_anything_else_the_floor_prints_stops_the_benchmark_naming_it(printed):
    with pytest.raises(BenchError, match="the floor printed"):
        floor_figures(printed)


def test_the_daily_table_shows_the_floor_with_its_check_under_validate_and_the_ratio():
    result = {
        "runs": [{"run": "one new day", "wall": 45.0, "steps": {"stage": 20.0, "model": 10.0, "validate": 12.0}}],
        "full_run_30_days": {"wall": 70.0, "steps": {"stage": 40.0, "model": 16.0, "validate": 10.0}},
        "new_day_floor": {
            "run": "new-day floor (plain Spark)",
            "wall": 22.5,
            "steps": {"start-up": 2.4, "stage": 5.3, "model": 10.7, "check": 4.7},
        },
        "new_day_to_floor": 2.0,
    }
    lines = history.daily_table(result).splitlines()
    assert "| new-day floor (plain Spark) | 5.3 | 10.7 | 4.7 | 22.5 |" in lines
    assert lines[-1] == "One new day ÷ the new-day floor: **2.00×**."

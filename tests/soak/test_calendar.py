"""The soak's calendar: every bad day of a lake's life within its first 15 runs, each where the
calendar's docstring says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sparkify.soak import calendar as cal

F = cal.log_file


def test_log_files_are_named_as_the_generator_writes_them():
    assert F(1) == "log_data/2018/11/2018-11-01-events.json"
    assert F(31) == "log_data/2018/12/2018-12-01-events.json"
    assert cal.replayed_name(F(2)) == "log_data/2018/11/2018-11-02-events-resent.json"


def test_fifteen_days_hold_every_bad_day_in_order():
    days = {d.number: d for d in cal.build(15, seed=1)}
    assert [d.run_date for d in days.values()][:2] == [
        datetime(2026, 1, 1, 3, tzinfo=UTC),
        datetime(2026, 1, 2, 3, tzinfo=UTC),
    ]
    assert days[1].deliver == (F(1),) and days[1].how == "in-process" and days[1].expect == "succeeded"
    assert days[2].how == days[14].how == "fresh-process"
    assert days[3].deliver == ()  # late: it comes with day 6's
    assert days[4].replay == (F(2), "log_data/2018/11/2018-11-02-events-resent.json")
    assert days[5].remove == (F(2),)  # the replayed file's original leaves
    assert days[6].deliver == (F(6), F(3)) and (days[6].how, days[6].expect) == ("sigkill", "killed")
    assert days[7].change == F(5)
    assert days[8].remove == (F(1),)  # a delivered file deleted: its plays leave
    assert days[9].bad_song and days[9].expect == "failed"
    assert days[10].fix_song and days[10].expect == "succeeded"
    assert (days[11].how, days[11].expect) == ("sigint", "interrupted")
    assert (days[12].how, days[12].expect, days[12].mid_run) == ("model-between", "failed", (F(13),))
    assert days[13].deliver == ()  # its file came in the middle of day 12's run
    assert 0.2 <= days[6].kill_at <= 0.9 and 0.2 <= days[11].kill_at <= 0.9
    assert not any(d.big_file for d in days.values())


def test_the_bad_days_come_round_again_and_a_big_file_lands_once_in_a_month():
    days = {d.number: d for d in cal.build(45)}
    assert days[21].how == "sigkill" and days[26].how == "sigint" and days[39].bad_song
    assert days[28].big_file and days[28].remove == (F(18),)
    assert [d.number for d in days.values() if d.big_file] == [28]
    assert cal.pool_days(list(days.values())) == 45


def test_the_same_seed_gives_the_same_calendar_and_another_seed_other_moments():
    assert cal.build(30, seed=5) == cal.build(30, seed=5)
    assert cal.build(30, seed=5)[5].kill_at != cal.build(30, seed=6)[5].kill_at


def test_a_last_day_cannot_have_its_next_day_arrive_mid_run():
    last = cal.build(12)[-1]
    assert last.how == "in-process" and last.mid_run == ()


def test_no_days_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        cal.build(0)

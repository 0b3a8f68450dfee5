"""Which snapshots a rollback moves `main` back to, or why it refuses: from run reports written by hand."""

from __future__ import annotations

import pytest

from sparkify.lake.rollback import RollbackRefused, plan


def report(run_id: str, hour: int, published: dict, main_before: dict | None, status: str = "succeeded") -> dict:
    return {
        "run_id": run_id,
        "started_at": f"2026-12-01T{hour:02d}:00:00+00:00",
        "status": status,
        "published": published,
        "main_before": main_before,
    }


FIRST = report("r1", 1, {"songs": 10, "artists": 20}, {"songs": None, "artists": None})
SECOND = report("r2", 2, {"songs": 11}, {"songs": 10})
FAILED = report("r3", 3, {}, None, status="failed")
THIRD = report("r4", 4, {"songs": 12, "artists": 21}, {"songs": 11, "artists": 20})
ROLLBACK = {**report("rb", 5, {"songs": 11, "artists": 20}, {"songs": 12, "artists": 21}), "kind": "rollback"}


def test_the_latest_publish_goes_back_to_what_main_held_before_it() -> None:
    assert plan([THIRD, FIRST, SECOND, FAILED], "r4").targets == {"songs": 11, "artists": 20}


def test_a_publish_with_a_later_one_is_refused_unless_asked_to_undo_both() -> None:
    with pytest.raises(RollbackRefused) as refused:
        plan([FIRST, SECOND, FAILED, THIRD], "r2")
    assert str(refused.value) == (
        "run r4 published after r2: rolling r2 back would undo it too; roll back r4 instead, or give "
        "--also-later to undo every publish since r2"
    )
    both = plan([FIRST, SECOND, FAILED, THIRD], "r2", also_later=True)
    # songs back to before r2; artists, which r2 did not publish, back to before r4.
    assert (both.targets, both.later) == ({"songs": 10, "artists": 20}, ("r4",))


def test_a_rollback_is_a_publish_of_its_own_and_can_be_undone() -> None:
    assert plan([FIRST, SECOND, THIRD, ROLLBACK], "rb").targets == {"songs": 12, "artists": 21}
    with pytest.raises(RollbackRefused, match="run rb published after r4"):
        plan([FIRST, SECOND, THIRD, ROLLBACK], "r4")


@pytest.mark.parametrize(
    "run_id, message",
    [
        ("r9", "no run r9 in this lake (`sparkify runs` lists them)"),
        ("r3", "run r3 published nothing (failed): there is nothing to roll back"),
        (
            "r1",
            "run r1 was the first to publish songs: there is no earlier main to go back to (`sparkify run "
            "--full-refresh` rebuilds every table from the raw files)",
        ),
    ],
)
def test_refusals_are_one_line_naming_the_run(run_id: str, message: str) -> None:
    with pytest.raises(RollbackRefused) as refused:
        plan([FIRST, SECOND, FAILED, THIRD], run_id, also_later=True)
    assert str(refused.value) == message


def test_a_report_that_does_not_say_what_main_held_is_refused() -> None:
    older = report("r0", 0, {"songs": 5}, None)
    with pytest.raises(RollbackRefused, match="does not record what main held before it published"):
        plan([older], "r0")

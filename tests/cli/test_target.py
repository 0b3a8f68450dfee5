"""Which lake or stack a verb works on: one rule, local first (`sparkify.cli.target`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkify.cli.target import Local, NoTarget, Stack, choose, stack_only


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder that is not the checkout, and a checkout beside it."""
    cwd = tmp_path / "work"
    cwd.mkdir()
    (tmp_path / "checkout").mkdir()
    monkeypatch.chdir(cwd)
    return tmp_path


def test_flags_win(elsewhere: Path) -> None:
    (elsewhere / "work" / "lake").mkdir()
    checkout = elsewhere / "checkout"
    assert choose(Path("/data/l"), None, checkout=checkout, env={"SPARKIFY_STACK": "prod"}) == Local(Path("/data/l"))
    assert choose(None, "dev", checkout=checkout, env={}) == Stack("dev")


def test_both_flags_is_an_error(elsewhere: Path) -> None:
    with pytest.raises(NoTarget, match=r"^give --lake DIR or --stack NAME, not both$"):
        choose(Path("lake"), "dev", checkout=elsewhere / "checkout", env={})


def test_the_lake_here_comes_before_a_configured_stack(elsewhere: Path) -> None:
    (elsewhere / "work" / "lake").mkdir()
    (elsewhere / "checkout" / "lake").mkdir()
    assert choose(None, None, checkout=elsewhere / "checkout", env={"SPARKIFY_STACK": "prod"}) == Local(Path("lake"))


def test_the_lake_make_run_made_when_none_is_here(elsewhere: Path) -> None:
    (elsewhere / "checkout" / "lake").mkdir()
    assert choose(None, None, checkout=elsewhere / "checkout", env={}) == Local(elsewhere / "checkout" / "lake")


def test_the_configured_stack_when_there_is_no_lake(elsewhere: Path) -> None:
    assert choose(None, None, checkout=elsewhere / "checkout", env={"SPARKIFY_STACK": "prod"}) == Stack("prod")


def test_nothing_to_work_on_is_one_line_saying_what_to_give(elsewhere: Path) -> None:
    with pytest.raises(NoTarget) as raised:
        choose(None, None, checkout=elsewhere / "checkout", env={})
    assert str(raised.value) == (
        "no lake at ./lake and no stack given: run `make run` (or `sparkify run`) to make one, "
        "or pass --lake DIR, or pass --stack NAME (or set SPARKIFY_STACK)"
    )


def test_a_stack_verb_never_assumes_a_stack() -> None:
    assert stack_only("prod", env={}) == "prod"
    assert stack_only(None, env={"SPARKIFY_STACK": "alice"}) == "alice"
    with pytest.raises(NoTarget, match=r"^which stack\? pass --stack NAME \(dev, prod, …\) or set SPARKIFY_STACK$"):
        stack_only(None, env={})

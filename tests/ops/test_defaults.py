"""Right after `make run`, the verbs that read a lake or a stack read the lake: never AWS by surprise; the
verbs that only work a stack ask which one."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkify.cli.main import app


@pytest.fixture
def beside_a_lake(no_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding `./lake` (no tables in it), on a machine with no AWS credentials."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lake" / "reports").mkdir(parents=True)
    return tmp_path


def test_query_reads_the_lake_here(beside_a_lake: Path, cli) -> None:
    result = cli.invoke(app, ["query", "top_songs"])

    assert result.exit_code == 2
    assert "AWS" not in result.stderr
    assert result.stderr.startswith("error: no curated table artists, songplays, songs under lake/curated")


def test_docs_reads_the_lake_here(beside_a_lake: Path, cli) -> None:
    result = cli.invoke(app, ["docs"])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: no Data Docs at lake/data_docs/index.html: run the pipeline first")


def test_quarantine_reads_the_lake_here(beside_a_lake: Path, cli) -> None:
    result = cli.invoke(app, ["quarantine"])

    assert result.exit_code == 2
    assert "AWS" not in result.stderr
    assert result.stderr == "error: no run found under lake/reports: run the workflow first\n"


@pytest.mark.parametrize("verb", [["status"], ["trigger"], ["migrate-catalog"], ["upload", "--raw", "raw"]])
def test_a_stack_verb_without_a_stack_asks_which(no_aws: None, cli, verb: list[str]) -> None:
    result = cli.invoke(app, verb)

    assert result.exit_code == 2
    assert result.stderr == "error: which stack? pass --stack NAME (dev, prod, …) or set SPARKIFY_STACK\n"


def test_a_configured_stack_serves_when_there_is_no_lake(
    no_aws: None, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sparkify.cli.target.CHECKOUT", tmp_path / "no-checkout")
    monkeypatch.setenv("SPARKIFY_STACK", "dev")

    result = cli.invoke(app, ["query", "top_songs"])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: no AWS credentials found while looking up the AWS account of stack dev")

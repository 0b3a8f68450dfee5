"""The `sparkify` command itself: its version, its help, and one clear line (exit code 2) for a folder it
cannot write."""

from __future__ import annotations

import os

import pytest
import typer
from typer.testing import CliRunner

from sparkify.cli.main import app

runner = CliRunner()


def one_line_error(args: list[str]) -> tuple[int, list[str]]:
    result = runner.invoke(app, args)
    return result.exit_code, result.output.strip().splitlines()


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, "sparkify 0.1.0\n")


def test_version_comes_before_any_verb() -> None:
    result = runner.invoke(app, ["--version", "run", "--lake", "/nonexistent/never-made"])
    assert (result.exit_code, result.output) == (0, "sparkify 0.1.0\n")


COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["sparkify", *COMMANDS])
def test_help_shows_no_value_type_on_flags(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    help_line = next(line for line in result.output.splitlines() if "--help" in line)
    assert help_line.split("--help")[1].split() == ["Show", "this", "message", "and", "exit.", "│"]


def test_options_that_take_a_value_still_show_its_type() -> None:
    result = runner.invoke(app, ["query", "--help"], env={"COLUMNS": "200"})
    lines = {line.split()[1]: line.split()[2] for line in result.output.splitlines() if line.startswith("│ --")}
    assert lines["--lake"] == "<path>" and lines["--branch"] == "<str>"
    assert lines["--json"] == "Print"  # a flag: its help follows its name


def test_generate_into_a_file_is_one_line_and_exit_code_2(tmp_path) -> None:
    out = tmp_path / "sample.txt"
    out.write_text("")
    assert one_line_error(["generate", "--out", str(out)]) == (
        2,
        [f"error: --out {out} is a file, not a folder: give a folder (it is created when missing)"],
    )
    under_a_file = out / "raw"
    assert one_line_error(["generate", "--out", str(under_a_file)]) == (
        2,
        [f"error: --out {under_a_file} is not a writable folder (Not a directory): give a folder you can write to"],
    )
    assert out.read_text() == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders: run as a user to check this")
def test_generate_into_a_read_only_folder_is_one_line_and_exit_code_2(tmp_path) -> None:
    out = tmp_path / "raw"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert one_line_error(["generate", "--out", str(out)]) == (
            2,
            [f"error: --out {out} is not a writable folder (Permission denied): give a folder you can write to"],
        )
    finally:
        out.chmod(0o700)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, where no one may make a folder")
def test_generate_where_no_one_may_make_a_folder_is_one_line_and_exit_code_2() -> None:
    """/proc refuses new folders even to root: the case a read-only folder is for root."""
    assert one_line_error(["generate", "--out", "/proc/sparkify-raw"]) == (
        2,
        [
            "error: --out /proc/sparkify-raw is not a writable folder (No such file or directory): give a "
            "folder you can write to"
        ],
    )


def test_generate_still_writes_into_a_new_folder(tmp_path) -> None:
    out = tmp_path / "new" / "raw"
    result = runner.invoke(app, ["generate", "--out", str(out), "--songs", "2", "--events", "5", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["log_data", "song_data"]


def test_a_wrong_jit_setting_stops_the_run_before_spark_starts_and_names_the_values(tmp_path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    for prefix in ("song_data", "log_data"):
        (raw / prefix).mkdir(parents=True)
    monkeypatch.setenv("SPARKIFY_JIT", "c1")
    assert one_line_error(["run", "--raw", str(raw), "--lake", str(tmp_path / "lake")]) == (
        2,
        ["error: SPARKIFY_JIT='c1': use quick, full or auto (the default)"],
    )
    assert not (tmp_path / "lake").exists()

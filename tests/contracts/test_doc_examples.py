"""The README's command examples are what the commands print, and every `sparkify` command the README and
docs/ mention exists with the options they give it.

- An example in a `text` block (`$ sparkify …` and the lines it printed) is run, in an empty folder with no
  lake and no stack configured, and its output compared line for line, when it is cheap: no Spark and no
  AWS. That is every example except a `sparkify run` that gets past its argument checks (minutes of Spark)
  and a stack verb given `--stack` (it calls AWS); those, like every command in a `bash` block or a code
  span of docs/, are checked for their verb and each option in the verb's `--help`.
- A `make` target the README names exists in the Makefile.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sparkify import pipeline
from sparkify.cli.main import app

README = pipeline.REPO_ROOT / "README.md"
DOCS = sorted((pipeline.REPO_ROOT / "docs").glob("*.md"))
STACK_ONLY = {"upload", "trigger", "status", "migrate-catalog"}

# Verbs the README and docs/cli.md describe ahead of their code. Once a verb is in `sparkify --help`, take it
# out of here: its examples are then checked like every other.
DOCUMENTED_AHEAD: set[str] = set()

runner = CliRunner()


@dataclass(frozen=True)
class Example:
    where: str  # file:line
    argv: list[str]  # after `sparkify`
    output: list[str] | None  # what it printed (a `text` block), or None (a command alone)

    @property
    def verb(self) -> str:
        return self.argv[0] if self.argv else ""

    def cheap(self) -> bool:
        if self.output is None or self.verb in DOCUMENTED_AHEAD:
            return False
        if self.verb == "run":  # argument errors come before Spark starts
            return bool(self.output) and self.output[0].startswith("error:")
        return not (self.verb in STACK_ONLY | {"docs", "query", "quarantine"} and "--stack" in self.argv)


def _sparkify_argv(command: str) -> list[str] | None:
    """The arguments after `sparkify` (or `.venv/bin/sparkify`), or None when the line runs something else."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:
        return None
    if not words or words[0] not in ("sparkify", ".venv/bin/sparkify"):
        return None
    if len(words) > 1 and not re.fullmatch(r"-{0,2}[a-zA-Z][a-zA-Z-]*", words[1]):  # `sparkify 0.1.0`: output
        return None
    shell = next((i for i, w in enumerate(words) if w in (";", "|", "||", "&&", ">", ">>", "&")), len(words))
    return words[1:shell]


def _fenced_blocks(path: Path) -> list[tuple[str, int, list[str]]]:
    """(language, first line number, lines) of each fenced block."""
    blocks, lines = [], path.read_text().splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            blocks.append((fence.group(1), i + 2, lines[i + 1 : end]))
            i = end
        i += 1
    return blocks


def examples(path: Path) -> list[Example]:
    found = []
    for language, first, lines in _fenced_blocks(path):
        if language == "text":
            current: Example | None = None
            for n, line in enumerate(lines, start=first):
                if line.startswith("$ "):
                    argv = _sparkify_argv(line[2:])
                    current = None if argv is None else Example(f"{path.name}:{n}", argv, [])
                    if current is not None:
                        found.append(current)
                elif current is not None and current.output is not None:
                    current.output.append(line.rstrip())
        elif language in ("bash", "sh", ""):
            for n, line in enumerate(lines, start=first):
                argv = _sparkify_argv(line.lstrip("$ "))
                if argv is not None:
                    found.append(Example(f"{path.name}:{n}", argv, None))
    return found


def mentioned(path: Path) -> list[Example]:
    """Every `sparkify VERB …` of a file: its fenced blocks' commands and its code spans."""
    found = examples(path)
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        for span in re.findall(r"`([^`]+)`", line):
            argv = _sparkify_argv(span)
            if argv:
                found.append(Example(f"{path.name}:{n}", argv, None))
    return found


def _help(verb: str) -> str:
    result = runner.invoke(app, [*([verb] if verb else []), "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    return result.output


VERBS = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _unknown(example: Example) -> list[str]:
    """What of the example `sparkify --help` does not know: its verb, or options of it."""
    verb = example.verb if example.verb and not example.verb.startswith("-") else ""
    if verb.isupper():  # a placeholder: `sparkify VERB --help`
        return []
    if verb in DOCUMENTED_AHEAD:
        return [] if verb not in VERBS else [f"{verb} is in --help now: remove it from DOCUMENTED_AHEAD"]
    if verb and verb not in VERBS:
        return [f"no verb {verb}"]
    options = set(re.findall(r"--[a-z][a-z-]*", _help(verb)))
    given = {word.split("=")[0] for word in example.argv if word.startswith("--")}
    return [f"{verb or 'sparkify'} has no option {o}" for o in sorted(given - options)]


def test_the_readme_is_a_front_door() -> None:
    assert README.stat().st_size <= 20_000


def test_every_sparkify_command_of_the_readme_and_docs_exists() -> None:
    problems = [
        f"{e.where}: sparkify {' '.join(e.argv)}: {p}"
        for path in [README, *DOCS]
        for e in mentioned(path)
        for p in _unknown(e)
    ]
    assert problems == []


def test_every_make_target_of_the_readme_exists() -> None:
    makefile = (pipeline.REPO_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    named = set()
    for language, _, lines in _fenced_blocks(README):
        for line in lines if language == "bash" else []:
            words = shlex.split(line, comments=True)
            if words[:1] == ["make"]:
                named.update(w for w in words[1:] if "=" not in w)
    assert named and named <= targets, named - targets


README_RUN = [e for e in examples(README) if e.cheap()]


def test_the_readme_shows_examples_with_their_output() -> None:
    assert len(README_RUN) >= 5, [e.where for e in README_RUN]


@pytest.mark.parametrize("example", README_RUN, ids=[e.where for e in README_RUN])
def test_a_readme_example_prints_what_the_readme_shows(
    example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPARKIFY_STACK", raising=False)
    monkeypatch.setattr("sparkify.cli.target.CHECKOUT", tmp_path / "a-checkout-without-a-lake")

    result = runner.invoke(app, example.argv)

    printed = [line.rstrip() for line in result.output.splitlines()]
    assert _trimmed(printed) == _trimmed(example.output or []), example.where


def _trimmed(lines: list[str]) -> list[str]:
    """Without the empty lines a table or a block starts or ends with."""
    while lines and not lines[0]:
        lines = lines[1:]
    while lines and not lines[-1]:
        lines = lines[:-1]
    return lines

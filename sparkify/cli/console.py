"""The command line's output: results on stdout, errors and progress on stderr, and the one-line error
every verb ends with. Shared by the local verbs (`sparkify.cli.main`), the stack verbs (`sparkify.cli.stack`)
and the benchmark (`sparkify.bench.cli`).

With `--json` a verb prints one JSON document on stdout and nothing else (`sparkify.documents`); its
errors are JSON documents too (`{"schema_version": "sparkify.error/1", "error": {...}}`), on stdout,
with the same exit codes: 2 bad input, 1 a step failed, 3 the lake is held by another run.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from sparkify import documents


def _page_width(stream: Any) -> int | None:
    """A terminal's own width; anything else (a pipe, a file, a CI log) gets lines as long as they are,
    where Rich would wrap at 80 columns."""
    return None if stream.isatty() else 1000


console = Console(highlight=False, width=_page_width(sys.stdout), soft_wrap=not sys.stdout.isatty())
err = Console(stderr=True, highlight=False, width=_page_width(sys.stderr), soft_wrap=not sys.stderr.isatty())


class _Mode:
    json = False


def _json_flag(value: bool) -> bool:
    """Every `--json` option's callback: Click calls it for each invocation, given or not, before the
    verb's body runs, so `fail` knows how to report an error from the first line of a verb on."""
    _Mode.json = value
    return value


JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document (schema: docs/schemas/) instead of tables; errors too.",
        callback=_json_flag,
        is_eager=True,
    ),
]


def json_mode() -> bool:
    return _Mode.json


def emit(document: documents.Document, data: Any) -> None:
    """Print `data` as the JSON document `document`, tagged with its schema version."""
    typer.echo(json.dumps(documents.tagged(document, data), indent=2, default=str))


def error_document(message: str, code: int) -> dict[str, Any]:
    return documents.tagged("error", {"error": {"message": message, "exit_code": code}})


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `error: <message>` on one line at any width (soft wrap), brackets and all (AWS messages
    hold them; rich would read them as markup), or under `--json` the error document on stdout; the
    caller raises the returned exit."""
    if _Mode.json:
        typer.echo(json.dumps(error_document(message, code), indent=2))
    else:
        err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


def progress() -> Console:
    """Where progress goes: stdout for a person, stderr under `--json` (stdout holds only the document)."""
    return err if _Mode.json else console

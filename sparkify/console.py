"""The command line's output: results on stdout, errors and progress on stderr, and the one-line error
every verb ends with. Shared by the local verbs (`sparkify.cli`) and the stack verbs (`sparkify.ops_cli`)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `error: <message>` on one line at any width (soft wrap), brackets and all (AWS messages
    hold them; rich would read them as markup); the caller raises the returned exit."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)

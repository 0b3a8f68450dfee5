"""`sparkify rehearse` as a person calls it: its errors are one line (the rehearsal itself:
tests/workflow/test_rehearse.py)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sparkify.cli.main import app


def test_an_unknown_stack_is_one_line_naming_the_stacks_there_are() -> None:
    result = CliRunner().invoke(app, ["rehearse", "--stack", "nope", "--json"])
    assert result.exit_code == 2
    message = json.loads(result.stdout)["error"]["message"]
    assert message.startswith("rendering stack nope under Pulumi's mocks failed: error: ")
    assert message.endswith("Pulumi.nope.yaml does not exist: pass one of the stacks dev, prod")

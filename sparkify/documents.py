"""The JSON documents the command line prints with `--json` (and the run report it writes), and their
versions.

Every document carries `schema_version`, `"sparkify.<document>/<major>"`: a script checks the name and
the major number; the major moves only when a key is removed or changes meaning (new keys may appear at
any time). Each document's JSON Schema is `docs/schemas/<document>.schema.json`; `docs/cli.md` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "docs" / "schemas"

Document = Literal[
    "run-report",  # a run of the workflow: `sparkify run`, `status --run`, `trigger --follow`, reports/*.json
    "run-list",  # `sparkify status`: the latest runs of a stack
    "run-started",  # `sparkify trigger` without --follow
    "generate",  # `sparkify generate`
    "quarantine",  # `sparkify quarantine`
    "query-list",  # `sparkify query` without a name
    "query-result",  # `sparkify query NAME`
    "sql-result",  # `sparkify sql "SELECT …"`
    "diff",  # `sparkify diff`: audit against main
    "runs",  # `sparkify runs`: a local lake's run history
    "docs",  # `sparkify docs`
    "upload",  # `sparkify upload`
    "migrate-catalog",  # `sparkify migrate-catalog`
    "plan",  # `sparkify plan`
    "bench",  # `sparkify bench`
    "bench-incremental",  # `sparkify bench --incremental`
    "soak",  # `sparkify soak`
    "rehearsal",  # `sparkify rehearse`
    "error",  # any verb's error under --json
]

VERSIONS: dict[Document, int] = {
    "run-report": 1,
    "run-list": 1,
    "run-started": 1,
    "generate": 1,
    "quarantine": 1,
    "query-list": 1,
    "query-result": 1,
    "sql-result": 1,
    "diff": 1,
    "runs": 1,
    "docs": 1,
    "upload": 1,
    "migrate-catalog": 1,
    "plan": 1,
    "bench": 1,
    "bench-incremental": 1,
    "soak": 1,
    "rehearsal": 1,
    "error": 1,
}


def schema_version(document: Document) -> str:
    return f"sparkify.{document}/{VERSIONS[document]}"


def tagged(document: Document, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with its `schema_version` first (a `schema_version` already in `data` is replaced)."""
    return {"schema_version": schema_version(document), **{k: v for k, v in data.items() if k != "schema_version"}}


def schema_file(document: Document) -> Path:
    return SCHEMA_DIR / f"{document}.schema.json"

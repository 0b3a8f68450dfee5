"""The one line a failed audit ends with: that nothing was published, which suites failed, and the exact
command that shows the rejected rows (and the quarantined records, when the run set some aside)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any


def failed_audit_line(report: dict[str, Any], lake: Path) -> str | None:
    """`Nothing was published: the songs suite failed; …: sparkify diff --lake lake --table songs`, or
    None when every suite judged passed."""
    failed = sorted(name for name, suite in (report.get("suites") or {}).items() if not suite.get("success"))
    if not failed:
        return None
    where = shlex.quote(str(lake))
    tables = "".join(f" --table {name}" for name in failed)
    line = (
        f"Nothing was published: the {', '.join(failed)} suite{'s' if len(failed) > 1 else ''} failed; "
        f"see the rejected rows with `sparkify diff --lake {where}{tables}`"
    )
    if sum(int(n) for n in (report.get("quarantined") or {}).values()):
        line += f", the quarantined records with `sparkify quarantine --lake {where}`"
    return line

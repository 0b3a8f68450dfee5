"""The run page of the Data Docs site, `run.html`: what Great Expectations' pages do not show.

- The records the run's stage batch quarantined: the reasons by kind with their counts, then each
  record's source, file, line, reason and raw text (the first `SHOWN`; `sparkify quarantine` and
  Athena's `quarantine_<source>` tables have them all).
- First, on a failed audit: that nothing was published and which suites failed; then each failed rule
  with its observed values and the rows it names by the table's key, each with the raw file and line
  it came from (GX renders failing values and their counts, not which rows they are in).
- What waits on the `audit` branch, as `sparkify diff` shows it: rows added, changed, removed per table.

The validate job writes it next to GX's pages, so it is published (locally, and to `latest/` and
`runs/<run_id>/` on S3) with them, and links it from the site's index. Plain HTML and inline CSS:
it renders offline like the rest of the site.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkify.docs_site import html_edit

PAGE = "run.html"
SHOWN = 200  # quarantined records listed on the page
_LINK_ID = "sparkify-run-page"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.text { font-family: monospace; white-space: pre-wrap; word-break: break-all; max-width: 40rem; }
.ok { color: #1a7f37; } .bad { color: #b42318; }
"""


@dataclass(frozen=True)
class Quarantine:
    """One batch's rejected records: `total` of them, counted by reason kind, the first ones listed."""

    batch_id: int | None
    total: int = 0
    reasons: list[dict[str, Any]] = field(default_factory=list)  # source, reason, count
    records: list[dict[str, Any]] = field(default_factory=list)  # source, source_file, line, reason, record


def _table(headers: list[str], rows: list[list[Any]], text_columns: frozenset[int] = frozenset()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)

    def cell(i: int, value: Any) -> str:
        kind = ' class="text"' if i in text_columns else ""
        return f"<td{kind}>{html.escape('' if value is None else str(value))}</td>"

    body = "".join("<tr>" + "".join(cell(i, v) for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(
    run_id: str,
    summaries: Mapping[str, Mapping[str, Any]],
    quarantine: Quarantine,
    diff: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    parts = [f"<h1>Run {html.escape(run_id)}</h1>", '<p><a href="index.html">All validations</a></p>']
    failed_suites = sorted(name for name, s in summaries.items() if not s["success"])
    if failed_suites:
        parts.append(
            f'<p class="bad"><strong>Nothing was published</strong>: the {html.escape(", ".join(failed_suites))} '
            f"suite{'s' if len(failed_suites) > 1 else ''} failed. The failing rules and their observed values "
            "come first, then what waits on the <code>audit</code> branch (<code>sparkify diff</code>).</p>"
        )

    parts.append("<h2>Failing rows</h2>")
    failed = [(suite, f) for suite, s in summaries.items() for f in s["failed_expectations"]]
    if not failed:
        parts.append(f'<p class="ok">Every suite passed ({len(summaries)} suites).</p>')
    for suite, failure in failed:
        title = f"{suite}: {failure['type']}" + (f" ({failure['column']})" if failure.get("column") else "")
        parts.append(f'<h3 class="bad">{html.escape(title)}</h3><p>{html.escape(failure["details"])}</p>')
        rows = failure.get("rows") or []
        if rows:
            columns = list(dict.fromkeys(k for row in rows for k in row))
            parts.append(_table(columns, [[row.get(c) for c in columns] for row in rows]))

    if diff is not None:
        parts.extend(_diff_section(diff))

    parts.append("<h2>Quarantined records</h2>")
    if quarantine.batch_id is None:
        parts.append("<p>This run read no new raw file.</p>")
    elif not quarantine.total:
        parts.append(f'<p class="ok">Batch {quarantine.batch_id} quarantined no record.</p>')
    else:
        shown = len(quarantine.records)
        parts.append(
            f"<p>Batch {quarantine.batch_id} quarantined {quarantine.total} record(s)"
            + (f"; the first {shown} are listed" if shown < quarantine.total else "")
            + ". <code>sparkify quarantine</code> lists them all.</p>"
        )
        parts.append(
            _table(
                ["source", "reason", "records"], [[r["source"], r["reason"], r["count"]] for r in quarantine.reasons]
            )
        )
        parts.append(
            _table(
                ["source", "file", "line", "reason", "raw text"],
                [[r["source"], r["source_file"], r["line"], r["reason"], r["record"]] for r in quarantine.records],
                text_columns=frozenset({4}),
            )
        )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Run {html.escape(run_id)}</title>'
        f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )


def _diff_section(diff: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What waits on `audit` (`sparkify.lake.branch_diff`): per table the rows a publish would add,
    change and remove, then the examples by key."""
    parts = ["<h2>What waits on audit (not published)</h2>"]
    parts.append(
        _table(
            ["table", "added", "changed", "removed"],
            [[name, d["added"], d["changed"], d["removed"]] for name, d in diff.items()],
        )
    )
    examples = []
    for name, d in diff.items():
        for example in d["examples"]:
            key = " ".join(f"{k}={v}" for k, v in example["key"].items())
            if "columns" in example:
                values = ", ".join(f"{c}: {v['main']!r} → {v['audit']!r}" for c, v in example["columns"].items())
            else:
                values = ", ".join(f"{c}={v!r}" for c, v in example["row"].items() if c not in example["key"])
            examples.append([name, example["change"], key, values])
    if examples:
        parts.append(_table(["table", "change", "key", "values"], examples, text_columns=frozenset({3})))
    return parts


def add_to_site(
    site: str | Path,
    run_id: str,
    summaries: Mapping[str, Mapping[str, Any]],
    quarantine: Quarantine,
    diff: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write `run.html` into a built site and link it from the top of its `index.html`."""
    root = Path(site)
    page = root / PAGE
    page.write_text(render(run_id, summaries, quarantine, diff), encoding="utf-8")
    index = root / "index.html"
    if index.is_file():
        text = index.read_text(encoding="utf-8")
        if _LINK_ID not in text:
            link = (
                f'<div id="{_LINK_ID}" style="padding:0.5rem 1rem;background:#fff8e1">'
                f'<a href="{PAGE}">This run: quarantined records and failing rows by key</a></div>'
            )
            index.write_text(html_edit.rewrite(text, after_body=link), encoding="utf-8")
    return page

"""The frame every page of the site's own part shares (the run index, table pages, lineage, charts):
a title, a navigation bar and inline CSS, so a page renders offline and from a private bucket.

The site's root holds `index.html` (every kept run), `tables/<table>.html`, `lineage.html` and
`charts.html`; each run's Great Expectations pages are under `runs/<run_id>/`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

INDEX = "index.html"
LINEAGE = "lineage.html"
CHARTS = "charts.html"
TABLES_DIR = "tables"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #fff; }
main { margin: 1.5rem 2rem; }
nav.site { background: #1f2937; padding: 0.6rem 2rem; }
nav.site a { color: #f3f4f6; margin-right: 1.5rem; text-decoration: none; }
nav.site a.here { font-weight: bold; text-decoration: underline; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.succeeded, .ok { color: #1a7f37; } .failed, .bad { color: #b42318; } .interrupted, .running { color: #b54708; }
code { background: #f3f3f3; padding: 0 0.2rem; }
@media (prefers-color-scheme: dark) {
  body { background: #111827; color: #e5e7eb; }
  th { background: #1f2937; } th, td { border-color: #374151; } code { background: #1f2937; }
  .succeeded, .ok { color: #4ade80; } .failed, .bad { color: #f87171; } .interrupted, .running { color: #fbbf24; }
}
"""


def escape(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]], numeric: frozenset[int] = frozenset()) -> str:
    """An HTML table; cells are escaped unless given as `Raw`."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if i in numeric else ''}>{cell if isinstance(cell, Raw) else escape(cell)}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Raw(str):
    """Markup a caller built itself (a link): put into a table cell as is."""


def link(href: str, text: Any) -> Raw:
    return Raw(f'<a href="{html.escape(href, quote=True)}">{escape(text)}</a>')


def page(title: str, body: str, root: str = "", here: str = "", head: str = "") -> str:
    """A whole page. `root` leads from the page to the site's root (`""` or `"../"`); `here` is the
    navigation entry to mark."""
    entries = [(INDEX, "Runs"), (f"{TABLES_DIR}/{INDEX}", "Tables"), (LINEAGE, "Lineage"), (CHARTS, "Charts")]
    nav = "".join(
        f'<a href="{root}{target}"{" class=here" if target == here else ""}>{label}</a>' for target, label in entries
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style>{head}</head>'
        '<body><nav class="site"><strong style="color:#f3f4f6;margin-right:2rem">Sparkify Data '
        f"Docs</strong>{nav}</nav>"
        f"<main><h1>{escape(title)}</h1>{body}</main></body></html>\n"
    )

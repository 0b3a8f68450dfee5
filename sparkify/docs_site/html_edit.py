"""Edits of generated HTML pages made with the standard library's HTML parser, not with patterns.

GX's pages are parsed once; each edit replaces the exact source span of one tag or element, so the rest
of the page stays byte for byte as GX wrote it. A pattern over the text would also match inside
scripts, comments and attribute values, and miss tags spread over lines or quoted otherwise.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from html.parser import HTMLParser

# The attributes through which an element loads something by itself (a link a reader follows is not one).
RESOURCE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
}


class _Spans(HTMLParser):
    """Collects (start, end, replacement) edits on the source text while parsing it."""

    def __init__(
        self,
        text: str,
        retarget: Callable[[str, str, str], str | None],
        replace: Mapping[str, str],
        after_body: str,
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.retarget = retarget
        self.replace = replace
        self.after_body = after_body
        self.edits: list[tuple[int, int, str]] = []
        self.resources: list[str] = []
        self._line_starts = [0]
        for i, char in enumerate(text):
            if char == "\n":
                self._line_starts.append(i + 1)
        self._open: tuple[str, int] | None = None  # an element being replaced: (tag, where it starts)

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=True)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        start = self._offset()
        raw = self.get_starttag_text() or ""
        if self._open is not None:
            return
        if tag in self.replace and not closed:
            self._open = (tag, start)
            return
        if tag == "body" and self.after_body:
            self.edits.append((start + len(raw), start + len(raw), self.after_body))
        loads = RESOURCE_ATTRIBUTES.get(tag, ())
        changed = False
        new_attrs: list[tuple[str, str | None]] = []
        for name, value in attrs:
            if name in loads and value:
                self.resources.append(value)
                target = self.retarget(tag, name, value)
                if target is not None and target != value:
                    value, changed = target, True
            new_attrs.append((name, value))
        if changed:
            self.edits.append((start, start + len(raw), _tag_text(tag, new_attrs, closed)))

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and self._open[0] == tag:
            start = self._offset()
            end = self.text.index(">", start) + 1
            self.edits.append((self._open[1], end, self.replace[tag]))
            self._open = None


def _tag_text(tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> str:
    parts = [tag, *(name if value is None else f'{name}="{html.escape(value, quote=True)}"' for name, value in attrs)]
    return "<" + " ".join(parts) + (" />" if closed else ">")


def _keep(tag: str, attribute: str, value: str) -> str | None:
    return None


def rewrite(
    text: str,
    retarget: Callable[[str, str, str], str | None] = _keep,
    replace: Mapping[str, str] | None = None,
    after_body: str = "",
) -> str:
    """The page with each resource URL for which `retarget(tag, attribute, url)` gives another, each
    element whose tag is a key of `replace` replaced whole, and `after_body` inserted right after `<body>`."""
    spans = _Spans(text, retarget, replace or {}, after_body)
    spans.feed(text)
    spans.close()
    out, position = [], 0
    for start, end, replacement in sorted(spans.edits):
        out.append(text[position:start])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


def resources(text: str) -> list[str]:
    """Every URL the page loads by itself (scripts, stylesheets, images, frames), in page order."""
    spans = _Spans(text, _keep, {}, "")
    spans.feed(text)
    spans.close()
    return spans.resources

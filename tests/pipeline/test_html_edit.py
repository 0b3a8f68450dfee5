"""Edits of generated pages through the HTML parser: only the tags meant change, byte for byte."""

from __future__ import annotations

from sparkify.docs_site import html_edit

PAGE = (
    "<!DOCTYPE html>\n<html><head>\n"
    '<link rel="stylesheet" href="https://cdn.example/a.css"/>\n'
    "<script>var s = '<script src=\"https://cdn.example/in-a-string.js\">';</script>\n"
    '<!-- <img src="https://cdn.example/commented.png"> -->\n'
    '</head>\n<body class="x">\n<a href="https://example.org/">docs</a>\n'
    "<img\n  alt=\"logo\"\n  src='https://cdn.example/logo.png?v=1'>\n"
    "<footer><p>banner <b>here</b></p></footer>\n</body></html>\n"
)


def test_resources_are_what_the_page_loads_not_links_strings_or_comments():
    assert html_edit.resources(PAGE) == ["https://cdn.example/a.css", "https://cdn.example/logo.png?v=1"]


def test_rewrite_changes_only_the_named_tags():
    local = {"https://cdn.example/a.css": "static/a.css", "https://cdn.example/logo.png?v=1": "static/logo.png"}
    edited = html_edit.rewrite(
        PAGE,
        lambda tag, attribute, url: local.get(url),
        replace={"footer": "<footer>home</footer>"},
        after_body="<nav>runs</nav>",
    )
    assert edited == (
        "<!DOCTYPE html>\n<html><head>\n"
        '<link rel="stylesheet" href="static/a.css" />\n'
        "<script>var s = '<script src=\"https://cdn.example/in-a-string.js\">';</script>\n"
        '<!-- <img src="https://cdn.example/commented.png"> -->\n'
        '</head>\n<body class="x"><nav>runs</nav>\n<a href="https://example.org/">docs</a>\n'
        '<img alt="logo" src="static/logo.png">\n'
        "<footer>home</footer>\n</body></html>\n"
    )


def test_a_page_with_nothing_to_change_is_returned_as_is():
    assert html_edit.rewrite(PAGE) == PAGE

"""Markdown to safe HTML: a CommonMark parser with raw HTML off, then an allow-list
sanitiser, so no script, event handler, `javascript:` or `data:` URL reaches a reader."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)

TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"https", "http", "mailto"})


def _absolute_only(tag: str, attribute: str, value: str) -> str | None:
    """Links and images only to absolute addresses, images over https: a relative or
    protocol-relative address (`/logout`, `//elsewhere`) would make every reader's browser
    call it, and a plain-http image tracks who reads."""
    lowered = value.strip().lower()
    if attribute == "src":
        return value if lowered.startswith("https://") else None
    if attribute == "href":
        return value if lowered.startswith(("https://", "http://", "mailto:")) else None
    return value


def to_html(markdown: str) -> str:
    """The article body as HTML safe to insert into a page."""
    return nh3.clean(
        _parser.render(markdown),
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        attribute_filter=_absolute_only,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def to_text(safe_html: str) -> str:
    """The rendered body as plain text, for the index and search highlights."""
    return " ".join(html.unescape(nh3.clean(safe_html, tags=set())).split())

"""A manifest's Markdown as safe HTML: a manifest is anyone's input.

markdown-it-py renders CommonMark with raw HTML turned off (so HTML in the source shows
as text), then nh3 (the Ammonia sanitiser) keeps only an allow-list of tags and
attributes. Links may go to http, https and mailto (with ``rel="nofollow noopener
noreferrer"``); images and links to content may only name this platform's content by CID
(``ipfs://CID`` or ``/content/CID``), so instructions cannot load a tracking pixel or a
script from elsewhere (the page's Content-Security-Policy refuses those too).
"""

from __future__ import annotations

import re
from typing import Final

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS: Final = {
    "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "h5", "h6", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ATTRIBUTES: Final = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}
CONTENT: Final = re.compile(r"^(?:ipfs://|/ipfs/|/content/)([A-Za-z0-9]{10,100})$")

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)


def _attribute(tag: str, name: str, value: str) -> str | None:
    if tag == "img" and name == "src":
        found = CONTENT.match(value)
        return f"/content/{found.group(1)}" if found else None
    if tag == "a" and name == "href":
        found = CONTENT.match(value)
        if found:
            return f"/content/{found.group(1)}"
        if value.startswith(("https://", "http://", "mailto:", "#")):
            return value
        return None
    return value


def _demote_headings(html: str) -> str:
    # the page's own <h1> is the task's title: the instructions' headings start at <h2>
    return re.sub(r"<(/?)h([1-5])>", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}>", html)


def render_markdown(source: str) -> Markup:
    """``source`` (Markdown) as sanitised HTML, safe to put in a page."""
    return sanitise_html(_demote_headings(_parser.render(source)))


def sanitise_html(html: str) -> Markup:
    """Anyone's ``html`` (a manifest's rendered Markdown, an MTurk ``FormattedContent``)
    reduced to the allow-list above, safe to put in a page."""
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "ipfs"},
        attribute_filter=_attribute,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 (sanitised by nh3 just above)

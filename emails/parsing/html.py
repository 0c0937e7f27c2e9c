"""HTML → readable plain text. Raw HTML is never stored or rendered, only this text.

libxml2's HTML parser (through lxml) does the parsing: it is linear in the size of the markup,
while the stdlib's ``HTMLParser`` (which BeautifulSoup used here) is quadratic on unterminated
tags — 60 KB of ``<a `` took 35 s.
"""

from __future__ import annotations

import re

from lxml import etree, html

_BLOCK = {
    "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "blockquote", "pre", "hr", "ul", "ol", "section", "article",
}  # fmt: skip
_DROP = ("script", "style", "head", "title", "meta", "noscript", "template", "xml")
_BLANKS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")
_PARSER = html.HTMLParser(
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
    no_network=True,
    recover=True,
    huge_tree=True,
)


def _visible_text(root: html.HtmlElement) -> str:
    for element in list(root.iter(*_DROP)):
        element.drop_tree()  # keeps the text that follows the element
    parts: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _BLOCK:
                parts.append("\n")
            parts.append(element.text or "")
            continue
        if tag in _BLOCK:
            parts.append("\n")
        elif tag in ("td", "th"):
            parts.append(" ")
        if element is not root:
            parts.append(element.tail or "")
    return "".join(parts)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML document with line breaks at block elements."""
    if not markup.strip():
        return ""
    try:
        root = html.document_fromstring(markup.encode("utf-8", "replace"), parser=_PARSER)
    except (etree.ParserError, ValueError):  # nothing but markup that parses to no document
        return ""
    lines = [_SPACES.sub(" ", line).strip() for line in _visible_text(root).splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()

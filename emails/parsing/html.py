"""HTML → readable plain text. Raw HTML is never stored or rendered, only this text."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

_BLOCK = {
    "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "blockquote", "pre", "hr", "ul", "ol", "section", "article",
}  # fmt: skip
_DROP = ("script", "style", "head", "title", "meta", "noscript", "template", "xml")
_BLANKS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")


def html_to_text(html: str) -> str:
    """Visible text of an HTML document with line breaks at block elements."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(_DROP):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.name in _BLOCK:
            tag.insert_before("\n")
            tag.insert_after("\n")
        elif tag.name in ("td", "th"):
            tag.insert_after(" ")
    text = soup.get_text()
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()

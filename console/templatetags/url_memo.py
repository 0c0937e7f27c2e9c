"""``{% url %}`` without arguments that remembers its URL.

Loaded after the built-in tags (``{% load url_memo %}``) it takes the ``url`` tag over: a tag
naming a view by a quoted text, with no arguments and no ``as``, keeps the URL it rendered on its
node, keyed on everything ``reverse`` reads (script prefix, URLconf, current application) and the
autoescape setting; the first render of each key is Django's own node, so the output is exactly
Django's. Any other form of the tag is Django's node unchanged. At most ``LIMIT`` keys a node
(there are a handful in practice).
"""

from __future__ import annotations

from django import template
from django.template.base import Node
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as do_url
from django.urls import get_script_prefix, get_urlconf

register = template.Library()

LIMIT = 16


def _current_app(context) -> str | None:
    """The current application as ``URLNode.render`` reads it."""
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


class MemoURLNode(Node):
    """Django's ``URLNode`` (no arguments, no ``as``) with its URL kept per key."""

    child_nodelists = ()

    def __init__(self, node: URLNode):
        self.node = node
        self.memo: dict[tuple, str] = {}

    def render(self, context) -> str:
        key = (get_script_prefix(), get_urlconf(), _current_app(context), context.autoescape)
        value = self.memo.get(key)
        if value is None:
            value = self.node.render(context)
            if len(self.memo) >= LIMIT:
                self.memo.clear()
            self.memo[key] = value
        return value


@register.tag("url")
def url(parser, token) -> Node:
    """``{% url %}`` (Django's syntax), remembered when it names a view by a quoted text and
    passes no arguments."""
    node = do_url(parser, token)
    constant = (
        not node.args
        and not node.kwargs
        and node.asvar is None
        and not node.view_name.filters
        and isinstance(node.view_name.var, str)
    )
    return MemoURLNode(node) if constant else node

"""``{% translate %}`` that remembers its output per language.

Loaded after ``i18n`` (``{% load i18n i18n_memo %}``) it takes the ``translate`` / ``trans``
tags over: a tag with a constant text (and a constant ``context``, if any) keeps the text it
rendered for each language and autoescape setting on its node, so the next page reads it from a
dict instead of resolving the variable, looking up the catalogue and escaping again. Its output
is exactly Django's (the first render of each key is Django's own node); any other form of the
tag (a variable, filters) is Django's node unchanged. ``makemessages`` still finds the texts, as
the tags keep their names and syntax.

Translation catalogues are read once a process, so a remembered text never goes stale; the memo
on a node holds one entry per language and autoescape setting.
"""

from __future__ import annotations

from django import template
from django.template.base import Node
from django.templatetags.i18n import TranslateNode, do_translate
from django.utils.translation import get_language

register = template.Library()


class MemoTranslateNode(Node):
    """Django's ``TranslateNode`` with its output kept per (language, autoescape)."""

    child_nodelists = ()

    def __init__(self, node: TranslateNode):
        self.node = node
        self.asvar = node.asvar
        self.memo: dict[tuple[str | None, bool], str] = {}

    def render(self, context) -> str:
        key = (get_language(), context.autoescape)
        value = self.memo.get(key)
        if value is None:
            value = self.node.render(context)
            if self.asvar:
                value = context[self.asvar]
            self.memo[key] = value
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


def _constant(node: TranslateNode) -> bool:
    """Whether the node's output depends on the language only (a quoted text, no filters,
    a quoted context or none)."""
    expression, message_context = node.filter_expression, node.message_context
    if expression.filters or getattr(expression.var, "literal", None) is None:
        return False
    return message_context is None or (
        not message_context.filters and isinstance(message_context.var, str)
    )


@register.tag("translate")
@register.tag("trans")
def translate(parser, token) -> Node:
    """``{% translate %}`` (Django's syntax), remembered per language when constant."""
    node = do_translate(parser, token)
    return MemoTranslateNode(node) if _constant(node) else node

"""``{% load url_memo %}``: the remembered ``{% url %}`` renders exactly Django's, at once
following the script prefix."""

from __future__ import annotations

from django.template import Context, engines
from django.urls import set_script_prefix

from console.templatetags.url_memo import MemoURLNode

BODY = (
    "{% url 'console:queue' %}|{% url 'api:incident-live' %}|{% url 'console:incident' pk %}|"
    "{% url 'console:queue' as queue %}[{{ queue }}]|{% url name %}"
)


def _render(libraries: str, prefix: str, *, autoescape: bool = True) -> str:
    template = engines["django"].engine.from_string(libraries + BODY)
    set_script_prefix(prefix)
    try:
        return template.render(Context({"pk": 7, "name": "console:mail"}, autoescape=autoescape))
    finally:
        set_script_prefix("/")


def test_same_output_as_django_and_follows_the_script_prefix():
    for prefix in ("/", "/desk/", "/a&b/"):
        for autoescape in (True, False):
            django = _render("", prefix, autoescape=autoescape)
            assert _render("{% load url_memo %}", prefix, autoescape=autoescape) == django
    template = engines["django"].engine.from_string("{% load url_memo %}{% url 'console:queue' %}")
    assert isinstance(template.nodelist[-1], MemoURLNode)
    for prefix in ("/", "/desk/", "/"):
        set_script_prefix(prefix)
        try:
            assert template.render(Context()) == prefix
        finally:
            set_script_prefix("/")


def test_arguments_and_as_stay_djangos_node():
    template = engines["django"].engine.from_string(
        "{% load url_memo %}{% url 'console:incident' 3 %}{% url 'console:queue' as q %}{% url n %}"
    )
    assert not any(isinstance(node, MemoURLNode) for node in template.nodelist)

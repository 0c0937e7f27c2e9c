"""``{% load i18n_memo %}``: the remembered ``{% translate %}`` renders exactly Django's."""

from __future__ import annotations

from django.template import Context, engines
from django.test import SimpleTestCase
from django.utils import translation

from console.templatetags.i18n_memo import MemoTranslateNode

BODY = (
    '{% translate "Status" %}|{% translate "To" context "e-mail recipient" %}|'
    '{% translate "Move…" as label %}[{{ label }}]|{% translate text %}|'
    '{% translate "Status" noop %}|{% trans "Incidents" %}|{% translate "Status"|upper %}|'
    '{% translate "A & B <i>" %}'
)


def _render(libraries: str, language: str, *, autoescape: bool = True) -> str:
    template = engines["django"].engine.from_string("{% load " + libraries + " %}" + BODY)
    with translation.override(language):
        return template.render(Context({"text": "Status"}, autoescape=autoescape))


class MemoTranslateTests(SimpleTestCase):
    def test_same_output_as_django_in_each_language_and_escaping(self):
        for language in ("ru", "en"):
            for autoescape in (True, False):
                with self.subTest(language=language, autoescape=autoescape):
                    django = _render("i18n", language, autoescape=autoescape)
                    assert _render("i18n i18n_memo", language, autoescape=autoescape) == django
        assert "Статус|" in _render("i18n i18n_memo", "ru")

    def test_a_remembered_text_follows_the_language_at_once(self):
        template = engines["django"].engine.from_string(
            '{% load i18n i18n_memo %}{% translate "Status" %}'
        )
        assert isinstance(template.nodelist[-1], MemoTranslateNode)
        with translation.override("ru"):
            assert template.render(Context()) == "Статус"
        with translation.override("en"):
            assert template.render(Context()) == "Status"
        with translation.override("ru"):
            assert template.render(Context()) == "Статус"

    def test_variables_and_filters_stay_djangos_node(self):
        template = engines["django"].engine.from_string(
            '{% load i18n i18n_memo %}{% translate text %}{% translate "Status"|upper %}'
        )
        assert not any(isinstance(n, MemoTranslateNode) for n in template.nodelist)
        with translation.override("ru"):
            assert template.render(Context({"text": "Status"})) == "СтатусСТАТУС"

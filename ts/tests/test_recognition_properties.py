"""Properties of recognition over arbitrary text (hypothesis)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ts.recognition import candidate_tokens, recognize
from ts.tests.factories import make_pole

pytestmark = pytest.mark.django_db

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
WORDS = st.sampled_from(
    ["Добрый", "день", "опора", "авария", "г.", "Москва,", "ул.", "д.", "12", "тел.", "ИНН", "БС"]
)


@pytest.fixture
def pole():
    pole = make_pole("77-12345")
    recognize("", "")  # builds the index
    return pole


@FAST
@given(st.text(max_size=400))
def test_any_text_is_handled_with_at_most_one_query(pole, text):
    with CaptureQueriesContext(connection) as queries:
        recognize(text, text)
    assert len(queries) <= 1
    assert all(sum(ch.isdigit() for ch in token) >= 4 for token in candidate_tokens(text))


@FAST
@given(
    st.lists(WORDS, max_size=12),
    st.lists(WORDS, max_size=12),
    st.sampled_from([" ", "\n", ", ", " (", ": ", " №"]),
)
def test_a_code_between_words_is_found(pole, before, after, separator):
    if before and before[-1] in ("тел.", "ИНН"):
        before = [*before, "опора"]
    text = " ".join(before) + separator + "77-12345" + " " + " ".join(after)
    assert recognize("", text).pole == pole

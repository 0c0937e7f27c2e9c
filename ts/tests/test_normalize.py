"""The recognition key (:func:`ts.recognition.normalize`) equals the reference on any text: its
fast path for keys already normal changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ts.recognition import normalize
from ts.tests.reference_recognition import reference_normalize

# Digits of every kind, every dash, spaces, Latin and Cyrillic look-alikes, the BS prefixes.
ALPHABET = "0123456789٣-‐‑‒–—―− \t\nabcehkmoptxyBSbsАВСЕНКМОРТХУабсБС"
KEYS = st.text(alphabet=ALPHABET, max_size=24) | st.from_regex(r"[0-9-]{1,16}", fullmatch=True)


@settings(max_examples=600, deadline=None)
@given(KEYS)
def test_every_key_is_the_reference_key(text):
    assert normalize(text) == reference_normalize(text)


@pytest.mark.parametrize(
    "text",
    [
        "77-12345",
        "77‑12345",
        " 77-12345 ",
        "77-12345\n",
        "bs-77-12345",
        "BS77-12345",
        "٣٣-١٢٣٤٥",
        "",
    ],
)
def test_codes_near_the_fast_path(text):
    assert normalize(text) == reference_normalize(text)

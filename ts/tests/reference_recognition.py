"""Implementations :mod:`ts.recognition` replaced for speed (#23), kept as the references the
faster ones must equal on every input: the whole-text tokeniser (test_candidate_tokens.py) and
the key normalisation without its fast path (test_normalize.py).
"""

from __future__ import annotations

from ts.recognition import (
    _DASH,
    _DASHES,
    _DATE_TIME,
    _FOUR_DIGITS,
    _LATIN_BS,
    _LOOKALIKES,
    _NOT_A_CODE_AFTER,
    _PHONE,
    _SEPARATORS,
    MAX_TEXT_CHARS,
    normalize,
)


def reference_normalize(text: str) -> str:
    """The comparison key as computed before its fast path for ASCII digits and hyphens."""
    key = text.strip().translate(_DASHES).casefold()
    return _LATIN_BS.sub("бс", key).translate(_LOOKALIKES)


def reference_candidate_tokens(text: str) -> list[str]:
    """Candidate tokens computed over the whole text (dashes, phones, dates, separators, split)."""
    text = _DASH.sub("-", text[:MAX_TEXT_CHARS])
    text = _DATE_TIME.sub(" ", _PHONE.sub(" ", text))
    words = _SEPARATORS.sub(" ", text).split()
    seen: set[str] = set()
    tokens: list[str] = []
    for position, word in enumerate(words):
        if not _FOUR_DIGITS.match(word):
            continue
        previous = normalize(words[position - 1]).strip("-") if position else ""
        if previous in _NOT_A_CODE_AFTER:
            continue
        key = normalize(word).lstrip("-")
        for candidate in (f"бс-{key}", key) if previous == "бс" else (key,):
            if candidate not in seen:
                seen.add(candidate)
                tokens.append(candidate)
    return tokens

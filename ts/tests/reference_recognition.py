"""The whole-text tokeniser :func:`ts.recognition.candidate_tokens` replaced (session 9, #23).

Kept as the reference the faster one must equal on every input (test_candidate_tokens.py).
"""

from __future__ import annotations

from ts.recognition import (
    _DASH,
    _DATE_TIME,
    _FOUR_DIGITS,
    _NOT_A_CODE_AFTER,
    _PHONE,
    _SEPARATORS,
    MAX_TEXT_CHARS,
    normalize,
)


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

"""Colour contrast of the site's palette, light and dark (WCAG 2.1: 4.5:1 for text, 3:1 for
the borders that show where a form field is), computed from the CSS custom properties."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

CSS = settings.BASE_DIR / "static" / "css" / "dispatch.css"

# (foreground, background) pairs the pages use for text.
TEXT_PAIRS = [
    (fg, bg)
    for bg in ("bg", "surface")
    for fg in ("text", "muted", "accent", "danger", "ok", "warn")
] + [("accent-text", "accent")]
# Form field borders against the surfaces fields sit on.
FIELD_PAIRS = [("field-border", "bg"), ("field-border", "surface")]


def _variables(block: str) -> dict[str, str]:
    """Colour custom properties of a CSS block, as #rrggbb."""
    found = re.findall(r"--([a-z-]+):\s*#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", block)
    return {name: "#" + (h if len(h) == 6 else "".join(c * 2 for c in h)) for name, h in found}


def palettes() -> dict[str, dict[str, str]]:
    """The light palette (``:root``) and the dark one (light overridden by the media query)."""
    css = CSS.read_text()
    light = _variables(re.search(r":root\s*\{(.*?)\}", css, re.S).group(1))
    dark_block = re.search(r"prefers-color-scheme:\s*dark\)\s*\{(.*?)\}\s*\}", css, re.S)
    return {"light": light, "dark": {**light, **_variables(dark_block.group(1))}}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_the_wcag_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_and_field_borders_are_readable(scheme):
    colours = palettes()[scheme]
    low = [
        f"{fg} on {bg}: {contrast(colours[fg], colours[bg]):.2f} < {minimum}"
        for pairs, minimum in ((TEXT_PAIRS, 4.5), (FIELD_PAIRS, 3.0))
        for fg, bg in pairs
        if contrast(colours[fg], colours[bg]) < minimum
    ]
    assert not low, f"{scheme}: " + "; ".join(low)


def test_form_fields_are_drawn_with_the_field_border():
    css = CSS.read_text()
    rule = re.search(r"input\[type=text\][^{]*select, textarea\s*\{([^}]*)\}", css, re.S)
    assert "border: 1px solid var(--field-border)" in rule.group(1)

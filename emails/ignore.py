"""The sender ignore list: which senders' mail never opens an incident nor gets an automatic reply.

The rules are data (:class:`emails.models.IgnoredSender`, edited in the Django admin; the
defaults — delivery-report and DMARC robots — come from a data migration). Ingestion loads the
active rules once a batch (:meth:`IgnoreList.load`, one query) and asks :meth:`IgnoreList.match`
for each message's sender.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from dataclasses import dataclass
from typing import Protocol

import re2
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from emails.models import IgnoredSender

logger = logging.getLogger("emails.ignore")

Kind = IgnoredSender.Kind
MAX_REGEX_LENGTH = 200
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")
# An admin's regular expression meets hostile sender addresses: RE2 matches in linear time, so
# no pattern ((a+)+$ …) can stall ingestion.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.case_sensitive = False
_RE2_OPTIONS.log_errors = False


class Matcher(Protocol):
    def search(self, text: str) -> object: ...


class RuleError(ValueError):
    """A rule's pattern does not compile."""


def compile_rule(kind: str, pattern: str) -> Matcher | None:
    """The rule as a matcher searched in the lower-cased address (None for a plain address:
    compared as is). A glob covers the whole address; a regular expression is RE2 syntax."""
    if kind == Kind.ADDRESS:
        return None
    if kind == Kind.GLOB:
        return re.compile("^" + fnmatch.translate(pattern.lower()))
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else ""
        raise RuleError(detail.decode() if isinstance(detail, bytes) else str(detail)) from exc


def check_rule(kind: str, pattern: str) -> None:
    """Refuse a rule that cannot work, with a message for the admin."""
    if not pattern:
        raise ValidationError({"pattern": _("Enter an address or a pattern.")})
    if kind == Kind.ADDRESS and not _ADDRESS.match(pattern):
        raise ValidationError({"pattern": _("This is not an e-mail address.")})
    if kind == Kind.GLOB and "@" not in pattern:
        raise ValidationError(
            {"pattern": _("A pattern must contain @, e.g. *@spam.example or noreply@*.")}
        )
    if kind == Kind.REGEX:
        if len(pattern) > MAX_REGEX_LENGTH:
            raise ValidationError(
                {"pattern": _("A regular expression may be at most %(n)d characters long.")
                 % {"n": MAX_REGEX_LENGTH}}
            )  # fmt: skip
        try:
            compile_rule(kind, pattern)
        except RuleError as exc:
            raise ValidationError(
                {"pattern": _("Invalid regular expression: %(error)s.") % {"error": exc}}
            ) from exc


@dataclass(frozen=True)
class IgnoreList:
    """The active rules, compiled: exact addresses and patterns."""

    addresses: frozenset[str] = frozenset()
    patterns: tuple[tuple[Matcher, str], ...] = ()

    @classmethod
    def load(cls) -> IgnoreList:
        """Every active rule, in one query; a rule that does not compile is skipped and logged."""
        addresses: set[str] = set()
        patterns: list[tuple[Matcher, str]] = []
        rows = IgnoredSender.objects.filter(is_active=True).values_list("kind", "pattern")
        for kind, pattern in rows:
            try:
                compiled = compile_rule(kind, pattern)
            except RuleError:
                logger.warning("ignore list: rule %r (%s) does not compile; skipped", pattern, kind)
                continue
            if compiled is None:
                addresses.add(pattern.strip().lower())
            else:
                patterns.append((compiled, pattern))
        return cls(frozenset(addresses), tuple(patterns))

    def match(self, *addresses: str) -> str:
        """The first rule that matches any of ``addresses`` ("" when none does)."""
        for raw in addresses:
            address = raw.strip().lower()
            if not address:
                continue
            if address in self.addresses:
                return address
            for compiled, pattern in self.patterns:
                if compiled.search(address):
                    return pattern
        return ""

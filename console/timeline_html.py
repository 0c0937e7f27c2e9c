"""The HTML of the incident page's timeline entries, built in Python.

Each entry (``console.timeline.TimelineEntry``) is the same markup ``_timeline.html`` drew with
about 60 template nodes per e-mail; here it is a few ``format_html`` calls (every value escaped
as the template escaped it), with the labels and the choices' names translated once a process
per language and the time zone looked up once per page. The per-e-mail forms
(move, «checked») still come from their templates through ``per_email``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import lru_cache

from django.conf import settings
from django.template.defaultfilters import filesizeformat, truncatechars
from django.utils.safestring import SafeData, SafeString
from django.utils.timezone import get_current_timezone
from django.utils.translation import get_language, gettext, ngettext, pgettext

from console.timeline import TimelineEntry
from emails.models import EmailMessage, EmailRecipient
from emails.outbox.models import OutboundEmail

# Per-e-mail forms: ``(template name, e-mail id) → HTML`` (``templatetags.timeline.per_email``).
PerEmail = Callable[[str, int], SafeString]
# ``(URL name, id) → URL`` (``templatetags.timeline.id_url``).
IdUrl = Callable[[str, int], str]


def format_html(template: str, *args, **kwargs) -> SafeString:
    """``django.utils.html.format_html`` without its lazy-string support, which costs more than
    the formatting itself here (every value is a plain ``str``, a number or safe HTML): each
    value not marked safe is escaped exactly as Django's ``escape`` does. (``SafeString(…)`` is
    ``mark_safe`` of a plain string without its lazy-string wrapper.)"""
    return SafeString(  # every value escaped or already safe
        template.format(*map(_escape, args), **{name: _escape(v) for name, v in kwargs.items()})
    )


def _escape(value) -> str:
    return value if isinstance(value, SafeData) else html.escape(str(value))


def format_html_join(separator: str, template: str, rows) -> SafeString:
    """``django.utils.html.format_html_join`` by the ``format_html`` above."""
    return SafeString(separator.join(format_html(template, *row) for row in rows))


def _linebreaksbr(text: str) -> SafeString:
    """The ``linebreaksbr`` filter (escaping as it does) without its lazy-string wrappers."""
    escaped = not isinstance(text, SafeData)
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")  # ``normalize_newlines``
    return SafeString((html.escape(text) if escaped else text).replace("\n", "<br>"))


@lru_cache(maxsize=len(settings.LANGUAGES) + 1)
def _labels(language: str | None) -> dict:
    """The entries' fixed texts and the names of the choices they show (``get_FOO_display``'s,
    which looks each up anew: ~0.1 ms an outbox row) in the active ``language``."""
    return {
        "kinds": _choices(OutboundEmail, "kind"),
        "auto_kinds": _choices(EmailMessage, "auto_kind"),
        "reviews": _choices(EmailMessage, "review"),
        "automatic": pgettext("e-mail", "automatic"),
        "outgoing": pgettext("e-mail", "outgoing"),
        "incoming": pgettext("e-mail", "incoming"),
        "ours": pgettext("e-mail sent by the desk", "ours"),
        "cc": pgettext("e-mail recipient", "Cc"),
        "to": pgettext("e-mail recipient", "To"),
        "subject": gettext("Subject"),
        "attachments": gettext("Attachments"),
        "check": pgettext("e-mail flag", "check"),
        "outsider": gettext(
            "It is not part of the conversation: replies and notices do not go to this "
            "sender, and it is left out of the contractor's card."
        ),
        "sent": pgettext("outbox state", "sent"),
        "failed": pgettext("outbox state", "not sent"),
        "suppressed": pgettext("outbox state", "suppressed"),
        "queued": pgettext("outbox state", "queued"),
    }


def _choices(model, name: str) -> dict[str, str]:
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def _display(labels: dict, choices: str, value: str) -> str:
    """``get_FOO_display()``: the choice's name, or the value itself when it is no choice."""
    return labels[choices].get(value, value)


def _time(moment: datetime, zone: tzinfo) -> SafeString:
    """``localtime`` in the page's time ``zone`` (looked up once per page)."""
    local = moment.astimezone(zone)
    return format_html(
        '<time datetime="{}">{}</time>', local.isoformat(), local.strftime("%d.%m.%Y %H:%M")
    )


def _delivery(outbound: OutboundEmail, labels: dict) -> SafeString:
    """The outbox row's delivery state, its last error and the addresses it left out."""
    state = outbound.state
    label = labels[state] if state in ("sent", "failed", "suppressed") else labels["queued"]
    html = format_html('<span class="delivery delivery-{}">{}</span>', state, label)
    if outbound.last_error and state != "sent":
        html += format_html(
            ' <small class="muted delivery-error">{}</small>',
            truncatechars(outbound.last_error, 200),
        )
    if outbound.dropped:
        left_out = ngettext(
            "%(counter)s address left out (recipient limit):",
            "%(counter)s addresses left out (recipient limit):",
            len(outbound.dropped),
        ) % {"counter": len(outbound.dropped)}
        html += format_html(
            '<br><small class="dropped">{} {}</small>',
            left_out,
            truncatechars(", ".join(outbound.dropped), 300),
        )
    return html


def _recipients(email: EmailMessage, labels: dict) -> SafeString:
    return format_html_join(
        "; ",
        "{}: {}",
        (
            (labels["cc"] if r.kind == EmailRecipient.Kind.CC else labels["to"], r.address)
            for r in email.recipients.all()
            if r.kind != EmailRecipient.Kind.BCC
        ),
    )


def _attachments(email: EmailMessage, labels: dict, url: IdUrl) -> SafeString:
    items = []
    for attachment in email.attachments.all():
        name = attachment.offered_name
        if attachment.file:
            link = format_html(
                '<a href="{}" download>{}</a>', url("console:attachment", attachment.pk), name
            )
        else:
            link = format_html("{}", name)
        reason = f" · {attachment.rejected_reason}" if attachment.rejected_reason else ""
        items.append(
            format_html(
                '<li>{}\n              <small class="muted">{}{}</small></li>',
                link,
                filesizeformat(attachment.size),
                reason,
            )
        )
    if not items:
        return SafeString("")
    return format_html(
        '\n        <ul class="attachments" aria-label="{}">\n{}\n        </ul>',
        labels["attachments"],
        SafeString("\n".join(items)),  # each item built by format_html
    )


def _email(
    entry: TimelineEntry, labels: dict, *, url: IdUrl, per_email: PerEmail | None
) -> SafeString:
    """A stored e-mail (with the delivery state of the outbox row it is a copy of, if any).
    ``per_email`` is None for those who may not act on the incident (no forms)."""
    email, outbound = entry.email, entry.outbound
    classes = f"email email-{email.direction}"
    classes += " email-ours" if entry.ours else ""
    classes += " email-to-check" if email.review else ""
    sender = format_html("<strong>{}</strong>", email.from_name or email.from_address)
    if email.from_name:
        sender += format_html(' <span class="muted">&lt;{}&gt;</span>', email.from_address)
    if outbound is not None:
        tags = format_html(
            '<span class="tag tag-ours">{}</span> <span class="tag">{}</span>',
            labels["ours"],
            _display(labels, "kinds", outbound.kind),
        )
    elif email.auto_kind:
        tags = format_html(
            '<span class="tag" title="{}">{}</span>',
            _display(labels, "auto_kinds", email.auto_kind),
            labels["automatic"],
        )
    else:
        tags = SafeString("")
    outgoing = email.direction == EmailMessage.Direction.OUTBOUND
    tags += format_html(
        ' <span class="tag">{}</span>', labels["outgoing" if outgoing else "incoming"]
    )
    review = SafeString("")
    if email.review:
        tags += format_html(' <span class="tag tag-warning">{}</span>', labels["check"])
        outsider = email.review == EmailMessage.Review.OUTSIDER
        review = format_html(
            '\n        <p class="review-note" role="note">⚠ {}.{}</p>{}',
            _display(labels, "reviews", email.review),
            f" {labels['outsider']}" if outsider else "",
            per_email("console/_email_checked.html", email.pk) if per_email else "",
        )
    delivery = format_html("<br>{}", _delivery(outbound, labels)) if outbound else ""
    return format_html(
        '<article class="{classes}" aria-labelledby="email-{pk}-head">\n'
        '        <header id="email-{pk}-head">\n'
        "          {sender}\n"
        "          · {time}\n"
        "          {tags}\n"
        '          <a class="eml-link" href="{eml}" download>.eml</a>\n'
        "          {delivery}\n"
        "        </header>{review}\n"
        '        <p class="email-meta muted">\n'
        "          {recipients}\n"
        "          <br>{subject_label}: {subject}\n"
        "        </p>\n"
        '        <div class="email-body">{body}</div>{attachments}\n'
        "        {move}\n"
        "      </article>",
        classes=classes,
        pk=email.pk,
        sender=sender,
        time=_time(email.sent_at, labels["zone"]),
        tags=tags,
        eml=url("console:email_eml", email.pk),
        delivery=delivery,
        review=review,
        recipients=_recipients(email, labels),
        subject_label=labels["subject"],
        subject=email.subject or "—",
        body=_linebreaksbr(email.body_text),
        attachments=_attachments(email, labels, url),
        move=per_email("console/_move.html", email.pk) if per_email else "",
    )


def _outbound(entry: TimelineEntry, labels: dict) -> SafeString:
    """An outbox row not (yet) read back from the Sent folder: its text and delivery state."""
    outbound = entry.outbound
    copies = format_html("; {}: {}", labels["cc"], ", ".join(outbound.cc)) if outbound.cc else ""
    return format_html(
        '<article class="email email-out email-ours outbound-{state}" id="outbound-{pk}" '
        'aria-labelledby="outbound-{pk}-head">\n'
        '        <header id="outbound-{pk}-head">\n'
        "          <strong>DISPATCH</strong>\n"
        "          · {time}\n"
        '          <span class="tag tag-ours">{ours}</span> <span class="tag">{kind}</span>\n'
        "          <br>{delivery}\n"
        "        </header>\n"
        '        <p class="email-meta muted">{to_label}: {to}{copies}\n'
        "          <br>{subject_label}: {subject}\n"
        "        </p>\n"
        '        <div class="email-body">{body}</div>\n'
        "      </article>",
        state=outbound.state,
        pk=outbound.pk,
        time=_time(entry.at, labels["zone"]),
        ours=labels["ours"],
        kind=_display(labels, "kinds", outbound.kind),
        delivery=_delivery(outbound, labels),
        to_label=labels["to"],
        to=", ".join(outbound.to),
        copies=copies,
        subject_label=labels["subject"],
        subject=outbound.subject or "—",
        body=_linebreaksbr(outbound.body_text),
    )


def render_entries(
    entries: list[TimelineEntry], *, url: IdUrl, per_email: PerEmail | None
) -> SafeString:
    """The timeline's entries, oldest first (``per_email``: see ``_email``)."""
    labels = {**_labels(get_language()), "zone": get_current_timezone()}
    return SafeString(  # each entry built by format_html
        "\n    ".join(
            _email(entry, labels, url=url, per_email=per_email)
            if entry.email is not None
            else _outbound(entry, labels)
            for entry in entries
        )
    )

"""The HTML of the incident page's related open incidents (the mass-outage section), built in
Python: one ``format_html`` per row instead of about 30 template nodes, the labels translated
once per page, every value escaped as the template escaped it."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext

from console.timeline_html import format_html, format_html_join
from incidents.mass_outage import Related


def _reasons() -> dict[str, str]:
    return {
        "base_station": gettext("same base station"),
        "pole": gettext("same pole"),
        "address": gettext("same address"),
        "region": gettext("same region"),
    }


def related_rows(
    related: list[Related], *, can_group: bool, url: Callable[[str, int], str]
) -> SafeString:
    """One ``<li>`` per related incident: a ticked box to group it (when ``can_group`` and it is
    in no group yet), its link, status, why it is related, requester and arrival."""
    reasons, grouped = _reasons(), gettext("already in a group")
    rows = []
    for row in related:
        incident = row.incident
        pk = incident.pk
        box = (
            format_html(
                '<input type="checkbox" name="members" value="{}" id="member-{}" checked> ',
                pk,
                pk,
            )
            if can_group and row.parent_id is None
            else ""
        )
        rows.append(
            (
                box,
                pk,
                url("console:incident", pk),
                str(incident),
                incident.status.key,
                incident.status.name,
                reasons.get(row.reason, reasons["region"]),
                incident.requester_email or "—",
                localtime(incident.incident_date).strftime("%d.%m.%Y %H:%M"),
                f" · {grouped}" if row.parent_id else "",
            )
        )
    return format_html_join(
        "\n        ",
        '<li>{}<label for="member-{}"><a href="{}">{}</a></label>\n'
        '          <span class="status status-{}">{}</span>\n'
        '          <small class="muted">{} · {} · {}{}</small></li>',
        rows,
    )

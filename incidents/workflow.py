"""The incident workflow: statuses of the original, allowed transitions, notification requests.

``TRANSITIONS`` is the table (docs/workflow.md): from each status, where a dispatcher may go.
Any status may also go to «Ошибка» and «Ждем подтверждения» (``ALWAYS_ALLOWED``).

Three statuses are *requests to the robot* (``NOTIFICATION_REQUESTS``): «Уведомляем оператора»,
«Передать подрядчику», «Уведомить о закрытии». Entering one queues the matching e-mail in the same
transaction; once the outbox has delivered it the matching «Уведомили…/Передано…» status is
recorded (``record_delivery``), or «Ошибка» if delivery gave up (``record_delivery_failure``).
Asking for a notification that was already sent ends in «Ошибка» with a clear comment (the
original's anti-spam rule was inverted).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from emails.outbox.models import OutboundEmail
from incidents import mass_outage
from incidents.models import Incident, IncidentStatusHistory, StatusKey
from incidents.notifications import (
    Draft,
    NotificationAlreadySent,
    NotificationError,
    already_sent,
    build_notification,
    queue_draft,
)
from incidents.services import lock_incident, record_status

logger = logging.getLogger(__name__)

S = StatusKey
Actor = IncidentStatusHistory.Actor
Kind = OutboundEmail.Kind

TRANSITIONS: dict[StatusKey, frozenset[StatusKey]] = {
    S.NEW: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset(
        {S.NOTIFY_OPERATOR, S.NOTIFIED_OPERATOR, S.NOTIFY_CONTRACTOR, S.ON_GENERATION, S.CLOSED}
    ),
    S.ERROR: frozenset({S.IN_PROGRESS}),
    S.NEED_ACCEPTANCE: frozenset({S.IN_PROGRESS, S.NOTIFY_CLOSED, S.CLOSED}),
    S.NOTIFY_OPERATOR: frozenset({S.NOTIFIED_OPERATOR}),
    S.NOTIFIED_OPERATOR: frozenset(
        {S.NOTIFY_CONTRACTOR, S.NOTIFIED_CONTRACTOR, S.NOTIFY_CLOSED, S.ON_GENERATION}
    ),
    S.NOTIFY_CONTRACTOR: frozenset({S.NOTIFIED_CONTRACTOR}),
    S.NOTIFIED_CONTRACTOR: frozenset({S.NOTIFY_CLOSED, S.ON_GENERATION, S.CLOSED}),
    S.ON_GENERATION: frozenset({S.NOTIFY_CLOSED, S.CLOSED, S.IN_PROGRESS}),
    S.NOTIFY_CLOSED: frozenset({S.NOTIFIED_CLOSED}),
    S.NOTIFIED_CLOSED: frozenset({S.ON_GENERATION, S.CLOSED}),
    S.CLOSED: frozenset({S.IN_PROGRESS}),
}
ALWAYS_ALLOWED: frozenset[StatusKey] = frozenset({S.ERROR, S.NEED_ACCEPTANCE})

# Request status → (e-mail kind, status recorded once it is delivered).
NOTIFICATION_REQUESTS: dict[StatusKey, tuple[str, StatusKey]] = {
    S.NOTIFY_OPERATOR: (Kind.ACCEPTED, S.NOTIFIED_OPERATOR),
    S.NOTIFY_CONTRACTOR: (Kind.CONTRACTOR, S.NOTIFIED_CONTRACTOR),
    S.NOTIFY_CLOSED: (Kind.CLOSED, S.NOTIFIED_CLOSED),
}
REQUEST_BY_KIND: dict[str, StatusKey] = {
    kind: request for request, (kind, _done) in NOTIFICATION_REQUESTS.items()
}
# What the outbox records once a request's e-mail is delivered. Set by hand, no e-mail is sent.
RECORDED_RESULTS: frozenset[StatusKey] = frozenset(
    done for _kind, done in NOTIFICATION_REQUESTS.values()
)

# The desk's usual next step from each status (none while a request's e-mail is on its way, and
# none once closed): accept, notify the operator, pass to the contractor, notify, close.
USUAL_NEXT: dict[StatusKey, StatusKey] = {
    S.NEW: S.IN_PROGRESS,
    S.IN_PROGRESS: S.NOTIFY_OPERATOR,
    S.ERROR: S.IN_PROGRESS,
    S.NEED_ACCEPTANCE: S.NOTIFY_CLOSED,
    S.NOTIFIED_OPERATOR: S.NOTIFY_CONTRACTOR,
    S.NOTIFIED_CONTRACTOR: S.NOTIFY_CLOSED,
    S.ON_GENERATION: S.NOTIFY_CLOSED,
    S.NOTIFIED_CLOSED: S.CLOSED,
}

REQUEST_COMMENTS = {
    S.NOTIFY_OPERATOR: gettext_lazy(
        "The dispatcher asked to send the requester the notice that the request is accepted."
    ),
    S.NOTIFY_CONTRACTOR: gettext_lazy(
        "The dispatcher asked to send the incident card to the contractor."
    ),
    S.NOTIFY_CLOSED: gettext_lazy(
        "The dispatcher asked to send the requester the notice that the request is closed."
    ),
}
DELIVERED_COMMENTS = {
    Kind.ACCEPTED: gettext_lazy("The requester was notified that the request is accepted."),
    Kind.CONTRACTOR: gettext_lazy("The contractor was sent the incident card."),
    Kind.CLOSED: gettext_lazy("The requester was notified that the request is closed."),
}
FAILED_COMMENTS = {
    Kind.ACCEPTED: gettext_lazy("Could not notify the requester that the request is accepted."),
    Kind.CONTRACTOR: gettext_lazy("Could not send the incident card to the contractor."),
    Kind.CLOSED: gettext_lazy("Could not notify the requester that the request is closed."),
}


class TransitionError(Exception):
    """The workflow does not allow this status change; ``str()`` is the reason in Russian."""


def allowed_targets(current: StatusKey | str) -> frozenset[StatusKey]:
    """Statuses reachable from ``current`` in one step."""
    key = StatusKey(current)
    return TRANSITIONS.get(key, frozenset()) | (ALWAYS_ALLOWED - {key})


def is_allowed(current: StatusKey | str, target: StatusKey | str) -> bool:
    return StatusKey(target) in allowed_targets(current)


def way_between(start: StatusKey | str, goal: StatusKey | str) -> list[StatusKey]:
    """The shortest way from ``start`` to ``goal`` by the workflow's own transitions (the statuses
    after ``start``, ending with ``goal``), never through a request to the robot (that would send
    mail); empty when there is none."""
    start, goal = StatusKey(start), StatusKey(goal)
    came_from: dict[StatusKey, StatusKey] = {start: start}
    frontier = [start]
    while frontier and goal not in came_from:
        later = []
        for key in frontier:
            for step in sorted(TRANSITIONS.get(key, frozenset())):
                if step not in came_from and (step == goal or step not in NOTIFICATION_REQUESTS):
                    came_from[step] = key
                    later.append(step)
        frontier = later
    if goal not in came_from or goal == start:
        return []
    way = [goal]
    while came_from[way[-1]] != start:
        way.append(came_from[way[-1]])
    return way[::-1]


def _label(key: StatusKey | str) -> str:
    return StatusKey(key).label


def _error(incident: Incident, reason: str, *, actor: str, user) -> IncidentStatusHistory:
    history = record_status(incident, S.ERROR, actor=actor, user=user, comment=reason)
    if history is None:  # already in «Ошибка»: still record why, once more
        history = IncidentStatusHistory.objects.create(
            incident=incident, status=incident.status, actor=actor, user=user, comment=reason
        )
    return history


def change_status(
    incident: Incident,
    to_key: StatusKey | str,
    *,
    actor: str,
    user=None,
    comment: str = "",
    at: datetime | None = None,
) -> IncidentStatusHistory:
    """Move ``incident`` to ``to_key`` if the workflow allows it; record it once in the history
    (at ``at`` when the change was made elsewhere earlier, e.g. in the tracker).

    Entering a notification request queues the e-mail in the same transaction. A request that
    cannot be served (already sent, manual incident, no contractor e-mail …) moves the incident
    to «Ошибка» with the reason as the comment and returns that history row.
    """
    try:
        target = StatusKey(to_key)
    except ValueError:
        raise TransitionError(_("Unknown status: %(key)s.") % {"key": to_key}) from None
    with transaction.atomic():
        locked = lock_incident(incident.pk)
        current = StatusKey(locked.status.key)
        if current == target:
            raise TransitionError(
                _("The incident is already in status «%(status)s».") % {"status": _label(target)}
            )
        _check_group_card(locked, target)
        draft: Draft | None = None
        problem: NotificationError | None = None
        if target in NOTIFICATION_REQUESTS:
            try:
                draft = build_notification(locked, NOTIFICATION_REQUESTS[target][0])
            except NotificationError as exc:
                problem = exc
            else:
                sent = already_sent(locked, draft)
                if sent is not None:
                    history = _error(locked, str(sent), actor=actor, user=user)
                    _sync(incident, locked)
                    return history
        if not is_allowed(current, target):
            raise TransitionError(
                _("Moving from «%(current)s» to «%(target)s» is not allowed.")
                % {"current": _label(current), "target": _label(target)}
            )
        if draft is not None:
            try:
                queue_draft(locked, draft, channel=settings.NOTIFICATION_CHANNEL)
            except NotificationAlreadySent as exc:  # lost a race with another request
                problem = exc
        if problem is not None:
            history = _error(locked, str(problem), actor=actor, user=user)
        else:
            text = comment or str(REQUEST_COMMENTS.get(target, ""))
            history = record_status(locked, target, actor=actor, user=user, comment=text, at=at)
        _sync(incident, locked)
    if problem is None and history is not None:
        mass_outage.follow_parent(locked, target, actor=actor, user=user)
    return history  # type: ignore[return-value]


def _check_group_card(incident: Incident, target: StatusKey) -> None:
    """A subtask's contractor card is its parent's: one card for a mass outage's group."""
    if target != S.NOTIFY_CONTRACTOR:
        return
    parent = mass_outage.parent_id(incident)
    if parent is not None:
        raise TransitionError(
            _(
                "The incident is in the group of %(parent)s: the contractor gets one card for "
                "the group, asked for on the parent incident."
            )
            % {"parent": Incident.objects.get(pk=parent)}
        )


def _sync(incident: Incident, locked: Incident) -> None:
    """Copy the new state onto the caller's instance."""
    incident.status = locked.status
    incident.is_finished, incident.finished_at = locked.is_finished, locked.finished_at
    incident.sla_deadline, incident.sla_state = locked.sla_deadline, locked.sla_state


def record_delivery(outbound: OutboundEmail) -> IncidentStatusHistory | None:
    """After the outbox delivered a notification: «Уведомили…/Передано…» if still requested."""
    request = REQUEST_BY_KIND.get(outbound.kind)
    if request is None or outbound.incident_id is None:
        return None
    done = NOTIFICATION_REQUESTS[request][1]
    with transaction.atomic():
        incident = lock_incident(outbound.incident_id)
        if incident.status.key != request:
            logger.info(
                "incident=%s: %s delivered while in status %s; status left as is",
                incident.pk,
                outbound.kind,
                incident.status.key,
            )
            return None
        history = record_status(
            incident, done, actor=Actor.SYSTEM, comment=str(DELIVERED_COMMENTS[outbound.kind])
        )
    mass_outage.follow_parent(incident, done, actor=Actor.SYSTEM)  # the group's card went out
    return history


def record_delivery_failure(outbound: OutboundEmail, error: str) -> IncidentStatusHistory | None:
    """After the outbox gave up on a notification: «Ошибка» with the reason, if still requested."""
    request = REQUEST_BY_KIND.get(outbound.kind)
    if request is None or outbound.incident_id is None:
        return None
    with transaction.atomic():
        incident = lock_incident(outbound.incident_id)
        if incident.status.key != request:
            return None
        reason = f"{FAILED_COMMENTS[outbound.kind]} {error}".strip()
        return _error(incident, reason, actor=Actor.SYSTEM, user=None)

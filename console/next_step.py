"""The status card's buttons: the usual next step first, requests to send an e-mail as actions,
results the outbox records set apart (set by hand they send nothing), «Закрыт» after the way
forward, the escape hatches («Ошибка», «Ждем подтверждения») last."""

from __future__ import annotations

from dataclasses import dataclass, field

from emails.outbox.models import OutboundEmail
from incidents import workflow
from incidents.models import StatusKey

# The way forward in the order a dispatcher walks it; «Закрыт» comes after every other step.
FORWARD_ORDER: tuple[StatusKey, ...] = (
    StatusKey.IN_PROGRESS,
    StatusKey.NOTIFY_OPERATOR,
    StatusKey.NOTIFY_CONTRACTOR,
    StatusKey.ON_GENERATION,
    StatusKey.NOTIFY_CLOSED,
    StatusKey.CLOSED,
)


@dataclass(frozen=True)
class StatusButton:
    key: str
    label: str
    mail: str = ""  # a request: the templated e-mail entering it queues (its kind's label)


@dataclass(frozen=True)
class StatusActions:
    """What the status card offers for one incident."""

    take: bool  # «Взять себе» is the usual next step (a «Новый» incident)
    primary: StatusButton | None  # the usual next step when it is a status button
    forward: list[StatusButton] = field(default_factory=list)
    results: list[StatusButton] = field(default_factory=list)  # set by hand, need a confirmation
    escape: list[StatusButton] = field(default_factory=list)
    waiting: str = ""  # the request whose e-mail is on its way

    def __bool__(self) -> bool:
        return bool(self.take or self.primary or self.forward or self.results or self.escape)


def _button(key: StatusKey) -> StatusButton:
    request = workflow.NOTIFICATION_REQUESTS.get(key)
    mail = str(OutboundEmail.Kind(request[0]).label) if request else ""
    return StatusButton(key.value, key.label, mail)


def actions_for(status_key: str) -> StatusActions:
    """The buttons for an incident in the status ``status_key``."""
    current = StatusKey(status_key)
    allowed = workflow.allowed_targets(current)
    usual = workflow.USUAL_NEXT.get(current)
    take = current == StatusKey.NEW
    primary = usual if usual in allowed and not take else None
    forward = [
        _button(key)
        for key in (*FORWARD_ORDER, *(k for k in StatusKey if k not in FORWARD_ORDER))
        if key in allowed
        and key != primary
        and key not in workflow.RECORDED_RESULTS
        and key not in workflow.ALWAYS_ALLOWED
    ]
    return StatusActions(
        take=take,
        primary=_button(primary) if primary else None,
        forward=forward,
        results=[_button(k) for k in StatusKey if k in allowed & workflow.RECORDED_RESULTS],
        escape=[_button(k) for k in StatusKey if k in allowed & workflow.ALWAYS_ALLOWED],
        waiting=current.label if current in workflow.NOTIFICATION_REQUESTS else "",
    )

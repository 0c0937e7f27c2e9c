"""Moving e-mails between incidents and merging incidents: recorded in both change logs, undoable.

A move takes one e-mail (or the e-mail and the later replies that answer it) from its incident
to another incident or to a new one. A merge moves everything of one incident (e-mails, comments,
work categories, links) into another, links the two as duplicates and closes the merged one.
Both incidents' rows are locked in id order (``lock_incidents``), so two moves between the same
incidents never deadlock. Mail from outside that a move, merge or undo brings into an incident
is unread there, as if it had just arrived. Each move or merge is one :class:`IncidentMove` that
:func:`undo_move` reverses. The tracker follows from the stored state (``yandex_tracker.moves``).
"""

from __future__ import annotations

from collections import defaultdict

from django.db import models, transaction
from django.db.models import Case, F, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from emails.models import EmailMessage, EmailReference, from_outside
from incidents.models import (
    INVERSE_LINK,
    Incident,
    IncidentComment,
    IncidentLink,
    IncidentMove,
    IncidentWork,
    LinkKind,
    StatusKey,
)
from incidents.services import (
    create_incident,
    lock_incidents,
    log_changes,
    mark_first_action,
    mark_unread,
    record_status,
)

MERGE = IncidentMove.Kind.MERGE
MOVE = IncidentMove.Kind.MOVE


class MoveError(ValueError):
    """A move, merge or undo that cannot be done; the message says why (shown to the person)."""


def active_merges() -> Q:
    """Merges in force (not undone)."""
    return Q(kind=MERGE, undone_at__isnull=True)


def merged_into(incident_ref) -> Subquery:
    """The incident an incident (``OuterRef`` to its id) is merged into, or NULL."""
    rows = IncidentMove.objects.filter(active_merges(), source=incident_ref)
    return Subquery(rows.values("target_id")[:1], output_field=models.BigIntegerField())


def merge_target(incident: Incident) -> Incident | None:
    """The incident ``incident`` is merged into, if it is."""
    move = IncidentMove.objects.filter(active_merges(), source=incident).select_related("target")
    found = move.first()
    return found.target if found else None


def thread_from(email: EmailMessage) -> list[EmailMessage]:
    """``email`` and the later e-mails of its incident that answer it, or answer one of those
    (by In-Reply-To or References), oldest first. Two queries."""
    later = list(
        EmailMessage.objects.filter(incident_id=email.incident_id, sent_at__gte=email.sent_at)
        .exclude(pk=email.pk)
        .order_by("sent_at", "pk")
        .only("pk", "message_id", "in_reply_to", "subject", "sent_at")
    )
    refs: dict[int, set[str]] = defaultdict(set)
    rows = EmailReference.objects.filter(
        email__incident_id=email.incident_id, email__sent_at__gte=email.sent_at
    ).values_list("email_id", "message_id")
    for email_id, message_id in rows:
        refs[email_id].add(message_id)
    chosen, known = [email], {email.message_id}
    for candidate in later:
        if candidate.in_reply_to in known or refs[candidate.pk] & known:
            chosen.append(candidate)
            known.add(candidate.message_id)
    return chosen


def _described(emails: list[EmailMessage]) -> str:
    """How moved e-mails read in the change log: «2 письма: «Нет питания»»."""
    subject = emails[0].subject if emails else ""
    return ngettext(
        "%(count)s e-mail: «%(subject)s»", "%(count)s e-mails: «%(subject)s»", len(emails)
    ) % {"count": len(emails), "subject": subject or "—"}


def _relink(email_ids: list[int], from_pk: int, to_pk: int) -> int:
    """Point the e-mails at another incident; ones already in the tracker are pushed again (to
    the new incident's issue). Only e-mails still in ``from_pk`` move; returns how many."""
    pushed = EmailMessage.TrackerState.PUSHED
    return EmailMessage.objects.filter(pk__in=email_ids, incident_id=from_pk).update(
        incident_id=to_pk,
        tracker_state=Case(
            When(tracker_state=pushed, then=Value(EmailMessage.TrackerState.PENDING)),
            default=F("tracker_state"),
        ),
    )


def _arrived(email_ids: list[int], incident: Incident) -> None:
    """E-mails moved into ``incident``: mail from outside among them is new mail there, unread
    for its dispatcher as a reply arriving would be (the tracker's «Новое сообщение» follows)."""
    if EmailMessage.objects.filter(from_outside(), pk__in=email_ids, incident=incident).exists():
        mark_unread([incident.pk])


def _touch(incidents: list[Incident], user) -> None:
    """Both incidents changed (the live page and queue see it); a person's first action."""
    now = timezone.now()
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(updated_at=now)
    if user is not None:
        for incident in incidents:
            mark_first_action(incident, now)


def _check_not_merged(incident: Incident) -> None:
    target = merge_target(incident)
    if target is not None:
        raise MoveError(
            _("%(incident)s is merged into %(other)s; use %(other)s instead.")
            % {"incident": incident, "other": target}
        )


def _lock_with_email(email: EmailMessage, target_pk: int) -> tuple[Incident, Incident]:
    """Lock the e-mail's incident and the target (id order); the e-mail must not have moved
    meanwhile. Returns the locked (source, target)."""
    source_pk = email.incident_id
    if source_pk is None:
        raise MoveError(_("The e-mail is not linked to any incident."))
    if source_pk == target_pk:
        raise MoveError(_("The e-mail is already in this incident."))
    locked = lock_incidents(source_pk, target_pk)
    now_in = EmailMessage.objects.values_list("incident_id", flat=True).get(pk=email.pk)
    if now_in != source_pk:
        raise MoveError(_("The e-mail was moved meanwhile; reload the page."))
    return locked[source_pk], locked[target_pk]


def move_emails(
    email: EmailMessage,
    target: Incident | None,
    *,
    with_replies: bool = False,
    actor: str,
    user=None,
) -> IncidentMove:
    """Move ``email`` (and, ``with_replies``, the later replies to it) to ``target``, or to a new
    incident when ``target`` is None; recorded in both change logs. Raises :class:`MoveError`."""
    with transaction.atomic():
        if email.incident_id is None:
            raise MoveError(_("The e-mail is not linked to any incident."))
        new_target = target is None
        if new_target:
            inbound = email.direction == EmailMessage.Direction.INBOUND
            target = create_incident(
                incident_date=email.sent_at,
                subject=email.subject,
                requester_email=email.from_address if inbound else "",
                actor=actor,
                user=user,
            )
        source, target = _lock_with_email(email, target.pk)
        _check_not_merged(target)
        emails = thread_from(email) if with_replies else [email]
        ids = [e.pk for e in emails]
        _relink(ids, source.pk, target.pk)
        _arrived(ids, target)
        move = IncidentMove.objects.create(
            kind=MOVE,
            source=source,
            target=target,
            email_ids=ids,
            new_target=new_target,
            actor=actor,
            user=user,
        )
        what = _described(emails)
        moved_to = _("moved to %(incident)s") % {"incident": target}
        moved_from = _("from %(incident)s") % {"incident": source}
        log_changes(source, [("emails_moved", what, moved_to)], actor=actor, user=user, move=move)
        log_changes(target, [("emails_moved", moved_from, what)], actor=actor, user=user, move=move)
        _touch([source, target], user)
    return move


def _take_over_links(source: Incident, target: Incident) -> tuple[list[list], str]:
    """Move the source's links to the target where the target has none to that incident (and,
    for a parent, none of its own). Returns the moved [other id, kind] and the kind of a link
    between the two that the merge replaces ("" if none)."""
    rows = list(IncidentLink.objects.filter(incident=source))
    theirs = dict(IncidentLink.objects.filter(incident=target).values_list("other_id", "kind"))
    has_parent = LinkKind.SUBTASK_OF in theirs.values()
    moved, replaced = [], ""
    for row in rows:
        if row.other_id == target.pk:
            replaced = row.kind
            IncidentLink.objects.filter(Q(pk=row.pk) | Q(incident=target, other=source)).delete()
        elif row.other_id not in theirs and not (row.kind == LinkKind.SUBTASK_OF and has_parent):
            IncidentLink.objects.filter(pk=row.pk).update(incident=target)
            IncidentLink.objects.filter(incident_id=row.other_id, other=source).update(other=target)
            moved.append([row.other_id, row.kind])
    return moved, replaced


def _link_pair(incident: Incident, other: Incident, kind: str) -> None:
    IncidentLink.objects.bulk_create(
        [
            IncidentLink(incident=incident, other=other, kind=kind),
            IncidentLink(incident=other, other=incident, kind=INVERSE_LINK[LinkKind(kind)]),
        ]
    )


def merge_incidents(source: Incident, target: Incident, *, actor: str, user=None) -> IncidentMove:
    """Merge ``source`` into ``target``: its e-mails, comments, work categories (those the
    target lacks) and links go to the target, the two are linked as duplicates and ``source``
    is closed. Recorded in both change logs; raises :class:`MoveError`."""
    if source.pk == target.pk:
        raise MoveError(_("An incident cannot be merged with itself."))
    with transaction.atomic():
        locked = lock_incidents(source.pk, target.pk)
        source, target = locked[source.pk], locked[target.pk]
        _check_not_merged(source)
        _check_not_merged(target)
        emails = list(EmailMessage.objects.filter(incident=source).order_by("sent_at", "pk"))
        ids = [e.pk for e in emails]
        _relink(ids, source.pk, target.pk)
        _arrived(ids, target)
        comments = list(
            IncidentComment.objects.filter(incident=source).values_list("pk", flat=True)
        )
        IncidentComment.objects.filter(pk__in=comments).update(incident=target)
        works = list(
            IncidentWork.objects.filter(incident=source)
            .exclude(category__in=IncidentWork.objects.filter(incident=target).values("category"))
            .values_list("pk", flat=True)
        )
        IncidentWork.objects.filter(pk__in=works).update(incident=target)
        links, replaced = _take_over_links(source, target)
        _link_pair(source, target, LinkKind.DUPLICATES)
        move = IncidentMove.objects.create(
            kind=MERGE,
            source=source,
            target=target,
            email_ids=ids,
            moved={
                "comments": comments,
                "works": works,
                "links": links,
                "replaced_link": replaced,
                "status": source.status.key,
            },
            actor=actor,
            user=user,
        )
        what = _described(emails) if emails else _("no e-mails")
        log_changes(
            source,
            [
                (
                    "merge",
                    "",
                    _("merged into %(incident)s; %(what)s") % {"incident": target, "what": what},
                )
            ],
            actor=actor,
            user=user,
            move=move,
        )
        log_changes(
            target,
            [("merge", "", _("%(incident)s merged into this one; %(what)s") % {
                "incident": source, "what": what})],
            actor=actor,
            user=user,
            move=move,
        )  # fmt: skip
        record_status(
            source,
            StatusKey.CLOSED,
            actor=actor,
            user=user,
            comment=_("Merged into %(incident)s.") % {"incident": target},
        )
        _touch([source, target], user)
    return move


def _undo_merge(move: IncidentMove, source: Incident, target: Incident, *, actor, user) -> int:
    """Give the merged incident back what it brought; returns how many e-mails came back."""
    moved = move.moved or {}
    back = _relink(move.email_ids, target.pk, source.pk)
    _arrived(move.email_ids, source)
    IncidentComment.objects.filter(pk__in=moved.get("comments", []), incident=target).update(
        incident=source
    )
    have = IncidentWork.objects.filter(incident=source).values("category")
    IncidentWork.objects.filter(pk__in=moved.get("works", []), incident=target).exclude(
        category__in=have
    ).update(incident=source)
    IncidentLink.objects.filter(
        Q(incident=source, other=target) | Q(incident=target, other=source)
    ).delete()
    for other_id, kind in moved.get("links", []):
        mine = IncidentLink.objects.filter(incident=target, other_id=other_id, kind=kind)
        if mine.exists() and not source.links.filter(other_id=other_id).exists():
            mine.update(incident=source)
            IncidentLink.objects.filter(incident_id=other_id, other=target).update(other=source)
    if moved.get("replaced_link"):
        _link_pair(source, target, moved["replaced_link"])
    before = moved.get("status")
    if source.status.key == StatusKey.CLOSED and before != StatusKey.CLOSED:
        # nothing leads back to «Новый» (nor in the tracker): a merged new incident reopens
        record_status(
            source,
            StatusKey.IN_PROGRESS if before in (None, "", StatusKey.NEW) else before,
            actor=actor,
            user=user,
            comment=_("Separated from %(incident)s again.") % {"incident": target},
        )
    return back


def undo_move(move: IncidentMove, *, actor: str, user=None) -> IncidentMove:
    """Reverse a recorded move (the e-mails still in the target go back) or merge (the merged
    incident gets back its e-mails, comments, works, links and status; «В работе» if it was
    «Новый»). Raises
    :class:`MoveError` when it was undone already."""
    with transaction.atomic():
        locked = lock_incidents(move.source_id, move.target_id)
        move = IncidentMove.objects.select_for_update().get(pk=move.pk)
        if move.undone_at is not None:
            raise MoveError(_("This has already been undone."))
        source, target = locked[move.source_id], locked[move.target_id]
        if move.kind == MERGE:
            back = _undo_merge(move, source, target, actor=actor, user=user)
        else:
            back = _relink(move.email_ids, target.pk, source.pk)
            _arrived(move.email_ids, source)
            if move.new_target and not target.is_finished and not target.emails.exists():
                record_status(
                    target,
                    StatusKey.CLOSED,
                    actor=actor,
                    user=user,
                    comment=_("Its e-mails went back to %(incident)s.") % {"incident": source},
                )
        move.undone_at, move.undone_by = timezone.now(), user
        move.save(update_fields=["undone_at", "undone_by"])
        field = "merge" if move.kind == MERGE else "emails_moved"
        count = ngettext("%(count)s e-mail", "%(count)s e-mails", back) % {"count": back}
        undone = _("undone: %(count)s back in %(incident)s") % {"count": count, "incident": source}
        for incident in (source, target):
            log_changes(incident, [(field, "", undone)], actor=actor, user=user, move=move)
        _touch([source, target], user)
    return move

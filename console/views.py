"""Console pages: thin views over ``console.selectors`` (reads) and ``console.services`` (writes).

Approved users (user, dispatcher, admin) read; dispatchers and admins change incidents; guests and
anonymous visitors see nothing (login page / waiting-for-approval page).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from console import rows, selectors, services, timeline
from console.downloads import private
from console.forms import (
    BulkForm,
    CommentForm,
    IncidentEditForm,
    LinkForm,
    ManualIncidentForm,
    ReplyForm,
    StatusForm,
    WorkForm,
    bulk_options,
    queue_filter_view,
)
from console.mass_outage_views import mass_outage_context
from console.queue_nav import queue_filters, queue_query, remember_queue, safe_next
from console.status_card import status_card
from incidents import workflow
from incidents.comments import CommentError
from incidents.dispatcher_sla import dispatcher_sla
from incidents.links import LinkError
from incidents.models import Incident, StatusKey
from incidents.notifications import NotificationError
from incidents.services import IncidentEditError, mark_read
from incidents.work import WorkError
from incidents.workflow import TransitionError
from users.permissions import INCIDENT_ROLES, can_work_incidents, role_required

QUEUE_PAGE_SIZE = 50

work_required = role_required(*INCIDENT_ROLES)


# Header counters: (key in ``queue_counts``, label, the queue filter it links to).
COUNTERS = (
    ("open", gettext_lazy("Open"), ""),
    ("mine", gettext_lazy("Mine"), "assignee=me"),
    ("unassigned", gettext_lazy("Unassigned"), "assignee=none"),
    ("untyped", gettext_lazy("Need a type"), f"type={selectors.UNTYPED}"),
    ("expired", gettext_lazy("SLA expired"), "sla=expired"),
    ("unread", gettext_lazy("Unread"), "unread=on"),
)

# Status → the statuses the workflow allows next (the bulk form offers those allowed for all).
TRANSITIONS = {
    key.value: sorted(target.value for target in workflow.allowed_targets(key)) for key in StatusKey
}


def _queue_context(request: HttpRequest) -> dict:
    choices = selectors.filter_choices()
    shown = queue_filter_view(request.GET, choices)
    filters = shown.filters
    counts = selectors.queue_counts(request.user)
    incidents = selectors.queue_incidents(filters, request.user)
    paginator = Paginator(incidents.values("pk"), QUEUE_PAGE_SIZE)
    if selectors.is_default_scope(filters):
        paginator.count = counts["open"]  # the same number: spare the second COUNT
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query_string = query.urlencode()
    remember_queue(request, query_string)
    can_work = can_work_incidents(request.user)
    hidden = selectors.hidden_matches(filters, request.user, page.paginator.count)
    return {
        "filter_fields": shown.fields_html,
        "filters": filters,
        "page": page,
        "rows": rows.table_rows(selectors.queue_rows(page.object_list, filters), can_work=can_work),
        "can_work": can_work,
        "query": query_string,
        "counts": counts,
        "counters": [
            (key, label, link, counts[key], link == query_string) for key, label, link in COUNTERS
        ],
        "hidden": hidden,
        "show_all_query": _show_all_query(query) if hidden else "",
        "filter_summary": shown.summary,
        "bulk_options": bulk_options(choices) if can_work else {},
        "transitions": TRANSITIONS,
    }


def _show_all_query(query: QueryDict) -> str:
    """``query`` with every scope and any status: what «show all» of a search links to."""
    wider = query.copy()
    wider["scope"] = selectors.SCOPE_ALL
    wider.pop("status", None)
    return wider.urlencode()


@require_GET
@role_required()
def queue(request: HttpRequest) -> HttpResponse:
    """The incident queue with filters, sorting, SLA colours and live updates."""
    return render(request, "console/queue.html", _queue_context(request))


@require_GET
@role_required()
def queue_rows(request: HttpRequest) -> HttpResponse:
    """The queue table alone (what the live update swaps in)."""
    return render(request, "console/_queue_table.html", _queue_context(request))


def _incident_context(request: HttpRequest, incident: Incident, **forms) -> dict:
    can_work = can_work_incidents(request.user)
    edit_form = forms.get("edit_form")
    if edit_form is None and can_work:  # only those who may edit see the form (and its choices)
        edit_form = IncidentEditForm.blank(incident)
    emails = selectors.incident_thread(incident)
    links = selectors.incident_links(incident)
    reply_form = forms.get("reply_form")
    if reply_form is None and can_work:
        reply_form = ReplyForm.blank(
            requester=incident.requester_email,
            candidates=selectors.reply_candidates(incident, emails),
        )
    return {
        "incident": incident,
        "contacts": selectors.contractor_contacts(incident),
        "emails": emails,
        "to_check": [email for email in emails if email.review],
        "history": selectors.status_history(incident),
        "changes": selectors.change_log(
            incident, selectors.page_number(request.GET.get("changes"))
        ),
        "comments": selectors.comments(
            incident, selectors.page_number(request.GET.get("comments"))
        ),
        "comment_form": forms.get("comment_form") or (CommentForm.blank() if can_work else None),
        "links": links,
        "mass_outage": mass_outage_context(incident, links),
        "works": selectors.incident_works(incident),
        "dispatcher_sla": dispatcher_sla(incident),
        "work_form": forms.get("work_form") or (WorkForm.blank() if can_work else None),
        "work_limit_days": settings.WORK_DURATION_LIMIT_DAYS,
        "link_form": forms.get("link_form") or (LinkForm.blank() if can_work else None),
        "timeline": timeline.merge(emails, selectors.outgoing_mail(incident)),
        "status_card": status_card(incident, forms.get("status_form")) if can_work else "",
        "can_work": can_work,
        "edit_form": edit_form,
        "reply_form": reply_form,
        "queue_query": queue_query(request),
    }


def _back_to_section(pk: int, section: str) -> HttpResponse:
    """Redirect (post/redirect/get) to one section of the incident page."""
    return redirect(f"{reverse('console:incident', args=[pk])}#{section}")


def post_or_back(section: str) -> Callable:
    """For the incident page's forms: POST acts; a GET of the form's address (a reload or a
    bookmark of a page shown after a rejected form) goes back to the incident page's
    ``section`` instead of answering 405 — for those who may see the page; anyone else is
    sent to log in, as everywhere."""

    def decorator(view: Callable) -> Callable:
        @role_required()
        def back(request: HttpRequest, pk: int, **_kwargs) -> HttpResponse:
            return _back_to_section(pk, section)

        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in ("GET", "HEAD"):
                return back(request, *args, **kwargs)
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _rejected(request: HttpRequest, incident: Incident, message: str, **forms) -> HttpResponse:
    """The incident page again with the refused form(s) and their errors (422)."""
    messages.error(request, message)
    context = _incident_context(request, incident, **forms)
    return render(request, "console/incident.html", context, status=422)


def _reply_form(incident: Incident, emails: list, data=None) -> ReplyForm:
    return ReplyForm(
        data,
        requester=incident.requester_email,
        candidates=selectors.reply_candidates(incident, emails),
    )


@require_GET
@role_required()
def incident_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The incident with its thread; opening it reads it (before the thread is read, so mail
    committed meanwhile either shows on the page or leaves it unread)."""
    incident = selectors.incident_for_page(pk, presence=True)
    mark_read(incident, request.user)
    return render(request, "console/incident.html", _incident_context(request, incident))


@post_or_back("edit")
@work_required
def save_incident(request: HttpRequest, pk: int) -> HttpResponse:
    """The incident form: the edit card's fields (marked by ``edits``) and a status step (a
    status button or «Взять себе») go together. The edits are validated with the step; when
    either is refused nothing is saved and the page shows why, with everything typed kept
    (422)."""
    return _save(request, pk, with_edits="edits" in request.POST)


@post_or_back("edit")
@work_required
def edit_incident(request: HttpRequest, pk: int) -> HttpResponse:
    """The edit card's fields alone (type, pole, base station, dispatcher)."""
    return _save(request, pk, with_edits=True)


def _save(request: HttpRequest, pk: int, *, with_edits: bool) -> HttpResponse:
    incident = selectors.incident_for_page(pk)
    step = StatusForm(request.POST)
    edit_form = IncidentEditForm(request.POST, incident=incident) if with_edits else None
    edits_valid = edit_form is None or edit_form.is_valid()
    if not (step.is_valid() and edits_valid):
        return _rejected(
            request,
            incident,
            _("The incident was not changed: check the fields below."),
            edit_form=edit_form,
            status_form=step,
        )
    data = step.cleaned_data
    try:
        changed = (
            services.update_incident(incident, edit_form.edits(), user=request.user)
            if edit_form is not None
            else []
        )
        if changed:
            messages.success(request, _("The incident was updated."))
        if data["take"]:
            history = services.take(incident, user=request.user, comment=data["comment"])
            _report_take(request, history)
        elif data["to"]:
            history = services.change_status(
                incident, data["to"], user=request.user, comment=data["comment"]
            )
            _report_status(request, history, data["to"])
        elif not changed:
            messages.info(request, _("Nothing changed."))
    except IncidentEditError as exc:
        return _rejected(request, incident, str(exc), edit_form=edit_form, status_form=step)
    except TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("console:incident", pk=pk)


def _report_take(request: HttpRequest, history) -> None:
    if history is None:
        messages.success(request, _("You are the incident's dispatcher now."))
    else:
        messages.success(
            request,
            _("You took the incident: you are its dispatcher, the status is «%(status)s».")
            % {"status": history.status.name},
        )


def _report_status(request: HttpRequest, history, wanted: str) -> None:
    if history.status.key == wanted:
        messages.success(
            request, _("Status changed to «%(status)s».") % {"status": history.status.name}
        )
    else:  # the workflow refused the request and moved the incident to «Ошибка»
        messages.error(request, history.comment)


@post_or_back("reply")
@work_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a reply to the requester in the outbox (threaded into the conversation)."""
    incident = selectors.incident_for_page(pk)
    form = _reply_form(incident, selectors.incident_thread(incident), request.POST)
    if form.is_valid():
        try:
            outbound = services.reply_to_requester(
                incident, form.cleaned_data["body"], cc=form.copies(), user=request.user
            )
        except NotificationError as exc:
            form.add_error("body", str(exc))
        else:
            messages.success(
                request,
                _("The reply to %(to)s is queued for sending.")
                % {"to": ", ".join([*outbound.to, *outbound.cc])},
            )
            return redirect("console:incident", pk=pk)
    return _rejected(request, incident, _("The reply was not sent."), reply_form=form)


@require_POST
@work_required
def take(request: HttpRequest, pk: int) -> HttpResponse:
    """«Взять себе» from the queue (the incident page takes through its form): the current user
    becomes the dispatcher, a «Новый» incident goes «В работе»; then back where they were."""
    incident = selectors.incident_for_page(pk)
    try:
        _report_take(request, services.take(incident, user=request.user))
    except (IncidentEditError, TransitionError) as exc:
        messages.error(request, str(exc))
    return redirect(safe_next(request, reverse("console:incident", args=[pk])))


@require_POST
@work_required
def bulk(request: HttpRequest) -> HttpResponse:
    """Assign, set the type of or change the status of the incidents selected in the queue."""
    form = BulkForm(request.POST)
    back = safe_next(request, reverse("console:queue"))
    if not form.is_valid():
        messages.error(request, _("Nothing was changed: select incidents and a value."))
        return redirect(back)
    incidents, action = form.incidents(), form.cleaned_data["action"]
    try:
        if action == BulkForm.STATUS:
            count = services.bulk_change_status(
                incidents, form.cleaned_data["status"], user=request.user
            )
        else:
            field = "assignee" if action == BulkForm.ASSIGN else "incident_type"
            count = services.bulk_update(
                incidents, {field: form.cleaned_data[field]}, user=request.user
            )
    except services.BulkError as exc:
        if action == BulkForm.STATUS:
            messages.error(
                request,
                _("The status was not changed: the workflow does not allow it for %(codes)s.")
                % {"codes": exc},
            )
        else:
            messages.error(request, _("Not changed: %(reasons)s") % {"reasons": exc})
    else:
        messages.success(request, _("Incidents changed: %(count)d.") % {"count": count})
    return redirect(back)


@require_GET
@role_required()
def neighbour(request: HttpRequest, pk: int, forward: bool) -> HttpResponse:
    """Open the next or previous incident of the queue the user last looked at."""
    incident = selectors.incident_for_page(pk)
    found = selectors.neighbour(incident, queue_filters(request), request.user, forward=forward)
    if found is None:
        messages.info(request, _("There are no more incidents in the queue with these filters."))
        return redirect(reverse("console:incident", args=[pk]))
    return redirect("console:incident", pk=found)


@work_required
def new_incident(request: HttpRequest) -> HttpResponse:
    """Register an incident by hand (a call); optionally the first e-mail to the requester."""
    form = ManualIncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident, outbound = services.register_manual_incident(
                form.incident(), user=request.user
            )
        except NotificationError as exc:
            form.add_error("requester_email", str(exc))
        else:
            messages.success(request, _("Incident %(code)s is registered.") % {"code": incident})
            if outbound is not None:
                messages.success(
                    request,
                    _("The e-mail to %(to)s is queued for sending.")
                    % {"to": ", ".join(outbound.to)},
                )
            return redirect("console:incident", pk=incident.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "console/new_incident.html", {"form": form}, status=status)


@post_or_back("works")
@work_required
def set_work(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the start, end and priority of one work category of the incident."""
    incident = selectors.incident_for_page(pk)
    form = WorkForm(request.POST)
    if form.is_valid():
        try:
            changed = services.set_work(incident, form.cleaned_data, user=request.user)
        except WorkError as exc:
            form.add_error(None, str(exc))
        else:
            if changed is None:
                messages.info(request, _("Nothing changed."))
            else:
                messages.success(request, _("The work category was saved."))
            return _back_to_section(pk, "works")
    return _rejected(request, incident, _("The work category was not saved."), work_form=form)


@post_or_back("works")
@work_required
def remove_work(request: HttpRequest, pk: int, category: str) -> HttpResponse:
    """Remove one work category of the incident (recorded in the change log)."""
    incident = selectors.incident_for_page(pk)
    if services.remove_work(incident, category, user=request.user):
        messages.success(request, _("The work category was removed."))
    else:
        messages.info(request, _("Nothing changed."))
    return _back_to_section(pk, "works")


@post_or_back("links")
@work_required
def add_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the incident to another one (mirrored on the other incident)."""
    incident = selectors.incident_for_page(pk)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            services.link_incidents(
                incident, form.cleaned_data["other"], form.cleaned_data["kind"], user=request.user
            )
        except LinkError as exc:
            form.add_error("other", str(exc))
        else:
            messages.success(request, _("The incidents are linked."))
            return _back_to_section(pk, "links")
    return _rejected(request, incident, _("The link was not made."), link_form=form)


@post_or_back("links")
@work_required
def remove_link(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    """Remove the link between the incident and another one (both sides)."""
    incident = selectors.incident_for_page(pk)
    other = selectors.incident_for_page(other_pk)
    if services.unlink_incidents(incident, other, user=request.user):
        messages.success(request, _("The link was removed."))
    else:
        messages.info(request, _("Nothing changed."))
    return _back_to_section(pk, "links")


@post_or_back("comments")
@work_required
def add_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the dispatcher's internal comment to the incident."""
    incident = selectors.incident_for_page(pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.add_comment(incident, form.cleaned_data["body"], user=request.user)
        except CommentError as exc:
            form.add_error("body", str(exc))
        else:
            messages.success(request, _("The comment was added."))
            return _back_to_section(pk, "comments")
    return _rejected(request, incident, _("The comment was not added."), comment_form=form)


@post_or_back("comments")
@work_required
def edit_comment(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    """Change the text of one's own comment (the edit is kept in the change log)."""
    comment = selectors.comment_for_edit(pk, comment_pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The comment was not changed: the text is empty or too long."))
    else:
        try:
            changed = services.edit_comment(comment, form.cleaned_data["body"], user=request.user)
        except CommentError as exc:
            messages.error(request, str(exc))
        else:
            if changed:
                messages.success(request, _("The comment was changed."))
            else:
                messages.info(request, _("Nothing changed."))
    return _back_to_section(pk, f"comment-{comment_pk}")


@post_or_back("summary")
@work_required
def thread_linking(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop (or resume) linking new mail to the incident by its thread headers and code."""
    incident = selectors.incident_for_page(pk)
    off = request.POST.get("no_thread_linking") == "1"
    services.set_thread_linking(incident, linked=not off, user=request.user)
    if off:
        messages.success(request, _("New mail in this thread will open a new incident."))
    else:
        messages.success(request, _("New mail in this thread is linked to this incident again."))
    return redirect("console:incident", pk=pk)


@require_GET
@role_required()
def download_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """An e-mail attachment, to logged-in staff only; always downloaded, never rendered inline."""
    attachment = selectors.attachment_for_download(pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.offered_name,
        content_type="application/octet-stream",
    )
    return private(response)


@require_GET
@role_required()
def dispatcher_load(request: HttpRequest) -> HttpResponse:
    """Open incidents per dispatcher, on shift or not."""
    return render(
        request,
        "console/load.html",
        {
            "rows": selectors.dispatcher_load(),
            "counts": selectors.queue_counts(),
            "window": settings.ASSIGNMENT_WINDOW_HOURS,
        },
    )

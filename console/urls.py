"""Console pages, mounted at the site root."""

from django.urls import path

from console import (
    check_views,
    compose_views,
    mail_views,
    mass_outage_views,
    move_views,
    suggest_views,
    views,
)

app_name = "console"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("queue/rows/", views.queue_rows, name="queue_rows"),
    path("queue/bulk/", views.bulk, name="bulk"),
    path("incidents/new/", views.new_incident, name="new_incident"),
    path("incidents/<int:pk>/take/", views.take, name="take"),
    path("incidents/<int:pk>/next/", views.neighbour, {"forward": True}, name="next"),
    path("incidents/<int:pk>/previous/", views.neighbour, {"forward": False}, name="previous"),
    path("incidents/<int:pk>/", views.incident_page, name="incident"),
    path("incidents/<int:pk>/edit/", views.edit_incident, name="edit"),
    path("incidents/<int:pk>/status/", views.save_incident, name="status"),
    path("incidents/<int:pk>/reply/", views.reply, name="reply"),
    path("incidents/<int:pk>/compose/", compose_views.compose_email, name="compose"),
    path("incidents/<int:pk>/comments/", views.add_comment, name="comment"),
    path(
        "incidents/<int:pk>/comments/<int:comment_pk>/edit/",
        views.edit_comment,
        name="comment_edit",
    ),
    path("incidents/<int:pk>/thread-linking/", views.thread_linking, name="thread_linking"),
    path("incidents/<int:pk>/work/", views.set_work, name="work"),
    path("incidents/<int:pk>/work/<str:category>/remove/", views.remove_work, name="work_remove"),
    path("incidents/<int:pk>/links/", views.add_link, name="link"),
    path("incidents/<int:pk>/links/<int:other_pk>/remove/", views.remove_link, name="unlink"),
    path("incidents/<int:pk>/group/", mass_outage_views.group, name="group"),
    path("incidents/<int:pk>/ungroup/", mass_outage_views.ungroup, name="ungroup"),
    path("incidents/<int:pk>/leave-group/", mass_outage_views.leave_group, name="leave_group"),
    path(
        "incidents/<int:pk>/emails/<int:email_pk>/move/", move_views.move_email, name="move_email"
    ),
    path(
        "incidents/<int:pk>/emails/<int:email_pk>/checked/",
        check_views.email_checked,
        name="email_checked",
    ),
    path("incidents/<int:pk>/merge/", move_views.merge, name="merge"),
    path("incidents/<int:pk>/moves/<int:move_pk>/undo/", move_views.undo, name="undo_move"),
    path("attachments/<int:pk>/", views.download_attachment, name="attachment"),
    path("load/", views.dispatcher_load, name="load"),
    path("suggest/poles/", suggest_views.poles, name="suggest_poles"),
    path("suggest/base-stations/", suggest_views.base_stations, name="suggest_base_stations"),
    path("mail/", mail_views.mail_list, name="mail"),
    path("mail/<int:pk>/eml/", mail_views.email_eml, name="email_eml"),
    path("mail/quarantine/", mail_views.quarantine, name="quarantine"),
    path("mail/quarantine/<int:pk>/eml/", mail_views.quarantined_eml, name="quarantined_eml"),
    path("mail/quarantine/<int:pk>/retry/", mail_views.quarantine_retry, name="quarantine_retry"),
    path(
        "mail/quarantine/<int:pk>/release/",
        mail_views.quarantine_release,
        name="quarantine_release",
    ),
    path(
        "incidents/<int:pk>/attachments.zip",
        mail_views.incident_attachments_zip,
        name="attachments_zip",
    ),
]

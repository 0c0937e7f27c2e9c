"""Admin for tracker sync state (read-mostly; tokens are never shown)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from yandex_tracker.models import (
    PushClaim,
    SyncCursor,
    TrackerComment,
    TrackerIssue,
    TrackerToken,
    TrackerUser,
)


class PushClaimAdmin(admin.ModelAdmin):
    """Shows where a push stands (refused, waiting out a back-off) and retries it on demand."""

    readonly_fields = ("last_error", "next_attempt_at", "refused_at")
    actions = ["retry_now"]

    @admin.display(description=_("push"))
    def push_state(self, row: PushClaim) -> str:
        if row.refused_at:
            return gettext("refused by the tracker")
        if row.next_attempt_at and row.next_attempt_at > timezone.now():
            return gettext("retry at %(time)s") % {
                "time": formats.localize(timezone.localtime(row.next_attempt_at))
            }
        return "—"

    @admin.action(description=_("Retry now (after fixing the cause)"))
    def retry_now(self, request, queryset: QuerySet) -> None:
        count = queryset.update(refused_at=None, next_attempt_at=timezone.now(), claimed_at=None)
        self.message_user(
            request,
            ngettext(
                "%(count)d push will be retried by the next push cycle.",
                "%(count)d pushes will be retried by the next push cycle.",
                count,
            )
            % {"count": count},
        )


@admin.register(TrackerIssue)
class TrackerIssueAdmin(PushClaimAdmin):
    list_display = (
        "key",
        "incident",
        "synced_status",
        "version",
        "tracker_updated_at",
        "pushed_at",
        "attempts",
        "push_state",
    )
    list_filter = ("synced_status", ("refused_at", admin.EmptyFieldListFilter))
    search_fields = ("key", "issue_id")
    list_select_related = ("incident",)
    raw_id_fields = ("incident",)


@admin.register(TrackerComment)
class TrackerCommentAdmin(PushClaimAdmin):
    list_display = ("email", "issue", "comment_id", "posted_at", "attempts", "push_state")
    list_filter = (("refused_at", admin.EmptyFieldListFilter),)
    search_fields = ("comment_id", "issue__key")
    list_select_related = ("email", "issue")
    raw_id_fields = ("email", "issue")


@admin.register(TrackerToken)
class TrackerTokenAdmin(admin.ModelAdmin):
    """Shows when the shared OAuth token was refreshed, never the token itself."""

    list_display = ("updated_at", "expires_at")
    fields = ("updated_at", "expires_at")
    readonly_fields = ("updated_at", "expires_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SyncCursor)
class SyncCursorAdmin(admin.ModelAdmin):
    list_display = ("name", "value", "updated_at")


@admin.register(TrackerUser)
class TrackerUserAdmin(admin.ModelAdmin):
    """The tracker's users as the pull last listed them: who can be an issue's assignee.

    Read-only: the pull keeps the list; a dispatcher's tracker login is set on the user."""

    list_display = ("login", "display", "uid", "seen_at")
    search_fields = ("login", "display")
    readonly_fields = ("login", "uid", "display", "seen_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

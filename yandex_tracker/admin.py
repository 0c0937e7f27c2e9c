"""Admin for tracker sync state (read-mostly; tokens are never shown)."""

from django.contrib import admin

from yandex_tracker.models import SyncCursor, TrackerComment, TrackerIssue, TrackerToken


@admin.register(TrackerIssue)
class TrackerIssueAdmin(admin.ModelAdmin):
    list_display = (
        "key",
        "incident",
        "synced_status",
        "version",
        "tracker_updated_at",
        "pushed_at",
        "attempts",
    )
    list_filter = ("synced_status",)
    search_fields = ("key", "issue_id")
    list_select_related = ("incident",)
    raw_id_fields = ("incident",)
    readonly_fields = ("last_error",)


@admin.register(TrackerComment)
class TrackerCommentAdmin(admin.ModelAdmin):
    list_display = ("email", "issue", "comment_id", "posted_at", "attempts")
    search_fields = ("comment_id", "issue__key")
    list_select_related = ("email", "issue")
    raw_id_fields = ("email", "issue")
    readonly_fields = ("last_error",)


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

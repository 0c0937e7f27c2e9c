"""Admin for tracker sync state (read-mostly)."""

from django.contrib import admin

from yandex_tracker.models import SyncCursor, TrackerIssue


@admin.register(TrackerIssue)
class TrackerIssueAdmin(admin.ModelAdmin):
    list_display = ("key", "incident", "version", "tracker_updated_at", "pushed_at")
    search_fields = ("key", "issue_id")
    list_select_related = ("incident",)
    raw_id_fields = ("incident",)


@admin.register(SyncCursor)
class SyncCursorAdmin(admin.ModelAdmin):
    list_display = ("name", "value", "updated_at")

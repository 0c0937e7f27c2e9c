"""User representations."""

from __future__ import annotations

from rest_framework import serializers

from users.models import User


class UserBriefSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name")
    display_name = serializers.CharField(
        read_only=True, help_text="How the person is named: full name, else username."
    )

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "display_name"]


class DispatcherLoadSerializer(serializers.ModelSerializer):
    """A dispatcher with the load the assignment uses."""

    full_name = serializers.CharField(source="get_full_name")
    display_name = serializers.CharField(
        read_only=True, help_text="How the person is named: full name, else username."
    )
    tracker_login = serializers.CharField(source="tracker_user")
    open_incidents = serializers.IntegerField(help_text="All unfinished incidents assigned.")
    recent_open_incidents = serializers.IntegerField(
        help_text="Unfinished incidents created within ASSIGNMENT_WINDOW_HOURS (assignment load)."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "display_name",
            "email",
            "tracker_login",
            "open_incidents",
            "recent_open_incidents",
            "last_assigned_at",
        ]

"""Roles as Django groups: each approved role has one group carrying its permissions.

The ``role`` field is the source of truth; groups and ``is_staff`` follow it (see
``users.signals``), so the console, the Django admin and the API agree on what a user may do.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from users.models import Role, User

# Group names are shown in the Django admin (Russian UI); they are data, not code identifiers.
ROLE_GROUPS: dict[str, str] = {
    Role.USER: "Пользователи",
    Role.DISPATCH: "Диспетчеры",
    Role.ADMIN: "Администраторы",
}
# Permission codenames (app "users") granted to each role; admins get every permission.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.USER: ("use_console",),
    Role.DISPATCH: ("use_console", "work_incidents"),
}


def ensure_role_groups() -> dict[str, Group]:
    """Create the role groups and grant their permissions; idempotent."""
    groups = {}
    for role, name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        if role == Role.ADMIN:
            perms = Permission.objects.all()
        else:
            perms = Permission.objects.filter(
                content_type__app_label="users", codename__in=ROLE_PERMISSIONS[role]
            )
        group.permissions.set(perms)
        groups[role] = group
    return groups


def sync_role_groups(user: User) -> None:
    """Put the user in exactly the group of their role (none for guests)."""
    role_group_names = set(ROLE_GROUPS.values())
    wanted = ROLE_GROUPS.get(user.role)
    current = {g.name: g for g in user.groups.filter(name__in=role_group_names)}
    stale = [g for name, g in current.items() if name != wanted]
    if stale:
        user.groups.remove(*stale)
    if wanted and wanted not in current:
        group = Group.objects.filter(name=wanted).first() or ensure_role_groups()[user.role]
        user.groups.add(group)

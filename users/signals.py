"""Keep groups and staff access in line with the role; tell approved guests by e-mail."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_migrate, post_save, pre_save
from django.dispatch import receiver

from emails.outbox.models import OutboundEmail
from emails.outbox.signals import outbound_sent
from users.mail import forget_delivered_text
from users.models import Role, User


@receiver(pre_save, sender=User)
def role_sets_staff_access(sender, instance: User, **kwargs) -> None:
    """Becoming admin opens the Django admin; leaving the admin role closes it."""
    stored = getattr(instance, "_stored_role", None)
    if instance.role == stored:
        return
    if instance.role == Role.ADMIN:
        instance.is_staff = True
    elif stored == Role.ADMIN:
        instance.is_staff = instance.is_superuser


@receiver(post_save, sender=User)
def role_changed(sender, instance: User, created: bool, **kwargs) -> None:
    from users.roles import sync_role_groups
    from users.services import notify_role_granted

    stored = getattr(instance, "_stored_role", None)
    if not created and instance.role == stored:
        return
    sync_role_groups(instance)
    if stored == Role.GUEST and instance.role != Role.GUEST:
        transaction.on_commit(lambda: notify_role_granted(instance))
    instance._stored_role = instance.role


def create_role_groups(sender, **kwargs) -> None:
    from users.roles import ensure_role_groups

    ensure_role_groups()


post_migrate.connect(create_role_groups, dispatch_uid="users.create_role_groups")


@receiver(outbound_sent, sender=OutboundEmail, dispatch_uid="users.account_mail_delivered")
def account_mail_delivered(sender, message: OutboundEmail, **kwargs) -> None:
    forget_delivered_text(message)
